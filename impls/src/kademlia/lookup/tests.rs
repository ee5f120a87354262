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

// ------------------------------------------------ rounds mode (§2.3)

/// A node whose id is `top` followed by zeros (as the conformance
/// mapping makes them), so that distances are easy to read.
fn small(top: u8) -> CompactNode {
    let mut id = [0; 20];
    id[0] = top;
    CompactNode {
        id: NodeId(id),
        addr: SocketAddrV4::new(Ipv4Addr::new(10, 1, 0, top), 6881),
    }
}

/// k = 3, α = 1, target 0: the origin knows a (0x80); a names b (0x40)
/// and d (0x30); d names c (0x20); c and b name nobody new.
fn scripted(alpha_termination: bool) -> (Lookup, Vec<Vec<u8>>) {
    let (a, b, c, d) = (small(0x80), small(0x40), small(0x20), small(0x30));
    let me = small(0xff);
    let mut l = Lookup::new(me.id, small(0).id, 3, 1, [a], []).with_rounds(alpha_termination);
    let mut asked = Vec::new();
    loop {
        let asks = l.to_ask();
        if asks.is_empty() {
            break;
        }
        asked.push(asks.iter().map(|s| s.ip().octets()[3]).collect());
        for to in asks {
            // Nothing more is asked while the round is in flight.
            let names: &[CompactNode] = match to.ip().octets()[3] {
                0x80 => &[b, d],
                0x30 => &[c],
                _ => &[],
            };
            let who = [a, b, c, d].into_iter().find(|n| n.addr == to).unwrap();
            assert!(l.is_asked(to));
            l.answered(to, who.id, names, None);
        }
    }
    (l, asked)
}

/// Kademlia §2.3: α per round while each round brings a closer node, then
/// the final phase asks every unqueried node of the k closest, and the
/// lookup ends when all of them answered.
#[test]
fn rounds_go_alpha_at_a_time_then_a_final_round_to_the_k_closest() {
    let (l, asked) = scripted(false);
    assert_eq!(asked, vec![vec![0x80], vec![0x30], vec![0x20], vec![0x40]]);
    let r = l.rounds().expect("rounds mode");
    assert_eq!((r.sent, r.last, r.ended), (4, true, true));
    assert!(l.done());
    let got: Vec<u8> = l.closest().iter().map(|(n, _, _)| n.id.0[0]).collect();
    assert_eq!(got, vec![0x20, 0x30, 0x40]);
}

/// The model's `alpha-termination` as an implementation mutation: the
/// round that brings nothing closer ends the lookup, and the unqueried
/// 0x40 is returned although it never answered.
#[test]
fn the_alpha_termination_mutation_skips_the_final_round() {
    let (l, asked) = scripted(true);
    assert_eq!(asked, vec![vec![0x80], vec![0x30], vec![0x20]]);
    assert!(l.done());
    let got: Vec<(u8, bool)> = l
        .closest()
        .iter()
        .map(|(n, t, _)| (n.id.0[0], t.is_some()))
        .collect();
    assert_eq!(got.len(), 3);
    assert!(!l.rounds().unwrap().last);
    assert_eq!(l.answers, 3);
}

#[test]
fn a_round_waits_for_all_of_its_queries() {
    let net: Vec<_> = (0..3).map(small).collect();
    let me = small(0xff);
    let mut l = Lookup::new(me.id, small(0).id, 2, 2, [net[1], net[2]], []).with_rounds(false);
    assert_eq!(l.to_ask().len(), 2);
    l.answered(net[1].addr, net[1].id, &[net[0]], None);
    assert!(l.to_ask().is_empty(), "the round is still in flight");
    assert!(!l.done());
    l.failed(net[2].addr);
    // The answer brought 0x00, closer: a new round of α.
    assert_eq!(l.to_ask(), vec![net[0].addr]);
    l.answered(net[0].addr, net[0].id, &[], None);
    assert_eq!(l.to_ask(), Vec::<SocketAddrV4>::new());
    assert!(l.done());
    let got: Vec<u8> = l.closest().iter().map(|(n, _, _)| n.id.0[0]).collect();
    assert_eq!(got, vec![0, 1], "the failed 0x02 left the window");
}

#[test]
fn rounds_find_the_same_k_closest_as_async_lookups() {
    let net: Vec<_> = (0..200).map(node).collect();
    let target = NodeId::hash(b"target");
    for alpha in [1, 3] {
        let me = node(10_000);
        let mut l = Lookup::new(me.id, target, 4, alpha, [net[0]], []).with_rounds(false);
        while !l.done() {
            let asks = l.to_ask();
            assert!(!asks.is_empty() || l.done());
            for a in asks {
                let at = net.iter().position(|n| n.addr == a).unwrap();
                l.answered(a, net[at].id, &answer(&net, at, &target, 4), None);
            }
        }
        let rounds: Vec<_> = l.closest().iter().map(|(n, _, _)| n.id).collect();
        let asynch = run(&net, &[], 4, alpha, 4);
        let want: Vec<_> = asynch.closest().iter().map(|(n, _, _)| n.id).collect();
        assert_eq!(rounds, want, "alpha {alpha}");
    }
}
