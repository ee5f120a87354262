//! # Chord ring maintenance
//!
//! Chord (Stoica et al., SIGCOMM 2001; ToN 2003) keeps its nodes on a ring
//! ordered by identifier: each node points to its successor, keeps a short
//! list of further successors to survive failures, and a predecessor. The
//! PODC 2002 full version claims seven invariants of ring maintenance.
//! Pamela Zave showed with Alloy ("Using lightweight modeling to understand
//! Chord", SIGCOMM CCR 42(2), 2012) that **not one of them is an
//! invariant**, and later gave a corrected protocol with an inductive
//! invariant ("Reasoning about identifier spaces: How to make Chord
//! correct", IEEE TSE 43(12), 2017).
//!
//! This model follows `shared/specs/chord.md`, which transcribes both of
//! Zave's Alloy models; the properties in [`properties`] are her
//! predicates, one for one. Three variants share one state shape
//! ([`state::State`]):
//!
//! * `original`: successor list of two (`succ`, `succ2`), `prdc`; events
//!   join, stabilize, notified, fail, flush, update, reconcile
//!   ([`original`]). Initially n0 alone, its own successor.
//! * `original-fixed`: the same with Zave's two "straightforward bug
//!   fixes" (Join and Stabilize adopt only live successors).
//! * `correct`: successor lists of exactly r entries, statuses for the
//!   two-phase stabilization, and rectify ([`correct`]). Initially every
//!   Ideal ring of `ring` members (default r+1).
//!
//! ## Keeping the state space finite without hiding behaviour
//!
//! * Identities are finite (`nodes`) and a failed node may join again, so
//!   the set of node states is finite.
//! * Notifications (original): a stabilizing node notifies its successor
//!   and the notification is in flight until `notified` delivers it. As in
//!   Zave's Promela model, where stabilize-then-notify are consecutive
//!   steps of one process, a node does not stabilize again while its own
//!   notification is pending: at most one per sender (`notify[p]`). This
//!   loses no ring state: a second notification from p carries the same
//!   payload (p) to a successor that the first one's delivery could only
//!   have made no worse, and any interleaving of deliveries with other
//!   events is still explored, since delivery is its own event.
//! * Statuses (correct) hold one saved node each; that is all the protocol
//!   keeps.
//!
//! ## Properties and what we expect
//!
//! Each variant lists its properties with the verdict the literature leads
//! us to expect ([`ChordModel::expectations`]); `overlay check` compares.
//! Progress is checked as safety over every reachable state: Zave's change
//! predicates (ValidRingIsImprovable / IdealRingCannotImprove;
//! NonIdealImpliesChangeEnabled / IdealImpliesNoChangeEnabled), and our
//! stronger **Repairable**: from the state, repair steps alone (every event
//! but join and fail) reach an Ideal state.
//!
//! ## Deviations from Zave's Alloy, on purpose
//!
//! * `correct`, dead first successor: the list is padded with the identity
//!   that follows the old last entry *around the ring* (Alloy's
//!   `util/ordering` `next` does not wrap, which leaves the event undefined
//!   when the last entry is the largest identity).
//! * `correct`: telling a dead node to rectify loses the message (in Alloy
//!   the event would be undefined, which would block the sender forever).
//! * `correct`, StabilizeFromPredecessor with a dead saved node: t's first
//!   successor is told to rectify, as the spec and the TSE paper say (the
//!   Alloy text, read with `++` binding tighter than `-`, drops that).
//! * ValidSuccessorList with no succ2 holds vacuously; Alloy's
//!   `Between[n.succ, m, none]` would reduce to `lt[n.succ, m]`, an
//!   artefact of `util/ordering` rather than a statement about Chord.
//! * The change predicates of ValidRingIsImprovable come from Zave's
//!   *fixed* model; for `original` a stabilization that adopts a dead
//!   predecessor counts as a change (it is one), so the fixed variant's
//!   membership test applies only to `original-fixed`.
//! * A failed node's pending notification stays in flight (the message was
//!   sent); if the node rejoins before delivery, it cannot stabilize until
//!   the old notification is delivered, and that delivery names it.

pub mod action;
mod compact;
pub mod correct;
mod itf;
pub mod original;
pub mod overlay;
mod packed;
mod paint;
pub mod properties;
pub mod ring;
pub mod state;
pub mod symmetry;

use std::sync::Arc;

use stateright::{Model, Property};

pub use action::{Action, Pattern};
pub use ring::Node;
pub use state::{NodeState, PerNode, State, SuccList};

use crate::check::liveness::{Fair, Liveness, LivenessModel};
use crate::check::{always, infos, Expect, PropertyInfo, Switch};
use properties as p;

/// The protocol variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    Original,
    OriginalFixed,
    Correct,
}

impl Variant {
    pub const ALL: [Variant; 3] = [Variant::Original, Variant::OriginalFixed, Variant::Correct];

    pub fn name(self) -> &'static str {
        match self {
            Variant::Original => "original",
            Variant::OriginalFixed => "original-fixed",
            Variant::Correct => "correct",
        }
    }

    pub fn about(self) -> &'static str {
        match self {
            Variant::Original => "the protocol as published (successor list of 2)",
            Variant::OriginalFixed => "as published, with Zave's two straightforward bug fixes",
            Variant::Correct => "Zave's corrected protocol (TSE 2017), successor list of r",
        }
    }

    pub fn parse(name: &str) -> Option<Variant> {
        Variant::ALL.into_iter().find(|v| v.name() == name)
    }
}

/// Parameters of one Chord model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub variant: Variant,
    /// N: identities n0 … n(N-1).
    pub nodes: usize,
    /// r: successor-list length (2 in the original protocol).
    pub succ_list: usize,
    /// `correct` only: members of the initial Ideal ring.
    pub ring: usize,
    /// `correct` only: the failure precondition that keeps r+1 principals.
    /// Off only for the negative control.
    pub guard: bool,
}

impl Config {
    /// Defaults of a variant.
    pub fn new(variant: Variant) -> Config {
        let succ_list = if variant == Variant::Correct { 3 } else { 2 };
        Config {
            variant,
            nodes: if variant == Variant::Correct { 5 } else { 3 },
            succ_list,
            ring: succ_list + 1,
            guard: true,
        }
    }

    /// Checks that the parameters make a model.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=ring::MAX_NODES).contains(&self.nodes) {
            return Err(format!(
                "nodes must be between 1 and {}, not {}",
                ring::MAX_NODES,
                self.nodes
            ));
        }
        match self.variant {
            Variant::Original | Variant::OriginalFixed => {
                if self.succ_list != 2 {
                    return Err(format!(
                        "succ-list is 2 in the {} protocol (succ and succ2), not {}",
                        self.variant.name(),
                        self.succ_list
                    ));
                }
            }
            Variant::Correct => {
                if !(1..=self.nodes).contains(&self.succ_list) {
                    return Err(format!(
                        "succ-list must be between 1 and nodes ({}), not {}",
                        self.nodes, self.succ_list
                    ));
                }
                if !(1..=self.nodes).contains(&self.ring) {
                    return Err(format!(
                        "ring must be between 1 and nodes ({}), not {}",
                        self.nodes, self.ring
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The Chord model: a [`Config`] plus a memo of Repairable verdicts shared
/// by the checker's threads.
#[derive(Clone)]
pub struct ChordModel {
    pub cfg: Config,
    repair_memo: Arc<crate::check::repair::Memo>,
    halt: Switch,
    symmetric: Switch,
}

impl ChordModel {
    pub fn new(cfg: Config) -> Result<ChordModel, String> {
        cfg.validate()?;
        Ok(ChordModel {
            cfg,
            repair_memo: Default::default(),
            halt: Switch::default(),
            symmetric: Switch::default(),
        })
    }

    /// Every event that might be enabled in `s`, in the variant's fixed
    /// order (the checker's paths are indices into it).
    pub(crate) fn candidates_into(&self, s: &State, out: &mut Vec<Action>) {
        match self.cfg.variant {
            Variant::Correct => correct::candidates(s, out),
            _ => original::candidates(s, out),
        }
    }

    fn fixed(&self) -> bool {
        self.cfg.variant == Variant::OriginalFixed
    }

    fn r(&self) -> usize {
        self.cfg.succ_list
    }

    /// Why `a` is not enabled in `s` (in words), or `Ok`.
    pub fn explain(&self, s: &State, a: Action) -> Result<(), String> {
        crate::check::explain::explained(|| self.check_action(s, a))
    }

    /// Whether `a` is enabled in `s`; the reason is empty unless asked
    /// for through [`ChordModel::explain`].
    pub fn check_action(&self, s: &State, a: Action) -> Result<(), String> {
        let nodes = self.cfg.nodes as Node;
        let named = match a {
            Action::Join { j, via } => j.max(via),
            Action::Notified { n, from } => n.max(from),
            Action::Stabilize(n)
            | Action::Fail(n)
            | Action::Flush(n)
            | Action::Update(n)
            | Action::Reconcile(n)
            | Action::StabilizePred(n)
            | Action::Rectify(n) => n,
        };
        if named >= nodes {
            return Err(why!("the model has nodes n0 … n{}", nodes - 1));
        }
        match self.cfg.variant {
            Variant::Correct => correct::check(s, self.r(), self.cfg.guard, a),
            _ => original::check(s, self.fixed(), a),
        }
    }

    /// Applies `a`, which must be enabled.
    pub fn apply(&self, s: &State, a: Action) -> State {
        let mut t = *s;
        self.apply_in_place(&mut t, a);
        t
    }

    /// [`ChordModel::apply`] on `s` itself (one copy fewer per successor).
    pub fn apply_in_place(&self, s: &mut State, a: Action) {
        match self.cfg.variant {
            Variant::Correct => correct::apply(s, self.r(), a),
            _ => original::apply(s, self.fixed(), a),
        }
    }

    /// Ideal, in the variant's sense.
    pub fn is_ideal(&self, s: &State) -> bool {
        match self.cfg.variant {
            Variant::Correct => p::ideal_correct(s, self.r()),
            _ => p::ideal_original(s),
        }
    }

    /// The enabled events of `s`, repair steps only when `repair_only`.
    pub fn enabled(&self, s: &State, repair_only: bool, out: &mut Vec<Action>) {
        let start = out.len();
        self.candidates_into(s, out);
        // Filtered in place. This runs for every state the checker
        // expands, so two shortcuts: candidates name only the model's
        // nodes (no range check), and a join needs a non-member joining
        // through a member (both variants' first test; most joins fail it).
        let mut kept = start;
        for k in start..out.len() {
            let a = out[k];
            let ok = match a {
                _ if repair_only && !a.is_repair() => false,
                Action::Join { j, via } if s.is_member(j) || !s.is_member(via) => false,
                _ => match self.cfg.variant {
                    Variant::Correct => correct::check(s, self.r(), self.cfg.guard, a).is_ok(),
                    _ => original::check(s, self.fixed(), a).is_ok(),
                },
            };
            if ok {
                out[kept] = a;
                kept += 1;
            }
        }
        out.truncate(kept);
    }

    pub(crate) fn halt_flag(&self) -> &Switch {
        &self.halt
    }

    pub(crate) fn symmetry_flag(&self) -> &Switch {
        &self.symmetric
    }

    /// `s`, or its rotation class's representative when reducing.
    fn reduce(&self, s: State) -> State {
        if self.symmetric.is_on() {
            symmetry::canonical(&s)
        } else {
            s
        }
    }

    /// Repairable: from `s`, repair steps alone reach an Ideal state.
    pub fn repairable(&self, s: &State) -> bool {
        self.repair_memo.repairable(self, s)
    }

    /// The properties of this variant with their expected verdicts, in the
    /// order of [`Model::properties`].
    pub fn expectations(&self) -> Vec<PropertyInfo> {
        infos(table(self.cfg.variant), |name| {
            expected(self.cfg.variant, name)
        })
    }
}

type Row = crate::check::Row<ChordModel>;

const fn row(
    name: &'static str,
    holds: fn(&ChordModel, &State) -> bool,
    about: &'static str,
) -> Row {
    Row::new(name, holds, about)
}

/// The verdict we expect, from the literature where it speaks (see the
/// README's results for which expectations our checker established).
fn expected(v: Variant, property: &str) -> Expect {
    use Expect::{Holds, Violated};
    match (v, property) {
        (Variant::Correct, _) => Holds,
        (_, "ValidRingIsImprovable" | "IdealRingCannotImprove") => Holds,
        _ => Violated,
    }
}

/// The seven invariants claimed in the PODC 2002 full version (Zave:
/// none is an invariant), Zave's four additions, and progress.
static ORIGINAL: [Row; 14] = [
    row(
        "AtLeastOneRing",
        |_, s| p::at_least_one_ring(s),
        "some member reaches itself by bestSucc",
    ),
    row(
        "AtMostOneRing",
        |_, s| p::at_most_one_ring(s),
        "every ring member reaches every other",
    ),
    row(
        "OrderedRing",
        |_, s| p::ordered_ring(s),
        "no ring member lies between a ring member and its bestSucc",
    ),
    row(
        "ConnectedAppendages",
        |_, s| p::connected_appendages(s),
        "every appendage reaches a ring member",
    ),
    row(
        "OrderedAppendages",
        |_, s| p::ordered_appendages(s),
        "appendage paths into the ring are ordered",
    ),
    row(
        "OrderedMerges",
        |_, s| p::ordered_merges(s),
        "an appendage merges into the (succ) ring in order",
    ),
    row(
        "ValidSuccessorList",
        |_, s| p::valid_successor_list(s),
        "a member skipped by n's list is no antecedent's succ2",
    ),
    row(
        "AntecedentPredecessors",
        |_, s| p::antecedent_predecessors(s),
        "a live prdc has the node as its succ",
    ),
    row(
        "DistinctSuccessors",
        |_, s| p::distinct_successors(s),
        "succ2 repeats succ or self only on tiny rings",
    ),
    row(
        "OrderedSuccessors",
        |_, s| p::ordered_successors(s),
        "succ lies between a member and its succ2",
    ),
    row(
        "ReachableSuccessor2",
        |_, s| p::reachable_successor2(s),
        "a live succ2 is reachable or would keep the ring ordered",
    ),
    row(
        "ValidRingIsImprovable",
        |m, s| p::valid_ring_is_improvable(s, m.fixed(), p::Mutation::None),
        "one ordered ring, connected, not Ideal: some repair changes it",
    ),
    row(
        "IdealRingCannotImprove",
        |m, s| p::ideal_ring_cannot_improve(s, m.fixed(), p::Mutation::None),
        "Ideal: no repair step changes it",
    ),
    row(
        "Repairable",
        |m, s| m.repairable(s),
        "repair steps alone can reach Ideal",
    ),
];

static CORRECT: [Row; 9] = [
    row(
        "Invariant",
        |m, s| p::invariant(s, m.r()),
        "every member has a bestSucc; at least r+1 principals",
    ),
    row(
        "OrderedSuccessorLists",
        |_, s| p::ordered_successor_lists(s),
        "every successor list is in ring order",
    ),
    row(
        "NoDuplicates",
        |_, s| p::no_duplicates(s),
        "no list holds its owner or an entry twice",
    ),
    row(
        "PrincipalsAreRingMembers",
        |_, s| p::principals_are_ring_members(s),
        "every principal is on the ring",
    ),
    row(
        "OneOrderedRing",
        |_, s| p::one_ordered_ring(s),
        "exactly one ring, and it is ordered",
    ),
    row(
        "ConnectedAppendages",
        |_, s| p::connected_appendages(s),
        "every appendage reaches a ring member",
    ),
    row(
        "NonIdealImpliesChangeEnabled",
        |m, s| p::non_ideal_implies_change_enabled(s, m.r(), p::Mutation::None),
        "Invariant, idle, not Ideal: some effective operation is enabled",
    ),
    row(
        "IdealImpliesNoChangeEnabled",
        |m, s| p::ideal_implies_no_change_enabled(s, m.r(), p::Mutation::None),
        "Ideal and idle: no effective operation is enabled",
    ),
    row(
        "Repairable",
        |m, s| m.repairable(s),
        "repair steps alone can reach Ideal",
    ),
];

fn table(v: Variant) -> &'static [Row] {
    match v {
        Variant::Original | Variant::OriginalFixed => &ORIGINAL,
        Variant::Correct => &CORRECT,
    }
}

impl ChordModel {
    /// The initial states, unreduced.
    fn concrete_init_states(&self) -> Vec<State> {
        let n = self.cfg.nodes;
        match self.cfg.variant {
            Variant::Correct => subsets(n, self.cfg.ring)
                .into_iter()
                .map(|members| correct::ideal_ring(n, &members, self.r()))
                .collect(),
            _ => {
                let mut s = State {
                    nodes: (0..n).map(|_| NodeState::default()).collect(),
                    notify: (0..n).map(|_| None).collect(),
                };
                s.nodes[0].succ = SuccList::from_iter([0]);
                vec![s]
            }
        }
    }
}

impl Model for ChordModel {
    type State = State;
    type Action = Action;

    fn init_states(&self) -> Vec<State> {
        let mut out: Vec<State> = Vec::new();
        for s in self.concrete_init_states() {
            let s = self.reduce(s);
            if !out.contains(&s) {
                out.push(s);
            }
        }
        out
    }

    fn actions(&self, s: &State, out: &mut Vec<Action>) {
        self.enabled(s, false, out)
    }

    fn next_state(&self, s: &State, a: Action) -> Option<State> {
        let mut t = *s;
        self.apply_in_place(&mut t, a);
        if self.symmetric.is_on() {
            t = symmetry::canonical(&t);
        }
        Some(t)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        always(table(self.cfg.variant))
    }

    fn format_action(&self, a: &Action) -> String {
        a.to_string()
    }

    /// The ring picture of the path's last state (Chord's
    /// [`crate::paint::Painter`]), with the last step's changes marked, so
    /// that the explorer shows a picture of every state it visits.
    fn as_svg(&self, path: stateright::Path<State, Action>) -> Option<String> {
        crate::paint::explorer_svg(self, path)
    }

    /// Everything is within bounds until a timeout halts the check.
    fn within_boundary(&self, _: &State) -> bool {
        !self.halt.is_on()
    }
}

/// Liveness under fairness ([`crate::check::liveness`]), checked by
/// `overlay check chord --liveness`.
///
/// **EventuallyIdeal**: from any reachable state, once churn stops (only
/// repair events from then on) and every repair event is strongly fair —
/// each node's stabilize, stabilize-pred, rectify, flush, update and
/// reconcile, and each pending notification's delivery, if enabled
/// infinitely often, is taken infinitely often — the ring becomes Ideal.
/// Repairable says that repair *can* reach Ideal; this says that fair
/// repair *must*. Strong rather than weak fairness, the strongest
/// event-level assumption, so that a violation is the protocol's and not
/// a too-weak assumption's: in `correct` a node cannot stabilize while
/// another node's rectify request is pending at it, so under weak
/// fairness other nodes can keep it from ever stabilizing.
///
/// Violated in every variant, which is what our checks established (the
/// literature speaks of progress only as "a change is enabled", which the
/// safety properties check): `original` and `original-fixed` get stuck or
/// cycle (Repairable already fails there); in `correct` a node's status
/// holds one pending request and a new one overwrites it (the Alloy `++`),
/// so a fair schedule can lose a new member's rectify request forever —
/// after `join n3 via n2` (N=4, r=2), n2's stabilization overwrites n3's
/// request at n0 before n0 serves it, round after round
/// (`models/tests/liveness.rs` pins the lassos).
impl LivenessModel for ChordModel {
    fn liveness(&self) -> Vec<Liveness<Self>> {
        vec![
            Liveness::eventually("EventuallyIdeal", |m: &Self, s| m.is_ideal(s))
                .tail(|_, a| a.is_repair())
                .fair(|_, a| a.is_repair().then(|| Fair::strong(a.to_string())))
                .expect(Expect::Violated)
                .about("no more churn, strongly fair repair: the ring becomes Ideal"),
        ]
    }
}

/// Every `k`-element subset of `0..n`, in lexicographic order.
fn subsets(n: usize, k: usize) -> Vec<Vec<Node>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    fn go(start: usize, n: usize, k: usize, cur: &mut Vec<Node>, out: &mut Vec<Vec<Node>>) {
        if cur.len() == k {
            out.push(cur.clone());
            return;
        }
        for i in start..n {
            cur.push(i as Node);
            go(i + 1, n, k, cur, out);
            cur.pop();
        }
    }
    go(0, n, k, &mut cur, &mut out);
    out
}

/// Every state reachable within `limit` visits, by depth-first search
/// (unit tests of the state's encodings and symmetry walk these).
#[cfg(test)]
pub(crate) fn reachable(m: &ChordModel, limit: usize) -> std::collections::BTreeSet<State> {
    let mut seen = std::collections::BTreeSet::new();
    let mut todo = m.init_states();
    let mut acts = Vec::new();
    while let Some(s) = todo.pop() {
        if seen.len() >= limit || !seen.insert(s) {
            continue;
        }
        acts.clear();
        m.actions(&s, &mut acts);
        todo.extend(acts.iter().map(|&a| m.apply(&s, a)));
    }
    seen
}

/// Repairable's search (`check::repair`): the repair steps and the goal.
impl crate::check::repair::Repair for ChordModel {
    fn repaired(&self, s: &State) -> bool {
        self.is_ideal(s)
    }
    fn repair_steps(&self, s: &State, out: &mut Vec<Action>) {
        self.enabled(s, true, out)
    }
    fn repair(&self, s: &State, a: &Action) -> State {
        self.apply(s, *a)
    }
}
