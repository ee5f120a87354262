//! Routing tables: the least-recently-seen rule and bucket eviction
//! (Maymounkov & Mazières §2.2 and §4.1; BEP 5 "Routing Table").
//!
//! When node x receives any message from y, x *observes* y:
//!
//! * y already in its bucket: y moves to the tail (most recently seen);
//! * room in the bucket: y goes to the tail;
//! * bucket full: y goes to the bucket's replacement cache (its tail; the
//!   oldest cached contact is dropped when the cache is full) and x pings
//!   the bucket's head, its least-recently seen entry, unless a ping of
//!   that bucket is already pending. The head is evicted only if the ping
//!   times out ([`ping_timeout`]), and the freshest cached contact takes
//!   its place; if it answers ([`pong`]) it moves to the tail and the
//!   newcomer stays in the cache.
//!
//! The `evict-without-ping` variant drops the head at once instead.
//!
//! A query of a lookup that times out also drops its target from the
//! origin's table, promoting the freshest cached contact (the paper's
//! "stale contact" rule with a threshold of one failed RPC).

use super::id::{bit, closest, cpl, has, Node};
use super::state::{Bucket, State};
use super::{Mutation, Variant};

/// Everything the rules depend on: bucket geometry, lookup parallelism,
/// the variant and (for negative controls only) a mutation.
#[derive(Clone, Copy, Debug)]
pub struct Rules {
    pub bits: usize,
    pub nodes: usize,
    pub k: usize,
    pub alpha: usize,
    pub cache: usize,
    pub variant: Variant,
    pub mutation: Mutation,
}

impl Rules {
    pub fn bucket_of(&self, owner: Node, contact: Node) -> usize {
        cpl(owner, contact, self.bits)
    }
}

/// x receives a message from y: the least-recently-seen rule, then
/// replication (paper §2.5): a node holding the value sends it to a
/// contact it observes that is among the k closest to the key it knows of
/// (itself included). The STORE is delivered at once (see the essay).
pub fn observe(s: &mut State, r: &Rules, x: Node, y: Node) {
    if x == y || !s.is_live(x) {
        return;
    }
    update(s, r, x, y);
    if let Some(key) = s.key {
        if s.node(x).value && s.is_live(y) && !s.node(y).value {
            let near = closest(s.known(x) | bit(x) | bit(y), key, r.k);
            if has(near, y) {
                s.node_mut(y).value = true;
            }
        }
    }
}

fn update(s: &mut State, r: &Rules, x: Node, y: Node) {
    s.observed |= super::state::pair_bit(x, y);
    let i = r.bucket_of(x, y);
    let b: &mut Bucket = &mut s.node_mut(x).buckets[i];
    if let Some(pos) = b.entries.iter().position(|&e| e == y) {
        b.entries.remove(pos);
        b.entries.push(y);
        return;
    }
    if b.entries.len() < r.k {
        if r.mutation == Mutation::NewcomerAtHead {
            b.entries.insert(0, y);
        } else {
            b.entries.push(y);
        }
        if let Some(pos) = b.cache.iter().position(|&e| e == y) {
            b.cache.remove(pos);
        }
        return;
    }
    if r.variant == Variant::EvictWithoutPing {
        let head = b.entries.remove(0);
        b.entries.push(y);
        if b.ping == Some(head) {
            b.ping = None;
        }
        let head_live = s.is_live(head);
        s.evicted_live |= head_live;
        return;
    }
    if r.cache > 0 {
        if let Some(pos) = b.cache.iter().position(|&e| e == y) {
            b.cache.remove(pos);
        } else if b.cache.len() == r.cache {
            b.cache.remove(0);
        }
        b.cache.push(y);
    }
    if b.ping.is_none() {
        b.ping = Some(b.entries[0]);
    }
}

/// Drops y from x's bucket (y did not answer), promoting the freshest
/// cached contact. Sets the ghost when y was in fact live.
pub fn drop_contact(s: &mut State, r: &Rules, x: Node, y: Node) {
    let i = r.bucket_of(x, y);
    let live = s.is_live(y);
    let b = &mut s.node_mut(x).buckets[i];
    if b.ping == Some(y) {
        b.ping = None;
    }
    if let Some(pos) = b.entries.iter().position(|&e| e == y) {
        b.entries.remove(pos);
        if let Some(c) = b.cache.pop() {
            b.entries.push(c);
        }
        s.evicted_live |= live;
    }
}

/// x's ping of y is answered (y is live): y observes x (it received the
/// ping), x observes y (it received the answer), the ping is over.
pub fn pong(s: &mut State, r: &Rules, x: Node, y: Node) {
    let i = r.bucket_of(x, y);
    s.node_mut(x).buckets[i].ping = None;
    observe(s, r, y, x);
    observe(s, r, x, y);
}

/// x's ping of y times out (y has failed): y is evicted.
pub fn ping_timeout(s: &mut State, r: &Rules, x: Node, y: Node) {
    drop_contact(s, r, x, y);
}
