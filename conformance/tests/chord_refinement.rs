//! Chord: the implementation (`overlay-impls`) against Zave's corrected
//! protocol (`overlay-models`, variant `correct`), through the refinement
//! mapping of `overlay_conformance::chord`.
//!
//! * model → implementation: every committed trace, and every model path
//!   up to a depth, carried out by the implementation in the simulator;
//! * implementation → model: seeded random runs (proptest, shrinking),
//!   each implementation step one the model allows, every property held;
//! * mutations: four deliberate bugs, each caught by both directions.

use std::cell::Cell;

use overlay_conformance::chord::{every_path, observe, Coverage, Op};
use overlay_conformance::{replay_against_impl, trace_files, traces_dir, ImplReplayError};
use overlay_impls::chord::Mutation;
use overlay_models::chord::{ChordModel, Config, Variant};
use overlay_models::trace;
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, RngAlgorithm, TestRng, TestRunner};

fn model(nodes: usize, succ_list: usize, ring: usize, guard: bool) -> ChordModel {
    let mut c = Config::new(Variant::Correct);
    c.nodes = nodes;
    c.succ_list = succ_list;
    c.ring = ring;
    c.guard = guard;
    ChordModel::new(c).expect("valid scope")
}

const MUTATIONS: [Mutation; 4] = [
    Mutation::AdoptDeadPredecessor,
    Mutation::KeepDeadPredecessor,
    Mutation::NoRectify,
    Mutation::ShortJoinList,
];

// ------------------------------------------------ model → implementation

#[test]
fn every_committed_correct_trace_replays_against_the_implementation() {
    let mut replayed = Vec::new();
    for f in trace_files(&traces_dir()) {
        let t = trace::read_file(&f).expect("committed traces read");
        // Other overlays' traces have their own tests
        // (`kademlia_refinement.rs`).
        if t.meta("model") != Some("chord") {
            continue;
        }
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        match replay_against_impl(&f) {
            Ok(events) => replayed.push((name, events)),
            Err(ImplReplayError::Unfit(why)) => {
                assert_ne!(t.meta("variant"), Some("correct"), "{name}: {why}");
                assert!(
                    why.contains("follows the correct protocol"),
                    "{name}: {why}"
                );
            }
            Err(ImplReplayError::Mismatch(m)) => panic!("{name}:\n{m}"),
        }
    }
    insta::assert_debug_snapshot!(replayed);
}

#[test]
fn every_path_n4_r2_ring3_depth8() {
    let cov =
        every_path(&model(4, 2, 3, true), 8, Mutation::None).unwrap_or_else(|m| panic!("{m}"));
    assert_eq!(
        cov,
        Coverage {
            inits: 4,
            steps: 766_260,
            paths: 599_948
        }
    );
}

#[test]
fn every_path_n4_r2_ring4_depth7() {
    let cov =
        every_path(&model(4, 2, 4, true), 7, Mutation::None).unwrap_or_else(|m| panic!("{m}"));
    assert_eq!(
        cov,
        Coverage {
            inits: 1,
            steps: 116_472,
            paths: 90_348
        }
    );
}

#[test]
fn every_path_n5_r2_ring3_depth6() {
    let cov =
        every_path(&model(5, 2, 3, true), 6, Mutation::None).unwrap_or_else(|m| panic!("{m}"));
    assert_eq!(cov.inits, 10);
    insta::assert_debug_snapshot!(cov);
}

#[test]
fn every_path_n5_r3_ring4_depth7() {
    let cov =
        every_path(&model(5, 3, 4, true), 7, Mutation::None).unwrap_or_else(|m| panic!("{m}"));
    assert_eq!(
        cov,
        Coverage {
            inits: 5,
            steps: 787_400,
            paths: 646_080
        }
    );
}

/// Each mutation, at the scope where the walk meets it first: the
/// shortest path that exposes it, and the field-by-field difference.
#[test]
fn mutations_are_caught_by_the_path_walk() {
    let mut report = String::new();
    for m in MUTATIONS {
        // N=5 with a gap in the initial ring, so that a short list is not
        // padded back to the right one by luck.
        let err = every_path(&model(5, 2, 3, true), 7, m).expect_err("the mutation must be caught");
        report.push_str(&format!("{m:?}: {err}\n"));
    }
    insta::assert_snapshot!(report);
}

/// Outside the failure guard, the one place where model and node must
/// differ: the model pads a list with the identity after its last entry,
/// knowledge a real node does not have. The walk finds it at 5 events.
#[test]
fn without_the_guard_the_padding_gap_shows() {
    let err = every_path(&model(4, 2, 3, false), 7, Mutation::None).expect_err("the known gap");
    insta::assert_snapshot!(err.to_string());
}

// ------------------------------------------------ implementation → model

fn op(nodes: u8) -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..nodes).prop_map(Op::Tick),
        1 => (0..nodes).prop_map(Op::Stabilize),
        1 => (0..nodes).prop_map(Op::StabilizePred),
        1 => (0..nodes).prop_map(Op::Rectify),
        2 => (0..nodes, 0..nodes).prop_map(|(j, via)| Op::Join { j, via }),
        1 => (0..nodes).prop_map(Op::Crash),
    ]
}

/// Seeded random runs; `Ok(steps taken)` or the shrunk failure.
fn random_runs(
    m: &ChordModel,
    cases: u32,
    mutation: Mutation,
    eager: bool,
) -> Result<usize, String> {
    let cfg = RunnerConfig {
        cases,
        failure_persistence: None,
        ..RunnerConfig::default()
    };
    let mut runner =
        TestRunner::new_with_rng(cfg, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let steps = Cell::new(0);
    let runs = (
        0usize..1000,
        proptest::collection::vec(op(m.cfg.nodes as u8), 0..60),
    );
    runner
        .run(&runs, |(init, ops)| {
            let seen = observe(m, init, &ops, mutation, eager).map_err(TestCaseError::fail)?;
            steps.set(steps.get() + seen.steps);
            Ok(())
        })
        .map_err(|e| e.to_string())?;
    Ok(steps.get())
}

#[test]
fn implementation_steps_are_model_steps_n5_r2() {
    let steps = random_runs(&model(5, 2, 3, true), 3000, Mutation::None, false)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        steps, 35_312,
        "steps observed (pinned: the runs are seeded)"
    );
}

#[test]
fn implementation_steps_are_model_steps_n6_r3() {
    let steps = random_runs(&model(6, 3, 4, true), 2000, Mutation::None, false)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        steps, 24_643,
        "steps observed (pinned: the runs are seeded)"
    );
}

/// Each mutation is caught by random runs too; proptest shrinks the run
/// to a minimal one, pinned here.
#[test]
fn mutations_are_caught_by_random_runs() {
    let mut report = String::new();
    for m in MUTATIONS {
        let err = random_runs(&model(5, 2, 3, true), 300, m, false)
            .expect_err("the mutation must be caught");
        report.push_str(&format!("{m:?}: {err}\n\n"));
    }
    insta::assert_snapshot!(report);
}

/// The nodes as deployed (eager steps): each input may run several model
/// steps in a row, every one of them a step of the model.
#[test]
fn deployed_nodes_take_model_steps_n5_r2() {
    let steps = random_runs(&model(5, 2, 3, true), 1000, Mutation::None, true)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        steps, 11_883,
        "steps observed (pinned: the runs are seeded)"
    );
}
