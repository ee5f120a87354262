//! 160-bit Chord identifiers (SHA-1) and the ring's interval tests.

use std::fmt;
use std::net::SocketAddr;

use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};

/// Bits of an identifier: SHA-1's output, as in the Chord paper (§4.2).
pub const BITS: usize = 160;

/// A point on the identifier circle, big-endian, so that byte order is
/// numeric order.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Id(pub [u8; 20]);

impl Id {
    /// SHA-1 of arbitrary bytes: a key's identifier.
    pub fn hash(bytes: &[u8]) -> Id {
        Id(Sha1::digest(bytes).into())
    }

    /// A node's identifier: SHA-1 of its address as `ip:port` text.
    pub fn of_addr(addr: SocketAddr) -> Id {
        Id::hash(addr.to_string().as_bytes())
    }

    /// `self + 2^bit` modulo 2^160: the start of finger `bit`.
    pub fn add_pow2(self, bit: usize) -> Id {
        assert!(bit < BITS, "finger index {bit} out of range");
        let mut out = self.0;
        let mut i = 19 - bit / 8;
        let mut carry = 1u16 << (bit % 8);
        loop {
            let sum = out[i] as u16 + carry;
            out[i] = sum as u8;
            carry = sum >> 8;
            if carry == 0 || i == 0 {
                break;
            }
            i -= 1;
        }
        Id(out)
    }

    /// `self + 1`: the identifier right after this one.
    pub fn next(self) -> Id {
        self.add_pow2(0)
    }

    /// Parses 40 hexadecimal digits.
    pub fn from_hex(s: &str) -> Result<Id, String> {
        if s.len() != 40 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("`{s}` is not a 160-bit identifier (40 hex digits)"));
        }
        let mut out = [0u8; 20];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("checked hex");
        }
        Ok(Id(out))
    }

    /// A short prefix for humans (`3fa2c1…`).
    pub fn short(&self) -> String {
        let hex = self.to_string();
        format!("{}…", &hex[..8])
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.short())
    }
}

impl Serialize for Id {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Id, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Id::from_hex(&s).map_err(serde::de::Error::custom)
    }
}

/// `b` lies strictly inside the clockwise interval (a, c); when a = c that
/// is every b ≠ a. The same convention as the model's `between`.
pub fn between(a: Id, b: Id, c: Id) -> bool {
    if a < c {
        a < b && b < c
    } else {
        a < b || b < c
    }
}

/// `b` ∈ (a, c]: the interval a key's successor is responsible for.
pub fn in_half_open(a: Id, b: Id, c: Id) -> bool {
    b == c || between(a, b, c)
}

/// A node as others know it: identifier and address.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Peer {
    pub id: Id,
    pub addr: SocketAddr,
}

impl Peer {
    /// A peer whose identifier is the hash of its address.
    pub fn at(addr: SocketAddr) -> Peer {
        Peer {
            id: Id::of_addr(addr),
            addr,
        }
    }
}

impl fmt::Debug for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.id.short(), self.addr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(last: u8) -> Id {
        let mut b = [0u8; 20];
        b[19] = last;
        Id(b)
    }

    #[test]
    fn sha1_of_known_input() {
        // FIPS 180-1 test vector.
        assert_eq!(
            Id::hash(b"abc").to_string(),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
    }

    #[test]
    fn add_pow2_carries_and_wraps() {
        assert_eq!(id(0xff).add_pow2(0), {
            let mut b = [0u8; 20];
            b[18] = 1;
            Id(b)
        });
        assert_eq!(Id([0xff; 20]).next(), Id([0; 20]), "wraps modulo 2^160");
        let top = Id([0; 20]).add_pow2(159);
        assert_eq!(top.0[0], 0x80);
    }

    #[test]
    fn between_matches_the_model_convention() {
        assert!(between(id(2), id(0), id(2)) && !between(id(1), id(1), id(1)));
        assert!(!between(id(1), id(1), id(3)) && !between(id(3), id(1), id(1)));
        assert!(between(id(3), id(0), id(1)) && !between(id(3), id(2), id(1)));
        assert!(in_half_open(id(1), id(3), id(3)) && !in_half_open(id(1), id(1), id(3)));
    }

    #[test]
    fn hex_round_trip_and_errors() {
        let x = Id::hash(b"key");
        assert_eq!(Id::from_hex(&x.to_string()), Ok(x));
        assert!(Id::from_hex("abc").unwrap_err().contains("40 hex digits"));
        assert!(Id::from_hex(&"g".repeat(40)).is_err());
    }
}
