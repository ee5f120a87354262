//! `overlay node von` over real UDP on 127.0.0.1, as separate processes:
//! a gateway and nodes at fixed positions (single nodes and a process of
//! three) join; inspection shows every node knows its AOI neighbours; a
//! SIGTERM'd node sends LEAVE, exits 0 and disappears from every table; a
//! SIGKILL'd node is presumed failed after its silence and disappears
//! too; garbage datagrams are counted, not fatal; walking nodes move and
//! their tables change; bad flags and addresses exit 2 with a clear
//! message, a silent node exits 3.
//!
//! Every node binds port 0 and reports its address on its `listening`
//! line. Nodes run with `--heartbeat-ms 200` (a silent neighbour is
//! presumed failed after 0.7 s), so the file takes a few seconds; every
//! wait polls with a generous deadline and asserts nothing about how long
//! things took.

#![cfg(unix)]

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;
use common::procs::{run, Procs};

const LIMIT: Duration = Duration::from_secs(20);
const HEARTBEAT: &str = "200";

/// Starts `overlay node von --bind 127.0.0.1:0 --aoi 150 EXTRA… --format
/// json` running `n` nodes; returns its index and their addresses.
fn spawn_von(procs: &mut Procs, n: usize, extra: &[&str]) -> (usize, Vec<SocketAddr>) {
    let mut args = vec![
        "node",
        "von",
        "--bind",
        "127.0.0.1:0",
        "--aoi",
        "150",
        "--heartbeat-ms",
        HEARTBEAT,
        "--watch-ms",
        "100",
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let p = procs.spawn(&args);
    let addrs = procs.listening(p, n);
    (p, addrs)
}

/// Waits for process `p`'s next event named `name`.
fn await_event(procs: &mut Procs, p: usize, name: &str) -> Value {
    let deadline = Instant::now() + LIMIT;
    loop {
        let v = procs.next_event(p, deadline);
        if v["event"] == name {
            return v;
        }
    }
}

/// `overlay node von --query A…` (JSON): exit code and result.
fn query(addrs: &[SocketAddr], extra: &[&str]) -> (i32, Value) {
    let owned: Vec<String> = addrs.iter().map(|a| a.to_string()).collect();
    let mut args = vec!["node", "von", "--format", "json", "--wait", "1"];
    for a in &owned {
        args.extend_from_slice(&["--query", a]);
    }
    args.extend_from_slice(extra);
    let (code, out, err) = run(&args, LIMIT);
    let v = serde_json::from_str(out.trim())
        .unwrap_or_else(|e| panic!("not JSON ({e}): {out}\nstderr: {err}"));
    (code, v)
}

/// Queries until `ok` holds of the (exit code, result), or panics.
fn query_until(addrs: &[SocketAddr], extra: &[&str], ok: impl Fn(i32, &Value) -> bool) -> Value {
    let deadline = Instant::now() + LIMIT;
    loop {
        let (code, v) = query(addrs, extra);
        if ok(code, &v) {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "never settled; last ({code}): {v:#}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The addresses in node `a`'s table, from a query result.
fn table(v: &Value, a: SocketAddr) -> Vec<String> {
    let node = v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["addr"] == a.to_string())
        .unwrap_or_else(|| panic!("{a} did not answer: {v:#}"));
    node["neighbours"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["addr"].as_str().unwrap().to_string())
        .collect()
}

fn names(v: &Value, gone: SocketAddr) -> bool {
    v["nodes"].as_array().unwrap().iter().any(|n| {
        n["neighbours"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["addr"] == gone.to_string())
    })
}

#[test]
fn nodes_learn_their_aoi_neighbours_and_forget_leavers_and_the_dead() {
    let mut procs = Procs::new();
    // A cluster around (100, 100) and a pair far off at (700, 700): with
    // R = 150, the cluster are each other's AOI neighbours, the far pair
    // each other's, and the two groups are linked only as enclosing
    // neighbours.
    let (pg, g) = spawn_von(&mut procs, 1, &["--pos", "100,100"]);
    let started = await_event(&mut procs, pg, "joined");
    assert_eq!(started["via"], Value::Null, "{started}");
    let gw = g[0].to_string();
    let mut all = vec![g[0]];
    let mut single = Vec::new();
    for pos in ["180,120", "130,200", "700,700"] {
        let (p, a) = spawn_von(&mut procs, 1, &["--pos", pos, "--gateway", &gw]);
        let j = await_event(&mut procs, p, "joined");
        assert_eq!(j["via"], gw, "{j}");
        all.push(a[0]);
        single.push((p, a[0]));
    }
    // Three in one process, at given positions.
    let (pk, trio) = spawn_von(
        &mut procs,
        3,
        &[
            "--pos",
            "60,160",
            "--pos",
            "200,40",
            "--pos",
            "720,640",
            "--gateway",
            &gw,
        ],
    );
    for _ in 0..3 {
        await_event(&mut procs, pk, "joined");
    }
    all.extend(&trio);

    // Garbage at one node: counted, and the node carries on.
    let junk = UdpSocket::bind("127.0.0.1:0").unwrap();
    for d in [&b""[..], b"\x01", b"\x02\x07", b"\x01\x04not a position"] {
        junk.send_to(d, g[0]).unwrap();
    }

    // Every node knows every other inside its AOI (the client's --check).
    let v = query_until(&all, &["--check"], |code, _| code == 0);
    assert_eq!(v["missing_aoi"], Value::Array(vec![]), "{v:#}");
    let (a180, a130, far) = (single[0].1, single[1].1, single[2].1);
    let t = table(&v, g[0]);
    for n in [a180, a130, trio[0], trio[1]] {
        assert!(t.contains(&n.to_string()), "{t:?}: {v:#}");
    }
    assert!(table(&v, far).contains(&trio[2].to_string()), "{v:#}");
    assert!(table(&v, trio[2]).contains(&far.to_string()), "{v:#}");
    for n in v["nodes"].as_array().unwrap() {
        assert_eq!(n["status"], "member", "{n}");
        for e in n["neighbours"].as_array().unwrap() {
            assert!(
                e["aoi"] == true || e["enclosing"] == true,
                "an entry neither in the AOI nor enclosing: {n}"
            );
        }
    }
    // The text form of the same.
    let (code, out, err) = run(&["node", "von", "--query", &gw, "--wait", "1"], LIMIT);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with(&format!("{gw} id ")), "{out}");
    assert!(out.contains("member at (100, 100), AOI 150"), "{out}");
    assert!(
        out.contains(&format!("{a180} ")) && out.contains("aoi"),
        "{out}"
    );

    // SIGTERM the node at (180, 120): it tells its neighbours and exits 0;
    // nobody names it any more.
    let (pl, leaver) = single[0];
    let status = procs.terminate(pl, Duration::from_secs(5));
    assert!(status.success(), "{status:?}");
    procs.drain(Duration::from_millis(300));
    let ev = procs.events_of(pl);
    let left = ev
        .iter()
        .find(|e| e["event"] == "left")
        .expect("a left event");
    assert!(left["told"].as_u64().unwrap() >= 4, "{left}");
    assert_eq!(left["note"], Value::Null, "{left}");
    let rest: Vec<SocketAddr> = all.iter().copied().filter(|&a| a != leaver).collect();
    let v = query_until(&rest, &["--check"], |code, v| {
        code == 0 && !names(v, leaver)
    });
    assert!(!names(&v, leaver));

    // SIGKILL the node at (130, 200): no LEAVE; its neighbours notice the
    // silence, report it failed, and drop it.
    let (pd, dead) = single[1];
    procs.kill(pd);
    // (A node that learnt the leaver again by hearsay may also report it
    // failed meanwhile: look for the dead one.)
    let deadline = Instant::now() + LIMIT;
    loop {
        let v = procs.next_event(pg, deadline);
        if v["event"] == "failed" && v["peer"] == dead.to_string() {
            break;
        }
    }
    let rest: Vec<SocketAddr> = rest.into_iter().filter(|&a| a != dead).collect();
    query_until(&rest, &["--check"], |code, v| code == 0 && !names(v, dead));

    // The gateway's counters, on its way out: the garbage was counted.
    let status = procs.terminate(pg, Duration::from_secs(5));
    assert!(status.success(), "{status:?}");
    procs.drain(Duration::from_millis(300));
    let stopped = procs
        .events_of(pg)
        .into_iter()
        .find(|e| e["event"] == "stopped")
        .expect("a stopped event");
    assert_eq!(stopped["datagrams"]["malformed"], 4, "{stopped}");
    // The three in one process all leave.
    assert!(procs.terminate(pk, Duration::from_secs(5)).success());
    procs.drain(Duration::from_millis(300));
    let lefts = procs
        .events_of(pk)
        .into_iter()
        .filter(|e| e["event"] == "left" && e["note"].is_null())
        .count();
    assert_eq!(lefts, 3);
}

#[test]
fn walking_nodes_move_and_their_neighbours_change() {
    let mut procs = Procs::new();
    let (_, g) = spawn_von(&mut procs, 1, &["--pos", "150,150"]);
    let gw = g[0].to_string();
    // Six walkers, fast: seeded positions and paths.
    let (pw, walkers) = spawn_von(
        &mut procs,
        6,
        &[
            "--gateway",
            &gw,
            "--count",
            "6",
            "--seed",
            "5",
            "--world",
            "600",
            "--walk",
            "300",
            "--step-ms",
            "50",
        ],
    );
    for _ in 0..6 {
        await_event(&mut procs, pw, "joined");
    }
    let pos = |v: &Value, a: SocketAddr| {
        v["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["addr"] == a.to_string())
            .map(|n| n["pos"].clone())
            .unwrap_or_else(|| panic!("{a} did not answer: {v:#}"))
    };
    let (code, first) = query(&walkers, &[]);
    assert_eq!(code, 0, "{first:#}");
    std::thread::sleep(Duration::from_millis(500));
    let (code, later) = query(&walkers, &[]);
    assert_eq!(code, 0, "{later:#}");
    for &w in &walkers {
        assert_ne!(pos(&first, w), pos(&later, w), "{w} did not move");
        let p = pos(&later, w);
        for c in p.as_array().unwrap() {
            let c = c.as_f64().unwrap();
            assert!((0.0..600.0).contains(&c), "{w} left the world: {p}");
        }
    }
    // Tables change as they walk: some node reports an entry that went
    // (with R = 150 in a 600 × 600 world, neighbours come and go).
    let deadline = Instant::now() + LIMIT;
    loop {
        let v = procs.next_event(pw, deadline);
        if v["event"] == "neighbours" && !v["removed"].as_array().unwrap().is_empty() {
            break;
        }
    }
}

#[test]
fn bad_flags_and_addresses_are_usage_errors_and_silence_is_exit_3() {
    let cases: &[(&[&str], &str)] = &[
        (&["node", "von"], "--bind"),
        (&["node", "von", "--bind", "nonsense"], "not an address"),
        (
            &["node", "von", "--bind", "127.0.0.1:0", "--pos", "1"],
            "X,Y",
        ),
        (
            &["node", "von", "--bind", "127.0.0.1:0", "--pos", "nan,0"],
            "finite",
        ),
        (
            &["node", "von", "--bind", "127.0.0.1:0", "--pos", "1,x"],
            "`x`",
        ),
        (
            &[
                "node",
                "von",
                "--bind",
                "127.0.0.1:0",
                "--count",
                "2",
                "--pos",
                "1,1",
            ],
            "one --pos per node",
        ),
        (
            &["node", "von", "--bind", "127.0.0.1:0", "--aoi", "-5"],
            "--aoi",
        ),
        (
            &["node", "von", "--bind", "127.0.0.1:0", "--world", "0"],
            "--world",
        ),
        (
            &["node", "von", "--bind", "127.0.0.1:0", "--walk", "0"],
            "--walk",
        ),
        (
            &["node", "von", "--bind", "127.0.0.1:0", "--step-ms", "100"],
            "--walk",
        ),
        (&["node", "von", "--bind", "0.0.0.0:4000"], "unspecified"),
        (
            &[
                "node",
                "von",
                "--bind",
                "127.0.0.1:0",
                "--gateway",
                "0.0.0.0:4000",
            ],
            "unspecified",
        ),
        (
            &[
                "node",
                "von",
                "--query",
                "127.0.0.1:4000",
                "--gateway",
                "127.0.0.1:4001",
            ],
            "cannot be used with",
        ),
        (&["node", "von", "--query", "127.0.0.1:0"], "port 0"),
        (
            &["node", "von", "--query", "127.0.0.1:4000", "--wait", "-1"],
            "--wait",
        ),
        (
            &["node", "von", "--bind", "127.0.0.1:0", "--check"],
            "--query",
        ),
    ];
    for (args, needle) in cases {
        let (code, out, err) = run(args, LIMIT);
        assert_eq!(code, 2, "{args:?}: {out} {err}");
        assert!(
            err.contains(needle),
            "{args:?}: stderr lacks {needle:?}:\n{err}"
        );
    }
    // A port in use.
    let busy = UdpSocket::bind("127.0.0.1:0").unwrap();
    let b = busy.local_addr().unwrap().to_string();
    let (code, _, err) = run(&["node", "von", "--bind", &b], LIMIT);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot bind"), "{err}");
    // A node that never answers: exit 3, saying who.
    let (code, out, err) = run(
        &[
            "node", "von", "--query", &b, "--wait", "0.3", "--format", "json",
        ],
        LIMIT,
    );
    assert_eq!(code, 3, "{out} {err}");
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["unanswered"][0], b, "{v}");
    assert!(err.contains("no answer"), "{err}");
}
