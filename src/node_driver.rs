//! `overlay node kademlia --stdin`: the node driven by JSON commands, one
//! per line on stdin, each answered by one JSON line on stdout — the
//! driver protocol the interoperability tests speak to every DHT client
//! (ours, libtorrent's, bittorrent-dht's, the `mainline` crate's); see
//! `tests/interop/README.md`.
//!
//! The first line out is `{"ready":true,"id":…,"port":…}`, once the
//! bootstrap reached someone (at once for a node without --bootstrap).
//! Commands run one at a time, in order; end of input or `quit` stops the
//! node. A line that is not a valid command gets `{"ok":false,"error":…}`
//! naming the problem, and the driver goes on.

use std::io::BufRead;
use std::sync::mpsc as std_mpsc;

use overlay_impls::kademlia::hex;
use overlay_impls::kademlia::items::Keypair;
use overlay_impls::kademlia::udp::{self, ClientOp, Options, Report, Request};
use overlay_impls::kademlia::{ItemQuery, NodeId, PutItem};
use overlay_impls::runtime::udp::Stop;
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};

use crate::exit::{Exit, Failure};

/// The `impl` of the ready line.
const IMPL: &str = concat!("overlay ", env!("CARGO_PKG_VERSION"));
use crate::input_error;
use crate::node_kademlia::{bencoded, outcome_json, public_key};

pub fn drive(opts: &Options) -> Result<Exit, Failure> {
    let (tx, requests) = mpsc::unbounded_channel();
    let (_stop_tx, stop_rx) = oneshot::channel::<()>();
    let (answers_tx, answers_rx) = std_mpsc::channel::<Value>();
    let (ready_tx, ready_rx) = std_mpsc::channel::<(NodeId, u16)>();
    let reader_tx = tx.clone();
    let reader = std::thread::spawn(move || read_commands(ready_rx, answers_rx, reader_tx));
    let mut id = None;
    let mut port = 0;
    let mut ready = false;
    let has_seeds = !opts.bootstrap.is_empty();
    let result = udp::run(opts, Stop::On(stop_rx), requests, |r| match r {
        Report::Listening { addr, id: me } => {
            id = Some(me);
            port = addr.port();
            if !has_seeds {
                ready = true;
                println!(
                    "{}",
                    json!({"ready": true, "id": me.to_string(), "port": port, "impl": IMPL})
                );
                let _ = ready_tx.send((me, port));
            }
        }
        Report::Bootstrapped { contacts, .. } if contacts > 0 && !ready => {
            ready = true;
            let me = id.expect("listening comes first");
            println!(
                "{}",
                json!({"ready": true, "id": me.to_string(), "port": port, "impl": IMPL})
            );
            let _ = ready_tx.send((me, port));
        }
        Report::Done { outcome, .. } => {
            let _ = answers_tx.send(answer(&outcome));
        }
        Report::Table { contacts, .. } => {
            let nodes: Vec<Value> = contacts
                .iter()
                .map(|n| json!({"id": n.id.to_string(), "addr": n.addr.to_string()}))
                .collect();
            let _ = answers_tx.send(json!({"ok": true, "nodes": nodes}));
        }
        _ => {}
    });
    drop(tx);
    result.map_err(|e| input_error(e.to_string()))?;
    let _ = reader.join();
    Ok(Exit::Ok)
}

/// An operation's answer: its result, with `error` saying why when it
/// did not succeed.
fn answer(o: &overlay_impls::kademlia::Outcome) -> Value {
    let mut v = outcome_json(o);
    if !o.ok() {
        let why = match o.op {
            "get_peers" => "no peers found".to_string(),
            "get_immutable" | "get_mutable" => "item not found".to_string(),
            "find_node" => "no node answered".to_string(),
            _ => format!("no node stored it: {}", o.errors.join("; ")),
        };
        v["error"] = json!(format!("{}: {why}", o.op));
    }
    v
}

fn read_commands(
    ready: std_mpsc::Receiver<(NodeId, u16)>,
    answers: std_mpsc::Receiver<Value>,
    tx: mpsc::UnboundedSender<Request>,
) {
    let Ok((me, port)) = ready.recv() else { return };
    let stdin = std::io::stdin();
    for (n, line) in stdin.lock().lines().enumerate() {
        let Ok(line) = line else { break };
        if line.trim().is_empty() {
            continue;
        }
        let (request, pubkey) = match parse(&line) {
            Ok(Command::Quit) => {
                println!("{}", json!({"ok": true}));
                break;
            }
            Ok(Command::Id) => {
                println!(
                    "{}",
                    json!({"ok": true, "id": me.to_string(), "port": port})
                );
                continue;
            }
            Ok(Command::Request(r, pubkey)) => (r, pubkey),
            Err(e) => {
                println!(
                    "{}",
                    json!({"ok": false, "error": format!("line {}: {e}", n + 1)})
                );
                continue;
            }
        };
        if tx.send(request).is_err() {
            break;
        }
        match answers.recv() {
            Ok(mut v) => {
                if let Some(k) = pubkey {
                    v["pubkey"] = json!(hex::encode(&k));
                }
                println!("{v}");
            }
            Err(_) => break,
        }
    }
    let _ = tx.send(Request::Stop);
}

enum Command {
    /// A request to the node; with the public key a put_mutable answer
    /// reports.
    Request(Request, Option<[u8; 32]>),
    Id,
    Quit,
}

fn field<'a>(v: &'a Value, key: &str) -> Result<&'a str, String> {
    v.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("`{key}` (a string) is missing"))
}

fn id_field(v: &Value, key: &str) -> Result<NodeId, String> {
    NodeId::from_hex(field(v, key)?).map_err(|e| format!("`{key}`: {e}"))
}

fn parse(line: &str) -> Result<Command, String> {
    let v: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let salt = || -> Result<Vec<u8>, String> {
        let s = v
            .get("salt")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .as_bytes()
            .to_vec();
        if s.len() > 64 {
            return Err(format!("`salt` is {} bytes, at most 64", s.len()));
        }
        Ok(s)
    };
    let op = |op| Ok(Command::Request(Request::Op { tag: 0, op }, None));
    match field(&v, "op")? {
        "quit" => Ok(Command::Quit),
        "id" => Ok(Command::Id),
        "table" => Ok(Command::Request(Request::Table { tag: 0 }, None)),
        "find_node" => op(ClientOp::FindNode(id_field(&v, "target")?)),
        "get_peers" => op(ClientOp::GetPeers(id_field(&v, "info_hash")?)),
        "announce" => {
            let port = v
                .get("port")
                .and_then(Value::as_u64)
                .map(|p| {
                    u16::try_from(p)
                        .ok()
                        .filter(|&p| p > 0)
                        .ok_or(format!("`port` {p} is not a port"))
                })
                .transpose()?;
            op(ClientOp::Announce {
                info_hash: id_field(&v, "info_hash")?,
                port,
            })
        }
        "put_immutable" => op(ClientOp::Put(PutItem::Immutable {
            v: bencoded(field(&v, "value")?)?,
        })),
        "get_immutable" => op(ClientOp::Get(ItemQuery::Immutable {
            target: id_field(&v, "target")?,
        })),
        "put_mutable" => {
            let keys = Keypair::from_hex_seed(field(&v, "key_seed")?)
                .map_err(|e| format!("`key_seed`: {e}"))?;
            let seq = v
                .get("seq")
                .map(|s| {
                    s.as_i64()
                        .filter(|&s| s >= 0)
                        .ok_or("`seq` is not a whole number ≥ 0")
                })
                .transpose()?;
            let pubkey = keys.public();
            let put = ClientOp::Put(PutItem::Mutable {
                keys: Box::new(keys),
                salt: salt()?,
                v: bencoded(field(&v, "value")?)?,
                seq,
            });
            Ok(Command::Request(
                Request::Op { tag: 0, op: put },
                Some(pubkey),
            ))
        }
        "get_mutable" => op(ClientOp::Get(ItemQuery::Mutable {
            key: public_key(field(&v, "pubkey")?).map_err(|e| format!("`pubkey`: {e}"))?,
            salt: salt()?,
        })),
        other => Err(format!("unknown op `{other}`")),
    }
}
