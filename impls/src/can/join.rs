//! Joining (§2.2): the newcomer routes JOIN(its point) through a
//! bootstrap node to the point's owner; the owner splits the zone holding
//! the point in half along the next dimension of the canonical order,
//! keeps one half and gives the half holding the point to the newcomer,
//! with that half's keys and its own neighbour list (itself included).
//! Both prune their lists to the nodes that abut them and at once send an
//! UPDATE to every node that was or is a neighbour ([`super::update`]).

use std::net::SocketAddr;

use super::node::{Event, Node, NotEnabled, Out, Status, Timer, Wait};
use super::point::Point;
use super::store::{drop_items, items_in, keep_items};
use super::wire::{Item, Msg, NbrInfo, Routed};
use super::zone::{merge_all, subtract, Zone};
use crate::runtime::Millis;

impl Node {
    /// Asks `bootstrap`, a member, to route this node's join in every
    /// reality. Ends with one [`Event::Joined`] (or `JoinFailed`) per
    /// reality.
    pub fn join(&mut self, bootstrap: SocketAddr, out: &mut Out) -> Result<(), NotEnabled> {
        if self.status != Status::Outside {
            return Err(NotEnabled(format!("already {:?}", self.status)));
        }
        if bootstrap == self.addr {
            return Err(NotEnabled("a node cannot join through itself".into()));
        }
        self.status = Status::Joining;
        for reality in 0..self.cfg.realities {
            self.realities[reality].join_given_up = false;
            self.send_join(reality, bootstrap, 1, out);
        }
        Ok(())
    }

    /// Asks `bootstrap` again for a zone in `reality`, whose join failed
    /// for good ([`Event::JoinFailed`]): how a driver keeps trying (e.g.
    /// through another bootstrap node). Ends like [`join`](Self::join),
    /// for that reality.
    pub fn rejoin(
        &mut self,
        reality: usize,
        bootstrap: SocketAddr,
        out: &mut Out,
    ) -> Result<(), NotEnabled> {
        if !matches!(self.status, Status::Outside | Status::Joining) {
            return Err(NotEnabled(format!("already {:?}", self.status)));
        }
        let Some(r) = self.realities.get_mut(reality) else {
            return Err(NotEnabled(format!("no reality {reality}")));
        };
        if r.joined() {
            return Err(NotEnabled(format!("reality {reality} has a zone already")));
        }
        if !r.join_given_up {
            return Err(NotEnabled(format!(
                "the join of reality {reality} is still running"
            )));
        }
        if bootstrap == self.addr {
            return Err(NotEnabled("a node cannot join through itself".into()));
        }
        r.join_given_up = false;
        self.status = Status::Joining;
        self.send_join(reality, bootstrap, 1, out);
        Ok(())
    }

    fn send_join(&mut self, reality: usize, bootstrap: SocketAddr, attempt: u32, out: &mut Out) {
        let wait = Wait::Join {
            reality,
            bootstrap,
            attempt,
        };
        let req = self.expect(wait, self.cfg.route_timeout_ms, out);
        let msg = Msg::Route {
            reality: reality as u8,
            target: self.realities[reality].point,
            hops: 1,
            ttl: self.cfg.ttl,
            body: Routed::Join {
                joiner: self.addr,
                req,
            },
        };
        self.send(bootstrap, msg, out);
    }

    /// A join request got no zone: try again, or give up.
    pub(super) fn join_failed(
        &mut self,
        reality: usize,
        bootstrap: SocketAddr,
        attempt: u32,
        why: &str,
        out: &mut Out,
    ) {
        if self.realities[reality].joined() || self.status != Status::Joining {
            return;
        }
        if attempt < self.cfg.join_attempts {
            // Back off: the bootstrap may be joining itself, the owner busy.
            let retry = Timer::JoinRetry {
                reality: reality as u8,
                bootstrap,
                attempt: attempt + 1,
            };
            return out.timer(self.cfg.timeout_ms * Millis::from(attempt), retry);
        }
        self.realities[reality].join_given_up = true;
        out.event(Event::JoinFailed {
            reality: reality as u8,
            reason: format!("{why} ({attempt} attempts)"),
        });
        // Outside again once no reality has a zone or a join running (a
        // reality still trying keeps the node joining, so that its own
        // failure is still reported).
        if self
            .realities
            .iter()
            .all(|r| !r.joined() && r.join_given_up)
        {
            self.status = Status::Outside;
        }
    }

    pub(super) fn retry_join(
        &mut self,
        reality: usize,
        bootstrap: SocketAddr,
        attempt: u32,
        out: &mut Out,
    ) {
        if self.status == Status::Joining && !self.realities[reality].joined() {
            self.send_join(reality, bootstrap, attempt, out);
        }
    }

    /// The owner's side: split the zone holding `target` for `joiner`.
    pub(super) fn accept_join(
        &mut self,
        now: Millis,
        reality: usize,
        target: Point,
        joiner: SocketAddr,
        req: u64,
        out: &mut Out,
    ) {
        let refuse = |reason: &str| Msg::Refused {
            req,
            reality: reality as u8,
            reason: reason.into(),
        };
        if self.status != Status::Member || joiner == self.addr {
            return self.answer(now, joiner, refuse("the owner is not taking joins"), out);
        }
        if self.busy(reality, &target) {
            return self.answer(now, joiner, refuse("the zone is being handed over"), out);
        }
        let me = self.addr;
        let r = &mut self.realities[reality];
        let i = r
            .zones
            .iter()
            .position(|z| z.contains(&target))
            .expect("delivered here");
        let Some((new, keep)) = r.zones[i].split_at(&target) else {
            return self.answer(
                now,
                joiner,
                refuse("the point's zone is a single point"),
                out,
            );
        };
        let before = r.nbrs.addrs();
        r.zones[i] = keep;
        r.zones.sort();
        r.changed();
        let items = if self.cfg.mutation == super::node::Mutation::SplitKeepsKeys {
            Vec::new()
        } else {
            let items = items_in(&r.items, reality, &[new]);
            drop_items(&mut r.items, reality, &[new]);
            items
        };
        let mut nbrs = r.nbrs.infos();
        nbrs.push(NbrInfo {
            addr: me,
            ver: r.ver,
            zones: r.zones.clone(),
        });
        let joiner_info = NbrInfo {
            addr: joiner,
            ver: 1,
            zones: vec![new],
        };
        r.nbrs.hearsay(&r.zones, &joiner_info, now);
        r.nbrs.prune(&r.zones);
        let after = r.nbrs.addrs();
        let accept = Msg::JoinAccept {
            req,
            reality: reality as u8,
            zone: new,
            items,
            nbrs,
        };
        self.send(joiner, accept, out);
        self.send_updates(reality, before.into_iter().chain(after), out);
    }

    /// The newcomer's side: a zone (normally the one asked for; a late
    /// second one after a retry is taken too, rather than left to no one).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn accepted(
        &mut self,
        now: Millis,
        reality: usize,
        zone: Zone,
        items: Vec<Item>,
        nbrs: Vec<NbrInfo>,
        out: &mut Out,
    ) {
        if !matches!(
            self.status,
            Status::Joining | Status::Member | Status::Outside
        ) {
            return self.stats.unexpected += 1;
        }
        let me = self.addr;
        let r = &mut self.realities[reality];
        // Only what we do not hold already (a repeated acceptance).
        let new = subtract(zone, &r.zones);
        r.zones.extend(new.iter().copied());
        merge_all(&mut r.zones);
        r.changed();
        keep_items(&mut r.items, reality, &new, items);
        for info in nbrs.iter().filter(|i| i.addr != me) {
            r.nbrs.hearsay(&r.zones, info, now);
        }
        let to = r.nbrs.addrs();
        self.send_updates(reality, to, out);
        out.event(Event::Joined {
            reality: reality as u8,
            zone,
        });
        if self.realities.iter().all(|r| r.joined()) {
            self.status = Status::Member;
        }
    }

    /// Whether a zone holding `p` is being handed over (joins into it
    /// wait until it has a new owner).
    pub(super) fn busy(&self, reality: usize, p: &Point) -> bool {
        self.waits.values().any(|w| match w {
            Wait::Give {
                reality: r, zones, ..
            } => *r == reality && zones.iter().any(|z| z.contains(p)),
            Wait::Swap {
                reality: r, zone, ..
            } => *r == reality && zone.contains(p),
            _ => false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::can::node::Config;
    use crate::runtime::{Outbox, Process};

    fn a(i: u8) -> SocketAddr {
        format!("10.0.0.{i}:4000").parse().unwrap()
    }

    /// A join that fails for good reports it and leaves the node outside;
    /// a driver may then ask again for that reality, through another
    /// node, and only then.
    #[test]
    fn a_reality_whose_join_failed_can_be_asked_for_again() {
        let cfg = Config::manual(2, 1);
        let mut n = Node::new(cfg.clone(), a(9));
        let mut out = Outbox::default();
        assert!(n.rejoin(0, a(1), &mut out).is_err(), "nothing failed yet");
        n.join(a(1), &mut out).unwrap();
        assert!(n.rejoin(0, a(2), &mut out).is_err(), "the join is running");
        for attempt in 1..=cfg.join_attempts {
            let Some((_, Timer::Timeout(req))) = out.timers.pop() else {
                panic!("attempt {attempt}: no timeout set: {:?}", out.timers);
            };
            out = Outbox::default();
            n.on_timer(0, Timer::Timeout(req), &mut out);
            if let Some((_, t @ Timer::JoinRetry { .. })) = out.timers.pop() {
                out = Outbox::default();
                n.on_timer(0, t, &mut out);
            }
        }
        assert!(
            matches!(&out.events[..], [Event::JoinFailed { reality: 0, .. }]),
            "{:?}",
            out.events
        );
        assert_eq!(n.status(), Status::Outside);
        let mut out = Outbox::default();
        assert!(n.rejoin(1, a(2), &mut out).is_err(), "no such reality");
        assert!(n.rejoin(0, a(9), &mut out).is_err(), "not through itself");
        n.rejoin(0, a(2), &mut out).unwrap();
        assert_eq!(n.status(), Status::Joining);
        assert!(matches!(&out.sends[..], [(to, Msg::Route { .. })] if *to == a(2)));
        assert!(n.rejoin(0, a(3), &mut out).is_err(), "asked already");
    }
}
