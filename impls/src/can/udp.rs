//! CAN over real UDP: K nodes in one process, each on its own socket,
//! driven by the generic runtime ([`crate::runtime::udp::spawn`]), and a
//! one-shot client that puts or gets a key without joining.
//!
//! * [`run`] binds every socket first (a port in use fails the whole run
//!   before anything joined), then starts the nodes: without a bootstrap
//!   address the first founds a new overlay (it owns every reality's whole
//!   space) and the others join through it; with bootstrap addresses every
//!   node joins through the first of them. A reality whose join failed
//!   for good ([`Event::JoinFailed`]: the node retried it with back-off)
//!   is asked for again after `join_retry_ms`, through the next bootstrap
//!   address in turn, until it succeeds. On SIGINT/SIGTERM (or a test's
//!   stop channel) the nodes leave **one at a time**: each hands its zones
//!   and keys to its neighbours (§2.3) and the next starts only when it
//!   has finished, so that a neighbour in this same process is still a
//!   member to take them. The last node of an overlay has nobody to hand
//!   to: its zones are reported lost.
//! * [`client`] needs no new message: a routed `Put` or `Get` names its
//!   origin, and the owner of the key's point answers the origin directly
//!   (`Stored`, `Value`; a route that ends early answers `Stuck`). The
//!   client sends the route to an entry node, which forwards it greedily
//!   like any other. Its own socket must therefore be reachable at the
//!   address it binds (not `0.0.0.0`). A put goes to the key's point in
//!   every reality; a get asks every reality at once and takes the first
//!   value. Unanswered realities are asked again (through the next
//!   entry node) three times within the wait.
//!
//! What a node reports ([`Report`]) is what an operator needs to follow
//! the overlay: its zone when it joins, takeovers of failed neighbours,
//! the outcome of its graceful leave, and on stopping its datagram
//! counters (malformed ones included) and protocol counters (messages
//! rejected, by reason).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io;
use std::net::{SocketAddr, UdpSocket as StdUdpSocket};
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::node::{Config, Event, Node, Stats};
use super::point::Point;
use super::wire::{Item, Msg, Routed, StuckReason};
use super::zone::Zone;
use crate::runtime::udp::{node_addrs, spawn, Clock, Counts, NodeHandle, Shutdown, Stop};
use crate::runtime::{Millis, Wire};

/// The largest UDP payload: a longer datagram cannot exist.
const RECV_BUF: usize = 65_536;

/// The longest key and value a client stores, as their JSON item
/// (`{"key":…,"value":…}`): small enough that a zone holding many of them
/// still moves in few datagrams, as Chord's limit.
pub const MAX_ITEM_BYTES: usize = 1800;

/// What [`run`] runs.
#[derive(Clone, Debug)]
pub struct Options {
    /// The first node's address; node i binds port + i (every node binds
    /// port 0, i.e. a free port each, when the port is 0).
    pub bind: SocketAddr,
    /// How many nodes this process runs.
    pub count: usize,
    /// Members to join through, used in turn; none: the first node founds
    /// a new overlay and the others join through it.
    pub bootstrap: Vec<SocketAddr>,
    pub config: Config,
    /// The first node's point in reality 0, instead of the SHA-1 of its
    /// address (the other realities' points are always hashed).
    pub point: Option<Point>,
    /// Wait this long after a join failed for good before asking again.
    pub join_retry_ms: Millis,
    /// A graceful leave that has not finished after this long is cut
    /// short: the node stops, and its neighbours take its remaining
    /// zones over as after a failure.
    pub leave_limit_ms: Millis,
}

/// A notable event of a running CAN process, for its user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Report {
    /// The node's socket is bound (port 0 resolved); it runs, and asks to
    /// join at `points` (one per reality).
    Listening {
        addr: SocketAddr,
        points: Vec<Point>,
    },
    /// The node got `zone` in `reality`; `via` is the bootstrap node it
    /// asked, `None` when it founded the overlay (its zone is then the
    /// whole space).
    Joined {
        addr: SocketAddr,
        reality: u8,
        zone: Zone,
        via: Option<SocketAddr>,
    },
    /// The join of `reality` through `via` failed for good; it is asked
    /// again after `retry_ms`, through `next`.
    JoinFailed {
        addr: SocketAddr,
        reality: u8,
        via: SocketAddr,
        reason: String,
        retry_ms: Millis,
        next: SocketAddr,
    },
    /// The node took over the zones of `failed`, a neighbour that fell
    /// silent (§2.3); the keys of those zones are lost.
    TookOver {
        addr: SocketAddr,
        reality: u8,
        failed: SocketAddr,
        zones: Vec<Zone>,
    },
    /// A stop was asked for (`reason`: the signal, or "stop requested").
    Stopping { reason: String },
    /// The node's graceful leave ended: `handed` zones went to neighbours
    /// with their keys, `lost` found no taker (nobody left, nobody
    /// answered, or the leave was cut short), holding `keys` keys.
    Left {
        addr: SocketAddr,
        handed: usize,
        lost: usize,
        keys: usize,
        /// Why the node did not leave through the protocol (it was not a
        /// member, or its leave ran out of time).
        note: Option<String>,
    },
    /// The node's task has ended; its last datagrams are out.
    Stopped {
        addr: SocketAddr,
        counts: Counts,
        stats: Stats,
    },
}

/// Runs `opts.count` CAN nodes on one current-thread runtime until
/// `stop`, reporting notable events as they happen; then the nodes leave
/// one after another and the function returns once their datagrams are
/// sent.
///
/// Errors are setup errors: the configuration, the runtime, a signal
/// handler, or a socket (address in use, not local, an unspecified IP
/// that peers could not reach), each naming the address.
pub fn run(opts: &Options, stop: Stop, report: impl FnMut(Report)) -> io::Result<()> {
    let invalid = |m: String| io::Error::new(io::ErrorKind::InvalidInput, m);
    opts.config.check().map_err(invalid)?;
    if let Some(p) = opts.point {
        if p.dims() != opts.config.dims {
            return Err(invalid(format!(
                "the point has {} coordinates, the space {} dimensions",
                p.dims(),
                opts.config.dims
            )));
        }
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(process(opts, stop, report))
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
        if opts.bootstrap.contains(&local) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("--bootstrap {local} is a node of this process itself"),
            ));
        }
        sockets.push((local, socket));
    }
    let clock = Clock::start();
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let founder = opts.bootstrap.is_empty();
    let seeds: Vec<SocketAddr> = if founder {
        vec![sockets[0].0]
    } else {
        opts.bootstrap.clone()
    };
    let mut nodes: Vec<NodeHandle<Node>> = Vec::with_capacity(sockets.len());
    for (i, (addr, socket)) in sockets.into_iter().enumerate() {
        let cfg = opts.config.clone();
        let mut points: Vec<Point> = (0..cfg.realities)
            .map(|r| Point::of_addr(addr, r as u8, cfg.dims))
            .collect();
        if let (0, Some(p)) = (i, opts.point) {
            points[0] = p;
        }
        let node = Node::with_points(cfg, addr, points.clone());
        let node = if i == 0 && founder {
            node.founding()
        } else {
            node
        };
        report(Report::Listening { addr, points });
        nodes.push(spawn(node, socket, clock, events_tx.clone()));
    }
    drop(events_tx);
    let index: BTreeMap<SocketAddr, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, h)| (h.addr(), i))
        .collect();
    if founder {
        let addr = nodes[0].addr();
        for reality in 0..opts.config.realities {
            report(Report::Joined {
                addr,
                reality: reality as u8,
                zone: Zone::whole(opts.config.dims),
                via: None,
            });
        }
    }
    // Which bootstrap address each node asked last, per reality.
    let mut asked: BTreeMap<(usize, u8), usize> = BTreeMap::new();
    for (i, h) in nodes.iter().enumerate().skip(usize::from(founder)) {
        let via = seeds[0];
        for reality in 0..opts.config.realities {
            asked.insert((i, reality as u8), 0);
        }
        h.call(move |n: &mut Node, _, out| {
            let _ = n.join(via, out);
        });
    }
    // Realities to ask for again, by when: (when, node, reality).
    let mut retries: BTreeSet<(Instant, usize, u8)> = BTreeSet::new();
    let mut left: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
    let reason = loop {
        let next = retries.first().map(|&(at, _, _)| at);
        tokio::select! {
            reason = shutdown.wait() => break reason,
            Some((addr, event)) = events.recv() => {
                let Some(&i) = index.get(&addr) else { continue };
                match event {
                    Event::JoinFailed { reality, reason } => {
                        let k = asked.entry((i, reality)).or_insert(0);
                        let via = seeds[*k % seeds.len()];
                        *k += 1;
                        let next = seeds[*k % seeds.len()];
                        let retry_ms = opts.join_retry_ms;
                        report(Report::JoinFailed { addr, reality, via, reason, retry_ms, next });
                        retries.insert((Instant::now() + Duration::from_millis(retry_ms), i, reality));
                    }
                    other => on_event(&mut report, &seeds, &asked, i, addr, other, &mut left),
                }
            }
            () = tokio::time::sleep_until(next.unwrap_or_else(Instant::now)), if next.is_some() => {
                if let Some((_, i, reality)) = retries.pop_first() {
                    let k = asked.get(&(i, reality)).copied().unwrap_or(0);
                    let via = seeds[k % seeds.len()];
                    nodes[i].call(move |n: &mut Node, _, out| {
                        let _ = n.rejoin(usize::from(reality), via, out);
                    });
                }
            }
        }
    };
    report(Report::Stopping { reason });
    for (i, h) in nodes.iter().enumerate() {
        let addr = h.addr();
        let started = h
            .run(|n: &mut Node, now, out| {
                let keys: usize = n.realities().iter().map(|r| r.items().len()).sum();
                let zones: usize = n.realities().iter().map(|r| r.zones().len()).sum();
                (n.leave(now, out).map_err(|e| e.0), keys, zones)
            })
            .await;
        let Some((started, keys, zones)) = started else {
            continue;
        };
        if let Err(why) = started {
            report(Report::Left {
                addr,
                handed: 0,
                lost: zones,
                keys,
                note: Some(format!("no hand-over: {why}")),
            });
            continue;
        }
        let limit = Instant::now() + Duration::from_millis(opts.leave_limit_ms);
        let note = loop {
            if let Some(&(handed, lost)) = left.get(&i) {
                report(Report::Left {
                    addr,
                    handed,
                    lost,
                    keys,
                    note: None,
                });
                break None;
            }
            tokio::select! {
                Some((from, event)) = events.recv() => {
                    if let Some(&j) = index.get(&from) {
                        on_event(&mut report, &seeds, &asked, j, from, event, &mut left);
                    }
                }
                () = tokio::time::sleep_until(limit) => {
                    break Some(format!("the leave did not end within {} ms", opts.leave_limit_ms));
                }
            }
        };
        if let Some(note) = note {
            let remaining: usize = h
                .run(|n: &mut Node, _, _| n.realities().iter().map(|r| r.zones().len()).sum())
                .await
                .unwrap_or(0);
            report(Report::Left {
                addr,
                handed: zones.saturating_sub(remaining),
                lost: remaining,
                keys,
                note: Some(note),
            });
        }
    }
    for h in nodes {
        let addr = h.addr();
        let (node, counts) = h.stop_counted().await;
        let stats = node.map(|n| n.stats().clone()).unwrap_or_default();
        report(Report::Stopped {
            addr,
            counts,
            stats,
        });
    }
    Ok(())
}

/// Reports a node's event (join failures are handled by the caller).
fn on_event(
    report: &mut impl FnMut(Report),
    seeds: &[SocketAddr],
    asked: &BTreeMap<(usize, u8), usize>,
    i: usize,
    addr: SocketAddr,
    event: Event,
    left: &mut BTreeMap<usize, (usize, usize)>,
) {
    match event {
        Event::Joined { reality, zone } => {
            let k = asked.get(&(i, reality)).copied().unwrap_or(0);
            report(Report::Joined {
                addr,
                reality,
                zone,
                via: Some(seeds[k % seeds.len()]),
            });
        }
        Event::TookOver {
            reality,
            failed,
            zones,
        } => report(Report::TookOver {
            addr,
            reality,
            failed,
            zones,
        }),
        Event::Left { handed, lost } => {
            left.insert(i, (handed, lost));
        }
        Event::JoinFailed { .. }
        | Event::LookupDone { .. }
        | Event::PutDone { .. }
        | Event::GetDone { .. } => {}
    }
}

// ----------------------------------------------------------------- client

/// What a client asks of the overlay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientOp {
    Put { key: String, value: String },
    Get { key: String },
}

impl ClientOp {
    pub fn key(&self) -> &str {
        match self {
            ClientOp::Put { key, .. } | ClientOp::Get { key } => key,
        }
    }
}

/// One reality's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answered {
    pub reality: u8,
    /// The node that answered: the owner of the key's point there.
    pub owner: SocketAddr,
    /// Datagrams the route took, the client's to its entry node included.
    pub hops: u32,
    /// A get's value there (`None`: the owner holds no such key).
    pub value: Option<String>,
}

/// A definite answer from the overlay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientAnswer {
    /// Stored in every reality (a put), or found in one (a get).
    pub found: bool,
    /// The value a get found.
    pub value: Option<String>,
    /// The answers that made it definite, by reality: a put's from every
    /// reality; a get's value, or every reality's miss.
    pub answers: Vec<Answered>,
    /// Route datagrams the client sent.
    pub attempts: u32,
}

impl ClientAnswer {
    /// The answer a get's value came from, or the first.
    pub fn main(&self) -> Option<&Answered> {
        self.answers
            .iter()
            .find(|a| a.value.is_some())
            .or(self.answers.first())
    }
}

/// Why a client request has no definite answer.
#[derive(Debug)]
pub enum ClientError {
    /// The request is malformed or would not fit (a usage error).
    Usage(String),
    /// The client's own socket failed (bind, send).
    Socket(io::Error),
    /// Not every reality answered in time: what did answer, and the last
    /// failure an entry node reported (a route that got stuck).
    NoAnswer {
        attempts: u32,
        answers: Vec<Answered>,
        last_error: Option<String>,
    },
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Usage(e) => write!(f, "{e}"),
            ClientError::Socket(e) => write!(f, "{e}"),
            ClientError::NoAnswer {
                attempts,
                answers,
                last_error,
            } => {
                write!(f, "no definite answer after {attempts} attempts")?;
                if !answers.is_empty() {
                    let rs: Vec<String> = answers.iter().map(|a| a.reality.to_string()).collect();
                    write!(f, " (answered: reality {})", rs.join(", "))?;
                }
                if let Some(e) = last_error {
                    write!(f, " (last error: {e})")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ClientError {}

/// The shape of the overlay a client talks to: its routes and key points
/// must be of the overlay's dimensions and realities.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    pub dims: usize,
    pub realities: usize,
}

/// Shortest pause before re-asking a reality whose route got stuck.
const RETRY_AFTER_ERROR: Duration = Duration::from_millis(250);

/// Puts or gets `op` through the entry nodes `via` (used in turn) from a
/// socket bound at `bind`, without joining. Every reality's route is
/// sent up to three times, evenly spread over `wait`, under one random
/// request id per reality, so a late answer to an earlier attempt still
/// counts. A put is definite once every reality stored it; a get once
/// one reality found the value or every reality answered a miss.
pub fn client(
    bind: SocketAddr,
    via: &[SocketAddr],
    shape: Shape,
    op: &ClientOp,
    wait: Duration,
) -> Result<ClientAnswer, ClientError> {
    let usage = |m: String| ClientError::Usage(m);
    let cfg = Config {
        dims: shape.dims,
        realities: shape.realities,
        ..Config::default()
    };
    cfg.check().map_err(usage)?;
    if via.is_empty() {
        return Err(usage("a client needs a node to ask".into()));
    }
    if op.key().is_empty() {
        return Err(usage("the KEY is empty".into()));
    }
    if let ClientOp::Put { key, value } = op {
        let item = Item {
            key: key.clone(),
            value: value.clone(),
        };
        let bytes = serde_json::to_vec(&item)
            .expect("an item always serializes")
            .len();
        if bytes > MAX_ITEM_BYTES {
            return Err(usage(format!(
                "the key and value take {bytes} bytes encoded, more than {MAX_ITEM_BYTES}"
            )));
        }
    }
    if bind.ip().is_unspecified() {
        return Err(usage(format!(
            "{bind}: the owner answers the client at this address, so it must be one nodes \
             reach (e.g. 127.0.0.1:0), not an unspecified IP"
        )));
    }
    let socket = StdUdpSocket::bind(bind).map_err(|e| {
        ClientError::Socket(io::Error::new(e.kind(), format!("cannot bind {bind}: {e}")))
    })?;
    let me = socket.local_addr().map_err(ClientError::Socket)?;
    // One request id per reality: base + reality.
    let base: u64 = rand::random::<u64>() >> 8;
    let route = |reality: usize| -> Vec<u8> {
        let req = base + reality as u64;
        let key = op.key().to_string();
        let body = match op.clone() {
            ClientOp::Put { value, .. } => Routed::Put {
                origin: me,
                req,
                key,
                value,
            },
            ClientOp::Get { .. } => Routed::Get {
                origin: me,
                req,
                key,
            },
        };
        Msg::Route {
            reality: reality as u8,
            target: Point::of_key(op.key(), reality as u8, shape.dims),
            hops: 1,
            ttl: cfg.ttl,
            body,
        }
        .encode()
    };
    let start = std::time::Instant::now();
    let deadline = start + wait;
    let interval = wait / 3;
    // Per reality: when to send next, and the answer once it came.
    let mut next_send = vec![start; shape.realities];
    let mut answers: Vec<Option<Answered>> = vec![None; shape.realities];
    let mut attempts = 0u32;
    let mut last_error = None;
    let mut buf = vec![0u8; RECV_BUF];
    let done = |answers: &[Option<Answered>]| -> Option<ClientAnswer> {
        let got: Vec<Answered> = answers.iter().flatten().cloned().collect();
        let hit = got.iter().find(|a| a.value.is_some()).cloned();
        let all = got.len() == answers.len();
        let answer = |found, value, answers| ClientAnswer {
            found,
            value,
            answers,
            attempts: 0,
        };
        match op {
            ClientOp::Put { .. } => all.then(|| answer(true, None, got)),
            ClientOp::Get { .. } => match hit {
                Some(a) => Some(answer(true, a.value.clone(), vec![a])),
                None => all.then(|| answer(false, None, got)),
            },
        }
    };
    loop {
        let now = std::time::Instant::now();
        if now >= deadline {
            return Err(ClientError::NoAnswer {
                attempts,
                answers: answers.into_iter().flatten().collect(),
                last_error,
            });
        }
        for reality in 0..shape.realities {
            if answers[reality].is_none() && now >= next_send[reality] {
                let to = via[attempts as usize % via.len()];
                socket.send_to(&route(reality), to).map_err(|e| {
                    ClientError::Socket(io::Error::new(
                        e.kind(),
                        format!("cannot send to {to}: {e}"),
                    ))
                })?;
                attempts += 1;
                next_send[reality] = now + interval;
            }
        }
        let until = (0..shape.realities)
            .filter(|&r| answers[r].is_none())
            .map(|r| next_send[r])
            .min()
            .unwrap_or(deadline)
            .min(deadline);
        let Some((n, from)) = crate::runtime::udp::recv_until(&socket, &mut buf, until)
            .map_err(ClientError::Socket)?
        else {
            continue;
        };
        let Ok(msg) = Msg::decode(&buf[..n]) else {
            continue;
        };
        let Some(req) = msg.answers() else { continue };
        let reality = msg.reality();
        if req != base + u64::from(reality) || usize::from(reality) >= shape.realities {
            continue;
        }
        let slot = &mut answers[usize::from(reality)];
        match (op, msg) {
            (ClientOp::Put { .. }, Msg::Stored { hops, .. }) => {
                *slot = Some(Answered {
                    reality,
                    owner: from,
                    hops,
                    value: None,
                })
            }
            (ClientOp::Get { .. }, Msg::Value { hops, value, .. }) => {
                *slot = Some(Answered {
                    reality,
                    owner: from,
                    hops,
                    value,
                })
            }
            (_, Msg::Stuck { reason, hops, .. }) if slot.is_none() => {
                let why = match reason {
                    StuckReason::NoCloser => "no node closer to the key",
                    StuckReason::Ttl => "out of hops",
                };
                last_error = Some(format!(
                    "reality {reality}: the route stopped at {from} after {hops} hops ({why})"
                ));
                let soon = std::time::Instant::now() + RETRY_AFTER_ERROR;
                let r = usize::from(reality);
                next_send[r] = next_send[r].min(soon);
            }
            _ => continue,
        }
        if let Some(mut a) = done(&answers) {
            a.attempts = attempts;
            return Ok(a);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::oneshot;

    fn fast() -> Config {
        Config {
            refresh_ms: 100,
            dead_after_ms: 350,
            takeover_ms: 100,
            claim_ms: 30,
            reassign_ms: 200,
            timeout_ms: 200,
            route_timeout_ms: 2000,
            ..Config::default()
        }
    }

    fn loopback() -> SocketAddr {
        "127.0.0.1:0".parse().unwrap()
    }

    /// Four nodes in one process: they join, serve a client from every
    /// entry, and on stop leave one at a time, the first three handing
    /// their zones on and the last holding the whole space alone.
    #[test]
    fn an_overlay_in_one_process_serves_clients_and_leaves() {
        let (stop_tx, stop_rx) = oneshot::channel();
        let (rep_tx, rep_rx) = std::sync::mpsc::channel();
        let opts = Options {
            bind: loopback(),
            count: 4,
            bootstrap: vec![],
            config: fast(),
            point: None,
            join_retry_ms: 200,
            leave_limit_ms: 5000,
        };
        let overlay =
            std::thread::spawn(move || run(&opts, Stop::On(stop_rx), |r| rep_tx.send(r).unwrap()));
        let mut addrs = Vec::new();
        let mut joined = 0;
        while joined < 4 {
            match rep_rx.recv_timeout(Duration::from_secs(10)).unwrap() {
                Report::Listening { addr, .. } => addrs.push(addr),
                Report::Joined { .. } => joined += 1,
                r => panic!("unexpected {r:?}"),
            }
        }
        let shape = Shape {
            dims: 2,
            realities: 1,
        };
        let wait = Duration::from_secs(5);
        for i in 0..8 {
            let put = ClientOp::Put {
                key: format!("k{i}"),
                value: format!("v{i}"),
            };
            let a = client(loopback(), &addrs[i % 4..i % 4 + 1], shape, &put, wait).unwrap();
            assert!(a.found && a.answers.len() == 1, "{a:?}");
        }
        for i in 0..8 {
            let get = ClientOp::Get {
                key: format!("k{i}"),
            };
            let a = client(loopback(), &addrs[(i + 1) % 4..], shape, &get, wait).unwrap();
            assert_eq!(a.value, Some(format!("v{i}")), "{a:?}");
            assert!(addrs.contains(&a.main().unwrap().owner));
        }
        let missing = ClientOp::Get { key: "nope".into() };
        let a = client(loopback(), &addrs, shape, &missing, wait).unwrap();
        assert!(!a.found && a.value.is_none(), "{a:?}");
        stop_tx.send(()).unwrap();
        overlay.join().unwrap().unwrap();
        let tail: Vec<Report> = rep_rx.try_iter().collect();
        let left: Vec<(usize, usize, usize)> = tail
            .iter()
            .filter_map(|r| match r {
                Report::Left {
                    handed,
                    lost,
                    keys,
                    note: None,
                    ..
                } => Some((*handed, *lost, *keys)),
                _ => None,
            })
            .collect();
        assert_eq!(left.len(), 4, "{tail:#?}");
        assert!(left[..3].iter().all(|&(_, lost, _)| lost == 0), "{tail:#?}");
        // The last one holds everything and has nobody to give it to.
        assert_eq!((left[3].0, left[3].2), (0, 8), "{tail:#?}");
        assert!(left[3].1 >= 1);
        let stopped = tail
            .iter()
            .filter(|r| matches!(r, Report::Stopped { counts, .. } if counts.malformed == 0))
            .count();
        assert_eq!(stopped, 4, "{tail:#?}");
    }

    #[test]
    fn a_client_without_an_overlay_gives_up_in_time() {
        let silent = StdUdpSocket::bind(loopback()).unwrap();
        let t = std::time::Instant::now();
        let shape = Shape {
            dims: 2,
            realities: 2,
        };
        let get = ClientOp::Get { key: "k".into() };
        let e = client(
            loopback(),
            &[silent.local_addr().unwrap()],
            shape,
            &get,
            Duration::from_millis(300),
        )
        .unwrap_err();
        // Three rounds, two realities each.
        assert!(
            matches!(e, ClientError::NoAnswer { attempts: 6, .. }),
            "{e}"
        );
        assert!(t.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn bad_client_requests_are_usage_errors() {
        let shape = Shape {
            dims: 2,
            realities: 1,
        };
        let w = Duration::from_millis(100);
        let big = ClientOp::Put {
            key: "k".into(),
            value: "x".repeat(MAX_ITEM_BYTES),
        };
        let any: SocketAddr = "0.0.0.0:0".parse().unwrap();
        let get = ClientOp::Get { key: "k".into() };
        let cases = [
            client(loopback(), &[loopback()], shape, &big, w),
            client(any, &[loopback()], shape, &get, w),
            client(loopback(), &[], shape, &get, w),
            client(
                loopback(),
                &[loopback()],
                shape,
                &ClientOp::Get { key: "".into() },
                w,
            ),
            client(
                loopback(),
                &[loopback()],
                Shape {
                    dims: 9,
                    realities: 1,
                },
                &get,
                w,
            ),
        ];
        for c in cases {
            assert!(matches!(c, Err(ClientError::Usage(_))), "{c:?}");
        }
    }
}
