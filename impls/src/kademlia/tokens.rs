//! Write tokens (BEP 5): a `get_peers` (or BEP 44 `get`) answer carries a
//! token bound to the querier's IP address, and an `announce_peer` (or
//! `put`) is accepted only with a token this node handed to that IP
//! recently — so nobody can announce on behalf of an address it cannot
//! receive at.
//!
//! As BEP 5 suggests: token = SHA-1(IP ‖ secret), truncated to 8 bytes;
//! the secret changes every `rotate_ms` (five minutes) and the previous
//! one stays valid, so a token lives between one and two periods (BEP 5:
//! "up to ten minutes"). Secrets come from the node's seeded generator: no
//! randomness inside the sans-IO core.

use std::net::Ipv4Addr;

use rand::Rng;
use sha1::{Digest, Sha1};

use crate::runtime::Millis;

/// Bytes of a token on the wire.
pub const TOKEN_LEN: usize = 8;

#[derive(Clone, Debug)]
pub struct Tokens {
    current: [u8; 16],
    previous: [u8; 16],
    rotated_at: Millis,
    rotate_ms: Millis,
}

impl Tokens {
    pub fn new(now: Millis, rotate_ms: Millis, rng: &mut impl Rng) -> Tokens {
        let current = rng.random();
        Tokens {
            current,
            previous: current,
            rotated_at: now,
            rotate_ms,
        }
    }

    fn with(secret: &[u8; 16], ip: Ipv4Addr) -> Vec<u8> {
        let mut h = Sha1::new();
        h.update(ip.octets());
        h.update(secret);
        h.finalize()[..TOKEN_LEN].to_vec()
    }

    /// The token to hand to `ip` now.
    pub fn issue(&self, ip: Ipv4Addr) -> Vec<u8> {
        Tokens::with(&self.current, ip)
    }

    /// Whether `token` was issued to `ip` by the current or the previous
    /// secret.
    pub fn check(&self, ip: Ipv4Addr, token: &[u8]) -> bool {
        token == Tokens::with(&self.current, ip).as_slice()
            || token == Tokens::with(&self.previous, ip).as_slice()
    }

    /// Rotates the secret if a period has passed; returns whether it did.
    pub fn rotate(&mut self, now: Millis, rng: &mut impl Rng) -> bool {
        if now < self.rotated_at + self.rotate_ms {
            return false;
        }
        self.previous = self.current;
        self.current = rng.random();
        self.rotated_at = now;
        true
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    #[test]
    fn a_token_is_valid_for_its_ip_for_one_to_two_periods() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let a = Ipv4Addr::new(10, 0, 0, 1);
        let b = Ipv4Addr::new(10, 0, 0, 2);
        let mut t = Tokens::new(0, 300_000, &mut rng);
        let tok = t.issue(a);
        assert_eq!(tok.len(), TOKEN_LEN);
        assert!(t.check(a, &tok));
        assert!(!t.check(b, &tok), "bound to the address it was issued to");
        assert!(!t.rotate(299_999, &mut rng));
        assert!(t.rotate(300_000, &mut rng));
        assert!(t.check(a, &tok), "the previous secret stays valid");
        assert!(t.rotate(600_000, &mut rng));
        assert!(!t.check(a, &tok), "two rotations later it has expired");
        assert!(!t.check(a, b""));
    }
}
