//! Exact plane geometry on the model's integer grid: distances, and which
//! sites are *enclosing neighbours* (their Voronoi regions share an edge of
//! positive length).
//!
//! The Delaunay triangulation comes from `spade` (exact orientation and
//! incircle predicates, so integer coordinates give the exact
//! triangulation). A Delaunay edge whose two opposite vertices lie on one
//! circle with it is an artefact of the triangulation's tie-break: its dual
//! Voronoi edge has length 0, the two regions meet in a point only, so the
//! pair is not enclosing (`robust::incircle == 0`, the same exact predicate
//! spade uses). Hull edges are always enclosing (their Voronoi edges are
//! rays); when every site is on one line spade links consecutive sites,
//! which are exactly the neighbouring strips.
//!
//! Views can be stale, so two sites may stand on one cell: they share one
//! region, so each encloses the other and both enclose what the cell's
//! region borders.
//!
//! Results are cached per thread by the set of distinct cells (the grid is
//! at most 16 × 16, so a cell is one byte): a check asks the same few
//! configurations millions of times.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;

use spade::handles::FixedVertexHandle;
use spade::{DelaunayTriangulation, Point2, Triangulation};

use crate::nodeset::{bit, Node, Set};

/// Most sites a view can hold (the model's node limit).
pub const MAX_SITES: usize = 5;
/// Largest grid side (a cell packs into one byte).
pub const MAX_SIDE: u8 = 16;

/// A grid cell `(x,y)`.
#[derive(Clone, Copy, Debug, Default, Hash, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    pub x: u8,
    pub y: u8,
}

impl Pos {
    pub const fn new(x: u8, y: u8) -> Pos {
        Pos { x, y }
    }

    /// Squared Euclidean distance (exact).
    pub fn dist2(self, o: Pos) -> u32 {
        let dx = self.x.abs_diff(o.x) as u32;
        let dy = self.y.abs_diff(o.y) as u32;
        dx * dx + dy * dy
    }

    fn byte(self) -> u8 {
        (self.x << 4) | self.y
    }

    /// Parses `(x,y)`.
    pub fn parse(word: &str, side: u8) -> Result<Pos, String> {
        let bad = || {
            format!(
                "`{word}` is not a cell of the {side}x{side} grid (write (x,y) with 0 ≤ x,y < {side})"
            )
        };
        let inner = word
            .strip_prefix('(')
            .and_then(|w| w.strip_suffix(')'))
            .ok_or_else(bad)?;
        let (x, y) = inner.split_once(',').ok_or_else(bad)?;
        let c = |v: &str| match v.trim().parse::<u8>() {
            Ok(c) if c < side => Ok(c),
            _ => Err(bad()),
        };
        Ok(Pos::new(c(x)?, c(y)?))
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({},{})", self.x, self.y)
    }
}

/// Adjacency among distinct cells, by their index in sorted order.
type CellAdjacency = [u8; MAX_SITES];

thread_local! {
    static CACHE: RefCell<HashMap<u64, CellAdjacency>> = RefCell::new(HashMap::new());
}

/// The enclosing-neighbour set of every site, indexed by node: `sites`
/// lists (node, cell) pairs, at most [`MAX_SITES`].
pub fn enclosing(sites: &[(Node, Pos)]) -> [Set; 8] {
    let mut cells: [Pos; MAX_SITES] = [Pos::default(); MAX_SITES];
    let mut k = 0;
    for &(_, p) in sites {
        if !cells[..k].contains(&p) {
            cells[k] = p;
            k += 1;
        }
    }
    cells[..k].sort_unstable();
    let key = cells[..k]
        .iter()
        .fold(k as u64, |acc, p| (acc << 8) | p.byte() as u64);
    let adj = CACHE.with(|c| {
        if let Some(a) = c.borrow().get(&key) {
            return *a;
        }
        let a = cell_adjacency(&cells[..k]);
        c.borrow_mut().insert(key, a);
        a
    });
    let index = |p: Pos| cells[..k].iter().position(|&c| c == p).unwrap_or(0);
    let mut out = [0u8; 8];
    for &(n, p) in sites {
        let i = index(p);
        for &(m, q) in sites {
            let j = index(q);
            if m != n && (i == j || adj[i] & (1 << j) != 0) {
                out[n as usize] |= bit(m);
            }
        }
    }
    out
}

/// Voronoi adjacency (edges of positive length) among distinct cells.
fn cell_adjacency(cells: &[Pos]) -> CellAdjacency {
    let mut adj = [0u8; MAX_SITES];
    let mut t: DelaunayTriangulation<Point2<f64>> = DelaunayTriangulation::new();
    let mut handles: Vec<FixedVertexHandle> = Vec::with_capacity(cells.len());
    for p in cells {
        // Small integers are exact in f64; distinct cells never collide.
        let h = t
            .insert(Point2::new(p.x as f64, p.y as f64))
            .expect("grid cells are finite coordinates");
        handles.push(h);
    }
    let idx = |h: FixedVertexHandle| handles.iter().position(|&x| x == h).unwrap_or(0);
    let coord = |h: FixedVertexHandle| {
        let p = t.vertex(h).position();
        robust::Coord { x: p.x, y: p.y }
    };
    for e in t.undirected_edges() {
        let d = e.as_directed();
        let [a, b] = [d.from().fix(), d.to().fix()];
        let enclosing = match (d.opposite_vertex(), d.rev().opposite_vertex()) {
            // Both sides are triangles: a Voronoi edge of length 0 when the
            // four sites are cocircular.
            (Some(c), Some(e)) => {
                robust::incircle(coord(a), coord(b), coord(c.fix()), coord(e.fix())) != 0.0
            }
            // A hull edge, or all sites on one line.
            _ => true,
        };
        if enclosing {
            let (i, j) = (idx(a), idx(b));
            adj[i] |= 1 << j;
            adj[j] |= 1 << i;
        }
    }
    adj
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(cells: &[(u8, u8)]) -> Vec<Set> {
        let sites: Vec<(Node, Pos)> = cells
            .iter()
            .enumerate()
            .map(|(i, &(x, y))| (i as Node, Pos::new(x, y)))
            .collect();
        enclosing(&sites)[..cells.len()].to_vec()
    }

    #[test]
    fn one_and_two_sites() {
        assert_eq!(enc(&[(1, 1)]), vec![0]);
        assert_eq!(enc(&[(0, 0), (3, 2)]), vec![0b10, 0b01]);
    }

    #[test]
    fn collinear_sites_enclose_their_line_neighbours_only() {
        // n0 — n1 — n2 on a line (given out of order): n0 and n2 do not meet.
        assert_eq!(enc(&[(0, 0), (2, 2), (1, 1)]), vec![0b100, 0b100, 0b011]);
    }

    #[test]
    fn square_corners_meet_only_along_sides() {
        // Four cocircular sites: the diagonals' regions meet in one point.
        let e = enc(&[(0, 0), (2, 0), (2, 2), (0, 2)]);
        assert_eq!(e, vec![0b1010, 0b0101, 0b1010, 0b0101]);
    }

    #[test]
    fn triangle_with_centre() {
        // The centre encloses all; the outer three enclose each other along
        // the hull too.
        let e = enc(&[(0, 0), (4, 0), (2, 4), (2, 1)]);
        assert_eq!(e, vec![0b1110, 0b1101, 0b1011, 0b0111]);
    }

    #[test]
    fn a_far_site_behind_a_wall_is_not_enclosing() {
        // n0 at (0,2); n1, n2, n3 a wall at x = 2; n4 far behind it at (4,2).
        let e = enc(&[(0, 2), (2, 1), (2, 2), (2, 3), (4, 2)]);
        assert_eq!(e[0] & 0b10000, 0);
        assert_eq!(e[4] & 0b00001, 0);
        assert_ne!(e[0] & 0b00100, 0);
    }

    #[test]
    fn sites_on_one_cell_share_their_neighbours() {
        let e = enc(&[(0, 0), (0, 0), (3, 0)]);
        assert_eq!(e, vec![0b110, 0b101, 0b011]);
    }

    #[test]
    fn distances_are_exact_squares() {
        assert_eq!(Pos::new(0, 0).dist2(Pos::new(3, 4)), 25);
        assert_eq!(Pos::parse("(3,4)", 5), Ok(Pos::new(3, 4)));
        assert!(Pos::parse("(5,0)", 5).unwrap_err().contains("5x5"));
    }
}
