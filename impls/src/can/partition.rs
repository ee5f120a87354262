//! The partition tree, held in one place: an oracle for tests and
//! simulations (who owns a point, which zones abut one, whether a set of
//! zones tiles the space), and the fast construction of large networks.
//!
//! Inserting a point applies exactly the join rule of §2.2 as the nodes
//! implement it ([`super::join`]): the leaf holding the point splits along
//! the next dimension of the canonical order, the half holding the point
//! goes to the newcomer, the other half stays with the owner. A sequence
//! of joins at given points therefore gives the same zones whether the
//! nodes run the protocol or this tree applies the rule (the simulator
//! tests compare the two).

use super::point::Point;
use super::zone::Zone;

/// Owners are numbered (the simulator's slots).
pub type Owner = u32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cell {
    /// No zone here (only while building from zones).
    Empty,
    Leaf(Owner),
    /// Children: lower half, upper half.
    Split(u32, u32),
}

/// A partition of one space into owned zones.
#[derive(Clone, Debug)]
pub struct Partition {
    dims: usize,
    cells: Vec<Cell>,
}

impl Partition {
    /// The whole space, owned by `first`.
    pub fn new(dims: usize, first: Owner) -> Partition {
        Partition {
            dims,
            cells: vec![Cell::Leaf(first)],
        }
    }

    pub fn dims(&self) -> usize {
        self.dims
    }

    /// The leaf holding `p`: its cell index and zone.
    fn find(&self, p: &Point) -> (usize, Zone) {
        let (mut i, mut z) = (0usize, Zone::whole(self.dims));
        while let Cell::Split(lo, hi) = self.cells[i] {
            let (lower, upper) = z.halves().expect("split cells split");
            (i, z) = if upper.contains(p) {
                (hi as usize, upper)
            } else {
                (lo as usize, lower)
            };
        }
        (i, z)
    }

    /// Who owns `p`, and the zone it lies in.
    pub fn owner_of(&self, p: &Point) -> (Owner, Zone) {
        let (i, z) = self.find(p);
        match self.cells[i] {
            Cell::Leaf(o) => (o, z),
            _ => panic!("no owner at {p:?}: not a tiling"),
        }
    }

    /// A join of `newcomer` at `p`: the owner's zone splits; returns the
    /// old owner, the newcomer's zone and the half the owner keeps, or
    /// `None` if the zone is a single point.
    pub fn join(&mut self, p: &Point, newcomer: Owner) -> Option<(Owner, Zone, Zone)> {
        let (i, z) = self.find(p);
        let Cell::Leaf(owner) = self.cells[i] else {
            panic!("no owner at {p:?}: not a tiling");
        };
        let (new, keep) = z.split_at(p)?;
        let (lower, upper) = z.halves()?;
        let n = self.cells.len() as u32;
        let (lo_owner, hi_owner) = if new == lower {
            (newcomer, owner)
        } else {
            (owner, newcomer)
        };
        debug_assert!(new == lower || new == upper);
        self.cells.push(Cell::Leaf(lo_owner));
        self.cells.push(Cell::Leaf(hi_owner));
        self.cells[i] = Cell::Split(n, n + 1);
        Some((owner, new, keep))
    }

    /// Gives the zone holding `p` to `owner` (tests set up states that
    /// joins alone do not reach, e.g. a node holding two zones).
    pub fn set_owner(&mut self, p: &Point, owner: Owner) {
        let (i, _) = self.find(p);
        self.cells[i] = Cell::Leaf(owner);
    }

    /// Every zone and its owner, in depth-first order (lower half first).
    pub fn leaves(&self) -> Vec<(Zone, Owner)> {
        let mut out = Vec::new();
        self.walk(
            0,
            Zone::whole(self.dims),
            &mut |z, o| out.push((z, o)),
            &|_| true,
        );
        out
    }

    /// The zones abutting `z`, with their owners (`z` itself excluded).
    pub fn abutting(&self, z: &Zone) -> Vec<(Zone, Owner)> {
        let mut out = Vec::new();
        self.walk(
            0,
            Zone::whole(self.dims),
            &mut |y, o| {
                if y.abuts(z) {
                    out.push((y, o))
                }
            },
            &|region| region.meets(z),
        );
        out
    }

    /// Visits the leaves under cell `i` (zone `z`), skipping subtrees
    /// whose region `enter` rejects.
    fn walk(
        &self,
        i: usize,
        z: Zone,
        f: &mut impl FnMut(Zone, Owner),
        enter: &impl Fn(&Zone) -> bool,
    ) {
        if !enter(&z) {
            return;
        }
        match self.cells[i] {
            Cell::Empty => {}
            Cell::Leaf(o) => f(z, o),
            Cell::Split(lo, hi) => {
                let (lower, upper) = z.halves().expect("split cells split");
                self.walk(lo as usize, lower, f, enter);
                self.walk(hi as usize, upper, f, enter);
            }
        }
    }

    /// The partition the given zones make, or why they are no tiling: two
    /// overlap, or some part of the space has no zone.
    pub fn from_zones(dims: usize, zones: &[(Zone, Owner)]) -> Result<Partition, String> {
        let mut p = Partition {
            dims,
            cells: vec![Cell::Empty],
        };
        for &(z, o) in zones {
            if z.dims() != dims {
                return Err(format!("{z:?} is not of {dims} dimensions"));
            }
            let (mut i, mut at) = (0usize, Zone::whole(dims));
            while at != z {
                let (lower, upper) = at.halves().expect("z is deeper");
                if let Cell::Empty = p.cells[i] {
                    let n = p.cells.len() as u32;
                    p.cells.extend([Cell::Empty, Cell::Empty]);
                    p.cells[i] = Cell::Split(n, n + 1);
                }
                let Cell::Split(lo, hi) = p.cells[i] else {
                    return Err(format!("{z:?} (owner {o}) lies inside another zone {at:?}"));
                };
                (i, at) = if lower.covers(&z) {
                    (lo as usize, lower)
                } else {
                    (hi as usize, upper)
                };
            }
            match p.cells[i] {
                Cell::Empty => p.cells[i] = Cell::Leaf(o),
                _ => return Err(format!("{z:?} (owner {o}) overlaps another zone")),
            }
        }
        let mut hole = None;
        p.find_hole(0, Zone::whole(dims), &mut hole);
        match hole {
            Some(z) => Err(format!("no zone covers {z:?}")),
            None => Ok(p),
        }
    }

    fn find_hole(&self, i: usize, z: Zone, hole: &mut Option<Zone>) {
        if hole.is_some() {
            return;
        }
        match self.cells[i] {
            Cell::Empty => *hole = Some(z),
            Cell::Leaf(_) => {}
            Cell::Split(lo, hi) => {
                let (lower, upper) = z.halves().expect("split cells split");
                self.find_hole(lo as usize, lower, hole);
                self.find_hole(hi as usize, upper, hole);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_split_the_owners_zone_and_tiles_check() {
        let mut p = Partition::new(2, 0);
        let a = Point::new(&[1 << 31, 5]).unwrap();
        let (old, new, keep) = p.join(&a, 1).unwrap();
        assert_eq!(old, 0);
        assert!(new.contains(&a) && keep == new.sibling().unwrap());
        let b = Point::new(&[1 << 31, 1 << 31]).unwrap();
        assert_eq!(p.join(&b, 2).unwrap().0, 1);
        assert_eq!(p.owner_of(&b).0, 2);
        assert_eq!(p.owner_of(&Point::new(&[0, 0]).unwrap()).0, 0);
        let leaves = p.leaves();
        assert_eq!(leaves.len(), 3);
        // The left half abuts both quarters of the right half (twice round the torus).
        assert_eq!(p.abutting(&leaves[0].0).len(), 2);
        assert_eq!(p.abutting(&leaves[1].0), vec![leaves[0], leaves[2]]);
        // Rebuilt from its zones it is the same tiling.
        let q = Partition::from_zones(2, &leaves).unwrap();
        assert_eq!(q.leaves(), leaves);
        // A missing zone is a hole, a repeated one an overlap.
        let e = Partition::from_zones(2, &leaves[..2]).unwrap_err();
        assert!(e.contains("no zone covers"), "{e}");
        let mut twice = leaves.clone();
        twice.push((Zone::whole(2).halves().unwrap().1, 9));
        assert!(Partition::from_zones(2, &twice)
            .unwrap_err()
            .contains("owner 9"));
    }
}
