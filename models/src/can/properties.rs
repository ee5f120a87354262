//! The properties of the CAN model, as predicates over states.

use super::routing::route;
use super::rules::Rules;
use super::state::{bit, elems, has, Node, Outcome, Set, State};
use super::zones::{abut, owner};

/// The nodes whose zones count in reality r: live members, and failed
/// nodes whose zones nobody has taken over yet.
fn holders(s: &State, r: usize) -> impl Iterator<Item = Node> + '_ {
    s.ids()
        .filter(move |&n| s.is_member(n, r) || s.is_orphan(n, r))
}

/// ZoneCoverage: in every reality, the zones of the live nodes and the
/// orphaned zones of failed nodes not yet taken over tile the torus:
/// pairwise disjoint, and together every cell. (So during a takeover the
/// failed node's zones still count, as the hole they are, and must not
/// overlap the taker's; once taken over they must be the taker's.)
pub fn zone_coverage(s: &State, rules: &Rules) -> bool {
    let all = if rules.space.cells() == 64 {
        u64::MAX
    } else {
        (1u64 << rules.space.cells()) - 1
    };
    (0..rules.realities).all(|r| {
        let mut seen = 0u64;
        for n in holders(s, r) {
            for z in s.slice(n, r).zones.iter() {
                let m = rules.space.mask(z);
                if m & seen != 0 {
                    return false;
                }
                seen |= m;
            }
        }
        seen == all
    })
}

/// ValidZones: every zone a live or orphaned node holds is a node of the
/// canonical partition tree.
pub fn valid_zones(s: &State, rules: &Rules) -> bool {
    (0..rules.realities)
        .all(|r| holders(s, r).all(|n| s.slice(n, r).zones.iter().all(|z| rules.space.is_valid(z))))
}

/// The live nodes whose zones abut n's in reality r.
pub fn true_neighbors(s: &State, rules: &Rules, r: usize, n: Node) -> Set {
    s.ids()
        .filter(|&m| s.is_member(m, r) && abut(s, rules, r, n, m))
        .fold(0, |acc, m| acc | bit(m))
}

/// Nothing is left for the repair machinery to do: no update in flight,
/// no zone awaiting takeover, nobody listing a node that is gone, no
/// expanding-ring search would find anyone, and a refresh by any node
/// would change no neighbour set.
pub fn settled(s: &State, rules: &Rules) -> bool {
    (0..rules.realities).all(|r| {
        s.ids().all(|n| {
            let sl = s.slice(n, r);
            sl.pending == 0
                && !s.is_orphan(n, r)
                && (!s.is_member(n, r)
                    || (elems(sl.nbrs).all(|m| !s.is_departed(m, r))
                        && (rules.variant == super::Variant::NoRingSearch
                            || !super::messages::search_finds(s, rules, r, n))
                        && elems(sl.nbrs)
                            .filter(|&m| s.is_member(m, r))
                            .all(|m| !super::messages::would_change(s, rules, r, n, m))))
        })
    })
}

/// NeighborSetsExact: once settled, every live node lists exactly the
/// live nodes whose zones abut its own.
pub fn neighbor_sets_exact(s: &State, rules: &Rules) -> bool {
    !settled(s, rules) || exact(s, rules)
}

pub fn exact(s: &State, rules: &Rules) -> bool {
    (0..rules.realities).all(|r| {
        s.ids()
            .filter(|&n| s.is_member(n, r))
            .all(|n| s.slice(n, r).nbrs == true_neighbors(s, rules, r, n))
    })
}

/// Greedy routing from every live node to every cell ends at the cell's
/// owner, within (live nodes − 1) hops (it cannot revisit a node: every
/// hop is strictly nearer).
pub fn routing_delivers(s: &State, rules: &Rules) -> bool {
    (0..rules.realities).all(|r| {
        let members: Vec<Node> = s.ids().filter(|&n| s.is_member(n, r)).collect();
        let bound = members.len().saturating_sub(1);
        members.iter().all(|&n| {
            rules
                .space
                .points()
                .all(|p| match route(s, rules, r, n, p) {
                    Ok((o, hops)) => Some(o) == owner(s, rules, r, p) && hops as usize <= bound,
                    Err(_) => false,
                })
        })
    })
}

/// GreedyRoutingDelivers: in a settled state, greedy routing from every
/// live node to every cell reaches its owner within (live nodes − 1)
/// hops; and a probe that started settled and saw no zone change on its
/// way was delivered, without coming back to a node.
pub fn greedy_routing_delivers(s: &State, rules: &Rules) -> bool {
    let probe_ok = match s.outcome {
        Some(Outcome::Stuck { calm, .. }) | Some(Outcome::Looped { calm }) => !calm,
        _ => true,
    };
    probe_ok && (!settled(s, rules) || routing_delivers(s, rules))
}

/// NoKeyLost: in every reality, every stored key is held by the live
/// owner of its point, unless a node holding it there failed (soft
/// state: the paper's holders re-put); so with R realities a key
/// survives while it was lost in fewer than R. A get that reached the
/// owner of a key not lost there found it.
pub fn no_key_lost(s: &State, rules: &Rules) -> bool {
    let held = (0..rules.realities).all(|r| {
        (0..rules.keys).all(|k| {
            let key = 1 << k;
            if s.stored & key == 0 || s.lost[r] & key != 0 {
                return true;
            }
            owner(s, rules, r, rules.key_point(k, r))
                .is_some_and(|o| s.is_live(o) && s.slice(o, r).keys & key != 0)
        })
    });
    let got = match s.outcome {
        Some(Outcome::Got {
            key,
            reality,
            found,
        }) => found || s.lost[reality as usize] & (1 << key) != 0,
        _ => true,
    };
    held && got
}

/// The goal of repair: a tiling by valid zones, one zone per live node,
/// settled with exact neighbour sets, and routing that delivers.
pub fn repaired(s: &State, rules: &Rules) -> bool {
    // Cheapest tests first: most states of a repair search fail them.
    (0..rules.realities).all(|r| {
        s.ids().all(|n| {
            let sl = s.slice(n, r);
            sl.pending == 0 && !s.is_orphan(n, r) && (!s.is_member(n, r) || sl.zones.len() == 1)
        })
    }) && zone_coverage(s, rules)
        && valid_zones(s, rules)
        && settled(s, rules)
        && exact(s, rules)
        && routing_delivers(s, rules)
}

/// Whether `n` lists `m` in reality r (for tests).
pub fn lists(s: &State, r: usize, n: Node, m: Node) -> bool {
    has(s.slice(n, r).nbrs, m)
}
