//! `overlay node kademlia` over real UDP on 127.0.0.1, as separate
//! processes: a small DHT forms through one bootstrap node; the one-shot
//! client's operations (find_node, announce/get_peers, BEP 44 immutable and
//! mutable items) succeed from any entry point; the `--stdin` driver; a
//! malformed datagram is answered with KRPC error 203 and counted; exit
//! codes 1 (not found), 2 (usage) and 3 (nobody answered).

#![cfg(unix)]

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;
use common::procs::{run, Procs};

const LIMIT: Duration = Duration::from_secs(20);

/// `n` server nodes: the first starts the DHT, the others bootstrap
/// through it. Returns their addresses once each has bootstrapped.
fn dht(procs: &mut Procs, n: usize) -> Vec<SocketAddr> {
    let mut addrs = Vec::new();
    for _ in 0..n {
        let mut args = vec![
            "node",
            "kademlia",
            "--bind",
            "127.0.0.1:0",
            "--format",
            "json",
            "--timeout-ms",
            "500",
        ];
        let boot = addrs.first().map(|a: &SocketAddr| a.to_string());
        if let Some(b) = &boot {
            args.extend(["--bootstrap", b.as_str()]);
        }
        let p = procs.spawn(&args);
        addrs.push(procs.listening(p, 1)[0]);
        let deadline = Instant::now() + LIMIT;
        loop {
            let v = procs.next_event(p, deadline);
            if v["event"] == "bootstrapped" {
                assert_eq!(v["retry"], false, "{v}");
                break;
            }
        }
    }
    addrs
}

/// Runs a one-shot client through `via`; (exit code, its JSON result).
fn client(via: SocketAddr, op: &[&str]) -> (i32, Value) {
    let via = via.to_string();
    let mut args = vec![
        "node",
        "kademlia",
        "--bind",
        "127.0.0.1:0",
        "--bootstrap",
        &via,
        "--timeout-ms",
        "500",
    ];
    args.extend_from_slice(op);
    let (code, out, err) = run(&args, LIMIT);
    let v = serde_json::from_str(out.trim())
        .unwrap_or_else(|e| panic!("{op:?}: not JSON ({e}): {out}\nstderr: {err}"));
    (code, v)
}

#[test]
fn a_dht_of_processes_serves_every_operation_from_any_entry() {
    let mut procs = Procs::new();
    let nodes = dht(&mut procs, 6);

    let target = "0123456789abcdef0123456789abcdef01234567";
    let (code, v) = client(nodes[3], &["--find-node", target]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(
        v["nodes"].as_array().unwrap().len(),
        6,
        "every node of a small DHT: {v}"
    );

    let ih = "89abcdef0123456789abcdef0123456789abcdef";
    let (code, v) = client(nodes[1], &["--announce", ih, "--port", "51413"]);
    assert_eq!(code, 0, "{v}");
    let (code, v) = client(nodes[5], &["--get-peers", ih]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["peers"], serde_json::json!(["127.0.0.1:51413"]));

    // BEP 44's immutable test vector: 12:Hello World! has this target.
    let (code, v) = client(nodes[2], &["--put-immutable", "Hello World!"]);
    assert_eq!(
        (code, v["target"].as_str()),
        (0, Some("e5f96f6f38320f0f33959cb4d3d656452117aadb")),
        "{v}"
    );
    let (code, v) = client(
        nodes[4],
        &[
            "--get-immutable",
            "e5f96f6f38320f0f33959cb4d3d656452117aadb",
        ],
    );
    assert_eq!(
        (code, v["value"].as_str()),
        (0, Some("Hello World!")),
        "{v}"
    );

    let seed = "0707070707070707070707070707070707070707070707070707070707070707";
    let (code, v) = client(
        nodes[0],
        &["--put-mutable", "first", "--key-seed", seed, "--salt", "s"],
    );
    assert_eq!(code, 0, "{v}");
    let pubkey = v["pubkey"].as_str().unwrap().to_string();
    let (code, v) = client(
        nodes[1],
        &["--put-mutable", "second", "--key-seed", seed, "--salt", "s"],
    );
    assert_eq!(code, 0, "{v}");
    let (code, v) = client(nodes[3], &["--get-mutable", &pubkey, "--salt", "s"]);
    assert_eq!(
        (code, v["value"].as_str(), v["seq"].as_i64()),
        (0, Some("second"), Some(2)),
        "{v}"
    );
    // An older seq is refused by every node: exit 1, with the reason.
    let (code, v) = client(
        nodes[3],
        &[
            "--put-mutable",
            "stale",
            "--key-seed",
            seed,
            "--salt",
            "s",
            "--seq",
            "1",
        ],
    );
    assert_eq!(code, 1, "{v}");
    assert!(v["errors"][0].as_str().unwrap().contains("302"), "{v}");
    // Nothing under another salt: exit 1.
    let (code, v) = client(nodes[3], &["--get-mutable", &pubkey, "--salt", "t"]);
    assert_eq!((code, &v["value"]), (1, &Value::Null), "{v}");

    // The --stdin driver: ready line, then one answer per command.
    let via = nodes[2].to_string();
    let input = [
        r#"{"op":"id"}"#,
        r#"{"op":"get_immutable","target":"e5f96f6f38320f0f33959cb4d3d656452117aadb"}"#,
        "not json",
        r#"{"op":"quit"}"#,
    ]
    .join("\n");
    let out = common::overlay()
        .args([
            "node",
            "kademlia",
            "--bind",
            "127.0.0.1:0",
            "--bootstrap",
            &via,
            "--stdin",
        ])
        .write_stdin(input)
        .timeout(LIMIT)
        .output()
        .unwrap();
    assert!(out.status.success());
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5, "{lines:?}");
    assert_eq!(lines[0]["ready"], true);
    assert_eq!(lines[1]["id"], lines[0]["id"]);
    assert_eq!(lines[2]["value"], "Hello World!");
    assert_eq!(lines[3]["ok"], false);
    assert!(
        lines[3]["error"]
            .as_str()
            .unwrap()
            .contains("line 3: not JSON"),
        "{:?}",
        lines[3]
    );
    assert_eq!(lines[4]["ok"], true);
}

#[test]
fn a_malformed_datagram_gets_error_203_and_is_counted() {
    let mut procs = Procs::new();
    let node = dht(&mut procs, 1)[0];
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    // find_node without an id: the transaction is readable, so it is answered.
    s.send_to(
        b"d1:ad6:target20:aaaaaaaaaaaaaaaaaaaae1:q9:find_node1:t2:xy1:y1:qe",
        node,
    )
    .unwrap();
    let mut buf = [0u8; 1500];
    let (n, _) = s.recv_from(&mut buf).unwrap();
    let answer = String::from_utf8_lossy(&buf[..n]);
    assert!(answer.contains("1:eli203e"), "{answer}");
    assert!(answer.contains("1:t2:xy"), "{answer}");
    // Garbage: dropped, no answer.
    s.send_to(b"\x00\x01garbage", node).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    assert!(s.recv_from(&mut buf).is_err());
    procs.terminate(0, LIMIT);
    procs.drain(Duration::from_millis(200));
    let stopped = procs
        .events_of(0)
        .into_iter()
        .find(|v| v["event"] == "stopped")
        .unwrap();
    assert_eq!(stopped["datagrams"]["malformed"], 2, "{stopped}");
    assert_eq!(
        stopped["stats"]["rejected"]["malformed (203)"], 1,
        "{stopped}"
    );
    assert_eq!(
        stopped["stats"]["rejected"]["malformed (dropped)"], 1,
        "{stopped}"
    );
}

#[test]
fn exit_codes_say_what_happened() {
    // Nobody at the bootstrap address: exit 3 within --wait.
    let dead = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let started = Instant::now();
    let (code, out, _) = run(
        &[
            "node",
            "kademlia",
            "--bind",
            "127.0.0.1:0",
            "--bootstrap",
            &dead,
            "--find-node",
            "0123456789abcdef0123456789abcdef01234567",
            "--wait",
            "1",
            "--timeout-ms",
            "200",
        ],
        LIMIT,
    );
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("no bootstrap node answered"), "{out}");
    assert!(started.elapsed() < Duration::from_secs(8));
    // Usage errors: exit 2, naming the flag.
    let cases: &[(&[&str], &str)] = &[
        (&["--find-node", "xyz"], "--find-node"),
        (&["--put-mutable", "v"], "--key-seed"),
        (&["--put-mutable", "v", "--key-seed", "00"], "--key-seed"),
        (
            &[
                "--find-node",
                "0123456789abcdef0123456789abcdef01234567",
                "--get-peers",
                "0123456789abcdef0123456789abcdef01234567",
            ],
            "cannot be used with",
        ),
        (&["--salt", "s"], "--salt goes with"),
        (&["--get-mutable", "abcd"], "32 bytes"),
    ];
    for (extra, needle) in cases {
        let mut args = vec!["node", "kademlia", "--bind", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        let (code, out, err) = run(&args, LIMIT);
        assert_eq!(code, 2, "{args:?}: {out} {err}");
        assert!(
            err.contains(needle),
            "{args:?}: stderr lacks {needle:?}:\n{err}"
        );
    }
    let (code, _, err) = run(&["node", "kademlia", "--bind", "[::1]:0"], LIMIT);
    assert_eq!(code, 2);
    assert!(err.contains("IPv4 only"), "{err}");
}
