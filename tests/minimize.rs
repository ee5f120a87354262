//! `overlay minimize` end to end: a hand-padded counterexample written by
//! `overlay run --trace-out` shrinks back to the committed shortest trace,
//! which replays; an already 1-minimal trace stays as it is; output files
//! are the same byte for byte when the recorded command runs again; bad
//! input gives exit code 2, a trace that does not fail the property 1.
//!
//! Everything is written into temporary folders, never into the repository.

use std::path::{Path, PathBuf};

use serde_json::Value;
use tempfile::TempDir;

mod common;
use common::{json, run_at};

/// The Stabilize bug of the original protocol at N=3 (the five events
/// marked `*`: the committed shortest AtLeastOneRing counterexample),
/// padded with 25 events that do not matter to it; the same scenario as
/// in `models/tests/minimize.rs`.
const PADDED: &str = "\
# The Stabilize bug (the five events marked *) padded with 25 events that do
# not matter to it: n2 joins and fails seven times (stabilizing once), and
# n1 stabilizes and notifies n0 five more times.
join n1 via n0          # *
join n2 via n1
fail n2
stabilize n1            # *
notified n0 from n1     # *
stabilize n1
notified n0 from n1
join n2 via n0
stabilize n2
fail n2
stabilize n1
notified n0 from n1
join n2 via n1
fail n2
stabilize n1
notified n0 from n1
join n2 via n1
fail n2
stabilize n1
notified n0 from n1
stabilize n1
notified n0 from n1
join n2 via n0
fail n2
fail n1                 # *
join n2 via n0
fail n2
join n2 via n0
fail n2
stabilize n0            # *
";

/// The committed shortest counterexample the padding hides.
fn shortest() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("traces/chord/original_nodes3_succ-list2_AtLeastOneRing.itf.json")
}

fn read_json(path: &Path) -> Value {
    json(&std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}")))
}

/// A temporary folder holding `padded.itf.json`, written by `overlay run`.
fn padded_trace() -> TempDir {
    let dir = TempDir::new().expect("a temporary folder");
    std::fs::write(dir.path().join("padded.txt"), PADDED).unwrap();
    let (code, _, err) = run_at(
        dir.path(),
        &[
            "run",
            "chord",
            "--variant",
            "original",
            "--script",
            "padded.txt",
            "--trace-out",
            "padded.itf.json",
        ],
    );
    assert_eq!(code, 1, "the padded scenario violates properties: {err}");
    dir
}

#[test]
fn a_padded_counterexample_shrinks_to_the_shortest_and_replays() {
    let dir = padded_trace();
    let d = dir.path();
    let (code, out, err) = run_at(
        d,
        &[
            "minimize",
            "padded.itf.json",
            "--property",
            "AtLeastOneRing",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("removed 25 of 30 events (30 → 5)\n"), "{out}");
    assert!(
        out.contains("AtLeastOneRing first violated at step 30 of 30"),
        "{out}"
    );
    assert!(out.ends_with("wrote padded.min.itf.json\n"), "{out}");

    let min = d.join("padded.min.itf.json");
    let doc = read_json(&min);
    assert_eq!(doc["states"], read_json(&shortest())["states"]);
    let meta = &doc["#meta"];
    assert_eq!(meta["kind"], "counterexample");
    assert_eq!(meta["property"], "AtLeastOneRing");
    assert_eq!(meta["minimized-from"], "padded.itf.json");
    assert_eq!(meta["minimized-from-events"], "30");

    let (code, out, err) = run_at(d, &["replay", "padded.min.itf.json"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("5 events replay"), "{out}");
    assert!(
        out.contains("violated in the last state: AtLeastOneRing"),
        "{out}"
    );

    // The recorded command makes the same file again, byte for byte.
    let before = std::fs::read(&min).unwrap();
    let command = meta["command"].as_str().expect("a command").to_string();
    let words: Vec<&str> = command.split_whitespace().collect();
    assert_eq!(words[0], "overlay");
    std::fs::remove_file(&min).unwrap();
    let (code, _, err) = run_at(d, &words[1..]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(std::fs::read(&min).unwrap(), before);
}

#[test]
fn json_output_and_out() {
    let dir = padded_trace();
    let d = dir.path();
    std::fs::create_dir(d.join("sub")).unwrap();
    let (code, out, err) = run_at(
        d,
        &[
            "minimize",
            "padded.itf.json",
            "--property",
            "AtLeastOneRing",
            "--out",
            "sub/small.itf.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let doc = json(&out);
    for (key, want) in [
        ("input", Value::from("padded.itf.json")),
        ("output", Value::from("sub/small.itf.json")),
        ("property", Value::from("AtLeastOneRing")),
        ("events_before", Value::from(30)),
        ("events_after", Value::from(5)),
        ("removed", Value::from(25)),
        ("first_violation", Value::from(30)),
    ] {
        assert_eq!(doc[key], want, "{key} in {doc}");
    }
    assert!(doc["replays"].as_u64().is_some_and(|n| n > 0), "{doc}");
    assert!(d.join("sub/small.itf.json").is_file());
    assert!(!d.join("padded.min.itf.json").exists());
    let meta = &read_json(&d.join("sub/small.itf.json"))["#meta"];
    assert_eq!(
        meta["command"],
        "overlay minimize padded.itf.json --property AtLeastOneRing --out sub/small.itf.json"
    );
}

#[test]
fn an_already_1_minimal_trace_stays_the_same() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    std::fs::copy(shortest(), d.join("short.itf.json")).unwrap();
    // The property comes from the trace's #meta.
    let (code, out, err) = run_at(d, &["minimize", "short.itf.json"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("removed 0 of 5 events (5 → 5); it was already 1-minimal"),
        "{out}"
    );
    let min = read_json(&d.join("short.min.itf.json"));
    assert_eq!(min["states"], read_json(&shortest())["states"]);
    assert_eq!(
        min["#meta"]["command"],
        "overlay minimize short.itf.json --property AtLeastOneRing"
    );
}

/// Runs `overlay minimize args…` in `dir`, expects `code` and every needle
/// in stderr, and that no `.min.itf.json` file was written.
fn assert_refused(dir: &Path, args: &[&str], code: i32, needles: &[&str]) {
    let mut all = vec!["minimize"];
    all.extend_from_slice(args);
    let (got, out, err) = run_at(dir, &all);
    assert_eq!(got, code, "{args:?}: stdout {out} stderr {err}");
    assert!(out.is_empty(), "{args:?}: {out}");
    for n in needles {
        assert!(err.contains(n), "{args:?}: `{n}` not in: {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
    let written: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".min.itf.json"))
        .collect();
    assert!(written.is_empty(), "{args:?} wrote {written:?}");
}

#[test]
fn bad_input_exits_2_and_a_trace_without_the_failure_exits_1() {
    let dir = padded_trace();
    let d = dir.path();
    // `run` writes an example: no property in #meta.
    assert_refused(
        d,
        &["padded.itf.json"],
        2,
        &["padded.itf.json", "give one with --property"],
    );
    assert_refused(
        d,
        &["padded.itf.json", "--property", "Nope"],
        2,
        &["no property `Nope`", "AtLeastOneRing"],
    );
    assert_refused(
        d,
        &["padded.itf.json", "--property", "ValidRingIsImprovable"],
        1,
        &[
            "ValidRingIsImprovable holds in every state",
            "nothing to minimize",
        ],
    );
    assert_refused(
        d,
        &[
            "padded.itf.json",
            "--property",
            "AtLeastOneRing",
            "--out",
            "./padded.itf.json",
        ],
        2,
        &["would overwrite the input"],
    );
    assert_refused(
        d,
        &[
            "padded.itf.json",
            "--property",
            "AtLeastOneRing",
            "--out",
            "no/such/dir.json",
        ],
        2,
        &["cannot write no/such/dir.json"],
    );
    assert_refused(
        d,
        &["missing.itf.json"],
        2,
        &["missing.itf.json", "cannot read"],
    );

    // Truncated: not JSON.
    let text = std::fs::read_to_string(d.join("padded.itf.json")).unwrap();
    std::fs::write(d.join("cut.itf.json"), &text[..text.len() / 2]).unwrap();
    assert_refused(
        d,
        &["cut.itf.json", "--property", "AtLeastOneRing"],
        2,
        &["cut.itf.json"],
    );

    // An event the model does not know: malformed, 2.
    let mut doc = json(&text);
    doc["states"][3]["mbt::actionTaken"] = Value::from("warp n1");
    std::fs::write(d.join("warp.itf.json"), doc.to_string()).unwrap();
    assert_refused(
        d,
        &["warp.itf.json", "--property", "AtLeastOneRing"],
        2,
        &["warp.itf.json", "step 3"],
    );

    // A recorded state the model does not reach: the trace departs, 1.
    let mut doc = json(&text);
    doc["states"][4]["succ"] = doc["states"][2]["succ"].clone();
    std::fs::write(d.join("tampered.itf.json"), doc.to_string()).unwrap();
    assert_refused(
        d,
        &["tampered.itf.json", "--property", "AtLeastOneRing"],
        1,
        &["tampered.itf.json", "does not replay", "step 4"],
    );
}

#[test]
fn help_names_the_algorithm_and_the_exit_codes() {
    let dir = TempDir::new().unwrap();
    let (code, out, _) = run_at(dir.path(), &["minimize", "--help"]);
    assert_eq!(code, 0);
    for needle in ["ddmin", "1-minimal", "--property", "--out", "Exit codes: 0"] {
        assert!(out.contains(needle), "`{needle}` not in:\n{out}");
    }
    let (_, out, _) = run_at(dir.path(), &["--help"]);
    assert!(out.contains("minimize"), "{out}");
}
