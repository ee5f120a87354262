//! The named properties, transcribed from Zave's Alloy models: the full
//! model of the original protocol (`chordfull.als`, 2010–2012) and the
//! model of the corrected protocol (TSE 2017, August 2016 model).
//!
//! Node sets are bitsets (`u32`, bit i = n{i}); a model has at most
//! [`MAX_NODES`](super::ring::MAX_NODES) identities.

use super::ring::{between, Node};
use super::state::{State, SuccList};

/// A set of identities.
pub type Set = u32;

fn bit(n: Node) -> Set {
    1 << n
}

fn has(set: Set, n: Node) -> bool {
    set & bit(n) != 0
}

fn elems(set: Set) -> impl Iterator<Item = Node> {
    (0..32)
        .filter(move |&i| set & (1 << i) != 0)
        .map(|i| i as Node)
}

fn members(s: &State) -> Set {
    s.members().fold(0, |acc, n| acc | bit(n))
}

/// `start.^f`: every node reachable from `start` in one or more f-steps.
fn reach(start: Node, f: impl Fn(Node) -> Option<Node>) -> Set {
    let mut seen: Set = 0;
    let mut cur = start;
    while let Some(next) = f(cur) {
        if has(seen, next) {
            break;
        }
        seen |= bit(next);
        cur = next;
    }
    seen
}

fn best(s: &State) -> impl Fn(Node) -> Option<Node> + Copy + '_ {
    move |n| s.best_succ(n)
}

/// Raw `succ` of a member (absent for non-members).
fn raw_succ(s: &State) -> impl Fn(Node) -> Option<Node> + Copy + '_ {
    move |n| s.node(n).succ1()
}

/// Members on a cycle of f.
fn cyclic(s: &State, f: impl Fn(Node) -> Option<Node> + Copy) -> Set {
    elems(members(s))
        .filter(|&n| has(reach(n, f), n))
        .fold(0, |acc, n| acc | bit(n))
}

/// Ring members: members that reach themselves by bestSucc.
pub fn ring_members(s: &State) -> Set {
    cyclic(s, best(s))
}

fn succ_ring_members(s: &State) -> Set {
    cyclic(s, raw_succ(s))
}

// ---- OneOrderedRing, split into the three claimed invariants -----------

pub fn at_least_one_ring(s: &State) -> bool {
    ring_members(s) != 0
}

pub fn at_most_one_ring(s: &State) -> bool {
    let ring = ring_members(s);
    elems(ring).all(|n| reach(n, best(s)) & ring == ring)
}

/// On the ring, no ring member lies between a ring member and its bestSucc.
pub fn ordered_ring(s: &State) -> bool {
    let ring = ring_members(s);
    elems(ring).all(|n1| {
        let n2 = s.best_succ(n1).expect("ring members have a bestSucc");
        // Zave quantifies over *disjoint* n1, n2, n3: a member that is its
        // own bestSucc orders nothing (two such are AtMostOneRing's case).
        n2 == n1 || elems(ring).all(|n3| n3 == n1 || n3 == n2 || !between(n1, n3, n2))
    })
}

pub fn one_ordered_ring(s: &State) -> bool {
    at_least_one_ring(s) && at_most_one_ring(s) && ordered_ring(s)
}

/// Every appendage reaches a ring member by bestSucc.
pub fn connected_appendages(s: &State) -> bool {
    let ring = ring_members(s);
    elems(members(s) & !ring).all(|a| reach(a, best(s)) & ring != 0)
}

/// Along each appendage path into ring member n, no node of the path (or
/// n) lies strictly inside an edge of the path.
pub fn ordered_appendages(s: &State) -> bool {
    let ring = ring_members(s);
    let app = members(s) & !ring;
    // appendSucc: bestSucc restricted to appendage members.
    let asucc = |n: Node| if has(app, n) { s.best_succ(n) } else { None };
    elems(ring).all(|n| {
        let scope = app | bit(n);
        elems(app).filter(|&a1| has(reach(a1, asucc), n)).all(|a1| {
            let Some(a2) = asucc(a1) else { return true };
            let down = reach(a2, asucc);
            elems(scope).all(|a3| {
                if a3 == a1 || a3 == a2 || a1 == a2 {
                    return true;
                }
                let related = has(reach(a3, asucc), a1) || has(down, a3);
                !related || !between(a1, a3, a2)
            })
        })
    })
}

/// With the ring defined by `succ`: where a non-ring member merges into the
/// ring at n3, it lies between the ring member n1 that also points to n3
/// and n3.
pub fn ordered_merges(s: &State) -> bool {
    let ring = succ_ring_members(s);
    let m = members(s);
    elems(m).all(|n1| {
        elems(m).all(|n2| {
            let Some(n3) = s.best_succ(n1) else {
                return true;
            };
            if n1 == n2 || n3 == n1 || n3 == n2 || s.best_succ(n2) != Some(n3) {
                return true;
            }
            !(has(ring, n1) && !has(ring, n2) && has(ring, n3)) || between(n1, n2, n3)
        })
    })
}

/// Antecedents of n: the nodes whose raw succ is n.
fn antecedents(s: &State, n: Node) -> impl Iterator<Item = Node> + '_ {
    s.members().filter(move |&a| s.node(a).succ1() == Some(n))
}

/// If n's successor list skips over member m, m is not the succ2 of any
/// antecedent of n.
pub fn valid_successor_list(s: &State) -> bool {
    s.members().all(|n| {
        let ns = s.node(n);
        let (Some(a), Some(b)) = (ns.succ1(), ns.succ2()) else {
            return true;
        };
        s.members()
            .filter(|&m| m != n && between(a, m, b))
            .all(|m| antecedents(s, n).all(|x| s.node(x).succ2() != Some(m)))
    })
}

/// A member's live predecessor has it as its succ.
pub fn antecedent_predecessors(s: &State) -> bool {
    s.members().all(|n| match s.node(n).prdc {
        Some(p) if s.is_member(p) => s.node(p).succ1() == Some(n),
        _ => true,
    })
}

/// succ2 = succ only on a one-member ring, succ2 = self only on a ring of
/// at most two (ring by `succ`).
pub fn distinct_successors(s: &State) -> bool {
    let ring = succ_ring_members(s);
    s.members().all(|n| {
        let ns = s.node(n);
        let Some(s2) = ns.succ2() else { return true };
        let in_ring = has(ring, n);
        (Some(s2) != ns.succ1() || (ring.count_ones() == 1 && in_ring))
            && (s2 != n || (ring.count_ones() <= 2 && in_ring))
    })
}

/// succ lies between a member and its succ2, unless the `succ` ring is
/// that member alone.
pub fn ordered_successors(s: &State) -> bool {
    let ring = succ_ring_members(s);
    s.members().all(|n| {
        let ns = s.node(n);
        match ns.succ2() {
            None => true,
            Some(s2) => between(n, ns.succ[0], s2) || ring == bit(n),
        }
    })
}

/// A live succ2 is reachable from an appendage; a ring member's live succ2
/// is on the ring or would make an ordered ring if it replaced succ.
pub fn reachable_successor2(s: &State) -> bool {
    let ring = ring_members(s);
    s.members().all(|n| {
        let Some(s2) = s.node(n).succ2().filter(|&x| s.is_member(x)) else {
            return true;
        };
        if !has(ring, n) {
            return has(reach(n, best(s)), s2);
        }
        if has(ring, s2) {
            return true;
        }
        let same = s.node(n).succ1() == Some(s2);
        let alt = |x: Node| {
            if x == n {
                (!same).then_some(s2)
            } else {
                s.best_succ(x)
            }
        };
        let alt_ring = reach(n, alt);
        elems(alt_ring).all(|a1| {
            let Some(a2) = alt(a1) else { return true };
            elems(alt_ring).all(|a3| a3 == a1 || a3 == a2 || a1 == a2 || !between(a1, a3, a2))
        })
    })
}

/// Zave's `Valid`: all of the above.
pub fn valid(s: &State) -> bool {
    one_ordered_ring(s)
        && connected_appendages(s)
        && antecedent_predecessors(s)
        && ordered_appendages(s)
        && ordered_merges(s)
        && distinct_successors(s)
        && ordered_successors(s)
        && valid_successor_list(s)
        && reachable_successor2(s)
}

/// n2 is n1's succ iff n1 is n2's prdc, over members (both variants: it
/// reads only the first successor).
pub fn stable(s: &State) -> bool {
    s.members().all(|n1| {
        s.members()
            .all(|n2| (s.node(n1).succ1() == Some(n2)) == (s.node(n2).prdc == Some(n1)))
    })
}

/// Every member's succ and succ2 are members and succ2 = succ.succ.
pub fn reconciled(s: &State) -> bool {
    s.members().all(|n| {
        let ns = s.node(n);
        let succ = ns.succ[0];
        s.is_member(succ)
            && ns
                .succ2()
                .is_some_and(|s2| s.is_member(s2) && Some(s2) == s.node(succ).succ1())
    })
}

pub fn ideal_original(s: &State) -> bool {
    // Cheapest conjunct first: most states are not even stable.
    stable(s) && reconciled(s) && valid(s)
}

/// Deliberately broken change predicates, for the tests that show each
/// progress property able to fail (one that cannot fail would test nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mutation {
    /// The predicates as Zave wrote them.
    None,
    /// Forget one predicate: ReconciliationWillChangeSuccessor2 (original),
    /// EffectiveRectifyFromSucc (correct).
    ForgetOne,
    /// Claim that stabilizing always changes something.
    AlwaysChange,
}

/// Zave's five change predicates: some repair event would change the ring
/// structure. `fixed` adds the fixed Stabilize's membership test.
pub fn improvable(s: &State, fixed: bool) -> bool {
    improvable_as(s, fixed, Mutation::None)
}

/// [`improvable`], possibly mutated.
pub fn improvable_as(s: &State, fixed: bool, mu: Mutation) -> bool {
    let member = |n: Node| s.is_member(n);
    if mu == Mutation::AlwaysChange && s.member_count() > 0 {
        return true;
    }
    s.members().any(|n| {
        let ns = s.node(n);
        let succ = ns.succ[0];
        let new_succ = s
            .node(succ)
            .prdc
            .filter(|&p| member(succ) && between(n, p, succ) && (!fixed || member(p)));
        // StabilizationWillChangeSuccessor
        let will_change_succ = new_succ.is_some();
        // StabilizationShouldChangePredecessor, for nSucc = new or old succ
        let should_change_prdc = |x: Node| match s.node(x).prdc {
            None => true,
            Some(p) => between(p, n, x),
        };
        let prdc_change =
            new_succ.is_some_and(should_change_prdc) || (member(succ) && should_change_prdc(succ));
        // ReconciliationWillFlushPredecessor
        let flush = ns.prdc.is_some_and(|p| !member(p));
        // ReconciliationWillChangeSuccessor
        let update = !member(succ) && ns.succ2().is_some();
        // ReconciliationWillChangeSuccessor2
        let reconcile = mu != Mutation::ForgetOne && member(succ) && {
            let new2 = s.node(succ).succ[0];
            Some(new2) != ns.succ2() && (new2 != succ || succ == n)
        };
        will_change_succ || prdc_change || flush || update || reconcile
    })
}

/// ValidRingIsImprovable: CoreValid and not Ideal implies improvable.
/// (The disjuncts are pure; the cheap one goes first, as in the next.)
pub fn valid_ring_is_improvable(s: &State, fixed: bool, mu: Mutation) -> bool {
    improvable_as(s, fixed, mu)
        || !(one_ordered_ring(s) && connected_appendages(s))
        || ideal_original(s)
}

/// IdealRingCannotImprove.
pub fn ideal_ring_cannot_improve(s: &State, fixed: bool, mu: Mutation) -> bool {
    !improvable_as(s, fixed, mu) || !ideal_original(s)
}

// ---- the corrected protocol ---------------------------------------------

/// Principals: members that no member's extended successor list skips
/// over between adjacent entries.
pub fn principals(s: &State) -> Vec<Node> {
    s.members()
        .filter(|&p| {
            s.members().all(|m| {
                let list = &s.node(m).succ;
                !between(m, p, list[0]) && list.windows(2).all(|w| !between(w[0], p, w[1]))
            })
        })
        .collect()
}

/// Every member has a bestSucc, and at least r+1 principals.
pub fn invariant(s: &State, r: usize) -> bool {
    s.members().all(|m| s.best_succ(m).is_some()) && principals(s).len() > r
}

/// Each list is in ring order from its owner.
pub fn ordered_successor_lists(s: &State) -> bool {
    s.members().all(|m| {
        let l = &s.node(m).succ;
        let k = l.len();
        (0..k).all(|j| (j + 1..k).all(|q| between(m, l[j], l[q])))
            && (0..k).all(|j| (j + 1..k).all(|q| (q + 1..k).all(|x| between(l[j], l[q], l[x]))))
    })
}

/// No list contains its owner or an entry twice.
pub fn no_duplicates(s: &State) -> bool {
    s.members().all(|m| {
        let l = &s.node(m).succ;
        !l.contains(&m) && (0..l.len()).all(|j| !l[j + 1..].contains(&l[j]))
    })
}

pub fn principals_are_ring_members(s: &State) -> bool {
    let ring = ring_members(s);
    principals(s).into_iter().all(|p| has(ring, p))
}

/// Ideal (correct): Invariant, every member on the ring, `succ[0]`/`prdc`
/// mutual, every list the chain of first successors.
pub fn ideal_correct(s: &State, r: usize) -> bool {
    invariant(s, r)
        && ring_members(s) == members(s)
        && stable(s)
        && s.members().all(|m| {
            let mut x = Some(m);
            s.node(m).succ.iter().all(|&e| {
                x = x.and_then(|y| s.node(y).succ1());
                x == Some(e)
            })
        })
}

/// Zave's four `Effective…IsEnabled` predicates, for member m (no status).
pub fn change_enabled(s: &State, m: Node, mu: Mutation) -> bool {
    let member = |n: Node| s.is_member(n);
    let ms = s.node(m);
    if ms.status.is_some() {
        return false;
    }
    if mu == Mutation::AlwaysChange {
        return true;
    }
    let s1 = ms.succ[0];
    if !member(s1) {
        return true; // EffectiveStabilizeFromSuccessor: drop a dead successor
    }
    let mut fresh = SuccList::from_iter([s1]);
    fresh.extend(s.node(s1).succ[..ms.succ.len() - 1].iter().copied());
    if ms.succ != fresh {
        return true; // EffectiveStabilizeFromSuccessor: list changes
    }
    let p = s.node(s1).prdc.expect("members of `correct` have a prdc");
    if between(m, p, s1) {
        // EffectiveStabilizeFromPredecessor when p is live, and
        // EffectiveRectifyFromPrdc (which covers a dead p): together they
        // hold whenever the successor's predecessor lies between.
        true
    } else {
        // EffectiveRectifyFromSucc
        mu != Mutation::ForgetOne && (between(p, m, s1) || !member(p))
    }
}

fn no_status(s: &State) -> bool {
    s.members().all(|m| s.node(m).status.is_none())
}

pub fn non_ideal_implies_change_enabled(s: &State, r: usize, mu: Mutation) -> bool {
    !(invariant(s, r) && !ideal_correct(s, r) && no_status(s))
        || s.members().any(|m| change_enabled(s, m, mu))
}

pub fn ideal_implies_no_change_enabled(s: &State, r: usize, mu: Mutation) -> bool {
    let applies = invariant(s, r) && ideal_correct(s, r) && no_status(s);
    !applies || !s.members().any(|m| change_enabled(s, m, mu))
}
