//! The VON model's properties, over states. The three about neighbour
//! tables are judged once the overlay is quiescent ([`State::quiescent`]):
//! while a MOVE, NOTIFY or HELLO is in flight a table is stale by design.

use super::geometry::enclosing;
use super::protocol::truth;
use super::rules::Rules;
use super::state::State;
use crate::nodeset::{bit, elems, Node, Set};

/// Whether x lists z at z's true cell.
fn knows_where(s: &State, x: Node, z: Node) -> bool {
    let me = s.node(x);
    me.knows(z) && me.view[z as usize] == s.node(z).pos
}

/// NeighborCompleteness: once quiescent, every member lists every member
/// inside its AOI, at its true cell.
pub fn neighbor_completeness(s: &State, r: &Rules) -> bool {
    if !s.quiescent() {
        return true;
    }
    let members = s.members();
    elems(members).all(|x| {
        let p = s.node(x).pos;
        elems(members & !bit(x))
            .filter(|&z| s.node(z).pos.dist2(p) <= r.aoi2())
            .all(|z| knows_where(s, x, z))
    })
}

/// EnclosingNeighborsKnown: once quiescent, every member lists each of its
/// true enclosing neighbours at its true cell (so the relation is mutual:
/// the true one is symmetric).
pub fn enclosing_neighbors_known(s: &State) -> bool {
    if !s.quiescent() {
        return true;
    }
    let enc = enclosing(&truth(s));
    elems(s.members()).all(|x| elems(enc[x as usize]).all(|z| knows_where(s, x, z)))
}

/// OverlayConnected: once quiescent, the members form one component of
/// the "lists or is listed by" graph.
pub fn overlay_connected(s: &State) -> bool {
    if !s.quiescent() {
        return true;
    }
    connected(s)
}

pub fn connected(s: &State) -> bool {
    let members = s.members();
    let Some(first) = elems(members).next() else {
        return true;
    };
    let linked = |x: Node, z: Node| s.node(x).knows(z) || s.node(z).knows(x);
    let mut reached: Set = bit(first);
    loop {
        let more = elems(members & !reached)
            .filter(|&z| elems(reached).any(|x| linked(x, z)))
            .fold(0, |a, z| a | bit(z));
        if more == 0 {
            return reached == members;
        }
        reached |= more;
    }
}

/// JoinReachesAcceptor: every JOIN so far ended at the node whose true
/// Voronoi region holds the joiner's cell.
pub fn join_reaches_acceptor(s: &State) -> bool {
    !s.join_missed
}

/// Repairable's goal: quiescent with complete, enclosing-exact and
/// connected tables.
pub fn repaired(s: &State, r: &Rules) -> bool {
    s.quiescent() && neighbor_completeness(s, r) && enclosing_neighbors_known(s) && connected(s)
}

/// Whether member x's table is exactly what a settled overlay gives it
/// (for tests and pictures): every relevant member at its cell, nothing
/// else.
pub fn table_exact(s: &State, r: &Rules, x: Node) -> bool {
    let rel = super::protocol::relevance(&truth(s), r.aoi2())[x as usize];
    s.node(x).known == rel && elems(rel).all(|z| knows_where(s, x, z))
}
