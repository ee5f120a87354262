//! Checks a network of nodes against the partition oracle: do the zones
//! tile the space exactly (every point in exactly one zone: their volumes
//! sum to the space and the partition tree finds no overlap), and does
//! every node know exactly the nodes abutting it, with their current
//! zones? Used by the tests and after building a simulated network.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;

use super::node::Node;
use super::partition::{Owner, Partition};
use super::volume::Volume;
use super::zone::{total_volume, Zone};
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
    // Belt and braces beside the tree's own check: every zone is a node of
    // the canonical tree, and the volumes sum to the whole space.
    if let Some((z, o)) = zones
        .iter()
        .find(|(z, _)| Zone::new(z.corner().coords(), z.depth() as u16).as_ref() != Ok(z))
    {
        return Err(format!(
            "{z:?} (owner {o}) is not a zone of the partition tree"
        ));
    }
    let volume = total_volume(zones.iter().map(|(z, _)| z));
    if volume != Volume::WHOLE {
        return Err(format!(
            "the zones' volumes sum to {volume:?} of the space, not 1"
        ));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::can::node::Config;
    use crate::can::oracle::{network, partitions};
    use crate::can::point::Point;
    use crate::runtime::sim::sim_addr;

    fn all(ns: &[Node]) -> Vec<(Owner, &Node)> {
        ns.iter()
            .enumerate()
            .map(|(i, n)| (i as Owner, n))
            .collect()
    }

    #[test]
    fn audits_find_holes_and_wrong_tables() {
        let cfg = Config::manual(2, 1);
        let p = |x: u32, y: u32| vec![Point::new(&[x, y]).unwrap()];
        let points = vec![p(0, 0), p(3 << 30, 0), p(3 << 30, 3 << 30), p(1, 3 << 30)];
        let addrs: Vec<SocketAddr> = (0..4).map(sim_addr).collect();
        let nodes = network(&cfg, &addrs, &points, &partitions(&cfg, &points));
        let a = audit(all(&nodes), 0).unwrap();
        assert!(a.exact(), "{:?}", a.differences);
        assert_eq!((a.multi_zone, a.partition.leaves().len()), (0, 4));
        // Node 0 forgets node 1: one wrong table, named.
        let mut broken = nodes.clone();
        broken[0].realities[0].nbrs.forget(addrs[1], 0);
        let b = audit(all(&broken), 0).unwrap();
        assert_eq!(b.wrong_tables, 1);
        assert_eq!(
            b.differences,
            vec!["node 0: missing [1], extra [], stale zones of []"]
        );
        // Without node 3's zone the space is not covered.
        let e = audit(all(&nodes[..3]), 0).unwrap_err();
        assert!(e.contains("sum to"), "{e}");
    }
}
