//! What a node does when a message reaches it, and the two computations
//! every handler shares: a node's local view with its relevance sets, and
//! pruning. The module essay (`mod.rs`) states the same protocol in
//! prose.

use tinyvec::ArrayVec;

use super::geometry::{enclosing, Pos};
use super::rules::Rules;
use super::state::{Kind, Msg, State, Status, MAX_NODES};
use super::Mutation;
use crate::nodeset::{bit, elems, has, Node, Set};

/// (node, cell) sites of a view.
pub type Sites = ArrayVec<[(Node, Pos); MAX_NODES]>;

/// y's local view: itself at its true cell, every known node at the cell
/// y believes.
pub fn view(s: &State, y: Node) -> Sites {
    let me = s.node(y);
    let mut v = Sites::new();
    v.push((y, me.pos));
    for z in elems(me.known) {
        v.push((z, me.view[z as usize]));
    }
    v
}

/// The true sites: every member at its cell.
pub fn truth(s: &State) -> Sites {
    let mut v = Sites::new();
    for n in elems(s.members()) {
        v.push((n, s.node(n).pos));
    }
    v
}

/// For every site x of `sites`: the sites inside its AOI, and those
/// enclosing it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Relevance {
    pub aoi: [Set; 8],
    pub enc: [Set; 8],
}

impl Relevance {
    pub fn of(sites: &[(Node, Pos)], aoi2: u32) -> Relevance {
        let mut r = Relevance {
            aoi: [0; 8],
            enc: enclosing(sites),
        };
        for &(x, px) in sites {
            for &(z, pz) in sites {
                if z != x && px.dist2(pz) <= aoi2 {
                    r.aoi[x as usize] |= bit(z);
                }
            }
        }
        r
    }

    /// The sites relevant to x: inside its AOI or enclosing it.
    pub fn relevant(&self, x: Node) -> Set {
        self.aoi[x as usize] | self.enc[x as usize]
    }

    /// What became relevant to x since `before`: sites that entered its
    /// AOI, and sites that became enclosing (VON's checks are per kind: a
    /// node enclosing the mover that now enters its AOI is news).
    pub fn news(&self, before: &Relevance, x: Node) -> Set {
        let i = x as usize;
        (self.aoi[i] & !before.aoi[i]) | (self.enc[i] & !before.enc[i])
    }
}

/// The relevant sets of every site.
pub fn relevance(sites: &[(Node, Pos)], aoi2: u32) -> [Set; 8] {
    let r = Relevance::of(sites, aoi2);
    let mut out = [0; 8];
    for (i, o) in out.iter_mut().enumerate() {
        *o = r.relevant(i as Node);
    }
    out
}

/// y drops every entry neither enclosing it nor inside its AOI.
pub fn prune(s: &mut State, r: &Rules, y: Node) {
    let keep = relevance(&view(s, y), r.aoi2())[y as usize];
    let me = s.node_mut(y);
    for z in elems(me.known & !keep) {
        me.forget(z);
    }
}

/// Puts a message in flight; a message to a node that failed or left is
/// lost (`events::check` keeps the buffer from overflowing).
pub fn send(s: &mut State, m: Msg) {
    if matches!(s.node(m.dst).status, Status::In | Status::Joining) {
        s.msgs.push(m);
    }
}

/// A JOIN_REPLY or NOTIFY listing `set` with the cells y believes.
pub fn listing(s: &State, y: Node, kind: Kind, to: Node, set: Set) -> Msg {
    let me = s.node(y);
    let mut m = Msg::new(kind, y, to);
    m.entries = set;
    for z in elems(set) {
        m.cells[z as usize] = if z == y { me.pos } else { me.view[z as usize] };
    }
    m
}

/// Delivers the oldest message of link `from` → `to`.
pub fn deliver(s: &mut State, r: &Rules, from: Node, to: Node) {
    let Some(i) = s.head(from, to) else { return };
    let m = s.msgs.remove(i);
    let gone = s.node(to).gone;
    if has(gone, m.src) && matches!(m.kind, Kind::Hello | Kind::Move) {
        return;
    }
    match m.kind {
        Kind::Join => on_join(s, r, to, m),
        Kind::JoinReply => on_join_reply(s, r, to, m),
        Kind::Hello if !r.variant.hello_check() => {
            s.node_mut(to).learn(m.src, m.pos);
            prune(s, r, to);
        }
        Kind::Hello | Kind::Move => on_move(s, r, to, m),
        Kind::Notify => on_notify(s, r, to, m),
        Kind::Leave => {
            if s.node(to).knows(m.src) {
                remove(s, r, to, m.src);
            }
            let added = learn_unknown(s, to, &m);
            prune(s, r, to);
            greet(s, r, to, added & s.node(to).known);
        }
    }
}

/// The node, among y and those it knows, closest to `p` in y's view
/// (y itself unless another is strictly closer; ties by smallest id).
pub fn closest_in_view(s: &State, y: Node, p: Pos) -> Node {
    let mut best = (s.node(y).pos.dist2(p), y);
    for (z, q) in view(s, y).into_iter().skip(1) {
        if q.dist2(p) < best.0 {
            best = (q.dist2(p), z);
        }
    }
    best.1
}

/// JOIN at y: accept when no known node is strictly closer to the
/// joiner's cell, else forward greedily.
fn on_join(s: &mut State, r: &Rules, y: Node, m: Msg) {
    let (j, p) = (m.joiner, m.pos);
    let next = closest_in_view(s, y, p);
    if next == y {
        let mine = s.node(y).pos.dist2(p);
        let owner_elsewhere = elems(s.members()).any(|z| s.node(z).pos.dist2(p) < mine);
        if owner_elsewhere {
            s.join_missed = true;
        }
        let mut sites = view(s, y);
        sites.push((j, p));
        let rel = relevance(&sites, r.aoi2())[j as usize];
        let list = (rel & s.node(y).known) | bit(y);
        let reply = listing(s, y, Kind::JoinReply, j, list);
        send(s, reply);
    } else if m.hops >= r.hop_limit() {
        s.join_missed = true;
    } else {
        let mut fwd = m;
        fwd.src = y;
        fwd.dst = next;
        fwd.hops += 1;
        send(s, fwd);
    }
}

/// JOIN_REPLY at the joiner: it is in; it greets every neighbour listed.
fn on_join_reply(s: &mut State, r: &Rules, j: Node, m: Msg) {
    let me = s.node_mut(j);
    me.status = Status::In;
    for (z, q) in m.listed() {
        if z != j && !has(me.gone, z) {
            me.learn(z, q);
        }
    }
    prune(s, r, j);
    greet(s, r, j, s.node(j).known);
}

fn greet(s: &mut State, r: &Rules, x: Node, to: Set) {
    for z in elems(to) {
        let h = hello(s, r, x, z, s.node(x).view[z as usize]);
        send(s, h);
    }
}

/// x's HELLO to z, which x believes at `seen`; in `correct` it carries
/// x's neighbours and hints, as a MOVE does.
fn hello(s: &State, r: &Rules, x: Node, z: Node, seen: Pos) -> Msg {
    let (pos, known) = (s.node(x).pos, s.node(x).known);
    let mut h = if r.variant.exact_check() {
        let mut sites = view(s, x);
        if !s.node(x).knows(z) {
            sites.push((z, seen));
        }
        let rel = Relevance::of(&sites, r.aoi2()).relevant(z) & known & !bit(z);
        let mut h = listing(s, x, Kind::Hello, z, rel);
        h.knows = known;
        h.seen = seen;
        h
    } else {
        Msg::new(Kind::Hello, x, z)
    };
    h.pos = pos;
    h
}

/// MOVE (or, in `correct`, HELLO) at y: update the sender, and tell it
/// about the nodes that became relevant to it in y's view (the boundary
/// neighbours' check).
fn on_move(s: &mut State, r: &Rules, y: Node, m: Msg) {
    let x = m.src;
    // A stale `seen` is answered only when nothing else will set it right:
    // y greeted every node it listed, and MOVEs each one it lists when
    // it moves, so a MOVE from a listed node crossed y's own message.
    let answer = r.variant.exact_check()
        && m.seen != s.node(y).pos
        && (m.kind == Kind::Hello || !s.node(y).knows(x));
    // Only the paper's diff needs the view before the update.
    let before = if s.node(y).knows(x) && !r.variant.exact_check() {
        Relevance::of(&view(s, y), r.aoi2())
    } else {
        Relevance::default()
    };
    s.node_mut(y).learn(x, m.pos);
    let hinted = learn_unknown(s, y, &m);
    let after = Relevance::of(&view(s, y), r.aoi2());
    if r.mutation != Mutation::NoBoundaryCheck {
        if r.variant.exact_check() {
            let missing = after.relevant(x) & !m.knows & !bit(x) & !bit(y);
            if missing != 0 {
                let n = listing(s, y, Kind::Notify, x, missing);
                send(s, n);
            }
        } else {
            tell_news(s, y, bit(x), &before, &after, None);
        }
    }
    prune(s, r, y);
    greet(s, r, y, hinted & s.node(y).known & !bit(x));
    if answer {
        // The sender has y at a wrong cell: set it right (seen as it told,
        // so the answer needs no answer).
        let h = hello(s, r, y, x, m.pos);
        send(s, h);
    }
}

/// NOTIFY at x: learn the nodes it did not know, keep the relevant ones,
/// greet those.
fn on_notify(s: &mut State, r: &Rules, x: Node, m: Msg) {
    if let Some(g) = m.gone {
        if s.node(x).knows(g) {
            remove(s, r, x, g);
        } else if r.variant.tombstones() {
            s.node_mut(x).gone |= bit(g);
        }
    }
    let added = learn_unknown(s, x, &m);
    prune(s, r, x);
    greet(s, r, x, added & s.node(x).known);
}

/// x learns the listed nodes it does not know (never overwriting a known
/// cell, never a node it knows is gone); returns them.
fn learn_unknown(s: &mut State, x: Node, m: &Msg) -> Set {
    let mut added = 0;
    let me = s.node_mut(x);
    for (z, q) in m.listed() {
        if z != x && !me.knows(z) && !has(me.gone, z) {
            me.learn(z, q);
            added |= bit(z);
        }
    }
    added
}

/// y drops x (it left, or y's timeout for it fired) and tells each
/// remaining neighbour about the nodes that became relevant to it now
/// that x's region is gone (the repair notification).
pub fn remove(s: &mut State, r: &Rules, y: Node, x: Node) {
    let before = Relevance::of(&view(s, y), r.aoi2());
    s.node_mut(y).forget(x);
    if r.variant.tombstones() {
        s.node_mut(y).gone |= bit(x);
    }
    if !r.variant.repair_notify() {
        return;
    }
    let after = Relevance::of(&view(s, y), r.aoi2());
    let gone = r.variant.names_departed().then_some(x);
    tell_news(s, y, s.node(y).known, &before, &after, gone);
}

/// y sends each node of `to` a NOTIFY with what became relevant to it in
/// y's view between `before` and `after`, when anything did.
pub fn tell_news(
    s: &mut State,
    y: Node,
    to: Set,
    before: &Relevance,
    after: &Relevance,
    gone: Option<Node>,
) {
    for w in elems(to) {
        let new = after.news(before, w) & !bit(w) & !bit(y);
        if new != 0 {
            let mut n = listing(s, y, Kind::Notify, w, new);
            n.gone = gone;
            send(s, n);
        }
    }
}
