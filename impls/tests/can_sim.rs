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
        let ps: Vec<Point> = (0..cfg.realities)
            .map(|_| random_point(&mut rng, cfg.dims))
            .collect();
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
            target,
            owner,
            hops: h,
            ..
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
        let live: Vec<usize> = sim
            .nodes()
            .filter(|(_, n)| n.is_member())
            .map(|(i, _)| i)
            .collect();
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

/// Runs the simulator `ms` further.
fn run_for(sim: &mut Sim<Node>, ms: u64) {
    let t = sim.now() + ms;
    sim.run_until(t);
}

/// Puts `keys` from seeded random members; every put must reach every
/// reality.
fn put_keys(sim: &mut Sim<Node>, keys: &[String], rng: &mut ChaCha8Rng) {
    let live: Vec<usize> = sim
        .nodes()
        .filter(|(_, n)| n.is_member())
        .map(|(i, _)| i)
        .collect();
    let realities = sim.node(live[0]).unwrap().config().realities;
    for (tag, k) in keys.iter().enumerate() {
        let via = live[rng.random_range(0..live.len())];
        sim.with_node(via, |n, now, out| {
            n.put(now, tag as u64, k.clone(), format!("value of {k}"), out)
                .unwrap()
        });
    }
    run_for(sim, 5_000);
    let done: Vec<usize> = sim
        .take_events()
        .into_iter()
        .filter_map(|(_, e)| match e {
            Event::PutDone { stored, .. } => Some(stored),
            _ => None,
        })
        .collect();
    assert_eq!(done, vec![realities; keys.len()]);
}

/// Gets every key from seeded random members: (found with the right
/// value, attempts summed).
fn get_keys(sim: &mut Sim<Node>, keys: &[String], rng: &mut ChaCha8Rng) -> (usize, u32) {
    let live: Vec<usize> = sim
        .nodes()
        .filter(|(_, n)| n.is_member())
        .map(|(i, _)| i)
        .collect();
    for (tag, k) in keys.iter().enumerate() {
        let via = live[rng.random_range(0..live.len())];
        sim.with_node(via, |n, now, out| {
            n.get(now, tag as u64, k.clone(), out).unwrap()
        });
    }
    run_for(sim, 10_000);
    let (mut found, mut attempts) = (0, 0);
    for (_, e) in sim.take_events() {
        if let Event::GetDone {
            tag,
            value,
            attempts: a,
            ..
        } = e
        {
            attempts += a;
            if value == Some(format!("value of {}", keys[tag as usize])) {
                found += 1;
            }
        }
    }
    (found, attempts)
}

fn keys(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("key-{i}")).collect()
}

/// Audits every reality of the live members; returns the multi-zone
/// count of reality 0.
fn assert_exact(sim: &Sim<Node>, what: &str) -> usize {
    let live: Vec<(u32, &Node)> = members(sim)
        .into_iter()
        .filter(|(_, n)| n.is_member())
        .collect();
    let realities = live[0].1.config().realities;
    let mut multi = 0;
    for r in (0..realities).rev() {
        let a = audit(live.clone(), r).unwrap_or_else(|e| panic!("{what}, reality {r}: {e}"));
        assert!(a.exact(), "{what}, reality {r}: {:?}", a.differences);
        multi = a.multi_zone;
    }
    multi
}

#[test]
fn graceful_leaves_hand_zones_and_keys_over() {
    let cfg = Config {
        reassign_ms: 0,
        ..Config::default()
    };
    let (mut sim, _) = grow(&cfg, 40, 5);
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let ks = keys(200);
    put_keys(&mut sim, &ks, &mut rng);
    for slot in [3, 17, 8, 30, 22, 11, 39, 1, 25, 14] {
        sim.with_node(slot, |n, now, out| n.leave(now, out).unwrap());
        run_for(&mut sim, 2_000);
    }
    let left: Vec<Event> = sim.take_events().into_iter().map(|(_, e)| e).collect();
    assert_eq!(left, vec![Event::Left { handed: 1, lost: 0 }; 10]);
    run_for(&mut sim, 5_000);
    let multi = assert_exact(&sim, "after 10 leaves");
    assert_eq!(sim.nodes().filter(|(_, n)| n.is_member()).count(), 30);
    // Pinned (seeded): leaves whose sibling was split leave their
    // taker with two zones.
    assert_eq!(multi, 2);
    let (found, attempts) = get_keys(&mut sim, &ks, &mut rng);
    assert_eq!((found, attempts), (200, 200));
}

fn total(sim: &Sim<Node>, f: impl Fn(&overlay_impls::can::Stats) -> u64) -> u64 {
    sim.nodes().map(|(_, n)| f(n.stats())).sum()
}

#[test]
fn reassignment_brings_every_node_back_to_one_zone() {
    let (mut sim, _) = grow(&Config::default(), 60, 21);
    let mut rng = ChaCha8Rng::seed_from_u64(21);
    let ks = keys(100);
    put_keys(&mut sim, &ks, &mut rng);
    // A third of the nodes leave, a little apart.
    for slot in (1..60).step_by(3) {
        sim.with_node(slot, |n, now, out| n.leave(now, out).unwrap());
        run_for(&mut sim, 300);
    }
    run_for(&mut sim, 20_000);
    let multi = assert_exact(&sim, "after leaves and reassignment");
    assert_eq!(multi, 0);
    assert_eq!(sim.nodes().filter(|(_, n)| n.is_member()).count(), 40);
    // Pinned (seeded): every extra zone's sibling was a leaf here.
    let handoffs = total(&sim, |s| s.reassign_handoffs);
    let swaps = total(&sim, |s| s.reassign_swaps);
    assert_eq!((handoffs, swaps), (7, 0));
    let (found, _) = get_keys(&mut sim, &ks, &mut rng);
    assert_eq!(found, 100);
}

/// The other way of reassigning (§2.3's "depth-first search"): node x
/// holds its zone and a departed neighbour's, and the deeper of the two
/// has a split sibling, so x must find the first pair of sibling leaves
/// below it, hand its extra zone to one of that pair and have the other
/// merge. Set up by the oracle; reassignment then runs as messages.
#[test]
fn reassignment_swaps_with_the_first_pair_of_sibling_leaves() {
    use overlay_impls::can::oracle::{network, partitions};
    let cfg = Config::manual(2, 1);
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let n = 40;
    let points: Vec<Vec<Point>> = (0..n).map(|_| vec![random_point(&mut rng, 2)]).collect();
    let mut parts = partitions(&cfg, &points);
    let leaves = parts[0].leaves();
    // The first (x, y) neighbours where x taking y's zone leaves x with a
    // deepest zone whose sibling is split.
    let (x, y, zy) = leaves
        .iter()
        .flat_map(|&(zy, y)| {
            parts[0]
                .abutting(&zy)
                .into_iter()
                .map(move |(zx, x)| (zx, x, zy, y))
        })
        .find_map(|(zx, x, zy, y)| {
            let a = if (zx.depth(), std::cmp::Reverse(zx)) > (zy.depth(), std::cmp::Reverse(zy)) {
                zx
            } else {
                zy
            };
            let s = a.sibling()?;
            (!leaves.iter().any(|(z, _)| *z == s)).then_some((x, y, zy))
        })
        .expect("some such pair");
    parts[0].set_owner(&zy.corner(), x);
    let addrs: Vec<_> = (0..n).map(sim_addr).collect();
    let mut sim = Sim::new(Net::default(), 4);
    for node in network(&cfg, &addrs, &points, &parts) {
        sim.add(node);
    }
    sim.crash(y as usize);
    assert_eq!(assert_exact(&sim, "set up"), 1);
    for _ in 0..3 {
        let slots: Vec<usize> = sim.nodes().map(|(i, _)| i).collect();
        for s in slots {
            sim.with_node(s, |node, now, out| node.reassign(now, out));
        }
        sim.run_until_idle(1_000_000);
    }
    assert_eq!(assert_exact(&sim, "after reassignment"), 0);
    assert_eq!(total(&sim, |s| s.reassign_swaps), 1);
    assert_eq!(total(&sim, |s| s.reassign_handoffs), 0);
    assert_eq!(sim.node(x as usize).unwrap().reality(0).zones().len(), 1);
}

fn took_over(events: &[(std::net::SocketAddr, Event)]) -> Vec<std::net::SocketAddr> {
    events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::TookOver { failed, .. } => Some(*failed),
            _ => None,
        })
        .collect()
}

#[test]
fn crashed_nodes_are_taken_over_and_the_tiling_restored() {
    let cfg = Config {
        reassign_ms: 0,
        ..Config::default()
    };
    let (mut sim, _) = grow(&cfg, 50, 8);
    sim.take_events();
    // One at a time, then three at once.
    for slot in [12, 31, 7] {
        sim.crash(slot);
        run_for(&mut sim, 10_000);
        assert_exact(&sim, "after a crash");
    }
    let events = sim.take_events();
    assert_eq!(
        took_over(&events),
        vec![sim_addr(12), sim_addr(31), sim_addr(7)]
    );
    for slot in [2, 25, 44] {
        sim.crash(slot);
    }
    run_for(&mut sim, 15_000);
    let multi = assert_exact(&sim, "after three crashes at once");
    let mut won = took_over(&sim.take_events());
    won.sort();
    assert_eq!(won, vec![sim_addr(2), sim_addr(25), sim_addr(44)]);
    assert_eq!(sim.nodes().count(), 44);
    // Pinned (seeded): winners whose new zone is no sibling of theirs.
    assert_eq!(multi, 5);
    // Reassignment then brings everyone back to one zone.
    for _ in 0..4 {
        let slots: Vec<usize> = sim.nodes().map(|(i, _)| i).collect();
        for s in &slots {
            sim.with_node(*s, |n, now, out| n.reassign(now, out));
        }
        run_for(&mut sim, 2_000);
    }
    assert_eq!(assert_exact(&sim, "after reassignment"), 0);
}

/// The slot owning `key` in reality `r`.
fn owner_of(sim: &Sim<Node>, key: &str, r: usize) -> usize {
    let dims = sim.nodes().next().unwrap().1.config().dims;
    let p = Point::of_key(key, r as u8, dims);
    let live: Vec<(u32, &Node)> = members(sim)
        .into_iter()
        .filter(|(_, n)| n.is_member())
        .collect();
    audit(live, r).unwrap().partition.owner_of(&p).0 as usize
}

#[test]
fn put_stores_in_every_reality_and_get_reads_the_nearest() {
    let cfg = Config::manual(2, 3);
    let (mut sim, _) = grow(&cfg, 30, 13);
    assert_exact(&sim, "joins in three realities");
    let mut rng = ChaCha8Rng::seed_from_u64(13);
    let ks = keys(60);
    put_keys(&mut sim, &ks, &mut rng);
    for k in &ks {
        for r in 0..3 {
            let o = owner_of(&sim, k, r);
            let held = sim.node(o).unwrap().reality(r).items().get(k);
            assert_eq!(held, Some(&format!("value of {k}")), "{k} in reality {r}");
        }
    }
    let (found, attempts) = get_keys(&mut sim, &ks, &mut rng);
    assert_eq!((found, attempts), (60, 60));
    // A get starts in the reality where the reader's zone is nearest the
    // key: from the owner in reality 2, that is reality 2, with 0 hops.
    let o = owner_of(&sim, &ks[0], 2);
    sim.with_node(o, |n, now, out| n.get(now, 7, ks[0].clone(), out).unwrap());
    run_for(&mut sim, 1_000);
    let got = sim.take_events();
    assert!(
        matches!(
            &got[..],
            [(
                _,
                Event::GetDone {
                    tag: 7,
                    reality: Some(_),
                    hops: 0,
                    attempts: 1,
                    ..
                }
            )]
        ),
        "{got:?}"
    );
}

/// §3, "Realities": with r realities a key has r owners at independent points, so
/// it survives the failure of r − 1 of them (their takeovers lose it).
#[test]
fn with_three_realities_a_key_survives_two_owner_crashes() {
    let cfg = Config {
        realities: 3,
        reassign_ms: 0,
        ..Config::default()
    };
    let (mut sim, _) = grow(&cfg, 40, 17);
    let mut rng = ChaCha8Rng::seed_from_u64(17);
    let ks = keys(40);
    put_keys(&mut sim, &ks, &mut rng);
    // Keys whose owners in realities 0 and 1 are distinct, and not their
    // owner in reality 2 either: crash those two owners.
    let k = ks
        .iter()
        .find(|k| {
            let o: Vec<usize> = (0..3).map(|r| owner_of(&sim, k, r)).collect();
            o[0] != o[1] && o[0] != o[2] && o[1] != o[2] && o[0] != 0 && o[1] != 0
        })
        .unwrap()
        .clone();
    let victims = [owner_of(&sim, &k, 0), owner_of(&sim, &k, 1)];
    for v in victims {
        sim.crash(v);
    }
    run_for(&mut sim, 15_000);
    assert_exact(&sim, "after two crashes");
    assert_eq!(
        took_over(&sim.take_events()).len(),
        6,
        "each victim, in each reality"
    );
    // The copies in realities 0 and 1 went with the crashed owners.
    for r in 0..2 {
        let o = owner_of(&sim, &k, r);
        assert_eq!(sim.node(o).unwrap().reality(r).items().get(&k), None);
    }
    // Every reader finds it, trying the realities in its own order.
    let readers: Vec<usize> = sim.nodes().map(|(i, _)| i).collect();
    for (tag, &s) in readers.iter().enumerate() {
        sim.with_node(s, |n, now, out| {
            n.get(now, tag as u64, k.clone(), out).unwrap()
        });
    }
    run_for(&mut sim, 10_000);
    let mut found = 0;
    let mut from = std::collections::BTreeSet::new();
    for (_, e) in sim.take_events() {
        if let Event::GetDone { value, reality, .. } = e {
            assert_eq!(value, Some(format!("value of {k}")));
            found += 1;
            from.insert(reality);
        }
    }
    assert_eq!(found, readers.len());
    assert_eq!(from.into_iter().collect::<Vec<_>>(), vec![Some(2)]);
}
