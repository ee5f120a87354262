//! The sans-IO Mainline DHT node: its configuration, state, and the
//! dispatch of inputs (datagrams, timers). Answering queries is in
//! [`super::answer`]; lookups and the client operations built on them
//! (find_node, get_peers, announce, BEP 44 get/put) in [`super::ops`].
//!
//! Every message received from a node updates the routing table
//! ([`super::table`], the least-recently-seen rule); a query this node sent
//! is matched to its answer by transaction id *and* sender address, so a
//! forged answer from elsewhere is counted and ignored. Nothing here reads
//! a clock, a socket or an entropy source: time comes in as [`Millis`],
//! randomness from a generator seeded by [`Config::seed`].

use std::collections::{BTreeMap, BTreeSet};
use std::net::{SocketAddr, SocketAddrV4};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::items::ItemStore;
use super::krpc::{self, Body, CompactNode, KrpcError, Message, NodeId};
use super::ops::Op;
use super::peers::PeerStore;
use super::table::{Observed, Table};
use super::tokens::Tokens;
use crate::runtime::{Millis, OutboxOf, Process, Wire, WireError};

/// Knobs of a node; the defaults are BEP 5's and the paper's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// k: bucket size, and how many closest nodes a lookup returns.
    pub k: usize,
    /// α: queries in flight per lookup.
    pub alpha: usize,
    /// Replacement-cache entries per bucket.
    pub cache: usize,
    /// Failed queries in a row after which a contact is dropped.
    pub stale_after: u32,
    /// A full bucket's head is pinged for a newcomer only when silent this
    /// long (BEP 5: 15 minutes); 0 pings always, as the paper.
    pub fresh_ms: Millis,
    /// A query unanswered after this long has failed.
    pub timeout_ms: Millis,
    /// A bucket untouched this long is refreshed (BEP 5: 15 minutes);
    /// zero switches refreshing off.
    pub refresh_ms: Millis,
    /// Token secrets rotate this often (BEP 5: five minutes).
    pub token_ms: Millis,
    /// Announced peers are kept this long after their last announce.
    pub peer_ttl_ms: Millis,
    /// Bounds of the peer store.
    pub max_info_hashes: usize,
    pub max_peers_per_hash: usize,
    /// BEP 44 items stored at most, and kept this long after their last
    /// put (BEP 44: two hours).
    pub max_items: usize,
    pub item_ttl_ms: Millis,
    /// Seed of the node's generator (token secrets, refresh targets).
    pub seed: u64,
    /// How lookups schedule their queries ([`LookupMode`]).
    pub lookup: LookupMode,
    /// §2.5 replication of stored items to close contacts
    /// ([`super::replication`]). Off by default: BEP 44 leaves
    /// republishing to the publisher, and mainline clients do not
    /// replicate; the conformance harness turns it on, as the model has it.
    pub replicate: bool,
    /// The node's own item store takes part in its operations, as the
    /// paper's STORE ("the k closest of the result and n itself"): a put
    /// stores at the k closest of the lookup's result *and this node*
    /// (here, if it is among them, and then at one fewer of the result),
    /// and a get of an immutable item held here ends at once. Off by
    /// default: a BEP 44 put stores at the k closest of the result only.
    pub store_locally: bool,
    /// Whether the answers to this node's store queries (an operation's
    /// announce_peer/put, a replication's get/put) update its routing
    /// table, as every message received does in BEP 5 and the paper (the
    /// default). The model delivers STOREs one way (their answers are not
    /// observed); the conformance harness turns this off to match.
    pub observe_store_answers: bool,
    /// A deliberate bug, for the conformance harness's mutation tests.
    /// Always [`Mutation::None`] outside tests.
    pub mutation: Mutation,
}

/// How an iterative lookup schedules its queries (see [`super::lookup`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LookupMode {
    /// α in flight at any time, a new query as soon as one settles (what
    /// BEP 5 clients do).
    #[default]
    Async,
    /// The paper's lock-step rounds (§2.3), as the model has them: α
    /// queries per round while each round brings a closer node, then
    /// rounds to every unqueried node of the k closest until all of them
    /// answered. Starts from the whole table. The conformance harness uses
    /// it.
    Rounds,
}

/// Deliberate bugs, for mutation tests of the conformance harness (each
/// is also what one of the model's broken variants does).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mutation {
    #[default]
    None,
    /// A full bucket drops its least-recently seen entry for a newcomer
    /// without pinging it (the model's `evict-without-ping`).
    EvictWithoutPing,
    /// Rounds mode: a lookup ends as soon as a round brings nothing
    /// closer, without the final round, returning the k closest heard of
    /// whether they answered or not (the model's `alpha-termination`).
    AlphaTermination,
    /// Answers name the querier among the closest contacts (what the
    /// answers did before they excluded it).
    AnswerWithQuerier,
    /// §2.5 replication sends an item to every contact heard from, not
    /// only to those among the k closest to its target.
    ReplicateToAll,
    /// §2.5 replication never sends an item (as if `replicate` were off).
    ReplicateNothing,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            k: 8,
            alpha: 3,
            cache: 8,
            stale_after: 2,
            fresh_ms: 15 * 60_000,
            timeout_ms: 2_000,
            refresh_ms: 15 * 60_000,
            token_ms: 5 * 60_000,
            peer_ttl_ms: 30 * 60_000,
            max_info_hashes: 10_000,
            max_peers_per_hash: 200,
            max_items: 10_000,
            item_ttl_ms: 2 * 3_600_000,
            seed: 0,
            lookup: LookupMode::Async,
            replicate: false,
            store_locally: false,
            observe_store_answers: true,
            mutation: Mutation::None,
        }
    }
}

/// The client version we send in `v` (BEP 5 / BEP 20 style: two letters
/// and two version bytes).
pub const VERSION: &[u8] = b"OV\x00\x01";

/// Timers a node sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// The query with this transaction is overdue.
    Query(u32),
    /// Periodic housekeeping: token rotation, expiry, bucket refresh.
    Maintain,
}

/// What a node tells its driver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The first self-lookup ended; `contacts` in the table, `nodes` the
    /// k closest it found, closest first.
    Bootstrapped {
        contacts: usize,
        nodes: Vec<CompactNode>,
    },
    /// A client operation (tagged by the caller) ended.
    Done {
        tag: u64,
        outcome: super::ops::Outcome,
    },
}

/// Counters, for drivers, tests and the `--stats` of the CLI.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub received: u64,
    pub sent: u64,
    pub queries_answered: u64,
    pub responses: u64,
    /// KRPC errors received in answer to our queries.
    pub errors_received: u64,
    pub timeouts: u64,
    /// Messages rejected or dropped, by reason (`malformed`, `bad_token`,
    /// `unexpected_response`, …; BEP 44 reasons from the item store).
    pub rejected: BTreeMap<String, u64>,
}

impl Stats {
    pub(super) fn reject(&mut self, reason: impl Into<String>) {
        *self.rejected.entry(reason.into()).or_default() += 1;
    }
}

/// A query in flight.
#[derive(Clone, Debug)]
pub(super) struct Outstanding {
    pub to: SocketAddrV4,
    /// The id we expect to answer, when known.
    pub id: Option<NodeId>,
    pub purpose: Purpose,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Purpose {
    /// A lookup query of operation `op`.
    Lookup(u64),
    /// The final store (announce_peer or put) of operation `op`.
    Store(u64),
    /// The ping of a bucket head a newcomer wants to replace.
    Evict,
    /// Replication of the item at this target: the `get` for the token.
    ReplicaGet(NodeId),
    /// Replication of the item at this target: the `put`.
    ReplicaPut(NodeId),
}

/// A Mainline DHT node.
#[derive(Clone, Debug)]
pub struct Node {
    pub(super) cfg: Config,
    pub(super) id: NodeId,
    pub(super) addr: SocketAddrV4,
    pub(super) table: Table,
    pub(super) tokens: Tokens,
    pub(super) peers: PeerStore,
    pub(super) items: ItemStore,
    pub(super) rng: ChaCha8Rng,
    /// Transaction ids are 4 bytes: the `mainline` crate (8.0.1) decodes
    /// no other length, and every other client echoes whatever it gets.
    next_tx: u32,
    pub(super) outstanding: BTreeMap<u32, Outstanding>,
    pub(super) next_op: u64,
    pub(super) ops: BTreeMap<u64, Op>,
    pub(super) bootstrapped: bool,
    pub(super) stats: Stats,
    /// Replication: contacts known to hold each item held here, and the
    /// replications under way, (target, contact).
    pub(super) holders: BTreeMap<NodeId, BTreeSet<NodeId>>,
    pub(super) replicating: BTreeSet<(NodeId, NodeId)>,
}

pub(super) type Out = OutboxOf<Node>;

impl Node {
    /// A node with id `id` receiving at `addr` (IPv4: BEP 5's compact node
    /// info has no room for IPv6), with an empty table.
    pub fn new(cfg: Config, id: NodeId, addr: SocketAddrV4) -> Node {
        let mut rng = ChaCha8Rng::seed_from_u64(
            cfg.seed ^ u64::from_be_bytes(id.0[..8].try_into().expect("8 bytes")),
        );
        let mut table = Table::new(id, cfg.k, cfg.cache, cfg.stale_after, cfg.fresh_ms);
        table.evict_without_ping = cfg.mutation == Mutation::EvictWithoutPing;
        let tokens = Tokens::new(0, cfg.token_ms, &mut rng);
        let peers = PeerStore::new(cfg.peer_ttl_ms, cfg.max_info_hashes, cfg.max_peers_per_hash);
        let items = ItemStore::new(cfg.max_items, cfg.item_ttl_ms);
        Node {
            cfg,
            id,
            items,
            addr,
            table,
            tokens,
            peers,
            rng,
            next_tx: 0,
            outstanding: BTreeMap::new(),
            next_op: 0,
            ops: BTreeMap::new(),
            bootstrapped: false,
            stats: Stats::default(),
            holders: BTreeMap::new(),
            replicating: BTreeSet::new(),
        }
    }

    pub fn id(&self) -> NodeId {
        self.id
    }
    pub fn config(&self) -> &Config {
        &self.cfg
    }
    pub fn table(&self) -> &Table {
        &self.table
    }
    pub fn table_mut(&mut self) -> &mut Table {
        &mut self.table
    }
    pub fn stats(&self) -> &Stats {
        &self.stats
    }
    pub fn peers(&self) -> &PeerStore {
        &self.peers
    }
    pub fn is_bootstrapped(&self) -> bool {
        self.bootstrapped
    }
    /// Queries in flight.
    pub fn outstanding(&self) -> usize {
        self.outstanding.len()
    }
    /// Operations (lookups, stores) in progress.
    pub fn busy(&self) -> usize {
        self.ops.len()
    }
    /// Whether this node's query with transaction `tx` stores: the store
    /// phase of an operation (announce_peer, put) or a §2.5 replication
    /// (its get or put). The conformance harness delivers these at once,
    /// as the model does.
    pub fn is_storing(&self, tx: u32) -> bool {
        self.outstanding.get(&tx).is_some_and(|o| {
            matches!(
                o.purpose,
                Purpose::Store(_) | Purpose::ReplicaGet(_) | Purpose::ReplicaPut(_)
            )
        })
    }

    fn message(&self, transaction: Vec<u8>, body: Body) -> Message {
        Message {
            transaction,
            version: Some(VERSION.to_vec()),
            body,
        }
    }

    /// Sends an answer or error with the querier's transaction id.
    pub(super) fn reply(
        &mut self,
        to: SocketAddrV4,
        transaction: Vec<u8>,
        body: Body,
        out: &mut Out,
    ) {
        self.stats.sent += 1;
        let m = self.message(transaction, body);
        out.send(SocketAddr::V4(to), m);
    }

    /// Sends a query and arms its timeout.
    pub(super) fn query(
        &mut self,
        to: SocketAddrV4,
        id: Option<NodeId>,
        q: krpc::Query,
        purpose: Purpose,
        out: &mut Out,
    ) {
        let tx = loop {
            self.next_tx = self.next_tx.wrapping_add(1);
            if !self.outstanding.contains_key(&self.next_tx) {
                break self.next_tx;
            }
        };
        self.outstanding.insert(tx, Outstanding { to, id, purpose });
        self.stats.sent += 1;
        let m = self.message(tx.to_be_bytes().to_vec(), Body::Query(q));
        out.send(SocketAddr::V4(to), m);
        out.timer(self.cfg.timeout_ms, Timer::Query(tx));
    }

    /// The least-recently-seen rule for a message from `id` at `from`; a
    /// full bucket's head gets pinged.
    /// Then §2.5 replication to the sender, if on.
    pub(super) fn observe(&mut self, now: Millis, id: NodeId, from: SocketAddrV4, out: &mut Out) {
        self.observe_only(now, id, from, out);
        self.replicate_to(now, id, from, None, out);
    }

    /// The least-recently-seen rule alone.
    pub(super) fn observe_only(
        &mut self,
        now: Millis,
        id: NodeId,
        from: SocketAddrV4,
        out: &mut Out,
    ) {
        if let Observed::Cached { ping: Some(head) } = self.table.observe(now, id, from) {
            let q = krpc::Query::Ping { id: self.id };
            self.query(head.addr, Some(head.id), q, Purpose::Evict, out);
        }
    }

    /// Decodes and handles one datagram: the whole path of untrusted
    /// bytes, for drivers that hand over raw bytes and for the fuzzer.
    pub fn on_datagram(&mut self, now: Millis, from: SocketAddr, bytes: &[u8], out: &mut Out) {
        match krpc::decode(bytes) {
            Ok(m) => self.on_message(now, from, m, out),
            Err(e) => self.malformed(from, &e, out),
        }
    }

    fn malformed(&mut self, from: SocketAddr, e: &KrpcError, out: &mut Out) {
        self.stats.received += 1;
        self.stats.reject(match e.error_code() {
            Some(code) => format!("malformed ({code})"),
            None => "malformed (dropped)".to_string(),
        });
        if let (SocketAddr::V4(to), Some(reply)) = (from, e.reply()) {
            self.reply(to, reply.transaction, reply.body, out);
        }
    }

    fn on_response(&mut self, now: Millis, from: SocketAddrV4, m: Message, out: &mut Out) {
        let tx = <[u8; 4]>::try_from(m.transaction.as_slice()).map(u32::from_be_bytes);
        let Some(o) = tx.ok().and_then(|tx| {
            let o = self.outstanding.get(&tx)?;
            (o.to == from).then_some(tx)
        }) else {
            self.stats.reject("unexpected_response");
            return;
        };
        let o = self.outstanding.remove(&o).expect("just found");
        match m.body {
            Body::Response(r) => {
                if o.id.is_some_and(|id| id != r.id) {
                    // Answered under another id: not the node we asked.
                    self.stats.reject("wrong_id");
                    self.timed_out(now, o, out);
                    return;
                }
                self.stats.responses += 1;
                if o.purpose == Purpose::Evict {
                    // The ping settles before its answer is observed.
                    self.table.ping_settled(&r.id);
                }
                let storing = matches!(
                    o.purpose,
                    Purpose::Store(_) | Purpose::ReplicaGet(_) | Purpose::ReplicaPut(_)
                );
                if self.cfg.observe_store_answers || !storing {
                    self.observe(now, r.id, from, out);
                }
                match o.purpose {
                    Purpose::Evict => {}
                    Purpose::Lookup(op) => self.lookup_answered(now, op, from, r, out),
                    Purpose::Store(op) => self.store_answered(now, op, Ok((from, r.id)), out),
                    Purpose::ReplicaGet(t) => self.replica_got(now, t, r.id, from, Some(r), out),
                    Purpose::ReplicaPut(t) => self.replica_put(t, r.id, true),
                }
            }
            Body::Error { code, message } => {
                self.stats.errors_received += 1;
                match o.purpose {
                    Purpose::Evict => self.table.ping_settled(&o.id.expect("pings know ids")),
                    Purpose::Lookup(op) => self.lookup_failed(now, op, from, out),
                    Purpose::Store(op) => {
                        let e = format!("{from} answered {code}: {message}");
                        self.store_answered(now, op, Err(e), out)
                    }
                    Purpose::ReplicaGet(t) | Purpose::ReplicaPut(t) => {
                        if let Some(id) = o.id {
                            self.replica_put(t, id, false);
                        }
                    }
                }
            }
            Body::Query(_) => unreachable!("queries are dispatched before"),
        }
    }

    /// A query got no (acceptable) answer.
    fn timed_out(&mut self, now: Millis, o: Outstanding, out: &mut Out) {
        if let Some(id) = o.id {
            self.table.failed(&id);
        }
        match o.purpose {
            Purpose::Evict => {}
            Purpose::Lookup(op) => self.lookup_failed(now, op, o.to, out),
            Purpose::Store(op) => {
                let e = format!("{} did not answer", o.to);
                self.store_answered(now, op, Err(e), out)
            }
            Purpose::ReplicaGet(t) | Purpose::ReplicaPut(t) => {
                if let Some(id) = o.id {
                    self.replica_put(t, id, false);
                }
            }
        }
    }

    fn maintain(&mut self, now: Millis, out: &mut Out) {
        self.tokens.rotate(now, &mut self.rng);
        self.peers.expire(now);
        self.expire_items(now);
        self.prune_holders(now);
        if self.cfg.refresh_ms > 0 && self.bootstrapped {
            self.refresh(now, out);
        }
        out.timer(self.maintain_period(), Timer::Maintain);
    }

    fn maintain_period(&self) -> Millis {
        // Often enough for every period it serves; at least a second.
        let periods = [self.cfg.token_ms, self.cfg.refresh_ms / 4, 60_000];
        periods
            .into_iter()
            .filter(|&p| p > 0)
            .min()
            .unwrap_or(60_000)
            .max(1_000)
    }

    /// The compact form of this node.
    pub fn compact(&self) -> CompactNode {
        CompactNode {
            id: self.id,
            addr: self.addr,
        }
    }
}

impl Process for Node {
    type Msg = Message;
    type Timer = Timer;
    type Event = Event;

    fn addr(&self) -> SocketAddr {
        SocketAddr::V4(self.addr)
    }

    fn start(&mut self, _now: Millis, out: &mut Out) {
        out.timer(self.maintain_period(), Timer::Maintain);
    }

    fn on_message(&mut self, now: Millis, from: SocketAddr, m: Message, out: &mut Out) {
        self.stats.received += 1;
        let SocketAddr::V4(from) = from else {
            self.stats.reject("ipv6_sender");
            return;
        };
        match m.body {
            Body::Query(q) => self.answer(now, from, m.transaction, q, out),
            Body::Response(_) | Body::Error { .. } => self.on_response(now, from, m, out),
        }
    }

    fn on_timer(&mut self, now: Millis, timer: Timer, out: &mut Out) {
        match timer {
            Timer::Query(tx) => {
                if let Some(o) = self.outstanding.remove(&tx) {
                    self.stats.timeouts += 1;
                    self.timed_out(now, o, out);
                }
            }
            Timer::Maintain => self.maintain(now, out),
        }
    }

    fn on_malformed(&mut self, _now: Millis, from: SocketAddr, bytes: &[u8], out: &mut Out) {
        if let Err(e) = krpc::decode(bytes) {
            self.malformed(from, &e, out);
        }
    }
}

impl Wire for Message {
    fn encode(&self) -> Vec<u8> {
        krpc::encode(self)
    }
    fn decode(bytes: &[u8]) -> Result<Message, WireError> {
        krpc::decode(bytes).map_err(|e| WireError {
            reason: e.to_string(),
        })
    }
}
