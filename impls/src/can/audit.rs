//! Checks a network of nodes against the partition oracle: do the zones
//! tile the space exactly (every point in exactly one zone), and does
//! every node know exactly the nodes abutting it, with their current
//! zones? Used by the tests and after building a simulated network.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;

use super::node::Node;
use super::partition::{Owner, Partition};
use super::zone::Zone;
use crate::runtime::Process;

/// What an audit of one reality found.
#[derive(Clone, Debug)]
pub struct Audit {
    /// The tiling the nodes' zones make.
    pub partition: Partition,
    /// Nodes holding more than one zone.
    pub multi_zone: usize,
    /// Nodes whose live neighbour records are not exactly the nodes
    /// abutting them, with those nodes' current zones; the first few
    /// differences, described.
    pub wrong_tables: usize,
    pub differences: Vec<String>,
    /// Neighbour records per node, mean and largest.
    pub mean_neighbors: f64,
    pub max_neighbors: usize,
}

impl Audit {
    /// Whether every table is exact.
    pub fn exact(&self) -> bool {
        self.wrong_tables == 0
    }
}

/// Audits reality `reality` of the nodes (numbered by their owner ids);
/// `Err` when the zones are not a tiling.
pub fn audit<'a>(
    nodes: impl IntoIterator<Item = (Owner, &'a Node)>,
    reality: usize,
) -> Result<Audit, String> {
    let nodes: Vec<(Owner, &Node)> = nodes.into_iter().collect();
    let dims = nodes.first().ok_or("no nodes")?.1.config().dims;
    let mut zones = Vec::new();
    let mut zones_of: BTreeMap<Owner, Vec<Zone>> = BTreeMap::new();
    let mut owner_at: BTreeMap<SocketAddr, Owner> = BTreeMap::new();
    for (o, n) in &nodes {
        let zs = n.reality(reality).zones();
        zones.extend(zs.iter().map(|z| (*z, *o)));
        zones_of.insert(*o, zs.to_vec());
        owner_at.insert(n.addr(), *o);
    }
    let partition = Partition::from_zones(dims, &zones)?;
    let mut wrong_tables = 0;
    let mut differences = Vec::new();
    let mut total = 0usize;
    let mut max_neighbors = 0;
    for (o, n) in &nodes {
        let mine = &zones_of[o];
        let want: BTreeSet<Owner> = mine
            .iter()
            .flat_map(|z| partition.abutting(z))
            .map(|(_, y)| y)
            .filter(|y| y != o)
            .collect();
        let table = n.reality(reality).neighbors();
        let mut have = BTreeSet::new();
        let mut stale = Vec::new();
        for (a, rec) in table.alive() {
            match owner_at.get(a) {
                Some(y) => {
                    have.insert(*y);
                    if rec.zones != zones_of[y] {
                        stale.push(*y);
                    }
                }
                None => stale.push(Owner::MAX),
            }
        }
        total += have.len();
        max_neighbors = max_neighbors.max(have.len());
        if have != want || !stale.is_empty() {
            wrong_tables += 1;
            if differences.len() < 5 {
                let missing: Vec<_> = want.difference(&have).collect();
                let extra: Vec<_> = have.difference(&want).collect();
                differences.push(format!(
                    "node {o}: missing {missing:?}, extra {extra:?}, stale zones of {stale:?}"
                ));
            }
        }
    }
    Ok(Audit {
        partition,
        multi_zone: zones_of.values().filter(|z| z.len() > 1).count(),
        wrong_tables,
        differences,
        mean_neighbors: total as f64 / nodes.len() as f64,
        max_neighbors,
    })
}
