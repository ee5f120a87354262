//! Model → implementation: committed traces and seeded random walks of
//! the model, every event carried out by the implementation and the
//! states compared after it.

use overlay_impls::von::Mutation;
use overlay_models::von::{Action, State, VonModel};
use stateright::Model;

use super::{impl_config, step, Harness, Mismatch};
use crate::kademlia::walk::Rng;
use crate::ImplReplayError;

/// What the random walks covered.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WalkStats {
    pub walks: usize,
    /// Events carried out by both and compared.
    pub events: usize,
    /// Of which deliveries.
    pub deliveries: usize,
    /// Walks that ended in a quiescent state (nothing enabled, or repaired).
    pub quiescent_ends: usize,
}

/// Index of a mismatch: the walk and its event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caught {
    pub walk: usize,
    pub mismatch: Mismatch,
}

/// `walks` seeded random walks of at most `len` events each, uniformly
/// among the model's enabled events, compared after every event.
pub fn random_walks(
    model: &VonModel,
    mutation: Mutation,
    seed: u64,
    walks: usize,
    len: usize,
) -> Result<WalkStats, Caught> {
    let mut rng = Rng::new(seed);
    let mut stats = WalkStats::default();
    let mut acts = Vec::new();
    let cfg = impl_config(model, mutation);
    for w in 0..walks {
        let mut h = Harness::new(model, cfg.clone());
        let mut s: State = model.init_states()[0];
        let mut path: Vec<Action> = Vec::new();
        for k in 0..len {
            acts.clear();
            model.actions(&s, &mut acts);
            if acts.is_empty() {
                break;
            }
            let a = acts[rng.below(acts.len())];
            s = step(model, &mut h, &s, a, k + 1).map_err(|m| Caught {
                walk: w,
                mismatch: m.after_path(&path),
            })?;
            path.push(a);
            stats.events += 1;
            stats.deliveries += usize::from(matches!(a, Action::Deliver { .. }));
        }
        stats.quiescent_ends += usize::from(s.quiescent());
        stats.walks += 1;
    }
    Ok(stats)
}

/// Replays a stored VON trace against the implementation, comparing after
/// every event. Returns the number of events.
pub fn replay_trace(
    t: &overlay_models::trace::Trace,
    mutation: Mutation,
) -> Result<usize, ImplReplayError> {
    use ImplReplayError::Mismatch as Differs;
    let model = crate::trace_model(t, overlay_models::von::overlay::build)?;
    let path = crate::trace_path(&model, t)?;
    let mut h = Harness::new(&model, impl_config(&model, mutation));
    let mut s = path.states[0];
    for (k, a) in path.actions.iter().enumerate() {
        s = step(&model, &mut h, &s, *a, k + 1).map_err(|m| Differs(m.to_string()))?;
        if s != path.states[k + 1] {
            return Err(Differs(format!(
                "step {}: the model's state differs from the trace's",
                k + 1
            )));
        }
    }
    Ok(path.actions.len())
}
