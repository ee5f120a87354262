//! Every declared symmetry is exact: exploring concrete states with the
//! visited set keyed by the class representative (what dfs, sim and swarm
//! do with `--symmetry`) reaches exactly the classes that the search over
//! canonical states (what bfs and bfs-compact do) reaches. A symmetry that
//! some event breaks — an effect that depends on the ids' order, say —
//! makes the two differ, and the reduced search unsound. (This caught
//! Kademlia's ghost list of observations, whose order followed the ids.)

use std::collections::{HashSet, VecDeque};

use overlay_models::check::OverlayModel;
use overlay_models::{chord, kademlia};

mod common;
use common::params;

/// (classes reached through canonical states, classes reached through
/// concrete states keyed by their representative).
fn both_ways<M: OverlayModel>(m: &M) -> (HashSet<M::State>, HashSet<M::State>) {
    let rep = m.representative().expect("the model declares a symmetry");
    let flag = m.symmetry().expect("and the flag that reduces its states");
    let walk = |key: &dyn Fn(&M::State) -> M::State| {
        let mut seen = HashSet::new();
        let mut queue: VecDeque<M::State> = VecDeque::new();
        for s in m.init_states() {
            if seen.insert(key(&s)) {
                queue.push_back(s);
            }
        }
        let mut actions = Vec::new();
        while let Some(s) = queue.pop_front() {
            actions.clear();
            m.actions(&s, &mut actions);
            for a in actions.drain(..) {
                if let Some(t) = m.next_state(&s, a) {
                    if seen.insert(key(&t)) {
                        queue.push_back(t);
                    }
                }
            }
        }
        seen
    };
    flag.set(true);
    let reduced = walk(&|s: &M::State| s.clone());
    flag.set(false);
    let keyed = walk(&|s: &M::State| rep(s));
    (reduced, keyed)
}

#[test]
fn chord_rotations_are_exact() {
    for (variant, ps, classes) in [
        ("original", &[("nodes", "3")][..], 85_180),
        ("correct", &[("nodes", "5"), ("succ-list", "3")], 3_571),
    ] {
        let m = chord::overlay::build(variant, &params(ps)).unwrap();
        let (reduced, keyed) = both_ways(&m);
        assert_eq!(reduced.len(), classes, "{variant}");
        assert!(reduced == keyed, "{variant}: the two reductions differ");
    }
}

#[test]
fn kademlia_xor_translations_are_exact() {
    let m = kademlia::overlay::build("correct", &params(&[])).unwrap();
    let (reduced, keyed) = both_ways(&m);
    assert_eq!(reduced.len(), 221_066);
    assert!(reduced == keyed, "the two reductions differ");
}
