//! The bodies of the VON cargo-fuzz targets (`fuzz/fuzz_targets/von_*`),
//! kept here so that the ordinary test suite runs them too, on stable,
//! with random inputs (`impls/tests/von_fuzz.rs`).
//!
//! * [`von_decode`]: any bytes either fail to decode or decode to a
//!   message that re-encodes to bytes decoding to the same message.
//! * [`node_script`]: the bytes are a script of inputs to one member node
//!   — raw datagrams, well-formed messages of the script's making (from
//!   eight peers or a forged own address/id, positions on a small grid so
//!   that duplicates and cocircular sites are common), timers, and local
//!   commands (move, leave, join). After every step: the table never
//!   names the node, is exactly what pruning keeps (relevance in its own
//!   view: pruning is idempotent, and removal needs none), and every
//!   datagram sent went to another address and survives its encoding
//!   within the datagram limit.

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

use super::geometry::Point;
use super::node::{Config, Node, Protocol, Timer};
use super::wire::{Body, Check, Entry, Msg, Status, MAX_DATAGRAM};
use crate::runtime::{OutboxOf, Process, Wire};

/// Decoding untrusted bytes: no panic, and a decoded message round-trips.
pub fn von_decode(bytes: &[u8]) {
    if let Ok(m) = Msg::decode(bytes) {
        let b = m.encode();
        assert!(b.len() <= MAX_DATAGRAM);
        assert_eq!(
            Msg::decode(&b).as_ref(),
            Ok(&m),
            "re-encoding changed the message"
        );
    }
}

fn peer(i: u8) -> SocketAddr {
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1 + i % 8), 4000))
}

fn me() -> SocketAddr {
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 100), 4000))
}

const ME: u64 = 100;

struct Script<'a>(&'a [u8]);

impl Script<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }
    fn done(&self) -> bool {
        self.0.is_empty()
    }
    /// A point of a 16 × 16 grid 10 apart (R = 25): duplicates, collinear
    /// and cocircular sites are common.
    fn pos(&mut self) -> Point {
        let b = self.byte();
        Point::new(f64::from(b % 16) * 10.0, f64::from(b / 16) * 10.0).expect("on the grid")
    }
    /// (id, address) of one of eight peers, or rarely the node itself.
    fn who(&mut self) -> (u64, SocketAddr) {
        match self.byte() % 17 {
            16 => (ME, me()),
            i => (u64::from(i % 8), peer(i)),
        }
    }
    fn entries(&mut self) -> Vec<Entry> {
        let mut es: Vec<Entry> = Vec::new();
        for _ in 0..self.byte() % 5 {
            let (id, addr) = self.who();
            let pos = self.pos();
            if es.iter().all(|e| e.id != id) {
                es.push(Entry { id, addr, pos });
            }
        }
        es
    }
    /// A hardened check, sometimes none (a paper node's message).
    fn check(&mut self) -> Option<Check> {
        if self.byte().is_multiple_of(4) {
            return None;
        }
        let seen = self.pos();
        let knows = (0..self.byte() % 5)
            .map(|_| self.who().0)
            .collect::<BTreeSet<u64>>();
        Some(Check {
            seen,
            knows: knows.into_iter().collect(),
            hints: self.entries(),
        })
    }
    fn msg(&mut self) -> (SocketAddr, Msg) {
        let (from, addr) = self.who();
        let body = match self.byte() % 8 {
            0 => {
                let (joiner, jaddr) = self.who();
                Body::Join {
                    joiner,
                    addr: jaddr,
                    pos: self.pos(),
                    hops: u32::from(self.byte() % 70),
                }
            }
            1 => Body::JoinReply {
                hops: 0,
                entries: self.entries(),
            },
            2 => Body::Hello {
                pos: self.pos(),
                check: self.check(),
            },
            3 | 4 => Body::Move {
                pos: self.pos(),
                check: self.check(),
            },
            5 => Body::Notify {
                entries: self.entries(),
                gone: match self.byte() % 3 {
                    0 => Some(self.who().0),
                    _ => None,
                },
            },
            6 => Body::Leave {
                entries: self.entries(),
            },
            _ => Body::Query,
        };
        let seq = if body.kind().sequenced() {
            // Mostly in order per sender, sometimes ahead or repeated.
            u64::from(self.byte() % 4)
        } else {
            0
        };
        let epoch = u64::from(self.byte().is_multiple_of(3));
        (
            addr,
            Msg {
                from,
                epoch,
                seq,
                body,
            },
        )
    }
}

/// Runs a script of inputs against one member node (see the module doc).
pub fn node_script(bytes: &[u8]) {
    let cfg = Config {
        aoi: 25.0,
        heartbeat_ms: 100,
        dead_after_ms: 350,
        join_timeout_ms: 200,
        gap_ms: 50,
        // Both protocols: the script's first byte chooses.
        protocol: if bytes.first().is_some_and(|b| b % 2 == 1) {
            Protocol::Paper
        } else {
            Protocol::Hardened
        },
        ..Config::default()
    };
    let start = Point::new(80.0, 80.0).expect("a point");
    let mut node = Node::first(cfg, ME, me(), start);
    let mut s = Script(bytes);
    let mut now = 0;
    let mut seqs = [0u64; 8];
    let mut out = OutboxOf::<Node>::default();
    node.start(now, &mut out);
    while !s.done() {
        now += u64::from(s.byte() % 64);
        let mut out = OutboxOf::<Node>::default();
        match s.byte() % 8 {
            0 => {
                let n = usize::from(s.byte() % 64);
                let raw: Vec<u8> = (0..n).map(|_| s.byte()).collect();
                if let Ok(m) = Msg::decode(&raw) {
                    node.on_message(now, peer(s.byte()), m, &mut out);
                }
            }
            1..=3 => {
                let (addr, mut m) = s.msg();
                if m.seq != 0 {
                    // Per sender address: its last octet.
                    let k = match addr {
                        SocketAddr::V4(a) => usize::from(a.ip().octets()[3] % 8),
                        SocketAddr::V6(_) => 0,
                    };
                    seqs[k] += m.seq.min(1);
                    m.seq = seqs[k].max(1) + m.seq.saturating_sub(1);
                }
                node.on_message(now, addr, m, &mut out);
            }
            4 => {
                let t = match s.byte() % 3 {
                    0 => Timer::Tick,
                    1 => Timer::Gap {
                        from: peer(s.byte()),
                    },
                    _ => Timer::JoinRetry {
                        attempt: u32::from(s.byte() % 4),
                    },
                };
                node.on_timer(now, t, &mut out);
            }
            5 | 6 => {
                let p = s.pos();
                let _ = node.move_to(p, &mut out);
            }
            _ => match s.byte() % 3 {
                0 => {
                    let _ = node.leave(&mut out);
                }
                _ => {
                    let _ = node.join(peer(s.byte()), &mut out);
                }
            },
        }
        check(&node, &out);
    }
}

fn check(node: &Node, out: &OutboxOf<Node>) {
    assert!(
        !node.table().contains_key(&node.id()),
        "the table names the node"
    );
    if node.status() == Status::Member {
        let keep = node.view().relevant(node.id(), node.config().aoi);
        let has: Vec<u64> = node.table().keys().copied().collect();
        let kept: Vec<u64> = has.iter().copied().filter(|id| keep.contains(id)).collect();
        assert_eq!(has, kept, "an entry pruning would drop");
    }
    for (to, m) in &out.sends {
        assert_ne!(*to, node.addr(), "sent to itself");
        let b = m.encode();
        assert!(b.len() <= MAX_DATAGRAM);
        assert_eq!(Msg::decode(&b).as_ref(), Ok(m));
    }
}
