//! `overlay simulate` (being written).

use crate::cli::SimulateArgs;
use crate::exit::{Exit, Failure};

pub fn simulate(_a: &SimulateArgs) -> Result<Exit, Failure> {
    Err(crate::input_error("not yet implemented"))
}
