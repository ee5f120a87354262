//! # CAN: zones, neighbours, greedy routing under churn
//!
//! The Content-Addressable Network (Ratnasamy, Francis, Handley, Karp,
//! Shenker, "A Scalable Content-Addressable Network", SIGCOMM 2001) maps
//! keys to points of a d-dimensional Cartesian space on a d-torus. Every
//! node owns a rectangular *zone*; together the zones tile the space. A
//! node knows the nodes whose zones abut its own (its *neighbours*) and
//! routes a message greedily to the neighbour nearest the destination
//! point (§2.1). A newcomer picks a point and sends a JOIN towards it; the
//! point's owner splits its zone in half and hands the newcomer the half
//! holding the point (§2.2). A node that leaves hands its zone to a
//! neighbour: one that can merge it into a valid zone, else the one with
//! the smallest zone, which then holds two for a while; when a node fails,
//! its neighbours' takeover timers, proportional to their zone volumes,
//! make the smallest one take its zone over (§2.3). A background
//! reassignment brings the network back to one zone per node. With r
//! *realities* (§3.1), independent coordinate spaces, every key has r
//! owners.
//!
//! ## What is modelled
//!
//! * The space ([`grid`]): `side` = 2^bits cells per dimension, d = 2 by
//!   default (3 allowed), cells named by coordinates `(x,y)`. Zones are
//!   boxes of cells with exact integer arithmetic; the split rule halves
//!   dimensions in the fixed order 0, 1, …, d−1, 0, …, so the valid zones
//!   are the nodes of one k-d partition tree.
//! * Nodes n0 … n(N−1). n0 owns the whole space of every reality at the
//!   start; the others join in index order (names are interchangeable,
//!   so only the order in which ties are broken is fixed by this), each
//!   reality separately, at any cell, through any live node: the JOIN is
//!   routed greedily from there ([`routing`]), and is not possible when
//!   routing gets stuck. Up to `leaves` nodes leave gracefully and up to
//!   `failures` fail (crash-stop).
//! * Neighbour maintenance ([`messages`]): every change of zones sends an
//!   update (zones and neighbour list) to the old and new neighbours; a
//!   periodic `refresh` sends it to all neighbours; each update's delivery
//!   is its own event, so deliveries interleave with churn. A node drops
//!   a neighbour that left or was taken over when the heir's update tells
//!   it, or by `expire` (its refreshes stopped).
//! * Takeover ([`churn`]): a failed node's zones stay *orphaned* until a
//!   neighbour that lists it takes them over; in the paper's protocol only
//!   the one with the smallest volume can (the timers and TAKEOVER
//!   messages decide that; the model takes the decision they reach). The
//!   keys the failed node held are lost in that reality (soft state).
//! * Background reassignment ([`churn::reassign_plan`]): a node holding an
//!   extra zone A gives it to the owner of A's sibling if that is one
//!   zone (they merge); otherwise the first pair of sibling leaves in the
//!   sibling's subtree, depth-first, merge, and the node freed takes A.
//! * Keys k0 … at fixed cells per reality ([`rules::Rules::key_point`]):
//!   `put` stores at the owner in every reality, `get` asks one; keys move
//!   with the zones that hold them.
//! * One probe message (`route`, then one `forward` per hop) when
//!   `probes` allows, to watch greedy routing hop by hop under churn.
//!
//! ## What is atomic, and why
//!
//! A join (routing included), a leave, a takeover and a reassignment are
//! each one event: their internal handshakes (the split, the hand-off and
//! its acknowledgement, the TAKEOVER volume comparison, the reassignment's
//! search) finish before anything else changes those nodes' zones, and a
//! real node serialises them the same way. What happens *between* nodes
//! (every update to every neighbour, refreshes, takeovers by different
//! nodes, probes) is separate events. A node reads another's zones from
//! the ground truth when it recomputes adjacency (what its last update
//! told it, in a network whose updates carry zones).
//!
//! ## Properties ([`properties`]), all `always` over states
//!
//! * **ZoneCoverage**: in every reality the live zones and the orphaned
//!   ones (failed, not yet taken over) tile the torus exactly.
//! * **ValidZones**: every zone is a node of the partition tree.
//! * **NeighborSetsExact**: once settled (no update in flight, no orphan,
//!   no listed departed node, and no refresh would change anything), every
//!   node lists exactly the live nodes whose zones abut its own.
//! * **GreedyRoutingDelivers**: once settled, greedy routing from every
//!   node to every cell reaches the owner within N−1 hops; and a probe that
//!   started settled and saw no zone change was delivered.
//! * **NoKeyLost**: every stored key is held by the live owner of its
//!   point in every reality where no node holding it failed.
//! * **Repairable**: from every state, repair steps alone (updates,
//!   refreshes, expiry, takeover, reassignment) reach a state with a valid
//!   tiling, one zone per node, exact neighbour sets and routing that
//!   delivers.
//!
//! ## Variants
//!
//! `correct` is the paper's protocol. `takeover-race` lets every
//! neighbour whose timer fires take a failed node's zones over, without
//! the TAKEOVER volume comparison, so two may own them at once.
//! `ragged-merge` lets a leaving node merge its zone into any neighbour's
//! with which it forms a box, not only into its sibling's, which makes
//! zones no split can produce (and that no later split or reassignment
//! handles).

pub mod action;
pub mod churn;
mod compact;
pub mod events;
pub mod grid;
mod itf;
pub mod messages;
pub mod overlay;
mod paint;
pub mod properties;
pub mod routing;
pub mod rules;
pub mod state;
pub mod zones;

use std::sync::Arc;

use stateright::{Model, Property};

pub use action::{Action, Pattern};
pub use state::State;

use crate::check::liveness::LivenessModel;
use crate::check::{always, infos, Expect, PropertyInfo, Row, Switch};
use grid::Space;
use properties as p;
use rules::Rules;
use state::{NodeState, Status};

/// The protocol variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Variant {
    /// The paper's protocol.
    Correct,
    /// Takeover without the TAKEOVER volume comparison.
    TakeoverRace,
    /// Leave merges into any neighbour's zone that forms a box with it.
    RaggedMerge,
    /// The paper's protocol without the expanding-ring search.
    NoRingSearch,
}

impl Variant {
    pub const ALL: [Variant; 4] = [
        Variant::Correct,
        Variant::TakeoverRace,
        Variant::RaggedMerge,
        Variant::NoRingSearch,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Variant::Correct => "correct",
            Variant::TakeoverRace => "takeover-race",
            Variant::RaggedMerge => "ragged-merge",
            Variant::NoRingSearch => "no-ring-search",
        }
    }

    pub fn about(self) -> &'static str {
        match self {
            Variant::Correct => "the paper's protocol: sibling merges, smallest-zone takeover",
            Variant::TakeoverRace => {
                "every neighbour whose timer fires takes a failed zone over (no TAKEOVER comparison)"
            }
            Variant::RaggedMerge => {
                "a leaving node merges into any neighbour whose zone forms a box with its own"
            }
            Variant::NoRingSearch => {
                "no expanding-ring search: a node relies on its neighbours alone to learn new ones"
            }
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
    /// A split leaves every key with the old owner.
    SplitKeepsKeys,
    /// Updates carry no neighbour list.
    UpdateWithoutList,
    /// A receiver that no longer abuts the sender does not answer.
    NoCorrection,
    /// Background reassignment never runs.
    NoReassign,
}

/// Parameters of one CAN model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub variant: Variant,
    pub dims: usize,
    /// Cells per dimension: 2^bits.
    pub bits: usize,
    pub nodes: usize,
    pub realities: usize,
    pub keys: usize,
    pub failures: usize,
    pub leaves: usize,
    pub probes: usize,
    pub gets: bool,
    pub mutation: Mutation,
}

impl Config {
    /// Defaults of a variant.
    pub fn new(variant: Variant) -> Config {
        // The smallest scopes that show each broken variant's violations,
        // so that the default `check can` runs in under a minute; the
        // correct protocol gets the scope with every kind of event.
        let (nodes, keys, failures, leaves) = match variant {
            Variant::Correct => (4, 1, 1, 1),
            Variant::TakeoverRace => (3, 1, 1, 0),
            Variant::RaggedMerge => (4, 0, 0, 1),
            Variant::NoRingSearch => (4, 0, 1, 1),
        };
        Config {
            variant,
            dims: 2,
            bits: 2,
            nodes,
            realities: 1,
            keys,
            failures,
            leaves,
            probes: 0,
            gets: false,
            mutation: Mutation::None,
        }
    }

    /// Checks that the parameters make a model; errors name the parameter.
    pub fn validate(&self) -> Result<(), String> {
        let range = |name: &str, v: usize, lo: usize, hi: usize| {
            if (lo..=hi).contains(&v) {
                Ok(())
            } else {
                Err(format!("{name} must be between {lo} and {hi}, not {v}"))
            }
        };
        range("dims", self.dims, 1, grid::MAX_DIMS)?;
        range("bits", self.bits, 1, 3)?;
        if (1usize << (self.bits * self.dims)) > grid::MAX_CELLS {
            return Err(format!(
                "the space has 2^(bits·dims) = 2^{} cells; at most {} fit (lower bits or dims)",
                self.bits * self.dims,
                grid::MAX_CELLS
            ));
        }
        range("nodes", self.nodes, 1, state::MAX_NODES)?;
        range("realities", self.realities, 1, state::MAX_REALITIES)?;
        range("keys", self.keys, 0, state::MAX_KEYS)?;
        range("failures", self.failures, 0, self.nodes)?;
        range("leaves", self.leaves, 0, self.nodes)?;
        range("probes", self.probes, 0, 3)?;
        if self.failures + self.leaves > 3 {
            return Err(format!(
                "failures + leaves must be at most 3 (zones a node may collect), not {}",
                self.failures + self.leaves
            ));
        }
        Ok(())
    }

    pub fn rules(&self) -> Rules {
        Rules {
            space: Space {
                dims: self.dims,
                side: 1 << self.bits,
            },
            nodes: self.nodes,
            realities: self.realities,
            keys: self.keys,
            failures: self.failures,
            leaves: self.leaves,
            probes: self.probes,
            gets: self.gets,
            variant: self.variant,
            mutation: self.mutation,
        }
    }
}

/// The CAN model: a [`Config`] plus the Repairable memo.
#[derive(Clone)]
pub struct CanModel {
    pub cfg: Config,
    rules: Rules,
    repair_memo: Arc<crate::check::repair::Memo>,
    halt: Switch,
}

impl CanModel {
    pub fn new(cfg: Config) -> Result<CanModel, String> {
        cfg.validate()?;
        Ok(CanModel {
            rules: cfg.rules(),
            cfg,
            repair_memo: Default::default(),
            halt: Switch::default(),
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
        let n = self.cfg.nodes as u8;
        let named: &[u8] = match a {
            Action::Join { j, via, .. } => &[j, via],
            Action::Takeover { n, of, .. } | Action::Expire { n, of, .. } => &[n, of],
            Action::Update { from, to, .. } => &[from, to],
            Action::Leave(x)
            | Action::Fail(x)
            | Action::Reassign { n: x, .. }
            | Action::Search { n: x, .. }
            | Action::Refresh { n: x, .. }
            | Action::Put { via: x, .. }
            | Action::Get { via: x, .. }
            | Action::Route { from: x, .. } => &[x],
            Action::Forward => &[],
        };
        if named.iter().any(|&x| x >= n) {
            return Err(why!("the model has nodes n0 … n{}", n - 1));
        }
        if a.reality() >= self.cfg.realities {
            return Err(why!(
                "the model has realities r0 … r{}",
                self.cfg.realities - 1
            ));
        }
        if let Action::Put { key, .. } | Action::Get { key, .. } = a {
            if key as usize >= self.cfg.keys {
                return Err(why!("the model has {} key(s)", self.cfg.keys));
            }
        }
        if let Action::Join { at, .. } | Action::Route { to: at, .. } = a {
            let sp = self.rules.space;
            if at.dims as usize != sp.dims || at.p.iter().any(|&c| c >= sp.side) {
                return Err(why!("{at} is not a cell of this space"));
            }
        }
        events::check(s, &self.rules, a)
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
            if (!repair_only || a.is_repair()) && events::check(s, &self.rules, a).is_ok() {
                out[kept] = a;
                kept += 1;
            }
        }
        out.truncate(kept);
    }

    pub fn repairable(&self, s: &State) -> bool {
        self.repair_memo.repairable(self, s)
    }

    pub(crate) fn halt_flag(&self) -> &Switch {
        &self.halt
    }

    /// The properties with their expected verdicts, in the order of
    /// [`Model::properties`].
    pub fn expectations(&self) -> Vec<PropertyInfo> {
        infos(&TABLE, |name| expected(self.cfg.variant, name))
    }

    /// The initial state: n0 owns the whole space of every reality.
    fn concrete_init(&self) -> State {
        let mut s = State::default();
        for _ in 0..self.cfg.nodes {
            s.nodes.push(NodeState::default());
        }
        s.nodes[0].status = Status::Live;
        for r in 0..self.cfg.realities {
            s.nodes[0].r[r].zones.push(self.rules.space.whole());
            s.nodes[0].r[r].set_cover(&self.rules.space);
        }
        s
    }
}

/// The verdict each variant is expected to give, at its default scope.
fn expected(v: Variant, property: &str) -> Expect {
    use Expect::{Holds, Violated};
    match (v, property) {
        (Variant::Correct, _) => Holds,
        // Two owners of one zone: routing ends at either, keys are put
        // at one and looked for at the other.
        (
            Variant::TakeoverRace,
            "ZoneCoverage" | "GreedyRoutingDelivers" | "NoKeyLost" | "Repairable",
        ) => Violated,
        (Variant::RaggedMerge, "ValidZones" | "Repairable") => Violated,
        (Variant::NoRingSearch, "NeighborSetsExact" | "GreedyRoutingDelivers" | "Repairable") => {
            Violated
        }
        _ => Holds,
    }
}

static TABLE: [Row<CanModel>; 6] = [
    Row {
        name: "ZoneCoverage",
        holds: |m, s| p::zone_coverage(s, &m.rules),
        about: "live and orphaned zones tile the torus: disjoint, covering every cell",
    },
    Row {
        name: "ValidZones",
        holds: |m, s| p::valid_zones(s, &m.rules),
        about: "every zone is one the split rule can make (a node of the partition tree)",
    },
    Row {
        name: "NeighborSetsExact",
        holds: |m, s| p::neighbor_sets_exact(s, &m.rules),
        about: "once settled, each node lists exactly the live nodes whose zones abut its own",
    },
    Row {
        name: "GreedyRoutingDelivers",
        holds: |m, s| p::greedy_routing_delivers(s, &m.rules),
        about: "once settled, greedy routing reaches every cell's owner within N−1 hops",
    },
    Row {
        name: "NoKeyLost",
        holds: |m, s| p::no_key_lost(s, &m.rules),
        about: "each stored key is at its owner in every reality where no holder failed",
    },
    Row {
        name: "Repairable",
        holds: |m, s| m.repairable(s),
        about: "repair steps alone restore a valid tiling, one zone each, exact neighbours",
    },
];

impl Model for CanModel {
    type State = State;
    type Action = Action;

    fn init_states(&self) -> Vec<State> {
        vec![self.concrete_init()]
    }

    fn actions(&self, s: &State, out: &mut Vec<Action>) {
        self.enabled(s, false, out)
    }

    fn next_state(&self, s: &State, a: Action) -> Option<State> {
        Some(self.apply(s, a))
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

/// No liveness properties under fairness: repair is checked as Repairable.
impl LivenessModel for CanModel {}

/// Repairable's search (`check::repair`): the repair steps and the goal.
impl crate::check::repair::Repair for CanModel {
    fn repaired(&self, s: &State) -> bool {
        p::repaired(s, &self.rules)
    }
    fn repair_steps(&self, s: &State, out: &mut Vec<Action>) {
        self.enabled(s, true, out)
    }
    fn repair(&self, s: &State, a: &Action) -> State {
        self.apply(s, *a)
    }
}
