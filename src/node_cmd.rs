//! `overlay node` (being written).

use crate::cli::NodeArgs;
use crate::exit::{Exit, Failure};

pub fn node(_a: &NodeArgs) -> Result<Exit, Failure> {
    Err(crate::input_error("not yet implemented"))
}
