//! # Kademlia routing and lookup
//!
//! Kademlia (Maymounkov & Mazières, "Kademlia: A Peer-to-peer Information
//! System Based on the XOR Metric", IPTPS 2002; BEP 5 for the variant the
//! BitTorrent DHT deploys) places nodes and keys in one id space and
//! measures distance by XOR. Each node keeps, for every length i of common
//! prefix with its own id, a *k-bucket* of at most k contacts, ordered from
//! least- to most-recently seen (§2.2), and finds the k nodes closest to an
//! id by an *iterative lookup* of α parallel queries (§2.3). This model
//! checks the routing-table rules and the lookup at small scope.
//!
//! ## What is modelled
//!
//! * Ids of `bits` bits; nodes n0 … n(N−1) have ids 0 … N−1 (N ≤ 2^bits);
//!   lookup targets are any id. Initially n0 is alone. Each other node may
//!   `join` once through a live contact, and up to `failures` nodes may
//!   `fail` (crash-stop, for good).
//! * Routing tables ([`table`]): `bits` buckets of at most k entries, a
//!   replacement cache of `cache` contacts per bucket, and per bucket at
//!   most one pending ping. Every message received runs the
//!   least-recently-seen rule: a known sender moves to the tail; a new one
//!   is appended if there is room; otherwise it goes to the replacement
//!   cache and the bucket's head (oldest) is pinged. The head is evicted
//!   (and the freshest cached contact promoted) only if the ping times out
//!   (`ping-timeout`); if it answers (`pong`) it moves to the tail. A
//!   lookup query that times out also drops its target (the paper's
//!   stale-contact rule, with a threshold of one).
//! * Lookups ([`lookup`]): the origin has heard of its whole table; its
//!   shortlist is the k closest heard-of nodes that have not timed out.
//!   Rounds send α queries to unqueried shortlist nodes while each round
//!   brings a closer node; then the final round queries every unqueried
//!   shortlist node, until all of the shortlist has answered. `join j via
//!   m` is j's lookup of its own id; `lookup n for t` is a FIND_NODE for t,
//!   which is also what a bucket refresh does (for a t in the bucket's
//!   range; the model lets any node refresh any range at any time, so the
//!   join's refreshes and the periodic ones are among the schedules
//!   explored). `store n for key` looks the key up and stores the value at
//!   the k closest of the result and n itself; `get n` is FIND_VALUE,
//!   which stops at the first node holding the value.
//! * Replication (§2.5): a node holding the value that observes a contact
//!   among the k closest to the key it knows of (itself included) sends it
//!   the value. Without this a node joining closer to the key than every
//!   holder hides the value from every later get (the checker found that
//!   at N=4 before it was modelled).
//!
//! ## What is atomic, and why
//!
//! Messages are explicit events, so that failures interleave with them:
//! each query of a lookup is delivered by its own event (`reply q`, or
//! `timeout q` once q has failed), and so is each ping's answer (`pong`,
//! or `ping-timeout`). Three simplifications keep the default scopes
//! checkable in seconds:
//!
//! * **One lookup at a time** in the whole network (joins, lookups, stores
//!   and gets start only when none is running). Concurrent lookups
//!   interact only through the contacts they make nodes observe, which the
//!   interleavings of one lookup with pings already exercise; the state
//!   space of several concurrent lookups is far beyond exhaustive reach.
//! * A query's delivery and its answer's return are one event: q observes
//!   the origin, answers with the k closest contacts it knows (the origin
//!   excluded), and the origin observes q. A failure of q between the two
//!   halves is indistinguishable, to the origin, from a failure before.
//! * A round waits for all its queries, and the next round is sent by the
//!   event that settles the last one (local computation of the origin).
//!   STOREs at the end of a store, and replication, are delivered at once.
//!   A live node always answers (no message loss): a timeout means a
//!   failed node.
//!
//! ## Properties ([`properties`]), all `always` over states
//!
//! * **BucketsWellFormed**: entries in the bucket of their prefix length,
//!   never the owner, no duplicates, at most k; caches likewise; a pending
//!   ping names an entry; and "ordered by last seen" through a ghost: the
//!   contacts the last event observed (a set of observer–contact pairs,
//!   not a list: a list's order would follow the ids and break the XOR
//!   symmetry) sit at the tail of their bucket (or cache).
//! * **LiveNodesNeverEvicted**: a ghost bit set whenever an entry leaves a
//!   bucket while its node is live.
//! * **LookupTerminates**, by a variant-independent bound checked as an
//!   invariant: every round queries a node not queried before, so a lookup
//!   runs at most N−1 rounds; and a running lookup always has a query in
//!   flight, whose `reply` or `timeout` is enabled (a live node answers, a
//!   failed one times out). So every lookup ends within N−1 rounds.
//! * **LookupFindsClosest**: in the state right after a lookup (not a get)
//!   ends, if no node failed while it ran, its result is exactly the k
//!   live nodes closest to the target among those its origin can reach
//!   through routing tables. The outcome is kept for that one state only.
//! * **StoredValueFound**: right after a get ends, it found the value if a
//!   store completed before it and its origin can reach a node the store
//!   put the value at (which is then live; so fewer than k of those have
//!   failed).
//! * **Repairable**, in the spirit of Chord's: from the state, repair steps
//!   alone (refresh lookups, query deliveries and timeouts, pongs and ping
//!   timeouts; no joins, failures, stores or gets) can reach a state where
//!   every live node's lookup for every id, run then, returns the k closest
//!   nodes it can reach. Memoised by the search every model shares
//!   ([`crate::check::repair`]).
//!
//! ## Variants
//!
//! `correct` is the paper's protocol, and keeps every property at its
//! default scope (k=2, one failure). `evict-without-ping` drops a full
//! bucket's head at once (LiveNodesNeverEvicted, and Repairable: with k=1
//! a node that answers a query first observes the querier, which evicts
//! the very contact the querier was looking for). `alpha-termination`
//! stops when a round brings nothing closer, returning unqueried (possibly
//! dead) nodes. `k1-failures` is the paper's protocol with k=1: lookups
//! and gets miss reachable nodes, with or without the failure.
//!
//! ## Symmetry ([`symmetry`])
//!
//! XOR translations x ↦ x ⊕ c preserve the metric exactly; those that map
//! the nodes 0 … N−1 onto themselves (c below the largest power of two
//! dividing N) form the group used by `--symmetry`.

pub mod action;
mod compact;
pub mod events;
pub mod id;
mod itf;
pub mod lookup;
pub mod overlay;
mod paint;
pub mod properties;
pub mod state;
pub mod symmetry;
pub mod table;

use std::sync::Arc;

use stateright::{Model, Property};

pub use action::{Action, Pattern};
pub use id::Node;
pub use state::State;

use crate::check::liveness::LivenessModel;
use crate::check::{always, infos, Expect, PropertyInfo, Row, Switch};
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
    repair_memo: Arc<crate::check::repair::Memo>,
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
        crate::check::explain::explained(|| self.check_action(s, a))
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
        infos(&TABLE, |name| expected(self.cfg.variant, name))
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

static TABLE: [Row<KademliaModel>; 6] = [
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
            symmetry::canonical(&s)
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
            t = symmetry::canonical(&t);
        }
        Some(t)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        always(&TABLE)
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

/// Repairable's search (`check::repair`): the repair steps and the goal.
impl crate::check::repair::Repair for KademliaModel {
    fn repaired(&self, s: &State) -> bool {
        self.converged(s)
    }
    fn repair_steps(&self, s: &State, out: &mut Vec<Action>) {
        self.enabled(s, true, out)
    }
    fn repair(&self, s: &State, a: &Action) -> State {
        self.apply(s, *a)
    }
}
