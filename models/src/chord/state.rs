//! The global state of a Chord network, shared by all three variants.
//!
//! One shape serves every variant so that properties, rendering and traces
//! are written once: a node is a member iff its successor list is non-empty.
//! In `original`/`original-fixed` the list holds `succ` and, when present,
//! `succ2`; in `correct` it always holds exactly `r` entries.

use std::fmt;

use tinyvec::ArrayVec;

use super::ring::{Name, Node, MAX_NODES};

/// A successor list, inline and `Copy`: the checker copies a state for
/// every successor it generates, and with a heap list per node,
/// allocation was the largest single cost of a search.
pub type SuccList = ArrayVec<[Node; MAX_NODES]>;

/// One entry per identity, inline for the same reason.
pub type PerNode<T> = ArrayVec<[T; MAX_NODES]>;

/// What a `correct` node is in the middle of (Zave, TSE 2017, §V).
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// Waiting to run StabilizeFromPredecessor with the saved node.
    Stabilizing(Node),
    /// Told to rectify its predecessor with the saved node.
    Rectifying(Node),
}

/// One node's ring-maintenance state.
#[derive(Clone, Copy, Debug, Default, Hash, PartialEq, Eq, PartialOrd, Ord)]
pub struct NodeState {
    /// Successor list; empty iff the node is not a member.
    pub succ: SuccList,
    /// Predecessor pointer.
    pub prdc: Option<Node>,
    /// Operation in progress (`correct` only).
    pub status: Option<Status>,
}

impl NodeState {
    pub fn is_member(&self) -> bool {
        !self.succ.is_empty()
    }
    /// First successor (`succ`), if a member.
    pub fn succ1(&self) -> Option<Node> {
        self.succ.first().copied()
    }
    /// Second successor (`succ2` of the original protocol), if any.
    pub fn succ2(&self) -> Option<Node> {
        self.succ.get(1).copied()
    }
}

/// The whole network.
#[derive(Clone, Copy, Hash, PartialEq, Eq, PartialOrd, Ord)]
pub struct State {
    /// Indexed by identity: `nodes[i]` is `n{i}`.
    pub nodes: PerNode<NodeState>,
    /// Original protocol only: `notify[p] = Some(n)` when p's notification
    /// to n is in flight. At most one per sender (see the module essay).
    /// Empty for `correct`.
    pub notify: PerNode<Option<Node>>,
}

impl State {
    pub fn node(&self, n: Node) -> &NodeState {
        &self.nodes[n as usize]
    }
    pub fn node_mut(&mut self, n: Node) -> &mut NodeState {
        &mut self.nodes[n as usize]
    }
    pub fn is_member(&self, n: Node) -> bool {
        self.node(n).is_member()
    }
    /// Identities, in ring order.
    pub fn ids(&self) -> impl Iterator<Item = Node> + Clone {
        0..self.nodes.len() as Node
    }
    pub fn members(&self) -> impl Iterator<Item = Node> + Clone + '_ {
        self.ids().filter(|&n| self.is_member(n))
    }
    pub fn member_count(&self) -> usize {
        self.members().count()
    }
    /// The first entry of n's successor list that is a member.
    pub fn best_succ(&self, n: Node) -> Option<Node> {
        self.node(n)
            .succ
            .iter()
            .copied()
            .find(|&s| self.is_member(s))
    }
}

/// One line per member, as the explorer and test failures show it:
/// `n0: succ [n1, n2] prdc n3 stabilizing(n1)`, then notifications.
impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for n in self.members() {
            let ns = self.node(n);
            let list: Vec<String> = ns.succ.iter().map(|&x| Name(x).to_string()).collect();
            write!(f, "{}: succ [{}]", Name(n), list.join(", "))?;
            if let Some(p) = ns.prdc {
                write!(f, " prdc {}", Name(p))?;
            }
            match ns.status {
                Some(Status::Stabilizing(p)) => write!(f, " stabilizing({})", Name(p))?,
                Some(Status::Rectifying(q)) => write!(f, " rectifying({})", Name(q))?,
                None => {}
            }
            writeln!(f)?;
        }
        for (from, to) in self.notify.iter().enumerate() {
            if let Some(to) = to {
                writeln!(f, "pending: {} notifies {}", Name(from as Node), Name(*to))?;
            }
        }
        Ok(())
    }
}
