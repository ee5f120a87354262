//! Events of Zave's corrected protocol (TSE 2017; her Alloy model of
//! August 2016). Preconditions are written once, in [`check`].

use super::action::Action;
use super::properties::principals;
use super::ring::{between, name, Node};
use super::state::{NodeState, PerNode, State, Status, SuccList};

/// Why `a` cannot happen in `s`, or `Ok` when it can. `r` is the list
/// length; `guard` is the principal-failure precondition (on in the
/// protocol, off only for negative controls).
pub fn check(s: &State, r: usize, guard: bool, a: Action) -> Result<(), String> {
    let member = |n: Node| s.is_member(n);
    let need_member = |n: Node| {
        if member(n) {
            Ok(())
        } else {
            Err(why!("{} is not a member", name(n)))
        }
    };
    match a {
        Action::Fail(f) => {
            need_member(f)?;
            for m in s.members().filter(|&m| m != f) {
                let list = &s.node(m).succ;
                if list.contains(&f) && !list.iter().any(|&x| x != f && member(x)) {
                    return Err(why!("{} lists {} and no other member", name(m), name(f)));
                }
            }
            if guard {
                let p = principals(s);
                if p.contains(&f) && p.len() <= r + 1 {
                    return Err(why!(
                        "{} is one of only {} principals (r+1 = {} must remain)",
                        name(f),
                        p.len(),
                        r + 1
                    ));
                }
            }
            Ok(())
        }
        Action::Join { j, via: m } => {
            if member(j) {
                return Err(why!("{} is already a member", name(j)));
            }
            need_member(m)?;
            let ms = s.node(m).succ[0];
            if !between(m, j, ms) {
                return Err(why!(
                    "{} is not between {} and its first successor {}",
                    name(j),
                    name(m),
                    name(ms)
                ));
            }
            Ok(())
        }
        Action::Stabilize(t) => {
            need_member(t)?;
            match s.node(t).status {
                None => Ok(()),
                Some(st) => Err(why!("{} is busy ({})", name(t), describe(st))),
            }
        }
        Action::StabilizePred(t) => {
            need_member(t)?;
            match s.node(t).status {
                Some(Status::Stabilizing(p)) => {
                    let s1 = s.node(t).succ[0];
                    if between(t, p, s1) {
                        Ok(())
                    } else {
                        Err(why!(
                            "{} is no longer between {} and its successor {}",
                            name(p),
                            name(t),
                            name(s1)
                        ))
                    }
                }
                _ => Err(why!("{} is not stabilizing", name(t))),
            }
        }
        Action::Rectify(r) => {
            need_member(r)?;
            match s.node(r).status {
                Some(Status::Rectifying(_)) => Ok(()),
                _ => Err(why!("{} has not been told to rectify", name(r))),
            }
        }
        Action::Notified { .. } | Action::Flush(_) | Action::Update(_) | Action::Reconcile(_) => {
            Err(why!("this event belongs to the `original` variants"))
        }
    }
}

fn describe(st: Status) -> String {
    match st {
        Status::Stabilizing(p) => format!("stabilizing with {}", name(p)),
        Status::Rectifying(q) => format!("rectifying with {}", name(q)),
    }
}

/// `x` followed by x's successor list, cut to `r`.
fn adopt(s: &State, x: Node, r: usize) -> SuccList {
    let mut list = SuccList::new();
    list.push(x);
    list.extend(s.node(x).succ.iter().copied().take(r - 1));
    list
}

/// Tells `target` to rectify with `from`. A dead target's state is gone:
/// the message is lost (Zave's Alloy leaves the event undefined there).
/// A live target's current status is overwritten, as in the Alloy `++`.
fn tell_rectify(s: &mut State, target: Node, from: Node) {
    if s.is_member(target) {
        s.node_mut(target).status = Some(Status::Rectifying(from));
    }
}

/// Applies an enabled event.
pub fn apply(s: &mut State, r: usize, a: Action) {
    let count = s.nodes.len() as Node;
    match a {
        Action::Fail(f) => *s.node_mut(f) = Default::default(),
        Action::Join { j, via: m } => {
            let list = s.node(m).succ;
            let js = s.node_mut(j);
            js.succ = list;
            js.prdc = Some(m);
            js.status = None;
        }
        Action::Stabilize(t) => {
            let s1 = s.node(t).succ[0];
            if !s.is_member(s1) {
                let old = &s.node(t).succ;
                let pad = (old[r - 1] + 1) % count;
                let mut list: SuccList = old[1..].iter().copied().collect();
                list.push(pad);
                let first = list[0];
                s.node_mut(t).succ = list;
                tell_rectify(s, first, t);
            } else {
                s.node_mut(t).succ = adopt(s, s1, r);
                let p = s.node(s1).prdc.expect("members of `correct` have a prdc");
                if between(t, p, s1) {
                    s.node_mut(t).status = Some(Status::Stabilizing(p));
                } else {
                    tell_rectify(s, s1, t);
                }
            }
        }
        Action::StabilizePred(t) => {
            let Some(Status::Stabilizing(p)) = s.node(t).status else {
                unreachable!("checked by `check`")
            };
            s.node_mut(t).status = None;
            if s.is_member(p) {
                s.node_mut(t).succ = adopt(s, p, r);
                tell_rectify(s, p, t);
            } else {
                let s1 = s.node(t).succ[0];
                tell_rectify(s, s1, t);
            }
        }
        Action::Rectify(rn) => {
            let Some(Status::Rectifying(q)) = s.node(rn).status else {
                unreachable!("checked by `check`")
            };
            let prdc = s.node(rn).prdc.expect("members of `correct` have a prdc");
            let adopt_q = between(prdc, q, rn) || !s.is_member(prdc);
            let ns = s.node_mut(rn);
            ns.status = None;
            if adopt_q {
                ns.prdc = Some(q);
            }
        }
        Action::Notified { .. } | Action::Flush(_) | Action::Update(_) | Action::Reconcile(_) => {
            unreachable!("checked by `check`")
        }
    }
}

/// Every event that might be enabled, in a fixed order.
pub fn candidates(s: &State, out: &mut Vec<Action>) {
    for f in s.ids() {
        out.push(Action::Fail(f));
    }
    for j in s.ids() {
        for via in s.ids() {
            out.push(Action::Join { j, via });
        }
    }
    for t in s.ids() {
        out.extend([
            Action::Stabilize(t),
            Action::StabilizePred(t),
            Action::Rectify(t),
        ]);
    }
}

/// The Ideal ring on `members` (sorted): each list is the chain of the
/// next r members, each prdc the previous member.
pub fn ideal_ring(count: usize, members: &[Node], r: usize) -> State {
    let k = members.len();
    let mut nodes: PerNode<NodeState> = (0..count).map(|_| NodeState::default()).collect();
    for (i, &m) in members.iter().enumerate() {
        let ns = &mut nodes[m as usize];
        ns.succ = (1..=r).map(|d| members[(i + d) % k]).collect();
        ns.prdc = Some(members[(i + k - 1) % k]);
    }
    State {
        nodes,
        notify: PerNode::new(),
    }
}
