//! Checks of the Kademlia model: pinned state counts per variant (with and
//! without the XOR-translation symmetry), exact shortest counterexample
//! lengths (BFS), and a negative control for every property that no
//! variant breaks (a deliberate mutation under which it fails).

use overlay_models::check::run::{CheckOptions, Strategy, Verdict};
use overlay_models::kademlia::overlay::build;
use overlay_models::kademlia::{Config, KademliaModel, Mutation, Variant};

mod common;
use common::{assert_as_expected, outcome, params, Verdicts};

fn model(variant: &str, ps: &[(&str, &str)]) -> KademliaModel {
    build(variant, &params(ps)).expect("valid parameters")
}

fn lengths(props: &Verdicts) -> Vec<(&'static str, Option<usize>)> {
    props.iter().map(|(n, _, l)| (*n, *l)).collect()
}

const PROPS: [&str; 6] = [
    "BucketsWellFormed",
    "LiveNodesNeverEvicted",
    "LookupTerminates",
    "LookupFindsClosest",
    "StoredValueFound",
    "Repairable",
];

fn with(lens: [Option<usize>; 6]) -> Vec<(&'static str, Option<usize>)> {
    PROPS.into_iter().zip(lens).collect()
}

/// The default scope of every variant: unique states and the shortest
/// counterexample of each violated property, on both engines.
#[test]
fn default_scopes_pinned() {
    let cases = [
        ("correct", 459_561, [None; 6]),
        (
            "evict-without-ping",
            614_940,
            [None, Some(4), None, Some(6), Some(7), Some(3)],
        ),
        (
            "alpha-termination",
            16_823,
            [None, None, None, Some(5), Some(9), None],
        ),
        (
            "k1-failures",
            22_317,
            [None, None, None, Some(8), Some(8), None],
        ),
    ];
    for (variant, states, lens) in cases {
        for strategy in [Strategy::Bfs, Strategy::BfsCompact] {
            let m = model(variant, &[]);
            let opts = CheckOptions {
                strategy,
                ..CheckOptions::default()
            };
            let (unique, props) = outcome(&m, &opts);
            assert_eq!(unique, states, "{variant} {strategy:?}");
            assert_as_expected(&m, &props);
            assert_eq!(lengths(&props), with(lens), "{variant} {strategy:?}");
        }
    }
}

/// XOR translations by c < 4 (N = 4 fills the 2-bit space): fewer states,
/// the same verdicts and counterexample lengths. At N = 3 only the
/// identity keeps the nodes, so nothing is reduced.
#[test]
fn xor_symmetry_reduces_states_and_keeps_verdicts() {
    for (variant, unreduced, reduced) in [
        ("correct", 459_561, 221_066),
        ("evict-without-ping", 614_940, 280_672),
        ("alpha-termination", 16_823, 16_823),
    ] {
        let m = model(variant, &[]);
        let (n1, p1) = outcome(&m, &CheckOptions::default());
        let opts = CheckOptions {
            symmetry: true,
            strategy: Strategy::BfsCompact,
            ..CheckOptions::default()
        };
        let (n2, p2) = outcome(&model(variant, &[]), &opts);
        assert_eq!((n1, n2), (unreduced, reduced), "{variant}");
        assert_eq!(p1, p2, "{variant}");
    }
}

/// The correct protocol with buckets of one and no failure at all still
/// misses reachable nodes: k1-failures fails by k=1, not by the failure.
#[test]
fn k1_without_failures_already_loses_closest_nodes() {
    let m = model("correct", &[("k", "1"), ("failures", "0")]);
    let (unique, props) = outcome(&m, &CheckOptions::default());
    assert_eq!(unique, 512_166);
    assert_eq!(
        lengths(&props),
        with([None, None, None, Some(6), Some(7), None])
    );
}

fn mutated(mutation: Mutation, params: &[(&str, &str)]) -> Verdicts {
    let mut cfg = model("correct", params).cfg;
    cfg.mutation = mutation;
    let m = KademliaModel::new(cfg).unwrap();
    let opts = CheckOptions {
        strategy: Strategy::BfsCompact,
        ..CheckOptions::default()
    };
    outcome(&m, &opts).1
}

fn verdict(props: &Verdicts, name: &str) -> (Verdict, Option<usize>) {
    let p = props.iter().find(|p| p.0 == name).unwrap();
    (p.1, p.2)
}

/// Negative controls: each property that every variant keeps fails under
/// a deliberate bug, so none of them holds vacuously.
#[test]
fn negative_controls() {
    // A newcomer put at the head of its bucket is not the most recently
    // seen entry's place.
    let p = mutated(Mutation::NewcomerAtHead, &[("nodes", "3")]);
    assert_eq!(
        verdict(&p, "BucketsWellFormed"),
        (Verdict::Violated, Some(4))
    );
    // Asking the same nodes again, round after round, exceeds N−1 rounds.
    let p = mutated(Mutation::ReQuery, &[("nodes", "3")]);
    assert_eq!(
        verdict(&p, "LookupTerminates"),
        (Verdict::Violated, Some(3))
    );
    // The other four fail in the broken variants (`default_scopes_pinned`).
}

#[test]
fn bad_parameters_name_themselves() {
    let err = |v: &str, k: &str, val: &str| {
        build(v, &vec![(k.to_string(), val.to_string())])
            .err()
            .unwrap()
    };
    assert!(err("correct", "bits", "4").contains("bits must be"));
    assert!(err("correct", "nodes", "5").contains("nodes must be"));
    assert!(err("correct", "k", "0").contains("k must be"));
    assert!(err("k1-failures", "k", "2").contains("k is 1"));
    assert!(err("correct", "alpha", "x").contains("parameter alpha"));
    assert!(err("correct", "colour", "1").contains("no parameter `colour`"));
    assert!(build("chord", &vec![])
        .err()
        .unwrap()
        .contains("no variant"));
    let cfg = Config::new(Variant::Correct);
    assert_eq!((cfg.bits, cfg.nodes, cfg.k, cfg.alpha), (2, 4, 2, 1));
}
