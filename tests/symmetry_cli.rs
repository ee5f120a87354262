//! `--symmetry` in every strategy: the depth-first ones (dfs, sim, swarm)
//! key their visited sets by the rotation class and keep concrete states,
//! so the reduced count equals the breadth-first one and every
//! counterexample is a run of the model (`overlay replay` accepts it).

mod common;

use std::path::Path;

use common::{json, run_at, s};

/// Runs `check chord --variant original` with `flags` in `dir`, traces to
/// `dir/traces`: (exit code, the JSON report).
fn check(dir: &Path, flags: &str) -> (i32, serde_json::Value) {
    let mut args = vec![
        "check",
        "chord",
        "--variant",
        "original",
        "--format",
        "json",
        "--trace-dir",
        "traces",
    ];
    args.extend(flags.split_whitespace());
    let (code, stdout, stderr) = run_at(dir, &args);
    assert!(matches!(code, 0 | 3), "{flags}: exit {code}: {stderr}");
    (code, json(stdout.lines().next().expect("a report")))
}

/// Every trace in `dir/traces` replays against the model.
fn all_replay(dir: &Path) -> usize {
    let traces = dir.join("traces");
    let mut n = 0;
    for e in std::fs::read_dir(&traces).expect("traces written") {
        let path = e.unwrap().path();
        let (code, _, stderr) = run_at(dir, &["replay", s(&path)]);
        assert_eq!(code, 0, "{}: {stderr}", path.display());
        n += 1;
    }
    n
}

#[test]
fn dfs_with_symmetry_visits_one_state_per_rotation_class() {
    let dir = tempfile::tempdir().unwrap();
    let (code, doc) = check(dir.path(), "--strategy dfs --symmetry");
    assert_eq!(code, 0);
    assert_eq!(doc["complete"], true);
    // As many as the breadth-first reduced search (85,180 of 255,506).
    assert_eq!(doc["unique_states"], 85_180);
    assert_eq!(
        all_replay(dir.path()),
        12,
        "one concrete trace per violation"
    );
}

#[test]
fn random_walks_and_swarm_workers_with_symmetry_give_concrete_runs() {
    let dir = tempfile::tempdir().unwrap();
    let (code, doc) = check(
        dir.path(),
        "--strategy sim --seed 1 --max-states 100000 --symmetry",
    );
    assert_eq!(code, 3, "random walks never finish");
    assert_eq!(doc["complete"], false);
    assert!(all_replay(dir.path()) >= 5, "{doc}");

    let dir = tempfile::tempdir().unwrap();
    let flags = "--strategy swarm --seeds 1 --max-states 100000 --symmetry --out-dir out";
    let (code, doc) = check(dir.path(), flags);
    assert_eq!(code, 3);
    assert!(
        doc["command"].as_str().unwrap().ends_with("--symmetry"),
        "{doc}"
    );
    assert!(all_replay(dir.path()) >= 5, "{doc}");
    // Its result file is told apart from the plain worker's of that seed.
    let result = "out/chord_original_nodes3_succ-list2_seed1_symmetry.json";
    assert!(dir.path().join(result).is_file(), "{doc}");
}
