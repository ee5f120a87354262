//! Every property can fail. The seven claimed invariants, Zave's additions
//! and Repairable fail in the original protocol (see `chord.rs`); Invariant,
//! OrderedSuccessorLists, NoDuplicates and OneOrderedRing fail in the
//! negative controls of `correct`. This file covers the rest: the progress
//! theorems, which hold for the protocol as written, fail as soon as one
//! change predicate is mutated; PrincipalsAreRingMembers and the correct
//! variant's ConnectedAppendages fail on a hand-made broken network.

use std::collections::BTreeSet;

use overlay_models::chord::properties::{self as p, Mutation};
use overlay_models::chord::state::{NodeState, PerNode, State};
use overlay_models::chord::ChordModel;

mod common;
use common::model;
use stateright::Model;

/// Every reachable state, unreduced.
fn reachable(m: &ChordModel) -> BTreeSet<State> {
    let mut seen = BTreeSet::new();
    let mut todo = m.init_states();
    let mut acts = Vec::new();
    while let Some(s) = todo.pop() {
        if seen.contains(&s) {
            continue;
        }
        acts.clear();
        m.actions(&s, &mut acts);
        todo.extend(acts.iter().map(|&a| m.apply(&s, a)));
        seen.insert(s);
    }
    seen
}

/// Unmutated, neither progress property fails on any reachable state;
/// forgetting a change predicate breaks the "improvable" one, claiming a
/// change always breaks the "ideal cannot improve" one.
fn assert_each_mutation_breaks_one(
    improvable_fails: impl Fn(Mutation) -> bool,
    ideal_fails: impl Fn(Mutation) -> bool,
) {
    for (mu, want) in [
        (Mutation::None, (false, false)),
        (Mutation::ForgetOne, (true, false)),
        (Mutation::AlwaysChange, (false, true)),
    ] {
        assert_eq!((improvable_fails(mu), ideal_fails(mu)), want, "{mu:?}");
    }
}

#[test]
fn original_progress_theorems_fail_under_mutation() {
    let m = model("original", &[("nodes", "3")]);
    let all = reachable(&m);
    assert_eq!(all.len(), 255_506);
    assert_each_mutation_breaks_one(
        |mu| {
            all.iter()
                .any(|s| !p::valid_ring_is_improvable(s, false, mu))
        },
        |mu| {
            all.iter()
                .any(|s| !p::ideal_ring_cannot_improve(s, false, mu))
        },
    );
}

#[test]
fn correct_progress_theorems_fail_under_mutation() {
    let m = model("correct", &[("nodes", "4"), ("succ-list", "2")]);
    let all = reachable(&m);
    assert_eq!(all.len(), 2_577);
    assert_each_mutation_breaks_one(
        |mu| {
            all.iter()
                .any(|s| !p::non_ideal_implies_change_enabled(s, 2, mu))
        },
        |mu| {
            all.iter()
                .any(|s| !p::ideal_implies_no_change_enabled(s, 2, mu))
        },
    );
}

/// n0 → n1 → (dead n2), r = 1: no ring at all, yet n0 and n1 are skipped
/// by nobody, so they are principals off any ring, and the appendages
/// reach no ring member.
#[test]
fn a_network_without_a_ring_breaks_principals_and_appendages() {
    let node = |succ: &[u8], prdc| NodeState {
        succ: succ.iter().copied().collect(),
        prdc,
        status: None,
    };
    let s = State {
        nodes: PerNode::from_iter([
            node(&[1], Some(1)),
            node(&[2], Some(0)),
            NodeState::default(),
        ]),
        notify: PerNode::new(),
    };
    assert_eq!(p::principals(&s), vec![0, 1]);
    assert!(!p::principals_are_ring_members(&s));
    assert!(!p::connected_appendages(&s));
    assert!(!p::at_least_one_ring(&s));
}
