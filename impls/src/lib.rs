//! # overlay-impls
//!
//! Concrete overlay nodes: sans-IO state machines with real identifiers and
//! wire codecs ([`chord`], [`kademlia`]),
//! driven by a deterministic simulator and a UDP runtime ([`runtime`]). This
//! crate never depends on `overlay-models`, so that conformance between the
//! two is evidence rather than tautology.

pub mod can;
pub mod chord;
pub mod kademlia;
pub mod runtime;
pub mod summary;
pub mod von;
