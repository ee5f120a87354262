//! VON over real UDP: K nodes in one process, each on its own socket,
//! driven by the generic runtime ([`crate::runtime::udp::spawn`]), and an
//! inspection client that asks nodes what they know (QUERY → VIEW)
//! without joining.
//!
//! * [`run`] binds every socket first (a port in use fails the whole run
//!   before anything joined), then starts the nodes. Without a gateway
//!   the first node is the first of a new overlay and the others join
//!   through it; with gateways every node joins through the first of
//!   them. A join that failed for good ([`Event::JoinFailed`]: the node
//!   sent its JOIN `join_attempts` times) is started again after
//!   `join_retry_ms`, through the next gateway in turn, until it succeeds.
//!   Heartbeats, failure detection and JOIN retries are the node's own
//!   timers, which the runtime fires.
//! * **Positions** are given, drawn from a seeded generator, or (neither)
//!   derived from the SHA-1 of the node's bound address, always inside
//!   the square world [0, W)² ([`positions`]). With a [`Walk`], every
//!   member moves by random waypoints (a seeded point of the world, walked
//!   to in a straight line at a fixed speed, then the next), one MOVE per
//!   step: the sequence of positions is a function of the seed (or the
//!   address) alone ([`Waypoints`]); only its timing is real time.
//! * **Watching**: every `watch_ms` the driver reads each node's table and
//!   reports the entries that came and went ([`Report::Neighbours`]), so an
//!   operator sees the overlay reshape itself as nodes move, join and go.
//! * On SIGINT/SIGTERM (or a test's stop channel) every member sends
//!   LEAVE to each entry (VON's leave needs no hand-over), and the
//!   process returns once those datagrams are out.
//! * Hostile input is never fatal: a datagram that does not decode is
//!   counted by the runtime ([`Counts::malformed`]), a decoded one the
//!   node refuses is counted by reason ([`Stats::rejected`]); both are in
//!   the final [`Report::Stopped`].
//! * [`query`] sends QUERY to nodes and gathers their VIEWs (a table of
//!   more than [`MAX_ENTRIES`] entries comes in several); [`missing_aoi`]
//!   compares the answers: which node lacks another answering node inside
//!   its AOI.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io;
use std::net::{SocketAddr, UdpSocket as StdUdpSocket};
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sha1::{Digest, Sha1};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::geometry::{Id, Point, View};
use super::node::{Config, Event, Node, Stats};
use super::wire::{Body, Entry, Msg, Status, MAX_ENTRIES};
use crate::runtime::udp::{node_addrs, spawn, Clock, Counts, NodeHandle, Shutdown, Stop};
use crate::runtime::{Millis, Wire};

/// The largest UDP payload: a longer datagram cannot exist.
const RECV_BUF: usize = 65_536;

/// A node's id over UDP: the first 8 bytes of the SHA-1 of `ip:port`.
pub fn id_of(addr: SocketAddr) -> Id {
    let d: [u8; 20] = Sha1::digest(addr.to_string().as_bytes()).into();
    u64::from_be_bytes(d[..8].try_into().expect("8 bytes"))
}

/// A seed derived from an address (for placement and walks without
/// `--seed`): the SHA-1's bytes 8..16.
fn seed_of(addr: SocketAddr) -> u64 {
    let d: [u8; 20] = Sha1::digest(addr.to_string().as_bytes()).into();
    u64::from_be_bytes(d[8..16].try_into().expect("8 bytes"))
}

/// A uniform point of the world [0, w)².
fn random_point(rng: &mut ChaCha8Rng, world: f64) -> Point {
    let x = rng.random::<f64>() * world;
    let y = rng.random::<f64>() * world;
    // Below MIN_COORD (or a subnormal product): 0, still in the world.
    let fix = |c: f64| {
        if c < super::geometry::MIN_COORD {
            0.0
        } else {
            c
        }
    };
    Point::new(fix(x), fix(y)).expect("a point of a checked world is valid")
}

/// Where the nodes of a process stand.
#[derive(Clone, Debug, PartialEq)]
pub enum Placement {
    /// These positions, one per node.
    Given(Vec<Point>),
    /// Node i gets the i-th point of a ChaCha8 stream seeded with this.
    Seeded(u64),
    /// Each node a point seeded by the SHA-1 of its own bound address.
    Hashed,
}

/// The positions of nodes bound at `addrs` in a world [0, `world`)².
pub fn positions(placement: &Placement, addrs: &[SocketAddr], world: f64) -> Vec<Point> {
    match placement {
        Placement::Given(ps) => ps.clone(),
        Placement::Seeded(seed) => {
            let mut rng = ChaCha8Rng::seed_from_u64(*seed);
            addrs
                .iter()
                .map(|_| random_point(&mut rng, world))
                .collect()
        }
        Placement::Hashed => addrs
            .iter()
            .map(|&a| random_point(&mut ChaCha8Rng::seed_from_u64(seed_of(a)), world))
            .collect(),
    }
}

/// Scripted movement: random waypoints.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Walk {
    /// World units per second.
    pub speed: f64,
    /// One MOVE every this many milliseconds.
    pub step_ms: Millis,
}

/// One node's random-waypoint walk: pure, so a seed gives one path.
#[derive(Clone, Debug)]
pub struct Waypoints {
    rng: ChaCha8Rng,
    world: f64,
    target: Point,
}

impl Waypoints {
    /// The walk of node `index` of a process: its stream of a ChaCha8
    /// seeded with `seed` (each node its own stream, so adding nodes does
    /// not change the others' paths).
    pub fn new(seed: u64, index: usize, world: f64) -> Waypoints {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(index as u64 + 1);
        let target = random_point(&mut rng, world);
        Waypoints { rng, world, target }
    }

    /// The position one step of length `d` from `from` along the walk.
    pub fn step(&mut self, from: Point, d: f64) -> Point {
        let mut from = from;
        let mut d = d;
        // At most a few waypoints per step (a long step passes several).
        for _ in 0..8 {
            let left = from.dist(&self.target);
            if left > d {
                let k = d / left;
                let p = Point::new(
                    from.x + (self.target.x - from.x) * k,
                    from.y + (self.target.y - from.y) * k,
                );
                // Between two valid points a coordinate may fall below
                // MIN_COORD: then go straight to the waypoint.
                return p.unwrap_or(self.target);
            }
            d -= left;
            from = self.target;
            self.target = random_point(&mut self.rng, self.world);
        }
        from
    }
}

/// What [`run`] runs.
#[derive(Clone, Debug)]
pub struct Options {
    /// The first node's address; node i binds port + i (every node binds
    /// a free port when the port is 0).
    pub bind: SocketAddr,
    /// How many nodes this process runs.
    pub count: usize,
    /// Members to join through, used in turn; none: the first node starts
    /// a new overlay and the others join through it.
    pub gateways: Vec<SocketAddr>,
    pub config: Config,
    pub placement: Placement,
    /// The side of the square world [0, W)² where seeded and hashed
    /// positions and waypoints lie.
    pub world: f64,
    /// Seed of the walks (node i: stream i + 1); none: each node's is
    /// derived from its address.
    pub seed: Option<u64>,
    pub walk: Option<Walk>,
    /// Wait this long after a join failed for good before joining again.
    pub join_retry_ms: Millis,
    /// Read the tables this often and report changes (0: never).
    pub watch_ms: Millis,
}

impl Options {
    /// Why these options cannot run, if they cannot.
    pub fn check(&self) -> Result<(), String> {
        self.config.check()?;
        if self.count == 0 {
            return Err("a process runs at least one node".into());
        }
        if !(self.world.is_finite() && self.world > 0.0 && self.world <= super::geometry::MAX_COORD)
        {
            return Err(format!(
                "the world's side must be a positive number up to {:e}, not {}",
                super::geometry::MAX_COORD,
                self.world
            ));
        }
        if let Placement::Given(ps) = &self.placement {
            if ps.len() != self.count {
                return Err(format!(
                    "{} positions for {} nodes: give one per node",
                    ps.len(),
                    self.count
                ));
            }
        }
        if let Some(w) = self.walk {
            if !(w.speed.is_finite() && w.speed > 0.0) {
                return Err(format!(
                    "the walking speed must be positive, not {}",
                    w.speed
                ));
            }
            if w.step_ms == 0 {
                return Err("the walking step must be at least 1 ms".into());
            }
        }
        Ok(())
    }
}

/// A table entry as reports name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Peer {
    pub id: Id,
    pub addr: SocketAddr,
}

/// A notable event of a running VON process, for its user.
#[derive(Clone, Debug, PartialEq)]
pub enum Report {
    /// The node's socket is bound (port 0 resolved); it runs at `pos`.
    Listening {
        addr: SocketAddr,
        id: Id,
        pos: Point,
    },
    /// The node became a member: through gateway `via`, accepted by
    /// `acceptor` after `hops` forwards, with `entries` in its table; or,
    /// `via` `None`, as the first node of a new overlay.
    Joined {
        addr: SocketAddr,
        via: Option<SocketAddr>,
        acceptor: Option<Id>,
        hops: u32,
        entries: usize,
    },
    /// Every JOIN through `via` went unanswered; the node joins again
    /// after `retry_ms`, through `next`.
    JoinFailed {
        addr: SocketAddr,
        via: SocketAddr,
        attempts: u32,
        retry_ms: Millis,
        next: SocketAddr,
    },
    /// The node's table changed since the last look: who came, who went;
    /// `pos` is where the node is, `count` its table's size now.
    Neighbours {
        addr: SocketAddr,
        pos: Point,
        added: Vec<Peer>,
        removed: Vec<Peer>,
        count: usize,
    },
    /// The node presumed entry `id` (at `peer`, when known) failed after
    /// its silence.
    Failed {
        addr: SocketAddr,
        id: Id,
        peer: Option<SocketAddr>,
    },
    /// A stop was asked for (`reason`: the signal, or "stop requested").
    Stopping { reason: String },
    /// The node sent LEAVE to `told` entries; `note` when it could not
    /// leave through the protocol (it was not a member).
    Left {
        addr: SocketAddr,
        told: usize,
        note: Option<String>,
    },
    /// The node's task has ended; its last datagrams are out.
    Stopped {
        addr: SocketAddr,
        counts: Counts,
        stats: Stats,
    },
}

/// Runs `opts.count` VON nodes on one current-thread runtime until
/// `stop`, reporting notable events as they happen; then every member
/// leaves and the function returns once the LEAVEs are sent.
///
/// Errors are setup errors: the options, the runtime, a signal handler,
/// or a socket (address in use, not local, an unspecified IP that peers
/// could not reach), each naming the address.
pub fn run(opts: &Options, stop: Stop, report: impl FnMut(Report)) -> io::Result<()> {
    opts.check()
        .map_err(|m| io::Error::new(io::ErrorKind::InvalidInput, m))?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(process(opts, stop, report))
}

/// What the supervisor knows of one node.
struct Slot {
    handle: NodeHandle<Node>,
    member: bool,
    /// Which gateway it asked last (an index into the gateways).
    asked: usize,
    pos: Point,
    walk: Option<Waypoints>,
    /// The table at the last look.
    seen: BTreeMap<Id, SocketAddr>,
}

async fn process(opts: &Options, stop: Stop, mut report: impl FnMut(Report)) -> io::Result<()> {
    let mut shutdown = Shutdown::install(stop)?;
    let addrs = node_addrs(opts.bind, opts.count)?;
    let mut sockets = Vec::with_capacity(addrs.len());
    for addr in &addrs {
        let socket = UdpSocket::bind(addr)
            .await
            .map_err(|e| io::Error::new(e.kind(), format!("cannot bind {addr}: {e}")))?;
        let local = socket.local_addr()?;
        if opts.gateways.contains(&local) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("--gateway {local} is a node of this process itself"),
            ));
        }
        sockets.push((local, socket));
    }
    let bound: Vec<SocketAddr> = sockets.iter().map(|s| s.0).collect();
    let ids: BTreeMap<Id, SocketAddr> = bound.iter().map(|&a| (id_of(a), a)).collect();
    if ids.len() < bound.len() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "two nodes of this process have the same id (SHA-1 of the address)",
        ));
    }
    let places = positions(&opts.placement, &bound, opts.world);
    let clock = Clock::start();
    // The incarnation: a node restarted at the same address must carry a
    // higher epoch, or its old peers drop its messages as stale.
    let epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let first = opts.gateways.is_empty();
    let gateways: Vec<SocketAddr> = if first {
        vec![bound[0]]
    } else {
        opts.gateways.clone()
    };
    let mut slots: Vec<Slot> = Vec::with_capacity(sockets.len());
    for (i, (addr, socket)) in sockets.into_iter().enumerate() {
        let (id, pos) = (id_of(addr), places[i]);
        let node = if i == 0 && first {
            Node::first(opts.config.clone(), id, addr, pos)
        } else {
            Node::new(opts.config.clone(), id, addr, pos)
        }
        .with_epoch(epoch);
        report(Report::Listening { addr, id, pos });
        let walk = opts.walk.map(|_| {
            let seed = opts.seed.unwrap_or_else(|| seed_of(addr));
            Waypoints::new(seed, i, opts.world)
        });
        slots.push(Slot {
            handle: spawn(node, socket, clock, events_tx.clone()),
            member: i == 0 && first,
            asked: 0,
            pos,
            walk,
            seen: BTreeMap::new(),
        });
    }
    drop(events_tx);
    let index: BTreeMap<SocketAddr, usize> =
        bound.iter().enumerate().map(|(i, &a)| (a, i)).collect();
    if first {
        report(Report::Joined {
            addr: bound[0],
            via: None,
            acceptor: None,
            hops: 0,
            entries: 0,
        });
    }
    for s in slots.iter().skip(usize::from(first)) {
        let via = gateways[0];
        s.handle.call(move |n: &mut Node, _, out| {
            let _ = n.join(via, out);
        });
    }
    // Joins to start again, by when: (when, node).
    let mut retries: BTreeSet<(Instant, usize)> = BTreeSet::new();
    let period = |ms: Millis| Duration::from_millis(ms.max(1));
    let mut watch = tokio::time::interval(period(opts.watch_ms));
    watch.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let step_ms = opts.walk.map_or(1, |w| w.step_ms);
    let mut steps = tokio::time::interval(period(step_ms));
    steps.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let reason = loop {
        let next = retries.first().map(|&(at, _)| at);
        // A stop first, then the nodes' events (so that a node's table is
        // reported after its join), then timers.
        tokio::select! {
            biased;
            reason = shutdown.wait() => break reason,
            Some((addr, event)) = events.recv() => {
                let Some(&i) = index.get(&addr) else { continue };
                let s = &mut slots[i];
                match event {
                    Event::Joined { acceptor, hops, entries } => {
                        s.member = true;
                        let via = Some(gateways[s.asked % gateways.len()]);
                        report(Report::Joined { addr, via, acceptor: Some(acceptor), hops, entries });
                    }
                    Event::JoinFailed { attempts } => {
                        let via = gateways[s.asked % gateways.len()];
                        s.asked += 1;
                        let next = gateways[s.asked % gateways.len()];
                        let retry_ms = opts.join_retry_ms;
                        report(Report::JoinFailed { addr, via, attempts, retry_ms, next });
                        retries.insert((Instant::now() + Duration::from_millis(retry_ms), i));
                    }
                    Event::Failed { id } => {
                        let peer = s.seen.get(&id).copied();
                        report(Report::Failed { addr, id, peer });
                    }
                    Event::Left => s.member = false,
                }
            }
            () = tokio::time::sleep_until(next.unwrap_or_else(Instant::now)), if next.is_some() => {
                if let Some((_, i)) = retries.pop_first() {
                    let via = gateways[slots[i].asked % gateways.len()];
                    slots[i].handle.call(move |n: &mut Node, _, out| {
                        let _ = n.join(via, out);
                    });
                }
            }
            _ = steps.tick(), if opts.walk.is_some() => {
                let d = opts.walk.map_or(0.0, |w| w.speed * w.step_ms as f64 / 1000.0);
                for s in slots.iter_mut().filter(|s| s.member) {
                    let Some(w) = s.walk.as_mut() else { continue };
                    let to = w.step(s.pos, d);
                    s.pos = to;
                    s.handle.call(move |n: &mut Node, _, out| {
                        let _ = n.move_to(to, out);
                    });
                }
            }
            _ = watch.tick(), if opts.watch_ms > 0 => {
                for s in slots.iter_mut() {
                    let Some((pos, table)) = s.handle.run(|n: &mut Node, _, _| {
                        let t: BTreeMap<Id, SocketAddr> =
                            n.table().iter().map(|(&id, e)| (id, e.addr)).collect();
                        (n.pos(), t)
                    }).await else { continue };
                    let peers = |m: &BTreeMap<Id, SocketAddr>, other: &BTreeMap<Id, SocketAddr>| {
                        m.iter()
                            .filter(|(id, a)| other.get(id) != Some(a))
                            .map(|(&id, &addr)| Peer { id, addr })
                            .collect::<Vec<Peer>>()
                    };
                    let added = peers(&table, &s.seen);
                    let removed = peers(&s.seen, &table);
                    if !added.is_empty() || !removed.is_empty() {
                        report(Report::Neighbours {
                            addr: s.handle.addr(),
                            pos,
                            added,
                            removed,
                            count: table.len(),
                        });
                    }
                    s.seen = table;
                }
            }
        }
    };
    report(Report::Stopping { reason });
    for s in &slots {
        let addr = s.handle.addr();
        let left = s
            .handle
            .run(|n: &mut Node, _, out| {
                let told = n.table().len();
                n.leave(out).map(|()| told).map_err(|e| e.0)
            })
            .await;
        match left {
            Some(Ok(told)) => report(Report::Left {
                addr,
                told,
                note: None,
            }),
            Some(Err(why)) => report(Report::Left {
                addr,
                told: 0,
                note: Some(format!("no LEAVE sent: {why}")),
            }),
            None => {}
        }
    }
    for s in slots {
        let addr = s.handle.addr();
        let (node, counts) = s.handle.stop_counted().await;
        let stats = node.map(|n| n.stats().clone()).unwrap_or_default();
        report(Report::Stopped {
            addr,
            counts,
            stats,
        });
    }
    Ok(())
}

// ------------------------------------------------------------ inspection

/// What a node said about itself in its VIEW(s).
#[derive(Clone, Debug, PartialEq)]
pub struct NodeView {
    pub addr: SocketAddr,
    pub id: Id,
    pub status: Status,
    pub pos: Point,
    pub aoi: f64,
    /// Its table, by id.
    pub entries: BTreeMap<Id, Entry>,
}

impl NodeView {
    /// The entries that are enclosing neighbours in the node's own view.
    pub fn enclosing(&self) -> BTreeSet<Id> {
        View::of(
            self.id,
            self.pos,
            self.entries.values().map(|e| (e.id, e.pos)),
        )
        .enclosing(self.id)
    }

    /// Whether entry `e` lies in the node's AOI.
    pub fn in_aoi(&self, e: &Entry) -> bool {
        self.pos.within(&e.pos, self.aoi)
    }
}

/// Why [`query`] could not ask.
#[derive(Debug)]
pub enum QueryError {
    /// Nothing to ask, or a wait out of range (a usage error).
    Usage(String),
    /// The client's own socket failed (bind, send).
    Socket(io::Error),
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryError::Usage(e) => write!(f, "{e}"),
            QueryError::Socket(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for QueryError {}

/// How long to wait for the rest of a table after a full VIEW (its
/// entry count is exactly a multiple of [`MAX_ENTRIES`], or more come).
const REST_OF_VIEW: Duration = Duration::from_millis(200);

/// Asks every node of `addrs` for its VIEW from a socket bound at `bind`
/// (which needs no particular address: nodes answer the datagram's
/// source). QUERY goes to each node that has not answered up to three
/// times, evenly spread over `wait`. Returns the answers by address; a
/// node that never answered is missing.
pub fn query(
    bind: SocketAddr,
    addrs: &[SocketAddr],
    wait: Duration,
) -> Result<BTreeMap<SocketAddr, NodeView>, QueryError> {
    if addrs.is_empty() {
        return Err(QueryError::Usage("nothing to query".into()));
    }
    if let Some(a) = addrs
        .iter()
        .find(|a| a.ip().is_unspecified() || a.port() == 0)
    {
        return Err(QueryError::Usage(format!(
            "{a}: give the address a node is reached at (not an unspecified IP, not port 0)"
        )));
    }
    let socket = StdUdpSocket::bind(bind).map_err(|e| {
        QueryError::Socket(io::Error::new(e.kind(), format!("cannot bind {bind}: {e}")))
    })?;
    let me = socket.local_addr().map_err(QueryError::Socket)?;
    let msg = Msg {
        from: id_of(me),
        epoch: 0,
        seq: 0,
        body: Body::Query,
    }
    .encode();
    let start = std::time::Instant::now();
    let deadline = start + wait;
    let interval = wait / 3;
    let mut next_send: BTreeMap<SocketAddr, std::time::Instant> =
        addrs.iter().map(|&a| (a, start)).collect();
    let mut views: BTreeMap<SocketAddr, NodeView> = BTreeMap::new();
    // Per address: complete, or when its last full chunk came.
    let mut done: BTreeSet<SocketAddr> = BTreeSet::new();
    let mut partial: BTreeMap<SocketAddr, std::time::Instant> = BTreeMap::new();
    let mut buf = vec![0u8; RECV_BUF];
    loop {
        let now = std::time::Instant::now();
        for (&a, &since) in &partial {
            if now >= since + REST_OF_VIEW {
                done.insert(a);
            }
        }
        partial.retain(|a, _| !done.contains(a));
        if done.len() == next_send.len() || now >= deadline {
            // A view whose rest never came is what it is.
            return Ok(views);
        }
        for (&a, at) in next_send.iter_mut() {
            if !done.contains(&a) && !partial.contains_key(&a) && now >= *at {
                socket.send_to(&msg, a).map_err(|e| {
                    QueryError::Socket(io::Error::new(e.kind(), format!("cannot send to {a}: {e}")))
                })?;
                *at = now + interval;
            }
        }
        let until = next_send
            .iter()
            .filter(|(a, _)| !done.contains(a))
            .map(|(_, &t)| t)
            .chain(partial.values().map(|&t| t + REST_OF_VIEW))
            .min()
            .unwrap_or(deadline)
            .min(deadline);
        let Some((n, from)) = crate::runtime::udp::recv_until(&socket, &mut buf, until)
            .map_err(QueryError::Socket)?
        else {
            continue;
        };
        if !next_send.contains_key(&from) || done.contains(&from) {
            continue;
        }
        let Ok(Msg {
            from: id,
            body:
                Body::View {
                    status,
                    pos,
                    aoi,
                    entries,
                },
            ..
        }) = Msg::decode(&buf[..n])
        else {
            continue;
        };
        let full = entries.len() >= MAX_ENTRIES;
        let v = views.entry(from).or_insert_with(|| NodeView {
            addr: from,
            id,
            status,
            pos,
            aoi,
            entries: BTreeMap::new(),
        });
        if v.id != id {
            continue;
        }
        (v.status, v.pos, v.aoi) = (status, pos, aoi);
        for e in entries {
            v.entries.insert(e.id, e);
        }
        if full {
            partial.insert(from, std::time::Instant::now());
        } else {
            done.insert(from);
        }
    }
}

/// For answering members `views`: each (observer, missing) pair where
/// `missing` (another answering member) lies in `observer`'s AOI, by the
/// positions both report, and is not in its table.
pub fn missing_aoi(views: &BTreeMap<SocketAddr, NodeView>) -> Vec<(SocketAddr, SocketAddr)> {
    let members: Vec<&NodeView> = views
        .values()
        .filter(|v| v.status == Status::Member)
        .collect();
    let mut out = Vec::new();
    for a in &members {
        for b in &members {
            if a.id != b.id && a.pos.within(&b.pos, a.aoi) && !a.entries.contains_key(&b.id) {
                out.push((a.addr, b.addr));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::oneshot;

    fn loopback() -> SocketAddr {
        "127.0.0.1:0".parse().unwrap()
    }

    fn fast(aoi: f64) -> Config {
        Config {
            aoi,
            heartbeat_ms: 100,
            dead_after_ms: 350,
            join_timeout_ms: 300,
            gap_ms: 100,
            ..Config::default()
        }
    }

    fn p(x: f64, y: f64) -> Point {
        Point::new(x, y).unwrap()
    }

    #[test]
    fn placement_and_walks_are_functions_of_their_seed() {
        let addrs: Vec<SocketAddr> = (0..4)
            .map(|i| format!("127.0.0.1:{}", 4000 + i).parse().unwrap())
            .collect();
        let a = positions(&Placement::Seeded(7), &addrs, 500.0);
        assert_eq!(a, positions(&Placement::Seeded(7), &addrs, 500.0));
        assert_ne!(a, positions(&Placement::Seeded(8), &addrs, 500.0));
        let h = positions(&Placement::Hashed, &addrs, 500.0);
        assert_eq!(h, positions(&Placement::Hashed, &addrs, 500.0));
        assert_eq!(h[1], positions(&Placement::Hashed, &addrs[1..2], 500.0)[0]);
        for q in a.iter().chain(&h) {
            assert!((0.0..500.0).contains(&q.x) && (0.0..500.0).contains(&q.y));
        }
        let path = |seed, i| {
            let mut w = Waypoints::new(seed, i, 100.0);
            let mut at = p(50.0, 50.0);
            (0..200)
                .map(|_| {
                    let next = w.step(at, 7.0);
                    assert!(next.dist(&at) <= 7.0 + 1e-9);
                    at = next;
                    at
                })
                .collect::<Vec<Point>>()
        };
        assert_eq!(path(1, 0), path(1, 0));
        assert_ne!(path(1, 0), path(1, 1));
        assert!(path(1, 0)
            .iter()
            .all(|q| (0.0..100.0).contains(&q.x) && (0.0..100.0).contains(&q.y)));
    }

    #[test]
    fn bad_options_are_refused_before_binding() {
        let base = Options {
            bind: loopback(),
            count: 2,
            gateways: vec![],
            config: fast(100.0),
            placement: Placement::Given(vec![p(1.0, 1.0)]),
            world: 1000.0,
            seed: None,
            walk: None,
            join_retry_ms: 100,
            watch_ms: 0,
        };
        assert!(base
            .check()
            .unwrap_err()
            .contains("1 positions for 2 nodes"));
        let walk = Options {
            placement: Placement::Hashed,
            walk: Some(Walk {
                speed: -1.0,
                step_ms: 100,
            }),
            ..base.clone()
        };
        assert!(walk.check().unwrap_err().contains("speed"));
        let world = Options {
            placement: Placement::Hashed,
            world: f64::NAN,
            ..base
        };
        let e = run(&world, Stop::On(oneshot::channel().1), |_| {}).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    }

    /// Five nodes in one process, three close together and two far off:
    /// every table holds its AOI neighbours, a query sees them, garbage is
    /// counted, and on stop every node sends LEAVE.
    #[test]
    fn an_overlay_in_one_process_answers_queries_and_leaves() {
        let (stop_tx, stop_rx) = oneshot::channel();
        let (rep_tx, rep_rx) = std::sync::mpsc::channel();
        let spots = vec![
            p(100.0, 100.0),
            p(150.0, 120.0),
            p(120.0, 160.0),
            p(600.0, 600.0),
            p(640.0, 610.0),
        ];
        let opts = Options {
            bind: loopback(),
            count: 5,
            gateways: vec![],
            config: fast(100.0),
            placement: Placement::Given(spots.clone()),
            world: 1000.0,
            seed: None,
            walk: None,
            join_retry_ms: 200,
            watch_ms: 50,
        };
        let overlay =
            std::thread::spawn(move || run(&opts, Stop::On(stop_rx), |r| rep_tx.send(r).unwrap()));
        let mut addrs = Vec::new();
        let mut joined = 0;
        while joined < 5 {
            match rep_rx.recv_timeout(Duration::from_secs(10)).unwrap() {
                Report::Listening { addr, .. } => addrs.push(addr),
                Report::Joined { .. } => joined += 1,
                Report::Neighbours { .. } => {}
                r => panic!("unexpected {r:?}"),
            }
        }
        let junk = StdUdpSocket::bind(loopback()).unwrap();
        junk.send_to(b"\x01\x07garbage", addrs[0]).unwrap();
        // Tables settle within a few messages; poll until complete.
        let t = std::time::Instant::now();
        let views = loop {
            let views = query(loopback(), &addrs, Duration::from_secs(2)).unwrap();
            if views.len() == 5 && missing_aoi(&views).is_empty() {
                break views;
            }
            assert!(t.elapsed() < Duration::from_secs(10), "{views:#?}");
            std::thread::sleep(Duration::from_millis(100));
        };
        let v0 = &views[&addrs[0]];
        assert_eq!(v0.status, Status::Member);
        assert_eq!(v0.pos, spots[0]);
        assert!(v0.entries.contains_key(&id_of(addrs[1])));
        assert!(v0.entries.values().all(|e| addrs.contains(&e.addr)));
        // The far pair is each other's AOI neighbour.
        assert!(views[&addrs[3]].entries.contains_key(&id_of(addrs[4])));
        stop_tx.send(()).unwrap();
        overlay.join().unwrap().unwrap();
        let tail: Vec<Report> = rep_rx.try_iter().collect();
        let left = tail
            .iter()
            .filter(|r| matches!(r, Report::Left { note: None, .. }))
            .count();
        assert_eq!(left, 5, "{tail:#?}");
        let malformed: u64 = tail
            .iter()
            .filter_map(|r| match r {
                Report::Stopped { counts, .. } => Some(counts.malformed),
                _ => None,
            })
            .sum();
        assert_eq!(malformed, 1, "{tail:#?}");
    }

    #[test]
    fn a_query_of_a_silent_address_comes_back_empty_in_time() {
        let silent = StdUdpSocket::bind(loopback()).unwrap();
        let t = std::time::Instant::now();
        let got = query(
            loopback(),
            &[silent.local_addr().unwrap()],
            Duration::from_millis(300),
        )
        .unwrap();
        assert!(got.is_empty());
        assert!(t.elapsed() < Duration::from_secs(2));
        let any: SocketAddr = "0.0.0.0:4000".parse().unwrap();
        assert!(matches!(
            query(loopback(), &[any], Duration::from_millis(10)),
            Err(QueryError::Usage(_))
        ));
        assert!(matches!(
            query(loopback(), &[], Duration::from_millis(10)),
            Err(QueryError::Usage(_))
        ));
    }
}
