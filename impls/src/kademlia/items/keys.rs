//! Ed25519 keys for publishing mutable items.

use std::fmt;

use ed25519_dalek::{Signer, SigningKey};

use super::{signature_buffer, Item};

/// An ed25519 key pair for publishing mutable items.
#[derive(Clone)]
pub struct Keypair(SigningKey);

impl fmt::Debug for Keypair {
    /// Shows the public key only, so that a seed never ends up in a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Keypair(public ")?;
        for b in self.public() {
            write!(f, "{b:02x}")?;
        }
        write!(f, ")")
    }
}

impl Keypair {
    /// The key pair of a 32-byte secret seed (RFC 8032's private key).
    pub fn from_seed(seed: &[u8; 32]) -> Keypair {
        Keypair(SigningKey::from_bytes(seed))
    }

    /// The key pair of a seed written as 64 hexadecimal digits
    /// (surrounding whitespace ignored).
    pub fn from_hex_seed(s: &str) -> Result<Keypair, SeedError> {
        let mut digits = Vec::with_capacity(64);
        for (at, found) in s.trim().chars().enumerate() {
            let d = found.to_digit(16).ok_or(SeedError::NotHex { at, found })?;
            digits.push(d as u8);
        }
        if digits.len() != 64 {
            return Err(SeedError::Length {
                digits: digits.len(),
            });
        }
        let mut seed = [0u8; 32];
        for (byte, pair) in seed.iter_mut().zip(digits.chunks_exact(2)) {
            *byte = pair[0] << 4 | pair[1];
        }
        Ok(Keypair::from_seed(&seed))
    }

    /// The public key, `k` in BEP 44.
    pub fn public(&self) -> [u8; 32] {
        self.0.verifying_key().to_bytes()
    }

    /// The signature of an item with this salt, sequence number and
    /// bencoded value.
    pub fn sign_item(&self, salt: &[u8], seq: i64, v: &[u8]) -> [u8; 64] {
        self.0.sign(&signature_buffer(salt, seq, v)).to_bytes()
    }

    /// The signed mutable item.
    pub fn mutable_item(&self, salt: &[u8], seq: i64, v: &[u8]) -> Item {
        Item::Mutable {
            v: v.to_vec(),
            k: self.public(),
            sig: self.sign_item(salt, seq, v),
            seq,
            salt: salt.to_vec(),
        }
    }
}

/// Why a hexadecimal seed was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SeedError {
    /// Not 64 digits long.
    Length { digits: usize },
    /// `found`, the character at `at` (counted in characters), is no digit.
    NotHex { at: usize, found: char },
}

impl fmt::Display for SeedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SeedError::Length { digits } => write!(
                f,
                "an ed25519 seed is 64 hexadecimal digits (32 bytes), got {digits}"
            ),
            SeedError::NotHex { at, found } => write!(
                f,
                "an ed25519 seed is hexadecimal digits, found {found:?} at character {at}"
            ),
        }
    }
}

impl std::error::Error for SeedError {}
