//! # overlay-models
//!
//! Abstract models of peer-to-peer overlays, checked with Stateright, and
//! what every model shares: the checker runner ([`check`]), the ITF trace
//! format ([`trace`]), pictures of states ([`paint`]) and the registry the
//! command line reads ([`registry`]).

pub mod check;
pub mod chord;
pub mod kademlia;
pub mod paint;
pub mod registry;
pub mod trace;
