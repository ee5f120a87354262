//! `overlay node`: real Chord nodes over UDP, or a one-shot client of a
//! running ring (Kademlia and CAN have their own files: `node_kademlia.rs`,
//! `node_can.rs`). The runtime lives in `overlay_impls::runtime::udp`; this
//! file only checks arguments, maps them onto it, and prints.
//!
//! Output is one line per event (or per answer), text or JSON, so that a
//! script (or the `real_network` test) can follow a node by reading its
//! stdout: the `listening` line carries the bound address, which is how a
//! caller learns the port when it asked for port 0.

use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs};
use std::str::FromStr;
use std::time::Duration;

use overlay_impls::chord::{Config, Peer};
use overlay_impls::runtime::udp::{self, ChordOptions, ClientError, ClientOp, Report, Stop};
use serde_json::{json, Value};

use crate::cli::{Format, NodeArgs, NodeCommand};
use crate::exit::{Exit, Failure};

/// The longest `--wait` accepted: a day, far beyond any sane answer time,
/// and small enough to be a valid `Duration`.
const MAX_WAIT_SECONDS: f64 = 86_400.0;

pub fn node(c: &NodeCommand) -> Result<Exit, Failure> {
    let a = match c {
        NodeCommand::Chord(a) => a,
        NodeCommand::Kademlia(a) => return crate::node_kademlia::node(a),
        NodeCommand::Can(a) => return crate::node_can::node(a),
        NodeCommand::Von(a) => return crate::node_von::node(a),
    };
    let op = match (&a.put, &a.get) {
        (Some(kv), None) => Some(ClientOp::Put {
            key: kv.key.clone(),
            value: kv.value.clone(),
        }),
        (None, Some(key)) if key.is_empty() => {
            return Err(crate::input_error("--get: the KEY is empty"))
        }
        (None, Some(key)) => Some(ClientOp::Get { key: key.clone() }),
        (None, None) => None,
        (Some(_), Some(_)) => return Err(crate::input_error("--put and --get exclude each other")),
    };
    match op {
        Some(op) => ask(a, &op),
        None => serve(a),
    }
}

/// Runs the node(s) until SIGINT/SIGTERM.
fn serve(a: &NodeArgs) -> Result<Exit, Failure> {
    let tick = a.tick_ms;
    let timeout = a.timeout_ms.unwrap_or(tick.saturating_mul(2));
    let config = Config {
        succ_list: usize::from(a.succ_list),
        tick_ms: tick,
        finger_ms: tick,
        probe_ms: tick.saturating_mul(2),
        replicate_ms: tick.saturating_mul(4),
        timeout_ms: timeout,
        ..Config::default()
    };
    let addrs = udp::node_addrs(a.bind, usize::from(a.count))
        .map_err(|e| crate::input_error(format!("--bind: {e}")))?;
    if let Some(b) = a.bootstrap {
        if addrs.contains(&b) {
            return Err(crate::input_error(format!(
                "--bootstrap {b} is a node of this process: give a member of the ring to join, \
                 or leave --bootstrap out to start a new ring"
            )));
        }
    }
    let opts = ChordOptions {
        bind: a.bind,
        count: usize::from(a.count),
        bootstrap: a.bootstrap,
        config,
        join_retry_ms: timeout.max(tick),
        id: a.id,
    };
    let format = a.format;
    udp::run_chord(&opts, Stop::Signals, |r| print_report(format, &r))
        .map_err(|e| crate::input_error(e.to_string()))?;
    Ok(Exit::Ok)
}

fn print_report(format: Format, r: &Report) {
    match format {
        Format::Text => println!("{}", report_text(r)),
        Format::Json => println!("{}", report_json(r)),
    }
}

fn peer_text(p: Option<Peer>) -> String {
    p.map_or_else(|| "none".into(), |p| format!("{p:?}"))
}

fn report_text(r: &Report) -> String {
    match r {
        Report::Listening { addr, id } => format!("{addr} listening, id {id}"),
        Report::Joined {
            addr, via: None, ..
        } => format!("{addr} started a new ring"),
        Report::Joined {
            addr,
            via: Some(via),
            succ,
            prdc,
        } => format!(
            "{addr} joined via {via}: successor {}, predecessor {}",
            peer_text(*succ),
            peer_text(*prdc)
        ),
        Report::JoinFailed {
            addr,
            via,
            reason,
            retry_ms,
        } => format!("{addr} join via {via} failed ({reason}); retrying in {retry_ms} ms"),
        Report::Stopping { reason } => format!("stopping ({reason}): every node leaves"),
        Report::Leaving {
            addr,
            keys,
            to: Some(to),
        } => format!("{addr} leaving: {keys} keys handed to {to:?}"),
        Report::Leaving {
            addr,
            keys,
            to: None,
        } => format!("{addr} leaving: {keys} keys, no successor to hand them to"),
        Report::Stopped { addr, counts } => format!(
            "{addr} stopped: {} datagrams received ({} malformed), {} sent, {} socket errors",
            counts.received, counts.malformed, counts.sent, counts.errors
        ),
    }
}

fn peer_json(p: Option<Peer>) -> Value {
    serde_json::to_value(p).expect("a peer serializes")
}

fn report_json(r: &Report) -> Value {
    match r {
        Report::Listening { addr, id } => json!({
            "event": "listening", "addr": addr.to_string(), "id": id.to_string(),
        }),
        Report::Joined {
            addr,
            via,
            succ,
            prdc,
        } => json!({
            "event": "joined", "addr": addr.to_string(),
            "via": via.map(|v| v.to_string()),
            "succ": peer_json(*succ), "prdc": peer_json(*prdc),
        }),
        Report::JoinFailed {
            addr,
            via,
            reason,
            retry_ms,
        } => json!({
            "event": "join_failed", "addr": addr.to_string(), "via": via.to_string(),
            "reason": reason, "retry_ms": retry_ms,
        }),
        Report::Stopping { reason } => json!({ "event": "stopping", "reason": reason }),
        Report::Leaving { addr, keys, to } => json!({
            "event": "leaving", "addr": addr.to_string(), "keys": keys, "to": peer_json(*to),
        }),
        Report::Stopped { addr, counts } => json!({
            "event": "stopped", "addr": addr.to_string(),
            "received": counts.received, "malformed": counts.malformed,
            "sent": counts.sent, "errors": counts.errors,
        }),
    }
}

/// A node's datagram counters at its stop, as the CAN, Kademlia and VON
/// nodes' `stopped` events give them (`datagrams`).
pub fn counts_json(c: &udp::Counts) -> Value {
    json!({
        "received": c.received, "malformed": c.malformed,
        "sent": c.sent, "errors": c.errors,
    })
}

/// One put or get through the bootstrap node.
fn ask(a: &NodeArgs, op: &ClientOp) -> Result<Exit, Failure> {
    let bootstrap = a
        .bootstrap
        .ok_or_else(|| crate::input_error("--put and --get need --bootstrap ADDR"))?;
    if !(a.wait.is_finite() && a.wait > 0.0 && a.wait <= MAX_WAIT_SECONDS) {
        return Err(crate::input_error(format!(
            "--wait {}: must be a number of seconds above 0 and at most {MAX_WAIT_SECONDS}",
            a.wait
        )));
    }
    let wait = Duration::from_secs_f64(a.wait);
    let (verb, value) = match op {
        ClientOp::Put { value, .. } => ("put", Some(value.as_str())),
        ClientOp::Get { .. } => ("get", None),
    };
    let key = op.key();
    match udp::client(a.bind, bootstrap, op, wait) {
        Ok(ans) => {
            let value = ans.value.as_deref().or(value);
            match a.format {
                Format::Json => println!(
                    "{}",
                    json!({
                        "op": verb, "key": key, "found": ans.found,
                        "value": if ans.found { value } else { None },
                        "owner": peer_json(ans.owner), "hops": ans.hops,
                        "attempts": ans.attempts, "bootstrap": bootstrap.to_string(),
                    })
                ),
                Format::Text => println!(
                    "{}",
                    match (op, ans.found) {
                        (ClientOp::Put { .. }, _) => format!(
                            "stored {key} at {} ({} hops)",
                            peer_text(ans.owner),
                            ans.hops
                        ),
                        (ClientOp::Get { .. }, true) =>
                            format!("{key} = {} ({} hops)", value.unwrap_or_default(), ans.hops),
                        (ClientOp::Get { .. }, false) =>
                            format!("{key}: not found ({} hops)", ans.hops),
                    }
                ),
            }
            Ok(if ans.found { Exit::Ok } else { Exit::Surprise })
        }
        Err(e @ ClientError::TooLarge { .. }) => Err(crate::input_error(format!("--put: {e}"))),
        Err(e @ ClientError::Socket(_)) => Err(crate::input_error(e.to_string())),
        Err(ClientError::NoAnswer {
            attempts,
            last_error,
        }) => {
            let last = last_error.map_or(String::new(), |e| format!("; last error: {e}"));
            let message = format!(
                "{verb} {key}: no answer from {bootstrap} within {} s ({attempts} attempts{last})",
                a.wait
            );
            if a.format == Format::Json {
                println!(
                    "{}",
                    json!({
                        "op": verb, "key": key, "found": false, "value": null,
                        "owner": null, "hops": null, "error": message,
                        "bootstrap": bootstrap.to_string(),
                    })
                );
            }
            Err(Failure {
                code: Exit::Budget,
                message,
            })
        }
    }
}

/// Parses `--bind`/`--bootstrap`: IP:PORT, or HOST:PORT resolved (the
/// first IPv4 address wins, as loopback rings are IPv4 by default).
pub fn parse_addr(s: &str) -> Result<SocketAddr, String> {
    if let Ok(a) = s.parse() {
        return Ok(a);
    }
    let resolved: Vec<SocketAddr> = s
        .to_socket_addrs()
        .map_err(|e| format!("not an address IP:PORT or HOST:PORT, e.g. 127.0.0.1:4000 ({e})"))?
        .collect();
    resolved
        .iter()
        .find(|a| a.is_ipv4())
        .or(resolved.first())
        .copied()
        .ok_or_else(|| format!("`{s}` resolves to no address"))
}

/// `--put KEY=VALUE`: split at the first `=`; the key is not empty, the
/// value may be (and may contain `=`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyValue {
    pub key: String,
    pub value: String,
}

impl FromStr for KeyValue {
    type Err = String;
    fn from_str(s: &str) -> Result<KeyValue, String> {
        match s.split_once('=') {
            None => Err(format!("`{s}` is not KEY=VALUE (no `=`)")),
            Some(("", _)) => Err(format!("`{s}`: the KEY before `=` is empty")),
            Some((k, v)) => Ok(KeyValue {
                key: k.into(),
                value: v.into(),
            }),
        }
    }
}

impl fmt::Display for KeyValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.key, self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_values_split_at_the_first_equals() {
        let kv: KeyValue = "a=b=c".parse().unwrap();
        assert_eq!((kv.key.as_str(), kv.value.as_str()), ("a", "b=c"));
        assert_eq!("k=".parse::<KeyValue>().unwrap().value, "");
        assert!("novalue"
            .parse::<KeyValue>()
            .unwrap_err()
            .contains("no `=`"));
        assert!("=v".parse::<KeyValue>().unwrap_err().contains("empty"));
    }

    #[test]
    fn addresses_parse_literally_or_by_name() {
        assert_eq!(
            parse_addr("127.0.0.1:4000").unwrap(),
            "127.0.0.1:4000".parse::<SocketAddr>().unwrap()
        );
        assert!(parse_addr("localhost:4000").unwrap().ip().is_loopback());
        assert!(parse_addr("4000").is_err());
        assert!(parse_addr("127.0.0.1:99999").is_err());
    }
}
