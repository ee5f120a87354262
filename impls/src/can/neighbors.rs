//! A node's neighbour table in one reality (§2.1: "each node maintains a
//! coordinate routing table that holds the IP address and virtual
//! coordinate zone of each of its immediate neighbors").
//!
//! A record holds the neighbour's zones at some *version* (a counter the
//! neighbour bumps whenever its zones change), the neighbour list of its
//! last UPDATE (the addresses a takeover must reach, §2.3), when it was
//! last heard from, and whether it is presumed dead. Versions order what
//! a node hears: news of a neighbour older than what is known is ignored,
//! whether it comes from the neighbour itself (a late datagram) or from
//! another node's list (hearsay). A removed record leaves a tombstone, the
//! oldest version news of that node must have to count again: the removed
//! version itself when the node merely stopped abutting us (our zones may
//! change so that it abuts us again), the next one when it left, failed
//! or was found covered by another's zones (so that stale lists cannot
//! bring it back).

use std::collections::BTreeMap;
use std::net::SocketAddr;

use super::wire::NbrInfo;
use super::zone::{any_abut, Zone};
use crate::runtime::Millis;

/// What a node knows of one neighbour.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nbr {
    pub zones: Vec<Zone>,
    pub ver: u64,
    /// The neighbour's own neighbours, from its last UPDATE.
    pub list: Vec<SocketAddr>,
    pub heard: Millis,
    /// Silent for too long: skipped by routing, a takeover may be running.
    pub dead: bool,
}

/// How a first-hand UPDATE was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Heard {
    /// Older than what is known: ignored.
    Stale,
    /// The sender abuts us: recorded.
    Kept,
    /// The sender does not abut us (any more): forgotten.
    Dropped,
}

/// The neighbour table.
#[derive(Clone, Debug, Default)]
pub struct Neighbors {
    map: BTreeMap<SocketAddr, Nbr>,
    /// Removed: (the oldest version that is news again, when).
    /// The third field is the oldest version the node's *own* UPDATE
    /// must have to count again: a record retired by [`Self::forget`]
    /// (it was found covered by another's zones) comes back when the
    /// node itself repeats the version it had, since that other node's
    /// claim may be the older news (a late UPDATE sent while it held the
    /// zones for a moment, in a swap); hearsay must be newer.
    gone: BTreeMap<SocketAddr, (u64, Millis, u64)>,
}

impl Neighbors {
    pub fn get(&self, a: &SocketAddr) -> Option<&Nbr> {
        self.map.get(a)
    }
    pub fn iter(&self) -> impl Iterator<Item = (&SocketAddr, &Nbr)> {
        self.map.iter()
    }
    /// Records not presumed dead.
    pub fn alive(&self) -> impl Iterator<Item = (&SocketAddr, &Nbr)> {
        self.map.iter().filter(|(_, n)| !n.dead)
    }
    pub fn len(&self) -> usize {
        self.map.len()
    }
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
    pub fn addrs(&self) -> Vec<SocketAddr> {
        self.map.keys().copied().collect()
    }
    pub fn tombstones(&self) -> usize {
        self.gone.len()
    }

    /// Whether news of `a` at version `ver` is older than what we know.
    /// `same` says how to take the version we know: as stale (hearsay
    /// repeats it) or as current (the node itself repeats it).
    fn stale(&self, a: &SocketAddr, ver: u64, same_is_stale: bool) -> bool {
        match (self.map.get(a), self.gone.get(a)) {
            (Some(n), _) => ver < n.ver || (same_is_stale && ver == n.ver),
            (None, Some(&(floor, _, _))) => ver < floor,
            (None, None) => false,
        }
    }

    /// An UPDATE from `a` itself.
    pub fn hear(
        &mut self,
        mine: &[Zone],
        a: SocketAddr,
        ver: u64,
        zones: &[Zone],
        list: Vec<SocketAddr>,
        now: Millis,
    ) -> Heard {
        let stale = match (self.map.get(&a), self.gone.get(&a)) {
            (None, Some(&(_, _, own))) => ver < own,
            _ => self.stale(&a, ver, false),
        };
        if stale {
            if let Some(n) = self.map.get_mut(&a) {
                n.heard = now; // late, but a sign of life
                n.dead = false;
            }
            return Heard::Stale;
        }
        if any_abut(mine, zones) {
            self.gone.remove(&a);
            self.map.insert(
                a,
                Nbr {
                    zones: zones.to_vec(),
                    ver,
                    list,
                    heard: now,
                    dead: false,
                },
            );
            Heard::Kept
        } else {
            self.map.remove(&a);
            self.gone.insert(a, (ver, now, ver));
            Heard::Dropped
        }
    }

    /// What another node's list says of `a`: only news newer than ours
    /// counts. A node new to us is heard from "now" (it has until
    /// `dead_after` to speak for itself). Returns whether `a` was added.
    pub fn hearsay(&mut self, mine: &[Zone], info: &NbrInfo, now: Millis) -> bool {
        if self.stale(&info.addr, info.ver, true) {
            return false;
        }
        let abuts = any_abut(mine, &info.zones);
        match self.map.get_mut(&info.addr) {
            Some(n) if abuts => {
                n.zones = info.zones.clone();
                n.ver = info.ver;
                false
            }
            Some(_) => {
                self.map.remove(&info.addr);
                self.gone.insert(info.addr, (info.ver, now, info.ver));
                false
            }
            None if abuts => {
                self.gone.remove(&info.addr);
                self.map.insert(
                    info.addr,
                    Nbr {
                        zones: info.zones.clone(),
                        ver: info.ver,
                        list: Vec::new(),
                        heard: now,
                        dead: false,
                    },
                );
                true
            }
            None => false,
        }
    }

    /// Removes `a` for good (it left, failed, or another holds its
    /// zones): only a newer version of it is news.
    pub fn forget(&mut self, a: SocketAddr, now: Millis) -> Option<Nbr> {
        let n = self.map.remove(&a)?;
        self.gone.insert(a, (n.ver + 1, now, n.ver));
        Some(n)
    }

    /// Our zones changed: drop the records that no longer abut them (no
    /// tombstone: their news is not stale).
    pub fn prune(&mut self, mine: &[Zone]) {
        self.map.retain(|_, n| any_abut(mine, &n.zones));
    }

    /// `by` now holds `zones`: records of others lying entirely inside
    /// them are out of date (that node left, failed or handed them over).
    /// Returns the nodes forgotten.
    pub fn drop_covered(&mut self, by: SocketAddr, zones: &[Zone], now: Millis) -> Vec<SocketAddr> {
        let covered: Vec<SocketAddr> = self
            .map
            .iter()
            .filter(|(a, n)| **a != by && n.zones.iter().all(|z| zones.iter().any(|c| c.covers(z))))
            .map(|(a, _)| *a)
            .collect();
        for a in &covered {
            self.forget(*a, now);
        }
        covered
    }

    pub fn mark_dead(&mut self, a: &SocketAddr) {
        if let Some(n) = self.map.get_mut(a) {
            n.dead = true;
        }
    }

    /// Neighbours silent since before `now − after`, not yet marked dead.
    pub fn silent(&self, now: Millis, after: Millis) -> Vec<SocketAddr> {
        self.alive()
            .filter(|(_, n)| now.saturating_sub(n.heard) > after)
            .map(|(a, _)| *a)
            .collect()
    }

    /// Sets what a taker told us of itself in its answer (`Took`).
    pub fn set(&mut self, mine: &[Zone], info: &NbrInfo, now: Millis) {
        self.hear(mine, info.addr, info.ver, &info.zones, Vec::new(), now);
    }

    /// The live neighbours as a list for the wire.
    pub fn infos(&self) -> Vec<NbrInfo> {
        self.alive()
            .map(|(a, n)| NbrInfo {
                addr: *a,
                ver: n.ver,
                zones: n.zones.clone(),
            })
            .collect()
    }

    /// Forgets tombstones older than `keep` ms.
    pub fn expire(&mut self, now: Millis, keep: Millis) {
        self.gone
            .retain(|_, (_, at, _)| now.saturating_sub(*at) <= keep);
    }

    /// Inserts a record directly (networks built by the oracle).
    pub fn insert(&mut self, a: SocketAddr, zones: Vec<Zone>, ver: u64, now: Millis) {
        self.map.insert(
            a,
            Nbr {
                zones,
                ver,
                list: Vec::new(),
                heard: now,
                dead: false,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(i: u8) -> SocketAddr {
        format!("10.0.0.{i}:4000").parse().unwrap()
    }

    fn quarters() -> Vec<Zone> {
        let (l, u) = Zone::whole(2).halves().unwrap();
        let (ll, lu) = l.halves().unwrap();
        let (ul, uu) = u.halves().unwrap();
        vec![ll, lu, ul, uu]
    }

    #[test]
    fn versions_order_what_is_heard() {
        let q = quarters();
        let mine = [q[0]];
        let mut t = Neighbors::default();
        assert_eq!(t.hear(&mine, a(1), 3, &[q[1]], vec![], 10), Heard::Kept);
        // A late datagram from before: ignored, but it shows life.
        assert_eq!(t.hear(&mine, a(1), 2, &[q[3]], vec![], 20), Heard::Stale);
        assert_eq!(t.get(&a(1)).unwrap().zones, vec![q[1]]);
        assert_eq!(t.get(&a(1)).unwrap().heard, 20);
        // Hearsay at the same version adds nothing; a newer one moves it.
        let info = |ver, z: Zone| NbrInfo {
            addr: a(1),
            ver,
            zones: vec![z],
        };
        assert!(!t.hearsay(&mine, &info(3, q[2]), 30));
        assert_eq!(t.get(&a(1)).unwrap().zones, vec![q[1]]);
        // q[3] is diagonal to q[0]: no longer a neighbour.
        assert!(!t.hearsay(&mine, &info(4, q[3]), 30));
        assert!(t.get(&a(1)).is_none());
        // Our zone changes so that it abuts us again: the same news counts.
        assert!(t.hearsay(&[q[2]], &info(4, q[3]), 31));
        // Forgotten for good (it failed): only newer news counts.
        t.forget(a(1), 32);
        assert!(!t.hearsay(&[q[2]], &info(4, q[3]), 33));
        assert!(t.hearsay(&mine, &info(5, q[1]), 33));
        // Its own goodbye (no zones) removes it.
        assert_eq!(t.hear(&mine, a(1), 6, &[], vec![], 40), Heard::Dropped);
        assert!(t.is_empty());
    }

    #[test]
    fn covered_and_silent_records() {
        let q = quarters();
        let mut t = Neighbors::default();
        t.insert(a(1), vec![q[1]], 1, 0);
        t.insert(a(2), vec![q[2]], 1, 100);
        assert_eq!(t.silent(1000, 950), vec![a(1)]);
        t.mark_dead(&a(1));
        assert!(t.silent(5000, 0).len() == 1 && t.alive().count() == 1);
        // a(3) now holds the lower half but for q[0]: a(1)'s zone inside.
        let half = q[1].parent().unwrap();
        assert_eq!(t.drop_covered(a(3), &[half], 10), vec![a(1)]);
        assert_eq!(t.infos().len(), 1);
        t.prune(&[q[3]]);
        assert!(t.get(&a(2)).is_some(), "q[2] abuts q[3]");
        t.prune(&[q[1]]);
        assert!(t.is_empty());
        assert_eq!(t.tombstones(), 1);
        t.expire(100, 50);
        assert_eq!(t.tombstones(), 0);
    }
}
