//! Failure and takeover (§2.3).
//!
//! A neighbour silent for `dead_after` is presumed failed. Every node that
//! had it as a neighbour starts a timer proportional to its own volume;
//! when the timer fires it sends TAKEOVER(failed, its volume) to the
//! failed node's neighbours, as the failed node's last UPDATE listed
//! them, and to the suspect itself: one that is alive after all (its
//! UPDATEs stopped reaching us because its table lost us) answers with
//! its UPDATE, which cancels the takeover; without that a live node's
//! zone could be taken over. A node receiving a TAKEOVER drops out if the sender's volume is
//! smaller (ties: the lower address) and otherwise answers with its own.
//! A claimant that has heard no better claim `claim_ms` after sending its
//! own takes the failed node's zones — merging any with a sibling it
//! holds — and sends UPDATEs to the failed node's neighbours and its own.
//! The keys of those zones are lost: CAN's data is soft state that its
//! holders re-put (§2.3, "the (key, value) pairs … are lost").
//!
//! Before claiming and again before taking, the parts of the failed
//! node's zones that live neighbours (or we) already hold are left out:
//! the failed node may have handed a zone over just before it died, and a
//! slower claimant may hear the winner's UPDATE before its own timer.

use std::net::SocketAddr;

use super::node::{Event, Node, Out, Status, Timer};
use super::volume::Volume;
use super::wire::Msg;
use super::zone::{merge_all, subtract, Zone};
use crate::runtime::Millis;

/// Where a takeover of one failed neighbour stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Our timer is running.
    Waiting,
    /// We sent TAKEOVER with this volume and wait for better claims.
    Claimed(Volume),
    /// A better claim arrived.
    Lost,
    /// We took the zones over, claiming this volume (kept for a while to
    /// answer late claims).
    Done(Volume),
}

/// A takeover of one failed neighbour.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Takeover {
    /// Its zones and neighbours, from its last UPDATE.
    pub zones: Vec<Zone>,
    pub list: Vec<SocketAddr>,
    pub phase: Phase,
    pub since: Millis,
}

impl Takeover {
    pub fn is_done(&self) -> bool {
        matches!(self.phase, Phase::Done(_))
    }
}

impl Node {
    /// `f` is presumed failed: mark it dead and start our takeover timer.
    pub(super) fn suspect(&mut self, now: Millis, reality: usize, f: SocketAddr, out: &mut Out) {
        let r = &mut self.realities[reality];
        r.nbrs.mark_dead(&f);
        if self.status != Status::Member || r.takeovers.contains_key(&f) {
            return;
        }
        let Some(n) = r.nbrs.get(&f) else { return };
        let t = Takeover {
            zones: n.zones.clone(),
            list: n.list.clone(),
            phase: Phase::Waiting,
            since: now,
        };
        r.takeovers.insert(f, t);
        let delay = 1 + r.volume().scale(self.cfg.takeover_ms);
        out.timer(
            delay,
            Timer::TakeoverFire {
                reality: reality as u8,
                failed: f,
            },
        );
    }

    /// The parts of `zones` that neither we nor a live neighbour hold.
    fn unclaimed(&self, reality: usize, zones: &[Zone]) -> Vec<Zone> {
        let r = &self.realities[reality];
        let cover: Vec<Zone> = r
            .zones
            .iter()
            .chain(r.nbrs.alive().flat_map(|(_, n)| n.zones.iter()))
            .copied()
            .collect();
        zones.iter().flat_map(|z| subtract(*z, &cover)).collect()
    }

    pub(super) fn takeover_fire(
        &mut self,
        now: Millis,
        reality: usize,
        f: SocketAddr,
        out: &mut Out,
    ) {
        let Some(t) = self.realities[reality].takeovers.get(&f) else {
            return;
        };
        if t.phase != Phase::Waiting {
            return;
        }
        if self.unclaimed(reality, &t.zones.clone()).is_empty() {
            let r = &mut self.realities[reality];
            r.takeovers.remove(&f);
            r.nbrs.forget(f, now);
            return;
        }
        self.claim(reality, f, out);
    }

    fn claim(&mut self, reality: usize, f: SocketAddr, out: &mut Out) {
        let me = self.addr;
        let r = &mut self.realities[reality];
        let volume = r.volume();
        let Some(t) = r.takeovers.get_mut(&f) else {
            return;
        };
        t.phase = Phase::Claimed(volume);
        let to: Vec<SocketAddr> = t
            .list
            .iter()
            .copied()
            .filter(|a| *a != me && *a != f)
            .chain([f])
            .collect();
        let msg = Msg::Takeover {
            reality: reality as u8,
            failed: f,
            volume,
        };
        for a in to {
            self.send(a, msg.clone(), out);
        }
        out.timer(
            self.cfg.claim_ms,
            Timer::TakeoverDecide {
                reality: reality as u8,
                failed: f,
            },
        );
    }

    /// Another node claims `f`'s zones with `volume`.
    pub(super) fn on_takeover(
        &mut self,
        now: Millis,
        from: SocketAddr,
        reality: usize,
        f: SocketAddr,
        volume: Volume,
        out: &mut Out,
    ) {
        if !self.realities[reality].joined() {
            return;
        }
        if f == self.addr {
            // We are not dead: say so.
            return self.send_updates(reality, [from], out);
        }
        if !self.realities[reality].takeovers.contains_key(&f) {
            if self.realities[reality].nbrs.get(&f).is_none() {
                return self.stats.unexpected += 1;
            }
            self.suspect(now, reality, f, out);
        }
        let me = self.addr;
        let compare = self.cfg.mutation != super::node::Mutation::TakeoverWithoutVolume;
        let r = &mut self.realities[reality];
        let own = r.volume();
        let Some(t) = r.takeovers.get_mut(&f) else {
            return;
        };
        let mine = match t.phase {
            Phase::Claimed(v) | Phase::Done(v) => v,
            Phase::Waiting | Phase::Lost => own,
        };
        if compare && (volume, from) < (mine, me) {
            if matches!(t.phase, Phase::Waiting | Phase::Claimed(_)) {
                t.phase = Phase::Lost;
            }
        } else if t.phase != Phase::Lost {
            let msg = Msg::Takeover {
                reality: reality as u8,
                failed: f,
                volume: mine,
            };
            self.send(from, msg, out);
        }
    }

    /// No better claim arrived: take the failed node's zones.
    pub(super) fn takeover_decide(
        &mut self,
        now: Millis,
        reality: usize,
        f: SocketAddr,
        out: &mut Out,
    ) {
        let Some(t) = self.realities[reality].takeovers.get(&f).cloned() else {
            return;
        };
        let Phase::Claimed(volume) = t.phase else {
            return;
        };
        let parts = self.unclaimed(reality, &t.zones);
        let r = &mut self.realities[reality];
        r.nbrs.forget(f, now);
        let before = r.nbrs.addrs();
        if !parts.is_empty() {
            r.zones.extend(parts.iter().copied());
            merge_all(&mut r.zones);
            r.changed();
        }
        if let Some(t) = r.takeovers.get_mut(&f) {
            t.phase = Phase::Done(volume);
            t.since = now;
        }
        self.stats.takeovers += 1;
        out.event(Event::TookOver {
            reality: reality as u8,
            failed: f,
            zones: parts,
        });
        let to = before
            .into_iter()
            .chain(t.list.iter().copied().filter(|a| *a != f));
        self.send_updates(reality, to, out);
    }

    /// Forgets finished takeovers after `dead_after`, and restarts those
    /// that never finished (a winner that died too) after four times that.
    pub(super) fn expire_takeovers(&mut self, now: Millis, reality: usize, out: &mut Out) {
        let dead_after = self.cfg.dead_after_ms;
        let r = &mut self.realities[reality];
        r.takeovers
            .retain(|_, t| !t.is_done() || now.saturating_sub(t.since) <= dead_after);
        let stuck: Vec<SocketAddr> = r
            .takeovers
            .iter()
            .filter(|(_, t)| now.saturating_sub(t.since) > 4 * dead_after)
            .map(|(f, _)| *f)
            .collect();
        for f in stuck {
            self.realities[reality].takeovers.remove(&f);
            self.suspect(now, reality, f, out);
        }
    }
}
