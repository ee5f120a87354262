//! `overlay simulate can`: the CAN node at scale in the seeded simulator
//! (`overlay_impls::can::experiment`), as text or JSON. As for Chord,
//! everything but the `"performance"` member is a function of the
//! arguments.

use overlay_impls::can::experiment::{self, Build, Params, Report};
use serde_json::{json, Value};

use crate::cli::{CanBuild, Format, SimulateArgs};
use crate::exit::{Exit, Outcome};
use crate::input_error;
use crate::simulate_cmd::{peak_rss_bytes, Spinner};

pub fn simulate(a: &SimulateArgs) -> Outcome {
    let defaults = Params::new(a.nodes, a.lookups, a.seed);
    let params = Params {
        dims: a.dims.unwrap_or(defaults.dims),
        realities: a.realities.unwrap_or(defaults.realities),
        build: match a.build {
            Some(CanBuild::Oracle) => Build::Oracle,
            Some(CanBuild::Joins) | None => Build::Joins,
        },
        net: crate::simulate_cmd::net(a),
        ..defaults
    };
    params.validate().map_err(input_error)?;
    let line = Spinner::new("simulate can");
    let report = experiment::run_with_progress(&params, |phase| line.show(phase));
    line.finish();
    let rss = peak_rss_bytes();
    match a.format {
        Format::Json => println!("{}", to_json(&report, rss)),
        Format::Text => print_text(&report, rss),
    }
    // Without loss the zones must tile the space, every table be exact and
    // every lookup reach the point's owner: anything else is a bug in the
    // node, reported like a violated property.
    let clean = report.tiling_exact
        && report.tables_exact
        && report.failed_joins == 0
        && report.failed_lookups == 0
        && report.wrong_owner == 0;
    Ok(if params.net.loss == 0.0 && !clean {
        Exit::Surprise
    } else {
        Exit::Ok
    })
}

fn build_name(b: Build) -> &'static str {
    match b {
        Build::Joins => "joins",
        Build::Oracle => "oracle",
    }
}

fn to_json(r: &Report, rss: Option<u64>) -> Value {
    let p = &r.params;
    let h = r.hops.as_ref();
    let mut doc = json!({
        "overlay": "can",
        "nodes": p.nodes,
        "dims": p.dims,
        "realities": p.realities,
        "seed": p.seed,
        "build": build_name(p.build),
        "loss": p.net.loss,
        "delay_min_ms": p.net.delay_min,
        "delay_max_ms": p.net.delay_max,
        "failed_joins": r.failed_joins,
        "tiling_exact": r.tiling_exact,
        "tables_exact": r.tables_exact,
        "mean_neighbors": r.mean_neighbors,
        "max_neighbors": r.max_neighbors,
        "two_d": 2 * p.dims,
        "max_zones": r.max_zones,
        "lookups": r.lookups,
        "mean_hops": h.map(|h| h.mean),
        "median_hops": h.map(|h| h.median),
        "p1_hops": h.map(|h| h.p1),
        "p99_hops": h.map(|h| h.p99),
        "max_hops": h.map(|h| h.max),
        "hop_histogram": h.map(|h| h.histogram.clone()),
        "expected_hops": p.expected_hops(),
        "failed_lookups": r.failed_lookups,
        "wrong_owner": r.wrong_owner,
        "build_messages": r.build_messages,
    });
    let fields = doc.as_object_mut().expect("an object");
    run_of!(r).add_json(fields, rss);
    doc
}

fn print_text(r: &Report, rss: Option<u64>) {
    let p = &r.params;
    println!(
        "can: {} nodes, d = {}, {} realit{}, built by {}, seed {}",
        p.nodes,
        p.dims,
        p.realities,
        if p.realities == 1 { "y" } else { "ies" },
        build_name(p.build),
        p.seed
    );
    println!(
        "zones: tiling {}, neighbour tables {}, failed joins {}, at most {} zone(s) per node; {} build messages",
        if r.tiling_exact { "exact" } else { "BROKEN" },
        if r.tables_exact { "exact" } else { "WRONG" },
        r.failed_joins,
        r.max_zones,
        r.build_messages
    );
    println!(
        "neighbours: mean {:.3} (2d = {}), max {}",
        r.mean_neighbors,
        2 * p.dims,
        r.max_neighbors
    );
    match &r.hops {
        Some(h) => println!(
            "hops: mean {:.3} ((d/4)·n^(1/d) = {:.3}), median {}, 1st percentile {}, 99th {}, max {}",
            h.mean,
            p.expected_hops(),
            h.median,
            h.p1,
            h.p99,
            h.max
        ),
        None => println!("hops: no lookup reached an owner"),
    }
    println!(
        "lookups: {}, failed {}, wrong owner {}",
        r.lookups, r.failed_lookups, r.wrong_owner
    );
    run_of!(r).print(rss);
}
