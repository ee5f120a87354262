//! Kademlia as BitTorrent's Mainline DHT speaks it (BEP 5, BEP 44).
//!
//! The wire codec is [`krpc`]; the sans-IO node's parts are the routing
//! table ([`table`]), the iterative lookup ([`lookup`]), write tokens
//! ([`tokens`]), announced peers ([`peers`]) and BEP 44 items ([`items`]).

pub mod distance;
pub mod hex;
pub mod items;
pub mod krpc;
pub mod lookup;
pub mod peers;
pub mod table;
pub mod tokens;
