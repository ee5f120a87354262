//! # VON: neighbour completeness under movement and churn
//!
//! The Voronoi-based Overlay Network (Hu & Liao, "Scalable peer-to-peer
//! networked virtual environment", NetGames 2004; Hu, Chen & Chen, "VON: a
//! scalable peer-to-peer network for virtual environments", IEEE Network
//! 20(4), 2006) connects the avatars of a virtual world so that each learns
//! of every other inside its *area of interest* (AOI, a disc of radius R)
//! without a server. Each node builds the Voronoi diagram of the neighbours
//! it knows. Its *enclosing* neighbours, whose regions share an edge with
//! its own, are always kept, whatever the distance: they hold the overlay
//! together. A node's *AOI neighbours* are those inside its AOI. A newcomer
//! sends a JOIN to any node; it is forwarded greedily to the *acceptor*,
//! the node whose region holds the newcomer's position, which answers with
//! the newcomer's neighbours; the newcomer greets them (HELLO). A moving
//! node sends its new position to all its neighbours (MOVE); neighbours
//! that see, in their own diagram, nodes becoming relevant to the mover
//! tell it (NOTIFY), and it greets them. A node drops the neighbours that
//! are neither enclosing nor inside its AOI. A node that leaves says so
//! (LEAVE); one that fails is dropped by its neighbours' timeouts; either
//! way the remaining neighbours recompute their diagrams and tell each
//! other about nodes that became relevant across the hole.
//!
//! ## What is modelled
//!
//! * A `side` × `side` grid of integer cells ([`geometry`]): exact squared
//!   distances, and enclosing neighbours from `spade`'s Delaunay
//!   triangulation with exact predicates; a Delaunay edge between two
//!   cocircular triangles (Voronoi edge of length 0) does not count.
//! * Nodes n0 … n(N−1), each with a fixed home cell; n0 … n(initial−1)
//!   start in the overlay with exactly their relevant neighbours (a settled
//!   overlay), the others join in index order, each through any member.
//!   Up to `moves` moves in a run, each one node by one step of at most
//!   `step` cells (Euclidean) to a free cell; up to `leaves` graceful
//!   leaves and `failures` crashes.
//! * Every message is in flight on its own and delivered as its own event,
//!   FIFO per link (VON runs over TCP), so moves interleave with
//!   notifications. A message to a node that failed or left is lost. A
//!   joiner whose JOIN or reply was lost sends a new one (its timer).
//! * Tables hold the cell a node was last told: they can be stale.
//!
//! The protocol, as every node runs it ([`protocol`]); rel(x) is the set of
//! nodes relevant to x (inside x's AOI or enclosing x) *in the local view
//! of the node computing it*:
//!
//! 1. JOIN for cell p at y: y accepts if no node it knows is strictly
//!    closer to p; it answers JOIN_REPLY with itself and rel(joiner) in its
//!    view plus the joiner. Otherwise it forwards to the known node closest
//!    to p (ties: smallest index); a JOIN is dropped after N hops.
//! 2. JOIN_REPLY: the joiner takes the list, prunes, greets everyone left.
//! 3. HELLO from x at p: learn x at p, prune.
//! 4. MOVE from x to p at y: before = rel(x) if y knew x, else ∅; learn x
//!    at p; send NOTIFY with rel(x) \ before (minus x and y) to x if
//!    non-empty; prune. VON lets only the mover's *boundary neighbours*
//!    run this check; every receiver runs it here, a superset (deviation:
//!    the boundary test needs region–circle intersection in exact
//!    arithmetic, and a superset can only hide failures the filter would
//!    add — the breaks found below happen without it).
//! 5. NOTIFY: learn every listed node not yet known (never overwrite a
//!    known cell), prune, greet the new ones that were kept.
//! 6. LEAVE from x at y, or y's timeout for x: drop x, then for every
//!    remaining neighbour w send NOTIFY with rel(w) after \ rel(w) before
//!    (the repair notification; minus w and y) when non-empty.
//!
//! ## Properties ([`properties`])
//!
//! * **NeighborCompleteness**: once quiescent (nothing in flight, nobody
//!   joining, no departed node still listed), every member lists every
//!   member inside its AOI at its true cell.
//! * **EnclosingNeighborsKnown**: once quiescent, every member lists all
//!   its true enclosing neighbours at their true cells (hence mutually).
//! * **OverlayConnected**: once quiescent, the members are connected by
//!   the "lists or is listed by" relation.
//! * **JoinReachesAcceptor**: every JOIN ends at the node whose true region
//!   holds the joiner's cell (not elsewhere, not dropped).
//! * **Repairable**: from every state, deliveries, timeouts and joiners'
//!   retries alone reach a quiescent state where the three table
//!   properties hold.
//!
//! ## Variants
//!
//! `paper` is the protocol above. `correct` is VON hardened by the fixes
//! the checker called for, one counterexample at a time (README, "VON
//! model"):
//!
//! * a. each MOVE carries *hints*: the nodes relevant to its receiver in
//!   the mover's view after the move (two nodes the mover stood between
//!   may now enclose each other, and only the mover sees it);
//! * b. MOVE and HELLO carry the sender's neighbour ids (`knows`) and where
//!   it believes the receiver is (`seen`); HELLO carries hints as MOVE
//!   does;
//! * c. HELLO is checked as MOVE is, and the check sends exactly the
//!   relevant nodes missing from `knows` (the paper's before/after diff in
//!   the receiver's partial view misses what it wrongly believes the
//!   sender knows); a receiver whose `seen` is wrong answers with a HELLO,
//!   unless the message is a MOVE from a node it lists (it greeted that
//!   node, and MOVEs it when it moves: its position is already on the
//!   way);
//! * d. tombstones: a node never re-adds one it removed, and ignores its
//!   HELLO and MOVE;
//! * e. a repair NOTIFY names the departed node, which the receiver drops
//!   first (it may not have timed it out yet);
//! * f. LEAVE hands each receiver the nodes relevant to it without the
//!   leaver.
//!
//! `no-repair-notify` is `correct` without the repair notification.

pub mod action;
mod compact;
pub mod events;
pub mod geometry;
mod itf;
pub mod overlay;
mod paint;
pub mod properties;
pub mod protocol;
pub mod rules;
pub mod state;

use std::sync::Arc;

use stateright::{Model, Property};

pub use action::{Action, Pattern};
pub use state::State;

use crate::check::liveness::LivenessModel;
use crate::check::{always, infos, Expect, PropertyInfo, Row, Switch};
use geometry::Pos;
use properties as p;
use rules::Rules;
use state::{NodeState, Status, MAX_NODES};

/// The protocol variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Variant {
    /// VON as published: MOVE receivers tell the mover only.
    Paper,
    /// VON with the two fixes the checker called for.
    Correct,
    /// `correct` without the repair notification.
    NoRepairNotify,
}

impl Variant {
    pub const ALL: [Variant; 3] = [Variant::Paper, Variant::Correct, Variant::NoRepairNotify];

    pub fn name(self) -> &'static str {
        match self {
            Variant::Paper => "paper",
            Variant::Correct => "correct",
            Variant::NoRepairNotify => "no-repair-notify",
        }
    }

    pub fn about(self) -> &'static str {
        match self {
            Variant::Paper => {
                "VON as published: a MOVE's receivers tell the mover about its new neighbours"
            }
            Variant::Correct => {
                "VON hardened: MOVEs carry hints, HELLOs are checked, departures are named and remembered"
            }
            Variant::NoRepairNotify => {
                "correct, but a departed neighbour is dropped without telling the others"
            }
        }
    }

    /// Each MOVE carries the nodes relevant to its receiver in the mover's
    /// view (two nodes the mover stood between may now enclose each other,
    /// and the mover is the one that sees it).
    pub fn mover_hints(self) -> bool {
        self != Variant::Paper
    }

    /// A HELLO's receiver checks for the greeter as a MOVE's receiver does
    /// for the mover (a joiner may have enclosing neighbours its acceptor
    /// does not know).
    pub fn hello_check(self) -> bool {
        self != Variant::Paper
    }

    /// MOVE and HELLO carry the sender's neighbour list, and the
    /// receiver's check sends exactly the relevant nodes missing from it
    /// (VON's check compares the receiver's own before and after views,
    /// which miss what the receiver wrongly believes the mover knows).
    pub fn exact_check(self) -> bool {
        self != Variant::Paper
    }

    /// A LEAVE hands each receiver the nodes relevant to it once the
    /// leaver is gone, in the leaver's view (the leaver may be the only
    /// node that knows both sides).
    pub fn leave_hands_over(self) -> bool {
        self != Variant::Paper
    }

    /// A node remembers which nodes left or failed and ignores news of
    /// them (a stale NOTIFY, or a MOVE still in flight from a node that
    /// failed, would bring them back).
    pub fn tombstones(self) -> bool {
        self != Variant::Paper
    }

    /// A repair NOTIFY names the departed node, so that a receiver that has
    /// not timed it out yet drops it before judging the news.
    pub fn names_departed(self) -> bool {
        self != Variant::Paper
    }

    pub fn parse(name: &str) -> Option<Variant> {
        Variant::ALL.into_iter().find(|v| v.name() == name)
    }

    pub fn repair_notify(self) -> bool {
        self != Variant::NoRepairNotify
    }
}

/// Deliberate bugs for negative controls (tests only).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Mutation {
    #[default]
    None,
    /// MOVE receivers never tell the mover about new neighbours.
    NoBoundaryCheck,
}

/// Parameters of one VON model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub variant: Variant,
    pub side: u8,
    pub aoi: u8,
    pub step: u8,
    pub nodes: usize,
    pub initial: usize,
    pub moves: u8,
    pub failures: u8,
    pub leaves: u8,
    pub concurrent: bool,
    pub homes: Vec<Pos>,
    pub mutation: Mutation,
}

/// The default home cells (the first `nodes` are used).
pub const HOMES: [Pos; MAX_NODES] = [
    Pos::new(1, 1),
    Pos::new(3, 1),
    Pos::new(2, 3),
    Pos::new(4, 4),
    Pos::new(0, 4),
];

impl Config {
    /// Defaults of a variant: four nodes, one of them joining, on a 5×5
    /// grid with R = 2, every event settling before the next
    /// (`concurrent` = 0, the region where `correct` holds); `correct`
    /// gets moves of two cells and a leave (324,072 states, all hold),
    /// `paper` the one-cell moves that already break it, and
    /// `no-repair-notify` a failure in a settled overlay of four.
    pub fn new(variant: Variant) -> Config {
        let (initial, step, failures, leaves, moves) = match variant {
            Variant::Correct => (3, 2, 0, 1, 2),
            Variant::Paper => (3, 1, 0, 0, 2),
            Variant::NoRepairNotify => (4, 1, 1, 0, 1),
        };
        Config {
            variant,
            side: 5,
            aoi: 2,
            step,
            nodes: 4,
            initial,
            moves,
            failures,
            leaves,
            concurrent: false,
            homes: HOMES.to_vec(),
            mutation: Mutation::None,
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        let range = |name: &str, v: usize, lo: usize, hi: usize| {
            if (lo..=hi).contains(&v) {
                Ok(())
            } else {
                Err(format!("{name} must be between {lo} and {hi}, not {v}"))
            }
        };
        range("side", self.side as usize, 2, geometry::MAX_SIDE as usize)?;
        range("nodes", self.nodes, 1, MAX_NODES)?;
        range("initial", self.initial, 1, self.nodes)?;
        range("aoi", self.aoi as usize, 1, 2 * self.side as usize)?;
        range("step", self.step as usize, 1, self.side as usize)?;
        range("moves", self.moves as usize, 0, 6)?;
        range("failures", self.failures as usize, 0, self.nodes - 1)?;
        range("leaves", self.leaves as usize, 0, self.nodes - 1)?;
        if self.homes.len() < self.nodes {
            return Err(format!(
                "homes lists {} cells for {} nodes",
                self.homes.len(),
                self.nodes
            ));
        }
        for (i, h) in self.homes[..self.nodes].iter().enumerate() {
            if h.x >= self.side || h.y >= self.side {
                return Err(format!(
                    "home of n{i}, {h}, is off the {0}x{0} grid",
                    self.side
                ));
            }
            if self.homes[..i].contains(h) {
                return Err(format!("two nodes have the home cell {h}"));
            }
        }
        Ok(())
    }

    pub fn rules(&self) -> Rules {
        let mut homes = [Pos::default(); MAX_NODES];
        homes[..self.nodes].copy_from_slice(&self.homes[..self.nodes]);
        Rules {
            side: self.side,
            aoi: self.aoi,
            step: self.step,
            nodes: self.nodes,
            initial: self.initial,
            moves: self.moves,
            failures: self.failures,
            leaves: self.leaves,
            concurrent: self.concurrent,
            homes,
            variant: self.variant,
            mutation: self.mutation,
        }
    }
}

/// The VON model: a [`Config`] plus the Repairable memo.
#[derive(Clone)]
pub struct VonModel {
    pub cfg: Config,
    rules: Rules,
    repair_memo: Arc<crate::check::repair::Memo>,
    halt: Switch,
}

impl VonModel {
    pub fn new(cfg: Config) -> Result<VonModel, String> {
        cfg.validate()?;
        Ok(VonModel {
            rules: cfg.rules(),
            cfg,
            repair_memo: Default::default(),
            halt: Switch::default(),
        })
    }

    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    pub fn explain(&self, s: &State, a: Action) -> Result<(), String> {
        crate::check::explain::explained(|| self.check_action(s, a))
    }

    pub fn check_action(&self, s: &State, a: Action) -> Result<(), String> {
        let n = self.cfg.nodes as u8;
        let named: &[u8] = match a {
            Action::Join { j, via } => &[j, via],
            Action::Timeout { n, of } => &[n, of],
            Action::Deliver { from, to, .. } => &[from, to],
            Action::Move { n, .. } | Action::Leave(n) | Action::Fail(n) => &[n],
        };
        if named.iter().any(|&x| x >= n) {
            return Err(why!("the model has nodes n0 … n{}", n - 1));
        }
        events::check(s, &self.rules, a)
    }

    pub fn apply(&self, s: &State, a: Action) -> State {
        let mut t = *s;
        events::apply(&mut t, &self.rules, a);
        t
    }

    pub fn enabled(&self, s: &State, repair_only: bool, out: &mut Vec<Action>) {
        let start = out.len();
        events::candidates(s, &self.rules, out);
        let mut kept = start;
        for i in start..out.len() {
            let a = out[i];
            if (!repair_only || self.is_repair(s, a)) && events::check(s, &self.rules, a).is_ok() {
                out[kept] = a;
                kept += 1;
            }
        }
        out.truncate(kept);
    }

    /// A repair step: a delivery, a timeout, or a joiner's retry (a fresh
    /// join is churn).
    fn is_repair(&self, s: &State, a: Action) -> bool {
        match a {
            Action::Join { j, .. } => s.node(j).status == Status::Joining,
            _ => a.is_repair(),
        }
    }

    pub fn repairable(&self, s: &State) -> bool {
        self.repair_memo.repairable(self, s)
    }

    pub(crate) fn halt_flag(&self) -> &Switch {
        &self.halt
    }

    pub fn expectations(&self) -> Vec<PropertyInfo> {
        infos(&TABLE, |name| expected(&self.cfg, name))
    }

    /// The initial nodes in, each listing exactly its relevant neighbours.
    fn concrete_init(&self) -> State {
        let r = &self.rules;
        let mut s = State::default();
        for i in 0..self.cfg.nodes {
            let mut x = NodeState::default();
            if i < self.cfg.initial {
                x.status = Status::In;
                x.pos = r.homes[i];
            }
            s.nodes.push(x);
        }
        for y in 0..self.cfg.initial as u8 {
            for z in 0..self.cfg.initial as u8 {
                if z != y {
                    s.node_mut(y).learn(z, r.homes[z as usize]);
                }
            }
            protocol::prune(&mut s, r, y);
        }
        s
    }
}

/// The verdict expected at a configuration (see the README's VON table
/// for the parameter region where the checker found no violation).
fn expected(c: &Config, property: &str) -> Expect {
    use Expect::{Holds, Violated};
    match (c.variant, property) {
        (Variant::Correct, _) => Holds,
        // One-cell moves make two stationary nodes enclose each other and
        // nobody tells them (13 events).
        (Variant::Paper | Variant::NoRepairNotify, "EnclosingNeighborsKnown" | "Repairable") => {
            Violated
        }
        _ => Holds,
    }
}

static TABLE: [Row<VonModel>; 5] = [
    Row {
        name: "NeighborCompleteness",
        holds: |m, s| p::neighbor_completeness(s, &m.rules),
        about: "once quiescent, every node lists every node inside its AOI, at its true cell",
    },
    Row {
        name: "EnclosingNeighborsKnown",
        holds: |_, s| p::enclosing_neighbors_known(s),
        about: "once quiescent, every node lists all its true enclosing neighbours (mutually)",
    },
    Row {
        name: "OverlayConnected",
        holds: |_, s| p::overlay_connected(s),
        about: "once quiescent, the nodes are connected by who lists whom",
    },
    Row {
        name: "JoinReachesAcceptor",
        holds: |_, s| p::join_reaches_acceptor(s),
        about: "greedy JOIN forwarding ends at the node whose region holds the joiner",
    },
    Row {
        name: "Repairable",
        holds: |m, s| m.repairable(s),
        about: "deliveries, timeouts and retries alone restore complete, connected tables",
    },
];

impl Model for VonModel {
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
impl LivenessModel for VonModel {}

impl crate::check::repair::Repair for VonModel {
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
