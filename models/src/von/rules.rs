//! The fixed parameters a run of the VON model follows.

use super::geometry::Pos;
use super::state::MAX_NODES;
use super::{Mutation, Variant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rules {
    /// The grid is side × side cells.
    pub side: u8,
    /// AOI radius R (cells, Euclidean).
    pub aoi: u8,
    /// Longest move of one event (cells, Euclidean).
    pub step: u8,
    pub nodes: usize,
    /// n0 … n(initial−1) start in the overlay, settled; the rest join.
    pub initial: usize,
    /// Budgets of a run.
    pub moves: u8,
    pub failures: u8,
    pub leaves: u8,
    /// Whether moves, joins, leaves and failures may start while messages
    /// are in flight (else each starts only once the overlay is quiescent).
    pub concurrent: bool,
    /// Where each node stands at the start, or joins.
    pub homes: [Pos; MAX_NODES],
    pub variant: Variant,
    pub mutation: Mutation,
}

impl Rules {
    pub fn aoi2(&self) -> u32 {
        let r = self.aoi as u32;
        r * r
    }
    pub fn step2(&self) -> u32 {
        let r = self.step as u32;
        r * r
    }
    /// A JOIN forwarded more often than this is dropped: greedy forwarding
    /// in a consistent view visits every node at most once.
    pub fn hop_limit(&self) -> u8 {
        self.nodes as u8
    }
    pub fn in_grid(&self, x: i16, y: i16) -> bool {
        (0..self.side as i16).contains(&x) && (0..self.side as i16).contains(&y)
    }
}
