//! # A Chord node
//!
//! Chord (Stoica, Morris, Karger, Kaashoek, Balakrishnan, SIGCOMM 2001;
//! ToN 2003) places nodes and keys on a circle of 2^160 identifiers
//! (SHA-1); a key belongs to its *successor*, the first node at or after
//! it. Each node keeps a successor list of r entries, a predecessor, and
//! a finger table (finger i = successor of n + 2^i) that makes lookups
//! take O(log N) hops.
//!
//! Ring maintenance here is **Zave's corrected protocol** ("Reasoning
//! about identifier spaces: How to make Chord correct", IEEE TSE 2017),
//! the `correct` variant of `shared/specs/chord.md` and of the model in
//! `overlay-models`, which this crate does not depend on: the conformance
//! crate checks that they agree.
//!
//! * [`node`] — state, configuration, dispatch (sans-IO: [`crate::runtime::Process`]);
//! * [`maintain`] — stabilize from successor / from predecessor, rectify;
//! * [`lookup`] — iterative `find_successor`, join, fix-fingers;
//! * [`store`] — put/get with r copies, key transfer, re-replication;
//! * [`finger`] — the finger table, stored as runs;
//! * [`wire`] — the messages and their JSON codec;
//! * [`id`] — identifiers and intervals;
//! * [`ring`] — an oracle that builds a stable ring directly.
//!
//! ## Implementation notes: deliberate deviations
//!
//! * **Remote reads are messages.** Zave's steps read the successor's or
//!   predecessor's state atomically; here a step sends `GetState` and
//!   finishes on the answer. At most one maintenance step is in flight per
//!   node, so a step is still one transition of the protocol; the
//!   harness delivers its messages at once to make the two coincide.
//! * **Liveness is a timeout.** "s is a member" becomes "s answered in
//!   time". Rectify pings the old predecessor only when the answer decides
//!   the outcome, and skips the ping when q is already the predecessor
//!   (both outcomes are then the same state).
//! * **No padding.** When the first successor is dead the model pads the
//!   list with the identity after its last entry; a real node knows no
//!   such node, so its list is one entry shorter until the next
//!   stabilization refills it. The refinement mapping pads the same way
//!   the model does. If every entry is dead, the node takes the first
//!   node it knows after the dead one (a finger, its predecessor, or
//!   itself) where the model takes the identity after it.
//! * **Status overwrite.** A `Rectify` message overwrites the status, as
//!   in the model; a stabilization whose answer arrives after one does not
//!   set `Stabilizing` (the same as if it had been overwritten).
//! * **Scheduling.** One periodic tick runs rectify (if told to), then
//!   stabilize-from-predecessor or -successor. Fix-fingers refreshes one
//!   finger per period, skipping the fingers the answer also covers.
//! * **Joins** find the predecessor by a lookup of the joiner's own id and
//!   copy its whole list, as the `correct` Join does; nobody is told: the
//!   successor learns of the joiner when the joiner stabilizes.
//! * **Graceful leave** hands every key to the successor and goes silent;
//!   the ring repairs as after a failure.

pub mod experiment;
pub mod finger;
pub mod id;
pub mod lookup;
pub mod maintain;
pub mod node;
pub mod ring;
pub mod store;
pub mod wire;

pub use id::{Id, Peer};
pub use node::{Config, Event, Mutation, Node, NotEnabled, Reply, Stats, Status, Timer};
pub use wire::{Item, Msg};
