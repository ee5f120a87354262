//! Model → implementation: committed traces, seeded random walks and
//! every path to a depth, each churn event carried out by the
//! implementation and compared at the next quiescent point.

use overlay_impls::can::Mutation;
use overlay_impls::runtime::sim::Net;
use overlay_models::can::{Action, CanModel, State, Variant};
use stateright::Model;

use super::driver::{is_churn, repair, repair_to};
use super::{diff, impl_config, Harness, Mismatch};
use crate::kademlia::walk::Rng;
use crate::paths::{walk, Coverage, Stepper};
use crate::ImplReplayError;

fn at_start(diff: Vec<String>) -> Mismatch {
    Mismatch {
        step: 0,
        action: String::new(),
        diff,
    }
}

/// A harness at the model's initial state, compared once.
pub fn start(
    model: &CanModel,
    mutation: Mutation,
    net: Net,
    seed: u64,
) -> Result<(Harness, State), Mismatch> {
    start_with(model, impl_config(model, mutation), net, seed)
}

/// [`start`] with a given implementation configuration.
pub fn start_with(
    model: &CanModel,
    cfg: overlay_impls::can::Config,
    net: Net,
    seed: u64,
) -> Result<(Harness, State), Mismatch> {
    let mut h = Harness::new(model, cfg, net, seed).map_err(|e| at_start(vec![e]))?;
    let init = model.init_states()[0];
    h.settle().map_err(|e| at_start(vec![e]))?;
    let s = h.compare(model, &init, init).map_err(at_start)?;
    Ok((h, s))
}

/// The churn events the walks take from a repaired state: the model's
/// enabled joins (one point per half of every zone, through every
/// member), leaves, failures and puts.
pub fn churn_events(model: &CanModel, s: &State, out: &mut Vec<Action>) {
    model.enabled(s, false, out);
    out.retain(is_churn);
}

impl Stepper for Harness {
    type Model = CanModel;
    type State = State;
    type Action = Action;

    fn events(&self, model: &CanModel, s: &State, out: &mut Vec<Action>) {
        churn_events(model, s, out)
    }

    fn check_step(
        &mut self,
        model: &CanModel,
        before: &State,
        a: Action,
        step: usize,
    ) -> Result<State, Mismatch> {
        Harness::check_step(self, model, before, a, step)
    }
}

/// Walks every path of at most `depth` churn events, checking the
/// implementation at every quiescent point. Depths go up one at a time
/// (iterative deepening), so a mismatch reported is one of the
/// shortest; the coverage is the last walk's.
pub fn every_path(
    model: &CanModel,
    depth: usize,
    mutation: Mutation,
) -> Result<Coverage, Mismatch> {
    every_path_with(model, depth, impl_config(model, mutation))
}

/// [`every_path`] with a given implementation configuration.
pub fn every_path_with(
    model: &CanModel,
    depth: usize,
    cfg: overlay_impls::can::Config,
) -> Result<Coverage, Mismatch> {
    let (h, init) = start_with(model, cfg, Net::instant(), 0)?;
    let mut cov = Coverage::default();
    for d in 0..=depth {
        cov = Coverage {
            inits: 1,
            ..Coverage::default()
        };
        walk(model, &h, &init, d, &mut Vec::new(), &mut cov)?;
    }
    Ok(cov)
}

/// Event kinds counted by [`PathStats::kinds`].
pub const KINDS: [&str; 4] = ["join", "leave", "fail", "put"];

fn kind(a: &Action) -> usize {
    match a {
        Action::Join { .. } => 0,
        Action::Leave(_) => 1,
        Action::Fail(_) => 2,
        _ => 3,
    }
}

/// What the random walks covered.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PathStats {
    pub paths: usize,
    /// Churn events carried out by both and compared.
    pub steps: usize,
    /// Events of each kind, in the order of [`KINDS`].
    pub kinds: [usize; 4],
    /// Quiescent points where another repair path than the policy's
    /// matched.
    pub alternatives: usize,
}

/// `paths` seeded random walks of at most `len` churn events each (a
/// kind of event first, uniformly among the enabled kinds, then one
/// event of that kind), compared at every quiescent point.
pub fn random_paths(
    model: &CanModel,
    mutation: Mutation,
    seed: u64,
    paths: usize,
    len: usize,
) -> Result<PathStats, Mismatch> {
    let mut rng = Rng::new(seed);
    let mut stats = PathStats::default();
    let mut acts = Vec::new();
    for _ in 0..paths {
        let (mut h, mut s) = start(model, mutation, Net::instant(), 0)?;
        let mut path: Vec<Action> = Vec::new();
        for k in 0..len {
            acts.clear();
            churn_events(model, &s, &mut acts);
            let mut kinds: Vec<usize> = acts.iter().map(kind).collect();
            kinds.dedup();
            kinds.sort();
            kinds.dedup();
            if kinds.is_empty() {
                break;
            }
            let want = kinds[rng.below(kinds.len())];
            let of: Vec<Action> = acts.iter().copied().filter(|a| kind(a) == want).collect();
            let a = of[rng.below(of.len())];
            s = h
                .check_step(model, &s, a, k + 1)
                .map_err(|m| m.after_path(&path))?;
            path.push(a);
            stats.steps += 1;
            stats.kinds[kind(&a)] += 1;
        }
        stats.alternatives += h.alternatives;
        stats.paths += 1;
    }
    Ok(stats)
}

/// Why a broken variant's trace cannot be replayed: the implementation
/// is the paper's protocol, and no test-only mutation reproduces the
/// variant at quiescent points.
pub fn unfit_variant(v: Variant) -> Option<&'static str> {
    match v {
        Variant::Correct => None,
        Variant::TakeoverRace => Some(
            "takeover-race: the implementation's takeover compares volumes by TAKEOVER \
             messages; its test-only mutation TakeoverWithoutVolume lets two claimants take \
             a zone, but which of them and when depends on timers the model does not have",
        ),
        Variant::RaggedMerge => Some(
            "ragged-merge: the implementation's zones are nodes of the partition tree by \
             construction (depth and corner); a ragged zone cannot be represented",
        ),
        Variant::NoRingSearch => Some(
            "no-ring-search: the implementation always repairs tables (GREET to the owner \
             of a gap, impls/src/can/repair.rs), and its counterexamples need states that \
             are never quiescent",
        ),
    }
}

/// Replays a stored CAN trace against the implementation at quiescent
/// points: each churn event (join, leave, fail, put) from the harness's
/// repaired model state, compared after the implementation settles; the
/// trace's own repair steps (updates, refreshes, takeovers,
/// reassignments, …) are part of reaching quiescence. At the end of each
/// segment (before the next churn event, and at the end) the trace's own
/// state, repaired, must map to the implementation's settled state too.
/// Returns the number of events.
pub fn replay_trace(
    t: &overlay_models::trace::Trace,
    mutation: Mutation,
) -> Result<usize, ImplReplayError> {
    use ImplReplayError::{Mismatch as Differs, Unfit};
    let model = crate::trace_model(t, overlay_models::can::overlay::build)?;
    if let Some(why) = unfit_variant(model.cfg.variant) {
        return Err(Unfit(why.into()));
    }
    let path = crate::trace_path(&model, t)?;
    if let Some(a) = path.actions.iter().find(|a| !is_churn(a) && !a.is_repair()) {
        return Err(Unfit(format!(
            "`{a}`: probes and gets are not in the refinement (they change no state)"
        )));
    }
    let (mut h, mut cur) =
        start(&model, mutation, Net::instant(), 0).map_err(|m| Differs(m.to_string()))?;
    let n = path.actions.len();
    for (k, a) in path.actions.iter().enumerate() {
        if is_churn(a) {
            cur = h
                .check_step(&model, &cur, *a, k + 1)
                .map_err(|m| Differs(m.to_string()))?;
        }
        let end = k + 1 == n || is_churn(&path.actions[k + 1]);
        if !end {
            continue;
        }
        let ts = &path.states[k + 1];
        let fail = |diff: Vec<String>| {
            Differs(
                Mismatch {
                    step: k + 1,
                    action: a.to_string(),
                    diff,
                }
                .to_string(),
            )
        };
        let r = repair(&model, ts).map_err(|e| fail(vec![format!("the trace's state: {e}")]))?;
        let mine = h.view().map_err(|e| fail(vec![e]))?;
        let theirs = h.u.model_view(&r);
        if mine != theirs && repair_to(&model, &h.u, ts, &mine).is_none() {
            let mut d = vec!["the trace's own state, repaired, differs:".to_string()];
            d.extend(diff(&h.u, &theirs, &mine));
            return Err(fail(d));
        }
    }
    Ok(n)
}
