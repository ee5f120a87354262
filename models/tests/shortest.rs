//! Stateright 0.31's BFS overwrites a property's discovery with every later
//! violation it meets, so with the checker run to completion the path it
//! returns is not the shortest. This toy model has a known shortest
//! counterexample (one step); the test shows the pitfall and that our
//! checker works around it.

use std::collections::BTreeSet;

use overlay_models::check::run::{check, CheckOptions, Verdict};
use stateright::{Checker, HasDiscoveries, Model};

#[path = "common/counter.rs"]
mod counter;
use counter::Counter;

#[test]
fn stateright_bfs_replaces_the_first_discovery_and_we_do_not() {
    let raw = Counter::default()
        .checker()
        .finish_when(HasDiscoveries::AnyOf(BTreeSet::new()))
        .spawn_bfs()
        .join();
    let theirs = raw.discovery("Small").expect("Small fails").into_actions();
    assert!(
        theirs.len() > 1,
        "the pitfall is gone? Stateright returned {theirs:?}"
    );

    let ours = check(&Counter::default(), &CheckOptions::default(), &mut |_| {});
    let small = &ours.properties[0];
    assert_eq!(small.verdict, Verdict::Violated);
    let (init, steps) = small.path.as_ref().expect("a counterexample");
    assert_eq!((*init, steps.clone()), (0, vec![(3, 3)]));
    let twelve = ours.properties[1].path.as_ref().expect("a counterexample");
    assert_eq!(twelve.1.len(), 4, "0 +3 +3 +3 +3 is shortest");
}
