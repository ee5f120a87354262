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
//! AOI. What is implemented is the workbench's protocol description
//! the VON model's essay (`models/src/von/mod.rs`), which the VON model
//! (`models/src/von`) checks too, in both of its protocols
//! ([`Protocol`], a [`Config`] field):
//!
//! * **paper** — VON as published. JOIN goes to any gateway and greedily
//!   towards the joiner's position (to the entry closest to it, ties to
//!   the smaller id, with a hop limit); the node with no entry strictly
//!   closer accepts and answers JOIN_REPLY: itself and its entries
//!   relevant to the joiner. The joiner keeps what is relevant to it and
//!   says HELLO to each; a HELLO just adds its sender. A MOVE goes to
//!   every entry; each receiver sends NOTIFY with what became relevant to
//!   the mover in its own view, per kind (a node that was enclosing and
//!   enters the AOI is news). LEAVE, or silence for `dead_after_ms`
//!   (heartbeats: MOVE to the unchanged position), removes a node; each
//!   neighbour that removes it NOTIFYs its other entries of the nodes that
//!   became relevant to them. After every change a node prunes: entries
//!   neither in its AOI nor enclosing are dropped.
//! * **hardened** (the default; the model's `correct`) — the paper plus
//!   v2's a–f: HELLO and MOVE carry a [`Check`] (the sender's table ids
//!   `knows`, where it believes the receiver is `seen`, and `hints`: the
//!   nodes relevant to the receiver in the sender's view); the receiver
//!   of either ignores it if the sender is tombstoned, learns the sender
//!   and the unknown hints, NOTIFYs exactly the relevant nodes missing
//!   from `knows`, prunes, greets the hinted nodes it kept, and answers
//!   with a HELLO when `seen` is not where it is (unless a MOVE from a
//!   listed node: our own MOVE or greeting to it carries where we are).
//!   Removed nodes are
//!   tombstoned (never added again, for `tombstone_ms`; for ever without
//!   heartbeats); repair NOTIFYs name the node `gone` and a receiver
//!   removes it (with its own repair) or tombstones it; a LEAVE hands
//!   each receiver the nodes relevant to it once the leaver is gone.
//!
//! What the hardened protocol does not repair (pinned in
//! `impls/tests/von_sim.rs`, and found by the model checker too): a crash
//! of the only node that linked two groups; steps much longer than R
//! (an enclosing pair beyond R can be missed; with world-long jumps a
//! HELLO/NOTIFY cycle was found that never settles).
//!
//! The files: [`geometry`] (positions, local views, enclosing neighbours
//! with spade and exact predicates), [`wire`] (messages and their binary
//! codec), [`link`] (per-sender FIFO order over UDP), [`node`] (the
//! sans-IO [`crate::runtime::Process`]).
//!
//! ## Implementation notes: deliberate choices and deviations
//!
//! * **Every MOVE receiver runs the NOTIFY check**, not only the mover's
//!   boundary neighbours as in VON (v2's choice, the model's too: a
//!   superset).
//! * **Conformance**: the node is driven message by message against the
//!   model by `conformance/src/von` (grid cell (x,y) ↔ position (x,y),
//!   n_i ↔ id i); every handler sends in the model's order (NOTIFY to the
//!   sender, then HELLOs to hinted nodes in id order, then the answer), so
//!   per-link order agrees. The old `hello_notify` option is gone: the
//!   hardened protocol's checked HELLO subsumes it.
//! * **Hardened field bounds**: a check lists at most
//!   [`wire::MAX_KNOWS`] ids (a longer table lists its first ones: the
//!   receiver then notifies some known nodes, harmless) and
//!   [`wire::MAX_HINTS`] hints (the rest follow as NOTIFYs).
//! * **Tombstones expire** after `tombstone_ms` (on the heartbeat tick),
//!   so that a node restarted under the same id can come back; the model's
//!   are for ever. A LEAVE from a non-entry is still taken for its
//!   hand-over entries (hardened), and counted as rejected only when it
//!   lists none.
//! * **Heartbeats** in the hardened protocol are full MOVEs with their
//!   checks, so they also repair (a heartbeat's check NOTIFYs what the
//!   receiver sees missing).
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
pub use node::{Config, Event, Mutation, Neighbour, Node, NotEnabled, Protocol, Stats, Timer};
pub use wire::{Body, Check, Entry, Kind, Msg, Status};
