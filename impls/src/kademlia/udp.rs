//! The Mainline DHT node over real UDP: one node on one socket, driven by
//! the generic runtime ([`crate::runtime::udp::spawn`]), bootstrapped
//! through the addresses it is given, and serving requests that arrive on
//! a channel (the CLI's one-shot client and its JSON-lines driver both
//! feed it). The node contacts only the addresses it was given and those
//! it learns from the DHT's answers.

use std::io;
use std::net::{SocketAddr, SocketAddrV4};
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use super::krpc::{CompactNode, NodeId};
use super::node::{Config, Event, Node, Stats};
use super::ops::Outcome;
use super::storage::{ItemQuery, PutItem};
use crate::runtime::udp::{spawn, Clock, Counts, Shutdown, Stop};

/// What to run.
#[derive(Clone, Debug)]
pub struct Options {
    /// IPv4 address to bind (port 0: any free port).
    pub bind: SocketAddr,
    /// Nodes to bootstrap through (none: the first node of a new DHT).
    pub bootstrap: Vec<SocketAddr>,
    /// The node id; `None`: SHA-1 of the bound address as text.
    pub id: Option<NodeId>,
    pub config: Config,
    /// Wait this long after a bootstrap that reached nobody before trying
    /// again.
    pub retry_ms: u64,
}

/// A client operation.
#[derive(Clone, Debug)]
pub enum ClientOp {
    FindNode(NodeId),
    GetPeers(NodeId),
    /// Announce at `port`, or at the port our datagrams come from.
    Announce {
        info_hash: NodeId,
        port: Option<u16>,
    },
    Get(ItemQuery),
    Put(PutItem),
}

/// A request to the running node.
#[derive(Debug)]
pub enum Request {
    /// Run an operation; its [`Report::Done`] carries `tag`.
    Op { tag: u64, op: ClientOp },
    /// Report the routing table ([`Report::Table`]).
    Table { tag: u64 },
    /// Stop the node ([`Report::Stopped`] follows).
    Stop,
}

/// What the running node tells its user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Report {
    Listening {
        addr: SocketAddrV4,
        id: NodeId,
    },
    /// A bootstrap lookup ended with `contacts` in the table; `retry`: it
    /// reached nobody of the bootstrap addresses and runs again after
    /// `retry_ms` (a node without any starts a new DHT: no retry).
    Bootstrapped {
        contacts: usize,
        retry: bool,
    },
    Done {
        tag: u64,
        outcome: Outcome,
    },
    Table {
        tag: u64,
        contacts: Vec<CompactNode>,
    },
    Stopping {
        reason: String,
    },
    Stopped {
        stats: Stats,
        counts: Counts,
    },
}

/// Runs the node until `stop` or a [`Request::Stop`], reporting as it
/// goes. Errors are setup errors (runtime, signals, the socket), naming
/// the address.
pub fn run(
    opts: &Options,
    stop: Stop,
    requests: mpsc::UnboundedReceiver<Request>,
    report: impl FnMut(Report),
) -> io::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(process(opts, stop, requests, report))
}

fn v4(a: SocketAddr, what: &str) -> io::Result<SocketAddrV4> {
    match a {
        SocketAddr::V4(a) if !a.ip().is_unspecified() => Ok(a),
        SocketAddr::V4(_) => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{what} {a}: give the address peers reach, not an unspecified IP"),
        )),
        SocketAddr::V6(_) => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{what} {a}: the Mainline DHT's compact node info is IPv4 only (BEP 5)"),
        )),
    }
}

async fn process(
    opts: &Options,
    stop: Stop,
    mut requests: mpsc::UnboundedReceiver<Request>,
    mut report: impl FnMut(Report),
) -> io::Result<()> {
    let mut shutdown = Shutdown::install(stop)?;
    let bind = v4(opts.bind, "--bind")?;
    let seeds = opts
        .bootstrap
        .iter()
        .map(|&b| v4(b, "--bootstrap"))
        .collect::<io::Result<Vec<_>>>()?;
    let socket = UdpSocket::bind(bind)
        .await
        .map_err(|e| io::Error::new(e.kind(), format!("cannot bind {bind}: {e}")))?;
    let addr = v4(socket.local_addr()?, "--bind")?;
    if seeds.contains(&addr) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("--bootstrap {addr} is this node itself"),
        ));
    }
    let id = opts
        .id
        .unwrap_or_else(|| NodeId::hash(addr.to_string().as_bytes()));
    let node = Node::new(opts.config.clone(), id, addr);
    report(Report::Listening { addr, id });
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let handle = spawn(node, socket, Clock::start(), events_tx);
    let bootstrap = |h: &crate::runtime::udp::NodeHandle<Node>| {
        let seeds = seeds.clone();
        h.call(move |n, now, out| n.bootstrap(now, &seeds, out));
    };
    bootstrap(&handle);
    let mut retry: Option<tokio::time::Instant> = None;
    let reason = loop {
        tokio::select! {
            reason = shutdown.wait() => break reason,
            () = sleep_until(retry), if retry.is_some() => {
                retry = None;
                bootstrap(&handle);
            }
            r = requests.recv() => match r {
                Some(Request::Op { tag, op }) => {
                    handle.call(move |n, now, out| match op {
                        ClientOp::FindNode(t) => n.find_node(now, t, tag, out),
                        ClientOp::GetPeers(ih) => n.get_peers(now, ih, tag, out),
                        ClientOp::Announce { info_hash, port } => n.announce(now, info_hash, port, tag, out),
                        ClientOp::Get(q) => n.get_item(now, q, tag, out),
                        ClientOp::Put(p) => n.put_item(now, p, tag, out),
                    });
                }
                Some(Request::Table { tag }) => {
                    let contacts = handle
                        .run(|n, _, _| n.table().contacts().map(|c| c.compact()).collect())
                        .await
                        .unwrap_or_default();
                    report(Report::Table { tag, contacts });
                }
                Some(Request::Stop) | None => break "stop requested".to_string(),
            },
            Some((_, e)) = events.recv() => match e {
                Event::Bootstrapped { contacts, .. } => {
                    let again = contacts == 0 && !seeds.is_empty();
                    report(Report::Bootstrapped { contacts, retry: again });
                    if again {
                        retry = Some(tokio::time::Instant::now() + Duration::from_millis(opts.retry_ms));
                    }
                }
                Event::Done { tag, outcome } => report(Report::Done { tag, outcome }),
            },
        }
    };
    report(Report::Stopping { reason });
    let counts = handle.counts();
    let stats = handle
        .stop()
        .await
        .map(|n| n.stats().clone())
        .unwrap_or_default();
    report(Report::Stopped { stats, counts });
    Ok(())
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
