//! VON (temporary module file of the von-scale branch, replaced by
//! von-core's on merge).

pub mod experiment;
pub mod geometry;
pub mod link;
pub mod node;
pub mod wire;
pub mod workload;
