use super::*;

#[test]
fn oracle_closest_agrees_with_sorting_everything() {
    let ids: Vec<NodeId> = (0..500).map(sim_id).collect();
    let space = Space::new(&ids);
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for _ in 0..50 {
        let t = NodeId(rng.random());
        let mut all = ids.clone();
        all.sort_by_key(|id| t.distance(id));
        assert_eq!(space.closest(&t, 8), all[..8].to_vec());
    }
}

#[test]
fn oracle_tables_are_well_formed_and_full() {
    let ids: Vec<NodeId> = (0..300).map(sim_id).collect();
    let space = Space::new(&ids);
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let me = ids[7];
    let mut t = super::super::table::Table::new(me, 4, 0, 1, 0);
    for j in space.oracle_table(me, 4, &mut rng) {
        assert_eq!(
            t.observe(0, ids[j], addr_v4(j)),
            super::super::table::Observed::Added
        );
    }
    t.check().unwrap();
    // Every bucket holds min(k, nodes in its range).
    for b in 0..t.depth() {
        let in_range = ids
            .iter()
            .filter(|id| me.common_prefix(id) == Some(b))
            .count();
        assert_eq!(t.bucket(b).len(), in_range.min(4), "bucket {b}");
    }
}

#[test]
fn without_failures_every_lookup_finds_the_k_closest() {
    let r = run(&Params::new(2000, 300, 1));
    assert_eq!(r.failed_lookups, 0);
    assert_eq!(r.found_k_closest, 300, "{r:?}");
    let h = r.hops.as_ref().unwrap();
    // O(log N): log2(2000) ≈ 11; lookups take a few sequential steps.
    assert!(h.mean > 1.5 && h.mean < 6.0, "mean hops {}", h.mean);
    assert_eq!(r.timeouts_per_lookup.as_ref().unwrap().max, 0);
}

#[test]
fn same_seed_same_report_apart_from_timing() {
    let p = Params {
        fail_fraction: 0.2,
        ..Params::new(500, 100, 9)
    };
    let (mut a, mut b) = (run(&p), run(&p));
    a.timing = Timing::default();
    b.timing = Timing::default();
    assert_eq!(a, b);
    assert_eq!(a.crashed, 100);
    assert!(a.timeouts_per_lookup.as_ref().unwrap().mean > 0.0);
}

#[test]
fn parameters_are_checked() {
    assert!(Params::new(1, 1, 0)
        .validate()
        .unwrap_err()
        .contains("--nodes"));
    let p = Params {
        fail_fraction: 1.0,
        ..Params::new(10, 1, 0)
    };
    assert!(p.validate().unwrap_err().contains("--fail-fraction"));
}
