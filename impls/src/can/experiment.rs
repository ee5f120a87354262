//! # CAN at scale: path length and neighbour count
//!
//! The claims under test (Ratnasamy et al., SIGCOMM 2001, §2.1):
//! in a d-dimensional space partitioned into n equal zones, each node has
//! 2d neighbours and the average routing path is (d/4)·n^(1/d) hops. The
//! real node of this crate runs in the seeded simulator:
//!
//! 1. n nodes join at seeded random points of every reality. By default
//!    each join is the protocol's (§2.2): routed from a random member to
//!    the point's owner, which splits its zone, hands half over and
//!    UPDATEs its neighbours; the simulator runs to quiescence between
//!    joins. With [`Build::Oracle`] the partition tree applies the same
//!    split rule at the same points ([`super::oracle`]) and the nodes get
//!    exact neighbour tables directly: the same zones, without routing
//!    every join (the simulator tests compare the two).
//! 2. The result is audited ([`super::audit`]): the zones must tile every
//!    reality exactly and every neighbour table must be exact.
//! 3. L lookups of random points (one per reality) start at random nodes,
//!    in batches; each routes greedily in the reality where its origin's
//!    zone lies closest to the target (§3, "Realities"), and its answer is
//!    judged against the partition: the owner must be the point's true
//!    owner.
//!
//! Periodic timers are off ([`Config::manual`]): nothing fails, so
//! nothing needs refreshing, and the figures are those of the converged
//! network. Every random choice comes from the one seed; the same
//! parameters give the same [`Report`], field for field, except
//! [`Timing`].

use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::audit::audit;
use super::node::{Config, Event, Node, MAX_REALITIES};
use super::oracle;
use super::partition::Partition;
use super::point::{Point, MAX_DIMS};
use crate::runtime::sim::{sim_addr, Net, Sim};
pub use crate::summary::Timing;
use crate::summary::{summarize, Phase, Summary};

/// Simulated addresses are 10.0.0.0 + i: i stays inside 10.0.0.0/8.
pub const MAX_NODES: usize = 1 << 24;

/// How the network is built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Build {
    /// Every node joins through the protocol.
    Joins,
    /// The partition tree applies the join rule; tables are set exactly.
    Oracle,
}

/// What to simulate.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    pub nodes: usize,
    /// d, 1 ..= 8.
    pub dims: usize,
    /// r, 1 ..= 16.
    pub realities: usize,
    pub lookups: usize,
    pub seed: u64,
    pub build: Build,
    pub net: Net,
    /// Lookups in flight at once (they change no state: only the
    /// simulated clock depends on it).
    pub batch: usize,
}

impl Params {
    /// The defaults of `overlay simulate can`: d = 2, one reality, joins
    /// through the protocol, the simulator's default network, 1000
    /// lookups per batch.
    pub fn new(nodes: usize, lookups: usize, seed: u64) -> Params {
        Params {
            nodes,
            dims: 2,
            realities: 1,
            lookups,
            seed,
            build: Build::Joins,
            net: Net::default(),
            batch: 1000,
        }
    }

    /// Rejects parameters the experiment cannot run with, naming the flag.
    pub fn validate(&self) -> Result<(), String> {
        if self.nodes == 0 {
            return Err("--nodes must be at least 1".into());
        }
        if self.nodes > MAX_NODES {
            return Err(format!("--nodes must be at most {MAX_NODES}"));
        }
        if !(1..=MAX_DIMS).contains(&self.dims) {
            return Err(format!("--dims must be 1 to {MAX_DIMS}, not {}", self.dims));
        }
        if !(1..=MAX_REALITIES).contains(&self.realities) {
            return Err(format!(
                "--realities must be 1 to {MAX_REALITIES}, not {}",
                self.realities
            ));
        }
        crate::summary::validate_common(0.0, self.batch, &self.net)
    }

    /// The paper's average path length for n equal zones: (d/4)·n^(1/d).
    pub fn expected_hops(&self) -> f64 {
        self.dims as f64 / 4.0 * (self.nodes as f64).powf(1.0 / self.dims as f64)
    }
}

/// What an experiment measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub params: Params,
    /// Joins that got no zone in some reality (0, or the protocol is
    /// wrong; always 0 for the oracle build).
    pub failed_joins: u64,
    /// Whether the zones tile every reality and every table is exact.
    pub tiling_exact: bool,
    pub tables_exact: bool,
    /// Neighbours per node, over all nodes and realities.
    pub mean_neighbors: f64,
    pub max_neighbors: usize,
    /// Zones per node: the most any node holds (1 after joins).
    pub max_zones: usize,
    pub lookups: usize,
    /// Hops of the lookups that found an owner.
    pub hops: Option<Summary>,
    /// Lookups that found no owner (a stuck route).
    pub failed_lookups: u64,
    /// Lookups answered by a node that is not the point's owner.
    pub wrong_owner: u64,
    /// Messages the nodes sent while building (joins and UPDATEs).
    pub build_messages: u64,
    /// Messages, simulator events and undeliverable datagrams of the
    /// lookups.
    pub messages_sent: u64,
    pub undeliverable: u64,
    pub sim_events: u64,
    pub sim_time_ms: u64,
    pub timing: Timing,
}

/// Runs the experiment. Panics on parameters [`Params::validate`] rejects.
pub fn run(p: &Params) -> Report {
    run_with_progress(p, |_| {})
}

fn random_point(rng: &mut ChaCha8Rng, dims: usize) -> Point {
    let c: Vec<u32> = (0..dims).map(|_| rng.random()).collect();
    Point::new(&c).expect("1..=8 coordinates")
}

/// [`run`], calling `progress` at the start of each phase and after each
/// batch of lookups.
pub fn run_with_progress(p: &Params, mut progress: impl FnMut(Phase)) -> Report {
    if let Err(e) = p.validate() {
        panic!("invalid experiment parameters: {e}");
    }
    progress(Phase::Building { nodes: p.nodes });
    let started = Instant::now();
    let cfg = Config::manual(p.dims, p.realities);
    let mut sim: Sim<Node> = Sim::new(p.net.clone(), p.seed);
    // Two generators: the joins' bootstraps draw from their own, so that
    // both builds see the same points and the same lookups.
    let mut rng = ChaCha8Rng::from_rng(sim.rng());
    let mut join_rng = ChaCha8Rng::from_rng(sim.rng());
    let points: Vec<Vec<Point>> = (0..p.nodes)
        .map(|_| {
            (0..p.realities)
                .map(|_| random_point(&mut rng, p.dims))
                .collect()
        })
        .collect();
    let failed_joins = match p.build {
        Build::Joins => grow(&cfg, &points, &mut sim, &mut join_rng),
        Build::Oracle => {
            let addrs: Vec<_> = (0..p.nodes).map(sim_addr).collect();
            let parts = oracle::partitions(&cfg, &points);
            for n in oracle::network(&cfg, &addrs, &points, &parts) {
                sim.add(n);
            }
            0
        }
    };
    let build_messages = sim.stats().sent;
    let mut parts: Vec<Partition> = Vec::new();
    let (mut tiling_exact, mut tables_exact) = (true, true);
    let (mut neighbors, mut max_neighbors) = (0.0, 0);
    for r in 0..p.realities {
        match audit(sim.nodes().map(|(i, n)| (i as u32, n)), r) {
            Ok(a) => {
                tables_exact &= a.exact();
                neighbors += a.mean_neighbors / p.realities as f64;
                max_neighbors = max_neighbors.max(a.max_neighbors);
                parts.push(a.partition);
            }
            Err(_) => {
                tiling_exact = false;
                tables_exact = false;
            }
        }
    }
    let max_zones = sim
        .nodes()
        .flat_map(|(_, n)| n.realities().iter().map(|r| r.zones().len()))
        .max()
        .unwrap_or(0);
    let build = started.elapsed();

    let started = Instant::now();
    let before = sim.stats().clone();
    let mut tally = Tally::default();
    let mut done = 0;
    progress(Phase::Lookups {
        done,
        total: p.lookups,
    });
    while done < p.lookups {
        let n = p.batch.min(p.lookups - done);
        for tag in done..done + n {
            let origin = rng.random_range(0..p.nodes);
            let targets: Vec<Point> = (0..p.realities)
                .map(|_| random_point(&mut rng, p.dims))
                .collect();
            let started = sim.with_node(origin, |node, now, out| {
                node.lookup(now, tag as u64, &targets, out)
            });
            assert!(matches!(started, Some(Ok(_))), "a member starts lookups");
        }
        sim.run_until_idle(u64::MAX);
        for (_, e) in sim.take_events() {
            tally.add(e, &parts, &sim);
        }
        done += n;
        progress(Phase::Lookups {
            done,
            total: p.lookups,
        });
    }
    let stats = sim.stats();
    let events = |s: &crate::runtime::sim::SimStats| s.delivered + s.undeliverable + s.timers;
    Report {
        params: p.clone(),
        failed_joins,
        tiling_exact,
        tables_exact,
        mean_neighbors: neighbors,
        max_neighbors,
        max_zones,
        lookups: p.lookups,
        hops: summarize(&mut tally.hops),
        failed_lookups: tally.failed,
        wrong_owner: tally.wrong,
        build_messages,
        messages_sent: stats.sent - before.sent,
        undeliverable: stats.undeliverable - before.undeliverable,
        sim_events: events(stats) - events(&before),
        sim_time_ms: sim.now(),
        timing: Timing {
            build,
            lookups: started.elapsed(),
        },
    }
}

/// Joins nodes 1.. one at a time through random members; returns the
/// joins that failed in some reality.
fn grow(cfg: &Config, points: &[Vec<Point>], sim: &mut Sim<Node>, rng: &mut ChaCha8Rng) -> u64 {
    sim.add(Node::with_points(cfg.clone(), sim_addr(0), points[0].clone()).founding());
    let mut failed = 0;
    for (i, ps) in points.iter().enumerate().skip(1) {
        let slot = sim.add(Node::with_points(cfg.clone(), sim_addr(i), ps.clone()));
        let via = sim_addr(rng.random_range(0..i));
        sim.with_node(slot, |n, _, out| {
            n.join(via, out).expect("a new node joins")
        });
        sim.run_until_idle(u64::MAX);
        let joined = sim
            .take_events()
            .iter()
            .filter(|(_, e)| matches!(e, Event::Joined { .. }))
            .count();
        if joined != cfg.realities {
            failed += 1;
        }
    }
    failed
}

#[derive(Default)]
struct Tally {
    hops: Vec<u32>,
    failed: u64,
    wrong: u64,
}

impl Tally {
    fn add(&mut self, e: Event, parts: &[Partition], sim: &Sim<Node>) {
        let Event::LookupDone {
            reality,
            target,
            owner,
            hops,
            ..
        } = e
        else {
            panic!("a measurement run reports only lookups, got {e:?}");
        };
        let Some(owner) = owner else {
            self.failed += 1;
            return;
        };
        self.hops.push(hops);
        let truth = parts
            .get(usize::from(reality))
            .map(|p| p.owner_of(&target).0);
        if truth.map(|o| o as usize) != sim.slot_of(owner) {
            self.wrong += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_and_the_oracle_build_the_same_network() {
        let mut p = Params::new(300, 500, 3);
        p.dims = 3;
        p.realities = 2;
        let joins = run(&p);
        p.build = Build::Oracle;
        let oracle = run(&p);
        for r in [&joins, &oracle] {
            assert!(r.tiling_exact && r.tables_exact);
            assert_eq!((r.failed_joins, r.failed_lookups, r.wrong_owner), (0, 0, 0));
            assert_eq!(r.max_zones, 1);
        }
        assert!(joins.build_messages > 300 && oracle.build_messages == 0);
        // Same zones, same tables, same lookups: the same paths.
        assert_eq!(joins.hops, oracle.hops);
        assert_eq!(joins.mean_neighbors, oracle.mean_neighbors);
    }

    #[test]
    fn same_seed_same_report_apart_from_timing() {
        let p = Params::new(200, 300, 11);
        let (mut a, mut b) = (run(&p), run(&p));
        a.timing = Timing::default();
        b.timing = Timing::default();
        assert_eq!(a, b);
        let h = a.hops.unwrap();
        // (d/4)·n^(1/d) = 7.07 for 200 nodes in 2 dimensions.
        assert!((5.0..7.5).contains(&h.mean), "mean hops {}", h.mean);
        assert_eq!(h.histogram.iter().sum::<u64>(), 300);
    }

    #[test]
    fn a_single_node_owns_everything() {
        let r = run(&Params::new(1, 10, 0));
        assert_eq!(r.hops.unwrap().max, 0);
        assert_eq!(
            (r.failed_lookups, r.wrong_owner, r.messages_sent),
            (0, 0, 0)
        );
        assert_eq!(r.mean_neighbors, 0.0);
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
        assert!(bad(|p| p.dims = 0).contains("--dims"));
        assert!(bad(|p| p.dims = 9).contains("--dims"));
        assert!(bad(|p| p.realities = 0).contains("--realities"));
        assert!(bad(|p| p.realities = 17).contains("--realities"));
        assert!((ok.expected_hops() - 0.5 * 10f64.sqrt()).abs() < 1e-12);
    }
}
