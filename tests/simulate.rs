//! Command-line tests for `overlay simulate`: the JSON shape, determinism
//! (same seed, same report apart from the measured "performance"), a
//! pinned path length, lookups on a Chord ring and in a Kademlia network
//! with and without crashes, a CAN network built by joins, and bad input
//! (exit 2). Small networks only: performance is a benchmark in the
//! README, never asserted here.

use serde_json::Value;

mod common;
use common::{run, words};

/// Runs a simulation that must succeed, and parses its JSON.
fn simulate_json(line: &'static str) -> Value {
    let (code, stdout, stderr) = run(&words(line));
    assert_eq!(code, 0, "{line}\nstdout:\n{stdout}\nstderr:\n{stderr}");
    // Progress goes to stderr only on a terminal, and this is a pipe.
    assert!(stderr.is_empty(), "{line}: stderr:\n{stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}"))
}

fn u(doc: &Value, key: &str) -> u64 {
    doc[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} is not a whole number in {doc}"))
}

fn f(doc: &Value, key: &str) -> f64 {
    doc[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number in {doc}"))
}

/// The hop histogram counts every lookup, up to the longest path.
fn assert_histogram(doc: &Value, lookups: u64) {
    let histogram: Vec<u64> = doc["hop_histogram"]
        .as_array()
        .expect("hop_histogram is a list")
        .iter()
        .map(|v| v.as_u64().expect("a count"))
        .collect();
    assert_eq!(histogram.iter().sum::<u64>(), lookups);
    assert_eq!(histogram.len() as u64, u(doc, "max_hops") + 1);
}

/// The report without the fields the machine measures.
fn without_performance(mut doc: Value) -> Value {
    let perf = doc
        .as_object_mut()
        .expect("an object")
        .remove("performance");
    assert!(perf.is_some(), "no performance member");
    doc
}

#[test]
fn json_has_the_documented_fields_and_a_pinned_path_length() {
    let doc = simulate_json("simulate chord --nodes 256 --lookups 1000 --seed 1 --format json");
    assert_eq!(doc["overlay"], "chord");
    assert_eq!(u(&doc, "nodes"), 256);
    assert_eq!(u(&doc, "lookups"), 1000);
    assert_eq!(u(&doc, "seed"), 1);
    assert_eq!(u(&doc, "succ_list"), 3);
    assert_eq!((u(&doc, "crashed"), u(&doc, "live_nodes")), (0, 256));
    // Pinned: any change in routing, identifiers or seeding moves it.
    assert_eq!(f(&doc, "mean_hops"), 3.641);
    assert_eq!(
        (
            u(&doc, "median_hops"),
            u(&doc, "p1_hops"),
            u(&doc, "p99_hops")
        ),
        (4, 1, 6)
    );
    assert_eq!(f(&doc, "half_log2_nodes"), 4.0);
    assert_histogram(&doc, 1000);
    for key in [
        "failed_lookups",
        "wrong_owner",
        "dead_owner",
        "undeliverable",
    ] {
        assert_eq!(u(&doc, key), 0, "{key}");
    }
    assert_eq!(u(&doc, "correct_lookups"), 1000);
    assert_eq!(f(&doc, "mean_timeouts"), 0.0);
    assert!(u(&doc, "messages_sent") > 1000);
    let perf = &doc["performance"];
    for key in [
        "wall_seconds",
        "build_seconds",
        "lookup_seconds",
        "messages_per_second",
        "events_per_second",
    ] {
        assert!(perf[key].as_f64().is_some(), "performance.{key} in {doc}");
    }
    if cfg!(unix) {
        assert!(perf["peak_rss_bytes"].as_u64().unwrap() > 1_000_000);
    }
}

#[test]
fn the_same_seed_gives_the_same_report_apart_from_performance() {
    let line =
        "simulate chord --nodes 300 --lookups 500 --seed 7 --fail-fraction 0.2 --format json";
    let a = simulate_json(line);
    let b = simulate_json(line);
    assert_eq!(without_performance(a.clone()), without_performance(b));
    // Another seed is another ring sample and other keys.
    let c = simulate_json(
        "simulate chord --nodes 300 --lookups 500 --seed 8 --fail-fraction 0.2 --format json",
    );
    assert_ne!(without_performance(a), without_performance(c));

    // The text report too, except its last line (the performance).
    let text = || {
        let (code, stdout, _) = run(&words(
            "simulate chord --nodes 300 --lookups 500 --seed 7 --fail-fraction 0.2",
        ));
        assert_eq!(code, 0);
        assert!(stdout.contains("hops: mean") && stdout.contains("performance:"));
        let lines: Vec<&str> = stdout.lines().collect();
        lines[..lines.len() - 1].join("\n")
    };
    assert_eq!(text(), text());
}

#[test]
fn a_ring_without_crashes_answers_every_lookup_correctly() {
    let doc = simulate_json("simulate chord --nodes 2000 --lookups 3000 --seed 3 --format json");
    assert_eq!(u(&doc, "correct_lookups"), 3000);
    assert_eq!((u(&doc, "failed_lookups"), u(&doc, "wrong_owner")), (0, 0));
    assert_eq!(f(&doc, "mean_timeouts"), 0.0);
    // ½·log2(2000) ≈ 5.5; the successor list shortens the last step.
    let mean = f(&doc, "mean_hops");
    assert!((4.5..6.0).contains(&mean), "mean hops {mean}");
}

#[test]
fn crashing_half_the_ring_makes_lookups_time_out_and_fail() {
    let doc = simulate_json(
        "simulate chord --nodes 500 --lookups 1000 --seed 2 --fail-fraction 0.5 --format json",
    );
    assert_eq!((u(&doc, "crashed"), u(&doc, "live_nodes")), (250, 250));
    assert!(u(&doc, "failed_lookups") > 0, "{doc}");
    assert!(f(&doc, "mean_timeouts") > 0.5, "{doc}");
    assert!(u(&doc, "undeliverable") > 0);
    assert_eq!(
        u(&doc, "correct_lookups") + u(&doc, "failed_lookups") + u(&doc, "wrong_owner"),
        1000
    );
    // Every wrong answer names a crashed node (the key's old owner): a
    // live wrong owner would be a routing bug.
    assert_eq!(u(&doc, "wrong_owner"), u(&doc, "dead_owner"));
    assert!(f(&doc, "mean_contacts") >= f(&doc, "mean_hops"));
}

/// The ToN paper's claim: with a successor list of about 2·log2 N, every
/// lookup finds the key's current owner even right after half the nodes
/// failed, before any repair (Chord ToN §V.D).
#[test]
fn with_a_long_successor_list_no_lookup_fails_after_half_the_ring_crashed() {
    let doc = simulate_json(
        "simulate chord --nodes 500 --lookups 1000 --seed 2 --fail-fraction 0.5 --succ-list 18 --format json",
    );
    assert_eq!(u(&doc, "crashed"), 250);
    assert_eq!(u(&doc, "correct_lookups"), 1000, "{doc}");
    assert!(f(&doc, "mean_timeouts") > 0.5, "{doc}");
}

/// `overlay args…` exits 2, prints nothing on stdout and names the problem.
fn assert_input_error(args: &[&str], needles: &[&str]) {
    let (code, stdout, stderr) = run(args);
    assert_eq!(code, 2, "{args:?}\nstdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.is_empty(), "{args:?} printed on stdout:\n{stdout}");
    for n in needles {
        assert!(
            stderr.contains(n),
            "{args:?}: stderr lacks {n:?}:\n{stderr}"
        );
    }
}

#[test]
fn bad_input_exits_2_naming_the_problem() {
    assert_input_error(
        &words("simulate pastry --nodes 10"),
        &["unknown overlay `pastry`", "chord, kademlia, can"],
    );
    assert_input_error(
        &words("simulate kademlia --succ-list 3"),
        &["--succ-list applies to chord only"],
    );
    assert_input_error(
        &words("simulate chord --k 3"),
        &["--k applies to kademlia only"],
    );
    assert_input_error(
        &words("simulate kademlia --nodes 1"),
        &["--nodes", "at least 2"],
    );
    assert_input_error(&words("simulate kademlia --alpha 0"), &["alpha"]);
    assert_input_error(
        &words("simulate chord --nodes 0"),
        &["--nodes", "at least 1"],
    );
    assert_input_error(
        &words("simulate chord --nodes 10 --fail-fraction 1"),
        &["--fail-fraction", "below 1"],
    );
    assert_input_error(
        &["simulate", "chord", "--fail-fraction=-0.1"],
        &["--fail-fraction", "at least 0"],
    );
    assert_input_error(
        &words("simulate chord --fail-fraction NaN"),
        &["--fail-fraction"],
    );
    assert_input_error(&words("simulate chord --succ-list 0"), &["--succ-list"]);
    assert_input_error(
        &words("simulate chord --lookups many"),
        &["invalid value 'many'", "--lookups"],
    );
    assert_input_error(&words("simulate"), &["<OVERLAY>"]);
    assert_input_error(&words("simulate chord --loss 1"), &["--loss", "below 1"]);
    assert_input_error(
        &words("simulate chord --delay-min 60 --delay-max 50"),
        &["--delay-min (60 ms) is above --delay-max (50 ms)"],
    );
}

/// CAN's own flags, and the others' flags refused for CAN.
#[test]
fn can_bad_input_exits_2_naming_the_problem() {
    for (line, needles) in [
        ("simulate can --dims 9", &["--dims", "1 to 8"][..]),
        ("simulate can --dims 0", &["--dims"]),
        ("simulate can --realities 0", &["--realities", "1 to 16"]),
        ("simulate can --realities 17", &["--realities"]),
        ("simulate can --nodes 0", &["--nodes", "at least 1"]),
        ("simulate can --k 3", &["--k applies to kademlia only"]),
        (
            "simulate can --succ-list 3",
            &["--succ-list applies to chord only"],
        ),
        (
            "simulate can --fail-fraction 0.1",
            &["--fail-fraction applies to chord and kademlia only"],
        ),
        (
            "simulate can --build tree",
            &["invalid value 'tree'", "--build"],
        ),
        ("simulate chord --dims 3", &["--dims applies to can only"]),
        (
            "simulate kademlia --realities 2",
            &["--realities applies to can only"],
        ),
        (
            "simulate chord --build oracle",
            &["--build applies to can only"],
        ),
    ] {
        assert_input_error(&words(line), needles);
    }
}

/// CAN (SIGCOMM 2001 §2.1): the documented JSON fields, a pinned path
/// length, an exact tiling and tables after protocol joins, the same
/// network from the oracle build, and determinism.
#[test]
fn can_json_fields_pinned_hops_and_the_oracle_build() {
    let line = "simulate can --nodes 500 --dims 3 --lookups 1000 --seed 1 --format json";
    let doc = simulate_json(line);
    assert_eq!(doc["overlay"], "can");
    assert_eq!(doc["build"], "joins");
    assert_eq!(
        (
            u(&doc, "nodes"),
            u(&doc, "dims"),
            u(&doc, "realities"),
            u(&doc, "lookups")
        ),
        (500, 3, 1, 1000)
    );
    assert_eq!(
        (doc["tiling_exact"].as_bool(), doc["tables_exact"].as_bool()),
        (Some(true), Some(true))
    );
    for key in [
        "failed_joins",
        "failed_lookups",
        "wrong_owner",
        "undeliverable",
    ] {
        assert_eq!(u(&doc, key), 0, "{key}");
    }
    assert_eq!(u(&doc, "max_zones"), 1);
    // (d/4)·n^(1/d) for 500 nodes in 3 dimensions.
    assert!((f(&doc, "expected_hops") - 0.75 * 500f64.cbrt()).abs() < 1e-9);
    // Pinned: any change in joins, routing or seeding moves them.
    assert_eq!(f(&doc, "mean_hops"), 5.088);
    assert_eq!(f(&doc, "mean_neighbors"), 7.164);
    assert_eq!(u(&doc, "two_d"), 6);
    assert_histogram(&doc, 1000);
    assert!(u(&doc, "build_messages") > 500 && u(&doc, "messages_sent") > 1000);
    assert_eq!(
        without_performance(doc.clone()),
        without_performance(simulate_json(line))
    );
    // The oracle applies the same split rule: the same network, the same
    // paths, without join messages.
    let oracle = simulate_json(
        "simulate can --nodes 500 --dims 3 --lookups 1000 --seed 1 --build oracle --format json",
    );
    assert_eq!(u(&oracle, "build_messages"), 0);
    for key in [
        "mean_hops",
        "hop_histogram",
        "mean_neighbors",
        "max_neighbors",
        "messages_sent",
    ] {
        assert_eq!(oracle[key], doc[key], "{key}");
    }
    // More realities: each lookup starts where its origin is nearest.
    let three = simulate_json(
        "simulate can --nodes 500 --dims 3 --realities 3 --lookups 1000 --seed 1 --format json",
    );
    assert!(
        f(&three, "mean_hops") < f(&doc, "mean_hops") - 1.0,
        "{three}"
    );
    assert_eq!(u(&three, "failed_lookups"), 0);
}

/// A lossy network: lookups route around silent nodes and still find the
/// right owner almost always (a node silent to three pings in a row is
/// taken for dead); the parameters are echoed.
#[test]
fn lookups_survive_a_lossy_network() {
    let doc = simulate_json(
        "simulate chord --nodes 300 --lookups 1000 --seed 3 --loss 0.05 --delay-min 1 --delay-max 9 --format json",
    );
    assert_eq!(doc["loss"], 0.05);
    assert_eq!((u(&doc, "delay_min_ms"), u(&doc, "delay_max_ms")), (1, 9));
    assert!(u(&doc, "correct_lookups") >= 990, "{doc}");
    assert!(f(&doc, "mean_timeouts") > 0.0, "{doc}");
}

/// Kademlia (IPTPS 2002 §2.3): lookups find the k closest in O(log N)
/// steps. The documented JSON fields, a pinned result, determinism.
#[test]
fn kademlia_json_fields_pinned_hops_and_determinism() {
    let line = "simulate kademlia --nodes 3000 --lookups 500 --seed 5 --format json";
    let doc = simulate_json(line);
    for key in [
        "nodes",
        "lookups",
        "mean_hops",
        "found_k_closest_fraction",
        "mean_messages",
        "p99_hops",
        "median_hops",
    ] {
        assert!(!doc[key].is_null(), "{key} missing in {doc}");
    }
    assert_eq!(u(&doc, "nodes"), 3000);
    assert_eq!(u(&doc, "lookups"), 500);
    assert_eq!(u(&doc, "failed_lookups"), 0);
    // Pinned: any change to lookups or tables shows here.
    insta::assert_json_snapshot!(
        "kademlia_3000_nodes",
        serde_json::json!({
            "mean_hops": doc["mean_hops"],
            "hop_histogram": doc["hop_histogram"],
            "mean_messages": doc["mean_messages"],
            "found_k_closest": doc["found_k_closest"],
            "messages_sent": doc["messages_sent"],
        })
    );
    assert!(f(&doc, "found_k_closest_fraction") > 0.99, "{doc}");
    assert_eq!(
        without_performance(doc),
        without_performance(simulate_json(line))
    );
}

/// With a fifth of the nodes crashed and no repair, lookups time out on the
/// dead and still find the closest live node nearly always.
#[test]
fn kademlia_routes_around_crashed_nodes() {
    let doc = simulate_json(
        "simulate kademlia --nodes 2000 --lookups 500 --seed 2 --fail-fraction 0.2 --format json",
    );
    assert_eq!(u(&doc, "crashed"), 400);
    assert!(f(&doc, "mean_timeouts") > 1.0, "{doc}");
    assert!(f(&doc, "found_closest_fraction") > 0.98, "{doc}");
    assert!(f(&doc, "found_k_closest_fraction") < 1.0, "{doc}");
}
