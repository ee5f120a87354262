//! How the generic checker, scenarios and traces see the VON model, and
//! its parameters as the command line gives them.

use serde_json::{json, Map, Value};

use super::action::{Action, Pattern};
use super::geometry::Pos;
use super::state::State;
use super::{Config, Variant, VonModel};
use crate::check::compact::Compact;
use crate::check::{
    unknown_param, unknown_variant, whole_number, OverlayModel, Params, PropertyInfo, Switch,
};
use crate::chord::ring::name;

impl OverlayModel for VonModel {
    type Pattern = Pattern;

    fn halt(&self) -> &Switch {
        self.halt_flag()
    }
    fn compact(&self) -> Option<&dyn Compact<State>> {
        Some(self)
    }
    fn model_name(&self) -> &'static str {
        "von"
    }
    fn variant_name(&self) -> &'static str {
        self.cfg.variant.name()
    }
    fn params(&self) -> Vec<(&'static str, String)> {
        let c = &self.cfg;
        let homes: Vec<String> = c.homes[..c.nodes]
            .iter()
            .map(|p| format!("{}.{}", p.x, p.y))
            .collect();
        vec![
            ("side", c.side.to_string()),
            ("aoi", c.aoi.to_string()),
            ("step", c.step.to_string()),
            ("nodes", c.nodes.to_string()),
            ("initial", c.initial.to_string()),
            ("moves", c.moves.to_string()),
            ("failures", c.failures.to_string()),
            ("leaves", c.leaves.to_string()),
            ("concurrent", (c.concurrent as u8).to_string()),
            ("homes", homes.join("-")),
        ]
    }
    fn expectations(&self) -> Vec<PropertyInfo> {
        VonModel::expectations(self)
    }
    fn itf_vars(&self) -> Vec<&'static str> {
        VonModel::itf_vars(self)
    }
    fn itf_encode(&self, s: &State) -> Map<String, Value> {
        VonModel::itf_encode(self, s)
    }
    fn picks(&self, a: &Action) -> Map<String, Value> {
        let mut m = Map::new();
        let mut put = |k: &str, v: Value| {
            m.insert(k.into(), v);
        };
        match *a {
            Action::Join { j, via } => {
                put("node", json!(name(j)));
                put("via", json!(name(via)));
            }
            Action::Move { n, to } => {
                put("node", json!(name(n)));
                put("to", json!(to.to_string()));
            }
            Action::Leave(n) | Action::Fail(n) => put("node", json!(name(n))),
            Action::Timeout { n, of } => {
                put("node", json!(name(n)));
                put("of", json!(name(of)));
            }
            Action::Deliver { kind, from, to } => {
                put("kind", json!(kind.name()));
                put("node", json!(name(from)));
                put("to", json!(name(to)));
            }
        }
        m
    }
    fn parse_pattern(&self, line: &str) -> Result<Pattern, String> {
        Pattern::parse(line, self.cfg.nodes, self.cfg.side)
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
        out
    }
    fn participants(&self) -> Vec<String> {
        (0..self.cfg.nodes as u8).map(name).collect()
    }
    fn arrow(&self, a: &Action) -> (String, Option<String>) {
        match *a {
            Action::Join { j, via } => (name(j), Some(name(via))),
            Action::Timeout { n, of } => (name(n), Some(name(of))),
            Action::Deliver { from, to, .. } => (name(from), Some(name(to))),
            Action::Move { n, .. } | Action::Leave(n) | Action::Fail(n) => (name(n), None),
        }
    }
}

/// The parameters of the VON model, for `list` and `-p`.
pub const PARAMS: &[(&str, &str)] = &[
    ("side", "the grid is side x side cells (default 5, at most 16)"),
    ("aoi", "R: radius of every area of interest, in cells (default 2)"),
    (
        "step",
        "longest move of one event, in cells, Euclidean (default 2 for correct, else 1)",
    ),
    ("nodes", "N: nodes n0 … n(N−1) (default 4, at most 5)"),
    (
        "initial",
        "nodes n0 … that start in the overlay, settled; the others join (default 3; 4 for no-repair-notify)",
    ),
    (
        "moves",
        "moves in a run, by any nodes (default 2; 1 for no-repair-notify; at most 6)",
    ),
    (
        "failures",
        "most nodes that may crash in a run (default 0; 1 for no-repair-notify)",
    ),
    (
        "leaves",
        "most nodes that may leave in a run (default 1 for correct, else 0)",
    ),
    (
        "concurrent",
        "1: moves and churn may start while messages are in flight; 0: only once settled (default 0)",
    ),
    (
        "homes",
        "home cells of n0, n1, …: x.y joined by '-' (default 1.1-3.1-2.3-4.4-0.4)",
    ),
];

/// Parses `1.1-3.1-2.3` (shell- and file-name-safe).
fn parse_homes(val: &str, side: u8) -> Result<Vec<Pos>, String> {
    val.split('-')
        .map(|cell| {
            let bad = || {
                format!(
                    "parameter homes: `{cell}` is not a cell x.y of the {side}x{side} grid (e.g. homes=1.1-3.1-2.3)"
                )
            };
            let (x, y) = cell.split_once('.').ok_or_else(bad)?;
            let c = |v: &str| match v.parse::<u8>() {
                Ok(c) if c < side => Ok(c),
                _ => Err(bad()),
            };
            Ok(Pos::new(c(x)?, c(y)?))
        })
        .collect()
}

/// Builds a model from a variant name and `-p` pairs.
pub fn build(variant: &str, params: &Params) -> Result<VonModel, String> {
    let v = Variant::parse(variant)
        .ok_or_else(|| unknown_variant("von", variant, Variant::ALL.iter().map(|v| v.name())))?;
    let mut cfg = Config::new(v);
    let mut homes = None;
    for (k, val) in params {
        let num = || -> Result<u8, String> {
            let n = whole_number(k, val)?;
            u8::try_from(n).map_err(|_| format!("parameter {k}: {n} is too large"))
        };
        match k.as_str() {
            "side" => cfg.side = num()?,
            "aoi" => cfg.aoi = num()?,
            "step" => cfg.step = num()?,
            "nodes" => cfg.nodes = num()? as usize,
            "initial" => cfg.initial = num()? as usize,
            "moves" => cfg.moves = num()?,
            "failures" => cfg.failures = num()?,
            "leaves" => cfg.leaves = num()?,
            "concurrent" => {
                cfg.concurrent = match num()? {
                    0 => false,
                    1 => true,
                    x => return Err(format!("parameter concurrent: 0 or 1, not {x}")),
                }
            }
            "homes" => homes = Some(val.clone()),
            _ => return Err(unknown_param("von", k, PARAMS)),
        }
    }
    if let Some(h) = homes {
        cfg.homes = parse_homes(&h, cfg.side.min(super::geometry::MAX_SIDE))?;
    }
    VonModel::new(cfg)
}
