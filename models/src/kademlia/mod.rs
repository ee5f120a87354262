//! # Kademlia routing and lookup
//!
//! ESSAY-PLACEHOLDER

/// An event's reason for not being enabled, formatted only when someone
/// will read it (as in the Chord model).
macro_rules! why {
    ($($t:tt)*) => {
        if $crate::kademlia::explaining() { format!($($t)*) } else { String::new() }
    };
}

thread_local! {
    static EXPLAIN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether reasons are being asked for on this thread.
pub(crate) fn explaining() -> bool {
    EXPLAIN.with(|e| e.get())
}

pub mod action;
mod compact;
pub mod events;
pub mod id;
mod itf;
pub mod lookup;
pub mod overlay;
mod paint;
pub mod properties;
mod repair;
pub mod state;
pub mod symmetry;
pub mod table;

use std::sync::Arc;

use stateright::{Model, Property};

pub use action::{Action, Pattern};
pub use id::Node;
pub use state::State;

use crate::check::liveness::LivenessModel;
use crate::check::{Expect, PropertyInfo, Switch};
use properties as p;
use state::{Bucket, NodeState, Status};
use table::Rules;

/// The protocol variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Variant {
    /// The paper's protocol.
    Correct,
    /// A full bucket drops its least-recently seen entry without pinging it.
    EvictWithoutPing,
    /// A lookup ends when a round brings nothing closer (no final round).
    AlphaTermination,
    /// The paper's protocol with buckets of one, under failures.
    K1Failures,
}

impl Variant {
    pub const ALL: [Variant; 4] = [
        Variant::Correct,
        Variant::EvictWithoutPing,
        Variant::AlphaTermination,
        Variant::K1Failures,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Variant::Correct => "correct",
            Variant::EvictWithoutPing => "evict-without-ping",
            Variant::AlphaTermination => "alpha-termination",
            Variant::K1Failures => "k1-failures",
        }
    }

    pub fn about(self) -> &'static str {
        match self {
            Variant::Correct => "the paper's protocol: ping before evicting, final k-closest round",
            Variant::EvictWithoutPing => {
                "a full bucket evicts its oldest entry without pinging it (k=1)"
            }
            Variant::AlphaTermination => {
                "lookups stop when a round brings nothing closer, without the final round"
            }
            Variant::K1Failures => "the paper's protocol with k=1, under a failure",
        }
    }

    pub fn parse(name: &str) -> Option<Variant> {
        Variant::ALL.into_iter().find(|v| v.name() == name)
    }
}

/// Deliberate bugs for negative controls (tests only; not on the command
/// line): each makes one property fail that no variant breaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Mutation {
    #[default]
    None,
    /// A newcomer goes to the head of its bucket, not the tail.
    NewcomerAtHead,
    /// A round that brings nothing closer asks the same α nodes again.
    ReQuery,
}

/// Parameters of one Kademlia model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub variant: Variant,
    /// Id width b: ids 0 … 2^b − 1.
    pub bits: usize,
    /// N: nodes n0 … n(N−1), whose ids are 0 … N−1.
    pub nodes: usize,
    /// Bucket size.
    pub k: usize,
    /// Lookup parallelism.
    pub alpha: usize,
    /// Replacement cache size per bucket.
    pub cache: usize,
    /// Most nodes that may fail in a run.
    pub failures: usize,
    pub mutation: Mutation,
}

impl Config {
    /// Defaults of a variant.
    pub fn new(variant: Variant) -> Config {
        let k = match variant {
            Variant::EvictWithoutPing | Variant::K1Failures => 1,
            _ => 2,
        };
        // The smallest scopes that show each variant's violations; the
        // default `check kademlia` then runs in seconds.
        let nodes = match variant {
            Variant::Correct | Variant::EvictWithoutPing => 4,
            Variant::AlphaTermination | Variant::K1Failures => 3,
        };
        Config {
            variant,
            bits: 2,
            nodes,
            k,
            alpha: 1,
            cache: 1,
            failures: 1,
            mutation: Mutation::None,
        }
    }

    /// Checks that the parameters make a model; errors name the parameter.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=id::MAX_BITS).contains(&self.bits) {
            return Err(format!(
                "bits must be between 1 and {}, not {}",
                id::MAX_BITS,
                self.bits
            ));
        }
        let space = 1 << self.bits;
        if !(1..=space).contains(&self.nodes) {
            return Err(format!(
                "nodes must be between 1 and 2^bits = {space}, not {}",
                self.nodes
            ));
        }
        if !(1..=state::MAX_K).contains(&self.k) {
            return Err(format!(
                "k must be between 1 and {}, not {}",
                state::MAX_K,
                self.k
            ));
        }
        if self.variant == Variant::K1Failures && self.k != 1 {
            return Err(format!("k is 1 in the k1-failures variant, not {}", self.k));
        }
        if !(1..=3).contains(&self.alpha) {
            return Err(format!("alpha must be between 1 and 3, not {}", self.alpha));
        }
        if self.cache > state::MAX_CACHE {
            return Err(format!(
                "cache must be between 0 and {}, not {}",
                state::MAX_CACHE,
                self.cache
            ));
        }
        if self.failures > self.nodes {
            return Err(format!(
                "failures must be between 0 and nodes ({}), not {}",
                self.nodes, self.failures
            ));
        }
        Ok(())
    }

    pub fn rules(&self) -> Rules {
        Rules {
            bits: self.bits,
            nodes: self.nodes,
            k: self.k,
            alpha: self.alpha,
            cache: self.cache,
            variant: self.variant,
            mutation: self.mutation,
        }
    }
}

/// The Kademlia model: a [`Config`] plus the Repairable memo.
#[derive(Clone)]
pub struct KademliaModel {
    pub cfg: Config,
    rules: Rules,
    repair_memo: Arc<repair::Memo>,
    halt: Switch,
    symmetric: Switch,
}

impl KademliaModel {
    pub fn new(cfg: Config) -> Result<KademliaModel, String> {
        cfg.validate()?;
        Ok(KademliaModel {
            rules: cfg.rules(),
            cfg,
            repair_memo: Default::default(),
            halt: Switch::default(),
            symmetric: Switch::default(),
        })
    }

    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// Why `a` is not enabled in `s` (in words), or `Ok`.
    pub fn explain(&self, s: &State, a: Action) -> Result<(), String> {
        EXPLAIN.with(|e| e.set(true));
        let out = self.check_action(s, a);
        EXPLAIN.with(|e| e.set(false));
        out
    }

    pub fn check_action(&self, s: &State, a: Action) -> Result<(), String> {
        let n = self.cfg.nodes as Node;
        let named = match a {
            Action::Join { j, via } => j.max(via),
            Action::Pong { n, from } | Action::PingTimeout { n, from } => n.max(from),
            Action::Fail(x)
            | Action::Get(x)
            | Action::Reply(x)
            | Action::Timeout(x)
            | Action::Lookup { n: x, .. }
            | Action::Store { n: x, .. } => x,
        };
        if named >= n {
            return Err(why!("the model has nodes n0 … n{}", n - 1));
        }
        if let Action::Lookup { target: t, .. } | Action::Store { key: t, .. } = a {
            if usize::from(t) >= 1 << self.cfg.bits {
                return Err(why!("ids are 0 … {}", (1 << self.cfg.bits) - 1));
            }
        }
        events::check(s, self.cfg.failures, a)
    }

    pub fn apply(&self, s: &State, a: Action) -> State {
        let mut t = *s;
        events::apply(&mut t, &self.rules, a);
        t
    }

    /// The enabled events of `s`, repair steps only when `repair_only`.
    pub fn enabled(&self, s: &State, repair_only: bool, out: &mut Vec<Action>) {
        let start = out.len();
        events::candidates(s, &self.rules, out);
        let mut kept = start;
        for i in start..out.len() {
            let a = out[i];
            if (!repair_only || a.is_repair()) && events::check(s, self.cfg.failures, a).is_ok() {
                out[kept] = a;
                kept += 1;
            }
        }
        out.truncate(kept);
    }

    /// Every lookup, run now, would find the k closest reachable nodes.
    pub fn converged(&self, s: &State) -> bool {
        p::lookups_find_closest(s, &self.rules)
    }

    pub fn repairable(&self, s: &State) -> bool {
        self.repair_memo.repairable(self, s)
    }

    pub(crate) fn halt_flag(&self) -> &Switch {
        &self.halt
    }

    pub(crate) fn symmetry_flag(&self) -> &Switch {
        &self.symmetric
    }

    /// The properties with their expected verdicts, in the order of
    /// [`Model::properties`].
    pub fn expectations(&self) -> Vec<PropertyInfo> {
        TABLE
            .iter()
            .map(|row| PropertyInfo {
                name: row.name,
                expect: expected(self.cfg.variant, row.name),
                about: row.about,
            })
            .collect()
    }

    /// The initial state: n0 alone, live, with empty buckets.
    fn concrete_init(&self) -> State {
        let mut s = State::default();
        for _ in 0..self.cfg.nodes {
            s.nodes.push(NodeState::default());
        }
        s.nodes[0].status = Status::Live;
        for _ in 0..self.cfg.bits {
            s.nodes[0].buckets.push(Bucket::default());
        }
        s
    }
}

/// The verdict each variant is expected to give, at its default scope.
fn expected(v: Variant, property: &str) -> Expect {
    use Expect::{Holds, Violated};
    match (v, property) {
        (Variant::Correct, _) => Holds,
        (_, "LookupFindsClosest" | "StoredValueFound") => Violated,
        (Variant::EvictWithoutPing, "LiveNodesNeverEvicted" | "Repairable") => Violated,
        _ => Holds,
    }
}

/// One property: name, predicate, one-line meaning.
struct Row {
    name: &'static str,
    holds: fn(&KademliaModel, &State) -> bool,
    about: &'static str,
}

static TABLE: [Row; 6] = [
    Row {
        name: "BucketsWellFormed",
        holds: |m, s| p::buckets_well_formed(s, &m.rules),
        about:
            "entries in their prefix bucket, not self, no duplicates, ≤ k, last seen at the tail",
    },
    Row {
        name: "LiveNodesNeverEvicted",
        holds: |_, s| p::live_nodes_never_evicted(s),
        about: "no live contact is ever dropped from a bucket",
    },
    Row {
        name: "LookupTerminates",
        holds: |m, s| p::lookup_terminates(s, &m.rules),
        about: "a lookup runs at most N−1 rounds and always has a query in flight",
    },
    Row {
        name: "LookupFindsClosest",
        holds: |m, s| p::lookup_finds_closest(s, &m.rules),
        about: "a lookup without failures returns the k closest live nodes its origin can reach",
    },
    Row {
        name: "StoredValueFound",
        holds: |_, s| p::stored_value_found(s),
        about: "a get finds the value when its origin can reach a node it was stored at",
    },
    Row {
        name: "Repairable",
        holds: |m, s| m.repairable(s),
        about: "refresh and delivery steps alone can make every lookup find the closest",
    },
];

impl Model for KademliaModel {
    type State = State;
    type Action = Action;

    fn init_states(&self) -> Vec<State> {
        let s = self.concrete_init();
        vec![if self.symmetric.is_on() {
            symmetry::canonical(&s, self.cfg.nodes)
        } else {
            s
        }]
    }

    fn actions(&self, s: &State, out: &mut Vec<Action>) {
        self.enabled(s, false, out)
    }

    fn next_state(&self, s: &State, a: Action) -> Option<State> {
        let mut t = *s;
        events::apply(&mut t, &self.rules, a);
        if self.symmetric.is_on() {
            t = symmetry::canonical(&t, self.cfg.nodes);
        }
        Some(t)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        TABLE
            .iter()
            .map(|row| Property::always(row.name, row.holds))
            .collect()
    }

    fn format_action(&self, a: &Action) -> String {
        a.to_string()
    }

    fn as_svg(&self, path: stateright::Path<State, Action>) -> Option<String> {
        crate::paint::explorer_svg(self, path)
    }

    fn within_boundary(&self, _: &State) -> bool {
        !self.halt.is_on()
    }
}

/// No liveness properties under fairness: lookups terminate by a bound
/// (LookupTerminates) and repair is checked as Repairable.
impl LivenessModel for KademliaModel {}

/// Every state reachable within `limit` visits (unit tests walk these).
#[cfg(test)]
pub(crate) fn reachable(m: &KademliaModel, limit: usize) -> std::collections::BTreeSet<State> {
    let mut seen = std::collections::BTreeSet::new();
    let mut todo = m.init_states();
    let mut acts = Vec::new();
    while let Some(s) = todo.pop() {
        if seen.len() >= limit || !seen.insert(s) {
            continue;
        }
        acts.clear();
        m.actions(&s, &mut acts);
        todo.extend(acts.iter().map(|&a| m.apply(&s, a)));
    }
    seen
}
