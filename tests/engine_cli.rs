//! `overlay check --strategy bfs-compact` against the default bfs, from
//! the command line.
//!
//! Each run happens in its own temporary folder and writes its traces to
//! the relative folder `traces`, so the JSON documents name the same
//! files. With one thread the two strategies then print the same JSON,
//! every member included (`unique_states`, `transitions`, `max_depth`,
//! `complete`, verdicts, trace names and lengths): the JSON holds no
//! timing. What differs is only on stderr (the "checked in" time). Their
//! trace files are equal byte for byte, and so are their exit codes.

use std::collections::BTreeMap;
use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

/// Runs `overlay args…` in `dir`: (exit code, stdout).
fn run_in(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::cargo_bin("overlay")
        .expect("the overlay binary is built")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("overlay runs");
    (
        out.status.code().expect("overlay exits with a code"),
        String::from_utf8(out.stdout).expect("stdout is UTF-8"),
    )
}

/// Every file of a folder (none when it does not exist), by name.
fn files_of(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeMap::new();
    };
    entries
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

/// (exit code, JSON lines, trace files) of `check` with `strategy`.
fn check(strategy: &str, args: &[&str]) -> (i32, Vec<Value>, BTreeMap<String, Vec<u8>>) {
    let dir = tempfile::tempdir().unwrap();
    let mut all = vec![
        "check",
        "chord",
        "--format",
        "json",
        "--trace-dir",
        "traces",
    ];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--strategy", strategy]);
    let (code, stdout) = run_in(dir.path(), &all);
    let docs = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    (code, docs, files_of(&dir.path().join("traces")))
}

#[test]
fn bfs_compact_prints_what_bfs_prints() {
    for args in [
        // Bounded (exit 3): the violations within 12 events.
        &[
            "--variant",
            "original",
            "-p",
            "nodes=3",
            "--max-depth",
            "12",
        ][..],
        // Complete, three violations at the initial states (exit 1).
        &[
            "--variant",
            "correct",
            "-p",
            "nodes=4",
            "-p",
            "succ-list=2",
            "-p",
            "ring=2",
        ],
        // Complete, everything holds (exit 0), reduced by rotation.
        &["--variant", "correct", "--symmetry"],
    ] {
        let (code, docs, traces) = check("bfs", args);
        let (code2, docs2, traces2) = check("bfs-compact", args);
        assert_eq!(code, code2, "{args:?}");
        assert_eq!(docs, docs2, "{args:?}");
        assert_eq!(
            traces.keys().collect::<Vec<_>>(),
            traces2.keys().collect::<Vec<_>>()
        );
        assert!(traces == traces2, "{args:?}: trace files differ");
        assert_eq!(docs.len(), 1);
    }
    // The bounded check found its violations, says it is unfinished, and
    // prints the same with two threads.
    let bounded = [
        "--variant",
        "original",
        "-p",
        "nodes=3",
        "--max-depth",
        "12",
    ];
    let (code, docs, traces) = check("bfs-compact", &bounded);
    let with_two: Vec<&str> = bounded.iter().copied().chain(["--threads", "2"]).collect();
    let (code2, docs2, traces2) = check("bfs-compact", &with_two);
    assert_eq!((code, code2), (3, 3));
    assert_eq!(docs[0]["complete"], false);
    assert_eq!(docs, docs2);
    assert!(traces == traces2, "two threads wrote other traces");
    assert_eq!(traces.len(), 10, "{:?}", traces.keys());
}

#[test]
fn budgets_exit_3_and_bad_budgets_exit_2() {
    for budget in [
        &["--max-memory", "1"][..],
        &["--max-states", "5000"],
        &["--timeout", "0.001"],
    ] {
        let mut args = vec!["--variant", "original", "--no-traces"];
        args.extend_from_slice(budget);
        let (code, docs, _) = check("bfs-compact", &args);
        assert_eq!(code, 3, "{budget:?}");
        assert_eq!(docs[0]["complete"], false, "{budget:?}");
    }
    let dir = tempfile::tempdir().unwrap();
    for bad in [
        &[
            "check",
            "chord",
            "--max-memory",
            "0",
            "--strategy",
            "bfs-compact",
        ][..],
        &["check", "chord", "--liveness", "--symmetry"],
    ] {
        assert_eq!(run_in(dir.path(), bad).0, 2, "{bad:?}");
    }
}
