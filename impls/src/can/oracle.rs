//! Networks built by the oracle instead of by joins: the zones the joins
//! at given points would give ([`Partition::join`] applies the same split
//! rule as [`super::join`]), and exact neighbour tables. What the large
//! simulations start from (routing 2^16 joins one by one through the
//! simulator measures joins, not lookups), and how tests set up a state
//! no sequence of joins reaches.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use super::node::{Config, Node};
use super::partition::{Owner, Partition};
use super::point::Point;
use super::zone::Zone;

/// The partitions of every reality after node `i` (i ≥ 1) joined at
/// `points[i][ρ]`, in order; node 0 is the first node.
pub fn partitions(cfg: &Config, points: &[Vec<Point>]) -> Vec<Partition> {
    (0..cfg.realities)
        .map(|r| {
            let mut p = Partition::new(cfg.dims, 0);
            for (i, ps) in points.iter().enumerate().skip(1) {
                p.join(&ps[r], i as Owner);
            }
            p
        })
        .collect()
}

/// Nodes at `addrs` (owner i at `addrs[i]`) holding the zones of
/// `parts`, one partition per reality, with exact neighbour tables.
/// `points[i]` are where each node would join (kept, not used).
pub fn network(
    cfg: &Config,
    addrs: &[SocketAddr],
    points: &[Vec<Point>],
    parts: &[Partition],
) -> Vec<Node> {
    let n = addrs.len();
    let mut zones: Vec<Vec<Vec<Zone>>> = vec![vec![Vec::new(); cfg.realities]; n];
    let mut nbrs: Vec<Vec<BTreeMap<Owner, ()>>> = vec![vec![BTreeMap::new(); cfg.realities]; n];
    for (r, part) in parts.iter().enumerate() {
        for (z, o) in part.leaves() {
            zones[o as usize][r].push(z);
            for (_, y) in part.abutting(&z) {
                if y != o {
                    nbrs[o as usize][r].insert(y, ());
                }
            }
        }
    }
    (0..n)
        .map(|i| {
            let tables = nbrs[i]
                .iter()
                .enumerate()
                .map(|(r, ys)| {
                    ys.keys()
                        .map(|&y| (addrs[y as usize], zones[y as usize][r].clone()))
                        .collect()
                })
                .collect();
            let mut zs = zones[i].clone();
            for z in &mut zs {
                z.sort();
            }
            Node::with_state(cfg.clone(), addrs[i], points[i].clone(), zs, tables)
        })
        .collect()
}
