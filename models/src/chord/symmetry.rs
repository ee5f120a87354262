//! Ring rotation: renaming every identity i to (i + k) mod N preserves
//! `between`, every event's precondition and effect (the `correct` padding
//! rule wraps mod N too) and every property. So a checker may keep one
//! representative per rotation class: the least rotation of a state.
//!
//! The initial states of `original` (n0 alone) are not closed under
//! rotation, but that does not matter for verdicts: the classes reached
//! from the initial class are exactly the classes of reachable states.

use super::packed::Packing;
use super::ring::Node;
use super::state::{NodeState, PerNode, State, Status};

/// `s` with every identity i renamed to (i + k) mod N.
pub fn rotate(s: &State, k: usize) -> State {
    let n = s.nodes.len();
    let r = |x: Node| ((x as usize + k) % n) as Node;
    let mut nodes: PerNode<NodeState> = (0..n).map(|_| NodeState::default()).collect();
    for (i, ns) in s.nodes.iter().enumerate() {
        nodes[(i + k) % n] = NodeState {
            succ: ns.succ.iter().map(|&x| r(x)).collect(),
            prdc: ns.prdc.map(r),
            status: ns.status.map(|st| match st {
                Status::Stabilizing(p) => Status::Stabilizing(r(p)),
                Status::Rectifying(q) => Status::Rectifying(r(q)),
            }),
        };
    }
    let mut notify: PerNode<Option<Node>> = s.notify.iter().map(|_| None).collect();
    for (i, to) in s.notify.iter().enumerate() {
        notify[(i + k) % n] = to.map(r);
    }
    State { nodes, notify }
}

/// The representative of `s`'s rotation class: for the original
/// variants the rotation whose packed word ([`super::packed`]) is least
/// (the compact engine's fast path reduces successors on words, and both
/// paths must pick the same representative), for `correct` the least
/// rotation as a `State`.
pub fn canonical(s: &State) -> State {
    if !s.notify.is_empty() {
        let p = Packing::new(s.nodes.len(), false);
        return p.unpack(p.canonical(p.pack(s)));
    }
    (1..s.nodes.len())
        .map(|k| rotate(s, k))
        .fold(*s, |best, x| best.min(x))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chord::overlay::build;
    use crate::chord::properties as p;
    use stateright::Model;

    #[test]
    fn rotation_commutes_with_events_and_keeps_verdicts() {
        for (variant, nodes) in [("original", "4"), ("correct", "5")] {
            let m = build(variant, &vec![("nodes".into(), nodes.into())]).unwrap();
            for s in crate::chord::reachable(&m, 3000) {
                let t = rotate(&s, 1);
                assert_eq!(rotate(&t, s.nodes.len() - 1), s);
                let mut a1 = Vec::new();
                let mut a2 = Vec::new();
                m.enabled(&s, false, &mut a1);
                m.enabled(&t, false, &mut a2);
                let mut next1: Vec<State> =
                    a1.iter().map(|&a| rotate(&m.apply(&s, a), 1)).collect();
                let mut next2: Vec<State> = a2.iter().map(|&a| m.apply(&t, a)).collect();
                next1.sort();
                next2.sort();
                assert_eq!(next1, next2, "{variant}: successors of a rotation");
                for prop in m.properties() {
                    assert_eq!(
                        (prop.condition)(&m, &s),
                        (prop.condition)(&m, &t),
                        "{}",
                        prop.name
                    );
                }
                assert_eq!(
                    p::ring_members(&t).count_ones(),
                    p::ring_members(&s).count_ones()
                );
            }
        }
    }
}
