//! Checks of the CAN model: pinned state counts and shortest
//! counterexample lengths per variant, a negative control for every
//! property (a variant or a deliberate mutation under which it fails),
//! realities, probes under churn, and three dimensions.

use overlay_models::can::overlay::build;
use overlay_models::can::state::Outcome;
use overlay_models::can::{CanModel, Config, Mutation, Variant};
use overlay_models::check::run::{Strategy, Verdict};

mod common;
use common::{assert_as_expected, lengths, outcome_by as outcome, params, reachable, Verdicts};

fn model(variant: &str, ps: &[(&str, &str)]) -> CanModel {
    build(variant, &params(ps)).expect("valid parameters")
}

fn mutated(mutation: Mutation, params: &[(&str, &str)]) -> (usize, Verdicts) {
    let mut cfg = model("correct", params).cfg;
    cfg.mutation = mutation;
    outcome(&CanModel::new(cfg).unwrap(), Strategy::BfsCompact)
}

fn verdict(props: &Verdicts, name: &str) -> (Verdict, Option<usize>) {
    let p = props.iter().find(|p| p.0 == name).unwrap();
    (p.1, p.2)
}

const HOLDS: [Option<usize>; 6] = [None; 6];

/// Every variant's default scope (the broken ones), and the correct
/// protocol at its default scope without keys (the default itself,
/// 2,675,732 states, runs in `overlay check --all`): unique states, the
/// expected verdicts, and the shortest counterexample of each violation
/// (ZoneCoverage, ValidZones, NeighborSetsExact, GreedyRoutingDelivers,
/// NoKeyLost, Repairable).
#[test]
fn default_scopes_pinned() {
    // (variant, parameters, states, lengths, on both engines)
    type Case<'a> = (
        &'a str,
        &'a [(&'a str, &'a str)],
        usize,
        [Option<usize>; 6],
        bool,
    );
    let cases: [Case; 5] = [
        ("correct", &[("keys", "0")], 1_229_653, HOLDS, false),
        ("correct", &[("nodes", "3")], 6_790, HOLDS, true),
        (
            "takeover-race",
            &[],
            8_622,
            [Some(5), None, None, Some(8), Some(6), Some(5)],
            true,
        ),
        (
            "ragged-merge",
            &[],
            284_413,
            [None, Some(4), None, None, None, Some(4)],
            true,
        ),
        (
            "no-ring-search",
            &[],
            1_183_981,
            [None, None, Some(8), Some(8), None, Some(5)],
            false,
        ),
    ];
    for (variant, params, states, lens, both) in cases {
        let engines: &[Strategy] = if both {
            &[Strategy::Bfs, Strategy::BfsCompact]
        } else {
            &[Strategy::BfsCompact]
        };
        for &strategy in engines {
            let m = model(variant, params);
            let (unique, props) = outcome(&m, strategy);
            assert_eq!(unique, states, "{variant} {params:?} {strategy:?}");
            assert_as_expected(&m, &props);
            assert_eq!(lengths(&props), lens, "{variant} {params:?} {strategy:?}");
        }
    }
}

/// Negative controls for the properties the variants do not already
/// break (ZoneCoverage: takeover-race; ValidZones: ragged-merge;
/// NeighborSetsExact and GreedyRoutingDelivers: no-ring-search).
#[test]
fn negative_controls() {
    // A split that keeps every key at the old owner: the joiner owns k0's
    // cell without k0 (join, put).
    let (_, p) = mutated(
        Mutation::SplitKeepsKeys,
        &[("nodes", "3"), ("leaves", "0"), ("failures", "0")],
    );
    assert_eq!(verdict(&p, "NoKeyLost"), (Verdict::Violated, Some(2)));
    // Without background reassignment a hand-off leaves a node with two
    // zones for good (join, join, leave).
    let (_, p) = mutated(
        Mutation::NoReassign,
        &[("nodes", "3"), ("keys", "0"), ("failures", "0")],
    );
    assert_eq!(verdict(&p, "Repairable"), (Verdict::Violated, Some(3)));
    // A receiver that no longer abuts the sender and does not say so
    // leaves the sender with a stale entry no refresh removes.
    let (_, p) = mutated(Mutation::NoCorrection, &[("keys", "0")]);
    assert_eq!(
        verdict(&p, "NeighborSetsExact"),
        (Verdict::Violated, Some(13))
    );
    assert_eq!(verdict(&p, "Repairable"), (Verdict::Violated, Some(3)));
}

/// A finding, pinned: with the expanding-ring search, the neighbour lists
/// that updates carry are not what keeps the protocol correct at this
/// scope (every property holds without them); without the search, the
/// lists alone are not enough (`no-ring-search`).
#[test]
fn updates_need_no_lists_when_nodes_search() {
    let (unique, p) = mutated(Mutation::UpdateWithoutList, &[("keys", "0")]);
    assert_eq!(unique, 1_607_381);
    assert!(p.iter().all(|(_, v, _)| *v == Verdict::Holds), "{p:?}");
}

/// Two realities, two nodes: every property holds, and some run loses k0
/// in one reality (its holder there failed) while a get in the other
/// still finds it: the paper's availability argument for realities.
#[test]
fn a_second_reality_keeps_a_key_its_first_lost() {
    let m = model(
        "correct",
        &[
            ("nodes", "2"),
            ("realities", "2"),
            ("leaves", "0"),
            ("gets", "1"),
        ],
    );
    let (unique, props) = outcome(&m, Strategy::BfsCompact);
    assert_eq!(unique, 964);
    assert_as_expected(&m, &props);
    let rescued = reachable(&m)
        .into_iter()
        .filter(|s| {
            let lost_in = |r: usize| s.lost[r] & 1 != 0;
            matches!(s.outcome, Some(Outcome::Got { reality, found: true, .. })
                if lost_in(1 - reality as usize) && !lost_in(reality as usize))
        })
        .count();
    assert_eq!(rescued, 72);
}

/// One probe routed hop by hop, at three nodes: every property holds (a
/// probe that starts settled and sees no zone change is delivered). A
/// finding, pinned: churn while a probe is in flight can strand it (no
/// live neighbour nearer) and can even send it back to a node it has
/// visited, because zones change under it (a split, a takeover, a
/// hand-off): each hop is nearer at the moment it is taken, not for good. Counts are of distinct reachable
/// states right after a probe ended: delivered calm, delivered under
/// churn, stuck, looped.
#[test]
fn probes_under_churn() {
    let m = model("correct", &[("nodes", "3"), ("probes", "1"), ("keys", "0")]);
    let (unique, props) = outcome(&m, Strategy::BfsCompact);
    assert_eq!(unique, 270_462);
    assert_as_expected(&m, &props);
    let mut kinds = [0usize; 4];
    for s in reachable(&m) {
        match s.outcome {
            Some(Outcome::Delivered { calm: true, .. }) => kinds[0] += 1,
            Some(Outcome::Delivered { calm: false, .. }) => kinds[1] += 1,
            Some(Outcome::Stuck { calm, .. }) | Some(Outcome::Looped { calm }) => {
                assert!(!calm);
                kinds[2] += matches!(s.outcome, Some(Outcome::Stuck { .. })) as usize;
                kinds[3] += matches!(s.outcome, Some(Outcome::Looped { .. })) as usize;
            }
            _ => {}
        }
    }
    assert_eq!(kinds, [2_073, 8_368, 1_480, 544]);
}

/// Three dimensions (a 2x2x2 torus), two keys: every property holds.
#[test]
fn three_dimensions() {
    let m = model(
        "correct",
        &[("nodes", "3"), ("dims", "3"), ("bits", "1"), ("keys", "2")],
    );
    let (unique, props) = outcome(&m, Strategy::BfsCompact);
    assert_eq!(unique, 15_248);
    assert_as_expected(&m, &props);
}

#[test]
fn bad_parameters_name_themselves() {
    let err = |v: &str, k: &str, val: &str| {
        build(v, &vec![(k.to_string(), val.to_string())])
            .err()
            .unwrap()
    };
    assert!(err("correct", "bits", "4").contains("bits must be"));
    let big = vec![
        ("dims".to_string(), "3".into()),
        ("bits".to_string(), "3".into()),
    ];
    assert!(build("correct", &big)
        .err()
        .unwrap()
        .contains("2^(bits·dims)"));
    assert!(err("correct", "nodes", "7").contains("nodes must be"));
    assert!(err("correct", "realities", "3").contains("realities must be"));
    assert!(err("correct", "gets", "2").contains("0 or 1"));
    assert!(err("correct", "leaves", "x").contains("parameter leaves"));
    assert!(err("correct", "colour", "1").contains("no parameter `colour`"));
    assert!(build("chord", &vec![])
        .err()
        .unwrap()
        .contains("no variant"));
    let cfg = Config::new(Variant::Correct);
    assert_eq!(
        (cfg.dims, cfg.bits, cfg.nodes, cfg.failures, cfg.leaves),
        (2, 2, 4, 1, 1)
    );
}
