//! The sans-IO CAN node: state, configuration, and the dispatch of inputs.
//! The protocol steps are in the files named for them: [`super::routing`],
//! [`super::join`], [`super::update`], [`super::leave`],
//! [`super::takeover`], [`super::reassign`], [`super::store`].

use std::collections::BTreeMap;
use std::net::SocketAddr;

use super::neighbors::Neighbors;
use super::point::{Point, MAX_DIMS};
use super::reassign::Reassign;
use super::store::Task;
use super::takeover::Takeover;
use super::volume::Volume;
use super::wire::{Msg, NbrInfo, Routed, StuckReason};
use super::zone::{total_volume, Zone};
use crate::runtime::{Millis, OutboxOf, Process};

/// The most realities a node takes part in.
pub const MAX_REALITIES: usize = 16;

/// Knobs of a node. Periods of zero switch a timer off (tests and the
/// large simulations drive every step themselves).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// d: dimensions of every coordinate space (1 ..= 8).
    pub dims: usize,
    /// r: realities, independent coordinate spaces (§3, "Realities").
    pub realities: usize,
    /// Period of the UPDATE to every neighbour, which doubles as the
    /// heartbeat, and of the check for silent neighbours.
    pub refresh_ms: Millis,
    /// A neighbour silent this long is presumed failed.
    pub dead_after_ms: Millis,
    /// The takeover timer is 1 ms + this × (own volume / whole space).
    pub takeover_ms: Millis,
    /// After sending TAKEOVER, how long to wait for a better claim.
    pub claim_ms: Millis,
    /// Period of background zone reassignment.
    pub reassign_ms: Millis,
    /// Which extra zone a node holding several gives back first.
    pub reassign_pick: ReassignPick,
    /// A direct request (hand-over, swap) unanswered this long failed.
    pub timeout_ms: Millis,
    /// A routed request (join, lookup, put, get, probe) unanswered this
    /// long failed.
    pub route_timeout_ms: Millis,
    /// Forwards a routed message may take.
    pub ttl: u32,
    /// Join attempts per reality before giving up.
    pub join_attempts: u32,
    /// A deliberate bug, for the conformance harness's mutation tests.
    /// Always [`Mutation::None`] outside tests.
    pub mutation: Mutation,
}

/// Which of its zones a node holding several hands back first in a
/// background reassignment ([`super::reassign`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReassignPick {
    /// The deepest (smallest) zone, ties to the lowest in zone order: the
    /// default, which keeps the larger zone where it is.
    #[default]
    Deepest,
    /// The zone acquired last (handed over by a leaver, or taken over):
    /// the paper's reading, where the node that took a zone over is the
    /// one that reassigns it; what the CAN model does, so the
    /// conformance harness selects it.
    LastAcquired,
}

/// Deliberate bugs, for mutation tests of the conformance harness
/// (`conformance/src/can`): each breaks one rule of the paper.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mutation {
    #[default]
    None,
    /// A split hands the joiner its half without that half's keys: the
    /// owner keeps them (§2.2 says they move with the zone).
    SplitKeepsKeys,
    /// A claimant ignores better TAKEOVER claims (no volume comparison,
    /// §2.3): every neighbour whose timer fires takes the zone.
    TakeoverWithoutVolume,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            dims: 2,
            realities: 1,
            refresh_ms: 1000,
            dead_after_ms: 3500,
            takeover_ms: 1000,
            claim_ms: 300,
            reassign_ms: 2000,
            reassign_pick: ReassignPick::Deepest,
            timeout_ms: 1000,
            route_timeout_ms: 20_000,
            ttl: 1024,
            join_attempts: 3,
            mutation: Mutation::None,
        }
    }
}

impl Config {
    /// No periodic timers: refreshes, failure detection and reassignment
    /// run only when called.
    pub fn manual(dims: usize, realities: usize) -> Config {
        Config {
            dims,
            realities,
            refresh_ms: 0,
            reassign_ms: 0,
            ..Config::default()
        }
    }

    /// Why this configuration cannot run, if it cannot.
    pub fn check(&self) -> Result<(), String> {
        if !(1..=MAX_DIMS).contains(&self.dims) {
            return Err(format!(
                "dimensions must be 1 to {MAX_DIMS}, not {}",
                self.dims
            ));
        }
        if !(1..=MAX_REALITIES).contains(&self.realities) {
            return Err(format!(
                "realities must be 1 to {MAX_REALITIES}, not {}",
                self.realities
            ));
        }
        Ok(())
    }
}

/// Where a node is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Not in the overlay (yet).
    Outside,
    /// Join requests are out; some realities may be joined already.
    Joining,
    Member,
    /// Handing its zones over (§2.3).
    Leaving,
    /// Gone: holds nothing, answers nothing.
    Left,
}

/// Timers a node sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    Refresh,
    Reassign,
    /// Request `req` is overdue.
    Timeout(u64),
    /// The takeover timer for `failed` (§2.3) fired.
    TakeoverFire {
        reality: u8,
        failed: SocketAddr,
    },
    /// No better claim than ours for `failed` arrived in time.
    TakeoverDecide {
        reality: u8,
        failed: SocketAddr,
    },
    /// Ask to join `reality` again (attempt `attempt`).
    JoinRetry {
        reality: u8,
        bootstrap: SocketAddr,
        attempt: u32,
    },
}

/// What a node tells its driver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The node got its zone in one reality.
    Joined {
        reality: u8,
        zone: Zone,
    },
    JoinFailed {
        reality: u8,
        reason: String,
    },
    /// A lookup ended (`owner` is `None` when the route failed).
    LookupDone {
        tag: u64,
        reality: u8,
        target: Point,
        owner: Option<SocketAddr>,
        hops: u32,
    },
    /// A put ended: `stored` of the realities acknowledged it; `hops` is
    /// the longest route.
    PutDone {
        tag: u64,
        stored: usize,
        hops: u32,
    },
    /// A get ended: the value, the reality it came from, the hops of the
    /// route that answered last, and how many realities were tried.
    GetDone {
        tag: u64,
        value: Option<String>,
        reality: Option<u8>,
        hops: u32,
        attempts: u32,
    },
    /// A graceful leave ended; `lost` zones found no taker.
    Left {
        handed: usize,
        lost: usize,
    },
    /// This node took over a failed neighbour's zones (their keys are
    /// lost: soft state, re-put by their holders).
    TookOver {
        reality: u8,
        failed: SocketAddr,
        zones: Vec<Zone>,
    },
}

/// Counters, for drivers, tests and benchmarks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub received: u64,
    pub sent: u64,
    /// Routed messages passed on.
    pub forwarded: u64,
    /// Routed messages dropped here: no live neighbour strictly closer.
    pub stuck: u64,
    /// Routed messages dropped here: out of hops.
    pub ttl_expired: u64,
    pub timeouts: u64,
    /// Answers that matched no outstanding request (late or forged).
    pub unexpected: u64,
    /// Messages dropped for claiming impossible things, by reason.
    pub rejected: BTreeMap<&'static str, u64>,
    /// Takeovers this node won (§2.3).
    pub takeovers: u64,
    /// Reassignments this node started that ended by a hand-over (to
    /// the sibling's owner, or of Z2 to p) or by a swap with q.
    pub reassign_handoffs: u64,
    pub reassign_swaps: u64,
}

/// One coordinate space as this node sees it.
#[derive(Clone, Debug)]
pub struct Reality {
    /// Where the node asks to join.
    pub(super) point: Point,
    /// The zones it owns, sorted, disjoint.
    pub(super) zones: Vec<Zone>,
    /// Bumped on every change of `zones`.
    pub(super) ver: u64,
    pub(super) nbrs: Neighbors,
    /// Keys whose point in this reality lies in `zones`.
    pub(super) items: BTreeMap<String, String>,
    pub(super) takeovers: BTreeMap<SocketAddr, Takeover>,
    pub(super) reassign: Option<Reassign>,
    /// `zones` in the order they were acquired (a merged zone takes the
    /// place of the earlier of its parts; kept by [`Reality::changed`]).
    pub(super) acquired: Vec<Zone>,
    /// The join of this reality failed for good ([`Event::JoinFailed`]);
    /// cleared when a driver asks again ([`Node::rejoin`]).
    pub(super) join_given_up: bool,
}

impl Reality {
    fn new(point: Point) -> Reality {
        Reality {
            point,
            zones: Vec::new(),
            ver: 0,
            nbrs: Neighbors::default(),
            items: BTreeMap::new(),
            takeovers: BTreeMap::new(),
            reassign: None,
            acquired: Vec::new(),
            join_given_up: false,
        }
    }

    /// `zones` changed: bump the version and bring the acquisition order
    /// up to date (a zone keeps the rank of the earliest zone it
    /// overlaps; zones new to this node come last, in zone order).
    pub(super) fn changed(&mut self) {
        self.ver += 1;
        let old = std::mem::take(&mut self.acquired);
        let rank = |z: &Zone| {
            old.iter()
                .position(|o| o.intersects(z))
                .unwrap_or(usize::MAX)
        };
        let mut zs = self.zones.clone();
        zs.sort_by_key(|z| (rank(z), *z));
        self.acquired = zs;
    }

    /// The zones in the order they were acquired.
    pub fn acquired(&self) -> &[Zone] {
        &self.acquired
    }

    pub fn zones(&self) -> &[Zone] {
        &self.zones
    }
    pub fn ver(&self) -> u64 {
        self.ver
    }
    pub fn point(&self) -> Point {
        self.point
    }
    pub fn neighbors(&self) -> &Neighbors {
        &self.nbrs
    }
    pub fn items(&self) -> &BTreeMap<String, String> {
        &self.items
    }
    pub fn volume(&self) -> Volume {
        total_volume(&self.zones)
    }
    /// Whether the node owns point `p` here.
    pub fn owns(&self, p: &Point) -> bool {
        self.zones.iter().any(|z| z.contains(p))
    }
    pub fn joined(&self) -> bool {
        !self.zones.is_empty()
    }
}

/// What an outstanding request id is waiting for.
#[derive(Clone, Debug)]
pub(super) enum Wait {
    Join {
        reality: usize,
        bootstrap: SocketAddr,
        attempt: u32,
    },
    Lookup {
        tag: u64,
        reality: usize,
        target: Point,
    },
    Put {
        task: u64,
        reality: usize,
    },
    Get {
        task: u64,
        reality: usize,
    },
    /// A hand-over of `zones` to `to` (leave, reassignment, or the
    /// second half of a swap).
    Give {
        reality: usize,
        zones: Vec<Zone>,
        to: SocketAddr,
        why: Give,
    },
    /// A swap: `to` takes `zone` from us.
    Swap {
        reality: usize,
        zone: Zone,
        to: SocketAddr,
    },
    Probe {
        reality: usize,
    },
}

/// Why zones are handed over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Give {
    Leave,
    Reassign,
    /// Our part of someone else's swap.
    Swapped,
}

/// A CAN node.
#[derive(Clone, Debug)]
pub struct Node {
    pub(super) cfg: Config,
    pub(super) addr: SocketAddr,
    pub(super) status: Status,
    pub(super) realities: Vec<Reality>,
    pub(super) next_req: u64,
    pub(super) waits: BTreeMap<u64, Wait>,
    pub(super) tasks: BTreeMap<u64, Task>,
    pub(super) leave: Option<super::leave::Leave>,
    /// Refreshes so far (rotates the first hop of table repairs).
    pub(super) rounds: u64,
    pub(super) stats: Stats,
}

/// Why a local command could not run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotEnabled(pub String);

pub(super) type Out = OutboxOf<Node>;

impl Node {
    /// A node outside the overlay that will join at the points of its
    /// address (SHA-1, see [`super::point`]).
    pub fn new(cfg: Config, addr: SocketAddr) -> Node {
        let points = (0..cfg.realities)
            .map(|r| Point::of_addr(addr, r as u8, cfg.dims))
            .collect();
        Node::with_points(cfg, addr, points)
    }

    /// A node that will join at the given point of each reality (tests,
    /// the conformance harness, seeded simulations).
    pub fn with_points(cfg: Config, addr: SocketAddr, points: Vec<Point>) -> Node {
        if let Err(e) = cfg.check() {
            panic!("invalid CAN configuration: {e}");
        }
        assert_eq!(points.len(), cfg.realities, "one point per reality");
        assert!(
            points.iter().all(|p| p.dims() == cfg.dims),
            "points of {} dimensions",
            cfg.dims
        );
        Node {
            realities: points.into_iter().map(Reality::new).collect(),
            cfg,
            addr,
            status: Status::Outside,
            next_req: 1,
            waits: BTreeMap::new(),
            tasks: BTreeMap::new(),
            leave: None,
            rounds: 0,
            stats: Stats::default(),
        }
    }

    /// The first node: it owns the whole space of every reality.
    pub fn first(cfg: Config, addr: SocketAddr) -> Node {
        Node::new(cfg, addr).founding()
    }

    /// This node as the first of a new overlay: it owns everything.
    pub fn founding(mut self) -> Node {
        for r in &mut self.realities {
            r.zones = vec![Zone::whole(self.cfg.dims)];
            r.acquired = r.zones.clone();
            r.ver = 1;
        }
        self.status = Status::Member;
        self
    }

    /// A member with given zones and neighbours, as the oracle builds
    /// them (`zones[ρ]`, `nbrs[ρ]` = (address, zones) per reality).
    pub fn with_state(
        cfg: Config,
        addr: SocketAddr,
        points: Vec<Point>,
        zones: Vec<Vec<Zone>>,
        nbrs: Vec<Vec<(SocketAddr, Vec<Zone>)>>,
    ) -> Node {
        let mut n = Node::with_points(cfg, addr, points);
        for ((r, z), ns) in n.realities.iter_mut().zip(zones).zip(nbrs) {
            r.zones = z;
            r.acquired = r.zones.clone();
            r.ver = 1;
            for (a, zs) in ns {
                r.nbrs.insert(a, zs, 1, 0);
            }
        }
        n.status = Status::Member;
        n
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }
    pub fn status(&self) -> Status {
        self.status
    }
    pub fn is_member(&self) -> bool {
        self.status == Status::Member
    }
    pub fn reality(&self, r: usize) -> &Reality {
        &self.realities[r]
    }
    pub fn realities(&self) -> &[Reality] {
        &self.realities
    }
    pub fn stats(&self) -> &Stats {
        &self.stats
    }
    /// Requests still waiting for an answer.
    pub fn outstanding(&self) -> usize {
        self.waits.len()
    }

    pub(super) fn send(&mut self, to: SocketAddr, msg: Msg, out: &mut Out) {
        self.stats.sent += 1;
        out.send(to, msg);
    }

    pub(super) fn fresh_req(&mut self) -> u64 {
        let id = self.next_req;
        self.next_req += 1;
        id
    }

    /// Registers a wait and arms its timeout; returns the request id.
    pub(super) fn expect(&mut self, wait: Wait, after: Millis, out: &mut Out) -> u64 {
        let req = self.fresh_req();
        self.waits.insert(req, wait);
        out.timer(after, Timer::Timeout(req));
        req
    }

    pub(super) fn reject(&mut self, why: &'static str) {
        *self.stats.rejected.entry(why).or_insert(0) += 1;
    }

    fn arm(&self, timer: Timer, period: Millis, out: &mut Out) {
        if period > 0 {
            out.timer(period, timer);
        }
    }

    /// Why a message from a peer is impossible for this node, if it is.
    fn impossible(&self, from: SocketAddr, msg: &Msg) -> Option<&'static str> {
        // A node never sends to itself (answers to itself are taken
        // locally): this source is forged, and an answer would go to us.
        if from == self.addr {
            return Some("a message from our own address");
        }
        if usize::from(msg.reality()) >= self.cfg.realities {
            return Some("unknown reality");
        }
        let (zones, points) = msg.geometry();
        if zones
            .iter()
            .map(|z| z.dims())
            .chain(points)
            .any(|d| d != self.cfg.dims)
        {
            return Some("wrong dimension count");
        }
        // A key lives at its own point: a put or get routed elsewhere
        // would store it where no hand-over or read looks for it.
        if let Msg::Route {
            reality,
            target,
            body: Routed::Put { key, .. } | Routed::Get { key, .. },
            ..
        } = msg
        {
            if Point::of_key(key, *reality, self.cfg.dims) != *target {
                return Some("a key routed to another point");
            }
        }
        // One node's zones, as the sender claims them for itself or for
        // a neighbour, never overlap.
        let claims: &[Zone] = match msg {
            Msg::Update { zones, .. } | Msg::Handoff { zones, .. } | Msg::Took { zones, .. } => {
                zones
            }
            _ => &[],
        };
        let nbrs: &[NbrInfo] = match msg {
            Msg::Update { nbrs, .. }
            | Msg::Handoff { nbrs, .. }
            | Msg::Swap { nbrs, .. }
            | Msg::JoinAccept { nbrs, .. } => nbrs,
            _ => &[],
        };
        let overlap = |zs: &[Zone]| {
            zs.iter()
                .enumerate()
                .any(|(i, a)| zs[i + 1..].iter().any(|b| a.intersects(b)))
        };
        if overlap(claims) || nbrs.iter().any(|n| overlap(&n.zones)) {
            return Some("overlapping zones");
        }
        None
    }
}

impl Process for Node {
    type Msg = Msg;
    type Timer = Timer;
    type Event = Event;

    fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn start(&mut self, _now: Millis, out: &mut Out) {
        self.arm(Timer::Refresh, self.cfg.refresh_ms, out);
        self.arm(Timer::Reassign, self.cfg.reassign_ms, out);
    }

    fn on_message(&mut self, now: Millis, from: SocketAddr, msg: Msg, out: &mut Out) {
        self.stats.received += 1;
        if self.status == Status::Left {
            return;
        }
        if let Some(why) = self.impossible(from, &msg) {
            self.reject(why);
            return;
        }
        let reality = usize::from(msg.reality());
        match msg {
            Msg::Route {
                target,
                hops,
                ttl,
                body,
                ..
            } => self.route(now, reality, target, hops, ttl, body, out),
            Msg::Update {
                ver, zones, nbrs, ..
            } => self.on_update(now, from, reality, ver, zones, nbrs, out),
            Msg::Takeover { failed, volume, .. } => {
                self.on_takeover(now, from, reality, failed, volume, out)
            }
            Msg::Handoff {
                req,
                zones,
                items,
                nbrs,
                ..
            } => self.on_handoff(now, from, req, reality, zones, items, nbrs, out),
            Msg::Swap {
                req,
                take,
                items,
                nbrs,
                give,
                to,
                ..
            } => self.on_swap(now, from, req, reality, take, items, nbrs, give, to, out),
            Msg::JoinAccept {
                req,
                zone,
                items,
                nbrs,
                ..
            } => {
                self.waits.remove(&req);
                self.accepted(now, reality, zone, items, nbrs, out)
            }
            answer => self.answer_arrived(now, from, answer, out),
        }
    }

    fn on_timer(&mut self, now: Millis, timer: Timer, out: &mut Out) {
        match timer {
            Timer::Refresh => {
                self.refresh(now, out);
                self.arm(Timer::Refresh, self.cfg.refresh_ms, out);
            }
            Timer::Reassign => {
                self.reassign(now, out);
                self.arm(Timer::Reassign, self.cfg.reassign_ms, out);
            }
            Timer::Timeout(req) => {
                if let Some(wait) = self.waits.remove(&req) {
                    self.stats.timeouts += 1;
                    self.on_failure(now, wait, "no answer in time", out);
                }
            }
            Timer::TakeoverFire { reality, failed } => {
                self.takeover_fire(now, usize::from(reality), failed, out)
            }
            Timer::TakeoverDecide { reality, failed } => {
                self.takeover_decide(now, usize::from(reality), failed, out)
            }
            Timer::JoinRetry {
                reality,
                bootstrap,
                attempt,
            } => self.retry_join(usize::from(reality), bootstrap, attempt, out),
        }
    }
}

impl Node {
    /// An answer to one of our requests arrived (or was given locally).
    pub(super) fn answer_arrived(
        &mut self,
        now: Millis,
        from: SocketAddr,
        msg: Msg,
        out: &mut Out,
    ) {
        let Some(req) = msg.answers() else {
            return self.stats.unexpected += 1;
        };
        // A direct request is answered by the node asked, or not at all: an
        // answer from elsewhere (forged, or a guess) leaves the wait alone.
        let asked = match self.waits.get(&req) {
            Some(Wait::Give { to, .. } | Wait::Swap { to, .. }) => Some(*to),
            Some(_) => None,
            None => return self.stats.unexpected += 1,
        };
        if asked.is_some_and(|to| to != from) {
            return self.stats.unexpected += 1;
        }
        if let Some(wait) = self.waits.remove(&req) {
            self.on_reply(now, wait, from, msg, out);
        }
    }

    /// An answer arrived for `wait`.
    fn on_reply(&mut self, now: Millis, wait: Wait, from: SocketAddr, msg: Msg, out: &mut Out) {
        match (wait, msg) {
            (wait, Msg::Stuck { reason, .. }) => {
                let why = match reason {
                    StuckReason::NoCloser => "the route got stuck",
                    StuckReason::Ttl => "the route ran out of hops",
                };
                self.on_failure(now, wait, why, out)
            }
            (wait, Msg::Refused { reason, .. }) => self.on_failure(now, wait, &reason, out),
            (
                Wait::Lookup {
                    tag,
                    reality,
                    target,
                },
                Msg::Found { hops, .. },
            ) => out.event(Event::LookupDone {
                tag,
                reality: reality as u8,
                target,
                owner: Some(from),
                hops,
            }),
            (Wait::Put { task, reality }, Msg::Stored { hops, .. }) => {
                self.put_answered(task, reality, Some(hops), out)
            }
            (Wait::Get { task, reality }, Msg::Value { hops, value, .. }) => {
                self.get_answered(now, task, reality, hops, value, out)
            }
            (
                Wait::Give {
                    reality,
                    zones,
                    why,
                    ..
                },
                Msg::Took {
                    ver, zones: theirs, ..
                },
            ) => {
                self.given(now, reality, &zones, from, ver, theirs, out);
                self.give_done(now, reality, why, true, out)
            }
            (
                Wait::Swap { reality, zone, .. },
                Msg::Took {
                    ver, zones: theirs, ..
                },
            ) => {
                self.given(now, reality, &[zone], from, ver, theirs, out);
                self.realities[reality].reassign = None;
                self.stats.reassign_swaps += 1;
            }
            (Wait::Probe { reality }, Msg::ProbeReply { zone, .. }) => {
                self.probed(now, reality, from, zone, out)
            }
            _ => self.stats.unexpected += 1,
        }
    }

    /// `wait` failed: no answer, a refusal, or a stuck route.
    fn on_failure(&mut self, now: Millis, wait: Wait, why: &str, out: &mut Out) {
        match wait {
            Wait::Join {
                reality,
                bootstrap,
                attempt,
            } => self.join_failed(reality, bootstrap, attempt, why, out),
            Wait::Lookup {
                tag,
                reality,
                target,
            } => out.event(Event::LookupDone {
                tag,
                reality: reality as u8,
                target,
                owner: None,
                hops: 0,
            }),
            Wait::Put { task, reality } => self.put_answered(task, reality, None, out),
            Wait::Get { task, reality } => self.get_answered(now, task, reality, 0, None, out),
            Wait::Give { reality, why, .. } => self.give_done(now, reality, why, false, out),
            Wait::Swap { reality, .. } | Wait::Probe { reality } => {
                self.realities[reality].reassign = None
            }
        }
    }
}
