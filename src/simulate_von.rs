//! `overlay simulate von` and `overlay simulate mmve`: the VON node with
//! moving avatars in the seeded simulator
//! (`overlay_impls::von::experiment`), alone or compared with all-to-all
//! and client–server under the same movement, as text, JSON or (mmve) an
//! SVG plot. The JSON is a function of the arguments, byte for byte,
//! unless `--timing` adds the measured `"performance"` member; the text
//! ends with the wall time.

use std::time::Duration;

use overlay_impls::von::experiment::{self, Load, Params, Progress, Report};
use serde_json::{json, Map, Value};

use crate::cli::{Format, SimulateArgs};
use crate::exit::{Exit, Outcome};
use crate::plot::{Chart, Series};
use crate::simulate_cmd::{peak_rss_bytes, Spinner};
use crate::{exit, input_error};

const DEFAULT_AOI: f64 = 100.0;
const DEFAULT_SPEED: f64 = 10.0;
const DEFAULT_STEPS: usize = 100;

/// The experiment's parameters for `nodes` from the flags.
fn params(a: &SimulateArgs, nodes: usize, steps: usize) -> Result<Params, exit::Failure> {
    let aoi = a.aoi.unwrap_or(DEFAULT_AOI);
    let mut p = Params::new(nodes, aoi, a.speed.unwrap_or(DEFAULT_SPEED), steps, a.seed);
    if let Some(w) = a.world {
        p.world = w;
    }
    if let Some(k) = a.warmup {
        p.warmup = k;
    }
    if let Some(ms) = a.step_ms {
        p.step_ms = ms;
    }
    p.net = crate::simulate_cmd::net(a);
    if let Some(name) = &a.protocol {
        p.protocol = overlay_impls::von::node::Protocol::parse(name)
            .ok_or_else(|| input_error(format!("--protocol: `{name}` is not hardened or paper")))?;
    }
    p.validate().map_err(input_error)?;
    Ok(p)
}

fn run(p: &Params, line: &Spinner) -> Report {
    let label = format!("{} nodes: ", p.nodes);
    experiment::run_with_progress(p, |phase| {
        line.say(match phase {
            Progress::Joining { done, total } => format!("{label}joined {done}/{total}"),
            Progress::Moving { done, total } => format!("{label}step {done}/{total}"),
        })
    })
}

pub fn simulate(a: &SimulateArgs) -> Outcome {
    let p = params(a, a.nodes, a.steps.unwrap_or(DEFAULT_STEPS))?;
    let line = Spinner::new("simulate von");
    let r = run(&p, &line);
    line.finish();
    let rss = peak_rss_bytes();
    match a.format {
        Format::Json => {
            let mut doc = to_json(&r);
            let fields = doc.as_object_mut().expect("an object");
            fields.insert("overlay".into(), json!("von"));
            run_of!(r).add_json(fields, rss);
            if !a.timing {
                fields.remove("performance");
            }
            println!("{doc}");
        }
        Format::Text => print_text(&r, rss),
    }
    // Without loss every join must complete: a failed one is a bug in
    // the node, reported like a violated property.
    Ok(if p.net.loss == 0.0 && r.failed_joins > 0 {
        Exit::Surprise
    } else {
        Exit::Ok
    })
}

fn load_json(l: &Load) -> Value {
    json!({
        "mean_msgs": l.mean_msgs,
        "mean_bytes": l.mean_bytes,
        "busiest_msgs": l.busiest_msgs,
        "busiest_bytes": l.busiest_bytes,
    })
}

/// Every deterministic field of a report (keys sorted, as serde_json
/// keeps them).
fn to_json(r: &Report) -> Value {
    let p = &r.params;
    let b = &r.baselines;
    json!({
        "nodes": p.nodes,
        "aoi": p.aoi,
        "speed": p.speed,
        "steps": p.steps,
        "warmup": p.warmup,
        "protocol": p.protocol.name(),
        "step_ms": p.step_ms,
        "world": p.world,
        "seed": p.seed,
        "loss": p.net.loss,
        "delay_min_ms": p.net.delay_min,
        "delay_max_ms": p.net.delay_max,
        "failed_joins": r.failed_joins,
        "build_messages": r.build_messages,
        "build_bytes": r.build_bytes,
        "consistency": r.consistency,
        "min_step_consistency": r.min_step_consistency,
        "join_consistency": r.join_consistency,
        "mean_aoi_neighbours": r.mean_aoi_neighbours,
        "mean_table": r.mean_table,
        "mean_drift": r.mean_drift,
        "max_drift": r.max_drift,
        "update_bytes": r.update_bytes,
        "von": load_json(&r.von),
        "von_sent_by_kind": r.von_sent_by_kind,
        "all_to_all": load_json(&b.all_to_all),
        "server": load_json(&b.server),
        "server_aggregated": load_json(&b.server_aggregated),
    })
}

fn print_text(r: &Report, rss: Option<u64>) {
    let p = &r.params;
    println!(
        "von: {} nodes, AOI radius {}, speed {} per step, {} steps of {} ms after {} warm-up steps, world {:.1} × {:.1}, seed {}, {} protocol",
        p.nodes,
        p.aoi,
        p.speed,
        p.steps,
        p.step_ms,
        p.warmup,
        p.world,
        p.world,
        p.seed,
        p.protocol.name()
    );
    println!(
        "joins: {} failed; {} messages, {} bytes",
        r.failed_joins, r.build_messages, r.build_bytes
    );
    println!(
        "topology: consistency {:.4} (worst step {:.4}; right after the joins {:.4}); AOI neighbours {:.2} per node, table {:.2} entries",
        r.consistency, r.min_step_consistency, r.join_consistency, r.mean_aoi_neighbours, r.mean_table
    );
    println!(
        "drift: mean {:.3}, max {:.3} (known AOI neighbours' recorded against true positions)",
        r.mean_drift, r.max_drift
    );
    println!("load per measured step, sent + received:   mean node   busiest node");
    let b = &r.baselines;
    for (name, l) in [
        ("VON (measured)", &r.von),
        ("all-to-all", &b.all_to_all),
        ("server, per entity", &b.server),
        ("server, aggregated", &b.server_aggregated),
    ] {
        println!(
            "  {name:<20} messages {:>10.1} {:>12.1}",
            l.mean_msgs, l.busiest_msgs
        );
        println!(
            "  {:<20} bytes    {:>10.0} {:>12.0}",
            "", l.mean_bytes, l.busiest_bytes
        );
    }
    let kinds: Vec<String> = r
        .von_sent_by_kind
        .iter()
        .map(|(k, c)| format!("{k} {c:.1}"))
        .collect();
    println!(
        "VON messages sent per node per step, by kind: {}",
        kinds.join(", ")
    );
    run_of!(r).print(rss);
}

/// mmve's default steps for `n` nodes: fewer at large N, so that 10^4
/// nodes take minutes.
fn default_steps(n: usize) -> usize {
    match n {
        0..3000 => 20,
        3000..10_000 => 10,
        _ => 5,
    }
}

pub fn mmve(a: &SimulateArgs) -> Outcome {
    let mut sizes = a.node_list.clone();
    sizes.sort_unstable();
    sizes.dedup();
    let all: Vec<Params> = sizes
        .iter()
        .map(|&n| params(a, n, a.steps.unwrap_or_else(|| default_steps(n))))
        .collect::<Result<_, _>>()?;
    if a.world.is_some() && sizes.len() > 1 {
        return Err(input_error(
            "--world fixes one world for every size; leave it out to keep the density constant",
        ));
    }
    // Check the SVG's folder before the long runs.
    if let Some(f) = &a.svg {
        let dir = f.parent().filter(|d| !d.as_os_str().is_empty());
        if let Some(d) = dir.filter(|d| !d.is_dir()) {
            return Err(input_error(format!(
                "--svg {}: no folder {}",
                f.display(),
                d.display()
            )));
        }
    }
    let line = Spinner::new("simulate mmve");
    let reports: Vec<Report> = all.iter().map(|p| run(p, &line)).collect();
    line.finish();
    let rss = peak_rss_bytes();
    if let Some(f) = &a.svg {
        std::fs::write(f, chart(&reports).svg())
            .map_err(|e| input_error(format!("--svg {}: {e}", f.display())))?;
    }
    match a.format {
        Format::Json => println!("{}", mmve_json(&reports, a.timing, rss)),
        Format::Text => print_mmve(&reports, rss),
    }
    let failed = reports.iter().any(|r| r.failed_joins > 0);
    Ok(if a.loss == 0.0 && failed {
        Exit::Surprise
    } else {
        Exit::Ok
    })
}

fn wall(r: &Report) -> Duration {
    r.timing.build + r.timing.lookups
}

fn mmve_json(reports: &[Report], timing: bool, rss: Option<u64>) -> Value {
    let p = &reports[0].params;
    let rows: Vec<Value> = reports
        .iter()
        .map(|r| {
            let mut row = to_json(r);
            let fields: &mut Map<String, Value> = row.as_object_mut().expect("an object");
            for k in [
                "aoi",
                "speed",
                "seed",
                "loss",
                "delay_min_ms",
                "delay_max_ms",
                "step_ms",
            ] {
                fields.remove(k);
            }
            if timing {
                fields.insert(
                    "performance".into(),
                    json!({
                        "build_seconds": r.timing.build.as_secs_f64(),
                        "move_seconds": r.timing.lookups.as_secs_f64(),
                        "wall_seconds": wall(r).as_secs_f64(),
                    }),
                );
            }
            row
        })
        .collect();
    let mut doc = json!({
        "overlay": "mmve",
        "aoi": p.aoi,
        "speed": p.speed,
        "seed": p.seed,
        "step_ms": p.step_ms,
        "loss": p.net.loss,
        "delay_min_ms": p.net.delay_min,
        "delay_max_ms": p.net.delay_max,
        "rows": rows,
    });
    if timing {
        doc.as_object_mut()
            .expect("an object")
            .insert("peak_rss_bytes".into(), json!(rss));
    }
    doc
}

fn print_mmve(reports: &[Report], rss: Option<u64>) {
    let p = &reports[0].params;
    println!(
        "mmve: AOI radius {}, speed {} per step, {} ms per step, seed {}; world side 12·R·√(N/1000) unless --world",
        p.aoi, p.speed, p.step_ms, p.seed
    );
    println!("messages per step at the busiest node (sent + received; server: the server):");
    println!(
        "{:>7} {:>5} {:>8} {:>11} {:>11} {:>11} {:>9} {:>9} {:>11} {:>8} {:>8}",
        "N",
        "steps",
        "world",
        "all-to-all",
        "server",
        "server agg",
        "VON max",
        "VON mean",
        "consistency",
        "drift",
        "wall s"
    );
    for r in reports {
        let b = &r.baselines;
        println!(
            "{:>7} {:>5} {:>8.0} {:>11.0} {:>11.0} {:>11.0} {:>9.1} {:>9.1} {:>11.4} {:>8.3} {:>8.1}",
            r.params.nodes,
            r.params.steps,
            r.params.world,
            b.all_to_all.busiest_msgs,
            b.server.busiest_msgs,
            b.server_aggregated.busiest_msgs,
            r.von.busiest_msgs,
            r.von.mean_msgs,
            r.consistency,
            r.mean_drift,
            wall(r).as_secs_f64()
        );
    }
    println!("bytes per step at the busiest node:");
    println!(
        "{:>7} {:>12} {:>12} {:>12} {:>10} {:>10}",
        "N", "all-to-all", "server", "server agg", "VON max", "VON mean"
    );
    for r in reports {
        let b = &r.baselines;
        println!(
            "{:>7} {:>12.0} {:>12.0} {:>12.0} {:>10.0} {:>10.0}",
            r.params.nodes,
            b.all_to_all.busiest_bytes,
            b.server.busiest_bytes,
            b.server_aggregated.busiest_bytes,
            r.von.busiest_bytes,
            r.von.mean_bytes
        );
    }
    if let Some(b) = rss {
        println!("peak memory {:.1} MB", b as f64 / 1e6);
    }
}

/// N against messages per step at the busiest node, log-log.
fn chart(reports: &[Report]) -> Chart {
    let line = |f: fn(&Report) -> f64| -> Vec<(f64, f64)> {
        reports
            .iter()
            .map(|r| (r.params.nodes as f64, f(r)))
            .collect()
    };
    let p = &reports[0].params;
    Chart {
        title: format!(
            "MMVE load: AOI radius {}, speed {}/step, constant density",
            p.aoi, p.speed
        ),
        x_label: "N (moving avatars)".into(),
        y_label: "messages per step at the busiest node (sent + received)".into(),
        series: vec![
            Series {
                label: "all-to-all (every node)".into(),
                color: "#d62728",
                dashed: false,
                points: line(|r| r.baselines.all_to_all.busiest_msgs),
            },
            Series {
                label: "server, one msg per entity".into(),
                color: "#1f77b4",
                dashed: false,
                points: line(|r| r.baselines.server.busiest_msgs),
            },
            Series {
                label: "server, one msg per client".into(),
                color: "#1f77b4",
                dashed: true,
                points: line(|r| r.baselines.server_aggregated.busiest_msgs),
            },
            Series {
                label: "VON busiest peer (measured)".into(),
                color: "#2ca02c",
                dashed: false,
                points: line(|r| r.von.busiest_msgs),
            },
            Series {
                label: "VON mean peer (measured)".into(),
                color: "#2ca02c",
                dashed: true,
                points: line(|r| r.von.mean_msgs),
            },
        ],
    }
}
