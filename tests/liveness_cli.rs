//! `overlay check --liveness` from the command line: the verdict and lasso
//! lengths the README reports, budgets that leave the verdict unknown
//! (exit 3), and the flags liveness cannot honour refused (exit 2).

mod common;

use common::{json, run, words};

#[test]
fn original_is_not_eventually_ideal_and_the_lassos_are_pinned() {
    let (code, stdout, stderr) = run(&words(
        "check chord --variant original --liveness --format json --no-traces",
    ));
    assert_eq!(code, 0, "{stderr}");
    let doc = json(&stdout);
    assert_eq!(doc["complete"], true);
    assert_eq!(doc["unique_states"], 255_506);
    let p = &doc["liveness"][0];
    assert_eq!(p["name"], "EventuallyIdeal");
    assert_eq!(p["verdict"], "violated");
    // Stuck after 7 events; a livelock of 2 events after 10.
    assert_eq!(
        (
            p["lasso"]["prefix_len"].as_u64(),
            p["lasso"]["loop_len"].as_u64()
        ),
        (Some(7), Some(0))
    );
    assert_eq!(
        (
            p["livelock"]["prefix_len"].as_u64(),
            p["livelock"]["loop_len"].as_u64()
        ),
        (Some(10), Some(2))
    );
}

#[test]
fn a_memory_budget_stops_the_exploration_with_the_verdict_unknown() {
    let (code, stdout, stderr) = run(&words(
        "check chord --variant correct --liveness --format json --no-traces --max-memory 1",
    ));
    assert_eq!(code, 3, "{stderr}");
    let doc = json(&stdout);
    assert_eq!(doc["complete"], false);
    assert_eq!(doc["liveness"][0]["verdict"], "unknown");
}

#[test]
fn a_state_budget_still_reports_the_violations_it_saw() {
    let (code, stdout, stderr) = run(&words(
        "check chord --variant original --liveness --format json --no-traces --max-states 100000",
    ));
    // The violation is expected, so the run is as expected although
    // incomplete: a violation found in part of the graph is a violation.
    assert_eq!(code, 0, "{stderr}");
    let doc = json(&stdout);
    assert_eq!(doc["complete"], false);
    assert_eq!(doc["liveness"][0]["verdict"], "violated");
    assert_eq!(doc["liveness"][0]["lasso"]["prefix_len"], 7);
}

#[test]
fn flags_liveness_cannot_honour_are_refused() {
    for flags in [
        "--threads 2",
        "--symmetry",
        "--max-depth 5",
        "--strategy dfs",
    ] {
        let mut args = words("check chord --variant original --liveness --no-traces");
        args.extend(flags.split_whitespace());
        let (code, _, stderr) = run(&args);
        assert_eq!(code, 2, "{flags}: {stderr}");
        assert!(stderr.contains("cannot be used with"), "{flags}: {stderr}");
    }
}

/// `show` of a lasso says where the loop starts and how it closes: the
/// livelock (a loop of events) and the stuck run (no event left).
#[test]
fn show_marks_the_loop_of_a_lasso() {
    let livelock = "traces/chord/original_nodes3_succ-list2_EventuallyIdeal-livelock.itf.json";
    let (code, stdout, stderr) = run(&["show", livelock]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("step 10  reconcile n2  ↻ the loop starts here"),
        "{stdout}"
    );
    assert!(
        stdout.trim_end().ends_with(
            "then notified n0 from n2 leads back to the state of step 10: \
             step 11 and notified n0 from n2 repeat forever"
        ),
        "{stdout}"
    );
    let stuck = "traces/chord/original_nodes3_succ-list2_EventuallyIdeal.itf.json";
    let (code, stdout, stderr) = run(&["show", stuck]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("step 7  flush n0  ■ stuck here"),
        "{stdout}"
    );
    assert!(
        stdout.trim_end().ends_with("so it stays there forever"),
        "{stdout}"
    );
}
