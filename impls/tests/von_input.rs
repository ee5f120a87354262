//! Untrusted input to a VON node: malformed datagrams get the codec's
//! error naming the field and offset, hostile well-formed messages are
//! dropped and counted by reason, and nothing panics.

use std::net::SocketAddr;

use overlay_impls::runtime::{OutboxOf, Process, Wire};
use overlay_impls::von::{Body, Config, Entry, Msg, Node, Point, Status};

fn pt(x: f64, y: f64) -> Point {
    Point::new(x, y).unwrap()
}

fn addr(i: u8) -> SocketAddr {
    format!("10.0.0.{i}:4000").parse().unwrap()
}

fn member() -> Node {
    Node::first(Config::manual(100.0), 1, addr(1), pt(0.0, 0.0))
}

fn msg(from: u64, seq: u64, body: Body) -> Msg {
    Msg {
        from,
        epoch: 0,
        seq,
        body,
    }
}

fn feed(n: &mut Node, from: SocketAddr, m: Msg) -> OutboxOf<Node> {
    let mut out = OutboxOf::<Node>::default();
    n.on_message(0, from, m, &mut out);
    out
}

#[test]
fn malformed_datagrams_get_errors_naming_field_and_offset() {
    let good = msg(
        2,
        1,
        Body::Hello {
            pos: pt(1.0, 1.0),
            check: None,
        },
    )
    .encode();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (vec![], "version at byte 0: truncated"),
        (vec![9, 3], "version at byte 0: 9, expected 2"),
        (vec![2, 0], "kind at byte 1: 0 is no message kind"),
        (
            good[..30].to_vec(),
            "pos.x at byte 26: truncated: needs 8 bytes, 4 left",
        ),
        (
            [&good[..], &[0]].concat(),
            "end at byte 43: 1 bytes after the HELLO",
        ),
        (
            {
                let mut b = good.clone();
                b[26..34].copy_from_slice(&f64::INFINITY.to_be_bytes());
                b
            },
            "pos at byte 26: x = inf is not a finite number",
        ),
        (
            {
                let mut b = good.clone();
                b[18..26].copy_from_slice(&[0; 8]);
                b
            },
            "seq at byte 18: 0 on a HELLO",
        ),
    ];
    for (bytes, want) in cases {
        let e = Msg::decode(&bytes).unwrap_err();
        assert!(e.reason.starts_with(want), "{} vs {want}", e.reason);
        assert!(e.to_string().starts_with("malformed datagram: "));
    }
}

#[test]
fn hostile_messages_are_dropped_and_counted_by_reason() {
    let mut n = member();
    // The node's own address as source, its own id as sender.
    feed(
        &mut n,
        addr(1),
        msg(
            2,
            1,
            Body::Hello {
                pos: pt(1.0, 1.0),
                check: None,
            },
        ),
    );
    feed(
        &mut n,
        addr(2),
        msg(
            1,
            1,
            Body::Hello {
                pos: pt(1.0, 1.0),
                check: None,
            },
        ),
    );
    // A JOIN for the node's own id; one over the hop limit.
    let join = |joiner, hops| Body::Join {
        joiner,
        addr: addr(9),
        pos: pt(5.0, 5.0),
        hops,
    };
    feed(&mut n, addr(3), msg(3, 0, join(1, 0)));
    // A LEAVE from a node it does not know.
    feed(&mut n, addr(4), msg(4, 1, Body::Leave { entries: vec![] }));
    // A NOTIFY naming the receiver.
    let me = Entry {
        id: 1,
        addr: addr(1),
        pos: pt(0.0, 0.0),
    };
    feed(
        &mut n,
        addr(5),
        msg(
            5,
            1,
            Body::Notify {
                entries: vec![me],
                gone: None,
            },
        ),
    );
    // A VIEW nobody asked for; a JOIN_REPLY to a member is news, not a join.
    feed(
        &mut n,
        addr(6),
        msg(
            6,
            0,
            Body::View {
                status: Status::Member,
                pos: pt(0.0, 0.0),
                aoi: 1.0,
                entries: vec![],
            },
        ),
    );
    // Stale sequence numbers: 1 twice, then an older epoch.
    feed(
        &mut n,
        addr(7),
        msg(
            7,
            1,
            Body::Hello {
                pos: pt(2.0, 2.0),
                check: None,
            },
        ),
    );
    feed(
        &mut n,
        addr(7),
        msg(
            7,
            1,
            Body::Move {
                pos: pt(3.0, 3.0),
                check: None,
            },
        ),
    );
    let mut new_epoch = msg(
        7,
        1,
        Body::Move {
            pos: pt(4.0, 4.0),
            check: None,
        },
    );
    new_epoch.epoch = 5;
    feed(&mut n, addr(7), new_epoch);
    feed(
        &mut n,
        addr(7),
        msg(
            7,
            2,
            Body::Move {
                pos: pt(9.0, 9.0),
                check: None,
            },
        ),
    );
    let r = &n.stats().rejected;
    let count = |k: &str| r.get(k).copied().unwrap_or(0);
    assert_eq!(count("own address as source"), 1);
    assert_eq!(count("own id as sender"), 1);
    assert_eq!(count("JOIN for this node's own id or address"), 1);
    assert_eq!(count("LEAVE from a non-entry"), 1);
    assert_eq!(count("list naming this node"), 1);
    assert_eq!(count("VIEW to a node"), 1);
    assert_eq!(count("stale sequence number"), 1);
    assert_eq!(count("stale epoch"), 1);
    // Node 7 is known at the position of its newest incarnation's MOVE.
    assert_eq!(n.table()[&7].pos, pt(4.0, 4.0));
    assert_eq!(n.stats().received, 10);
    assert_eq!(n.table().len(), 1);
}

#[test]
fn join_hop_limit_and_non_members() {
    let mut n = member();
    // A neighbour closer to the joiner: the JOIN is forwarded, unless it
    // has used up its hops.
    feed(
        &mut n,
        addr(2),
        msg(
            2,
            1,
            Body::Hello {
                pos: pt(50.0, 0.0),
                check: None,
            },
        ),
    );
    let join = |hops| Body::Join {
        joiner: 9,
        addr: addr(9),
        pos: pt(60.0, 0.0),
        hops,
    };
    let out = feed(&mut n, addr(3), msg(3, 0, join(3)));
    assert_eq!(out.sends.len(), 1);
    assert_eq!(out.sends[0].0, addr(2));
    assert!(matches!(out.sends[0].1.body, Body::Join { hops: 4, .. }));
    let out = feed(&mut n, addr(3), msg(3, 0, join(64)));
    assert!(out.sends.is_empty());
    assert_eq!(n.stats().rejected["JOIN over the hop limit"], 1);
    // A node outside the overlay answers nothing but queries.
    let mut o = Node::new(Config::manual(10.0), 5, addr(5), pt(1.0, 1.0));
    assert!(feed(&mut o, addr(2), msg(2, 0, join(0))).sends.is_empty());
    let out = feed(&mut o, addr(2), msg(2, 0, Body::Query));
    assert!(matches!(
        out.sends[0].1.body,
        Body::View {
            status: Status::Outside,
            ..
        }
    ));
    assert_eq!(o.stats().rejected["not a member"], 1);
}

#[test]
fn local_misuse_is_an_error_not_a_panic() {
    let mut n = Node::new(Config::manual(10.0), 5, addr(5), pt(1.0, 1.0));
    let mut out = OutboxOf::<Node>::default();
    assert!(n.move_to(pt(2.0, 2.0), &mut out).is_err());
    assert!(n.leave(&mut out).is_err());
    assert!(n.join(addr(5), &mut out).is_err());
    n.join(addr(1), &mut out).unwrap();
    assert!(n.join(addr(1), &mut out).is_err());
    assert!(Config {
        aoi: f64::NAN,
        ..Config::default()
    }
    .check()
    .is_err());
    assert!(Config::default().check().is_ok());
}
