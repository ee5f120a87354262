//! The XOR metric (Kademlia §2.1) on 160-bit ids: distances, bucket
//! indices, and ids drawn inside a bucket's range for refreshes.

use std::cmp::Ordering;

use rand::Rng;
use sha1::{Digest, Sha1};

use super::krpc::NodeId;

/// Bits of an id, hence buckets of a routing table.
pub const BITS: usize = 160;

impl NodeId {
    /// SHA-1 of arbitrary bytes (an info-hash, a BEP 44 target, a
    /// simulated node's id).
    pub fn hash(bytes: &[u8]) -> NodeId {
        NodeId(Sha1::digest(bytes).into())
    }

    /// Parses 40 hexadecimal digits.
    pub fn from_hex(s: &str) -> Result<NodeId, String> {
        let bytes = super::hex::decode(s).map_err(|e| format!("`{s}`: {e}"))?;
        let id: [u8; 20] = bytes.try_into().map_err(|b: Vec<u8>| {
            format!(
                "`{s}` is {} bytes, a 160-bit id is 20 (40 hex digits)",
                b.len()
            )
        })?;
        Ok(NodeId(id))
    }

    /// `self XOR other`, as a big-endian number (so `Ord` on the result
    /// is numeric order of distances).
    pub fn distance(&self, other: &NodeId) -> NodeId {
        let mut d = [0u8; 20];
        for (i, b) in d.iter_mut().enumerate() {
            *b = self.0[i] ^ other.0[i];
        }
        NodeId(d)
    }

    /// Length of the common prefix with `other` in bits; `None` for the
    /// same id. Contact `other` lives in bucket `common_prefix(me, other)`.
    pub fn common_prefix(&self, other: &NodeId) -> Option<usize> {
        for (i, (a, b)) in self.0.iter().zip(other.0.iter()).enumerate() {
            let x = a ^ b;
            if x != 0 {
                return Some(i * 8 + x.leading_zeros() as usize);
            }
        }
        None
    }

    /// Orders `a` and `b` by distance to `self` (ties broken by id, which
    /// only equal ids share).
    pub fn closer(&self, a: &NodeId, b: &NodeId) -> Ordering {
        self.distance(a).cmp(&self.distance(b))
    }

    /// A uniformly random id that shares exactly `prefix` bits with
    /// `self`: a target whose lookup refreshes bucket `prefix`.
    pub fn random_in_bucket(&self, prefix: usize, rng: &mut impl Rng) -> NodeId {
        assert!(prefix < BITS, "bucket {prefix} out of range");
        let mut id = [0u8; 20];
        rng.fill(&mut id[..]);
        for bit in 0..=prefix {
            let (byte, mask) = (bit / 8, 0x80u8 >> (bit % 8));
            let mine = self.0[byte] & mask;
            // The first `prefix` bits agree with ours, bit `prefix` differs.
            let want = if bit == prefix { mine ^ mask } else { mine };
            id[byte] = (id[byte] & !mask) | want;
        }
        NodeId(id)
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    fn id(first: u8) -> NodeId {
        let mut b = [0u8; 20];
        b[0] = first;
        NodeId(b)
    }

    #[test]
    fn common_prefix_counts_leading_equal_bits() {
        assert_eq!(id(0b1000_0000).common_prefix(&id(0)), Some(0));
        assert_eq!(id(0b0000_0001).common_prefix(&id(0)), Some(7));
        assert_eq!(id(5).common_prefix(&id(5)), None);
        let mut last = [0u8; 20];
        last[19] = 1;
        assert_eq!(NodeId(last).common_prefix(&id(0)), Some(159));
    }

    #[test]
    fn random_in_bucket_lands_in_that_bucket() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let me = NodeId::hash(b"me");
        for prefix in [0, 1, 7, 8, 9, 100, 159] {
            for _ in 0..20 {
                let t = me.random_in_bucket(prefix, &mut rng);
                assert_eq!(me.common_prefix(&t), Some(prefix));
            }
        }
    }

    #[test]
    fn distance_orders_by_xor() {
        let t = id(0b0100_0000);
        assert_eq!(t.closer(&id(0b0110_0000), &id(0b0000_0000)), Ordering::Less);
        assert_eq!(t.distance(&t), NodeId([0; 20]));
    }

    #[test]
    fn from_hex_names_the_problem() {
        assert!(NodeId::from_hex("zz").unwrap_err().contains("zz"));
        assert!(NodeId::from_hex("00").unwrap_err().contains("1 bytes"));
        let h = "e5f96f6f38320f0f33959cb4d3d656452117aadb";
        assert_eq!(NodeId::from_hex(h).unwrap().to_string(), h);
    }
}
