//! UPDATE messages: how neighbour tables follow zone changes (§2.2–2.3).
//!
//! A node sends its zones (with their version) and its neighbour list,
//! with their zones, at once to every node that was or is a neighbour
//! whenever its zones change, and periodically to every neighbour: the
//! periodic one is the heartbeat. A receiver
//!
//! 1. records the sender if it abuts the receiver and forgets it if not
//!    (older versions than known are ignored: datagrams may be late);
//! 2. forgets any other neighbour whose recorded zones lie entirely
//!    inside the sender's (it left, failed, or handed them over);
//! 3. adds every listed node that abuts it and that it did not know at
//!    that version (hearsay: the newcomer learns of its neighbours' other
//!    neighbours this way, §2.2);
//! 4. answers with its own UPDATE when the sender's list is wrong about
//!    it — the sender abuts it but lists it at another version or not at
//!    all, or lists it without abutting it. This is not in the paper; it
//!    makes a disagreement between two neighbours last one round trip
//!    rather than until the next periodic refresh.

use std::net::SocketAddr;

use super::neighbors::Heard;
use super::node::{Node, Out, Status};
use super::wire::{Msg, NbrInfo};
use super::zone::{any_abut, Zone};
use crate::runtime::Millis;

impl Node {
    /// This node's UPDATE in `reality`.
    fn update_msg(&self, reality: usize) -> Msg {
        let r = &self.realities[reality];
        Msg::Update {
            reality: reality as u8,
            ver: r.ver,
            zones: r.zones.clone(),
            nbrs: r.nbrs.infos(),
        }
    }

    /// Sends our UPDATE to each of `to` once (never to ourselves).
    pub(super) fn send_updates(
        &mut self,
        reality: usize,
        to: impl IntoIterator<Item = SocketAddr>,
        out: &mut Out,
    ) {
        let mut to: Vec<SocketAddr> = to.into_iter().filter(|a| *a != self.addr).collect();
        to.sort();
        to.dedup();
        if to.is_empty() {
            return;
        }
        let msg = self.update_msg(reality);
        for a in to {
            self.send(a, msg.clone(), out);
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_update(
        &mut self,
        now: Millis,
        from: SocketAddr,
        reality: usize,
        ver: u64,
        zones: Vec<Zone>,
        list: Vec<NbrInfo>,
        out: &mut Out,
    ) {
        let me = self.addr;
        let r = &mut self.realities[reality];
        if !r.joined() {
            return;
        }
        let addrs = list.iter().map(|i| i.addr).collect();
        if r.nbrs.hear(&r.zones, from, ver, &zones, addrs, now) == Heard::Stale {
            return;
        }
        // It is alive: a takeover of it that has not happened is moot.
        r.takeovers.retain(|f, t| *f != from || t.is_done());
        for gone in r.nbrs.drop_covered(from, &zones, now) {
            r.takeovers.retain(|f, t| *f != gone || t.is_done());
        }
        for info in list.iter().filter(|i| i.addr != me && i.addr != from) {
            r.nbrs.hearsay(&r.zones, info, now);
        }
        let about_me = list.iter().find(|i| i.addr == me).map(|i| i.ver);
        let abuts = any_abut(&zones, &r.zones);
        if (abuts && about_me != Some(r.ver)) || (!abuts && about_me.is_some()) {
            self.send_updates(reality, [from], out);
        }
    }

    /// The periodic step: presume silent neighbours failed (starting
    /// their takeover), send the heartbeat UPDATE to every live one, and
    /// look for a missing neighbour ([`super::repair`]).
    pub fn refresh(&mut self, now: Millis, out: &mut Out) {
        if !matches!(self.status, Status::Member | Status::Leaving) {
            return;
        }
        let dead_after = self.cfg.dead_after_ms;
        self.rounds += 1;
        for reality in 0..self.cfg.realities {
            if !self.realities[reality].joined() {
                continue;
            }
            for f in self.realities[reality].nbrs.silent(now, dead_after) {
                self.suspect(now, reality, f, out);
            }
            self.expire_takeovers(now, reality, out);
            let r = &mut self.realities[reality];
            r.nbrs.expire(now, 4 * dead_after);
            let to: Vec<SocketAddr> = r.nbrs.alive().map(|(a, _)| *a).collect();
            self.send_updates(reality, to, out);
            self.greet_gap(reality, self.rounds, out);
        }
    }
}
