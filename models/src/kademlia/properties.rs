//! The named properties, as predicates over one state. All are `always`
//! properties; the module essay says how each is made one.

use super::id::{bit, closest, cpl, elems, has, Node, Set};
use super::lookup::round_bound;
use super::state::{Purpose, State};
use super::table::Rules;

/// The live nodes x can reach through routing tables (live contacts of
/// live nodes, transitively), x itself excluded.
pub fn reach(s: &State, x: Node) -> Set {
    let live = s.live();
    let mut seen: Set = 0;
    let mut todo = vec![x];
    while let Some(y) = todo.pop() {
        for z in elems(s.known(y) & live) {
            if !has(seen, z) && z != x {
                seen |= bit(z);
                todo.push(z);
            }
        }
    }
    seen
}

/// The k live nodes closest to `target` that x can reach.
pub fn k_closest_reachable(s: &State, r: &Rules, x: Node, target: u8) -> Set {
    closest(reach(s, x), target, r.k)
}

/// Every live node's buckets: entries in the bucket of their common prefix
/// length with the owner, never the owner, no duplicates, at most k; the
/// replacement cache likewise, disjoint from the entries, at most `cache`;
/// a pending ping names an entry; and every contact the last event
/// observed sits at the tail (most recently seen end) of its bucket or of
/// its replacement cache.
pub fn buckets_well_formed(s: &State, r: &Rules) -> bool {
    for x in s.ids().filter(|&x| s.is_live(x)) {
        let ns = s.node(x);
        if ns.buckets.len() != r.bits {
            return false;
        }
        for (i, b) in ns.buckets.iter().enumerate() {
            let mut seen: Set = 0;
            for &e in b.entries.iter().chain(b.cache.iter()) {
                if e == x || cpl(x, e, r.bits) != i || has(seen, e) {
                    return false;
                }
                seen |= bit(e);
            }
            if b.entries.len() > r.k || b.cache.len() > r.cache {
                return false;
            }
            if b.ping.is_some_and(|p| !b.entries.contains(&p)) {
                return false;
            }
        }
    }
    super::state::pairs(s.observed).all(|(x, y)| {
        if !s.is_live(x) {
            return true;
        }
        let b = &s.node(x).buckets[cpl(x, y, r.bits)];
        b.entries.last() == Some(&y) || b.cache.last() == Some(&y)
    })
}

/// No node ever dropped a live contact from a bucket (ghost `evicted_live`:
/// set when an entry leaves a bucket while its node is live).
pub fn live_nodes_never_evicted(s: &State) -> bool {
    !s.evicted_live
}

/// A lookup in progress has run at most N−1 rounds (each round queries a
/// node never queried before, so a correct lookup cannot run more) and
/// has a query in flight, whose delivery or timeout is always enabled.
pub fn lookup_terminates(s: &State, r: &Rules) -> bool {
    s.lookup
        .is_none_or(|l| l.rounds <= round_bound(r.nodes) && l.in_flight() != 0)
}

/// A lookup (not a get) that just ended without a failure since it began
/// returned exactly the k live nodes closest to its target among those
/// its origin can reach.
pub fn lookup_finds_closest(s: &State, r: &Rules) -> bool {
    match s.outcome {
        Some(o) if o.purpose != Purpose::Get && o.clean => {
            o.result == k_closest_reachable(s, r, o.origin, o.target)
        }
        _ => true,
    }
}

/// A get that just ended found the value, if a store completed before it
/// and its origin can reach a node the store put the value at (so some of
/// them is live: fewer than all, at most k, have failed).
pub fn stored_value_found(s: &State) -> bool {
    match s.outcome {
        Some(o) if o.purpose == Purpose::Get => o.found || s.stored_at & reach(s, o.origin) == 0,
        _ => true,
    }
}

/// Every live node's lookup for every id, run now with nothing else
/// happening, would return the k closest live nodes it can reach.
pub fn lookups_find_closest(s: &State, r: &Rules) -> bool {
    let ids = 1u16 << r.bits;
    s.ids().filter(|&x| s.is_live(x)).all(|x| {
        (0..ids).all(|t| {
            let t = t as u8;
            super::lookup::would_find(s, r, x, t) == k_closest_reachable(s, r, x, t)
        })
    })
}
