//! The CAN node in the seeded simulator: joins tile the space with exact
//! neighbour tables, greedy routing delivers every lookup, and the
//! result is the partition oracle's.

use overlay_impls::can::audit::audit;
use overlay_impls::can::partition::Partition;
use overlay_impls::can::point::Point;
use overlay_impls::can::{Config, Event, Node};
use overlay_impls::runtime::sim::{sim_addr, Net, Sim};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn random_point(rng: &mut ChaCha8Rng, dims: usize) -> Point {
    let c: Vec<u32> = (0..dims).map(|_| rng.random()).collect();
    Point::new(&c).unwrap()
}

/// `n` nodes join one after another at seeded random points, each
/// through a random member, the network settling in between.
fn grow(cfg: &Config, n: usize, seed: u64) -> (Sim<Node>, Vec<Vec<Point>>) {
    let mut sim = Sim::new(Net::default(), seed);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut points = Vec::new();
    sim.add(Node::first(cfg.clone(), sim_addr(0)));
    sim.start(0);
    points.push(vec![]);
    for i in 1..n {
        let ps: Vec<Point> = (0..cfg.realities).map(|_| random_point(&mut rng, cfg.dims)).collect();
        points.push(ps.clone());
        let slot = sim.add(Node::with_points(cfg.clone(), sim_addr(i), ps));
        sim.start(slot);
        let via = sim_addr(rng.random_range(0..i));
        sim.with_node(slot, |node, _, out| node.join(via, out).unwrap());
        let t = sim.now() + 2_000;
        sim.run_until(t);
    }
    (sim, points)
}

fn members(sim: &Sim<Node>) -> Vec<(u32, &Node)> {
    sim.nodes().map(|(i, n)| (i as u32, n)).collect()
}

#[test]
fn joins_tile_the_space_with_exact_neighbour_tables() {
    for (dims, n) in [(1, 12), (2, 60), (3, 50), (5, 40)] {
        let cfg = Config::manual(dims, 1);
        let (mut sim, points) = grow(&cfg, n, 7);
        let joined = sim
            .take_events()
            .iter()
            .filter(|(_, e)| matches!(e, Event::Joined { .. }))
            .count();
        assert_eq!(joined, n - 1);
        let a = audit(members(&sim), 0).unwrap_or_else(|e| panic!("d = {dims}: {e}"));
        assert!(a.exact(), "d = {dims}: {:?}", a.differences);
        assert_eq!(a.multi_zone, 0);
        assert_eq!(a.partition.leaves().len(), n);
        // The oracle applying the same split rule at the same points.
        let mut oracle = Partition::new(dims, 0);
        for (i, ps) in points.iter().enumerate().skip(1) {
            oracle.join(&ps[0], i as u32).unwrap();
        }
        assert_eq!(oracle.leaves(), a.partition.leaves(), "d = {dims}");
    }
}

/// Runs lookups of `targets` from every live node; returns (delivered to
/// the oracle's owner, hops summed, failures).
fn lookups_from_everyone(sim: &mut Sim<Node>, targets: &[Point]) -> (usize, u64, usize) {
    let slots: Vec<usize> = sim.nodes().map(|(i, _)| i).collect();
    let oracle = audit(members(sim), 0).unwrap().partition;
    let mut tag = 0;
    for &s in &slots {
        for t in targets {
            sim.with_node(s, |n, now, out| n.lookup(now, tag, &[*t], out).unwrap());
            tag += 1;
        }
    }
    let t = sim.now() + 60_000;
    sim.run_until(t);
    let (mut right, mut hops, mut failed) = (0, 0, 0);
    for (_, e) in sim.take_events() {
        if let Event::LookupDone {
            target, owner, hops: h, ..
        } = e
        {
            match owner {
                Some(o) if sim.slot_of(o) == Some(oracle.owner_of(&target).0 as usize) => {
                    right += 1;
                    hops += u64::from(h);
                }
                Some(_) => {}
                None => failed += 1,
            }
        }
    }
    (right, hops, failed)
}

#[test]
fn every_lookup_from_every_node_is_delivered_to_the_owner() {
    let cfg = Config::manual(2, 1);
    let (mut sim, _) = grow(&cfg, 100, 3);
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    let targets: Vec<Point> = (0..30).map(|_| random_point(&mut rng, 2)).collect();
    let (right, hops, failed) = lookups_from_everyone(&mut sim, &targets);
    assert_eq!((right, failed), (3000, 0));
    // Pinned (seeded); (d/4)·n^(1/d) = 5 for 100 nodes in 2 dimensions.
    assert_eq!(hops, 13_420);
    let stuck: u64 = sim.nodes().map(|(_, n)| n.stats().stuck).sum();
    assert_eq!(stuck, 0);
}

/// Live nodes' events of one kind.
fn count(events: &[(std::net::SocketAddr, Event)], f: impl Fn(&Event) -> bool) -> usize {
    events.iter().filter(|(_, e)| f(e)).count()
}

#[test]
fn concurrent_joins_converge_under_periodic_updates() {
    let cfg = Config {
        reassign_ms: 0,
        ..Config::default()
    };
    let mut sim = Sim::new(Net::default(), 11);
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    sim.add(Node::first(cfg.clone(), sim_addr(0)));
    sim.start(0);
    // Waves of 8 joins at once, 30 ms apart (less than a message delay),
    // each through a random member.
    for wave in 0..8 {
        let live: Vec<usize> = sim.nodes().filter(|(_, n)| n.is_member()).map(|(i, _)| i).collect();
        for k in 0..8 {
            let i = 1 + wave * 8 + k;
            let p = random_point(&mut rng, 2);
            let slot = sim.add(Node::with_points(cfg.clone(), sim_addr(i), vec![p]));
            sim.start(slot);
            let via = sim_addr(live[rng.random_range(0..live.len())]);
            sim.with_node(slot, |n, _, out| n.join(via, out).unwrap());
        }
        let t = sim.now() + 30;
        sim.run_until(t);
    }
    let t = sim.now() + 10_000;
    sim.run_until(t);
    let events = sim.take_events();
    assert_eq!(count(&events, |e| matches!(e, Event::Joined { .. })), 64);
    let a = audit(members(&sim), 0).unwrap();
    assert!(a.exact(), "{:?}", a.differences);
    assert_eq!((a.partition.leaves().len(), a.multi_zone), (65, 0));
    assert_eq!(count(&events, |e| matches!(e, Event::TookOver { .. })), 0);
}
