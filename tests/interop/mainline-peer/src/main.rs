//! The `mainline` crate as an interop peer: the driver protocol of
//! tests/interop/README.md on stdin/stdout.
//!
//! `mainline-peer --bind 127.0.0.1:PORT [--bootstrap 127.0.0.1:P]…`
//!
//! Server mode from the start (an adaptive node answers no query until it
//! believes it is not firewalled), bound to the given address, and the
//! given bootstrap list only: with none, `no_bootstrap()`, never the
//! crate's default routers.
#![allow(deprecated)] // the blocking API: one command at a time is all we need

use std::io::{BufRead, Write};
use std::net::{SocketAddr, SocketAddrV4};

use mainline::{Dht, Id, MutableItem, SigningKey};
use serde_json::{json, Value};

fn main() {
    if let Err(e) = run() {
        eprintln!("mainline-peer: {e}");
        std::process::exit(2);
    }
}

fn run() -> Result<(), String> {
    let (bind, bootstrap) = args()?;
    let mut builder = Dht::builder();
    builder
        .server_mode()
        .bind_address(*bind.ip())
        .port(bind.port());
    if bootstrap.is_empty() {
        builder.no_bootstrap();
    } else {
        let list: Vec<String> = bootstrap.iter().map(|a| a.to_string()).collect();
        builder.bootstrap(&list);
    }
    let dht = builder.build().map_err(|e| format!("bind {bind}: {e}"))?;
    let info = dht.info();
    say(&json!({
        "ready": true,
        "id": info.id().to_string(),
        "port": info.local_addr().port(),
        "impl": "mainline 8.0.1",
    }));
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let line = line.map_err(|e| e.to_string())?;
        if line.trim().is_empty() {
            continue;
        }
        let answer = match serde_json::from_str::<Value>(&line) {
            Ok(cmd) if cmd["op"] == "quit" => {
                say(&json!({"ok": true}));
                return Ok(());
            }
            Ok(cmd) => command(&dht, &cmd).unwrap_or_else(|e| json!({"ok": false, "error": e})),
            Err(e) => json!({"ok": false, "error": format!("not JSON: {e}")}),
        };
        say(&answer);
    }
    Ok(())
}

fn args() -> Result<(SocketAddrV4, Vec<SocketAddrV4>), String> {
    let mut bind = None;
    let mut bootstrap = Vec::new();
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let addr: SocketAddr = value.parse().map_err(|e| format!("{flag} {value}: {e}"))?;
        let SocketAddr::V4(addr) = addr else {
            return Err(format!("{flag} {value}: IPv4 only"));
        };
        match flag.as_str() {
            "--bind" => bind = Some(addr),
            "--bootstrap" => bootstrap.push(addr),
            _ => return Err(format!("unknown argument {flag}")),
        }
    }
    Ok((bind.ok_or("--bind is required")?, bootstrap))
}

fn say(v: &Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{v}");
    let _ = out.flush();
}

fn command(dht: &Dht, cmd: &Value) -> Result<Value, String> {
    let op = cmd["op"].as_str().ok_or("no op")?;
    Ok(match op {
        "id" => {
            let info = dht.info();
            json!({"ok": true, "id": info.id().to_string(), "port": info.local_addr().port()})
        }
        "find_node" => {
            let nodes = dht.find_node(id(cmd, "target")?);
            json!({"ok": true, "nodes": nodes.iter().map(node).collect::<Vec<_>>()})
        }
        "get_peers" => {
            let mut peers: Vec<String> = dht
                .get_peers(id(cmd, "info_hash")?)
                .flatten()
                .map(|p| p.to_string())
                .collect();
            peers.sort();
            peers.dedup();
            json!({"ok": true, "peers": peers})
        }
        "announce" => {
            let port = cmd["port"].as_u64().ok_or("no port")? as u16;
            dht.announce_peer(id(cmd, "info_hash")?, Some(port))
                .map_err(|e| format!("announce_peer: {e}"))?;
            json!({"ok": true})
        }
        "put_immutable" => {
            let target = dht
                .put_immutable(text(cmd, "value")?.as_bytes())
                .map_err(|e| format!("put_immutable: {e}"))?;
            json!({"ok": true, "target": target.to_string()})
        }
        "get_immutable" => {
            let v = dht
                .get_immutable(id(cmd, "target")?)
                .ok_or("get_immutable: no value found")?;
            json!({"ok": true, "value": utf8(&v)?})
        }
        "put_mutable" => {
            let seed: [u8; 32] = unhex(text(cmd, "key_seed")?)?
                .try_into()
                .map_err(|_| "key_seed: 32 bytes expected")?;
            let signer = SigningKey::from_bytes(&seed);
            let pubkey = hex(signer.verifying_key().as_bytes());
            let seq = cmd["seq"].as_i64().ok_or("no seq")?;
            let salt = cmd["salt"].as_str().map(str::as_bytes);
            let item = MutableItem::new(signer, text(cmd, "value")?.as_bytes(), seq, salt);
            let target = dht
                .put_mutable(item, None)
                .map_err(|e| format!("put_mutable: {e}"))?;
            json!({"ok": true, "target": target.to_string(), "pubkey": pubkey})
        }
        "get_mutable" => {
            let key: [u8; 32] = unhex(text(cmd, "pubkey")?)?
                .try_into()
                .map_err(|_| "pubkey: 32 bytes expected")?;
            let salt = cmd["salt"].as_str().map(str::as_bytes);
            let item = dht
                .get_mutable_most_recent(&key, salt)
                .ok_or("get_mutable: no value found")?;
            json!({"ok": true, "value": utf8(item.value())?, "seq": item.seq()})
        }
        // The public API gives the routing table's addresses, not its ids.
        "table" => {
            let mut addrs = dht.to_bootstrap();
            addrs.sort();
            let nodes: Vec<Value> = addrs.iter().map(|a| json!({"addr": a})).collect();
            json!({"ok": true, "nodes": nodes})
        }
        _ => return Err(format!("unknown op {op:?}")),
    })
}

fn node(n: &mainline::Node) -> Value {
    json!({"id": n.id().to_string(), "addr": n.address().to_string()})
}

fn text<'a>(cmd: &'a Value, key: &str) -> Result<&'a str, String> {
    cmd[key].as_str().ok_or(format!("no {key}"))
}

fn id(cmd: &Value, key: &str) -> Result<Id, String> {
    Id::from_bytes(unhex(text(cmd, key)?)?).map_err(|e| format!("{key}: {e}"))
}

fn utf8(v: &[u8]) -> Result<String, String> {
    String::from_utf8(v.to_vec()).map_err(|_| "value is not UTF-8".into())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Result<Vec<u8>, String> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return Err(format!("not hex: {s:?}"));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|_| format!("not hex: {s:?}")))
        .collect()
}
