//! Who owns what: zone ownership, acquiring a zone (with the merges the
//! variant allows), neighbour sets recomputed from what a node knows, and
//! sending updates.

use super::grid::{Point, Zone};
use super::rules::Rules;
use super::state::{bit, elems, has, Keys, Node, Set, State};
use super::Variant;

/// The node whose zone (live, or orphaned by a failure) contains `p`.
pub fn owner(s: &State, rules: &Rules, r: usize, p: Point) -> Option<Node> {
    let cell = 1u64 << rules.space.index(p);
    s.ids()
        .find(|&n| (s.is_member(n, r) || s.is_orphan(n, r)) && s.slice(n, r).cover & cell != 0)
}

/// Whether some zone of `a` abuts some zone of `b` (a ≠ b).
pub fn abut(s: &State, rules: &Rules, r: usize, a: Node, b: Node) -> bool {
    a != b
        && s.slice(a, r).zones.iter().any(|za| {
            s.slice(b, r)
                .zones
                .iter()
                .any(|zb| rules.space.abut(za, zb))
        })
}

/// A node's total volume in reality r.
pub fn volume(s: &State, rules: &Rules, r: usize, n: Node) -> u32 {
    s.slice(n, r)
        .zones
        .iter()
        .map(|z| rules.space.volume(z))
        .sum()
}

/// The cells a node's zones cover.
pub fn cover(s: &State, _rules: &Rules, r: usize, n: Node) -> u64 {
    s.slice(n, r).cover
}

/// Whether two zones may merge into one: siblings of the partition tree
/// (the paper's rule), or any two whose union is a box (`ragged-merge`).
pub fn merged(rules: &Rules, a: &Zone, b: &Zone) -> Option<Zone> {
    match rules.variant {
        Variant::RaggedMerge => rules.space.union_box(a, b),
        _ => (rules.space.sibling(a) == Some(*b))
            .then(|| rules.space.parent(a))
            .flatten(),
    }
}

/// `n` takes zone `z` in reality r, merging while it can.
pub fn acquire(s: &mut State, rules: &Rules, r: usize, n: Node, z: Zone) {
    let zones = &mut s.slice_mut(n, r).zones;
    zones.push(z);
    'merge: loop {
        for i in 0..zones.len() {
            for j in i + 1..zones.len() {
                if let Some(u) = merged(rules, &zones[i], &zones[j]) {
                    zones[i] = u;
                    zones.remove(j);
                    continue 'merge;
                }
            }
        }
        break;
    }
    s.slice_mut(n, r).set_cover(&rules.space);
}

/// Drops zone `z` from `n`'s zones.
pub fn release(s: &mut State, rules: &Rules, r: usize, n: Node, z: &Zone) {
    let sl = s.slice_mut(n, r);
    if let Some(i) = sl.zones.iter().position(|x| x == z) {
        sl.zones.remove(i);
    }
    sl.set_cover(&rules.space);
}

/// Moves the keys among `n`'s whose point (in reality r) lies in `z` to
/// `to` (or drops them when `to` is `None`).
pub fn move_keys(s: &mut State, rules: &Rules, r: usize, n: Node, z: &Zone, to: Option<Node>) {
    let inside: Keys = (0..rules.keys)
        .filter(|&k| rules.space.contains(z, rules.key_point(k, r)))
        .fold(0, |m, k| m | 1 << k);
    let moving = s.slice(n, r).keys & inside;
    s.slice_mut(n, r).keys &= !moving;
    if let Some(t) = to {
        s.slice_mut(t, r).keys |= moving;
    }
}

/// `n`'s neighbour set, recomputed from the nodes in `known`: those (live,
/// or failed without `n` knowing it) whose zones abut one of its own.
pub fn recompute(s: &mut State, rules: &Rules, r: usize, n: Node, known: Set) {
    let nbrs = elems(known)
        .filter(|&m| (s.is_member(m, r) || s.is_orphan(m, r)) && abut(s, rules, r, n, m))
        .fold(0, |acc, m| acc | bit(m));
    s.slice_mut(n, r).nbrs = nbrs;
}

/// `n` sends its update (zones and neighbour list) to its neighbours and
/// to `also`; only live members can receive one.
pub fn announce(s: &mut State, r: usize, n: Node, also: Set) {
    let to = (s.slice(n, r).nbrs | also) & !bit(n);
    let live = elems(to)
        .filter(|&m| s.is_member(m, r))
        .fold(0, |acc, m| acc | bit(m));
    s.slice_mut(n, r).pending |= live;
}

/// A message to `n` is lost: nothing in flight reaches it any more.
pub fn drop_messages_to(s: &mut State, n: Node) {
    for i in 0..s.nodes.len() {
        for sl in s.nodes[i].r.iter_mut() {
            sl.pending &= !bit(n);
        }
    }
}

/// The live members of reality r that list `x` as a neighbour.
pub fn listers(s: &State, r: usize, x: Node) -> Set {
    s.ids()
        .filter(|&m| s.is_member(m, r) && has(s.slice(m, r).nbrs, x))
        .fold(0, |acc, m| acc | bit(m))
}
