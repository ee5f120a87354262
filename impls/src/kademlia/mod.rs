//! Kademlia as BitTorrent's Mainline DHT speaks it (BEP 5, BEP 44).
//!
//! So far only the wire codec, [`krpc`]; the sans-IO node comes next.

pub mod items;
pub mod krpc;
