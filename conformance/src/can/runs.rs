//! Implementation → model: seeded random runs of the implementation in
//! the simulator (random message delays of 5–50 ms, the paper's timers),
//! with operations chosen on the implementation's side: a join at the
//! centre of a random cell through a random live member, a graceful
//! leave, a crash, a put of a key not yet put, each by a random live
//! node. Each operation must be an event the model enables in the
//! repaired state the run is in, and once the implementation settles its
//! mapped state must be the model's repaired state after that event
//! (or another repair of it), and satisfy every property of the model.
//!
//! A join at a cell whose zone is a single cell is refused before it is
//! made: the implementation would split below the model's grid (it
//! splits down to 2^−32), so the run has no model image. Counted as
//! `refused`.

use overlay_impls::can::Mutation;
use overlay_impls::runtime::sim::Net;
use overlay_models::can::action::Cell;
use overlay_models::can::state::{Node, Status};
use overlay_models::can::{Action, CanModel};

use super::violated;
use super::walk::start;
use crate::kademlia::walk::Rng;

/// What the random runs did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunStats {
    pub runs: usize,
    pub joins: usize,
    pub leaves: usize,
    pub crashes: usize,
    pub puts: usize,
    /// Joins at a single-cell zone, not made.
    pub refused: usize,
    /// Quiescent points matched by another repair path than the policy's.
    pub alternatives: usize,
    /// Datagrams the simulator delivered, over all runs.
    pub delivered: u64,
}

/// `runs` random runs of at most `ops` operations each, from `seed`.
pub fn random_runs(
    model: &CanModel,
    mutation: Mutation,
    seed: u64,
    runs: usize,
    ops: usize,
) -> Result<RunStats, String> {
    random_runs_quiet(model, mutation, seed, runs, ops, super::QUIET_MS)
}

/// [`random_runs`] with another quiet window (to show why it is as long
/// as it is).
pub fn random_runs_quiet(
    model: &CanModel,
    mutation: Mutation,
    seed: u64,
    runs: usize,
    ops: usize,
    quiet_ms: u64,
) -> Result<RunStats, String> {
    let mut rng = Rng::new(seed);
    let mut stats = RunStats::default();
    let sp = model.rules().space;
    let c = &model.cfg;
    for run in 0..runs {
        let (mut h, mut s) = start(model, mutation, Net::default(), seed ^ run as u64)
            .map_err(|m| format!("run {run}: {m}"))?;
        h.quiet_ms = quiet_ms;
        let mut done: Vec<Action> = Vec::new();
        for k in 0..ops {
            let live: Vec<Node> = s.ids().filter(|&x| s.is_live(x)).collect();
            let next = s.ids().find(|&x| s.node(x).status == Status::Absent);
            let unput: Vec<u8> = (0..c.keys as u8)
                .filter(|k| s.stored & (1 << k) == 0)
                .collect();
            let mut kinds = Vec::new();
            if next.is_some() {
                kinds.push(0);
            }
            if live.len() > 1 && s.count(Status::Left) < c.leaves {
                kinds.push(1);
            }
            if live.len() > 1 && s.count(Status::Failed) < c.failures {
                kinds.push(2);
            }
            if !unput.is_empty() {
                kinds.push(3);
            }
            if kinds.is_empty() {
                break;
            }
            let pick = |rng: &mut Rng, v: &[Node]| v[rng.below(v.len())];
            let a = match kinds[rng.below(kinds.len())] {
                0 => {
                    let p = sp.point(rng.below(sp.cells()));
                    Action::Join {
                        j: next.expect("an absent node"),
                        at: Cell {
                            p,
                            dims: sp.dims as u8,
                        },
                        via: pick(&mut rng, &live),
                        reality: 0,
                    }
                }
                1 => Action::Leave(pick(&mut rng, &live)),
                2 => Action::Fail(pick(&mut rng, &live)),
                _ => Action::Put {
                    key: unput[rng.below(unput.len())],
                    via: pick(&mut rng, &live),
                },
            };
            let here = |what: String| {
                let path: Vec<String> = done.iter().map(|a| a.to_string()).collect();
                format!(
                    "run {run}, operation {k} `{a}` after [{}]: {what}",
                    path.join("; ")
                )
            };
            if let Action::Join { .. } = a {
                if let Err(why) = model.check_action(&s, a) {
                    if why.contains("single cell") {
                        stats.refused += 1;
                        continue;
                    }
                    return Err(here(format!("the model does not enable it: {why}")));
                }
            }
            s = h
                .check_step(model, &s, a, k + 1)
                .map_err(|m| here(m.to_string()))?;
            let mapped = h.u.state_of(&h.view().map_err(&here)?);
            let bad = violated(model, &mapped);
            if !bad.is_empty() {
                return Err(here(format!(
                    "the mapped state violates {}",
                    bad.join(", ")
                )));
            }
            stats.joins += usize::from(matches!(a, Action::Join { .. }));
            stats.leaves += usize::from(matches!(a, Action::Leave(_)));
            stats.crashes += usize::from(matches!(a, Action::Fail(_)));
            stats.puts += usize::from(matches!(a, Action::Put { .. }));
            done.push(a);
        }
        stats.alternatives += h.alternatives;
        stats.delivered += h.sim.stats().delivered;
        stats.runs += 1;
    }
    Ok(stats)
}
