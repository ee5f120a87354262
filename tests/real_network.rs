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

use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, UdpSocket};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use overlay_impls::chord::{Id, Msg, Peer};
use overlay_impls::runtime::udp::{inspect, ring_problems};
use overlay_impls::runtime::Wire;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_overlay");
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

/// Node processes of one test, killed (SIGKILL) and reaped on drop.
struct Procs {
    children: Vec<Option<Child>>,
    lines_tx: mpsc::Sender<(usize, String)>,
    lines: mpsc::Receiver<(usize, String)>,
    /// Every stdout/stderr line seen so far, for failure messages.
    log: Vec<(usize, String)>,
    /// JSON events not yet consumed, per process.
    queues: BTreeMap<usize, VecDeque<Value>>,
}

impl Procs {
    fn new() -> Procs {
        let (lines_tx, lines) = mpsc::channel();
        Procs {
            children: Vec::new(),
            lines_tx,
            lines,
            log: Vec::new(),
            queues: BTreeMap::new(),
        }
    }

    /// Starts `overlay node chord ARGS… NODE_FLAGS…`; returns its index.
    fn spawn(&mut self, args: &[&str]) -> usize {
        let i = self.children.len();
        let mut child = Command::new(BIN)
            .args(["node", "chord"])
            .args(args)
            .args(NODE_FLAGS)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the overlay binary starts");
        let out = child.stdout.take().expect("piped stdout");
        let err = child.stderr.take().expect("piped stderr");
        for (stream, tag) in [
            (Box::new(out) as Box<dyn Read + Send>, ""),
            (Box::new(err), "stderr: "),
        ] {
            let tx = self.lines_tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if tx.send((i, format!("{tag}{line}"))).is_err() {
                        break;
                    }
                }
            });
        }
        self.children.push(Some(child));
        i
    }

    /// Reads one line (waiting at most `t`) into the log and, when it is
    /// a JSON event, into its process's queue. `false` on timeout.
    fn pump(&mut self, t: Duration) -> bool {
        match self.lines.recv_timeout(t) {
            Ok((j, line)) => {
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    self.queues.entry(j).or_default().push_back(v);
                }
                self.log.push((j, line));
                true
            }
            Err(_) => false,
        }
    }

    /// The next JSON event of process `i`, waiting at most until
    /// `deadline`; `None` then, or as soon as process `i` has exited.
    fn try_next_event(&mut self, i: usize, deadline: Instant) -> Option<Value> {
        loop {
            if let Some(v) = self.queues.get_mut(&i).and_then(|q| q.pop_front()) {
                return Some(v);
            }
            if Instant::now() >= deadline {
                return None;
            }
            if !self.pump(Duration::from_millis(100)) {
                let c = self.children[i].as_mut()?;
                if c.try_wait().expect("waitpid works").is_some() {
                    // Its last lines may still be in the pipe.
                    while self.pump(Duration::from_millis(50)) {}
                    return self.queues.get_mut(&i).and_then(|q| q.pop_front());
                }
            }
        }
    }

    /// The next JSON event of process `i`; panics after `deadline`.
    fn next_event(&mut self, i: usize, deadline: Instant) -> Value {
        self.try_next_event(i, deadline)
            .unwrap_or_else(|| panic!("process {i}: no event in time; log:\n{}", self.log_text()))
    }

    /// The addresses of process `i`'s `n` nodes, from their `listening` lines.
    fn listening(&mut self, i: usize, n: usize) -> Vec<SocketAddr> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut addrs = Vec::new();
        while addrs.len() < n {
            let v = self.next_event(i, deadline);
            if v["event"] == "listening" {
                addrs.push(v["addr"].as_str().unwrap().parse().unwrap());
            }
        }
        addrs
    }

    /// SIGKILL: the node dies at once, with no chance to hand anything on.
    fn kill(&mut self, i: usize) {
        if let Some(mut c) = self.children[i].take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM, then the exit status (within `limit`).
    fn terminate(&mut self, i: usize, limit: Duration) -> ExitStatus {
        let mut c = self.children[i].take().expect("a running process");
        let pid = libc::pid_t::try_from(c.id()).expect("a pid fits pid_t");
        // SAFETY: kill(2) on our own child, which has not been reaped yet.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = c.try_wait().expect("waitpid works") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = c.kill();
                let _ = c.wait();
                panic!("process {i} did not exit within {limit:?} of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Reads lines until none arrives for `t`.
    fn drain(&mut self, t: Duration) {
        while self.pump(t) {}
    }

    fn events_of(&self, i: usize) -> Vec<Value> {
        self.log
            .iter()
            .filter(|(j, _)| *j == i)
            .filter_map(|(_, l)| serde_json::from_str(l).ok())
            .collect()
    }

    fn log_text(&self) -> String {
        let tail = self.log.len().saturating_sub(60);
        self.log[tail..]
            .iter()
            .map(|(i, l)| format!("  [{i}] {l}\n"))
            .collect()
    }
}

impl Drop for Procs {
    fn drop(&mut self) {
        for i in 0..self.children.len() {
            self.kill(i);
        }
    }
}

/// Runs `overlay ARGS…` to completion (killed after `limit`): exit code,
/// stdout, stderr.
fn run(args: &[&str], limit: Duration) -> (i32, String, String) {
    let mut c = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the overlay binary starts");
    let deadline = Instant::now() + limit;
    while c.try_wait().expect("waitpid works").is_none() {
        if Instant::now() > deadline {
            let _ = c.kill();
            let _ = c.wait();
            panic!("`overlay {}` still running after {limit:?}", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = c.wait_with_output().expect("output is readable");
    (
        out.status.code().expect("an exit code, not a signal"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
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
    procs.spawn(&["--bind", "127.0.0.1:0"]);
    let first = procs.listening(0, 1)[0];
    let mut addrs = vec![first];
    let boot = first.to_string();
    for _ in 1..N {
        procs.spawn(&["--bind", "127.0.0.1:0", "--bootstrap", &boot]);
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
            let i = procs.spawn(&["--bind", &bind, "--count", &K.to_string()]);
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
        (vec!["kademlia", "--bind", "127.0.0.1:0"], "unknown overlay"),
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
