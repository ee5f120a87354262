//! `overlay check --format junit` and `overlay check --all`: the JUnit XML
//! parses, has a testsuite per scope and a testcase per property, marks
//! surprises as <failure> (exit 1) and budget-exhausted verdicts as
//! <skipped> (exit 3); `--all` runs every CI profile and passes on the
//! committed code; `--all` refuses flags that would change the profiles.
//!
//! Nothing is written into the repository: every check runs in a
//! temporary folder (its traces go there).

use roxmltree::{Document, Node};
use tempfile::TempDir;

mod common;
use common::{run_at, words};

// ---------------------------------------------------------------- helpers

fn parse(xml: &str) -> Document<'_> {
    Document::parse(xml).unwrap_or_else(|e| panic!("not XML ({e}):\n{xml}"))
}

fn children<'a, 'i>(n: Node<'a, 'i>, tag: &str) -> Vec<Node<'a, 'i>> {
    n.children().filter(|c| c.has_tag_name(tag)).collect()
}

fn attr<'a>(n: Node<'a, '_>, name: &str) -> &'a str {
    n.attribute(name)
        .unwrap_or_else(|| panic!("<{}> has no {name}", n.tag_name().name()))
}

fn count(n: Node, name: &str) -> usize {
    attr(n, name)
        .parse()
        .unwrap_or_else(|_| panic!("{name} is not a count"))
}

/// A testsuite's `<property name=… value=…>`.
fn suite_property<'a>(suite: Node<'a, '_>, name: &str) -> &'a str {
    children(children(suite, "properties")[0], "property")
        .into_iter()
        .find(|p| attr(*p, "name") == name)
        .map(|p| attr(p, "value"))
        .unwrap_or_else(|| panic!("suite has no property {name}"))
}

/// Checks the counts every JUnit consumer reads: each suite's `tests`,
/// `failures` and `skipped` match its testcases, and the root sums them.
fn assert_consistent_counts(root: Node) {
    assert_eq!(root.tag_name().name(), "testsuites");
    let (mut tests, mut failures, mut skipped) = (0, 0, 0);
    for suite in children(root, "testsuite") {
        let cases = children(suite, "testcase");
        let with = |tag: &str| {
            cases
                .iter()
                .filter(|c| !children(**c, tag).is_empty())
                .count()
        };
        assert_eq!(count(suite, "tests"), cases.len());
        assert_eq!(count(suite, "failures"), with("failure"));
        assert_eq!(count(suite, "skipped"), with("skipped"));
        assert_eq!(count(suite, "errors"), 0);
        tests += cases.len();
        failures += with("failure");
        skipped += with("skipped");
    }
    assert_eq!(count(root, "tests"), tests);
    assert_eq!(count(root, "failures"), failures);
    assert_eq!(count(root, "skipped"), skipped);
}

/// Replaces every `time="…"` value: the only part that varies.
fn mask_times(xml: &str) -> String {
    let mut out = String::new();
    let mut rest = xml;
    while let Some(i) = rest.find(" time=\"") {
        let start = i + " time=\"".len();
        out.push_str(&rest[..start]);
        out.push_str("[time]");
        let end = rest[start..].find('"').expect("attribute ends") + start;
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The negative control: a ring below r+1 members violates three
/// properties the corrected protocol claims (under a second).
const RING2: &str =
    "check chord --variant correct -p nodes=4 -p succ-list=2 -p ring=2 --trace-dir traces";

// ------------------------------------------------------------------ tests

#[test]
fn all_runs_every_ci_profile_and_passes_as_junit() {
    // The one full run of the CI profiles here (about a minute): JUnit on
    // stdout, and the report of all profiles beside it.
    let dir = TempDir::new().unwrap();
    let (code, stdout, stderr) = run_at(
        dir.path(),
        &words("check --all --format junit --report report/all.html"),
    );
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.starts_with("<?xml"), "stdout is the XML only");
    let doc = parse(&stdout);
    let root = doc.root_element();
    assert_consistent_counts(root);
    assert_eq!(count(root, "failures"), 0, "{stdout}");
    assert_eq!(count(root, "skipped"), 0, "{stdout}");
    let suites = children(root, "testsuite");
    let names: Vec<&str> = suites.iter().map(|s| attr(*s, "name")).collect();
    assert_eq!(
        names,
        [
            "chord original (nodes=3 succ-list=2)",
            "chord original-fixed (nodes=3 succ-list=2)",
            "chord correct (nodes=5 succ-list=3 ring=4)",
            "chord correct (nodes=4 succ-list=2 ring=2)",
            "kademlia correct (bits=2 nodes=4 k=2 alpha=1 cache=1 failures=1)",
            "kademlia evict-without-ping (bits=2 nodes=4 k=1 alpha=1 cache=1 failures=1)",
            "kademlia alpha-termination (bits=2 nodes=3 k=2 alpha=1 cache=1 failures=1)",
            "kademlia k1-failures (bits=2 nodes=3 k=1 alpha=1 cache=1 failures=1)",
            "kademlia correct (bits=2 nodes=4 k=1 alpha=1 cache=1 failures=0)",
            "can correct (dims=2 bits=2 nodes=4 realities=1 keys=1 failures=1 leaves=1 probes=0 gets=0)",
            "can takeover-race (dims=2 bits=2 nodes=3 realities=1 keys=1 failures=1 leaves=0 probes=0 gets=0)",
            "can ragged-merge (dims=2 bits=2 nodes=4 realities=1 keys=0 failures=0 leaves=1 probes=0 gets=0)",
            "can no-ring-search (dims=2 bits=2 nodes=4 realities=1 keys=0 failures=1 leaves=1 probes=0 gets=0)",
            "von correct (side=5 aoi=2 step=2 nodes=4 initial=3 moves=2 failures=0 leaves=1 concurrent=0 homes=1.1-3.1-2.3-4.4)",
            "von paper (side=5 aoi=2 step=1 nodes=4 initial=3 moves=2 failures=0 leaves=0 concurrent=0 homes=1.1-3.1-2.3-4.4)",
            "von no-repair-notify (side=5 aoi=2 step=1 nodes=4 initial=4 moves=1 failures=1 leaves=0 concurrent=0 homes=1.1-3.1-2.3-4.4)",
            "von paper (side=5 aoi=1 step=2 nodes=3 initial=3 moves=3 failures=0 leaves=0 concurrent=0 homes=1.1-3.1-2.3)",
            "von correct (side=5 aoi=2 step=2 nodes=4 initial=4 moves=2 failures=0 leaves=0 concurrent=1 homes=1.1-3.1-2.3-4.4)",
            "von correct (side=5 aoi=2 step=2 nodes=3 initial=2 moves=1 failures=0 leaves=0 concurrent=1 homes=1.1-3.1-2.3)",
            "von correct (side=5 aoi=1 step=2 nodes=3 initial=3 moves=0 failures=1 leaves=0 concurrent=0 homes=0.0-2.0-4.0)",
            "von correct (side=5 aoi=2 step=2 nodes=4 initial=4 moves=1 failures=1 leaves=0 concurrent=0 homes=1.1-3.1-2.3-4.4)",
        ]
    );
    // A testcase per property, in the order `overlay list` gives them.
    let (code, list, _) = run_at(dir.path(), &words("list --format json"));
    assert_eq!(code, 0);
    let list: serde_json::Value = serde_json::from_str(&list).unwrap();
    for suite in &suites {
        let variant = suite_property(*suite, "variant");
        let model = list
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["model"] == suite_property(*suite, "model"))
            .unwrap();
        let listed: Vec<&str> = model["variants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == variant)
            .unwrap()["properties"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        let cases: Vec<&str> = children(*suite, "testcase")
            .into_iter()
            .map(|c| attr(c, "name"))
            .collect();
        assert_eq!(cases, listed, "{variant}");
    }
    for suite in &suites {
        assert_eq!(suite_property(*suite, "complete"), "true");
        assert!(!suite_property(*suite, "profile").is_empty());
    }
    // The negative control passes because its violations are expected.
    let control = suites[3];
    let invariant = children(control, "testcase")
        .into_iter()
        .find(|c| attr(*c, "name") == "Invariant")
        .expect("the control has Invariant");
    let out = children(invariant, "system-out")[0].text().unwrap();
    assert!(out.contains("expected violated, verdict violated"), "{out}");
    // Traces went to traces/<model> in the working folder.
    assert!(dir
        .path()
        .join("traces/chord/correct_nodes4_succ-list2_ring2_Invariant.itf.json")
        .is_file());
    // One report for all profiles.
    let html = std::fs::read_to_string(dir.path().join("report/all.html")).unwrap();
    assert!(html.contains("data-exit=\"0\""), "the report passes too");
    for k in 1..=21 {
        assert!(html.contains(&format!("<tr id=\"run-{k}\"")), "run {k}");
    }
    assert!(!html.contains("id=\"run-22\""));
    assert!(dir
        .path()
        .join("traces/kademlia/evict-without-ping_bits2_nodes4_k1_alpha1_cache1_failures1_LiveNodesNeverEvicted.itf.json")
        .is_file());
}

#[test]
fn a_surprise_is_a_failure_with_verdict_expectation_and_trace() {
    let dir = TempDir::new().unwrap();
    let mut args = words(RING2);
    args.extend(["--format", "junit"]);
    let (code, stdout, stderr) = run_at(dir.path(), &args);
    assert_eq!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let doc = parse(&stdout);
    let root = doc.root_element();
    assert_consistent_counts(root);
    let suites = children(root, "testsuite");
    assert_eq!(suites.len(), 1);
    let failed: Vec<&str> = children(suites[0], "testcase")
        .into_iter()
        .filter(|c| !children(*c, "failure").is_empty())
        .map(|c| attr(c, "name"))
        .collect();
    assert_eq!(failed, ["Invariant", "NoDuplicates", "Repairable"]);
    for case in children(suites[0], "testcase") {
        for failure in children(case, "failure") {
            assert_eq!(
                attr(failure, "message"),
                "expected holds, verdict violated: a property expected to hold is violated"
            );
            let text = failure.text().unwrap();
            let trace = text
                .lines()
                .find_map(|l| l.strip_prefix("trace: "))
                .and_then(|t| t.split(" (").next())
                .unwrap_or_else(|| panic!("no trace line in {text}"));
            assert!(dir.path().join(trace).is_file(), "{trace} exists");
            assert!(text.contains("reproduce: overlay check chord --variant correct"));
        }
    }
    insta::assert_snapshot!("junit_ring2_negative_control", mask_times(&stdout));
}

#[test]
fn a_budget_exhausted_verdict_is_skipped_with_exit_3() {
    let dir = TempDir::new().unwrap();
    let (code, stdout, stderr) = run_at(
        dir.path(),
        &words(
            "check chord --variant original -p nodes=4 --max-depth 6 --no-traces --format junit",
        ),
    );
    assert_eq!(code, 3, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let doc = parse(&stdout);
    let root = doc.root_element();
    assert_consistent_counts(root);
    assert_eq!(count(root, "failures"), 0);
    assert!(count(root, "skipped") > 0, "{stdout}");
    assert!(stdout.contains("trace: not written"), "--no-traces says so");
}

#[test]
fn all_refuses_a_model_and_scope_flags_with_exit_2() {
    let dir = TempDir::new().unwrap();
    for line in [
        "check --all chord",
        "check --all --variant correct",
        "check --all -p nodes=3",
        "check --all --max-depth 3",
        "check --all --max-states 10",
        "check --all --strategy dfs",
    ] {
        let (code, stdout, stderr) = run_at(dir.path(), &words(line));
        assert_eq!(code, 2, "{line}\nstdout:\n{stdout}\nstderr:\n{stderr}");
        assert!(stdout.is_empty(), "{line}: {stdout}");
        assert!(
            stderr.contains("'--all' cannot be used with"),
            "{line}: {stderr}"
        );
    }
    let (code, _, stderr) = run_at(dir.path(), &["check"]);
    assert_eq!(code, 2, "no model and no --all: {stderr}");
    assert!(stderr.contains("<MODEL>"), "{stderr}");
    let (code, _, stderr) = run_at(dir.path(), &words("check chord --format xml"));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("junit"), "the formats are listed: {stderr}");
}
