//! CAN: the implementation (`overlay-impls`, real nodes in the seeded
//! simulator with the paper's timers) against the model
//! (`overlay-models`), through the refinement mapping of
//! `overlay_conformance::can`, compared at quiescent points: after each
//! churn event (join, leave, fail, put) the implementation runs until
//! nothing changes for 16 s of simulated time, and the model takes its
//! repair steps (updates, refreshes, expiry, takeover, reassignment,
//! search) to a repaired state.
//!
//! * model → implementation: every committed trace, seeded random walks
//!   of the model's churn events, and every churn path to a depth;
//! * implementation → model: seeded random runs with random message
//!   delays, operations chosen on the implementation's side, each an
//!   event the model enables, the settled state the model's repaired
//!   state and satisfying every model property;
//! * mutations: two deliberate implementation bugs, each caught;
//! * the one alignment: which extra zone a reassignment gives back.
//!
//! Paper sections: CAN §2.1 (zones, neighbours, greedy routing), §2.2
//! (join by splitting), §2.3 (leave, takeover, background reassignment).

use overlay_conformance::can::runs::{random_runs, RunStats};
use overlay_conformance::can::{
    every_path, every_path_with, impl_config, random_paths, Coverage, PathStats,
};
use overlay_conformance::{replay_against_impl, trace_files, traces_dir, ImplReplayError};
use overlay_impls::can::{Mutation, ReassignPick};
use overlay_models::can::{CanModel, Config, Variant};
use overlay_models::trace;

fn scope(bits: usize, nodes: usize, keys: usize, failures: usize, leaves: usize) -> CanModel {
    let mut c = Config::new(Variant::Correct);
    c.bits = bits;
    c.nodes = nodes;
    c.keys = keys;
    c.failures = failures;
    c.leaves = leaves;
    CanModel::new(c).expect("valid scope")
}

/// The scopes of the random walks and runs: the default 4×4 one with two
/// keys; six nodes on 4×4 (two failures); six nodes on 8×8 (two leaves).
fn scopes() -> [CanModel; 3] {
    [
        scope(2, 4, 2, 1, 1),
        scope(2, 6, 2, 2, 1),
        scope(3, 6, 2, 1, 2),
    ]
}

// ------------------------------------------------ model → implementation

/// The committed `correct` trace replays at quiescent points (its own
/// states, repaired, match the implementation at the end of every
/// segment); the broken variants' traces are refused, each with its
/// reason (no test-only mutation reproduces them at quiescence).
#[test]
fn committed_can_traces_replay() {
    let mut out = Vec::new();
    for f in trace_files(&traces_dir()) {
        let t = trace::read_file(&f).expect("committed traces read");
        if t.meta("model") != Some("can") {
            continue;
        }
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let verdict = match replay_against_impl(&f) {
            Ok(events) => format!("{events} events"),
            Err(ImplReplayError::Unfit(why)) => {
                format!("refused: {}", why.split(':').next().unwrap())
            }
            Err(ImplReplayError::Mismatch(m)) => panic!("{name}:\n{m}"),
        };
        out.push((name, verdict));
    }
    let out: Vec<(&str, &str)> = out.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    assert_eq!(
        out,
        [
            ("correct_example_churn.itf.json", "8 events"),
            (
                "no-ring-search_nodes4_GreedyRoutingDelivers.itf.json",
                "refused: no-ring-search"
            ),
            (
                "no-ring-search_nodes4_NeighborSetsExact.itf.json",
                "refused: no-ring-search"
            ),
            (
                "no-ring-search_nodes4_Repairable.itf.json",
                "refused: no-ring-search"
            ),
            (
                "ragged-merge_nodes4_ValidZones.itf.json",
                "refused: ragged-merge"
            ),
            (
                "takeover-race_nodes3_GreedyRoutingDelivers.itf.json",
                "refused: takeover-race"
            ),
            (
                "takeover-race_nodes3_NoKeyLost.itf.json",
                "refused: takeover-race"
            ),
            (
                "takeover-race_nodes3_ZoneCoverage.itf.json",
                "refused: takeover-race"
            ),
        ]
    );
}

/// §2.2, §2.3: seeded random walks of the model's churn events (a kind
/// first, uniformly, then an event of that kind), each compared at the
/// next quiescent point.
#[test]
fn random_model_paths() {
    let all: Vec<PathStats> = scopes()
        .iter()
        .map(|m| random_paths(m, Mutation::None, 2002, 1000, 14).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    // kinds: join, leave, fail, put
    assert_eq!(
        all,
        [
            PathStats {
                paths: 1000,
                steps: 7000,
                kinds: [3000, 1000, 1000, 2000],
                alternatives: 0
            },
            PathStats {
                paths: 1000,
                steps: 10_000,
                kinds: [5000, 1000, 2000, 2000],
                alternatives: 0
            },
            PathStats {
                paths: 1000,
                steps: 10_000,
                kinds: [5000, 2000, 1000, 2000],
                alternatives: 0
            },
        ]
    );
}

/// Every churn path of the model to a depth: four nodes on the 4×4 grid
/// (one key, one failure, one leave) to depth 5 (every path of the
/// scope's at most six churn events but the last), three nodes to depth 6.
#[test]
fn every_path_to_a_depth() {
    let c = every_path(&scope(2, 4, 1, 1, 1), 5, Mutation::None).unwrap_or_else(|m| panic!("{m}"));
    assert_eq!(
        c,
        Coverage {
            inits: 1,
            steps: 59_281,
            paths: 51_552
        }
    );
    let c = every_path(&scope(2, 3, 1, 1, 1), 6, Mutation::None).unwrap_or_else(|m| panic!("{m}"));
    assert_eq!(
        c,
        Coverage {
            inits: 1,
            steps: 3313,
            paths: 1952
        }
    );
}

// ------------------------------------------------ implementation → model

/// Random runs of the implementation (message delays 5–50 ms), each
/// operation an event the model enables, each settled state the model's
/// repaired state, every model property holding on it.
#[test]
fn random_implementation_runs_agree_with_the_model() {
    let all: Vec<RunStats> = scopes()
        .iter()
        .map(|m| random_runs(m, Mutation::None, 2002, 1000, 14).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    let pinned: Vec<_> = all
        .iter()
        .map(|s| {
            (
                s.runs,
                [s.joins, s.leaves, s.crashes, s.puts],
                s.refused,
                s.alternatives,
                s.delivered,
            )
        })
        .collect();
    // (runs, [joins, leaves, crashes, puts], refused joins, alternative
    // repairs, datagrams delivered)
    assert_eq!(
        pinned,
        [
            (1000, [3000, 1000, 1000, 2000], 0, 0, 269_738),
            (1000, [5000, 1000, 2000, 2000], 0, 0, 580_360),
            (1000, [5000, 2000, 1000, 2000], 0, 0, 579_552),
        ]
    );
}

// ------------------------------------------------ mutations

const MUTATIONS: [Mutation; 2] = [Mutation::SplitKeepsKeys, Mutation::TakeoverWithoutVolume];

/// Each mutation at its shortest exposing churn path (iterative
/// deepening): the keys a split must hand over stay with the owner; two
/// neighbours of a failed node both take its zone.
#[test]
fn mutations_are_caught_by_the_exhaustive_walk() {
    let mut report = String::new();
    for mu in MUTATIONS {
        let err =
            every_path(&scope(2, 4, 1, 1, 1), 6, mu).expect_err("the mutation must be caught");
        report.push_str(&format!("{mu:?}: {err}\n"));
    }
    insta::assert_snapshot!(report);
}

#[test]
fn mutations_are_caught_by_implementation_runs() {
    let mut report = String::new();
    for mu in MUTATIONS {
        let err = random_runs(&scope(2, 4, 1, 1, 1), mu, 2002, 300, 12)
            .expect_err("the mutation must be caught");
        report.push_str(&format!("{mu:?}: {err}\n\n"));
    }
    insta::assert_snapshot!(report);
}

// ------------------------------------------------ the one alignment

/// §2.3 background reassignment: the implementation's default gives back
/// its *deepest* extra zone, the model (the paper's reading) the one it
/// acquired *last*. Both restore one zone per node, to different owners;
/// the harness selects `ReassignPick::LastAcquired`. With the default,
/// the shortest path that tells them apart has three events.
#[test]
fn with_the_deepest_extra_zone_the_owners_differ() {
    let m = scope(2, 4, 1, 1, 1);
    let cfg = overlay_impls::can::Config {
        reassign_pick: ReassignPick::Deepest,
        ..impl_config(&m, Mutation::None)
    };
    let err = every_path_with(&m, 4, cfg).expect_err("the two rules differ");
    insta::assert_snapshot!(err.to_string());
}
