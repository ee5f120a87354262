//! Every committed trace is a test: it must replay against its model,
//! reproducing each recorded state and, for a counterexample, the verdict.

use overlay_conformance::{replay_against_model, trace_files, traces_dir};

#[test]
fn every_committed_trace_replays_against_its_model() {
    let files = trace_files(&traces_dir());
    assert!(
        !files.is_empty(),
        "no traces under {}",
        traces_dir().display()
    );
    let failures: Vec<String> = files
        .iter()
        .filter_map(|f| {
            replay_against_model(f)
                .err()
                .map(|e| format!("{}: {e}", f.display()))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "traces that do not replay:\n{}",
        failures.join("\n")
    );
}
