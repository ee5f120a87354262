//! Graceful leave (§2.3) and zone hand-over, which reassignment reuses.
//!
//! A leaving node hands each of its zones, one at a time, to a neighbour:
//! to the owner of the zone's sibling in the partition tree if that
//! sibling is exactly one zone of one neighbour (it merges the two into
//! their parent), otherwise to the neighbour abutting the zone with the
//! smallest total volume (ties: the lower address), which then holds both
//! zones until reassignment ([`super::reassign`]) fixes it. The zone's
//! keys and the leaver's neighbour list go with it. The taker answers
//! `Took`; without an answer within `timeout_ms` the leaver tries the
//! next candidate. Once the last zone of a reality is gone the leaver's
//! UPDATE, listing no zones, tells its neighbours to forget it. A zone
//! nobody took stays with the leaver, which then goes silent: its
//! neighbours take that zone over as after a failure.

use std::collections::VecDeque;
use std::net::SocketAddr;

use super::node::{Event, Give, Node, NotEnabled, Out, Status, Wait};
use super::store::{drop_items, items_in, keep_items};
use super::volume::Volume;
use super::wire::{Item, Msg, NbrInfo};
use super::zone::{merge_all, subtract, total_volume, Zone};
use crate::runtime::Millis;

/// A graceful leave in progress.
#[derive(Clone, Debug, Default)]
pub struct Leave {
    /// Zones still to hand over, with their reality.
    queue: VecDeque<(usize, Zone)>,
    /// The zone being handed over: its candidates and the one asked.
    current: Option<(usize, Zone, Vec<SocketAddr>, usize)>,
    handed: usize,
    lost: usize,
}

impl Node {
    /// Starts a graceful leave; ends with [`Event::Left`].
    pub fn leave(&mut self, now: Millis, out: &mut Out) -> Result<(), NotEnabled> {
        self.check_member()?;
        self.status = Status::Leaving;
        let queue = self
            .realities
            .iter()
            .enumerate()
            .flat_map(|(i, r)| r.zones.iter().map(move |z| (i, *z)))
            .collect();
        self.leave = Some(Leave {
            queue,
            ..Leave::default()
        });
        self.next_handoff(now, out);
        Ok(())
    }

    /// Who may take zone `z`: the sibling's owner first, then the
    /// neighbours abutting it by total volume and address.
    pub fn leave_candidates(&self, reality: usize, z: &Zone) -> Vec<SocketAddr> {
        let r = &self.realities[reality];
        let sibling = z.sibling();
        let mut out: Vec<SocketAddr> = r
            .nbrs
            .alive()
            .filter(|(_, n)| sibling.is_some_and(|s| n.zones.contains(&s)))
            .map(|(a, _)| *a)
            .collect();
        let mut rest: Vec<(Volume, SocketAddr)> = r
            .nbrs
            .alive()
            .filter(|(a, n)| !out.contains(a) && n.zones.iter().any(|y| y.abuts(z)))
            .map(|(a, n)| (total_volume(&n.zones), *a))
            .collect();
        rest.sort();
        out.extend(rest.into_iter().map(|(_, a)| a));
        out
    }

    fn next_handoff(&mut self, now: Millis, out: &mut Out) {
        let Some(leave) = self.leave.as_mut() else {
            return;
        };
        let Some((reality, z)) = leave.queue.pop_front() else {
            return self.finish_leave(out);
        };
        let candidates = self.leave_candidates(reality, &z);
        if let Some(leave) = self.leave.as_mut() {
            leave.current = Some((reality, z, candidates, 0));
        }
        self.try_candidate(now, out);
    }

    fn try_candidate(&mut self, now: Millis, out: &mut Out) {
        let Some(leave) = self.leave.as_mut() else {
            return;
        };
        let Some((reality, z, candidates, i)) = leave.current.clone() else {
            return;
        };
        match candidates.get(i) {
            Some(&to) => self.give(reality, vec![z], to, Give::Leave, out),
            None => {
                leave.lost += 1;
                leave.current = None;
                self.next_handoff(now, out);
            }
        }
    }

    fn finish_leave(&mut self, out: &mut Out) {
        let Some(leave) = self.leave.take() else {
            return;
        };
        self.status = Status::Left;
        out.event(Event::Left {
            handed: leave.handed,
            lost: leave.lost,
        });
    }

    /// Hands `zones` with their keys and our neighbour list to `to`.
    pub(super) fn give(
        &mut self,
        reality: usize,
        zones: Vec<Zone>,
        to: SocketAddr,
        why: Give,
        out: &mut Out,
    ) {
        let r = &self.realities[reality];
        // Copies: ours go when the taker answers.
        let items = items_in(&r.items, reality, &zones);
        let nbrs = self.nbr_list_with_me(reality);
        let wait = Wait::Give {
            reality,
            zones: zones.clone(),
            to,
            why,
        };
        let req = self.expect(wait, self.cfg.timeout_ms, out);
        let msg = Msg::Handoff {
            req,
            reality: reality as u8,
            zones,
            items,
            nbrs,
        };
        self.send(to, msg, out);
    }

    /// Our neighbour list, and ourselves, for a taker of our zones.
    pub(super) fn nbr_list_with_me(&self, reality: usize) -> Vec<NbrInfo> {
        let r = &self.realities[reality];
        let mut nbrs = r.nbrs.infos();
        nbrs.push(NbrInfo {
            addr: self.addr,
            ver: r.ver,
            zones: r.zones.clone(),
        });
        nbrs
    }

    /// A hand-over ended (`ok`: taken).
    pub(super) fn give_done(
        &mut self,
        now: Millis,
        reality: usize,
        why: Give,
        ok: bool,
        out: &mut Out,
    ) {
        match why {
            Give::Leave => {
                let Some(leave) = self.leave.as_mut() else {
                    return;
                };
                if ok {
                    leave.handed += 1;
                    leave.current = None;
                    self.next_handoff(now, out);
                } else {
                    if let Some(c) = leave.current.as_mut() {
                        c.3 += 1;
                    }
                    self.try_candidate(now, out);
                }
            }
            Give::Reassign => {
                self.realities[reality].reassign = None;
                self.stats.reassign_handoffs += u64::from(ok);
            }
            Give::Swapped => {}
        }
    }

    /// `to` took `zones` from us (it holds `theirs` at version `ver` now).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn given(
        &mut self,
        now: Millis,
        reality: usize,
        zones: &[Zone],
        to: SocketAddr,
        ver: u64,
        theirs: Vec<Zone>,
        out: &mut Out,
    ) {
        let r = &mut self.realities[reality];
        let before = r.nbrs.addrs();
        r.zones = r.zones.iter().flat_map(|m| subtract(*m, zones)).collect();
        merge_all(&mut r.zones);
        r.changed();
        drop_items(&mut r.items, reality, zones);
        let info = NbrInfo {
            addr: to,
            ver,
            zones: theirs,
        };
        let zs = r.zones.clone();
        r.nbrs.set(&zs, &info, now);
        r.nbrs.drop_covered(to, &info.zones, now);
        r.nbrs.prune(&zs);
        let after = r.nbrs.addrs();
        // With no zones left this is the goodbye: everyone forgets us.
        self.send_updates(reality, before.into_iter().chain(after).chain([to]), out);
    }

    /// Someone hands us zones.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_handoff(
        &mut self,
        now: Millis,
        from: SocketAddr,
        req: u64,
        reality: usize,
        zones: Vec<Zone>,
        items: Vec<Item>,
        nbrs: Vec<NbrInfo>,
        out: &mut Out,
    ) {
        if self.status != Status::Member || !self.realities[reality].joined() {
            let msg = Msg::Refused {
                req,
                reality: reality as u8,
                reason: "not taking zones".into(),
            };
            return self.send(from, msg, out);
        }
        self.take(now, reality, zones, items, nbrs, out);
        self.send_took(from, req, reality, out);
    }

    pub(super) fn send_took(&mut self, to: SocketAddr, req: u64, reality: usize, out: &mut Out) {
        let r = &self.realities[reality];
        let msg = Msg::Took {
            req,
            reality: reality as u8,
            ver: r.ver,
            zones: r.zones.clone(),
        };
        self.send(to, msg, out);
    }

    /// Adds `zones` (merging siblings), their keys, and the giver's
    /// neighbours that abut us now; tells old and new neighbours.
    pub(super) fn take(
        &mut self,
        now: Millis,
        reality: usize,
        zones: Vec<Zone>,
        items: Vec<Item>,
        nbrs: Vec<NbrInfo>,
        out: &mut Out,
    ) {
        let me = self.addr;
        let r = &mut self.realities[reality];
        let before = r.nbrs.addrs();
        // Only what we do not hold already (a repeated hand-over).
        let mine = r.zones.clone();
        let new: Vec<Zone> = zones.iter().flat_map(|z| subtract(*z, &mine)).collect();
        r.zones.extend(new.iter().copied());
        merge_all(&mut r.zones);
        r.changed();
        keep_items(&mut r.items, reality, &new, items);
        let zs = r.zones.clone();
        for info in nbrs.iter().filter(|i| i.addr != me) {
            r.nbrs.hearsay(&zs, info, now);
        }
        r.nbrs.prune(&zs);
        let after = r.nbrs.addrs();
        self.send_updates(reality, before.into_iter().chain(after), out);
    }
}
