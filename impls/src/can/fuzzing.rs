//! The bodies of the CAN cargo-fuzz targets (`fuzz/fuzz_targets/`), kept
//! here so that the ordinary test suite runs them too, on stable, with
//! random inputs (`impls/tests/can_fuzz.rs`); the fuzzer explores further.
//!
//! * [`can_decode`]: any bytes either fail to decode or decode to a
//!   message that re-encodes to bytes decoding to the same message.
//! * [`node_script`]: the bytes are a script of inputs to one node of two
//!   realities in two dimensions — raw datagrams, well-formed messages
//!   built from the script (zones, neighbour lists, items of its choosing,
//!   some of another dimension or reality), answers to the node's own
//!   requests, its pending timers and arbitrary ones, and local commands
//!   (join, put, get, lookup, leave, refresh, reassign). After every step:
//!   each reality's zones are disjoint tree nodes of two dimensions, every
//!   key it holds lies in its zones, it lists itself as nobody's
//!   neighbour, and every datagram it sent went to an address other than
//!   its own that it was given or had learned, and encodes to bytes that
//!   decode (or are too long to send: a zone whose keys exceed a datagram,
//!   see the module notes).

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

use super::node::{Config, Node, Timer};
use super::point::Point;
use super::volume::Volume;
use super::wire::{Item, Msg, NbrInfo, Routed, StuckReason, MAX_DATAGRAM};
use super::zone::Zone;
use crate::runtime::{Millis, OutboxOf, Process, Wire};

/// Decoding untrusted bytes: no panic, and a decoded message round-trips.
pub fn can_decode(bytes: &[u8]) {
    if let Ok(m) = Msg::decode(bytes) {
        let again = Msg::decode(&m.encode());
        assert_eq!(again.as_ref(), Ok(&m), "re-encoding changed the message");
    }
}

/// Dimensions and realities of the fuzzed node.
const DIMS: usize = 2;
const REALITIES: usize = 2;

/// Reads a script off the fuzzer's bytes; past the end, every byte is 0.
struct Script<'a>(&'a [u8]);

impl Script<'_> {
    fn next(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
    fn byte(&mut self) -> u8 {
        self.next().unwrap_or(0)
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        let n = n.min(self.0.len());
        let (b, rest) = self.0.split_at(n);
        self.0 = rest;
        b.to_vec()
    }
    /// One of eight peers, or (rarely) the node's own address: a forged
    /// source or a list that names the node itself.
    fn peer(&mut self) -> SocketAddr {
        match self.byte() % 17 {
            16 => me(),
            i => peer(i),
        }
    }
    fn reality(&mut self) -> u8 {
        // Mostly valid; 2 is one reality too many.
        [0, 1, 0, 1, 2][usize::from(self.byte() % 5)]
    }
    fn req(&mut self) -> u64 {
        u64::from(self.byte() % 16)
    }
    fn point(&mut self, dims: usize) -> Point {
        let c: Vec<u32> = (0..dims)
            .map(|_| u32::from(self.byte()) << 24 | 0x00a5_a5a5)
            .collect();
        Point::new(&c).expect("1..=3 coordinates")
    }
    /// A tree node of two dimensions (of three when the first byte is
    /// 255), holding a point of the script's choosing.
    fn zone(&mut self) -> Zone {
        let dims = if self.byte() == 255 { 3 } else { DIMS };
        let p = self.point(dims);
        zone_towards(&p, u32::from(self.byte() % 12))
    }
    fn zones(&mut self) -> Vec<Zone> {
        (0..self.byte() % 3).map(|_| self.zone()).collect()
    }
    fn items(&mut self) -> Vec<Item> {
        (0..self.byte() % 3)
            .map(|_| Item {
                key: format!("k{}", self.byte() % 6),
                value: "v".into(),
            })
            .collect()
    }
    fn nbrs(&mut self) -> Vec<NbrInfo> {
        (0..self.byte() % 4)
            .map(|_| NbrInfo {
                addr: self.peer(),
                ver: u64::from(self.byte() % 6),
                zones: self.zones(),
            })
            .collect()
    }
    fn key(&mut self) -> String {
        format!("k{}", self.byte() % 6)
    }

    /// A well-formed message of the script's choosing.
    fn msg(&mut self) -> Msg {
        let reality = self.reality();
        match self.byte() % 13 {
            0 => {
                let body = match self.byte() % 6 {
                    0 => Routed::Join {
                        joiner: self.peer(),
                        req: self.req(),
                    },
                    1 => Routed::Lookup {
                        origin: self.peer(),
                        req: self.req(),
                    },
                    2 => Routed::Put {
                        origin: self.peer(),
                        req: self.req(),
                        key: self.key(),
                        value: "w".into(),
                    },
                    3 => Routed::Get {
                        origin: self.peer(),
                        req: self.req(),
                        key: self.key(),
                    },
                    4 => Routed::Probe {
                        origin: self.peer(),
                        req: self.req(),
                    },
                    _ => Routed::Greet {
                        origin: self.peer(),
                    },
                };
                // Mostly a key's own point, as a well-behaved origin routes.
                let dims = if self.byte() == 255 { 3 } else { DIMS };
                let target = match &body {
                    Routed::Put { key, .. } | Routed::Get { key, .. } if self.byte() & 3 != 0 => {
                        Point::of_key(key, reality, dims)
                    }
                    _ => self.point(dims),
                };
                Msg::Route {
                    reality,
                    target,
                    hops: u32::from(self.byte() % 4),
                    ttl: u32::from(self.byte() % 4),
                    body,
                }
            }
            1 => Msg::Update {
                reality,
                ver: u64::from(self.byte() % 8),
                zones: self.zones(),
                nbrs: self.nbrs(),
            },
            2 => Msg::Takeover {
                reality,
                failed: self.peer(),
                volume: Volume::of_depth(u32::from(self.byte() % 8)),
            },
            3 => Msg::Handoff {
                req: self.req(),
                reality,
                zones: self.zones(),
                items: self.items(),
                nbrs: self.nbrs(),
            },
            4 => Msg::Swap {
                req: self.req(),
                reality,
                take: self.zone(),
                items: self.items(),
                nbrs: self.nbrs(),
                give: self.zone(),
                to: self.peer(),
            },
            5 => Msg::JoinAccept {
                req: self.req(),
                reality,
                zone: self.zone(),
                items: self.items(),
                nbrs: self.nbrs(),
            },
            6 => Msg::Took {
                req: self.req(),
                reality,
                ver: u64::from(self.byte() % 8),
                zones: self.zones(),
            },
            7 => Msg::ProbeReply {
                req: self.req(),
                reality,
                zone: self.zone(),
            },
            8 => Msg::Found {
                req: self.req(),
                reality,
                hops: 1,
            },
            9 => Msg::Stored {
                req: self.req(),
                reality,
                hops: 1,
            },
            10 => Msg::Value {
                req: self.req(),
                reality,
                hops: 1,
                value: (self.byte() & 1 == 0).then(|| "w".into()),
            },
            11 => Msg::Stuck {
                req: self.req(),
                reality,
                hops: 1,
                reason: if self.byte() & 1 == 0 {
                    StuckReason::NoCloser
                } else {
                    StuckReason::Ttl
                },
            },
            _ => Msg::Refused {
                req: self.req(),
                reality,
                reason: "no".into(),
            },
        }
    }
}

/// The tree node of depth `depth` holding `p`.
fn zone_towards(p: &Point, depth: u32) -> Zone {
    let mut z = Zone::whole(p.dims());
    for _ in 0..depth {
        match z.split_at(p) {
            Some((half, _)) => z = half,
            None => break,
        }
    }
    z
}

fn me() -> SocketAddr {
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 100), 4000))
}

/// One of 16 peer addresses.
fn peer(i: u8) -> SocketAddr {
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1 + i % 16), 4000))
}

/// Every address a message names.
fn addrs_in(m: &Msg) -> Vec<SocketAddr> {
    let nbrs = |n: &[NbrInfo]| n.iter().map(|i| i.addr).collect::<Vec<_>>();
    match m {
        Msg::Route { body, .. } => vec![body.origin().0],
        Msg::Takeover { failed, .. } => vec![*failed],
        Msg::Swap { nbrs: n, to, .. } => {
            let mut v = nbrs(n);
            v.push(*to);
            v
        }
        Msg::Update { nbrs: n, .. }
        | Msg::Handoff { nbrs: n, .. }
        | Msg::JoinAccept { nbrs: n, .. } => nbrs(n),
        _ => vec![],
    }
}

/// The start of a script: a node founding an overlay, a member of a
/// two-node overlay, or a newcomer joining through a peer.
fn start(kind: u8, out: &mut OutboxOf<Node>) -> Node {
    let cfg = Config::manual(DIMS, REALITIES);
    match kind % 3 {
        0 => Node::new(cfg, me()).founding(),
        1 => {
            let (l, u) = Zone::whole(DIMS).halves().expect("the whole space splits");
            let p = Point::new(&[0, 0]).expect("two coordinates");
            Node::with_state(
                cfg,
                me(),
                vec![p; REALITIES],
                vec![vec![l]; REALITIES],
                vec![vec![(peer(0), vec![u])]; REALITIES],
            )
        }
        _ => {
            let mut n = Node::new(cfg, me());
            n.join(peer(0), out).expect("an outsider may join");
            n
        }
    }
}

/// Runs a script against one node; panics if an invariant breaks.
pub fn node_script(data: &[u8]) {
    run_script(data);
}

/// [`node_script`], returning the node at the end.
fn run_script(data: &[u8]) -> Node {
    let mut s = Script(data);
    let mut out = OutboxOf::<Node>::default();
    let mut node = start(s.byte(), &mut out);
    let mut now: Millis = 1000;
    node.start(now, &mut out);
    let mut known: BTreeSet<SocketAddr> = BTreeSet::from([peer(0)]);
    // Requests the node sent, to answer; timers it set, to fire.
    let mut asked: Vec<(SocketAddr, Msg)> = Vec::new();
    let mut timers: Vec<Timer> = Vec::new();
    for step in 0..64 {
        check(&node, &out, &known, step);
        for (to, m) in out.sends.drain(..) {
            if is_request(&m) {
                asked.push((to, m));
            }
        }
        timers.extend(out.timers.drain(..).map(|(_, t)| t));
        out.events.clear();
        let Some(op) = s.next() else { break };
        now += Millis::from(op >> 4) * 250;
        match op % 7 {
            // Raw bytes from a peer (the driver drops what does not decode).
            0 => {
                let from = s.peer();
                let len = usize::from(s.byte());
                let bytes = s.bytes(len);
                if let Ok(m) = Msg::decode(&bytes) {
                    known.insert(from);
                    known.extend(addrs_in(&m));
                    node.on_message(now, from, m, &mut out);
                }
            }
            // A well-formed message of the script's making, if the codec
            // would let it through.
            1 => {
                let from = s.peer();
                let m = s.msg();
                if let Ok(m) = Msg::decode(&m.encode()) {
                    known.insert(from);
                    known.extend(addrs_in(&m));
                    node.on_message(now, from, m, &mut out);
                }
            }
            // An answer to one of the node's requests.
            2 => {
                if asked.is_empty() {
                    continue;
                }
                let (to, q) = asked.remove(usize::from(s.byte()) % asked.len());
                let (from, m) = answer(&mut s, to, &q);
                known.insert(from);
                known.extend(addrs_in(&m));
                if let Ok(m) = Msg::decode(&m.encode()) {
                    node.on_message(now, from, m, &mut out);
                }
            }
            // One of its pending timers.
            3 => {
                if timers.is_empty() {
                    continue;
                }
                let t = timers.remove(usize::from(s.byte()) % timers.len());
                node.on_timer(now, t, &mut out);
            }
            // A timer it may never have set (a stale or duplicate one).
            4 => {
                let reality = s.byte() % REALITIES as u8;
                let t = match s.byte() % 4 {
                    0 => Timer::Timeout(s.req()),
                    1 => Timer::TakeoverFire {
                        reality,
                        failed: s.peer(),
                    },
                    2 => Timer::TakeoverDecide {
                        reality,
                        failed: s.peer(),
                    },
                    _ => Timer::JoinRetry {
                        reality,
                        bootstrap: peer(0),
                        attempt: u32::from(s.byte() % 4),
                    },
                };
                node.on_timer(now, t, &mut out);
            }
            // Housekeeping.
            5 => match s.byte() % 2 {
                0 => node.refresh(now, &mut out),
                _ => node.reassign(now, &mut out),
            },
            // Local commands (refused ones change nothing).
            _ => {
                let tag = u64::from(step);
                let _ = match s.byte() % 6 {
                    0 => node.put(now, tag, s.key(), "v".into(), &mut out),
                    1 => node.get(now, tag, s.key(), &mut out),
                    2 => {
                        let targets = [s.point(DIMS), s.point(DIMS)];
                        node.lookup(now, tag, &targets, &mut out).map(|_| ())
                    }
                    3 => node.leave(now, &mut out),
                    4 => {
                        let via = s.peer();
                        known.insert(via);
                        node.join(via, &mut out)
                    }
                    _ => {
                        let via = s.peer();
                        known.insert(via);
                        node.rejoin(usize::from(s.byte() % 3), via, &mut out)
                    }
                };
            }
        }
    }
    node
}

/// Whether the node expects an answer to `m`.
fn is_request(m: &Msg) -> bool {
    match m {
        Msg::Route { body, .. } => body.origin().1.is_some(),
        Msg::Handoff { .. } | Msg::Swap { .. } => true,
        _ => false,
    }
}

/// A plausible answer to request `q` sent to `to`: (sender, answer). Hand-
/// overs and swaps are answered by the node asked, routes by any node.
fn answer(s: &mut Script, to: SocketAddr, q: &Msg) -> (SocketAddr, Msg) {
    let refused = |req, reality| Msg::Refused {
        req,
        reality,
        reason: "busy".into(),
    };
    match q {
        Msg::Route {
            reality,
            target,
            hops,
            body,
            ..
        } => {
            let (reality, hops) = (*reality, hops + 1);
            let Some(req) = body.origin().1 else {
                return (to, refused(0, reality));
            };
            let owner = s.peer();
            if s.byte() & 3 == 0 {
                let reason = StuckReason::NoCloser;
                let m = Msg::Stuck {
                    req,
                    reality,
                    hops,
                    reason,
                };
                return (owner, m);
            }
            let depth = u32::from(s.byte() % 12);
            let m = match body {
                Routed::Join { .. } => Msg::JoinAccept {
                    req,
                    reality,
                    zone: zone_towards(target, depth.max(1)),
                    items: s.items(),
                    nbrs: s.nbrs(),
                },
                Routed::Lookup { .. } => Msg::Found { req, reality, hops },
                Routed::Put { .. } => Msg::Stored { req, reality, hops },
                Routed::Get { .. } => Msg::Value {
                    req,
                    reality,
                    hops,
                    value: (s.byte() & 1 == 0).then(|| "v".into()),
                },
                Routed::Probe { .. } => Msg::ProbeReply {
                    req,
                    reality,
                    zone: zone_towards(target, depth),
                },
                Routed::Greet { .. } => refused(req, reality),
            };
            (owner, m)
        }
        Msg::Handoff {
            req,
            reality,
            zones,
            ..
        } => {
            let m = if s.byte() & 3 == 0 {
                refused(*req, *reality)
            } else {
                let mut theirs = zones.clone();
                theirs.extend(s.zones());
                Msg::Took {
                    req: *req,
                    reality: *reality,
                    ver: u64::from(s.byte() % 8),
                    zones: theirs,
                }
            };
            (to, m)
        }
        Msg::Swap {
            req, reality, take, ..
        } => (
            to,
            Msg::Took {
                req: *req,
                reality: *reality,
                ver: u64::from(s.byte() % 8),
                zones: vec![*take],
            },
        ),
        other => (to, refused(other.answers().unwrap_or(0), other.reality())),
    }
}

/// The invariants, after step `step`.
fn check(node: &Node, out: &OutboxOf<Node>, known: &BTreeSet<SocketAddr>, step: u32) {
    for (i, r) in node.realities().iter().enumerate() {
        let zones = r.zones();
        for (j, z) in zones.iter().enumerate() {
            assert_eq!(z.dims(), DIMS, "step {step}: reality {i}: zone {z:?}");
            if let Some(y) = zones[j + 1..].iter().find(|y| y.intersects(z)) {
                panic!("step {step}: reality {i}: zones {z:?} and {y:?} overlap");
            }
        }
        for key in r.items().keys() {
            let p = Point::of_key(key, i as u8, DIMS);
            assert!(
                zones.iter().any(|z| z.contains(&p)),
                "step {step}: reality {i}: holds {key} outside its zones {zones:?}"
            );
        }
        assert!(
            r.neighbors().get(&node.addr()).is_none(),
            "step {step}: reality {i}: lists itself as a neighbour"
        );
    }
    for (to, m) in &out.sends {
        assert_ne!(*to, node.addr(), "step {step}: sent {m:?} to itself");
        assert!(
            known.contains(to),
            "step {step}: sent {m:?} to {to}, an address never given nor learned"
        );
        let bytes = m.encode();
        assert!(
            bytes.len() > MAX_DATAGRAM || Msg::decode(&bytes).as_ref() == Ok(m),
            "step {step}: {m:?} does not survive its encoding"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The send check is not vacuous: a datagram to a stranger fails it.
    #[test]
    #[should_panic(expected = "never given nor learned")]
    fn a_send_to_an_unknown_address_is_caught() {
        let node = Node::new(Config::manual(DIMS, REALITIES), me());
        let mut out = OutboxOf::<Node>::default();
        out.send(
            peer(3),
            Msg::Found {
                req: 1,
                reality: 0,
                hops: 1,
            },
        );
        check(&node, &out, &BTreeSet::from([peer(2)]), 0);
    }

    /// A script that joins, answers both realities' joins and puts, as a
    /// smoke test that the node target reaches a member's life (not only
    /// rejections).
    #[test]
    fn a_script_can_join_and_store() {
        // Start as a newcomer (kind 2); answer its first request (the join
        // of reality 0 or 1) with an acceptance of depth 1, twice.
        let mut script = vec![2];
        for _ in 0..2 {
            script.extend([0x02, 0, 0, 1, 1, 0, 0]);
        }
        // Then a put.
        script.extend([0x06, 0, 3]);
        let node = run_script(&script);
        assert!(node.is_member(), "{:?}", node.status());
        assert!(node.realities().iter().all(|r| r.zones().len() == 1));
    }
}
