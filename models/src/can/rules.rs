//! The parameters every event and property reads, gathered once.

use super::grid::{Point, Space, MAX_DIMS};
use super::{Mutation, Variant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rules {
    pub space: Space,
    pub nodes: usize,
    pub realities: usize,
    pub keys: usize,
    pub failures: usize,
    pub leaves: usize,
    pub probes: usize,
    pub gets: bool,
    pub variant: Variant,
    pub mutation: Mutation,
}

impl Rules {
    /// Where key k lives in reality r. Each reality hashes keys its own
    /// way; the model fixes the hash: k0 sits at (side−1, 1, 1), k1 at
    /// (1, side−1, 1), and reality r shifts every key by r·side/2 in
    /// dimension 0.
    pub fn key_point(&self, key: usize, r: usize) -> Point {
        let side = self.space.side;
        let mut p = [0u8; MAX_DIMS];
        for (i, c) in p.iter_mut().enumerate().take(self.space.dims) {
            *c = if i == key % self.space.dims {
                side - 1
            } else {
                1 % side
            };
        }
        p[0] = (p[0] + (r as u8) * side / 2) % side;
        p
    }
}
