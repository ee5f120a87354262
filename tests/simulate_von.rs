//! Command-line tests for `overlay simulate von` and `overlay simulate
//! mmve`: the JSON is the same byte for byte for the same seed (no
//! timing unless --timing), the documented fields, the SVG plot, and bad
//! input (exit 2 with a message naming the flag). Small runs only.

use serde_json::Value;

mod common;
use common::{run, words};

fn ok(args: &[&str]) -> String {
    let (code, stdout, stderr) = run(args);
    assert_eq!(code, 0, "{args:?}\nstdout:\n{stdout}\nstderr:\n{stderr}");
    // Progress goes to stderr only on a terminal, and this is a pipe.
    assert!(stderr.is_empty(), "{args:?}: stderr:\n{stderr}");
    stdout
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

fn f(doc: &Value, path: &str) -> f64 {
    doc.pointer(path)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("{path} is not a number in {doc}"))
}

const VON: &str = "simulate von --nodes 60 --steps 10 --seed 4 --format json";

#[test]
fn von_json_is_the_same_byte_for_byte_for_the_same_seed() {
    let a = ok(&words(VON));
    assert_eq!(a, ok(&words(VON)));
    let other = ok(&words(
        "simulate von --nodes 60 --steps 10 --seed 5 --format json",
    ));
    assert_ne!(a, other);
    let doc = json(&a);
    assert_eq!(doc["overlay"], "von");
    assert!(
        doc.get("performance").is_none(),
        "timing only with --timing"
    );
    for (key, want) in [
        ("/nodes", 60.0),
        ("/steps", 10.0),
        ("/seed", 4.0),
        ("/aoi", 100.0),
        ("/speed", 10.0),
        ("/step_ms", 100.0),
        // 12·R·√(N/1000)
        ("/world", 12.0 * 100.0 * (0.06f64).sqrt()),
        ("/failed_joins", 0.0),
        ("/all_to_all/busiest_msgs", 2.0 * 59.0),
    ] {
        assert_eq!(f(&doc, key), want, "{key}");
    }
    let c = f(&doc, "/consistency");
    assert!((0.95..=1.0).contains(&c), "consistency {c}");
    for key in [
        "/min_step_consistency",
        "/mean_drift",
        "/max_drift",
        "/mean_table",
        "/mean_aoi_neighbours",
        "/von/mean_msgs",
        "/von/busiest_bytes",
        "/server/busiest_msgs",
        "/server_aggregated/busiest_bytes",
        "/messages_sent",
        "/build_messages",
    ] {
        f(&doc, key);
    }
    // The load by kind adds up to the messages sent, half of the load
    // (sent + received; a few may still be in flight at the end).
    let kinds = doc["von_sent_by_kind"].as_object().expect("by kind");
    assert!(f(&doc, "/von_sent_by_kind/MOVE") > 0.0);
    let sent: f64 = kinds.values().map(|v| v.as_f64().unwrap()).sum();
    let load = f(&doc, "/von/mean_msgs");
    assert!(
        (2.0 * sent - load).abs() < 0.05 * load,
        "{sent} sent, {load}"
    );
    let timed = json(&ok(&words(
        "simulate von --nodes 20 --steps 2 --format json --timing",
    )));
    f(&timed, "/performance/wall_seconds");
}

#[test]
fn von_text_names_the_figures() {
    let out = ok(&words("simulate von --nodes 40 --steps 5 --seed 1"));
    for want in [
        "von: 40 nodes, AOI radius 100",
        "consistency",
        "drift",
        "VON (measured)",
        "all-to-all",
        "server, aggregated",
        "by kind: HELLO",
        "performance:",
    ] {
        assert!(out.contains(want), "{want:?} missing:\n{out}");
    }
}

#[test]
fn mmve_compares_the_architectures_and_draws_them() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("mmve.svg");
    let line = format!(
        "simulate mmve --nodes 50,20 --steps 5 --seed 2 --format json --svg {}",
        svg.display()
    );
    let args: Vec<&str> = line.split_whitespace().collect();
    let out = ok(&args);
    assert_eq!(out, ok(&args), "same seed, same JSON");
    let doc = json(&out);
    assert_eq!(doc["overlay"], "mmve");
    let rows = doc["rows"].as_array().expect("rows");
    // Sorted by size.
    let sizes: Vec<f64> = rows.iter().map(|r| f(r, "/nodes")).collect();
    assert_eq!(sizes, [20.0, 50.0]);
    for r in rows {
        let n = f(r, "/nodes");
        assert_eq!(f(r, "/all_to_all/busiest_msgs"), 2.0 * (n - 1.0));
        assert!(f(r, "/server/busiest_msgs") >= n);
        f(r, "/von/busiest_msgs");
        f(r, "/consistency");
    }
    let text = std::fs::read_to_string(&svg).unwrap();
    let tree = roxmltree::Document::parse(&text).expect("the SVG is XML");
    let lines = tree
        .descendants()
        .filter(|n| n.has_tag_name("polyline"))
        .count();
    assert_eq!(lines, 5, "one line per architecture");
    for label in ["all-to-all", "server", "VON", "N (moving avatars)"] {
        assert!(text.contains(label), "{label} missing from the plot");
    }
    let table = ok(&words("simulate mmve --nodes 30,10 --steps 3"));
    assert!(table.contains("all-to-all") && table.contains("consistency"));
}

#[test]
fn bad_flags_are_refused_with_exit_2_naming_the_flag() {
    for (line, want) in [
        ("simulate von --aoi 0", "--aoi"),
        ("simulate von --speed=-1", "--speed"),
        ("simulate von --steps 0", "--steps"),
        ("simulate von --nodes 0", "--nodes"),
        ("simulate von --world nan", "--world"),
        ("simulate von --step-ms 0", "--step-ms"),
        ("simulate von --nodes 10,20", "--nodes takes one size"),
        ("simulate von --svg x.svg", "--svg applies to mmve only"),
        (
            "simulate von --k 3",
            "--k applies to chord, kademlia and can",
        ),
        (
            "simulate chord --aoi 50",
            "--aoi applies to von and mmve only",
        ),
        ("simulate mmve --nodes 10,20 --world 500", "--world"),
        ("simulate mmve --svg /nonexistent/dir/x.svg", "no folder"),
        ("simulate mmve --nodes 10,x", "--nodes"),
    ] {
        let (code, stdout, stderr) = run(&words(line));
        assert_eq!(code, 2, "{line}: stdout {stdout} stderr {stderr}");
        assert!(stderr.contains(want), "{line}: {want:?} not in {stderr}");
        assert!(stdout.is_empty(), "{line}: {stdout}");
    }
}
