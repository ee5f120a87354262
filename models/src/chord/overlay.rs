//! How the generic checker, scenarios and traces see the Chord model, and
//! its parameters as the command line gives them.

use serde_json::{json, Map, Value};

use super::action::{Action, Pattern};
use super::ring::name;
use super::{ChordModel, Config, State, Variant};
use crate::check::compact::Compact;
use crate::check::{
    unknown_param, unknown_variant, whole_number, OverlayModel, Params, PropertyInfo, Switch,
};

impl OverlayModel for ChordModel {
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
        "chord"
    }
    fn variant_name(&self) -> &'static str {
        self.cfg.variant.name()
    }
    fn params(&self) -> Vec<(&'static str, String)> {
        let mut p = vec![
            ("nodes", self.cfg.nodes.to_string()),
            ("succ-list", self.cfg.succ_list.to_string()),
        ];
        if self.cfg.variant == Variant::Correct {
            p.push(("ring", self.cfg.ring.to_string()));
            if !self.cfg.guard {
                p.push(("guard", "off".to_string()));
            }
        }
        p
    }
    fn expectations(&self) -> Vec<PropertyInfo> {
        ChordModel::expectations(self)
    }
    fn itf_vars(&self) -> Vec<&'static str> {
        ChordModel::itf_vars(self)
    }
    fn itf_encode(&self, s: &State) -> Map<String, Value> {
        ChordModel::itf_encode(self, s)
    }
    fn picks(&self, a: &Action) -> Map<String, Value> {
        let mut m = Map::new();
        match *a {
            Action::Join { j, via } => {
                m.insert("node".into(), json!(name(j)));
                m.insert("via".into(), json!(name(via)));
            }
            Action::Notified { n, from } => {
                m.insert("node".into(), json!(name(n)));
                m.insert("from".into(), json!(name(from)));
            }
            Action::Stabilize(n)
            | Action::Fail(n)
            | Action::Flush(n)
            | Action::Update(n)
            | Action::Reconcile(n)
            | Action::StabilizePred(n)
            | Action::Rectify(n) => {
                m.insert("node".into(), json!(name(n)));
            }
        }
        m
    }
    fn parse_pattern(&self, line: &str) -> Result<Pattern, String> {
        let p = Pattern::parse(line, self.cfg.nodes)?;
        let foreign = match self.cfg.variant {
            Variant::Correct => ["notified", "flush", "update", "reconcile"].as_slice(),
            _ => ["stabilize-pred", "rectify"].as_slice(),
        };
        let verb = line.split_whitespace().next().unwrap_or("");
        if foreign.contains(&verb) {
            return Err(format!(
                "`{verb}` is not an event of the {} variant",
                self.cfg.variant.name()
            ));
        }
        Ok(p)
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
        self.candidates_into(s, &mut out);
        // Notifications that are not pending are candidates too, so that
        // `notified n0 from n2` can be explained when nothing is in flight.
        if self.cfg.variant != Variant::Correct {
            for n in s.ids() {
                for from in s.ids() {
                    let a = Action::Notified { n, from };
                    if !out.contains(&a) {
                        out.push(a);
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
            Action::Join { j, via } => (name(j), Some(name(via))),
            Action::Notified { n, from } => (name(from), Some(name(n))),
            Action::Stabilize(n)
            | Action::Fail(n)
            | Action::Flush(n)
            | Action::Update(n)
            | Action::Reconcile(n)
            | Action::StabilizePred(n)
            | Action::Rectify(n) => (name(n), None),
        }
    }
}

/// The parameters of the Chord model, for `list` and `-p`.
pub const PARAMS: &[(&str, &str)] = &[
    ("nodes", "N: identities n0 … n(N-1) (default 3; 5 for correct)"),
    ("succ-list", "r: successor-list length (2 for the original variants; default 3 for correct)"),
    ("ring", "correct only: members of the initial Ideal ring (default r+1; below r+1 is a negative control)"),
    ("guard", "correct only: on|off, the rule that a principal may fail only above r+1 principals (default on; off is a negative control)"),
];

/// Builds a model from a variant name and `-p` pairs.
pub fn build(variant: &str, params: &Params) -> Result<ChordModel, String> {
    let v = Variant::parse(variant)
        .ok_or_else(|| unknown_variant("chord", variant, Variant::ALL.iter().map(|v| v.name())))?;
    let mut cfg = Config::new(v);
    let mut ring = None;
    for (k, val) in params {
        let num = || whole_number(k, val);
        match k.as_str() {
            "nodes" => cfg.nodes = num()?,
            "succ-list" => cfg.succ_list = num()?,
            "ring" if v == Variant::Correct => ring = Some(num()?),
            "guard" if v == Variant::Correct => {
                cfg.guard = match val.as_str() {
                    "on" => true,
                    "off" => false,
                    _ => return Err(format!("parameter guard: `{val}` is neither on nor off")),
                }
            }
            "ring" | "guard" => {
                return Err(format!(
                    "parameter {k} applies to the correct variant only, not {variant}"
                ))
            }
            _ => return Err(unknown_param("chord", k, PARAMS)),
        }
    }
    cfg.ring = ring.unwrap_or(cfg.succ_list.saturating_add(1));
    ChordModel::new(cfg)
}
