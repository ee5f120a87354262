//! Which events are enabled, and what they do. Churn and movement are
//! here; what a delivered message does is in [`super::protocol`].

use super::action::Action;
use super::geometry::Pos;
use super::protocol::{self, send, Relevance};
use super::rules::Rules;
use super::state::{Kind, Msg, State, Status, MAX_MSGS};
use crate::nodeset::{bit, elems, Node};

/// Appends every event that may be enabled (then filtered by [`check`]).
pub fn candidates(s: &State, r: &Rules, out: &mut Vec<Action>) {
    for (i, m) in s.msgs.iter().enumerate() {
        if s.is_head(i) {
            out.push(Action::Deliver {
                kind: m.kind,
                from: m.src,
                to: m.dst,
            });
        }
    }
    for n in s.ids() {
        let x = s.node(n);
        match x.status {
            Status::In => {
                for of in elems(x.known) {
                    if !s.is_in(of) {
                        out.push(Action::Timeout { n, of });
                    }
                }
                if s.moves < r.moves {
                    let st = r.step as i16;
                    for dy in -st..=st {
                        for dx in -st..=st {
                            let (px, py) = (x.pos.x as i16 + dx, x.pos.y as i16 + dy);
                            if r.in_grid(px, py) {
                                out.push(Action::Move {
                                    n,
                                    to: Pos::new(px as u8, py as u8),
                                });
                            }
                        }
                    }
                }
                if s.leaves < r.leaves {
                    out.push(Action::Leave(n));
                }
                if s.failures < r.failures {
                    out.push(Action::Fail(n));
                }
            }
            Status::Absent | Status::Joining => {
                for via in elems(s.members()) {
                    out.push(Action::Join { j: n, via });
                }
            }
            Status::Failed | Status::Left => {}
        }
    }
}

/// Whether a cell is free: nobody in the overlay or joining stands there.
fn free(s: &State, cell: Pos, except: Node) -> bool {
    s.ids().all(|n| {
        n == except
            || !matches!(s.node(n).status, Status::In | Status::Joining)
            || s.node(n).pos != cell
    })
}

/// Whether a joiner's JOIN or its reply is still on its way.
fn join_pending(s: &State, j: Node) -> bool {
    s.msgs
        .iter()
        .any(|m| (m.kind == Kind::Join && m.joiner == j) || m.dst == j)
}

/// `Ok` when `a` is enabled in `s`; otherwise why not.
pub fn check(s: &State, r: &Rules, a: Action) -> Result<(), String> {
    // Every event sends at most one message to each other node.
    if s.msgs.len() + r.nodes > MAX_MSGS && !matches!(a, Action::Fail(_)) {
        return Err(why!(
            "{} messages are in flight: the model's buffer of {MAX_MSGS} could overflow",
            s.msgs.len()
        ));
    }
    let churn = match a {
        Action::Join { j, .. } => s.node(j).status == Status::Absent,
        Action::Move { .. } | Action::Leave(_) | Action::Fail(_) => true,
        _ => false,
    };
    if churn && !r.concurrent && !s.quiescent() {
        return Err(why!(
            "with concurrent=0 moves and churn start only once the overlay is quiescent"
        ));
    }
    match a {
        Action::Join { j, via } => {
            let x = s.node(j);
            match x.status {
                Status::Absent => {
                    if let Some(k) = (0..j).find(|&k| s.node(k).status == Status::Absent) {
                        return Err(why!("nodes join in index order: n{k} has not joined yet"));
                    }
                }
                Status::Joining if join_pending(s, j) => {
                    return Err(why!("n{j}'s JOIN or its reply is still on its way"))
                }
                Status::Joining => {}
                _ => return Err(why!("n{j} has already joined")),
            }
            if !s.is_in(via) {
                return Err(why!("the gateway n{via} is not in the overlay"));
            }
            if !free(s, r.homes[j as usize], j) {
                return Err(why!(
                    "n{j}'s cell {} is taken by another node",
                    r.homes[j as usize]
                ));
            }
            Ok(())
        }
        Action::Move { n: m, to } => {
            if !s.is_in(m) {
                return Err(why!("n{m} is not in the overlay"));
            }
            if s.moves >= r.moves {
                return Err(why!("the run's {} move(s) are used up", r.moves));
            }
            let d2 = s.node(m).pos.dist2(to);
            if d2 == 0 || d2 > r.step2() {
                return Err(why!(
                    "{to} is not within one step (1 … {} cells) of n{m} at {}",
                    r.step,
                    s.node(m).pos
                ));
            }
            if to.x >= r.side || to.y >= r.side {
                return Err(why!("{to} is off the grid"));
            }
            if !free(s, to, m) {
                return Err(why!("{to} is taken by another node"));
            }
            Ok(())
        }
        Action::Leave(x) | Action::Fail(x) => {
            if !s.is_in(x) {
                return Err(why!("n{x} is not in the overlay"));
            }
            let (used, budget, what) = match a {
                Action::Leave(_) => (s.leaves, r.leaves, "leave(s)"),
                _ => (s.failures, r.failures, "failure(s)"),
            };
            if used >= budget {
                return Err(why!("the run's {budget} {what} are used up"));
            }
            if s.members().count_ones() == 1 {
                return Err(why!("n{x} is the last node of the overlay"));
            }
            Ok(())
        }
        Action::Timeout { n: y, of } => {
            if !s.is_in(y) {
                return Err(why!("n{y} is not in the overlay"));
            }
            if !s.node(y).knows(of) {
                return Err(why!("n{y} does not list n{of}"));
            }
            if s.is_in(of) {
                return Err(why!("n{of} is alive: n{y} keeps hearing from it"));
            }
            Ok(())
        }
        Action::Deliver { kind, from, to } => match s.head(from, to) {
            None => Err(why!("no message from n{from} to n{to} is in flight")),
            Some(i) if s.msgs[i].kind != kind => Err(why!(
                "the next message from n{from} to n{to} is a {}",
                s.msgs[i].kind.name()
            )),
            Some(_) => Ok(()),
        },
    }
}

/// Applies an enabled event.
pub fn apply(s: &mut State, r: &Rules, a: Action) {
    match a {
        Action::Join { j, via } => {
            let home = r.homes[j as usize];
            let x = s.node_mut(j);
            x.status = Status::Joining;
            x.pos = home;
            let mut m = Msg::new(Kind::Join, j, via);
            m.joiner = j;
            m.pos = home;
            send(s, m);
        }
        Action::Move { n, to } => {
            s.moves += 1;
            s.node_mut(n).pos = to;
            let known = s.node(n).known;
            // `correct`: each MOVE carries what is relevant to its receiver
            // in the mover's view (the mover alone sees the pairs its move
            // brings together).
            let hints = r
                .variant
                .mover_hints()
                .then(|| Relevance::of(&protocol::view(s, n), r.aoi2()));
            for z in elems(known) {
                let mut m = match &hints {
                    Some(h) => {
                        let list = h.relevant(z) & known & !bit(z);
                        protocol::listing(s, n, Kind::Move, z, list)
                    }
                    None => Msg::new(Kind::Move, n, z),
                };
                m.pos = to;
                if r.variant.exact_check() {
                    m.knows = known;
                    m.seen = s.node(n).view[z as usize];
                }
                send(s, m);
            }
            protocol::prune(s, r, n);
        }
        Action::Leave(n) => {
            s.leaves += 1;
            let known = s.node(n).known;
            // `correct`: each LEAVE hands over what is relevant to its
            // receiver once n is gone, in n's view.
            let hints = r.variant.leave_hands_over().then(|| {
                let mut rest = protocol::view(s, n);
                rest.remove(0);
                Relevance::of(&rest, r.aoi2())
            });
            for z in elems(known) {
                let m = match &hints {
                    Some(h) => protocol::listing(s, n, Kind::Leave, z, h.relevant(z) & !bit(z)),
                    None => Msg::new(Kind::Leave, n, z),
                };
                send(s, m);
            }
            depart(s, n, Status::Left);
        }
        Action::Fail(n) => {
            s.failures += 1;
            depart(s, n, Status::Failed);
        }
        Action::Timeout { n, of } => protocol::remove(s, r, n, of),
        Action::Deliver { from, to, .. } => protocol::deliver(s, r, from, to),
    }
}

/// n is gone: its table is forgotten and messages to it are lost (those
/// it sent are still delivered).
fn depart(s: &mut State, n: Node, status: Status) {
    let x = s.node_mut(n);
    x.status = status;
    for z in elems(x.known) {
        x.forget(z);
    }
    s.msgs.retain(|m| m.dst != n);
}
