//! # VON at scale, and the MMVE comparison
//!
//! The claims under test (Hu & Liao, NetGames 2004; Hu, Chen & Chen,
//! IEEE Network 2006): with every node knowing only its Voronoi
//! (enclosing) neighbours and the nodes inside its area of interest, the
//! overlay keeps each node's AOI neighbours known (topology *consistency*
//! near 1) while avatars move, at a cost per node that stays roughly
//! constant as N grows with the density fixed — where a client–server
//! design's server grows linearly in N and all-to-all connections
//! quadratically in total (linearly per node).
//!
//! One run ([`run`]):
//!
//! 1. N avatars get seeded positions and headings ([`super::workload`]).
//!    Node 0 founds the overlay; nodes 1.. join one at a time, each
//!    through a random earlier member (the protocol's JOIN, forwarded
//!    greedily to the node whose region holds the joiner), the simulator
//!    running to quiescence between joins.
//! 2. W warm-up steps, then T measured ones. The hardened protocol's
//!    joins complete every table; the published JOIN leaves AOI sets
//!    incomplete (a joiner learns only the acceptor's entries relevant to
//!    it, and HELLO triggers no discovery), and MOVE's discovery (NOTIFY
//!    of what became relevant) then fills them in as the geometry
//!    changes. The consistency right after the joins is reported apart
//!    (`join_consistency`); the warm-up ([`DEFAULT_WARMUP`]) lets tables
//!    reach their size under movement before the steady state the papers
//!    report is measured.
//!    At every step every avatar moves (the workload), every node is told its
//!    new position (it sends MOVE to its table), then the simulator runs
//!    for `step_ms` of simulated time — messages in flight carry over into
//!    the next step; with the default delays (5–50 ms) and step (100 ms) a
//!    MOVE lands within its step, and the NOTIFY/HELLO chains it triggers
//!    may not.
//! 3. At the end of every measured step, against the true positions: for each node
//!    its true AOI neighbours (the others within R), how many of them its
//!    table holds (*consistency*: known ÷ true, pooled over nodes and
//!    steps), and how far each known one's recorded position is from its
//!    true one (*drift*, averaged over known AOI neighbours).
//! 4. The load: messages and bytes each node sent plus received during
//!    the T measured steps (bytes: the wire encoding's length), per step; the mean
//!    over nodes and the busiest node's.
//!
//! The same positions give the other two architectures' load
//! ([`Baselines`]), counted rather than simulated — their message pattern
//! is fixed by the architecture: all-to-all (every avatar sends its
//! position to every other each step) and one server with AOI filtering
//! (each client sends one update per step; the server sends each client
//! one message per entity inside the client's AOI, or, aggregated, one
//! message per client listing them).
//!
//! Everything but [`Timing`] is a function of the parameters.

use std::collections::BTreeMap;
use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::geometry::Point;
use super::node::{Config, Event, Node, Protocol};
use super::wire::{Body, Msg, HEADER};
use super::workload::{aoi_neighbours, default_world, dist2, Pos, Workload};
use crate::runtime::sim::{sim_addr, Net, Sim};
use crate::runtime::Millis;
pub use crate::summary::Timing;

/// Simulated addresses are 10.0.0.0 + i: i stays inside 10.0.0.0/8.
pub const MAX_NODES: usize = 1 << 24;

/// Unmeasured movement steps after the joins, by default, for tables to
/// reach their size under movement. The hardened protocol's joins
/// complete every table; the paper's leave them incomplete, and it needs
/// about 25 (N = 1000, V = R/10, seed 1: consistency 0.23 after the
/// joins, about 0.74 per step by step 12, 0.98 by step 22; the 20 steps
/// after 25 average 0.9998).
pub const DEFAULT_WARMUP: usize = 5;

/// What to simulate.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    pub nodes: usize,
    /// AOI radius R.
    pub aoi: f64,
    /// Distance per step V.
    pub speed: f64,
    /// Movement steps T, measured.
    pub steps: usize,
    /// Movement steps before the measured ones (see the module notes:
    /// the joins leave AOI sets incomplete, movement completes them).
    pub warmup: usize,
    pub seed: u64,
    /// Side W of the square world.
    pub world: f64,
    /// Simulated time per step.
    pub step_ms: Millis,
    pub net: Net,
    /// The protocol the nodes run (hardened by default).
    pub protocol: Protocol,
}

impl Params {
    /// The defaults of `overlay simulate von`: the simulator's default
    /// network, 100 ms per step, the constant-density world
    /// ([`default_world`]).
    pub fn new(nodes: usize, aoi: f64, speed: f64, steps: usize, seed: u64) -> Params {
        Params {
            nodes,
            aoi,
            speed,
            steps,
            warmup: DEFAULT_WARMUP,
            seed,
            world: default_world(nodes, aoi),
            step_ms: 100,
            net: Net::default(),
            protocol: Protocol::Hardened,
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
        if !(self.aoi.is_finite() && self.aoi > 0.0) {
            return Err(format!("--aoi must be a positive number, not {}", self.aoi));
        }
        if !(self.speed.is_finite() && self.speed >= 0.0) {
            return Err(format!(
                "--speed must be a number at least 0, not {}",
                self.speed
            ));
        }
        if !(self.world.is_finite() && self.world > 0.0) {
            return Err(format!(
                "--world must be a positive number, not {}",
                self.world
            ));
        }
        if self.steps == 0 {
            return Err("--steps must be at least 1".into());
        }
        if self.step_ms == 0 {
            return Err("--step-ms must be at least 1".into());
        }
        crate::summary::validate_common(0.0, 1, &self.net)
    }
}

/// Messages and bytes per node per step, sent plus received.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Load {
    /// Mean over the avatars' nodes (for client–server: over clients).
    pub mean_msgs: f64,
    pub mean_bytes: f64,
    /// At the busiest node (for client–server: the server), averaged over
    /// the steps.
    pub busiest_msgs: f64,
    pub busiest_bytes: f64,
}

/// The other architectures' load under the same positions.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Baselines {
    pub all_to_all: Load,
    /// One message per (client, entity in its AOI) pair.
    pub server: Load,
    /// One message per client per step, listing the entities in its AOI.
    pub server_aggregated: Load,
}

/// What an experiment measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub params: Params,
    /// Nodes whose join did not complete (no JOIN_REPLY came back).
    pub failed_joins: u64,
    /// Messages and bytes of the joins.
    pub build_messages: u64,
    pub build_bytes: u64,
    /// Known AOI neighbours ÷ true AOI neighbours, pooled over nodes and
    /// steps (1 when no node ever had an AOI neighbour).
    pub consistency: f64,
    /// The worst measured step's consistency.
    pub min_step_consistency: f64,
    /// The consistency right after the joins, before any move.
    pub join_consistency: f64,
    /// True AOI neighbours per node, mean over nodes and steps.
    pub mean_aoi_neighbours: f64,
    /// Table entries per node, mean over nodes and steps.
    pub mean_table: f64,
    /// Distance between a known AOI neighbour's recorded and true
    /// position: mean and maximum over (node, known neighbour, step).
    pub mean_drift: f64,
    pub max_drift: f64,
    /// VON's load during the movement, measured.
    pub von: Load,
    /// VON's messages sent per node per measured step, by kind (`MOVE`,
    /// `HELLO`, `NOTIFY`, …): where the load comes from.
    pub von_sent_by_kind: BTreeMap<&'static str, f64>,
    /// The other architectures', counted.
    pub baselines: Baselines,
    /// Bytes of one position update (VON's MOVE encoding), used for the
    /// counted architectures.
    pub update_bytes: u64,
    /// Messages, undeliverable datagrams, simulator events of the
    /// movement (warm-up included); simulated time at the end.
    pub messages_sent: u64,
    pub undeliverable: u64,
    pub sim_events: u64,
    pub sim_time_ms: u64,
    /// `build`: the joins; `lookups`: the movement (warm-up included).
    pub timing: Timing,
}

/// Where a running experiment is, for a progress line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    Joining { done: usize, total: usize },
    Moving { done: usize, total: usize },
}

/// Runs the experiment. Panics on parameters [`Params::validate`] rejects.
pub fn run(p: &Params) -> Report {
    run_with_progress(p, |_| {})
}

/// The node's configuration: no periodic timers (nothing fails, every
/// node sends MOVE every step, and the simulator runs joins to
/// quiescence).
fn config(p: &Params) -> Config {
    Config {
        protocol: p.protocol,
        ..Config::manual(p.aoi)
    }
}

fn point(p: Pos) -> Point {
    Point::new(p[0], p[1]).expect("the workload stays inside a finite world")
}

/// [`run`], calling `progress` during the joins and after each step.
pub fn run_with_progress(p: &Params, mut progress: impl FnMut(Progress)) -> Report {
    if let Err(e) = p.validate() {
        panic!("invalid experiment parameters: {e}");
    }
    let started = Instant::now();
    let cfg = config(p);
    let mut w = Workload::new(p.nodes, p.world, p.speed, p.seed);
    let mut sim: Sim<Node> = Sim::new(p.net.clone(), p.seed);
    let mut join_rng = ChaCha8Rng::from_rng(sim.rng());
    let failed_joins = grow(&cfg, w.positions(), &mut sim, &mut join_rng, &mut progress);
    let build = sim.stats().clone();
    let build_bytes = sim.nodes().map(|(_, n)| n.stats().bytes_sent).sum();
    let build_time = started.elapsed();

    let started = Instant::now();
    let mut tally = Tally::default();
    let mut join_tally = Tally::default();
    join_tally.step(w.positions(), p.aoi, |i, v| known(&sim, i, v));
    let mut before: Vec<(u64, u64)> = Vec::new();
    let mut kinds_before: BTreeMap<&'static str, u64> = BTreeMap::new();
    for step in 0..p.warmup + p.steps {
        if step == p.warmup {
            before = sim.nodes().map(|(_, n)| traffic(n)).collect();
            kinds_before = sent_by_kind(&sim);
        }
        w.step();
        for (i, &pos) in w.positions().iter().enumerate() {
            // A node whose join failed cannot move; its empty table
            // counts against the consistency.
            let _ = sim.with_node(i, |n, _, out| n.move_to(point(pos), out));
        }
        let t = sim.now() + p.step_ms;
        sim.run_until(t);
        if step >= p.warmup {
            tally.step(w.positions(), p.aoi, |i, v| known(&sim, i, v));
        }
        progress(Progress::Moving {
            done: step + 1,
            total: p.warmup + p.steps,
        });
    }
    let (n, steps) = (p.nodes as f64, p.steps as f64);
    let mut von = Load::default();
    for ((_, node), b) in sim.nodes().zip(&before) {
        let s = node.stats();
        let msgs = (s.sent + s.received - b.0) as f64 / steps;
        let bytes = (s.bytes_sent + s.bytes_received - b.1) as f64 / steps;
        von.mean_msgs += msgs / n;
        von.mean_bytes += bytes / n;
        von.busiest_msgs = von.busiest_msgs.max(msgs);
        von.busiest_bytes = von.busiest_bytes.max(bytes);
    }
    let von_sent_by_kind = sent_by_kind(&sim)
        .into_iter()
        .map(|(k, c)| (k, c - kinds_before.get(k).copied().unwrap_or(0)))
        .filter(|&(_, c)| c > 0)
        .map(|(k, c)| (k, c as f64 / (n * steps)))
        .collect();
    let update_bytes = Msg {
        from: 0,
        epoch: 0,
        seq: 1,
        body: Body::Move {
            pos: point([0.0, 0.0]),
            check: None,
        },
    }
    .encoded_len() as u64;
    let stats = sim.stats();
    let events = |s: &crate::runtime::sim::SimStats| s.delivered + s.undeliverable + s.timers;
    let node_steps = n * steps;
    Report {
        params: p.clone(),
        failed_joins,
        build_messages: build.sent,
        build_bytes,
        consistency: if tally.truth == 0 {
            1.0
        } else {
            tally.known as f64 / tally.truth as f64
        },
        min_step_consistency: tally.min_step.unwrap_or(1.0),
        join_consistency: join_tally.min_step.unwrap_or(1.0),
        mean_aoi_neighbours: tally.truth as f64 / node_steps,
        mean_table: tally.table as f64 / node_steps,
        mean_drift: if tally.known == 0 {
            0.0
        } else {
            tally.drift_sum / tally.known as f64
        },
        max_drift: tally.drift_max,
        von,
        von_sent_by_kind,
        baselines: baselines(p.nodes, p.steps, &tally, update_bytes),
        update_bytes,
        messages_sent: stats.sent - build.sent,
        undeliverable: stats.undeliverable - build.undeliverable,
        sim_events: events(stats) - events(&build),
        sim_time_ms: sim.now(),
        timing: Timing {
            build: build_time,
            lookups: started.elapsed(),
        },
    }
}

/// Messages sent so far by every node together, by kind.
fn sent_by_kind(sim: &Sim<Node>) -> BTreeMap<&'static str, u64> {
    let mut all = BTreeMap::new();
    for (_, n) in sim.nodes() {
        for (&k, &c) in &n.stats().sent_by_kind {
            *all.entry(k).or_default() += c;
        }
    }
    all
}

/// Node `i`'s table as (slot, recorded position): ids are slots.
fn known(sim: &Sim<Node>, i: usize, v: &mut Vec<(usize, Pos)>) {
    if let Some(n) = sim.node(i) {
        v.extend(
            n.table()
                .iter()
                .map(|(&id, e)| (id as usize, [e.pos.x, e.pos.y])),
        );
    }
}

/// Messages and bytes a node sent plus received so far.
fn traffic(n: &Node) -> (u64, u64) {
    let s = n.stats();
    (s.sent + s.received, s.bytes_sent + s.bytes_received)
}

/// Node 0 founds the overlay; nodes 1.. join one at a time through a
/// random earlier node, the simulator running to quiescence between
/// joins. Returns the joins that did not complete.
fn grow(
    cfg: &Config,
    pos: &[Pos],
    sim: &mut Sim<Node>,
    rng: &mut ChaCha8Rng,
    progress: &mut impl FnMut(Progress),
) -> u64 {
    let total = pos.len();
    let mut failed = 0;
    for (i, &at) in pos.iter().enumerate() {
        let (id, addr) = (i as u64, sim_addr(i));
        if i == 0 {
            let slot = sim.add(Node::first(cfg.clone(), id, addr, point(at)));
            sim.start(slot);
            continue;
        }
        let slot = sim.add(Node::new(cfg.clone(), id, addr, point(at)));
        sim.start(slot);
        let via = sim_addr(rng.random_range(0..i));
        sim.with_node(slot, |n, _, out| n.join(via, out))
            .expect("the node was just added")
            .expect("a new node can join");
        sim.run_until_idle(u64::MAX);
        let joined = sim
            .take_events()
            .iter()
            .any(|(a, e)| *a == addr && matches!(e, Event::Joined { .. }));
        if !joined {
            failed += 1;
        }
        if i % 64 == 0 || i + 1 == total {
            progress(Progress::Joining { done: i + 1, total });
        }
    }
    failed
}

/// Running sums of the per-step measurements.
#[derive(Default)]
struct Tally {
    known: u64,
    truth: u64,
    min_step: Option<f64>,
    table: u64,
    drift_sum: f64,
    drift_max: f64,
    /// Σ over steps of Σ_i |A_i| and of #{i : A_i ≠ ∅}.
    aoi_pairs: u64,
    nonempty: u64,
}

impl Tally {
    /// One step's ground truth against the nodes' tables: `known(i, v)`
    /// puts node i's table into `v` as (slot, recorded position).
    fn step(
        &mut self,
        pos: &[Pos],
        aoi: f64,
        mut known: impl FnMut(usize, &mut Vec<(usize, Pos)>),
    ) {
        let truth = aoi_neighbours(pos, aoi);
        let (mut k_step, mut t_step) = (0u64, 0u64);
        let mut entries: Vec<(usize, Pos)> = Vec::new();
        for (i, near) in truth.iter().enumerate() {
            entries.clear();
            known(i, &mut entries);
            entries.sort_unstable_by_key(|e| e.0);
            self.table += entries.len() as u64;
            t_step += near.len() as u64;
            if !near.is_empty() {
                self.nonempty += 1;
            }
            for &j in near {
                let j = j as usize;
                if let Ok(at) = entries.binary_search_by_key(&j, |e| e.0) {
                    k_step += 1;
                    let d = dist2(entries[at].1, pos[j]).sqrt();
                    self.drift_sum += d;
                    self.drift_max = self.drift_max.max(d);
                }
            }
        }
        self.known += k_step;
        self.truth += t_step;
        self.aoi_pairs += t_step;
        let c = if t_step == 0 {
            1.0
        } else {
            k_step as f64 / t_step as f64
        };
        self.min_step = Some(self.min_step.map_or(c, |m: f64| m.min(c)));
    }
}

/// Bytes of one entity in the server's aggregated message: id u64 and
/// position (2 × f64), as in VON's entries, without the address.
pub const AGGREGATED_ENTRY_BYTES: u64 = 8 + 16;
/// Bytes of an aggregated message besides its entries: VON's header and
/// a u16 count.
pub const AGGREGATED_HEADER_BYTES: u64 = HEADER as u64 + 2;

/// The counted architectures' load over `steps` steps of `n` avatars,
/// from the AOI sums of [`Tally`]. `update` is the bytes of one position
/// update (VON's MOVE); an aggregated message costs
/// [`AGGREGATED_HEADER_BYTES`] plus [`AGGREGATED_ENTRY_BYTES`] per entity.
fn baselines(n: usize, steps: usize, t: &Tally, update: u64) -> Baselines {
    let (n_f, steps_f) = (n as f64, steps as f64);
    let u = update as f64;
    let peers = n_f - 1.0;
    let all_to_all = Load {
        mean_msgs: 2.0 * peers,
        mean_bytes: 2.0 * peers * u,
        busiest_msgs: 2.0 * peers,
        busiest_bytes: 2.0 * peers * u,
    };
    // Per step: the server receives n updates and sends Σ|A_i|.
    let pairs = t.aoi_pairs as f64 / steps_f;
    let server = Load {
        mean_msgs: 1.0 + pairs / n_f,
        mean_bytes: (1.0 + pairs / n_f) * u,
        busiest_msgs: n_f + pairs,
        busiest_bytes: (n_f + pairs) * u,
    };
    // Aggregated: one message to each client with a non-empty AOI.
    let msgs = t.nonempty as f64 / steps_f;
    let agg_bytes = msgs * AGGREGATED_HEADER_BYTES as f64 + pairs * AGGREGATED_ENTRY_BYTES as f64;
    let server_aggregated = Load {
        mean_msgs: 1.0 + msgs / n_f,
        mean_bytes: u + agg_bytes / n_f,
        busiest_msgs: n_f + msgs,
        busiest_bytes: n_f * u + agg_bytes,
    };
    Baselines {
        all_to_all,
        server,
        server_aggregated,
    }
}
