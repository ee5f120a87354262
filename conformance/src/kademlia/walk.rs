//! Model → implementation: replay a model path (a committed trace, or a
//! seeded random walk of the model) event by event on the implementation,
//! comparing the mapped state with the model's after every event.

use overlay_impls::kademlia::Mutation;
use overlay_models::kademlia::{Action, KademliaModel, State, Variant};
use stateright::Model;

use super::{diff, fits, impl_config, variant_mutation, Harness, Mismatch};
use crate::paths::{walk, Coverage, Stepper};
use crate::ImplReplayError;

/// The implementation's mutation for a model: the variant's own, unless a
/// deliberate one is given (for the `correct` variant's mutation tests).
fn mutation_for(model: &KademliaModel, mutation: Mutation) -> Mutation {
    if mutation == Mutation::None {
        variant_mutation(model.cfg.variant)
    } else {
        mutation
    }
}

fn at_start(diff: Vec<String>) -> Mismatch {
    Mismatch {
        step: 0,
        action: String::new(),
        diff,
    }
}

/// Replays a path of the model (its states and events).
pub fn replay(
    model: &KademliaModel,
    states: &[State],
    actions: &[Action],
    mutation: Mutation,
) -> Result<(), Mismatch> {
    let cfg = impl_config(model, mutation_for(model, mutation));
    let mut h = Harness::new(model, cfg);
    let mine = h.state(states[0].observed).map_err(|e| at_start(vec![e]))?;
    if mine != states[0] {
        return Err(at_start(diff(&states[0], &mine)));
    }
    for (k, a) in actions.iter().enumerate() {
        let after = h.check_step(model, &states[k], *a, k + 1)?;
        debug_assert_eq!(after, states[k + 1]);
    }
    Ok(())
}

/// Replays a stored Kademlia trace against the implementation; returns
/// the number of events. `Err(Unfit)` for a trace with `store` or `get`,
/// or one that does not replay against its own model.
pub fn replay_trace(
    t: &overlay_models::trace::Trace,
    mutation: Mutation,
) -> Result<usize, ImplReplayError> {
    use ImplReplayError::{Mismatch as Differs, Unfit};
    let model = crate::trace_model(t, overlay_models::kademlia::overlay::build)?;
    let path = crate::trace_path(&model, t)?;
    for (s, a) in path.states.iter().zip(&path.actions) {
        fits(&model, s, *a).map_err(Unfit)?;
    }
    replay(&model, &path.states, &path.actions, mutation).map_err(|m| Differs(m.to_string()))?;
    Ok(path.actions.len())
}

fn is_delivery(a: &Action) -> bool {
    matches!(
        a,
        Action::Reply(_) | Action::Timeout(_) | Action::Pong { .. } | Action::PingTimeout { .. }
    )
}

/// What the random walks covered.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PathStats {
    pub paths: usize,
    /// Model events carried out by the implementation and compared.
    pub steps: usize,
    /// Events of each kind, in the order of [`KINDS`].
    pub kinds: [usize; KINDS.len()],
    /// Enabled events left out because the implementation cannot carry
    /// them out ([`fits`]), summed over the steps.
    pub refused: usize,
}

/// Event kinds counted by [`PathStats::kinds`].
pub const KINDS: [&str; 9] = [
    "join",
    "fail",
    "lookup",
    "reply",
    "timeout",
    "pong",
    "ping-timeout",
    "store",
    "get",
];

fn kind(a: &Action) -> usize {
    match a {
        Action::Join { .. } => 0,
        Action::Fail(_) => 1,
        Action::Lookup { .. } => 2,
        Action::Reply(_) => 3,
        Action::Timeout(_) => 4,
        Action::Pong { .. } => 5,
        Action::PingTimeout { .. } => 6,
        Action::Store { .. } => 7,
        Action::Get(_) => 8,
    }
}

/// SplitMix64: a seeded source for the walks (no dependency needed).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// `paths` seeded random walks of the model of at most `len` events each
/// (among the enabled events in the refinement: a delivery half of the
/// time when one is enabled, else uniform; a walk ends early
/// where none is enabled), each carried out by the implementation with the
/// states compared after every event. A mismatch names the whole path.
pub fn random_paths(
    model: &KademliaModel,
    mutation: Mutation,
    seed: u64,
    paths: usize,
    len: usize,
) -> Result<PathStats, Mismatch> {
    let cfg = impl_config(model, mutation_for(model, mutation));
    let mut rng = Rng::new(seed);
    let mut stats = PathStats::default();
    let mut acts = Vec::new();
    for _ in 0..paths {
        let mut h = Harness::new(model, cfg.clone());
        let mut s = model.init_states()[0];
        let mine = h.state(s.observed).map_err(|e| at_start(vec![e]))?;
        if mine != s {
            return Err(at_start(diff(&s, &mine)));
        }
        let mut path: Vec<Action> = Vec::new();
        for k in 0..len {
            acts.clear();
            model.actions(&s, &mut acts);
            let enabled = acts.len();
            acts.retain(|a| fits(model, &s, *a).is_ok());
            stats.refused += enabled - acts.len();
            if acts.is_empty() {
                break;
            }
            // Deliveries (replies, timeouts, pongs, ping timeouts) half of
            // the time when any is enabled, so that pings get answered
            // before the next lookup rather than rarely.
            let deliveries: Vec<Action> = acts.iter().copied().filter(is_delivery).collect();
            let a = if !deliveries.is_empty() && rng.below(2) == 0 {
                deliveries[rng.below(deliveries.len())]
            } else {
                acts[rng.below(acts.len())]
            };
            s = h
                .check_step(model, &s, a, k + 1)
                .map_err(|m| m.after_path(&path))?;
            path.push(a);
            stats.steps += 1;
            stats.kinds[kind(&a)] += 1;
        }
        stats.paths += 1;
    }
    Ok(stats)
}

/// The model a variant's random walks use: its default scope.
pub fn default_model(v: Variant) -> KademliaModel {
    KademliaModel::new(overlay_models::kademlia::Config::new(v)).expect("default scope")
}

/// Walks every path of the model of at most `depth` events in the
/// refinement, checking the implementation after every event. Depths go
/// up one at a time (iterative deepening), so a mismatch reported is one
/// of the shortest; the coverage is the last walk's.
pub fn every_path(
    model: &KademliaModel,
    depth: usize,
    mutation: Mutation,
) -> Result<Coverage, Mismatch> {
    let cfg = impl_config(model, mutation_for(model, mutation));
    let mut cov = Coverage::default();
    for d in 0..=depth {
        cov = Coverage {
            inits: 1,
            ..Coverage::default()
        };
        let h = Harness::new(model, cfg.clone());
        let init = model.init_states()[0];
        walk(model, &h, &init, d, &mut Vec::new(), &mut cov)?;
    }
    Ok(cov)
}

impl Stepper for Harness {
    type Model = KademliaModel;
    type State = State;
    type Action = Action;

    /// The enabled events the refinement covers (see [`fits`]).
    fn events(&self, model: &KademliaModel, s: &State, out: &mut Vec<Action>) {
        model.actions(s, out);
        out.retain(|a| fits(model, s, *a).is_ok());
    }

    fn check_step(
        &mut self,
        model: &KademliaModel,
        before: &State,
        a: Action,
        step: usize,
    ) -> Result<State, Mismatch> {
        Harness::check_step(self, model, before, a, step)
    }
}
