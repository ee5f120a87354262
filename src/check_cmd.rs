//! `overlay check`: verdicts against expectations, traces for
//! counterexamples.

use std::path::{Path, PathBuf};
use std::time::Duration;

use overlay_models::check::{CheckOptions, CheckOutcome, Expect, Runner, Strategy, Verdict};
use overlay_models::trace::Trace;
use serde_json::{json, Value};

use crate::cli::{CheckArgs, Format, StrategyArg};
use crate::exit::{Exit, Failure, Outcome};
use crate::input_error;
use crate::model_args::runners;
use crate::progress;

pub fn check(args: &CheckArgs) -> Outcome {
    let opts = options(args)?;
    let mut worst = Exit::Ok;
    for runner in runners(&args.model)? {
        let line = progress::Line::new(&format!(
            "{} {}",
            runner.model_name(),
            runner.variant_name()
        ));
        let out = runner.check(&opts, &mut |p| line.update(p));
        line.finish();
        eprintln!(
            "{} {}: checked in {:.1}s",
            runner.model_name(),
            runner.variant_name(),
            out.elapsed.as_secs_f64()
        );
        let paths = write_traces(args, runner.as_ref(), &out)?;
        match args.format {
            Format::Text => print_text(runner.as_ref(), &out, &paths),
            Format::Json => println!("{}", to_json(runner.as_ref(), &out, &paths)),
        }
        worst = combine(worst, exit_code(&out));
    }
    Ok(worst)
}

fn options(args: &CheckArgs) -> Result<CheckOptions, Failure> {
    if args.threads == 0 {
        return Err(input_error("--threads must be at least 1"));
    }
    if args.symmetry && args.strategy != StrategyArg::Bfs {
        return Err(input_error(
            "--symmetry works with --strategy bfs only (its counterexamples come from an exact unreduced search)",
        ));
    }
    if args.strategy == StrategyArg::Sim
        && args.max_states.is_none()
        && args.timeout.is_none()
        && args.max_depth.is_none()
    {
        return Err(input_error(
            "--strategy sim walks forever: give it a budget (--timeout, --max-states or --max-depth)",
        ));
    }
    let timeout = match args.timeout {
        Some(t) if !(t.is_finite() && t > 0.0) => {
            return Err(input_error(format!(
                "--timeout {t}: expected a positive number of seconds"
            )))
        }
        Some(t) => Some(Duration::from_secs_f64(t)),
        None => None,
    };
    Ok(CheckOptions {
        strategy: match args.strategy {
            StrategyArg::Bfs => Strategy::Bfs,
            StrategyArg::Dfs => Strategy::Dfs,
            StrategyArg::Sim => Strategy::Sim { seed: args.seed },
        },
        threads: args.threads,
        max_states: args.max_states,
        max_depth: args.max_depth,
        timeout,
        symmetry: args.symmetry,
    })
}

/// A surprise outweighs an unfinished check, which outweighs success.
fn combine(a: Exit, b: Exit) -> Exit {
    match (a, b) {
        (Exit::Surprise, _) | (_, Exit::Surprise) => Exit::Surprise,
        (Exit::Budget, _) | (_, Exit::Budget) => Exit::Budget,
        _ => Exit::Ok,
    }
}

/// 1 for a surprise, 3 for an unfinished check, else 0.
fn exit_code(out: &CheckOutcome<Trace>) -> Exit {
    out.properties.iter().fold(Exit::Ok, |code, p| {
        let c = match (p.info.expect, p.verdict) {
            (Expect::Holds, Verdict::Violated) | (Expect::Violated, Verdict::Holds) => {
                Exit::Surprise
            }
            (_, Verdict::Unknown) => Exit::Budget,
            _ => Exit::Ok,
        };
        combine(code, c)
    })
}

/// `original_nodes4_succ-list2_OrderedMerges.itf.json`
fn file_name(r: &dyn Runner, property: &str) -> String {
    let params: Vec<String> = r.params().iter().map(|(k, v)| format!("{k}{v}")).collect();
    format!(
        "{}_{}_{}.itf.json",
        r.variant_name(),
        params.join("_"),
        property
    )
}

fn write_traces(
    args: &CheckArgs,
    r: &dyn Runner,
    out: &CheckOutcome<Trace>,
) -> Result<Vec<Option<PathBuf>>, Failure> {
    let dir = args
        .trace_dir
        .clone()
        .unwrap_or_else(|| Path::new("traces").join(r.model_name()));
    let mut paths = Vec::new();
    for p in &out.properties {
        let Some(trace) = p.path.as_ref().filter(|_| !args.no_traces) else {
            paths.push(None);
            continue;
        };
        std::fs::create_dir_all(&dir).map_err(|e| {
            input_error(format!("cannot create trace folder {}: {e}", dir.display()))
        })?;
        let path = dir.join(file_name(r, p.info.name));
        std::fs::write(&path, trace.to_string_pretty())
            .map_err(|e| input_error(format!("cannot write {}: {e}", path.display())))?;
        paths.push(Some(path));
    }
    Ok(paths)
}

fn mark(p_expect: Expect, verdict: Verdict) -> &'static str {
    match (p_expect, verdict) {
        (_, Verdict::Unknown) => "?",
        (Expect::Holds, Verdict::Holds) | (Expect::Violated, Verdict::Violated) => "ok",
        _ => "SURPRISE",
    }
}

fn print_text(r: &dyn Runner, out: &CheckOutcome<Trace>, paths: &[Option<PathBuf>]) {
    let params: Vec<String> = r.params().iter().map(|(k, v)| format!("{k}={v}")).collect();
    println!(
        "{} {} ({})",
        r.model_name(),
        r.variant_name(),
        params.join(" ")
    );
    println!(
        "  {} unique states, {} transitions, depth {}, {}",
        out.unique_states,
        out.states,
        out.max_depth,
        if out.complete {
            "complete"
        } else {
            "INCOMPLETE (budget ran out)"
        }
    );
    let width = out
        .properties
        .iter()
        .map(|p| p.info.name.len())
        .max()
        .unwrap_or(8);
    println!(
        "  {:width$}  {:8}  {:8}  {:8}  trace",
        "property", "expected", "verdict", ""
    );
    for (p, path) in out.properties.iter().zip(paths) {
        let trace = match (&p.path, path) {
            (Some(t), Some(f)) => format!("{} events  {}", t.len_events(), f.display()),
            (Some(t), None) => format!("{} events", t.len_events()),
            _ => String::new(),
        };
        println!(
            "  {:width$}  {:8}  {:8}  {:8}  {}",
            p.info.name,
            p.info.expect.to_string(),
            p.verdict.as_str(),
            mark(p.info.expect, p.verdict),
            trace
        );
    }
    let verdict = match exit_code(out) {
        Exit::Ok => "every verdict as expected",
        Exit::Budget => "budget ran out before every verdict was known",
        _ => "SURPRISE: some verdict differs from its expectation",
    };
    println!("  {verdict}");
}

fn to_json(r: &dyn Runner, out: &CheckOutcome<Trace>, paths: &[Option<PathBuf>]) -> Value {
    let params: serde_json::Map<String, Value> = r
        .params()
        .into_iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    let props: Vec<Value> = out
        .properties
        .iter()
        .zip(paths)
        .map(|(p, path)| {
            json!({
                "name": p.info.name,
                "expected": p.info.expect.to_string(),
                "verdict": p.verdict.as_str(),
                "trace": path.as_ref().map(|f| f.display().to_string()),
                "trace_len": p.path.as_ref().map(|t| t.len_events()),
            })
        })
        .collect();
    json!({
        "model": r.model_name(),
        "variant": r.variant_name(),
        "params": params,
        "unique_states": out.unique_states,
        "transitions": out.states,
        "max_depth": out.max_depth,
        "complete": out.complete,
        "shortest_traces": out.shortest,
        "as_expected": exit_code(out) == Exit::Ok,
        "properties": props,
    })
}
