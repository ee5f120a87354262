//! # A CAN node
//!
//! CAN (Ratnasamy, Francis, Handley, Karp, Shenker, "A Scalable
//! Content-Addressable Network", SIGCOMM 2001) stores (key, value) pairs
//! at points of a d-dimensional coordinate space on a torus. The space is
//! partitioned into *zones*, one per node (§2); a key lives at the node
//! whose zone holds the key's point.
//!
//! * **Routing** (§2.1). A node knows the nodes whose zones abut its own
//!   — in one dimension the two zones touch, in all others they overlap —
//!   about 2d of them. A message for point P goes greedily to the
//!   neighbour closest to P; with n equal zones a path takes
//!   (d/4)·n^(1/d) hops on average ([`routing`]).
//! * **Join** (§2.2). A newcomer picks a point and routes a JOIN there
//!   through any member; the owner splits its zone in half, hands the half
//!   holding the point to the newcomer with that half's keys and its own
//!   neighbour list, and both tell their neighbours (UPDATE) ([`join`],
//!   [`update`]).
//! * **Leave, failure, takeover** (§2.3). A leaving node hands its zone
//!   to a neighbour, preferably the one whose zone is its sibling (they
//!   merge) ([`leave`]). Periodic UPDATEs are the heartbeat: a neighbour
//!   silent too long is presumed failed, and its neighbours run a
//!   takeover in which the one with the smallest volume wins and takes
//!   the zone ([`takeover`]). A node left with several zones gives extra
//!   ones back by background reassignment ([`reassign`]).
//! * **Realities** (§3, "Realities: multiple coordinate spaces"). r
//!   independent coordinate spaces; a node holds a zone in each, a key is
//!   stored at its point in each, so it survives the failure of r − 1
//!   owners; a read routes in the reality where the reader is closest to
//!   the key ([`store`]).
//!
//! The files: [`point`] (coordinates, hashing), [`zone`] (geometry of the
//! partition tree), [`volume`] (exact volumes), [`neighbors`] (the
//! neighbour table), [`repair`] (finding a missing neighbour), [`wire`]
//! (messages and codec), [`node`] (state, configuration, dispatch; a
//! sans-IO [`crate::runtime::Process`]), [`partition`] and [`oracle`]
//! (the partition tree as an oracle, and networks it builds), [`audit`]
//! (is a network's state a tiling with exact tables?), [`experiment`]
//! (`overlay simulate can`), [`udp`] (`overlay node can`: nodes and a
//! client over UDP), [`fuzzing`] (the fuzz targets' bodies).
//!
//! ## Implementation notes: deliberate choices and deviations
//!
//! * **Exact geometry.** Coordinates are `u32` on a torus of 2^32 (the
//!   paper's unit interval, fixed point). A zone is a node of the
//!   canonical k-d tree: splits cycle through the dimensions 0, 1, …, d−1
//!   (the paper: "in a fixed order"), so zones are stored as depth and
//!   lower corner, and every zone on the wire is checked to be a tree
//!   node. Volumes are exact 257-bit numbers. No float decides anything.
//! * **Points** are the first 4d bytes of SHA-1(x ‖ ρ) (extended by
//!   SHA-1(x ‖ ρ ‖ j) for d > 5: [`point`]), x the node's `ip:port` or the
//!   key; nodes may also be given explicit points (tests, simulations, the
//!   conformance harness).
//! * **Distance and ties.** A neighbour's distance to P is the squared
//!   Euclidean torus distance from P to the nearest point of its zones
//!   (the paper compares "coordinates" without saying which point of a
//!   zone); ties go to the lower address, and a message moves only to a
//!   strictly closer neighbour — otherwise it is dropped and its origin
//!   told (`Stuck`). Node identities are addresses: "lower id" means the
//!   lower `SocketAddr`. Routed messages carry their hop count and a TTL.
//! * **Versions.** Every node numbers the versions of its zones; UPDATEs
//!   and neighbour lists carry them, and older news is ignored (datagrams
//!   arrive out of order). A removed neighbour leaves a tombstone so that
//!   stale lists cannot revive it ([`neighbors`]).
//! * **Answering wrong lists.** A node whose UPDATE lists the receiver
//!   wrongly (missing, outdated, or listed without abutting) gets the
//!   receiver's UPDATE back at once ([`update`]); an UPDATE whose zones
//!   cover a recorded neighbour's entirely retires that record.
//! * **Table repair** (not in the paper). Concurrent joins can leave two
//!   abutting nodes that nobody introduces. A node checks at each refresh
//!   that known zones cover the layer across every face of its zones and
//!   greets the owner of a gap by a routed GREET ([`repair`]).
//! * **Joins** count the newcomer-to-bootstrap message as a hop; a failed
//!   join (stuck route, refusal, silence) is retried with back-off; a late
//!   second acceptance is kept (two zones, reassignment fixes it) rather
//!   than left to nobody; a zone being handed over refuses joins.
//! * **Leave** hands zones over one at a time to neighbours abutting that
//!   zone: the sibling's owner, else by smallest total volume, then
//!   address. The taker answers `Took`; silence or refusal moves on to the
//!   next candidate; a zone nobody takes stays until the leaver falls
//!   silent and is taken over. The leaver's last UPDATE lists no zones.
//! * **Takeover.** The timer is 1 ms + `takeover_ms` × the node's share of
//!   the space. A claimant takes the zones if no better claim arrived
//!   within `claim_ms` of its own TAKEOVER; it answers worse claims to
//!   their sender only (as the paper); a node told of a TAKEOVER for a
//!   neighbour it still believed alive suspects it at once. TAKEOVER also
//!   goes to the suspect, which answers if it is alive (not in the paper:
//!   a one-sided table would otherwise get a live node's zone taken
//!   over). A node's own UPDATE at the version of a record retired
//!   because another node's zones covered it brings the record back
//!   (that claim may be the older news). Parts of the
//!   failed node's zones that live neighbours already hold are left out
//!   (it may have handed them over just before dying). The keys of
//!   taken-over zones are lost: soft state that holders re-put (§2.3). A
//!   takeover that never finished (the winner died too) restarts after
//!   4 × `dead_after_ms`.
//! * **Reassignment** picks the extra zone that is deepest (ties: lowest
//!   in zone order; `Config::reassign_pick` selects the one acquired
//!   last instead, as the CAN model and the conformance harness do); two nodes holding each other's siblings do not hand
//!   them over at once (the lower address goes first); the depth-first
//!   search of the sibling's subtree is done by routed probes of region
//!   corners; at most one reassignment per reality runs at a time.
//! * **Transfers are not two-phase.** A zone moves with its keys in one
//!   message (`Handoff`, `Swap`, `JoinAccept`) and the giver keeps it
//!   until `Took`; under message loss a lost `Took` can leave a zone with
//!   two holders. The simulator passes messages as values; over UDP
//!   ([`udp`]) a transfer whose keys exceed one datagram (60 KiB) does
//!   not arrive: a hand-over then fails like one to a silent node, and a
//!   join acceptance leaves the half zone to a joiner that never got it,
//!   until it is presumed failed and the half taken over. (The client
//!   keeps each key and value under 1,800 bytes. The conformance link
//!   is `conformance/src/can`.)
//! * **Hostile input.** Besides what the codec rejects, a node drops and
//!   counts messages from its own address (it never sends to itself, so
//!   the source is forged), claims of overlapping zones for one node (its
//!   own or a listed neighbour's: a takeover would inherit them), and puts
//!   or gets routed to a point that is not their key's (the owner would
//!   store a key where no hand-over or read looks). The node fuzz target
//!   ([`fuzzing`]) found the last two.
//! * **Gets** try the realities in order of the reader's distance to the
//!   key and move on when the answer is a miss, not only on silence.

pub mod audit;
pub mod experiment;
pub mod fuzzing;
pub mod join;
pub mod leave;
pub mod neighbors;
pub mod node;
pub mod oracle;
pub mod partition;
pub mod point;
pub mod reassign;
pub mod repair;
pub mod routing;
pub mod store;
pub mod takeover;
pub mod udp;
pub mod update;
pub mod volume;
pub mod wire;
pub mod zone;

pub use node::{Config, Event, Mutation, Node, NotEnabled, ReassignPick, Stats, Status, Timer};
pub use point::Point;
pub use zone::Zone;
