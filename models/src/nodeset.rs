//! Small sets of nodes as bits of a byte (bit i = n{i}), shared by the
//! models whose states hold node sets inline.

/// A node's index.
pub type Node = u8;

/// A set of nodes, bit i = n{i}.
pub type Set = u8;

pub fn bit(n: Node) -> Set {
    1 << n
}

pub fn has(set: Set, n: Node) -> bool {
    set & bit(n) != 0
}

/// The members of a set, in index order.
pub fn elems(set: Set) -> impl Iterator<Item = Node> {
    (0..8u8).filter(move |&i| has(set, i))
}

pub fn count(set: Set) -> usize {
    set.count_ones() as usize
}

/// `{n0, n2}`.
pub fn set_text(set: Set) -> String {
    let v: Vec<String> = elems(set).map(crate::chord::ring::name).collect();
    format!("{{{}}}", v.join(", "))
}
