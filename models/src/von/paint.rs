//! The picture of a VON state.

use super::VonModel;
use crate::paint::Painter;

impl Painter for VonModel {}
