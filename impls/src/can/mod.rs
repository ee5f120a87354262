//! # A CAN node (draft)

pub mod audit;
pub mod experiment;
pub mod join;
pub mod leave;
pub mod neighbors;
pub mod node;
pub mod oracle;
pub mod partition;
pub mod point;
pub mod reassign;
pub mod repair;
pub mod routing;
pub mod store;
pub mod takeover;
pub mod update;
pub mod volume;
pub mod wire;
pub mod zone;

pub use node::{Config, Event, Node, NotEnabled, Stats, Status, Timer};
pub use point::Point;
pub use zone::Zone;
