//! `overlay check --strategy swarm` and `overlay merge` end to end: three
//! workers on Chord original N=3, their results merged, the merged
//! traces replayed; determinism of a worker's result; exit codes; and
//! malformed or mismatched input.

mod common;

use std::path::Path;

use common::{json, run_at, s};
use serde_json::Value;

/// The result file of `seed` in `dir`.
fn result(dir: &Path, seed: u64) -> Value {
    let path = dir.join(format!("chord_original_nodes3_succ-list2_seed{seed}.json"));
    json(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

/// Three workers, 60,000 transitions each, small tables.
fn three_workers(dir: &Path) {
    let (code, out, err) = run_at(
        dir,
        &[
            "check",
            "chord",
            "--variant",
            "original",
            "-p",
            "nodes=3",
            "--strategy",
            "swarm",
            "--seeds",
            "1..3",
            "--max-states",
            "60000",
            "--swarm-bits",
            "20",
            "--out-dir",
            "res",
        ],
    );
    // Never complete, nothing unexpected: 3.
    assert_eq!(code, 3, "{out}\n{err}");
    assert_eq!(out.matches("swarm seed").count(), 3, "{out}");
    assert!(out.contains("result: res/chord_original_nodes3_succ-list2_seed2.json"));
}

#[test]
fn workers_merge_into_the_shortest_replayable_traces() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    three_workers(dir);
    let workers: Vec<Value> = (1..=3).map(|seed| result(&dir.join("res"), seed)).collect();
    for (w, seed) in workers.iter().zip(1..) {
        assert_eq!(w["seed"], seed);
        assert_eq!(w["complete"], false);
        assert_eq!(w["transitions"], 60000);
        assert_eq!(w["stop"], "max-states");
        assert_eq!(w["config"]["bits_log2"], 20);
    }
    let (code, out, err) = run_at(
        dir,
        &[
            "merge",
            "res/chord_original_nodes3_succ-list2_seed3.json",
            "res/chord_original_nodes3_succ-list2_seed1.json",
            "res/chord_original_nodes3_succ-list2_seed2.json",
            "--trace-dir",
            "merged",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 3, "{out}\n{err}");
    let merged = json(&out);
    assert_eq!(merged["workers"], 3);
    assert_eq!(merged["seeds"], serde_json::json!([1, 2, 3]));
    assert_eq!(merged["complete"], false);
    assert_eq!(merged["as_expected"], true);
    let props = merged["properties"].as_array().unwrap();
    assert_eq!(props.len(), 14);
    let mut written = 0;
    for (i, p) in props.iter().enumerate() {
        let name = p["name"].as_str().unwrap();
        // What each worker found for this property: (length, seed).
        let lens: Vec<(u64, u64)> = workers
            .iter()
            .filter_map(|w| {
                let q = &w["properties"][i];
                assert_eq!(q["name"], name);
                Some((q["trace_len"].as_u64()?, w["seed"].as_u64().unwrap()))
            })
            .collect();
        assert_eq!(p["found_by"], lens.len(), "{name}");
        let Some(&(len, seed)) = lens.iter().min() else {
            assert_eq!(p["verdict"], "not found", "{name}");
            assert!(p["trace"].is_null());
            continue;
        };
        assert_eq!(p["verdict"], "violated", "{name}");
        assert_eq!(p["shortest"], len, "{name}");
        assert_eq!(p["seed"], seed, "{name}");
        let file = p["trace"].as_str().unwrap();
        assert_eq!(
            file,
            format!("merged/original_nodes3_succ-list2_{name}.itf.json")
        );
        let (code, out, err) = run_at(dir, &["replay", file]);
        assert_eq!(code, 0, "{out}\n{err}");
        assert!(out.contains(&format!("{len} events replay")), "{out}");
        let last = out.lines().last().unwrap();
        assert!(
            last.contains("violated in the last state") && last.contains(name),
            "{out}"
        );
        written += 1;
    }
    // Both properties that hold stay unknown; within 60,000 transitions
    // each worker violates most of the twelve others.
    assert!(written >= 8, "{written}");
    for name in ["ValidRingIsImprovable", "IdealRingCannotImprove"] {
        let p = props.iter().find(|p| p["name"] == name).unwrap();
        assert_eq!(p["found_by"], 0);
    }
    // The text table says the same.
    let (code, out, _) = run_at(
        dir,
        &[
            "merge",
            "res/chord_original_nodes3_succ-list2_seed1.json",
            "--no-traces",
        ],
    );
    assert_eq!(code, 3);
    assert!(out.contains("1 swarm workers, seeds 1"), "{out}");
    assert!(out.contains("a swarm is never complete"), "{out}");
}

#[test]
fn a_worker_repeats_byte_for_byte_but_for_its_timing() {
    let tmp = tempfile::tempdir().unwrap();
    let args = |out: &str| {
        vec![
            "check".to_string(),
            "chord".into(),
            "--variant".into(),
            "original".into(),
            "-p".into(),
            "nodes=3".into(),
            "--strategy".into(),
            "swarm".into(),
            "--seeds".into(),
            "5".into(),
            "--max-states".into(),
            "40000".into(),
            "--swarm-bits".into(),
            "18".into(),
            "--out-dir".into(),
            out.into(),
        ]
    };
    let strip = |mut v: Value| {
        v.as_object_mut().unwrap().remove("performance");
        v
    };
    let mut texts = Vec::new();
    for out in ["a", "b"] {
        let a = args(out);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let (code, _, err) = run_at(tmp.path(), &a);
        assert_eq!(code, 3, "{err}");
        let path = tmp
            .path()
            .join(out)
            .join("chord_original_nodes3_succ-list2_seed5.json");
        let text = std::fs::read_to_string(path).unwrap();
        texts.push(strip(json(&text)));
    }
    assert_eq!(texts[0], texts[1]);
    assert_eq!(texts[0]["seed"], 5);
    // The result's command repeats it.
    let cmd = texts[0]["command"].as_str().unwrap();
    assert_eq!(
        cmd,
        "overlay check chord --variant original -p nodes=3 -p succ-list=2 --strategy swarm --seeds 5 --swarm-bits 18 --max-states 40000"
    );
    let mut again: Vec<&str> = cmd.split_whitespace().skip(1).collect();
    again.extend(["--out-dir", "c"]);
    let (code, _, err) = run_at(tmp.path(), &again);
    assert_eq!(code, 3, "{err}");
    let path = tmp
        .path()
        .join("c/chord_original_nodes3_succ-list2_seed5.json");
    let text = std::fs::read_to_string(path).unwrap();
    assert_eq!(strip(json(&text)), texts[0]);
}

/// The negative control ring=2 violates properties the registry expects
/// to hold there: a surprise, exit 1, for the worker and the merge.
#[test]
fn unexpected_violations_exit_1() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, out, err) = run_at(
        tmp.path(),
        &[
            "check",
            "chord",
            "--variant",
            "correct",
            "-p",
            "nodes=4",
            "-p",
            "succ-list=2",
            "-p",
            "ring=2",
            "--strategy",
            "swarm",
            "--seeds",
            "1",
            "--max-states",
            "20000",
            "--swarm-bits",
            "16",
            "--out-dir",
            "res",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 1, "{out}\n{err}");
    let doc = json(&out);
    assert_eq!(doc["as_expected"], false);
    assert_eq!(
        doc["result"],
        "res/chord_correct_nodes4_succ-list2_ring2_seed1.json"
    );
    let (code, out, err) = run_at(
        tmp.path(),
        &[
            "merge",
            "res/chord_correct_nodes4_succ-list2_ring2_seed1.json",
            "--trace-dir",
            "t",
        ],
    );
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        out.contains("SURPRISE: violated, expected to hold: Invariant"),
        "{out}"
    );
}

#[test]
fn malformed_or_mismatched_results_exit_2_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    three_workers(dir);
    let good = result(&dir.join("res"), 1);
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let mut cases: Vec<(std::path::PathBuf, &str)> = Vec::new();
    cases.push((write("broken.json", "{\"model\": "), "not JSON"));
    cases.push((write("array.json", "[1, 2]"), "not a swarm result"));
    let mut v = good.clone();
    v["seed"] = "one".into();
    cases.push((
        write("seed.json", &v.to_string()),
        "field `seed`: expected a whole number",
    ));
    let mut v = good.clone();
    v.as_object_mut().unwrap().remove("transitions");
    cases.push((
        write("missing.json", &v.to_string()),
        "field `transitions`: missing",
    ));
    let mut v = good.clone();
    v["overlay-swarm"] = "99".into();
    cases.push((write("version.json", &v.to_string()), "result format `99`"));
    let mut v = good.clone();
    v["properties"][0]["verdict"] = "holds".into();
    cases.push((
        write("verdict.json", &v.to_string()),
        "field `properties[0].verdict`: `holds`",
    ));
    let mut v = good.clone();
    let i = (0..14)
        .find(|&i| !v["properties"][i]["trace"].is_null())
        .unwrap();
    v["properties"][i]["trace_len"] = 999.into();
    cases.push((
        write("len.json", &v.to_string()),
        "trace_len`: 999 events, but the trace has",
    ));
    let mut v = good.clone();
    v["properties"][i]["trace"]["states"][1]["mbt::actionTaken"] = "fly n7".into();
    cases.push((write("replay.json", &v.to_string()), "does not replay"));
    let mut v = good.clone();
    v["model"] = "pastry".into();
    cases.push((write("model.json", &v.to_string()), "no model `pastry`"));
    for (file, expected) in &cases {
        let (code, out, err) = run_at(dir, &["merge", s(file)]);
        assert_eq!(code, 2, "{}: {out}\n{err}", file.display());
        assert!(err.contains(s(file)), "{}: {err}", file.display());
        assert!(err.contains(expected), "{}: {err}", file.display());
    }
    // Another scope cannot be merged in.
    let mut v = good.clone();
    v["params"]["nodes"] = "4".into();
    let other = write("other.json", &v.to_string());
    let first = dir.join("res/chord_original_nodes3_succ-list2_seed1.json");
    let (code, _, err) = run_at(dir, &["merge", s(&first), s(&other)]);
    assert_eq!(code, 2);
    assert!(
        err.contains("cannot merge results of different scopes"),
        "{err}"
    );
    assert!(err.contains("nodes=4") && err.contains(s(&other)), "{err}");
    // Nothing was written for the failed merges (the default trace
    // folder is swarm/traces).
    assert!(!dir.join("swarm").exists());
    // A good result next to a bad one: still nothing written.
    let replay = dir.join("replay.json");
    let (code, _, err) = run_at(dir, &["merge", s(&first), s(&replay)]);
    assert_eq!(code, 2);
    assert!(err.contains("does not replay"), "{err}");
    assert!(!dir.join("swarm").exists());
}

#[test]
fn swarm_flags_are_checked() {
    let tmp = tempfile::tempdir().unwrap();
    for (args, expected) in [
        (
            "check chord --seeds 1..3",
            "--seeds applies to --strategy swarm only",
        ),
        (
            "check chord --strategy dfs --out-dir x",
            "--out-dir applies to --strategy swarm only",
        ),
        (
            "check chord --strategy swarm --seeds 5..3",
            "the first seed is above the last",
        ),
        (
            "check chord --strategy swarm --seeds x",
            "`x` is not a seed",
        ),
        ("check chord --strategy swarm --swarm-bits 40", "40"),
        (
            "check chord --strategy swarm --threads 2",
            "one process per seed",
        ),
        ("check chord --strategy swarm --format junit", "not junit"),
        ("merge", "RESULT"),
    ] {
        // In a scratch folder: a regression that starts a worker writes
        // its result there, not into the repository.
        let (code, out, err) = run_at(tmp.path(), &common::words(args));
        assert_eq!(code, 2, "{args}: {out}\n{err}");
        assert!(err.contains(expected), "{args}: {err}");
    }
}
