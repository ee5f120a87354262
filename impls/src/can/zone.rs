//! Zones: the boxes of the canonical k-d partition of the space (paper
//! §2.1–2.2: "the zone is split in half … along the dimensions in a fixed
//! order").
//!
//! A zone is a half-open box `[lo_i, lo_i + len_i)` per dimension with
//! every `len_i` a power of two and `lo_i` a multiple of it. Splits go
//! through the dimensions in the order 0, 1, …, d−1, 0, 1, …, so a zone is
//! fully described by its depth t in the partition tree and its lower
//! corner: dimension i has been halved ⌈(t − i)/d⌉ times (0 if t ≤ i).
//! Valid zones are exactly the nodes of that tree; the codec rejects any
//! other box. Two zones either are disjoint or one contains the other.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::point::{fraction, Point, MAX_DIMS};
use super::volume::Volume;

/// Bits of one coordinate.
pub const COORD_BITS: u32 = 32;

/// A node of the partition tree of a space of `dims` dimensions.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "ZoneRepr", into = "ZoneRepr")]
pub struct Zone {
    dims: u8,
    lo: [u32; MAX_DIMS],
    depth: u16,
}

/// The wire form: `{"depth": t, "lo": [..]}`, d = the length of `lo`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ZoneRepr {
    depth: u16,
    lo: Vec<u32>,
}

impl TryFrom<ZoneRepr> for Zone {
    type Error = String;
    fn try_from(r: ZoneRepr) -> Result<Zone, String> {
        Zone::new(&r.lo, r.depth)
    }
}

impl From<Zone> for ZoneRepr {
    fn from(z: Zone) -> ZoneRepr {
        ZoneRepr {
            depth: z.depth,
            lo: z.lo[..z.dims()].to_vec(),
        }
    }
}

impl Zone {
    /// The whole space: the root of the partition tree.
    pub fn whole(dims: usize) -> Zone {
        assert!((1..=MAX_DIMS).contains(&dims), "{dims} dimensions");
        Zone {
            dims: dims as u8,
            lo: [0; MAX_DIMS],
            depth: 0,
        }
    }

    /// The tree node of depth `depth` whose lower corner is `lo`, or why
    /// there is none (wrong dimension count, too deep, misaligned corner).
    pub fn new(lo: &[u32], depth: u16) -> Result<Zone, String> {
        let dims = lo.len();
        if !(1..=MAX_DIMS).contains(&dims) {
            return Err(format!("a zone has 1 to {MAX_DIMS} dimensions, not {dims}"));
        }
        if u32::from(depth) > COORD_BITS * dims as u32 {
            return Err(format!(
                "depth {depth} is more than {} splits of {dims} dimensions",
                COORD_BITS * dims as u32
            ));
        }
        let mut z = Zone::whole(dims);
        z.depth = depth;
        z.lo[..dims].copy_from_slice(lo);
        for i in 0..dims {
            if u64::from(z.lo[i]) % z.len(i) != 0 {
                return Err(format!(
                    "corner {:#x} is not a multiple of the side 2^{} in dimension {i}",
                    z.lo[i],
                    z.len_log2(i)
                ));
            }
        }
        Ok(z)
    }

    pub fn dims(&self) -> usize {
        usize::from(self.dims)
    }
    pub fn depth(&self) -> u32 {
        u32::from(self.depth)
    }
    /// The lower corner in dimension `i`.
    pub fn lo(&self, i: usize) -> u32 {
        self.lo[i]
    }
    /// The lower corner, as a point (it lies in the zone).
    pub fn corner(&self) -> Point {
        Point::new(&self.lo[..self.dims()]).expect("1..=8 dimensions")
    }

    /// How many times dimension `i` has been halved: ⌈(t − i)/d⌉.
    fn halvings(&self, i: usize) -> u32 {
        let (t, i, d) = (self.depth(), i as u32, u32::from(self.dims));
        if t > i {
            (t - i - 1) / d + 1
        } else {
            0
        }
    }

    /// log2 of the side in dimension `i`.
    pub fn len_log2(&self, i: usize) -> u32 {
        COORD_BITS - self.halvings(i)
    }
    /// The side in dimension `i` (2^32 for an unsplit dimension).
    pub fn len(&self, i: usize) -> u64 {
        1u64 << self.len_log2(i)
    }
    /// One past the upper end in dimension `i` (at most 2^32: zones never
    /// wrap around).
    fn hi(&self, i: usize) -> u64 {
        u64::from(self.lo[i]) + self.len(i)
    }

    /// The zone as fractions of the unit interval: `[lo, hi)` per
    /// dimension (`hi` up to 1).
    pub fn bounds(&self) -> Vec<(f64, f64)> {
        (0..self.dims())
            .map(|i| (fraction(self.lo[i]), fraction(self.hi(i))))
            .collect()
    }

    /// The fraction 2^−t of the space this zone covers.
    pub fn volume(&self) -> Volume {
        Volume::of_depth(self.depth())
    }

    /// Whether the zone can be split (every dimension halved 32 times
    /// leaves a single point).
    pub fn can_split(&self) -> bool {
        self.depth() < COORD_BITS * u32::from(self.dims)
    }

    /// The dimension the next split halves.
    pub fn split_dim(&self) -> usize {
        self.depth() as usize % self.dims()
    }

    /// The two children (lower half, upper half), if the zone can split.
    pub fn halves(&self) -> Option<(Zone, Zone)> {
        if !self.can_split() {
            return None;
        }
        let k = self.split_dim();
        let mut lower = *self;
        lower.depth += 1;
        let mut upper = lower;
        upper.lo[k] += (self.len(k) / 2) as u32;
        Some((lower, upper))
    }

    /// The child containing `p`, and the other one.
    pub fn split_at(&self, p: &Point) -> Option<(Zone, Zone)> {
        let (lower, upper) = self.halves()?;
        Some(if upper.contains(p) {
            (upper, lower)
        } else {
            (lower, upper)
        })
    }

    /// The node this zone was split from (`None` for the whole space).
    pub fn parent(&self) -> Option<Zone> {
        if self.depth == 0 {
            return None;
        }
        let mut p = *self;
        p.depth -= 1;
        let k = p.split_dim();
        p.lo[k] = (u64::from(p.lo[k]) & !(p.len(k) - 1)) as u32;
        Some(p)
    }

    /// The other child of this zone's parent.
    pub fn sibling(&self) -> Option<Zone> {
        let mut s = self.parent()?;
        let k = s.split_dim();
        s.depth += 1;
        s.lo[k] = self.lo[k] ^ (s.len(k) as u32);
        Some(s)
    }

    /// The zone of the same shape next to this one in dimension `dim`,
    /// above it (`up`) or below, around the torus; `None` if the zone spans
    /// the whole dimension (it is its own neighbour there).
    pub fn beside(&self, dim: usize, up: bool) -> Option<Zone> {
        let len = self.len(dim);
        if len > u64::from(u32::MAX) {
            return None;
        }
        let mut z = *self;
        let step = len as u32;
        z.lo[dim] = if up {
            self.lo[dim].wrapping_add(step)
        } else {
            self.lo[dim].wrapping_sub(step)
        };
        Some(z)
    }

    /// The lower corner, moved to the upper end of dimension `dim` if
    /// `upper`: a point of the zone's layer on that face.
    pub fn face_point(&self, dim: usize, upper: bool) -> Point {
        let mut c = self.lo;
        if upper {
            c[dim] = (self.hi(dim) - 1) as u32;
        }
        Point::new(&c[..self.dims()]).expect("1..=8 dimensions")
    }

    /// Whether `p` (of the same dimension count) lies in the zone.
    pub fn contains(&self, p: &Point) -> bool {
        (0..self.dims()).all(|i| {
            let c = u64::from(p.get(i));
            u64::from(self.lo[i]) <= c && c < self.hi(i)
        })
    }

    /// Whether `z` is this zone or lies inside it.
    pub fn covers(&self, z: &Zone) -> bool {
        z.depth >= self.depth && self.contains(&z.corner())
    }

    /// Whether the two zones share a point (then one covers the other).
    pub fn intersects(&self, z: &Zone) -> bool {
        self.covers(z) || z.covers(self)
    }

    /// Neighbours (§2.1): in exactly one dimension the two intervals are
    /// disjoint and touch (circularly: the torus wraps at 2^32), and in
    /// every other dimension they overlap with positive length.
    pub fn abuts(&self, z: &Zone) -> bool {
        let mut touching = 0;
        for i in 0..self.dims() {
            let (alo, ahi) = (u64::from(self.lo[i]), self.hi(i));
            let (blo, bhi) = (u64::from(z.lo[i]), z.hi(i));
            if alo < bhi && blo < ahi {
                continue; // overlap
            }
            let wrap = 1u64 << COORD_BITS;
            if ahi % wrap == blo || bhi % wrap == alo {
                touching += 1;
            } else {
                return false;
            }
        }
        touching == 1
    }

    /// Whether the closures meet: in every dimension the intervals
    /// overlap or touch. Abutting zones meet; so do zones touching only at
    /// a corner, and a zone with any zone inside it.
    pub fn meets(&self, z: &Zone) -> bool {
        let wrap = 1u64 << COORD_BITS;
        (0..self.dims()).all(|i| {
            let (alo, ahi) = (u64::from(self.lo[i]), self.hi(i));
            let (blo, bhi) = (u64::from(z.lo[i]), z.hi(i));
            (alo < bhi && blo < ahi) || ahi % wrap == blo || bhi % wrap == alo
        })
    }

    /// Squared Euclidean distance on the torus from `p` to the nearest
    /// point of the zone (0 inside). Per dimension: the circular distance
    /// from the coordinate to the closed interval `[lo, lo + len − 1]`.
    pub fn dist2(&self, p: &Point) -> u128 {
        (0..self.dims())
            .map(|i| {
                let c = p.get(i);
                let off = u64::from(c.wrapping_sub(self.lo[i]));
                let d = if off < self.len(i) {
                    0
                } else {
                    let top = (self.hi(i) - 1) as u32;
                    self.lo[i].wrapping_sub(c).min(c.wrapping_sub(top))
                };
                u128::from(d) * u128::from(d)
            })
            .sum()
    }
}

/// Merges sibling pairs into their parent until none is left (a node
/// holding both halves of a zone holds the zone). Sorted afterwards.
pub fn merge_all(zones: &mut Vec<Zone>) {
    loop {
        zones.sort();
        zones.dedup();
        let parent = zones
            .iter()
            .find(|z| z.sibling().is_some_and(|s| zones.contains(&s)))
            .and_then(Zone::parent);
        let Some(parent) = parent else { return };
        zones.retain(|z| !parent.covers(z));
        zones.push(parent);
    }
}

/// The parts of `z` that no zone of `cover` intersects, as tree nodes.
pub fn subtract(z: Zone, cover: &[Zone]) -> Vec<Zone> {
    if cover.iter().any(|c| c.covers(&z)) {
        return Vec::new();
    }
    if !cover.iter().any(|c| z.covers(c)) {
        return vec![z];
    }
    let (lower, upper) = z.halves().expect("a zone strictly covering another splits");
    let mut out = subtract(lower, cover);
    out.extend(subtract(upper, cover));
    out
}

/// Total volume of a set of disjoint zones.
pub fn total_volume<'a>(zones: impl IntoIterator<Item = &'a Zone>) -> Volume {
    zones
        .into_iter()
        .fold(Volume::ZERO, |v, z| v.plus(z.volume()))
}

/// Distance from `p` to the nearest of `zones` (`u128::MAX` for none).
pub fn dist2_to(zones: &[Zone], p: &Point) -> u128 {
    zones.iter().map(|z| z.dist2(p)).min().unwrap_or(u128::MAX)
}

/// Whether some zone of `a` abuts some zone of `b`.
pub fn any_abut(a: &[Zone], b: &[Zone]) -> bool {
    a.iter().any(|x| b.iter().any(|y| x.abuts(y)))
}

impl fmt::Debug for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[")?;
        for i in 0..self.dims() {
            if i > 0 {
                write!(f, " × ")?;
            }
            write!(f, "{:#x}+2^{}", self.lo[i], self.len_log2(i))?;
        }
        write!(f, "]")
    }
}

#[cfg(test)]
mod tests;
