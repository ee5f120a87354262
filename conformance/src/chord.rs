//! # Chord: the implementation refines Zave's corrected protocol
//!
//! The refinement mapping ([`Universe::abstract_state`]) takes a set of
//! concrete nodes (`overlay_impls::chord::Node`, 160-bit SHA-1 ids) to the
//! model's state (`overlay_models::chord::State`): the N concrete nodes
//! of a run are ranked by identifier to get `n0 … n(N-1)`; a node's
//! successor list, predecessor and status are read off and renamed; a
//! crashed or never-joined node is a non-member.
//!
//! One mapping detail is argued, not copied: when a node's first
//! successor is dead the model pads its list with the identity after the
//! last entry, while a real node cannot know such a node and keeps a
//! shorter list. The mapping pads a short list the same way (`last + 1`,
//! around the ring), which matches the model exactly as long as the model
//! never *uses* a padded entry before a stabilization overwrites it; if it
//! did, the mapped states would differ and the checks below would say so.
//!
//! Two directions are checked:
//!
//! * **model → implementation** ([`Harness`]): a model event is carried
//!   out by the implementation in the simulator — a local command on the
//!   node (stabilize, stabilize-pred, rectify, join via m) or a crash —
//!   and the network is run until quiet (instant, lossless delivery, so a
//!   step's request, answer and rectify message all land, and a dead
//!   peer's timeout fires). After every step the mapped state must equal
//!   the model's. Used to replay traces and to walk every model path up
//!   to a depth.
//! * **implementation → model** ([`observe`]): the implementation takes
//!   its own steps (joins by lookup through any member, crashes, the
//!   three maintenance commands, in any order); each observed step must be
//!   a step the model allows from the mapped state, and every property of
//!   the model must hold in every mapped state.

use overlay_impls::chord::{Config, Event, Id, Mutation, Node, Peer, Status as ImplStatus};
use overlay_impls::runtime::sim::{sim_addr, Net, Sim};
use overlay_models::chord::ring::name;
use overlay_models::chord::state::{NodeState, Status};
use overlay_models::chord::{Action, ChordModel, PerNode, State, SuccList, Variant};
use stateright::Model;

use crate::paths::{walk, Stepper};
pub use crate::paths::{Coverage, Mismatch};

/// The concrete nodes of a run, ranked: `peers[i]` is `n{i}`.
#[derive(Clone, Debug)]
pub struct Universe {
    peers: Vec<Peer>,
    r: usize,
}

impl Universe {
    /// N simulated addresses, ranked by their SHA-1 identifiers.
    pub fn new(n: usize, r: usize) -> Universe {
        let mut peers: Vec<Peer> = (0..n).map(|i| Peer::at(sim_addr(i))).collect();
        peers.sort();
        Universe { peers, r }
    }

    /// The concrete node of model identity `i`.
    pub fn peer(&self, i: u8) -> Peer {
        self.peers[i as usize]
    }

    /// The model identity of a concrete identifier.
    pub fn rank(&self, id: Id) -> Result<u8, String> {
        self.peers
            .iter()
            .position(|p| p.id == id)
            .map(|i| i as u8)
            .ok_or_else(|| format!("identifier {id:?} is no node of this run"))
    }

    /// The refinement mapping: the model state the nodes stand for.
    /// `node(i)` is identity i's node, if it is running.
    pub fn abstract_state<'a>(
        &self,
        node: impl Fn(u8) -> Option<&'a Node>,
    ) -> Result<State, String> {
        let count = self.peers.len();
        let mut nodes: PerNode<NodeState> = (0..count).map(|_| NodeState::default()).collect();
        for i in 0..count as u8 {
            let Some(n) = node(i).filter(|n| n.is_member()) else {
                continue;
            };
            if n.outstanding() > 0 {
                return Err(format!(
                    "{} has requests in flight: not a stable point",
                    name(i)
                ));
            }
            let mut succ = n
                .succ()
                .iter()
                .map(|p| self.rank(p.id))
                .collect::<Result<Vec<u8>, String>>()
                .and_then(|l| {
                    SuccList::try_from(&l[..])
                        .map_err(|_| format!("{} entries, more than the model holds", l.len()))
                })
                .map_err(|e| format!("{}'s successor list: {e}", name(i)))?;
            let Some(&last) = succ.last() else {
                return Err(format!(
                    "{} is a member with an empty successor list",
                    name(i)
                ));
            };
            // The model's padding (see the module notes).
            let mut pad = last;
            while succ.len() < self.r {
                pad = ((pad as usize + 1) % count) as u8;
                succ.push(pad);
            }
            let prdc = n.prdc().map(|p| self.rank(p.id)).transpose()?;
            let status = match n.status() {
                None => None,
                Some(ImplStatus::Stabilizing(p)) => Some(Status::Stabilizing(self.rank(p.id)?)),
                Some(ImplStatus::Rectifying(q)) => Some(Status::Rectifying(self.rank(q.id)?)),
            };
            nodes[i as usize] = NodeState { succ, prdc, status };
        }
        Ok(State {
            nodes,
            notify: PerNode::new(),
        })
    }
}

/// Field-by-field differences, `field: model ≠ implementation`.
pub fn diff(model: &State, imp: &State) -> Vec<String> {
    let mut out = Vec::new();
    for (i, (m, c)) in model.nodes.iter().zip(&imp.nodes).enumerate() {
        let n = name(i as u8);
        let list = |v: &[u8]| {
            if v.is_empty() {
                "— (not a member)".to_string()
            } else {
                format!(
                    "[{}]",
                    v.iter().map(|&x| name(x)).collect::<Vec<_>>().join(", ")
                )
            }
        };
        if m.succ != c.succ {
            out.push(format!(
                "{n}.succ: model {} ≠ impl {}",
                list(&m.succ),
                list(&c.succ)
            ));
        }
        if m.prdc != c.prdc {
            let p = |x: Option<u8>| x.map_or("—".to_string(), name);
            out.push(format!(
                "{n}.prdc: model {} ≠ impl {}",
                p(m.prdc),
                p(c.prdc)
            ));
        }
        if m.status != c.status {
            out.push(format!(
                "{n}.status: model {:?} ≠ impl {:?}",
                m.status, c.status
            ));
        }
    }
    out
}

/// The implementation in the simulator, driven one model event at a time.
#[derive(Clone)]
pub struct Harness {
    pub universe: Universe,
    cfg: Config,
    sim: Sim<Node>,
}

impl Harness {
    /// Nodes in the model state `init` (no statuses), with `mutation`.
    pub fn new(model: &ChordModel, init: &State, mutation: Mutation) -> Result<Harness, String> {
        let cfg = Config {
            mutation,
            ..Config::manual(model.cfg.succ_list)
        };
        Harness::with_config(model, init, cfg)
    }

    /// The same with any node configuration (periodic timers stay off:
    /// the harness drives every input).
    pub fn with_config(model: &ChordModel, init: &State, cfg: Config) -> Result<Harness, String> {
        let cfg = Config {
            tick_ms: 0,
            finger_ms: 0,
            probe_ms: 0,
            replicate_ms: 0,
            succ_list: model.cfg.succ_list,
            ..cfg
        };
        if model.cfg.variant != Variant::Correct {
            return Err(format!(
                "the implementation follows the correct protocol, not {}",
                model.cfg.variant.name()
            ));
        }
        let universe = Universe::new(model.cfg.nodes, model.cfg.succ_list);
        let mut sim = Sim::new(Net::instant(), 0);
        for (i, ns) in init.nodes.iter().enumerate() {
            let me = universe.peer(i as u8);
            if ns.succ.is_empty() {
                let slot = sim.add(Node::new(cfg.clone(), me));
                sim.crash(slot);
                continue;
            }
            if ns.status.is_some() {
                return Err(format!(
                    "{}: initial states have no statuses",
                    name(i as u8)
                ));
            }
            let succ = ns.succ.iter().map(|&x| universe.peer(x)).collect();
            let prdc = ns.prdc.map(|x| universe.peer(x));
            sim.add(Node::with_ring(cfg.clone(), me, succ, prdc));
        }
        Ok(Harness { universe, cfg, sim })
    }

    /// The mapped state now.
    pub fn state(&self) -> Result<State, String> {
        self.universe.abstract_state(|i| self.sim.node(i as usize))
    }

    /// Carries out one model event; `Err` when the implementation cannot.
    pub fn step(&mut self, a: Action) -> Result<(), String> {
        let slot = |n: u8| n as usize;
        let refused =
            |e: overlay_impls::chord::NotEnabled| format!("the implementation refuses: {}", e.0);
        let local = |sim: &mut Sim<Node>,
                     n: u8,
                     f: fn(
            &mut Node,
            &mut overlay_impls::runtime::OutboxOf<Node>,
        ) -> Result<(), overlay_impls::chord::NotEnabled>| {
            sim.with_node(slot(n), |node, _, out| f(node, out))
                .ok_or_else(|| format!("{} is not running", name(n)))?
                .map_err(refused)
        };
        match a {
            Action::Fail(f) => {
                self.sim
                    .crash(slot(f))
                    .ok_or_else(|| format!("{} is not running", name(f)))?;
            }
            Action::Join { j, via } => {
                let me = self.universe.peer(j);
                self.sim.replace(slot(j), Node::new(self.cfg.clone(), me));
                let to = self.universe.peer(via).addr;
                local_join(&mut self.sim, slot(j), to)?;
            }
            Action::Stabilize(t) => local(&mut self.sim, t, Node::stabilize)?,
            Action::StabilizePred(t) => local(&mut self.sim, t, Node::stabilize_pred)?,
            Action::Rectify(r) => local(&mut self.sim, r, Node::rectify)?,
            other => return Err(format!("`{other}` is not an event of the correct protocol")),
        }
        if !self.sim.run_until_idle(100_000) {
            return Err("the network did not go quiet".into());
        }
        if let Action::Join { j, .. } = a {
            let joined = self
                .sim
                .take_events()
                .iter()
                .any(|(addr, e)| *addr == self.universe.peer(j).addr && *e == Event::Joined);
            if !joined {
                return Err(format!("{} did not join", name(j)));
            }
        }
        Ok(())
    }

    /// Takes `a` in both and compares; `step` numbers the event.
    pub fn check_step(
        &mut self,
        model: &ChordModel,
        before: &State,
        a: Action,
        step: usize,
    ) -> Result<State, Mismatch> {
        let after = model.apply(before, a);
        let fail = |diff: Vec<String>| Mismatch {
            step,
            action: a.to_string(),
            diff,
        };
        self.step(a).map_err(|e| fail(vec![e]))?;
        let mine = self.state().map_err(|e| fail(vec![e]))?;
        if mine != after {
            return Err(fail(diff(&after, &mine)));
        }
        Ok(after)
    }

    pub fn sim(&self) -> &Sim<Node> {
        &self.sim
    }
    pub fn sim_mut(&mut self) -> &mut Sim<Node> {
        &mut self.sim
    }
    pub fn config(&self) -> &Config {
        &self.cfg
    }
}

fn local_join(sim: &mut Sim<Node>, slot: usize, to: std::net::SocketAddr) -> Result<(), String> {
    sim.with_node(slot, |node, _, out| node.join(to, out))
        .expect("just placed")
        .map_err(|e| format!("the implementation refuses: {}", e.0))
}

/// Replays a path of the model (its states and events) against the
/// implementation.
pub fn replay(
    model: &ChordModel,
    states: &[State],
    actions: &[Action],
    mutation: Mutation,
) -> Result<(), Mismatch> {
    let mut h = Harness::new(model, &states[0], mutation).map_err(|e| Mismatch {
        step: 0,
        action: String::new(),
        diff: vec![e],
    })?;
    let mine = h.state().map_err(|e| Mismatch {
        step: 0,
        action: String::new(),
        diff: vec![e],
    })?;
    if mine != states[0] {
        return Err(Mismatch {
            step: 0,
            action: String::new(),
            diff: diff(&states[0], &mine),
        });
    }
    for (k, a) in actions.iter().enumerate() {
        let after = h.check_step(model, &states[k], *a, k + 1)?;
        debug_assert_eq!(after, states[k + 1]);
    }
    Ok(())
}

/// Walks every path of the model of at most `depth` events from every
/// initial state, checking the implementation after every step. Depths
/// are walked in increasing order (iterative deepening), so a mismatch
/// reported is one of the shortest; the coverage is the last walk's.
pub fn every_path(
    model: &ChordModel,
    depth: usize,
    mutation: Mutation,
) -> Result<Coverage, Mismatch> {
    let mut cov = Coverage::default();
    for d in 0..=depth {
        cov = walk_all(model, d, mutation)?;
    }
    Ok(cov)
}

fn walk_all(model: &ChordModel, depth: usize, mutation: Mutation) -> Result<Coverage, Mismatch> {
    let mut cov = Coverage::default();
    for init in model.init_states() {
        cov.inits += 1;
        let h = Harness::new(model, &init, mutation).map_err(|e| Mismatch {
            step: 0,
            action: String::new(),
            diff: vec![e],
        })?;
        let mut path = Vec::new();
        walk(model, &h, &init, depth, &mut path, &mut cov)?;
    }
    Ok(cov)
}

impl Stepper for Harness {
    type Model = ChordModel;
    type State = State;
    type Action = Action;

    fn events(&self, model: &ChordModel, s: &State, out: &mut Vec<Action>) {
        model.actions(s, out);
    }

    fn check_step(
        &mut self,
        model: &ChordModel,
        before: &State,
        a: Action,
        step: usize,
    ) -> Result<State, Mismatch> {
        Harness::check_step(self, model, before, a, step)
    }
}

/// One implementation-level input, for random runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Node i runs StabilizeFromSuccessor.
    Stabilize(u8),
    StabilizePred(u8),
    Rectify(u8),
    /// Node j joins through node via (a lookup through the ring).
    Join {
        j: u8,
        via: u8,
    },
    /// Node f crashes, if the model's failure precondition allows it.
    Crash(u8),
    /// Node i runs its periodic maintenance (the deployed policy:
    /// rectify if told to, then the due stabilization).
    Tick(u8),
}

/// What a random run observed. A step is one implementation input
/// (a tick may take two model steps).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Observed {
    /// Steps the implementation took (and the model matched).
    pub steps: usize,
    /// Inputs the implementation refused or the environment ruled out.
    pub skipped: usize,
}

/// Runs `ops` on the implementation from the model's initial state number
/// `init` (modulo their number); every step must be one the model allows,
/// and every property must hold in every mapped state.
///
/// With `eager` the nodes run as deployed (`Config::eager`: a due step
/// runs as soon as the previous one ends), so one input may take up to
/// four model steps (rectify, stabilize, stabilize-pred, and the rectify
/// that tells the next node); without it a tick takes at most two and
/// any other input one.
pub fn observe(
    model: &ChordModel,
    init: usize,
    ops: &[Op],
    mutation: Mutation,
    eager: bool,
) -> Result<Observed, String> {
    let inits = model.init_states();
    let init = inits[init % inits.len()];
    let cfg = Config {
        mutation,
        eager,
        ..Config::manual(model.cfg.succ_list)
    };
    let mut h = Harness::with_config(model, &init, cfg)?;
    let mut seen = Observed::default();
    let mut before = h.state()?;
    check_properties(model, &before, 0)?;
    for (k, &op) in ops.iter().enumerate() {
        let n = model.cfg.nodes as u8;
        let ok = match op {
            Op::Crash(f) => {
                let f = f % n;
                // The environment assumption: only failures the model's
                // precondition allows.
                if model.check_action(&before, Action::Fail(f)).is_ok() {
                    h.sim.crash(f as usize);
                    true
                } else {
                    false
                }
            }
            Op::Join { j, via } => {
                let (j, via) = (j % n, via % n);
                if before.nodes[j as usize].succ.is_empty()
                    && !before.nodes[via as usize].succ.is_empty()
                {
                    let me = h.universe.peer(j);
                    h.sim.replace(j as usize, Node::new(h.cfg.clone(), me));
                    let to = h.universe.peer(via).addr;
                    local_join(&mut h.sim, j as usize, to).is_ok()
                } else {
                    false
                }
            }
            Op::Stabilize(t) => run_local(&mut h, t % n, Node::stabilize),
            Op::StabilizePred(t) => run_local(&mut h, t % n, Node::stabilize_pred),
            Op::Rectify(t) => run_local(&mut h, t % n, Node::rectify),
            Op::Tick(t) => run_local(&mut h, t % n, |node, out| {
                node.tick(out);
                Ok(())
            }),
        };
        if !ok {
            seen.skipped += 1;
            continue;
        }
        if !h.sim.run_until_idle(100_000) {
            return Err(format!("op {k} {op:?}: the network did not go quiet"));
        }
        let events = h.sim.take_events();
        if events
            .iter()
            .any(|(_, e)| matches!(e, Event::JoinFailed { .. }))
        {
            // A join whose lookup failed changed nothing: no step.
            seen.skipped += 1;
            continue;
        }
        let after = h.state().map_err(|e| format!("op {k} {op:?}: {e}"))?;
        let mut enabled = Vec::new();
        model.actions(&before, &mut enabled);
        let churn = matches!(op, Op::Join { .. } | Op::Crash(_));
        let most = match op {
            _ if churn => 1,
            _ if eager => 4,
            Op::Tick(_) => 2,
            _ => 1,
        };
        let matched = reachable(model, &before, &after, most, churn);
        if !matched {
            let nearest = enabled
                .iter()
                .map(|&a| (a, diff(&model.apply(&before, a), &after)))
                .min_by_key(|(_, d)| d.len());
            let hint = nearest.map_or(String::new(), |(a, d)| {
                format!("; nearest model step `{a}` differs in: {}", d.join("; "))
            });
            return Err(format!(
                "op {k} {op:?}: the implementation took a step the model does not allow{hint}"
            ));
        }
        seen.steps += 1;
        check_properties(model, &after, k + 1)?;
        before = after;
    }
    Ok(seen)
}

/// Whether `to` is reachable from `from` in 1..=`most` model steps
/// (repair steps only, unless `churn`: then one join or fail).
fn reachable(model: &ChordModel, from: &State, to: &State, most: usize, churn: bool) -> bool {
    let mut level = vec![*from];
    for _ in 0..most {
        let mut next: Vec<State> = Vec::new();
        for s in &level {
            let mut acts = Vec::new();
            model.actions(s, &mut acts);
            for a in acts.into_iter().filter(|a| a.is_repair() != churn) {
                let t = model.apply(s, a);
                if &t == to {
                    return true;
                }
                if !next.contains(&t) {
                    next.push(t);
                }
            }
        }
        level = next;
    }
    false
}

fn run_local(
    h: &mut Harness,
    n: u8,
    f: fn(
        &mut Node,
        &mut overlay_impls::runtime::OutboxOf<Node>,
    ) -> Result<(), overlay_impls::chord::NotEnabled>,
) -> bool {
    h.sim
        .with_node(n as usize, |node, _, out| f(node, out).is_ok())
        .unwrap_or(false)
}

fn check_properties(model: &ChordModel, s: &State, k: usize) -> Result<(), String> {
    for p in model.properties() {
        if !(p.condition)(model, s) {
            return Err(format!(
                "after op {k}: the mapped state violates {}",
                p.name
            ));
        }
    }
    Ok(())
}

/// Replays a stored trace of the `correct` variant against the
/// implementation; returns the number of events. `Err(Unfit)` when the
/// trace is not one the implementation can take (another variant, a
/// trace that does not replay against its own model).
pub fn replay_trace(
    t: &overlay_models::trace::Trace,
    mutation: Mutation,
) -> Result<usize, crate::ImplReplayError> {
    use crate::ImplReplayError::{Mismatch as Differs, Unfit};
    let model = crate::trace_model(t, overlay_models::chord::overlay::build)?;
    if model.cfg.variant != Variant::Correct {
        return Err(Unfit(format!(
            "the Chord implementation follows the correct protocol; this trace is of the {} variant",
            model.cfg.variant.name()
        )));
    }
    let path = crate::trace_path(&model, t)?;
    replay(&model, &path.states, &path.actions, mutation).map_err(|m| Differs(m.to_string()))?;
    Ok(path.actions.len())
}
