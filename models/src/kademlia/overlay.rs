//! How the generic checker, scenarios and traces see the Kademlia model,
//! and its parameters as the command line gives them.

use serde_json::{json, Map, Value};

use super::action::{Action, Pattern};
use super::id::name;
use super::state::State;
use super::{Config, KademliaModel, Variant};
use crate::check::compact::Compact;
use crate::check::{
    unknown_param, unknown_variant, whole_number, OverlayModel, Params, PropertyInfo, Switch,
};

impl OverlayModel for KademliaModel {
    type Pattern = Pattern;

    fn halt(&self) -> &Switch {
        self.halt_flag()
    }
    fn symmetry(&self) -> Option<&Switch> {
        Some(self.symmetry_flag())
    }
    fn representative(&self) -> Option<crate::check::Representative<State>> {
        Some(super::symmetry::canonical)
    }
    fn compact(&self) -> Option<&dyn Compact<State>> {
        Some(self)
    }
    fn model_name(&self) -> &'static str {
        "kademlia"
    }
    fn variant_name(&self) -> &'static str {
        self.cfg.variant.name()
    }
    fn params(&self) -> Vec<(&'static str, String)> {
        let c = &self.cfg;
        vec![
            ("bits", c.bits.to_string()),
            ("nodes", c.nodes.to_string()),
            ("k", c.k.to_string()),
            ("alpha", c.alpha.to_string()),
            ("cache", c.cache.to_string()),
            ("failures", c.failures.to_string()),
        ]
    }
    fn expectations(&self) -> Vec<PropertyInfo> {
        KademliaModel::expectations(self)
    }
    fn itf_vars(&self) -> Vec<&'static str> {
        KademliaModel::itf_vars(self)
    }
    fn itf_encode(&self, s: &State) -> Map<String, Value> {
        KademliaModel::itf_encode(self, s)
    }
    fn picks(&self, a: &Action) -> Map<String, Value> {
        let mut m = Map::new();
        match *a {
            Action::Join { j, via } => {
                m.insert("node".into(), json!(name(j)));
                m.insert("via".into(), json!(name(via)));
            }
            Action::Lookup { n, target } => {
                m.insert("node".into(), json!(name(n)));
                m.insert("target".into(), json!(target));
            }
            Action::Store { n, key } => {
                m.insert("node".into(), json!(name(n)));
                m.insert("key".into(), json!(key));
            }
            Action::Pong { n, from } | Action::PingTimeout { n, from } => {
                m.insert("node".into(), json!(name(n)));
                m.insert("from".into(), json!(name(from)));
            }
            Action::Fail(n) | Action::Get(n) | Action::Reply(n) | Action::Timeout(n) => {
                m.insert("node".into(), json!(name(n)));
            }
        }
        m
    }
    fn parse_pattern(&self, line: &str) -> Result<Pattern, String> {
        Pattern::parse(line, self.cfg.nodes, 1 << self.cfg.bits)
    }
    fn pattern_matches(&self, p: &Pattern, a: &Action) -> bool {
        p.matches(a)
    }
    fn pattern_exact(&self, p: &Pattern) -> Option<Action> {
        p.exact()
    }
    fn why_disabled(&self, s: &State, a: &Action) -> Option<String> {
        self.explain(s, *a).err()
    }
    fn candidates(&self, s: &State) -> Vec<Action> {
        let mut out = Vec::new();
        super::events::candidates(s, self.rules(), &mut out);
        // Deliveries and joins that are not pending are candidates too,
        // so that a script can be told why they are not enabled.
        let n = self.cfg.nodes as u8;
        for q in 0..n {
            for a in [Action::Reply(q), Action::Timeout(q), Action::Get(q)] {
                if !out.contains(&a) {
                    out.push(a);
                }
            }
            for via in 0..n {
                let a = Action::Join { j: q, via };
                if !out.contains(&a) {
                    out.push(a);
                }
            }
        }
        out
    }
    fn participants(&self) -> Vec<String> {
        (0..self.cfg.nodes as u8).map(name).collect()
    }
    fn arrow(&self, a: &Action) -> (String, Option<String>) {
        match *a {
            Action::Join { j, via } => (name(j), Some(name(via))),
            Action::Pong { n, from } | Action::PingTimeout { n, from } => {
                (name(from), Some(name(n)))
            }
            Action::Lookup { n, .. } | Action::Store { n, .. } => (name(n), None),
            Action::Fail(n) | Action::Get(n) | Action::Reply(n) | Action::Timeout(n) => {
                (name(n), None)
            }
        }
    }
}

/// The parameters of the Kademlia model, for `list` and `-p`.
pub const PARAMS: &[(&str, &str)] = &[
    ("bits", "b: id width, ids 0 … 2^b−1 (default 2, at most 3)"),
    ("nodes", "N: nodes n0 … n(N−1), with ids 0 … N−1 (default 4; 3 for alpha-termination and k1-failures; at most 2^b)"),
    ("k", "bucket size and lookup width (default 2; 1 for evict-without-ping and k1-failures; at most 3)"),
    ("alpha", "α: queries per lookup round (default 1, at most 3)"),
    ("cache", "replacement cache per bucket (default 1, at most 2)"),
    ("failures", "most nodes that may fail in a run (default 1)"),
];

/// Builds a model from a variant name and `-p` pairs.
pub fn build(variant: &str, params: &Params) -> Result<KademliaModel, String> {
    let v = Variant::parse(variant).ok_or_else(|| {
        unknown_variant("kademlia", variant, Variant::ALL.iter().map(|v| v.name()))
    })?;
    let mut cfg = Config::new(v);
    for (k, val) in params {
        let num = || whole_number(k, val);
        match k.as_str() {
            "bits" => cfg.bits = num()?,
            "nodes" => cfg.nodes = num()?,
            "k" => cfg.k = num()?,
            "alpha" => cfg.alpha = num()?,
            "cache" => cfg.cache = num()?,
            "failures" => cfg.failures = num()?,
            _ => return Err(unknown_param("kademlia", k, PARAMS)),
        }
    }
    KademliaModel::new(cfg)
}
