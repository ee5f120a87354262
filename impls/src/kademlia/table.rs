//! The routing table: k-buckets by common-prefix length with the node's own
//! id (Kademlia §2.2), each ordered least-recently seen first, with a
//! replacement cache and the ping-before-evict rule (§2.2, §4.1).
//!
//! Every message received from a node runs [`Table::observe`]: a known
//! contact moves to the tail; a new one is appended while the bucket has
//! room; otherwise it goes to the bucket's replacement cache and the
//! bucket's head (its least-recently seen entry) is to be pinged, once at a
//! time per bucket. Only a ping that fails ([`Table::failed`]) evicts the
//! head, and then the freshest cached contact takes its place: a live,
//! long-lived contact is never pushed out by a newcomer.
//!
//! Implementation notes (deviations from BEP 5, on purpose):
//! * One bucket per prefix length, 160 of them (the paper's layout), not
//!   BEP 5's splitting buckets. The contents are the same (BEP 5 splits
//!   only the bucket holding the node's own id, which yields exactly one
//!   bucket per prefix length, up to the deepest one in use); the
//!   flat layout matches the model and needs no split logic. Buckets past
//!   the deepest one in use are not allocated.
//! * A contact is known by (id, address): a message carrying a known id
//!   from another address does not move the entry (an id is not an
//!   authority to redirect traffic), and counts as nothing; and an address
//!   already listed under one id is not listed again under another (the
//!   `mainline` crate sends every `ping` and `put` under a fresh random id,
//!   which would otherwise fill buckets with phantoms of one node).
//! * A contact that fails `stale_after` queries in a row is dropped (the
//!   paper's "stale" rule with a configurable threshold; the model uses
//!   one).
//! * A full bucket's head is pinged only if it has been silent for
//!   `fresh_ms` (BEP 5: a node heard from in the last 15 minutes is
//!   "good", and a bucket full of good nodes simply discards newcomers).
//!   The paper pings on every newcomer; in a busy network that starts
//!   chains of pings (the pinged node may itself not know the pinger, and
//!   pings its own head …) — the simulator measured 2,500 messages per
//!   lookup at 10^5 nodes that way. `fresh_ms = 0` is the paper's rule,
//!   which the conformance harness uses against the model.
//! * One eviction ping per bucket is in flight until it settles (answer,
//!   error or timeout): the head speaking otherwise in the meantime moves
//!   it to the tail but does not cancel the ping (as the model: its
//!   pending ping names the entry until `pong` or `ping-timeout`), so a
//!   second newcomer never starts a second ping of the same bucket.

use std::net::SocketAddrV4;

use super::krpc::{CompactNode, NodeId};
use crate::runtime::Millis;

/// A routing-table entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Contact {
    pub id: NodeId,
    pub addr: SocketAddrV4,
    /// When a message from it last arrived.
    pub last_seen: Millis,
    /// Queries to it that timed out since it was last heard from.
    pub failures: u32,
}

impl Contact {
    pub fn compact(&self) -> CompactNode {
        CompactNode {
            id: self.id,
            addr: self.addr,
        }
    }
}

#[derive(Clone, Debug, Default)]
struct Bucket {
    /// Least-recently seen first.
    entries: Vec<Contact>,
    /// Replacement cache, freshest last.
    cache: Vec<Contact>,
    /// The head being pinged because a newcomer wants its place.
    pinging: Option<NodeId>,
    /// Last time a contact was added, moved or removed: a bucket nobody
    /// touched for a while is refreshed by a lookup in its range.
    changed: Millis,
}

/// What [`Table::observe`] did with a sender.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Observed {
    /// Known contact: moved to the tail of its bucket.
    Refreshed,
    /// New contact, appended to its bucket.
    Added,
    /// The bucket is full: the newcomer went to the replacement cache; if
    /// `ping` is set, the driver must ping that head entry and report the
    /// outcome ([`Table::failed`] on timeout; an answer refreshes it).
    Cached { ping: Option<Contact> },
    /// Our own id, or a known id at a different address: ignored.
    Ignored,
}

/// A node's routing table.
#[derive(Clone, Debug)]
pub struct Table {
    me: NodeId,
    k: usize,
    cache: usize,
    stale_after: u32,
    fresh_ms: Millis,
    buckets: Vec<Bucket>,
    /// Mutation (tests only): a full bucket drops its head for a newcomer
    /// at once, without a ping (the model's `evict-without-ping`).
    pub(super) evict_without_ping: bool,
}

impl Table {
    /// An empty table for node `me`: buckets of `k`, caches of `cache`,
    /// contacts dropped after `stale_after` failed queries in a row, heads
    /// pinged for a newcomer only after `fresh_ms` of silence.
    pub fn new(me: NodeId, k: usize, cache: usize, stale_after: u32, fresh_ms: Millis) -> Table {
        assert!(
            k > 0 && stale_after > 0,
            "k and stale_after must be positive"
        );
        Table {
            me,
            k,
            cache,
            stale_after,
            fresh_ms,
            buckets: Vec::new(),
            evict_without_ping: false,
        }
    }

    pub fn me(&self) -> NodeId {
        self.me
    }
    pub fn k(&self) -> usize {
        self.k
    }

    /// Contacts in all buckets.
    pub fn len(&self) -> usize {
        self.buckets.iter().map(|b| b.entries.len()).sum()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every contact, bucket by bucket (prefix length ascending), each
    /// bucket least-recently seen first.
    pub fn contacts(&self) -> impl Iterator<Item = &Contact> {
        self.buckets.iter().flat_map(|b| b.entries.iter())
    }

    /// The entries of bucket `i`, least-recently seen first.
    pub fn bucket(&self, i: usize) -> &[Contact] {
        self.buckets.get(i).map_or(&[], |b| &b.entries)
    }

    /// The replacement cache of bucket `i`, freshest last.
    pub fn cached(&self, i: usize) -> &[Contact] {
        self.buckets.get(i).map_or(&[], |b| &b.cache)
    }

    /// The head of bucket `i` being pinged for a newcomer, if any.
    pub fn pinging(&self, i: usize) -> Option<NodeId> {
        self.buckets.get(i).and_then(|b| b.pinging)
    }

    /// Number of allocated buckets (one past the deepest in use).
    pub fn depth(&self) -> usize {
        self.buckets.len()
    }

    pub fn get(&self, id: &NodeId) -> Option<&Contact> {
        let b = self.me.common_prefix(id)?;
        self.buckets.get(b)?.entries.iter().find(|c| c.id == *id)
    }

    /// Whether `addr` is an entry or cached contact of any bucket under
    /// another id than `id`.
    fn lists_addr_elsewhere(&self, addr: SocketAddrV4, id: NodeId) -> bool {
        self.buckets.iter().any(|b| {
            b.entries
                .iter()
                .chain(&b.cache)
                .any(|c| c.addr == addr && c.id != id)
        })
    }

    fn bucket_mut(&mut self, i: usize) -> &mut Bucket {
        if self.buckets.len() <= i {
            self.buckets.resize_with(i + 1, Bucket::default);
        }
        &mut self.buckets[i]
    }

    /// A message from `id` at `addr` arrived at `now`: the
    /// least-recently-seen rule.
    pub fn observe(&mut self, now: Millis, id: NodeId, addr: SocketAddrV4) -> Observed {
        let Some(i) = self.me.common_prefix(&id) else {
            return Observed::Ignored;
        };
        let (k, cache, fresh_ms) = (self.k, self.cache, self.fresh_ms);
        let evict_without_ping = self.evict_without_ping;
        let b = self.bucket_mut(i);
        if let Some(pos) = b.entries.iter().position(|c| c.id == id) {
            if b.entries[pos].addr != addr {
                return Observed::Ignored;
            }
            let mut c = b.entries.remove(pos);
            c.last_seen = now;
            c.failures = 0;
            b.entries.push(c);
            b.changed = now;
            return Observed::Refreshed;
        }
        let fresh = Contact {
            id,
            addr,
            last_seen: now,
            failures: 0,
        };
        if self.lists_addr_elsewhere(addr, id) {
            return Observed::Ignored;
        }
        let b = &mut self.buckets[i];
        if b.entries.len() < k {
            b.cache.retain(|c| c.id != id);
            b.entries.push(fresh);
            b.changed = now;
            return Observed::Added;
        }
        if evict_without_ping {
            let head = b.entries.remove(0);
            b.entries.push(fresh);
            if b.pinging == Some(head.id) {
                b.pinging = None;
            }
            b.changed = now;
            return Observed::Added;
        }
        b.cache.retain(|c| c.id != id);
        if cache > 0 {
            if b.cache.len() == cache {
                b.cache.remove(0);
            }
            b.cache.push(fresh);
        }
        let head = b.entries[0];
        let questionable = now.saturating_sub(head.last_seen) >= fresh_ms;
        let ping = match b.pinging {
            None if questionable => {
                b.pinging = Some(head.id);
                Some(head)
            }
            _ => None,
        };
        Observed::Cached { ping }
    }

    /// A query to `id` timed out (a lookup query, or the eviction ping).
    /// Returns the contact if that dropped it: after `stale_after` failures
    /// in a row, or at once if it was the head pinged for eviction. The
    /// freshest cached contact takes the free place.
    pub fn failed(&mut self, id: &NodeId) -> Option<Contact> {
        let i = self.me.common_prefix(id)?;
        let stale_after = self.stale_after;
        let b = self.buckets.get_mut(i)?;
        let pos = b.entries.iter().position(|c| c.id == *id)?;
        b.entries[pos].failures += 1;
        let evict = b.pinging == Some(*id) || b.entries[pos].failures >= stale_after;
        if b.pinging == Some(*id) {
            b.pinging = None;
        }
        if !evict {
            return None;
        }
        let gone = b.entries.remove(pos);
        if let Some(next) = b.cache.pop() {
            b.entries.push(next);
        }
        Some(gone)
    }

    /// The eviction ping of `id` could not be sent or was abandoned:
    /// another newcomer may ask for one.
    pub fn ping_settled(&mut self, id: &NodeId) {
        if let Some(b) = self
            .me
            .common_prefix(id)
            .and_then(|i| self.buckets.get_mut(i))
        {
            if b.pinging == Some(*id) {
                b.pinging = None;
            }
        }
    }

    /// The `n` contacts closest to `target`, closest first.
    pub fn closest(&self, target: &NodeId, n: usize) -> Vec<Contact> {
        let mut all: Vec<Contact> = self.contacts().copied().collect();
        all.sort_by_key(|c| target.distance(&c.id));
        all.truncate(n);
        all
    }

    /// Buckets (indices) unchanged since `before`, among those up to the
    /// deepest in use, that a refresh should look up.
    pub fn stale_buckets(&self, before: Millis) -> Vec<usize> {
        (0..self.buckets.len())
            .filter(|&i| self.buckets[i].changed < before)
            .collect()
    }

    /// Marks bucket `i` refreshed at `now` (its refresh lookup started).
    pub fn touch(&mut self, i: usize, now: Millis) {
        self.bucket_mut(i).changed = now;
    }

    /// Checks the invariants of `BucketsWellFormed` (the model's property)
    /// on this table: every entry in the bucket of its prefix length,
    /// never ourselves, no duplicates, at most k. Returns the first
    /// violation found.
    ///
    /// Not "ordered by `last_seen`": a cached contact promoted into a
    /// bucket goes to its tail (as in the model) but keeps the time it was
    /// last heard from, which may be older than entries before it (the
    /// conformance harness's random runs found such a table). The order
    /// of the buckets is checked against the model's instead, event by
    /// event, by the conformance harness.
    pub fn check(&self) -> Result<(), String> {
        let mut seen = std::collections::BTreeSet::new();
        for (i, b) in self.buckets.iter().enumerate() {
            if b.entries.len() > self.k {
                return Err(format!(
                    "bucket {i} holds {} > k = {}",
                    b.entries.len(),
                    self.k
                ));
            }
            for c in &b.entries {
                if self.me.common_prefix(&c.id) != Some(i) {
                    return Err(format!("{} is in bucket {i}, not its own", c.id));
                }
                if !seen.insert(c.id) {
                    return Err(format!("{} is listed twice", c.id));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
