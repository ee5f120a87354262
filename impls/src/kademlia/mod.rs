//! Kademlia as BitTorrent's Mainline DHT speaks it (BEP 5, BEP 44).
//!
//! The sans-IO [`Node`] ([`node`]) speaks KRPC ([`krpc`]); its parts are
//! the routing table ([`table`]), the iterative lookup ([`lookup`]) and the
//! operations built on it ([`ops`]), the answers to queries ([`answer`],
//! [`storage`]), write tokens ([`tokens`]), announced peers ([`peers`])
//! and BEP 44 items ([`items`]). [`experiment`] runs it at scale in the
//! simulator.

mod answer;
pub mod distance;
pub mod experiment;
pub mod fuzzing;
pub mod hex;
pub mod items;
pub mod krpc;
pub mod lookup;
pub mod node;
pub mod ops;
pub mod peers;
mod replication;
pub mod storage;
pub mod table;
pub mod tokens;
pub mod udp;

pub use krpc::{CompactNode, NodeId};
pub use node::{Config, Event, LookupMode, Mutation, Node, Stats, Timer};
pub use ops::Outcome;
pub use storage::{ItemQuery, PutItem};
