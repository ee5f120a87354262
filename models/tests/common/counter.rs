//! The toy counter of the shortest-path tests: a known shortest
//! counterexample where Stateright 0.31's BFS returns a longer one.

use overlay_models::check::{Expect, OverlayModel, PropertyInfo, Switch};
use serde_json::{json, Map, Value};
use stateright::{Model, Property};

/// A counter from 0 to 12 that moves by +1 or +3; "Small" (x < 3) first
/// fails after one `+3` step.
#[derive(Clone, Default)]
pub struct Counter(Switch);

impl Model for Counter {
    type State = u8;
    type Action = u8;
    fn init_states(&self) -> Vec<u8> {
        vec![0]
    }
    fn actions(&self, s: &u8, out: &mut Vec<u8>) {
        out.extend([1, 3].into_iter().filter(|d| s + d <= 12));
    }
    fn next_state(&self, s: &u8, a: u8) -> Option<u8> {
        Some(s + a)
    }
    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always("Small", |_, s| *s < 3),
            Property::always("NotTwelve", |_, s| *s != 12),
        ]
    }
}

impl OverlayModel for Counter {
    type Pattern = u8;
    fn halt(&self) -> &Switch {
        &self.0
    }
    fn model_name(&self) -> &'static str {
        "counter"
    }
    fn variant_name(&self) -> &'static str {
        "plain"
    }
    fn params(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }
    fn expectations(&self) -> Vec<PropertyInfo> {
        ["Small", "NotTwelve"]
            .map(|name| PropertyInfo {
                name,
                expect: Expect::Violated,
                about: "",
            })
            .to_vec()
    }
    fn itf_vars(&self) -> Vec<&'static str> {
        vec!["x"]
    }
    fn itf_encode(&self, s: &u8) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("x".into(), json!(s));
        m
    }
    fn picks(&self, _: &u8) -> Map<String, Value> {
        Map::new()
    }
    fn parse_pattern(&self, line: &str) -> Result<u8, String> {
        line.trim_start_matches('+')
            .parse()
            .map_err(|_| "not a step".into())
    }
    fn pattern_matches(&self, p: &u8, a: &u8) -> bool {
        p == a
    }
    fn pattern_exact(&self, p: &u8) -> Option<u8> {
        Some(*p)
    }
    fn why_disabled(&self, s: &u8, a: &u8) -> Option<String> {
        (s + a > 12).then(|| "past 12".into())
    }
    fn candidates(&self, _: &u8) -> Vec<u8> {
        vec![1, 3]
    }
    fn participants(&self) -> Vec<String> {
        vec!["x".into()]
    }
    fn arrow(&self, _: &u8) -> (String, Option<String>) {
        ("x".into(), None)
    }
}
