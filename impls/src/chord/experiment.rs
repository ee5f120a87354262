//! # Chord at scale: the path-length and failure experiments
//!
//! The simulations of the Chord paper (Stoica et al., SIGCOMM 2001, §6.3
//! "Path length" and §6.4 "Simultaneous node failures"; §V.C–D of the
//! ToN 2003 version), run with the real node of this crate in the seeded
//! simulator rather than with an abstract router:
//!
//! 1. a stable ring of N nodes is built by the oracle ([`super::ring`]):
//!    identifiers are SHA-1 of the simulated addresses, every successor
//!    list, predecessor and finger exact. Growing 10^5 nodes by joins is
//!    possible but slow and measures ring maintenance, not lookups; the
//!    paper, too, measures path length in a converged network;
//! 2. optionally a seeded random fraction F of the nodes crashes, with no
//!    time to repair: periodic timers are off ([`Config::manual`]), so
//!    nobody stabilizes or fixes fingers, and lookups can only route
//!    around the dead by their own timeouts (the lookup asks the
//!    runner-up the previous hop offered);
//! 3. L lookups of random keys start from random live nodes, in batches
//!    (lookups change no routing state, so batching changes only the
//!    simulated clock, not a single path);
//! 4. each answer is judged against the oracle: the true owner of a key
//!    is its successor among the *live* nodes.
//!
//! Every random choice comes from ChaCha generators seeded by the one
//! seed: message delays from the simulator's, and the experiment's own
//! choices (victims, keys, origins) from a second generator drawn from the
//! simulator's at the start. Keeping them apart makes the sequence of
//! lookups independent of the network: the same keys from the same
//! origins whatever the delays or the batch size. The same parameters give
//! the same [`Report`], field for field, except the wall-clock [`Timing`].

use std::time::Instant;

use rand::seq::index;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::id::{Id, Peer};
use super::node::{Config, Event, Node};
use super::ring;
use crate::runtime::sim::{sim_addr, Net, Sim};
use crate::summary::{ratio, summarize};
pub use crate::summary::{Phase, Summary, Timing};

/// The largest ring: simulated addresses are 10.0.0.0 + i, so i must stay
/// inside 10.0.0.0/8.
pub const MAX_NODES: usize = 1 << 24;

/// What to simulate.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// Ring size before any crash.
    pub nodes: usize,
    /// Lookups of random keys from random live nodes.
    pub lookups: usize,
    /// Seed of every random choice.
    pub seed: u64,
    /// Fraction of the nodes that crash before the lookups (0 ≤ F < 1).
    pub fail_fraction: f64,
    /// r: successor-list length (the node also routes by its successors).
    pub succ_list: usize,
    /// Message delays and loss.
    pub net: Net,
    /// Lookups in flight at once. Only the simulated clock and the order
    /// of message delays depend on it, not a lookup's path.
    pub batch: usize,
}

impl Params {
    /// The defaults of `overlay simulate`: r = 3, the simulator's default
    /// network (5–50 ms delays, no loss), 1000 lookups per batch.
    pub fn new(nodes: usize, lookups: usize, seed: u64) -> Params {
        Params {
            nodes,
            lookups,
            seed,
            fail_fraction: 0.0,
            succ_list: Config::default().succ_list,
            net: Net::default(),
            batch: 1000,
        }
    }

    /// Rejects parameters the experiment cannot run with, saying which.
    pub fn validate(&self) -> Result<(), String> {
        if self.nodes == 0 {
            return Err("--nodes must be at least 1".into());
        }
        if self.nodes > MAX_NODES {
            return Err(format!("--nodes must be at most {MAX_NODES}"));
        }
        if self.succ_list == 0 || self.succ_list > super::wire::MAX_LIST {
            return Err(format!(
                "--succ-list must be between 1 and {}",
                super::wire::MAX_LIST
            ));
        }
        crate::summary::validate_common(self.fail_fraction, self.batch, &self.net)
    }

    /// How many nodes crash: F·N rounded, but at least one node survives
    /// so that lookups have an origin.
    pub fn crashes(&self) -> usize {
        let k = (self.fail_fraction * self.nodes as f64).round() as usize;
        k.min(self.nodes - 1)
    }
}

/// What an experiment measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub params: Params,
    /// Nodes that crashed before the lookups.
    pub crashed: usize,
    pub lookups: usize,
    /// Path length: nodes that answered, of the lookups that returned an
    /// owner (`None` when none did). The origin answering itself is 0.
    pub hops: Option<Summary>,
    /// Nodes contacted, dead ones included (hops + timeouts), of the same
    /// lookups: the path length of the ToN paper's failure experiment.
    pub contacts: Option<Summary>,
    /// Timeouts of every lookup (`None` without lookups).
    pub timeouts_per_lookup: Option<Summary>,
    /// Lookups that returned no owner (every candidate timed out, or the
    /// hop limit was reached).
    pub failed_lookups: u64,
    /// Lookups that returned an owner other than the key's successor among
    /// the live nodes. Zero without crashes, or the core is wrong.
    pub wrong_owner: u64,
    /// Of those, the owner returned was a crashed node: the key's
    /// responsible node before the crash, whose data (without replicas)
    /// is lost — what the paper's failure experiment counts.
    pub dead_owner: u64,
    /// Lookup timeouts, summed over all lookups.
    pub timeouts: u64,
    /// Datagrams the nodes sent (lookup requests and answers).
    pub messages_sent: u64,
    /// Datagrams addressed to crashed nodes.
    pub undeliverable: u64,
    /// Discrete events the simulator processed (deliveries and timers).
    pub sim_events: u64,
    /// Simulated time at the end, in ms.
    pub sim_time_ms: u64,
    pub timing: Timing,
}

impl Report {
    /// Lookups that returned the key's successor among the live nodes.
    pub fn correct(&self) -> u64 {
        self.lookups as u64 - self.failed_lookups - self.wrong_owner
    }

    /// Mean timeouts per lookup.
    pub fn mean_timeouts(&self) -> f64 {
        ratio(self.timeouts, self.lookups as u64)
    }
}

/// Runs the experiment. Panics on parameters that [`Params::validate`]
/// rejects.
pub fn run(p: &Params) -> Report {
    run_with_progress(p, |_| {})
}

/// [`run`], calling `progress` at the start of each phase and after each
/// batch of lookups.
pub fn run_with_progress(p: &Params, mut progress: impl FnMut(Phase)) -> Report {
    if let Err(e) = p.validate() {
        panic!("invalid experiment parameters: {e}");
    }
    progress(Phase::Building { nodes: p.nodes });
    let started = Instant::now();
    let cfg = Config::manual(p.succ_list);
    let peers: Vec<Peer> = (0..p.nodes).map(|i| Peer::at(sim_addr(i))).collect();
    let mut sim: Sim<Node> = Sim::new(p.net.clone(), p.seed);
    for n in ring::ideal(&cfg, &peers, true) {
        sim.add(n);
    }
    let mut rng = ChaCha8Rng::from_rng(sim.rng());
    let crashed = p.crashes();
    for slot in index::sample(&mut rng, p.nodes, crashed) {
        sim.crash(slot);
    }
    let live: Vec<usize> = sim.nodes().map(|(i, _)| i).collect();
    let mut owners: Vec<Peer> = live.iter().map(|&i| peers[i]).collect();
    owners.sort();
    let build = started.elapsed();

    let started = Instant::now();
    let mut tally = Tally::default();
    let mut done = 0;
    progress(Phase::Lookups {
        done,
        total: p.lookups,
    });
    while done < p.lookups {
        let batch = p.batch.min(p.lookups - done);
        for _ in 0..batch {
            let origin = live[rng.random_range(0..live.len())];
            let key = Id(rng.random());
            sim.with_node(origin, |n, _, out| n.lookup(key, out));
        }
        sim.run_until_idle(u64::MAX);
        let events = sim.take_events();
        assert_eq!(events.len(), batch, "every lookup reports once");
        for (_, e) in events {
            tally.add(e, &owners);
        }
        done += batch;
        progress(Phase::Lookups {
            done,
            total: p.lookups,
        });
    }
    let lookups_time = started.elapsed();

    let stats = sim.stats().clone();
    Report {
        params: p.clone(),
        crashed,
        lookups: p.lookups,
        hops: summarize(&mut tally.hops),
        contacts: summarize(&mut tally.contacts),
        timeouts_per_lookup: summarize(&mut tally.timeouts_each),
        failed_lookups: tally.failed,
        wrong_owner: tally.wrong,
        dead_owner: tally.dead,
        timeouts: tally.timeouts,
        messages_sent: stats.sent,
        undeliverable: stats.undeliverable,
        sim_events: stats.delivered + stats.undeliverable + stats.timers,
        sim_time_ms: sim.now(),
        timing: Timing {
            build,
            lookups: lookups_time,
        },
    }
}

/// Running counts over the lookup answers.
#[derive(Default)]
struct Tally {
    /// Hops, and hops + timeouts, of every lookup that returned an owner.
    hops: Vec<u32>,
    contacts: Vec<u32>,
    /// Timeouts of every lookup.
    timeouts_each: Vec<u32>,
    failed: u64,
    wrong: u64,
    dead: u64,
    timeouts: u64,
}

impl Tally {
    /// Judges one answer: `owners` are the live nodes sorted by id. A
    /// returned owner is always a node of the ring (nobody else is known),
    /// so one that is not live is a crashed one.
    fn add(&mut self, e: Event, owners: &[Peer]) {
        let Event::LookupDone {
            key,
            owner,
            hops,
            timeouts,
        } = e
        else {
            panic!("a measurement run reports only lookups, got {e:?}");
        };
        self.timeouts += u64::from(timeouts);
        self.timeouts_each.push(timeouts);
        let Some(owner) = owner else {
            self.failed += 1;
            return;
        };
        self.hops.push(hops);
        self.contacts.push(hops + timeouts);
        let want = owners[owners.partition_point(|p| p.id < key) % owners.len()];
        if owner != want {
            self.wrong += 1;
            if owners.binary_search(&owner).is_err() {
                self.dead += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stable_ring_answers_every_lookup_correctly() {
        let r = run(&Params::new(300, 500, 5));
        assert_eq!((r.failed_lookups, r.wrong_owner, r.timeouts), (0, 0, 0));
        assert_eq!(r.crashed, 0);
        let h = r.hops.unwrap();
        // ½·log2(300) ≈ 4.1
        assert!((3.0..5.5).contains(&h.mean), "mean hops {}", h.mean);
        assert_eq!(h.histogram.iter().sum::<u64>(), 500);
    }

    #[test]
    fn same_seed_same_report_apart_from_timing() {
        let mut p = Params::new(200, 300, 11);
        p.fail_fraction = 0.3;
        p.batch = 64;
        let (mut a, mut b) = (run(&p), run(&p));
        a.timing = Timing::default();
        b.timing = Timing::default();
        assert_eq!(a, b);
        assert_eq!(a.crashed, 60);
        assert!(a.timeouts > 0, "crashed nodes make lookups time out");
    }

    #[test]
    fn a_single_node_owns_everything() {
        let r = run(&Params::new(1, 10, 0));
        assert_eq!(r.hops.unwrap().max, 0);
        assert_eq!(
            (r.failed_lookups, r.wrong_owner, r.messages_sent),
            (0, 0, 0)
        );
    }

    #[test]
    fn parameters_are_checked() {
        let ok = Params::new(10, 1, 0);
        assert!(ok.validate().is_ok());
        let bad = |f: fn(&mut Params)| {
            let mut p = ok.clone();
            f(&mut p);
            p.validate().unwrap_err()
        };
        assert!(bad(|p| p.nodes = 0).contains("--nodes"));
        assert!(bad(|p| p.fail_fraction = 1.0).contains("--fail-fraction"));
        assert!(bad(|p| p.fail_fraction = -0.1).contains("--fail-fraction"));
        assert!(bad(|p| p.fail_fraction = f64::NAN).contains("--fail-fraction"));
        assert!(bad(|p| p.succ_list = 0).contains("--succ-list"));
        let mut p = Params::new(2, 1, 0);
        p.fail_fraction = 0.9;
        assert_eq!(p.crashes(), 1, "one node always survives");
    }
}
