//! Positions and local views: who is an *enclosing neighbour* of whom
//! (Voronoi regions sharing an edge of positive length), who is inside
//! whose area of interest, and `relevant(view, x)`, the rule by which a
//! node keeps or drops table entries.
//!
//! A [`View`] is built once from the sites a node knows (itself and its
//! table, by id) and then answers many questions: the MOVE and repair
//! rules ask for the relevant set of several sites of one view. The
//! Delaunay triangulation is spade's; whether a Delaunay edge has a
//! Voronoi edge of positive length is decided with the exact `incircle`
//! predicate (robust, spade's own), so no rounding decides anything for
//! positions given exactly (the model's integer grid). Everything is
//! ordered by id (`BTreeMap`, `BTreeSet`), so results do not depend on
//! insertion order or on which diagonal spade picks for cocircular sites.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use robust::{incircle, orient2d, Coord};
use spade::{DelaunayTriangulation, HasPosition, Point2, Triangulation};

/// A node's identifier.
pub type Id = u64;

/// The largest coordinate magnitude accepted: far beyond any world, and
/// small enough that exact predicates cannot overflow.
pub const MAX_COORD: f64 = 1e9;
/// The smallest non-zero coordinate magnitude accepted: spade rejects
/// coordinates below 2^-142; we stay well clear of it.
pub const MIN_COORD: f64 = 1e-30;

/// A position in the plane. Build checked ones with [`Point::new`]; the
/// fields are public for reading and for tests.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

/// Why a coordinate pair is not a position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadPoint(pub String);

impl fmt::Display for BadPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadPoint {}

impl Point {
    /// A checked position: finite, |c| ≤ [`MAX_COORD`], and either 0 or at
    /// least [`MIN_COORD`] in magnitude. `-0.0` becomes `0.0`, so that equal
    /// positions have equal bits (positions are compared and sorted).
    pub fn new(x: f64, y: f64) -> Result<Point, BadPoint> {
        let check = |name: &str, c: f64| {
            if !c.is_finite() {
                return Err(BadPoint(format!("{name} = {c} is not a finite number")));
            }
            if c.abs() > MAX_COORD {
                return Err(BadPoint(format!("{name} = {c:e} is beyond ±{MAX_COORD:e}")));
            }
            if c != 0.0 && c.abs() < MIN_COORD {
                return Err(BadPoint(format!(
                    "{name} = {c:e} is non-zero but below {MIN_COORD:e} in magnitude"
                )));
            }
            Ok(c + 0.0)
        };
        Ok(Point {
            x: check("x", x)?,
            y: check("y", y)?,
        })
    }

    /// Squared Euclidean distance (exact comparisons use this, not a root).
    pub fn dist2(&self, o: &Point) -> f64 {
        let (dx, dy) = (self.x - o.x, self.y - o.y);
        dx * dx + dy * dy
    }

    pub fn dist(&self, o: &Point) -> f64 {
        self.dist2(o).sqrt()
    }

    /// Whether `o` lies in the closed disc of radius `r` around `self`.
    pub fn within(&self, o: &Point, r: f64) -> bool {
        self.dist2(o) <= r * r
    }

    /// A total order (positions are checked finite), for sorting and maps.
    fn key(&self) -> (OrdF64, OrdF64) {
        (OrdF64(self.x), OrdF64(self.y))
    }

    fn coord(&self) -> Coord<f64> {
        Coord {
            x: self.x,
            y: self.y,
        }
    }
}

impl fmt::Display for Point {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({}, {})", self.x, self.y)
    }
}

/// f64 with the total order of `f64::total_cmp` (checked positions hold
/// no NaN and no -0.0, so this is the numeric order).
#[derive(Clone, Copy, Debug, PartialEq)]
struct OrdF64(f64);
impl Eq for OrdF64 {}
impl PartialOrd for OrdF64 {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for OrdF64 {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&o.0)
    }
}

#[derive(Clone, Copy, Debug)]
struct Site(Point2<f64>);
impl HasPosition for Site {
    type Scalar = f64;
    fn position(&self) -> Point2<f64> {
        self.0
    }
}

/// The sites one node knows, with their enclosing-neighbour relation
/// computed once.
#[derive(Clone, Debug)]
pub struct View {
    sites: BTreeMap<Id, Point>,
    /// Distinct positions in (x, y) order, with the ids at each.
    places: Vec<(Point, Vec<Id>)>,
    /// Index into `places` of each id.
    place_of: BTreeMap<Id, usize>,
    /// Indices of the places whose Voronoi regions share an edge of
    /// positive length with each place's.
    adjacent: Vec<BTreeSet<usize>>,
}

impl View {
    /// The view of the given sites (ids are unique by construction).
    /// Positions must be checked ([`Point::new`]); an unchecked one that
    /// spade refuses leaves that place without neighbours rather than
    /// panicking.
    pub fn new(sites: BTreeMap<Id, Point>) -> View {
        let mut by_pos: BTreeMap<(OrdF64, OrdF64), (Point, Vec<Id>)> = BTreeMap::new();
        for (&id, p) in &sites {
            by_pos.entry(p.key()).or_insert((*p, Vec::new())).1.push(id);
        }
        let places: Vec<(Point, Vec<Id>)> = by_pos.into_values().collect();
        let place_of = places
            .iter()
            .enumerate()
            .flat_map(|(i, (_, ids))| ids.iter().map(move |&id| (id, i)))
            .collect();
        let adjacent = adjacency(&places);
        View {
            sites,
            places,
            place_of,
            adjacent,
        }
    }

    /// The view of `me` at `pos` plus `table`'s entries.
    pub fn of(me: Id, pos: Point, table: impl IntoIterator<Item = (Id, Point)>) -> View {
        let mut sites: BTreeMap<Id, Point> = table.into_iter().collect();
        sites.insert(me, pos);
        View::new(sites)
    }

    pub fn sites(&self) -> &BTreeMap<Id, Point> {
        &self.sites
    }

    pub fn position(&self, id: Id) -> Option<Point> {
        self.sites.get(&id).copied()
    }

    /// The enclosing neighbours of `x` in this view: the sites whose
    /// Voronoi regions share an edge of positive length with x's, and the
    /// other sites at x's own position (they share x's region, and so its
    /// neighbours). Empty when x is not a site.
    pub fn enclosing(&self, x: Id) -> BTreeSet<Id> {
        let Some(&i) = self.place_of.get(&x) else {
            return BTreeSet::new();
        };
        let mut out: BTreeSet<Id> = self.places[i].1.iter().copied().collect();
        for &j in &self.adjacent[i] {
            out.extend(self.places[j].1.iter().copied());
        }
        out.remove(&x);
        out
    }

    /// `aoi_V(x)`: the other sites within distance `r` of x. Empty when x
    /// is not a site.
    pub fn within(&self, x: Id, r: f64) -> BTreeSet<Id> {
        let Some(p) = self.position(x) else {
            return BTreeSet::new();
        };
        self.sites
            .iter()
            .filter(|&(&z, q)| z != x && p.within(q, r))
            .map(|(&z, _)| z)
            .collect()
    }

    /// What became relevant to x from view `before` (None: x was not
    /// known, everything is news) to this one, kind by kind: sites that
    /// entered x's AOI, and sites that became enclosing neighbours of x (a
    /// site that was enclosing and now enters the AOI is news).
    pub fn news(&self, before: Option<&View>, x: Id, r: f64) -> BTreeSet<Id> {
        let (aoi, enc) = (self.within(x, r), self.enclosing(x));
        match before {
            None => aoi.union(&enc).copied().collect(),
            Some(b) => {
                let (was_aoi, was_enc) = (b.within(x, r), b.enclosing(x));
                aoi.difference(&was_aoi)
                    .chain(enc.difference(&was_enc))
                    .copied()
                    .collect()
            }
        }
    }

    /// `rel_V(x)`: the sites relevant to x — within distance `r` of it, or
    /// its enclosing neighbours. Empty when x is not a site.
    pub fn relevant(&self, x: Id, r: f64) -> BTreeSet<Id> {
        let Some(p) = self.position(x) else {
            return BTreeSet::new();
        };
        let mut out = self.enclosing(x);
        out.extend(
            self.sites
                .iter()
                .filter(|&(&z, q)| z != x && p.within(q, r))
                .map(|(&z, _)| z),
        );
        out
    }
}

/// Whether every place lies on one line (or there are fewer than three).
fn collinear(places: &[(Point, Vec<Id>)]) -> bool {
    let Some(((a, _), rest)) = places.split_first() else {
        return true;
    };
    let Some(((b, _), rest)) = rest.split_first() else {
        return true;
    };
    rest.iter()
        .all(|(c, _)| orient2d(a.coord(), b.coord(), c.coord()) == 0.0)
}

/// The places' Voronoi adjacency (edges of positive length only).
fn adjacency(places: &[(Point, Vec<Id>)]) -> Vec<BTreeSet<usize>> {
    let n = places.len();
    let mut adj = vec![BTreeSet::new(); n];
    if collinear(places) {
        // On a line the regions are slabs: each place borders the next one
        // along the line. Places are sorted by (x, y), which is their
        // order along any line (by y on a vertical one).
        for i in 1..n {
            adj[i - 1].insert(i);
            adj[i].insert(i - 1);
        }
        return adj;
    }
    let mut dt: DelaunayTriangulation<Site> = DelaunayTriangulation::new();
    // Handle index -> place index (spade numbers vertices in insertion
    // order; positions are distinct, so no insertion merges two).
    let mut place_of_vertex = vec![usize::MAX; n];
    for (i, (p, _)) in places.iter().enumerate() {
        if let Ok(h) = dt.insert(Site(Point2::new(p.x, p.y))) {
            if let Some(slot) = place_of_vertex.get_mut(h.index()) {
                *slot = i;
            }
        }
    }
    for e in dt.directed_edges() {
        let (a, b) = (e.from(), e.to());
        let (Some(&i), Some(&j)) = (
            place_of_vertex.get(a.fix().index()),
            place_of_vertex.get(b.fix().index()),
        ) else {
            continue;
        };
        if i == usize::MAX || j == usize::MAX || i > j {
            continue; // each undirected edge once
        }
        let positive = match (e.opposite_vertex(), e.rev().opposite_vertex()) {
            // Both sides are triangles: the Voronoi edge joins their
            // circumcentres, of length 0 exactly when the four are
            // cocircular.
            (Some(c), Some(d)) => {
                let (pa, pb) = (places[i].0.coord(), places[j].0.coord());
                let co = |v: spade::handles::VertexHandle<Site>| {
                    let q = v.position();
                    Coord { x: q.x, y: q.y }
                };
                incircle(pa, pb, co(c), co(d)) != 0.0
            }
            // A hull edge: its Voronoi edge is a ray.
            _ => true,
        };
        if positive {
            adj[i].insert(j);
            adj[j].insert(i);
        }
    }
    adj
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(x: f64, y: f64) -> Point {
        Point::new(x, y).unwrap()
    }

    fn view(sites: &[(Id, f64, f64)]) -> View {
        View::new(sites.iter().map(|&(i, x, y)| (i, p(x, y))).collect())
    }

    fn set(ids: &[Id]) -> BTreeSet<Id> {
        ids.iter().copied().collect()
    }

    #[test]
    fn one_and_two_sites() {
        let v = view(&[(1, 0.0, 0.0)]);
        assert!(v.enclosing(1).is_empty());
        assert!(v.relevant(1, 100.0).is_empty());
        let v = view(&[(1, 0.0, 0.0), (2, 50.0, 0.0)]);
        assert_eq!(v.enclosing(1), set(&[2]));
        assert_eq!(v.enclosing(2), set(&[1]));
        assert!(v.enclosing(3).is_empty(), "not a site");
    }

    #[test]
    fn collinear_sites_border_only_the_next_on_each_side() {
        // Given out of order, on a slanted line.
        let v = view(&[
            (5, 4.0, 8.0),
            (1, 0.0, 0.0),
            (3, 2.0, 4.0),
            (2, 1.0, 2.0),
            (4, 3.0, 6.0),
        ]);
        assert_eq!(v.enclosing(1), set(&[2]));
        assert_eq!(v.enclosing(3), set(&[2, 4]));
        assert_eq!(v.enclosing(5), set(&[4]));
        // A vertical line: ordered by y.
        let v = view(&[(1, 7.0, 3.0), (2, 7.0, -1.0), (3, 7.0, 10.0)]);
        assert_eq!(v.enclosing(1), set(&[2, 3]));
        assert_eq!(v.enclosing(2), set(&[1]));
        // AOI reaches past the line neighbours.
        assert_eq!(v.relevant(2, 11.0), set(&[1, 3]));
        assert_eq!(v.relevant(2, 1.0), set(&[1]));
    }

    #[test]
    fn a_square_has_no_diagonal_neighbours() {
        // Four cocircular sites: the Voronoi vertex at the centre is shared
        // by all four regions; the diagonals' Voronoi edges have length 0,
        // whichever diagonal the triangulation picked.
        let v = view(&[
            (1, 0.0, 0.0),
            (2, 10.0, 0.0),
            (3, 10.0, 10.0),
            (4, 0.0, 10.0),
        ]);
        assert_eq!(v.enclosing(1), set(&[2, 4]));
        assert_eq!(v.enclosing(2), set(&[1, 3]));
        assert_eq!(v.enclosing(3), set(&[2, 4]));
        assert_eq!(v.enclosing(4), set(&[1, 3]));
        // Moving one corner slightly off the circle creates a diagonal.
        let v = view(&[
            (1, 0.0, 0.0),
            (2, 10.0, 0.0),
            (3, 10.0, 10.0),
            (4, 0.0, 10.5),
        ]);
        let diag = v.enclosing(1).contains(&3) || v.enclosing(2).contains(&4);
        assert!(diag);
        assert_eq!(v.enclosing(1).contains(&3), v.enclosing(3).contains(&1));
    }

    #[test]
    fn a_square_with_a_centre() {
        // The centre borders all four; the corners border the centre and
        // the two adjacent corners (hull edges: their regions are
        // unbounded and share a ray).
        let v = view(&[
            (1, 0.0, 0.0),
            (2, 10.0, 0.0),
            (3, 10.0, 10.0),
            (4, 0.0, 10.0),
            (9, 5.0, 5.0),
        ]);
        assert_eq!(v.enclosing(9), set(&[1, 2, 3, 4]));
        assert_eq!(v.enclosing(1), set(&[2, 4, 9]));
    }

    #[test]
    fn cocircular_octagon_on_the_integer_grid() {
        // Eight lattice points on the circle x² + y² = 25 and the sites
        // opposite on the axes: only consecutive ones border each other.
        let ring = [
            (3, 4),
            (4, 3),
            (5, 0),
            (4, -3),
            (3, -4),
            (0, -5),
            (-3, -4),
            (-4, -3),
        ];
        let sites: Vec<(Id, f64, f64)> = ring
            .iter()
            .enumerate()
            .map(|(i, &(x, y))| (i as Id, f64::from(x), f64::from(y)))
            .collect();
        let v = view(&sites);
        for i in 0..ring.len() as Id {
            let e = v.enclosing(i);
            let n = ring.len() as Id;
            // Hull neighbours; the first and last are hull-adjacent too.
            let expected = set(&[(i + 1) % n, (i + n - 1) % n]);
            assert_eq!(e, expected, "site {i}");
        }
    }

    #[test]
    fn duplicate_positions_share_their_region() {
        let v = view(&[
            (1, 0.0, 0.0),
            (2, 0.0, 0.0),
            (3, 10.0, 0.0),
            (4, 0.0, 10.0),
            (5, 20.0, 20.0),
        ]);
        assert_eq!(v.enclosing(1), set(&[2, 3, 4]));
        assert_eq!(v.enclosing(2), set(&[1, 3, 4]));
        assert!(v.enclosing(3).is_superset(&set(&[1, 2])));
        // Two sites at one position and nothing else.
        let v = view(&[(1, 3.0, 3.0), (2, 3.0, 3.0)]);
        assert_eq!(v.enclosing(1), set(&[2]));
        // Duplicates on a line.
        let v = view(&[(1, 0.0, 0.0), (2, 0.0, 0.0), (3, 1.0, 0.0), (4, 2.0, 0.0)]);
        assert_eq!(v.enclosing(1), set(&[2, 3]));
        assert_eq!(v.enclosing(3), set(&[1, 2, 4]));
    }

    #[test]
    fn aoi_is_the_closed_disc() {
        let v = view(&[
            (1, 0.0, 0.0),
            (2, 3.0, 4.0),
            (3, 30.0, 40.0),
            (4, -30.0, 40.0),
            (5, 0.0, 100.0),
        ]);
        let r = v.relevant(1, 5.0);
        assert!(r.contains(&2), "distance exactly R is inside");
        assert!(!v.relevant(1, 4.999).contains(&2) || v.enclosing(1).contains(&2));
        assert!(!r.contains(&5) || v.enclosing(1).contains(&5));
        assert!(!r.contains(&1));
    }

    #[test]
    fn views_do_not_depend_on_order_or_diagonal() {
        // A 4x4 grid: many cocircular quadruples.
        let mut a = Vec::new();
        for i in 0..16u64 {
            a.push((i, (i % 4) as f64, (i / 4) as f64));
        }
        let v = view(&a);
        for i in 0..16u64 {
            let (x, y) = ((i % 4) as i64, (i / 4) as i64);
            let expected: BTreeSet<Id> = [(1, 0), (-1, 0), (0, 1), (0, -1)]
                .iter()
                .map(|&(dx, dy)| (x + dx, y + dy))
                .filter(|&(x, y)| (0..4).contains(&x) && (0..4).contains(&y))
                .map(|(x, y)| (y * 4 + x) as Id)
                .collect();
            assert_eq!(v.enclosing(i), expected, "site {i}");
        }
    }

    #[test]
    fn points_are_checked() {
        assert!(Point::new(f64::NAN, 0.0).unwrap_err().0.contains("x = NaN"));
        assert!(Point::new(0.0, f64::INFINITY)
            .unwrap_err()
            .0
            .contains("y = inf"));
        assert!(Point::new(2e9, 0.0).unwrap_err().0.contains("beyond"));
        assert!(Point::new(0.0, 1e-40).unwrap_err().0.contains("below"));
        let z = Point::new(-0.0, 0.0).unwrap();
        assert_eq!(z.x.to_bits(), 0.0f64.to_bits());
    }
}
