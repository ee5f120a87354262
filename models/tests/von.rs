//! Checks of the VON model: pinned state counts and shortest
//! counterexample lengths per variant and per breaking condition, a
//! negative control for every property, the message buffer never binding
//! at the pinned scopes, and scenario-level facts (a settled start, the
//! paper's lost enclosing pair, the hardened protocol's repair of it).

use overlay_models::check::run::{Strategy, Verdict};
use overlay_models::von::overlay::build;
use overlay_models::von::state::{State, MAX_MSGS};
use overlay_models::von::{properties, Action, Mutation, VonModel};
use stateright::Model;

mod common;
use common::{assert_as_expected, lengths, outcome_by as outcome, params, reachable};

fn model(variant: &str, ps: &[(&str, &str)]) -> VonModel {
    build(variant, &params(ps)).expect("valid parameters")
}

// Lengths in the order NeighborCompleteness, EnclosingNeighborsKnown,
// OverlayConnected, JoinReachesAcceptor, Repairable.
const HOLDS: [Option<usize>; 5] = [None; 5];

/// The default scopes and every breaking condition the CI profiles check:
/// unique states and shortest counterexamples, on the compact engine and
/// on Stateright's BFS.
#[test]
fn scopes_pinned() {
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], usize, [Option<usize>; 5]);
    let cases: [Case; 8] = [
        ("correct", &[], 324_072, HOLDS),
        ("paper", &[], 3_494, [None, Some(13), None, None, Some(9)]),
        (
            "no-repair-notify",
            &[],
            629,
            [None, Some(4), None, None, Some(1)],
        ),
        // A move longer than the AOI radius.
        (
            "paper",
            &[
                ("nodes", "3"),
                ("initial", "3"),
                ("aoi", "1"),
                ("step", "2"),
                ("moves", "3"),
            ],
            35_202,
            [Some(10), Some(8), None, None, Some(6)],
        ),
        // Two nodes moving at once.
        (
            "correct",
            &[("initial", "4"), ("concurrent", "1"), ("leaves", "0")],
            140_760,
            [None, Some(8), None, None, Some(2)],
        ),
        // A join while a node moves.
        (
            "correct",
            &[
                ("nodes", "3"),
                ("initial", "2"),
                ("concurrent", "1"),
                ("moves", "1"),
                ("leaves", "0"),
            ],
            1_308,
            [None, None, None, Some(3), None],
        ),
        // The failure of the only link.
        (
            "correct",
            &[
                ("nodes", "3"),
                ("initial", "3"),
                ("aoi", "1"),
                ("homes", "0.0-2.0-4.0"),
                ("failures", "1"),
                ("moves", "0"),
                ("leaves", "0"),
            ],
            9,
            [None, Some(3), Some(3), None, Some(1)],
        ),
        // A failure after a move: the pair the failed node separated.
        (
            "correct",
            &[
                ("initial", "4"),
                ("moves", "1"),
                ("failures", "1"),
                ("leaves", "0"),
            ],
            2_633,
            [None, Some(6), None, None, Some(4)],
        ),
    ];
    for (variant, params, states, want) in cases {
        let m = model(variant, params);
        for strategy in [Strategy::BfsCompact, Strategy::Bfs] {
            if strategy == Strategy::Bfs && states > 100_000 {
                continue;
            }
            let (n, props) = outcome(&m, strategy);
            assert_eq!(n, states, "{variant} {params:?} {strategy:?}");
            assert_eq!(lengths(&props), want, "{variant} {params:?} {strategy:?}");
            if params.is_empty() {
                assert_as_expected(&m, &props);
            }
        }
    }
}

/// The negative control no variant gives: without the MOVE receivers'
/// check, the hardened protocol misses a node entering an AOI.
#[test]
fn without_the_boundary_check_a_neighbour_is_missed() {
    let mut cfg = model("correct", &[("leaves", "0")]).cfg;
    cfg.mutation = Mutation::NoBoundaryCheck;
    let (_, props) = outcome(&VonModel::new(cfg).unwrap(), Strategy::BfsCompact);
    let nc = props
        .iter()
        .find(|p| p.0 == "NeighborCompleteness")
        .unwrap();
    assert_eq!(nc.1, Verdict::Violated);
    assert!(nc.2.is_some());
}

/// The message buffer's guard never disables an event at the pinned
/// scopes, so no behaviour is cut off there.
#[test]
fn the_message_buffer_never_binds() {
    for (variant, params) in [
        ("correct", &[][..]),
        (
            "correct",
            &[("initial", "4"), ("concurrent", "1"), ("leaves", "0")][..],
        ),
        ("paper", &[][..]),
    ] {
        let m = model(variant, params);
        let most = reachable(&m).iter().map(|s| s.msgs.len()).max().unwrap();
        assert!(
            most + m.cfg.nodes <= MAX_MSGS,
            "{variant}: {most} in flight"
        );
    }
}

/// The start is settled: quiescent, every property holds, every table
/// exact.
#[test]
fn the_initial_overlay_is_settled() {
    for v in ["paper", "correct", "no-repair-notify"] {
        let m = model(v, &[]);
        let s = m.init_states()[0];
        assert!(s.quiescent());
        assert!(properties::repaired(&s, m.rules()));
        for n in 0..m.cfg.initial as u8 {
            assert!(properties::table_exact(&s, m.rules(), n), "{v} n{n}");
        }
    }
}

fn run(m: &VonModel, events: &[&str]) -> State {
    use overlay_models::check::OverlayModel;
    let mut s = m.init_states()[0];
    for e in events {
        let p = m.parse_pattern(e).unwrap();
        let a: Action = p.exact().expect("exact event");
        m.check_action(&s, a).unwrap_or_else(|w| panic!("{e}: {w}"));
        s = m.apply(&s, a);
    }
    s
}

/// Delivers the oldest deliverable message until none is in flight.
fn settle(m: &VonModel, mut s: State) -> State {
    let mut acts = Vec::new();
    while !s.msgs.is_empty() {
        acts.clear();
        m.actions(&s, &mut acts);
        let a = *acts
            .iter()
            .find(|a| matches!(a, Action::Deliver { .. }))
            .expect("a message is deliverable");
        s = m.apply(&s, a);
    }
    s
}

/// The paper's stationary-pair gap, event by event (README): n2 steps off
/// the line between n0 and n3, which now enclose each other; in `paper`
/// nobody tells them, in `correct` the MOVE's hints do.
#[test]
fn a_move_brings_two_stationary_nodes_together() {
    let events = [
        "move n0 to (0,1)",
        "deliver move n0 to n1",
        "deliver move n0 to n2",
        "join n3 via n2",
        "deliver join n3 to n2",
        "deliver join-reply n2 to n3",
        "deliver hello n3 to n1",
        "deliver hello n3 to n2",
        "move n2 to (2,2)",
        "deliver move n2 to n0",
        "deliver move n2 to n1",
        "deliver move n2 to n3",
    ];
    let paper = model("paper", &[]);
    let s = settle(&paper, run(&paper, &events));
    assert!(s.quiescent());
    assert!(!s.node(0).knows(3) && !s.node(3).knows(0));
    assert!(!properties::enclosing_neighbors_known(&s));
    // The hardened protocol: same events, then its extra messages settle.
    let correct = model("correct", &[]);
    let s = settle(&correct, run(&correct, &events));
    assert!(s.node(0).knows(3) && s.node(3).knows(0));
    assert!(properties::repaired(&s, correct.rules()));
}

#[test]
fn bad_parameters_are_named() {
    let bad = |p: &[(&str, &str)]| build("correct", &params(p)).err().unwrap();
    assert!(bad(&[("nodes", "6")]).contains("nodes"));
    assert!(bad(&[("homes", "1.1-1.1-2.2-3.3")]).contains("two nodes"));
    assert!(bad(&[("homes", "1.1-9.9")]).contains("not a cell"));
    assert!(bad(&[("concurrent", "2")]).contains("0 or 1"));
    assert!(bad(&[("speed", "2")]).contains("speed"));
    assert!(build("fast", &vec![]).err().unwrap().contains("fast"));
}
