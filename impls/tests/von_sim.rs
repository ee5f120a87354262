//! The VON node in the seeded simulator (random delays of 5–50 ms, so
//! datagrams overtake each other and the links' hold-back restores their
//! order). Checked against the ground truth — the Voronoi diagram of all
//! members' actual positions: after joins, moves, leaves and failures
//! have settled, which nodes miss an AOI neighbour or a true enclosing
//! neighbour. Findings pinned here:
//!
//! * the paper's JOIN (HELLO only adds the joiner) leaves joiners
//!   without the neighbours their acceptor did not know; with the
//!   hardened protocol (the default: HELLO checked like MOVE, with the
//!   sender's table) every table is complete after any sequence of joins;
//! * hardened, moves one at a time leave every table complete (AOI and
//!   enclosing neighbours), whatever the step length, a jump across the
//!   world included; the paper's protocol misses neighbours, more so with
//!   long jumps;
//! * jumps across the world, one at a time: without heartbeats a HELLO /
//!   NOTIFY cycle can keep running (a stale entry nothing refreshes);
//!   with heartbeats (the UDP node's default) every table is complete
//!   within 3 s of every jump and the traffic is back to heartbeats;
//! * everyone moving at once: nearly complete;
//! * leaves are repaired completely (hardened: LEAVE hands over);
//!   failures too, except where the crashed node was the only link
//!   between two groups (pinned with three nodes on a line: the known
//!   break, which the model checker shows too).

use std::collections::{BTreeMap, BTreeSet};

use overlay_impls::runtime::sim::{sim_addr, Net, Sim};
use overlay_impls::von::{Config, Event, Id, Node, Point, Protocol, View};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const WORLD: f64 = 400.0;
const AOI: f64 = 150.0;

fn pt(x: f64, y: f64) -> Point {
    Point::new(x, y).unwrap()
}

fn random_point(rng: &mut ChaCha8Rng) -> Point {
    pt(rng.random_range(0.0..WORLD), rng.random_range(0.0..WORLD))
}

/// Every member's id and true position.
fn truth(sim: &Sim<Node>) -> BTreeMap<Id, Point> {
    sim.nodes()
        .filter(|(_, n)| n.is_member())
        .map(|(_, n)| (n.id(), n.pos()))
        .collect()
}

/// What each member misses of what it should know: ids within R or
/// enclosing in the true Voronoi diagram, absent from its table. Also
/// checks that no table names a node that is not a member.
fn missing(sim: &Sim<Node>) -> BTreeMap<Id, BTreeSet<Id>> {
    let t = truth(sim);
    let view = View::new(t.clone());
    let mut out = BTreeMap::new();
    for (_, n) in sim.nodes().filter(|(_, n)| n.is_member()) {
        let must = view.relevant(n.id(), n.config().aoi);
        let has: BTreeSet<Id> = n.table().keys().copied().collect();
        for id in &has {
            assert!(
                t.contains_key(id),
                "node {} lists {id}, not a member",
                n.id()
            );
        }
        let miss: BTreeSet<Id> = must.difference(&has).copied().collect();
        if !miss.is_empty() {
            out.insert(n.id(), miss);
        }
    }
    out
}

/// Nodes whose tables hold a wrong position for a live entry.
fn stale_positions(sim: &Sim<Node>) -> usize {
    let t = truth(sim);
    sim.nodes()
        .filter(|(_, n)| n.is_member())
        .map(|(_, n)| {
            n.table()
                .iter()
                .filter(|(id, e)| t.get(id).is_some_and(|p| *p != e.pos))
                .count()
        })
        .sum()
}

fn settle(sim: &mut Sim<Node>) {
    assert!(sim.run_until_idle(10_000_000), "the network did not settle");
}

/// `n` nodes at seeded random positions join one after another, each
/// through a random member, the network settling in between.
fn grow(cfg: &Config, n: usize, seed: u64) -> (Sim<Node>, ChaCha8Rng) {
    grow_with(cfg, n, seed, settle)
}

/// [`grow`], with `wait` run after each join (and timers started when the
/// configuration has them).
fn grow_with(
    cfg: &Config,
    n: usize,
    seed: u64,
    mut wait: impl FnMut(&mut Sim<Node>),
) -> (Sim<Node>, ChaCha8Rng) {
    let mut sim = Sim::new(Net::default(), seed);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let timers = cfg.heartbeat_ms > 0;
    let p = random_point(&mut rng);
    sim.add(Node::first(cfg.clone(), 0, sim_addr(0), p));
    if timers {
        sim.start(0);
    }
    for i in 1..n {
        let p = random_point(&mut rng);
        let slot = sim.add(Node::new(cfg.clone(), i as Id, sim_addr(i), p));
        if timers {
            sim.start(slot);
        }
        let via = sim_addr(rng.random_range(0..i));
        sim.with_node(slot, |node, _, out| node.join(via, out).unwrap());
        wait(&mut sim);
    }
    (sim, rng)
}

/// Moves the node in `slot` by at most `step` in a random direction (kept
/// in the world).
fn move_randomly(sim: &mut Sim<Node>, rng: &mut ChaCha8Rng, slot: usize, step: f64) {
    let a: f64 = rng.random_range(0.0..std::f64::consts::TAU);
    let d: f64 = rng.random_range(0.0..=step);
    let p = sim.node(slot).unwrap().pos();
    let q = pt(
        (p.x + d * a.cos()).clamp(0.0, WORLD),
        (p.y + d * a.sin()).clamp(0.0, WORLD),
    );
    sim.with_node(slot, |n, _, out| n.move_to(q, out).unwrap());
}

/// Every member moves by at most `step` in a random direction (kept in
/// the world), all at once; then the network settles.
fn move_all(sim: &mut Sim<Node>, rng: &mut ChaCha8Rng, step: f64) {
    let slots: Vec<usize> = sim
        .nodes()
        .filter(|(_, n)| n.is_member())
        .map(|(i, _)| i)
        .collect();
    for s in slots {
        move_randomly(sim, rng, s, step);
    }
    settle(sim);
}

/// The hardened protocol (the default).
fn cfg() -> Config {
    Config::manual(AOI)
}

/// VON as published.
fn paper() -> Config {
    Config {
        protocol: Protocol::Paper,
        ..Config::manual(AOI)
    }
}

/// (AOI misses, enclosing-only misses, AOI pairs) now.
fn misses(sim: &Sim<Node>) -> (usize, usize, usize) {
    let t = truth(sim);
    let m = missing(sim);
    let aoi: usize = m
        .iter()
        .map(|(x, zs)| zs.iter().filter(|z| t[x].within(&t[z], AOI)).count())
        .sum();
    let all: usize = m.values().map(|z| z.len()).sum();
    let pairs: usize = t
        .iter()
        .map(|(x, p)| {
            t.iter()
                .filter(|(z, q)| z != &x && p.within(q, AOI))
                .count()
        })
        .sum();
    (aoi, all - aoi, pairs)
}

#[test]
fn the_paper_join_misses_what_the_acceptor_did_not_know() {
    let (sim, _) = grow(&paper(), 20, 11);
    let m = missing(&sim);
    let n: usize = m.values().map(|z| z.len()).sum();
    // > 0 is the point (the paper's protocol is incomplete at join time).
    assert!(n >= 6, "{m:?}");
    eprintln!(
        "paper JOIN, 20 nodes: {n} missing entries at {} nodes",
        m.len()
    );
}

#[test]
fn hardened_joins_leave_every_table_complete() {
    for seed in [1, 11, 23] {
        for n in [2, 3, 12, 40] {
            let (mut sim, _) = grow(&cfg(), n, seed);
            assert!(
                missing(&sim).is_empty(),
                "seed {seed}, {n} nodes: {:?}",
                missing(&sim)
            );
            let joined = sim
                .take_events()
                .iter()
                .filter(|(_, e)| matches!(e, Event::Joined { .. }))
                .count();
            assert_eq!(joined, n - 1);
            assert!(sim.nodes().all(|(_, n)| n.stats().rejected.is_empty()));
        }
    }
}

/// Ten rounds in which every node moves once, by at most `step`, the
/// network settling after each move; the missing entries (AOI and
/// enclosing-only) summed over the rounds.
fn one_at_a_time(cfg: &Config, seed: u64, step: f64) -> (usize, usize) {
    let (mut sim, mut rng) = grow(cfg, 40, seed);
    let (mut aoi, mut far) = (0, 0);
    for _ in 0..10 {
        let slots: Vec<usize> = sim.nodes().map(|(i, _)| i).collect();
        for s in slots {
            move_randomly(&mut sim, &mut rng, s, step);
            settle(&mut sim);
        }
        let (a, e, _) = misses(&sim);
        aoi += a;
        far += e;
    }
    (aoi, far)
}

#[test]
fn hardened_moves_one_at_a_time_keep_every_table_complete() {
    // Steps up to R: nothing missing.
    for step in [AOI / 3.0, AOI] {
        assert_eq!(one_at_a_time(&cfg(), 11, step), (0, 0), "step {step}");
    }
    // Longer steps: AOI knowledge complete; a far enclosing pair can be
    // missed when the mover left a hole between two nodes it did not
    // both know (a move far away is a departure without LEAVE's
    // hand-over). Pinned as measured: seed 11, 2R: 1 pair (2 halves)
    // over 400 moves. The model checker's scopes do not reach it
    // (`overlay check von --variant correct -p step=4`, 2R at N=4, holds
    // at 1,435,732 states).
    let (aoi, far) = one_at_a_time(&cfg(), 11, 2.0 * AOI);
    eprintln!("hardened, one at a time, steps up to 2R: {aoi} AOI misses, {far} enclosing-only");
    assert_eq!(aoi, 0);
    assert!(far <= 4, "{far}");
}

/// Steps up to the world's width, without heartbeats: the hardened
/// protocol can fail to settle. Found here (seed 11, round 4, node 39's
/// jump): five nodes keep NOTIFYing node 15 of nodes that 15's own view
/// finds irrelevant; 15 learns them, greets the ones it keeps, prunes
/// others, and the greetings' checks notify it again — a cycle of HELLO
/// and NOTIFY that never ends (relevance in a node's view is not monotone
/// in what it knows, and node 4 holds a stale position of 39 that nothing
/// refreshes; the next test shows heartbeats end it). Pinned: the model's
/// scopes (steps of a cell or a few) do not reach it.
#[test]
fn world_long_jumps_can_keep_the_hardened_protocol_busy() {
    let (mut sim, mut rng) = grow(&cfg(), 40, 11);
    let mut busy = None;
    'rounds: for round in 0..10 {
        let slots: Vec<usize> = sim.nodes().map(|(i, _)| i).collect();
        for s in slots {
            move_randomly(&mut sim, &mut rng, s, WORLD);
            if !sim.run_until_idle(200_000) {
                busy = Some((round, s));
                break 'rounds;
            }
        }
    }
    assert_eq!(busy, Some((4, 39)));
    // Still busy much later: a cycle, not a long cascade.
    assert!(!sim.run_until_idle(1_000_000));
}

/// The same jumps with heartbeats on (the UDP node's default: a MOVE
/// every second to each entry that heard nothing else): the cycle above
/// needs an entry whose position stays stale — node 4 lists node 39 where
/// it was before its jump, hears nothing from it (39 does not list 4), and
/// keeps telling node 15 of 39 there; 15 greets 39, learns from its answer
/// that it is far away, prunes it, and the nodes 39 had displaced from
/// 15's view come back, whose checks bring 39 back. A heartbeat from 4 to
/// 39 is answered with 39's position (39 does not list 4), which ends it.
/// Joins and jumps each get 3 s of simulated time (three periods).
#[test]
fn world_long_jumps_settle_with_heartbeats() {
    let hb = Config {
        heartbeat_ms: 1000,
        dead_after_ms: 3500,
        join_timeout_ms: 0,
        ..Config::manual(AOI)
    };
    let wait = |sim: &mut Sim<Node>| {
        let t = sim.now() + 3000;
        sim.run_until(t);
    };
    let (mut sim, mut rng) = grow_with(&hb, 40, 11, wait);
    assert_eq!(missing(&sim), BTreeMap::new());
    let (mut jumps, mut incomplete) = (0, 0);
    let (mut busiest, mut excess) = (0, 0);
    for _round in 0..10 {
        let slots: Vec<usize> = sim.nodes().map(|(i, _)| i).collect();
        for s in slots {
            move_randomly(&mut sim, &mut rng, s, WORLD);
            wait(&mut sim);
            // A fourth second: heartbeats and their answers only, or more?
            let heartbeats =
                |sim: &Sim<Node>| -> u64 { sim.nodes().map(|(_, n)| n.stats().heartbeats).sum() };
            let (sent, beats) = (sim.stats().sent, heartbeats(&sim));
            let t = sim.now() + 1000;
            sim.run_until(t);
            let (sent, beats) = (sim.stats().sent - sent, heartbeats(&sim) - beats);
            busiest = busiest.max(sent);
            excess = excess.max(sent.saturating_sub(2 * beats));
            jumps += 1;
            incomplete += usize::from(!missing(&sim).is_empty());
        }
    }
    let failures: u64 = sim.nodes().map(|(_, n)| n.stats().failures).sum();
    eprintln!("heartbeats: {jumps} jumps, {incomplete} left a table incomplete after 3 s, at most {busiest} messages in the 4th second ({excess} beyond the heartbeats and one answer each), {failures} presumed failures");
    assert_eq!(jumps, 400);
    assert_eq!(failures, 0);
    // Measured: every table complete 3 s after every jump, and in the
    // fourth second nothing but heartbeats and at most one message each
    // in return (at most 466 in all).
    assert_eq!(incomplete, 0);
    assert_eq!(excess, 0, "busiest second {busiest}");
}

#[test]
fn paper_moves_one_at_a_time_miss_neighbours() {
    let (aoi, far) = one_at_a_time(&paper(), 11, AOI / 3.0);
    eprintln!("paper, one at a time: {aoi} AOI misses, {far} enclosing-only over 400 node-rounds");
    assert!(aoi + far > 0);
}

#[test]
fn everyone_moving_at_once_rarely_misses_an_aoi_neighbour() {
    let (mut sim, mut rng) = grow(&cfg(), 40, 11);
    let (mut aoi, mut enclosing, mut pairs) = (0, 0, 0);
    for _ in 0..30 {
        move_all(&mut sim, &mut rng, AOI / 3.0);
        let (a, e, p) = misses(&sim);
        (aoi, enclosing, pairs) = (aoi + a, enclosing + e, pairs + p);
    }
    eprintln!(
        "all at once, 30 rounds: {aoi} AOI misses of {pairs} AOI pairs, {enclosing} enclosing-only"
    );
    assert!(pairs > 10_000);
    // Entries whose position is outdated: the entry does not keep this
    // node in its own table (relevance is judged in each node's own
    // view, so tables are not symmetric) and sends it no MOVE.
    let stale = stale_positions(&sim);
    let entries: usize = sim.nodes().map(|(_, n)| n.table().len()).sum();
    eprintln!("stale positions: {stale} of {entries} entries");
    assert!(stale * 4 < entries, "{stale} of {entries}");
    assert!(aoi * 1000 <= pairs, "{aoi} of {pairs}");
    assert!(enclosing < 200, "{enclosing}");
    let bytes: u64 = sim.nodes().map(|(_, n)| n.stats().bytes_sent).sum();
    let sent: u64 = sim.nodes().map(|(_, n)| n.stats().sent).sum();
    assert_eq!(sent, sim.stats().sent);
    assert!(bytes > 26 * sent);
    // Datagrams overtook each other and were put back in order.
    let held: u64 = sim.nodes().map(|(_, n)| n.stats().held_back).sum();
    assert!(held > 0);
    assert!(sim.nodes().all(|(_, n)| n.stats().rejected.is_empty()));
    // The node's cached view is the view of its table now.
    for (_, n) in sim.nodes() {
        let fresh = View::of(n.id(), n.pos(), n.entries());
        assert_eq!(n.view().sites(), fresh.sites(), "node {}", n.id());
    }
}

/// Node 0 of a 40-node world crosses the world to the opposite point in
/// steps of at most `step`; returns how many AOI neighbours it misses at
/// the end.
fn cross(cfg: &Config, seed: u64, step: f64) -> usize {
    let (mut sim, _) = grow(cfg, 40, seed);
    let from = sim.node(0).unwrap().pos();
    let to = pt(WORLD - from.x, WORLD - from.y);
    let k = (from.dist(&to) / step).ceil().max(1.0);
    for i in 1..=k as usize {
        let f = i as f64 / k;
        let q = pt(from.x + f * (to.x - from.x), from.y + f * (to.y - from.y));
        sim.with_node(0, |n, _, out| n.move_to(q, out).unwrap());
        settle(&mut sim);
    }
    let t = truth(&sim);
    missing(&sim)
        .get(&0)
        .map_or(0, |m| m.iter().filter(|z| t[&0].within(&t[z], AOI)).count())
}

#[test]
fn a_jump_longer_than_the_aoi_can_miss_neighbours() {
    // The paper's protocol: one jump across the world (far beyond R)
    // leaves the jumper without many of its new AOI neighbours — its
    // entries know nobody there; the same trip in steps of R/3 misses
    // fewer (those the paper's JOIN left missing to begin with).
    let jump: usize = (1..=8).map(|s| cross(&paper(), s, 2.0 * WORLD)).sum();
    let walk: usize = (1..=8).map(|s| cross(&paper(), s, AOI / 3.0)).sum();
    eprintln!("paper: jump {jump}, walk {walk}");
    assert!(jump >= 2 * walk && jump > 20, "jump {jump}, walk {walk}");
    // Hardened: neither misses anything (hints and answered HELLOs chain
    // the jumper to its new neighbours).
    for s in 1..=8 {
        assert_eq!(cross(&cfg(), s, AOI / 3.0), 0);
        assert_eq!(cross(&cfg(), s, 2.0 * WORLD), 0);
    }
}

#[test]
fn leaves_are_repaired() {
    let (mut sim, mut rng) = grow(&cfg(), 40, 3);
    for _ in 0..10 {
        let live: Vec<usize> = sim
            .nodes()
            .filter(|(_, n)| n.is_member())
            .map(|(i, _)| i)
            .collect();
        let s = live[rng.random_range(0..live.len())];
        sim.with_node(s, |n, _, out| n.leave(out).unwrap());
        settle(&mut sim);
        // `missing` also checks that no table names the leaver.
        assert!(missing(&sim).is_empty(), "{:?}", missing(&sim));
        assert!(stale_positions(&sim) == 0);
    }
    let members = sim.nodes().filter(|(_, n)| n.is_member()).count();
    assert_eq!(members, 30);
}

#[test]
fn failures_are_detected_and_repaired() {
    let cfg = Config {
        heartbeat_ms: 500,
        dead_after_ms: 1750,
        ..cfg()
    };
    let mut sim = Sim::new(Net::default(), 9);
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    sim.add(Node::first(
        cfg.clone(),
        0,
        sim_addr(0),
        random_point(&mut rng),
    ));
    sim.start(0);
    for i in 1..30usize {
        let slot = sim.add(Node::new(
            cfg.clone(),
            i as Id,
            sim_addr(i),
            random_point(&mut rng),
        ));
        sim.start(slot);
        sim.with_node(slot, |n, _, out| n.join(sim_addr(0), out).unwrap());
        let t = sim.now() + 300;
        sim.run_until(t);
    }
    let t = sim.now() + 3000;
    sim.run_until(t);
    assert!(missing(&sim).is_empty(), "{:?}", missing(&sim));
    // Heartbeats alone never presume a live node failed.
    assert!(sim.nodes().all(|(_, n)| n.stats().failures == 0));
    sim.take_events();
    for s in [3, 7, 8, 20, 21] {
        sim.crash(s);
    }
    // A node that has not yet noticed a failure may name the failed node
    // in a NOTIFY to one that has: it is added again, and removed again
    // after another silence. So allow a few timeouts.
    let t = sim.now() + 4 * 1750;
    sim.run_until(t);
    // No table names a crashed node (`missing` checks it). Their former
    // neighbours that now border each other are introduced by the repair
    // NOTIFYs only when some node knew both: 8 pairs-halves stay missing
    // here (5 crashes of 30), all beyond R — pinned as measured.
    let (aoi, enclosing, _) = misses(&sim);
    eprintln!("after 5 crashes: {aoi} AOI misses, {enclosing} enclosing-only");
    assert_eq!(aoi, 0);
    assert!(enclosing <= 8, "{enclosing}");
    let failed: BTreeSet<Id> = sim
        .take_events()
        .iter()
        .filter_map(|(_, e)| match e {
            Event::Failed { id } => Some(*id),
            _ => None,
        })
        .collect();
    assert_eq!(failed, [3, 7, 8, 20, 21].into());
    assert!(sim.nodes().all(|(_, n)| n.stats().rejected.is_empty()));
}

#[test]
fn same_seed_same_run() {
    let run = || {
        let (mut sim, mut rng) = grow(&cfg(), 25, 4);
        for _ in 0..5 {
            move_all(&mut sim, &mut rng, AOI / 2.0);
        }
        let s: Vec<String> = sim
            .nodes()
            .map(|(_, n)| format!("{:?} {:?} {:?}", n.pos(), n.table(), n.stats()))
            .collect();
        (s, sim.stats().clone(), sim.now())
    };
    assert_eq!(run(), run());
}

/// The known break (the model checker finds it too): three nodes on a
/// line, R shorter than their spacing, so the ends know only the middle.
/// The middle one leaving hands the ends over to each other; the middle
/// one crashing leaves them apart for good — nobody else knew both.
#[test]
fn a_crash_of_the_only_link_between_two_groups_is_not_repaired() {
    let run = |crash: bool| {
        let mut sim = Sim::new(Net::default(), 5);
        let cfg = Config::manual(50.0);
        sim.add(Node::first(cfg.clone(), 0, sim_addr(0), pt(100.0, 0.0)));
        for (i, x) in [(1usize, 0.0), (2, 200.0)] {
            let slot = sim.add(Node::new(cfg.clone(), i as Id, sim_addr(i), pt(x, 0.0)));
            sim.with_node(slot, |n, _, out| n.join(sim_addr(0), out).unwrap());
            settle(&mut sim);
        }
        let keys = |sim: &Sim<Node>, s: usize| -> Vec<Id> {
            sim.node(s).unwrap().table().keys().copied().collect()
        };
        assert_eq!((keys(&sim, 1), keys(&sim, 2)), (vec![0], vec![0]));
        if crash {
            sim.crash(0);
            for s in [1, 2] {
                sim.with_node(s, |n, _, out| assert!(n.presume_failed(0, out)));
            }
        } else {
            sim.with_node(0, |n, _, out| n.leave(out).unwrap());
        }
        settle(&mut sim);
        (keys(&sim, 1), keys(&sim, 2))
    };
    assert_eq!(run(false), (vec![2], vec![1]), "a leave hands over");
    assert_eq!(run(true), (vec![], vec![]), "a crash splits the overlay");
}
