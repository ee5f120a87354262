//! Re-executing a stored trace against the model: the initial state must
//! be one of the model's, every event enabled, every recorded state equal
//! to the model's, and a counterexample's property violated at the end.

use std::fmt;

use serde_json::{Map, Value};

use super::scenario::{resolve, violated, Line, ScriptError};
use super::OverlayModel;
use crate::trace::render::{changes, flatten};
use crate::trace::Trace;

/// Where and why a replay failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplayError {
    /// The state index (0 = initial) at fault, if any.
    pub step: Option<usize>,
    pub message: String,
    /// The trace is malformed (an unreadable event, an unknown property),
    /// as opposed to well-formed but departing from the model.
    pub malformed: bool,
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.step {
            Some(k) => write!(f, "step {k}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ReplayError {}

fn at(step: usize, message: String) -> ReplayError {
    ReplayError {
        step: Some(step),
        message,
        malformed: false,
    }
}

/// ITF values compared as ITF (sets and maps regardless of order).
fn same(a: &Map<String, Value>, b: &Map<String, Value>) -> bool {
    let norm = |m: &Map<String, Value>| -> Option<Vec<(String, itf::Value)>> {
        m.iter()
            .map(|(k, v)| {
                serde_json::from_value::<itf::Value>(v.clone())
                    .ok()
                    .map(|v| (k.clone(), v))
            })
            .collect()
    };
    match (norm(a), norm(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// What differs, as `field: model → recorded` lines.
fn difference(model: &Map<String, Value>, recorded: &Map<String, Value>) -> String {
    changes(&flatten(model), &flatten(recorded)).join("; ")
}

/// A replayed trace: its states and events as the model has them.
pub struct Replayed<M: OverlayModel> {
    /// States, the initial one first.
    pub states: Vec<M::State>,
    /// `actions[k]` leads from `states[k]` to `states[k + 1]`.
    pub actions: Vec<M::Action>,
    /// The violated property names of every state.
    pub verdicts: Vec<Vec<String>>,
}

/// Replays `trace`; returns the violated property names of every state.
pub fn replay<M: OverlayModel>(m: &M, trace: &Trace) -> Result<Vec<Vec<String>>, ReplayError> {
    replay_path(m, trace).map(|r| r.verdicts)
}

/// Replays `trace` and returns the model's own states and events, for
/// drivers that re-execute it elsewhere (the conformance harness).
pub fn replay_path<M: OverlayModel>(m: &M, trace: &Trace) -> Result<Replayed<M>, ReplayError> {
    let first = trace.states.first().ok_or_else(|| ReplayError {
        step: None,
        message: "the trace has no states".into(),
        malformed: true,
    })?;
    // A lasso's property is a liveness property, judged with its loop by
    // `super::liveness::replay_lasso`.
    let lasso = trace.meta(super::liveness::LOOP).is_some();
    if let Some(p) = trace.meta("property").filter(|_| !lasso) {
        if !m.properties().iter().any(|q| q.name == p) {
            return Err(ReplayError {
                step: None,
                message: format!("#meta names property {p}, which the model does not have"),
                malformed: true,
            });
        }
    }
    let inits = m.init_states();
    let mut cur = inits
        .iter()
        .find(|s| same(&m.itf_encode(s), &first.vars))
        .cloned()
        .ok_or_else(|| {
            at(
                0,
                format!(
                    "the initial state is not one of the model's initial states (nearest: {})",
                    difference(&m.itf_encode(&inits[0]), &first.vars)
                ),
            )
        })?;
    let mut verdicts = vec![violated(m, &cur)];
    let mut states = vec![cur.clone()];
    let mut actions = Vec::new();
    for (k, st) in trace.states.iter().enumerate().skip(1) {
        let line = Line {
            number: k,
            text: st.action.clone(),
        };
        let a = resolve(m, &cur, &line).map_err(|e| {
            let malformed = matches!(e, ScriptError::Parse { .. });
            let text = e.to_string();
            let why = text
                .split_once(": ")
                .map(|(_, w)| w.to_string())
                .unwrap_or(text);
            ReplayError {
                malformed,
                ..at(k, why)
            }
        })?;
        if m.pattern_exact(&m.parse_pattern(&st.action).expect("resolved"))
            .is_none()
        {
            return Err(at(
                k,
                format!(
                    "`{}` leaves a choice open; traces name every choice",
                    st.action
                ),
            ));
        }
        cur = m
            .next_state(&cur, a.clone())
            .expect("resolved actions are enabled");
        states.push(cur.clone());
        actions.push(a);
        let mine = m.itf_encode(&cur);
        if !same(&mine, &st.vars) {
            return Err(at(
                k,
                format!(
                    "after `{}` the recorded state differs from the model's (model → recorded: {})",
                    st.action,
                    difference(&mine, &st.vars)
                ),
            ));
        }
        verdicts.push(violated(m, &cur));
    }
    if trace.meta("kind") == Some("counterexample") && !lasso {
        if let Some(p) = trace.meta("property") {
            let last = verdicts.last().expect("at least the initial state");
            if !last.iter().any(|n| n == p) {
                return Err(ReplayError {
                    step: Some(trace.len_events()),
                    message: format!(
                        "the trace is a counterexample to {p}, but {p} holds in its last state"
                    ),
                    malformed: false,
                });
            }
        }
    }
    Ok(Replayed {
        states,
        actions,
        verdicts,
    })
}
