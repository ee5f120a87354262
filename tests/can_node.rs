//! `overlay node can` over real UDP on 127.0.0.1, as separate processes:
//! nodes join through a bootstrap node at given points; keys put through
//! one node are read through another; a SIGTERM'd node hands its zone
//! and keys over; a SIGKILL'd node's zone is taken over and serves puts
//! and gets again; with two realities a key outlives its owner in one;
//! malformed and impossible datagrams are counted and reported; exit
//! codes 1 (not found), 2 (usage) and 3 (no answer).
//!
//! Every node binds port 0 and reports its address on its `listening`
//! line. Nodes run with `--refresh-ms 300` (a silent neighbour is presumed
//! failed after 1.05 s), so the file takes seconds; every wait polls with
//! a generous deadline and asserts nothing about how long things took.

#![cfg(unix)]

use std::collections::BTreeMap;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;
use common::procs::{run, Procs};

const LIMIT: Duration = Duration::from_secs(20);
const REFRESH: &str = "300";

/// Starts `overlay node can --bind 127.0.0.1:0 EXTRA… --format json`;
/// returns its index and its first node's address.
fn spawn_can(procs: &mut Procs, extra: &[&str]) -> (usize, SocketAddr) {
    let mut args = vec![
        "node",
        "can",
        "--bind",
        "127.0.0.1:0",
        "--refresh-ms",
        REFRESH,
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let p = procs.spawn(&args);
    let addr = procs.listening(p, 1)[0];
    (p, addr)
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

/// A node at `point` joining through `via`, once it has its zone(s).
fn join(procs: &mut Procs, via: SocketAddr, point: &str, extra: &[&str]) -> (usize, SocketAddr) {
    let via = via.to_string();
    let mut args = vec!["--bootstrap", via.as_str(), "--point", point];
    args.extend_from_slice(extra);
    let (p, addr) = spawn_can(procs, &args);
    let v = await_event(procs, p, "joined");
    assert_eq!(v["via"], via, "{v}");
    (p, addr)
}

/// A one-shot client through `via`: (exit code, its JSON result).
fn client(via: SocketAddr, op: &[&str], extra: &[&str]) -> (i32, Value) {
    let via = via.to_string();
    let mut args = vec![
        "node",
        "can",
        "--bind",
        "127.0.0.1:0",
        "--bootstrap",
        &via,
        "--wait",
        "8",
    ];
    args.extend_from_slice(op);
    args.extend_from_slice(extra);
    let (code, out, err) = run(&args, LIMIT);
    let v = serde_json::from_str(out.trim())
        .unwrap_or_else(|e| panic!("{op:?}: not JSON ({e}): {out}\nstderr: {err}"));
    (code, v)
}

fn owner(v: &Value) -> SocketAddr {
    v["owner"]
        .as_str()
        .unwrap_or_else(|| panic!("no owner: {v}"))
        .parse()
        .unwrap()
}

#[test]
fn five_processes_store_hand_over_on_sigterm_and_survive_a_kill() {
    let mut procs = Procs::new();
    let (p0, a0) = spawn_can(&mut procs, &[]);
    let founded = await_event(&mut procs, p0, "joined");
    assert_eq!(founded["via"], Value::Null, "{founded}");
    assert_eq!(founded["zone"]["depth"], 0, "the whole space: {founded}");
    // Joins one at a time at fixed points: the zones are the same on
    // every run, whatever the ports.
    let mut nodes = vec![(p0, a0)];
    for point in ["0.6,0.1", "0.1,0.6", "0.6,0.6", "0.85,0.85"] {
        nodes.push(join(&mut procs, a0, point, &[]));
    }
    let addr_of: Vec<SocketAddr> = nodes.iter().map(|n| n.1).collect();
    let proc_of = |a: SocketAddr| nodes.iter().find(|n| n.1 == a).unwrap().0;

    // Put through one node, get through another.
    let mut owners: BTreeMap<String, SocketAddr> = BTreeMap::new();
    for k in 0..12 {
        let key = format!("key-{k}");
        let (code, v) = client(addr_of[k % 5], &["--put", &key, &format!("v{k}")], &[]);
        assert_eq!((code, &v["found"]), (0, &Value::Bool(true)), "{v}");
        assert!(v["hops"].as_u64().unwrap() >= 1, "{v}");
        owners.insert(key, owner(&v));
    }
    for (k, (key, o)) in owners.iter().enumerate() {
        let (code, v) = client(addr_of[(k + 2) % 5], &["--get", key], &[]);
        assert_eq!(code, 0, "{v}");
        assert_eq!(v["value"], format!("v{}", &key[4..]), "{v}");
        assert_eq!((owner(&v), &v["reality"]), (*o, &Value::from(0)), "{v}");
    }
    let (code, v) = client(a0, &["--get", "no-such-key"], &[]);
    assert_eq!((code, &v["found"]), (1, &Value::Bool(false)), "{v}");

    let held = |owners: &BTreeMap<String, SocketAddr>, a: SocketAddr| {
        owners.values().filter(|&&o| o == a).count()
    };

    // SIGTERM a node whose zone's sibling is one other node's zone (the
    // nodes at 0.1,0.6, 0.6,0.6 and 0.85,0.85), the one holding most
    // keys: it hands zone and keys to that node, which merges the two,
    // and exits 0. Its keys stay readable, from the new owner.
    let leaver = *addr_of[2..]
        .iter()
        .max_by_key(|&&a| (held(&owners, a), a))
        .unwrap();
    let keys = held(&owners, leaver);
    assert!(keys > 0, "{owners:?}");
    let status = procs.terminate(proc_of(leaver), LIMIT);
    assert!(status.success(), "{status:?}");
    procs.drain(Duration::from_millis(200));
    let events = procs.events_of(proc_of(leaver));
    let left = events.iter().find(|v| v["event"] == "left").unwrap();
    assert_eq!(
        (&left["handed"], &left["lost"], &left["keys"], &left["note"]),
        (
            &Value::from(1),
            &Value::from(0),
            &Value::from(keys),
            &Value::Null
        ),
        "{left}"
    );
    assert!(events.iter().any(|v| v["event"] == "stopped"));
    let live: Vec<SocketAddr> = addr_of.iter().copied().filter(|&a| a != leaver).collect();
    let moved: Vec<String> = owners
        .iter()
        .filter(|(_, &o)| o == leaver)
        .map(|(k, _)| k.clone())
        .collect();
    for (i, key) in moved.iter().enumerate() {
        let (code, v) = client(live[i % live.len()], &["--get", key], &[]);
        assert_eq!(code, 0, "{key} after {leaver} left: {v}");
        assert!(live.contains(&owner(&v)), "{v}");
        owners.insert(key.clone(), owner(&v));
    }

    // SIGKILL the node (not the founder) that holds most keys: a
    // neighbour takes its zone over; the keys there are lost (soft state,
    // §2.3), and the zone serves puts and gets again.
    let victim = *live[1..]
        .iter()
        .max_by_key(|&&a| (held(&owners, a), a))
        .unwrap();
    assert!(held(&owners, victim) > 0, "{owners:?}");
    procs.kill(proc_of(victim));
    let survivors: Vec<SocketAddr> = live.iter().copied().filter(|&a| a != victim).collect();
    let deadline = Instant::now() + LIMIT;
    loop {
        procs.pump(Duration::from_millis(100));
        let taken = survivors.iter().any(|&a| {
            procs
                .events_of(proc_of(a))
                .iter()
                .any(|v| v["event"] == "took_over" && v["failed"] == victim.to_string().as_str())
        });
        if taken {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "nobody took over {victim}; log:\n{}",
            procs.log_text()
        );
    }
    let lost: Vec<String> = owners
        .iter()
        .filter(|(_, &o)| o == victim)
        .map(|(k, _)| k.clone())
        .collect();
    for (i, key) in lost.iter().enumerate() {
        let via = survivors[i % survivors.len()];
        let (code, v) = client(via, &["--get", key], &[]);
        assert_eq!(
            (code, &v["found"]),
            (1, &Value::Bool(false)),
            "{key} was lost: {v}"
        );
        assert!(survivors.contains(&owner(&v)), "{v}");
        let (code, v) = client(via, &["--put", key, "again"], &[]);
        assert_eq!(code, 0, "{v}");
        assert!(survivors.contains(&owner(&v)), "{v}");
        let (code, v) = client(survivors[(i + 1) % survivors.len()], &["--get", key], &[]);
        assert_eq!((code, v["value"].as_str()), (0, Some("again")), "{v}");
    }
    // Every other key is where it was, readable from anywhere.
    for (i, key) in owners.keys().filter(|k| !lost.contains(k)).enumerate() {
        let (code, v) = client(survivors[i % survivors.len()], &["--get", key], &[]);
        assert_eq!(code, 0, "{key}: {v}");
    }
}

#[test]
fn with_two_realities_a_key_outlives_its_owner_in_one() {
    let mut procs = Procs::new();
    let two = ["--realities", "2"];
    let (p0, a0) = spawn_can(&mut procs, &two);
    for _ in 0..2 {
        await_event(&mut procs, p0, "joined");
    }
    let mut nodes = vec![(p0, a0)];
    for point in ["0.6,0.1", "0.1,0.6", "0.6,0.6"] {
        let (p, a) = join(&mut procs, a0, point, &two);
        await_event(&mut procs, p, "joined");
        nodes.push((p, a));
    }
    // A key whose owners in the two realities differ, neither the entry
    // node used below (the founder).
    let mut chosen = None;
    for k in 0..16 {
        let key = format!("r-{k}");
        let (code, v) = client(nodes[k % 4].1, &["--put", &key, "kept"], &two);
        assert_eq!(code, 0, "{v}");
        let answers = v["answers"].as_array().unwrap();
        assert_eq!(answers.len(), 2, "stored in both realities: {v}");
        let o: Vec<&str> = answers
            .iter()
            .map(|a| a["owner"].as_str().unwrap())
            .collect();
        if o[0] != o[1] && o[0] != a0.to_string() {
            chosen = Some((key, o[0].parse::<SocketAddr>().unwrap()));
            break;
        }
    }
    let (key, first_owner) = chosen.expect("a key with two distinct owners");
    let victim = nodes.iter().find(|n| n.1 == first_owner).unwrap().0;
    procs.kill(victim);
    // No waiting for a takeover: reality 1 still holds the key.
    let (code, v) = client(a0, &["--get", &key], &two);
    assert_eq!(
        (code, v["value"].as_str(), &v["reality"]),
        (0, Some("kept"), &Value::from(1)),
        "{v}"
    );
}

#[test]
fn malformed_datagrams_are_counted_and_reported() {
    let mut procs = Procs::new();
    // Two nodes in one process: the first founds, the second joins it.
    let p = procs.spawn(&[
        "node",
        "can",
        "--bind",
        "127.0.0.1:0",
        "--count",
        "2",
        "--refresh-ms",
        REFRESH,
        "--format",
        "json",
    ]);
    let addrs = procs.listening(p, 2);
    for _ in 0..2 {
        await_event(&mut procs, p, "joined");
    }
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    let garbage: [&[u8]; 4] = [
        b"",
        b"\xff\xfe\x00garbage",
        br#"{"type":"warp","reality":0}"#,
        &[b'{'; 61 * 1024],
    ];
    for g in garbage {
        s.send_to(g, addrs[0]).unwrap();
    }
    // Well-formed, but impossible for this node: dropped by reason.
    let three_dims =
        r#"{"type":"update","reality":0,"ver":9,"zones":[{"depth":0,"lo":[0,0,0]}],"nbrs":[]}"#;
    let reality_five = r#"{"type":"update","reality":5,"ver":9,"zones":[],"nbrs":[]}"#;
    s.send_to(three_dims.as_bytes(), addrs[0]).unwrap();
    s.send_to(reality_five.as_bytes(), addrs[0]).unwrap();
    // The node still serves.
    let (code, v) = client(addrs[0], &["--put", "k", "v"], &[]);
    assert_eq!(code, 0, "{v}");
    let (code, v) = client(addrs[0], &["--get", "k"], &[]);
    assert_eq!((code, v["value"].as_str()), (0, Some("v")), "{v}");

    let status = procs.terminate(p, LIMIT);
    assert!(status.success(), "{status:?}");
    procs.drain(Duration::from_millis(200));
    let events = procs.events_of(p);
    let first = addrs[0].to_string();
    let stopped = events
        .iter()
        .find(|v| v["event"] == "stopped" && v["addr"] == first.as_str())
        .unwrap_or_else(|| panic!("no stopped event:\n{}", procs.log_text()));
    assert_eq!(stopped["datagrams"]["malformed"], 4, "{stopped}");
    let rejected = &stopped["stats"]["rejected"];
    assert_eq!(rejected["wrong dimension count"], 1, "{stopped}");
    assert_eq!(rejected["unknown reality"], 1, "{stopped}");
    // The nodes left in turn: the first handed its zone to the second,
    // which, alone, had nobody to hand the whole space to.
    let left: Vec<&Value> = events.iter().filter(|v| v["event"] == "left").collect();
    assert_eq!(left.len(), 2, "{left:?}");
    assert_eq!(
        (&left[0]["handed"], &left[0]["lost"]),
        (&1.into(), &0.into())
    );
    assert_eq!(
        (&left[1]["handed"], &left[1]["lost"]),
        (&0.into(), &1.into())
    );
    assert_eq!(left[1]["keys"], 1, "{:?}", left[1]);
}

#[test]
fn exit_codes_say_what_happened() {
    // Nobody at the entry address: exit 3 within --wait, JSON on stdout.
    let dead = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let (code, out, err) = run(
        &[
            "node",
            "can",
            "--bind",
            "127.0.0.1:0",
            "--bootstrap",
            &dead,
            "--get",
            "k",
            "--wait",
            "0.5",
        ],
        LIMIT,
    );
    assert_eq!(code, 3, "{out} {err}");
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        (&v["found"], v["attempts"].as_u64()),
        (&Value::Bool(false), Some(3))
    );
    assert!(err.contains("0 of 1 realities answered"), "{err}");

    let base = ["node", "can", "--bind", "127.0.0.1:0"];
    let cases: &[(&[&str], &str)] = &[
        (&["--point", "0.5"], "1 coordinate for a space of 2"),
        (&["--point", "0.5,1.0"], "fraction in [0, 1)"),
        (&["--point", "a,b"], "not a number"),
        (&["--dims", "3", "--point", "0.1,0.2"], "2 coordinates"),
        (&["--dims", "0"], "--dims"),
        (&["--realities", "17"], "--realities"),
        (&["--put", "k"], "--put <KEY> <VALUE>"),
        (&["--get", "k"], "--bootstrap"),
        (
            &[
                "--bootstrap",
                "127.0.0.1:9",
                "--put",
                "k",
                "v",
                "--get",
                "k",
            ],
            "cannot be used with",
        ),
        (
            &["--bootstrap", "127.0.0.1:9", "--get", "k", "--count", "2"],
            "cannot be used with",
        ),
        (
            &["--bootstrap", "127.0.0.1:9", "--get", "k", "--wait", "0"],
            "--wait",
        ),
        (&["--bootstrap", "127.0.0.1:9", "--get", ""], "KEY is empty"),
        (&["--bootstrap", "nowhere"], "--bootstrap"),
        (&["--bootstrap", "0.0.0.0:9"], "unspecified"),
        (&["--refresh-ms", "1"], "--refresh-ms"),
        (&["--format", "yaml"], "--format"),
    ];
    for (extra, needle) in cases {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        let (code, out, err) = run(&args, LIMIT);
        assert_eq!(code, 2, "{args:?}: {out} {err}");
        assert!(
            err.contains(needle),
            "{args:?}: stderr lacks {needle:?}:\n{err}"
        );
    }
    for bind in ["0.0.0.0:0", "nowhere:1"] {
        let (code, _, err) = run(&["node", "can", "--bind", bind], LIMIT);
        assert_eq!(code, 2, "{bind}: {err}");
    }
    // A client bound where nodes cannot answer it.
    let (code, _, err) = run(
        &[
            "node",
            "can",
            "--bind",
            "0.0.0.0:0",
            "--bootstrap",
            &dead,
            "--get",
            "k",
        ],
        LIMIT,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not an unspecified IP"), "{err}");
    // A port in use.
    let busy = UdpSocket::bind("127.0.0.1:0").unwrap();
    let busy = busy.local_addr().unwrap().to_string();
    let (code, _, err) = run(&["node", "can", "--bind", &busy], LIMIT);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot bind"), "{err}");
}
