//! Which events are enabled, and what each does to the state.

use super::action::{Action, Cell};
use super::churn;
use super::messages;
use super::properties::settled;
use super::routing::route;
use super::rules::Rules;
use super::state::{elems, has, Node, Outcome, State, Status};
use super::{Mutation, Variant};
use crate::chord::ring::name;

fn member(s: &State, n: Node, r: usize) -> Result<(), String> {
    if s.is_member(n, r) {
        Ok(())
    } else {
        Err(why!(
            "{} holds no zone{}",
            name(n),
            if r > 0 {
                format!(" in r{r}")
            } else {
                String::new()
            }
        ))
    }
}

/// Ok when `a` is enabled in `s`; else why not (see `check::explain`).
pub fn check(s: &State, rules: &Rules, a: Action) -> Result<(), String> {
    let r = a.reality();
    match a {
        Action::Join { j, at, via, .. } => {
            match s.node(j).status {
                Status::Absent => {
                    let first = s.ids().find(|&m| s.node(m).status == Status::Absent);
                    if first != Some(j) {
                        return Err(why!(
                            "nodes join in index order: {} joins first",
                            name(first.unwrap_or(j))
                        ));
                    }
                }
                Status::Live if s.is_member(j, r) => {
                    return Err(why!("{} already holds a zone", name(j)))
                }
                Status::Live => {}
                Status::Failed | Status::Left => return Err(why!("{} is gone", name(j))),
            }
            member(s, via, r)?;
            let (o, _) = route(s, rules, r, via, at.p).map_err(|stuck| {
                why!(
                    "greedy routing from {} to {at} gets stuck at {}",
                    name(via),
                    name(stuck)
                )
            })?;
            let z = s
                .slice(o, r)
                .zones
                .iter()
                .find(|z| rules.space.contains(z, at.p))
                .expect("the owner holds the point");
            if churn::splittable(rules, z) {
                Ok(())
            } else {
                Err(why!(
                    "{}'s zone {} is a single cell",
                    name(o),
                    rules.space.zone_text(z)
                ))
            }
        }
        Action::Leave(x) => {
            if !s.is_live(x) {
                return Err(why!("{} is not live", name(x)));
            }
            if s.count(Status::Left) >= rules.leaves {
                return Err(why!("at most {} node(s) may leave in a run", rules.leaves));
            }
            churn::leave_plan(s, rules, x).map(|_| ())
        }
        Action::Fail(x) => {
            if !s.is_live(x) {
                return Err(why!("{} is not live", name(x)));
            }
            if s.count(Status::Failed) >= rules.failures {
                return Err(why!("at most {} node(s) may fail in a run", rules.failures));
            }
            // The model keeps every coordinate space alive: a space whose
            // last member fails has no one left to take it over.
            for r in 0..rules.realities {
                if s.is_member(x, r) && !s.ids().any(|m| m != x && s.is_member(m, r)) {
                    return Err(why!(
                        "{} is the last live node{}",
                        name(x),
                        if r > 0 {
                            format!(" of r{r}")
                        } else {
                            String::new()
                        }
                    ));
                }
            }
            Ok(())
        }
        Action::Takeover { n, of, .. } => {
            member(s, n, r)?;
            let claimable = match rules.variant {
                Variant::TakeoverRace => {
                    s.node(of).status == Status::Failed && !s.slice(of, r).zones.is_empty()
                }
                _ => s.is_orphan(of, r),
            };
            if !claimable {
                return Err(why!("{} has no zone awaiting a takeover", name(of)));
            }
            if churn::takeover_candidates(s, rules, r, of).contains(&n) {
                Ok(())
            } else if !has(s.slice(n, r).nbrs, of) {
                Err(why!(
                    "{} does not list {} as a neighbour",
                    name(n),
                    name(of)
                ))
            } else {
                Err(why!(
                    "a neighbour of {} with a smaller zone takes it over",
                    name(of)
                ))
            }
        }
        Action::Expire { n, of, .. } => {
            member(s, n, r)?;
            if !has(s.slice(n, r).nbrs, of) {
                return Err(why!("{} does not list {}", name(n), name(of)));
            }
            if s.is_departed(of, r) {
                Ok(())
            } else {
                Err(why!("{} is not gone", name(of)))
            }
        }
        Action::Reassign { n, .. } => {
            member(s, n, r)?;
            if rules.mutation == Mutation::NoReassign {
                return Err(why!("reassignment is switched off"));
            }
            churn::reassign_plan(s, rules, r, n).map(|_| ())
        }
        Action::Search { n, .. } => {
            member(s, n, r)?;
            if rules.variant == Variant::NoRingSearch {
                return Err(why!("this variant has no expanding-ring search"));
            }
            if messages::search_finds(s, rules, r, n) {
                Ok(())
            } else {
                Err(why!(
                    "{}'s neighbours account for every cell along its faces",
                    name(n)
                ))
            }
        }
        Action::Refresh { n, .. } => {
            member(s, n, r)?;
            if s.slice(n, r).pending != 0 {
                return Err(why!("{}'s last update is still in flight", name(n)));
            }
            if elems(s.slice(n, r).nbrs).any(|m| s.is_member(m, r)) {
                Ok(())
            } else {
                Err(why!("{} lists no live neighbour", name(n)))
            }
        }
        Action::Update { from, to, .. } => {
            if has(s.slice(from, r).pending, to) {
                Ok(())
            } else {
                Err(why!(
                    "no update from {} to {} is in flight",
                    name(from),
                    name(to)
                ))
            }
        }
        Action::Put { key, via } => {
            if s.stored & (1 << key) != 0 {
                return Err(why!("k{key} is stored already"));
            }
            for r in 0..rules.realities {
                member(s, via, r)?;
                route(s, rules, r, via, rules.key_point(key as usize, r))
                    .map_err(|at| why!("routing k{key} gets stuck at {}", name(at)))?;
            }
            Ok(())
        }
        Action::Get { key, via, .. } => {
            if !rules.gets {
                return Err(why!("gets are off (-p gets=1)"));
            }
            if s.stored & (1 << key) == 0 {
                return Err(why!("k{key} was never put"));
            }
            member(s, via, r)?;
            route(s, rules, r, via, rules.key_point(key as usize, r))
                .map(|_| ())
                .map_err(|at| why!("routing k{key} gets stuck at {}", name(at)))
        }
        Action::Route { from, .. } => {
            if s.route.is_some() {
                return Err(why!("a probe is in flight"));
            }
            if s.probes as usize >= rules.probes {
                return Err(why!(
                    "at most {} probe(s) in a run (-p probes=N)",
                    rules.probes
                ));
            }
            member(s, from, r)
        }
        Action::Forward => {
            if s.route.is_some() {
                Ok(())
            } else {
                Err(why!("no probe is in flight"))
            }
        }
    }
}

/// Carries out an enabled action.
pub fn apply(s: &mut State, rules: &Rules, a: Action) {
    s.outcome = None;
    let r = a.reality();
    match a {
        Action::Join { j, at, via, .. } => {
            let (o, _) = route(s, rules, r, via, at.p).expect("join is enabled");
            churn::join(s, rules, r, j, o, at.p);
        }
        Action::Leave(x) => {
            let plan = churn::leave_plan(s, rules, x).expect("leave is enabled");
            churn::leave(s, rules, x, &plan);
        }
        Action::Fail(x) => churn::fail(s, rules, x),
        Action::Takeover { n, of, .. } => churn::takeover(s, rules, r, n, of),
        Action::Expire { n, of, .. } => s.slice_mut(n, r).nbrs &= !(1 << of),
        Action::Reassign { n, .. } => {
            let plan = churn::reassign_plan(s, rules, r, n).expect("reassign is enabled");
            churn::reassign(s, rules, r, &plan);
        }
        Action::Search { n, .. } => messages::search(s, rules, r, n),
        Action::Refresh { n, .. } => super::zones::announce(s, r, n, 0),
        Action::Update { from, to, .. } => messages::deliver(s, rules, r, from, to),
        Action::Put { key, via } => {
            for r in 0..rules.realities {
                let p = rules.key_point(key as usize, r);
                let (o, _) = route(s, rules, r, via, p).expect("put is enabled");
                s.slice_mut(o, r).keys |= 1 << key;
            }
            s.stored |= 1 << key;
        }
        Action::Get { key, via, .. } => {
            let p = rules.key_point(key as usize, r);
            let (o, _) = route(s, rules, r, via, p).expect("get is enabled");
            s.outcome = Some(Outcome::Got {
                key,
                reality: r as u8,
                found: s.slice(o, r).keys & (1 << key) != 0,
            });
        }
        Action::Route { from, to, .. } => {
            let calm = settled(s, rules);
            messages::start_probe(s, r, from, to.p, calm);
        }
        Action::Forward => messages::forward(s, rules),
    }
}

/// Every action that may be enabled in `s` (each still to be checked).
pub fn candidates(s: &State, rules: &Rules, out: &mut Vec<Action>) {
    let dims = rules.space.dims as u8;
    let cell = |p| Cell { p, dims };
    for r in 0..rules.realities {
        let rr = r as u8;
        let joiners = s
            .ids()
            .filter(|&m| s.node(m).status == Status::Live && !s.is_member(m, r))
            .chain(s.ids().find(|&m| s.node(m).status == Status::Absent));
        let members: Vec<Node> = s.ids().filter(|&m| s.is_member(m, r)).collect();
        for j in joiners {
            for &via in &members {
                // One point per half of every zone: every point of a half
                // gives the same next state, so the first one greedy
                // routing from `via` reaches stands for all of them.
                for &o in &members {
                    for z in s.slice(o, r).zones.iter() {
                        let Some((lo, hi)) = rules.space.halves(z) else {
                            continue;
                        };
                        for half in [lo, hi] {
                            let p = rules
                                .space
                                .points()
                                .filter(|&p| rules.space.contains(&half, p))
                                .find(|&p| route(s, rules, r, via, p).is_ok_and(|(w, _)| w == o));
                            if let Some(p) = p {
                                out.push(Action::Join {
                                    j,
                                    at: cell(p),
                                    via,
                                    reality: rr,
                                });
                            }
                        }
                    }
                }
            }
        }
        for &n in &members {
            for of in s.ids() {
                if s.node(of).status == Status::Failed {
                    out.push(Action::Takeover { n, of, reality: rr });
                }
                if has(s.slice(n, r).nbrs, of) && s.is_departed(of, r) {
                    out.push(Action::Expire { n, of, reality: rr });
                }
            }
            if s.slice(n, r).zones.len() > 1 {
                out.push(Action::Reassign { n, reality: rr });
            }
            out.push(Action::Search { n, reality: rr });
            out.push(Action::Refresh { n, reality: rr });
            if rules.gets {
                for key in 0..rules.keys as u8 {
                    out.push(Action::Get {
                        key,
                        via: n,
                        reality: rr,
                    });
                }
            }
            if s.route.is_none() && (s.probes as usize) < rules.probes {
                for p in rules.space.points() {
                    out.push(Action::Route {
                        from: n,
                        to: cell(p),
                        reality: rr,
                    });
                }
            }
        }
        for from in s.ids() {
            for to in elems(s.slice(from, r).pending) {
                out.push(Action::Update {
                    from,
                    to,
                    reality: rr,
                });
            }
        }
    }
    for x in s.ids().filter(|&x| s.is_live(x)) {
        out.push(Action::Leave(x));
        out.push(Action::Fail(x));
        for key in 0..rules.keys as u8 {
            out.push(Action::Put { key, via: x });
        }
    }
    if s.route.is_some() {
        out.push(Action::Forward);
    }
}
