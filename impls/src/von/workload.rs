//! # The moving-avatar workload of the VON and MMVE experiments
//!
//! N avatars in a square world `[0, W]²`. Movement model, as in the VON
//! papers' simulations (random movement, constant speed): every avatar
//! starts at a uniformly random point with a uniformly random heading and
//! moves `speed` units along its heading at every step; at a wall it
//! bounces (specular reflection: the crossing coordinate is mirrored back
//! inside and that component of the heading flips). Headings change only
//! at walls. Every random choice comes from one seed, and only `+ − × ÷`
//! and `sqrt` (IEEE-exact) touch the coordinates — no trigonometry — so
//! the same seed gives the same positions, bit for bit, on any machine.
//!
//! The ground truth the experiments measure against is
//! [`aoi_neighbours`]: for every avatar, the others inside its area of
//! interest (the closed disc of radius R), found through a grid of R-sized
//! cells in O(N·k) rather than O(N²).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A position in the world.
pub type Pos = [f64; 2];

/// The VON papers' world: 1200 × 1200 units, AOI radius 100, for 1000
/// nodes. [`default_world`] keeps that density for any N.
pub const PAPER_NODES: f64 = 1000.0;
/// The paper's world side in AOI radii (1200 / 100).
pub const PAPER_SIDE_IN_RADII: f64 = 12.0;

/// The default world side for `nodes` avatars with AOI radius `aoi`:
/// `12·R·√(N/1000)`, the VON papers' 1200 × 1200 world with R = 100 and
/// 1000 nodes, scaled so that the density (and so the expected number of
/// AOI neighbours, π·R²·N/W² ≈ 21.8 away from the walls) stays constant.
pub fn default_world(nodes: usize, aoi: f64) -> f64 {
    PAPER_SIDE_IN_RADII * aoi * (nodes as f64 / PAPER_NODES).sqrt()
}

/// The avatars' positions and headings, stepping in lockstep.
#[derive(Clone, Debug)]
pub struct Workload {
    world: f64,
    speed: f64,
    pos: Vec<Pos>,
    /// Unit headings.
    dir: Vec<[f64; 2]>,
}

impl Workload {
    /// `nodes` avatars at seeded random points and headings. `world` must
    /// be positive and finite, `speed` finite and at least 0.
    pub fn new(nodes: usize, world: f64, speed: f64, seed: u64) -> Workload {
        assert!(world.is_finite() && world > 0.0, "world side {world}");
        assert!(speed.is_finite() && speed >= 0.0, "speed {speed}");
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut pos = Vec::with_capacity(nodes);
        let mut dir = Vec::with_capacity(nodes);
        for _ in 0..nodes {
            pos.push([rng.random::<f64>() * world, rng.random::<f64>() * world]);
            dir.push(unit_vector(&mut rng));
        }
        Workload {
            world,
            speed,
            pos,
            dir,
        }
    }

    pub fn world(&self) -> f64 {
        self.world
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    pub fn len(&self) -> usize {
        self.pos.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pos.is_empty()
    }

    /// Where every avatar is now.
    pub fn positions(&self) -> &[Pos] {
        &self.pos
    }

    /// Moves every avatar one step.
    pub fn step(&mut self) {
        for (p, d) in self.pos.iter_mut().zip(self.dir.iter_mut()) {
            for k in 0..2 {
                let (x, v) = reflect(p[k] + self.speed * d[k], d[k], self.world);
                p[k] = x;
                d[k] = v;
            }
        }
    }
}

/// A uniformly random unit vector, by rejection from the square (no
/// trigonometry, so bit-identical everywhere).
fn unit_vector(rng: &mut ChaCha8Rng) -> [f64; 2] {
    loop {
        let x = rng.random::<f64>() * 2.0 - 1.0;
        let y = rng.random::<f64>() * 2.0 - 1.0;
        let r2 = x * x + y * y;
        if r2 > 1e-6 && r2 <= 1.0 {
            let r = r2.sqrt();
            return [x / r, y / r];
        }
    }
}

/// Mirrors `x` back into `[0, w]` as often as it takes, flipping the
/// velocity component `v` at each bounce.
fn reflect(mut x: f64, mut v: f64, w: f64) -> (f64, f64) {
    loop {
        if x < 0.0 {
            x = -x;
            v = -v;
        } else if x > w {
            x = 2.0 * w - x;
            v = -v;
        } else {
            return (x, v);
        }
    }
}

/// Squared distance.
pub fn dist2(a: Pos, b: Pos) -> f64 {
    let (dx, dy) = (a[0] - b[0], a[1] - b[1]);
    dx * dx + dy * dy
}

/// For every avatar, the indices of the others within distance `r`
/// (closed disc), ascending. A grid of `r`-sized cells: only the 3 × 3
/// cells around an avatar can hold its AOI neighbours.
pub fn aoi_neighbours(pos: &[Pos], r: f64) -> Vec<Vec<u32>> {
    assert!(r.is_finite() && r > 0.0, "AOI radius {r}");
    let n = pos.len();
    if n == 0 {
        return Vec::new();
    }
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for p in pos {
        for k in 0..2 {
            lo[k] = lo[k].min(p[k]);
            hi[k] = hi[k].max(p[k]);
        }
    }
    // Cells at least r wide (and at most 4096 a side, for a tiny r).
    let side = |k: usize| r.max((hi[k] - lo[k]) / 4096.0);
    let (sx, sy) = (side(0), side(1));
    let (cx, cy) = (
        ((hi[0] - lo[0]) / sx) as usize + 1,
        ((hi[1] - lo[1]) / sy) as usize + 1,
    );
    let cell = |p: Pos| {
        (
            (((p[0] - lo[0]) / sx) as usize).min(cx - 1),
            (((p[1] - lo[1]) / sy) as usize).min(cy - 1),
        )
    };
    // Counting sort of the avatars by cell.
    let mut start = vec![0u32; cx * cy + 1];
    for &p in pos {
        let (x, y) = cell(p);
        start[y * cx + x + 1] += 1;
    }
    for i in 1..start.len() {
        start[i] += start[i - 1];
    }
    let mut fill = start.clone();
    let mut members = vec![0u32; n];
    for (i, &p) in pos.iter().enumerate() {
        let (x, y) = cell(p);
        let c = &mut fill[y * cx + x];
        members[*c as usize] = i as u32;
        *c += 1;
    }
    let r2 = r * r;
    pos.iter()
        .enumerate()
        .map(|(i, &p)| {
            let (x, y) = cell(p);
            let mut near = Vec::new();
            for yy in y.saturating_sub(1)..=(y + 1).min(cy - 1) {
                for xx in x.saturating_sub(1)..=(x + 1).min(cx - 1) {
                    let c = yy * cx + xx;
                    for &j in &members[start[c] as usize..start[c + 1] as usize] {
                        if j as usize != i && dist2(p, pos[j as usize]) <= r2 {
                            near.push(j);
                        }
                    }
                }
            }
            near.sort_unstable();
            near
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute(pos: &[Pos], r: f64) -> Vec<Vec<u32>> {
        (0..pos.len())
            .map(|i| {
                (0..pos.len())
                    .filter(|&j| j != i && dist2(pos[i], pos[j]) <= r * r)
                    .map(|j| j as u32)
                    .collect()
            })
            .collect()
    }

    #[test]
    fn the_grid_finds_exactly_the_brute_force_neighbours() {
        for (n, seed) in [(1, 0), (2, 1), (50, 2), (400, 3)] {
            let w = Workload::new(n, default_world(n, 100.0), 30.0, seed);
            assert_eq!(
                aoi_neighbours(w.positions(), 100.0),
                brute(w.positions(), 100.0)
            );
        }
        // On the boundary of the disc: closed, so included.
        let pos = [[0.0, 0.0], [3.0, 4.0], [10.0, 0.0]];
        assert_eq!(aoi_neighbours(&pos, 5.0), vec![vec![1], vec![0], vec![]]);
    }

    #[test]
    fn avatars_move_at_constant_speed_and_stay_inside() {
        let mut w = Workload::new(200, 500.0, 7.0, 9);
        for _ in 0..300 {
            let before = w.positions().to_vec();
            w.step();
            for (a, b) in before.iter().zip(w.positions()) {
                assert!((0.0..=500.0).contains(&b[0]) && (0.0..=500.0).contains(&b[1]));
                // A bounce folds the path: never further than the speed.
                assert!(dist2(*a, *b).sqrt() <= 7.0 + 1e-9);
            }
        }
        // Away from the walls the step is exactly the speed.
        let mut w = Workload::new(1, 1e9, 5.0, 4);
        let a = w.positions()[0];
        w.step();
        assert!((dist2(a, w.positions()[0]).sqrt() - 5.0).abs() < 1e-6);
    }

    #[test]
    fn same_seed_same_positions_bit_for_bit() {
        let run = |seed| {
            let mut w = Workload::new(100, 1000.0, 12.5, seed);
            for _ in 0..50 {
                w.step();
            }
            w.positions().to_vec()
        };
        assert_eq!(run(5), run(5));
        assert_ne!(run(5), run(6));
    }

    #[test]
    fn the_default_world_keeps_the_papers_density() {
        assert_eq!(default_world(1000, 100.0), 1200.0);
        let d = |n: usize| n as f64 / default_world(n, 100.0).powi(2);
        assert!((d(100) - d(10_000)).abs() < 1e-12);
    }

    #[test]
    fn reflection_folds_long_steps() {
        assert_eq!(reflect(-3.0, -1.0, 10.0), (3.0, 1.0));
        assert_eq!(reflect(12.0, 1.0, 10.0), (8.0, -1.0));
        assert_eq!(reflect(25.0, 1.0, 10.0), (5.0, 1.0));
    }
}
