//! Events of the protocol as published (`original`) and with Zave's two
//! "straightforward bug fixes" (`original-fixed`), after her Alloy model
//! `chordfull.als` (2010–2012). Preconditions are written once, in
//! [`check`], and return the reason an event is not enabled.

use super::action::Action;
use super::ring::{between, name, Node};
use super::state::{State, SuccList};

/// Why `a` cannot happen in `s`, or `Ok` when it can.
pub fn check(s: &State, fixed: bool, a: Action) -> Result<(), String> {
    let member = |n: Node| s.is_member(n);
    let need_member = |n: Node| {
        if member(n) {
            Ok(())
        } else {
            Err(why!("{} is not a member", name(n)))
        }
    };
    match a {
        Action::Join { j, via: m } => {
            if member(j) {
                return Err(why!("{} is already a member", name(j)));
            }
            need_member(m)?;
            let ms = s.node(m).succ[0];
            if !between(m, j, ms) {
                return Err(why!(
                    "{} is not between {} and its successor {}",
                    name(j),
                    name(m),
                    name(ms)
                ));
            }
            if fixed && !member(ms) {
                return Err(why!(
                    "{}'s successor {} is not a member (fixed Join)",
                    name(m),
                    name(ms)
                ));
            }
            Ok(())
        }
        Action::Stabilize(n) => {
            need_member(n)?;
            let succ = s.node(n).succ[0];
            if !member(succ) {
                return Err(why!(
                    "{}'s successor {} is not a member",
                    name(n),
                    name(succ)
                ));
            }
            if let Some(to) = s.notify[n as usize] {
                return Err(why!(
                    "{}'s notification to {} is still pending",
                    name(n),
                    name(to)
                ));
            }
            Ok(())
        }
        Action::Notified { n, from } => match s.notify[from as usize] {
            Some(to) if to == n => Ok(()),
            _ => Err(why!(
                "no notification from {} to {} is pending",
                name(from),
                name(n)
            )),
        },
        Action::Fail(n) => {
            need_member(n)?;
            // Zave quantifies over every node, n included: a lone node
            // (succ = itself, no succ2) cannot fail.
            for m in s.members() {
                let ms = s.node(m);
                if ms.succ1() == Some(n) && !ms.succ2().is_some_and(member) {
                    return Err(why!("{} would be left without a live successor", name(m)));
                }
                if ms.succ2() == Some(n) && !member(ms.succ[0]) {
                    return Err(why!("{} would be left without a live successor", name(m)));
                }
            }
            let ns = s.node(n);
            if ns.succ1() == ns.succ2() {
                return Err(why!("{}'s succ and succ2 are the same", name(n)));
            }
            Ok(())
        }
        Action::Flush(n) => {
            need_member(n)?;
            match s.node(n).prdc {
                Some(p) if !member(p) => Ok(()),
                Some(p) => Err(why!("{}'s predecessor {} is a member", name(n), name(p))),
                None => Err(why!("{} has no predecessor", name(n))),
            }
        }
        Action::Update(n) => {
            need_member(n)?;
            let ns = s.node(n);
            if member(ns.succ[0]) {
                return Err(why!(
                    "{}'s successor {} is a member",
                    name(n),
                    name(ns.succ[0])
                ));
            }
            if ns.succ2().is_none() {
                return Err(why!("{} has no succ2", name(n)));
            }
            Ok(())
        }
        Action::Reconcile(n) => {
            need_member(n)?;
            let succ = s.node(n).succ[0];
            if !member(succ) {
                return Err(why!(
                    "{}'s successor {} is not a member",
                    name(n),
                    name(succ)
                ));
            }
            let new2 = s.node(succ).succ[0];
            if Some(new2) == s.node(n).succ2() {
                return Err(why!("{}'s succ2 is already {}", name(n), name(new2)));
            }
            if new2 == succ && succ != n {
                return Err(why!(
                    "{}'s successor {} is its own successor",
                    name(n),
                    name(succ)
                ));
            }
            Ok(())
        }
        Action::StabilizePred(_) | Action::Rectify(_) => {
            Err(why!("this event belongs to the `correct` variant"))
        }
    }
}

/// Applies an enabled event.
pub fn apply(s: &mut State, fixed: bool, a: Action) {
    match a {
        Action::Join { j, via: m } => {
            let ms = s.node(m).succ[0];
            s.node_mut(j).succ = SuccList::from_iter([ms]);
        }
        Action::Stabilize(n) => {
            let succ = s.node(n).succ[0];
            if let Some(p) = s.node(succ).prdc {
                if between(n, p, succ) && (!fixed || s.is_member(p)) {
                    s.node_mut(n).succ[0] = p;
                }
            }
            s.notify[n as usize] = Some(s.node(n).succ[0]);
        }
        Action::Notified { n, from: p } => {
            s.notify[p as usize] = None;
            let ns = s.node(n);
            if ns.is_member() && ns.prdc.is_none_or(|q| between(q, p, n)) {
                s.node_mut(n).prdc = Some(p);
            }
        }
        Action::Fail(n) => {
            *s.node_mut(n) = Default::default();
        }
        Action::Flush(n) => s.node_mut(n).prdc = None,
        Action::Update(n) => {
            let s2 = s.node(n).succ[1];
            s.node_mut(n).succ = SuccList::from_iter([s2]);
        }
        Action::Reconcile(n) => {
            let new2 = s.node(s.node(n).succ[0]).succ[0];
            let list = &mut s.node_mut(n).succ;
            list.truncate(1);
            list.push(new2);
        }
        Action::StabilizePred(_) | Action::Rectify(_) => unreachable!("checked by `check`"),
    }
}

/// Every event that might be enabled, in a fixed order (the checker's paths
/// are indices into this order, so it must be deterministic).
pub fn candidates(s: &State, out: &mut Vec<Action>) {
    for j in s.ids() {
        for via in s.ids() {
            out.push(Action::Join { j, via });
        }
    }
    for n in s.ids() {
        out.push(Action::Stabilize(n));
    }
    for from in s.ids() {
        if let Some(n) = s.notify[from as usize] {
            out.push(Action::Notified { n, from });
        }
    }
    for n in s.ids() {
        out.extend([
            Action::Fail(n),
            Action::Flush(n),
            Action::Update(n),
            Action::Reconcile(n),
        ]);
    }
}
