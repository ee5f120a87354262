//! The compact engine (`Strategy::BfsCompact`) against the pinned
//! results of Stateright's BFS plus the exact shortest search: the same
//! unique states, transitions, depths, verdicts and counterexamples, event
//! for event (the committed traces under `traces/chord` were written by
//! `--strategy bfs`, so they are compared byte for byte); one thread and
//! two give identical outcomes; budgets leave a check incomplete with what
//! was found; and on toy models whose shortest counterexamples are known
//! (one where Stateright's BFS returns a longer path), the engine's are
//! shortest.

use std::collections::{HashMap, VecDeque};
use std::fmt::Debug;
use std::path::Path;

use overlay_models::check::engine::{search, Limits, Stop};
use overlay_models::check::run::{check, CheckOptions, CheckOutcome, Strategy, Verdict};
use overlay_models::check::{Expect, OverlayModel, PropertyInfo, Runner, Switch};
use overlay_models::chord::ChordModel;
use serde_json::{json, Map, Value};
use stateright::{Model, Property};

mod common;
use common::model;

fn compact(threads: usize) -> CheckOptions {
    CheckOptions {
        strategy: Strategy::BfsCompact,
        threads,
        ..Default::default()
    }
}

/// Everything of an outcome but its wall time.
fn assert_same<P: PartialEq + Debug>(a: &CheckOutcome<P>, b: &CheckOutcome<P>, what: &str) {
    assert_eq!(
        (a.unique_states, a.states, a.max_depth, a.complete),
        (b.unique_states, b.states, b.max_depth, b.complete),
        "{what}: counts"
    );
    assert_eq!(a.properties.len(), b.properties.len());
    for (p, q) in a.properties.iter().zip(&b.properties) {
        assert_eq!(p.info.name, q.info.name);
        assert_eq!(p.verdict, q.verdict, "{what}: {}", p.info.name);
        assert_eq!(p.path, q.path, "{what}: path of {}", p.info.name);
    }
}

/// The counterexample lengths, in property order.
fn lengths<S, A>(out: &CheckOutcome<(S, Vec<(A, S)>)>) -> Vec<Option<usize>> {
    out.properties
        .iter()
        .map(|p| p.path.as_ref().map(|(_, steps)| steps.len()))
        .collect()
}

/// Every counterexample equals, byte for byte, the committed trace that
/// `overlay check` (strategy bfs) wrote for it.
fn assert_traces_committed(m: &ChordModel, opts: &CheckOptions) -> usize {
    let out = Runner::check(m, opts, &mut |_| {});
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces/chord");
    let params: Vec<String> = OverlayModel::params(m)
        .iter()
        .map(|(k, v)| format!("{k}{v}"))
        .collect();
    let mut compared = 0;
    for p in &out.properties {
        let Some(trace) = &p.path else { continue };
        let file = dir.join(format!(
            "{}_{}_{}.itf.json",
            OverlayModel::variant_name(m),
            params.join("_"),
            p.info.name
        ));
        let committed =
            std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_eq!(trace.to_string_pretty(), committed, "{}", file.display());
        compared += 1;
    }
    compared
}

/// Original N=3 (Zave's claimed invariants all fall): pinned count and
/// lengths, Stateright's transitions and depth, the committed traces, and
/// the same outcome with two threads.
#[test]
fn original_n3_matches_bfs_and_two_threads_match_one() {
    let m = model("original", &[("nodes", "3")]);
    let one = check(&m, &compact(1), &mut |_| {});
    assert!(one.complete && one.shortest);
    assert_eq!(one.unique_states, 255_506);
    // As `overlay check chord --variant original --format json` reports
    // with the default bfs.
    assert_eq!((one.states, one.max_depth), (1_535_227, 50));
    assert_eq!(
        lengths(&one),
        [5, 14, 15, 5, 10, 5, 10, 8, 6, 6, 10, 0, 0, 5]
            .map(|l| (l > 0).then_some(l))
            .to_vec()
    );
    let two = check(&m, &compact(2), &mut |_| {});
    assert_same(&one, &two, "two threads");
    assert_eq!(assert_traces_committed(&m, &compact(2)), 12);
}

#[test]
fn original_fixed_n3_matches_bfs() {
    let m = model("original-fixed", &[("nodes", "3")]);
    let out = check(&m, &compact(1), &mut |_| {});
    assert!(out.complete);
    assert_eq!(out.unique_states, 239_563);
    let len = |name: &str| {
        let p = out.properties.iter().find(|p| p.info.name == name);
        p.and_then(|p| p.path.as_ref()).map(|(_, s)| s.len())
    };
    assert_eq!(len("AtLeastOneRing"), Some(11));
    assert_eq!(len("ConnectedAppendages"), Some(9));
    assert_eq!(len("AtMostOneRing"), Some(14));
    assert_eq!(assert_traces_committed(&m, &compact(1)), 12);
}

/// With symmetry the reduced search gives the counts (85,180) and the
/// unreduced second search the same concrete traces as without.
#[test]
fn original_n3_with_symmetry_keeps_the_concrete_traces() {
    let m = model("original", &[("nodes", "3")]);
    let sym = CheckOptions {
        symmetry: true,
        ..compact(2)
    };
    let out = check(&m, &sym, &mut |_| {});
    assert!(out.complete);
    assert_eq!(out.unique_states, 85_180);
    assert_eq!(assert_traces_committed(&m, &sym), 12);
}

/// The corrected protocol, with and without symmetry: the outcome of the
/// default bfs, one thread and two.
#[test]
fn correct_matches_bfs_with_and_without_symmetry() {
    for (params, symmetry, unique) in [
        (&[("nodes", "4"), ("succ-list", "2")][..], false, 2_577),
        (&[("nodes", "5"), ("succ-list", "3")][..], false, 17_851),
        (&[("nodes", "5"), ("succ-list", "3")][..], true, 3_571),
    ] {
        let m = model("correct", params);
        let opts = |strategy, threads| CheckOptions {
            strategy,
            threads,
            symmetry,
            ..Default::default()
        };
        let bfs = check(&m, &opts(Strategy::Bfs, 1), &mut |_| {});
        let one = check(&m, &opts(Strategy::BfsCompact, 1), &mut |_| {});
        let two = check(&m, &opts(Strategy::BfsCompact, 2), &mut |_| {});
        let what = format!("{params:?} symmetry {symmetry}");
        assert!(one.complete, "{what}");
        assert_eq!(one.unique_states, unique, "{what}");
        assert!(one.properties.iter().all(|p| p.verdict == Verdict::Holds));
        assert_same(&bfs, &one, &what);
        assert_same(&one, &two, &what);
    }
}

/// The negative controls: violations at depth 0 (ring=2, complete) and
/// within a depth bound (guard=off), traces as committed.
#[test]
fn negative_controls_match_bfs() {
    let m = model(
        "correct",
        &[("nodes", "4"), ("succ-list", "2"), ("ring", "2")],
    );
    let bfs = check(&m, &CheckOptions::default(), &mut |_| {});
    let out = check(&m, &compact(2), &mut |_| {});
    assert_eq!(out.unique_states, 26_435);
    assert_same(&bfs, &out, "ring=2");
    assert_eq!(assert_traces_committed(&m, &compact(1)), 3);

    let m = model(
        "correct",
        &[("nodes", "4"), ("succ-list", "2"), ("guard", "off")],
    );
    let bounded = |strategy| CheckOptions {
        strategy,
        max_depth: Some(4),
        ..Default::default()
    };
    let bfs = check(&m, &bounded(Strategy::Bfs), &mut |_| {});
    let out = check(&m, &bounded(Strategy::BfsCompact), &mut |_| {});
    assert!(!out.complete);
    assert_same(&bfs, &out, "guard=off, depth 4");
    assert_eq!(
        assert_traces_committed(&m, &bounded(Strategy::BfsCompact)),
        5
    );
}

/// Budgets: the check is incomplete (exit code 3 on the command line),
/// what was found keeps its shortest counterexample, and what was not is
/// unknown rather than holding.
#[test]
fn budgets_leave_the_check_incomplete_with_what_was_found() {
    let m = model("original", &[("nodes", "3")]);
    let full = check(&m, &compact(1), &mut |_| {});
    for budget in [
        CheckOptions {
            max_states: Some(20_000),
            ..compact(2)
        },
        CheckOptions {
            max_depth: Some(9),
            ..compact(1)
        },
    ] {
        let out = check(&m, &budget, &mut |_| {});
        assert!(!out.complete, "{budget:?}");
        assert!(out.unique_states < full.unique_states);
        let mut found = 0;
        for (p, q) in out.properties.iter().zip(&full.properties) {
            match p.verdict {
                Verdict::Violated => {
                    assert_eq!(p.path, q.path, "{}: still the shortest", p.info.name);
                    found += 1;
                }
                Verdict::Unknown => assert!(p.path.is_none()),
                Verdict::Holds => panic!("{} cannot hold in an incomplete check", p.info.name),
            }
        }
        assert!(found >= 5, "{budget:?}: the five-event violations");
        assert!(out.properties.iter().any(|p| p.verdict == Verdict::Unknown));
    }
    // States at depth ≤ 9 are checked, those at 10 only counted: the same
    // counts as Stateright's bounded BFS.
    let bounded = |strategy| CheckOptions {
        strategy,
        max_depth: Some(9),
        ..Default::default()
    };
    let a = check(&m, &bounded(Strategy::Bfs), &mut |_| {});
    let b = check(&m, &bounded(Strategy::BfsCompact), &mut |_| {});
    assert_eq!(
        (a.unique_states, a.states, a.max_depth, a.complete),
        (b.unique_states, b.states, b.max_depth, b.complete)
    );

    // A memory budget already exceeded stops at once.
    let starved = search(
        &m,
        &[0],
        &Limits {
            max_memory: Some(1),
            ..Limits::default()
        },
        1,
        false,
        std::time::Instant::now(),
        &mut |_| {},
    );
    assert_eq!(starved.stop, Some(Stop::Memory));
    let timed = check(
        &m,
        &CheckOptions {
            timeout: Some(std::time::Duration::from_millis(1)),
            ..compact(1)
        },
        &mut |_| {},
    );
    assert!(!timed.complete);
}

/// Bytes per visited state of the engine's own tables (fingerprints and
/// parent links), the figure the issue targets (≤ 20).
#[test]
fn about_nineteen_bytes_per_state() {
    let m = model("original", &[("nodes", "3")]);
    let mut samples = Vec::new();
    let out = search(
        &m,
        &(0..14).collect::<Vec<_>>(),
        &Limits::default(),
        1,
        false,
        std::time::Instant::now(),
        &mut |p| samples.push(*p),
    );
    assert_eq!((out.unique, out.stop), (255_506, None));
    let per = out.stats.bytes_per_state(out.unique);
    // 256 shards of at least 16 slots and 64 Ki-state link blocks round
    // small spaces up; from about 10^5 states on it is 17-22 bytes.
    assert!((14.0..=22.0).contains(&per), "{per} bytes per state");
    let last = samples.last().expect("a final progress sample");
    assert_eq!(last.unique_states, out.unique);
    assert_eq!(
        last.table_bytes,
        out.stats.table_bytes + out.stats.link_bytes
    );
}

// ------------------------------------------------------------ toy models

/// The toy models implement only what a check needs.
macro_rules! toy_overlay {
    ($t:ty, $name:literal, $props:expr) => {
        impl OverlayModel for $t {
            type Pattern = ();
            fn halt(&self) -> &Switch {
                &self.0
            }
            fn model_name(&self) -> &'static str {
                $name
            }
            fn variant_name(&self) -> &'static str {
                "plain"
            }
            fn params(&self) -> Vec<(&'static str, String)> {
                Vec::new()
            }
            fn expectations(&self) -> Vec<PropertyInfo> {
                $props
                    .map(|name| PropertyInfo {
                        name,
                        expect: Expect::Violated,
                        about: "",
                    })
                    .to_vec()
            }
            fn itf_vars(&self) -> Vec<&'static str> {
                vec!["x"]
            }
            fn itf_encode(&self, s: &Self::State) -> Map<String, Value> {
                let mut m = Map::new();
                m.insert("x".into(), json!(format!("{s:?}")));
                m
            }
            fn picks(&self, _: &Self::Action) -> Map<String, Value> {
                Map::new()
            }
            fn parse_pattern(&self, _: &str) -> Result<(), String> {
                Err("no scenarios".into())
            }
            fn pattern_matches(&self, _: &(), _: &Self::Action) -> bool {
                false
            }
            fn pattern_exact(&self, _: &()) -> Option<Self::Action> {
                None
            }
            fn why_disabled(&self, _: &Self::State, _: &Self::Action) -> Option<String> {
                None
            }
            fn candidates(&self, _: &Self::State) -> Vec<Self::Action> {
                Vec::new()
            }
            fn participants(&self) -> Vec<String> {
                vec!["x".into()]
            }
            fn arrow(&self, _: &Self::Action) -> (String, Option<String>) {
                ("x".into(), None)
            }
        }
    };
}

/// `models/tests/shortest.rs`'s counter: 0 to 12 by +1 or +3. Small
/// (x < 3) first fails after one `+3`, where Stateright's BFS returns a
/// longer path; NotTwelve after four `+3`.
#[path = "common/counter.rs"]
mod counter;
use counter::Counter;

#[test]
fn shortest_on_the_counter_where_stateright_is_not() {
    for threads in [1, 2] {
        let out = check(&Counter::default(), &compact(threads), &mut |_| {});
        assert!(out.complete);
        assert_eq!(out.unique_states, 13);
        assert_eq!(out.properties[0].path, Some((0, vec![(3, 3)])));
        let twelve = out.properties[1].path.as_ref().expect("violated");
        assert_eq!(twelve.1.iter().map(|s| s.0).collect::<Vec<_>>(), [3; 4]);
    }
}

/// A grid walk, wide enough for levels to be split across threads, with
/// no compact encoding (the engine keeps its frontier as states): from
/// (0,0), a moves by +1 or +3 and b by +1 or +2, each up to 60.
#[derive(Clone, Default)]
struct Grid(Switch);

const SIDE: u16 = 60;

impl Model for Grid {
    type State = (u16, u16);
    type Action = u8;
    fn init_states(&self) -> Vec<(u16, u16)> {
        vec![(0, 0)]
    }
    fn actions(&self, &(a, b): &(u16, u16), out: &mut Vec<u8>) {
        let steps = [(0u8, a + 1), (1, a + 3), (2, b + 1), (3, b + 2)];
        out.extend(steps.into_iter().filter(|s| s.1 <= SIDE).map(|s| s.0));
    }
    fn next_state(&self, &(a, b): &(u16, u16), act: u8) -> Option<(u16, u16)> {
        Some(match act {
            0 => (a + 1, b),
            1 => (a + 3, b),
            2 => (a, b + 1),
            _ => (a, b + 2),
        })
    }
    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always("SumBelow50", |_, s: &(u16, u16)| s.0 + s.1 < 50),
            Property::always("NotCorner", |_, s: &(u16, u16)| *s != (SIDE, SIDE)),
            Property::always("BNotOdd", |_, s: &(u16, u16)| {
                s.1.is_multiple_of(2) || s.0 < 40
            }),
        ]
    }
}

toy_overlay!(Grid, "grid", ["SumBelow50", "NotCorner", "BNotOdd"]);

/// Distance from (0,0) to the nearest state violating property `p`, by a
/// plain breadth-first search over whole states.
fn oracle(m: &Grid, p: usize) -> usize {
    let props = m.properties();
    let mut dist = HashMap::from([((0u16, 0u16), 0usize)]);
    let mut queue = VecDeque::from([(0u16, 0u16)]);
    let mut acts = Vec::new();
    while let Some(s) = queue.pop_front() {
        if !(props[p].condition)(m, &s) {
            return dist[&s];
        }
        acts.clear();
        m.actions(&s, &mut acts);
        for &a in &acts {
            let t = m.next_state(&s, a).unwrap();
            if !dist.contains_key(&t) {
                dist.insert(t, dist[&s] + 1);
                queue.push_back(t);
            }
        }
    }
    unreachable!("every grid property fails somewhere")
}

#[test]
fn shortest_on_a_grid_with_known_distances_and_two_threads() {
    let m = Grid::default();
    let one = check(&m, &compact(1), &mut |_| {});
    let two = check(&m, &compact(2), &mut |_| {});
    assert_same(&one, &two, "grid");
    assert!(one.complete);
    assert_eq!(one.unique_states, 61 * 61);
    for (i, p) in one.properties.iter().enumerate() {
        let (init, steps) = p.path.as_ref().expect("violated");
        assert_eq!(steps.len(), oracle(&m, i), "{}", p.info.name);
        // A real run that ends in a violation.
        let mut s = *init;
        for (a, t) in steps {
            s = m.next_state(&s, *a).unwrap();
            assert_eq!(s, *t);
        }
        assert!(!(m.properties()[i].condition)(&m, &s));
    }
    // Known by hand: 17 steps to a sum of 50 (+3 sixteen times, then +2),
    // 20 + 30 to the corner.
    assert_eq!(lengths(&one), [Some(17), Some(50), Some(15)]);
}
