//! `overlay check`: verdicts against expectations, traces for
//! counterexamples; `--all` runs every model's CI profile. The HTML report
//! and JUnit output live in [`crate::report`] and [`crate::junit`]; both
//! read the [`CheckedRun`]s collected here.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use overlay_models::check::liveness::{LivenessOptions, LivenessReport};
use overlay_models::check::{
    CheckOptions, CheckOutcome, Expect, Params, Runner, Strategy, Verdict,
};
use overlay_models::registry::{self, Profile};
use overlay_models::trace::Trace;
use serde_json::{json, Value};

use crate::cli::{CheckArgs, CheckFormat, StrategyArg};
use crate::exit::{Exit, Failure, Outcome};
use crate::input_error;
use crate::model_args::runners;
use crate::progress;

/// One model checked at one scope, with what the report and JUnit need.
pub struct CheckedRun {
    pub model: &'static str,
    pub variant: &'static str,
    pub params: Vec<(&'static str, String)>,
    /// Why the scope is checked, for CI profiles (`--all`).
    pub about: Option<&'static str>,
    /// The command line that repeats this run.
    pub command: String,
    /// The depth bound, when there was one.
    pub max_depth: Option<usize>,
    /// Expectations as this scope has them (negative controls overridden).
    pub outcome: CheckOutcome<Trace>,
    /// Per property, in order: the trace file written, if any.
    pub traces: Vec<Option<PathBuf>>,
    /// Bytes of the engine's visited-state tables at the end of the main
    /// search, when the strategy reports them (`bfs-compact`).
    pub engine_bytes: Option<usize>,
}

impl CheckedRun {
    /// `chord correct (nodes=4 succ-list=2 ring=2)`: unique within a run
    /// of `check`, since no two scopes share model, variant and parameters.
    pub fn title(&self) -> String {
        format!("{} {} ({})", self.model, self.variant, self.params_text())
    }

    /// `nodes=4 succ-list=2`
    pub fn params_text(&self) -> String {
        let params: Vec<String> = self
            .params
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        params.join(" ")
    }

    pub fn exit(&self) -> Exit {
        exit_code(&self.outcome)
    }
}

/// How a verdict compares with its expectation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// As expected.
    Ok,
    /// A claimed property is violated, or an expected violation is missing.
    Surprise,
    /// The budget ran out before the verdict was known.
    Unknown,
}

impl Status {
    pub fn of(expect: Expect, verdict: Verdict) -> Status {
        match (expect, verdict) {
            (_, Verdict::Unknown) => Status::Unknown,
            (Expect::Holds, Verdict::Holds) | (Expect::Violated, Verdict::Violated) => Status::Ok,
            _ => Status::Surprise,
        }
    }
}

/// A check still to run.
struct Job {
    runner: Box<dyn Runner>,
    opts: CheckOptions,
    trace_dir: PathBuf,
    expect_violated: &'static [&'static str],
    about: Option<&'static str>,
}

pub fn check(args: &CheckArgs) -> Outcome {
    if args.liveness {
        return liveness(args);
    }
    if args.strategy == StrategyArg::Swarm {
        return crate::swarm_cmd::check(args);
    }
    let opts = options(args)?;
    // Every model is built before the first check runs, so that a bad
    // flag or profile fails at once rather than after minutes of checking.
    let jobs = if args.all {
        ci_jobs(args, &opts)?
    } else {
        model_jobs(args, &opts)?
    };
    let start = Instant::now();
    let mut worst = Exit::Ok;
    let mut runs = Vec::new();
    for job in jobs {
        let run = run_job(args, job)?;
        match args.format {
            CheckFormat::Text => print_text(&run),
            CheckFormat::Json if args.performance => {
                let mut doc = to_json(&run);
                doc["performance"] = crate::bench_cmd::performance(&run);
                println!("{doc}");
            }
            CheckFormat::Json => println!("{}", to_json(&run)),
            CheckFormat::Junit => {}
        }
        worst = combine(worst, run.exit());
        runs.push(run);
    }
    let elapsed = start.elapsed();
    if args.format == CheckFormat::Junit {
        print!("{}", crate::junit::render(&runs, elapsed));
    }
    if let Some(path) = &args.report {
        crate::report::write(path, &runs, elapsed)?;
    }
    Ok(worst)
}

/// The variants (and parameters) the flags name.
fn model_jobs(args: &CheckArgs, opts: &CheckOptions) -> Result<Vec<Job>, Failure> {
    let model = args
        .model_args()
        .ok_or_else(|| input_error("name a model, or give --all"))?;
    Ok(runners(&model)?
        .into_iter()
        .map(|runner| Job {
            trace_dir: args
                .trace_dir
                .clone()
                .unwrap_or_else(|| Path::new("traces").join(runner.model_name())),
            runner,
            opts: opts.clone(),
            expect_violated: &[],
            about: None,
        })
        .collect())
}

/// Every model's CI profile, in registry order.
fn ci_jobs(args: &CheckArgs, opts: &CheckOptions) -> Result<Vec<Job>, Failure> {
    let mut jobs = Vec::new();
    for entry in registry::models() {
        for profile in entry.ci {
            let runner = profile_runner(entry.name, entry.build, profile)?;
            let dir = match &args.trace_dir {
                // Trace names carry no model name: one folder per model.
                Some(d) => d.join(entry.name),
                None => Path::new("traces").join(entry.name),
            };
            jobs.push(Job {
                runner,
                opts: CheckOptions {
                    max_depth: profile.max_depth,
                    ..opts.clone()
                },
                trace_dir: dir,
                expect_violated: profile.expect_violated,
                about: Some(profile.about),
            });
        }
    }
    Ok(jobs)
}

/// Builds a profile's model; a profile naming what does not exist is a
/// registry bug, reported like any bad input.
fn profile_runner(
    model: &str,
    build: registry::Build,
    profile: &Profile,
) -> Result<Box<dyn Runner>, Failure> {
    let params: Params = profile
        .params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let runner = build(profile.variant, &params)
        .map_err(|e| input_error(format!("CI profile of {model} {}: {e}", profile.variant)))?;
    let names: Vec<&str> = runner.properties().iter().map(|p| p.name).collect();
    if let Some(bad) = profile.expect_violated.iter().find(|n| !names.contains(n)) {
        return Err(input_error(format!(
            "CI profile of {model} {}: no property `{bad}` (properties: {})",
            profile.variant,
            names.join(", ")
        )));
    }
    Ok(runner)
}

fn run_job(args: &CheckArgs, job: Job) -> Result<CheckedRun, Failure> {
    let r = job.runner.as_ref();
    let line = progress::Line::new(&format!("{} {}", r.model_name(), r.variant_name()));
    // (unique states, table bytes) of the samples that report tables.
    let mut tables = Vec::new();
    let mut out = r.check(&job.opts, &mut |p| {
        line.update(p);
        if p.table_bytes > 0 {
            tables.push((p.unique_states, p.table_bytes));
        }
    });
    line.finish();
    let engine_bytes = crate::bench_cmd::main_search_tables(&tables, out.unique_states);
    eprintln!(
        "{} {}: checked in {:.1}s",
        r.model_name(),
        r.variant_name(),
        out.elapsed.as_secs_f64()
    );
    for p in &mut out.properties {
        if job.expect_violated.contains(&p.info.name) {
            p.info.expect = Expect::Violated;
        }
    }
    let traces = write_traces(args.no_traces, &job.trace_dir, r, &out)?;
    Ok(CheckedRun {
        model: r.model_name(),
        variant: r.variant_name(),
        params: r.params(),
        about: job.about,
        command: command(r, &job.opts),
        max_depth: job.opts.max_depth,
        outcome: out,
        traces,
        engine_bytes,
    })
}

/// The command line that repeats a run (threads and timeouts left out:
/// they change no verdict of a run that finishes).
fn command(r: &dyn Runner, opts: &CheckOptions) -> String {
    let mut cmd = format!(
        "overlay check {} --variant {}",
        r.model_name(),
        r.variant_name()
    );
    for (k, v) in r.params() {
        cmd.push_str(&format!(" -p {k}={v}"));
    }
    if let Some(d) = opts.max_depth {
        cmd.push_str(&format!(" --max-depth {d}"));
    }
    if let Some(n) = opts.max_states {
        cmd.push_str(&format!(" --max-states {n}"));
    }
    match opts.strategy {
        // The two give the same counts and counterexamples: the default
        // (bfs-compact) repeats either.
        Strategy::BfsCompact | Strategy::Bfs => {}
        Strategy::Dfs => cmd.push_str(" --strategy dfs"),
        Strategy::Sim { seed } => cmd.push_str(&format!(" --strategy sim --seed {seed}")),
    }
    if opts.symmetry {
        cmd.push_str(" --symmetry");
    }
    cmd
}

fn options(args: &CheckArgs) -> Result<CheckOptions, Failure> {
    if args.performance && args.format != CheckFormat::Json {
        return Err(input_error(
            "--performance adds a member to --format json output",
        ));
    }
    if args.threads == 0 {
        return Err(input_error("--threads must be at least 1"));
    }
    crate::swarm_cmd::refuse_swarm_flags(args)?;
    if args.strategy == StrategyArg::Sim
        && args.max_states.is_none()
        && args.timeout.is_none()
        && args.max_depth.is_none()
    {
        return Err(input_error(
            "--strategy sim walks forever: give it a budget (--timeout, --max-states or --max-depth)",
        ));
    }
    let timeout = timeout_of(args)?;
    Ok(CheckOptions {
        strategy: match args.strategy {
            StrategyArg::Bfs => Strategy::Bfs,
            StrategyArg::BfsCompact => Strategy::BfsCompact,
            StrategyArg::Dfs => Strategy::Dfs,
            StrategyArg::Sim => Strategy::Sim { seed: args.seed },
            StrategyArg::Swarm => {
                return Err(input_error(
                    "--strategy swarm runs on its own (not with --liveness or --all)",
                ))
            }
        },
        threads: args.threads,
        max_states: args.max_states,
        max_depth: args.max_depth,
        timeout,
        max_memory: args
            .max_memory
            .map(|mb| (mb as usize).saturating_mul(1 << 20)),
        symmetry: args.symmetry,
    })
}

/// A surprise outweighs an unfinished check, which outweighs success.
pub(crate) fn combine(a: Exit, b: Exit) -> Exit {
    match (a, b) {
        (Exit::Surprise, _) | (_, Exit::Surprise) => Exit::Surprise,
        (Exit::Budget, _) | (_, Exit::Budget) => Exit::Budget,
        _ => Exit::Ok,
    }
}

/// 1 for a surprise, 3 for an unfinished check, else 0.
fn exit_code(out: &CheckOutcome<Trace>) -> Exit {
    out.properties.iter().fold(Exit::Ok, |code, p| {
        let c = match Status::of(p.info.expect, p.verdict) {
            Status::Surprise => Exit::Surprise,
            Status::Unknown => Exit::Budget,
            Status::Ok => Exit::Ok,
        };
        combine(code, c)
    })
}

/// `original_nodes4_succ-list2_OrderedMerges.itf.json`
pub(crate) fn file_name(r: &dyn Runner, property: &str) -> String {
    let params: Vec<String> = r.params().iter().map(|(k, v)| format!("{k}{v}")).collect();
    format!(
        "{}_{}_{}.itf.json",
        r.variant_name(),
        params.join("_"),
        property
    )
}

fn write_traces(
    no_traces: bool,
    dir: &Path,
    r: &dyn Runner,
    out: &CheckOutcome<Trace>,
) -> Result<Vec<Option<PathBuf>>, Failure> {
    let mut paths = Vec::new();
    for p in &out.properties {
        let Some(trace) = p.path.as_ref().filter(|_| !no_traces) else {
            paths.push(None);
            continue;
        };
        std::fs::create_dir_all(dir).map_err(|e| {
            input_error(format!("cannot create trace folder {}: {e}", dir.display()))
        })?;
        let path = dir.join(file_name(r, p.info.name));
        std::fs::write(&path, trace.to_string_pretty())
            .map_err(|e| input_error(format!("cannot write {}: {e}", path.display())))?;
        paths.push(Some(path));
    }
    Ok(paths)
}

pub(crate) fn mark(status: Status) -> &'static str {
    match status {
        Status::Unknown => "?",
        Status::Ok => "ok",
        Status::Surprise => "SURPRISE",
    }
}

fn print_text(run: &CheckedRun) {
    let out = &run.outcome;
    println!("{}", run.title());
    if let Some(about) = run.about {
        println!("  CI profile: {about}");
    }
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
    for (p, path) in out.properties.iter().zip(&run.traces) {
        let trace = trace_column(p.path.as_ref(), path.as_deref());
        println!(
            "  {:width$}  {:8}  {:8}  {:8}  {}",
            p.info.name,
            p.info.expect.to_string(),
            p.verdict.as_str(),
            mark(Status::of(p.info.expect, p.verdict)),
            trace
        );
    }
    let verdict = match run.exit() {
        Exit::Ok => "every verdict as expected",
        Exit::Budget => "budget ran out before every verdict was known",
        _ => "SURPRISE: some verdict differs from its expectation",
    };
    println!("  {verdict}");
}

fn to_json(run: &CheckedRun) -> Value {
    let out = &run.outcome;
    let params: serde_json::Map<String, Value> = run
        .params
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    let props: Vec<Value> = out
        .properties
        .iter()
        .zip(&run.traces)
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
    let mut doc = json!({
        "model": run.model,
        "variant": run.variant,
        "params": params,
        "unique_states": out.unique_states,
        "transitions": out.states,
        "max_depth": out.max_depth,
        "complete": out.complete,
        "shortest_traces": out.shortest,
        "as_expected": run.exit() == Exit::Ok,
        "properties": props,
    });
    if let Some(about) = run.about {
        doc["profile"] = json!(about);
    }
    doc
}

// ------------------------------------------------------------ --liveness

/// `check --liveness`: the model's liveness properties under fairness
/// (`overlay_models::check::liveness`) instead of its safety properties,
/// one table per variant; lassos are written as ITF traces with their
/// `loop` index. A separate mode rather than rows of the main table: it
/// explores the graph again, keeping its edges (about 6 s more on top of
/// the 10 s of `check chord`), and would change its pinned output.
fn liveness(args: &CheckArgs) -> Outcome {
    if args.format == CheckFormat::Junit {
        return Err(input_error(
            "--liveness prints --format text or json, not junit",
        ));
    }
    let check_opts = options(args)?;
    let opts = LivenessOptions {
        max_states: args.max_states,
        timeout: check_opts.timeout,
        max_memory: check_opts.max_memory,
    };
    let mut worst = Exit::Ok;
    for job in model_jobs(args, &check_opts)? {
        let r = job.runner.as_ref();
        let out = r.check_liveness(&opts);
        eprintln!(
            "{} {}: liveness checked in {:.1}s",
            r.model_name(),
            r.variant_name(),
            out.elapsed.as_secs_f64()
        );
        let mut files = Vec::new();
        for p in &out.properties {
            let write = |trace: &Option<Trace>, name: String| -> Result<_, Failure> {
                match trace.as_ref().filter(|_| !args.no_traces) {
                    Some(t) => write_trace(&job.trace_dir, &file_name(r, &name), t).map(Some),
                    None => Ok(None),
                }
            };
            let lasso = write(&p.lasso, p.info.name.to_string())?;
            let livelock = write(&p.livelock, format!("{}-livelock", p.info.name))?;
            files.push((lasso, livelock));
        }
        let exit = out.properties.iter().fold(Exit::Ok, |code, p| {
            combine(
                code,
                match Status::of(p.info.expect, p.verdict) {
                    Status::Surprise => Exit::Surprise,
                    Status::Unknown => Exit::Budget,
                    Status::Ok => Exit::Ok,
                },
            )
        });
        match args.format {
            CheckFormat::Json => println!("{}", liveness_json(r, &out, &files, exit)),
            _ => print_liveness(r, &out, &files, exit),
        }
        worst = combine(worst, exit);
    }
    Ok(worst)
}

fn write_trace(dir: &Path, name: &str, trace: &Trace) -> Result<PathBuf, Failure> {
    std::fs::create_dir_all(dir)
        .map_err(|e| input_error(format!("cannot create trace folder {}: {e}", dir.display())))?;
    let path = dir.join(name);
    std::fs::write(&path, trace.to_string_pretty())
        .map_err(|e| input_error(format!("cannot write {}: {e}", path.display())))?;
    Ok(path)
}

/// Trace files of one property: the lasso, and the livelock.
type LassoFiles = (Option<PathBuf>, Option<PathBuf>);

/// `7 + 0 events (stuck)`: prefix and loop lengths of a lasso trace.
fn lasso_text(t: &Trace, file: &Option<PathBuf>) -> String {
    let (prefix, looped) = lasso_lengths(t);
    let stuck = if looped == 0 { " (stuck)" } else { "" };
    let file = file
        .as_ref()
        .map(|f| format!("  {}", f.display()))
        .unwrap_or_default();
    format!("{prefix} + {looped} events{stuck}{file}")
}

/// Events before the loop, and in it (the closing event included).
fn lasso_lengths(t: &Trace) -> (usize, usize) {
    let start: usize = t
        .meta("loop")
        .and_then(|k| k.parse().ok())
        .unwrap_or(t.len_events());
    let closing = usize::from(t.meta("loop-action").is_some());
    (start, t.len_events() - start + closing)
}

fn print_liveness(r: &dyn Runner, out: &LivenessReport<Trace>, files: &[LassoFiles], exit: Exit) {
    let params: Vec<String> = r.params().iter().map(|(k, v)| format!("{k}={v}")).collect();
    println!(
        "{} {} ({}): liveness under fairness",
        r.model_name(),
        r.variant_name(),
        params.join(" ")
    );
    println!(
        "  {} unique states, {} transitions, depth {}, {}",
        out.unique_states,
        out.transitions,
        out.max_depth,
        if out.complete {
            "complete"
        } else {
            "INCOMPLETE (budget ran out)"
        }
    );
    if out.properties.is_empty() {
        println!("  the model has no liveness properties");
    }
    let width = out
        .properties
        .iter()
        .map(|p| p.info.name.len())
        .max()
        .unwrap_or(8);
    if !out.properties.is_empty() {
        println!(
            "  {:width$}  {:8}  {:8}  {:8}  lasso (prefix + loop)",
            "property", "expected", "verdict", ""
        );
    }
    for (p, (lasso, livelock)) in out.properties.iter().zip(files) {
        println!(
            "  {:width$}  {:8}  {:8}  {:8}  {}",
            p.info.name,
            p.info.expect.to_string(),
            p.verdict.as_str(),
            mark(Status::of(p.info.expect, p.verdict)),
            p.lasso
                .as_ref()
                .map(|t| lasso_text(t, lasso))
                .unwrap_or_default()
        );
        if let Some(t) = &p.livelock {
            println!(
                "  {:width$}  {:28}  livelock: {}",
                "",
                "",
                lasso_text(t, livelock)
            );
        }
        let s = &p.stats;
        println!("    {}", p.info.about);
        println!(
            "    {} fairness families; {} states not the goal: {} SCCs with a cycle, {} fair regions, {} stuck states; a fair run avoids the goal forever from {} states",
            s.families, s.considered, s.cycles, s.fair_cycles, s.stuck, s.doomed
        );
    }
    let verdict = match exit {
        Exit::Ok => "every verdict as expected",
        Exit::Budget => "budget ran out before every verdict was known",
        _ => "SURPRISE: some verdict differs from its expectation",
    };
    println!("  {verdict}");
}

fn liveness_json(
    r: &dyn Runner,
    out: &LivenessReport<Trace>,
    files: &[LassoFiles],
    exit: Exit,
) -> Value {
    let params: serde_json::Map<String, Value> = r
        .params()
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    let lasso = |t: &Option<Trace>, f: &Option<PathBuf>| {
        t.as_ref().map(|t| {
            let (prefix, looped) = lasso_lengths(t);
            json!({
                "trace": f.as_ref().map(|f| f.display().to_string()),
                "prefix_len": prefix,
                "loop_len": looped,
            })
        })
    };
    let props: Vec<Value> = out
        .properties
        .iter()
        .zip(files)
        .map(|(p, (lasso_file, livelock_file))| {
            let s = &p.stats;
            json!({
                "name": p.info.name,
                "expected": p.info.expect.to_string(),
                "verdict": p.verdict.as_str(),
                "lasso": lasso(&p.lasso, lasso_file),
                "livelock": lasso(&p.livelock, livelock_file),
                "families": s.families,
                "states_not_goal": s.considered,
                "cyclic_sccs": s.cycles,
                "fair_regions": s.fair_cycles,
                "stuck_states": s.stuck,
                "doomed_states": s.doomed,
            })
        })
        .collect();
    json!({
        "model": r.model_name(),
        "variant": r.variant_name(),
        "params": params,
        "unique_states": out.unique_states,
        "transitions": out.transitions,
        "max_depth": out.max_depth,
        "complete": out.complete,
        "as_expected": exit == Exit::Ok,
        "liveness": props,
    })
}

/// `--timeout SECONDS` as a duration: a positive, finite number.
pub(crate) fn timeout_of(args: &CheckArgs) -> Result<Option<Duration>, Failure> {
    match args.timeout {
        Some(t) if !(t.is_finite() && t > 0.0) => Err(input_error(format!(
            "--timeout {t}: expected a positive number of seconds"
        ))),
        Some(t) => Ok(Some(Duration::from_secs_f64(t))),
        None => Ok(None),
    }
}

/// The last column of a property table: the counterexample's length and
/// file, when there is one.
pub(crate) fn trace_column(trace: Option<&Trace>, file: Option<&std::path::Path>) -> String {
    match (trace, file) {
        (Some(t), Some(f)) => format!("{} events  {}", t.len_events(), f.display()),
        (Some(t), None) => format!("{} events", t.len_events()),
        _ => String::new(),
    }
}
