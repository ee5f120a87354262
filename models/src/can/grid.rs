//! The coordinate space of the CAN model: a d-torus of `side` cells in
//! every dimension (`side` a power of two), with exact integer geometry.
//!
//! A zone is a half-open box of cells, `lo` and `len` per dimension, read
//! circularly (a zone never needs to wrap, but adjacency does). The zones
//! the split rule makes are the nodes of the canonical k-d partition tree:
//! halve dimension 0, then 1, …, then d−1, then 0 again. A zone is *valid*
//! when it is one of them; [`Space::is_valid`] says exactly when.

use std::fmt;

/// Largest number of dimensions.
pub const MAX_DIMS: usize = 3;
/// Largest number of cells in the whole space (one bit each in a `u64`).
pub const MAX_CELLS: usize = 64;

/// A cell, by its coordinates (unused dimensions are 0).
pub type Point = [u8; MAX_DIMS];

/// A box of cells: `[lo_i, lo_i + len_i)` per dimension, mod `side`.
/// Unused dimensions have `lo = 0`, `len = 1`.
#[derive(Clone, Copy, Debug, Default, Hash, PartialEq, Eq, PartialOrd, Ord)]
pub struct Zone {
    pub lo: Point,
    pub len: Point,
}

/// The torus: `dims` dimensions of `side` cells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Space {
    pub dims: usize,
    pub side: u8,
}

impl Space {
    /// The whole space, n0's zone at the start.
    pub fn whole(&self) -> Zone {
        let mut z = Zone {
            lo: [0; MAX_DIMS],
            len: [1; MAX_DIMS],
        };
        for i in 0..self.dims {
            z.len[i] = self.side;
        }
        z
    }

    pub fn cells(&self) -> usize {
        (self.side as usize).pow(self.dims as u32)
    }

    /// Every cell, in index order (dimension 0 fastest).
    pub fn points(&self) -> impl Iterator<Item = Point> + '_ {
        (0..self.cells()).map(|i| self.point(i))
    }

    pub fn point(&self, index: usize) -> Point {
        let mut p = [0; MAX_DIMS];
        let mut rest = index;
        for c in p.iter_mut().take(self.dims) {
            *c = (rest % self.side as usize) as u8;
            rest /= self.side as usize;
        }
        p
    }

    pub fn index(&self, p: Point) -> usize {
        (0..self.dims)
            .rev()
            .fold(0, |acc, i| acc * self.side as usize + p[i] as usize)
    }

    /// The cells of dimension `i` a zone covers, as bits of a `u8`.
    fn span(&self, z: &Zone, i: usize) -> u8 {
        (0..z.len[i].min(self.side)).fold(0, |m, c| m | 1 << ((z.lo[i] + c) % self.side))
    }

    /// The cells a zone covers, bit `index(p)` for cell p.
    pub fn mask(&self, z: &Zone) -> u64 {
        let side = self.side as usize;
        let mut m = self.span(z, 0) as u64;
        let mut stride = side;
        for i in 1..self.dims {
            let span = self.span(z, i);
            let mut acc = 0;
            for c in 0..side {
                if span & (1 << c) != 0 {
                    acc |= m << (c * stride);
                }
            }
            m = acc;
            stride *= side;
        }
        m
    }

    /// A set of cells moved one cell along dimension `i` (up or down),
    /// around the torus.
    pub fn shift(&self, cells: u64, i: usize, up: bool) -> u64 {
        let side = self.side as usize;
        let stride = side.pow(i as u32);
        let slab = |c: u8| {
            let mut z = self.whole();
            z.lo[i] = c;
            z.len[i] = 1;
            self.mask(&z)
        };
        let far = stride * (side - 1);
        if up {
            let top = slab(self.side - 1);
            ((cells & !top) << stride) | ((cells & top) >> far)
        } else {
            let bottom = slab(0);
            ((cells & !bottom) >> stride) | ((cells & bottom) << far)
        }
    }

    pub fn contains(&self, z: &Zone, p: Point) -> bool {
        (0..self.dims).all(|i| (p[i] + self.side - z.lo[i]) % self.side < z.len[i])
    }

    pub fn volume(&self, z: &Zone) -> u32 {
        (0..self.dims).map(|i| z.len[i] as u32).product()
    }

    /// Whether two zones share a (d−1)-dimensional face on the torus: in
    /// exactly one dimension their spans are disjoint and touch, and in
    /// every other they overlap.
    pub fn abut(&self, a: &Zone, b: &Zone) -> bool {
        let l = self.side as u32;
        let full = if l == 8 { u8::MAX } else { (1u8 << l) - 1 };
        let shift = |m: u8, up: bool| -> u8 {
            let m = m as u32;
            let r = if up {
                (m << 1) | (m >> (l - 1))
            } else {
                (m >> 1) | (m << (l - 1))
            };
            (r & full as u32) as u8
        };
        let mut touching = 0;
        for i in 0..self.dims {
            let (sa, sb) = (self.span(a, i), self.span(b, i));
            if sa & sb != 0 {
                continue;
            }
            if shift(sa, true) & sb != 0 || shift(sa, false) & sb != 0 {
                touching += 1;
            } else {
                return false;
            }
        }
        touching == 1
    }

    /// Halvings per dimension, when every `len` is a power of two and
    /// `lo` is aligned to it.
    fn splits(&self, z: &Zone) -> Option<[u32; MAX_DIMS]> {
        let mut s = [0; MAX_DIMS];
        for (i, si) in s.iter_mut().enumerate().take(self.dims) {
            let len = z.len[i];
            if !len.is_power_of_two() || len > self.side || !z.lo[i].is_multiple_of(len) {
                return None;
            }
            *si = (self.side / len).trailing_zeros();
        }
        Some(s)
    }

    /// A node of the canonical partition tree: aligned power-of-two
    /// lengths, halved in dimension order (s_0 ≥ s_1 ≥ … ≥ s_{d−1} ≥ s_0−1).
    pub fn is_valid(&self, z: &Zone) -> bool {
        let Some(s) = self.splits(z) else {
            return false;
        };
        (1..self.dims).all(|i| s[i] <= s[i - 1]) && s[self.dims - 1] + 1 >= s[0]
    }

    /// The dimension the split rule halves next: the longest one, the
    /// lowest on ties (for a valid zone this is its depth mod d); for a
    /// ragged zone (only a broken variant makes them) the longest one of
    /// even length. `None` when no dimension can be halved.
    pub fn split_dim(&self, z: &Zone) -> Option<usize> {
        (0..self.dims)
            .filter(|&i| z.len[i] >= 2 && z.len[i].is_multiple_of(2))
            .max_by_key(|&i| (z.len[i], std::cmp::Reverse(i)))
    }

    /// The two halves of a zone by the split rule, lower half first.
    pub fn halves(&self, z: &Zone) -> Option<(Zone, Zone)> {
        let i = self.split_dim(z)?;
        let (mut a, mut b) = (*z, *z);
        a.len[i] /= 2;
        b.len[i] /= 2;
        b.lo[i] = (z.lo[i] + a.len[i]) % self.side;
        Some((a, b))
    }

    /// The dimension of the last split that made a valid zone.
    fn last_dim(&self, z: &Zone) -> Option<usize> {
        let s = self.splits(z)?;
        let depth: u32 = s.iter().sum();
        (depth > 0 && self.is_valid(z)).then(|| (depth as usize - 1) % self.dims)
    }

    /// The other half of a valid zone's parent.
    pub fn sibling(&self, z: &Zone) -> Option<Zone> {
        let i = self.last_dim(z)?;
        let mut s = *z;
        s.lo[i] ^= z.len[i];
        Some(s)
    }

    /// The zone a valid zone was split from.
    pub fn parent(&self, z: &Zone) -> Option<Zone> {
        let i = self.last_dim(z)?;
        let mut p = *z;
        p.len[i] *= 2;
        p.lo[i] &= !(p.len[i] - 1);
        Some(p)
    }

    /// `a ∪ b` when it is a box (what the broken `ragged-merge` variant
    /// accepts): equal in all dimensions but one, in which they are
    /// disjoint, adjacent and together no longer than the side.
    pub fn union_box(&self, a: &Zone, b: &Zone) -> Option<Zone> {
        let mut diff = None;
        for i in 0..self.dims {
            if a.lo[i] != b.lo[i] || a.len[i] != b.len[i] {
                if diff.is_some() {
                    return None;
                }
                diff = Some(i);
            }
        }
        let i = diff?;
        let total = a.len[i] as u32 + b.len[i] as u32;
        if total > self.side as u32 {
            return None;
        }
        let (first, second) =
            if (a.lo[i] as u32 + a.len[i] as u32) % self.side as u32 == b.lo[i] as u32 {
                (a, b)
            } else if (b.lo[i] as u32 + b.len[i] as u32) % self.side as u32 == a.lo[i] as u32 {
                (b, a)
            } else {
                return None;
            };
        let _ = second;
        let mut u = *first;
        u.len[i] = total as u8;
        if total == self.side as u32 {
            u.lo[i] = 0;
        }
        Some(u)
    }

    /// Squared distance from the centre of cell `p` to the nearest point
    /// of `z`, on the torus, in half-cells (so every quantity is an
    /// integer): 0 inside.
    pub fn dist2(&self, z: &Zone, p: Point) -> u32 {
        let ring = 2 * self.side as i32;
        (0..self.dims)
            .map(|i| {
                if (p[i] + self.side - z.lo[i]) % self.side < z.len[i] {
                    return 0;
                }
                let c = 2 * p[i] as i32 + 1;
                let lo = 2 * z.lo[i] as i32;
                let hi = lo + 2 * z.len[i] as i32;
                let before = (lo - c).rem_euclid(ring);
                let after = (c - hi).rem_euclid(ring);
                let d = before.min(after) as u32;
                d * d
            })
            .sum()
    }

    /// `(x,y)` or `(x,y,z)`.
    pub fn point_text(&self, p: Point) -> String {
        let v: Vec<String> = p[..self.dims].iter().map(|c| c.to_string()).collect();
        format!("({})", v.join(","))
    }

    /// `[0,2)x[2,4)`.
    pub fn zone_text(&self, z: &Zone) -> String {
        ZoneText(self, z).to_string()
    }

    /// Parses `(x,y)` (or `x,y`) into a cell of this space.
    pub fn parse_point(&self, word: &str) -> Result<Point, String> {
        let inner = word.trim_start_matches('(').trim_end_matches(')');
        let parts: Vec<&str> = inner.split(',').collect();
        let bad = || {
            format!(
                "`{word}` is not a cell of this space (a cell is ({}) with coordinates 0 … {})",
                vec!["c"; self.dims].join(","),
                self.side - 1
            )
        };
        if parts.len() != self.dims {
            return Err(bad());
        }
        let mut p = [0; MAX_DIMS];
        for (i, w) in parts.iter().enumerate() {
            p[i] = match w.trim().parse::<u8>() {
                Ok(c) if c < self.side => c,
                _ => return Err(bad()),
            };
        }
        Ok(p)
    }
}

struct ZoneText<'a>(&'a Space, &'a Zone);

impl fmt::Display for ZoneText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (s, z) = (self.0, self.1);
        for i in 0..s.dims {
            if i > 0 {
                write!(f, "x")?;
            }
            write!(f, "[{},{})", z.lo[i], z.lo[i] as u32 + z.len[i] as u32)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Space = Space { dims: 2, side: 4 };

    fn z(lo: [u8; 2], len: [u8; 2]) -> Zone {
        Zone {
            lo: [lo[0], lo[1], 0],
            len: [len[0], len[1], 1],
        }
    }

    #[test]
    fn the_split_rule_makes_exactly_the_valid_zones() {
        // Walk the partition tree from the whole space: every node is
        // valid, and a zone is valid only if the walk reaches it.
        let mut tree = vec![S.whole()];
        let mut i = 0;
        while i < tree.len() {
            let t = tree[i];
            assert!(S.is_valid(&t), "{}", S.zone_text(&t));
            if let Some((a, b)) = S.halves(&t) {
                assert_eq!(S.sibling(&a), Some(b));
                assert_eq!(S.parent(&a), Some(t));
                assert_eq!(S.parent(&b), Some(t));
                tree.extend([a, b]);
            }
            i += 1;
        }
        assert_eq!(tree.len(), 31, "1 + 2 + 4 + 8 + 16 zones on a 4x4 grid");
        let mut valid = 0;
        for lo0 in 0..4 {
            for lo1 in 0..4 {
                for l0 in 1..=4 {
                    for l1 in 1..=4 {
                        let c = z([lo0, lo1], [l0, l1]);
                        if S.is_valid(&c) {
                            valid += 1;
                            assert!(tree.contains(&c));
                        }
                    }
                }
            }
        }
        assert_eq!(valid, 31);
        // A strip split the wrong way first is not valid.
        assert!(!S.is_valid(&z([0, 0], [4, 2])));
        assert!(S.is_valid(&z([0, 0], [2, 4])));
    }

    #[test]
    fn abutting_is_a_shared_face_on_the_torus() {
        let a = z([0, 0], [2, 2]);
        assert!(S.abut(&a, &z([2, 0], [2, 2])));
        assert!(!S.abut(&a, &z([2, 2], [2, 2])), "corner only");
        assert!(S.abut(&a, &z([0, 2], [1, 2])));
        // Across the wrap-around edge.
        assert!(S.abut(&a, &z([3, 1], [1, 1])));
        assert!(S.abut(&z([0, 0], [2, 4]), &z([2, 0], [2, 4])));
        assert!(!S.abut(&a, &a), "overlapping zones do not abut");
    }

    #[test]
    fn distance_is_zero_inside_and_wraps() {
        let a = z([0, 0], [2, 2]);
        assert_eq!(S.dist2(&a, [1, 1, 0]), 0);
        // Cell (3,0): centre at 7 (half-cells); the zone spans [0,4); the
        // wrap-around way is 1 half-cell.
        assert_eq!(S.dist2(&a, [3, 0, 0]), 1);
        assert_eq!(S.dist2(&a, [2, 2, 0]), 2);
    }

    #[test]
    fn masks_and_points_agree() {
        for z in [
            z([1, 2], [2, 1]),
            z([3, 3], [2, 2]),
            S.whole(),
            z([2, 0], [1, 4]),
        ] {
            let slow = S
                .points()
                .enumerate()
                .filter(|&(_, p)| S.contains(&z, p))
                .fold(0u64, |m, (i, _)| m | 1 << i);
            assert_eq!(S.mask(&z), slow, "{}", S.zone_text(&z));
            for i in 0..2 {
                let moved = S
                    .points()
                    .enumerate()
                    .filter(|&(_, p)| S.contains(&z, p))
                    .fold(0u64, |m, (_, p)| {
                        let mut q = p;
                        q[i] = (q[i] + 1) % 4;
                        m | 1 << S.index(q)
                    });
                assert_eq!(S.shift(S.mask(&z), i, true), moved);
                assert_eq!(S.shift(moved, i, false), S.mask(&z));
            }
        }
        assert_eq!(S.mask(&S.whole()), u16::MAX as u64);
        assert_eq!(S.mask(&z([3, 0], [1, 1])).count_ones(), 1);
        for (i, p) in S.points().enumerate() {
            assert_eq!(S.index(p), i);
        }
        assert_eq!(S.parse_point("(3,1)"), Ok([3, 1, 0]));
        assert!(S.parse_point("(4,1)").unwrap_err().contains("0 … 3"));
        assert_eq!(S.zone_text(&z([2, 0], [2, 4])), "[2,4)x[0,4)");
    }

    #[test]
    fn ragged_unions_are_boxes_but_not_valid() {
        let u = S.union_box(&z([1, 0], [1, 2]), &z([2, 0], [1, 2])).unwrap();
        assert_eq!(u, z([1, 0], [2, 2]));
        assert!(!S.is_valid(&u));
        assert_eq!(S.union_box(&z([0, 0], [1, 2]), &z([2, 0], [1, 2])), None);
    }
}
