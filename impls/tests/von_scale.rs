//! VON at scale in the simulator (`overlay_impls::von::experiment`):
//! determinism, the counted architectures against their closed forms
//! recomputed here by brute force from the same seeded workload, the
//! consistency VON reaches at moderate speed (pinned lower bounds, as
//! measured) and its loss when avatars outrun their AOI (the negative
//! control). Small networks only; no wall-clock assertion.

use overlay_impls::von::experiment::{run, Params, Report, Timing};
use overlay_impls::von::node::Protocol;
use overlay_impls::von::workload::{dist2, Workload};

fn quiet(mut r: Report) -> Report {
    r.timing = Timing::default();
    r
}

#[test]
fn same_seed_same_report_apart_from_timing() {
    let p = Params {
        warmup: 3,
        ..Params::new(80, 100.0, 10.0, 10, 7)
    };
    assert_eq!(quiet(run(&p)), quiet(run(&p)));
    let other = quiet(run(&Params {
        seed: 8,
        ..p.clone()
    }));
    assert_ne!(other, quiet(run(&p)));
}

/// Σ over steps of Σ_i |AOI_i| and of #{i : AOI_i ≠ ∅}, by brute force.
fn brute_aoi_sums(p: &Params) -> (u64, u64) {
    let mut w = Workload::new(p.nodes, p.world, p.speed, p.seed);
    let (mut pairs, mut nonempty) = (0, 0);
    let r2 = p.aoi * p.aoi;
    for _ in 0..p.warmup {
        w.step();
    }
    for _ in 0..p.steps {
        w.step();
        let pos = w.positions();
        for i in 0..pos.len() {
            let k = (0..pos.len())
                .filter(|&j| j != i && dist2(pos[i], pos[j]) <= r2)
                .count() as u64;
            pairs += k;
            nonempty += u64::from(k > 0);
        }
    }
    (pairs, nonempty)
}

#[test]
fn all_to_all_and_server_counts_are_their_closed_forms() {
    let p = Params {
        warmup: 4,
        ..Params::new(120, 100.0, 15.0, 8, 3)
    };
    let r = run(&p);
    let (n, t) = (p.nodes as f64, p.steps as f64);
    let (pairs, nonempty) = brute_aoi_sums(&p);
    let (pairs, nonempty) = (pairs as f64 / t, nonempty as f64 / t);
    let u = r.update_bytes as f64;
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
    let b = &r.baselines;
    // All-to-all: N − 1 out and N − 1 in at every node.
    assert_eq!(b.all_to_all.busiest_msgs, 2.0 * (n - 1.0));
    assert_eq!(b.all_to_all.mean_msgs, 2.0 * (n - 1.0));
    assert!(close(b.all_to_all.busiest_bytes, 2.0 * (n - 1.0) * u));
    // Server: N updates in, Σ|AOI_i| out, every step.
    assert!(close(b.server.busiest_msgs, n + pairs), "{b:?}");
    assert!(close(b.server.busiest_bytes, (n + pairs) * u));
    assert!(close(b.server.mean_msgs, 1.0 + pairs / n));
    // Aggregated: one message to each client with someone in its AOI.
    assert!(close(b.server_aggregated.busiest_msgs, n + nonempty));
    assert!(b.server_aggregated.busiest_bytes < b.server.busiest_bytes);
    // The ground truth the consistency is measured against is the same.
    assert!(close(r.mean_aoi_neighbours, pairs / n));
    // A MOVE is a 26-byte header, two f64 and the (empty) check flag.
    assert_eq!(r.update_bytes, 43);
}

#[test]
fn consistency_is_near_one_at_moderate_speed() {
    // Speed a tenth of the AOI radius (the VON papers' moderate speeds);
    // the published rules, with the warm-up their joins need.
    let r = run(&Params {
        protocol: Protocol::Paper,
        warmup: 25,
        ..Params::new(150, 100.0, 10.0, 15, 1)
    });
    assert_eq!(r.failed_joins, 0);
    // Measured: 1.0 and 1.0 (and 0.9999 / 0.9993 for seed 2).
    assert!(r.consistency >= 0.999, "consistency {}", r.consistency);
    assert!(
        r.min_step_consistency >= 0.995,
        "{}",
        r.min_step_consistency
    );
    // Every node keeps at least its AOI neighbours it knows, plus
    // enclosing ones: the table is larger than the true AOI set.
    assert!(r.mean_table > r.mean_aoi_neighbours);
    // Each node sends a MOVE to each entry and receives one from each
    // node that has it: the load is about twice the table size.
    assert!(r.von.mean_msgs > r.mean_table && r.von.mean_msgs < 4.0 * r.mean_table);
    assert!(r.von.busiest_msgs >= r.von.mean_msgs);
    // And well below all-to-all's 2(N − 1), even at 150 nodes.
    assert!(r.von.mean_msgs < r.baselines.all_to_all.busiest_msgs / 2.0);
}

#[test]
fn the_hardened_protocol_is_complete_from_the_joins_on_at_a_higher_cost() {
    let p = |protocol| Params {
        protocol,
        ..Params::new(150, 100.0, 10.0, 15, 1)
    };
    let (hardened, paper) = (run(&p(Protocol::Hardened)), run(&p(Protocol::Paper)));
    assert_eq!(hardened.join_consistency, 1.0);
    assert_eq!(hardened.min_step_consistency, 1.0);
    // Measured (seed 1, 5 warm-up and 15 measured steps): hardened 101.6
    // messages per node per step (270 at the busiest node), tables of
    // 18.7; paper 78.5 (125), tables of 22.5 — 1.3 times (2 times after
    // 65 steps, README, where the bytes are 8.7 times).
    assert!(hardened.mean_drift < paper.mean_drift / 10.0);
    let ratio = hardened.von.mean_msgs / paper.von.mean_msgs;
    eprintln!(
        "hardened {:.1} ({:.1} busiest), paper {:.1} ({:.1}) messages per node per step; tables {:.1} and {:.1}; {:?}",
        hardened.von.mean_msgs,
        hardened.von.busiest_msgs,
        paper.von.mean_msgs,
        paper.von.busiest_msgs,
        hardened.mean_table,
        paper.mean_table,
        hardened.von_sent_by_kind
    );
    assert!((1.0..3.0).contains(&ratio), "{ratio}");
    // Every message counted once, by kind.
    let by_kind: f64 = hardened.von_sent_by_kind.values().sum();
    assert!(by_kind > 0.4 * hardened.von.mean_msgs && by_kind < 0.6 * hardened.von.mean_msgs);
}

#[test]
fn consistency_drops_when_avatars_outrun_their_aoi() {
    // The published protocol: the hardened one's HELLO/NOTIFY exchanges do
    // not settle when every avatar jumps 2.5·R a step (README, "The VON
    // implementation"), so this control runs the paper's rules.
    let paper = |speed| Params {
        protocol: Protocol::Paper,
        warmup: 25,
        ..Params::new(150, 100.0, speed, 10, 2)
    };
    let slow = run(&paper(10.0));
    let fast = run(&paper(250.0));
    // Measured: 0.9999 at speed R/10, 0.34 at speed 2.5·R (an avatar
    // jumps past most of its AOI in one step; the table shrinks to ~10).
    assert!(slow.consistency >= 0.999, "slow {}", slow.consistency);
    assert!(
        fast.consistency < 0.5,
        "slow {} fast {}",
        slow.consistency,
        fast.consistency
    );
    assert!(fast.mean_drift > slow.mean_drift);
}

#[test]
fn parameters_are_checked() {
    let ok = Params::new(10, 100.0, 10.0, 5, 0);
    assert!(ok.validate().is_ok());
    let bad = |f: fn(&mut Params)| {
        let mut p = ok.clone();
        f(&mut p);
        p.validate().unwrap_err()
    };
    assert!(bad(|p| p.nodes = 0).contains("--nodes"));
    assert!(bad(|p| p.aoi = 0.0).contains("--aoi"));
    assert!(bad(|p| p.aoi = f64::NAN).contains("--aoi"));
    assert!(bad(|p| p.speed = -1.0).contains("--speed"));
    assert!(bad(|p| p.world = f64::INFINITY).contains("--world"));
    assert!(bad(|p| p.steps = 0).contains("--steps"));
    assert!(bad(|p| p.step_ms = 0).contains("--step-ms"));
}

#[test]
fn paper_joins_leave_aoi_sets_incomplete_hardened_ones_do_not() {
    // Why the experiment warms up: the notes' JOIN tells a joiner only
    // what the acceptor knows. Measured at 150 nodes, seed 1: 0.55
    // with the paper's protocol, 1.0 with the hardened one.
    let p = Params {
        warmup: 0,
        ..Params::new(150, 100.0, 10.0, 1, 1)
    };
    let notes = run(&Params {
        protocol: Protocol::Paper,
        ..p.clone()
    });
    let hello = run(&Params {
        protocol: Protocol::Hardened,
        ..p
    });
    assert!(notes.join_consistency < 0.7, "{}", notes.join_consistency);
    assert_eq!(hello.join_consistency, 1.0);
    assert!(hello.build_messages > notes.build_messages);
}
