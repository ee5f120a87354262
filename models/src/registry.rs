//! The models the command line knows, with their variants, parameters and
//! properties.

use crate::check::{Params, PropertyInfo, Runner};
use crate::chord;

/// A variant of a model.
pub struct VariantInfo {
    pub name: &'static str,
    pub about: &'static str,
}

/// Builds a model of a variant from `-p` pairs.
pub type Build = fn(&str, &Params) -> Result<Box<dyn Runner>, String>;

/// A model the command line can check.
pub struct ModelEntry {
    pub name: &'static str,
    pub about: &'static str,
    pub variants: Vec<VariantInfo>,
    /// Parameters: name and meaning (with defaults).
    pub params: &'static [(&'static str, &'static str)],
    /// Builds a model of a variant from `-p` pairs.
    pub build: Build,
}

impl ModelEntry {
    /// The properties of a variant (on default parameters).
    pub fn properties(&self, variant: &str) -> Vec<PropertyInfo> {
        (self.build)(variant, &Vec::new())
            .map(|r| r.properties())
            .unwrap_or_default()
    }
}

/// Every model, in a fixed order.
pub fn models() -> Vec<ModelEntry> {
    vec![ModelEntry {
        name: "chord",
        about: "Chord ring maintenance (Stoica et al. 2001; Zave 2012, 2017)",
        variants: chord::Variant::ALL
            .iter()
            .map(|v| VariantInfo {
                name: v.name(),
                about: v.about(),
            })
            .collect(),
        params: chord::overlay::PARAMS,
        build: |v, p| chord::overlay::build(v, p).map(|m| Box::new(m) as Box<dyn Runner>),
    }]
}

/// The model called `name`.
pub fn find(name: &str) -> Result<ModelEntry, String> {
    let all = models();
    let names: Vec<&str> = all.iter().map(|m| m.name).collect();
    let names = names.join(", ");
    all.into_iter()
        .find(|m| m.name == name)
        .ok_or_else(|| format!("no model `{name}` (models: {names})"))
}

/// The model a trace's `#meta` names (model, variant, params).
pub fn for_trace(t: &crate::trace::Trace) -> Result<Box<dyn Runner>, String> {
    let model = t.meta("model").ok_or("#meta has no `model`")?;
    let variant = t.meta("variant").ok_or("#meta has no `variant`")?;
    (find(model)?.build)(variant, &t.params()?)
}
