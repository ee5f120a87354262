//! `overlay check --strategy swarm`: swarm workers, one per seed, each
//! writing one JSON result for `overlay merge` (see
//! `overlay_models::check::swarm` for the search itself).
//!
//! A result file holds everything `merge` needs, the counterexamples
//! inline as ITF documents, so merging never reruns a worker:
//!
//! ```text
//! { "overlay-swarm": "1", "model", "variant", "params": {k: v}, "seed",
//!   "config": { "depth_bound", "bits_log2", "bits", "hashes", "table_bytes",
//!               "max_states", "timeout", "max_memory" },
//!   "passes", "final_depth_bound",
//!   "states", "revisits", "transitions", "deepest", "stop", "complete": false,
//!   "digest", "command",
//!   "properties": [ { "name", "expected", "verdict": "violated" | "not found",
//!                     "trace_len", "found_at", "trace": ITF | null } ],
//!   "performance": { "seconds", "transitions_per_second", "peak_rss_bytes",
//!                    "engine_bytes" (the bitstate and depth tables) } }
//! ```
//!
//! Everything but `performance` is the same, byte for byte, for the same
//! seed and options when the worker ends by `--max-states` or by running
//! out of states to explore (a `--timeout` or `--max-memory` stop depends
//! on the machine's speed).

use std::path::{Path, PathBuf};

use overlay_models::check::swarm::{self, SwarmOptions, SwarmOutcome};
use overlay_models::check::{Expect, Runner, Verdict};
use overlay_models::trace::Trace;
use serde_json::{json, Map, Value};

use crate::check_cmd::{combine, file_name, mark, Status};
use crate::cli::{CheckArgs, CheckFormat, StrategyArg};
use crate::exit::{Exit, Failure, Outcome};
use crate::input_error;
use crate::model_args::runners;
use crate::progress;

/// Version of the result format, in each file's `overlay-swarm`.
pub const RESULT_FORMAT: &str = "1";

/// `--seeds A..B` (inclusive) or `--seeds A`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seeds {
    pub first: u64,
    pub last: u64,
}

pub fn parse_seeds(s: &str) -> Result<Seeds, String> {
    let num = |t: &str| {
        t.trim()
            .parse::<u64>()
            .map_err(|_| format!("`{t}` is not a seed (a whole number from 0 to 2^64-1)"))
    };
    let (first, last) = match s.split_once("..") {
        Some((a, b)) => (num(a)?, num(b.strip_prefix('=').unwrap_or(b))?),
        None => {
            let a = num(s)?;
            (a, a)
        }
    };
    if first > last {
        return Err(format!("{first}..{last}: the first seed is above the last"));
    }
    Ok(Seeds { first, last })
}

/// The swarm-only flags are refused with the other strategies.
pub fn refuse_swarm_flags(args: &CheckArgs) -> Result<(), Failure> {
    let given = [
        ("--seeds", args.seeds.is_some()),
        ("--out-dir", args.out_dir.is_some()),
        ("--swarm-bits", args.swarm_bits.is_some()),
        ("--swarm-hashes", args.swarm_hashes.is_some()),
    ];
    match given.iter().find(|(_, on)| *on) {
        Some((flag, _)) if args.strategy != StrategyArg::Swarm => Err(input_error(format!(
            "{flag} applies to --strategy swarm only"
        ))),
        _ => Ok(()),
    }
}

pub fn check(args: &CheckArgs) -> Outcome {
    refuse_swarm_flags(args)?;
    if args.threads != 1 {
        return Err(input_error(
            "--strategy swarm: a worker is one thread; run one process per seed instead of --threads",
        ));
    }
    if args.format == CheckFormat::Junit || args.report.is_some() {
        return Err(input_error(
            "--strategy swarm prints --format text or json (merge the results with `overlay merge`), not junit or --report",
        ));
    }
    let timeout = crate::check_cmd::timeout_of(args)?;
    let model = args
        .model_args()
        .ok_or_else(|| input_error("name a model"))?;
    let seeds = args.seeds.unwrap_or(Seeds {
        first: args.seed,
        last: args.seed,
    });
    let out_dir = args
        .out_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("swarm"));
    let mut worst = Exit::Budget;
    for r in runners(&model)? {
        let r = r.as_ref();
        for seed in seeds.first..=seeds.last {
            let opts = SwarmOptions {
                seed,
                max_depth: args.max_depth,
                bits_log2: args.swarm_bits.unwrap_or(swarm::DEFAULT_BITS_LOG2),
                hashes: args.swarm_hashes,
                max_states: args.max_states,
                timeout,
                max_memory: args
                    .max_memory
                    .map(|mb| (mb as usize).saturating_mul(1 << 20)),
                symmetry: args.symmetry,
            };
            let label = format!("{} {} seed {seed}", r.model_name(), r.variant_name());
            let line = progress::Line::new(&label);
            let out = r
                .swarm(&opts, &mut |p| line.update(p))
                .map_err(|e| input_error(format!("--strategy swarm: {e}")))?;
            line.finish();
            let exit = exit_code(&out);
            let result = result_json(r, &opts, &out);
            let path = out_dir.join(result_name(r, seed, opts.symmetry));
            write(&path, &pretty(&result))?;
            let traces = match (&args.trace_dir, args.no_traces) {
                (Some(dir), false) => write_traces(dir, r, &out)?,
                _ => vec![None; out.properties.len()],
            };
            match args.format {
                CheckFormat::Json => {
                    println!("{}", summary_json(&result, &path, &traces, exit))
                }
                _ => print_text(r, &out, &path, &traces, exit),
            }
            worst = combine(worst, exit);
            // Seeds go on up to u64::MAX without overflowing.
            if seed == u64::MAX {
                break;
            }
        }
    }
    Ok(worst)
}

/// 1 when a property expected to hold was violated, else 3: a swarm never
/// finishes, so a property it did not violate is unknown.
pub fn exit_code<P>(out: &SwarmOutcome<P>) -> Exit {
    out.properties.iter().fold(Exit::Budget, |code, p| {
        match Status::of(p.info.expect, p.verdict()) {
            Status::Surprise => Exit::Surprise,
            _ => code,
        }
    })
}

/// `chord_original_nodes3_succ-list2_seed7.json`, with `_symmetry` before
/// `.json` for a reduced worker (so that it does not overwrite the plain
/// worker of the same seed: they search differently).
pub fn result_name(r: &dyn Runner, seed: u64, symmetry: bool) -> String {
    let params: Vec<String> = r.params().iter().map(|(k, v)| format!("{k}{v}")).collect();
    format!(
        "{}_{}_{}_seed{seed}{}.json",
        r.model_name(),
        r.variant_name(),
        params.join("_"),
        if symmetry { "_symmetry" } else { "" }
    )
}

/// `violated`, or `not found`: what a worker's table says of a property.
pub fn verdict_text(v: Verdict) -> &'static str {
    match v {
        Verdict::Violated => "violated",
        _ => "not found",
    }
}

fn params_json(r: &dyn Runner) -> Value {
    let params: Map<String, Value> = r
        .params()
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    Value::Object(params)
}

fn model_line(r: &dyn Runner) -> String {
    let params: Vec<String> = r.params().iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!(
        "{} --variant {}{}",
        r.model_name(),
        r.variant_name(),
        params
            .iter()
            .map(|p| format!(" -p {p}"))
            .collect::<String>()
    )
}

/// The worker's result document.
fn result_json(r: &dyn Runner, opts: &SwarmOptions, out: &SwarmOutcome<Trace>) -> Value {
    let c = &out.config;
    let props: Vec<Value> = out
        .properties
        .iter()
        .map(|p| {
            json!({
                "name": p.info.name,
                "expected": p.info.expect.to_string(),
                "verdict": verdict_text(p.verdict()),
                "trace_len": p.path.as_ref().map(Trace::len_events),
                "found_at": p.found_at,
                "trace": p.path.as_ref().map(Trace::to_json),
            })
        })
        .collect();
    let secs = out.elapsed.as_secs_f64();
    json!({
        "overlay-swarm": RESULT_FORMAT,
        "model": r.model_name(),
        "variant": r.variant_name(),
        "params": params_json(r),
        "seed": c.seed,
        "config": {
            "depth_bound": c.depth_bound,
            "bits_log2": c.bits_log2,
            "bits": 1u64 << c.bits_log2,
            "hashes": c.hashes,
            "table_bytes": c.table_bytes(),
            "max_states": opts.max_states,
            "timeout": opts.timeout.map(|t| t.as_secs_f64()),
            "max_memory": opts.max_memory,
        },
        "passes": out.passes,
        "final_depth_bound": out.final_depth_bound,
        "states": out.states,
        "revisits": out.revisits,
        "transitions": out.transitions,
        "deepest": out.deepest,
        "stop": out.stop.as_str(),
        "complete": false,
        "digest": format!("{:016x}", out.digest),
        "command": swarm::command(&model_line(r), opts, out.transitions),
        "properties": props,
        "performance": {
            "seconds": (secs * 1000.0).round() / 1000.0,
            "transitions_per_second": (out.transitions as f64 / secs.max(1e-9)).round(),
            "peak_rss_bytes": overlay_models::check::engine::peak_resident_bytes(),
            "engine_bytes": c.table_bytes(),
        },
    })
}

pub fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("JSON values serialize");
    s.push('\n');
    s
}

pub fn write(path: &Path, text: &str) -> Result<(), Failure> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| input_error(format!("cannot create folder {}: {e}", dir.display())))?;
    }
    std::fs::write(path, text)
        .map_err(|e| input_error(format!("cannot write {}: {e}", path.display())))
}

/// With --trace-dir: each counterexample as
/// `<variant>_<params>_<property>_seed<N>.itf.json`.
fn write_traces(
    dir: &Path,
    r: &dyn Runner,
    out: &SwarmOutcome<Trace>,
) -> Result<Vec<Option<PathBuf>>, Failure> {
    let mut files = Vec::new();
    for p in &out.properties {
        let Some(t) = &p.path else {
            files.push(None);
            continue;
        };
        let name = file_name(r, p.info.name);
        let stem = name.strip_suffix(".itf.json").unwrap_or(&name);
        let path = dir.join(format!("{stem}_seed{}.itf.json", out.config.seed));
        write(&path, &t.to_string_pretty())?;
        files.push(Some(path));
    }
    Ok(files)
}

fn summary_json(result: &Value, path: &Path, traces: &[Option<PathBuf>], exit: Exit) -> Value {
    let mut doc = result.clone();
    if let Some(props) = doc["properties"].as_array_mut() {
        for (p, file) in props.iter_mut().zip(traces) {
            p["trace"] = json!(file.as_ref().map(|f| f.display().to_string()));
        }
    }
    doc["result"] = json!(path.display().to_string());
    doc["as_expected"] = json!(exit != Exit::Surprise);
    doc
}

fn print_text(
    r: &dyn Runner,
    out: &SwarmOutcome<Trace>,
    path: &Path,
    traces: &[Option<PathBuf>],
    exit: Exit,
) {
    let c = &out.config;
    let params: Vec<String> = r.params().iter().map(|(k, v)| format!("{k}={v}")).collect();
    println!(
        "{} {} ({}) swarm seed {}: depth bound {}, 2^{} bits, {} hashes",
        r.model_name(),
        r.variant_name(),
        params.join(" "),
        c.seed,
        c.depth_bound,
        c.bits_log2,
        c.hashes
    );
    if out.passes > 1 {
        println!(
            "  {} passes, the last with depth bound {}",
            out.passes, out.final_depth_bound
        );
    }
    println!(
        "  {} states ({} again at a smaller depth), {} transitions, deepest {}, stopped: {}, {:.1}s",
        out.states,
        out.revisits,
        out.transitions,
        out.deepest,
        out.stop.as_str(),
        out.elapsed.as_secs_f64()
    );
    let width = out
        .properties
        .iter()
        .map(|p| p.info.name.len())
        .max()
        .unwrap_or(8);
    println!(
        "  {:width$}  {:8}  {:9}  {:8}  trace",
        "property", "expected", "verdict", ""
    );
    for (p, file) in out.properties.iter().zip(traces) {
        let trace = crate::check_cmd::trace_column(p.path.as_ref(), file.as_deref());
        println!(
            "  {:width$}  {:8}  {:9}  {:8}  {}",
            p.info.name,
            p.info.expect.to_string(),
            verdict_text(p.verdict()),
            mark(Status::of(p.info.expect, p.verdict())),
            trace
        );
    }
    println!("  result: {}", path.display());
    let surprises = out
        .properties
        .iter()
        .filter(|p| p.info.expect == Expect::Holds && p.path.is_some())
        .count();
    if exit == Exit::Surprise {
        println!("  SURPRISE: {surprises} property(ies) expected to hold violated");
    } else {
        println!("  every violation found was expected (a swarm is never complete)");
    }
}
