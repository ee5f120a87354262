//! Operations built on the iterative lookup ([`super::lookup`]): the
//! bootstrap self-lookup, bucket refreshes, and the client operations —
//! `find_node`, `get_peers`, `announce` (get_peers, then `announce_peer`
//! with each closest node's token), and BEP 44 `get`/`put` (a `get`
//! lookup, then `put` with the tokens; see [`super::storage`]).

use std::collections::BTreeSet;
use std::net::SocketAddrV4;

use super::items::{validate_put, PutArgs};
use super::krpc::{CompactNode, NodeId, Query, Response};
use super::lookup::Lookup;
use super::node::{Event, LookupMode, Mutation, Node, Out, Purpose};
use super::storage::{Found, ItemQuery, PutItem};
use crate::runtime::Millis;

/// What an operation is for.
#[derive(Clone, Debug)]
pub(super) enum Kind {
    /// The first self-lookup through the bootstrap contacts.
    Bootstrap,
    /// A lookup of a random id in a bucket's range.
    Refresh,
    FindNode,
    GetPeers,
    /// get_peers, then announce_peer at the closest.
    Announce {
        port: u16,
        implied_port: bool,
    },
    /// BEP 44 get.
    Get(ItemQuery),
    /// BEP 44 get for tokens, then put at the closest.
    Put(PutItem),
}

impl Kind {
    fn name(&self) -> &'static str {
        match self {
            Kind::Bootstrap => "bootstrap",
            Kind::Refresh => "refresh",
            Kind::FindNode => "find_node",
            Kind::GetPeers => "get_peers",
            Kind::Announce { .. } => "announce",
            Kind::Get(q) => q.name(),
            Kind::Put(p) => p.name(),
        }
    }
}

/// An operation in progress.
#[derive(Clone, Debug)]
pub(crate) struct Op {
    tag: Option<u64>,
    pub(super) kind: Kind,
    lookup: Lookup,
    /// Stores (announce_peer / put) still unanswered; `None` while the
    /// lookup runs.
    storing: Option<usize>,
    peers: BTreeSet<SocketAddrV4>,
    pub(super) found: Option<Found>,
    timeouts: u32,
    stored: Vec<CompactNode>,
    errors: Vec<String>,
}

/// How an operation ended, for the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// `find_node`, `get_peers`, `announce`, `get_immutable`, …
    pub op: &'static str,
    pub target: NodeId,
    /// The k closest nodes that answered, closest first.
    pub nodes: Vec<CompactNode>,
    /// Peers found (get_peers, announce).
    pub peers: Vec<SocketAddrV4>,
    /// Nodes that accepted the announce or the put.
    pub stored: Vec<CompactNode>,
    /// BEP 44: the item's bencoded `v`, and its `seq` if mutable.
    pub value: Option<Vec<u8>>,
    pub seq: Option<i64>,
    /// Messages from the origin to the closest node found (see
    /// [`Lookup::hops`]), queries sent, and queries that failed.
    pub hops: u32,
    pub queries: u32,
    pub timeouts: u32,
    /// Refusals and silences of the store phase.
    pub errors: Vec<String>,
}

impl Outcome {
    /// Whether the operation achieved what it was for: nodes found, peers
    /// found, stored somewhere, or an item found.
    pub fn ok(&self) -> bool {
        match self.op {
            "get_peers" => !self.peers.is_empty(),
            "announce" | "put_immutable" | "put_mutable" => !self.stored.is_empty(),
            "get_immutable" | "get_mutable" => self.value.is_some(),
            _ => !self.nodes.is_empty(),
        }
    }
}

impl Node {
    fn start_op(
        &mut self,
        now: Millis,
        tag: Option<u64>,
        target: NodeId,
        kind: Kind,
        seeds: &[SocketAddrV4],
        out: &mut Out,
    ) {
        let (k, alpha) = (self.cfg.k, self.cfg.alpha);
        let rounds = self.cfg.lookup == LookupMode::Rounds;
        // Rounds mode starts from the whole table (the paper's "α closest
        // nodes it knows of"; the model's origin has heard of them all).
        let start: Vec<CompactNode> = if rounds {
            let all = self.table.len();
            self.table
                .closest(&target, all)
                .iter()
                .map(|c| c.compact())
                .collect()
        } else {
            self.closest_compact(&target)
        };
        let mut lookup = Lookup::new(self.id, target, k, alpha, start, seeds.iter().copied());
        if rounds {
            lookup = lookup.with_rounds(self.cfg.mutation == Mutation::AlphaTermination);
        }
        let id = self.next_op;
        self.next_op += 1;
        self.ops.insert(
            id,
            Op {
                tag,
                kind,
                lookup,
                storing: None,
                peers: BTreeSet::new(),
                found: None,
                timeouts: 0,
                stored: Vec::new(),
                errors: Vec::new(),
            },
        );
        self.advance(now, id, out);
    }

    /// Joins the DHT: a lookup of our own id through `seeds` (addresses
    /// given on the command line) and whatever the table holds. Ends with
    /// [`Event::Bootstrapped`]; then the buckets farther than the closest
    /// neighbour are refreshed (Kademlia §2.3, "join"), unless refreshing
    /// is off (`refresh_ms` zero: the conformance harness runs refreshes
    /// as separate lookups, as the model does).
    pub fn bootstrap(&mut self, now: Millis, seeds: &[SocketAddrV4], out: &mut Out) {
        self.start_op(now, None, self.id, Kind::Bootstrap, seeds, out);
    }

    /// FIND_NODE: the k closest nodes to `target`.
    pub fn find_node(&mut self, now: Millis, target: NodeId, tag: u64, out: &mut Out) {
        self.start_op(now, Some(tag), target, Kind::FindNode, &[], out);
    }

    /// get_peers: peers that announced `info_hash`.
    pub fn get_peers(&mut self, now: Millis, info_hash: NodeId, tag: u64, out: &mut Out) {
        self.start_op(now, Some(tag), info_hash, Kind::GetPeers, &[], out);
    }

    /// Announces that a peer of `info_hash` listens at our IP and `port`
    /// (or at the port our datagrams come from, if `port` is `None`).
    pub fn announce(
        &mut self,
        now: Millis,
        info_hash: NodeId,
        port: Option<u16>,
        tag: u64,
        out: &mut Out,
    ) {
        let kind = Kind::Announce {
            port: port.unwrap_or(0),
            implied_port: port.is_none(),
        };
        self.start_op(now, Some(tag), info_hash, kind, &[], out);
    }

    /// BEP 44 get of the item `q` describes.
    ///
    /// With [`super::Config::store_locally`], an immutable item held here
    /// is the answer at once, without a lookup.
    pub fn get_item(&mut self, now: Millis, q: ItemQuery, tag: u64, out: &mut Out) {
        let target = q.target();
        if self.cfg.store_locally && q.stops_at_first() {
            if let Some(item) = self.items.get(now, &target) {
                let outcome = Outcome {
                    op: q.name(),
                    target,
                    nodes: Vec::new(),
                    peers: Vec::new(),
                    stored: Vec::new(),
                    value: Some(item.value().to_vec()),
                    seq: item.seq(),
                    hops: 0,
                    queries: 0,
                    timeouts: 0,
                    errors: Vec::new(),
                };
                out.event(Event::Done { tag, outcome });
                return;
            }
        }
        self.start_op(now, Some(tag), target, Kind::Get(q), &[], out);
    }

    /// BEP 44 put of `item` at the k closest nodes to its target.
    pub fn put_item(&mut self, now: Millis, item: PutItem, tag: u64, out: &mut Out) {
        let target = item.target();
        self.start_op(now, Some(tag), target, Kind::Put(item), &[], out);
    }

    /// Starts refresh lookups for buckets untouched for a refresh period.
    pub(super) fn refresh(&mut self, now: Millis, out: &mut Out) {
        let before = now.saturating_sub(self.cfg.refresh_ms);
        for i in self.table.stale_buckets(before) {
            self.refresh_bucket(now, i, out);
        }
    }

    fn refresh_bucket(&mut self, now: Millis, i: usize, out: &mut Out) {
        self.table.touch(i, now);
        let target = self.id.random_in_bucket(i, &mut self.rng);
        self.start_op(now, None, target, Kind::Refresh, &[], out);
    }

    fn lookup_query(&self, op: &Op) -> Query {
        let (id, target) = (self.id, op.lookup.target);
        match &op.kind {
            Kind::Bootstrap | Kind::Refresh | Kind::FindNode => Query::FindNode { id, target },
            Kind::GetPeers | Kind::Announce { .. } => Query::GetPeers {
                id,
                info_hash: target,
            },
            // No `seq`: a get (or a put's lookup for tokens) wants the
            // value itself, not only news of a newer one.
            Kind::Get(_) | Kind::Put(_) => Query::Get {
                id,
                target,
                seq: None,
            },
        }
    }

    /// Sends the queries the lookup wants, or moves to the store phase,
    /// or ends the operation.
    fn advance(&mut self, now: Millis, op_id: u64, out: &mut Out) {
        let Some(op) = self.ops.get_mut(&op_id) else {
            return;
        };
        if op.storing.is_some() {
            if op.storing == Some(0) {
                self.finish(now, op_id, out);
            }
            return;
        }
        let immutable_found =
            matches!(&op.kind, Kind::Get(q) if q.stops_at_first()) && op.found.is_some();
        if !immutable_found {
            let asks = op.lookup.to_ask();
            if !asks.is_empty() {
                let op = &self.ops[&op_id];
                let q = self.lookup_query(op);
                let asks: Vec<_> = asks
                    .into_iter()
                    .map(|to| (to, op.lookup.id_of(to)))
                    .collect();
                for (to, id) in asks {
                    self.query(to, id, q.clone(), Purpose::Lookup(op_id), out);
                }
                return;
            }
            if !self.ops[&op_id].lookup.done() {
                return;
            }
        }
        // The lookup is over: store, or end.
        let op = self.ops.get_mut(&op_id).expect("checked above");
        let stores: Vec<(CompactNode, Query)> = match &op.kind {
            Kind::Announce { port, implied_port } => op
                .lookup
                .closest()
                .into_iter()
                .filter_map(|(n, token, _)| {
                    Some((
                        n,
                        Query::AnnouncePeer {
                            id: self.id,
                            info_hash: op.lookup.target,
                            port: *port,
                            token: token?,
                            implied_port: *implied_port,
                        },
                    ))
                })
                .collect(),
            Kind::Put(item) => {
                let mut closest = op.lookup.closest();
                if self.cfg.store_locally {
                    // Only nodes that gave a token can store.
                    closest.retain(|(_, token, _)| token.is_some());
                    // The k closest of the result and this node: here, if
                    // fewer than k of the result are closer.
                    let t = op.lookup.target;
                    let me = t.distance(&self.id);
                    let closer = closest.iter().filter(|(n, _, _)| t.distance(&n.id) < me);
                    if closer.count() < self.cfg.k {
                        closest.truncate(self.cfg.k.saturating_sub(1));
                        let q = item.query(self.id, Vec::new(), op.found.as_ref());
                        let args = PutArgs::from_query(&q).expect("a put");
                        match validate_put(&args).and_then(|p| self.items.put(now, p)) {
                            Ok(()) => op.stored.push(CompactNode {
                                id: self.id,
                                addr: self.addr,
                            }),
                            Err(e) => op.errors.push(format!("here: {e}")),
                        }
                    }
                }
                closest
                    .into_iter()
                    .filter_map(|(n, token, _)| {
                        Some((n, item.query(self.id, token?, op.found.as_ref())))
                    })
                    .collect()
            }
            _ => Vec::new(),
        };
        if stores.is_empty() {
            self.finish(now, op_id, out);
            return;
        }
        op.storing = Some(stores.len());
        for (n, q) in stores {
            self.query(n.addr, Some(n.id), q, Purpose::Store(op_id), out);
        }
    }

    pub(super) fn lookup_answered(
        &mut self,
        now: Millis,
        op_id: u64,
        from: SocketAddrV4,
        r: Response,
        out: &mut Out,
    ) {
        let Some(op) = self.ops.get_mut(&op_id) else {
            return;
        };
        if !op.lookup.is_asked(from) {
            return;
        }
        op.lookup.answered(
            from,
            r.id,
            r.nodes.as_deref().unwrap_or(&[]),
            r.token.clone(),
        );
        if let Some(values) = &r.values {
            if matches!(op.kind, Kind::GetPeers | Kind::Announce { .. }) {
                op.peers.extend(values.iter().copied());
            }
        }
        if matches!(op.kind, Kind::Get(_) | Kind::Put(_)) {
            if let Err(reason) = op.consider_item(&r) {
                self.stats.reject(reason);
            }
        }
        self.advance(now, op_id, out);
    }

    pub(super) fn lookup_failed(
        &mut self,
        now: Millis,
        op_id: u64,
        from: SocketAddrV4,
        out: &mut Out,
    ) {
        if let Some(op) = self.ops.get_mut(&op_id) {
            op.lookup.failed(from);
            op.timeouts += 1;
        }
        self.advance(now, op_id, out);
    }

    pub(super) fn store_answered(
        &mut self,
        now: Millis,
        op_id: u64,
        result: Result<(SocketAddrV4, NodeId), String>,
        out: &mut Out,
    ) {
        let Some(op) = self.ops.get_mut(&op_id) else {
            return;
        };
        match result {
            Ok((addr, id)) => op.stored.push(CompactNode { id, addr }),
            Err(e) => op.errors.push(e),
        }
        if let Some(n) = op.storing.as_mut() {
            *n = n.saturating_sub(1);
        }
        self.advance(now, op_id, out);
    }

    fn finish(&mut self, now: Millis, op_id: u64, out: &mut Out) {
        let Some(op) = self.ops.remove(&op_id) else {
            return;
        };
        let nodes: Vec<CompactNode> = op.lookup.closest().into_iter().map(|(n, _, _)| n).collect();
        match op.kind {
            Kind::Bootstrap => {
                self.bootstrapped = true;
                out.event(Event::Bootstrapped {
                    contacts: self.table.len(),
                    nodes: nodes.clone(),
                });
                if self.cfg.refresh_ms == 0 {
                    return;
                }
                // Refresh every bucket farther than the closest neighbour.
                let nearest = nodes.first().and_then(|n| self.id.common_prefix(&n.id));
                for i in 0..nearest.unwrap_or(0) {
                    self.refresh_bucket(now, i, out);
                }
            }
            Kind::Refresh => {}
            _ => {
                let Some(tag) = op.tag else { return };
                let (value, seq) = op
                    .found
                    .as_ref()
                    .map_or((None, None), |f| f.value_and_seq());
                let outcome = Outcome {
                    op: op.kind.name(),
                    target: op.lookup.target,
                    nodes,
                    peers: op.peers.into_iter().collect(),
                    stored: op.stored,
                    value: if matches!(op.kind, Kind::Get(_)) {
                        value
                    } else {
                        None
                    },
                    seq: if matches!(op.kind, Kind::Get(_)) {
                        seq
                    } else {
                        None
                    },
                    hops: op.lookup.hops(),
                    queries: op.lookup.queries,
                    timeouts: op.timeouts,
                    errors: op.errors,
                };
                out.event(Event::Done { tag, outcome });
            }
        }
    }
}

impl Node {
    /// The lookups of the operations in progress, with the operation's
    /// name (`bootstrap`, `refresh`, `find_node`, …).
    pub fn lookups(&self) -> impl Iterator<Item = (&'static str, &Lookup)> {
        self.ops.values().map(|op| (op.kind.name(), &op.lookup))
    }
}

impl Op {
    pub(super) fn target(&self) -> NodeId {
        self.lookup.target
    }
}
