//! The ITF form of a Chord state: one variable per field, a map from
//! member to value (non-members are absent from every map).
//!
//! * original: `succ`, `succ2`, `prdc` (maps to node names) and `pending`
//!   (a set of `<<from, to>>` notifications in flight);
//! * correct: `succ` (map to lists), `prdc`, and `status` (map to
//!   `{ "op": "stabilizing" | "rectifying", "with": node }`).

use serde_json::{json, Map, Value};

use super::ring::name;
use super::state::{State, Status};
use super::{ChordModel, Variant};

fn map(entries: impl Iterator<Item = (String, Value)>) -> Value {
    let pairs: Vec<Value> = entries.map(|(k, v)| json!([k, v])).collect();
    json!({ "#map": pairs })
}

impl ChordModel {
    /// The ITF variable names, in the order written.
    pub fn itf_vars(&self) -> Vec<&'static str> {
        match self.cfg.variant {
            Variant::Correct => vec!["succ", "prdc", "status"],
            _ => vec!["succ", "succ2", "prdc", "pending"],
        }
    }

    /// Encodes a state as ITF variables.
    pub fn itf_encode(&self, s: &State) -> Map<String, Value> {
        let mut vars = Map::new();
        let members = || s.members();
        let prdc = map(members().filter_map(|n| s.node(n).prdc.map(|p| (name(n), json!(name(p))))));
        match self.cfg.variant {
            Variant::Correct => {
                let succ = map(members().map(|n| {
                    let list: Vec<String> = s.node(n).succ.iter().map(|&x| name(x)).collect();
                    (name(n), json!(list))
                }));
                let status = map(members().filter_map(|n| {
                    s.node(n).status.map(|st| {
                        let (op, with) = match st {
                            Status::Stabilizing(p) => ("stabilizing", p),
                            Status::Rectifying(q) => ("rectifying", q),
                        };
                        (name(n), json!({ "op": op, "with": name(with) }))
                    })
                }));
                vars.insert("succ".into(), succ);
                vars.insert("prdc".into(), prdc);
                vars.insert("status".into(), status);
            }
            _ => {
                let succ = map(members().map(|n| (name(n), json!(name(s.node(n).succ[0])))));
                let succ2 =
                    map(members()
                        .filter_map(|n| s.node(n).succ2().map(|x| (name(n), json!(name(x))))));
                let pending: Vec<Value> = s
                    .notify
                    .iter()
                    .enumerate()
                    .filter_map(|(from, to)| {
                        to.map(|to| json!({ "#tup": [name(from as u8), name(to)] }))
                    })
                    .collect();
                vars.insert("succ".into(), succ);
                vars.insert("succ2".into(), succ2);
                vars.insert("prdc".into(), prdc);
                vars.insert("pending".into(), json!({ "#set": pending }));
            }
        }
        vars
    }
}
