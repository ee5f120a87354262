//! Identifiers, the XOR metric, and small node sets.
//!
//! A node's name is its identifier: `n5` has id 5 (binary 101 at 3 bits).
//! Ids have `bits` bits, so the most significant bit of the id space is
//! bit `bits - 1`; a lookup target may be any id of the space, a node or
//! not.

pub use crate::chord::ring::{name, parse_name, Name};

/// A node (and its id).
pub use crate::nodeset::Node;

/// An id of the space (a node's or a lookup target's).
pub type Id = u8;

/// Largest id width: 3 bits, 8 ids. Every list in a state is inline.
pub const MAX_BITS: usize = 3;

/// Most nodes a model may have (`2^MAX_BITS`).
pub const MAX_NODES: usize = 1 << MAX_BITS;

pub use crate::nodeset::{bit, count, elems, has, set_text, Set};

/// The XOR distance of Kademlia.
pub fn dist(a: Id, b: Id) -> u8 {
    a ^ b
}

/// The length of the common prefix of two different ids of `bits` bits,
/// which is the index of the bucket one keeps the other in: bucket 0 holds
/// the far half of the space, bucket `bits - 1` the one sibling.
pub fn cpl(a: Id, b: Id, bits: usize) -> usize {
    debug_assert_ne!(a, b, "a node has no bucket for itself");
    let d = a ^ b;
    bits - (8 - d.leading_zeros() as usize)
}

/// The `k` members of `set` closest to `target`, as a set.
pub fn closest(set: Set, target: Id, k: usize) -> Set {
    let mut v: Vec<Node> = elems(set).collect();
    v.sort_by_key(|&n| dist(n, target));
    v.into_iter().take(k).fold(0, |acc, n| acc | bit(n))
}

/// The member of `set` closest to `target`.
pub fn nearest(set: Set, target: Id) -> Option<Node> {
    elems(set).min_by_key(|&n| dist(n, target))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_by_common_prefix_length() {
        // 3 bits: 0 = 000, 4 = 100 (differ in the top bit), 2 = 010, 1 = 001.
        assert_eq!(cpl(0, 4, 3), 0);
        assert_eq!(cpl(0, 7, 3), 0);
        assert_eq!(cpl(0, 2, 3), 1);
        assert_eq!(cpl(0, 1, 3), 2);
        assert_eq!(cpl(5, 4, 3), 2);
        assert_eq!(cpl(1, 2, 2), 0);
    }

    #[test]
    fn closest_orders_by_xor() {
        // Target 5 = 101: distances 0→5, 4→1, 6→3, 7→2.
        let s = bit(0) | bit(4) | bit(6) | bit(7);
        assert_eq!(closest(s, 5, 2), bit(4) | bit(7));
        assert_eq!(nearest(s, 5), Some(4));
        assert_eq!(closest(0, 5, 2), 0);
    }
}
