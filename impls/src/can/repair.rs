//! Repairing neighbour tables: gaps in a node's view of its surroundings.
//!
//! Not in the paper, which assumes a joining node learns all of its
//! neighbours from the owner it splits. When joins run concurrently (two
//! abutting owners split at once) or a takeover winner inherits a list
//! that was out of date, two abutting nodes may never hear of each other:
//! no node that knows one knows the other, so neither UPDATEs nor
//! hearsay can bring them together. The cure uses a fact a node can check
//! alone: the zones of its neighbours (and its own) must cover the whole
//! layer of points just across every face of every zone it holds. At each
//! refresh a node looks for a part of that layer no known zone covers;
//! if it finds one it sends a GREET routed to a point there, starting at a
//! neighbour (greedy routing from itself could not progress: the point is
//! next to it). The owner of that point answers with its UPDATE, and the
//! two now know each other (the reply rule of [`super::update`] makes it
//! mutual).

use super::node::{Node, Out};
use super::point::Point;
use super::wire::{Msg, Routed};
use super::zone::{dist2_to, Zone};

/// The part of the layer across one face of `z` that no zone of `cover`
/// covers, if any: a region of the zone beside `z` in dimension `dim`
/// (above it if `up`), touching the face.
pub fn face_gap(z: &Zone, dim: usize, up: bool, cover: &[Zone]) -> Option<Zone> {
    let beside = z.beside(dim, up)?;
    gap_in(beside, dim, !up, cover)
}

/// A part of `region`'s layer at its lower (`!upper`) or upper end of
/// dimension `dim` that no zone of `cover` covers.
fn gap_in(region: Zone, dim: usize, upper: bool, cover: &[Zone]) -> Option<Zone> {
    if cover.iter().any(|c| c.covers(&region)) {
        return None;
    }
    if !cover.iter().any(|c| c.intersects(&region)) {
        return Some(region);
    }
    let (lower, upper_half) = region.halves()?;
    if region.split_dim() == dim {
        gap_in(if upper { upper_half } else { lower }, dim, upper, cover)
    } else {
        gap_in(lower, dim, upper, cover).or_else(|| gap_in(upper_half, dim, upper, cover))
    }
}

impl Node {
    /// A point just across a face of one of our zones that no known zone
    /// covers, in `reality` (the first in zone, dimension, side order).
    pub fn find_gap(&self, reality: usize) -> Option<Point> {
        let r = &self.realities[reality];
        let cover: Vec<Zone> = r
            .zones
            .iter()
            .chain(r.nbrs.iter().flat_map(|(_, n)| n.zones.iter()))
            .copied()
            .collect();
        for z in &r.zones {
            for dim in 0..z.dims() {
                for up in [true, false] {
                    if let Some(g) = face_gap(z, dim, up, &cover) {
                        return Some(g.face_point(dim, !up));
                    }
                }
            }
        }
        None
    }

    /// Looks for a gap and greets its owner, through the `round`-th
    /// closest neighbour to it (rotating, so a stale first hop is not
    /// tried forever).
    pub(super) fn greet_gap(&mut self, reality: usize, round: u64, out: &mut Out) {
        let Some(target) = self.find_gap(reality) else {
            return;
        };
        let r = &self.realities[reality];
        let mut via: Vec<(u128, std::net::SocketAddr)> = r
            .nbrs
            .alive()
            .map(|(a, n)| (dist2_to(&n.zones, &target), *a))
            .collect();
        if via.is_empty() {
            return;
        }
        via.sort();
        let first = via[(round % via.len() as u64) as usize].1;
        let msg = Msg::Route {
            reality: reality as u8,
            target,
            hops: 1,
            ttl: self.cfg.ttl,
            body: Routed::Greet { origin: self.addr },
        };
        self.send(first, msg, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_face_is_covered_only_by_what_lies_across_it() {
        // Quarters of the plane: [0,½)×[0,½) is q00 etc.
        let (l, u) = Zone::whole(2).halves().unwrap();
        let (q00, q01) = l.halves().unwrap();
        let (q10, q11) = u.halves().unwrap();
        // Above q00 (dimension 1) lies q01, on both sides (torus).
        assert_eq!(face_gap(&q00, 1, true, &[q01]), None);
        assert_eq!(face_gap(&q00, 1, false, &[q01]), None);
        assert_eq!(face_gap(&q00, 1, true, &[q10, q11]), Some(q01));
        // Right of q00 lies q10; if only its upper half is known, the
        // lower half is the gap; a zone elsewhere does not help.
        let (q10a, q10b) = q10.halves().unwrap();
        let gap = face_gap(&q00, 0, true, &[q10b, q11]).unwrap();
        assert_eq!(gap, q10a);
        assert!(gap.contains(&gap.face_point(0, false)));
        // A zone spanning a whole dimension has no face across it.
        assert_eq!(face_gap(&l, 1, true, &[]), None);
        // Deeper: only the layer next to the face matters. Right of q00,
        // q10 splits in dimension 0 into a near and a far half.
        let q10l = Zone::new(&[1 << 31, 0], 3).unwrap();
        let q10r = q10l.sibling().unwrap();
        assert_eq!(q10l.depth(), 3);
        assert_eq!(
            face_gap(&q00, 0, true, &[q10l]),
            None,
            "the far half does not matter"
        );
        assert_eq!(face_gap(&q00, 0, true, &[q10r]), Some(q10l));
    }
}
