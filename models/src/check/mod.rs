//! Running checks, generically over models: the [`OverlayModel`] trait a
//! model implements, exhaustive checks with budgets and exact shortest
//! counterexamples ([`run`]), scenarios ([`scenario`]), trace replay
//! ([`replay`]), and the type-erased [`Runner`] the command line drives.

pub mod compact;
pub mod engine;
pub mod explain;
pub mod liveness;
pub mod minimize;
pub mod repair;
pub mod replay;
pub mod run;
mod runner;
pub mod scenario;
pub mod swarm;

use std::fmt::{self, Debug, Display};
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde_json::{Map, Value};
use stateright::Model;

pub use run::{CheckOptions, CheckOutcome, Progress, PropertyOutcome, Strategy, Verdict};
pub use runner::Runner;

/// A state's canonical representative of its symmetry class.
pub type Representative<S> = fn(&S) -> S;

/// A path: the initial state, then (action, state) pairs.
pub type Path<M> = (
    <M as Model>::State,
    Vec<(<M as Model>::Action, <M as Model>::State)>,
);

/// The verdict the literature (or our earlier checks) leads us to expect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    Holds,
    Violated,
}

impl Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Expect::Holds => "holds",
            Expect::Violated => "violated",
        })
    }
}

/// A named property with its expected verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PropertyInfo {
    pub name: &'static str,
    pub expect: Expect,
    pub about: &'static str,
}

/// One `always` property of a model: its name, its predicate and what it
/// means in one line. Each model lists its properties as a table of rows,
/// from which come both [`Model::properties`] and the expectations.
pub struct Row<M: Model> {
    pub name: &'static str,
    pub holds: fn(&M, &M::State) -> bool,
    pub about: &'static str,
}

impl<M: Model> Row<M> {
    pub const fn new(
        name: &'static str,
        holds: fn(&M, &M::State) -> bool,
        about: &'static str,
    ) -> Row<M> {
        Row { name, holds, about }
    }
}

/// The properties of a table, in its order.
pub fn always<M: Model>(rows: &[Row<M>]) -> Vec<stateright::Property<M>> {
    rows.iter()
        .map(|r| stateright::Property::always(r.name, r.holds))
        .collect()
}

/// The properties of a table with the verdict `expect` gives each.
pub fn infos<M: Model>(rows: &[Row<M>], expect: impl Fn(&str) -> Expect) -> Vec<PropertyInfo> {
    rows.iter()
        .map(|r| PropertyInfo {
            name: r.name,
            expect: expect(r.name),
            about: r.about,
        })
        .collect()
}

/// A flag shared by a model and the checker driving it (the checker runs
/// on clones of the model, so the flag lives behind an `Arc`).
#[derive(Clone, Debug, Default)]
pub struct Switch(Arc<AtomicBool>);

impl Switch {
    pub fn set(&self, on: bool) {
        self.0.store(on, Ordering::Relaxed)
    }
    pub fn is_on(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// What the checker, scenarios, traces and the explorer need of a model
/// beyond [`stateright::Model`]. All properties are `always` properties.
pub trait OverlayModel:
    Model<
        State: Clone + Debug + Hash + Eq + Send + Sync + 'static,
        Action: Clone + Debug + Display + PartialEq + Send + Sync + 'static,
    > + Clone
    + Send
    + Sync
    + 'static
{
    /// A scenario line, possibly leaving choices open.
    type Pattern;

    /// The stop flag its `within_boundary` obeys.
    ///
    /// Stateright 0.31 honours its timeout only when a worker runs out of
    /// queued work, which a single-threaded BFS never does; so the runner
    /// raises this flag instead and the model then admits no new state,
    /// which drains the queue within moments.
    fn halt(&self) -> &Switch;

    /// When the model has a symmetry: the flag that makes its initial and
    /// next states canonical representatives of their symmetry class.
    ///
    /// Stateright's own `.symmetry()` works in depth-first search only,
    /// whose stack holds a whole path per entry and so runs out of memory
    /// on large spaces; canonical states work in every strategy.
    fn symmetry(&self) -> Option<&Switch> {
        None
    }

    /// When the model has a symmetry: its canonical representative of a
    /// state's class, as a plain function. The depth-first strategies (dfs,
    /// sim, swarm) keep concrete states and key only their visited sets by
    /// it, so their counterexamples stay concrete runs; the breadth-first
    /// ones use [`OverlayModel::symmetry`] instead.
    fn representative(&self) -> Option<Representative<Self::State>> {
        None
    }

    /// A compact encoding of its states, when the model has one: the
    /// compact engine then hashes it and keeps its frontier in it (see
    /// [`compact`]). Without one it hashes what `Hash` writes and keeps
    /// the frontier as states.
    fn compact(&self) -> Option<&dyn compact::Compact<Self::State>> {
        None
    }

    fn model_name(&self) -> &'static str;
    fn variant_name(&self) -> &'static str;
    /// Every parameter with its value, in a fixed order.
    fn params(&self) -> Vec<(&'static str, String)>;
    /// Properties in the order of [`Model::properties`], with expectations.
    fn expectations(&self) -> Vec<PropertyInfo>;

    /// ITF variable names and a state's ITF encoding.
    fn itf_vars(&self) -> Vec<&'static str>;
    fn itf_encode(&self, s: &Self::State) -> Map<String, Value>;
    /// `mbt::nondetPicks` of an action: its arguments.
    fn picks(&self, a: &Self::Action) -> Map<String, Value>;

    fn parse_pattern(&self, line: &str) -> Result<Self::Pattern, String>;
    fn pattern_matches(&self, p: &Self::Pattern, a: &Self::Action) -> bool;
    /// The action a pattern names, when it leaves nothing open.
    fn pattern_exact(&self, p: &Self::Pattern) -> Option<Self::Action>;
    /// Why `a` is not enabled in `s`, or `None` when it is.
    fn why_disabled(&self, s: &Self::State, a: &Self::Action) -> Option<String>;
    /// Every action that could be enabled in `s`, enabled or not.
    fn candidates(&self, s: &Self::State) -> Vec<Self::Action>;

    /// Node names, for diagrams.
    fn participants(&self) -> Vec<String>;
    /// A diagram arrow for an action: (actor, other party).
    fn arrow(&self, a: &Self::Action) -> (String, Option<String>);
}

/// `-p k=v` pairs, as given.
pub type Params = Vec<(String, String)>;

/// The error for a variant a model does not have.
pub fn unknown_variant<'a>(
    model: &str,
    variant: &str,
    names: impl IntoIterator<Item = &'a str>,
) -> String {
    let names: Vec<&str> = names.into_iter().collect();
    format!(
        "{model} has no variant `{variant}` (variants: {})",
        names.join(", ")
    )
}

/// The error for a parameter a model does not have.
pub fn unknown_param(model: &str, name: &str, params: &[(&str, &str)]) -> String {
    let names: Vec<&str> = params.iter().map(|p| p.0).collect();
    format!(
        "{model} has no parameter `{name}` (parameters: {})",
        names.join(", ")
    )
}

/// A parameter's value as a whole number.
pub fn whole_number(name: &str, value: &str) -> Result<usize, String> {
    value
        .parse::<usize>()
        .map_err(|_| format!("parameter {name}: `{value}` is not a whole number"))
}

/// Renders parameters as `k=v k=v`.
pub fn params_text(params: &[(&'static str, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The command line that rebuilds a model.
pub fn model_args<M: OverlayModel>(m: &M) -> String {
    let mut s = format!("{} --variant {}", m.model_name(), m.variant_name());
    for (k, v) in m.params() {
        s.push_str(&format!(" -p {k}={v}"));
    }
    s
}
