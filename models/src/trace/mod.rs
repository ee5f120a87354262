//! Traces in the Informal Trace Format (ITF, as written by Apalache and
//! Quint): `#meta` (string values only), `vars`, and `states`, each state
//! carrying its variables plus `mbt::actionTaken` (the scenario line of the
//! step that led to it; `init` for the first) and `mbt::nondetPicks` (the
//! choices that step made).
//!
//! [`Trace`] is generic over models: variables are ITF JSON values. Models
//! encode their states into it; `render` shows it to reviewers.

mod read;
pub mod render;

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

pub use read::{read_file, read_str, TraceError};

/// Version of our use of ITF, written to `#meta` as `overlay-format`.
pub const FORMAT_VERSION: &str = "1";

/// The action text of a trace's first state.
pub const INIT: &str = "init";

/// One state of a trace.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// `mbt::actionTaken`: the event that led here (`init` for state 0).
    pub action: String,
    /// `mbt::nondetPicks`: a record of the event's choices.
    pub picks: Map<String, Value>,
    /// The state's variables, by name.
    pub vars: Map<String, Value>,
}

/// A whole trace.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    /// `#meta`: model, variant, params, property, kind, command, ….
    pub meta: BTreeMap<String, String>,
    /// Variable names, in order.
    pub vars: Vec<String>,
    pub states: Vec<Step>,
}

impl Trace {
    /// A `#meta` value, if present.
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.meta.get(key).map(String::as_str)
    }

    /// The model parameters recorded in `#meta` `params` (`k=v k=v`).
    pub fn params(&self) -> Result<Vec<(String, String)>, String> {
        let mut out: Vec<(String, String)> = Vec::new();
        for kv in self.meta("params").unwrap_or("").split_whitespace() {
            let (k, v) = kv
                .split_once('=')
                .ok_or_else(|| format!("#meta params: `{kv}` is not NAME=VALUE"))?;
            if out.iter().any(|(seen, _)| seen == k) {
                return Err(format!("#meta params: {k} is given twice"));
            }
            out.push((k.to_string(), v.to_string()));
        }
        Ok(out)
    }

    /// Number of events (states after the first).
    pub fn len_events(&self) -> usize {
        self.states.len().saturating_sub(1)
    }

    /// The ITF JSON document.
    pub fn to_json(&self) -> Value {
        let states: Vec<Value> = self
            .states
            .iter()
            .enumerate()
            .map(|(i, st)| {
                let mut obj = Map::new();
                obj.insert("#meta".into(), json!({ "index": i }));
                obj.insert("mbt::actionTaken".into(), json!(st.action));
                obj.insert("mbt::nondetPicks".into(), Value::Object(st.picks.clone()));
                for (k, v) in &st.vars {
                    obj.insert(k.clone(), v.clone());
                }
                Value::Object(obj)
            })
            .collect();
        let mut meta = Map::new();
        for (k, v) in &self.meta {
            meta.insert(k.clone(), json!(v));
        }
        let mut doc = json!({ "#meta": meta, "vars": self.vars, "states": states });
        // A lasso: ITF's own `loop` field, a number, next to our string.
        if let Some(k) = self.meta("loop").and_then(|k| k.parse::<u64>().ok()) {
            doc["loop"] = json!(k);
        }
        doc
    }

    /// Pretty JSON text with a final newline: byte-for-byte stable.
    pub fn to_string_pretty(&self) -> String {
        let mut s = serde_json::to_string_pretty(&self.to_json()).expect("JSON values serialize");
        s.push('\n');
        s
    }
}
