//! Greedy forwarding (§2.1): a node that does not own the destination
//! point hands the message to the neighbour whose zone is nearest to it.
//!
//! Distance is the squared Euclidean distance on the torus from the
//! point to the nearest point of a zone (0 inside), in exact integers
//! ([`super::grid::Space::dist2`]); a node with several zones is as near
//! as its nearest one. A node forwards only to a strictly nearer live
//! neighbour (ties: the lower index), skipping those that failed (a real
//! node learns that by a timeout and tries the next). With a complete
//! tiling and exact neighbour sets this always progresses: the zone just
//! across a face of the current zone, on the side facing the point, is
//! nearer. So a route visits no node twice, and takes at most one hop
//! fewer than there are nodes.

use super::grid::Point;
use super::rules::Rules;
use super::state::{elems, Node, State};

/// What the node holding a message does with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// It owns the point.
    Owner,
    /// It forwards to this neighbour.
    Hop(Node),
    /// No live neighbour is nearer.
    Stuck,
}

/// How near `n`'s zones are to `p` in reality r.
pub fn nearness(s: &State, rules: &Rules, r: usize, n: Node, p: Point) -> u32 {
    s.slice(n, r)
        .zones
        .iter()
        .map(|z| rules.space.dist2(z, p))
        .min()
        .unwrap_or(u32::MAX)
}

pub fn next(s: &State, rules: &Rules, r: usize, at: Node, p: Point) -> Next {
    let here = nearness(s, rules, r, at, p);
    if here == 0 {
        return Next::Owner;
    }
    let best = elems(s.slice(at, r).nbrs)
        .filter(|&m| s.is_member(m, r))
        .map(|m| (nearness(s, rules, r, m, p), m))
        .min();
    match best {
        Some((d, m)) if d < here => Next::Hop(m),
        _ => Next::Stuck,
    }
}

/// Where greedy routing from `from` to `p` ends: `Ok((owner, hops))`, or
/// `Err(node)` where it got stuck (or would revisit a node).
pub fn route(s: &State, rules: &Rules, r: usize, from: Node, p: Point) -> Result<(Node, u8), Node> {
    let mut at = from;
    let mut visited = 1u16 << from;
    let mut hops = 0;
    loop {
        match next(s, rules, r, at, p) {
            Next::Owner => return Ok((at, hops)),
            Next::Stuck => return Err(at),
            Next::Hop(m) => {
                if visited & (1 << m) != 0 {
                    return Err(m);
                }
                visited |= 1 << m;
                at = m;
                hops += 1;
            }
        }
    }
}
