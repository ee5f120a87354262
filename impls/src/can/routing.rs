//! Greedy routing (§2.1): "a CAN message … is forwarded to the neighbor
//! with coordinates closest to the destination coordinates".
//!
//! Closeness of a neighbour is the squared Euclidean torus distance from
//! the target to the nearest point of its zones (0 inside), exactly, in
//! `u128`. A message goes to the live neighbour closest to the target,
//! ties to the lower address, and only if it is *strictly* closer than
//! this node: with exact neighbour sets and a complete tiling some
//! neighbour always is (the zone tests check it on random partitions), so
//! every hop makes progress and no message loops. When none is, the
//! message is dropped, counted (`stuck`) and its origin told (`Stuck`).

use std::net::SocketAddr;

use super::node::{Node, NotEnabled, Out, Status, Wait};
use super::point::Point;
use super::wire::{Msg, Routed, StuckReason};
use super::zone::dist2_to;
use crate::runtime::Millis;

impl Node {
    /// The neighbour a message to `target` goes to next, if one is
    /// strictly closer than this node (`avoid` is never chosen).
    pub fn next_hop(
        &self,
        reality: usize,
        target: &Point,
        avoid: Option<SocketAddr>,
    ) -> Option<SocketAddr> {
        let r = &self.realities[reality];
        let mine = dist2_to(&r.zones, target);
        r.nbrs
            .alive()
            .filter(|(a, _)| Some(**a) != avoid)
            .map(|(a, n)| (dist2_to(&n.zones, target), *a))
            .filter(|(d, _)| *d < mine)
            .min()
            .map(|(_, a)| a)
    }

    /// The reality whose own zones lie closest to the target (its point
    /// there is `targets[ρ]`), ties to the lower index: where a get or a
    /// lookup starts (§3, "Realities").
    pub fn best_reality(&self, targets: &[Point]) -> usize {
        (0..self.cfg.realities)
            .min_by_key(|&r| (dist2_to(&self.realities[r].zones, &targets[r]), r))
            .expect("at least one reality")
    }

    /// Takes a routed message one hop further, or delivers it here.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn route(
        &mut self,
        now: Millis,
        reality: usize,
        target: Point,
        hops: u32,
        ttl: u32,
        body: Routed,
        out: &mut Out,
    ) {
        if self.realities[reality].owns(&target) {
            return self.deliver(now, reality, target, hops, body, out);
        }
        // A greeting looks for a node its origin does not know: going back
        // to the origin (next to the target) would end it there.
        let avoid = match body {
            Routed::Greet { origin } => Some(origin),
            _ => None,
        };
        let reason = match self.next_hop(reality, &target, avoid) {
            Some(next) if ttl > 0 => {
                self.stats.forwarded += 1;
                let msg = Msg::Route {
                    reality: reality as u8,
                    target,
                    hops: hops + 1,
                    ttl: ttl - 1,
                    body,
                };
                return self.send(next, msg, out);
            }
            Some(_) => {
                self.stats.ttl_expired += 1;
                StuckReason::Ttl
            }
            None => {
                self.stats.stuck += 1;
                StuckReason::NoCloser
            }
        };
        let (origin, Some(req)) = body.origin() else {
            return;
        };
        let msg = Msg::Stuck {
            req,
            reality: reality as u8,
            hops,
            reason,
        };
        self.answer(now, origin, msg, out);
    }

    /// Starts a route from this node.
    pub(super) fn start_route(
        &mut self,
        now: Millis,
        reality: usize,
        target: Point,
        body: Routed,
        out: &mut Out,
    ) {
        self.route(now, reality, target, 0, self.cfg.ttl, body, out);
    }

    /// Sends an answer, or takes it at once when it is for this node.
    pub(super) fn answer(&mut self, now: Millis, to: SocketAddr, msg: Msg, out: &mut Out) {
        if to == self.addr {
            self.answer_arrived(now, to, msg, out);
        } else {
            self.send(to, msg, out);
        }
    }

    /// This node owns `target`: the route ends here.
    fn deliver(
        &mut self,
        now: Millis,
        reality: usize,
        target: Point,
        hops: u32,
        body: Routed,
        out: &mut Out,
    ) {
        let r8 = reality as u8;
        match body {
            Routed::Join { joiner, req } => {
                self.accept_join(now, reality, target, joiner, req, out)
            }
            Routed::Lookup { origin, req } => {
                let msg = Msg::Found {
                    req,
                    reality: r8,
                    hops,
                };
                self.answer(now, origin, msg, out)
            }
            Routed::Put {
                origin,
                req,
                key,
                value,
            } => {
                self.realities[reality].items.insert(key, value);
                let msg = Msg::Stored {
                    req,
                    reality: r8,
                    hops,
                };
                self.answer(now, origin, msg, out)
            }
            Routed::Get { origin, req, key } => {
                let value = self.realities[reality].items.get(&key).cloned();
                let msg = Msg::Value {
                    req,
                    reality: r8,
                    hops,
                    value,
                };
                self.answer(now, origin, msg, out)
            }
            Routed::Probe { origin, req } => {
                let r = &self.realities[reality];
                let zone = *r.zones.iter().find(|z| z.contains(&target)).expect("owned");
                let msg = Msg::ProbeReply {
                    req,
                    reality: r8,
                    zone,
                };
                self.answer(now, origin, msg, out)
            }
            Routed::Greet { origin } => self.send_updates(reality, [origin], out),
        }
    }

    /// Routes a lookup of a point to its owner; `targets[ρ]` is the point
    /// in reality ρ, and the lookup runs in the [`best_reality`](Self::best_reality).
    /// Ends with [`Event::LookupDone`] carrying `tag`.
    pub fn lookup(
        &mut self,
        now: Millis,
        tag: u64,
        targets: &[Point],
        out: &mut Out,
    ) -> Result<usize, NotEnabled> {
        self.check_targets(targets)?;
        let reality = self.best_reality(targets);
        let target = targets[reality];
        let wait = Wait::Lookup {
            tag,
            reality,
            target,
        };
        let req = self.expect(wait, self.cfg.route_timeout_ms, out);
        let body = Routed::Lookup {
            origin: self.addr,
            req,
        };
        self.start_route(now, reality, target, body, out);
        Ok(reality)
    }

    /// Local commands that route need membership and one point of the
    /// right dimension per reality.
    fn check_targets(&self, targets: &[Point]) -> Result<(), NotEnabled> {
        self.check_member()?;
        if targets.len() != self.cfg.realities || targets.iter().any(|p| p.dims() != self.cfg.dims)
        {
            return Err(NotEnabled(format!(
                "need one point of {} dimensions per reality ({})",
                self.cfg.dims, self.cfg.realities
            )));
        }
        Ok(())
    }

    pub(super) fn check_member(&self) -> Result<(), NotEnabled> {
        if self.status != Status::Member {
            return Err(NotEnabled(format!("not a member ({:?})", self.status)));
        }
        Ok(())
    }
}
