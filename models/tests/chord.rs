//! Bounded checks of the Chord model: pinned state counts, verdicts
//! against the literature, exact shortest counterexample lengths, and the
//! negative controls of the corrected protocol.
//!
//! Scopes are small enough for CI; larger ones are in the README's results.

use overlay_models::check::run::{check, CheckOptions, Verdict};
use overlay_models::check::Expect;
use overlay_models::chord::ChordModel;

mod common;
use common::model;

/// (property, verdict, counterexample length) of each property.
type Verdicts = Vec<(&'static str, Verdict, Option<usize>)>;

/// (unique states, complete, verdicts) of a BFS check.
fn outcome(m: &ChordModel, opts: &CheckOptions) -> (usize, bool, Verdicts) {
    let out = check(m, opts, &mut |_| {});
    let props = out
        .properties
        .iter()
        .map(|p| {
            (
                p.info.name,
                p.verdict,
                p.path.as_ref().map(|(_, steps)| steps.len()),
            )
        })
        .collect();
    (out.unique_states, out.complete, props)
}

/// The verdict and counterexample length of one property.
fn get(props: &[(&'static str, Verdict, Option<usize>)], name: &str) -> (Verdict, Option<usize>) {
    let p = props
        .iter()
        .find(|p| p.0 == name)
        .expect("a property of the model");
    (p.1, p.2)
}

fn assert_as_expected(m: &ChordModel, props: &[(&'static str, Verdict, Option<usize>)]) {
    for (info, (name, verdict, _)) in m.expectations().iter().zip(props) {
        assert_eq!(info.name, *name);
        let want = match info.expect {
            Expect::Holds => Verdict::Holds,
            Expect::Violated => Verdict::Violated,
        };
        assert_eq!(*verdict, want, "{name}");
    }
}

/// Zave (CCR 2012): not one of the seven claimed invariants is an
/// invariant. At N=3 every one of them already falls; these are the
/// lengths of the shortest counterexamples (BFS, exact).
#[test]
fn original_n3_breaks_all_seven_claimed_invariants() {
    let m = model("original", &[("nodes", "3")]);
    let (unique, complete, props) = outcome(&m, &CheckOptions::default());
    assert!(complete);
    assert_eq!(unique, 255_506);
    assert_as_expected(&m, &props);
    let lengths: Vec<(&str, Option<usize>)> = props.iter().map(|(n, _, l)| (*n, *l)).collect();
    assert_eq!(
        lengths,
        vec![
            ("AtLeastOneRing", Some(5)),
            ("AtMostOneRing", Some(14)),
            ("OrderedRing", Some(15)),
            ("ConnectedAppendages", Some(5)),
            ("OrderedAppendages", Some(10)),
            ("OrderedMerges", Some(5)),
            ("ValidSuccessorList", Some(10)),
            ("AntecedentPredecessors", Some(8)),
            ("DistinctSuccessors", Some(6)),
            ("OrderedSuccessors", Some(6)),
            ("ReachableSuccessor2", Some(10)),
            ("ValidRingIsImprovable", None),
            ("IdealRingCannotImprove", None),
            ("Repairable", Some(5)),
        ]
    );
}

/// With Zave's two bug fixes the claimed invariants still fall, but
/// AtLeastOneRing and ConnectedAppendages need longer runs.
#[test]
fn original_fixed_n3_still_breaks_them() {
    let m = model("original-fixed", &[("nodes", "3")]);
    let (unique, complete, props) = outcome(&m, &CheckOptions::default());
    assert!(complete);
    assert_eq!(unique, 239_563);
    assert_as_expected(&m, &props);
    let len = |name: &str| props.iter().find(|p| p.0 == name).and_then(|p| p.2);
    assert_eq!(len("AtLeastOneRing"), Some(11));
    assert_eq!(len("ConnectedAppendages"), Some(9));
    assert_eq!(len("AtMostOneRing"), Some(14));
}

/// The corrected protocol keeps all its properties (Zave, TSE 2017).
#[test]
fn correct_keeps_its_invariant_and_progress() {
    for (params, states) in [
        (&[("nodes", "4"), ("succ-list", "2")][..], 2_577usize),
        (&[("nodes", "5"), ("succ-list", "3")][..], 17_851),
    ] {
        let m = model("correct", params);
        let (unique, complete, props) = outcome(&m, &CheckOptions::default());
        assert!(complete);
        assert_as_expected(&m, &props);
        assert_eq!(unique, states, "{params:?}");
    }
}

/// Negative control 1: an initial ring below r+1 members violates the
/// Invariant from the start and can never be repaired to Ideal.
#[test]
fn correct_below_r_plus_one_members_breaks() {
    let m = model(
        "correct",
        &[("nodes", "4"), ("succ-list", "2"), ("ring", "2")],
    );
    let (unique, complete, props) = outcome(&m, &CheckOptions::default());
    assert!(complete);
    assert_eq!(unique, 26_435);
    assert_eq!(get(&props, "Invariant"), (Verdict::Violated, Some(0)));
    assert_eq!(get(&props, "NoDuplicates"), (Verdict::Violated, Some(0)));
    assert_eq!(get(&props, "Repairable"), (Verdict::Violated, Some(0)));
}

/// Negative control 2: letting the (r+1)-th principal fail breaks the ring
/// itself within four events.
#[test]
fn correct_without_the_principal_guard_breaks_the_ring() {
    let m = model(
        "correct",
        &[("nodes", "4"), ("succ-list", "2"), ("guard", "off")],
    );
    let opts = CheckOptions {
        max_depth: Some(4),
        ..Default::default()
    };
    let (_, complete, props) = outcome(&m, &opts);
    assert!(!complete);
    assert_eq!(get(&props, "OneOrderedRing"), (Verdict::Violated, Some(4)));
    assert_eq!(
        get(&props, "OrderedSuccessorLists"),
        (Verdict::Violated, Some(4))
    );
    assert_eq!(get(&props, "Invariant"), (Verdict::Violated, Some(1)));
}

/// Shortest counterexamples do not depend on the number of threads, and
/// neither do complete state counts.
#[test]
fn threads_change_neither_counts_nor_counterexamples() {
    let m = model("original", &[("nodes", "3")]);
    let one = outcome(&m, &CheckOptions::default());
    let two = outcome(
        &m,
        &CheckOptions {
            threads: 2,
            ..Default::default()
        },
    );
    assert_eq!(one, two);
}

/// Ring rotation as a symmetry: one state per rotation class, the same
/// verdicts, and (from the exact unreduced search) the same shortest
/// counterexamples. Unreduced counts are pinned above.
#[test]
fn rotation_symmetry_reduces_states_and_keeps_verdicts() {
    let sym = CheckOptions {
        symmetry: true,
        ..Default::default()
    };
    let m = model("original", &[("nodes", "3")]);
    let (plain_unique, _, plain) = outcome(&m, &CheckOptions::default());
    let (unique, complete, props) = outcome(&m, &sym);
    assert!(complete);
    assert_eq!((plain_unique, unique), (255_506, 85_180));
    assert_eq!(props, plain);

    let m = model("correct", &[("nodes", "5"), ("succ-list", "3")]);
    let (unique, complete, props) = outcome(&m, &sym);
    assert!(complete);
    assert_eq!(unique, 3_571);
    assert_as_expected(&m, &props);
}

/// The example scenarios in `scenarios/` run as their comments say.
#[test]
fn example_scenarios_run_as_documented() {
    use overlay_models::check::Runner;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).expect("scenario file");

    let m = model("correct", &[]);
    let run = m
        .run_script(&read("correct-join.txt"), "test")
        .expect("runs");
    assert_eq!(run.trace.len_events(), 6);
    assert!(run.first_violations.is_empty());

    let m = model("original", &[]);
    let run = m
        .run_script(&read("original-stabilize-bug.txt"), "test")
        .expect("runs");
    assert_eq!(
        run.first_violations,
        vec![
            ("AtLeastOneRing".to_string(), 5),
            ("ConnectedAppendages".to_string(), 5),
            ("Repairable".to_string(), 5)
        ]
    );
}
