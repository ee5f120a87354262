//! How the generic checker, scenarios and traces see the CAN model, and
//! its parameters as the command line gives them.

use serde_json::{json, Map, Value};

use super::action::{Action, Cell, Pattern, Scope};
use super::state::State;
use super::{CanModel, Config, Variant};
use crate::check::compact::Compact;
use crate::check::{
    unknown_param, unknown_variant, whole_number, OverlayModel, Params, PropertyInfo, Switch,
};
use crate::chord::ring::name;

impl OverlayModel for CanModel {
    type Pattern = Pattern;

    fn halt(&self) -> &Switch {
        self.halt_flag()
    }
    fn compact(&self) -> Option<&dyn Compact<State>> {
        Some(self)
    }
    fn model_name(&self) -> &'static str {
        "can"
    }
    fn variant_name(&self) -> &'static str {
        self.cfg.variant.name()
    }
    fn params(&self) -> Vec<(&'static str, String)> {
        let c = &self.cfg;
        vec![
            ("dims", c.dims.to_string()),
            ("bits", c.bits.to_string()),
            ("nodes", c.nodes.to_string()),
            ("realities", c.realities.to_string()),
            ("keys", c.keys.to_string()),
            ("failures", c.failures.to_string()),
            ("leaves", c.leaves.to_string()),
            ("probes", c.probes.to_string()),
            ("gets", (c.gets as u8).to_string()),
        ]
    }
    fn expectations(&self) -> Vec<PropertyInfo> {
        CanModel::expectations(self)
    }
    fn itf_vars(&self) -> Vec<&'static str> {
        CanModel::itf_vars(self)
    }
    fn itf_encode(&self, s: &State) -> Map<String, Value> {
        CanModel::itf_encode(self, s)
    }
    fn picks(&self, a: &Action) -> Map<String, Value> {
        let mut m = Map::new();
        let mut put = |k: &str, v: Value| {
            m.insert(k.into(), v);
        };
        match *a {
            Action::Join { j, at, via, .. } => {
                put("node", json!(name(j)));
                put("at", json!(at.to_string()));
                put("via", json!(name(via)));
            }
            Action::Leave(n) | Action::Fail(n) => put("node", json!(name(n))),
            Action::Takeover { n, of, .. } | Action::Expire { n, of, .. } => {
                put("node", json!(name(n)));
                put("of", json!(name(of)));
            }
            Action::Reassign { n, .. } | Action::Search { n, .. } | Action::Refresh { n, .. } => {
                put("node", json!(name(n)))
            }
            Action::Update { from, to, .. } => {
                put("node", json!(name(from)));
                put("to", json!(name(to)));
            }
            Action::Put { key, via } | Action::Get { key, via, .. } => {
                put("key", json!(format!("k{key}")));
                put("via", json!(name(via)));
            }
            Action::Route { from, to, .. } => {
                put("node", json!(name(from)));
                put("to", json!(to.to_string()));
            }
            Action::Forward => {}
        }
        if self.cfg.realities > 1
            && !matches!(
                a,
                Action::Leave(_) | Action::Fail(_) | Action::Put { .. } | Action::Forward
            )
        {
            put("reality", json!(format!("r{}", a.reality())));
        }
        m
    }
    fn parse_pattern(&self, line: &str) -> Result<Pattern, String> {
        Pattern::parse(
            line,
            &Scope {
                nodes: self.cfg.nodes,
                keys: self.cfg.keys,
                realities: self.cfg.realities,
                space: self.rules().space,
            },
        )
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
        // Joins at every cell through every node, so that a script can be
        // told why one is not enabled.
        let sp = self.rules().space;
        let n = self.cfg.nodes as u8;
        for reality in 0..self.cfg.realities as u8 {
            for j in 0..n {
                for via in 0..n {
                    for p in sp.points() {
                        let a = Action::Join {
                            j,
                            at: Cell {
                                p,
                                dims: sp.dims as u8,
                            },
                            via,
                            reality,
                        };
                        if !out.contains(&a) {
                            out.push(a);
                        }
                    }
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
            Action::Join { j, via, .. } => (name(j), Some(name(via))),
            Action::Takeover { n, of, .. } | Action::Expire { n, of, .. } => {
                (name(n), Some(name(of)))
            }
            Action::Update { from, to, .. } => (name(from), Some(name(to))),
            Action::Leave(n)
            | Action::Fail(n)
            | Action::Reassign { n, .. }
            | Action::Search { n, .. }
            | Action::Refresh { n, .. }
            | Action::Put { via: n, .. }
            | Action::Get { via: n, .. }
            | Action::Route { from: n, .. } => (name(n), None),
            Action::Forward => ("probe".into(), None),
        }
    }
}

/// The parameters of the CAN model, for `list` and `-p`.
pub const PARAMS: &[(&str, &str)] = &[
    ("dims", "d: dimensions of the torus (default 2, at most 3)"),
    (
        "bits",
        "2^bits cells per dimension (default 2: a 4x4 grid; bits·dims at most 6)",
    ),
    (
        "nodes",
        "N: nodes n0 … n(N−1); n0 starts alone (default 4; 3 for takeover-race; at most 6)",
    ),
    (
        "realities",
        "independent coordinate spaces, each key stored once in each (default 1, at most 2)",
    ),
    (
        "keys",
        "keys k0, k1 at fixed cells (default 1; 0 for ragged-merge and no-ring-search; at most 2)",
    ),
    (
        "failures",
        "most nodes that may fail in a run (default 1; 0 for ragged-merge)",
    ),
    (
        "leaves",
        "most nodes that may leave in a run (default 1; 0 for takeover-race)",
    ),
    (
        "probes",
        "probe messages routed hop by hop in a run (default 0, at most 3)",
    ),
    ("gets", "1 to explore gets (default 0)"),
];

/// Builds a model from a variant name and `-p` pairs.
pub fn build(variant: &str, params: &Params) -> Result<CanModel, String> {
    let v = Variant::parse(variant)
        .ok_or_else(|| unknown_variant("can", variant, Variant::ALL.iter().map(|v| v.name())))?;
    let mut cfg = Config::new(v);
    for (k, val) in params {
        let num = || whole_number(k, val);
        match k.as_str() {
            "dims" => cfg.dims = num()?,
            "bits" => cfg.bits = num()?,
            "nodes" => cfg.nodes = num()?,
            "realities" => cfg.realities = num()?,
            "keys" => cfg.keys = num()?,
            "failures" => cfg.failures = num()?,
            "leaves" => cfg.leaves = num()?,
            "probes" => cfg.probes = num()?,
            "gets" => {
                cfg.gets = match num()? {
                    0 => false,
                    1 => true,
                    x => return Err(format!("parameter gets: 0 or 1, not {x}")),
                }
            }
            _ => return Err(unknown_param("can", k, PARAMS)),
        }
    }
    CanModel::new(cfg)
}
