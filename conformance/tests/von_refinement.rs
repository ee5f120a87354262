//! VON: the implementation (`overlay-impls`, sans-IO nodes) against the
//! model (`overlay-models`), through the refinement mapping of
//! `overlay_conformance::von`, compared after every event — statuses,
//! positions, tables, tombstones and every message in flight, link by
//! link.
//!
//! * model → implementation: every committed trace under `traces/von`,
//!   and seeded random walks of the `paper`, `correct` and
//!   `no-repair-notify` models at small scopes;
//! * implementation → model: seeded random runs in the simulator with
//!   random delays, judged at quiescent points by the model's properties;
//! * mutations: deliberately broken nodes, each caught, and after how
//!   many events.

use overlay_conformance::von::runs::{random_runs, RunStats};
use overlay_conformance::von::walk::random_walks;
use overlay_conformance::{replay_against_impl, trace_files, traces_dir};
use overlay_impls::von::Mutation;
use overlay_models::trace;
use overlay_models::von::{Config, Variant, VonModel};

fn scope(
    v: Variant,
    nodes: usize,
    initial: usize,
    moves: u8,
    leaves: u8,
    failures: u8,
) -> VonModel {
    let mut c = Config::new(v);
    // Moves of one cell, and events while messages are in flight: the
    // interleavings a refinement check wants (not the models' defaults).
    c.step = 1;
    c.concurrent = true;
    c.nodes = nodes;
    c.initial = initial;
    c.moves = moves;
    c.leaves = leaves;
    c.failures = failures;
    VonModel::new(c).expect("valid scope")
}

/// The walks' scopes: the default (3 nodes, one joining, 2 moves); 4
/// nodes with a leave and a failure; 4 nodes, one joining, 3 moves of up
/// to 2 cells.
fn scopes(v: Variant) -> Vec<VonModel> {
    let mut long = scope(v, 4, 3, 3, 0, 0);
    long.cfg.step = 2;
    let long = VonModel::new(long.cfg.clone()).unwrap();
    vec![scope(v, 3, 2, 2, 0, 0), scope(v, 4, 3, 1, 1, 1), long]
}

#[test]
fn committed_von_traces_replay_event_by_event() {
    let mut n = 0;
    for f in trace_files(&traces_dir().join("von")) {
        let t = trace::read_file(&f).expect("committed traces read");
        assert_eq!(t.meta("model"), Some("von"));
        let events = replay_against_impl(&f).unwrap_or_else(|e| panic!("{}:\n{e}", f.display()));
        assert!(events > 0);
        n += 1;
    }
    eprintln!("{n} committed VON traces replayed");
}

/// Seeded random walks of the model, uniformly among its enabled events
/// (every walk runs until nothing is enabled: the budgets are spent and
/// the overlay quiescent), compared after every event.
#[test]
fn random_model_walks() {
    let mut all = Vec::new();
    for v in [Variant::Paper, Variant::Correct, Variant::NoRepairNotify] {
        for m in scopes(v) {
            let s = random_walks(&m, Mutation::None, 7, 1000, 60)
                .unwrap_or_else(|c| panic!("{v:?} walk {}: {}", c.walk, c.mismatch));
            all.push((s.walks, s.events, s.deliveries, s.quiescent_ends));
        }
    }
    // (walks, events, of which deliveries, walks ending quiescent), per
    // variant (paper, correct, no-repair-notify) and scope.
    assert_eq!(
        all,
        [
            (1000, 9445, 6445, 1000),
            (1000, 12_492, 5518, 1000),
            (1000, 16_356, 12_372, 1000),
            (1000, 9866, 6866, 1000),
            (1000, 12_117, 5424, 1000),
            (1000, 15_777, 11_795, 1000),
            (1000, 9866, 6866, 1000),
            (1000, 12_107, 5416, 1000),
            (1000, 15_777, 11_795, 1000),
        ]
    );
    let events: usize = all.iter().map(|x| x.1).sum();
    eprintln!("{events} events compared over 9000 walks");
}

/// Deliberately broken nodes against the `correct` model: the first
/// mismatch of the walks above, per scope — (walk, events into it), or
/// None where the scope never exposes the bug.
#[test]
fn mutations_are_caught() {
    let mut found = Vec::new();
    for mu in [
        Mutation::NoNotifyCheck,
        Mutation::NoTombstones,
        Mutation::NoRepairNotify,
    ] {
        let per: Vec<Option<(usize, usize)>> = scopes(Variant::Correct)
            .iter()
            .map(|m| {
                random_walks(m, mu, 7, 1000, 60)
                    .err()
                    .map(|c| (c.walk, c.mismatch.step))
            })
            .collect();
        found.push((mu, per));
    }
    assert_eq!(
        found,
        [
            (
                Mutation::NoNotifyCheck,
                vec![Some((2, 8)), Some((78, 4)), Some((5, 10))]
            ),
            (Mutation::NoTombstones, vec![None, Some((0, 5)), None]),
            (Mutation::NoRepairNotify, vec![None, Some((446, 10)), None]),
        ]
    );
}

/// Random runs of the implementation in the simulator (random delays),
/// operations chosen on its side, each one the model enables, judged at
/// every quiescent point by the model's table properties. `correct`
/// violates them only after a crash (the known break: the crashed node
/// was the only link); `paper` violates them without any crash.
#[test]
fn random_implementation_runs_against_the_model_properties() {
    let mut all: Vec<RunStats> = Vec::new();
    for v in [Variant::Paper, Variant::Correct] {
        for m in scopes(v) {
            all.push(random_runs(&m, Mutation::None, 7, 300, 8).unwrap_or_else(|e| panic!("{e}")));
        }
    }
    let pinned: Vec<_> = all
        .iter()
        .map(|s| {
            (
                [s.joins, s.moves, s.leaves, s.crashes],
                s.judged,
                s.violated_after_crash,
                s.violated_otherwise,
                s.joins_missed,
                s.delivered,
            )
        })
        .collect();
    // ([joins, moves, leaves, crashes], quiescent points judged,
    // violations after a crash, other violations, JOINs accepted by
    // another than the owner, datagrams delivered)
    assert_eq!(
        pinned,
        [
            ([300, 600, 0, 0], 900, 0, 0, 0, 2450),
            ([300, 300, 300, 300], 1200, 6, 0, 0, 2675),
            ([300, 900, 0, 0], 1200, 0, 137, 0, 4360),
            ([300, 600, 0, 0], 900, 0, 0, 0, 2239),
            ([300, 300, 300, 300], 1200, 4, 0, 0, 2566),
            ([300, 900, 0, 0], 1200, 0, 0, 0, 4048),
        ]
    );
}
