//! Liveness under fairness: "eventually Q" and "P leads to Q" judged on
//! the infinite runs of the explored state graph, with lasso
//! counterexamples.
//!
//! # Why not Stateright's `eventually`
//!
//! Stateright 0.31 judges `Property::eventually` on terminal paths only: a
//! run that cycles forever without reaching its goal is never reported
//! (`models/tests/liveness.rs` shows it on a three-state toy). Nor can it
//! say "provided every node keeps stabilizing", which is what a protocol's
//! progress claim needs. This module checks the real thing.
//!
//! # What is checked
//!
//! A [`Liveness`] property names a goal Q, optionally a trigger P (absent:
//! every state), the **tail** actions (the only actions allowed once the
//! environment has gone quiet — for Chord, the repair events: no more joins
//! or failures) and a **fairness family** ([`Fair`], weak or strong) for
//! each tail action that is fairly scheduled. A run violates the property
//! when it reaches some state s_k where P holds and from s_k on takes tail
//! actions only, never visits a Q state (s_k included), and is fair. The
//! property holds when no reachable run violates it. With P absent this is
//! "from wherever churn stops, every fair run reaches Q": any reachable
//! state may be the last one touched by churn.
//!
//! **Runs** are infinite sequences of transitions. A state with no enabled
//! tail action is extended by stuttering in place forever (a *stuck*
//! state: every family is disabled there, so the stutter is fair); a state
//! with some enabled tail action must take one (there is no stuttering
//! where the model can move, as in Stateright).
//!
//! **Fairness** of a family F, where F is *enabled* in a state when the
//! model offers one of its actions there and `next_state` gives a
//! successor (whatever it is: a Q state, or one outside the explored
//! region, still counts):
//! * weak (justice): if from some point on F is enabled in every state,
//!   actions of F are taken infinitely often;
//! * strong (compassion): if F is enabled infinitely often, actions of F
//!   are taken infinitely often.
//!
//! Tail actions with no family are not fairly scheduled: a run may ignore
//! them forever.
//!
//! # The algorithm
//!
//! 1. **Explore** the reachable graph breadth-first from the initial states
//!    (all actions), numbering states in discovery order, and store its
//!    edges with their actions (compressed rows), each state's BFS parent
//!    and depth. States themselves are kept only in the dedup map during the
//!    search and are recomputed for a counterexample by replaying actions.
//! 2. For each property, **restrict** to G: the expanded states where Q is
//!    false, with their tail edges between such states; with a trigger P,
//!    further to the part of G reachable inside G from a P state.
//! 3. **Strongly connected components** of G (Tarjan's algorithm, with an
//!    explicit stack so that deep graphs cannot overflow the thread stack).
//! 4. Judge each SCC S that has a cycle (more than one state, or a
//!    self-loop), taking "F is taken in S" to mean that some edge with both
//!    ends in S is labelled F:
//!    * if a weak family is enabled in *every* state of S and not taken in
//!      S, S holds no fair cycle: drop it;
//!    * else, if every strong family enabled *somewhere* in S is taken in
//!      S, S is **fair**;
//!    * else drop from S every state where such an untaken strong family
//!      is enabled, split the rest into SCCs again, and judge those
//!      (the Emerson–Lei refinement; each round removes a state, so it
//!      ends).
//! 5. The property is **violated** iff some region is fair, or G has a
//!    stuck state.
//!
//! Why step 4 is exact. (Fair ⇒ a fair run.) A fair S is strongly
//! connected with a cycle, so one closed walk C passes through every state
//! and edge of S; for a weak F, either some state of C has F disabled or C
//! takes the F edge inside S; a strong F enabled anywhere on C is taken by
//! C. So C repeated forever is fair. (A fair run ⇒ found.) A run that
//! stays in a finite graph ends up visiting exactly a set L of states
//! infinitely often, L strongly connected through the edges it takes
//! infinitely often, and L lies inside one SCC. If a weak F is enabled
//! throughout an SCC and never taken in it, it is so throughout L: the
//! run is unfair, so dropping the SCC loses nothing. A state where an
//! untaken strong F is enabled cannot be in L (F would be enabled
//! infinitely often and never taken), so dropping it loses nothing, and L
//! then lies in one SCC of the rest; induction on the refinement.
//! Weak fairness alone never needs the refinement: the first test decides.
//!
//! **Self-loops** (an action whose next state is the state itself, as a
//! Stateright model may have) are edges like any other: they make a
//! single-state SCC cyclic, and they count as taking their family. So a
//! state whose only cycle is a self-loop labelled `a` is a fair region
//! exactly when every fair family enabled there is `a`'s own; if another
//! fair family is enabled there, looping on `a` forever is unfair, and
//! the loop is no counterexample.
//!
//! # The counterexample: a lasso
//!
//! The prefix is shortest: among the states where a violating run can
//! start (every state of G without a trigger; P states with one), the
//! search takes the one minimising BFS depth plus the distance inside G to
//! a fair region (or stuck state) — for "eventually", simply the
//! shallowest state of a fair region. The loop starts at the state where
//! the prefix enters that region and is built greedily inside it: walk
//! (shortest paths within the region) to the nearest state or edge that
//! discharges an open obligation — a weak family enabled at every state
//! visited so far and not yet taken, a strong family enabled at some state
//! visited and not yet taken — until none is left, then return to the
//! entry state (and go on if the way back opened new obligations). It is
//! fair by construction and short, but not always the shortest fair loop.
//! A stuck state's loop has no events; when the shortest lasso is one,
//! the search also reports the shortest with a loop of events (a
//! livelock), if any. [`check_lasso`] re-verifies a lasso independently of
//! the search, and the replay of a lasso trace ([`replay_lasso`]) uses it.
//!
//! # Memory and scope
//!
//! During the search: the dedup map (one state plus a 4-byte index per
//! state, plus hash-table overhead) and the BFS frontier. Kept afterwards:
//! per state 13 bytes (parent state, parent edge, depth, a flag) plus two
//! bytes per property, and per edge 4 bytes plus the action (3 bytes for
//! Chord); the property being analysed adds about 8 bytes per edge and 50
//! per state. Chord `original` at N=3 (255,506 states, 1.5 M edges) peaks at
//! about 120 MB. This is a checker for small scopes, like the rest of
//! `check`; indices are 32-bit.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::fmt;
use std::hash::Hash;
use std::time::{Duration, Instant};

use stateright::Model;

use super::replay::{replay_path, ReplayError};
use super::run::Verdict;
use super::runner::{base_meta, to_trace};
use super::{model_args, Expect, OverlayModel, PropertyInfo};
use crate::trace::Trace;

/// A state predicate, as Stateright's properties take them.
pub type StatePred<M> = fn(&M, &<M as Model>::State) -> bool;
/// Which actions may run once the environment is quiet.
pub type ActionPred<M> = fn(&M, &<M as Model>::Action) -> bool;
/// The fairness family of a tail action (`None`: not fairly scheduled).
pub type FamilyOf<M> = fn(&M, &<M as Model>::Action) -> Option<Fair>;

/// A fairness family: the actions that share a name (and a kind) are one
/// family. Displays as TLA+ writes it: `WF(name)` or `SF(name)`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fair {
    pub name: String,
    /// Strong fairness (enabled infinitely often ⇒ taken infinitely
    /// often) rather than weak (enabled continuously ⇒ taken).
    pub strong: bool,
}

impl Fair {
    pub fn weak(name: impl Into<String>) -> Fair {
        Fair {
            name: name.into(),
            strong: false,
        }
    }
    pub fn strong(name: impl Into<String>) -> Fair {
        Fair {
            name: name.into(),
            strong: true,
        }
    }
}

impl fmt::Display for Fair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.strong { "SF" } else { "WF" };
        write!(f, "{kind}({})", self.name)
    }
}

/// A liveness property: from every reachable state where `trigger` holds
/// (every state without one), every fair run that takes only `tail`
/// actions reaches a `goal` state. See the module essay for the exact
/// semantics.
pub struct Liveness<M: Model> {
    pub name: &'static str,
    pub about: &'static str,
    pub expect: Expect,
    /// P of "P leads to Q"; `None` for "eventually Q".
    pub trigger: Option<StatePred<M>>,
    /// Q.
    pub goal: StatePred<M>,
    pub tail: ActionPred<M>,
    pub family: FamilyOf<M>,
}

impl<M: Model> Clone for Liveness<M> {
    fn clone(&self) -> Self {
        Liveness { ..*self }
    }
}

impl<M: Model> Liveness<M> {
    /// "Eventually `goal`", over every action, with no fairness: expected
    /// to hold. Refine with the builder methods.
    pub fn eventually(name: &'static str, goal: StatePred<M>) -> Self {
        Liveness {
            name,
            about: "",
            expect: Expect::Holds,
            trigger: None,
            goal,
            tail: |_, _| true,
            family: |_, _| None,
        }
    }

    /// "`trigger` leads to the goal".
    pub fn from(self, trigger: StatePred<M>) -> Self {
        Liveness {
            trigger: Some(trigger),
            ..self
        }
    }

    /// Only these actions once the environment is quiet.
    pub fn tail(self, tail: ActionPred<M>) -> Self {
        Liveness { tail, ..self }
    }

    /// The fairness family of each tail action.
    pub fn fair(self, family: FamilyOf<M>) -> Self {
        Liveness { family, ..self }
    }

    pub fn expect(self, expect: Expect) -> Self {
        Liveness { expect, ..self }
    }

    pub fn about(self, about: &'static str) -> Self {
        Liveness { about, ..self }
    }

    pub fn info(&self) -> PropertyInfo {
        PropertyInfo {
            name: self.name,
            expect: self.expect,
            about: self.about,
        }
    }
}

/// A model with liveness properties. Separate from [`OverlayModel`], like
/// [`crate::paint::Painter`], so that a model opts in where its
/// properties are written; the default has none.
pub trait LivenessModel: OverlayModel {
    fn liveness(&self) -> Vec<Liveness<Self>> {
        Vec::new()
    }
}

/// Budgets of a liveness check. Indices are 32-bit, so a graph of more
/// than 4 G states or edges is refused whatever the budget.
#[derive(Clone, Debug, Default)]
pub struct LivenessOptions {
    /// Stop exploring after this many distinct states.
    pub max_states: Option<usize>,
    pub timeout: Option<Duration>,
    /// Stop exploring when the process's resident memory passes this many
    /// bytes (looked at every 4,096 states).
    pub max_memory: Option<usize>,
}

/// A lasso: `init`, then `steps`; the loop starts at state `loop_start`
/// (0 = `init`) and `closing` leads from the last state back to it. With
/// `closing` `None` the last state is stuck (no tail action is enabled)
/// and the loop is the stutter in place, with no event; `loop_start` is
/// then the last state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lasso<S, A> {
    pub init: S,
    pub steps: Vec<(A, S)>,
    pub loop_start: usize,
    pub closing: Option<A>,
}

impl<S, A> Lasso<S, A> {
    /// Events before the loop.
    pub fn prefix_len(&self) -> usize {
        self.loop_start
    }
    /// Events in the loop (0 for a stuck state).
    pub fn loop_len(&self) -> usize {
        self.steps.len() - self.loop_start + usize::from(self.closing.is_some())
    }
}

/// What the search saw, per property: how much fairness mattered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LivenessStats {
    /// States where a violating run could be (G: not the goal, expanded,
    /// after the trigger).
    pub considered: usize,
    /// SCCs of G with a cycle: runs that avoid the goal forever, fair or
    /// not.
    pub cycles: usize,
    /// Fair regions: fair SCCs, or fair parts of SCCs left by the
    /// refinement for strong fairness.
    pub fair_cycles: usize,
    /// Stuck states of G (no tail action enabled).
    pub stuck: usize,
    /// States of G from which a fair run avoids the goal forever.
    pub doomed: usize,
    /// Fairness families seen on tail edges.
    pub families: usize,
}

/// The outcome for one liveness property.
pub struct LivenessOutcome<P> {
    pub info: PropertyInfo,
    pub verdict: Verdict,
    /// The counterexample with the shortest prefix.
    pub lasso: Option<P>,
    /// When that lasso ends in a stuck state: the one with the shortest
    /// prefix among those whose loop has events (a livelock), if any.
    pub livelock: Option<P>,
    pub stats: LivenessStats,
}

/// The outcome of a liveness check.
pub struct LivenessReport<P> {
    pub unique_states: usize,
    pub transitions: usize,
    /// BFS depth of the deepest state.
    pub max_depth: usize,
    /// Every reachable state was expanded (no budget ran out).
    pub complete: bool,
    pub elapsed: Duration,
    pub properties: Vec<LivenessOutcome<P>>,
}

const NONE: u32 = u32::MAX;
/// Edge label: not a tail action.
const NOT_TAIL: u32 = u32::MAX;
/// Edge label: a tail action with no fairness family.
const UNFAIR: u32 = u32::MAX - 1;

/// The explored graph. States are numbered in BFS discovery order, so
/// depths never decrease with the index.
struct Graph<M: Model> {
    inits: Vec<(u32, M::State)>,
    /// Parent state and the edge from it (`NONE` for initial states).
    parent: Vec<(u32, u32)>,
    depth: Vec<u32>,
    /// Successors were computed (false: budget ran out first, or outside
    /// the model's boundary).
    expanded: Vec<bool>,
    /// Edges of state i: `offsets[i]..offsets[i + 1]` (for expanded
    /// states; unexpanded ones have none).
    offsets: Vec<u32>,
    targets: Vec<u32>,
    actions: Vec<M::Action>,
    /// Per property: Q per state, and P per state.
    goal: Vec<Vec<bool>>,
    trigger: Vec<Vec<bool>>,
    complete: bool,
}

impl<M: Model> Graph<M> {
    fn n(&self) -> usize {
        self.depth.len()
    }
    fn edges(&self, i: u32) -> std::ops::Range<usize> {
        let i = i as usize;
        self.offsets[i] as usize..self.offsets[i + 1] as usize
    }
}

fn index32(n: usize) -> u32 {
    u32::try_from(n)
        .ok()
        .filter(|&i| i < UNFAIR)
        .expect("liveness checks index states and edges with 32 bits")
}

fn explore<M>(m: &M, props: &[Liveness<M>], opts: &LivenessOptions, start: Instant) -> Graph<M>
where
    M: Model,
    M::State: Clone + Hash + Eq,
    M::Action: Clone,
{
    let deadline = opts.timeout.map(|t| start + t);
    let mut g = Graph {
        inits: Vec::new(),
        parent: Vec::new(),
        depth: Vec::new(),
        expanded: Vec::new(),
        offsets: vec![0],
        targets: Vec::new(),
        actions: Vec::new(),
        goal: vec![Vec::new(); props.len()],
        trigger: vec![Vec::new(); props.len()],
        complete: true,
    };
    let mut index: HashMap<M::State, u32> = HashMap::new();
    let mut queue: VecDeque<M::State> = VecDeque::new();
    // Registers a new state; returns its index.
    let discover = |g: &mut Graph<M>, s: &M::State, parent: (u32, u32), depth: u32| {
        let i = index32(g.depth.len());
        g.parent.push(parent);
        g.depth.push(depth);
        for (k, p) in props.iter().enumerate() {
            g.goal[k].push((p.goal)(m, s));
            g.trigger[k].push(p.trigger.is_none_or(|t| t(m, s)));
        }
        i
    };
    for s in m.init_states() {
        if !index.contains_key(&s) {
            let i = discover(&mut g, &s, (NONE, NONE), 0);
            index.insert(s.clone(), i);
            g.inits.push((i, s.clone()));
            queue.push_back(s);
        }
    }
    let mut buf = Vec::new();
    let mut current = 0u32;
    while let Some(s) = queue.pop_front() {
        let over_states = opts.max_states.is_some_and(|n| g.n() > n);
        let over_time =
            current.is_multiple_of(256) && deadline.is_some_and(|d| Instant::now() >= d);
        let over_memory = current.is_multiple_of(4096)
            && opts.max_memory.is_some_and(|limit| {
                super::engine::resident_bytes().is_some_and(|used| used > limit)
            });
        if over_states || over_time || over_memory {
            g.complete = false;
            break;
        }
        let inside = m.within_boundary(&s);
        if inside {
            buf.clear();
            m.actions(&s, &mut buf);
            for a in buf.drain(..) {
                let Some(t) = m.next_state(&s, a.clone()) else {
                    continue;
                };
                let e = index32(g.targets.len());
                let j = match index.get(&t) {
                    Some(&j) => j,
                    None => {
                        let depth = g.depth[current as usize] + 1;
                        let j = discover(&mut g, &t, (current, e), depth);
                        index.insert(t.clone(), j);
                        queue.push_back(t);
                        j
                    }
                };
                g.targets.push(j);
                g.actions.push(a);
            }
        }
        g.expanded.push(inside);
        g.offsets.push(index32(g.targets.len()));
        current += 1;
    }
    // States never expanded have no edges.
    let end = *g.offsets.last().expect("offsets start with 0");
    g.expanded.resize(g.n(), false);
    g.offsets.resize(g.n() + 1, end);
    g
}

/// The graph as one property sees it.
struct View<'g, M: Model> {
    g: &'g Graph<M>,
    /// Per edge: `NOT_TAIL`, `UNFAIR` or a family id.
    label: Vec<u32>,
    /// Per family id.
    families: Vec<Fair>,
    /// Per state: in G.
    inside: Vec<bool>,
}

impl<M: Model> View<'_, M> {
    /// Tail edges inside G out of `v`: (edge, target).
    fn g_edges(&self, v: u32) -> impl Iterator<Item = (usize, u32)> + '_ {
        self.g
            .edges(v)
            .filter(|&e| self.label[e] != NOT_TAIL && self.inside[self.g.targets[e] as usize])
            .map(|e| (e, self.g.targets[e]))
    }

    /// The families enabled at `v`, sorted and distinct.
    fn enabled(&self, v: u32) -> Vec<u32> {
        let mut f: Vec<u32> = self
            .g
            .edges(v)
            .map(|e| self.label[e])
            .filter(|&l| l < UNFAIR)
            .collect();
        f.sort_unstable();
        f.dedup();
        f
    }

    fn strong(&self, f: u32) -> bool {
        self.families[f as usize].strong
    }

    fn stuck(&self, v: u32) -> bool {
        self.g.edges(v).all(|e| self.label[e] == NOT_TAIL)
    }
}

fn view<'g, M: Model>(m: &M, g: &'g Graph<M>, p: &Liveness<M>, k: usize) -> View<'g, M> {
    let mut ids: HashMap<Fair, u32> = HashMap::new();
    let mut families = Vec::new();
    let label = g
        .actions
        .iter()
        .map(|a| {
            if !(p.tail)(m, a) {
                return NOT_TAIL;
            }
            match (p.family)(m, a) {
                None => UNFAIR,
                Some(f) => *ids.entry(f).or_insert_with_key(|f| {
                    families.push(f.clone());
                    index32(families.len() - 1)
                }),
            }
        })
        .collect();
    let mut v = View {
        g,
        label,
        families,
        inside: (0..g.n()).map(|i| g.expanded[i] && !g.goal[k][i]).collect(),
    };
    if p.trigger.is_some() {
        // Only what a violating run can visit: reachable inside G from a
        // state where the trigger holds.
        let mut keep = vec![false; g.n()];
        let mut queue: VecDeque<u32> = (0..g.n())
            .filter(|&i| v.inside[i] && g.trigger[k][i])
            .map(|i| i as u32)
            .collect();
        for &i in &queue {
            keep[i as usize] = true;
        }
        while let Some(u) = queue.pop_front() {
            for (_, w) in v.g_edges(u) {
                if !keep[w as usize] {
                    keep[w as usize] = true;
                    queue.push_back(w);
                }
            }
        }
        v.inside = keep;
    }
    v
}

/// The regions of G: SCCs, refined for strong fairness, and which of them
/// hold a fair cycle.
struct Regions {
    /// Per state: its region (`NONE` outside G, or removed by a
    /// refinement). An edge is inside a region when both ends carry its id.
    region: Vec<u32>,
    /// Per region: weakly and strongly fair (and with a cycle).
    fair: Vec<bool>,
    /// SCCs of G with a cycle, before any refinement.
    cyclic_sccs: usize,
}

/// Tarjan's algorithm over the states of `members` whose region is `id`,
/// following only edges between such states, with an explicit call stack
/// so that deep graphs cannot overflow the thread stack. `order`, `low`
/// and `on_stack` are scratch space for every state, left as found.
fn tarjan<M: Model>(
    v: &View<'_, M>,
    region: &[u32],
    id: u32,
    members: &[u32],
    scratch: &mut (Vec<u32>, Vec<u32>, Vec<bool>),
) -> Vec<Vec<u32>> {
    let (order, low, on_stack) = scratch;
    let mut sccs = Vec::new();
    let mut stack: Vec<u32> = Vec::new();
    // (state, next edge to look at)
    let mut calls: Vec<(u32, usize)> = Vec::new();
    let mut counter = 0u32;
    let inside = |w: u32| region[w as usize] == id;
    for &root in members {
        if !inside(root) || order[root as usize] != NONE {
            continue;
        }
        order[root as usize] = counter;
        low[root as usize] = counter;
        counter += 1;
        stack.push(root);
        on_stack[root as usize] = true;
        calls.push((root, v.g.edges(root).start));
        while let Some(&mut (s, ref mut next)) = calls.last_mut() {
            let end = v.g.edges(s).end;
            let mut child = None;
            while *next < end {
                let e = *next;
                *next += 1;
                let w = v.g.targets[e];
                if v.label[e] == NOT_TAIL || !inside(w) {
                    continue;
                }
                if order[w as usize] == NONE {
                    child = Some(w);
                    break;
                } else if on_stack[w as usize] {
                    low[s as usize] = low[s as usize].min(order[w as usize]);
                }
            }
            if let Some(w) = child {
                order[w as usize] = counter;
                low[w as usize] = counter;
                counter += 1;
                stack.push(w);
                on_stack[w as usize] = true;
                calls.push((w, v.g.edges(w).start));
                continue;
            }
            calls.pop();
            if let Some(&(parent, _)) = calls.last() {
                low[parent as usize] = low[parent as usize].min(low[s as usize]);
            }
            if low[s as usize] == order[s as usize] {
                let mut scc = Vec::new();
                loop {
                    let w = stack.pop().expect("s is on the stack");
                    on_stack[w as usize] = false;
                    scc.push(w);
                    if w == s {
                        break;
                    }
                }
                scc.reverse();
                sccs.push(scc);
            }
        }
    }
    for &w in members {
        order[w as usize] = NONE;
    }
    sccs
}

/// Splits the states of `members` that are in region `id` into SCCs,
/// each a new region; returns the ids of those with a cycle.
fn split<M: Model>(
    v: &View<'_, M>,
    r: &mut Regions,
    sets: &mut Vec<Vec<u32>>,
    id: u32,
    members: &[u32],
    scratch: &mut (Vec<u32>, Vec<u32>, Vec<bool>),
) -> Vec<u32> {
    let mut cyclic = Vec::new();
    for scc in tarjan(v, &r.region, id, members, scratch) {
        let new = index32(sets.len());
        r.fair.push(false);
        for &w in &scc {
            r.region[w as usize] = new;
        }
        if scc.len() > 1 || v.g_edges(scc[0]).any(|(_, w)| w == scc[0]) {
            cyclic.push(new);
        }
        sets.push(scc);
    }
    cyclic
}

/// Finds the fair regions of G: Tarjan's SCCs, each judged as in the
/// module essay; an SCC where a strongly fair family is enabled somewhere
/// but never taken inside loses the states where it is enabled, and what
/// remains is split into SCCs and judged again.
fn regions<M: Model>(v: &View<'_, M>) -> Regions {
    let n = v.g.n();
    let mut r = Regions {
        region: (0..n).map(|i| if v.inside[i] { 0 } else { NONE }).collect(),
        fair: vec![false],
        cyclic_sccs: 0,
    };
    let mut scratch = (vec![NONE; n], vec![0; n], vec![false; n]);
    // Members of each region; region 0 is all of G.
    let mut sets: Vec<Vec<u32>> = vec![Vec::new()];
    let all: Vec<u32> = (0..n as u32).filter(|&i| v.inside[i as usize]).collect();
    let top = split(v, &mut r, &mut sets, 0, &all, &mut scratch);
    r.cyclic_sccs = top.len();
    let mut work: VecDeque<u32> = top.into();
    while let Some(id) = work.pop_front() {
        let members = &sets[id as usize];
        let inside = |w: u32| r.region[w as usize] == id;
        let mut enabled_in: HashMap<u32, usize> = HashMap::new();
        let mut taken: BTreeSet<u32> = BTreeSet::new();
        for &w in members {
            for f in v.enabled(w) {
                *enabled_in.entry(f).or_default() += 1;
            }
            for (e, x) in v.g_edges(w) {
                if inside(x) && v.label[e] < UNFAIR {
                    taken.insert(v.label[e]);
                }
            }
        }
        let weak_fails = enabled_in
            .iter()
            .any(|(&f, &count)| !v.strong(f) && count == members.len() && !taken.contains(&f));
        if weak_fails {
            continue;
        }
        let untaken: BTreeSet<u32> = enabled_in
            .keys()
            .copied()
            .filter(|&f| v.strong(f) && !taken.contains(&f))
            .collect();
        if untaken.is_empty() {
            r.fair[id as usize] = true;
            continue;
        }
        // No fair cycle visits a state where an untaken strong family is
        // enabled: drop those states and look again at what is left.
        let keep: Vec<u32> = members
            .iter()
            .copied()
            .filter(|&w| v.enabled(w).iter().all(|f| !untaken.contains(f)))
            .collect();
        for &w in &sets[id as usize] {
            r.region[w as usize] = NONE;
        }
        for &w in &keep {
            r.region[w as usize] = id;
        }
        work.extend(split(v, &mut r, &mut sets, id, &keep, &mut scratch));
    }
    r
}

/// Shortest path inside region `id` from `from` to the first state or
/// edge `hit` accepts (`hit(None, w)` for reaching state w, `hit(Some(e),
/// w)` for taking edge e to w). Returns the edges.
fn walk<M: Model>(
    v: &View<'_, M>,
    r: &Regions,
    from: u32,
    mut hit: impl FnMut(Option<usize>, u32) -> bool,
) -> Vec<usize> {
    let id = r.region[from as usize];
    let mut pred: HashMap<u32, (u32, usize)> = HashMap::new();
    let mut queue = VecDeque::from([from]);
    let path_to = |pred: &HashMap<u32, (u32, usize)>, mut w: u32| {
        let mut edges = Vec::new();
        while w != from {
            let (u, e) = pred[&w];
            edges.push(e);
            w = u;
        }
        edges.reverse();
        edges
    };
    while let Some(u) = queue.pop_front() {
        for (e, w) in v.g_edges(u) {
            if r.region[w as usize] != id {
                continue;
            }
            if hit(Some(e), w) {
                let mut edges = path_to(&pred, u);
                edges.push(e);
                return edges;
            }
            if w != from && !pred.contains_key(&w) {
                pred.insert(w, (u, e));
                if hit(None, w) {
                    return path_to(&pred, w);
                }
                queue.push_back(w);
            }
        }
    }
    unreachable!("a fair region discharges every family and is strongly connected")
}

/// A fair closed walk through `entry` inside its (fair) region; edges.
///
/// Greedy: keep the weak families enabled at every state visited so far
/// and not yet taken, and the strong families enabled at some state
/// visited and not yet taken; walk to the nearest state or edge that
/// discharges one, until none is left; return to `entry`, and go on if
/// the way back enabled new strong families.
fn fair_cycle<M: Model>(v: &View<'_, M>, r: &Regions, entry: u32) -> Vec<usize> {
    let here = v.enabled(entry);
    let mut weak: BTreeSet<u32> = here.iter().copied().filter(|&f| !v.strong(f)).collect();
    let mut strong: BTreeSet<u32> = here.iter().copied().filter(|&f| v.strong(f)).collect();
    let mut taken: BTreeSet<u32> = BTreeSet::new();
    let mut cycle: Vec<usize> = Vec::new();
    let mut cur = entry;
    loop {
        while !weak.is_empty() || !strong.is_empty() {
            let edges = walk(v, r, cur, |e, w| match e {
                Some(e) => weak.contains(&v.label[e]) || strong.contains(&v.label[e]),
                None => {
                    let here = v.enabled(w);
                    weak.iter().any(|f| here.binary_search(f).is_err())
                }
            });
            for &e in &edges {
                let f = v.label[e];
                if f < UNFAIR {
                    taken.insert(f);
                    weak.remove(&f);
                    strong.remove(&f);
                }
                let here = v.enabled(v.g.targets[e]);
                weak.retain(|f| here.binary_search(f).is_ok());
                strong.extend(here.iter().filter(|&&f| v.strong(f) && !taken.contains(&f)));
            }
            cur = v.g.targets[*edges.last().expect("a walk takes a step")];
            cycle.extend(edges);
        }
        if cur == entry && !cycle.is_empty() {
            return cycle;
        }
        let back = walk(v, r, cur, |e, w| e.is_some() && w == entry);
        for &e in &back {
            let f = v.label[e];
            if f < UNFAIR {
                taken.insert(f);
                strong.remove(&f);
            }
            let here = v.enabled(v.g.targets[e]);
            strong.extend(here.iter().filter(|&&f| v.strong(f) && !taken.contains(&f)));
        }
        cycle.extend(back);
        cur = entry;
        if strong.is_empty() {
            return cycle;
        }
    }
}

/// Whether a violating run can end at `w`: looping in its fair region,
/// or (with `stuck_too`) stuttering in a stuck state.
fn ends<M: Model>(v: &View<'_, M>, r: &Regions, w: u32, stuck_too: bool) -> bool {
    let id = r.region[w as usize];
    (id != NONE && r.fair[id as usize]) || (stuck_too && v.inside[w as usize] && v.stuck(w))
}

/// The shortest prefix to a violating cycle (with `cyclic`, to a fair
/// region: a loop with events, not a stuck state): (prefix edges from an
/// initial state, the initial state's index, the entry state). `None` when
/// there is none.
fn nearest<M: Model>(
    v: &View<'_, M>,
    r: &Regions,
    k: usize,
    cyclic: bool,
) -> Option<(Vec<usize>, u32, u32)> {
    let g = v.g;
    let target = |w: u32| ends(v, r, w, !cyclic);
    // Sources in index order have nondecreasing depth: each starts the
    // search at its own depth (a multi-source BFS with staggered starts).
    let sources: Vec<u32> = (0..g.n())
        .filter(|&i| v.inside[i] && g.trigger[k][i])
        .map(|i| i as u32)
        .collect();
    let mut pred: HashMap<u32, (u32, usize)> = HashMap::new();
    let mut seen = vec![false; g.n()];
    let mut frontier: Vec<u32> = Vec::new();
    let mut next_source = 0;
    let mut level = 0u32;
    let entry = loop {
        while next_source < sources.len() && g.depth[sources[next_source] as usize] <= level {
            let s = sources[next_source];
            if !seen[s as usize] {
                seen[s as usize] = true;
                frontier.push(s);
            }
            next_source += 1;
        }
        if frontier.is_empty() {
            let s = *sources.get(next_source)?;
            level = g.depth[s as usize];
            continue;
        }
        if let Some(&w) = frontier.iter().find(|&&w| target(w)) {
            break w;
        }
        let mut next = Vec::new();
        for &u in &frontier {
            for (e, w) in v.g_edges(u) {
                if !seen[w as usize] {
                    seen[w as usize] = true;
                    pred.insert(w, (u, e));
                    next.push(w);
                }
            }
        }
        frontier = next;
        level += 1;
    };
    // Back to the source through G, then to an initial state through the
    // BFS tree.
    let mut edges = Vec::new();
    let mut w = entry;
    while let Some(&(u, e)) = pred.get(&w) {
        edges.push(e);
        w = u;
    }
    while g.parent[w as usize].0 != NONE {
        let (u, e) = g.parent[w as usize];
        edges.push(e as usize);
        w = u;
    }
    edges.reverse();
    Some((edges, w, entry))
}

/// Rebuilds states by replaying actions from an initial state.
fn lasso<M>(
    m: &M,
    g: &Graph<M>,
    init: u32,
    prefix: &[usize],
    cycle: &[usize],
) -> Lasso<M::State, M::Action>
where
    M: Model,
    M::State: Clone,
    M::Action: Clone,
{
    let init_state = g
        .inits
        .iter()
        .find(|(i, _)| *i == init)
        .expect("the path starts at an initial state")
        .1
        .clone();
    let mut steps: Vec<(M::Action, M::State)> = Vec::new();
    let body = cycle.split_last().map_or(&[][..], |(_, body)| body);
    for &e in prefix.iter().chain(body) {
        let a = g.actions[e].clone();
        let from = steps.last().map_or(&init_state, |(_, s)| s);
        let s = m
            .next_state(from, a.clone())
            .expect("explored actions are enabled");
        steps.push((a, s));
    }
    Lasso {
        init: init_state,
        steps,
        loop_start: prefix.len(),
        closing: cycle.last().map(|&e| g.actions[e].clone()),
    }
}

/// States of G from which a fair region or a stuck state is reachable in
/// G.
fn doomed<M: Model>(v: &View<'_, M>, r: &Regions) -> usize {
    let g = v.g;
    let n = g.n();
    let mut into: Vec<Vec<u32>> = vec![Vec::new(); n];
    for u in 0..n {
        if v.inside[u] {
            for (_, w) in v.g_edges(u as u32) {
                into[w as usize].push(u as u32);
            }
        }
    }
    let mut queue: VecDeque<u32> = (0..n as u32).filter(|&w| ends(v, r, w, true)).collect();
    let mut bad = vec![false; n];
    for &w in &queue {
        bad[w as usize] = true;
    }
    while let Some(w) = queue.pop_front() {
        for &u in &into[w as usize] {
            if !bad[u as usize] {
                bad[u as usize] = true;
                queue.push_back(u);
            }
        }
    }
    bad.iter().filter(|&&b| b).count()
}

/// Checks every property in `props` on one exploration of `m`.
pub fn check<M>(
    m: &M,
    props: &[Liveness<M>],
    opts: &LivenessOptions,
) -> LivenessReport<Lasso<M::State, M::Action>>
where
    M: Model,
    M::State: Clone + Hash + Eq,
    M::Action: Clone,
{
    let start = Instant::now();
    let g = explore(m, props, opts, start);
    let properties = props
        .iter()
        .enumerate()
        .map(|(k, p)| {
            let v = view(m, &g, p, k);
            let r = regions(&v);
            let stuck = (0..g.n())
                .filter(|&i| v.inside[i] && v.stuck(i as u32))
                .count();
            let stats = LivenessStats {
                considered: v.inside.iter().filter(|&&b| b).count(),
                cycles: r.cyclic_sccs,
                fair_cycles: r.fair.iter().filter(|&&b| b).count(),
                stuck,
                doomed: doomed(&v, &r),
                families: v.families.len(),
            };
            let build = |(prefix, init, entry): (Vec<usize>, u32, u32)| {
                let cycle = if v.stuck(entry) {
                    Vec::new()
                } else {
                    fair_cycle(&v, &r, entry)
                };
                lasso(m, &g, init, &prefix, &cycle)
            };
            let found = nearest(&v, &r, k, false).map(build);
            let livelock = match &found {
                Some(l) if l.closing.is_none() => nearest(&v, &r, k, true).map(build),
                _ => None,
            };
            let verdict = match (&found, g.complete) {
                (Some(_), _) => Verdict::Violated,
                (None, true) => Verdict::Holds,
                (None, false) => Verdict::Unknown,
            };
            LivenessOutcome {
                info: p.info(),
                verdict,
                lasso: found,
                livelock,
                stats,
            }
        })
        .collect();
    LivenessReport {
        unique_states: g.n(),
        transitions: g.targets.len(),
        max_depth: g.depth.last().copied().unwrap_or(0) as usize,
        complete: g.complete,
        elapsed: start.elapsed(),
        properties,
    }
}

/// The families of the tail actions enabled in `s`.
fn enabled_families<M: Model>(m: &M, p: &Liveness<M>, s: &M::State) -> BTreeSet<Fair>
where
    M::Action: Clone,
{
    let mut actions = Vec::new();
    m.actions(s, &mut actions);
    actions
        .into_iter()
        .filter(|a| (p.tail)(m, a) && m.next_state(s, a.clone()).is_some())
        .filter_map(|a| (p.family)(m, &a))
        .collect()
}

/// Checks, independently of the search, that a lasso (`states[k + 1]` is
/// `actions[k]` applied to `states[k]`; `closing` leads from the last state
/// back to `states[loop_start]`, or `None` for a stuck last state) is a
/// run that violates `p`: some state at or before the loop where the
/// trigger holds, from which on every action is a tail action and no state
/// is a goal state, and a fair loop. Returns why not.
pub fn check_lasso<M>(
    m: &M,
    p: &Liveness<M>,
    states: &[M::State],
    actions: &[M::Action],
    loop_start: usize,
    closing: Option<&M::Action>,
) -> Result<(), String>
where
    M: Model,
    M::State: PartialEq,
    M::Action: Clone + std::fmt::Debug,
{
    let last = states
        .len()
        .checked_sub(1)
        .ok_or("the lasso has no states")?;
    if actions.len() != last {
        return Err("the lasso needs one action per step".into());
    }
    if loop_start > last {
        return Err(format!(
            "the loop starts at state {loop_start}, past the last state {last}"
        ));
    }
    for (k, a) in actions.iter().enumerate() {
        if m.next_state(&states[k], a.clone()).as_ref() != Some(&states[k + 1]) {
            return Err(format!("step {}: {a:?} does not lead there", k + 1));
        }
    }
    let mut cycle: Vec<&M::Action> = actions[loop_start..].iter().collect();
    match closing {
        Some(a) => {
            if m.next_state(&states[last], a.clone()).as_ref() != Some(&states[loop_start]) {
                return Err(format!(
                    "the loop does not close: {a:?} does not lead from state {last} back to state {loop_start}"
                ));
            }
            cycle.push(a);
        }
        None => {
            if loop_start != last {
                return Err("a loop of more than one state needs a closing action".into());
            }
            if let Some(a) = {
                let mut v = Vec::new();
                m.actions(&states[last], &mut v);
                v.into_iter()
                    .find(|a| (p.tail)(m, a) && m.next_state(&states[last], a.clone()).is_some())
            } {
                return Err(format!(
                    "the last state is not stuck: {a:?} is enabled there, so it cannot stutter forever"
                ));
            }
        }
    }
    if let Some(a) = cycle.iter().find(|a| !(p.tail)(m, a)) {
        return Err(format!(
            "the loop takes {a:?}, which is not allowed once the environment is quiet"
        ));
    }
    if let Some(k) = (loop_start..=last).find(|&k| (p.goal)(m, &states[k])) {
        return Err(format!(
            "state {k} of the loop satisfies the goal of {}",
            p.name
        ));
    }
    // The latest point where the quiet suffix may start, and whether the
    // trigger holds somewhere from there to the loop.
    let mut k = loop_start;
    let triggered = |k: usize| p.trigger.is_none_or(|t| t(m, &states[k]));
    let mut ok = triggered(k);
    while !ok && k > 0 && (p.tail)(m, &actions[k - 1]) && !(p.goal)(m, &states[k - 1]) {
        k -= 1;
        ok = triggered(k);
    }
    if !ok {
        return Err(format!(
            "no state where the trigger of {} holds starts a quiet run to the loop",
            p.name
        ));
    }
    let taken: BTreeSet<Fair> = cycle.iter().filter_map(|a| (p.family)(m, a)).collect();
    let mut always: Option<BTreeSet<Fair>> = None;
    let mut sometimes: BTreeSet<Fair> = BTreeSet::new();
    for s in &states[loop_start..] {
        let here = enabled_families(m, p, s);
        sometimes.extend(here.iter().filter(|f| f.strong).cloned());
        always = Some(match always {
            None => here,
            Some(a) => a.intersection(&here).cloned().collect(),
        });
    }
    let always: BTreeSet<Fair> = always.unwrap_or_default();
    if let Some(f) = always.iter().find(|f| !f.strong && !taken.contains(f)) {
        return Err(format!(
            "the loop is not fair: {f} is enabled in every state of the loop and never taken"
        ));
    }
    if let Some(f) = sometimes.difference(&taken).next() {
        return Err(format!(
            "the loop is not fair: {f} is enabled in the loop and never taken"
        ));
    }
    Ok(())
}

/// Checks a model's liveness properties; lassos come back as traces.
pub fn check_traced<M: LivenessModel>(m: &M, opts: &LivenessOptions) -> LivenessReport<Trace> {
    // Concrete states, and every one within bounds: a safety check that
    // timed out, or reduced by symmetry, may have left either switch on.
    m.halt().set(false);
    if let Some(sym) = m.symmetry() {
        sym.set(false);
    }
    let props = m.liveness();
    let out = check(m, &props, opts);
    let command = format!("overlay check {} --liveness", model_args(m));
    let properties = out
        .properties
        .into_iter()
        .map(|p| LivenessOutcome {
            lasso: p.lasso.map(|l| {
                let mut meta = base_meta(m, "counterexample", command.clone());
                meta.insert("property".into(), p.info.name.into());
                lasso_trace(m, &l, meta)
            }),
            livelock: p.livelock.map(|l| {
                let mut meta = base_meta(m, "counterexample", command.clone());
                meta.insert("property".into(), p.info.name.into());
                lasso_trace(m, &l, meta)
            }),
            info: p.info,
            verdict: p.verdict,
            stats: p.stats,
        })
        .collect();
    LivenessReport {
        unique_states: out.unique_states,
        transitions: out.transitions,
        max_depth: out.max_depth,
        complete: out.complete,
        elapsed: out.elapsed,
        properties,
    }
}

/// `#meta` key of the loop's first state (a string, as all our meta; the
/// ITF top-level `loop` carries the same index as a number).
pub const LOOP: &str = "loop";
/// `#meta` key of the event that leads from the last state back to the
/// loop's first (absent for a stuck last state).
pub const LOOP_ACTION: &str = "loop-action";

/// A lasso as an ITF trace.
pub fn lasso_trace<M: OverlayModel>(
    m: &M,
    l: &Lasso<M::State, M::Action>,
    mut meta: std::collections::BTreeMap<String, String>,
) -> Trace {
    meta.insert(LOOP.into(), l.loop_start.to_string());
    if let Some(a) = &l.closing {
        meta.insert(LOOP_ACTION.into(), a.to_string());
    }
    to_trace(m, &(l.init.clone(), l.steps.clone()), meta)
}

fn malformed(message: String) -> ReplayError {
    ReplayError {
        step: None,
        message,
        malformed: true,
    }
}

/// A replayed loop: its first state's index and its closing action.
pub(crate) type LoopOf<M> = (usize, Option<<M as Model>::Action>);

/// The loop of a replayed trace, if it has one: its first state's index
/// and the closing action. Parsed and checked against the trace's shape
/// (the closing action enabled in the last state and leading to the
/// loop's first state).
pub(crate) fn replay_loop<M: OverlayModel>(
    m: &M,
    trace: &Trace,
    states: &[M::State],
) -> Result<Option<LoopOf<M>>, ReplayError> {
    let Some(text) = trace.meta(LOOP) else {
        return Ok(None);
    };
    let last = states.len() - 1;
    let start: usize = text.parse().ok().filter(|&k| k <= last).ok_or_else(|| {
        malformed(format!(
            "#meta {LOOP} is `{text}`, not the index of a state (0 … {last})"
        ))
    })?;
    let Some(line) = trace.meta(LOOP_ACTION) else {
        return Ok(Some((start, None)));
    };
    let pattern = m
        .parse_pattern(line)
        .map_err(|e| malformed(format!("#meta {LOOP_ACTION}: {e}")))?;
    let a = m.pattern_exact(&pattern).ok_or_else(|| {
        malformed(format!(
            "#meta {LOOP_ACTION}: `{line}` leaves a choice open; traces name every choice"
        ))
    })?;
    let fail = |message: String| ReplayError {
        step: Some(last),
        message,
        malformed: false,
    };
    if let Some(why) = m.why_disabled(&states[last], &a) {
        return Err(fail(format!(
            "the loop-closing event `{line}` is not enabled in the last state: {why}"
        )));
    }
    if m.next_state(&states[last], a.clone()).as_ref() != Some(&states[start]) {
        return Err(fail(format!(
            "the loop-closing event `{line}` does not lead back to state {start}"
        )));
    }
    Ok(Some((start, Some(a))))
}

/// The part of a replay that concerns lassos, after the trace's states
/// have replayed (`states`, `actions`): the loop must close, and a
/// counterexample to a liveness property must be a lasso that violates it
/// ([`check_lasso`]).
pub fn replay_lasso<M: LivenessModel>(
    m: &M,
    trace: &Trace,
    states: &[M::State],
    actions: &[M::Action],
) -> Result<(), ReplayError> {
    let lasso = replay_loop(m, trace, states)?;
    if trace.meta("kind") != Some("counterexample") {
        return Ok(());
    }
    let Some(name) = trace.meta("property") else {
        return Ok(());
    };
    let props = m.liveness();
    match (lasso, props.iter().find(|p| p.name == name)) {
        // A safety counterexample: the replay judged it.
        (None, None) => Ok(()),
        (None, Some(p)) => Err(malformed(format!(
            "a counterexample to the liveness property {} must be a lasso (#meta {LOOP})",
            p.name
        ))),
        (Some(_), None) => Err(malformed(format!(
            "#meta names property {name}, which is not a liveness property of the model (a lasso is a counterexample to one)"
        ))),
        (Some((start, closing)), Some(p)) => {
            check_lasso(m, p, states, actions, start, closing.as_ref()).map_err(|why| {
                ReplayError {
                    step: Some(states.len() - 1),
                    message: format!("the lasso is no counterexample to {}: {why}", p.name),
                    malformed: false,
                }
            })
        }
    }
}

/// [`super::replay::replay`], and for a lasso its loop and verdict
/// ([`replay_lasso`]): what `overlay replay` runs.
pub fn replay_with_loops<M: LivenessModel>(
    m: &M,
    trace: &Trace,
) -> Result<Vec<Vec<String>>, ReplayError> {
    let r = replay_path(m, trace)?;
    replay_lasso(m, trace, &r.states, &r.actions)?;
    Ok(r.verdicts)
}
