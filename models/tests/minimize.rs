//! `minimize`: delta debugging over a counterexample's events.
//!
//! A counterexample padded by hand with irrelevant events shrinks back to
//! the committed shortest one; randomly padded ones shrink to 1-minimal
//! ones; every committed shortest counterexample is already 1-minimal and
//! comes back unchanged; the result replays, ends at its first violation
//! and is the same byte for byte on every run; bad input gives the error
//! it should.

use std::path::{Path, PathBuf};

use overlay_models::check::minimize::{minimize, property_of, MinimizeError};
use overlay_models::check::replay::replay_path;
use overlay_models::check::Runner;
use overlay_models::chord::ChordModel;
use overlay_models::registry;
use overlay_models::trace::{self, Trace};
use stateright::Model;

mod common;
use common::model;

/// The Stabilize bug of the original protocol at N=3 (the five events
/// marked `*`, which are the committed shortest AtLeastOneRing trace),
/// padded with 25 events that do not matter to it. `tests/minimize.rs`
/// (the CLI's) holds the same scenario.
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

const SHORTEST: &str = "original_nodes3_succ-list2_AtLeastOneRing.itf.json";

fn traces_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces/chord")
}

fn committed(name: &str) -> Trace {
    trace::read_file(&traces_dir().join(name)).expect("a committed trace reads")
}

/// The event lines of a trace.
fn events(t: &Trace) -> Vec<String> {
    t.states.iter().skip(1).map(|s| s.action.clone()).collect()
}

fn original() -> ChordModel {
    model("original", &[("nodes", "3")])
}

/// The trace `overlay run --trace-out` writes for `script` (kind
/// `example`, no property).
fn trace_of(m: &ChordModel, script: &str) -> Trace {
    m.run_script(script, "overlay run (test)")
        .unwrap_or_else(|e| panic!("the script runs: {e}\n{script}"))
        .trace
}

/// The state (0 = initial) at which `property` first fails along the
/// events, or `None` when it never does or an event is not enabled.
fn first_violation(m: &ChordModel, events: &[String], property: &str) -> Option<usize> {
    let report = m.run_script(&events.join("\n"), "test").ok()?;
    report
        .violated
        .iter()
        .position(|names| names.iter().any(|n| n == property))
}

fn assert_1_minimal(m: &ChordModel, events: &[String], property: &str) {
    for i in 0..events.len() {
        let mut fewer = events.to_vec();
        fewer.remove(i);
        assert_eq!(
            first_violation(m, &fewer, property),
            None,
            "without event {} (`{}`) {property} still fails: {fewer:?}",
            i + 1,
            events[i]
        );
    }
}

#[test]
fn a_hand_padded_counterexample_shrinks_to_the_shortest_one() {
    let m = original();
    let padded = trace_of(&m, PADDED);
    assert_eq!(padded.len_events(), 30);
    assert_eq!(padded.meta("property"), None);
    let shortest = committed(SHORTEST);
    let report = m
        .minimize(
            &padded,
            "AtLeastOneRing",
            "padded.itf.json",
            "overlay minimize padded.itf.json --property AtLeastOneRing",
        )
        .expect("minimizes");
    assert_eq!(report.property, "AtLeastOneRing");
    assert_eq!(
        (report.events_before, report.events_after),
        (30, shortest.len_events())
    );
    // The padding's violation comes only with its last event: ddmin, not
    // the cut after the first violation, removed the 25 events.
    assert_eq!(report.first_violation, 30);
    assert_eq!(events(&report.trace), events(&shortest));
    assert_eq!(report.trace.states, shortest.states);
    let meta = &report.trace.meta;
    assert_eq!(meta["kind"], "counterexample");
    assert_eq!(meta["property"], "AtLeastOneRing");
    assert_eq!(meta["minimized-from"], "padded.itf.json");
    assert_eq!(meta["minimized-from-events"], "30");
    assert_eq!(
        meta["command"],
        "overlay minimize padded.itf.json --property AtLeastOneRing"
    );
    assert_eq!(
        (meta["model"].as_str(), meta["variant"].as_str()),
        ("chord", "original")
    );

    // It replays, as a counterexample: violated in its last state only.
    let verdicts = m
        .replay(&report.trace)
        .expect("the minimized trace replays");
    let failing: Vec<bool> = verdicts
        .iter()
        .map(|v| v.iter().any(|n| n == "AtLeastOneRing"))
        .collect();
    assert_eq!(failing, [false, false, false, false, false, true]);

    // Byte for byte the same on a second run.
    let again = m
        .minimize(
            &padded,
            "AtLeastOneRing",
            "padded.itf.json",
            "overlay minimize padded.itf.json --property AtLeastOneRing",
        )
        .expect("minimizes");
    assert_eq!(
        report.trace.to_string_pretty(),
        again.trace.to_string_pretty()
    );
    assert_eq!(report.tests, again.tests);
}

#[test]
fn events_after_the_first_violation_are_cut_first() {
    let m = original();
    // The padded scenario, then two more events after the violation.
    let t = trace_of(&m, &format!("{PADDED}flush n0\nnotified n0 from n2\n"));
    assert_eq!(t.len_events(), 32);
    let min = minimize(&m, &t, "AtLeastOneRing").expect("minimizes");
    assert_eq!(min.first_violation, 30);
    assert_eq!(min.events_before, 32);
    assert_eq!(min.path.1.len(), 5);
}

/// A small deterministic generator (xorshift64*): the padding is the same
/// on every run and platform.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }
}

/// `events` with enabled events inserted at random places until there
/// are `target`, keeping every event enabled and the first violation of
/// `property` at the very end (so the cut after the first violation
/// removes nothing and ddmin has to find the padding). Random padding,
/// unlike the hand-written one, often builds a different way to the
/// failure, so ddmin's 1-minimal result need not be the shortest.
fn pad(m: &ChordModel, events: &[String], property: &str, target: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng(seed);
    let mut cur = events.to_vec();
    let mut tries = 0;
    while cur.len() < target {
        tries += 1;
        assert!(tries < 5_000, "no padding fits after {tries} tries");
        let at = rng.below(cur.len() + 1);
        let prefix = trace_of(m, &cur[..at].join("\n"));
        let state = replay_path(m, &prefix)
            .expect("a run replays")
            .states
            .pop()
            .expect("a state");
        let mut enabled = Vec::new();
        m.actions(&state, &mut enabled);
        if enabled.is_empty() {
            continue;
        }
        let mut next = cur.clone();
        next.insert(at, enabled[rng.below(enabled.len())].to_string());
        if first_violation(m, &next, property) == Some(next.len()) {
            cur = next;
        }
    }
    cur
}

#[test]
fn randomly_padded_counterexamples_shrink_to_1_minimal_ones() {
    let cases = [
        (
            original(),
            SHORTEST,
            "AtLeastOneRing",
            // Measured and pinned: 30 events each → these.
            [7, 6, 7],
        ),
        (
            original(),
            "original_nodes3_succ-list2_OrderedMerges.itf.json",
            "OrderedMerges",
            [5, 5, 5],
        ),
        (
            model(
                "correct",
                &[("nodes", "4"), ("succ-list", "2"), ("guard", "off")],
            ),
            "correct_nodes4_succ-list2_ring3_guardoff_OneOrderedRing.itf.json",
            "OneOrderedRing",
            [4, 4, 4],
        ),
    ];
    for (m, file, property, want) in cases {
        let shortest = committed(file).len_events();
        let mut got = Vec::new();
        for seed in 1..=3 {
            let padded = pad(&m, &events(&committed(file)), property, 30, seed);
            let t = trace_of(&m, &padded.join("\n"));
            let min = minimize(&m, &t, property).expect("minimizes");
            let kept: Vec<String> = min.path.1.iter().map(|(a, _)| a.to_string()).collect();
            assert!(kept.len() >= shortest, "{file}: shorter than the shortest?");
            assert_eq!(first_violation(&m, &kept, property), Some(kept.len()));
            assert_1_minimal(&m, &kept, property);
            got.push(kept.len());
        }
        assert_eq!(got, want, "{file}: minimized lengths (shortest {shortest})");
    }
}

#[test]
fn committed_shortest_counterexamples_are_already_1_minimal() {
    let mut seen = 0;
    let mut files: Vec<PathBuf> = std::fs::read_dir(traces_dir())
        .expect("traces/chord")
        .map(|e| e.expect("an entry").path())
        .collect();
    files.sort();
    for path in files {
        let t = trace::read_file(&path).expect("reads");
        if t.meta("kind") != Some("counterexample") || t.meta("shortest") != Some("true") {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let r = registry::for_trace(&t).expect("a known model");
        let property = t
            .meta("property")
            .expect("a counterexample names its property");
        let report = r
            .minimize(&t, property, &name, "test")
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(report.events_after, t.len_events(), "{name}");
        assert_eq!(report.trace.states, t.states, "{name}");
        seen += 1;
    }
    assert!(seen >= 40, "only {seen} shortest counterexamples found");
}

#[test]
fn the_property_comes_from_the_caller_or_the_trace() {
    let example = trace_of(&original(), PADDED);
    assert_eq!(property_of(&example, None), Err(MinimizeError::NoProperty));
    assert_eq!(
        property_of(&example, Some("OrderedRing")),
        Ok("OrderedRing")
    );
    let shortest = committed(SHORTEST);
    assert_eq!(property_of(&shortest, None), Ok("AtLeastOneRing"));
    assert_eq!(property_of(&shortest, Some("Repairable")), Ok("Repairable"));
    let e = MinimizeError::NoProperty;
    assert!(e.is_input_error());
    assert!(e.to_string().contains("--property"), "{e}");
}

#[test]
fn an_unknown_property_is_an_input_error_naming_the_known_ones() {
    let m = original();
    let Err(e) = minimize(&m, &committed(SHORTEST), "AtLeastTwoRings") else {
        panic!("an unknown property minimizes");
    };
    assert!(e.is_input_error());
    let text = e.to_string();
    assert!(text.contains("`AtLeastTwoRings`"), "{text}");
    assert!(text.contains("AtLeastOneRing, AtMostOneRing"), "{text}");
}

#[test]
fn a_trace_that_never_violates_the_property_is_refused() {
    let m = model(
        "correct",
        &[("nodes", "5"), ("succ-list", "3"), ("ring", "4")],
    );
    let t = committed("correct_example_join.itf.json");
    let Err(e) = minimize(&m, &t, "OneOrderedRing") else {
        panic!("a clean trace minimizes");
    };
    assert_eq!(
        e,
        MinimizeError::NotViolated {
            property: "OneOrderedRing".into(),
            events: 6
        }
    );
    assert!(!e.is_input_error());
    assert!(
        e.to_string()
            .contains("OneOrderedRing holds in every state"),
        "{e}"
    );
}

#[test]
fn malformed_and_departing_traces_are_refused_with_the_step() {
    let m = original();
    let good = committed(SHORTEST);

    let mut unreadable = good.clone();
    unreadable.states[2].action = "warp n1".into();
    let Err(e) = minimize(&m, &unreadable, "AtLeastOneRing") else {
        panic!("an unreadable event minimizes");
    };
    assert!(e.is_input_error(), "{e}");
    assert!(e.to_string().contains("step 2"), "{e}");

    let mut departing = good.clone();
    departing.states[3].vars = good.states[2].vars.clone();
    let Err(e) = minimize(&m, &departing, "AtLeastOneRing") else {
        panic!("a departing trace minimizes");
    };
    assert!(!e.is_input_error(), "{e}");
    assert!(e.to_string().contains("step 3"), "{e}");

    let mut empty = good;
    empty.states.clear();
    let Err(e) = minimize(&m, &empty, "AtLeastOneRing") else {
        panic!("a trace without states minimizes");
    };
    assert!(e.is_input_error(), "{e}");
}
