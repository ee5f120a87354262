//! `overlay bench`: fixed scopes of every model (the `bench` lists of
//! `overlay_models::registry`) checked with every strategy of
//! [`STRATEGIES`], each run in a child process so that its peak memory is
//! its own; one table (or one JSON document) of states, time, states/s,
//! bytes per state, peak memory and counterexample lengths.
//!
//! A run is `overlay check … --format json --no-traces --performance`,
//! re-executed from [`std::env::current_exe`]. Its time is the child's
//! wall time (start to exit: model building, check and output included);
//! its peak memory is what the child reports of itself at the end
//! (`performance.peak_rss_bytes`: max RSS from `getrusage`, the process's
//! whole high-water mark, which is this one check's alone because the
//! child checks nothing else); bytes per state are the engine's
//! visited-state tables over unique states where the engine reports them
//! (`bfs-compact`), else peak RSS over unique states, labelled which.

use std::collections::BTreeMap;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clap::builder::PossibleValuesParser;
use clap::{Args, ValueEnum};
use overlay_models::check::Params;
use overlay_models::registry::{self, BenchScope};
use serde_json::{json, Map, Value};

use crate::check_cmd::CheckedRun;
use crate::exit::{Exit, Failure, Outcome};
use crate::input_error;

/// A way to check that `overlay bench` measures: the `check` flags that
/// select it. A new strategy is one more line here.
pub struct BenchStrategy {
    pub name: &'static str,
    /// `check` flags: the strategy, and the budget it needs if it never
    /// finishes by itself (fixed, so that runs compare).
    pub args: &'static [&'static str],
    /// Also run it with `--symmetry` on scopes that have a symmetry.
    pub symmetry: bool,
    /// Takes `--threads` (swarm workers are one thread each).
    pub threads: bool,
    /// Writes a result file (swarm workers): the run gets `--out-dir` in a
    /// scratch folder, removed when the bench ends.
    pub writes_results: bool,
}

/// Every strategy, in the order the table lists them.
pub const STRATEGIES: &[BenchStrategy] = &[
    BenchStrategy {
        name: "bfs",
        args: &["--strategy", "bfs"],
        symmetry: true,
        threads: true,
        writes_results: false,
    },
    BenchStrategy {
        name: "bfs-compact",
        args: &["--strategy", "bfs-compact"],
        symmetry: true,
        threads: true,
        writes_results: false,
    },
    BenchStrategy {
        name: "dfs",
        args: &["--strategy", "dfs"],
        symmetry: true,
        threads: true,
        writes_results: false,
    },
    // Random walks never finish: 200,000 generated states from seed 1.
    BenchStrategy {
        name: "sim",
        args: &["--strategy", "sim", "--seed", "1", "--max-states", "200000"],
        symmetry: false,
        threads: true,
        writes_results: false,
    },
    // A swarm worker never finishes either: seed 1, 200,000 transitions.
    BenchStrategy {
        name: "swarm",
        args: &[
            "--strategy",
            "swarm",
            "--seeds",
            "1",
            "--max-states",
            "200000",
        ],
        symmetry: false,
        threads: false,
        writes_results: true,
    },
];

/// Where swarm workers write their result files during a bench.
fn results_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("overlay-bench-{}", std::process::id()))
}

fn strategy_parser() -> PossibleValuesParser {
    PossibleValuesParser::new(STRATEGIES.iter().map(|s| s.name))
}

/// `overlay bench` (its help text is on `Command::Bench`).
#[derive(Args, Debug)]
#[command(after_long_help = "\
Examples:
  overlay bench                                   # every model's scopes, every strategy
  overlay bench --model chord --strategy bfs-compact --format json
  overlay bench --large --strategy bfs,bfs-compact --repeat 3 --format markdown

Each run is `overlay check … --format json --no-traces --performance` in a child
process. Progress (one line per run) goes to stderr, the table or document to stdout.

Exit codes: 0 every run reported; 1 a run failed (crashed, killed after its timeout,
or printed no report) or a verdict differed from its expectation; 2 usage error.")]
pub struct BenchArgs {
    /// Output: an aligned table, one JSON document, or Markdown tables.
    #[arg(long, value_enum, default_value_t = BenchFormat::Text)]
    pub format: BenchFormat,
    /// Only this model's scopes (see `overlay list`).
    #[arg(long)]
    pub model: Option<String>,
    /// Only scopes of this variant.
    #[arg(long)]
    pub variant: Option<String>,
    /// Only these strategies (repeatable or comma-separated) [default: all].
    #[arg(long, value_delimiter = ',', value_parser = strategy_parser())]
    pub strategy: Vec<String>,
    /// Checker threads of every run.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub threads: u32,
    /// Run each check K times and report the median time (and the largest
    /// peak memory).
    #[arg(long, value_name = "K", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub repeat: u32,
    /// Add the large scopes (minutes rather than seconds).
    #[arg(long)]
    pub large: bool,
    /// Per run: the check stops itself after this many seconds (then
    /// reported incomplete); a child still running 60 s later is killed.
    #[arg(long, value_name = "SECONDS", default_value_t = 300.0, value_parser = parse_seconds)]
    pub timeout: f64,
    /// Per run: the check stops when its resident memory passes this many
    /// MiB (then reported incomplete), to keep a shared machine usable.
    #[arg(long, value_name = "MB", default_value_t = 4096, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_memory: u64,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum BenchFormat {
    /// Aligned tables: the runs, then counterexample lengths per scope.
    Text,
    /// One JSON document: settings and one object per run.
    Json,
    /// The same tables as text, in Markdown.
    Markdown,
}

fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(t) if t.is_finite() && t > 0.0 => Ok(t),
        _ => Err(format!("`{s}`: expected a positive number of seconds")),
    }
}

/// The `performance` member `check --format json --performance` adds.
pub fn performance(run: &CheckedRun) -> Value {
    json!({
        "check_seconds": run.outcome.elapsed.as_secs_f64(),
        "peak_rss_bytes": crate::simulate_cmd::peak_rss_bytes(),
        "engine_bytes": run.engine_bytes,
    })
}

/// The engine's table bytes at the end of the main search, from the
/// progress samples `(unique states, table bytes)` of a check that found
/// `unique` states: the last sample with that count. (With `--symmetry`
/// a second, unreduced search for concrete counterexamples may follow;
/// its samples count other states.)
pub fn main_search_tables(samples: &[(usize, usize)], unique: usize) -> Option<usize> {
    samples
        .iter()
        .rev()
        .find(|(u, _)| *u == unique)
        .map(|&(_, bytes)| bytes)
}

/// One run to do: a scope, a strategy, with or without symmetry.
struct Plan {
    model: &'static str,
    scope: BenchScope,
    /// Every parameter with its value, in the model's order.
    params: Vec<(&'static str, String)>,
    strategy: &'static BenchStrategy,
    symmetry: bool,
}

impl Plan {
    fn params_text(&self) -> String {
        let p: Vec<String> = self
            .params
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        p.join(" ")
    }

    /// `chord original nodes=3 succ-list=2` (and the depth bound).
    fn scope_label(&self) -> String {
        let mut s = format!(
            "{} {} {}",
            self.model,
            self.scope.variant,
            self.params_text()
        );
        if let Some(d) = self.scope.max_depth {
            s.push_str(&format!(" depth<={d}"));
        }
        s
    }

    fn check_args(&self, args: &BenchArgs) -> Vec<String> {
        let mut v: Vec<String> = vec![
            "check".into(),
            self.model.into(),
            "--variant".into(),
            self.scope.variant.into(),
        ];
        for (k, val) in self.scope.params {
            v.push("-p".into());
            v.push(format!("{k}={val}"));
        }
        if let Some(d) = self.scope.max_depth {
            v.push("--max-depth".into());
            v.push(d.to_string());
        }
        v.extend(self.strategy.args.iter().map(|a| a.to_string()));
        if self.symmetry {
            v.push("--symmetry".into());
        }
        if self.strategy.threads {
            v.extend(["--threads".into(), args.threads.to_string()]);
        }
        if self.strategy.writes_results {
            v.extend(["--out-dir".into(), results_dir().display().to_string()]);
        }
        v.extend([
            "--timeout".into(),
            args.timeout.to_string(),
            "--max-memory".into(),
            args.max_memory.to_string(),
            "--format".into(),
            "json".into(),
            "--no-traces".into(),
            "--performance".into(),
        ]);
        v
    }
}

/// What one property came to in a run.
struct PropertyResult {
    name: String,
    verdict: String,
    /// Events of the counterexample found, if any.
    len: Option<u64>,
}

/// What a run measured (times: median over the repeats).
struct Measured {
    unique: u64,
    transitions: u64,
    seconds: f64,
    check_seconds: f64,
    peak_bytes: Option<u64>,
    engine_bytes: Option<u64>,
    complete: bool,
    as_expected: bool,
    exit_code: i32,
    /// Whether counterexamples are shortest (bfs, bfs-compact).
    shortest: bool,
    properties: Vec<PropertyResult>,
}

impl Measured {
    fn states_per_second(&self) -> f64 {
        self.unique as f64 / self.seconds.max(1e-9)
    }

    /// Bytes per unique state and what they count: the engine's tables
    /// where it reports them, else the peak RSS.
    fn bytes_per_state(&self) -> Option<(f64, &'static str)> {
        let per = |b: u64| b as f64 / self.unique.max(1) as f64;
        match (self.engine_bytes, self.peak_bytes) {
            (Some(e), _) => Some((per(e), "engine")),
            (None, Some(p)) => Some((per(p), "peak_rss")),
            (None, None) => None,
        }
    }

    fn violated(&self) -> impl Iterator<Item = &PropertyResult> {
        self.properties.iter().filter(|p| p.len.is_some())
    }
}

struct Row {
    plan: Plan,
    result: Result<Measured, String>,
}

pub fn bench(args: &BenchArgs) -> Outcome {
    let plans = plans(args)?;
    let total = plans.len();
    let mut rows = Vec::with_capacity(total);
    for (i, plan) in plans.into_iter().enumerate() {
        let result = measure(&plan, args);
        eprintln!(
            "bench [{}/{total}] {}",
            i + 1,
            progress_line(&plan, &result)
        );
        rows.push(Row { plan, result });
    }
    // Swarm workers' result files: only their reports on stdout matter.
    let _ = std::fs::remove_dir_all(results_dir());
    match args.format {
        BenchFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&to_json(args, &rows)).expect("JSON")
        ),
        BenchFormat::Text => print!("{}", render_all(&rows, args.threads, false)),
        BenchFormat::Markdown => print!("{}", render_all(&rows, args.threads, true)),
    }
    let failed = rows.iter().any(|r| match &r.result {
        Err(_) => true,
        Ok(m) => m.exit_code == Exit::Surprise as i32,
    });
    Ok(if failed { Exit::Surprise } else { Exit::Ok })
}

/// Every run the flags select, in registry order, then strategy order;
/// every scope's model is built first, so that bad data fails at once.
fn plans(args: &BenchArgs) -> Result<Vec<Plan>, Failure> {
    let entries = match &args.model {
        Some(m) => vec![registry::find(m).map_err(input_error)?],
        None => registry::models(),
    };
    let strategies: Vec<&'static BenchStrategy> = STRATEGIES
        .iter()
        .filter(|s| args.strategy.is_empty() || args.strategy.iter().any(|n| n == s.name))
        .collect();
    let mut plans = Vec::new();
    let mut known = Vec::new();
    for entry in &entries {
        for scope in entry.bench {
            let name = format!("{} {}", entry.name, scope.variant);
            if !known.contains(&name) {
                known.push(name);
            }
            if (scope.large && !args.large)
                || args.variant.as_ref().is_some_and(|v| v != scope.variant)
            {
                continue;
            }
            let params: Params = scope
                .params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let runner = (entry.build)(scope.variant, &params).map_err(|e| {
                input_error(format!(
                    "bench scope of {} {}: {e}",
                    entry.name, scope.variant
                ))
            })?;
            for &strategy in &strategies {
                let reduce = [false, true];
                let n = if scope.symmetry && strategy.symmetry {
                    2
                } else {
                    1
                };
                for &symmetry in &reduce[..n] {
                    plans.push(Plan {
                        model: entry.name,
                        scope: *scope,
                        params: runner.params(),
                        strategy,
                        symmetry,
                    });
                }
            }
        }
    }
    if plans.is_empty() {
        let hint = if args.large {
            ""
        } else {
            "; --large adds more"
        };
        return Err(input_error(format!(
            "no bench scope matches (scopes: {}{hint})",
            known.join(", ")
        )));
    }
    Ok(plans)
}

/// Runs a plan `--repeat` times.
fn measure(plan: &Plan, args: &BenchArgs) -> Result<Measured, String> {
    let argv = plan.check_args(args);
    let limit = Duration::from_secs_f64(args.timeout) + Duration::from_secs(60);
    let mut runs = Vec::new();
    for _ in 0..args.repeat {
        runs.push(run_child(&argv, limit)?);
    }
    let mut first = runs.remove(0);
    let mut seconds = vec![first.seconds];
    let mut check_seconds = vec![first.check_seconds];
    for r in &runs {
        if (r.unique, r.complete) != (first.unique, first.complete) {
            return Err(format!(
                "repeats disagree: {} states (complete: {}) against {} ({})",
                first.unique, first.complete, r.unique, r.complete
            ));
        }
        seconds.push(r.seconds);
        check_seconds.push(r.check_seconds);
        first.peak_bytes = first.peak_bytes.max(r.peak_bytes);
    }
    first.seconds = median(&mut seconds);
    first.check_seconds = median(&mut check_seconds);
    Ok(first)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// One child `overlay check`, timed from spawn to exit, killed when it
/// outlives `limit`.
fn run_child(argv: &[String], limit: Duration) -> Result<Measured, String> {
    let exe =
        std::env::current_exe().map_err(|e| format!("cannot find the overlay binary: {e}"))?;
    let start = Instant::now();
    let mut child = Command::new(&exe)
        .args(argv)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_string(&mut text);
            }
            text
        })
    };
    let out = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let err = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let mut killed = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if !killed && start.elapsed() > limit => {
                // Our own child, by its handle.
                let _ = child.kill();
                killed = true;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            Err(e) => return Err(format!("cannot wait for the check: {e}")),
        }
    };
    let seconds = start.elapsed().as_secs_f64();
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    if killed {
        return Err(format!("killed after {seconds:.0} s"));
    }
    let code = status.code();
    let doc = match (code, stdout.lines().next()) {
        (Some(0 | 1 | 3), Some(line)) => serde_json::from_str::<Value>(line)
            .map_err(|e| format!("the check printed no JSON report ({e})"))?,
        _ => {
            let why = stderr.lines().last().unwrap_or("no message");
            let how = code.map_or("by a signal".to_string(), |c| format!("with code {c}"));
            return Err(format!("the check ended {how}: {why}"));
        }
    };
    parse_report(&doc, seconds, code.unwrap_or(1))
}

/// Reads `check --format json --performance` output.
fn parse_report(doc: &Value, seconds: f64, exit_code: i32) -> Result<Measured, String> {
    let missing = |f: &str| format!("the check's report has no `{f}`");
    let num = |f: &str| doc[f].as_u64().ok_or_else(|| missing(f));
    let flag = |f: &str| doc[f].as_bool().ok_or_else(|| missing(f));
    let perf = &doc["performance"];
    let properties = doc["properties"]
        .as_array()
        .ok_or_else(|| missing("properties"))?
        .iter()
        .map(|p| {
            Ok(PropertyResult {
                name: p["name"]
                    .as_str()
                    .ok_or_else(|| missing("name"))?
                    .to_string(),
                verdict: p["verdict"]
                    .as_str()
                    .ok_or_else(|| missing("verdict"))?
                    .to_string(),
                len: p["trace_len"].as_u64(),
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    // A swarm worker's report names its counts and timing differently
    // (`states`, `performance.seconds`) and has no shortest traces.
    let unique = num("unique_states").or_else(|_| num("states"))?;
    let check_seconds = perf["check_seconds"]
        .as_f64()
        .or_else(|| perf["seconds"].as_f64())
        .ok_or_else(|| missing("performance.check_seconds"))?;
    Ok(Measured {
        unique,
        transitions: num("transitions")?,
        seconds,
        check_seconds,
        peak_bytes: perf["peak_rss_bytes"].as_u64(),
        engine_bytes: perf["engine_bytes"].as_u64(),
        complete: flag("complete")?,
        as_expected: flag("as_expected")?,
        exit_code,
        shortest: doc.get("overlay-swarm").is_none() && flag("shortest_traces")?,
        properties,
    })
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1u64 << 20) as f64
}

fn progress_line(plan: &Plan, result: &Result<Measured, String>) -> String {
    let sym = if plan.symmetry { " --symmetry" } else { "" };
    let head = format!("{} {}{sym}", plan.scope_label(), plan.strategy.name);
    match result {
        Err(e) => format!("{head}: FAILED: {e}"),
        Ok(m) => format!(
            "{head}: {} states, {:.2} s, {}, {}",
            thousands(m.unique),
            m.seconds,
            m.peak_bytes
                .map_or("peak memory unknown".into(), |b| format!(
                    "{:.1} MiB",
                    mib(b)
                )),
            if m.complete { "complete" } else { "incomplete" }
        ),
    }
}

/// `1,535,227`
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut groups = Vec::new();
    let mut end = digits.len();
    while end > 3 {
        groups.push(&digits[end - 3..end]);
        end -= 3;
    }
    groups.push(&digits[..end]);
    groups.reverse();
    groups.join(",")
}

/// Rounds for JSON: a few significant digits, not float noise.
fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

fn to_json(args: &BenchArgs, rows: &[Row]) -> Value {
    let strategies: Vec<&str> = STRATEGIES
        .iter()
        .filter(|s| args.strategy.is_empty() || args.strategy.iter().any(|n| n == s.name))
        .map(|s| s.name)
        .collect();
    let runs: Vec<Value> = rows
        .iter()
        .map(|r| {
            let p = &r.plan;
            let params: Map<String, Value> = p
                .params
                .iter()
                .map(|(k, v)| (k.to_string(), json!(v)))
                .collect();
            let mut run = json!({
                "model": p.model,
                "variant": p.scope.variant,
                "params": params,
                "max_depth": p.scope.max_depth,
                "strategy": p.strategy.name,
                "threads": args.threads,
                "symmetry": p.symmetry,
            });
            let fields = match &r.result {
                Err(e) => json!({ "error": e }),
                Ok(m) => {
                    let (bps, basis) = m.bytes_per_state().unzip();
                    let props: Vec<Value> = m
                        .properties
                        .iter()
                        .map(|pr| {
                            json!({
                                "name": pr.name,
                                "verdict": pr.verdict,
                                "counterexample_len": pr.len,
                            })
                        })
                        .collect();
                    json!({
                        "error": null,
                        "unique_states": m.unique,
                        "transitions": m.transitions,
                        "seconds": round(m.seconds, 4),
                        "check_seconds": round(m.check_seconds, 4),
                        "states_per_second": m.states_per_second().round(),
                        "bytes_per_state": bps.map(|b| round(b, 2)),
                        "bytes_per_state_basis": basis,
                        "engine_bytes": m.engine_bytes,
                        "peak_rss_bytes": m.peak_bytes,
                        "peak_memory_mib": m.peak_bytes.map(|b| round(mib(b), 1)),
                        "complete": m.complete,
                        "as_expected": m.as_expected,
                        "exit_code": m.exit_code,
                        "shortest_counterexamples": m.shortest,
                        "properties": props,
                    })
                }
            };
            if let (Value::Object(run), Value::Object(fields)) = (&mut run, fields) {
                run.extend(fields);
            }
            run
        })
        .collect();
    json!({
        "settings": {
            "threads": args.threads,
            "repeat": args.repeat,
            "large": args.large,
            "timeout_seconds": args.timeout,
            "max_memory_mib": args.max_memory,
            "strategies": strategies,
            "cpus": std::thread::available_parallelism().map_or(0, |n| n.get()),
        },
        "runs": runs,
    })
}

/// Left- or right-aligned.
#[derive(Clone, Copy, PartialEq)]
enum Align {
    Left,
    Right,
}

/// A table as aligned text or as Markdown.
fn table(headers: &[(&str, Align)], rows: &[Vec<String>], markdown: bool) -> String {
    let mut out = String::new();
    if markdown {
        let line = |cells: Vec<&str>| format!("| {} |\n", cells.join(" | "));
        out.push_str(&line(headers.iter().map(|h| h.0).collect()));
        let rule: Vec<&str> = headers
            .iter()
            .map(|h| if h.1 == Align::Right { "---:" } else { "---" })
            .collect();
        out.push_str(&line(rule));
        for r in rows {
            out.push_str(&line(r.iter().map(String::as_str).collect()));
        }
        return out;
    }
    let widths: Vec<usize> = (0..headers.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([headers[i].0.chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(headers)
            .zip(&widths)
            .map(|((c, h), &w)| match h.1 {
                Align::Left => format!("{c:<w$}"),
                Align::Right => format!("{c:>w$}"),
            })
            .collect();
        format!("{}\n", padded.join("  ").trim_end())
    };
    out.push_str(&line(headers.iter().map(|h| h.0).collect()));
    for r in rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
    }
    out
}

fn render_all(rows: &[Row], threads: u32, markdown: bool) -> String {
    let mut out = runs_table(rows, threads, markdown);
    out.push('\n');
    if !rows
        .iter()
        .any(|r| r.result.as_ref().is_ok_and(|m| m.shortest))
    {
        out.push_str("No shortest counterexamples: no bfs or bfs-compact run reported.\n");
        return out;
    }
    if markdown {
        out.push_str("Counterexample length per property, in events (shortest: from bfs and bfs-compact):\n\n");
    } else {
        out.push_str(
            "Counterexample length per property, in events (shortest: from bfs and bfs-compact)\n",
        );
    }
    out.push_str(&counterexample_table(rows, markdown));
    out
}

fn runs_table(rows: &[Row], threads: u32, markdown: bool) -> String {
    use Align::{Left, Right};
    let headers = [
        ("model", Left),
        ("variant", Left),
        ("params", Left),
        ("depth", Right),
        ("strategy", Left),
        ("thr", Right),
        ("sym", Left),
        ("states", Right),
        ("transitions", Right),
        ("time s", Right),
        ("states/s", Right),
        ("B/state", Right),
        ("of", Left),
        ("peak MiB", Right),
        ("complete", Left),
        ("violated: events", Left),
    ];
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let p = &r.plan;
            let mut cells = vec![
                p.model.to_string(),
                p.scope.variant.to_string(),
                p.params_text(),
                p.scope.max_depth.map_or("-".into(), |d| d.to_string()),
                p.strategy.name.to_string(),
                threads.to_string(),
                if p.symmetry { "yes" } else { "-" }.to_string(),
            ];
            match &r.result {
                Err(e) => {
                    cells.extend(["-"; 8].map(String::from));
                    cells.push(format!("FAILED: {e}"));
                }
                Ok(m) => {
                    let (bps, basis) = m
                        .bytes_per_state()
                        .map_or(("-".into(), "-"), |(b, basis)| (format!("{b:.1}"), basis));
                    let lens: Vec<u64> = m.violated().filter_map(|v| v.len).collect();
                    let violated = match (lens.iter().min(), lens.iter().max()) {
                        (Some(lo), Some(hi)) if lo == hi => format!("{}: {lo}", lens.len()),
                        (Some(lo), Some(hi)) => format!("{}: {lo}-{hi}", lens.len()),
                        _ => "0".into(),
                    };
                    cells.extend([
                        thousands(m.unique),
                        thousands(m.transitions),
                        format!("{:.2}", m.seconds),
                        thousands(m.states_per_second().round() as u64),
                        bps,
                        basis.to_string(),
                        m.peak_bytes
                            .map_or("-".into(), |b| format!("{:.1}", mib(b))),
                        if m.complete { "yes" } else { "no" }.into(),
                        violated,
                    ]);
                }
            }
            cells
        })
        .collect();
    table(&headers, &body, markdown)
}

/// Per property (rows) and scope (columns): the counterexample length of
/// the shortest-path strategies, `holds`, `unknown` (budget), or `—` where
/// the scope's variant has no such property. Two different lengths for
/// one cell (a bug) are both shown.
fn counterexample_table(rows: &[Row], markdown: bool) -> String {
    let mut scopes: Vec<String> = Vec::new();
    let mut props: Vec<String> = Vec::new();
    let mut cells: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    // Column titles name the model only when there is more than one.
    let one_model = rows.iter().all(|r| r.plan.model == rows[0].plan.model);
    for r in rows {
        let Ok(m) = &r.result else { continue };
        if !m.shortest {
            continue;
        }
        let scope = if one_model {
            r.plan.scope_label()[r.plan.model.len() + 1..].to_string()
        } else {
            r.plan.scope_label()
        };
        if !scopes.contains(&scope) {
            scopes.push(scope.clone());
        }
        for p in &m.properties {
            if !props.contains(&p.name) {
                props.push(p.name.clone());
            }
            let text = p.len.map_or(p.verdict.clone(), |l| l.to_string());
            let cell = cells.entry((p.name.clone(), scope.clone())).or_default();
            if !cell.contains(&text) {
                cell.push(text);
            }
        }
    }
    let mut headers = vec![("property".to_string(), Align::Left)];
    headers.extend(scopes.iter().map(|s| (s.clone(), Align::Right)));
    let body: Vec<Vec<String>> = props
        .iter()
        .map(|p| {
            let mut row = vec![p.clone()];
            for s in &scopes {
                row.push(
                    cells
                        .get(&(p.clone(), s.clone()))
                        .map_or("—".into(), |c| c.join(" / ")),
                );
            }
            row
        })
        .collect();
    let headers: Vec<(&str, Align)> = headers.iter().map(|(h, a)| (h.as_str(), *a)).collect();
    table(&headers, &body, markdown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_535_227), "1,535,227");
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
    }

    #[test]
    fn main_search_tables_skips_the_concrete_search() {
        // The reduced search ends at 85,180 states; the unreduced search
        // for concrete traces follows with other counts.
        let samples = [(40_000, 900), (85_180, 1_700), (1_000, 50), (90_000, 2_000)];
        assert_eq!(main_search_tables(&samples, 85_180), Some(1_700));
        assert_eq!(main_search_tables(&samples, 7), None);
    }

    #[test]
    fn strategies_have_unique_names_and_name_a_strategy() {
        let mut names: Vec<&str> = STRATEGIES.iter().map(|s| s.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), STRATEGIES.len());
        for s in STRATEGIES {
            assert_eq!(s.args[..2], ["--strategy", s.name]);
        }
    }
}
