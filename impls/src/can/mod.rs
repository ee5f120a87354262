//! # A CAN node (draft)

pub mod point;
pub mod volume;
pub mod zone;
