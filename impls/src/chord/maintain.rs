//! Ring maintenance: Zave's corrected protocol (TSE 2017), as
//! `shared/specs/chord.md` states it, with the remote reads made real
//! (`GetState` / `State`) and liveness learnt by timeouts.
//!
//! Each of the three steps is a local command that the conformance
//! harness calls one at a time; the periodic [`Timer::Tick`] calls them by
//! a fixed policy (rectify first, then stabilize), so the deployed node and
//! the tested node run the same code.

use super::id::{between, Peer};
use super::node::{Mutation, Node, NotEnabled, Out, Status, Wait};
use super::wire::Msg;

impl Node {
    /// StabilizeFromSuccessor: read the first successor's state.
    pub fn stabilize(&mut self, out: &mut Out) -> Result<(), NotEnabled> {
        self.ready()?;
        if let Some(st) = self.status {
            return Err(NotEnabled(format!("busy: {st:?}")));
        }
        let s1 = self.succ[0];
        self.request(
            s1.addr,
            Wait::StabSucc { s1 },
            |req| Msg::GetState { req },
            out,
        );
        Ok(())
    }

    /// StabilizeFromPredecessor: read the saved node's state.
    pub fn stabilize_pred(&mut self, out: &mut Out) -> Result<(), NotEnabled> {
        self.ready()?;
        let Some(Status::Stabilizing(p)) = self.status else {
            return Err(NotEnabled("not stabilizing".into()));
        };
        if !between(self.me.id, p.id, self.succ[0].id) {
            return Err(NotEnabled(
                "saved node no longer precedes the successor".into(),
            ));
        }
        self.request(
            p.addr,
            Wait::StabPred { p },
            |req| Msg::GetState { req },
            out,
        );
        Ok(())
    }

    /// Rectify: maybe adopt the node that asked, checking the current
    /// predecessor's liveness by a ping when that decides it.
    pub fn rectify(&mut self, out: &mut Out) -> Result<(), NotEnabled> {
        self.ready()?;
        let Some(Status::Rectifying(q)) = self.status else {
            return Err(NotEnabled("not told to rectify".into()));
        };
        self.status = None;
        match self.prdc {
            None => self.adopt_prdc(q, out),
            Some(p) if between(p.id, q.id, self.me.id) => self.adopt_prdc(q, out),
            // Keeping p or adopting q = p: the same state, no ping needed.
            Some(p) if p == q || p == self.me => {}
            Some(p) => self.request(
                p.addr,
                Wait::RectifyPing { prdc: p, q },
                |req| Msg::Ping { req },
                out,
            ),
        }
        Ok(())
    }

    fn ready(&self) -> Result<(), NotEnabled> {
        if !self.member {
            return Err(NotEnabled("not a member".into()));
        }
        if self.busy() {
            return Err(NotEnabled("a maintenance step is in progress".into()));
        }
        Ok(())
    }

    /// The periodic maintenance step: rectify if told to, then the due
    /// stabilization. Public so that drivers can run it on their own
    /// schedule (the conformance harness's random runs do).
    pub fn tick(&mut self, out: &mut Out) {
        if !self.member || self.busy() {
            return;
        }
        if matches!(self.status, Some(Status::Rectifying(_))) {
            let _ = self.rectify(out);
        }
        match self.status {
            Some(Status::Stabilizing(_)) => match self.stabilize_pred(out) {
                Ok(()) => {}
                // The saved node no longer fits: drop the step.
                Err(_) => self.status = None,
            },
            None => {
                let _ = self.stabilize(out);
            }
            Some(Status::Rectifying(_)) => {}
        }
    }

    /// A `Rectify` message: the status is overwritten, as in Zave's model
    /// (also when q is the node itself: a node whose list has collapsed
    /// onto itself tells itself, and the model records that).
    pub(super) fn told_to_rectify(&mut self, q: Peer, out: &mut Out) {
        if self.member {
            self.status = Some(Status::Rectifying(q));
            self.resume(out);
        }
    }

    /// With `eager` set, a step that is due runs as soon as the previous
    /// one ends (rectify on receipt, stabilize-from-predecessor right after
    /// stabilize-from-successor) rather than at the next tick: the same
    /// steps in a schedule the model contains, and no rectify request
    /// waits a whole period (where a later one could overwrite it).
    fn resume(&mut self, out: &mut Out) {
        if !self.cfg.eager || !self.member || self.busy() {
            return;
        }
        match self.status {
            Some(Status::Rectifying(_)) => {
                let _ = self.rectify(out);
            }
            Some(Status::Stabilizing(_)) => match self.stabilize_pred(out) {
                Ok(()) => {}
                // The saved node no longer fits: drop the step.
                Err(_) => self.status = None,
            },
            None => {}
        }
    }

    pub(super) fn stabilized_from_successor(
        &mut self,
        s1: Peer,
        prdc: Option<Peer>,
        list: Vec<Peer>,
        out: &mut Out,
    ) {
        if !self.member {
            return;
        }
        self.succ = self.chain(s1, &list);
        match prdc {
            Some(p) if between(self.me.id, p.id, s1.id) => {
                // A rectify request that arrived meanwhile wins, as if this
                // step had happened first and been overwritten.
                if self.status.is_none() {
                    self.status = Some(Status::Stabilizing(p));
                }
            }
            _ => {
                if self.cfg.mutation != Mutation::NoRectify {
                    self.send(s1.addr, Msg::Rectify { from: self.me }, out)
                }
            }
        }
        self.resume(out);
    }

    /// The first successor did not answer: drop it and tell the next one
    /// to rectify with us. The model pads the list with the identity after
    /// the last entry; a real node knows no such node, so the list is one
    /// shorter until the next stabilization refills it (the refinement
    /// mapping pads, see `overlay-conformance`).
    pub(super) fn successor_dead(&mut self, s1: Peer, out: &mut Out) {
        self.forget(s1);
        if !self.member || self.succ.first() != Some(&s1) {
            return;
        }
        self.succ.remove(0);
        if self.succ.is_empty() {
            // Every listed successor is dead: take the first node we know
            // of after the dead one (fingers, predecessor, ourselves), as
            // the model takes the identity after it.
            let known = self
                .fingers
                .distinct_desc()
                .chain(self.prdc)
                .chain([self.me]);
            let next = known
                .filter(|p| *p != s1)
                .min_by_key(|p| super::lookup::distance(s1.id, p.id))
                .expect("at least this node");
            self.succ.push(next);
        }
        // Even when the head is this node itself (the model tells it too).
        let head = self.succ[0];
        self.send(head.addr, Msg::Rectify { from: self.me }, out);
        self.resume(out);
    }

    /// `list` is `Some` when p answered, `None` when it timed out.
    pub(super) fn stabilized_from_predecessor(
        &mut self,
        p: Peer,
        list: Option<Vec<Peer>>,
        out: &mut Out,
    ) {
        if !self.member {
            return;
        }
        if self.status == Some(Status::Stabilizing(p)) {
            self.status = None;
        }
        match list {
            Some(list) => {
                self.succ = self.chain(p, &list);
                self.send(p.addr, Msg::Rectify { from: self.me }, out);
            }
            None => {
                self.forget(p);
                if self.cfg.mutation == Mutation::AdoptDeadPredecessor {
                    let old = self.succ.clone();
                    self.succ = self.chain(p, &old);
                }
                let head = self.succ[0];
                self.send(head.addr, Msg::Rectify { from: self.me }, out);
            }
        }
        self.resume(out);
    }

    /// The ping of the current predecessor ended.
    pub(super) fn rectified(&mut self, prdc: Peer, q: Peer, alive: bool, out: &mut Out) {
        if !self.member || self.prdc != Some(prdc) {
            return;
        }
        if !alive {
            self.forget(prdc);
            if self.cfg.mutation != Mutation::KeepDeadPredecessor {
                self.adopt_prdc(q, out);
            }
        }
        self.resume(out);
    }

    /// `x` followed by x's list, cut to r.
    fn chain(&self, x: Peer, list: &[Peer]) -> Vec<Peer> {
        std::iter::once(x)
            .chain(list.iter().copied())
            .take(self.cfg.succ_list)
            .collect()
    }

    /// Fix-fingers: refresh the next finger by a lookup of its start.
    pub(super) fn fix_next_finger(&mut self, out: &mut Out) {
        if !self.member {
            return;
        }
        let i = self.next_finger;
        self.next_finger = (i + 1) % super::id::BITS;
        self.start_lookup(
            self.me.id.add_pow2(i),
            super::lookup::Purpose::Finger(i),
            out,
        );
    }

    /// Liveness probe: ping one distinct finger per period, round robin; a
    /// silent one is forgotten so lookups stop paying its timeout.
    pub(super) fn probe_next_finger(&mut self, out: &mut Out) {
        let distinct: Vec<Peer> = self
            .fingers
            .distinct_desc()
            .filter(|p| *p != self.me)
            .collect();
        if distinct.is_empty() || !self.member {
            return;
        }
        let peer = distinct[self.next_probe % distinct.len()];
        self.next_probe = self.next_probe.wrapping_add(1);
        self.request(
            peer.addr,
            Wait::Probe { peer },
            |req| Msg::Ping { req },
            out,
        );
    }
}
