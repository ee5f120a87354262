//! The sans-IO VON node: state, configuration, local commands (join,
//! move, leave) and the handling of every message, as
//! `/work/notes/von-protocol.md` describes them (see the module notes in
//! [`super`] for the deviations).

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;

use super::geometry::{Id, Point, View};
use super::link::{Accept, Links};
use super::wire::{Body, Entry, Kind, Msg, Status, MAX_ENTRIES};
use crate::runtime::{Millis, OutboxOf, Process};

/// Knobs of a node. A period of zero switches its timer off (the
/// conformance harness and the large simulations drive time themselves).
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// R: the radius of every node's area of interest.
    pub aoi: f64,
    /// A JOIN forwarded this many times is dropped.
    pub hop_limit: u32,
    /// Period of the heartbeat (a MOVE to the current position, sent to
    /// each entry that got nothing else from us for that long) and of the
    /// check for silent entries. 0: no heartbeat, no failure detection.
    pub heartbeat_ms: Millis,
    /// An entry silent this long is presumed failed (treated as if it had
    /// sent LEAVE).
    pub dead_after_ms: Millis,
    /// A JOIN unanswered this long is sent again (0: never).
    pub join_timeout_ms: Millis,
    /// JOINs sent before the join is given up.
    pub join_attempts: u32,
    /// How long a message held back behind a missing sequence number waits
    /// before the missing ones are given up as lost.
    pub gap_ms: Millis,
    /// Not in the protocol notes (off by default): a HELLO receiver runs
    /// the MOVE receiver's NOTIFY check for the sender, so that a joiner
    /// learns the neighbours its acceptor did not know (the notes' JOIN
    /// leaves those missing; see the module notes and `von_sim.rs`).
    pub hello_notify: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            aoi: 100.0,
            hop_limit: 64,
            heartbeat_ms: 1000,
            dead_after_ms: 3500,
            join_timeout_ms: 2000,
            join_attempts: 3,
            gap_ms: 500,
            hello_notify: false,
        }
    }
}

impl Config {
    /// No periodic timers: no heartbeat, failure detection or join retry
    /// (the simulator tests and the conformance harness use this).
    pub fn manual(aoi: f64) -> Config {
        Config {
            aoi,
            heartbeat_ms: 0,
            join_timeout_ms: 0,
            ..Config::default()
        }
    }

    /// Why this configuration cannot run, if it cannot.
    pub fn check(&self) -> Result<(), String> {
        if !(self.aoi.is_finite() && self.aoi > 0.0 && self.aoi <= super::geometry::MAX_COORD) {
            return Err(format!(
                "the AOI radius must be a positive number up to {:e}, not {}",
                super::geometry::MAX_COORD,
                self.aoi
            ));
        }
        if self.heartbeat_ms > 0 && self.dead_after_ms <= self.heartbeat_ms {
            return Err(format!(
                "dead_after_ms ({}) must exceed heartbeat_ms ({})",
                self.dead_after_ms, self.heartbeat_ms
            ));
        }
        if self.join_attempts == 0 {
            return Err("join_attempts must be at least 1".into());
        }
        Ok(())
    }
}

/// Timers a node sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// Heartbeats and the check for silent entries.
    Tick,
    /// JOIN number `attempt` is overdue.
    JoinRetry { attempt: u32 },
    /// Messages from this address wait behind a missing one.
    Gap { from: SocketAddr },
}

/// What a node tells its driver.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// JOIN_REPLY arrived from `acceptor`, whose JOIN took `hops` forwards;
    /// `entries` is the table size after pruning.
    Joined {
        acceptor: Id,
        hops: u32,
        entries: usize,
    },
    /// Every JOIN went unanswered.
    JoinFailed { attempts: u32 },
    /// An entry fell silent and was removed as if it had left.
    Failed { id: Id },
    /// This node sent LEAVE and stopped.
    Left,
}

/// A table entry: where the neighbour is reached, where it was last said
/// to be, and when it was last heard from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Neighbour {
    pub addr: SocketAddr,
    pub pos: Point,
    pub heard: Millis,
}

/// Counters, for drivers, tests and experiments.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Messages and their encoded bytes, sent and received (received:
    /// every decoded message handed to the node, dropped ones included).
    pub sent: u64,
    pub received: u64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    /// The same, by kind (`MOVE`, `NOTIFY`, …).
    pub sent_by_kind: BTreeMap<&'static str, u64>,
    pub received_by_kind: BTreeMap<&'static str, u64>,
    /// Heartbeats among the MOVEs sent.
    pub heartbeats: u64,
    /// JOINs passed on towards their position.
    pub forwarded: u64,
    /// Messages that waited for an earlier one of their link.
    pub held_back: u64,
    /// Sequence numbers given up as lost after the gap timer.
    pub gaps_skipped: u64,
    /// Entries presumed failed.
    pub failures: u64,
    /// Messages dropped, by reason (hostile, stale, or out of place).
    pub rejected: BTreeMap<&'static str, u64>,
}

/// The local command needs a member (or a node outside, for join).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotEnabled(pub String);

impl std::fmt::Display for NotEnabled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotEnabled {}

type Out = OutboxOf<Node>;

/// A VON node.
#[derive(Clone, Debug)]
pub struct Node {
    cfg: Config,
    id: Id,
    addr: SocketAddr,
    epoch: u64,
    pos: Point,
    status: Status,
    table: BTreeMap<Id, Neighbour>,
    links: Links,
    /// When we last sent anything to each address (heartbeats go only to
    /// entries that got nothing else for a period).
    last_sent: BTreeMap<SocketAddr, Millis>,
    /// The JOIN outstanding: through which gateway, which attempt.
    joining: Option<(SocketAddr, u32)>,
    now: Millis,
    stats: Stats,
}

impl Node {
    /// A node outside the overlay, at `pos`, of incarnation 0. Ids must be
    /// unique in an overlay; so must addresses.
    pub fn new(cfg: Config, id: Id, addr: SocketAddr, pos: Point) -> Node {
        Node {
            cfg,
            id,
            addr,
            epoch: 0,
            pos,
            status: Status::Outside,
            table: BTreeMap::new(),
            links: Links::default(),
            last_sent: BTreeMap::new(),
            joining: None,
            now: 0,
            stats: Stats::default(),
        }
    }

    /// The first node of an overlay: a member with an empty table.
    pub fn first(cfg: Config, id: Id, addr: SocketAddr, pos: Point) -> Node {
        let mut n = Node::new(cfg, id, addr, pos);
        n.status = Status::Member;
        n
    }

    /// Sets the incarnation number carried by this node's messages: a
    /// node restarted at the same address must use a higher one, or its
    /// peers drop its messages as stale (the UDP driver uses the start
    /// time).
    pub fn with_epoch(mut self, epoch: u64) -> Node {
        self.epoch = epoch;
        self
    }

    // ------------------------------------------------------- accessors

    pub fn config(&self) -> &Config {
        &self.cfg
    }
    pub fn id(&self) -> Id {
        self.id
    }
    pub fn epoch(&self) -> u64 {
        self.epoch
    }
    pub fn pos(&self) -> Point {
        self.pos
    }
    pub fn status(&self) -> Status {
        self.status
    }
    pub fn is_member(&self) -> bool {
        self.status == Status::Member
    }
    /// The neighbour table, by id.
    pub fn table(&self) -> &BTreeMap<Id, Neighbour> {
        &self.table
    }
    /// The table as id → last known position.
    pub fn entries(&self) -> BTreeMap<Id, Point> {
        self.table.iter().map(|(&id, n)| (id, n.pos)).collect()
    }
    /// This node's local view: itself and its entries.
    pub fn view(&self) -> View {
        View::of(self.id, self.pos, self.entries())
    }
    pub fn stats(&self) -> &Stats {
        &self.stats
    }
    /// Messages held back for an earlier one of their link.
    pub fn held(&self) -> usize {
        self.links.held()
    }

    // -------------------------------------------------- local commands

    /// Asks `gateway` to let this node in at its position.
    pub fn join(&mut self, gateway: SocketAddr, out: &mut Out) -> Result<(), NotEnabled> {
        if self.status != Status::Outside {
            return Err(NotEnabled(format!(
                "join: the node is {}, not outside",
                self.status.name()
            )));
        }
        if gateway == self.addr {
            return Err(NotEnabled(format!(
                "join: the gateway {gateway} is this node"
            )));
        }
        self.status = Status::Joining;
        self.send_join(gateway, 1, out);
        Ok(())
    }

    fn send_join(&mut self, gateway: SocketAddr, attempt: u32, out: &mut Out) {
        self.joining = Some((gateway, attempt));
        let body = Body::Join {
            joiner: self.id,
            addr: self.addr,
            pos: self.pos,
            hops: 0,
        };
        self.send(gateway, body, out);
        if self.cfg.join_timeout_ms > 0 {
            out.timer(self.cfg.join_timeout_ms, Timer::JoinRetry { attempt });
        }
    }

    /// Moves to `pos`: MOVE to every entry, then prune.
    pub fn move_to(&mut self, pos: Point, out: &mut Out) -> Result<(), NotEnabled> {
        if !self.is_member() {
            return Err(NotEnabled(format!(
                "move: the node is {}, not a member",
                self.status.name()
            )));
        }
        self.pos = pos;
        let to: Vec<SocketAddr> = self.table.values().map(|n| n.addr).collect();
        for a in to {
            self.send(a, Body::Move { pos }, out);
        }
        self.prune();
        Ok(())
    }

    /// Leaves: LEAVE to every entry, then nothing more.
    pub fn leave(&mut self, out: &mut Out) -> Result<(), NotEnabled> {
        if !self.is_member() {
            return Err(NotEnabled(format!(
                "leave: the node is {}, not a member",
                self.status.name()
            )));
        }
        let to: Vec<SocketAddr> = self.table.values().map(|n| n.addr).collect();
        for a in to {
            self.send(a, Body::Leave, out);
        }
        self.table.clear();
        self.status = Status::Left;
        out.event(Event::Left);
        Ok(())
    }

    /// Presumes entry `id` failed now, as the heartbeat check does after
    /// `dead_after_ms` of silence (drivers without timers, the
    /// conformance harness). Returns whether it was an entry.
    pub fn presume_failed(&mut self, id: Id, out: &mut Out) -> bool {
        if !self.is_member() || !self.table.contains_key(&id) {
            return false;
        }
        self.stats.failures += 1;
        out.event(Event::Failed { id });
        self.remove_and_repair(id, out);
        true
    }

    // ------------------------------------------------------ plumbing

    fn send(&mut self, to: SocketAddr, body: Body, out: &mut Out) {
        let kind = body.kind();
        let seq = if kind.sequenced() {
            self.links.next_seq(to)
        } else {
            0
        };
        let msg = Msg {
            from: self.id,
            epoch: self.epoch,
            seq,
            body,
        };
        self.stats.sent += 1;
        self.stats.bytes_sent += msg.encoded_len() as u64;
        *self.stats.sent_by_kind.entry(kind.name()).or_default() += 1;
        self.last_sent.insert(to, self.now);
        out.send(to, msg);
    }

    /// Sends a list in as many messages as [`MAX_ENTRIES`] requires.
    fn send_list(
        &mut self,
        to: SocketAddr,
        entries: Vec<Entry>,
        make: impl Fn(Vec<Entry>) -> Body,
        out: &mut Out,
    ) {
        for chunk in entries.chunks(MAX_ENTRIES) {
            self.send(to, make(chunk.to_vec()), out);
        }
    }

    fn reject(&mut self, why: &'static str) {
        *self.stats.rejected.entry(why).or_default() += 1;
    }

    fn entry(&self, id: Id) -> Option<Entry> {
        self.table.get(&id).map(|n| Entry {
            id,
            addr: n.addr,
            pos: n.pos,
        })
    }

    fn myself(&self) -> Entry {
        Entry {
            id: self.id,
            addr: self.addr,
            pos: self.pos,
        }
    }

    /// Adds or updates `id` (a message from it: also heard now).
    fn upsert(&mut self, id: Id, addr: SocketAddr, pos: Point) {
        let heard = self.now;
        self.table.insert(id, Neighbour { addr, pos, heard });
    }

    /// VON's disconnection: drop every entry neither enclosing nor in the
    /// AOI, in this node's own view.
    fn prune(&mut self) {
        let keep = self.view().relevant(self.id, self.cfg.aoi);
        self.table.retain(|id, _| keep.contains(id));
    }

    /// LEAVE or failure of `gone`: remove it, and tell every remaining
    /// entry w of the sites that became relevant to w by the removal.
    fn remove_and_repair(&mut self, gone: Id, out: &mut Out) {
        let before = self.view();
        if self.table.remove(&gone).is_none() {
            return;
        }
        let after = self.view();
        let ws: Vec<Id> = self.table.keys().copied().collect();
        for w in ws {
            let was = before.relevant(w, self.cfg.aoi);
            let new: Vec<Entry> = after
                .relevant(w, self.cfg.aoi)
                .into_iter()
                .filter(|z| !was.contains(z) && *z != w && *z != self.id)
                .filter_map(|z| self.entry(z))
                .collect();
            if !new.is_empty() {
                let to = self.table[&w].addr;
                self.send_list(to, new, |entries| Body::Notify { entries }, out);
            }
        }
        // Removing a site removes no Delaunay edge between the others, so
        // pruning here would drop nothing: not done.
    }

    // ------------------------------------------------------ messages

    /// A message whose link order is settled.
    fn deliver(&mut self, from: SocketAddr, msg: Msg, out: &mut Out) {
        match self.status {
            Status::Member => {}
            Status::Joining if matches!(msg.body, Body::JoinReply { .. }) => {}
            Status::Left => return self.reject("after leaving"),
            _ => return self.reject("not a member"),
        }
        // Anything from an entry, at its address, shows it alive.
        if let Some(n) = self.table.get_mut(&msg.from) {
            if n.addr == from {
                n.heard = self.now;
            }
        }
        let sender = msg.from;
        match msg.body {
            Body::Join {
                joiner,
                addr,
                pos,
                hops,
            } => self.on_join(joiner, addr, pos, hops, out),
            Body::JoinReply { hops, entries } => self.on_join_reply(sender, hops, entries, out),
            Body::Hello { pos } if self.cfg.hello_notify => self.on_move(sender, from, pos, out),
            Body::Hello { pos } => {
                self.upsert(sender, from, pos);
                self.prune();
            }
            Body::Move { pos } => self.on_move(sender, from, pos, out),
            Body::Notify { entries } => self.on_notify(entries, out),
            Body::Leave => {
                if self.table.get(&sender).is_some_and(|n| n.addr == from) {
                    self.remove_and_repair(sender, out);
                } else {
                    self.reject("LEAVE from a non-entry");
                }
            }
            // Answered (or dropped) before ordering; never held on a link.
            Body::Query | Body::View { .. } => self.reject("QUERY or VIEW on a link"),
        }
    }

    fn on_join(&mut self, joiner: Id, addr: SocketAddr, pos: Point, hops: u32, out: &mut Out) {
        if joiner == self.id || addr == self.addr {
            return self.reject("JOIN for this node's own id or address");
        }
        // The entry closest to pos (ties: smallest id), the joiner's own
        // stale entry excepted (a rejoin must not be sent to itself).
        let closest = self
            .table
            .iter()
            .filter(|&(&id, _)| id != joiner)
            .map(|(&id, n)| (n.pos.dist2(&pos), id, n.addr))
            .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        match closest {
            Some((d, _, next)) if d < self.pos.dist2(&pos) => {
                if hops >= self.cfg.hop_limit {
                    return self.reject("JOIN over the hop limit");
                }
                self.stats.forwarded += 1;
                let body = Body::Join {
                    joiner,
                    addr,
                    pos,
                    hops: hops + 1,
                };
                self.send(next, body, out);
            }
            _ => {
                let mut sites = self.entries();
                sites.insert(joiner, pos);
                let view = View::of(self.id, self.pos, sites);
                let mut entries = vec![self.myself()];
                entries.extend(
                    view.relevant(joiner, self.cfg.aoi)
                        .into_iter()
                        .filter(|&z| z != self.id)
                        .filter_map(|z| self.entry(z)),
                );
                self.send_list(
                    addr,
                    entries,
                    |entries| Body::JoinReply { hops, entries },
                    out,
                );
            }
        }
    }

    fn on_join_reply(&mut self, acceptor: Id, hops: u32, entries: Vec<Entry>, out: &mut Out) {
        if self.status == Status::Member {
            // The rest of a split reply, or a late answer to a repeated
            // JOIN: news of neighbours, taken as NOTIFY takes them (no
            // known position overwritten).
            return self.on_notify(entries, out);
        }
        self.status = Status::Member;
        self.joining = None;
        for e in entries {
            if e.id == self.id || e.addr == self.addr {
                self.reject("list naming this node");
                continue;
            }
            self.upsert(e.id, e.addr, e.pos);
        }
        self.prune();
        let to: Vec<SocketAddr> = self.table.values().map(|n| n.addr).collect();
        for a in to {
            self.send(a, Body::Hello { pos: self.pos }, out);
        }
        out.event(Event::Joined {
            acceptor,
            hops,
            entries: self.table.len(),
        });
    }

    fn on_move(&mut self, mover: Id, from: SocketAddr, pos: Point, out: &mut Out) {
        let before: BTreeSet<Id> = if self.table.contains_key(&mover) {
            self.view().relevant(mover, self.cfg.aoi)
        } else {
            BTreeSet::new()
        };
        self.upsert(mover, from, pos);
        let after = self.view().relevant(mover, self.cfg.aoi);
        let new: Vec<Entry> = after
            .into_iter()
            .filter(|z| !before.contains(z) && *z != mover && *z != self.id)
            .filter_map(|z| self.entry(z))
            .collect();
        if !new.is_empty() {
            self.send_list(from, new, |entries| Body::Notify { entries }, out);
        }
        self.prune();
    }

    fn on_notify(&mut self, entries: Vec<Entry>, out: &mut Out) {
        let mut added = Vec::new();
        for e in entries {
            if e.id == self.id || e.addr == self.addr {
                // A correct node never lists the receiver to itself.
                self.reject("list naming this node");
                continue;
            }
            if !self.table.contains_key(&e.id) {
                self.upsert(e.id, e.addr, e.pos);
                added.push(e.id);
            }
        }
        self.prune();
        for id in added {
            if let Some(n) = self.table.get(&id) {
                let a = n.addr;
                self.send(a, Body::Hello { pos: self.pos }, out);
            }
        }
    }

    /// The answer to an inspection QUERY (any status).
    fn answer_query(&mut self, to: SocketAddr, out: &mut Out) {
        let entries: Vec<Entry> = self.table.keys().filter_map(|&id| self.entry(id)).collect();
        let (status, pos, aoi) = (self.status, self.pos, self.cfg.aoi);
        let make = move |entries| Body::View {
            status,
            pos,
            aoi,
            entries,
        };
        if entries.is_empty() {
            self.send(to, make(Vec::new()), out);
        } else {
            self.send_list(to, entries, make, out);
        }
    }

    fn tick(&mut self, out: &mut Out) {
        if self.cfg.heartbeat_ms == 0 || self.status == Status::Left {
            return;
        }
        out.timer(self.cfg.heartbeat_ms, Timer::Tick);
        if !self.is_member() {
            return;
        }
        let now = self.now;
        let silent: Vec<Id> = self
            .table
            .iter()
            .filter(|(_, n)| now.saturating_sub(n.heard) >= self.cfg.dead_after_ms)
            .map(|(&id, _)| id)
            .collect();
        for id in silent {
            self.presume_failed(id, out);
        }
        let quiet: Vec<SocketAddr> = self
            .table
            .values()
            .map(|n| n.addr)
            .filter(|a| {
                self.last_sent
                    .get(a)
                    .is_none_or(|&t| now.saturating_sub(t) >= self.cfg.heartbeat_ms)
            })
            .collect();
        for a in quiet {
            self.stats.heartbeats += 1;
            self.send(a, Body::Move { pos: self.pos }, out);
        }
        // Forget send times of addresses no longer in the table.
        let live: BTreeSet<SocketAddr> = self.table.values().map(|n| n.addr).collect();
        self.last_sent.retain(|a, _| live.contains(a));
    }
}

impl Process for Node {
    type Msg = Msg;
    type Timer = Timer;
    type Event = Event;

    fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn start(&mut self, now: Millis, out: &mut Out) {
        self.now = now;
        if self.cfg.heartbeat_ms > 0 {
            out.timer(self.cfg.heartbeat_ms, Timer::Tick);
        }
    }

    fn on_message(&mut self, now: Millis, from: SocketAddr, msg: Msg, out: &mut Out) {
        self.now = now;
        let kind = msg.body.kind();
        self.stats.received += 1;
        self.stats.bytes_received += msg.encoded_len() as u64;
        *self.stats.received_by_kind.entry(kind.name()).or_default() += 1;
        if from == self.addr {
            return self.reject("own address as source");
        }
        if msg.from == self.id {
            return self.reject("own id as sender");
        }
        match kind {
            Kind::Query => return self.answer_query(from, out),
            Kind::View => return self.reject("VIEW to a node"),
            _ => {}
        }
        if !kind.sequenced() {
            return self.deliver(from, msg, out);
        }
        match self.links.accept(from, msg) {
            Accept::Deliver(ms) => {
                for m in ms {
                    self.deliver(from, m, out);
                }
            }
            Accept::Held { arm } => {
                self.stats.held_back += 1;
                if arm {
                    out.timer(self.cfg.gap_ms, Timer::Gap { from });
                }
            }
            Accept::Dropped(why) => self.reject(why),
        }
    }

    fn on_timer(&mut self, now: Millis, timer: Timer, out: &mut Out) {
        self.now = now;
        match timer {
            Timer::Tick => self.tick(out),
            Timer::JoinRetry { attempt } => {
                let Some((gateway, current)) = self.joining else {
                    return;
                };
                if self.status != Status::Joining || current != attempt {
                    return;
                }
                if attempt >= self.cfg.join_attempts {
                    self.joining = None;
                    self.status = Status::Outside;
                    out.event(Event::JoinFailed { attempts: attempt });
                } else {
                    self.send_join(gateway, attempt + 1, out);
                }
            }
            Timer::Gap { from } => {
                let (ms, skipped, again) = self.links.gap(from);
                self.stats.gaps_skipped += skipped;
                if again {
                    out.timer(self.cfg.gap_ms, Timer::Gap { from });
                }
                for m in ms {
                    self.deliver(from, m, out);
                }
            }
        }
    }
}
