//! `overlay bench`: fixed scopes, every strategy, a child process per run.
//! State counts, transitions and counterexample lengths are pinned (they
//! are those of `models/tests/chord.rs` and the SPIN comparison); times
//! and memory only have to be there and positive.

mod common;

use common::{json, run, words};
use serde_json::Value;

/// The runs of a JSON report, with the settings checked.
fn runs_of(doc: &Value, strategies: &[&str]) -> Vec<Value> {
    let settings = &doc["settings"];
    assert_eq!(settings["threads"], 1);
    assert_eq!(settings["repeat"], 1);
    assert_eq!(settings["large"], false);
    assert_eq!(settings["strategies"], serde_json::json!(strategies));
    doc["runs"].as_array().expect("runs").clone()
}

fn property<'a>(run: &'a Value, name: &str) -> &'a Value {
    run["properties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {run}"))
}

#[test]
fn bfs_compact_on_every_chord_scope() {
    let (code, stdout, stderr) = run(&words(
        "bench --model chord --strategy bfs-compact --format json",
    ));
    assert_eq!(code, 0, "{stderr}");
    let runs = runs_of(&json(&stdout), &["bfs-compact"]);
    // (variant, params, symmetry, unique states), in registry order, each
    // scope unreduced and then reduced by rotation.
    let expected = [
        ("original", "nodes=3 succ-list=2", false, 255_506),
        ("original", "nodes=3 succ-list=2", true, 85_180),
        ("original-fixed", "nodes=3 succ-list=2", false, 239_563),
        ("original-fixed", "nodes=3 succ-list=2", true, 79_865),
        ("correct", "nodes=4 succ-list=2 ring=3", false, 2_577),
        ("correct", "nodes=4 succ-list=2 ring=3", true, 647),
        ("correct", "nodes=5 succ-list=3 ring=4", false, 17_851),
        ("correct", "nodes=5 succ-list=3 ring=4", true, 3_571),
    ];
    assert_eq!(runs.len(), expected.len());
    for (r, (variant, params, symmetry, unique)) in runs.iter().zip(expected) {
        let what = format!("{variant} {params} symmetry={symmetry}");
        assert_eq!(r["model"], "chord");
        assert_eq!(r["variant"], variant, "{what}");
        let got: Vec<String> = r["params"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap()))
            .collect();
        let mut want: Vec<&str> = params.split(' ').collect();
        want.sort_unstable();
        assert_eq!(got, want, "{what}");
        assert_eq!(r["strategy"], "bfs-compact");
        assert_eq!(r["threads"], 1);
        assert_eq!(r["symmetry"], symmetry, "{what}");
        assert_eq!(r["max_depth"], Value::Null);
        assert_eq!(r["error"], Value::Null, "{what}");
        assert_eq!(r["unique_states"], unique, "{what}");
        assert_eq!(r["complete"], true, "{what}");
        assert_eq!(r["as_expected"], true, "{what}");
        assert_eq!(r["exit_code"], 0, "{what}");
        assert_eq!(r["shortest_counterexamples"], true, "{what}");
        // The engine reports its tables: bytes per state are theirs.
        assert_eq!(r["bytes_per_state_basis"], "engine", "{what}");
        let engine = r["engine_bytes"].as_u64().unwrap();
        let bps = r["bytes_per_state"].as_f64().unwrap();
        assert!((bps - engine as f64 / unique as f64).abs() < 0.01, "{what}");
        for field in ["seconds", "check_seconds", "states_per_second"] {
            assert!(r[field].as_f64().unwrap() > 0.0, "{what}: {field}");
        }
        let peak = r["peak_rss_bytes"].as_u64().unwrap();
        assert!(peak > engine, "{what}: the process holds its tables");
        assert!(r["peak_memory_mib"].as_f64().unwrap() > 0.0);
    }
    // The spaces SPIN counts too (benches/peers), one state fewer.
    assert_eq!(runs[0]["transitions"], 1_535_227);
    assert_eq!(runs[2]["transitions"], 1_443_604);
    // About 20 bytes a state at 255,506 states (fingerprint + parent link).
    let bps = runs[0]["bytes_per_state"].as_f64().unwrap();
    assert!((16.0..25.0).contains(&bps), "{bps}");
    // Shortest counterexamples, the same with and without symmetry.
    for (i, lens) in [
        (
            0,
            [
                ("AtLeastOneRing", 5),
                ("AtMostOneRing", 14),
                ("Repairable", 5),
            ],
        ),
        (
            1,
            [
                ("AtLeastOneRing", 5),
                ("AtMostOneRing", 14),
                ("Repairable", 5),
            ],
        ),
        (
            2,
            [
                ("AtLeastOneRing", 11),
                ("AtMostOneRing", 14),
                ("Repairable", 9),
            ],
        ),
        (
            3,
            [
                ("AtLeastOneRing", 11),
                ("AtMostOneRing", 14),
                ("Repairable", 9),
            ],
        ),
    ] {
        for (name, len) in lens {
            let p = property(&runs[i], name);
            assert_eq!(p["verdict"], "violated");
            assert_eq!(p["counterexample_len"], len, "run {i} {name}");
        }
        let holds = property(&runs[i], "ValidRingIsImprovable");
        assert_eq!(holds["verdict"], "holds");
        assert_eq!(holds["counterexample_len"], Value::Null);
    }
    for r in &runs[4..] {
        for p in r["properties"].as_array().unwrap() {
            assert_eq!(p["verdict"], "holds", "{p}");
        }
    }
    // One progress line per run, as it finishes.
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("bench ["))
        .collect();
    assert_eq!(lines.len(), 8, "{stderr}");
    assert!(lines[1].starts_with(
        "bench [2/8] chord original nodes=3 succ-list=2 bfs-compact --symmetry: 85,180 states"
    ));
}

#[test]
fn text_table_lists_every_strategy_and_the_counterexample_lengths() {
    let (code, stdout, stderr) = run(&words(
        "bench --model chord --variant original-fixed --strategy bfs-compact,dfs,sim --max-memory 300",
    ));
    assert_eq!(code, 0, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    for col in [
        "model",
        "variant",
        "params",
        "strategy",
        "states",
        "transitions",
        "time s",
        "states/s",
        "B/state",
        "peak MiB",
        "complete",
        "violated: events",
    ] {
        assert!(lines[0].contains(col), "no column {col}: {}", lines[0]);
    }
    // bfs-compact and dfs twice (with and without symmetry), sim once:
    // random walks keep no visited set to reduce.
    let rows: Vec<Vec<&str>> = lines[1..6]
        .iter()
        .map(|l| l.split_whitespace().collect())
        .collect();
    let strategy_sym: Vec<(&str, &str)> = rows.iter().map(|r| (r[5], r[7])).collect();
    assert_eq!(
        strategy_sym,
        [
            ("bfs-compact", "-"),
            ("bfs-compact", "yes"),
            ("dfs", "-"),
            ("dfs", "yes"),
            ("sim", "-")
        ]
    );
    assert_eq!(rows[0][8], "239,563");
    assert_eq!(rows[0][13], "engine");
    assert_eq!(rows[0][15], "yes");
    assert_eq!(rows[0][16..], ["12:", "5-15"]);
    // Stateright's DFS keeps a whole path per stack entry: it runs into
    // the memory budget (300 MiB) long before the end of the space. Its
    // bytes per state are peak RSS over states.
    assert_eq!(rows[2][13], "peak_rss");
    assert_eq!(rows[2][15], "no");
    let peak: f64 = rows[2][14].parse().unwrap();
    assert!(peak >= 300.0, "{peak}");
    let dfs_states: u64 = rows[2][8].replace(',', "").parse().unwrap();
    assert!(dfs_states < 239_563);
    // With --symmetry it visits one state per rotation class: at most as
    // many as the breadth-first reduced search, exactly as many when it
    // ends within the budget (tests/symmetry_cli.rs, without a budget).
    let classes: u64 = rows[3][8].replace(',', "").parse().unwrap();
    assert!(classes <= 79_865, "{classes}");
    if rows[3][15] == "yes" {
        assert_eq!(classes, 79_865);
    }
    // The random walks stop at their fixed budget.
    assert_eq!(rows[4][15], "no");
    assert_eq!(lines[6], "");
    assert!(lines[7].starts_with("Counterexample length per property"));
    let row = |name: &str| -> Vec<&str> {
        lines
            .iter()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no row {name}:\n{stdout}"))
            .split_whitespace()
            .collect()
    };
    assert_eq!(row("AtLeastOneRing"), ["AtLeastOneRing", "11"]);
    assert_eq!(row("ConnectedAppendages"), ["ConnectedAppendages", "9"]);
    assert_eq!(
        row("IdealRingCannotImprove"),
        ["IdealRingCannotImprove", "holds"]
    );
}

#[test]
fn markdown_and_repeats() {
    let (code, stdout, stderr) = run(&words(
        "bench --model chord --variant correct --strategy bfs --repeat 3 --format markdown",
    ));
    assert_eq!(code, 0, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("| model | variant | params |"),
        "{stdout}"
    );
    assert!(
        lines[1].starts_with("| --- | --- | --- | ---: |"),
        "{stdout}"
    );
    // Two scopes, each with and without symmetry, then a blank line.
    assert_eq!(lines[6], "");
    let states: Vec<&str> = lines[2..6]
        .iter()
        .map(|l| l.split(" | ").nth(7).unwrap())
        .collect();
    assert_eq!(states, ["2,577", "647", "17,851", "3,571"]);
    // Three children per run.
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("bench [")).count(),
        4
    );
}

#[test]
fn strategies_without_shortest_paths_say_so() {
    let (code, stdout, stderr) = run(&words(
        "bench --model chord --variant correct --strategy dfs",
    ));
    assert_eq!(code, 0, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    // Two scopes, dfs with and without --symmetry (the reduced counts
    // are the breadth-first ones), all complete.
    assert_eq!(lines.len(), 7, "{stdout}");
    for (line, states) in lines[1..5].iter().zip(["2,577", "647", "17,851", "3,571"]) {
        assert!(line.contains(" dfs ") && line.contains(states), "{stdout}");
    }
    assert_eq!(
        lines[6],
        "No shortest counterexamples: no bfs or bfs-compact run reported."
    );
}

#[test]
fn bad_flags_exit_2_naming_the_value() {
    for (args, says) in [
        ("bench --strategy nope", "nope"),
        ("bench --strategy bfs,nope", "nope"),
        ("bench --threads 0", "--threads"),
        ("bench --repeat 0", "--repeat"),
        ("bench --timeout 0", "positive number of seconds"),
        ("bench --timeout nan", "positive number of seconds"),
        ("bench --timeout -3", "-3"),
        ("bench --max-memory 0", "--max-memory"),
        ("bench --format xml", "xml"),
        ("bench --model nope", "no model `nope`"),
        (
            "bench --variant nope",
            "no bench scope matches (scopes: chord original, chord original-fixed, chord correct, kademlia correct, kademlia evict-without-ping, can correct, can no-ring-search, von correct; --large adds more)",
        ),
        ("bench --model chord --bogus", "--bogus"),
        ("check chord --performance", "--performance"),
    ] {
        let (code, stdout, stderr) = run(&words(args));
        assert_eq!(code, 2, "{args}: {stderr}");
        assert!(stderr.contains(says), "{args}: {stderr}");
        assert!(stdout.is_empty(), "{args}: {stdout}");
    }
}

#[test]
fn check_reports_its_performance_only_when_asked() {
    let base = "check chord --variant correct -p nodes=4 -p succ-list=2 --format json --no-traces";
    let doc = |extra: &str| {
        let mut args = words(base);
        args.extend(extra.split_whitespace());
        let (code, stdout, stderr) = run(&args);
        assert_eq!(code, 0, "{stderr}");
        json(&stdout)
    };
    // Without the flag the output stays free of timing (repeatable).
    assert!(doc("").get("performance").is_none());
    let compact = doc("--strategy bfs-compact --performance");
    let perf = &compact["performance"];
    assert!(perf["check_seconds"].as_f64().unwrap() >= 0.0);
    let peak = perf["peak_rss_bytes"].as_u64().unwrap();
    let engine = perf["engine_bytes"].as_u64().unwrap();
    assert!(engine > 0 && peak > engine, "{perf}");
    // Stateright's BFS reports no tables of its own.
    let bfs = doc("--strategy bfs --performance");
    assert_eq!(bfs["performance"]["engine_bytes"], Value::Null);
    assert!(bfs["performance"]["peak_rss_bytes"].as_u64().unwrap() > 0);
}

/// A swarm worker is measured like the others: one seed, a fixed budget,
/// its counts repeatable (the same seed and budget give the same search),
/// its result file kept out of the working folder.
#[test]
fn a_swarm_worker_is_measured_too() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = common::run_at(
        dir.path(),
        &words("bench --variant original --strategy swarm --format json"),
    );
    assert_eq!(code, 0, "{stderr}");
    let runs = runs_of(&json(&stdout), &["swarm"]);
    assert_eq!(runs.len(), 1);
    let r = &runs[0];
    assert_eq!(r["error"], Value::Null);
    assert_eq!(r["transitions"], 200_000);
    assert_eq!(r["unique_states"], 18_264);
    assert_eq!(r["complete"], false);
    assert_eq!(r["shortest_counterexamples"], false);
    assert_eq!(property(r, "AtLeastOneRing")["counterexample_len"], 11);
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "nothing written where bench ran"
    );
}
