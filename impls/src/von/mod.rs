//! # A VON node
//!
//! VON, the Voronoi-based Overlay Network (Hu & Liao, "Scalable
//! peer-to-peer networked virtual environment", NetGames 2004; Hu, Chen,
//! Chen, "VON: a scalable peer-to-peer network for virtual
//! environments", IEEE Network 20(4), 2006), connects the users of a
//! virtual world by where they are: every node has a position and an area
//! of interest (AOI, the disc of radius R around it), and keeps in its
//! neighbour table the nodes inside its AOI plus its *enclosing
//! neighbours* — those whose Voronoi regions, in the node's local view,
//! share an edge with its own. Enclosing neighbours keep the overlay
//! connected and are the ones that notice other nodes coming into one's
//! AOI. What is implemented is the shared description of this workbench
//! (`/work/notes/von-protocol.md`), which the VON model implements too:
//!
//! * **JOIN** goes to any gateway and greedily towards the joiner's
//!   position (to the entry closest to it, ties to the smaller id, with a
//!   hop limit); the node with no entry strictly closer accepts and
//!   answers JOIN_REPLY: itself and its entries relevant to the joiner.
//!   The joiner keeps what is relevant to it and says HELLO to each.
//! * **MOVE** goes to every entry; each receiver compares what is relevant
//!   to the mover in its own view before and after, and sends NOTIFY with
//!   the newly relevant nodes; the mover says HELLO to those it keeps.
//! * **LEAVE**, or silence for `dead_after_ms` (heartbeats: MOVE to the
//!   unchanged position), removes a node; each neighbour that removes it
//!   NOTIFYs its other entries of the nodes that became relevant to them.
//! * After every change a node prunes: entries neither in its AOI nor
//!   enclosing are dropped.
//!
//! The files: [`geometry`] (positions, local views, enclosing neighbours
//! with spade and exact predicates), [`wire`] (messages and their binary
//! codec), [`link`] (per-sender FIFO order over UDP), [`node`] (the
//! sans-IO [`crate::runtime::Process`]).
//!
//! ## Implementation notes: deliberate choices and deviations
//!
//! * **Every MOVE receiver runs the NOTIFY check**, not only the mover's
//!   boundary neighbours as in VON (the notes' choice: a superset).
//! * **`hello_notify`** (a [`Config`] flag, off by default, so the notes'
//!   semantics is the default): a HELLO receiver runs the MOVE receiver's
//!   check for the sender (before: ∅ if unknown) and NOTIFYs it. Without
//!   it, the notes' JOIN leaves a joiner without the neighbours its
//!   acceptor did not know (in a 20-node run of `impls/tests/von_sim.rs`,
//!   16 missing table entries at 11 nodes), and nothing later repairs
//!   that; with it, every table is complete after any sequence of joins
//!   there. VAST does something similar; the model does not.
//! * **Ids** are `u64`, given by the driver (the simulator: slot numbers;
//!   over UDP: the first 8 bytes of SHA-1 of `ip:port`). Ties between
//!   equidistant JOIN forwarding candidates go to the smaller id. A JOIN
//!   is never forwarded to the joiner's own (stale) entry.
//! * **FIFO over UDP**: HELLO, MOVE, NOTIFY, LEAVE carry a per-receiver
//!   sequence number and the sender's incarnation (`epoch`); the receiver
//!   holds back a message until the ones before it arrived, gives missing
//!   ones up after `gap_ms`, and drops older ones ([`link`]). JOIN,
//!   JOIN_REPLY and the inspection pair QUERY/VIEW travel outside links.
//! * **Heartbeats** are MOVEs to the unchanged position, sent only to
//!   entries that got nothing else from the node for `heartbeat_ms`; any
//!   message from an entry (at its address) shows it alive. A node that
//!   learns a failed node again by hearsay (a NOTIFY from a neighbour that
//!   has not noticed yet) removes it after another silence.
//! * **Split lists**: a JOIN_REPLY, NOTIFY or VIEW with more than
//!   [`wire::MAX_ENTRIES`] entries goes as several messages; a member
//!   takes a JOIN_REPLY (the rest of a split one, or a late answer to a
//!   repeated JOIN) as a NOTIFY: it never overwrites a known position.
//! * **Joins** are sent again after `join_timeout_ms`, `join_attempts`
//!   times in all; JOIN_REPLY is taken only while joining (or as above).
//! * **Positions** are finite f64 pairs within ±10^9, zero or at least
//!   10^-30 in magnitude (spade rejects smaller non-zero coordinates);
//!   -0.0 is stored as 0.0. AOI membership compares squared distances.
//! * **Hostile input** is dropped and counted by reason
//!   ([`Stats::rejected`]): the node's own address as source or own id as
//!   sender, lists naming the node, JOINs for its own id, JOINs over the
//!   hop limit, LEAVE from a non-entry, messages to a non-member, stale
//!   epochs and sequence numbers, full hold-back buffers. The codec
//!   rejects the rest (each error names the field and byte offset).
//! * **Inspection**: QUERY → VIEW (status, position, R, table) is not part
//!   of VON; any node answers it, whatever its status.

pub mod experiment;
pub mod fuzzing;
pub mod geometry;
pub mod link;
pub mod node;
pub mod udp;
pub mod wire;
pub mod workload;

pub use geometry::{Id, Point, View};
pub use node::{Config, Event, Neighbour, Node, NotEnabled, Stats, Timer};
pub use wire::{Body, Entry, Kind, Msg, Status};
