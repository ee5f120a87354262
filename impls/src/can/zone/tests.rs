use super::*;
use proptest::prelude::*;

fn pt(c: &[u32]) -> Point {
    Point::new(c).unwrap()
}

/// Every tree node of depth `t` (2^t of them).
fn level(dims: usize, t: u32) -> Vec<Zone> {
    let mut zs = vec![Zone::whole(dims)];
    for _ in 0..t {
        zs = zs
            .iter()
            .flat_map(|z| {
                let (a, b) = z.halves().unwrap();
                [a, b]
            })
            .collect();
    }
    zs
}

#[test]
fn splits_cycle_through_the_dimensions() {
    let w = Zone::whole(2);
    assert_eq!((w.len(0), w.len(1)), (1 << 32, 1 << 32));
    assert_eq!(w.split_dim(), 0);
    let (lo, hi) = w.halves().unwrap();
    assert_eq!((lo.lo(0), hi.lo(0), hi.lo(1)), (0, 1 << 31, 0));
    assert_eq!((hi.len(0), hi.len(1)), (1 << 31, 1 << 32));
    assert_eq!(hi.split_dim(), 1);
    // Depth 3 in two dimensions: dimension 0 halved twice, 1 once.
    let z = Zone::new(&[0xc000_0000, 0x8000_0000], 3).unwrap();
    assert_eq!((z.len_log2(0), z.len_log2(1)), (30, 31));
    assert_eq!(
        z.parent().unwrap(),
        Zone::new(&[0x8000_0000, 0x8000_0000], 2).unwrap()
    );
    assert_eq!(
        z.sibling().unwrap(),
        Zone::new(&[0x8000_0000, 0x8000_0000], 3).unwrap()
    );
    assert_eq!(z.volume(), Volume::of_depth(3));
    // Three dimensions, depth 2: the last dimension is still whole.
    let y = Zone::new(&[0x8000_0000, 0, 0], 2).unwrap();
    assert_eq!((y.len_log2(0), y.len_log2(1), y.len_log2(2)), (31, 31, 32));
    assert_eq!(Zone::whole(3).parent(), None);
    assert_eq!(Zone::whole(3).sibling(), None);
}

#[test]
fn only_tree_nodes_are_zones() {
    assert!(Zone::new(&[], 0).unwrap_err().contains("1 to 8 dimensions"));
    assert!(Zone::new(&[0; 9], 0).is_err());
    assert!(Zone::new(&[0, 0], 65).unwrap_err().contains("depth 65"));
    assert!(Zone::new(&[0, 0], 64).is_ok());
    // Depth 1 halves dimension 0 only: a corner inside dimension 1 is off.
    assert!(Zone::new(&[1 << 31, 1 << 30], 1)
        .unwrap_err()
        .contains("dimension 1"));
    assert!(Zone::new(&[1 << 30, 0], 1).is_err());
    assert!(Zone::new(&[1 << 30, 0], 3).is_ok());
    // The deepest zone is a single point and does not split.
    let p = Zone::new(&[7, 9], 64).unwrap();
    assert!(!p.can_split() && p.halves().is_none());
    assert!(p.contains(&pt(&[7, 9])) && !p.contains(&pt(&[7, 10])));
    assert_eq!(p.len(0), 1);
}

#[test]
fn a_grid_of_equal_zones_has_2d_neighbours() {
    // 4 × 4 in two dimensions, 4 × 4 × 4 in three: 2d each (torus).
    for (dims, t) in [(2, 4), (3, 6), (1, 3), (4, 8)] {
        let zs = level(dims, t);
        for z in &zs {
            let n = zs.iter().filter(|y| z.abuts(y)).count();
            assert_eq!(n, 2 * dims, "{z:?} in {dims} dimensions");
        }
    }
    // 2 × 2: the zone across each side is the same on both sides of the
    // torus, and the diagonal one only touches a corner.
    let zs = level(2, 2);
    let n: Vec<usize> = zs
        .iter()
        .map(|z| zs.iter().filter(|y| z.abuts(y)).count())
        .collect();
    assert_eq!(n, vec![2, 2, 2, 2]);
    // Two halves of a line touch at both ends and abut; no zone abuts itself.
    let (a, b) = Zone::whole(1).halves().unwrap();
    assert!(a.abuts(&b) && b.abuts(&a) && !a.abuts(&a));
}

#[test]
fn abutting_needs_a_shared_face_and_wraps_around() {
    let z = |x: u32, y: u32, t: u16| Zone::new(&[x, y], t).unwrap();
    let q = 1 << 30;
    // Depth 4: quarters in both dimensions.
    let a = z(0, 0, 4);
    assert!(a.abuts(&z(q, 0, 4)));
    assert!(a.abuts(&z(3 * q, 0, 4)), "wraps around in dimension 0");
    assert!(a.abuts(&z(0, 3 * q, 4)), "wraps around in dimension 1");
    assert!(!a.abuts(&z(q, q, 4)), "a corner is not a face");
    assert!(!a.abuts(&z(2 * q, 0, 4)), "apart");
    // Different sizes: a half-width zone against a quarter.
    let big = z(1 << 31, 0, 1); // right half
    assert!(big.abuts(&a), "wraps: the right half touches x = 0");
    assert!(big.abuts(&z(q, q, 4)));
    assert!(!big.abuts(&z(1 << 31, 0, 4)), "inside it");
}

#[test]
fn distance_is_to_the_nearest_point_on_the_torus() {
    let a = Zone::new(&[0, 0], 4).unwrap(); // [0, 2^30) × [0, 2^30)
    assert_eq!(a.dist2(&pt(&[5, 1 << 29])), 0);
    // Just past the upper end: 1 away; just below 0: 1 away (wrap).
    assert_eq!(a.dist2(&pt(&[1 << 30, 0])), 1);
    assert_eq!(a.dist2(&pt(&[u32::MAX, 0])), 1);
    assert_eq!(a.dist2(&pt(&[u32::MAX, u32::MAX])), 2);
    // Past the upper end by 2^29 + 8: nearer that way than around.
    let far = pt(&[(1 << 30) + (1 << 29) + 7, 0]);
    assert_eq!(a.dist2(&far), ((1u128 << 29) + 8).pow(2));
    let around = pt(&[u32::MAX - 99, 5]);
    assert_eq!(a.dist2(&around), 100 * 100);
    // Nothing overflows in eight dimensions.
    let tiny = Zone::new(&[0; 8], 256).unwrap();
    let p = pt(&[1 << 31; 8]);
    assert_eq!(tiny.dist2(&p), 8 * (1u128 << 62));
}

#[test]
fn merging_and_subtracting_follow_the_tree() {
    let w = Zone::whole(2);
    let (l, u) = w.halves().unwrap();
    let (ul, uu) = u.halves().unwrap();
    let mut zs = vec![uu, l, ul];
    merge_all(&mut zs);
    assert_eq!(zs, vec![w]);
    let mut zs = vec![uu, l];
    merge_all(&mut zs);
    assert_eq!(zs.len(), 2, "not siblings: nothing merges");
    assert_eq!(subtract(w, &[ul]), vec![l, uu]);
    assert_eq!(subtract(u, &[w]), vec![]);
    assert_eq!(subtract(l, &[u]), vec![l]);
    assert_eq!(
        total_volume(&[l, ul]),
        Volume::of_depth(1).plus(Volume::of_depth(2))
    );
    assert!(w.covers(&ul) && !ul.covers(&w) && ul.intersects(&w) && !l.intersects(&u));
}

/// A random partition: `n` points split the zone containing each in turn.
fn partition(dims: usize, points: &[Vec<u32>]) -> Vec<Zone> {
    let mut zs = vec![Zone::whole(dims)];
    for c in points {
        let p = pt(&c[..dims]);
        let i = zs.iter().position(|z| z.contains(&p)).unwrap();
        if let Some((a, b)) = zs[i].split_at(&p) {
            assert!(a.contains(&p) && !b.contains(&p));
            zs[i] = a;
            zs.push(b);
        }
    }
    zs
}

proptest! {
    /// In any partition, from any zone towards any point it does not hold,
    /// some zone abutting it is strictly closer: greedy routing progresses.
    #[test]
    fn greedy_routing_always_has_a_closer_neighbour(
        dims in 1usize..=4,
        points in proptest::collection::vec(proptest::collection::vec(any::<u32>(), 4), 1..40),
        target in proptest::collection::vec(any::<u32>(), 4),
    ) {
        let zs = partition(dims, &points);
        let p = pt(&target[..dims]);
        prop_assert_eq!(zs.iter().filter(|z| z.contains(&p)).count(), 1);
        prop_assert_eq!(total_volume(&zs), Volume::WHOLE);
        for z in &zs {
            if let Some(parent) = z.parent() {
                prop_assert!(parent.covers(z) && z.sibling().is_some_and(|s| parent.covers(&s)));
            }
            if z.contains(&p) {
                prop_assert_eq!(z.dist2(&p), 0);
                continue;
            }
            let d = z.dist2(&p);
            prop_assert!(d > 0);
            prop_assert!(zs.iter().any(|y| y.abuts(z) && y.dist2(&p) < d), "stuck at {:?}", z);
            for y in &zs {
                prop_assert_eq!(z.abuts(y), y.abuts(z));
            }
        }
    }

    /// Wire form: whatever decodes is a tree node; tree nodes round-trip.
    #[test]
    fn decoded_zones_are_tree_nodes(lo in proptest::collection::vec(any::<u32>(), 1..4), depth in 0u16..100) {
        if let Ok(z) = Zone::new(&lo, depth) {
            let json = serde_json::to_string(&z).unwrap();
            prop_assert_eq!(serde_json::from_str::<Zone>(&json).unwrap(), z);
            let mut back = z;
            while let Some(p) = back.parent() {
                prop_assert!(p.covers(&z));
                back = p;
            }
            prop_assert_eq!(back, Zone::whole(lo.len()));
        }
    }
}

#[test]
fn bounds_are_fractions_of_the_unit_interval() {
    let (l, u) = Zone::whole(2).halves().unwrap();
    assert_eq!(Zone::whole(2).bounds(), [(0.0, 1.0), (0.0, 1.0)]);
    assert_eq!(l.bounds(), [(0.0, 0.5), (0.0, 1.0)]);
    let (_, uu) = u.halves().unwrap();
    assert_eq!(uu.bounds(), [(0.5, 1.0), (0.5, 1.0)]);
}
