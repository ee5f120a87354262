//! The Mainline DHT node in the seeded simulator: a network grown by
//! bootstrapping (BEP 5), lookups judged against the true k closest
//! (Kademlia §2.3), announce/get_peers with tokens (BEP 5), BEP 44 items,
//! and hostile input (malformed datagrams, bad tokens, forged answers).

use std::net::{SocketAddr, SocketAddrV4};

use overlay_impls::kademlia::experiment::sim_id;
use overlay_impls::kademlia::items::{immutable_target, Keypair};
use overlay_impls::kademlia::krpc::{self, Body, Message, Query};
use overlay_impls::kademlia::{Config, Event, ItemQuery, Node, NodeId, Outcome, PutItem};
use overlay_impls::runtime::sim::{sim_addr, Net, Sim};
use overlay_impls::runtime::{Outbox, Process};

fn v4(a: SocketAddr) -> SocketAddrV4 {
    match a {
        SocketAddr::V4(a) => a,
        SocketAddr::V6(_) => unreachable!(),
    }
}

fn cfg() -> Config {
    Config {
        k: 4,
        alpha: 2,
        ..Config::default()
    }
}

/// `n` nodes, each bootstrapped through node 0 in turn, run to quiescence.
fn grown(n: usize, seed: u64) -> Sim<Node> {
    grown_with(n, seed, cfg())
}

fn grown_with(n: usize, seed: u64, c: Config) -> Sim<Node> {
    let mut sim: Sim<Node> = Sim::new(Net::default(), seed);
    for i in 0..n {
        let node = Node::new(Config { seed, ..c.clone() }, sim_id(i), v4(sim_addr(i)));
        let slot = sim.add(node);
        sim.start(slot);
        // The first node has nobody to ask: its bootstrap ends at once.
        let seeds = if i == 0 {
            vec![]
        } else {
            vec![v4(sim_addr(0))]
        };
        sim.with_node(slot, |node, now, out| node.bootstrap(now, &seeds, out));
        let t = sim.now() + 10_000;
        sim.run_until(t);
    }
    sim
}

/// Runs `f` on node `slot`, then the network until the operation tagged
/// `tag` reports; returns its outcome.
fn op(
    sim: &mut Sim<Node>,
    slot: usize,
    tag: u64,
    f: impl FnOnce(&mut Node, u64, &mut Outbox<Message, overlay_impls::kademlia::Timer, Event>),
) -> Outcome {
    sim.with_node(slot, f);
    for _ in 0..1000 {
        let t = sim.now() + 1000;
        sim.run_until(t);
        for (_, e) in sim.take_events() {
            if let Event::Done { tag: t, outcome } = e {
                if t == tag {
                    return outcome;
                }
            }
        }
    }
    panic!("operation {tag} never ended");
}

fn true_closest(sim: &Sim<Node>, target: &NodeId, k: usize) -> Vec<NodeId> {
    let mut ids: Vec<NodeId> = sim.nodes().map(|(_, n)| n.id()).collect();
    ids.sort_by_key(|id| target.distance(id));
    ids.truncate(k);
    ids
}

#[test]
fn a_network_grown_by_bootstrapping_finds_the_k_closest() {
    let mut sim = grown(40, 1);
    for (_, n) in sim.nodes() {
        assert!(n.is_bootstrapped(), "{} never bootstrapped", n.id());
        n.table().check().unwrap();
        assert!(
            n.table().len() >= 4,
            "{} knows {} nodes",
            n.id(),
            n.table().len()
        );
    }
    for (tag, slot) in [3usize, 17, 39].into_iter().enumerate() {
        let target = NodeId::hash(format!("target {tag}").as_bytes());
        let o = op(&mut sim, slot, tag as u64, |n, now, out| {
            n.find_node(now, target, tag as u64, out)
        });
        let got: Vec<NodeId> = o.nodes.iter().map(|c| c.id).collect();
        // The origin is never in its own answer; the truth excludes it too.
        let origin = sim.node(slot).unwrap().id();
        let truth: Vec<NodeId> = true_closest(&sim, &target, 5)
            .into_iter()
            .filter(|id| *id != origin)
            .take(4)
            .collect();
        assert_eq!(got, truth, "lookup from slot {slot}");
        assert!(o.ok());
    }
}

#[test]
fn announced_peers_are_found_by_get_peers_elsewhere() {
    let mut sim = grown(30, 2);
    let ih = NodeId::hash(b"some torrent");
    let a = op(&mut sim, 5, 1, |n, now, out| {
        n.announce(now, ih, Some(6881), 1, out)
    });
    assert!(a.ok(), "{a:?}");
    assert_eq!(a.stored.len(), 4, "stored at the k closest: {a:?}");
    let g = op(&mut sim, 22, 2, |n, now, out| n.get_peers(now, ih, 2, out));
    let announcer = v4(sim_addr(5));
    assert_eq!(g.peers, vec![SocketAddrV4::new(*announcer.ip(), 6881)]);
    // implied_port: the port the announce came from.
    let a = op(&mut sim, 7, 3, |n, now, out| {
        n.announce(now, ih, None, 3, out)
    });
    assert!(a.ok());
    let g = op(&mut sim, 22, 4, |n, now, out| n.get_peers(now, ih, 4, out));
    assert_eq!(g.peers.len(), 2);
    assert!(g.peers.contains(&v4(sim_addr(7))));
}

#[test]
fn immutable_items_put_anywhere_are_got_anywhere() {
    let mut sim = grown(30, 3);
    let v = b"12:Hello World!".to_vec();
    let p = op(&mut sim, 4, 1, |n, now, out| {
        n.put_item(now, PutItem::Immutable { v: v.clone() }, 1, out)
    });
    assert!(p.ok(), "{p:?}");
    assert_eq!(p.target, immutable_target(&v));
    let target = p.target;
    let g = op(&mut sim, 25, 2, |n, now, out| {
        n.get_item(now, ItemQuery::Immutable { target }, 2, out)
    });
    assert_eq!(g.value.as_deref(), Some(&v[..]));
    let missing = NodeId::hash(b"nobody stored this");
    let g = op(&mut sim, 25, 3, |n, now, out| {
        n.get_item(now, ItemQuery::Immutable { target: missing }, 3, out)
    });
    assert!(!g.ok() && g.value.is_none());
}

/// Kademlia §2.5 (`Config::replicate`): a node that joins closer to an
/// item's target than every holder is sent the item by a holder that
/// observes it; without replication it never gets it. With
/// `store_locally` the publisher holds the item too when it is among the
/// k closest, and a get of an item held locally ends at once.
#[test]
fn replication_hands_items_to_newcomers_closer_than_every_holder() {
    let v = b"12:Hello World!".to_vec();
    let target = immutable_target(&v);
    for replicate in [false, true] {
        let c = Config {
            replicate,
            store_locally: true,
            ..cfg()
        };
        let mut sim = grown_with(20, 5, c.clone());
        let p = op(&mut sim, 4, 1, |n, now, out| {
            n.put_item(now, PutItem::Immutable { v: v.clone() }, 1, out)
        });
        assert_eq!(p.stored.len(), 4, "{p:?}");
        // Newcomers closer to the target than anybody (ids that differ
        // from it in the last bits), bootstrapped through node 0.
        for (j, flip) in [1u8, 2, 3].into_iter().enumerate() {
            let mut id = target;
            id.0[19] ^= flip;
            let i = 20 + j;
            let slot = sim.add(Node::new(c.clone(), id, v4(sim_addr(i))));
            sim.start(slot);
            let seeds = [v4(sim_addr(0))];
            sim.with_node(slot, |node, now, out| node.bootstrap(now, &seeds, out));
            let t = sim.now() + 10_000;
            sim.run_until(t);
            let holds = sim
                .node(slot)
                .unwrap()
                .items()
                .get(sim.now(), &target)
                .is_some();
            assert_eq!(holds, replicate, "newcomer {j}, replicate {replicate}");
        }
        // A get from a holder ends at once, without a query.
        let holder = (0..23)
            .find(|&s| {
                sim.node(s)
                    .unwrap()
                    .items()
                    .get(sim.now(), &target)
                    .is_some()
            })
            .expect("a holder");
        let g = op(&mut sim, holder, 2, |n, now, out| {
            n.get_item(now, ItemQuery::Immutable { target }, 2, out)
        });
        assert_eq!((g.value.as_deref(), g.queries), (Some(&v[..]), 0));
    }
}

#[test]
fn mutable_items_advance_by_seq_and_stale_puts_are_refused() {
    let mut sim = grown(30, 4);
    let keys = Keypair::from_seed(&[7; 32]);
    let put = |v: &str, seq: Option<i64>| PutItem::Mutable {
        keys: Box::new(keys.clone()),
        salt: b"salt".to_vec(),
        v: format!("{}:{v}", v.len()).into_bytes(),
        seq,
    };
    let q = ItemQuery::Mutable {
        key: keys.public(),
        salt: b"salt".to_vec(),
    };
    let p = op(&mut sim, 3, 1, |n, now, out| {
        n.put_item(now, put("one", None), 1, out)
    });
    assert!(p.ok(), "{p:?}");
    let g = op(&mut sim, 20, 2, |n, now, out| {
        n.get_item(now, q.clone(), 2, out)
    });
    assert_eq!((g.value.as_deref(), g.seq), (Some(&b"3:one"[..]), Some(1)));
    // Without --seq: the next after the newest found.
    let p = op(&mut sim, 9, 3, |n, now, out| {
        n.put_item(now, put("two", None), 3, out)
    });
    assert!(p.ok(), "{p:?}");
    let g = op(&mut sim, 20, 4, |n, now, out| {
        n.get_item(now, q.clone(), 4, out)
    });
    assert_eq!((g.value.as_deref(), g.seq), (Some(&b"3:two"[..]), Some(2)));
    // An explicit older seq is refused everywhere (302).
    let p = op(&mut sim, 9, 5, |n, now, out| {
        n.put_item(now, put("old", Some(1)), 5, out)
    });
    assert!(!p.ok(), "{p:?}");
    assert!(p.errors.iter().all(|e| e.contains("302")), "{:?}", p.errors);
    // Another salt is another item.
    let other = ItemQuery::Mutable {
        key: keys.public(),
        salt: b"other".to_vec(),
    };
    let g = op(&mut sim, 20, 6, |n, now, out| {
        n.get_item(now, other, 6, out)
    });
    assert!(g.value.is_none());
}

/// Feeds raw bytes to a node and returns what it sends back.
fn feed(node: &mut Node, from: SocketAddr, bytes: &[u8]) -> Vec<Message> {
    let mut out = Outbox::default();
    node.on_datagram(0, from, bytes, &mut out);
    out.sends.into_iter().map(|(_, m)| m).collect()
}

fn lone() -> Node {
    Node::new(cfg(), sim_id(0), v4(sim_addr(0)))
}

#[test]
fn malformed_datagrams_get_the_right_error_or_are_dropped_and_counted() {
    let mut n = lone();
    let from = sim_addr(9);
    // Not bencode at all: no transaction to answer, dropped.
    assert!(feed(&mut n, from, b"\xff\x00garbage").is_empty());
    // A query with a readable transaction but a missing id: 203.
    let r = feed(
        &mut n,
        from,
        b"d1:ad6:target20:aaaaaaaaaaaaaaaaaaaae1:q9:find_node1:t2:xy1:y1:qe",
    );
    assert!(
        matches!(&r[..], [Message { body: Body::Error { code: 203, .. }, transaction, .. }] if transaction == b"xy")
    );
    // An unknown method: 204.
    let r = feed(
        &mut n,
        from,
        b"d1:ad2:id20:aaaaaaaaaaaaaaaaaaaae1:q4:vote1:t2:ab1:y1:qe",
    );
    assert!(matches!(
        &r[..],
        [Message {
            body: Body::Error { code: 204, .. },
            ..
        }]
    ));
    let s = n.stats();
    assert_eq!(s.rejected.get("malformed (dropped)"), Some(&1));
    assert_eq!(s.rejected.get("malformed (203)"), Some(&1));
    assert_eq!(s.rejected.get("malformed (204)"), Some(&1));
    assert!(n.table().is_empty(), "nothing malformed enters the table");
}

#[test]
fn a_wrong_token_is_refused_and_counted() {
    let mut n = lone();
    let q = Message {
        transaction: b"t1".to_vec(),
        version: None,
        body: Body::Query(Query::AnnouncePeer {
            id: sim_id(5),
            info_hash: NodeId([1; 20]),
            port: 6881,
            token: b"forged!!".to_vec(),
            implied_port: false,
        }),
    };
    let r = feed(&mut n, sim_addr(5), &krpc::encode(&q));
    assert!(
        matches!(&r[..], [Message { body: Body::Error { code: 203, message }, .. }] if message == "bad token")
    );
    assert_eq!(n.stats().rejected.get("bad_token"), Some(&1));
    assert_eq!(n.peers().len(), (0, 0));
}

#[test]
fn an_answer_from_the_wrong_address_is_ignored_and_counted() {
    let mut n = lone();
    let mut out = Outbox::default();
    let contact = v4(sim_addr(1));
    n.bootstrap(0, &[contact], &mut out);
    let (to, query) = out.sends.pop().expect("a find_node to the seed");
    assert_eq!(to, sim_addr(1));
    let answer = Message {
        transaction: query.transaction.clone(),
        version: None,
        body: Body::Response(krpc::Response::id_only(sim_id(1))),
    };
    // Same transaction id, another sender: forged.
    let r = feed(&mut n, sim_addr(2), &krpc::encode(&answer));
    assert!(r.is_empty());
    assert_eq!(n.stats().rejected.get("unexpected_response"), Some(&1));
    assert!(n.table().is_empty());
    // From the right sender it counts.
    feed(&mut n, sim_addr(1), &krpc::encode(&answer));
    assert_eq!(n.table().len(), 1);
    assert_eq!(n.addr(), sim_addr(0));
}
