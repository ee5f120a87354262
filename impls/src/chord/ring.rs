//! An oracle that builds an ideal ring directly: every successor list,
//! predecessor and finger exact. The simulator starts large experiments
//! from it (growing 10^5 nodes by joins is possible but slow), and the
//! conformance harness builds the model's initial Ideal rings with it.

use super::id::{Peer, BITS};
use super::node::{Config, Node};

/// Nodes of an ideal ring on `peers`, in the order given.
pub fn ideal(cfg: &Config, peers: &[Peer], fingers: bool) -> Vec<Node> {
    let mut sorted: Vec<Peer> = peers.to_vec();
    sorted.sort();
    let k = sorted.len();
    let rank = |p: &Peer| sorted.binary_search(p).expect("present");
    peers
        .iter()
        .map(|p| {
            let i = rank(p);
            let succ: Vec<Peer> = (1..=cfg.succ_list.min(k.max(1)))
                .map(|d| sorted[(i + d) % k])
                .collect();
            let prdc = sorted[(i + k - 1) % k];
            let mut n = Node::with_ring(cfg.clone(), *p, succ, Some(prdc));
            if fingers {
                set_fingers(&mut n, &sorted);
            }
            n
        })
        .collect()
}

/// Exact fingers of `n` among `sorted` peers.
pub fn set_fingers(n: &mut Node, sorted: &[Peer]) {
    let me = n.me().id;
    let successor = |target| {
        let i = sorted.partition_point(|p| p.id < target);
        sorted[i % sorted.len()]
    };
    let mut i = 0;
    while i < BITS {
        let owner = successor(me.add_pow2(i));
        // Fingers i..=j share the owner while their starts stay before it.
        let mut j = i;
        while j + 1 < BITS && super::lookup::covers(me.add_pow2(i), me.add_pow2(j + 1), owner.id) {
            j += 1;
        }
        n.fingers_mut().set_range(i, j, Some(owner));
        i = j + 1;
    }
}
