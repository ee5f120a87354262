//! The sans-IO VON node: state, configuration, local commands (join,
//! move, leave) and the handling of every message, as
//! the VON model's essay (`models/src/von/mod.rs`) describes them, in either of its two
//! protocols ([`Protocol`]: the paper's, or the hardened one, the
//! default); see the module notes in [`super`] for the deviations.

use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Arc;

use super::geometry::{Id, Point, View};
use super::link::{Accept, Links};
use super::wire::{Body, Check, Entry, Kind, Msg, Status, MAX_ENTRIES, MAX_HINTS, MAX_KNOWS};
use crate::runtime::{Millis, OutboxOf, Process};

/// Which VON a node runs (the VON model's essay (`models/src/von/mod.rs`)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Protocol {
    /// VON as published: plain HELLO and MOVE, the MOVE receiver's
    /// before/after check (per kind), repair NOTIFYs after a removal.
    Paper,
    /// VON as the model checker found it correct (v2 a–f): HELLO and MOVE
    /// carry the sender's table (`knows`), its belief of the receiver's
    /// position (`seen`) and hints; both are checked exactly and answered
    /// when `seen` is wrong; removed nodes are tombstoned; repair NOTIFYs
    /// name the node gone; LEAVE hands over the leaver's neighbours.
    #[default]
    Hardened,
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Paper => "paper",
            Protocol::Hardened => "hardened",
        }
    }

    /// `paper`, or `hardened` (also called `correct`, the model's name).
    pub fn parse(s: &str) -> Option<Protocol> {
        match s {
            "paper" => Some(Protocol::Paper),
            "hardened" | "correct" => Some(Protocol::Hardened),
            _ => None,
        }
    }
}

/// Deliberate bugs, for the conformance harness's negative controls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mutation {
    #[default]
    None,
    /// HELLO and MOVE receivers never NOTIFY the sender.
    NoNotifyCheck,
    /// A removal is not followed by repair NOTIFYs.
    NoRepairNotify,
    /// Removed nodes are not tombstoned (hardened).
    NoTombstones,
}

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
    /// The paper's VON or the hardened one (the default).
    pub protocol: Protocol,
    /// How long a removed node stays tombstoned (hardened): news of it is
    /// ignored meanwhile. 0: for ever (the model's tombstones; also what
    /// a node without heartbeats gets, as expiry runs on its tick).
    pub tombstone_ms: Millis,
    /// A deliberate bug (tests only).
    pub mutation: Mutation,
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
            protocol: Protocol::Hardened,
            tombstone_ms: 60_000,
            mutation: Mutation::None,
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
    /// HELLOs and MOVEs ignored because their sender is tombstoned.
    pub from_removed: u64,
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
    /// Removed nodes (hardened) and when they were removed.
    tombstones: BTreeMap<Id, Millis>,
    links: Links,
    /// When we last sent anything to each address (heartbeats go only to
    /// entries that got nothing else for a period).
    last_sent: BTreeMap<SocketAddr, Millis>,
    /// The JOIN outstanding: through which gateway, which attempt.
    joining: Option<(SocketAddr, u32)>,
    /// This node's view (a Delaunay triangulation of itself and its
    /// entries), computed on first use after the table or the position
    /// changed: a message typically needs it several times (check,
    /// prune, greetings, answer), and it is most of a node's work.
    view: OnceCell<Arc<View>>,
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
            tombstones: BTreeMap::new(),
            links: Links::default(),
            last_sent: BTreeMap::new(),
            joining: None,
            view: OnceCell::new(),
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

    /// A member whose table starts with `entries` (pruned): a settled
    /// overlay's node, for drivers that build one (the conformance harness
    /// starts from the model's settled initial state this way).
    pub fn member(
        cfg: Config,
        id: Id,
        addr: SocketAddr,
        pos: Point,
        entries: impl IntoIterator<Item = Entry>,
    ) -> Node {
        let mut n = Node::first(cfg, id, addr, pos);
        for e in entries {
            if e.id != id && e.addr != addr {
                n.upsert(e.id, e.addr, e.pos);
            }
        }
        n.prune();
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
        (*self.cached_view()).clone()
    }

    /// The view, computed once per change of the table or the position.
    fn cached_view(&self) -> Arc<View> {
        self.view
            .get_or_init(|| Arc::new(View::of(self.id, self.pos, self.entries())))
            .clone()
    }

    /// The table or the position changed: the view must be recomputed.
    fn changed(&mut self) {
        self.view = OnceCell::new();
    }
    /// The tombstoned ids (hardened).
    pub fn tombstones(&self) -> BTreeSet<Id> {
        self.tombstones.keys().copied().collect()
    }
    fn hardened(&self) -> bool {
        self.cfg.protocol == Protocol::Hardened
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
        self.changed();
        self.send_moves(out);
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
        // Hardened: each receiver gets the nodes relevant to it once this
        // node is gone, in this node's view without itself.
        let rest = View::new(self.entries());
        let to: Vec<(Id, SocketAddr)> = self.table.iter().map(|(&z, n)| (z, n.addr)).collect();
        for (z, a) in to {
            let entries = if self.hardened() {
                let mut rel = rest.relevant(z, self.cfg.aoi);
                rel.remove(&z);
                rel.into_iter().filter_map(|w| self.entry(w)).collect()
            } else {
                Vec::new()
            };
            let mut chunks: Vec<Vec<Entry>> =
                entries.chunks(MAX_ENTRIES).map(|c| c.to_vec()).collect();
            if chunks.is_empty() {
                chunks.push(Vec::new());
            }
            for entries in chunks {
                self.send(a, Body::Leave { entries }, out);
            }
        }
        self.table.clear();
        self.changed();
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
        let old = self.table.insert(id, Neighbour { addr, pos, heard });
        if old.is_none_or(|n| n.pos != pos) {
            self.changed();
        }
    }

    /// VON's disconnection: drop every entry neither enclosing nor in the
    /// AOI, in this node's own view.
    fn prune(&mut self) {
        let keep = self.cached_view().relevant(self.id, self.cfg.aoi);
        let before = self.table.len();
        self.table.retain(|id, _| keep.contains(id));
        if self.table.len() != before {
            self.changed();
        }
    }

    fn tombstone(&mut self, id: Id) {
        if self.hardened() && self.cfg.mutation != Mutation::NoTombstones {
            self.tombstones.insert(id, self.now);
        }
    }

    /// Adds every listed node that is not this node, not known and not
    /// tombstoned (never overwriting a known position); returns them.
    fn learn_unknown(&mut self, entries: &[Entry]) -> BTreeSet<Id> {
        let mut added = BTreeSet::new();
        for e in entries {
            if e.id == self.id || e.addr == self.addr {
                // A correct node never lists the receiver to itself.
                self.reject("list naming this node");
                continue;
            }
            if !self.table.contains_key(&e.id) && !self.tombstones.contains_key(&e.id) {
                self.upsert(e.id, e.addr, e.pos);
                added.insert(e.id);
            }
        }
        added
    }

    /// The check a hardened HELLO or MOVE to `z` carries, `z` believed at
    /// `seen`: this node's table, and the nodes relevant to z in its view
    /// (z added at `seen` if not listed), minus z.
    fn check_for(&self, view: &View, z: Id, seen: Point) -> (Check, Vec<Entry>) {
        let knows: Vec<Id> = self.table.keys().copied().collect();
        let rel = if self.table.contains_key(&z) {
            view.relevant(z, self.cfg.aoi)
        } else {
            let mut sites = view.sites().clone();
            sites.insert(z, seen);
            View::new(sites).relevant(z, self.cfg.aoi)
        };
        let mut hints: Vec<Entry> = rel
            .into_iter()
            .filter(|&w| w != z)
            .filter_map(|w| self.entry(w))
            .collect();
        let spill = if hints.len() > MAX_HINTS {
            hints.split_off(MAX_HINTS)
        } else {
            Vec::new()
        };
        let mut knows = knows;
        knows.truncate(MAX_KNOWS);
        (Check { seen, knows, hints }, spill)
    }

    /// HELLO to `z` at `to`, believed at `seen` (hardened: with a check).
    fn hello(&mut self, z: Id, to: SocketAddr, seen: Point, out: &mut Out) {
        let pos = self.pos;
        if !self.hardened() {
            return self.send(to, Body::Hello { pos, check: None }, out);
        }
        let (check, spill) = self.check_for(&self.cached_view(), z, seen);
        self.send(
            to,
            Body::Hello {
                pos,
                check: Some(check),
            },
            out,
        );
        self.spill(to, spill, out);
    }

    /// Hints beyond [`MAX_HINTS`] follow as NOTIFYs.
    fn spill(&mut self, to: SocketAddr, spill: Vec<Entry>, out: &mut Out) {
        if !spill.is_empty() {
            self.send_list(
                to,
                spill,
                |entries| Body::Notify {
                    entries,
                    gone: None,
                },
                out,
            );
        }
    }

    /// HELLO to each of `ids` still in the table (id order), at the
    /// position the table holds.
    fn greet(&mut self, ids: impl IntoIterator<Item = Id>, out: &mut Out) {
        for z in ids {
            if let Some(n) = self.table.get(&z).copied() {
                self.hello(z, n.addr, n.pos, out);
            }
        }
    }

    /// MOVE to every entry (id order), at this node's position (a move, or
    /// the heartbeat), before pruning.
    fn send_moves(&mut self, out: &mut Out) {
        let pos = self.pos;
        let view = self.cached_view();
        let to: Vec<(Id, Neighbour)> = self.table.iter().map(|(&z, n)| (z, *n)).collect();
        for (z, n) in to {
            if !self.hardened() {
                self.send(n.addr, Body::Move { pos, check: None }, out);
                continue;
            }
            let (check, spill) = self.check_for(&view, z, n.pos);
            self.send(
                n.addr,
                Body::Move {
                    pos,
                    check: Some(check),
                },
                out,
            );
            self.spill(n.addr, spill, out);
        }
    }

    /// LEAVE or failure of `gone`: remove it (hardened: tombstone it), and
    /// tell every remaining entry w of the sites that became relevant to
    /// w by the removal (per kind; hardened: naming `gone`).
    fn remove_and_repair(&mut self, gone: Id, out: &mut Out) {
        let before = self.cached_view();
        if self.table.remove(&gone).is_none() {
            return;
        }
        self.changed();
        self.tombstone(gone);
        if self.cfg.mutation == Mutation::NoRepairNotify {
            return;
        }
        let after = self.cached_view();
        let named = self.hardened().then_some(gone);
        let ws: Vec<Id> = self.table.keys().copied().collect();
        for w in ws {
            let new: Vec<Entry> = after
                .news(Some(&before), w, self.cfg.aoi)
                .into_iter()
                .filter(|z| *z != w && *z != self.id)
                .filter_map(|z| self.entry(z))
                .collect();
            if !new.is_empty() {
                let to = self.table[&w].addr;
                self.send_list(
                    to,
                    new,
                    |entries| Body::Notify {
                        entries,
                        gone: named,
                    },
                    out,
                );
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
            Body::Hello { .. } | Body::Move { .. }
                if self.hardened() && self.tombstones.contains_key(&sender) =>
            {
                self.stats.from_removed += 1;
            }
            Body::Hello { pos, .. } if !self.hardened() => {
                self.upsert(sender, from, pos);
                self.prune();
            }
            Body::Hello { pos, check } => self.on_move(sender, from, pos, check, true, out),
            Body::Move { pos, check } => self.on_move(sender, from, pos, check, false, out),
            Body::Notify { entries, gone } => self.on_notify(entries, gone, out),
            Body::Leave { entries } => {
                let listed = self.table.get(&sender).is_some_and(|n| n.addr == from);
                if listed {
                    self.remove_and_repair(sender, out);
                } else if entries.is_empty() {
                    return self.reject("LEAVE from a non-entry");
                }
                let added = self.learn_unknown(&entries);
                self.prune();
                self.greet(added, out);
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
            return self.on_notify(entries, None, out);
        }
        self.status = Status::Member;
        self.joining = None;
        for e in entries {
            if e.id == self.id || e.addr == self.addr {
                self.reject("list naming this node");
                continue;
            }
            if !self.tombstones.contains_key(&e.id) {
                self.upsert(e.id, e.addr, e.pos);
            }
        }
        self.prune();
        let all: Vec<Id> = self.table.keys().copied().collect();
        self.greet(all, out);
        out.event(Event::Joined {
            acceptor,
            hops,
            entries: self.table.len(),
        });
    }

    /// MOVE (both protocols) or HELLO (hardened) from `x` at `from`: learn
    /// x at `pos` and tell it what it misses. Paper: the nodes that became
    /// relevant to x in this node's view (per kind; all of them if x was
    /// unknown). Hardened: learn the hints first; then exactly the nodes
    /// relevant to x here that x's `knows` lacks; greet the hinted nodes
    /// kept; and answer x with a HELLO if x believes this node elsewhere.
    fn on_move(
        &mut self,
        x: Id,
        from: SocketAddr,
        pos: Point,
        check: Option<Check>,
        hello: bool,
        out: &mut Out,
    ) {
        let hardened = self.hardened();
        // A stale `seen` is answered only when nothing else will set it
        // right: this node greeted every node it lists and MOVEs to each
        // when it moves, so a MOVE from a listed node crossed one of ours.
        let answer = hardened
            && check.as_ref().is_some_and(|c| c.seen != self.pos)
            && (hello || !self.table.contains_key(&x));
        let before = (!hardened && self.table.contains_key(&x)).then(|| self.cached_view());
        self.upsert(x, from, pos);
        let hinted = match &check {
            Some(c) if hardened => self.learn_unknown(&c.hints),
            _ => BTreeSet::new(),
        };
        let after = self.cached_view();
        let tell: BTreeSet<Id> = if hardened {
            let knows: BTreeSet<Id> = check
                .as_ref()
                .map(|c| c.knows.iter().copied().collect())
                .unwrap_or_default();
            after
                .relevant(x, self.cfg.aoi)
                .into_iter()
                .filter(|z| !knows.contains(z))
                .collect()
        } else {
            after.news(before.as_deref(), x, self.cfg.aoi)
        };
        let new: Vec<Entry> = tell
            .into_iter()
            .filter(|z| *z != x && *z != self.id)
            .filter_map(|z| self.entry(z))
            .collect();
        if !new.is_empty() && self.cfg.mutation != Mutation::NoNotifyCheck {
            self.send_list(
                from,
                new,
                |entries| Body::Notify {
                    entries,
                    gone: None,
                },
                out,
            );
        }
        self.prune();
        self.greet(hinted.into_iter().filter(|&z| z != x), out);
        if answer {
            // x has this node at a wrong position: set it right (`seen` as
            // x told, so the answer needs no answer).
            self.hello(x, from, pos, out);
        }
    }

    /// NOTIFY: (hardened, or whenever it names one) drop the node `gone`
    /// with its own repair notification, or tombstone it if not listed;
    /// then learn the listed nodes not known, keep the relevant ones,
    /// greet those.
    fn on_notify(&mut self, entries: Vec<Entry>, gone: Option<Id>, out: &mut Out) {
        if let Some(g) = gone {
            if g == self.id {
                self.reject("NOTIFY naming this node gone");
            } else if self.table.contains_key(&g) {
                self.remove_and_repair(g, out);
            } else {
                self.tombstone(g);
            }
        }
        let added = self.learn_unknown(&entries);
        self.prune();
        self.greet(added, out);
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
        if !quiet.is_empty() {
            // Heartbeats: MOVEs to the unchanged position (hardened: with
            // their checks, so a heartbeat also repairs), to the quiet
            // entries only.
            let view = self.cached_view();
            let pos = self.pos;
            let to: Vec<(Id, Neighbour)> = self
                .table
                .iter()
                .filter(|(_, n)| quiet.contains(&n.addr))
                .map(|(&z, n)| (z, *n))
                .collect();
            for (z, n) in to {
                self.stats.heartbeats += 1;
                let (check, spill) = if self.hardened() {
                    let (check, spill) = self.check_for(&view, z, n.pos);
                    (Some(check), spill)
                } else {
                    (None, Vec::new())
                };
                self.send(n.addr, Body::Move { pos, check }, out);
                self.spill(n.addr, spill, out);
            }
        }
        if self.cfg.tombstone_ms > 0 {
            let keep = self.cfg.tombstone_ms;
            self.tombstones
                .retain(|_, &mut t| now.saturating_sub(t) < keep);
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
