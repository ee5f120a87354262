//! The iterative node lookup (Maymounkov & Mazières §2.3; BEP 5 "find_node").
//!
//! The origin keeps every node it has heard of (`seen`); its shortlist is
//! the k closest of them to the target that have not timed out. A round
//! sends FIND_NODE to α shortlist nodes not yet queried; when every query
//! of the round has been answered or has timed out:
//!
//! * if the round brought a node closer than the closest seen before it,
//!   another round of α follows;
//! * otherwise the final round queries every shortlist node not yet
//!   queried, and repeats while answers bring new ones into the shortlist;
//! * the lookup ends when every node of the shortlist has answered, and
//!   returns the shortlist.
//!
//! `alpha-termination` ends as soon as a round brings nothing closer,
//! without the final round, and returns the shortlist as it stands.
//!
//! Rounds wait for all of their queries (the paper's description; real
//! clients also start new queries as answers arrive). A query's delivery
//! to a live node and the answer's return are one event (`reply q`): q
//! observes the origin, answers with the k closest contacts it knows to
//! the target other than the origin, and the origin observes q. A query to
//! a failed node times out (`timeout q`), and the origin drops q from its
//! table. FIND_VALUE (`get`) ends at the first answer from a node holding
//! the value.

use super::id::{bit, closest, dist, nearest, Id, Node, Set};
use super::state::{Lookup, Outcome, Phase, Purpose, State};
use super::table::{drop_contact, observe, Rules};
use super::{Mutation, Variant};

/// The shortlist: the k closest nodes heard of that have not timed out.
pub fn shortlist(l: &Lookup, k: usize) -> Set {
    closest(l.seen & !l.timed_out, l.target, k)
}

/// Rounds never exceed this: each one queries a node not queried before.
pub fn round_bound(nodes: usize) -> u8 {
    nodes.saturating_sub(1) as u8
}

/// `origin` begins a lookup (nothing else is in progress).
pub fn start(s: &mut State, r: &Rules, origin: Node, target: Id, purpose: Purpose) {
    // The origin has heard of every contact in its table.
    let seen = s.known(origin);
    let mut l = Lookup {
        origin,
        target,
        purpose,
        phase: Phase::Alpha,
        seen,
        clean: true,
        ..Lookup::default()
    };
    advance(s, r, &mut l);
}

/// Sends the next round or ends the lookup (no query is in flight).
fn advance(s: &mut State, r: &Rules, l: &mut Lookup) {
    debug_assert_eq!(l.in_flight(), 0);
    let short = shortlist(l, r.k);
    let now = nearest(l.seen & !l.timed_out, l.target);
    let unqueried = short & !l.queried;
    let improved = match (now, l.best) {
        (Some(n), Some(b)) => dist(n, l.target) < dist(b, l.target),
        (Some(_), None) => true,
        (None, _) => false,
    };
    let send = match l.phase {
        Phase::Alpha if l.rounds == 0 || improved => closest(unqueried, l.target, r.alpha),
        Phase::Alpha if r.mutation == Mutation::ReQuery => {
            // Negative control: ask the α closest again, round after round.
            let again = closest(short, l.target, r.alpha);
            l.answered &= !again;
            l.queried &= !again;
            again
        }
        Phase::Alpha if r.variant == Variant::AlphaTermination => 0,
        Phase::Alpha => {
            l.phase = Phase::Final;
            unqueried
        }
        Phase::Final => unqueried,
    };
    if send == 0 {
        finish(s, r, l, false);
        return;
    }
    l.best = now;
    l.queried |= send;
    l.rounds = l.rounds.saturating_add(1).min(round_bound(r.nodes) + 1);
    s.lookup = Some(*l);
}

/// Ends the lookup; a store then stores at the live nodes of the result.
fn finish(s: &mut State, r: &Rules, l: &Lookup, found: bool) {
    let result = if l.purpose == Purpose::Get {
        0
    } else {
        shortlist(l, r.k)
    };
    s.lookup = None;
    if l.purpose == Purpose::Store {
        // The origin stores too when it is among the k closest.
        let at = closest((result | bit(l.origin)) & s.live(), l.target, r.k);
        for y in super::id::elems(at) {
            s.node_mut(y).value = true;
            observe(s, r, y, l.origin);
        }
        s.stored_at = at;
    }
    s.outcome = Some(Outcome {
        origin: l.origin,
        target: l.target,
        purpose: l.purpose,
        result,
        clean: l.clean,
        found,
    });
}

/// q (live, queried) answers.
pub fn reply(s: &mut State, r: &Rules, q: Node) {
    let mut l = s.lookup.expect("a lookup in progress");
    observe(s, r, q, l.origin);
    l.answered |= bit(q);
    if l.purpose == Purpose::Get && s.node(q).value {
        observe(s, r, l.origin, q);
        finish(s, r, &l, true);
        return;
    }
    let answer = closest(s.known(q) & !bit(l.origin), l.target, r.k);
    l.seen |= answer;
    observe(s, r, l.origin, q);
    settle(s, r, l);
}

/// The query to q (failed) times out.
pub fn timeout(s: &mut State, r: &Rules, q: Node) {
    let mut l = s.lookup.expect("a lookup in progress");
    l.timed_out |= bit(q);
    drop_contact(s, r, l.origin, q);
    settle(s, r, l);
}

fn settle(s: &mut State, r: &Rules, mut l: Lookup) {
    if l.in_flight() == 0 {
        advance(s, r, &mut l);
    } else {
        s.lookup = Some(l);
    }
}

/// The result a Find lookup by `origin` for `target` would return if it ran
/// now with nothing else happening (answers in id order). Used by
/// Repairable; runs the real events on a copy.
pub fn would_find(s: &State, r: &Rules, origin: Node, target: Id) -> Set {
    let mut t = *s;
    t.lookup = None;
    start(&mut t, r, origin, target, Purpose::Find);
    // A lookup that keeps going past its bound (a negative control's)
    // finds nothing.
    let mut steps = 0;
    while let Some(l) = t.lookup {
        steps += 1;
        if steps > 4 * r.nodes * r.nodes {
            return Set::MAX;
        }
        let q = super::id::elems(l.in_flight())
            .next()
            .expect("an active lookup has a query in flight");
        if t.is_live(q) {
            reply(&mut t, r, q);
        } else {
            timeout(&mut t, r, q);
        }
    }
    t.outcome.map_or(0, |o| o.result)
}
