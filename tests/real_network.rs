//! Real nodes over UDP, as separate OS processes on 127.0.0.1: a ring of
//! 16 processes forms, stores keys, loses 4 nodes to SIGKILL, repairs
//! itself and still serves every key; a graceful SIGTERM hands keys on;
//! `--count` runs a ring in one process; the client's exit codes.
//!
//! Every node binds port 0 (or, for `--count`, consecutive ports found
//! free just before) and reports its address on its `listening` line, so
//! tests never collide on ports. Every wait has a deadline, and a [`Procs`]
//! guard kills whatever is still running when a test ends, passes or not.
//! Nodes run with `--tick-ms 100 --timeout-ms 400` so that the file takes
//! seconds, not minutes.

#![cfg(unix)]

use std::collections::BTreeMap;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use overlay_impls::chord::{Id, Msg, Peer};
use overlay_impls::runtime::udp::{inspect, ring_problems};
use overlay_impls::runtime::Wire;
use serde_json::Value;

mod common;
use common::procs::{run, Procs};

/// Successor-list length, hence copies per key.
const R: usize = 3;
const NODE_FLAGS: [&str; 8] = [
    "--tick-ms",
    "100",
    "--timeout-ms",
    "400",
    "--succ-list",
    "3",
    "--format",
    "json",
];
/// How long a ring may take to (re)converge before the test fails.
const CONVERGE: Duration = Duration::from_secs(30);

// ------------------------------------------------------------- processes

/// Starts `overlay node chord ARGS… NODE_FLAGS…`; returns its index.
fn spawn_chord(procs: &mut Procs, args: &[&str]) -> usize {
    let mut all = vec!["node", "chord"];
    all.extend_from_slice(args);
    all.extend_from_slice(&NODE_FLAGS);
    procs.spawn(&all)
}

/// `overlay node chord --bind 127.0.0.1:0 --bootstrap B (--put K=V | --get K) --format json`.
fn client(bootstrap: SocketAddr, op: &str, arg: &str) -> (i32, Value, String) {
    let b = bootstrap.to_string();
    let args = [
        "node",
        "chord",
        "--bind",
        "127.0.0.1:0",
        "--bootstrap",
        &b,
        op,
        arg,
        "--wait",
        "5",
        "--format",
        "json",
    ];
    let (code, out, err) = run(&args, Duration::from_secs(15));
    let v = serde_json::from_str(out.trim()).unwrap_or(Value::Null);
    (code, v, err)
}

// ------------------------------------------------------------------ ring

/// Polls until the ring of `live` is ideal; returns how long it took.
fn await_ring(procs: &mut Procs, live: &[SocketAddr]) -> Duration {
    let start = Instant::now();
    loop {
        let views = inspect(live, Duration::from_millis(500)).expect("a socket to ask from");
        let problems = ring_problems(&views, live, R);
        if problems.is_empty() {
            return start.elapsed();
        }
        if start.elapsed() > CONVERGE {
            procs.drain(Duration::from_millis(10));
            panic!(
                "no ideal ring of {} nodes after {CONVERGE:?}:\n{}\nlog:\n{}",
                live.len(),
                problems.join("\n"),
                procs.log_text()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `live` sorted by identifier: the ring order.
fn ring_order(live: &[SocketAddr]) -> Vec<Peer> {
    let mut ring: Vec<Peer> = live.iter().map(|&a| Peer::at(a)).collect();
    ring.sort();
    ring
}

/// The nodes that should hold `key`: its successor and the next r-1.
fn holders(ring: &[Peer], key: &str) -> Vec<SocketAddr> {
    let id = Id::hash(key.as_bytes());
    let owner = ring.iter().position(|p| p.id >= id).unwrap_or(0);
    (0..R)
        .map(|j| ring[(owner + j) % ring.len()].addr)
        .collect()
}

/// Asks every (node, key) pair with `Fetch` at once; returns the pairs
/// whose node answered without the item (or did not answer).
fn missing_copies(pairs: &[(SocketAddr, String)]) -> Vec<(SocketAddr, String)> {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    for (i, (addr, key)) in pairs.iter().enumerate() {
        let m = Msg::Fetch {
            req: i as u64,
            key: key.clone(),
        };
        socket.send_to(&m.encode(), addr).unwrap();
    }
    let mut held = vec![false; pairs.len()];
    let deadline = Instant::now() + Duration::from_secs(1);
    let mut buf = vec![0u8; 65_536];
    while Instant::now() < deadline && held.iter().any(|h| !h) {
        socket
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        if let Ok((n, _)) = socket.recv_from(&mut buf) {
            if let Ok(Msg::Value {
                req,
                item: Some(item),
                ..
            }) = Msg::decode(&buf[..n])
            {
                if let Some(h) = held.get_mut(req as usize) {
                    *h = item.key == pairs[req as usize].1;
                }
            }
        }
    }
    pairs
        .iter()
        .zip(held)
        .filter(|(_, h)| !h)
        .map(|(p, _)| p.clone())
        .collect()
}

// ----------------------------------------------------------------- tests

#[test]
fn sixteen_processes_repair_after_four_kills_and_keep_every_key() {
    const N: usize = 16;
    const KEYS: usize = 30;
    let t0 = Instant::now();
    let mut procs = Procs::new();
    spawn_chord(&mut procs, &["--bind", "127.0.0.1:0"]);
    let first = procs.listening(0, 1)[0];
    let mut addrs = vec![first];
    let boot = first.to_string();
    for _ in 1..N {
        spawn_chord(&mut procs, &["--bind", "127.0.0.1:0", "--bootstrap", &boot]);
    }
    for i in 1..N {
        addrs.push(procs.listening(i, 1)[0]);
    }
    let formed = await_ring(&mut procs, &addrs);
    eprintln!("{N} processes: ideal ring {formed:?} after the last started");

    // Store the keys through varying bootstrap nodes, all clients at once.
    let puts: Vec<_> = (0..KEYS)
        .map(|k| {
            let via = addrs[k % N];
            std::thread::spawn(move || client(via, "--put", &format!("key-{k}=value-{k}")))
        })
        .collect();
    for (k, p) in puts.into_iter().enumerate() {
        let (code, v, err) = p.join().unwrap();
        assert_eq!(code, 0, "put key-{k}: {v} {err}");
        assert_eq!(v["found"], true, "put key-{k}: {v}");
        assert!(v["owner"]["addr"].is_string(), "put key-{k}: {v}");
    }

    // Kill 4 nodes, no two of them neighbours on the ring, so that each
    // key keeps at least r-1 = 2 of its 3 copies.
    let ring = ring_order(&addrs);
    let victims: Vec<SocketAddr> = [1, 5, 9, 13].iter().map(|&j| ring[j].addr).collect();
    for v in &victims {
        let i = addrs.iter().position(|a| a == v).unwrap();
        procs.kill(i);
    }
    let survivors: Vec<SocketAddr> = addrs
        .iter()
        .copied()
        .filter(|a| !victims.contains(a))
        .collect();
    let repaired = await_ring(&mut procs, &survivors);
    eprintln!(
        "killed {victims:?}: ideal ring of {} after {repaired:?}",
        survivors.len()
    );

    // Every key is readable through every kind of entry point, at once.
    let gets: Vec<_> = (0..KEYS)
        .map(|k| {
            let via = survivors[k % survivors.len()];
            std::thread::spawn(move || client(via, "--get", &format!("key-{k}")))
        })
        .collect();
    for (k, g) in gets.into_iter().enumerate() {
        let (code, v, err) = g.join().unwrap();
        assert_eq!(code, 0, "get key-{k}: {v} {err}");
        assert_eq!(v["value"], format!("value-{k}"), "get key-{k}: {v}");
    }

    // Re-replication: each key's r live holders get a copy again.
    let live_ring = ring_order(&survivors);
    let pairs: Vec<(SocketAddr, String)> = (0..KEYS)
        .flat_map(|k| {
            let key = format!("key-{k}");
            holders(&live_ring, &key)
                .into_iter()
                .map(move |h| (h, key.clone()))
        })
        .collect();
    let start = Instant::now();
    loop {
        let missing = missing_copies(&pairs);
        if missing.is_empty() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "copies still missing: {missing:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    eprintln!(
        "every key back to {R} copies {:?} after the repair",
        start.elapsed()
    );

    // A graceful stop: SIGTERM makes the node leave, hand its keys to its
    // successor, and exit 0; the rest repair around it.
    let leaver = survivors[0];
    let i = addrs.iter().position(|a| *a == leaver).unwrap();
    let status = procs.terminate(i, Duration::from_secs(5));
    assert!(status.success(), "SIGTERM → {status:?}");
    procs.drain(Duration::from_millis(100));
    let events = procs.events_of(i);
    let leaving = events
        .iter()
        .find(|e| e["event"] == "leaving")
        .unwrap_or_else(|| panic!("no leaving event: {events:?}"));
    let succ =
        live_ring[(live_ring.iter().position(|p| p.addr == leaver).unwrap() + 1) % live_ring.len()];
    assert_eq!(leaving["to"]["addr"], succ.addr.to_string(), "{leaving}");
    assert!(events.iter().any(|e| e["event"] == "stopped"), "{events:?}");
    let rest: Vec<SocketAddr> = survivors[1..].to_vec();
    await_ring(&mut procs, &rest);
    for k in 0..KEYS {
        let (code, v, err) = client(rest[k % rest.len()], "--get", &format!("key-{k}"));
        assert_eq!(
            (code, &v["value"]),
            (0, &Value::from(format!("value-{k}"))),
            "{err}"
        );
    }
    eprintln!("whole test: {:?}", t0.elapsed());
}

/// Consecutive free UDP ports on 127.0.0.1 (free when checked: the
/// caller retries if another process takes one meanwhile).
fn free_run(n: u16, attempt: u32) -> u16 {
    let seed = u32::from(std::process::id() as u16) * 7919 + attempt * 104_729;
    let mut base = 20_000 + (seed % 40_000) as u16;
    loop {
        let ok = (0..n).all(|i| UdpSocket::bind(("127.0.0.1", base + i)).is_ok());
        if ok {
            return base;
        }
        base = if base > 60_000 { 20_000 } else { base + n };
    }
}

#[test]
fn count_mode_runs_a_ring_in_one_process_and_leaves_on_sigterm() {
    const K: u16 = 5;
    let mut procs = Procs::new();
    // Start K nodes on consecutive ports; retry on a port taken meanwhile.
    let (i, addrs) = (0..5)
        .find_map(|attempt| {
            let base = free_run(K, attempt);
            let bind = format!("127.0.0.1:{base}");
            let i = spawn_chord(&mut procs, &["--bind", &bind, "--count", &K.to_string()]);
            let deadline = Instant::now() + Duration::from_secs(10);
            let mut addrs = Vec::new();
            while addrs.len() < usize::from(K) {
                let Some(v) = procs.try_next_event(i, deadline) else {
                    break;
                };
                if v["event"] == "listening" {
                    addrs.push(v["addr"].as_str().unwrap().parse::<SocketAddr>().unwrap());
                }
            }
            if addrs.len() == usize::from(K) {
                Some((i, addrs))
            } else {
                procs.kill(i);
                None
            }
        })
        .expect("K consecutive free ports");
    let expected: Vec<SocketAddr> = (0..K)
        .map(|j| SocketAddr::new(addrs[0].ip(), addrs[0].port() + j))
        .collect();
    assert_eq!(addrs, expected, "consecutive ports");
    let formed = await_ring(&mut procs, &addrs);
    eprintln!("{K} nodes in one process: ideal ring after {formed:?}");

    let (code, v, err) = client(addrs[1], "--put", "colour=blue");
    assert_eq!(code, 0, "{v} {err}");
    let (code, v, _) = client(addrs[4], "--get", "colour");
    assert_eq!(
        (code, &v["value"], &v["found"]),
        (0, &Value::from("blue"), &Value::from(true))
    );
    let (code, v, _) = client(addrs[2], "--get", "no-such-key");
    assert_eq!(code, 1, "a missing key exits 1: {v}");
    assert_eq!(
        (&v["found"], &v["value"]),
        (&Value::from(false), &Value::Null)
    );

    // Garbage to a live node: dropped, counted, and the node still answers.
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    for g in [&b"\x00\x01"[..], b"{\"type\":\"nope\"}", b"[]"] {
        s.send_to(g, addrs[0]).unwrap();
    }
    assert!(ring_problems(&inspect(&addrs, Duration::from_secs(1)).unwrap(), &addrs, R).is_empty());

    let status = procs.terminate(i, Duration::from_secs(5));
    assert!(status.success(), "SIGTERM → {status:?}");
    procs.drain(Duration::from_millis(200));
    let events = procs.events_of(i);
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["event"].as_str()).collect();
    assert!(kinds.contains(&"stopping"), "{kinds:?}");
    let leaving: Vec<&str> = events
        .iter()
        .filter(|e| e["event"] == "leaving")
        .filter_map(|e| e["addr"].as_str())
        .collect();
    let stopped: BTreeMap<&str, &Value> = events
        .iter()
        .filter(|e| e["event"] == "stopped")
        .map(|e| (e["addr"].as_str().unwrap(), e))
        .collect();
    let names: Vec<String> = addrs.iter().map(|a| a.to_string()).collect();
    assert_eq!(leaving, names, "every node leaves, in address order");
    assert_eq!(stopped.len(), usize::from(K), "{events:?}");
    assert_eq!(stopped[names[0].as_str()]["malformed"], 3, "{events:?}");
    assert_eq!(stopped[names[1].as_str()]["malformed"], 0, "{events:?}");
}

#[test]
fn a_client_without_an_answer_exits_3_in_time() {
    // A socket that never answers: nothing listens for the overlay there.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let b = silent.local_addr().unwrap().to_string();
    let t = Instant::now();
    let (code, out, err) = run(
        &[
            "node",
            "chord",
            "--bind",
            "127.0.0.1:0",
            "--bootstrap",
            &b,
            "--get",
            "k",
            "--wait",
            "0.5",
        ],
        Duration::from_secs(10),
    );
    assert_eq!(code, 3, "{out} {err}");
    assert!(err.contains("no answer"), "{err}");
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    let (code, out, _) = run(
        &[
            "node",
            "chord",
            "--bind",
            "127.0.0.1:0",
            "--bootstrap",
            &b,
            "--put",
            "k=v",
            "--wait",
            "0.3",
            "--format",
            "json",
        ],
        Duration::from_secs(10),
    );
    assert_eq!(code, 3);
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        (&v["found"], v["error"].is_string()),
        (&Value::from(false), true),
        "{v}"
    );
}

#[test]
fn usage_errors_exit_2_and_name_the_argument() {
    let taken = UdpSocket::bind("127.0.0.1:0").unwrap();
    let taken = taken.local_addr().unwrap().to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["pastry", "--bind", "127.0.0.1:0"],
            "unrecognized subcommand 'pastry'",
        ),
        (
            vec!["chord", "--bind", "127.0.0.1:0", "--id", "abc"],
            "40 hex digits",
        ),
        (
            vec![
                "chord",
                "--bind",
                "127.0.0.1:0",
                "--count",
                "2",
                "--id",
                "0000000000000000000000000000000000000000",
            ],
            "--count",
        ),
        (vec!["chord", "--bind", "nonsense"], "--bind"),
        (
            vec!["chord", "--bind", "127.0.0.1:0", "--bootstrap", "1.2.3.4"],
            "--bootstrap",
        ),
        (
            vec![
                "chord",
                "--bind",
                "127.0.0.1:0",
                "--bootstrap",
                "127.0.0.1:9",
                "--put",
                "novalue",
            ],
            "KEY=VALUE",
        ),
        (
            vec![
                "chord",
                "--bind",
                "127.0.0.1:0",
                "--bootstrap",
                "127.0.0.1:9",
                "--put",
                "=v",
            ],
            "--put",
        ),
        (
            vec![
                "chord",
                "--bind",
                "127.0.0.1:0",
                "--bootstrap",
                "127.0.0.1:9",
                "--put",
                "a=b",
                "--get",
                "a",
            ],
            "--get",
        ),
        (
            vec![
                "chord",
                "--bind",
                "127.0.0.1:0",
                "--bootstrap",
                "127.0.0.1:9",
                "--put",
                "a=b",
                "--count",
                "3",
            ],
            "--count",
        ),
        (
            vec!["chord", "--bind", "127.0.0.1:0", "--put", "a=b"],
            "--bootstrap",
        ),
        (
            vec![
                "chord",
                "--bind",
                "127.0.0.1:0",
                "--bootstrap",
                "127.0.0.1:9",
                "--get",
                "a",
                "--wait",
                "0",
            ],
            "--wait",
        ),
        (
            vec!["chord", "--bind", "127.0.0.1:0", "--wait", "3"],
            "--wait",
        ),
        (
            vec!["chord", "--bind", "127.0.0.1:0", "--count", "0"],
            "--count",
        ),
        (
            vec!["chord", "--bind", "127.0.0.1:0", "--succ-list", "40"],
            "--succ-list",
        ),
        (vec!["chord", "--bind", "0.0.0.0:4000"], "0.0.0.0"),
        (
            vec!["chord", "--bind", "127.0.0.1:65535", "--count", "2"],
            "65535",
        ),
        (vec!["chord", "--bind", &taken], "cannot bind"),
        (
            vec![
                "chord",
                "--bind",
                "127.0.0.1:4000",
                "--bootstrap",
                "127.0.0.1:4000",
            ],
            "--bootstrap",
        ),
    ];
    for (args, needle) in cases {
        let mut full = vec!["node"];
        full.extend(&args);
        let (code, out, err) = run(&full, Duration::from_secs(10));
        assert_eq!(code, 2, "`overlay {}`: {out} {err}", full.join(" "));
        assert!(
            err.contains(needle),
            "`overlay {}` should mention {needle}: {err}",
            full.join(" ")
        );
    }
    let big = format!("k={}", "x".repeat(4000));
    let (code, _, err) = run(
        &[
            "node",
            "chord",
            "--bind",
            "127.0.0.1:0",
            "--bootstrap",
            "127.0.0.1:9",
            "--put",
            &big,
        ],
        Duration::from_secs(10),
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--put") && err.contains("bytes"), "{err}");
}
