//! XOR translations: renaming every id x to x ⊕ c preserves the XOR
//! distance of every pair (a ⊕ c) ⊕ (b ⊕ c) = a ⊕ b, hence every common
//! prefix length (bucket indices), every "closer to the target" comparison
//! (targets and the key are translated too) and every event's precondition
//! and effect; and the properties, which are stated in those terms. They
//! are in fact the only maps that preserve the metric exactly (f(x) ⊕ f(y)
//! = x ⊕ y forces f(x) = x ⊕ f(0)).
//!
//! The model's nodes are the ids 0 … N−1, and a translation must map them
//! onto themselves: x ⊕ c < N for every x < N holds exactly when c < 2^t,
//! where 2^t is the largest power of two dividing N. So the group is
//! {x ↦ x ⊕ c : c < 2^t}: all 2^b translations when the nodes fill the id
//! space, none but the identity for odd N. (The larger group of the binary
//! trie's automorphisms — swapping the two halves of any subtree — also
//! preserves every comparison the protocol makes; we do not use it.)
//!
//! As in Chord, the initial state (n0 alone) is not closed under the group,
//! which does not matter for verdicts: the classes reached from the initial
//! class are exactly the classes of the reachable states.

use super::id::{elems, Node, Set};
use super::state::{pair_bit, pairs, Bucket, NodeState, State};

/// The translations that map nodes 0 … N−1 onto themselves.
pub fn group(nodes: usize) -> u8 {
    (1usize << nodes.trailing_zeros()).min(nodes) as u8
}

fn set(s: Set, c: u8) -> Set {
    elems(s).fold(0, |a, x| a | 1 << (x ^ c))
}

/// `s` with every id x renamed to x ⊕ c.
pub fn translate(s: &State, c: u8) -> State {
    let m = |x: Node| x ^ c;
    let mut t = *s;
    for (i, ns) in s.nodes.iter().enumerate() {
        let mut buckets = ns.buckets;
        for (b, src) in buckets.iter_mut().zip(ns.buckets.iter()) {
            *b = Bucket {
                entries: src.entries.iter().map(|&x| m(x)).collect(),
                cache: src.cache.iter().map(|&x| m(x)).collect(),
                ping: src.ping.map(m),
            };
        }
        t.nodes[i ^ c as usize] = NodeState { buckets, ..*ns };
    }
    t.lookup = s.lookup.map(|mut l| {
        l.origin = m(l.origin);
        l.target = m(l.target);
        l.seen = set(l.seen, c);
        l.queried = set(l.queried, c);
        l.answered = set(l.answered, c);
        l.timed_out = set(l.timed_out, c);
        l.best = l.best.map(m);
        l
    });
    t.outcome = s.outcome.map(|mut o| {
        o.origin = m(o.origin);
        o.target = m(o.target);
        o.result = set(o.result, c);
        o
    });
    t.key = s.key.map(m);
    t.stored_at = set(s.stored_at, c);
    t.observed = pairs(s.observed).fold(0, |acc, (x, y)| acc | pair_bit(m(x), m(y)));
    t
}

/// The least translation of `s` (nodes 0 … N−1: one entry per node).
pub fn canonical(s: &State) -> State {
    (1..group(s.nodes.len()))
        .map(|c| translate(s, c))
        .fold(*s, |best, x| best.min(x))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kademlia::overlay::build;
    use stateright::Model;

    #[test]
    fn the_group_keeps_the_nodes() {
        assert_eq!(group(4), 4);
        assert_eq!(group(8), 8);
        assert_eq!(group(6), 2);
        assert_eq!(group(5), 1);
        for n in 1..=8usize {
            for c in 0..group(n) {
                assert!((0..n).all(|x| (x ^ c as usize) < n), "{n} {c}");
            }
        }
    }

    #[test]
    fn translation_commutes_with_events_and_keeps_verdicts() {
        for variant in ["correct", "evict-without-ping", "alpha-termination"] {
            let m = build(variant, &vec![]).unwrap();
            for s in crate::kademlia::reachable(&m, 3000) {
                for c in 1..group(m.cfg.nodes) {
                    let t = translate(&s, c);
                    assert_eq!(translate(&t, c), s);
                    let mut a1 = Vec::new();
                    let mut a2 = Vec::new();
                    m.enabled(&s, false, &mut a1);
                    m.enabled(&t, false, &mut a2);
                    let mut next1: Vec<State> =
                        a1.iter().map(|&a| translate(&m.apply(&s, a), c)).collect();
                    let mut next2: Vec<State> = a2.iter().map(|&a| m.apply(&t, a)).collect();
                    next1.sort();
                    next2.sort();
                    assert_eq!(next1, next2, "{variant}: successors of a translation");
                    for prop in m.properties() {
                        assert_eq!(
                            (prop.condition)(&m, &s),
                            (prop.condition)(&m, &t),
                            "{variant} {}",
                            prop.name
                        );
                    }
                }
            }
        }
    }
}
