//! Kademlia as BitTorrent's Mainline DHT speaks it (BEP 5, BEP 44).
//!
//! The wire codec is [`krpc`]; the sans-IO node's parts are the routing
//! table ([`table`]), the iterative lookup ([`lookup`]), write tokens
//! ([`tokens`]) and announced peers ([`peers`]).

pub mod distance;
pub mod hex;
pub mod krpc;
pub mod lookup;
pub mod peers;
pub mod table;
pub mod tokens;
