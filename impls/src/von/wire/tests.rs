use super::*;
use proptest::prelude::*;

fn addr4(i: u8, port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, i)), port)
}

fn pt(x: f64, y: f64) -> Point {
    Point::new(x, y).unwrap()
}

fn sample() -> Vec<Msg> {
    let e = |id, i, x, y| Entry {
        id,
        addr: addr4(i, 4000),
        pos: pt(x, y),
    };
    let v6: SocketAddr = "[2001:db8::1]:9".parse().unwrap();
    let h = |seq, body| Msg {
        from: 7,
        epoch: 3,
        seq,
        body,
    };
    vec![
        h(
            0,
            Body::Join {
                joiner: 9,
                addr: v6,
                pos: pt(1.5, -2.0),
                hops: 4,
            },
        ),
        h(
            0,
            Body::JoinReply {
                hops: 2,
                entries: vec![e(7, 1, 0.0, 0.0), e(8, 2, 10.0, 20.0)],
            },
        ),
        h(
            1,
            Body::Hello {
                pos: pt(3.0, 4.0),
                check: None,
            },
        ),
        h(
            2,
            Body::Move {
                pos: pt(-3.0, 4.25),
                check: None,
            },
        ),
        h(
            3,
            Body::Notify {
                entries: vec![],
                gone: None,
            },
        ),
        h(4, Body::Leave { entries: vec![] }),
        h(0, Body::Query),
        h(
            0,
            Body::View {
                status: Status::Member,
                pos: pt(1.0, 1.0),
                aoi: 100.0,
                entries: vec![Entry {
                    id: 1,
                    addr: v6,
                    pos: pt(2.0, 2.0),
                }],
            },
        ),
        // 8..: the hardened protocol's fields.
        h(
            5,
            Body::Move {
                pos: pt(1.0, 2.0),
                check: Some(Check {
                    seen: pt(5.0, 6.0),
                    knows: vec![1, 8],
                    hints: vec![e(8, 2, 10.0, 20.0)],
                }),
            },
        ),
        h(
            6,
            Body::Hello {
                pos: pt(1.0, 2.0),
                check: Some(Check {
                    seen: pt(0.0, 0.0),
                    knows: vec![],
                    hints: vec![],
                }),
            },
        ),
        h(
            7,
            Body::Notify {
                entries: vec![e(8, 2, 10.0, 20.0)],
                gone: Some(11),
            },
        ),
        h(
            8,
            Body::Leave {
                entries: vec![e(7, 1, 0.0, 0.0), e(8, 2, 10.0, 20.0)],
            },
        ),
    ]
}

#[test]
fn every_kind_round_trips_at_its_stated_length() {
    for m in sample() {
        let b = m.encode();
        assert_eq!(b.len(), m.encoded_len(), "{m:?}");
        assert_eq!(Msg::decode(&b), Ok(m.clone()));
    }
}

#[test]
fn header_layout_is_as_documented() {
    let m = Msg {
        from: 0x0102030405060708,
        epoch: 9,
        seq: 10,
        body: Body::Move {
            pos: pt(1.0, 2.0),
            check: None,
        },
    };
    let b = m.encode();
    assert_eq!(&b[..2], &[VERSION, 4]);
    assert_eq!(&b[2..10], &[1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(b[17], 9);
    assert_eq!(b[25], 10);
    assert_eq!(&b[26..34], &1.0f64.to_be_bytes());
    assert_eq!(b[42], 0, "no check");
    assert_eq!(b.len(), 43);
    // A check: flag, seen, knows, hints.
    let b = sample()[8].encode();
    assert_eq!(b[42], 1);
    assert_eq!(&b[43..51], &5.0f64.to_be_bytes());
    assert_eq!(&b[59..61], &[0, 2]);
    assert_eq!(&b[61..69], &1u64.to_be_bytes());
    assert_eq!(&b[77..79], &[0, 1]);
    assert_eq!(b.len(), 79 + 8 + 7 + 16);
    // NOTIFY: gone flag and id before the list.
    let b = sample()[10].encode();
    assert_eq!(b[26], 1);
    assert_eq!(&b[27..35], &11u64.to_be_bytes());
    assert_eq!(&b[35..37], &[0, 1]);
}

fn err(b: &[u8]) -> String {
    Msg::decode(b).unwrap_err().reason
}

#[test]
fn malformed_datagrams_name_field_and_offset() {
    let mv = sample()[3].encode();
    assert_eq!(
        err(&[]),
        "version at byte 0: truncated: needs 1 bytes, 0 left"
    );
    assert_eq!(err(&[1]), "version at byte 0: 1, expected 2");
    assert_eq!(err(&[2, 99]), "kind at byte 1: 99 is no message kind");
    assert!(err(&mv[..15]).starts_with("epoch at byte 10: truncated: needs 8 bytes, 5 left"));
    assert!(err(&mv[..30]).starts_with("pos.x at byte 26: truncated"));
    let mut long = mv.clone();
    long.push(0);
    assert_eq!(err(&long), "end at byte 43: 1 bytes after the MOVE");
    // The hardened fields.
    let mut flag = mv.clone();
    flag[42] = 2;
    assert_eq!(err(&flag), "check at byte 42: 2 is neither 0 nor 1");
    let checked = sample()[8].encode();
    assert!(err(&checked[..50]).starts_with("seen.x at byte 43: truncated"));
    let mut knows = checked.clone();
    knows[59..61].copy_from_slice(&(MAX_KNOWS as u16 + 1).to_be_bytes());
    assert_eq!(err(&knows), "knows at byte 59: 401 ids, more than 400");
    let mut twice = checked.clone();
    twice[69..77].copy_from_slice(&1u64.to_be_bytes());
    assert_eq!(err(&twice), "knows[1] at byte 69: id 1 listed twice");
    let mut hints = checked.clone();
    hints[77..79].copy_from_slice(&(MAX_HINTS as u16 + 1).to_be_bytes());
    assert_eq!(err(&hints), "hints at byte 77: 101 entries, more than 100");
    let mut hint_fam = checked.clone();
    hint_fam[87] = 7;
    assert_eq!(
        err(&hint_fam),
        "hints[0].addr.family at byte 87: 7 is neither 4 nor 6"
    );
    let mut gone = sample()[10].encode();
    gone[26] = 3;
    assert_eq!(err(&gone), "gone at byte 26: 3 is neither 0 nor 1");
    assert!(err(&sample()[10].encode()[..30]).starts_with("gone.id at byte 27: truncated"));
    let mut leave = sample()[11].encode();
    leave[26..28].copy_from_slice(&[0, 3]);
    assert!(
        err(&leave).starts_with("entries[2].id at byte"),
        "{}",
        err(&leave)
    );
    let mut nan = mv.clone();
    nan[34..42].copy_from_slice(&f64::NAN.to_be_bytes());
    assert_eq!(err(&nan), "pos at byte 26: y = NaN is not a finite number");
    let mut far = mv.clone();
    far[26..34].copy_from_slice(&1e300f64.to_be_bytes());
    assert!(err(&far).starts_with("pos at byte 26: x = 1e300 is beyond"));
    let mut seq0 = mv.clone();
    seq0[18..26].copy_from_slice(&0u64.to_be_bytes());
    assert!(
        err(&seq0).starts_with("seq at byte 18: 0 on a MOVE"),
        "{}",
        err(&seq0)
    );
    let mut q = sample()[6].encode();
    q[25] = 1;
    assert!(err(&q).starts_with("seq at byte 18: 1 on a QUERY"));
    // Entry lists: count bound, duplicates, bad addresses.
    let mut reply = sample()[1].encode();
    reply[30..32].copy_from_slice(&(MAX_ENTRIES as u16 + 1).to_be_bytes());
    assert_eq!(err(&reply), "count at byte 30: 181 entries, more than 180");
    let mut dup = sample()[1].encode();
    dup[63..71].copy_from_slice(&7u64.to_be_bytes());
    assert_eq!(err(&dup), "entries[1].id at byte 63: id 7 listed twice");
    let mut fam = sample()[1].encode();
    fam[40] = 5;
    assert_eq!(
        err(&fam),
        "entries[0].addr.family at byte 40: 5 is neither 4 nor 6"
    );
    let mut port0 = sample()[1].encode();
    port0[45..47].copy_from_slice(&[0, 0]);
    assert_eq!(
        err(&port0),
        "entries[0].addr at byte 45: 10.0.0.1:0 is no address a node can be reached at"
    );
    let mut ip0 = sample()[1].encode();
    ip0[41..45].copy_from_slice(&[0, 0, 0, 0]);
    assert!(err(&ip0).starts_with("entries[0].addr at byte 40: 0.0.0.0:4000"));
    let mut view = sample()[7].encode();
    view[26] = 9;
    assert_eq!(err(&view), "status at byte 26: 9 is no status");
    let mut aoi = sample()[7].encode();
    aoi[43..51].copy_from_slice(&(-1.0f64).to_be_bytes());
    assert_eq!(err(&aoi), "aoi at byte 43: -1 is no radius");
    let big = vec![1u8; MAX_DATAGRAM + 1];
    assert_eq!(err(&big), "datagram at byte 0: 8193 bytes, more than 8192");
}

#[test]
fn the_longest_check_fits_a_datagram() {
    let v6: SocketAddr = "[2001:db8::1]:9".parse().unwrap();
    let e = |id| Entry {
        id,
        addr: v6,
        pos: pt(1.0, 1.0),
    };
    let m = Msg {
        from: 1,
        epoch: 0,
        seq: 1,
        body: Body::Move {
            pos: pt(0.0, 0.0),
            check: Some(Check {
                seen: pt(1.0, 1.0),
                knows: (0..MAX_KNOWS as u64).collect(),
                hints: (0..MAX_HINTS as u64).map(e).collect(),
            }),
        },
    };
    let b = m.encode();
    assert!(b.len() <= MAX_DATAGRAM, "{}", b.len());
    assert_eq!(b.len(), m.encoded_len());
    assert_eq!(Msg::decode(&b), Ok(m));
}

#[test]
fn the_longest_list_fits_a_datagram() {
    let v6: SocketAddr = "[2001:db8::1]:9".parse().unwrap();
    let entries: Vec<Entry> = (0..MAX_ENTRIES as u64)
        .map(|id| Entry {
            id,
            addr: v6,
            pos: pt(1.0, 1.0),
        })
        .collect();
    let m = Msg {
        from: 1,
        epoch: 0,
        seq: 0,
        body: Body::View {
            status: Status::Member,
            pos: pt(0.0, 0.0),
            aoi: 1.0,
            entries,
        },
    };
    let b = m.encode();
    assert!(b.len() <= MAX_DATAGRAM, "{}", b.len());
    assert_eq!(Msg::decode(&b), Ok(m));
}

fn arb_point() -> impl Strategy<Value = Point> {
    let c = prop_oneof![
        (-1e9f64..1e9),
        (-1000i32..1000).prop_map(f64::from),
        Just(0.0)
    ];
    (c.clone(), c).prop_map(|(x, y)| Point::new(x, y).unwrap())
}

fn arb_addr() -> impl Strategy<Value = SocketAddr> {
    prop_oneof![
        (1u32.., 1u16..)
            .prop_map(|(ip, port)| SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), port)),
        (1u128.., 1u16..)
            .prop_map(|(ip, port)| SocketAddr::new(IpAddr::V6(Ipv6Addr::from(ip)), port)),
    ]
}

fn arb_entries() -> impl Strategy<Value = Vec<Entry>> {
    proptest::collection::btree_map(any::<u64>(), (arb_addr(), arb_point()), 0..12).prop_map(|m| {
        m.into_iter()
            .map(|(id, (addr, pos))| Entry { id, addr, pos })
            .collect()
    })
}

fn arb_check() -> impl Strategy<Value = Option<Check>> {
    prop_oneof![
        Just(None),
        (
            arb_point(),
            proptest::collection::btree_set(any::<u64>(), 0..20),
            arb_entries()
        )
            .prop_map(|(seen, knows, hints)| Some(Check {
                seen,
                knows: knows.into_iter().collect(),
                hints
            })),
    ]
}

fn arb_msg() -> impl Strategy<Value = Msg> {
    let body = prop_oneof![
        (any::<u64>(), arb_addr(), arb_point(), any::<u32>()).prop_map(
            |(joiner, addr, pos, hops)| Body::Join {
                joiner,
                addr,
                pos,
                hops
            }
        ),
        (any::<u32>(), arb_entries()).prop_map(|(hops, entries)| Body::JoinReply { hops, entries }),
        (arb_point(), arb_check()).prop_map(|(pos, check)| Body::Hello { pos, check }),
        (arb_point(), arb_check()).prop_map(|(pos, check)| Body::Move { pos, check }),
        (arb_entries(), proptest::option::of(any::<u64>()))
            .prop_map(|(entries, gone)| Body::Notify { entries, gone }),
        arb_entries().prop_map(|entries| Body::Leave { entries }),
        Just(Body::Query),
        (0u8..4, arb_point(), 0.0f64..1e6, arb_entries()).prop_map(|(s, pos, aoi, entries)| {
            Body::View {
                status: Status::from_code(s).unwrap(),
                pos,
                aoi,
                entries,
            }
        }),
    ];
    (any::<u64>(), any::<u64>(), 1u64.., body).prop_map(|(from, epoch, seq, body)| Msg {
        from,
        epoch,
        seq: if body.kind().sequenced() { seq } else { 0 },
        body,
    })
}

proptest! {
    #[test]
    fn round_trip(m in arb_msg()) {
        let b = m.encode();
        prop_assert_eq!(b.len(), m.encoded_len());
        prop_assert_eq!(Msg::decode(&b), Ok(m));
    }

    #[test]
    fn truncations_and_flips_never_panic(m in arb_msg(), cut in any::<usize>(), flip in any::<(usize, u8)>()) {
        let b = m.encode();
        let cut = cut % (b.len() + 1);
        if cut < b.len() {
            prop_assert!(Msg::decode(&b[..cut]).is_err());
        }
        let mut f = b.clone();
        let i = flip.0 % f.len();
        f[i] ^= flip.1;
        if let Ok(d) = Msg::decode(&f) {
            prop_assert_eq!(Msg::decode(&d.encode()), Ok(d));
        }
    }

    #[test]
    fn random_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = Msg::decode(&b);
    }
}
