//! Command-line tests for `overlay`: exit codes, JSON shapes, pinned state
//! counts and trace lengths, scenario errors, and trace round trips.
//!
//! Exit codes: 0 all as expected / scenario clean, 1 property violated or
//! surprise, 2 usage or input error, 3 budget exhausted.
//!
//! Nothing is written into the repository: every `check` gets
//! `--no-traces` or a `--trace-dir` inside a temporary folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;
use tempfile::TempDir;

mod common;
use common::{json, run, run_in, s, words};

// ---------------------------------------------------------------- helpers

fn props(doc: &Value) -> &Vec<Value> {
    doc["properties"].as_array().expect("properties is a list")
}

fn prop<'a>(doc: &'a Value, name: &str) -> &'a Value {
    props(doc)
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no property {name} in {doc}"))
}

/// Events in a trace file: its states minus the initial one.
fn events_in(path: &Path) -> usize {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let doc = json(&text);
    doc["states"].as_array().expect("states is a list").len() - 1
}

/// Every file of a folder, by name, with its bytes.
fn files_of(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir:?}: {e}"))
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// The arguments of the full check of the original protocol (nodes=3),
/// writing traces into the relative folder `traces`, so that the JSON
/// output (which names the trace files) does not depend on the temporary
/// folder it runs in.
const ORIGINAL_CHECK: &[&str] = &[
    "check",
    "chord",
    "--variant",
    "original",
    "-p",
    "nodes=3",
    "--format",
    "json",
    "--trace-dir",
    "traces",
];

/// The pinned shortest counterexample lengths of the original protocol at
/// nodes=3 (deterministic: bfs, shortest traces).
const ORDERED_MERGES_LEN: u64 = 5;
const AT_MOST_ONE_RING_LEN: u64 = 14;

struct OriginalCheck {
    /// The folder the check ran in; traces are in `dir/traces`.
    dir: TempDir,
    stdout: String,
    doc: Value,
}

impl OriginalCheck {
    fn traces(&self) -> PathBuf {
        self.dir.path().join("traces")
    }

    /// The trace file of a property, as the JSON names it.
    fn trace_of(&self, property: &str) -> PathBuf {
        let rel = prop(&self.doc, property)["trace"]
            .as_str()
            .unwrap_or_else(|| panic!("{property} has no trace"));
        self.dir.path().join(rel)
    }
}

/// The full original check, run once and shared by the tests that need
/// it (it is the slowest command here, a few seconds). Its folder lives
/// under Cargo's target tmp folder (`CARGO_TARGET_TMPDIR`), never in the
/// repository's sources; as a static it is never dropped, so the folder
/// (about 90 KB) stays there until `cargo clean`.
fn original_check() -> &'static OriginalCheck {
    static CELL: OnceLock<OriginalCheck> = OnceLock::new();
    CELL.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("overlay-cli-original-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .unwrap();
        let (code, stdout, stderr) = run_in(Some(dir.path()), ORIGINAL_CHECK);
        assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
        let doc = json(&stdout);
        OriginalCheck { dir, stdout, doc }
    })
}

/// Starts the original check in a fresh folder on another thread, so it
/// runs alongside the shared one.
fn spawn_original_check(
    extra: &'static [&'static str],
) -> std::thread::JoinHandle<(TempDir, i32, String, String)> {
    std::thread::spawn(move || {
        let dir = tempfile::tempdir().unwrap();
        let mut args: Vec<&str> = ORIGINAL_CHECK.to_vec();
        args.extend_from_slice(extra);
        let (code, stdout, stderr) = run_in(Some(dir.path()), &args);
        (dir, code, stdout, stderr)
    })
}

// ------------------------------------------------------------------ list

#[test]
fn list_names_variants_parameters_and_properties() {
    let (code, stdout, stderr) = run(&["list"]);
    assert_eq!(code, 0, "{stderr}");
    for word in [
        "chord",
        "original",
        "original-fixed",
        "correct",
        "nodes",
        "succ-list",
        "ring",
        "guard",
        "AtMostOneRing",
        "AtLeastOneRing",
        "Invariant",
        "Repairable",
        "expected violated",
        "expected holds",
    ] {
        assert!(stdout.contains(word), "`list` lacks {word}:\n{stdout}");
    }
    for variant in [
        "variant original:",
        "variant original-fixed:",
        "variant correct:",
    ] {
        assert!(stdout.contains(variant), "`list` lacks `{variant}`");
    }
}

#[test]
fn list_json_parses_and_has_the_same_content() {
    let (code, stdout, stderr) = run(&["list", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let doc = json(&stdout);
    let models = doc.as_array().expect("a list of models");
    let chord = models
        .iter()
        .find(|m| m["model"] == "chord")
        .expect("chord is listed");
    let params: Vec<&str> = chord["params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(params, ["nodes", "succ-list", "ring", "guard"]);
    let variants: Vec<&str> = chord["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(variants, ["original", "original-fixed", "correct"]);
    let correct = &chord["variants"][2];
    let names: Vec<&str> = correct["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Invariant") && names.contains(&"Repairable"));
    for v in chord["variants"].as_array().unwrap() {
        for p in v["properties"].as_array().unwrap() {
            let e = p["expected"].as_str().unwrap();
            assert!(e == "holds" || e == "violated", "{p}");
        }
    }
    let original = &chord["variants"][0]["properties"];
    let amor = original
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "AtMostOneRing")
        .expect("original has AtMostOneRing");
    assert_eq!(amor["expected"], "violated");
}

// ----------------------------------------------------------------- check

/// Pinned: unique states of `correct` with nodes=4, succ-list=2 (ring=3).
const CORRECT_N4_R2_UNIQUE_STATES: u64 = 2577;

#[test]
fn check_correct_small_scope_holds_everywhere() {
    let (code, stdout, stderr) = run(&words(
        "check chord --variant correct -p nodes=4 -p succ-list=2 --format json --no-traces",
    ));
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let doc = json(&stdout);
    assert_eq!(doc["model"], "chord");
    assert_eq!(doc["variant"], "correct");
    assert_eq!(doc["params"]["nodes"], "4");
    assert_eq!(doc["params"]["succ-list"], "2");
    assert_eq!(doc["params"]["ring"], "3", "ring defaults to r+1");
    assert_eq!(doc["unique_states"], CORRECT_N4_R2_UNIQUE_STATES);
    assert!(doc["transitions"].as_u64().unwrap() >= CORRECT_N4_R2_UNIQUE_STATES);
    assert_eq!(doc["complete"], true);
    assert_eq!(doc["as_expected"], true);
    let ps = props(&doc);
    assert_eq!(ps.len(), 9, "the correct variant has nine properties");
    for p in ps {
        assert_eq!(p["verdict"], p["expected"], "{p}");
        assert_eq!(p["trace"], Value::Null, "--no-traces: {p}");
    }
    assert_eq!(prop(&doc, "Invariant")["verdict"], "holds");
    assert_eq!(prop(&doc, "Repairable")["verdict"], "holds");
}

#[test]
fn check_original_finds_every_expected_violation_with_a_trace() {
    let oc = original_check();
    let doc = &oc.doc;
    assert_eq!(doc["model"], "chord");
    assert_eq!(doc["variant"], "original");
    assert_eq!(doc["params"]["nodes"], "3");
    assert_eq!(doc["params"]["succ-list"], "2");
    assert_eq!(doc["complete"], true);
    assert_eq!(doc["as_expected"], true);
    assert_eq!(doc["shortest_traces"], true);
    assert_eq!(doc["unique_states"], ORIGINAL_N3_UNIQUE_STATES);
    let mut violated = 0;
    for p in props(doc) {
        assert_eq!(p["verdict"], p["expected"], "{p}");
        if p["expected"] == "violated" {
            violated += 1;
            let name = p["name"].as_str().unwrap();
            let path = oc.trace_of(name);
            assert!(path.is_file(), "{path:?} does not exist");
            assert!(
                path.starts_with(oc.traces()),
                "{path:?} is not in --trace-dir"
            );
            let len = p["trace_len"].as_u64().expect("trace_len is a number");
            assert_eq!(len as usize, events_in(&path), "{name}: trace_len");
            let trace = json(&std::fs::read_to_string(&path).unwrap());
            assert_eq!(trace["#meta"]["property"], name);
            assert_eq!(trace["#meta"]["kind"], "counterexample");
            assert_eq!(trace["#meta"]["variant"], "original");
        } else {
            assert_eq!(p["trace"], Value::Null, "{p}");
            assert_eq!(p["trace_len"], Value::Null, "{p}");
        }
    }
    assert_eq!(violated, 12);
    assert_eq!(
        files_of(&oc.traces()).len(),
        violated,
        "one trace file per violated property and nothing else"
    );
    assert_eq!(prop(doc, "OrderedMerges")["trace_len"], ORDERED_MERGES_LEN);
    assert_eq!(
        prop(doc, "AtMostOneRing")["trace_len"],
        AT_MOST_ONE_RING_LEN
    );
}

/// Pinned: unique states of `original` with nodes=3.
const ORIGINAL_N3_UNIQUE_STATES: u64 = 255_506;

#[test]
fn check_original_with_two_threads_agrees_with_one() {
    let two = spawn_original_check(&["--threads", "2"]);
    let one = &original_check().doc;
    let (_dir, code, stdout, stderr) = two.join().unwrap();
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let two = json(&stdout);
    assert_eq!(one["unique_states"], ORIGINAL_N3_UNIQUE_STATES);
    assert_eq!(two["unique_states"], one["unique_states"]);
    assert_eq!(two["complete"], true);
    let names = |d: &Value| -> Vec<String> {
        props(d)
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&two), names(one));
    for p in props(one) {
        let name = p["name"].as_str().unwrap();
        let q = prop(&two, name);
        assert_eq!(q["verdict"], p["verdict"], "{name}");
        assert_eq!(
            q["trace_len"], p["trace_len"],
            "{name}: shortest counterexamples do not depend on threads"
        );
    }
}

#[test]
fn check_budget_exhausted_exits_3() {
    let (code, stdout, stderr) = run(&words(
        "check chord --variant original -p nodes=4 --max-depth 6 --no-traces",
    ));
    assert_eq!(code, 3, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("INCOMPLETE"), "{stdout}");
    assert!(!stdout.contains("SURPRISE"), "{stdout}");
    assert!(stdout.contains("unknown"), "{stdout}");
}

#[test]
fn check_surprise_exits_1() {
    // Two nodes are too few for most of the original protocol's bugs: the
    // expected violations are not found, which is a surprise.
    let (code, stdout, stderr) = run(&words(
        "check chord --variant original -p nodes=2 --no-traces",
    ));
    assert_eq!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("complete"), "{stdout}");
    assert!(stdout.contains("SURPRISE"), "{stdout}");
}

// ------------------------------------------------------------- bad input

/// `overlay args…` exits 2, prints nothing on stdout and names the problem
/// on stderr.
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
fn check_rejects_bad_input_with_exit_2() {
    assert_input_error(
        &words("check chord -p nodes=3 -p nodes=4 --no-traces"),
        &["-p nodes is given twice"],
    );
    assert_input_error(
        &["check", "chord", "--strategy", "sim", "--no-traces"],
        &["walks forever", "--timeout"],
    );
    assert_input_error(
        &["check", "nosuch", "--no-traces"],
        &["no model `nosuch`", "chord"],
    );
    assert_input_error(
        &["check", "chord", "--variant", "nope", "--no-traces"],
        &["no variant `nope`", "original", "correct"],
    );
    assert_input_error(
        &["check", "chord", "-p", "foo=1", "--no-traces"],
        &["no parameter `foo`", "nodes"],
    );
    assert_input_error(
        &["check", "chord", "-p", "nodes", "--no-traces"],
        &["-p nodes", "NAME=VALUE"],
    );
    assert_input_error(
        &words("check chord --variant original -p nodes=x --no-traces"),
        &["nodes", "`x`", "not a whole number"],
    );
    assert_input_error(
        &words("check chord --variant original -p succ-list=3 --no-traces"),
        &["succ-list", "original", "3"],
    );
    assert_input_error(
        &["check", "chord", "--threads", "0", "--no-traces"],
        &["--threads", "at least 1"],
    );
    // clap reads `-1` as a flag …
    assert_input_error(
        &["check", "chord", "--timeout", "-1", "--no-traces"],
        &["unexpected argument '-1'"],
    );
    // … and with `=` the value reaches overlay's own check.
    assert_input_error(
        &["check", "chord", "--timeout=-1", "--no-traces"],
        &["--timeout -1", "positive number of seconds"],
    );
    assert_input_error(
        &["check", "chord", "--bogus", "--no-traces"],
        &["unexpected argument '--bogus'"],
    );
}

// ------------------------------------------------------------- scenarios

const CLEAN_SCRIPT: &str = "\
# Two nodes build a ring.
join n1 via n0

stabilize n1     # n1 tells n0 about itself
notified n0
   # n0 learns of n1
stabilize n0
notified n1 from n0
";

const AT_LEAST_ONE_RING_SCRIPT: &str = "\
join n1 via n0
stabilize n1
notified n0 from n1
fail n1
stabilize n0
";

fn run_original(script: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec![
        "run",
        "chord",
        "--variant",
        "original",
        "-p",
        "nodes=3",
        "--script",
        s(script),
    ];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn run_clean_scenario_exits_0() {
    let tmp = tempfile::tempdir().unwrap();
    let script = write(tmp.path(), "clean.txt", CLEAN_SCRIPT);

    let (code, stdout, stderr) = run_original(&script, &[]);
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stdout.contains("every property holds throughout"),
        "{stdout}"
    );
    // The short form is resolved to the full event.
    assert!(stdout.contains("notified n0 from n1"), "{stdout}");

    let (code, stdout, stderr) = run_original(&script, &["--format", "json"]);
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let doc = json(&stdout);
    assert_eq!(doc["model"], "chord");
    assert_eq!(doc["variant"], "original");
    assert_eq!(doc["steps"], 5);
    assert_eq!(doc["violations"], serde_json::json!([]));
    assert_eq!(doc["trace"], Value::Null);
}

#[test]
fn run_violating_scenario_exits_1_and_its_trace_replays() {
    let tmp = tempfile::tempdir().unwrap();
    let script = write(tmp.path(), "bad.txt", AT_LEAST_ONE_RING_SCRIPT);
    let out = tmp.path().join("bad.itf.json");

    let (code, stdout, stderr) = run_original(&script, &[]);
    assert_eq!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stdout.contains("AtLeastOneRing first at step 5"),
        "{stdout}"
    );

    let (code, stdout, stderr) =
        run_original(&script, &["--format", "json", "--trace-out", s(&out)]);
    assert_eq!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let doc = json(&stdout);
    assert_eq!(doc["steps"], 5);
    let violations = doc["violations"].as_array().unwrap();
    assert!(
        violations.contains(&serde_json::json!({"property": "AtLeastOneRing", "first_step": 5})),
        "{doc}"
    );
    for v in violations {
        assert_eq!(v["first_step"], 5, "nothing is violated before step 5: {v}");
    }
    assert_eq!(doc["trace"], s(&out));
    assert!(out.is_file());
    assert_eq!(events_in(&out), 5);

    let (code, stdout, stderr) = run(&["replay", s(&out)]);
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("every state matches"), "{stdout}");
    assert!(stdout.contains("AtLeastOneRing"), "{stdout}");

    let (code, stdout, stderr) = run(&["show", s(&out)]);
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("stabilize n0"), "{stdout}");
    assert!(stdout.contains("AtLeastOneRing (new)"), "{stdout}");
}

#[test]
fn run_event_not_enabled_exits_2_and_lists_enabled_events() {
    let tmp = tempfile::tempdir().unwrap();
    let script = write(tmp.path(), "ne.txt", "join n1 via n0\nstabilize n2\n");
    let (code, stdout, stderr) = run_original(&script, &[]);
    assert_eq!(code, 2, "stdout:\n{stdout}\nstderr:\n{stderr}");
    for needle in [
        s(&script),
        "line 2",
        "stabilize n2",
        "not a member",
        "enabled here",
        "stabilize n1",
    ] {
        assert!(
            stderr.contains(needle),
            "stderr lacks {needle:?}:\n{stderr}"
        );
    }
}

#[test]
fn run_ambiguous_short_forms_exit_2() {
    let tmp = tempfile::tempdir().unwrap();

    // Two pending notifications to n0 (from n1 and from n2): `notified n0`
    // may take either, and they leave different states.
    let script = write(
        tmp.path(),
        "notified.txt",
        "join n1 via n0\njoin n2 via n0\nstabilize n1\nstabilize n2\nnotified n0\n",
    );
    let (code, stdout, stderr) = run_original(&script, &[]);
    assert_eq!(code, 2, "stdout:\n{stdout}\nstderr:\n{stderr}");
    for needle in [
        "line 5",
        "ambiguous",
        "notified n0 from n1",
        "notified n0 from n2",
    ] {
        assert!(
            stderr.contains(needle),
            "stderr lacks {needle:?}:\n{stderr}"
        );
    }

    // With four nodes: n0's successor is n3 and n1's is n0, so n2 lies
    // between each member and its successor, and `join n2` may go via n0
    // (successor n3) or via n1 (successor n0).
    let script = write(
        tmp.path(),
        "join.txt",
        "join n3 via n0\njoin n1 via n0\nstabilize n3\nnotified n0 from n3\nstabilize n0\njoin n2\n",
    );
    let (code, stdout, stderr) = run(&[
        "run",
        "chord",
        "--variant",
        "original",
        "-p",
        "nodes=4",
        "--script",
        s(&script),
    ]);
    assert_eq!(code, 2, "stdout:\n{stdout}\nstderr:\n{stderr}");
    for needle in ["line 6", "ambiguous", "join n2 via n0", "join n2 via n1"] {
        assert!(
            stderr.contains(needle),
            "stderr lacks {needle:?}:\n{stderr}"
        );
    }

    // The same short form is fine when every choice leads to one state.
    let script = write(
        tmp.path(),
        "same.txt",
        "join n1 via n0\nstabilize n1\njoin n2\n",
    );
    let (code, stdout, stderr) = run_original(&script, &[]);
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
}

#[test]
fn run_unreadable_event_exits_2_and_lists_the_events() {
    let tmp = tempfile::tempdir().unwrap();
    let script = write(tmp.path(), "pe.txt", "join n1 via n0\n\njump n1\n");
    let (code, stdout, stderr) = run_original(&script, &[]);
    assert_eq!(code, 2, "stdout:\n{stdout}\nstderr:\n{stderr}");
    for needle in [
        "line 3",
        "jump n1",
        "events are",
        "join N [via M]",
        "stabilize N",
        "notified N [from P]",
    ] {
        assert!(
            stderr.contains(needle),
            "stderr lacks {needle:?}:\n{stderr}"
        );
    }
}

#[test]
fn run_missing_script_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nosuch.txt");
    let (code, stdout, stderr) = run_original(&missing, &[]);
    assert_eq!(code, 2, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stderr.contains(s(&missing)), "{stderr}");
    assert!(stderr.contains("cannot read script"), "{stderr}");
}

// ---------------------------------------------------------------- traces

#[test]
fn replay_and_show_the_at_most_one_ring_counterexample() {
    let oc = original_check();
    let trace = oc.trace_of("AtMostOneRing");
    let dir = oc.dir.path().to_str().unwrap().to_string();

    let (code, stdout, stderr) = run(&["replay", s(&trace)]);
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stdout.contains(&format!("{AT_MOST_ONE_RING_LEN} events replay")),
        "{stdout}"
    );
    assert!(stdout.contains("every state matches"), "{stdout}");

    for (format, name) in [
        ("text", "show_at_most_one_ring_text"),
        ("mermaid", "show_at_most_one_ring_mermaid"),
    ] {
        let (code, stdout, stderr) = run(&["show", "--format", format, s(&trace)]);
        assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
        assert!(stderr.is_empty(), "{stderr}");
        assert!(
            !stdout.contains(&dir),
            "show prints the temp folder:\n{stdout}"
        );
        // Redacted all the same, so a snapshot never holds a temp path.
        insta::assert_snapshot!(name, stdout.replace(&dir, "[TMP]"));
    }
}

#[test]
fn replay_reports_a_tampered_state_by_step() {
    let oc = original_check();
    let original = std::fs::read_to_string(oc.trace_of("AtMostOneRing")).unwrap();
    let mut doc = json(&original);
    let states = doc["states"].as_array_mut().unwrap();
    let last = states.len() - 1;
    // succ is an ITF map of [node, successor] pairs: point the first
    // entry's successor somewhere else.
    let entry = &mut states[last]["succ"]["#map"][0];
    let node = entry[0].as_str().unwrap().to_string();
    let old = entry[1].as_str().unwrap().to_string();
    let new = if old == "n0" { "n1" } else { "n0" };
    entry[1] = Value::String(new.to_string());

    let tmp = tempfile::tempdir().unwrap();
    let tampered = write(
        tmp.path(),
        "tampered.itf.json",
        &serde_json::to_string_pretty(&doc).unwrap(),
    );
    let (code, stdout, stderr) = run(&["replay", s(&tampered)]);
    assert_eq!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    for needle in [
        s(&tampered).to_string(),
        format!("step {last}"),
        "differs".to_string(),
        format!("succ[{node}]: {old} → {new}"),
    ] {
        assert!(
            stderr.contains(&needle),
            "stderr lacks {needle:?}:\n{stderr}"
        );
    }

    // `show` still renders it, with a warning and without verdicts.
    let (code, stdout, stderr) = run(&["show", s(&tampered)]);
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stderr.contains("does not replay"), "{stderr}");
    assert!(stdout.contains(&format!("step {last}")), "{stdout}");
}

#[test]
fn replay_rejects_unreadable_traces_with_exit_2() {
    let oc = original_check();
    let original = std::fs::read_to_string(oc.trace_of("AtMostOneRing")).unwrap();
    let tmp = tempfile::tempdir().unwrap();

    let truncated = write(
        tmp.path(),
        "truncated.itf.json",
        &original[..original.len() / 2],
    );
    let not_json = write(tmp.path(), "notes.itf.json", "hello, reviewer\n");
    let missing = tmp.path().join("missing.itf.json");
    for (file, what) in [
        (&truncated, "not JSON"),
        (&not_json, "not JSON"),
        (&missing, "cannot read"),
    ] {
        for cmd in ["replay", "show"] {
            let (code, stdout, stderr) = run(&[cmd, s(file)]);
            assert_eq!(
                code, 2,
                "{cmd} {file:?}\nstdout:\n{stdout}\nstderr:\n{stderr}"
            );
            assert!(stdout.is_empty(), "{stdout}");
            assert!(
                stderr.contains(s(file)),
                "{cmd}: stderr lacks the file:\n{stderr}"
            );
            assert!(
                stderr.contains(what),
                "{cmd}: stderr lacks {what:?}:\n{stderr}"
            );
        }
    }

    let (code, stdout, stderr) = run(&[
        "replay",
        "--against",
        "impl",
        s(&oc.trace_of("AtMostOneRing")),
    ]);
    assert_eq!(code, 2, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stderr.contains("follows the correct protocol"), "{stderr}");
}

// ----------------------------------------------------------- determinism

#[test]
fn check_is_deterministic_in_output_and_traces() {
    let again = spawn_original_check(&[]);
    let first = original_check();
    let (dir, code, stdout, stderr) = again.join().unwrap();
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stdout == first.stdout,
        "check output differs between runs:\n{}\n{stdout}",
        first.stdout
    );
    let a = files_of(&first.traces());
    let b = files_of(&dir.path().join("traces"));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "the same trace files"
    );
    for (name, bytes) in &a {
        assert!(bytes == &b[name], "{name} differs between runs");
    }
}

/// `overlay check … | head -1` must stop quietly (SIGPIPE), not panic:
/// the reader is gone before `check` prints its first line.
#[cfg(unix)]
#[test]
fn a_closed_pipe_stops_the_output_quietly() {
    use std::process::{Command as Std, Stdio};
    let mut child = Std::new(assert_cmd::cargo::cargo_bin("overlay"))
        .args([
            "check",
            "chord",
            "--variant",
            "correct",
            "-p",
            "nodes=4",
            "-p",
            "succ-list=2",
        ])
        .arg("--no-traces")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn overlay");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("overlay ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "stderr: {stderr}");
}

// ------------------------------------------------ replay --against impl

#[test]
fn replay_against_the_implementation_matches_a_committed_trace() {
    let (code, out, err) = run(&words(
        "replay --against impl traces/chord/correct_example_failure.itf.json",
    ));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "traces/chord/correct_example_failure.itf.json: 15 events replay against the implementation; every mapped state matches\n"
    );
}

#[test]
fn replay_against_the_implementation_shows_the_padding_gap() {
    let dir = TempDir::new().unwrap();
    let trace = dir.path().join("gap.itf.json");
    let (code, _, err) = run(&[
        "run",
        "chord",
        "--variant",
        "correct",
        "-p",
        "nodes=4",
        "-p",
        "succ-list=2",
        "-p",
        "guard=off",
        "--script",
        "scenarios/correct-padding-gap.txt",
        "--trace-out",
        s(&trace),
    ]);
    assert_eq!(
        code, 1,
        "the negative control violates the invariant: {err}"
    );
    let (code, out, err) = run(&["replay", "--against", "impl", s(&trace)]);
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    let diff = err.split_once("gap.itf.json: ").expect("names the file").1;
    assert_eq!(
        diff,
        "step 5 `stabilize n0`: model and implementation differ\n    \
         n0.succ: model [n3, n0] ≠ impl [n0, n1]\n    \
         n0.status: model None ≠ impl Some(Rectifying(0))\n    \
         n3.status: model Some(Rectifying(0)) ≠ impl None\n"
    );
}

#[test]
fn replay_against_the_implementation_refuses_other_variants_with_exit_2() {
    let (code, _, err) = run(&words(
        "replay --against impl traces/chord/original_nodes3_succ-list2_OrderedRing.itf.json",
    ));
    assert_eq!(code, 2);
    assert!(
        err.contains("follows the correct protocol; this trace is of the original variant"),
        "{err}"
    );
}
