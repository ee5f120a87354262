//! Swarm workers (`check::swarm`) on the toy counter, whose shortest
//! counterexamples are known: depth-first search meets the long ones
//! first (twelve `+1` steps to 12), and the depth table must bring every
//! seed down to the shortest (one `+3` for Small, four for NotTwelve).

use overlay_models::check::swarm::{search, SwarmOptions, SwarmStop};

mod common;
#[path = "common/counter.rs"]
mod counter;
use counter::Counter;

#[test]
fn every_seed_finds_the_shortest_counterexamples_of_the_counter() {
    let m = Counter::default();
    let mut revisits = 0;
    for seed in 0..32 {
        let out = search(
            &m,
            &SwarmOptions {
                bits_log2: 12,
                ..SwarmOptions::new(seed)
            },
            &mut |_| {},
        )
        .expect("a small table");
        assert_eq!(out.stop, SwarmStop::Exhausted, "seed {seed}");
        let paths: Vec<Vec<u8>> = out
            .properties
            .iter()
            .map(|p| {
                let (init, steps) = p.path.as_ref().expect("both are violated");
                assert_eq!(*init, 0);
                steps.iter().map(|(a, _)| *a).collect()
            })
            .collect();
        assert_eq!(paths[0], [3], "seed {seed}: Small");
        assert_eq!(paths[1], [3, 3, 3, 3], "seed {seed}: NotTwelve");
        // Only states 0..=12 exist; once both shortest paths are known
        // nothing deeper than 3 events is expanded.
        assert!(out.states <= 13, "seed {seed}");
        revisits += out.revisits;
    }
    // The depth table did its work: states met deep were explored again
    // from shallower paths.
    assert!(revisits > 0);
}

#[test]
fn a_depth_bound_below_a_counterexample_hides_it() {
    let m = Counter::default();
    let out = search(
        &m,
        &SwarmOptions {
            bits_log2: 12,
            max_depth: Some(3),
            ..SwarmOptions::new(1)
        },
        &mut |_| {},
    )
    .expect("a small table");
    assert_eq!(out.config.depth_bound, 3);
    assert_eq!((out.passes, out.final_depth_bound), (1, 3));
    assert!(out.properties[0].path.is_some());
    assert!(out.properties[1].path.is_none(), "12 needs four events");
    assert_eq!(out.deepest, 3);
}

/// A given bound is kept, budget or not.
#[test]
fn a_given_depth_bound_never_deepens() {
    let m = Counter::default();
    let out = search(
        &m,
        &SwarmOptions {
            bits_log2: 12,
            max_depth: Some(3),
            max_states: Some(1_000_000),
            ..SwarmOptions::new(1)
        },
        &mut |_| {},
    )
    .expect("a small table");
    assert_eq!((out.passes, out.final_depth_bound), (1, 3));
    assert_eq!(out.stop, SwarmStop::Exhausted);
    assert!(out.properties[1].path.is_none());
}

/// With a budget, a pass that met the bound its seed chose is followed by
/// one twice as deep while some property is not violated (on Chord,
/// those that hold never are): seed 3 chooses 16 events, finds the
/// shortest counterexamples of original N=3 (all within 15 events) in its
/// first pass, then goes on to 32.
#[test]
fn with_a_budget_a_seed_chosen_bound_deepens() {
    let m = common::model("original", &[("nodes", "3")]);
    let opts = SwarmOptions {
        bits_log2: 22,
        max_states: Some(400_000),
        ..SwarmOptions::new(3)
    };
    assert_eq!(opts.config().depth_bound, 16);
    let out = search(&m, &opts, &mut |_| {}).expect("a small table");
    assert_eq!((out.passes, out.final_depth_bound), (2, 32));
    assert_eq!(out.stop, SwarmStop::States);
    assert!(out.deepest > 16);
    let lens: Vec<Option<usize>> = out
        .properties
        .iter()
        .map(|p| p.path.as_ref().map(|p| p.1.len()))
        .collect();
    // The BFS lengths of the README's table.
    let shortest = [5, 14, 15, 5, 10, 5, 10, 8, 6, 6, 10];
    let mut expected: Vec<Option<usize>> = shortest.into_iter().map(Some).collect();
    expected.extend([None, None, Some(5)]);
    assert_eq!(lens, expected);
}
