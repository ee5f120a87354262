//! # A CAN node (draft)

pub mod join;
pub mod leave;
pub mod neighbors;
pub mod node;
pub mod point;
pub mod reassign;
pub mod routing;
pub mod store;
pub mod takeover;
pub mod update;
pub mod volume;
pub mod wire;
pub mod zone;
