use std::net::{Ipv4Addr, SocketAddrV4};

use super::*;

fn node(i: u32) -> CompactNode {
    CompactNode {
        id: NodeId::hash(&i.to_be_bytes()),
        addr: SocketAddrV4::new(Ipv4Addr::from(0x0a00_0000 + i), 6881),
    }
}

/// Answers like a node whose routing table holds, per bucket, the first
/// `k` nodes of `net` in that bucket: a converged Kademlia table.
fn answer(net: &[CompactNode], at: usize, target: &NodeId, k: usize) -> Vec<CompactNode> {
    let me = net[at].id;
    let mut per_bucket = std::collections::BTreeMap::<usize, usize>::new();
    let mut known: Vec<CompactNode> = net
        .iter()
        .filter(|n| {
            me.common_prefix(&n.id).is_some_and(|b| {
                let c = per_bucket.entry(b).or_default();
                *c += 1;
                *c <= k
            })
        })
        .copied()
        .collect();
    known.sort_by_key(|n| target.distance(&n.id));
    known.truncate(k);
    known
}

/// Runs a lookup to the end; answers name `answer_size` nodes.
fn run(
    net: &[CompactNode],
    failed: &[usize],
    k: usize,
    alpha: usize,
    answer_size: usize,
) -> Lookup {
    let me = node(10_000);
    let target = NodeId::hash(b"target");
    let mut l = Lookup::new(me.id, target, k, alpha, [net[0]], []);
    let mut steps = 0;
    loop {
        let asks = l.to_ask();
        assert!(asks.len() <= alpha, "never more than alpha in flight");
        if asks.is_empty() {
            break;
        }
        for a in asks {
            let at = net.iter().position(|n| n.addr == a).unwrap();
            if failed.contains(&at) {
                l.failed(a);
            } else {
                let nodes = answer(net, at, &target, answer_size);
                l.answered(a, net[at].id, &nodes, Some(vec![at as u8]));
            }
        }
        steps += 1;
        assert!(steps < 1000);
    }
    l
}

#[test]
fn ends_with_the_k_closest_reachable_nodes() {
    let net: Vec<_> = (0..200).map(node).collect();
    let l = run(&net, &[], 4, 2, 4);
    assert!(l.done());
    let target = NodeId::hash(b"target");
    let mut truth = net.clone();
    truth.sort_by_key(|n| target.distance(&n.id));
    let got: Vec<_> = l.closest().iter().map(|(n, _, _)| n.id).collect();
    assert_eq!(got, truth[..4].iter().map(|n| n.id).collect::<Vec<_>>());
    assert!(l.hops() >= 2, "found through the network, not at once");
    assert!(
        l.closest().iter().all(|(_, t, _)| t.is_some()),
        "tokens kept"
    );
}

#[test]
fn failed_nodes_leave_the_window() {
    let net: Vec<_> = (0..200).map(node).collect();
    let target = NodeId::hash(b"target");
    let mut truth: Vec<usize> = (0..200).collect();
    truth.sort_by_key(|&i| target.distance(&net[i].id));
    let dead = [truth[0], truth[2]];
    // Answers name 6 nodes, so that the 5th and 6th closest are heard of
    // although the dead ones keep their places in others' tables.
    let l = run(&net, &dead, 4, 3, 6);
    assert!(l.done());
    let got: Vec<_> = l.closest().iter().map(|(n, _, _)| n.id).collect();
    let want: Vec<_> = [truth[1], truth[3], truth[4], truth[5]]
        .iter()
        .map(|&i| net[i].id)
        .collect();
    assert_eq!(got, want);
}

#[test]
fn a_seed_is_asked_first_and_learns_its_id() {
    let net: Vec<_> = (0..3).map(node).collect();
    let me = node(99);
    let mut l = Lookup::new(me.id, me.id, 2, 1, [], [net[0].addr]);
    assert!(!l.done(), "an unasked seed keeps the lookup open");
    assert_eq!(l.to_ask(), vec![net[0].addr]);
    l.answered(net[0].addr, net[0].id, &[net[1], me], None);
    // Our own id is never a candidate.
    assert_eq!(
        l.to_ask(),
        vec![net[0].addr; 0]
            .into_iter()
            .chain([net[1].addr])
            .collect::<Vec<_>>()
    );
    l.answered(net[1].addr, net[1].id, &[], None);
    assert!(l.done());
    assert_eq!(l.closest().len(), 2);
}

#[test]
fn an_answer_under_another_id_counts_as_failure() {
    let net: Vec<_> = (0..3).map(node).collect();
    let mut l = Lookup::new(node(99).id, net[0].id, 2, 2, [net[0], net[1]], []);
    let asks = l.to_ask();
    assert_eq!(asks.len(), 2);
    l.answered(net[0].addr, net[2].id, &[], None);
    l.answered(net[1].addr, net[1].id, &[], None);
    assert!(l.done());
    let got: Vec<_> = l.closest().iter().map(|(n, _, _)| n.id).collect();
    assert_eq!(got, vec![net[1].id]);
}
