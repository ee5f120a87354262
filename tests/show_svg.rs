//! `overlay show --format svg`: one picture on stdout (`--step K`), one
//! file per state (`--out-dir DIR`), and exit code 2 with a clear message
//! for a step out of range, flags that need `--format svg`, and traces
//! that cannot be read; 1 for a trace that departs from the model.
//!
//! The pictures themselves are pinned in `models/tests/paint.rs`.

use std::path::Path;

use serde_json::Value;

mod common;
use common::{run, s, trace};

/// The AtLeastOneRing counterexample at N=3: 5 events, violated at step 5.
const AT_LEAST_ONE_RING: &str = "traces/chord/original_nodes3_succ-list2_AtLeastOneRing.itf.json";
const CORRECT_FAILURE: &str = "traces/chord/correct_example_failure.itf.json";

#[test]
fn one_step_goes_to_stdout_deterministically() {
    let t = trace(AT_LEAST_ONE_RING);
    let args = ["show", s(&t), "--format", "svg", "--step", "5"];
    let (code, stdout, stderr) = run(&args);
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    assert!(stdout.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(stdout.ends_with("</svg>\n"));
    assert!(stdout.contains("step 5 · stabilize n0"), "{stdout}");
    assert!(
        stdout.contains("violated first here: AtLeastOneRing"),
        "{stdout}"
    );
    let (_, again, _) = run(&args);
    assert_eq!(stdout, again, "byte for byte the same");

    let (code, stdout, _) = run(&["show", s(&t), "--format", "svg", "--step", "0"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("step 0 · initial state"), "{stdout}");
    assert!(stdout.contains("all properties hold"), "{stdout}");
}

#[test]
fn out_dir_writes_one_picture_per_state() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("pictures");
    let t = trace(CORRECT_FAILURE);
    let (code, stdout, stderr) = run(&["show", s(&t), "--format", "svg", "--out-dir", s(&dir)]);
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stdout.contains("wrote 16 pictures") && stdout.contains("step-015.svg"),
        "{stdout}"
    );
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let expected: Vec<String> = (0..16).map(|k| format!("step-{k:03}.svg")).collect();
    assert_eq!(names, expected);
    // Each file is what --step prints.
    for k in [0, 12, 15] {
        let file = std::fs::read_to_string(dir.join(format!("step-{k:03}.svg"))).unwrap();
        let (_, stdout, _) = run(&["show", s(&t), "--format", "svg", "--step", &k.to_string()]);
        assert_eq!(file, stdout, "step {k}");
    }
}

#[test]
fn a_step_out_of_range_names_the_range() {
    let t = trace(AT_LEAST_ONE_RING);
    let (code, stdout, stderr) = run(&["show", s(&t), "--format", "svg", "--step", "6"]);
    assert_eq!(code, 2, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    for needle in [s(&t), "--step 6 is out of range", "states 0 … 5"] {
        assert!(
            stderr.contains(needle),
            "stderr lacks {needle:?}:\n{stderr}"
        );
    }
}

#[test]
fn svg_flags_need_the_svg_format() {
    let t = trace(AT_LEAST_ONE_RING);
    for (args, needle) in [
        (vec!["--step", "1"], "--step applies to --format svg only"),
        (
            vec!["--format", "mermaid", "--out-dir", "x"],
            "--out-dir applies to --format svg only",
        ),
        (
            vec!["--format", "svg"],
            "needs --step K (K in 0 … 5) or --out-dir DIR",
        ),
    ] {
        let mut all = vec!["show", s(&t)];
        all.extend(args.iter().copied());
        let (code, stdout, stderr) = run(&all);
        assert_eq!(code, 2, "{all:?}\nstdout:\n{stdout}\nstderr:\n{stderr}");
        assert!(stdout.is_empty(), "{stdout}");
        assert!(
            stderr.contains(needle),
            "{all:?}: stderr lacks {needle:?}:\n{stderr}"
        );
    }
    // Both at once is a usage error (clap's).
    let (code, _, stderr) = run(&[
        "show",
        s(&t),
        "--format",
        "svg",
        "--step",
        "1",
        "--out-dir",
        "x",
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("cannot be used with"), "{stderr}");
    assert!(!Path::new("x").exists(), "nothing written");
}

#[test]
fn traces_that_cannot_be_drawn_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(trace(AT_LEAST_ONE_RING)).unwrap();
    let write = |name: &str, body: &str| {
        let p = tmp.path().join(name);
        std::fs::write(&p, body).unwrap();
        p
    };
    let svg_step = |p: &Path| run(&["show", s(p), "--format", "svg", "--step", "1"]);

    // A state that departs from the model: exit 1, the step and the field.
    let mut doc: Value = serde_json::from_str(&text).unwrap();
    doc["states"][1]["succ"]["#map"][1][1] = Value::String("n1".into());
    let tampered = write("tampered.itf.json", &doc.to_string());
    let (code, stdout, stderr) = svg_step(&tampered);
    assert_eq!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    for needle in [s(&tampered), "does not replay", "step 1", "succ[n1]"] {
        assert!(
            stderr.contains(needle),
            "stderr lacks {needle:?}:\n{stderr}"
        );
    }

    // An unreadable event: exit 2, the step.
    let garbled = write(
        "garbled.itf.json",
        &text.replacen("\"join n1 via n0\"", "\"wobble n1\"", 1),
    );
    let (code, _, stderr) = svg_step(&garbled);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("step 1") && stderr.contains("wobble"),
        "{stderr}"
    );

    // A missing variable and a truncated file: exit 2, naming what is wrong.
    let mut doc: Value = serde_json::from_str(&text).unwrap();
    doc["states"][1]
        .as_object_mut()
        .unwrap()
        .remove("mbt::actionTaken");
    let no_action = write("no-action.itf.json", &doc.to_string());
    let (code, _, stderr) = svg_step(&no_action);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("mbt::actionTaken"), "{stderr}");
    let truncated = write("truncated.itf.json", &text[..text.len() / 2]);
    let (code, _, stderr) = svg_step(&truncated);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains(s(&truncated)), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
