//! Kademlia: the implementation (`overlay-impls`, rounds-mode lookups,
//! the paper's table rules) against the model (`overlay-models`), through
//! the refinement mapping of `overlay_conformance::kademlia`.
//!
//! * model → implementation: every committed trace (the StoredValueFound
//!   ones too: store, get and §2.5 replication are in the refinement),
//!   and seeded random walks of the model per variant, carried out by the
//!   implementation with the mapped state compared after every event
//!   (events at the two store abstractions with no wire counterpart are
//!   skipped: `kademlia::fits`);
//! * implementation → model: seeded random runs in the simulator, judged
//!   by the model's BucketsWellFormed, LiveNodesNeverEvicted and lookup;
//! * model → implementation, exhaustively: every model path to a depth
//!   (iterative deepening, so a mismatch is a shortest one);
//! * mutations: three deliberate implementation bugs, each caught by
//!   every direction.
//!
//! Paper sections: Kademlia §2.2 (k-buckets, least-recently-seen order),
//! §2.3 (iterative lookup, α rounds and the final round), §2.5
//! (replication to newly observed close contacts), §4.1 (ping before
//! evicting; replacement cache).

use overlay_conformance::kademlia::runs::random_runs;
use overlay_conformance::kademlia::walk::default_model;
use overlay_conformance::kademlia::{every_path, random_paths, Coverage, PathStats};
use overlay_conformance::{replay_against_impl, trace_files, traces_dir, ImplReplayError};
use overlay_impls::kademlia::Mutation;
use overlay_models::kademlia::{Config, KademliaModel, Variant};
use overlay_models::trace;

fn scope(
    v: Variant,
    bits: usize,
    nodes: usize,
    k: usize,
    alpha: usize,
    cache: usize,
) -> KademliaModel {
    let mut c = Config::new(v);
    c.bits = bits;
    c.nodes = nodes;
    c.k = k;
    c.alpha = alpha;
    c.cache = cache;
    c.failures = if nodes > 4 { 2 } else { 1 };
    KademliaModel::new(c).expect("valid scope")
}

const MUTATIONS: [Mutation; 3] = [
    Mutation::EvictWithoutPing,
    Mutation::AlphaTermination,
    Mutation::AnswerWithQuerier,
];

// ------------------------------------------------ model → implementation

/// Every committed Kademlia trace replays event for event (broken
/// variants against the implementation with the variant's mutation, bug
/// for bug), the StoredValueFound ones (store, get, §2.5 replication)
/// included.
#[test]
fn committed_kademlia_traces_replay() {
    let mut replayed = Vec::new();
    for f in trace_files(&traces_dir()) {
        let t = trace::read_file(&f).expect("committed traces read");
        if t.meta("model") != Some("kademlia") {
            continue;
        }
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        match replay_against_impl(&f) {
            Ok(events) => replayed.push((name, events)),
            Err(ImplReplayError::Unfit(why)) => panic!("{name}: refused: {why}"),
            Err(ImplReplayError::Mismatch(m)) => panic!("{name}:\n{m}"),
        }
    }
    let replayed: Vec<(&str, usize)> = replayed.iter().map(|(n, e)| (n.as_str(), *e)).collect();
    assert_eq!(
        replayed,
        [
            ("alpha-termination_bits2_nodes3_k2_alpha1_cache1_failures1_LookupFindsClosest.itf.json", 5),
            ("alpha-termination_bits2_nodes3_k2_alpha1_cache1_failures1_StoredValueFound.itf.json", 9),
            ("correct_bits2_nodes4_k1_alpha1_cache1_failures0_LookupFindsClosest.itf.json", 6),
            ("correct_bits2_nodes4_k1_alpha1_cache1_failures0_StoredValueFound.itf.json", 7),
            ("evict-without-ping_bits2_nodes4_k1_alpha1_cache1_failures1_LiveNodesNeverEvicted.itf.json", 4),
            ("evict-without-ping_bits2_nodes4_k1_alpha1_cache1_failures1_LookupFindsClosest.itf.json", 6),
            ("evict-without-ping_bits2_nodes4_k1_alpha1_cache1_failures1_Repairable.itf.json", 3),
            ("evict-without-ping_bits2_nodes4_k1_alpha1_cache1_failures1_StoredValueFound.itf.json", 7),
            ("k1-failures_bits2_nodes3_k1_alpha1_cache1_failures1_LookupFindsClosest.itf.json", 8),
            ("k1-failures_bits2_nodes3_k1_alpha1_cache1_failures1_StoredValueFound.itf.json", 8),
        ]
    );
}

fn walks(m: &KademliaModel, paths: usize) -> PathStats {
    random_paths(m, Mutation::None, 2002, paths, 40).unwrap_or_else(|e| panic!("{e}"))
}

/// §2.2, §2.3, §4.1 at the `correct` variant's default scope (k=2: its
/// buckets never overflow at 2 bits, so no pings here; see the next).
#[test]
fn random_model_paths_correct_default_scope() {
    let s = walks(&default_model(Variant::Correct), 3000);
    // kinds: join, fail, lookup, reply, timeout, pong, ping-timeout,
    // store, get
    assert_eq!(
        s,
        PathStats {
            paths: 3000,
            steps: 92_268,
            kinds: [6563, 3000, 25_226, 40_395, 3177, 0, 0, 8271, 5636],
            refused: 9
        }
    );
}

/// §4.1: scopes where buckets overflow, so eviction pings, pongs, ping
/// timeouts and cache promotions are exercised.
#[test]
fn random_model_paths_correct_with_pings() {
    let mut all = Vec::new();
    for m in [
        scope(Variant::Correct, 2, 4, 1, 1, 1),
        scope(Variant::Correct, 3, 6, 1, 1, 2),
        scope(Variant::Correct, 3, 8, 2, 2, 2),
    ] {
        all.push(walks(&m, 3000));
    }
    // kinds: join, fail, lookup, reply, timeout, pong, ping-timeout,
    // store, get
    let steps: Vec<(usize, [usize; 9], usize)> =
        all.iter().map(|s| (s.steps, s.kinds, s.refused)).collect();
    assert_eq!(
        steps,
        [
            (
                91_687,
                [6481, 3000, 26_912, 33_925, 2310, 4368, 193, 8444, 6054],
                0
            ),
            (
                82_606,
                [8598, 5483, 25_971, 26_652, 3693, 3285, 308, 5621, 2995],
                0
            ),
            (
                90_961,
                [11_471, 5625, 21_166, 38_209, 6146, 734, 198, 4979, 2433],
                23
            ),
        ]
    );
}

/// The broken variants replay against the implementation with the
/// matching mutation (k1-failures: the correct implementation with k=1).
#[test]
fn random_model_paths_of_each_broken_variant() {
    let mut all = Vec::new();
    for v in [
        Variant::EvictWithoutPing,
        Variant::AlphaTermination,
        Variant::K1Failures,
    ] {
        let s = walks(&default_model(v), 3000);
        all.push((v.name(), s.steps, s.kinds, s.refused));
    }
    assert_eq!(
        all,
        [
            (
                "evict-without-ping",
                91_763,
                [6492, 3000, 28_852, 35_677, 2169, 0, 0, 9077, 6496],
                0
            ),
            (
                "alpha-termination",
                79_522,
                [3884, 3000, 29_916, 24_717, 1975, 0, 0, 9251, 6779],
                104
            ),
            (
                "k1-failures",
                83_542,
                [4001, 3000, 30_928, 26_910, 1980, 89, 61, 9520, 7053],
                0
            ),
        ]
    );
}

/// The events `kademlia::fits` refuses are exactly the ones the harness
/// cannot match: for each of its two reasons, the first refused event of
/// seeded model walks, forced on the implementation anyway, makes the
/// states differ.
#[test]
fn refused_store_events_would_differ() {
    use overlay_conformance::kademlia::walk::Rng;
    use overlay_conformance::kademlia::{fits, impl_config, variant_mutation, Harness};
    use stateright::Model;
    let reasons = ["the origin can put only at", "replicates the value back"];
    let mut found = [None, None];
    for m in [
        default_model(Variant::AlphaTermination),
        default_model(Variant::Correct),
        scope(Variant::Correct, 3, 8, 2, 2, 2),
    ] {
        let mut rng = Rng::new(7);
        for _ in 0..3000 {
            let mut s = m.init_states()[0];
            let mut path = Vec::new();
            for _ in 0..40 {
                let mut acts = Vec::new();
                m.actions(&s, &mut acts);
                if acts.is_empty() {
                    break;
                }
                let a = acts[rng.below(acts.len())];
                if let Err(why) = fits(&m, &s, a) {
                    let r = reasons.iter().position(|r| why.contains(r)).expect(&why);
                    if found[r].is_none() {
                        found[r] = Some((m.clone(), path.clone(), a, why));
                    }
                    break;
                }
                s = m.apply(&s, a);
                path.push(a);
            }
        }
    }
    for (r, f) in reasons.iter().zip(found) {
        let (m, path, a, why) = f.unwrap_or_else(|| panic!("no event refused for `{r}`"));
        let cfg = impl_config(&m, variant_mutation(m.cfg.variant));
        let mut h = Harness::new(&m, cfg);
        let mut s = m.init_states()[0];
        for (i, b) in path.iter().enumerate() {
            s = h.check_step(&m, &s, *b, i + 1).expect("the prefix fits");
        }
        let err = h.check_step(&m, &s, a, path.len() + 1);
        assert!(err.is_err(), "{why}: the implementation matches after all");
    }
}

/// §2.5: replication to every contact heard from, or to none, is caught
/// by the exhaustive walk at its shortest path (the value held where the
/// model has it not, or not where it has it).
#[test]
fn replication_mutations_are_caught_by_the_exhaustive_walk() {
    let mut report = String::new();
    for mu in [Mutation::ReplicateToAll, Mutation::ReplicateNothing] {
        let err = every_path(&scope(Variant::Correct, 2, 4, 1, 1, 1), 9, mu)
            .expect_err("the mutation must be caught");
        report.push_str(&format!("{mu:?}: {err}\n"));
    }
    insta::assert_snapshot!(report);
}

/// Each mutation of the implementation, against the `correct` model's
/// random walks: the first mismatch, at a named step and field.
#[test]
fn mutations_are_caught_by_model_paths() {
    let mut report = String::new();
    for mu in MUTATIONS {
        let err = random_paths(&scope(Variant::Correct, 2, 4, 1, 1, 1), mu, 2002, 1000, 40)
            .expect_err("the mutation must be caught");
        report.push_str(&format!("{mu:?}: {err}\n"));
    }
    insta::assert_snapshot!(report);
}

// ------------------------------------------------ implementation → model

/// §2.2/§4.1 tables well formed and no live contact evicted, §2.3 lookup
/// results equal to the model's, over random simulator runs.
#[test]
fn random_implementation_runs_agree_with_the_model() {
    let mut all = Vec::new();
    for m in [
        scope(Variant::Correct, 2, 4, 2, 1, 1),
        scope(Variant::Correct, 2, 4, 1, 1, 1),
        scope(Variant::Correct, 3, 6, 1, 1, 2),
        scope(Variant::Correct, 3, 8, 2, 2, 2),
        scope(Variant::Correct, 3, 8, 3, 3, 2),
    ] {
        let s = random_runs(&m, Mutation::None, 2002, 1000, 30).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.runs, 1000);
        all.push((
            s.joins,
            s.lookups,
            s.crashes,
            s.results_compared,
            s.delivered,
        ));
    }
    // (joins, lookups, crashes, lookup results compared, datagrams)
    assert_eq!(
        all,
        [
            (2996, 26_072, 932, 29_068, 96_878),
            (2996, 26_072, 932, 29_068, 80_902),
            (4961, 23_365, 1674, 28_326, 99_314),
            (6724, 21_602, 1674, 28_326, 126_652),
            (6724, 21_602, 1674, 28_326, 141_328),
        ]
    );
}

#[test]
fn mutations_are_caught_by_implementation_runs() {
    let mut report = String::new();
    for mu in MUTATIONS {
        let err = random_runs(&scope(Variant::Correct, 3, 6, 1, 1, 1), mu, 2002, 300, 30)
            .expect_err("the mutation must be caught");
        report.push_str(&format!("{mu:?}: {err}\n\n"));
    }
    insta::assert_snapshot!(report);
}

// ------------------------------------------------ exhaustive, to a depth

/// Every model path up to a depth (store, get and §2.5 replication
/// included; events `kademlia::fits` refuses skipped), at the default
/// scope (§2.2, §2.3) and at k=1 where buckets overflow (§4.1 pings).
#[test]
fn every_path_default_scope_and_k1_to_depth7() {
    let c = every_path(&default_model(Variant::Correct), 7, Mutation::None)
        .unwrap_or_else(|m| panic!("{m}"));
    assert_eq!(
        c,
        Coverage {
            inits: 1,
            steps: 2_149_146,
            paths: 1_849_821
        }
    );
    // Depth 8 at k=1 (14,342,999 events) takes a minute: a benchmark's
    // scope, not a test's.
    let c = every_path(&scope(Variant::Correct, 2, 4, 1, 1, 1), 7, Mutation::None)
        .unwrap_or_else(|m| panic!("{m}"));
    assert_eq!(
        c,
        Coverage {
            inits: 1,
            steps: 2_153_436,
            paths: 1_853_791
        }
    );
}

/// Each mutation at its shortest exposing path (iterative deepening):
/// evict-without-ping and answers naming the querier at 4 events, the
/// skipped final round (§2.3) at 7.
#[test]
fn mutations_are_caught_by_the_exhaustive_walk() {
    let mut report = String::new();
    for mu in MUTATIONS {
        let err = every_path(&scope(Variant::Correct, 2, 4, 1, 1, 1), 9, mu)
            .expect_err("the mutation must be caught");
        report.push_str(&format!("{mu:?}: {err}\n"));
    }
    insta::assert_snapshot!(report);
}
