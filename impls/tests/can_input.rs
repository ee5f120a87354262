//! Hostile and impossible input to a CAN node: dropped and counted by
//! reason, never a panic; arbitrary message sequences never panic.

use std::net::SocketAddr;

use overlay_impls::can::volume::Volume;
use overlay_impls::can::wire::{Item, Msg, NbrInfo, Routed, StuckReason};
use overlay_impls::can::{Config, Node, Point, Zone};
use overlay_impls::runtime::sim::sim_addr;
use overlay_impls::runtime::{Outbox, Process, Wire};
use proptest::prelude::*;

fn addr(i: usize) -> SocketAddr {
    sim_addr(i)
}

/// Two nodes' worth of network, as node 0 sees it: it owns the lower
/// half, node 1 the upper.
fn node() -> Node {
    let cfg = Config::manual(2, 2);
    let (l, u) = Zone::whole(2).halves().unwrap();
    let p = Point::new(&[0, 0]).unwrap();
    Node::with_state(
        cfg,
        addr(0),
        vec![p, p],
        vec![vec![l], vec![l]],
        vec![vec![(addr(1), vec![u])], vec![(addr(1), vec![u])]],
    )
}

fn feed(
    n: &mut Node,
    from: SocketAddr,
    m: Msg,
) -> Outbox<Msg, overlay_impls::can::Timer, overlay_impls::can::Event> {
    let mut out = Outbox::default();
    n.on_message(1000, from, m, &mut out);
    out
}

#[test]
fn impossible_claims_are_dropped_and_counted_by_reason() {
    let mut n = node();
    let z3 = Zone::whole(3);
    let (l, u) = Zone::whole(2).halves().unwrap();
    let update = |reality, zones: Vec<Zone>| Msg::Update {
        reality,
        ver: 9,
        zones,
        nbrs: vec![],
    };
    feed(&mut n, addr(1), update(0, vec![z3]));
    feed(&mut n, addr(1), update(7, vec![u]));
    feed(&mut n, addr(1), update(0, vec![u, u.halves().unwrap().0]));
    feed(&mut n, addr(0), update(0, vec![u]));
    let route = Msg::Route {
        reality: 0,
        target: Point::new(&[1, 2, 3]).unwrap(),
        hops: 0,
        ttl: 5,
        body: Routed::Lookup {
            origin: addr(1),
            req: 1,
        },
    };
    feed(&mut n, addr(1), route);
    let r = &n.stats().rejected;
    assert_eq!(r.get("wrong dimension count"), Some(&2));
    assert_eq!(r.get("unknown reality"), Some(&1));
    assert_eq!(r.get("overlapping zones"), Some(&1));
    assert_eq!(r.get("a message from our own address"), Some(&1));
    // Nothing changed.
    assert_eq!(n.reality(0).zones(), &[l]);
    assert_eq!(
        n.reality(0).neighbors().get(&addr(1)).unwrap().zones,
        vec![u]
    );
    // Answers to nothing asked, and claims about strangers: unexpected.
    feed(
        &mut n,
        addr(1),
        Msg::Found {
            req: 77,
            reality: 0,
            hops: 1,
        },
    );
    let takeover = Msg::Takeover {
        reality: 0,
        failed: addr(9),
        volume: Volume::WHOLE,
    };
    feed(&mut n, addr(1), takeover);
    assert_eq!(n.stats().unexpected, 2);
    // A swap of a zone it does not hold is refused, and changes nothing.
    let swap = Msg::Swap {
        req: 3,
        reality: 0,
        take: u,
        items: vec![],
        nbrs: vec![],
        give: u,
        to: addr(1),
    };
    let out = feed(&mut n, addr(1), swap);
    assert!(matches!(&out.sends[..], [(_, Msg::Refused { req: 3, .. })]));
    assert_eq!(n.reality(0).zones(), &[l]);
    // A TAKEOVER of ourselves is answered with an UPDATE: we are alive.
    let out = feed(
        &mut n,
        addr(1),
        Msg::Takeover {
            reality: 1,
            failed: addr(0),
            volume: Volume::ZERO,
        },
    );
    assert!(matches!(
        &out.sends[..],
        [(_, Msg::Update { reality: 1, .. })]
    ));
    // A route whose hops ran out stops, and its origin hears why.
    let lost = Msg::Route {
        reality: 0,
        target: u.corner(),
        hops: 4,
        ttl: 0,
        body: Routed::Lookup {
            origin: addr(5),
            req: 8,
        },
    };
    let out = feed(&mut n, addr(1), lost);
    assert_eq!(n.stats().ttl_expired, 1);
    assert!(matches!(
        &out.sends[..],
        [(a, Msg::Stuck { req: 8, reason: StuckReason::Ttl, .. })] if *a == addr(5)
    ));
}

/// Valid zones of two dimensions (or, sometimes, of three).
fn zone() -> impl Strategy<Value = Zone> {
    (any::<[u32; 3]>(), 0u32..70, 0u8..10).prop_map(|(c, depth, odd)| {
        let dims = if odd == 0 { 3 } else { 2 };
        let p = Point::new(&c[..dims]).unwrap();
        let mut z = Zone::whole(dims);
        for _ in 0..depth {
            match z.split_at(&p) {
                Some((h, _)) => z = h,
                None => break,
            }
        }
        z
    })
}

fn point() -> impl Strategy<Value = Point> {
    any::<[u32; 2]>().prop_map(|c| Point::new(&c).unwrap())
}

fn peer() -> impl Strategy<Value = SocketAddr> {
    (0usize..4).prop_map(addr)
}

fn zones() -> impl Strategy<Value = Vec<Zone>> {
    proptest::collection::vec(zone(), 0..3)
}

fn nbrs() -> impl Strategy<Value = Vec<NbrInfo>> {
    proptest::collection::vec(
        (peer(), 0u64..5, proptest::collection::vec(zone(), 0..2))
            .prop_map(|(addr, ver, zones)| NbrInfo { addr, ver, zones }),
        0..3,
    )
}

fn items() -> impl Strategy<Value = Vec<Item>> {
    proptest::collection::vec(
        (0u8..5).prop_map(|k| Item {
            key: format!("k{k}"),
            value: "v".into(),
        }),
        0..3,
    )
}

fn msg() -> impl Strategy<Value = Msg> {
    let reality = 0u8..3;
    let req = 0u64..6;
    let body = prop_oneof![
        (peer(), req.clone()).prop_map(|(joiner, req)| Routed::Join { joiner, req }),
        (peer(), req.clone()).prop_map(|(origin, req)| Routed::Lookup { origin, req }),
        (peer(), req.clone()).prop_map(|(origin, req)| Routed::Put {
            origin,
            req,
            key: "k1".into(),
            value: "v".into()
        }),
        (peer(), req.clone()).prop_map(|(origin, req)| Routed::Get {
            origin,
            req,
            key: "k1".into()
        }),
        (peer(), req.clone()).prop_map(|(origin, req)| Routed::Probe { origin, req }),
        peer().prop_map(|origin| Routed::Greet { origin }),
    ];
    prop_oneof![
        (reality.clone(), point(), 0u32..3, 0u32..3, body).prop_map(
            |(reality, target, hops, ttl, body)| Msg::Route {
                reality,
                target,
                hops,
                ttl,
                body
            }
        ),
        (reality.clone(), 0u64..5, zones(), nbrs()).prop_map(|(reality, ver, zones, nbrs)| {
            Msg::Update {
                reality,
                ver,
                zones,
                nbrs,
            }
        }),
        (reality.clone(), peer(), 0u32..5).prop_map(|(reality, failed, d)| Msg::Takeover {
            reality,
            failed,
            volume: Volume::of_depth(d)
        }),
        (req.clone(), reality.clone(), zones(), items(), nbrs()).prop_map(
            |(req, reality, zones, items, nbrs)| Msg::Handoff {
                req,
                reality,
                zones,
                items,
                nbrs
            }
        ),
        (
            req.clone(),
            reality.clone(),
            zone(),
            items(),
            nbrs(),
            zone(),
            peer()
        )
            .prop_map(|(req, reality, take, items, nbrs, give, to)| Msg::Swap {
                req,
                reality,
                take,
                items,
                nbrs,
                give,
                to
            }),
        (req.clone(), reality.clone(), zone(), items(), nbrs()).prop_map(
            |(req, reality, zone, items, nbrs)| Msg::JoinAccept {
                req,
                reality,
                zone,
                items,
                nbrs
            }
        ),
        (req.clone(), reality.clone(), 0u64..5, zones()).prop_map(|(req, reality, ver, zones)| {
            Msg::Took {
                req,
                reality,
                ver,
                zones,
            }
        }),
        (req.clone(), reality.clone(), zone()).prop_map(|(req, reality, zone)| Msg::ProbeReply {
            req,
            reality,
            zone
        }),
        (req.clone(), reality.clone()).prop_map(|(req, reality)| Msg::Found {
            req,
            reality,
            hops: 1
        }),
        (req.clone(), reality.clone()).prop_map(|(req, reality)| Msg::Value {
            req,
            reality,
            hops: 1,
            value: None
        }),
        (req.clone(), reality.clone()).prop_map(|(req, reality)| Msg::Stuck {
            req,
            reality,
            hops: 1,
            reason: StuckReason::NoCloser
        }),
        (req, reality).prop_map(|(req, reality)| Msg::Refused {
            req,
            reality,
            reason: "no".into()
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Any sequence of well-formed but arbitrary messages, interleaved
    /// with the node's own commands and timers: no panic, and whatever
    /// the node sends encodes to something that decodes.
    #[test]
    fn arbitrary_message_sequences_never_panic(
        steps in proptest::collection::vec((peer(), msg(), 0u8..8), 1..25)
    ) {
        let mut n = node();
        let mut now = 1000;
        for (from, m, cmd) in steps {
            let mut out = Outbox::default();
            // The codec would have let it through, or dropped it.
            if Msg::decode(&m.encode()).is_ok() {
                n.on_message(now, from, m, &mut out);
            }
            match cmd {
                0 => n.refresh(now, &mut out),
                1 => n.reassign(now, &mut out),
                2 => { let _ = n.put(now, 1, "k2".into(), "v".into(), &mut out); }
                3 => { let _ = n.get(now, 2, "k2".into(), &mut out); }
                4 => { let _ = n.leave(now, &mut out); }
                _ => {}
            }
            for (_, t) in out.timers.drain(..) {
                let mut more = Outbox::default();
                n.on_timer(now + 10_000, t, &mut more);
            }
            for (_, s) in &out.sends {
                let bytes = s.encode();
                prop_assert!(Msg::decode(&bytes).is_ok() || bytes.len() > 60 * 1024);
            }
            now += 500;
        }
    }
}

/// A hand-over is finished only by the node it went to: a forged `Took`
/// from anyone else (with the right request id) changes nothing.
#[test]
fn only_the_taker_can_finish_a_hand_over() {
    let mut n = node();
    let mut out = Outbox::default();
    n.leave(1000, &mut out).unwrap();
    let req = match &out.sends[..] {
        [(to, Msg::Handoff { req, .. })] if *to == addr(1) => *req,
        other => panic!("expected one hand-over to node 1, got {other:?}"),
    };
    let l = Zone::whole(2).halves().unwrap().0;
    let took = |ver| Msg::Took {
        req,
        reality: 0,
        ver,
        zones: vec![Zone::whole(2)],
    };
    feed(&mut n, addr(3), took(5));
    assert_eq!(n.stats().unexpected, 1);
    assert_eq!(n.reality(0).zones(), &[l]);
    let out = feed(&mut n, addr(1), took(5));
    assert!(n.reality(0).zones().is_empty());
    // Its goodbye (no zones) to node 1, and the next zone (reality 1).
    assert!(out.sends.iter().any(|(to, m)| *to == addr(1)
        && matches!(m, Msg::Update { reality: 0, zones, .. } if zones.is_empty())));
    assert!(out
        .sends
        .iter()
        .any(|(_, m)| matches!(m, Msg::Handoff { reality: 1, zones, .. } if zones == &[l])));
}

/// Found by the node fuzz target (`impls/src/can/fuzzing.rs`): a
/// neighbour list that claims overlapping zones for one node (a takeover
/// of that node then gave the taker overlapping zones), and a put routed
/// to a point that is not its key's (the owner stored a key outside its
/// zones, where no hand-over or read looks): both dropped and counted.
#[test]
fn overlapping_neighbour_claims_and_misrouted_keys_are_dropped() {
    let mut n = node();
    let (l, u) = Zone::whole(2).halves().unwrap();
    let update = Msg::Update {
        reality: 0,
        ver: 9,
        zones: vec![u],
        nbrs: vec![NbrInfo {
            addr: addr(2),
            ver: 1,
            zones: vec![u, u.halves().unwrap().0],
        }],
    };
    feed(&mut n, addr(1), update);
    assert_eq!(n.stats().rejected.get("overlapping zones"), Some(&1));
    assert!(n.reality(0).neighbors().get(&addr(2)).is_none());

    let elsewhere = (0..)
        .map(|i| format!("k{i}"))
        .find(|k| !l.contains(&Point::of_key(k, 0, 2)))
        .unwrap();
    let put = |key: &str, target| Msg::Route {
        reality: 0,
        target,
        hops: 1,
        ttl: 5,
        body: Routed::Put {
            origin: addr(3),
            req: 1,
            key: key.into(),
            value: "v".into(),
        },
    };
    let out = feed(&mut n, addr(1), put(&elsewhere, l.corner()));
    assert!(out.sends.is_empty(), "{:?}", out.sends);
    assert_eq!(
        n.stats().rejected.get("a key routed to another point"),
        Some(&1)
    );
    assert!(n.reality(0).items().is_empty());
    // At its own point the same put goes on towards its owner, node 1.
    let out = feed(
        &mut n,
        addr(3),
        put(&elsewhere, Point::of_key(&elsewhere, 0, 2)),
    );
    assert!(matches!(&out.sends[..], [(to, Msg::Route { .. })] if *to == addr(1)));
}
