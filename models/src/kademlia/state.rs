//! The global state of a Kademlia network: every node's routing table,
//! the one lookup in progress, the stored value, and two ghost variables
//! that the properties read (see the module essay for why each exists).
//!
//! Everything is inline and `Copy`, as in Chord's state: the checker
//! copies a state for every successor it generates.

use std::fmt;

use tinyvec::ArrayVec;

use super::id::{set_text, Id, Name, Node, Set, MAX_BITS, MAX_NODES};

/// Largest bucket size k.
pub const MAX_K: usize = 3;
/// Largest replacement cache per bucket.
pub const MAX_CACHE: usize = 2;

/// Entries of a bucket, least-recently seen first.
pub type Entries = ArrayVec<[Node; MAX_K]>;
/// A replacement cache, least-recently seen first.
pub type Cache = ArrayVec<[Node; MAX_CACHE]>;

/// A node's life: absent (never joined), live, or failed (crash-stop: a
/// failed node does not come back).
#[derive(Clone, Copy, Debug, Default, Hash, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    #[default]
    Absent,
    Live,
    Failed,
}

/// One k-bucket: the contacts whose common prefix with the owner has the
/// bucket's length.
#[derive(Clone, Copy, Debug, Default, Hash, PartialEq, Eq, PartialOrd, Ord)]
pub struct Bucket {
    /// At most k, least-recently seen first (the head is the oldest).
    pub entries: Entries,
    /// Newcomers seen while the bucket was full, least-recently seen first.
    pub cache: Cache,
    /// The entry pinged because a newcomer found the bucket full, while
    /// its answer (or timeout) is pending.
    pub ping: Option<Node>,
}

/// One node.
#[derive(Clone, Copy, Debug, Default, Hash, PartialEq, Eq, PartialOrd, Ord)]
pub struct NodeState {
    pub status: Status,
    /// Bucket i holds contacts with a common prefix of length i.
    pub buckets: ArrayVec<[Bucket; MAX_BITS]>,
    /// Whether it holds the (one) stored value.
    pub value: bool,
}

/// What a lookup is for.
#[derive(Clone, Copy, Debug, Default, Hash, PartialEq, Eq, PartialOrd, Ord)]
pub enum Purpose {
    /// A joining node's lookup of its own id.
    Join,
    /// FIND_NODE for a target: a user's lookup or a bucket refresh.
    #[default]
    Find,
    /// Find the k closest to the key, then STORE at them.
    Store,
    /// FIND_VALUE: stops at the first node that holds the value.
    Get,
}

/// The phase of an iterative lookup.
#[derive(Clone, Copy, Debug, Default, Hash, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// Rounds of α queries while each brings a closer node.
    #[default]
    Alpha,
    /// A round brought nothing closer: query every unqueried node among
    /// the k closest, until all of them have answered.
    Final,
}

/// The lookup in progress (at most one in the network, see the essay).
#[derive(Clone, Copy, Debug, Default, Hash, PartialEq, Eq, PartialOrd, Ord)]
pub struct Lookup {
    pub origin: Node,
    pub target: Id,
    pub purpose: Purpose,
    pub phase: Phase,
    /// Every node heard of (the shortlist is its k closest that have not
    /// timed out).
    pub seen: Set,
    /// Queried so far; `queried - answered - timed_out` is in flight.
    pub queried: Set,
    pub answered: Set,
    pub timed_out: Set,
    /// The closest node seen when the current round was sent.
    pub best: Option<Node>,
    /// Rounds sent so far (saturating just above the termination bound).
    pub rounds: u8,
    /// No node failed since the lookup began.
    pub clean: bool,
}

impl Lookup {
    pub fn in_flight(&self) -> Set {
        self.queried & !self.answered & !self.timed_out
    }
}

/// How a lookup ended; present only in the state right after it ended,
/// so that the lookup properties judge exactly that state.
#[derive(Clone, Copy, Debug, Default, Hash, PartialEq, Eq, PartialOrd, Ord)]
pub struct Outcome {
    pub origin: Node,
    pub target: Id,
    pub purpose: Purpose,
    /// The k closest the lookup returns (Get: empty).
    pub result: Set,
    pub clean: bool,
    /// Get only: whether the value was found.
    pub found: bool,
}

/// The whole network.
#[derive(Clone, Copy, Default, Hash, PartialEq, Eq, PartialOrd, Ord)]
pub struct State {
    /// Indexed by id: `nodes[i]` is `n{i}`.
    pub nodes: ArrayVec<[NodeState; MAX_NODES]>,
    pub lookup: Option<Lookup>,
    /// Present for one state after a lookup (or a get) ends.
    pub outcome: Option<Outcome>,
    /// The key of the stored value, once a store has begun.
    pub key: Option<Id>,
    /// The nodes the last completed store put the value at.
    pub stored_at: Set,
    /// Ghost: some node dropped a contact from a bucket while that contact
    /// was live (LiveNodesNeverEvicted).
    pub evicted_live: bool,
    /// Ghost: the contacts observed by the last event, as a set of
    /// (observer, observed) pairs, bit `observer · MAX_NODES + observed`
    /// (BucketsWellFormed checks they are at the tail). A set, not a list:
    /// an event's observations happen in id order, and a list's order (or
    /// a cut-off list) would make states differ under XOR translation.
    pub observed: Pairs,
}

/// A set of (node, node) pairs, one bit each.
pub type Pairs = u64;

const _: () = assert!(MAX_NODES * MAX_NODES <= Pairs::BITS as usize);

/// The pair's bit in a [`Pairs`] set.
pub fn pair_bit(x: Node, y: Node) -> Pairs {
    1 << (usize::from(x) * MAX_NODES + usize::from(y))
}

/// The pairs of a set, in order.
pub fn pairs(set: Pairs) -> impl Iterator<Item = (Node, Node)> {
    (0..Pairs::BITS as usize)
        .filter(move |&b| set & (1 << b) != 0)
        .map(|b| ((b / MAX_NODES) as Node, (b % MAX_NODES) as Node))
}

impl State {
    pub fn node(&self, n: Node) -> &NodeState {
        &self.nodes[n as usize]
    }
    pub fn node_mut(&mut self, n: Node) -> &mut NodeState {
        &mut self.nodes[n as usize]
    }
    pub fn ids(&self) -> impl Iterator<Item = Node> + Clone {
        0..self.nodes.len() as Node
    }
    pub fn is_live(&self, n: Node) -> bool {
        self.node(n).status == Status::Live
    }
    pub fn live(&self) -> Set {
        self.ids()
            .filter(|&n| self.is_live(n))
            .fold(0, |a, n| a | 1 << n)
    }
    pub fn failed(&self) -> Set {
        self.ids()
            .filter(|&n| self.node(n).status == Status::Failed)
            .fold(0, |a, n| a | 1 << n)
    }
    /// Every contact in n's buckets (not the caches).
    pub fn known(&self, n: Node) -> Set {
        self.node(n)
            .buckets
            .iter()
            .flat_map(|b| b.entries.iter())
            .fold(0, |a, &x| a | 1 << x)
    }
}

/// One line per node that has joined, then the lookup and the value.
impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for n in self.ids() {
            let ns = self.node(n);
            match ns.status {
                Status::Absent => continue,
                Status::Live => write!(f, "{}:", Name(n))?,
                Status::Failed => write!(f, "{} (failed):", Name(n))?,
            }
            for (i, b) in ns.buckets.iter().enumerate() {
                let e: Vec<String> = b.entries.iter().map(|&x| Name(x).to_string()).collect();
                write!(f, " b{i}[{}]", e.join(" "))?;
                if !b.cache.is_empty() {
                    let c: Vec<String> = b.cache.iter().map(|&x| Name(x).to_string()).collect();
                    write!(f, "+cache[{}]", c.join(" "))?;
                }
                if let Some(p) = b.ping {
                    write!(f, "+ping({})", Name(p))?;
                }
            }
            if ns.value {
                write!(f, " value")?;
            }
            writeln!(f)?;
        }
        if let Some(l) = &self.lookup {
            writeln!(
                f,
                "lookup by {} for {} ({:?}, {:?}, round {}): seen {} queried {} answered {} timed out {}",
                Name(l.origin),
                l.target,
                l.purpose,
                l.phase,
                l.rounds,
                set_text(l.seen),
                set_text(l.queried),
                set_text(l.answered),
                set_text(l.timed_out)
            )?;
        }
        if let Some(o) = &self.outcome {
            writeln!(
                f,
                "ended: {:?} by {} for {} → {}{}",
                o.purpose,
                Name(o.origin),
                o.target,
                set_text(o.result),
                if o.purpose == Purpose::Get {
                    if o.found {
                        " found"
                    } else {
                        " not found"
                    }
                } else {
                    ""
                }
            )?;
        }
        if let Some(k) = self.key {
            writeln!(f, "key {k} stored at {}", set_text(self.stored_at))?;
        }
        if self.evicted_live {
            writeln!(f, "a live contact was evicted")?;
        }
        Ok(())
    }
}
