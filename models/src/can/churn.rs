//! Nodes arriving and going (§2.2, §2.3): join by splitting, graceful
//! leave (merge, or hand-off to the smallest neighbour), failure and
//! takeover, and background zone reassignment.

use super::grid::{Point, Zone};
use super::rules::Rules;
use super::state::{bit, elems, Node, State, Status};
use super::zones::{
    acquire, announce, cover, drop_messages_to, merged, move_keys, recompute, release, volume,
};
use super::{Mutation, Variant};
use crate::can::state::Set;

/// Node `j` takes the half of `o`'s zone holding `p` (reality r).
pub fn join(s: &mut State, rules: &Rules, r: usize, j: Node, o: Node, p: Point) {
    let z = *s
        .slice(o, r)
        .zones
        .iter()
        .find(|z| rules.space.contains(z, p))
        .expect("the owner holds the point");
    let (lo, hi) = rules
        .space
        .halves(&z)
        .expect("a join needs a zone that can split");
    let (mine, theirs) = if rules.space.contains(&lo, p) {
        (lo, hi)
    } else {
        (hi, lo)
    };
    let zones = &mut s.slice_mut(o, r).zones;
    let i = zones.iter().position(|x| *x == z).expect("owner's zone");
    zones[i] = theirs;
    s.slice_mut(o, r).set_cover(&rules.space);
    s.node_mut(j).status = Status::Live;
    s.slice_mut(j, r).zones.push(mine);
    s.slice_mut(j, r).set_cover(&rules.space);
    if rules.mutation != Mutation::SplitKeepsKeys {
        move_keys(s, rules, r, o, &mine, Some(j));
    }
    let old = s.slice(o, r).nbrs;
    recompute(s, rules, r, j, old | bit(o));
    recompute(s, rules, r, o, old | bit(j));
    announce(s, r, o, old);
    announce(s, r, j, 0);
    disturb(s);
}

/// Whether `z` can still be split by a join.
pub fn splittable(rules: &Rules, z: &Zone) -> bool {
    rules.space.halves(z).is_some()
}

/// Who receives zone `z` of leaving `x`: the neighbour holding its
/// sibling (they merge), else the live neighbour with the smallest
/// volume that abuts it (lower index on ties). `ragged-merge` first
/// looks for any neighbour whose zone forms a box with it.
pub fn heir(s: &State, rules: &Rules, r: usize, x: Node, z: &Zone) -> Option<Node> {
    let live: Vec<Node> = elems(s.slice(x, r).nbrs)
        .filter(|&m| s.is_member(m, r))
        .collect();
    let merges = live.iter().copied().find(|&m| {
        s.slice(m, r)
            .zones
            .iter()
            .any(|y| merged(rules, z, y).is_some())
    });
    if merges.is_some() {
        return merges;
    }
    live.into_iter()
        .filter(|&m| s.slice(m, r).zones.iter().any(|y| rules.space.abut(y, z)))
        .min_by_key(|&m| (volume(s, rules, r, m), m))
}

/// The hand-offs of a graceful leave of `x`: `(reality, zone, heir)` in
/// order, each heir chosen after the earlier hand-offs; or why `x` cannot
/// leave.
pub fn leave_plan(s: &State, rules: &Rules, x: Node) -> Result<Vec<(usize, Zone, Node)>, String> {
    let mut t = *s;
    let mut plan = Vec::new();
    for r in 0..rules.realities {
        if !t.is_member(x, r) {
            continue;
        }
        let zones = t.slice(x, r).zones;
        for z in zones.iter() {
            let y = heir(&t, rules, r, x, z).ok_or_else(|| {
                why!(
                    "{} knows no live neighbour to hand {} to{}",
                    crate::chord::ring::name(x),
                    rules.space.zone_text(z),
                    if rules.realities > 1 {
                        format!(" in r{r}")
                    } else {
                        String::new()
                    }
                )
            })?;
            hand_over(&mut t, rules, r, x, z, y);
            plan.push((r, *z, y));
        }
    }
    Ok(plan)
}

fn hand_over(s: &mut State, rules: &Rules, r: usize, x: Node, z: &Zone, y: Node) {
    acquire(s, rules, r, y, *z);
    move_keys(s, rules, r, x, z, Some(y));
    let known = s.slice(y, r).nbrs | s.slice(x, r).nbrs;
    recompute(s, rules, r, y, known & !bit(x));
    announce(s, r, y, s.slice(x, r).nbrs & !bit(x));
}

pub fn leave(s: &mut State, rules: &Rules, x: Node, plan: &[(usize, Zone, Node)]) {
    for &(r, z, y) in plan {
        hand_over(s, rules, r, x, &z, y);
    }
    for r in 0..rules.realities {
        s.slice_mut(x, r).pending = 0;
    }
    s.node_mut(x).status = Status::Left;
    drop_messages_to(s, x);
    lose_probe(s, x);
    disturb(s);
}

pub fn fail(s: &mut State, rules: &Rules, x: Node) {
    s.node_mut(x).status = Status::Failed;
    for r in 0..rules.realities {
        s.lost[r] |= s.slice(x, r).keys & s.stored;
    }
    drop_messages_to(s, x);
    lose_probe(s, x);
    disturb(s);
}

/// The live members of reality r that could take over failed `f`: those
/// that list it (they miss its refreshes). The paper's rule makes the one
/// with the smallest volume (lower index on ties) win: each starts a
/// timer proportional to its volume, and a TAKEOVER message from a
/// smaller node cancels the others' timers.
pub fn takeover_candidates(s: &State, rules: &Rules, r: usize, f: Node) -> Vec<Node> {
    let listers: Vec<Node> = s
        .ids()
        .filter(|&m| s.is_member(m, r) && super::state::has(s.slice(m, r).nbrs, f))
        .collect();
    match rules.variant {
        Variant::TakeoverRace => listers,
        _ => listers
            .into_iter()
            .min_by_key(|&m| (volume(s, rules, r, m), m))
            .into_iter()
            .collect(),
    }
}

pub fn takeover(s: &mut State, rules: &Rules, r: usize, n: Node, f: Node) {
    let zones = s.slice(f, r).zones;
    for z in zones.iter() {
        acquire(s, rules, r, n, *z);
    }
    s.slice_mut(f, r).claimed = true;
    let known = s.slice(n, r).nbrs | s.slice(f, r).nbrs;
    recompute(s, rules, r, n, known & !bit(f) & !bit(n));
    announce(s, r, n, s.slice(f, r).nbrs);
    disturb(s);
}

/// The plan of a background reassignment of `x`'s last-acquired zone A:
/// `(from, zone, to)` moves, carried out in order.
pub type Plan = Vec<(Node, Zone, Node)>;

/// How `x` gives back its extra zone A (the paper's zone reassignment):
/// if A's sibling is one zone, its owner takes A and they merge;
/// otherwise, in the sibling's subtree, the first pair of sibling leaf
/// zones Z1 (owner p), Z2 (owner q) in depth-first order (lower half
/// first): p takes Z2 and merges, and q, freed, takes A.
pub fn reassign_plan(s: &State, rules: &Rules, r: usize, x: Node) -> Result<Plan, String> {
    let sl = s.slice(x, r);
    if sl.zones.len() < 2 {
        return Err(why!("{} holds one zone", crate::chord::ring::name(x)));
    }
    let a = *sl.zones.last().expect("two zones");
    let sib = rules.space.sibling(&a).ok_or_else(|| {
        why!(
            "{} is not a zone of the partition tree",
            rules.space.zone_text(&a)
        )
    })?;
    let owner_of = |z: &Zone| -> Option<Node> {
        s.ids()
            .find(|&m| (s.is_member(m, r) || s.is_orphan(m, r)) && s.slice(m, r).zones.contains(z))
    };
    let inside = rules.space.mask(&sib);
    if s.ids()
        .any(|m| s.is_orphan(m, r) && cover(s, rules, r, m) & inside != 0)
    {
        return Err(why!(
            "part of {} awaits a takeover",
            rules.space.zone_text(&sib)
        ));
    }
    if let Some(y) = owner_of(&sib) {
        return Ok(vec![(x, a, y)]);
    }
    // Depth-first for the first node of the subtree whose halves are both
    // zones.
    let mut stack = vec![sib];
    while let Some(t) = stack.pop() {
        let Some((lo, hi)) = rules.space.halves(&t) else {
            continue;
        };
        match (owner_of(&lo), owner_of(&hi)) {
            // x lets go of A first: when x is p, Z2 must not merge into
            // a zone that still includes A.
            (Some(p), Some(q)) => return Ok(vec![(x, a, q), (q, hi, p)]),
            (lo_owner, hi_owner) => {
                if hi_owner.is_none() {
                    stack.push(hi);
                }
                if lo_owner.is_none() {
                    stack.push(lo);
                }
            }
        }
    }
    Err(why!(
        "no two sibling zones under {}",
        rules.space.zone_text(&sib)
    ))
}

pub fn reassign(s: &mut State, rules: &Rules, r: usize, plan: &Plan) {
    let mut involved: Set = 0;
    let mut known: Set = 0;
    for &(from, _, to) in plan {
        involved |= bit(from) | bit(to);
    }
    for m in elems(involved) {
        known |= s.slice(m, r).nbrs;
    }
    let old: Vec<(Node, Set)> = elems(involved).map(|m| (m, s.slice(m, r).nbrs)).collect();
    for &(from, z, to) in plan {
        release(s, rules, r, from, &z);
        move_keys(s, rules, r, from, &z, Some(to));
        acquire(s, rules, r, to, z);
    }
    for (m, before) in old {
        recompute(s, rules, r, m, (known | involved) & !bit(m));
        announce(s, r, m, before);
    }
    disturb(s);
}

/// A zone changed: a probe in flight no longer routes over a fixed map.
fn disturb(s: &mut State) {
    if let Some(rt) = s.route.as_mut() {
        rt.calm = false;
    }
}

/// The probe is lost with the node holding it.
fn lose_probe(s: &mut State, x: Node) {
    if s.route.is_some_and(|rt| rt.at == x) {
        s.route = None;
        s.outcome = Some(super::state::Outcome::Lost);
    }
}
