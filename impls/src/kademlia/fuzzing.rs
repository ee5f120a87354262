//! The bodies of the cargo-fuzz targets (`fuzz/fuzz_targets/`), kept here
//! so that the ordinary test suite runs them too, on stable, with random
//! inputs (`impls/tests/kademlia_fuzz.rs`); the fuzzer explores further.
//!
//! * [`krpc_decode`]: any bytes either fail to decode or decode to a
//!   message that re-encodes to bytes decoding to the same message.
//! * [`node_script`]: the bytes are a script of inputs to one node —
//!   datagrams (raw, or well-formed answers to its own queries carrying
//!   nodes of the fuzzer's choosing), timers, client operations — and
//!   after every step the node's table is well formed
//!   ([`Table::check`](super::table::Table::check)), and every datagram it
//!   sent went to an address it was given or had learned (a sender, a
//!   bootstrap address, or a node named in a datagram it received).

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

use super::krpc::{self, Body, CompactNode, Message, NodeId, Response};
use super::node::{Config, Node, Timer};
use super::storage::ItemQuery;
use crate::runtime::{OutboxOf, Process};

/// Decoding untrusted bytes: no panic, and a decoded message round-trips.
pub fn krpc_decode(bytes: &[u8]) {
    if let Ok(m) = krpc::decode(bytes) {
        let again = krpc::decode(&krpc::encode(&m));
        assert_eq!(again.as_ref(), Ok(&m), "re-encoding changed the message");
    }
}

/// Reads a script off the fuzzer's bytes.
struct Script<'a>(&'a [u8]);

impl Script<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
    fn bytes(&mut self, n: usize) -> Option<&[u8]> {
        if self.0.len() < n {
            return None;
        }
        let (b, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(b)
    }
    fn id(&mut self) -> Option<NodeId> {
        Some(NodeId(self.bytes(20)?.try_into().ok()?))
    }
}

/// One of 16 peer addresses the script talks from.
fn peer(i: u8) -> SocketAddrV4 {
    SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1 + i % 16), 6881)
}

/// Runs a script against one node; panics if an invariant breaks.
pub fn node_script(data: &[u8]) {
    let me = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 100), 6881);
    let cfg = Config {
        k: 2,
        alpha: 2,
        cache: 1,
        fresh_ms: 0,
        ..Config::default()
    };
    let mut node = Node::new(cfg, NodeId::hash(b"fuzzed node"), me);
    let mut s = Script(data);
    let mut known: BTreeSet<SocketAddrV4> = BTreeSet::new();
    let mut last_queries: Vec<(SocketAddr, Message)> = Vec::new();
    let mut now = 0;
    let mut out = OutboxOf::<Node>::default();
    let seeds = [peer(0), peer(1)];
    known.extend(seeds);
    node.bootstrap(now, &seeds, &mut out);
    for step in 0..64 {
        check_sends(&out, &known, step);
        let sent = std::mem::take(&mut out.sends);
        last_queries.extend(
            sent.into_iter()
                .filter(|(_, m)| matches!(m.body, Body::Query(_))),
        );
        let Some(op) = s.byte() else { break };
        now += u64::from(op >> 4) * 100;
        match op % 5 {
            // Raw bytes from a peer.
            0 => {
                let from = peer(s.byte().unwrap_or(0));
                let len = usize::from(s.byte().unwrap_or(0));
                let bytes = s.bytes(len.min(s.0.len())).unwrap_or_default().to_vec();
                known.insert(from);
                learn(&bytes, &mut known);
                node.on_datagram(now, SocketAddr::V4(from), &bytes, &mut out);
            }
            // A well-formed answer to one of the node's queries, naming
            // nodes of the script's choosing.
            1 => {
                let Some(i) = s.byte() else { break };
                if last_queries.is_empty() {
                    continue;
                }
                let (to, q) = last_queries.remove(usize::from(i) % last_queries.len());
                let SocketAddr::V4(to) = to else { continue };
                let Some(id) = s.id() else { break };
                let n = usize::from(s.byte().unwrap_or(0) % 4);
                let mut nodes = Vec::new();
                for _ in 0..n {
                    let (Some(nid), Some(p)) = (s.id(), s.byte()) else {
                        break;
                    };
                    nodes.push(CompactNode {
                        id: nid,
                        addr: peer(p),
                    });
                    known.insert(peer(p));
                }
                let token = s.byte().map(|t| vec![t; 8]);
                let answer = Message {
                    transaction: q.transaction,
                    version: None,
                    body: Body::Response(Response {
                        nodes: Some(nodes),
                        token,
                        ..Response::id_only(id)
                    }),
                };
                node.on_datagram(now, SocketAddr::V4(to), &krpc::encode(&answer), &mut out);
            }
            // Timers: a query's timeout, or housekeeping.
            2 => {
                let tx = u32::from(s.byte().unwrap_or(0)) % 64;
                node.on_timer(now, Timer::Query(tx), &mut out);
            }
            3 => node.on_timer(now, Timer::Maintain, &mut out),
            // Client operations.
            _ => {
                let Some(t) = s.id() else { break };
                match s.byte().unwrap_or(0) % 3 {
                    0 => node.find_node(now, t, step, &mut out),
                    1 => node.get_peers(now, t, step, &mut out),
                    _ => node.get_item(now, ItemQuery::Immutable { target: t }, step, &mut out),
                }
            }
        }
        if let Err(e) = node.table().check() {
            panic!("step {step}: routing table broken: {e}");
        }
    }
}

/// Addresses named in the `nodes` of a datagram the node will read.
fn learn(bytes: &[u8], known: &mut BTreeSet<SocketAddrV4>) {
    if let Ok(Message {
        body: Body::Response(r),
        ..
    }) = krpc::decode(bytes)
    {
        known.extend(r.nodes.iter().flatten().map(|n| n.addr));
    }
}

fn check_sends(out: &OutboxOf<Node>, known: &BTreeSet<SocketAddrV4>, step: u64) {
    for (to, _) in &out.sends {
        let ok = matches!(to, SocketAddr::V4(a) if known.contains(a));
        assert!(
            ok,
            "step {step}: sent to {to}, an address never given nor learned"
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
        let mut out = OutboxOf::<Node>::default();
        let m = Message {
            transaction: b"aa".to_vec(),
            version: None,
            body: Body::Response(Response::id_only(NodeId([0; 20]))),
        };
        out.send(SocketAddr::V4(peer(3)), m);
        check_sends(&out, &BTreeSet::from([peer(2)]), 0);
    }
}
