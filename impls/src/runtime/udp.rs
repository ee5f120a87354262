//! # The UDP runtime
//!
//! Runs sans-IO cores over real sockets: one [`UdpSocket`] per node, one
//! tokio task per node, every node of a process on one current-thread
//! runtime. Three layers, most generic first:
//!
//! * [`spawn`] drives any [`Process`]: a loop that selects over local
//!   commands, the next due timer and the socket, and carries out the
//!   core's [`Outbox`](super::Outbox) (sends, timers, events). It knows
//!   nothing about Chord.
//! * [`run_chord`] runs K Chord nodes until SIGINT/SIGTERM (or a test's
//!   stop channel): joins (retried until they succeed), reports of notable
//!   events, and a graceful leave that hands every node's keys to its
//!   successor before the process exits.
//! * [`client`], [`inspect`] and [`ring_problems`] talk to a running ring
//!   from outside, over a plain blocking socket: put/get through a
//!   bootstrap node, and the ring-state queries tests and operators use.
//!
//! ## Why this shape
//!
//! * **One task per node, one thread per process.** A core never blocks
//!   and holds no locks, so threads would only add synchronisation; a
//!   current-thread runtime runs K nodes on K sockets at the cost of K
//!   small tasks, which is what `overlay node --count K` needs.
//! * **Timers keyed by (deadline, sequence)** in a `BTreeMap`: the earliest
//!   deadline fires first and equal deadlines fire in the order they were
//!   set, as in the simulator, so the two drivers schedule alike. Time is
//!   [`Millis`] since the runtime started ([`Clock`]), the unit cores use.
//! * **Untrusted input is counted, never trusted.** Every datagram goes
//!   through [`Wire::decode`]; one that does not decode is dropped and
//!   counted in [`Counts::malformed`] and shown to the core
//!   ([`Process::on_malformed`]: KRPC answers some with an error), and the
//!   node carries on. The receive
//!   buffer holds the largest UDP payload, so no datagram is silently
//!   truncated into a different message.
//! * **Local commands are closures** sent over a channel ([`NodeHandle::call`],
//!   [`NodeHandle::run`]): the driver stays generic, while Chord-specific
//!   steps (join, leave) stay in the Chord layer.
//! * **A graceful stop flushes.** A send is carried out (handed to the
//!   kernel) before the driver takes its next input, so a `Stop` queued
//!   after a `leave` returns only once the hand-over datagrams are out.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket as StdUdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::{Millis, OutboxOf, Process, Wire};
use crate::chord::{Config, Event, Id, Item, Msg, Node, Peer};

/// The largest UDP payload (65,507 bytes over IPv4) fits: a longer
/// datagram cannot exist, so none is ever truncated on receipt.
const RECV_BUF: usize = 65_536;

pub use crate::chord::wire::MAX_ITEM_BYTES;

// ------------------------------------------------------------------ clock

/// Milliseconds since a fixed start: the time cores see.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    epoch: Instant,
}

impl Clock {
    /// A clock whose time 0 is now.
    pub fn start() -> Clock {
        Clock {
            epoch: Instant::now(),
        }
    }

    /// Whole milliseconds since the start (rounded down, so a timer is
    /// never seen as due before its deadline).
    pub fn now(&self) -> Millis {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(Millis::MAX)
    }

    fn instant(&self, at: Millis) -> Instant {
        self.epoch + Duration::from_millis(at)
    }
}

// --------------------------------------------------------------- counters

/// A node's datagram counters, shared between its task and its handle.
#[derive(Debug, Default)]
pub struct Counters {
    received: AtomicU64,
    malformed: AtomicU64,
    sent: AtomicU64,
    errors: AtomicU64,
}

/// A snapshot of [`Counters`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Datagrams read from the socket, malformed ones included.
    pub received: u64,
    /// Datagrams dropped because they did not decode.
    pub malformed: u64,
    /// Datagrams handed to the kernel.
    pub sent: u64,
    /// Socket errors (a send or receive that failed); the node carries on.
    pub errors: u64,
}

impl Counters {
    pub fn snapshot(&self) -> Counts {
        Counts {
            received: self.received.load(Ordering::Relaxed),
            malformed: self.malformed.load(Ordering::Relaxed),
            sent: self.sent.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
        }
    }

    fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

// ----------------------------------------------------------------- driver

/// A local command: runs on the node, its outputs are carried out.
type Call<P> = Box<dyn FnOnce(&mut P, Millis, &mut OutboxOf<P>) + Send>;

enum Command<P: Process> {
    Call(Call<P>),
    Stop,
}

/// The handle of a node running on its own task.
pub struct NodeHandle<P: Process> {
    addr: SocketAddr,
    commands: mpsc::UnboundedSender<Command<P>>,
    counters: Arc<Counters>,
    task: JoinHandle<P>,
}

impl<P: Process + Send + 'static> NodeHandle<P> {
    /// The address the node receives at.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The node's datagram counters now.
    pub fn counts(&self) -> Counts {
        self.counters.snapshot()
    }

    /// Runs a local command on the node (join, leave, put…) and carries
    /// out its outputs. Returns `false` if the node has stopped.
    pub fn call(&self, f: impl FnOnce(&mut P, Millis, &mut OutboxOf<P>) + Send + 'static) -> bool {
        self.commands.send(Command::Call(Box::new(f))).is_ok()
    }

    /// Like [`call`](Self::call), and returns what the command returns
    /// (`None` if the node has stopped): how a supervisor reads a node's
    /// state without sharing it.
    pub async fn run<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut P, Millis, &mut OutboxOf<P>) -> R + Send + 'static,
    ) -> Option<R> {
        let (tx, rx) = oneshot::channel();
        let sent = self.call(move |p, now, out| {
            let _ = tx.send(f(p, now, out));
        });
        if !sent {
            return None;
        }
        rx.await.ok()
    }

    /// Stops the node after every command queued before, and returns it.
    /// Datagrams those commands produced have been sent by then.
    pub async fn stop(self) -> Option<P> {
        let _ = self.commands.send(Command::Stop);
        self.task.await.ok()
    }

    /// Like [`stop`](Self::stop), and the datagram counters once the task
    /// has ended, so that its last sends are counted.
    pub async fn stop_counted(self) -> (Option<P>, Counts) {
        let counters = self.counters.clone();
        let node = self.stop().await;
        (node, counters.snapshot())
    }
}

/// Starts driving `node` on `socket`, on the current tokio runtime.
///
/// `node.addr()` should be the address peers reach `socket` at. Events
/// the node reports go to `events`, tagged with its address; a closed
/// receiver just drops them.
pub fn spawn<P>(
    node: P,
    socket: UdpSocket,
    clock: Clock,
    events: mpsc::UnboundedSender<(SocketAddr, P::Event)>,
) -> NodeHandle<P>
where
    P: Process + Send + 'static,
    P::Msg: Send,
    P::Timer: Send,
    P::Event: Send,
{
    let (tx, rx) = mpsc::unbounded_channel();
    let counters = Arc::new(Counters::default());
    let addr = node.addr();
    let driver = Driver {
        node,
        socket,
        clock,
        timers: BTreeMap::new(),
        seq: 0,
        counters: counters.clone(),
        events,
    };
    NodeHandle {
        addr,
        commands: tx,
        counters,
        task: tokio::spawn(driver.run(rx)),
    }
}

struct Driver<P: Process> {
    node: P,
    socket: UdpSocket,
    clock: Clock,
    /// Pending timers by (deadline, order set).
    timers: BTreeMap<(Millis, u64), P::Timer>,
    seq: u64,
    counters: Arc<Counters>,
    events: mpsc::UnboundedSender<(SocketAddr, P::Event)>,
}

impl<P: Process> Driver<P> {
    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command<P>>) -> P {
        let mut buf = vec![0u8; RECV_BUF];
        let now = self.clock.now();
        let mut out = OutboxOf::<P>::default();
        self.node.start(now, &mut out);
        self.carry_out(now, out).await;
        loop {
            let next = self.timers.keys().next().map(|&(at, _)| at);
            let wake = self.clock.instant(next.unwrap_or(0));
            // Commands first (a stop is not delayed by traffic), then due
            // timers (a flood of datagrams cannot starve maintenance).
            tokio::select! {
                biased;
                cmd = commands.recv() => match cmd {
                    Some(Command::Call(f)) => {
                        let now = self.clock.now();
                        let mut out = OutboxOf::<P>::default();
                        f(&mut self.node, now, &mut out);
                        self.carry_out(now, out).await;
                    }
                    Some(Command::Stop) | None => break,
                },
                () = tokio::time::sleep_until(wake), if next.is_some() => self.fire_due_timers().await,
                r = self.socket.recv_from(&mut buf) => match r {
                    Ok((n, from)) => self.datagram(&buf[..n], from).await,
                    Err(_) => {
                        // E.g. an ICMP error surfacing on some platforms:
                        // count it, and do not spin if it persists.
                        Counters::bump(&self.counters.errors);
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                },
            }
        }
        self.node
    }

    async fn datagram(&mut self, bytes: &[u8], from: SocketAddr) {
        Counters::bump(&self.counters.received);
        match P::Msg::decode(bytes) {
            Ok(msg) => {
                let now = self.clock.now();
                let mut out = OutboxOf::<P>::default();
                self.node.on_message(now, from, msg, &mut out);
                self.carry_out(now, out).await;
            }
            Err(_) => {
                Counters::bump(&self.counters.malformed);
                let now = self.clock.now();
                let mut out = OutboxOf::<P>::default();
                self.node.on_malformed(now, from, bytes, &mut out);
                self.carry_out(now, out).await;
            }
        }
    }

    /// Fires every timer due now, in deadline order; timers set meanwhile
    /// wait for the next turn of the loop, so a zero-delay timer cannot
    /// keep the node from its socket.
    async fn fire_due_timers(&mut self) {
        let now = self.clock.now();
        let last = self.seq;
        while let Some(entry) = self.timers.first_entry() {
            let (at, seq) = *entry.key();
            if at > now || seq > last {
                break;
            }
            let timer = entry.remove();
            let mut out = OutboxOf::<P>::default();
            self.node.on_timer(now, timer, &mut out);
            self.carry_out(now, out).await;
        }
    }

    async fn carry_out(&mut self, now: Millis, out: OutboxOf<P>) {
        for (to, msg) in out.sends {
            match self.socket.send_to(&msg.encode(), to).await {
                Ok(_) => Counters::bump(&self.counters.sent),
                Err(_) => Counters::bump(&self.counters.errors),
            }
        }
        for (after, timer) in out.timers {
            self.seq += 1;
            self.timers
                .insert((now.saturating_add(after), self.seq), timer);
        }
        let addr = self.node.addr();
        for e in out.events {
            let _ = self.events.send((addr, e));
        }
    }
}

// ------------------------------------------------------------ chord ring

/// What [`run_chord`] runs.
#[derive(Clone, Debug)]
pub struct ChordOptions {
    /// The first node's address; node i binds port + i (every node binds
    /// port 0, i.e. a free port each, when the port is 0).
    pub bind: SocketAddr,
    /// How many nodes this process runs.
    pub count: usize,
    /// A ring member to join through. Without one, the first node starts
    /// a new ring and the others join through it.
    pub bootstrap: Option<SocketAddr>,
    pub config: Config,
    /// Wait this long after a failed join before trying again.
    pub join_retry_ms: Millis,
    /// The first node's identifier, when given instead of the SHA-1 of
    /// its address (the Chord paper allows either).
    pub id: Option<Id>,
}

/// When [`run_chord`] stops.
#[derive(Debug)]
pub enum Stop {
    /// On SIGINT or SIGTERM (Ctrl-C only, off Unix).
    Signals,
    /// When this channel fires or its sender is dropped (tests).
    On(oneshot::Receiver<()>),
}

/// A notable event of a running Chord process, for its user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Report {
    /// The node's socket is bound (port 0 resolved); the node runs.
    Listening { addr: SocketAddr, id: Id },
    /// The node became a ring member: `via` is the node it joined
    /// through, `None` when it started a new ring.
    Joined {
        addr: SocketAddr,
        via: Option<SocketAddr>,
        succ: Option<Peer>,
        prdc: Option<Peer>,
    },
    /// A join did not succeed; another follows after `retry_ms`.
    JoinFailed {
        addr: SocketAddr,
        via: SocketAddr,
        reason: String,
        retry_ms: Millis,
    },
    /// A stop was asked for (`reason`: the signal, or "stop requested").
    Stopping { reason: String },
    /// The node leaves: its `keys` go to `to`, its successor (`None` when
    /// it is not a member or alone in its ring).
    Leaving {
        addr: SocketAddr,
        keys: usize,
        to: Option<Peer>,
    },
    /// The node's task has ended; its last datagrams are out.
    Stopped { addr: SocketAddr, counts: Counts },
}

/// Runs `opts.count` Chord nodes on one current-thread runtime until
/// `stop`, reporting notable events as they happen; then every node
/// leaves gracefully (its keys go to its successor) and the function
/// returns once their datagrams are sent.
///
/// Errors are setup errors: the runtime, a signal handler, or a socket
/// (address in use, not local, an unspecified IP that peers could not
/// reach), each naming the address.
pub fn run_chord(opts: &ChordOptions, stop: Stop, report: impl FnMut(Report)) -> io::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(chord_process(opts, stop, report))
}

/// The node addresses of a `--count` run: consecutive ports.
pub fn node_addrs(bind: SocketAddr, count: usize) -> io::Result<Vec<SocketAddr>> {
    if bind.ip().is_unspecified() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{bind}: a node needs the address peers reach it at, not an unspecified IP \
                 (e.g. 127.0.0.1:{})",
                bind.port()
            ),
        ));
    }
    (0..count)
        .map(|i| {
            let port = if bind.port() == 0 {
                Some(0)
            } else {
                u16::try_from(i)
                    .ok()
                    .and_then(|i| bind.port().checked_add(i))
            };
            port.map(|p| SocketAddr::new(bind.ip(), p)).ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{count} consecutive ports from {bind} go past port 65535"),
                )
            })
        })
        .collect()
}

/// Waits for the stop condition; signal handlers are installed by
/// [`Shutdown::install`], before any socket is bound, so that a signal
/// sent as soon as a node reports itself is never fatal.
pub(crate) enum Shutdown {
    #[cfg(unix)]
    Signals {
        int: tokio::signal::unix::Signal,
        term: tokio::signal::unix::Signal,
    },
    #[cfg(not(unix))]
    CtrlC,
    On(oneshot::Receiver<()>),
}

impl Shutdown {
    pub(crate) fn install(stop: Stop) -> io::Result<Shutdown> {
        match stop {
            #[cfg(unix)]
            Stop::Signals => {
                use tokio::signal::unix::{signal, SignalKind};
                Ok(Shutdown::Signals {
                    int: signal(SignalKind::interrupt())?,
                    term: signal(SignalKind::terminate())?,
                })
            }
            #[cfg(not(unix))]
            Stop::Signals => Ok(Shutdown::CtrlC),
            Stop::On(rx) => Ok(Shutdown::On(rx)),
        }
    }

    pub(crate) async fn wait(&mut self) -> String {
        match self {
            #[cfg(unix)]
            Shutdown::Signals { int, term } => tokio::select! {
                _ = int.recv() => "SIGINT".into(),
                _ = term.recv() => "SIGTERM".into(),
            },
            #[cfg(not(unix))]
            Shutdown::CtrlC => {
                let _ = tokio::signal::ctrl_c().await;
                "Ctrl-C".into()
            }
            Shutdown::On(rx) => {
                let _ = rx.await;
                "stop requested".into()
            }
        }
    }
}

async fn chord_process(
    opts: &ChordOptions,
    stop: Stop,
    mut report: impl FnMut(Report),
) -> io::Result<()> {
    let mut shutdown = Shutdown::install(stop)?;
    let addrs = node_addrs(opts.bind, opts.count)?;
    // Bind every socket before starting any node: a port in use fails the
    // whole run before it has joined anything.
    let mut sockets = Vec::with_capacity(addrs.len());
    for addr in &addrs {
        let socket = UdpSocket::bind(addr)
            .await
            .map_err(|e| io::Error::new(e.kind(), format!("cannot bind {addr}: {e}")))?;
        let local = socket.local_addr()?;
        sockets.push((local, socket));
    }
    let clock = Clock::start();
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let new_ring = opts.bootstrap.is_none();
    let via = opts.bootstrap.unwrap_or(sockets[0].0);
    let mut nodes: Vec<NodeHandle<Node>> = Vec::with_capacity(sockets.len());
    for (i, (addr, socket)) in sockets.into_iter().enumerate() {
        let me = match opts.id {
            Some(id) if i == 0 => Peer { id, addr },
            _ => Peer::at(addr),
        };
        let node = if i == 0 && new_ring {
            Node::first(opts.config.clone(), me)
        } else {
            Node::new(opts.config.clone(), me)
        };
        report(Report::Listening { addr, id: me.id });
        nodes.push(spawn(node, socket, clock, events_tx.clone()));
    }
    let index: BTreeMap<SocketAddr, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, h)| (h.addr(), i))
        .collect();
    if new_ring {
        report(Report::Joined {
            addr: nodes[0].addr(),
            via: None,
            succ: None,
            prdc: None,
        });
    }
    let joiners = usize::from(new_ring)..nodes.len();
    for h in &nodes[joiners] {
        join(h, via);
    }
    // Joins to retry, by when.
    let mut retries: BTreeSet<(Instant, usize)> = BTreeSet::new();
    let reason = loop {
        let next = retries.first().map(|&(at, _)| at);
        tokio::select! {
            reason = shutdown.wait() => break reason,
            Some((addr, event)) = events.recv() => {
                let Some(&i) = index.get(&addr) else { continue };
                match event {
                    Event::Joined => {
                        let (succ, prdc) = nodes[i]
                            .run(|n, _, _| (n.succ().first().copied(), n.prdc()))
                            .await
                            .unwrap_or((None, None));
                        report(Report::Joined { addr, via: Some(via), succ, prdc });
                    }
                    Event::JoinFailed { reason } => {
                        let retry_ms = opts.join_retry_ms;
                        report(Report::JoinFailed { addr, via, reason, retry_ms });
                        retries.insert((Instant::now() + Duration::from_millis(retry_ms), i));
                    }
                    Event::LookupDone { .. } | Event::Done { .. } => {}
                }
            }
            () = tokio::time::sleep_until(next.unwrap_or_else(Instant::now)), if next.is_some() => {
                if let Some((_, i)) = retries.pop_first() {
                    join(&nodes[i], via);
                }
            }
        }
    };
    report(Report::Stopping { reason });
    // Every node leaves before any stops, so that a hand-over to a
    // successor in this same process still finds it listening.
    for h in &nodes {
        let addr = h.addr();
        let left = h
            .run(|n: &mut Node, _, out| {
                let keys = n.items().count();
                let to = n
                    .succ()
                    .first()
                    .copied()
                    .filter(|s| n.is_member() && *s != n.me());
                n.leave(out);
                (keys, to)
            })
            .await;
        let (keys, to) = left.unwrap_or((0, None));
        report(Report::Leaving { addr, keys, to });
    }
    for h in nodes {
        let addr = h.addr();
        let counters = h.counters.clone();
        h.stop().await;
        report(Report::Stopped {
            addr,
            counts: counters.snapshot(),
        });
    }
    Ok(())
}

/// Asks a node to join through `via`; a node that is already a member
/// (a retry that crossed a late success) ignores it.
fn join(h: &NodeHandle<Node>, via: SocketAddr) {
    h.call(move |n: &mut Node, _, out| {
        let _ = n.join(via, out);
    });
}

// ----------------------------------------------------------------- client

/// What a client asks of the ring.
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

    fn msg(&self, req: u64) -> Msg {
        match self.clone() {
            ClientOp::Put { key, value } => Msg::ClientPut { req, key, value },
            ClientOp::Get { key } => Msg::ClientGet { req, key },
        }
    }
}

/// A definite answer from the ring.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientAnswer {
    /// Stored (a put), or found (a get).
    pub found: bool,
    pub value: Option<String>,
    /// The key's owner, as the answering node reports it (puts).
    pub owner: Option<Peer>,
    /// Lookup hops the answering node took.
    pub hops: u32,
    /// Requests sent before the answer came.
    pub attempts: u32,
}

/// Why a client request has no answer.
#[derive(Debug)]
pub enum ClientError {
    /// The request would not fit the ring's limits (a usage error).
    TooLarge { bytes: usize, max: usize },
    /// The client's own socket failed (bind, send).
    Socket(io::Error),
    /// Nothing definite came back in time; `last_error` is the last
    /// failure a node reported (e.g. a lookup that met dead nodes).
    NoAnswer {
        attempts: u32,
        last_error: Option<String>,
    },
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::TooLarge { bytes, max } => write!(
                f,
                "the key and value take {bytes} bytes encoded, more than the {max} a node can move"
            ),
            ClientError::Socket(e) => write!(f, "{e}"),
            ClientError::NoAnswer {
                attempts,
                last_error: None,
            } => write!(f, "no answer after {attempts} attempts"),
            ClientError::NoAnswer {
                attempts,
                last_error: Some(e),
            } => write!(f, "no answer after {attempts} attempts (last error: {e})"),
        }
    }
}

impl std::error::Error for ClientError {}

/// Shortest pause before re-asking after a node reported a failure.
const RETRY_AFTER_ERROR: Duration = Duration::from_millis(250);

/// Puts or gets through `bootstrap` from a socket bound at `bind` (port 0
/// for an ephemeral one), without joining the ring.
///
/// The request is sent up to three times, evenly spread over `wait`
/// (sooner after a node reports a failure, e.g. a lookup that met a dead
/// node during repair), under one random request id, so a late answer to
/// an earlier attempt still counts. A "not found" is definite and ends the
/// wait; a put or get is idempotent, so a repeated request is harmless.
pub fn client(
    bind: SocketAddr,
    bootstrap: SocketAddr,
    op: &ClientOp,
    wait: Duration,
) -> Result<ClientAnswer, ClientError> {
    if let ClientOp::Put { key, value } = op {
        let item = Item {
            key: key.clone(),
            value: value.clone(),
        };
        let bytes = serde_json::to_vec(&item)
            .expect("an item always serializes")
            .len();
        if bytes > MAX_ITEM_BYTES {
            return Err(ClientError::TooLarge {
                bytes,
                max: MAX_ITEM_BYTES,
            });
        }
    }
    let socket = StdUdpSocket::bind(bind).map_err(|e| {
        ClientError::Socket(io::Error::new(e.kind(), format!("cannot bind {bind}: {e}")))
    })?;
    let req: u64 = rand::random();
    let request = op.msg(req).encode();
    let start = std::time::Instant::now();
    let deadline = start + wait;
    let interval = wait / 3;
    let mut next_send = start;
    let mut attempts = 0u32;
    let mut last_error = None;
    let mut buf = vec![0u8; RECV_BUF];
    loop {
        let now = std::time::Instant::now();
        if now >= deadline {
            return Err(ClientError::NoAnswer {
                attempts,
                last_error,
            });
        }
        if now >= next_send {
            socket.send_to(&request, bootstrap).map_err(|e| {
                ClientError::Socket(io::Error::new(
                    e.kind(),
                    format!("cannot send to {bootstrap}: {e}"),
                ))
            })?;
            attempts += 1;
            next_send = now + interval;
        }
        let until = next_send.min(deadline);
        let timeout = until
            .saturating_duration_since(now)
            .max(Duration::from_millis(1));
        socket
            .set_read_timeout(Some(timeout))
            .map_err(ClientError::Socket)?;
        let n = match socket.recv_from(&mut buf) {
            Ok((n, _)) => n,
            // Timed out, or an ICMP "port unreachable" surfacing: either
            // way, nothing answered yet; wait for the next attempt.
            Err(e) => {
                if !matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) {
                    std::thread::sleep(until.saturating_duration_since(std::time::Instant::now()));
                }
                continue;
            }
        };
        let Ok(Msg::ClientReply {
            req: r,
            found,
            value,
            owner,
            hops,
            error,
        }) = Msg::decode(&buf[..n])
        else {
            continue;
        };
        if r != req {
            continue;
        }
        let definite = match op {
            ClientOp::Put { .. } => found,
            ClientOp::Get { .. } => error.is_none(),
        };
        if definite {
            return Ok(ClientAnswer {
                found,
                value,
                owner,
                hops,
                attempts,
            });
        }
        last_error = Some(error.unwrap_or_else(|| "the key was not stored".into()));
        next_send = next_send.min(std::time::Instant::now() + RETRY_AFTER_ERROR);
    }
}

// ------------------------------------------------------------ inspection

/// A node's ring state, as it answers [`Msg::Inspect`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct View {
    pub me: Peer,
    pub member: bool,
    pub prdc: Option<Peer>,
    pub succ: Vec<Peer>,
    /// Items held (owned and replicas).
    pub keys: u64,
}

/// Asks every address for its ring state, all at once from one socket
/// (asking twice, to ride out a lost datagram); nodes that do not answer
/// within `wait` are missing from the result.
pub fn inspect(addrs: &[SocketAddr], wait: Duration) -> io::Result<BTreeMap<SocketAddr, View>> {
    let mut views = BTreeMap::new();
    let Some(first) = addrs.first() else {
        return Ok(views);
    };
    let any: IpAddr = match first {
        SocketAddr::V4(_) => Ipv4Addr::UNSPECIFIED.into(),
        SocketAddr::V6(_) => Ipv6Addr::UNSPECIFIED.into(),
    };
    let socket = StdUdpSocket::bind(SocketAddr::new(any, 0))?;
    let base: u64 = rand::random::<u64>() >> 1;
    let ask = |socket: &StdUdpSocket, views: &BTreeMap<SocketAddr, View>| -> io::Result<()> {
        for (i, a) in addrs.iter().enumerate() {
            if !views.contains_key(a) {
                socket.send_to(
                    &Msg::Inspect {
                        req: base + i as u64,
                    }
                    .encode(),
                    a,
                )?;
            }
        }
        Ok(())
    };
    let start = std::time::Instant::now();
    let (resend, deadline) = (start + wait / 2, start + wait);
    let mut resent = false;
    ask(&socket, &views)?;
    let mut buf = vec![0u8; RECV_BUF];
    while views.len() < addrs.len() {
        let now = std::time::Instant::now();
        if now >= deadline {
            break;
        }
        if !resent && now >= resend {
            resent = true;
            ask(&socket, &views)?;
        }
        let until = if resent { deadline } else { resend };
        socket.set_read_timeout(Some(
            until
                .saturating_duration_since(now)
                .max(Duration::from_millis(1)),
        ))?;
        let Ok((n, _)) = socket.recv_from(&mut buf) else {
            continue;
        };
        if let Ok(Msg::Inspected {
            req,
            me,
            member,
            prdc,
            succ,
            keys,
        }) = Msg::decode(&buf[..n])
        {
            let Some(&addr) = req
                .checked_sub(base)
                .and_then(|i| usize::try_from(i).ok())
                .and_then(|i| addrs.get(i))
            else {
                continue;
            };
            views.insert(
                addr,
                View {
                    me,
                    member,
                    prdc,
                    succ,
                    keys,
                },
            );
        }
    }
    Ok(views)
}

/// What keeps the ring of the nodes at `live` from being the ideal one
/// (empty when it is): each must answer, be a member, have as successor
/// list the next `r` live nodes in identifier order (wrapping around the
/// circle, repeating when there are no more than r), and as predecessor
/// the previous live node. Identifiers are the SHA-1 of the addresses, as
/// [`run_chord`] assigns them. Problems are listed in address order.
pub fn ring_problems(
    views: &BTreeMap<SocketAddr, View>,
    live: &[SocketAddr],
    r: usize,
) -> Vec<String> {
    let mut ring: Vec<Peer> = live.iter().map(|&a| Peer::at(a)).collect();
    ring.sort();
    ring.dedup();
    let m = ring.len();
    let mut problems = Vec::new();
    let mut live_sorted = live.to_vec();
    live_sorted.sort();
    live_sorted.dedup();
    for addr in live_sorted {
        let Some(v) = views.get(&addr) else {
            problems.push(format!("{addr}: no answer"));
            continue;
        };
        let Some(i) = ring.iter().position(|p| p.addr == addr) else {
            continue;
        };
        if v.me != ring[i] {
            problems.push(format!("{addr}: answers as {:?}", v.me));
            continue;
        }
        if !v.member {
            problems.push(format!("{addr}: not a member"));
            continue;
        }
        let succ: Vec<Peer> = (1..=r).map(|j| ring[(i + j) % m]).collect();
        if v.succ != succ {
            problems.push(format!(
                "{addr}: successors {:?}, expected {:?}",
                v.succ, succ
            ));
        }
        let prdc = ring[(i + m - 1) % m];
        if v.prdc != Some(prdc) {
            problems.push(format!(
                "{addr}: predecessor {:?}, expected {:?}",
                v.prdc, prdc
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chord::wire::MAX_DATAGRAM;

    fn fast() -> Config {
        Config {
            succ_list: 3,
            tick_ms: 20,
            finger_ms: 20,
            probe_ms: 40,
            replicate_ms: 80,
            timeout_ms: 200,
            ..Config::default()
        }
    }

    fn loopback() -> SocketAddr {
        "127.0.0.1:0".parse().unwrap()
    }

    /// A node that receives garbage counts it, drops it, and answers the
    /// next well-formed request as if nothing had happened.
    #[test]
    fn malformed_datagrams_are_counted_and_dropped() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let socket = UdpSocket::bind(loopback()).await.unwrap();
            let addr = socket.local_addr().unwrap();
            let (tx, _rx) = mpsc::unbounded_channel();
            let node = spawn(
                Node::first(fast(), Peer::at(addr)),
                socket,
                Clock::start(),
                tx,
            );
            let peer = UdpSocket::bind(loopback()).await.unwrap();
            let garbage: [&[u8]; 5] = [
                b"",
                b"\xff\xfe\x00",
                br#"{"type":"ping"}"#,
                br#"{"type":"warp","req":1}"#,
                &[b' '; MAX_DATAGRAM + 1],
            ];
            for g in garbage {
                peer.send_to(g, addr).await.unwrap();
            }
            peer.send_to(&Msg::Inspect { req: 7 }.encode(), addr)
                .await
                .unwrap();
            let mut buf = vec![0u8; RECV_BUF];
            let reply = tokio::time::timeout(Duration::from_secs(5), async {
                loop {
                    let (n, _) = peer.recv_from(&mut buf).await.unwrap();
                    if let Ok(m @ Msg::Inspected { .. }) = Msg::decode(&buf[..n]) {
                        return m;
                    }
                }
            })
            .await
            .expect("the node still answers");
            assert!(matches!(
                reply,
                Msg::Inspected {
                    req: 7,
                    member: true,
                    ..
                }
            ));
            let counts = node.counts();
            assert_eq!(counts.malformed, 5, "{counts:?}");
            assert!(counts.received >= 6, "{counts:?}");
            assert!(counts.sent >= 1, "{counts:?}");
            assert!(node.stop().await.is_some(), "the task ended cleanly");
        });
    }

    /// Timers fire in deadline order, equal deadlines in the order set.
    #[test]
    fn timers_fire_in_deadline_order() {
        #[derive(Clone, Debug)]
        struct T;
        impl Process for T {
            type Msg = Msg;
            type Timer = u32;
            type Event = u32;
            fn addr(&self) -> SocketAddr {
                "127.0.0.1:9".parse().unwrap()
            }
            fn start(&mut self, _: Millis, out: &mut OutboxOf<Self>) {
                for (after, t) in [(30, 3), (10, 1), (30, 4), (0, 0), (20, 2)] {
                    out.timer(after, t);
                }
            }
            fn on_message(&mut self, _: Millis, _: SocketAddr, _: Msg, _: &mut OutboxOf<Self>) {}
            fn on_timer(&mut self, _: Millis, t: u32, out: &mut OutboxOf<Self>) {
                out.event(t);
            }
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let socket = UdpSocket::bind(loopback()).await.unwrap();
            let (tx, mut rx) = mpsc::unbounded_channel();
            let h = spawn(T, socket, Clock::start(), tx);
            let mut got = Vec::new();
            while got.len() < 5 {
                let (_, t) = tokio::time::timeout(Duration::from_secs(5), rx.recv())
                    .await
                    .unwrap()
                    .unwrap();
                got.push(t);
            }
            assert_eq!(got, [0, 1, 2, 3, 4]);
            h.stop().await;
        });
    }

    /// Four nodes in one process form the ideal ring, store and serve keys
    /// for a client, and on stop each leaves, reporting in address order.
    #[test]
    fn a_ring_in_one_process_serves_clients_and_leaves() {
        let (stop_tx, stop_rx) = oneshot::channel();
        let (rep_tx, rep_rx) = std::sync::mpsc::channel();
        let opts = ChordOptions {
            bind: loopback(),
            count: 4,
            bootstrap: None,
            config: fast(),
            join_retry_ms: 200,
            id: None,
        };
        let ring = std::thread::spawn(move || {
            run_chord(&opts, Stop::On(stop_rx), |r| rep_tx.send(r).unwrap())
        });
        let mut addrs = Vec::new();
        while addrs.len() < 4 {
            if let Report::Listening { addr, .. } =
                rep_rx.recv_timeout(Duration::from_secs(5)).unwrap()
            {
                addrs.push(addr);
            }
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let views = inspect(&addrs, Duration::from_millis(500)).unwrap();
            let problems = ring_problems(&views, &addrs, 3);
            if problems.is_empty() {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no ideal ring: {problems:#?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let wait = Duration::from_secs(5);
        for i in 0..5 {
            let put = ClientOp::Put {
                key: format!("k{i}"),
                value: format!("v{i}"),
            };
            let a = client(loopback(), addrs[i % 4], &put, wait).unwrap();
            assert!(a.found && a.owner.is_some(), "{a:?}");
        }
        for i in 0..5 {
            let get = ClientOp::Get {
                key: format!("k{i}"),
            };
            let a = client(loopback(), addrs[(i + 1) % 4], &get, wait).unwrap();
            assert_eq!(a.value, Some(format!("v{i}")), "{a:?}");
        }
        let missing = ClientOp::Get { key: "nope".into() };
        let a = client(loopback(), addrs[0], &missing, wait).unwrap();
        assert!(!a.found && a.value.is_none(), "{a:?}");
        stop_tx.send(()).unwrap();
        ring.join().unwrap().unwrap();
        let tail: Vec<Report> = rep_rx.try_iter().collect();
        let leaving: Vec<SocketAddr> = tail
            .iter()
            .filter_map(|r| match r {
                Report::Leaving { addr, to, .. } => {
                    assert!(to.is_some(), "{r:?}");
                    Some(*addr)
                }
                _ => None,
            })
            .collect();
        assert_eq!(leaving, addrs);
        let stopped = tail
            .iter()
            .filter(|r| matches!(r, Report::Stopped { counts, .. } if counts.malformed == 0))
            .count();
        assert_eq!(stopped, 4, "{tail:#?}");
    }

    #[test]
    fn a_client_without_a_ring_gives_up_in_time() {
        let silent = StdUdpSocket::bind(loopback()).unwrap();
        let t = std::time::Instant::now();
        let get = ClientOp::Get { key: "k".into() };
        let e = client(
            loopback(),
            silent.local_addr().unwrap(),
            &get,
            Duration::from_millis(300),
        )
        .unwrap_err();
        assert!(
            matches!(e, ClientError::NoAnswer { attempts: 3, .. }),
            "{e}"
        );
        assert!(t.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn oversized_puts_are_refused_before_sending() {
        let put = ClientOp::Put {
            key: "k".into(),
            value: "x".repeat(MAX_ITEM_BYTES),
        };
        let e = client(loopback(), loopback(), &put, Duration::from_millis(100)).unwrap_err();
        assert!(matches!(e, ClientError::TooLarge { .. }), "{e}");
    }

    #[test]
    fn node_addrs_are_consecutive_and_checked() {
        let a = node_addrs("127.0.0.1:4000".parse().unwrap(), 3).unwrap();
        assert_eq!(a[2], "127.0.0.1:4002".parse().unwrap());
        assert!(node_addrs("127.0.0.1:65535".parse().unwrap(), 2).is_err());
        assert!(node_addrs("0.0.0.0:4000".parse().unwrap(), 1).is_err());
        assert!(node_addrs("127.0.0.1:0".parse().unwrap(), 2)
            .unwrap()
            .iter()
            .all(|a| a.port() == 0));
    }
}

/// A client's wait for one answer datagram until `until`: `Ok(None)` when
/// nothing came by then (or an ICMP "port unreachable" surfaced: the
/// caller's next round retries). Shared by the CAN and VON clients.
pub fn recv_until(
    socket: &std::net::UdpSocket,
    buf: &mut [u8],
    until: std::time::Instant,
) -> std::io::Result<Option<(usize, std::net::SocketAddr)>> {
    let now = std::time::Instant::now();
    let timeout = until
        .saturating_duration_since(now)
        .max(std::time::Duration::from_millis(1));
    socket.set_read_timeout(Some(timeout))?;
    match socket.recv_from(buf) {
        Ok(got) => Ok(Some(got)),
        Err(e) => {
            if !matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) {
                std::thread::sleep(until.saturating_duration_since(std::time::Instant::now()));
            }
            Ok(None)
        }
    }
}
