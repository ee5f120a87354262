//! The global state of a CAN network: every node's zones, neighbour set,
//! keys and outgoing updates in every reality, the one routed message in
//! flight, and the ghost variables the properties read.
//!
//! Everything is inline and `Copy`, as in the other models' states.

use tinyvec::ArrayVec;

use super::grid::{Point, Zone};

pub use crate::nodeset::{bit, elems, has, Node, Set};
/// A set of keys, bit i = key k{i}.
pub type Keys = u8;

/// Most nodes a model may have.
pub const MAX_NODES: usize = 6;
/// Most zones one node may hold at once in one reality.
pub const MAX_ZONES: usize = 8;
/// Most realities.
pub const MAX_REALITIES: usize = 2;
/// Most keys.
pub const MAX_KEYS: usize = 2;

/// A node's life. A failed node's zones stay recorded (they are orphaned
/// until a neighbour takes them over, and remain as a ghost afterwards);
/// a node that left holds nothing.
#[derive(Clone, Copy, Debug, Default, Hash, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    #[default]
    Absent,
    Live,
    Failed,
    Left,
}

/// One node in one reality.
#[derive(Clone, Copy, Debug, Default, Hash, PartialEq, Eq, PartialOrd, Ord)]
pub struct Slice {
    /// Its zones, in the order it acquired them (the first is its own).
    pub zones: ArrayVec<[Zone; MAX_ZONES]>,
    /// The nodes it believes own a zone abutting one of its zones.
    pub nbrs: Set,
    /// The keys it stores.
    pub keys: Keys,
    /// Receivers of an update from it that is in flight: "my zones are …,
    /// my neighbours are …". Its content is read at delivery.
    pub pending: Set,
    /// A failed node: whether a neighbour has taken its zones over.
    pub claimed: bool,
    /// The cells its zones cover (derived from `zones`, kept in step by
    /// [`Slice::set_cover`] wherever zones change: the properties ask
    /// for it in every state).
    pub cover: u64,
}

impl Slice {
    pub fn set_cover(&mut self, space: &super::grid::Space) {
        self.cover = self.zones.iter().fold(0, |m, z| m | space.mask(z));
    }
}

/// One node.
#[derive(Clone, Copy, Debug, Default, Hash, PartialEq, Eq, PartialOrd, Ord)]
pub struct NodeState {
    pub status: Status,
    pub r: [Slice; MAX_REALITIES],
}

/// Where a routed probe message is.
#[derive(Clone, Copy, Debug, Default, Hash, PartialEq, Eq, PartialOrd, Ord)]
pub struct Route {
    pub reality: u8,
    pub from: Node,
    pub at: Node,
    pub point: Point,
    pub hops: u8,
    /// Nodes it has been at.
    pub visited: Set,
    /// It started in a settled state and no zone has changed since.
    pub calm: bool,
}

/// How the last probe or get ended (kept for one state).
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// The probe reached the owner of its point.
    Delivered { hops: u8, calm: bool },
    /// The probe came back to a node it had visited.
    Looped { calm: bool },
    /// No live neighbour was closer and the node does not own the point.
    Stuck { at: Node, calm: bool },
    /// The node holding it failed or left.
    Lost,
    /// A get of key k in a reality reached the owner, which had it or not.
    Got { key: u8, reality: u8, found: bool },
}

/// The whole network.
#[derive(Clone, Copy, Debug, Default, Hash, PartialEq, Eq, PartialOrd, Ord)]
pub struct State {
    pub nodes: ArrayVec<[NodeState; MAX_NODES]>,
    /// Keys that have been put.
    pub stored: Keys,
    /// Ghost: keys lost in a reality because a node holding them failed.
    pub lost: [Keys; MAX_REALITIES],
    pub route: Option<Route>,
    pub outcome: Option<Outcome>,
    /// Probes started so far (bounded by the `probes` parameter).
    pub probes: u8,
}

impl State {
    pub fn ids(&self) -> impl Iterator<Item = Node> {
        0..self.nodes.len() as Node
    }

    pub fn node(&self, n: Node) -> &NodeState {
        &self.nodes[n as usize]
    }

    pub fn node_mut(&mut self, n: Node) -> &mut NodeState {
        &mut self.nodes[n as usize]
    }

    pub fn slice(&self, n: Node, r: usize) -> &Slice {
        &self.nodes[n as usize].r[r]
    }

    pub fn slice_mut(&mut self, n: Node, r: usize) -> &mut Slice {
        &mut self.nodes[n as usize].r[r]
    }

    pub fn is_live(&self, n: Node) -> bool {
        self.node(n).status == Status::Live
    }

    /// Live and holding a zone in reality r.
    pub fn is_member(&self, n: Node, r: usize) -> bool {
        self.is_live(n) && !self.slice(n, r).zones.is_empty()
    }

    /// Failed with zones nobody has taken over yet, in reality r.
    pub fn is_orphan(&self, n: Node, r: usize) -> bool {
        let s = self.slice(n, r);
        self.node(n).status == Status::Failed && !s.claimed && !s.zones.is_empty()
    }

    /// Gone for good from reality r's point of view: left, or failed and
    /// taken over.
    pub fn is_departed(&self, n: Node, r: usize) -> bool {
        match self.node(n).status {
            Status::Left => true,
            Status::Failed => !self.is_orphan(n, r),
            _ => false,
        }
    }

    pub fn count(&self, status: Status) -> usize {
        self.nodes.iter().filter(|n| n.status == status).count()
    }
}
