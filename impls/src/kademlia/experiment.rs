//! # Kademlia at scale: lookup path length and accuracy
//!
//! The claim under test (Maymounkov & Mazières, IPTPS 2002, §2.3 and
//! §3): a lookup in a network of N nodes contacts O(log N) nodes —
//! "⌈log N⌉ + c" steps — and returns the k closest nodes to the target.
//! The real node of this crate runs in the seeded simulator:
//!
//! 1. N nodes get ids (SHA-1 of their simulated addresses) and converged
//!    routing tables from an oracle: each bucket holds k nodes drawn at
//!    random (seeded) from that bucket's id range, or all of them if
//!    fewer — what a long-running network's tables look like (buckets
//!    keep old contacts, and which old ones is arbitrary). Growing 10^5
//!    nodes by joins would measure join traffic, not lookups.
//! 2. Optionally a seeded fraction F of the nodes crashes, with no repair
//!    (no refreshes, no pings): lookups route around the dead through
//!    their timeouts, and a contact that fails is dropped from the
//!    querier's table.
//! 3. L FIND_NODE lookups of random targets start from random live nodes,
//!    in batches (a lookup's answers update the tables it touches, as in
//!    the real protocol; batching changes the order of those updates).
//! 4. Each result is judged against the oracle: the k live nodes closest
//!    to the target by XOR.
//!
//! `hops` is how many messages away from the origin the closest node
//! found was first heard of ([`super::lookup::Lookup::hops`]): the length
//! of the chain of answers that led to it, the lookup's sequential depth.
//! `messages` is the queries a lookup sent (α-parallel, so more than its
//! hops). Every random choice is drawn from the one seed; the same
//! parameters give the same [`Report`], field for field, except
//! [`Timing`].

use std::collections::BTreeMap;
use std::net::{SocketAddr, SocketAddrV4};
use std::time::Instant;

use rand::seq::index;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::krpc::NodeId;
use super::node::{Config, Event, Node};
use crate::runtime::sim::{sim_addr, Net, Sim};
pub use crate::summary::Timing;
use crate::summary::{ratio, summarize, Phase, Summary};

/// Simulated addresses are 10.0.0.0 + i: i stays inside 10.0.0.0/8.
pub const MAX_NODES: usize = 1 << 24;

/// What to simulate.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    pub nodes: usize,
    pub lookups: usize,
    pub seed: u64,
    /// Fraction of the nodes that crash before the lookups (0 ≤ F < 1).
    pub fail_fraction: f64,
    /// Bucket size and result size (BEP 5: 8).
    pub k: usize,
    /// Queries in flight per lookup (the paper: 3).
    pub alpha: usize,
    pub net: Net,
    /// Lookups in flight at once.
    pub batch: usize,
}

impl Params {
    /// The defaults of `overlay simulate kademlia`: k = 8, α = 3, the
    /// simulator's default network, 1000 lookups per batch.
    pub fn new(nodes: usize, lookups: usize, seed: u64) -> Params {
        Params {
            nodes,
            lookups,
            seed,
            fail_fraction: 0.0,
            k: 8,
            alpha: 3,
            net: Net::default(),
            batch: 1000,
        }
    }

    /// Rejects parameters the experiment cannot run with, saying which.
    pub fn validate(&self) -> Result<(), String> {
        if self.nodes < 2 {
            return Err("--nodes must be at least 2 (a lookup needs someone to ask)".into());
        }
        if self.nodes > MAX_NODES {
            return Err(format!("--nodes must be at most {MAX_NODES}"));
        }
        if self.k == 0 || self.alpha == 0 {
            return Err("k and alpha must be at least 1".into());
        }
        crate::summary::validate_common(self.fail_fraction, self.batch, &self.net)
    }

    /// How many nodes crash: F·N rounded, leaving at least two alive.
    pub fn crashes(&self) -> usize {
        let c = (self.fail_fraction * self.nodes as f64).round() as usize;
        c.min(self.nodes - 2)
    }
}

/// What an experiment measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub params: Params,
    pub crashed: usize,
    pub lookups: usize,
    /// Hops of the lookups that found any node.
    pub hops: Option<Summary>,
    /// Queries sent per lookup (all lookups).
    pub messages: Option<Summary>,
    /// Timeouts per lookup (all lookups).
    pub timeouts_per_lookup: Option<Summary>,
    /// Lookups whose result was exactly the k live nodes closest to the
    /// target (the whole network, if fewer than k live).
    pub found_k_closest: u64,
    /// Lookups whose first result was the live node closest to the target.
    pub found_closest: u64,
    /// Lookups that found no node at all.
    pub failed_lookups: u64,
    pub messages_sent: u64,
    pub undeliverable: u64,
    pub sim_events: u64,
    pub sim_time_ms: u64,
    pub timing: Timing,
}

impl Report {
    pub fn found_k_closest_fraction(&self) -> f64 {
        ratio(self.found_k_closest, self.lookups as u64)
    }
    pub fn found_closest_fraction(&self) -> f64 {
        ratio(self.found_closest, self.lookups as u64)
    }
}

/// Runs the experiment. Panics on parameters [`Params::validate`] rejects.
pub fn run(p: &Params) -> Report {
    run_with_progress(p, |_| {})
}

fn addr_v4(i: usize) -> SocketAddrV4 {
    match sim_addr(i) {
        SocketAddr::V4(a) => a,
        SocketAddr::V6(_) => unreachable!("simulated addresses are IPv4"),
    }
}

/// The id of simulated node `i`: SHA-1 of its address as text.
pub fn sim_id(i: usize) -> NodeId {
    NodeId::hash(sim_addr(i).to_string().as_bytes())
}

/// [`run`], calling `progress` at the start of each phase and after each
/// batch of lookups.
pub fn run_with_progress(p: &Params, mut progress: impl FnMut(Phase)) -> Report {
    if let Err(e) = p.validate() {
        panic!("invalid experiment parameters: {e}");
    }
    progress(Phase::Building { nodes: p.nodes });
    let started = Instant::now();
    let mut sim: Sim<Node> = Sim::new(p.net.clone(), p.seed);
    let mut rng = ChaCha8Rng::from_rng(sim.rng());
    let cfg = Config {
        k: p.k,
        alpha: p.alpha,
        refresh_ms: 0,
        seed: p.seed,
        ..Config::default()
    };
    let ids: Vec<NodeId> = (0..p.nodes).map(sim_id).collect();
    let space = Space::new(&ids);
    for (i, &id) in ids.iter().enumerate() {
        let mut node = Node::new(cfg.clone(), id, addr_v4(i));
        for j in space.oracle_table(id, p.k, &mut rng) {
            node.table_mut().observe(0, ids[j], addr_v4(j));
        }
        sim.add(node);
    }
    let crashed = p.crashes();
    let mut dead = vec![false; p.nodes];
    for v in index::sample(&mut rng, p.nodes, crashed) {
        sim.crash(v);
        dead[v] = true;
    }
    let live_ids: Vec<NodeId> = (0..p.nodes).filter(|&i| !dead[i]).map(|i| ids[i]).collect();
    let live = Space::new(&live_ids);
    let live_slots: Vec<usize> = (0..p.nodes).filter(|&i| !dead[i]).collect();
    let build = started.elapsed();

    let started = Instant::now();
    let mut tally = Tally::default();
    let mut targets = BTreeMap::new();
    let mut done = 0;
    progress(Phase::Lookups {
        done,
        total: p.lookups,
    });
    while done < p.lookups {
        let n = p.batch.min(p.lookups - done);
        for tag in done..done + n {
            let origin = live_slots[rng.random_range(0..live_slots.len())];
            let target = NodeId(rng.random());
            targets.insert(tag as u64, target);
            sim.with_node(origin, |node, now, out| {
                node.find_node(now, target, tag as u64, out)
            });
        }
        sim.run_until_idle(u64::MAX);
        for (_, e) in sim.take_events() {
            if let Event::Done { tag, outcome } = e {
                let target = targets.remove(&tag).expect("a lookup we started");
                let truth = live.closest(&target, p.k);
                tally.add(&outcome, &truth);
            }
        }
        done += n;
        progress(Phase::Lookups {
            done,
            total: p.lookups,
        });
    }
    let stats = sim.stats().clone();
    Report {
        params: p.clone(),
        crashed,
        lookups: p.lookups,
        hops: summarize(&mut tally.hops),
        messages: summarize(&mut tally.messages),
        timeouts_per_lookup: summarize(&mut tally.timeouts),
        found_k_closest: tally.k_closest,
        found_closest: tally.closest,
        failed_lookups: tally.failed,
        messages_sent: stats.sent,
        undeliverable: stats.undeliverable,
        sim_events: stats.delivered + stats.timers,
        sim_time_ms: sim.now(),
        timing: Timing {
            build,
            lookups: started.elapsed(),
        },
    }
}

#[derive(Default)]
struct Tally {
    hops: Vec<u32>,
    messages: Vec<u32>,
    timeouts: Vec<u32>,
    k_closest: u64,
    closest: u64,
    failed: u64,
}

impl Tally {
    fn add(&mut self, o: &super::ops::Outcome, truth: &[NodeId]) {
        self.messages.push(o.queries);
        self.timeouts.push(o.timeouts);
        if o.nodes.is_empty() {
            self.failed += 1;
            return;
        }
        self.hops.push(o.hops);
        let got: Vec<NodeId> = o.nodes.iter().map(|n| n.id).collect();
        if got == truth {
            self.k_closest += 1;
        }
        if got.first() == truth.first() {
            self.closest += 1;
        }
    }
}

/// Ids in numeric order, for the oracle: a set of ids sharing a prefix is
/// a contiguous range of it.
struct Space {
    /// (id, index into the caller's list), sorted by id.
    sorted: Vec<(NodeId, usize)>,
}

impl Space {
    fn new(ids: &[NodeId]) -> Space {
        let mut sorted: Vec<(NodeId, usize)> = ids.iter().copied().zip(0..).collect();
        sorted.sort();
        Space { sorted }
    }

    /// Positions of the ids whose first `bits` bits are those of `x`.
    fn subtree(&self, x: &NodeId, bits: usize) -> std::ops::Range<usize> {
        let (lo, hi) = prefix_bounds(x, bits);
        let a = self.sorted.partition_point(|(id, _)| *id < lo);
        let b = self.sorted.partition_point(|(id, _)| *id <= hi);
        a..b
    }

    /// The k ids closest to `target` by XOR, closest first: all within the
    /// deepest subtree around the target that holds at least k of them
    /// (an id outside shares a shorter prefix, so is farther).
    fn closest(&self, target: &NodeId, k: usize) -> Vec<NodeId> {
        let mut bits = 0;
        while bits < super::distance::BITS && self.subtree(target, bits + 1).len() >= k {
            bits += 1;
        }
        let mut ids: Vec<NodeId> = self.sorted[self.subtree(target, bits)]
            .iter()
            .map(|(id, _)| *id)
            .collect();
        ids.sort_by_key(|id| target.distance(id));
        ids.truncate(k);
        ids
    }

    /// Indices (into the caller's list) of a converged table for `me`: per
    /// bucket, k ids drawn from its range, or all of them.
    fn oracle_table(&self, me: NodeId, k: usize, rng: &mut impl Rng) -> Vec<usize> {
        let mut out = Vec::new();
        for b in 0..super::distance::BITS {
            // Bucket b: the other half of our subtree of depth b.
            let mut sibling = me;
            sibling.0[b / 8] ^= 0x80 >> (b % 8);
            let range = self.subtree(&sibling, b + 1);
            let n = range.len();
            for pick in index::sample(rng, n, n.min(k)) {
                out.push(self.sorted[range.start + pick].1);
            }
            if self.subtree(&me, b + 1).len() <= 1 {
                break; // nobody else shares b + 1 bits with us: done
            }
        }
        out
    }
}

/// The least and greatest ids whose first `bits` bits are those of `x`.
fn prefix_bounds(x: &NodeId, bits: usize) -> (NodeId, NodeId) {
    let (mut lo, mut hi) = (x.0, x.0);
    for bit in bits..super::distance::BITS {
        let (byte, mask) = (bit / 8, 0x80u8 >> (bit % 8));
        lo[byte] &= !mask;
        hi[byte] |= mask;
    }
    (NodeId(lo), NodeId(hi))
}

#[cfg(test)]
mod tests;
