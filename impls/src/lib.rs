//! # overlay-impls
//!
//! Concrete overlay nodes: sans-IO state machines with real identifiers and
//! wire codecs, driven by a deterministic simulator and a UDP runtime.
//! This crate never depends on `overlay-models`, so that conformance
//! between the two is evidence rather than tautology.
//!
//! No overlay is implemented yet: the Chord node is the subject of the
//! issue "A real Chord node, tested for conformance against the model".
