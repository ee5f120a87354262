use super::*;
use proptest::prelude::*;

fn addr(i: u8) -> SocketAddr {
    format!("10.0.0.{i}:4000").parse().unwrap()
}

fn some_zones() -> Vec<Zone> {
    let (l, u) = Zone::whole(2).halves().unwrap();
    let (ul, _) = u.halves().unwrap();
    vec![l, ul]
}

fn samples() -> Vec<Msg> {
    let z = some_zones();
    let info = NbrInfo {
        addr: addr(2),
        ver: 7,
        zones: vec![z[1]],
    };
    let item = Item {
        key: "k".into(),
        value: "v".into(),
    };
    vec![
        Msg::Route {
            reality: 1,
            target: Point::new(&[1, 2]).unwrap(),
            hops: 3,
            ttl: 9,
            body: Routed::Put {
                origin: addr(1),
                req: 4,
                key: "k".into(),
                value: "v".into(),
            },
        },
        Msg::Route {
            reality: 0,
            target: Point::new(&[u32::MAX, 0]).unwrap(),
            hops: 1,
            ttl: 1,
            body: Routed::Join {
                joiner: addr(3),
                req: 1,
            },
        },
        Msg::Stuck {
            req: 1,
            reality: 0,
            hops: 2,
            reason: StuckReason::NoCloser,
        },
        Msg::JoinAccept {
            req: 1,
            reality: 0,
            zone: z[0],
            items: vec![item.clone()],
            nbrs: vec![info.clone()],
        },
        Msg::Update {
            reality: 0,
            ver: 3,
            zones: z.clone(),
            nbrs: vec![info.clone()],
        },
        Msg::Takeover {
            reality: 0,
            failed: addr(9),
            volume: Volume::of_depth(5),
        },
        Msg::Swap {
            req: 2,
            reality: 0,
            take: z[0],
            items: vec![item],
            nbrs: vec![info],
            give: z[1],
            to: addr(4),
        },
        Msg::Value {
            req: 5,
            reality: 0,
            hops: 0,
            value: None,
        },
        Msg::ProbeReply {
            req: 6,
            reality: 2,
            zone: z[1],
        },
    ]
}

#[test]
fn round_trip() {
    for m in samples() {
        assert_eq!(Msg::decode(&m.encode()), Ok(m));
    }
    // What a reviewer reads in a capture.
    let update = String::from_utf8(samples()[4].encode()).unwrap();
    assert!(
        update
            .starts_with(r#"{"type":"update","reality":0,"ver":3,"zones":[{"depth":1,"lo":[0,0]}"#),
        "{update}"
    );
}

#[test]
fn malformed_datagrams_say_why() {
    let bad: &[(&[u8], &str)] = &[
        (b"", "EOF"),
        (b"\xff", "expected value"),
        (br#"{"type":"takeover","reality":0}"#, "missing field"),
        (br#"{"type":"warp"}"#, "unknown variant `warp`"),
        (
            br#"{"type":"probe_reply","req":1,"reality":0,"zone":{"depth":1,"lo":[5,0]}}"#,
            "not a multiple",
        ),
        (
            br#"{"type":"probe_reply","req":1,"reality":0,"zone":{"depth":99,"lo":[0,0]}}"#,
            "depth 99",
        ),
        (
            br#"{"type":"probe_reply","req":1,"reality":0,"zone":{"depth":0,"lo":[]}}"#,
            "1 to 8 dimensions",
        ),
        (
            br#"{"type":"probe_reply","req":1,"reality":0,"zone":{"depth":0,"lo":[0],"x":1}}"#,
            "unknown field `x`",
        ),
        (
            br#"{"type":"takeover","reality":0,"failed":"1.2.3.4:5","volume":[2,0,0,0,0]}"#,
            "larger than the whole space",
        ),
        (
            br#"{"type":"route","reality":0,"target":[],"hops":0,"ttl":1,"body":{"kind":"lookup","origin":"1.2.3.4:5","req":1}}"#,
            "1 to 8 coordinates",
        ),
        (
            br#"{"type":"route","reality":0,"target":[1],"hops":0,"ttl":1,"body":{"kind":"teleport"}}"#,
            "unknown variant `teleport`",
        ),
        (
            br#"{"type":"update","reality":0,"ver":1,"zones":[{"depth":0,"lo":[0]}],"nbrs":[{"addr":"1.2.3.4:5","ver":1,"zones":[{"depth":0,"lo":[0,0]}]}]}"#,
            "zones or points of 2 and of 1 dimensions",
        ),
        (br#"{"type":"found","req":-1,"reality":0,"hops":0}"#, "invalid value"),
        (br#"{"type":"found","req":1,"reality":256,"hops":0}"#, "invalid value"),
    ];
    for (bytes, why) in bad {
        let e = Msg::decode(bytes).unwrap_err();
        assert!(e.reason.contains(why), "{e} should mention {why}");
    }
    let many = Msg::Update {
        reality: 0,
        ver: 1,
        zones: vec![Zone::whole(1); MAX_ZONES + 1],
        nbrs: vec![],
    };
    assert!(Msg::decode(&many.encode())
        .unwrap_err()
        .reason
        .contains("65 zones, more than 64"));
    assert!(Msg::decode(&vec![b' '; MAX_DATAGRAM + 1]).is_err());
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = Msg::decode(&bytes);
    }

    #[test]
    fn mutated_messages_never_panic(which in 0usize..9, pos in 0usize..400, byte in any::<u8>()) {
        let mut b = samples()[which].encode();
        let i = pos % b.len();
        b[i] = byte;
        if let Ok(m) = Msg::decode(&b) {
            // Whatever decodes encodes again to something that decodes.
            prop_assert_eq!(Msg::decode(&m.encode()), Ok(m));
        }
    }
}
