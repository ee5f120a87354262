//! The picture of a CAN state (see `crate::paint`).

use super::CanModel;
use crate::paint::Painter;

impl Painter for CanModel {}
