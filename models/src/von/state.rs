//! The VON model's state: every node's status, true cell and neighbour
//! table (who it knows, at which cell it believes each is), and the
//! messages in flight, in sending order (delivery is FIFO per link, as
//! VON's TCP connections are).

use tinyvec::ArrayVec;

use super::geometry::Pos;
use crate::nodeset::{bit, has, Node, Set};

/// Most nodes a model may have.
pub const MAX_NODES: usize = super::geometry::MAX_SITES;
/// Most messages in flight. An event is disabled when its sends could
/// overflow this (`events::check` says so); the pinned scopes never come
/// near it (models/tests/von.rs).
pub const MAX_MSGS: usize = 32;

#[derive(Clone, Copy, Debug, Default, Hash, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// Not yet in the overlay.
    #[default]
    Absent,
    /// Sent its JOIN; waits for the acceptor's reply.
    Joining,
    In,
    Failed,
    Left,
}

#[derive(Clone, Copy, Debug, Default, Hash, PartialEq, Eq, PartialOrd, Ord)]
pub struct NodeState {
    pub status: Status,
    /// The true cell (where it joins; then where it stands).
    pub pos: Pos,
    /// The nodes in its neighbour table.
    pub known: Set,
    /// The cell it believes each known node is at (default when unknown,
    /// so that equal tables are equal states).
    pub view: [Pos; MAX_NODES],
    /// Nodes it knows are gone (`correct`'s tombstones): never listed
    /// again, whoever mentions them.
    pub gone: Set,
}

impl NodeState {
    pub fn knows(&self, n: Node) -> bool {
        has(self.known, n)
    }
    pub fn learn(&mut self, n: Node, p: Pos) {
        self.known |= bit(n);
        self.view[n as usize] = p;
    }
    pub fn forget(&mut self, n: Node) {
        self.known &= !bit(n);
        self.view[n as usize] = Pos::default();
    }
}

/// A message's kind, as VON names them.
#[derive(Clone, Copy, Debug, Default, Hash, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// A joiner's request, forwarded greedily towards the acceptor.
    #[default]
    Join,
    /// The acceptor's answer: the joiner's first neighbours.
    JoinReply,
    /// "I am your neighbour, at this cell."
    Hello,
    /// The sender's new cell.
    Move,
    /// Nodes the receiver should know (a boundary check's or a repair's).
    Notify,
    /// The sender leaves.
    Leave,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Join,
        Kind::JoinReply,
        Kind::Hello,
        Kind::Move,
        Kind::Notify,
        Kind::Leave,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Join => "join",
            Kind::JoinReply => "join-reply",
            Kind::Hello => "hello",
            Kind::Move => "move",
            Kind::Notify => "notify",
            Kind::Leave => "leave",
        }
    }
}

#[derive(Clone, Copy, Debug, Default, Hash, PartialEq, Eq, PartialOrd, Ord)]
pub struct Msg {
    pub kind: Kind,
    pub src: Node,
    pub dst: Node,
    /// JOIN: the joiner (the sender is the last forwarder).
    pub joiner: Node,
    /// JOIN: forwarding hops so far.
    pub hops: u8,
    /// JOIN: the joiner's cell; HELLO, MOVE: the sender's.
    pub pos: Pos,
    /// MOVE, HELLO (`correct`): the sender's neighbours, so that the
    /// receiver's check tells it exactly what it misses.
    pub knows: Set,
    /// MOVE, HELLO (`correct`): where the sender believes the receiver is;
    /// a receiver that is elsewhere answers with a HELLO.
    pub seen: Pos,
    /// NOTIFY after a departure (`correct`): the node that is gone.
    pub gone: Option<Node>,
    /// JOIN_REPLY, NOTIFY: the nodes listed, with their cells in `cells`.
    pub entries: Set,
    pub cells: [Pos; MAX_NODES],
}

impl Msg {
    pub fn new(kind: Kind, src: Node, dst: Node) -> Msg {
        Msg {
            kind,
            src,
            dst,
            ..Msg::default()
        }
    }

    /// The (node, cell) pairs a JOIN_REPLY or NOTIFY lists.
    pub fn listed(&self) -> impl Iterator<Item = (Node, Pos)> + '_ {
        crate::nodeset::elems(self.entries).map(|n| (n, self.cells[n as usize]))
    }
}

#[derive(Clone, Copy, Debug, Default, Hash, PartialEq, Eq, PartialOrd, Ord)]
pub struct State {
    pub nodes: ArrayVec<[NodeState; MAX_NODES]>,
    /// In sending order; the first message of a link is the deliverable one.
    pub msgs: ArrayVec<[Msg; MAX_MSGS]>,
    /// Budgets used so far.
    pub moves: u8,
    pub failures: u8,
    pub leaves: u8,
    /// History: a JOIN ended elsewhere than at the node whose true region
    /// holds the joiner's cell (accepted by another, or dropped at the hop
    /// limit).
    pub join_missed: bool,
}

impl State {
    pub fn node(&self, n: Node) -> &NodeState {
        &self.nodes[n as usize]
    }
    pub fn node_mut(&mut self, n: Node) -> &mut NodeState {
        &mut self.nodes[n as usize]
    }
    pub fn ids(&self) -> impl Iterator<Item = Node> {
        0..self.nodes.len() as Node
    }
    pub fn is_in(&self, n: Node) -> bool {
        self.node(n).status == Status::In
    }
    /// The nodes in the overlay.
    pub fn members(&self) -> Set {
        self.ids()
            .filter(|&n| self.is_in(n))
            .fold(0, |a, n| a | bit(n))
    }
    /// The deliverable message of link `from` → `to`: its oldest.
    pub fn head(&self, from: Node, to: Node) -> Option<usize> {
        self.msgs.iter().position(|m| m.src == from && m.dst == to)
    }
    /// Whether message `i` is the oldest of its link.
    pub fn is_head(&self, i: usize) -> bool {
        let m = self.msgs[i];
        !self.msgs[..i]
            .iter()
            .any(|o| o.src == m.src && o.dst == m.dst)
    }
    /// Nothing in flight, nobody joining, and no member still lists a node
    /// that is gone: what "once no notification is in flight" means.
    pub fn quiescent(&self) -> bool {
        self.msgs.is_empty()
            && self.ids().all(|n| {
                let x = self.node(n);
                match x.status {
                    Status::Joining => false,
                    Status::In => x.known & !self.members() == 0,
                    _ => true,
                }
            })
    }
}
