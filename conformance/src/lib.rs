//! # overlay-conformance
//!
//! The link between models and implementations. Today it holds the part
//! that needs only the models: every committed trace under `traces/` is
//! replayed against the model it names (see `tests/replay_traces.rs`).
//! Refinement mappings from implementation state to model state join it
//! with the first implementation.

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
