//! The sans-IO Chord node: its state, configuration, and the dispatch of
//! inputs. Ring maintenance is in [`super::maintain`], lookups in
//! [`super::lookup`], key-value data in [`super::store`].

use std::collections::BTreeMap;
use std::net::SocketAddr;

use super::finger::Fingers;
use super::id::{Id, Peer};
use super::lookup::Lookup;
use super::wire::{Item, Msg};
use crate::runtime::{Millis, OutboxOf, Process};

/// Knobs of a node. Periods of zero switch a timer off (the conformance
/// harness drives every step itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// r: successor-list length, hence also copies of every key.
    pub succ_list: usize,
    /// Period of the maintenance step (rectify / stabilize).
    pub tick_ms: Millis,
    /// Period of fix-fingers (one finger refreshed per period).
    pub finger_ms: Millis,
    /// Period of the liveness probe (one finger pinged per period).
    pub probe_ms: Millis,
    /// Period of re-replication of the keys a node owns.
    pub replicate_ms: Millis,
    /// A request unanswered after this long means the peer is dead.
    pub timeout_ms: Millis,
    /// Run a due maintenance step as soon as the previous one ends (see
    /// `maintain`); off in the conformance harness, which runs each step
    /// on its own so that the model's intermediate states are visible.
    pub eager: bool,
    /// Lookups give up after this many hops.
    pub max_hops: u32,
    /// Test-only: a deliberate bug, so conformance tests can show they
    /// catch one. Always `Mutation::None` outside tests.
    pub mutation: Mutation,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            succ_list: 3,
            tick_ms: 500,
            finger_ms: 500,
            probe_ms: 1000,
            replicate_ms: 2000,
            timeout_ms: 1000,
            eager: true,
            max_hops: 64,
            mutation: Mutation::None,
        }
    }
}

impl Config {
    /// No periodic timers: every step is driven from outside.
    pub fn manual(succ_list: usize) -> Config {
        Config {
            succ_list,
            tick_ms: 0,
            finger_ms: 0,
            probe_ms: 0,
            replicate_ms: 0,
            eager: false,
            ..Config::default()
        }
    }
}

/// Deliberate bugs for mutation testing of the conformance harness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mutation {
    None,
    /// StabilizeFromPredecessor adopts the saved node even when it is
    /// dead (the published protocol's Stabilize bug, transplanted).
    AdoptDeadPredecessor,
    /// Rectify keeps a dead predecessor instead of adopting the caller.
    KeepDeadPredecessor,
    /// Stabilize never tells its successor to rectify.
    NoRectify,
    /// Join copies only the first successor instead of the whole list.
    ShortJoinList,
}

/// The operation a node is in the middle of (Zave, TSE 2017): one saved
/// node each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// StabilizeFromPredecessor with this node is due.
    Stabilizing(Peer),
    /// Told to rectify its predecessor with this node.
    Rectifying(Peer),
}

/// Timers a node sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    Tick,
    FixFinger,
    Probe,
    Replicate,
    /// Request `req` is overdue.
    Timeout(u64),
}

/// What a node tells its driver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The node became a ring member.
    Joined,
    JoinFailed {
        reason: String,
    },
    /// A measurement lookup ended (`owner` is `None` when it failed).
    LookupDone {
        key: Id,
        owner: Option<Peer>,
        hops: u32,
        timeouts: u32,
    },
    /// A local put or get (tagged by the caller) ended.
    Done {
        tag: u64,
        reply: Reply,
    },
}

/// The outcome of a put or get.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The key was stored, or found.
    pub found: bool,
    pub value: Option<String>,
    /// The node that stored the key (put) or whose copy was read (get).
    pub owner: Option<Peer>,
    pub hops: u32,
    /// Why the request could not be completed (no answer, not a member…).
    pub error: Option<String>,
}

/// Counters, for drivers and benchmarks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub received: u64,
    pub sent: u64,
    pub timeouts: u64,
    /// Replies that matched no outstanding request (late or forged).
    pub unexpected: u64,
}

/// What an outstanding request id is waiting for.
#[derive(Clone, Debug)]
pub(super) enum Wait {
    StabSucc { s1: Peer },
    StabPred { p: Peer },
    RectifyPing { prdc: Peer, q: Peer },
    Probe { peer: Peer },
    LookupStep { lookup: u64, asked: SocketAddr },
    LookupVerify { lookup: u64, attempt: u32 },
    StoreAck { task: u64 },
    Fetch { task: u64 },
}

impl Wait {
    /// Ring-maintenance waits: at most one at a time.
    pub(super) fn is_maintenance(&self) -> bool {
        matches!(
            self,
            Wait::StabSucc { .. } | Wait::StabPred { .. } | Wait::RectifyPing { .. }
        )
    }
}

/// A Chord node.
#[derive(Clone, Debug)]
pub struct Node {
    pub(super) cfg: Config,
    pub(super) me: Peer,
    pub(super) member: bool,
    /// Successor list, at most r entries, first = successor.
    pub(super) succ: Vec<Peer>,
    pub(super) prdc: Option<Peer>,
    pub(super) status: Option<Status>,
    pub(super) fingers: Fingers,
    pub(super) next_finger: usize,
    pub(super) next_probe: usize,
    pub(super) next_req: u64,
    pub(super) waits: BTreeMap<u64, Wait>,
    pub(super) lookups: BTreeMap<u64, Lookup>,
    pub(super) tasks: BTreeMap<u64, super::store::Task>,
    pub(super) items: BTreeMap<Id, Item>,
    pub(super) stats: Stats,
}

/// Why a local step could not run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotEnabled(pub String);

pub(super) type Out = OutboxOf<Node>;

impl Node {
    /// A node that is not yet a member (it may `join`).
    pub fn new(cfg: Config, me: Peer) -> Node {
        assert!(
            cfg.succ_list >= 1,
            "a successor list has at least one entry"
        );
        Node {
            cfg,
            me,
            member: false,
            succ: Vec::new(),
            prdc: None,
            status: None,
            fingers: Fingers::default(),
            next_finger: 0,
            next_probe: 0,
            next_req: 1,
            waits: BTreeMap::new(),
            lookups: BTreeMap::new(),
            tasks: BTreeMap::new(),
            items: BTreeMap::new(),
            stats: Stats::default(),
        }
    }

    /// The first node of a new ring: its own successor.
    pub fn first(cfg: Config, me: Peer) -> Node {
        let mut n = Node::new(cfg, me);
        n.member = true;
        n.succ = vec![me];
        n
    }

    /// A member with a given successor list and predecessor (a ring built
    /// by an oracle: the simulator's stable rings, the harness's initial
    /// states).
    pub fn with_ring(cfg: Config, me: Peer, succ: Vec<Peer>, prdc: Option<Peer>) -> Node {
        let mut n = Node::new(cfg, me);
        n.member = true;
        n.succ = succ;
        n.succ.truncate(n.cfg.succ_list);
        n.prdc = prdc;
        n
    }

    pub fn me(&self) -> Peer {
        self.me
    }
    pub fn config(&self) -> &Config {
        &self.cfg
    }
    pub fn is_member(&self) -> bool {
        self.member
    }
    pub fn succ(&self) -> &[Peer] {
        &self.succ
    }
    pub fn prdc(&self) -> Option<Peer> {
        self.prdc
    }
    pub fn status(&self) -> Option<Status> {
        self.status
    }
    pub fn items(&self) -> impl Iterator<Item = &Item> {
        self.items.values()
    }
    pub fn stats(&self) -> &Stats {
        &self.stats
    }
    pub fn fingers(&self) -> &Fingers {
        &self.fingers
    }
    /// Sets the finger table wholesale (oracle-built rings).
    pub fn fingers_mut(&mut self) -> &mut Fingers {
        &mut self.fingers
    }
    /// Whether a ring-maintenance request is outstanding.
    pub fn busy(&self) -> bool {
        self.waits.values().any(Wait::is_maintenance)
    }
    /// Requests still waiting for an answer.
    pub fn outstanding(&self) -> usize {
        self.waits.len()
    }

    /// Sends a request and arms its timeout.
    pub(super) fn request(
        &mut self,
        to: SocketAddr,
        wait: Wait,
        msg: impl FnOnce(u64) -> Msg,
        out: &mut Out,
    ) {
        let req = self.next_req;
        self.next_req += 1;
        self.waits.insert(req, wait);
        self.send(to, msg(req), out);
        out.timer(self.cfg.timeout_ms, Timer::Timeout(req));
    }

    pub(super) fn send(&mut self, to: SocketAddr, msg: Msg, out: &mut Out) {
        self.stats.sent += 1;
        out.send(to, msg);
    }

    pub(super) fn fresh_id(&mut self) -> u64 {
        let id = self.next_req;
        self.next_req += 1;
        id
    }

    /// Forgets a peer found dead (fingers only: the successor list is
    /// ring maintenance's business, as in the protocol).
    pub(super) fn forget(&mut self, p: Peer) {
        self.fingers.remove(p.id);
    }

    fn arm(&self, timer: Timer, period: Millis, out: &mut Out) {
        if period > 0 {
            out.timer(period, timer);
        }
    }
}

impl Process for Node {
    type Msg = Msg;
    type Timer = Timer;
    type Event = Event;

    fn addr(&self) -> SocketAddr {
        self.me.addr
    }

    fn start(&mut self, _now: Millis, out: &mut Out) {
        self.arm(Timer::Tick, self.cfg.tick_ms, out);
        self.arm(Timer::FixFinger, self.cfg.finger_ms, out);
        self.arm(Timer::Probe, self.cfg.probe_ms, out);
        self.arm(Timer::Replicate, self.cfg.replicate_ms, out);
    }

    fn on_message(&mut self, _now: Millis, from: SocketAddr, msg: Msg, out: &mut Out) {
        self.stats.received += 1;
        match msg {
            Msg::GetState { req } => {
                if self.member {
                    let m = Msg::State {
                        req,
                        id: self.me.id,
                        prdc: self.prdc,
                        succ: self.succ.clone(),
                    };
                    self.send(from, m, out);
                }
            }
            Msg::Ping { req } => {
                if self.member {
                    self.send(from, Msg::Pong { req }, out);
                }
            }
            Msg::Rectify { from: q } => self.told_to_rectify(q, out),
            Msg::FindSucc { req, key } => self.answer_find(from, req, key, out),
            Msg::Store {
                req,
                items,
                replicate,
                ack,
            } => self.store(from, req, items, replicate, ack, out),
            Msg::Fetch { req, key } => self.answer_fetch(from, req, &key, out),
            Msg::ClientPut { req, key, value } => self.client_put(from, req, key, value, out),
            Msg::ClientGet { req, key } => self.client_get(from, req, key, out),
            Msg::Inspect { req } => {
                let m = Msg::Inspected {
                    req,
                    me: self.me,
                    member: self.member,
                    prdc: self.prdc,
                    succ: self.succ.clone(),
                    keys: self.items.len() as u64,
                };
                self.send(from, m, out);
            }
            Msg::State { req, .. }
            | Msg::Pong { req }
            | Msg::Found { req, .. }
            | Msg::Closer { req, .. }
            | Msg::Stored { req }
            | Msg::Value { req, .. } => match self.waits.remove(&req) {
                Some(wait) => self.on_reply(wait, from, msg, out),
                None => self.stats.unexpected += 1,
            },
            Msg::ClientReply { .. } | Msg::Inspected { .. } => self.stats.unexpected += 1,
        }
    }

    fn on_timer(&mut self, _now: Millis, timer: Timer, out: &mut Out) {
        match timer {
            Timer::Tick => {
                self.tick(out);
                self.arm(Timer::Tick, self.cfg.tick_ms, out);
            }
            Timer::FixFinger => {
                self.fix_next_finger(out);
                self.arm(Timer::FixFinger, self.cfg.finger_ms, out);
            }
            Timer::Probe => {
                self.probe_next_finger(out);
                self.arm(Timer::Probe, self.cfg.probe_ms, out);
            }
            Timer::Replicate => {
                self.replicate(out);
                self.arm(Timer::Replicate, self.cfg.replicate_ms, out);
            }
            Timer::Timeout(req) => {
                if let Some(wait) = self.waits.remove(&req) {
                    self.stats.timeouts += 1;
                    self.on_timeout(wait, out);
                }
            }
        }
    }
}

impl Node {
    /// A reply arrived for `wait`.
    fn on_reply(&mut self, wait: Wait, from: SocketAddr, msg: Msg, out: &mut Out) {
        match (wait, msg) {
            (Wait::StabSucc { s1 }, Msg::State { prdc, succ, .. }) => {
                self.stabilized_from_successor(s1, prdc, succ, out)
            }
            (Wait::StabPred { p }, Msg::State { succ, .. }) => {
                self.stabilized_from_predecessor(p, Some(succ), out)
            }
            (Wait::RectifyPing { prdc, q }, Msg::Pong { .. }) => self.rectified(prdc, q, true, out),
            (Wait::Probe { .. }, Msg::Pong { .. }) => {}
            (Wait::LookupStep { lookup, asked }, Msg::Found { pred, succ, .. })
                if asked == from =>
            {
                self.lookup_found(lookup, pred, succ, out)
            }
            (Wait::LookupStep { lookup, asked }, Msg::Closer { id, next, succ, .. })
                if asked == from =>
            {
                self.lookup_closer(lookup, Peer { id, addr: from }, next, succ, out)
            }
            (Wait::LookupVerify { lookup, attempt }, Msg::Pong { .. }) => {
                self.lookup_verified(lookup, true, attempt, out)
            }
            (Wait::StoreAck { task }, Msg::Stored { .. }) => self.store_acked(task, out),
            (Wait::Fetch { task }, Msg::Value { item, .. }) => self.fetched(task, item, out),
            _ => self.stats.unexpected += 1,
        }
    }

    /// `wait` got no answer in time: its peer is taken for dead.
    fn on_timeout(&mut self, wait: Wait, out: &mut Out) {
        match wait {
            Wait::StabSucc { s1 } => self.successor_dead(s1, out),
            Wait::StabPred { p } => self.stabilized_from_predecessor(p, None, out),
            Wait::RectifyPing { prdc, q } => self.rectified(prdc, q, false, out),
            Wait::Probe { peer } => self.forget(peer),
            Wait::LookupStep { lookup, .. } => self.lookup_timeout(lookup, out),
            Wait::LookupVerify { lookup, attempt } => {
                self.lookup_verified(lookup, false, attempt, out)
            }
            Wait::StoreAck { task } => self.store_timeout(task, out),
            Wait::Fetch { task } => self.fetched_nothing(task, out),
        }
    }
}
