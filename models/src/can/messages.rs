//! Neighbour maintenance (§2.2): updates, periodic refreshes, dropping
//! departed neighbours, and the probe message routed hop by hop.
//!
//! An update carries its sender's zones and neighbour list; the model
//! reads them when it is delivered, which is the content of the latest
//! update the sender sent (an update only ever supersedes an earlier
//! one). A receiver m of an update from n:
//!
//! 1. lists n if n abuts it, and otherwise drops n, answering with its
//!    own update when n listed m, so that n drops m too (without that
//!    answer an entry that no longer abuts outlives every refresh);
//! 2. lists every node of n's list that abuts it, and sends its own
//!    update to each newly listed one (the introduction is mutual);
//! 3. drops every node it lists that is gone (left, or failed and taken
//!    over) and whose former zones n now holds: n tells it who took them.

use super::routing::{next, Next};
use super::rules::Rules;
use super::state::{bit, elems, has, Node, Outcome, Route, Set, State};
use super::zones::{abut, cover};
use super::Mutation;

pub fn deliver(s: &mut State, rules: &Rules, r: usize, from: Node, to: Node) {
    s.slice_mut(from, r).pending &= !bit(to);
    if !s.is_member(to, r) {
        return;
    }
    let (nbrs, answer) = receive(s, rules, r, from, to);
    let sl = s.slice_mut(to, r);
    sl.nbrs = nbrs;
    sl.pending |= answer;
}

/// What `to` makes of an update from `from`: its new neighbour set and
/// the nodes it answers.
fn receive(s: &State, rules: &Rules, r: usize, from: Node, to: Node) -> (Set, Set) {
    let mut nbrs = s.slice(to, r).nbrs;
    let mut answer = 0;
    if abut(s, rules, r, to, from) {
        if !has(nbrs, from) {
            nbrs |= bit(from);
            if s.is_live(from) {
                answer |= bit(from);
            }
        }
    } else {
        nbrs &= !bit(from);
        if has(s.slice(from, r).nbrs, to)
            && s.is_live(from)
            && rules.mutation != Mutation::NoCorrection
        {
            answer |= bit(from);
        }
    }
    if rules.mutation != Mutation::UpdateWithoutList {
        for z in elems(s.slice(from, r).nbrs) {
            let usable = s.is_member(z, r) || s.is_orphan(z, r);
            if z != to && usable && !has(nbrs, z) && abut(s, rules, r, to, z) {
                nbrs |= bit(z);
                if s.is_live(z) {
                    answer |= bit(z);
                }
            }
        }
    }
    let heir = cover(s, rules, r, from);
    for x in elems(nbrs) {
        if s.is_departed(x, r) && cover(s, rules, r, x) & heir != 0 {
            nbrs &= !bit(x);
        }
    }
    (nbrs, answer)
}

/// Whether delivering an update from `from` to `to` now would change
/// anything (a neighbour set, or an answer to send).
pub fn would_change(s: &State, rules: &Rules, r: usize, from: Node, to: Node) -> bool {
    let (nbrs, answer) = receive(s, rules, r, from, to);
    let sl = s.slice(to, r);
    nbrs != sl.nbrs || answer & !sl.pending != 0
}

/// A probe starts at `from` towards cell `p`.
pub fn start_probe(s: &mut State, r: usize, from: Node, p: super::grid::Point, calm: bool) {
    s.probes += 1;
    s.route = Some(Route {
        reality: r as u8,
        from,
        at: from,
        point: p,
        hops: 0,
        visited: bit(from),
        calm,
    });
}

/// The probe's holder delivers it or forwards it one hop. A probe that
/// would come back to a node it visited ends there (looped).
pub fn forward(s: &mut State, rules: &Rules) {
    let mut rt = s.route.expect("a probe is in flight");
    let r = rt.reality as usize;
    match next(s, rules, r, rt.at, rt.point) {
        Next::Owner => {
            s.route = None;
            s.outcome = Some(Outcome::Delivered {
                hops: rt.hops,
                calm: rt.calm,
            });
        }
        Next::Stuck => {
            s.route = None;
            s.outcome = Some(Outcome::Stuck {
                at: rt.at,
                calm: rt.calm,
            });
        }
        Next::Hop(m) => {
            if has(rt.visited, m) {
                s.route = None;
                s.outcome = Some(Outcome::Looped { calm: rt.calm });
                return;
            }
            rt.at = m;
            rt.hops += 1;
            rt.visited |= bit(m);
            s.route = Some(rt);
        }
    }
}

/// The cells along `n`'s faces (outside its zones, one step across a
/// face) that no zone of a neighbour it lists covers: where a neighbour
/// is missing from its set.
pub fn unaccounted(s: &State, rules: &Rules, r: usize, n: Node) -> u64 {
    let sp = rules.space;
    let mine = cover(s, rules, r, n);
    let mut rim = 0u64;
    for i in 0..sp.dims {
        rim |= sp.shift(mine, i, true) | sp.shift(mine, i, false);
    }
    rim &= !mine;
    let known = elems(s.slice(n, r).nbrs)
        .filter(|&m| s.is_member(m, r) || s.is_orphan(m, r))
        .fold(0, |acc, m| acc | cover(s, rules, r, m));
    rim & !known
}

/// The expanding-ring search: `n` finds the live owners of the cells it
/// cannot account for, lists them and sends them its update.
pub fn search(s: &mut State, rules: &Rules, r: usize, n: Node) {
    let missing = unaccounted(s, rules, r, n);
    let found = s
        .ids()
        .filter(|&m| m != n && s.is_member(m, r) && cover(s, rules, r, m) & missing != 0)
        .fold(0, |acc, m| acc | bit(m));
    let sl = s.slice_mut(n, r);
    sl.nbrs |= found;
    sl.pending |= found;
}

/// Whether a search by `n` would find anyone.
pub fn search_finds(s: &State, rules: &Rules, r: usize, n: Node) -> bool {
    let missing = unaccounted(s, rules, r, n);
    missing != 0
        && s.ids()
            .any(|m| m != n && s.is_member(m, r) && cover(s, rules, r, m) & missing != 0)
}
