//! Background zone reassignment (§2.3: "a background zone-reassignment
//! algorithm … to prevent further fragmentation"), which brings a node
//! holding several zones back to one.
//!
//! A node holding more than one zone picks an extra zone A: its deepest
//! (smallest), ties to the lowest in zone order (or, with
//! `ReassignPick::LastAcquired`, the zone it acquired last). If A's sibling S in the
//! partition tree is exactly one zone of a neighbour y, A goes to y, which
//! merges the two (unless y holds extra zones too and has the lower
//! address: then y moves first, so that two nodes never hand A and S to
//! each other at the same time). Otherwise S is split further, and the node descends
//! S's subtree depth-first, lower half first, to the first pair of sibling
//! leaves Z1 (owner p) and Z2 (owner q): p takes Z2 and merges it with
//! Z1, and q hands Z2 over and takes A instead. Every zone keeps exactly
//! one owner throughout, and p ends with one zone fewer.
//!
//! Nobody knows the tree; the descent asks it, one probe at a time: a
//! probe is routed to the lower corner of a region and the owner answers
//! with its zone holding that point. The zone holding the lower corner of
//! a split region R is the first leaf of R's subtree, Z1, the lower child
//! of its parent; the probe of its sibling's corner tells whether that
//! sibling is a leaf (the pair is found) or split (descend into it).

use std::net::SocketAddr;

use super::node::{Give, Node, Out, ReassignPick, Status, Wait};
use super::store::items_in;
use super::wire::{Item, Msg, NbrInfo, Routed};
use super::zone::Zone;
use crate::runtime::Millis;

/// A reassignment in progress (at most one per reality).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reassign {
    /// The extra zone to place.
    pub a: Zone,
    pub stage: Stage,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stage {
    /// A hand-over (of A, or of Z2 when we are q) is out.
    Giving,
    /// Probing the lower corner of `region`; `first` is the leaf found
    /// before it (Z1 and its owner), if any.
    Probing {
        region: Zone,
        first: Option<(Zone, SocketAddr)>,
    },
    /// A swap is out to q.
    Swapping,
}

impl Node {
    /// The periodic step: start a reassignment in every reality where
    /// this node holds more than one zone and none is running.
    pub fn reassign(&mut self, now: Millis, out: &mut Out) {
        if self.status != Status::Member {
            return;
        }
        for reality in 0..self.cfg.realities {
            self.reassign_in(now, reality, out);
        }
    }

    fn reassign_in(&mut self, now: Millis, reality: usize, out: &mut Out) {
        let r = &self.realities[reality];
        if r.zones.len() < 2 || r.reassign.is_some() || self.handing_over(reality) {
            return;
        }
        let a = match self.cfg.reassign_pick {
            ReassignPick::Deepest => *r
                .zones
                .iter()
                .max_by_key(|z| (z.depth(), std::cmp::Reverse(**z)))
                .expect("two zones"),
            ReassignPick::LastAcquired => *r.acquired.last().expect("two zones"),
        };
        let Some(s) = a.sibling() else { return };
        let sibling = r.nbrs.alive().find(|(_, n)| n.zones.contains(&s));
        if sibling.is_some_and(|(y, n)| n.zones.len() > 1 && *y < self.addr) {
            // The sibling's owner has extra zones too, and may be handing
            // S to us right now: of two such nodes only the lower address
            // gives, or they would swap A and S back and forth for ever.
            return;
        }
        let owner = sibling.map(|(y, _)| *y);
        let r = &mut self.realities[reality];
        match owner {
            Some(y) => {
                r.reassign = Some(Reassign {
                    a,
                    stage: Stage::Giving,
                });
                self.give(reality, vec![a], y, Give::Reassign, out);
            }
            None => {
                r.reassign = Some(Reassign {
                    a,
                    stage: Stage::Probing {
                        region: s,
                        first: None,
                    },
                });
                self.probe(now, reality, s, out);
            }
        }
    }

    /// Whether a hand-over of ours is out in `reality` (a zone of ours
    /// is in transit: we hold it only until the taker answers).
    fn handing_over(&self, reality: usize) -> bool {
        self.waits.values().any(|w| {
            matches!(w, Wait::Give { reality: r, .. } | Wait::Swap { reality: r, .. } if *r == reality)
        })
    }

    fn probe(&mut self, now: Millis, reality: usize, region: Zone, out: &mut Out) {
        let req = self.expect(Wait::Probe { reality }, self.cfg.route_timeout_ms, out);
        let body = Routed::Probe {
            origin: self.addr,
            req,
        };
        self.start_route(now, reality, region.corner(), body, out);
    }

    /// The owner of the probed corner holds `zone` there.
    pub(super) fn probed(
        &mut self,
        now: Millis,
        reality: usize,
        owner: SocketAddr,
        zone: Zone,
        out: &mut Out,
    ) {
        let r = &mut self.realities[reality];
        let Some(Reassign {
            a,
            stage: Stage::Probing { region, first },
        }) = r.reassign.clone()
        else {
            return self.stats.unexpected += 1;
        };
        if r.zones.len() < 2 || !r.zones.contains(&a) {
            // A is no longer an extra zone of ours (a swap's hand-over
            // finished, or A went elsewhere while the probes were out):
            // placing it now could give away our last zone.
            r.reassign = None;
            return;
        }
        if zone == region {
            return match first {
                // S itself is a leaf after all: its owner takes A.
                None if owner != self.addr => {
                    r.reassign = Some(Reassign {
                        a,
                        stage: Stage::Giving,
                    });
                    self.give(reality, vec![a], owner, Give::Reassign, out)
                }
                None => r.reassign = None,
                Some((z1, p)) => self.settle(reality, a, (z1, p), (region, owner), out),
            };
        }
        if zone.depth() <= region.depth() || !region.covers(&zone) {
            // The answer contradicts the question (news in flight): retry later.
            r.reassign = None;
            return;
        }
        let Some(next) = zone.sibling() else { return };
        r.reassign = Some(Reassign {
            a,
            stage: Stage::Probing {
                region: next,
                first: Some((zone, owner)),
            },
        });
        self.probe(now, reality, next, out);
    }

    /// The pair is found: p takes Z2, q takes A.
    fn settle(
        &mut self,
        reality: usize,
        a: Zone,
        (_z1, p): (Zone, SocketAddr),
        (z2, q): (Zone, SocketAddr),
        out: &mut Out,
    ) {
        let me = self.addr;
        let r = &mut self.realities[reality];
        if p == q {
            r.reassign = None;
            return;
        }
        if q == me {
            // Z2 is ours: hand it to p and keep A.
            r.reassign = Some(Reassign {
                a,
                stage: Stage::Giving,
            });
            return self.give(reality, vec![z2], p, Give::Reassign, out);
        }
        r.reassign = Some(Reassign {
            a,
            stage: Stage::Swapping,
        });
        let items = items_in(&r.items, reality, &[a]);
        let nbrs = self.nbr_list_with_me(reality);
        let wait = Wait::Swap {
            reality,
            zone: a,
            to: q,
        };
        let req = self.expect(wait, self.cfg.timeout_ms, out);
        let msg = Msg::Swap {
            req,
            reality: reality as u8,
            take: a,
            items,
            nbrs,
            give: z2,
            to: p,
        };
        self.send(q, msg, out);
    }

    /// We are q: take A, and hand Z2 (`give`) to p (`to`).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_swap(
        &mut self,
        now: Millis,
        from: SocketAddr,
        req: u64,
        reality: usize,
        take: Zone,
        items: Vec<Item>,
        nbrs: Vec<NbrInfo>,
        give: Zone,
        to: SocketAddr,
        out: &mut Out,
    ) {
        let r = &self.realities[reality];
        if self.status != Status::Member || !r.zones.contains(&give) || to == self.addr {
            let msg = Msg::Refused {
                req,
                reality: reality as u8,
                reason: "not holding that zone".into(),
            };
            return self.send(from, msg, out);
        }
        self.take(now, reality, vec![take], items, nbrs, out);
        self.send_took(from, req, reality, out);
        self.give(reality, vec![give], to, Give::Swapped, out);
    }
}
