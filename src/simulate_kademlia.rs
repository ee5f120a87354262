//! `overlay simulate kademlia`: the Mainline DHT node at scale in the
//! seeded simulator (`overlay_impls::kademlia::experiment`), as text or
//! JSON. As for Chord, everything but the `"performance"` member is a
//! function of the arguments.

use overlay_impls::kademlia::experiment::{self, Params, Report};
use serde_json::{json, Value};

use crate::cli::{Format, SimulateArgs};
use crate::exit::{Exit, Outcome};
use crate::input_error;
use crate::simulate_cmd::{peak_rss_bytes, Spinner};

pub fn simulate(a: &SimulateArgs) -> Outcome {
    let defaults = Params::new(a.nodes, a.lookups, a.seed);
    let params = Params {
        fail_fraction: a.fail_fraction,
        k: a.k.unwrap_or(defaults.k),
        alpha: a.alpha.unwrap_or(defaults.alpha),
        net: crate::simulate_cmd::net(a),
        ..defaults
    };
    params.validate().map_err(input_error)?;
    let line = Spinner::new("simulate kademlia");
    let report = experiment::run_with_progress(&params, |phase| line.show(phase));
    line.finish();
    let rss = peak_rss_bytes();
    match a.format {
        Format::Json => println!("{}", to_json(&report, rss)),
        Format::Text => print_text(&report, rss),
    }
    // Without crashes or loss every lookup must find nodes: a lookup that
    // finds none is a bug in the node, reported like a violated property.
    // (Missing one of the true k closest is not: a node that none of the
    // nodes the lookup reached has in its buckets cannot be found; the
    // paper's claim is about the nodes the lookup can reach.)
    Ok(
        if report.crashed == 0 && params.net.loss == 0.0 && report.failed_lookups > 0 {
            Exit::Surprise
        } else {
            Exit::Ok
        },
    )
}

fn to_json(r: &Report, rss: Option<u64>) -> Value {
    let p = &r.params;
    let h = r.hops.as_ref();
    let m = r.messages.as_ref();
    let t = r.timeouts_per_lookup.as_ref();
    let mut doc = json!({
        "overlay": "kademlia",
        "nodes": p.nodes,
        "seed": p.seed,
        "k": p.k,
        "alpha": p.alpha,
        "fail_fraction": p.fail_fraction,
        "loss": p.net.loss,
        "delay_min_ms": p.net.delay_min,
        "delay_max_ms": p.net.delay_max,
        "crashed": r.crashed,
        "live_nodes": p.nodes - r.crashed,
        "lookups": r.lookups,
        "mean_hops": h.map(|h| h.mean),
        "median_hops": h.map(|h| h.median),
        "p99_hops": h.map(|h| h.p99),
        "max_hops": h.map(|h| h.max),
        "hop_histogram": h.map(|h| h.histogram.clone()),
        "log2_nodes": (p.nodes as f64).log2(),
        "mean_messages": m.map(|m| m.mean),
        "median_messages": m.map(|m| m.median),
        "p99_messages": m.map(|m| m.p99),
        "found_k_closest": r.found_k_closest,
        "found_k_closest_fraction": r.found_k_closest_fraction(),
        "found_closest_fraction": r.found_closest_fraction(),
        "failed_lookups": r.failed_lookups,
        "mean_timeouts": t.map(|t| t.mean),
        "p99_timeouts": t.map(|t| t.p99),
    });
    let fields = doc.as_object_mut().expect("an object");
    run_of!(r).add_json(fields, rss);
    doc
}

fn print_text(r: &Report, rss: Option<u64>) {
    let p = &r.params;
    println!(
        "kademlia: {} nodes (k = {}, α = {}), {} crashed (fail fraction {}), seed {}",
        p.nodes, p.k, p.alpha, r.crashed, p.fail_fraction, p.seed
    );
    match (&r.hops, &r.messages) {
        (Some(h), Some(m)) => {
            println!(
                "hops: mean {:.3} (log2 N = {:.2}), median {}, 99th percentile {}, max {}",
                h.mean,
                (p.nodes as f64).log2(),
                h.median,
                h.p99,
                h.max
            );
            println!(
                "messages per lookup: mean {:.2}, median {}, 99th percentile {}",
                m.mean, m.median, m.p99
            );
        }
        _ => println!("hops: no lookup found a node"),
    }
    println!(
        "lookups: {}, true k closest found {} ({:.4}), closest found {:.4}, failed {}, timeouts per lookup {:.3}",
        r.lookups,
        r.found_k_closest,
        r.found_k_closest_fraction(),
        r.found_closest_fraction(),
        r.failed_lookups,
        r.timeouts_per_lookup.as_ref().map_or(0.0, |t| t.mean)
    );
    run_of!(r).print(rss);
}
