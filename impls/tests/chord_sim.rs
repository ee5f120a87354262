//! The Chord node in the seeded simulator: rings form by joins, repair
//! after crashes, lookups find the right owner, keys survive failures.

use overlay_impls::chord::{ring, Config, Event, Id, Node, Peer};
use overlay_impls::runtime::sim::{sim_addr, Net, Sim};

fn peers(n: usize) -> Vec<Peer> {
    (0..n).map(|i| Peer::at(sim_addr(i))).collect()
}

/// Live members sorted by id, and whether each one's list, predecessor
/// and first successor are the ideal ones.
fn ring_is_ideal(sim: &Sim<Node>, r: usize) -> Result<(), String> {
    let mut live: Vec<Peer> = sim
        .nodes()
        .filter(|(_, n)| n.is_member())
        .map(|(_, n)| n.me())
        .collect();
    live.sort();
    let k = live.len();
    for (i, p) in live.iter().enumerate() {
        let n = sim.nodes().find(|(_, n)| n.me() == *p).unwrap().1;
        let want: Vec<Peer> = (1..=r.min(k)).map(|d| live[(i + d) % k]).collect();
        if n.succ() != want.as_slice() {
            return Err(format!("{p:?}: succ {:?}, want {want:?}", n.succ()));
        }
        if n.prdc() != Some(live[(i + k - 1) % k]) {
            return Err(format!("{p:?}: prdc {:?}", n.prdc()));
        }
    }
    Ok(())
}

fn grow(n: usize, seed: u64) -> Sim<Node> {
    let cfg = Config::default();
    let mut sim = Sim::new(Net::default(), seed);
    let ps = peers(n);
    sim.add(Node::first(cfg.clone(), ps[0]));
    sim.start(0);
    for p in &ps[1..] {
        let i = sim.add(Node::new(cfg.clone(), *p));
        sim.start(i);
        sim.with_node(i, |node, _, out| node.join(ps[0].addr, out).unwrap());
        let t = sim.now() + 300;
        sim.run_until(t);
    }
    sim
}

#[test]
fn joins_converge_to_the_ideal_ring() {
    let mut sim = grow(40, 1);
    let t = sim.now() + 60_000;
    sim.run_until(t);
    ring_is_ideal(&sim, 3).unwrap();
    let joined = sim
        .take_events()
        .iter()
        .filter(|(_, e)| *e == Event::Joined)
        .count();
    assert_eq!(joined, 39);
}

#[test]
fn lookups_on_an_oracle_ring_find_the_successor() {
    let cfg = Config::default();
    let ps = peers(500);
    let mut sim = Sim::new(Net::default(), 7);
    for n in ring::ideal(&cfg, &ps, true) {
        sim.add(n);
    }
    let mut sorted = ps.clone();
    sorted.sort();
    let mut hops = 0;
    for k in 0..200u32 {
        let key = Id::hash(&k.to_be_bytes());
        sim.with_node((k as usize * 37) % 500, |n, _, out| n.lookup(key, out));
    }
    sim.run_until_idle(1_000_000);
    let events = sim.take_events();
    assert_eq!(events.len(), 200);
    for (_, e) in events {
        let Event::LookupDone {
            key,
            owner,
            hops: h,
            timeouts,
        } = e
        else {
            panic!("{e:?}")
        };
        let want = sorted[sorted.partition_point(|p| p.id < key) % sorted.len()];
        assert_eq!(owner, Some(want));
        assert_eq!(timeouts, 0);
        hops += h;
    }
    let mean = hops as f64 / 200.0;
    // ½·log2(500) ≈ 4.5
    assert!((3.0..6.0).contains(&mean), "mean hops {mean}");
}

#[test]
fn crashes_are_repaired_and_keys_survive() {
    let mut sim = grow(30, 3);
    let t = sim.now() + 30_000;
    sim.run_until(t);
    for k in 0..40u64 {
        sim.with_node((k % 30) as usize, |n, _, out| {
            n.put(k, format!("key{k}"), format!("v{k}"), out)
        });
    }
    let t = sim.now() + 10_000;
    sim.run_until(t);
    let puts = sim.take_events();
    assert_eq!(
        puts.iter()
            .filter(|(_, e)| matches!(e, Event::Done { reply, .. } if reply.found))
            .count(),
        40
    );
    // Crash nodes that are not adjacent in ring order (r = 3 copies).
    for slot in [3, 11, 17, 25] {
        sim.crash(slot);
    }
    let t = sim.now() + 60_000;
    sim.run_until(t);
    ring_is_ideal(&sim, 3).unwrap();
    for k in 0..40u64 {
        sim.with_node(0, |n, _, out| n.get(k, format!("key{k}"), out));
    }
    let t = sim.now() + 10_000;
    sim.run_until(t);
    let gets = sim.take_events();
    for (_, e) in &gets {
        let Event::Done { tag, reply } = e else {
            continue;
        };
        assert!(reply.found, "key{tag}: {reply:?}");
        assert_eq!(reply.value.as_deref(), Some(format!("v{tag}").as_str()));
    }
    assert_eq!(gets.len(), 40);
}

#[test]
fn same_seed_same_run() {
    let a = grow(20, 9);
    let b = grow(20, 9);
    let dump = |s: &Sim<Node>| {
        format!(
            "{:?}",
            s.nodes()
                .map(|(_, n)| (n.succ().to_vec(), n.prdc()))
                .collect::<Vec<_>>()
        )
    };
    assert_eq!(dump(&a), dump(&b));
    assert_eq!(a.stats(), b.stats());
}

/// Every key is held by its owner (the successor of its id among the
/// members) and the owner's next r-1 successors.
fn keys_on_their_holders(sim: &Sim<Node>, keys: u64, r: usize) -> Result<(), String> {
    let mut live: Vec<&Node> = sim
        .nodes()
        .map(|(_, n)| n)
        .filter(|n| n.is_member())
        .collect();
    live.sort_by_key(|n| n.me());
    for k in 0..keys {
        let key = format!("key{k}");
        let id = Id::hash(key.as_bytes());
        let owner = live.partition_point(|n| n.me().id < id) % live.len();
        for d in 0..r.min(live.len()) {
            let holder = live[(owner + d) % live.len()];
            if !holder.items().any(|i| i.key == key) {
                return Err(format!("{key}: copy {d} missing at {:?}", holder.me()));
            }
        }
    }
    Ok(())
}

#[test]
fn keys_move_to_joiners_and_copies_are_restored_after_crashes() {
    let cfg = Config::default();
    let ps = peers(40);
    let mut sim = grow(20, 5);
    let t = sim.now() + 20_000;
    sim.run_until(t);
    for k in 0..60u64 {
        sim.with_node(0, |n, _, out| {
            n.put(k, format!("key{k}"), format!("v{k}"), out)
        });
    }
    let t = sim.now() + 5_000;
    sim.run_until(t);
    keys_on_their_holders(&sim, 60, 3).unwrap();
    // Twenty more nodes join: keys move to the new owners and replicas.
    for p in &ps[20..] {
        let i = sim.add(Node::new(cfg.clone(), *p));
        sim.start(i);
        sim.with_node(i, |node, _, out| node.join(ps[0].addr, out).unwrap());
    }
    let t = sim.now() + 60_000;
    sim.run_until(t);
    ring_is_ideal(&sim, 3).unwrap();
    keys_on_their_holders(&sim, 60, 3).unwrap();
    // Crash two pairs of ring neighbours (each key keeps one copy).
    let mut order: Vec<(Peer, usize)> = sim.nodes().map(|(i, n)| (n.me(), i)).collect();
    order.sort();
    for k in [3, 4, 20, 21] {
        sim.crash(order[k].1);
    }
    let t = sim.now() + 60_000;
    sim.run_until(t);
    ring_is_ideal(&sim, 3).unwrap();
    keys_on_their_holders(&sim, 60, 3).unwrap();
}

#[test]
fn oversized_puts_are_refused_and_gets_name_the_holder() {
    let cfg = Config::default();
    let ps = peers(8);
    let mut sim = Sim::new(Net::default(), 2);
    for n in ring::ideal(&cfg, &ps, true) {
        sim.add(n);
    }
    let big = "x".repeat(overlay_impls::chord::wire::MAX_ITEM_BYTES);
    sim.with_node(0, |n, _, out| n.put(1, "big".into(), big, out));
    sim.with_node(0, |n, _, out| n.put(2, "small".into(), "v".into(), out));
    sim.run_until_idle(10_000);
    sim.with_node(3, |n, _, out| n.get(3, "small".into(), out));
    sim.run_until_idle(10_000);
    let mut sorted = ps.clone();
    sorted.sort();
    let owner = sorted[sorted.partition_point(|p| p.id < Id::hash(b"small")) % 8];
    let done: Vec<(u64, overlay_impls::chord::Reply)> = sim
        .take_events()
        .into_iter()
        .filter_map(|(_, e)| match e {
            Event::Done { tag, reply } => Some((tag, reply)),
            _ => None,
        })
        .collect();
    assert_eq!(done.len(), 3);
    assert!(!done[0].1.found);
    assert!(
        done[0]
            .1
            .error
            .as_deref()
            .unwrap()
            .contains("more than 1800"),
        "{:?}",
        done[0]
    );
    assert_eq!((done[1].1.found, done[1].1.owner), (true, Some(owner)));
    assert_eq!((done[2].1.found, done[2].1.owner), (true, Some(owner)));
    assert_eq!(done[2].1.value.as_deref(), Some("v"));
}
