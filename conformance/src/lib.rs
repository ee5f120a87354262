//! # overlay-conformance
//!
//! The link between models and implementations: one module per overlay
//! with its refinement mapping and harness ([`can`], [`chord`], [`kademlia`], [`von`]), and the replay of
//! every committed trace under `traces/` against the model it names (see
//! `tests/replay_traces.rs`) and, where an implementation exists, against
//! the implementation.

pub mod can;
pub mod chord;
pub mod kademlia;
pub mod paths;
pub mod von;

use std::path::{Path, PathBuf};

use overlay_models::registry;
use overlay_models::trace;

/// The repository's `traces/` folder.
pub fn traces_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("traces")
}

/// Every `*.itf.json` under `dir`, sorted.
pub fn trace_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().ends_with(".itf.json") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Replays one trace file against the model its `#meta` names; returns the
/// violated properties of every state.
pub fn replay_against_model(path: &Path) -> Result<Vec<Vec<String>>, String> {
    let t = trace::read_file(path).map_err(|e| e.to_string())?;
    registry::for_trace(&t)?
        .replay(&t)
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Why a trace could not be replayed against an implementation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImplReplayError {
    /// The trace is not one an implementation can take (unreadable, no
    /// implementation of its model or variant).
    Unfit(String),
    /// The implementation departs from the trace: step, event and a
    /// field-by-field difference.
    Mismatch(String),
}

impl std::fmt::Display for ImplReplayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImplReplayError::Unfit(m) | ImplReplayError::Mismatch(m) => f.write_str(m),
        }
    }
}

/// The model a trace was written from: its `#meta` variant and
/// parameters, given to the overlay's `build`.
pub(crate) fn trace_model<M>(
    t: &trace::Trace,
    build: impl FnOnce(&str, &overlay_models::check::Params) -> Result<M, String>,
) -> Result<M, ImplReplayError> {
    use ImplReplayError::Unfit;
    let variant = t
        .meta("variant")
        .ok_or_else(|| Unfit("#meta has no `variant`".into()))?;
    let params = t.params().map_err(Unfit)?;
    build(variant, &params).map_err(Unfit)
}

/// The trace's states and actions, replayed against its own model.
pub(crate) fn trace_path<M: overlay_models::check::OverlayModel>(
    model: &M,
    t: &trace::Trace,
) -> Result<overlay_models::check::replay::Replayed<M>, ImplReplayError> {
    overlay_models::check::replay::replay_path(model, t).map_err(|e| {
        ImplReplayError::Unfit(format!("the trace does not replay against its model: {e}"))
    })
}

/// Replays one trace file against the implementation of the overlay it
/// names; returns the number of events.
pub fn replay_against_impl(path: &Path) -> Result<usize, ImplReplayError> {
    let t = trace::read_file(path).map_err(|e| ImplReplayError::Unfit(e.to_string()))?;
    match t.meta("model") {
        Some("chord") => chord::replay_trace(&t, overlay_impls::chord::Mutation::None),
        Some("kademlia") => kademlia::replay_trace(&t, overlay_impls::kademlia::Mutation::None),
        Some("can") => can::replay_trace(&t, overlay_impls::can::Mutation::None),
        Some("von") => von::walk::replay_trace(&t, overlay_impls::von::Mutation::None),
        Some(other) => Err(ImplReplayError::Unfit(format!(
            "no implementation of {other} yet"
        ))),
        None => Err(ImplReplayError::Unfit("#meta has no `model`".into())),
    }
}
