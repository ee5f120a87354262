//! `overlay merge`: the JSON results of swarm workers (`check --strategy
//! swarm`, format in [`crate::swarm_cmd`]) combined into one table, and
//! the shortest counterexample per property written as an ITF trace.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use overlay_models::check::{Expect, Runner, Verdict};
use overlay_models::registry;
use overlay_models::trace::{self, Trace};
use serde_json::{json, Map, Value};

use crate::check_cmd::{file_name, mark, Status};
use crate::cli::{Format, MergeArgs};
use crate::exit::{Exit, Failure, Outcome};
use crate::input_error;
use crate::swarm_cmd::{verdict_text, write, RESULT_FORMAT};

/// One worker's result, read and checked.
struct Worker {
    file: PathBuf,
    seed: u64,
    states: u64,
    transitions: u64,
    seconds: f64,
    /// Per property of the model, in its order: the counterexample.
    traces: Vec<Option<Trace>>,
}

/// The scope a result is about: model, variant, parameters (sorted).
#[derive(Clone, PartialEq, Eq)]
struct Scope {
    model: String,
    variant: String,
    params: Vec<(String, String)>,
}

impl Scope {
    fn describe(&self) -> String {
        let params: Vec<String> = self
            .params
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        format!("{} {} ({})", self.model, self.variant, params.join(" "))
    }
}

/// A place in a result document, for error messages.
struct Field<'a> {
    file: &'a Path,
    at: String,
    value: Option<&'a Value>,
}

impl<'a> Field<'a> {
    fn root(file: &'a Path, value: &'a Value) -> Field<'a> {
        Field {
            file,
            at: String::new(),
            value: Some(value),
        }
    }

    fn error(&self, message: impl std::fmt::Display) -> Failure {
        let place = if self.at.is_empty() {
            String::new()
        } else {
            format!(" field `{}`:", self.at)
        };
        input_error(format!("{}:{place} {message}", self.file.display()))
    }

    fn get(&self, key: &str) -> Field<'a> {
        Field {
            file: self.file,
            at: if self.at.is_empty() {
                key.to_string()
            } else {
                format!("{}.{key}", self.at)
            },
            value: self.value.and_then(|v| v.get(key)),
        }
    }

    fn present(&self) -> Result<&'a Value, Failure> {
        self.value.ok_or_else(|| self.error("missing"))
    }

    /// `None` for null.
    fn nullable(&self) -> Result<Option<&'a Value>, Failure> {
        Ok(Some(self.present()?).filter(|v| !v.is_null()))
    }

    fn str(&self) -> Result<&'a str, Failure> {
        self.present()?
            .as_str()
            .ok_or_else(|| self.error("expected a string"))
    }

    fn u64(&self) -> Result<u64, Failure> {
        self.present()?
            .as_u64()
            .ok_or_else(|| self.error("expected a whole number"))
    }

    fn items(&self) -> Result<Vec<Field<'a>>, Failure> {
        let items = self
            .present()?
            .as_array()
            .ok_or_else(|| self.error("expected an array"))?;
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, v)| Field {
                file: self.file,
                at: format!("{}[{i}]", self.at),
                value: Some(v),
            })
            .collect())
    }

    fn object(&self) -> Result<&'a Map<String, Value>, Failure> {
        self.present()?
            .as_object()
            .ok_or_else(|| self.error("expected an object"))
    }
}

pub fn merge(args: &MergeArgs) -> Outcome {
    let mut scope: Option<(Scope, PathBuf)> = None;
    let mut runner: Option<Box<dyn Runner>> = None;
    let mut workers = Vec::new();
    for file in &args.results {
        let text = std::fs::read_to_string(file)
            .map_err(|e| input_error(format!("{}: cannot read: {e}", file.display())))?;
        let doc: Value = serde_json::from_str(&text).map_err(|e| {
            input_error(format!(
                "{}: not JSON (line {}, column {}): {e}",
                file.display(),
                e.line(),
                e.column()
            ))
        })?;
        let root = Field::root(file, &doc);
        if !doc.is_object() {
            return Err(root.error("not a swarm result: the document is not an object"));
        }
        let format = root.get("overlay-swarm");
        if format.str()? != RESULT_FORMAT {
            return Err(format.error(format!(
                "result format `{}`, this overlay reads `{RESULT_FORMAT}`",
                format.str()?
            )));
        }
        let this = read_scope(&root)?;
        match &scope {
            None => {
                let entry = registry::find(&this.model).map_err(|e| root.get("model").error(e))?;
                let r = (entry.build)(&this.variant, &this.params)
                    .map_err(|e| root.error(format!("{}: {e}", this.describe())))?;
                runner = Some(r);
                scope = Some((this, file.clone()));
            }
            Some((first, first_file)) if *first != this => {
                return Err(input_error(format!(
                    "cannot merge results of different scopes: {} is {}, but {} is {}",
                    first_file.display(),
                    first.describe(),
                    file.display(),
                    this.describe()
                )));
            }
            Some(_) => {}
        }
        let r = runner.as_deref().expect("built with the first scope");
        workers.push(read_worker(&root, r)?);
    }
    let r = runner.expect("clap requires at least one result");
    let (scope, _) = scope.expect("set with the runner");
    // Inputs in seed order (then by file), whatever the shell's order.
    workers.sort_by(|a, b| (a.seed, &a.file).cmp(&(b.seed, &b.file)));
    let trace_dir = args
        .trace_dir
        .clone()
        .unwrap_or_else(|| Path::new("swarm").join("traces"));

    // Every chosen counterexample replays before any file is written.
    let mut rows = Vec::new();
    let mut chosen = Vec::new();
    for (i, info) in r.properties().into_iter().enumerate() {
        let found: Vec<(&Worker, &Trace)> = workers
            .iter()
            .filter_map(|w| Some((w, w.traces[i].as_ref()?)))
            .collect();
        let best = found
            .iter()
            .min_by_key(|(w, t)| (t.len_events(), w.seed, w.file.clone()))
            .copied();
        if let Some((w, t)) = best {
            let replayed = r.replay(t).map_err(|e| {
                input_error(format!(
                    "{}: field `properties[{i}].trace`: does not replay: {e}",
                    w.file.display()
                ))
            })?;
            if !replayed
                .last()
                .is_some_and(|v| v.iter().any(|p| p == info.name))
            {
                return Err(input_error(format!(
                    "{}: field `properties[{i}].trace`: replays, but does not violate {} at its end",
                    w.file.display(),
                    info.name
                )));
            }
            chosen.push((rows.len(), t));
        }
        rows.push(Row {
            verdict: if best.is_some() {
                Verdict::Violated
            } else {
                Verdict::Unknown
            },
            lengths: found
                .iter()
                .map(|(w, t)| (w.seed, t.len_events()))
                .collect(),
            best: best.map(|(w, t)| (w.seed, t.len_events(), w.file.clone())),
            written: None,
            info,
        });
    }
    if !args.no_traces {
        for (row, t) in chosen {
            let path = trace_dir.join(file_name(r.as_ref(), rows[row].info.name));
            write(&path, &t.to_string_pretty())?;
            rows[row].written = Some(path);
        }
    }
    let surprise = rows
        .iter()
        .any(|row| Status::of(row.info.expect, row.verdict) == Status::Surprise);
    let exit = if surprise {
        Exit::Surprise
    } else {
        Exit::Budget
    };
    match args.format {
        Format::Json => println!("{}", to_json(&scope, &workers, &rows, exit)),
        Format::Text => print_text(&scope, &workers, &rows, exit),
    }
    Ok(exit)
}

/// One property across the workers.
struct Row {
    info: overlay_models::check::PropertyInfo,
    verdict: Verdict,
    /// (seed, events) of every worker that violated it, in seed order.
    lengths: Vec<(u64, usize)>,
    /// The shortest: seed, events, result file.
    best: Option<(u64, usize, PathBuf)>,
    written: Option<PathBuf>,
}

fn read_scope(root: &Field) -> Result<Scope, Failure> {
    let params = root.get("params");
    let mut pairs = Vec::new();
    for (k, v) in params.object()? {
        let v = v
            .as_str()
            .ok_or_else(|| params.get(k).error("expected a string"))?;
        pairs.push((k.clone(), v.to_string()));
    }
    pairs.sort();
    Ok(Scope {
        model: root.get("model").str()?.to_string(),
        variant: root.get("variant").str()?.to_string(),
        params: pairs,
    })
}

fn read_worker(root: &Field, r: &dyn Runner) -> Result<Worker, Failure> {
    let names: Vec<&str> = r.properties().iter().map(|p| p.name).collect();
    let props = root.get("properties");
    let items = props.items()?;
    let listed: Vec<&str> = items
        .iter()
        .map(|p| p.get("name").str())
        .collect::<Result<_, _>>()?;
    if listed != names {
        return Err(props.error(format!(
            "lists {}, but the model has {}",
            listed.join(", "),
            names.join(", ")
        )));
    }
    let mut traces = Vec::new();
    for (p, name) in items.iter().zip(&names) {
        let verdict = p.get("verdict");
        let violated = match verdict.str()? {
            "violated" => true,
            "not found" => false,
            other => {
                return Err(verdict.error(format!("`{other}`: expected `violated` or `not found`")))
            }
        };
        let field = p.get("trace");
        let trace = match field.nullable()? {
            None => None,
            Some(v) => {
                let origin = format!("{}: field `{}`", root.file.display(), field.at);
                let text = serde_json::to_string(v).expect("JSON values serialize");
                Some(trace::read_str(&text, &origin).map_err(|e| input_error(e.to_string()))?)
            }
        };
        if violated != trace.is_some() {
            return Err(field.error(format!(
                "the verdict is `{}` but the trace is {}",
                verdict.str()?,
                if violated { "null" } else { "present" }
            )));
        }
        if let Some(t) = &trace {
            let len = p.get("trace_len");
            if len.u64()? != t.len_events() as u64 {
                return Err(len.error(format!(
                    "{} events, but the trace has {}",
                    len.u64()?,
                    t.len_events()
                )));
            }
            if t.meta("property") != Some(name) {
                return Err(field.error(format!(
                    "#meta property is {:?}, not {name}",
                    t.meta("property")
                )));
            }
        }
        traces.push(trace);
    }
    let seconds = root
        .get("performance")
        .get("seconds")
        .value
        .and_then(Value::as_f64)
        .unwrap_or(0.0);
    Ok(Worker {
        file: root.file.to_path_buf(),
        seed: root.get("seed").u64()?,
        states: root.get("states").u64()?,
        transitions: root.get("transitions").u64()?,
        seconds,
        traces,
    })
}

/// `1..3, 7, 9..10`
fn seed_ranges(workers: &[Worker]) -> String {
    let seeds: BTreeSet<u64> = workers.iter().map(|w| w.seed).collect();
    let mut out: Vec<String> = Vec::new();
    let mut run: Option<(u64, u64)> = None;
    let flush = |run: Option<(u64, u64)>, out: &mut Vec<String>| match run {
        Some((a, b)) if a == b => out.push(a.to_string()),
        Some((a, b)) => out.push(format!("{a}..{b}")),
        None => {}
    };
    for s in seeds {
        run = match run {
            Some((a, b)) if b.checked_add(1) == Some(s) => Some((a, s)),
            other => {
                flush(other, &mut out);
                Some((s, s))
            }
        };
    }
    flush(run, &mut out);
    out.join(", ")
}

fn print_text(scope: &Scope, workers: &[Worker], rows: &[Row], exit: Exit) {
    let states: u64 = workers.iter().map(|w| w.states).sum();
    let transitions: u64 = workers.iter().map(|w| w.transitions).sum();
    let seconds: f64 = workers.iter().map(|w| w.seconds).sum();
    println!(
        "{}: {} swarm workers, seeds {}",
        scope.describe(),
        workers.len(),
        seed_ranges(workers)
    );
    println!("  {states} states, {transitions} transitions in all, {seconds:.1}s of worker time");
    let width = rows
        .iter()
        .map(|r| r.info.name.len())
        .max()
        .unwrap_or(8)
        .max(8);
    println!(
        "  {:width$}  {:8}  {:9}  {:8}  {:8}  {:8}  {:6}  trace",
        "property", "expected", "verdict", "", "found by", "shortest", "seed"
    );
    for row in rows {
        let (shortest, seed) = match &row.best {
            Some((seed, len, _)) => (len.to_string(), seed.to_string()),
            None => (String::new(), String::new()),
        };
        println!(
            "  {:width$}  {:8}  {:9}  {:8}  {:8}  {:8}  {:6}  {}",
            row.info.name,
            row.info.expect.to_string(),
            verdict_text(row.verdict),
            mark(Status::of(row.info.expect, row.verdict)),
            format!("{}/{}", row.lengths.len(), workers.len()),
            shortest,
            seed,
            row.written
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        );
    }
    if exit == Exit::Surprise {
        let names: Vec<&str> = rows
            .iter()
            .filter(|r| r.info.expect == Expect::Holds && r.verdict == Verdict::Violated)
            .map(|r| r.info.name)
            .collect();
        println!(
            "  SURPRISE: violated, expected to hold: {}",
            names.join(", ")
        );
    } else {
        println!("  every violation found was expected; a swarm is never complete (exit 3)");
    }
}

fn to_json(scope: &Scope, workers: &[Worker], rows: &[Row], exit: Exit) -> String {
    let params: Map<String, Value> = scope
        .params
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    let props: Vec<Value> = rows
        .iter()
        .map(|row| {
            json!({
                "name": row.info.name,
                "expected": row.info.expect.to_string(),
                "verdict": verdict_text(row.verdict),
                "found_by": row.lengths.len(),
                "shortest": row.best.as_ref().map(|b| b.1),
                "seed": row.best.as_ref().map(|b| b.0),
                "result": row.best.as_ref().map(|b| b.2.display().to_string()),
                "trace": row.written.as_ref().map(|p| p.display().to_string()),
                "lengths": row.lengths.iter().map(|(s, l)| json!({"seed": s, "trace_len": l})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let doc = json!({
        "model": scope.model,
        "variant": scope.variant,
        "params": params,
        "workers": workers.len(),
        "seeds": workers.iter().map(|w| w.seed).collect::<Vec<_>>(),
        "states": workers.iter().map(|w| w.states).sum::<u64>(),
        "transitions": workers.iter().map(|w| w.transitions).sum::<u64>(),
        "worker_seconds": workers.iter().map(|w| w.seconds).sum::<f64>(),
        "complete": false,
        "as_expected": exit != Exit::Surprise,
        "properties": props,
    });
    doc.to_string()
}
