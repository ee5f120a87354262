//! `overlay node kademlia`: a Mainline DHT node over UDP
//! (`overlay_impls::kademlia::udp`). Three ways to run it:
//!
//! * a server, until SIGINT/SIGTERM, printing one line per event;
//! * a one-shot client: bootstrap, run one operation (`--find-node`,
//!   `--get-peers`, `--announce`, `--put-immutable`, …), print the result
//!   as one JSON object, exit (0 success, 1 not found / not stored, 3 no
//!   answer within `--wait`);
//! * a driver (`--stdin`): JSON commands on stdin, one JSON answer per
//!   line on stdout (the protocol of `tests/interop/README.md`), which is
//!   how the interoperability tests drive it beside other DHT clients.

use std::net::SocketAddr;
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use clap::{ArgGroup, Args};
use overlay_impls::kademlia::hex;
use overlay_impls::kademlia::items::Keypair;
use overlay_impls::kademlia::udp::{self, ClientOp, Options, Report, Request};
use overlay_impls::kademlia::{Config, ItemQuery, NodeId, Outcome, PutItem, Stats};
use overlay_impls::runtime::udp::Stop;
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};

use crate::cli::Format;
use crate::exit::{Exit, Failure};
use crate::input_error;
use crate::node_cmd::counts_json;

/// Flags of `overlay node kademlia`.
#[derive(Args, Debug)]
#[command(
    group(ArgGroup::new("op").multiple(false).args([
        "find_node", "get_peers", "announce", "put_immutable", "get_immutable",
        "put_mutable", "get_mutable", "stdin",
    ])),
    after_long_help = "\
Examples:
  overlay node kademlia --bind 127.0.0.1:6881                              # the first node of a new DHT
  overlay node kademlia --bind 127.0.0.1:6882 --bootstrap 127.0.0.1:6881   # a node that joins it
  overlay node kademlia --bind 127.0.0.1:0 --bootstrap 127.0.0.1:6881 --find-node 0123456789abcdef0123456789abcdef01234567
  overlay node kademlia --bind 127.0.0.1:0 --bootstrap 127.0.0.1:6881 --announce <INFOHASH> --port 51413
  overlay node kademlia --bind 127.0.0.1:0 --bootstrap 127.0.0.1:6881 --get-peers <INFOHASH>
  overlay node kademlia --bind 127.0.0.1:0 --bootstrap 127.0.0.1:6881 --put-immutable 'Hello World!'
  overlay node kademlia --bind 127.0.0.1:0 --bootstrap 127.0.0.1:6881 --get-immutable <TARGET>
  overlay node kademlia --bind 127.0.0.1:0 --bootstrap 127.0.0.1:6881 --put-mutable hi --key-seed <64 HEX> --salt s
  overlay node kademlia --bind 127.0.0.1:0 --bootstrap 127.0.0.1:6881 --get-mutable <PUBKEY> --salt s

The node contacts only the --bootstrap addresses and the nodes the DHT tells it about;
there is no built-in router. Values are BEP 44 byte strings: VALUE 'hi' is stored as the
bencoded v = 2:hi; results print it back as text when it is valid UTF-8.

Exit codes: 0 done (server stopped cleanly, or the operation succeeded); 1 the operation
ended without success (nothing found, nobody stored it); 2 usage error; 3 no answer
within --wait (e.g. no bootstrap node answered).")]
pub struct KademliaArgs {
    /// IPv4 address to bind, IP:PORT (port 0: any free port, shown on the
    /// `listening` line). Not 0.0.0.0: the id is derived from it and peers
    /// must reach it.
    #[arg(long, value_name = "ADDR", value_parser = crate::node_cmd::parse_addr)]
    pub bind: SocketAddr,
    /// A node to bootstrap through (repeatable). Without any, this node
    /// starts a new DHT and waits to be contacted.
    #[arg(long, value_name = "ADDR", value_parser = crate::node_cmd::parse_addr)]
    pub bootstrap: Vec<SocketAddr>,
    /// The node id (40 hex digits) instead of SHA-1 of the bound address.
    #[arg(long, value_name = "HEX", value_parser = |s: &str| NodeId::from_hex(s))]
    pub id: Option<NodeId>,
    /// Bucket size, and how many closest nodes lookups return and store at.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub k: u16,
    /// Queries in flight per lookup.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=16))]
    pub alpha: u16,
    /// A query unanswered after this many milliseconds has failed.
    #[arg(long, value_name = "MS", default_value_t = 2000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout_ms: u64,
    /// Client: the k closest nodes to ID.
    #[arg(long, value_name = "ID", value_parser = |s: &str| NodeId::from_hex(s))]
    pub find_node: Option<NodeId>,
    /// Client: peers announced for INFOHASH (exit 1 when none).
    #[arg(long, value_name = "INFOHASH", value_parser = |s: &str| NodeId::from_hex(s))]
    pub get_peers: Option<NodeId>,
    /// Client: announce a peer of INFOHASH at this host and --port (or, without
    /// --port, at the port this node's datagrams come from: implied_port).
    #[arg(long, value_name = "INFOHASH", value_parser = |s: &str| NodeId::from_hex(s))]
    pub announce: Option<NodeId>,
    /// With --announce: the peer's port.
    #[arg(long, value_name = "P", requires = "announce",
          value_parser = clap::value_parser!(u16).range(1..))]
    pub port: Option<u16>,
    /// Client: store VALUE as an immutable item; prints its target.
    #[arg(long, value_name = "VALUE")]
    pub put_immutable: Option<String>,
    /// Client: fetch the immutable item TARGET.
    #[arg(long, value_name = "TARGET", value_parser = |s: &str| NodeId::from_hex(s))]
    pub get_immutable: Option<NodeId>,
    /// Client: store VALUE as a mutable item signed by --key-seed (under
    /// --salt), at --seq or one past the newest found.
    #[arg(long, value_name = "VALUE", requires = "key_seed")]
    pub put_mutable: Option<String>,
    /// With --put-mutable: the ed25519 secret seed, 64 hex digits.
    #[arg(long, value_name = "HEX", requires = "put_mutable")]
    pub key_seed: Option<String>,
    /// With --put-mutable / --get-mutable: the salt (text, ≤ 64 bytes).
    #[arg(long, value_name = "S")]
    pub salt: Option<String>,
    /// With --put-mutable: the sequence number to publish at.
    #[arg(long, value_name = "N", requires = "put_mutable",
          value_parser = clap::value_parser!(i64).range(0..))]
    pub seq: Option<i64>,
    /// Client: fetch the mutable item of PUBKEY (64 hex digits) and --salt.
    #[arg(long, value_name = "PUBKEY")]
    pub get_mutable: Option<String>,
    /// Driver: read JSON commands from stdin, answer one JSON line each
    /// (see tests/interop/README.md); exits at end of input.
    #[arg(long)]
    pub stdin: bool,
    /// Client: give up after this many seconds (exit 3).
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub wait: f64,
    /// Server output: text lines or one JSON object per line. Client results
    /// are always JSON.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub fn node(a: &KademliaArgs) -> Result<Exit, Failure> {
    if a.salt.is_some() && a.put_mutable.is_none() && a.get_mutable.is_none() {
        return Err(input_error(
            "--salt goes with --put-mutable or --get-mutable",
        ));
    }
    if !(a.wait.is_finite() && a.wait > 0.0 && a.wait <= 86_400.0) {
        return Err(input_error(format!(
            "--wait must be above 0 and at most 86400 seconds, not {}",
            a.wait
        )));
    }
    let opts = Options {
        bind: a.bind,
        bootstrap: a.bootstrap.clone(),
        id: a.id,
        config: Config {
            k: usize::from(a.k),
            alpha: usize::from(a.alpha),
            timeout_ms: a.timeout_ms,
            ..Config::default()
        },
        retry_ms: a.timeout_ms.saturating_mul(2),
    };
    if a.stdin {
        return crate::node_driver::drive(&opts);
    }
    match client_op(a)? {
        Some(op) => once(a, &opts, op),
        None => serve(a, &opts),
    }
}

/// The operation the flags ask for, checked.
fn client_op(a: &KademliaArgs) -> Result<Option<ClientOp>, Failure> {
    let salt = a.salt.clone().unwrap_or_default().into_bytes();
    if salt.len() > 64 {
        return Err(input_error(format!(
            "--salt is {} bytes, at most 64 (BEP 44)",
            salt.len()
        )));
    }
    Ok(Some(if let Some(t) = a.find_node {
        ClientOp::FindNode(t)
    } else if let Some(ih) = a.get_peers {
        ClientOp::GetPeers(ih)
    } else if let Some(ih) = a.announce {
        ClientOp::Announce {
            info_hash: ih,
            port: a.port,
        }
    } else if let Some(v) = &a.put_immutable {
        ClientOp::Put(PutItem::Immutable {
            v: bencoded(v).map_err(input_error)?,
        })
    } else if let Some(t) = a.get_immutable {
        ClientOp::Get(ItemQuery::Immutable { target: t })
    } else if let Some(v) = &a.put_mutable {
        let seed = a.key_seed.as_deref().unwrap_or_default();
        let keys =
            Keypair::from_hex_seed(seed).map_err(|e| input_error(format!("--key-seed: {e}")))?;
        ClientOp::Put(PutItem::Mutable {
            keys: Box::new(keys),
            salt,
            v: bencoded(v).map_err(input_error)?,
            seq: a.seq,
        })
    } else if let Some(k) = &a.get_mutable {
        ClientOp::Get(ItemQuery::Mutable {
            key: public_key(k).map_err(|e| input_error(format!("--get-mutable: {e}")))?,
            salt,
        })
    } else {
        return Ok(None);
    }))
}

/// A 32-byte ed25519 public key from 64 hex digits.
pub(crate) fn public_key(s: &str) -> Result<[u8; 32], String> {
    let b = hex::decode(s)?;
    b.try_into()
        .map_err(|b: Vec<u8>| format!("a public key is 32 bytes (64 hex digits), not {}", b.len()))
}

/// BEP 44's `v` for a text value: the bencoded byte string, at most 1000
/// bytes in all.
pub(crate) fn bencoded(value: &str) -> Result<Vec<u8>, String> {
    let mut v = format!("{}:", value.len()).into_bytes();
    v.extend_from_slice(value.as_bytes());
    if v.len() > 1000 {
        return Err(format!(
            "the value is {} bytes bencoded, at most 1000 (BEP 44)",
            v.len()
        ));
    }
    Ok(v)
}

/// The text inside a bencoded byte string `v`, if it is one and is UTF-8.
pub(crate) fn text_of(v: &[u8]) -> Option<String> {
    let colon = v.iter().position(|&b| b == b':')?;
    let len: usize = std::str::from_utf8(&v[..colon]).ok()?.parse().ok()?;
    let body = v.get(colon + 1..)?;
    (body.len() == len).then(|| String::from_utf8(body.to_vec()).ok())?
}

/// An operation's result as the client prints it.
pub(crate) fn outcome_json(o: &Outcome) -> Value {
    let node = |n: &overlay_impls::kademlia::CompactNode| json!({"id": n.id.to_string(), "addr": n.addr.to_string()});
    json!({
        "op": o.op,
        "ok": o.ok(),
        "target": o.target.to_string(),
        "nodes": o.nodes.iter().map(node).collect::<Vec<_>>(),
        "peers": o.peers.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
        "stored_at": o.stored.iter().map(node).collect::<Vec<_>>(),
        "value": o.value.as_deref().and_then(text_of),
        "v": o.value.as_deref().map(hex::encode),
        "seq": o.seq,
        "hops": o.hops,
        "queries": o.queries,
        "timeouts": o.timeouts,
        "errors": o.errors,
    })
}

pub(crate) fn stats_json(s: &Stats) -> Value {
    json!({
        "received": s.received,
        "sent": s.sent,
        "queries_answered": s.queries_answered,
        "responses": s.responses,
        "errors_received": s.errors_received,
        "timeouts": s.timeouts,
        "rejected": s.rejected,
    })
}

fn report_json(r: &Report) -> Value {
    match r {
        Report::Listening { addr, id } => {
            json!({"event": "listening", "addr": addr.to_string(), "id": id.to_string()})
        }
        Report::Bootstrapped { contacts, retry } => {
            json!({"event": "bootstrapped", "contacts": contacts, "retry": retry})
        }
        Report::Done { tag, outcome } => {
            json!({"event": "done", "tag": tag, "outcome": outcome_json(outcome)})
        }
        Report::Table { tag, contacts } => {
            json!({"event": "table", "tag": tag, "contacts": contacts.len()})
        }
        Report::Stopping { reason } => json!({"event": "stopping", "reason": reason}),
        Report::Stopped { stats, counts } => json!({
            "event": "stopped",
            "stats": stats_json(stats),
            "datagrams": counts_json(counts),
        }),
    }
}

fn report_text(r: &Report) -> String {
    match r {
        Report::Listening { addr, id } => format!("{addr} listening, id {id}"),
        Report::Bootstrapped { retry: true, .. } => "bootstrap reached nobody; retrying".to_string(),
        Report::Bootstrapped { contacts: 0, .. } => "started a new DHT (no --bootstrap)".to_string(),
        Report::Bootstrapped { contacts, .. } => format!("bootstrapped: {contacts} contacts"),
        Report::Stopping { reason } => format!("stopping ({reason})"),
        Report::Stopped { stats, counts } => format!(
            "stopped: {} datagrams received ({} malformed), {} sent; {} queries answered; rejected {:?}",
            counts.received, counts.malformed, counts.sent, stats.queries_answered, stats.rejected
        ),
        other => report_json(other).to_string(),
    }
}

fn serve(a: &KademliaArgs, opts: &Options) -> Result<Exit, Failure> {
    let (_keep, requests) = mpsc::unbounded_channel();
    let format = a.format;
    udp::run(opts, Stop::Signals, requests, |r| match format {
        Format::Text => println!("{}", report_text(&r)),
        Format::Json => println!("{}", report_json(&r)),
    })
    .map_err(|e| input_error(e.to_string()))?;
    Ok(Exit::Ok)
}

/// Bootstraps, runs `op` once the table is not empty, prints its result.
fn once(a: &KademliaArgs, opts: &Options, op: ClientOp) -> Result<Exit, Failure> {
    let (tx, requests) = mpsc::unbounded_channel();
    let (stop_tx, stop_rx) = oneshot::channel();
    let wait = Duration::from_secs_f64(a.wait);
    let (done_tx, done_rx) = std_mpsc::channel::<()>();
    // The deadline: a thread that fires the stop unless the result came.
    std::thread::spawn(move || {
        let _ = done_rx.recv_timeout(wait);
        let _ = stop_tx.send(());
    });
    let pubkey = match &op {
        ClientOp::Put(PutItem::Mutable { keys, .. }) => Some(keys.public()),
        _ => None,
    };
    let mut op = Some(op);
    let mut result: Option<Outcome> = None;
    let mut last_contacts = None;
    udp::run(opts, Stop::On(stop_rx), requests, |r| match r {
        Report::Bootstrapped { contacts, .. } => {
            last_contacts = Some(contacts);
            // No one to ask yet: wait for the retry (or the deadline).
            if contacts > 0 || opts.bootstrap.is_empty() {
                if let Some(op) = op.take() {
                    let _ = tx.send(Request::Op { tag: 0, op });
                }
            }
        }
        Report::Done { outcome, .. } => {
            result = Some(outcome);
            let _ = tx.send(Request::Stop);
            let _ = done_tx.send(());
        }
        _ => {}
    })
    .map_err(|e| input_error(e.to_string()))?;
    match result {
        Some(o) => {
            let mut v = outcome_json(&o);
            if let Some(k) = pubkey {
                v["pubkey"] = json!(hex::encode(&k));
            }
            println!("{v}");
            Ok(if o.ok() { Exit::Ok } else { Exit::Surprise })
        }
        None => {
            let why = match last_contacts {
                None | Some(0) => "no bootstrap node answered".to_string(),
                Some(_) => "the operation did not end".to_string(),
            };
            println!(
                "{}",
                json!({"ok": false, "error": format!("{why} within {} s", a.wait)})
            );
            Ok(Exit::Budget)
        }
    }
}
