//! Helpers shared by the model's integration tests.

use overlay_models::chord::{overlay::build, ChordModel};

/// A Chord model of `variant` with `-p`-style parameters.
pub fn model(variant: &str, params: &[(&str, &str)]) -> ChordModel {
    let ps: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    build(variant, &ps).expect("valid parameters")
}
