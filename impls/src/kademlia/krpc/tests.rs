//! The codec's tests: BEP 5's own examples byte for byte, round trips,
//! malformed and hostile inputs with their KRPC error codes, proptests.
use super::*;
use proptest::prelude::*;

fn nid(s: &[u8; 20]) -> NodeId {
    NodeId(*s)
}

fn msg(t: &[u8], body: Body) -> Message {
    Message {
        transaction: t.to_vec(),
        version: None,
        body,
    }
}

fn query(q: Query) -> Message {
    msg(b"aa", Body::Query(q))
}

fn response(r: Response) -> Message {
    msg(b"aa", Body::Response(r))
}

fn peer(a: [u8; 4], port: u16) -> SocketAddrV4 {
    SocketAddrV4::new(Ipv4Addr::from(a), port)
}

/// Each of BEP 5's examples, byte for byte, both ways.
#[test]
fn bep5_examples() {
    let a = nid(b"abcdefghij0123456789");
    let m = nid(b"mnopqrstuvwxyz123456");
    let node = CompactNode {
        id: nid(b"0123456789abcdefghij"),
        addr: peer([127, 0, 0, 1], 6881),
    };
    let cases: Vec<(&[u8], Message)> = vec![
        (
            b"d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe",
            query(Query::Ping { id: a }),
        ),
        (
            b"d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re",
            response(Response::id_only(m)),
        ),
        (
            b"d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:aa1:y1:qe",
            query(Query::FindNode { id: a, target: m }),
        ),
        // BEP 5's find_node answer has `nodes9:def456...`, which is not
        // compact node info; here with one real 26-byte entry.
        (
            b"d1:rd2:id20:0123456789abcdefghij5:nodes26:0123456789abcdefghij\x7f\0\0\x01\x1a\xe1e1:t2:aa1:y1:re",
            response(Response {
                nodes: Some(vec![node]),
                ..Response::id_only(nid(b"0123456789abcdefghij"))
            }),
        ),
        (
            b"d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456e1:q9:get_peers1:t2:aa1:y1:qe",
            query(Query::GetPeers { id: a, info_hash: m }),
        ),
        (
            b"d1:rd2:id20:abcdefghij01234567895:token8:aoeusnth6:valuesl6:axje.u6:idhtnmee1:t2:aa1:y1:re",
            response(Response {
                token: Some(b"aoeusnth".to_vec()),
                values: Some(vec![
                    peer(*b"axje", u16::from_be_bytes(*b".u")),
                    peer(*b"idht", u16::from_be_bytes(*b"nm")),
                ]),
                ..Response::id_only(a)
            }),
        ),
        (
            b"d1:rd2:id20:abcdefghij01234567895:nodes26:0123456789abcdefghij\x7f\0\0\x01\x1a\xe15:token8:aoeusnthe1:t2:aa1:y1:re",
            response(Response {
                token: Some(b"aoeusnth".to_vec()),
                nodes: Some(vec![node]),
                ..Response::id_only(a)
            }),
        ),
        (
            b"d1:ad2:id20:abcdefghij012345678912:implied_porti1e9:info_hash20:mnopqrstuvwxyz1234564:porti6881e5:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe",
            query(Query::AnnouncePeer {
                id: a,
                info_hash: m,
                port: 6881,
                token: b"aoeusnth".to_vec(),
                implied_port: true,
            }),
        ),
        (
            b"d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee",
            msg(
                b"aa",
                Body::Error {
                    code: 201,
                    message: "A Generic Error Ocurred".into(),
                },
            ),
        ),
    ];
    for (bytes, m) in cases {
        assert_eq!(encode(&m), bytes, "{m:?}");
        assert_eq!(decode(bytes), Ok(m));
    }
}

#[test]
fn round_trips_every_kind() {
    let a = nid(b"abcdefghij0123456789");
    let msgs = vec![
        query(Query::Get {
            id: a,
            target: a,
            seq: Some(4),
        }),
        query(Query::Get {
            id: a,
            target: a,
            seq: None,
        }),
        query(Query::Put {
            id: a,
            token: b"tok".to_vec(),
            value: b"12:Hello World!".to_vec(),
            key: None,
            sig: None,
            seq: None,
            salt: None,
            cas: None,
        }),
        query(Query::Put {
            id: a,
            token: b"tok".to_vec(),
            value: b"d1:ai-3ee".to_vec(),
            key: Some([7; 32]),
            sig: Some([9; 64]),
            seq: Some(1),
            salt: Some(b"foobar".to_vec()),
            cas: Some(0),
        }),
        response(Response {
            id: a,
            nodes: Some(vec![]),
            values: Some(vec![]),
            token: Some(vec![]),
            value: Some(b"li1ei2ee".to_vec()),
            key: Some([1; 32]),
            sig: Some([2; 64]),
            seq: Some(i64::MAX),
        }),
        Message {
            transaction: vec![0, 255],
            version: Some(b"LT\x01\x02".to_vec()),
            body: Body::Error {
                code: 204,
                message: "Method Unknown".into(),
            },
        },
    ];
    for m in msgs {
        assert_eq!(decode(&encode(&m)), Ok(m));
    }
}

#[test]
fn unknown_keys_are_ignored_and_put_values_canonicalized() {
    let m = decode(b"d1:ad2:id20:abcdefghij01234567893:foo3:bare1:q4:ping1:t2:aa1:y1:q2:zzi1ee")
        .unwrap();
    assert_eq!(
        m,
        query(Query::Ping {
            id: nid(b"abcdefghij0123456789")
        })
    );
    // An unsorted dictionary in `v` comes back sorted.
    let m = decode(
        b"d1:ad2:id20:abcdefghij01234567895:token1:x1:vd1:bi1e1:ai2eee1:q3:put1:t2:aa1:y1:qe",
    )
    .unwrap();
    let Body::Query(Query::Put { value, .. }) = m.body else {
        panic!("{m:?}")
    };
    assert_eq!(value, b"d1:ai2e1:bi1ee");
}

/// Malformed datagrams: the problem named, and the code answered with
/// (`None`: dropped).
#[test]
fn malformed_datagrams() {
    let oversized = {
        let mut b = b"d1:t2:aa1:y1:q1:q4:ping1:ad2:id20:abcdefghij01234567893:pad1450:".to_vec();
        b.extend(vec![b'x'; 1450]);
        b.extend_from_slice(b"ee");
        b
    };
    let deep = {
        let mut b = b"d1:t2:aa1:y1:q1:q4:ping1:ad2:id20:abcdefghij01234567891:x".to_vec();
        b.extend(vec![b'l'; 500]);
        b.extend(vec![b'e'; 502]);
        b
    };
    let cases: Vec<(&[u8], &str, Option<i64>)> = vec![
        (b"", "not bencode", None),
        (b"d1:t2:aa1:y1:q", "not bencode", None),
        (b"d1:t2:aa1:y1:qe trailing", "not bencode: trailing data", None),
        (b"d1:t99999999999999999999:x", "not bencode", None),
        (b"d1:t2:aa1:y1:q1:zi99999999999999999999ee", "not bencode", None),
        (b"i42e", "the message is an integer, expected a dictionary", None),
        (b"l1:te", "the message is a list, expected a dictionary", None),
        (b"d1:y1:qe", "`t` is missing", None),
        (b"d1:ti1e1:y1:qe", "`t` is an integer, expected a byte string", None),
        (b"d1:t2:aae", "`y` is missing", Some(203)),
        (b"d1:t2:aa1:y1:xe", "`y` is `x`, expected q, r or e", Some(203)),
        (b"d1:t2:aa1:y1:qe", "`q` is missing", Some(203)),
        (b"d1:q4:ping1:t2:aa1:y1:qe", "`a` is missing", Some(203)),
        (b"d1:a0:1:q4:ping1:t2:aa1:y1:qe", "`a` is a byte string, expected a dictionary", Some(203)),
        (b"d1:adei1e1:q4:ping1:t2:aa1:y1:qe", "not bencode", None),
        (b"d1:ade1:q4:ping1:t2:aa1:y1:qe", "`a.id` is missing", Some(203)),
        (b"d1:q3:foo1:t2:aa1:y1:qe", "unknown query method `foo`", Some(204)),
        (b"d1:t2:aa1:y1:r1:rdee", "`r.id` is missing", None),
        (b"d1:t2:aa1:vi1e1:y1:qe", "`v` is an integer, expected a byte string", Some(203)),
        (
            b"d1:ad2:id19:abcdefghij012345678e1:q4:ping1:t2:aa1:y1:qe",
            "`a.id` is 19 bytes, expected 20",
            Some(203),
        ),
        (
            b"d1:ad2:idi1ee1:q4:ping1:t2:aa1:y1:qe",
            "`a.id` is an integer, expected a byte string",
            Some(203),
        ),
        (
            b"d1:ad2:id20:abcdefghij0123456789e1:q3:foo1:t2:aa1:y1:qe",
            "unknown query method `foo`",
            Some(204),
        ),
        (
            b"d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:porti65536e5:token1:xe1:q13:announce_peer1:t2:aa1:y1:qe",
            "`a.port` is 65536, expected a port, 0 to 65535",
            Some(203),
        ),
        (
            b"d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:porti1ee1:q13:announce_peer1:t2:aa1:y1:qe",
            "`a.token` is missing",
            Some(203),
        ),
        (
            b"d1:ad2:id20:abcdefghij01234567894:salt65:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx5:token1:x1:vi1ee1:q3:put1:t2:aa1:y1:qe",
            "`a.salt` is 65 bytes, more than 64",
            Some(207),
        ),
        (
            b"d1:rd2:id20:abcdefghij01234567895:nodes27:0123456789abcdefghij\x7f\0\0\x01\x1a\xe1!e1:t2:aa1:y1:re",
            "`r.nodes` is 27 bytes, not a multiple of 26",
            None,
        ),
        (
            b"d1:rd2:id20:abcdefghij01234567896:valuesl5:abcdeee1:t2:aa1:y1:re",
            "`r.values[0]` is 5 bytes, expected 6",
            None,
        ),
        (b"d1:e0:1:t2:aa1:y1:ee", "`e` is a byte string, expected a list", None),
        (b"d1:eli201ee1:t2:aa1:y1:ee", "`e[1]` is missing", None),
        (&oversized, "bytes, more than 1500", None),
        (&deep, "nested more than 32 deep", None),
    ];
    for (bytes, why, code) in cases {
        let e = decode(bytes).expect_err(&String::from_utf8_lossy(bytes));
        assert!(
            e.to_string().contains(why),
            "{:?}: `{e}` should say `{why}`",
            String::from_utf8_lossy(bytes)
        );
        assert_eq!(e.error_code(), code, "{e}");
        if let Some(code) = code {
            let reply = e.reply().unwrap();
            assert_eq!(reply.transaction, b"aa");
            assert_eq!(
                reply.body,
                Body::Error {
                    code,
                    message: e.to_string()
                }
            );
        }
    }
    // A `v` over BEP 44's 1000 bytes: 205.
    let mut big = b"d1:ad2:id20:abcdefghij01234567895:token1:x1:v1001:".to_vec();
    big.extend(vec![b'x'; 1001]);
    big.extend_from_slice(b"e1:q3:put1:t2:aa1:y1:qe");
    let e = decode(&big).unwrap_err();
    assert_eq!(e.error_code(), Some(205), "{e}");
    assert!(e.to_string().contains("`a.v` is 1006 bytes"), "{e}");
}

fn arb_id() -> impl Strategy<Value = NodeId> {
    any::<[u8; 20]>().prop_map(NodeId)
}

fn arb_bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..12)
}

fn arb_peer() -> impl Strategy<Value = SocketAddrV4> {
    (any::<[u8; 4]>(), any::<u16>()).prop_map(|(a, p)| peer(a, p))
}

/// A small canonical bencoded value.
fn arb_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        any::<i64>().prop_map(|i| format!("i{i}e").into_bytes()),
        arb_bytes().prop_map(|b| {
            let mut v = format!("{}:", b.len()).into_bytes();
            v.extend(b);
            v
        }),
    ]
}

fn arb_query() -> impl Strategy<Value = Query> {
    prop_oneof![
        arb_id().prop_map(|id| Query::Ping { id }),
        (arb_id(), arb_id()).prop_map(|(id, target)| Query::FindNode { id, target }),
        (arb_id(), arb_id()).prop_map(|(id, info_hash)| Query::GetPeers { id, info_hash }),
        (arb_id(), arb_id(), any::<u16>(), arb_bytes(), any::<bool>()).prop_map(
            |(id, info_hash, port, token, implied_port)| Query::AnnouncePeer {
                id,
                info_hash,
                port,
                token,
                implied_port
            }
        ),
        (arb_id(), arb_id(), any::<Option<i64>>()).prop_map(|(id, target, seq)| Query::Get {
            id,
            target,
            seq
        }),
        (
            arb_id(),
            arb_bytes(),
            arb_value(),
            any::<Option<[u8; 32]>>(),
            proptest::option::of(proptest::collection::vec(any::<u8>(), 64)),
            any::<Option<i64>>(),
            proptest::option::of(arb_bytes()),
            any::<Option<i64>>(),
        )
            .prop_map(|(id, token, value, key, sig, seq, salt, cas)| Query::Put {
                id,
                token,
                value,
                key,
                sig: sig.and_then(|s| <[u8; 64]>::try_from(s).ok()),
                seq,
                salt,
                cas,
            }),
    ]
}

fn arb_response() -> impl Strategy<Value = Response> {
    (
        arb_id(),
        proptest::option::of(proptest::collection::vec(
            (arb_id(), arb_peer()).prop_map(|(id, addr)| CompactNode { id, addr }),
            0..8,
        )),
        proptest::option::of(proptest::collection::vec(arb_peer(), 0..8)),
        proptest::option::of(arb_bytes()),
        proptest::option::of(arb_value()),
        any::<Option<[u8; 32]>>(),
        any::<Option<i64>>(),
    )
        .prop_map(|(id, nodes, values, token, value, key, seq)| Response {
            id,
            nodes,
            values,
            token,
            value,
            key,
            sig: key.map(|k| {
                let mut s = [0; 64];
                s[..32].copy_from_slice(&k);
                s
            }),
            seq,
        })
}

fn arb_message() -> impl Strategy<Value = Message> {
    let body = prop_oneof![
        arb_query().prop_map(Body::Query),
        arb_response().prop_map(Body::Response),
        (any::<i64>(), "[ -~]{0,20}").prop_map(|(code, message)| Body::Error { code, message }),
    ];
    (arb_bytes(), proptest::option::of(arb_bytes()), body).prop_map(
        |(transaction, version, body)| Message {
            transaction,
            version,
            body,
        },
    )
}

proptest! {
    #[test]
    fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = decode(&bytes);
    }

    #[test]
    fn decode_never_panics_on_mutations(m in arb_message(), pos in any::<usize>(), byte in any::<u8>()) {
        let mut b = encode(&m);
        let i = pos % b.len();
        b[i] = byte;
        let _ = decode(&b);
        b.truncate(i);
        let _ = decode(&b);
    }

    #[test]
    fn decode_inverts_encode(m in arb_message()) {
        prop_assert_eq!(decode(&encode(&m)), Ok(m));
    }
}
