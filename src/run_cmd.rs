//! `overlay run`: one scenario, step by step.

use overlay_models::check::scenario::ScriptError;
use serde_json::json;

use crate::cli::{Format, RunArgs};
use crate::exit::{Exit, Failure, Outcome};
use crate::input_error;
use crate::model_args::runner;

pub fn run(args: &RunArgs) -> Outcome {
    let r = runner(&args.model)?;
    let path = args.script.display().to_string();
    let script = std::fs::read_to_string(&args.script)
        .map_err(|e| input_error(format!("cannot read script {path}: {e}")))?;
    let command = format!(
        "overlay run {} --variant {} {}--script {path}",
        r.model_name(),
        r.variant_name(),
        r.params()
            .iter()
            .map(|(k, v)| format!("-p {k}={v} "))
            .collect::<String>()
    );
    let report = r
        .run_script(&script, &command)
        .map_err(|e: ScriptError| Failure {
            code: Exit::Input,
            message: format!("{path}: {e}"),
        })?;
    if let Some(out) = &args.trace_out {
        std::fs::write(out, report.trace.to_string_pretty())
            .map_err(|e| input_error(format!("cannot write {}: {e}", out.display())))?;
    }
    let steps = report.trace.len_events();
    match args.format {
        Format::Json => {
            let violations: Vec<_> = report
                .first_violations
                .iter()
                .map(|(p, k)| json!({ "property": p, "first_step": k }))
                .collect();
            let doc = json!({
                "model": r.model_name(),
                "variant": r.variant_name(),
                "steps": steps,
                "violations": violations,
                "trace": args.trace_out.as_ref().map(|p| p.display().to_string()),
            });
            println!("{doc}");
        }
        Format::Text => {
            for (k, st) in report.trace.states.iter().enumerate() {
                let bad = &report.violated[k];
                let new: Vec<&String> = bad
                    .iter()
                    .filter(|n| k == 0 || !report.violated[k - 1].contains(n))
                    .collect();
                let note = if new.is_empty() {
                    String::new()
                } else {
                    let names: Vec<&str> = new.iter().map(|s| s.as_str()).collect();
                    format!("  violates {}", names.join(", "))
                };
                println!("{k:>4}  {}{note}", st.action);
            }
            if report.first_violations.is_empty() {
                println!("{steps} steps; every property holds throughout");
            } else {
                println!("{steps} steps; violated:");
                for (p, k) in &report.first_violations {
                    println!("  {p} first at step {k}");
                }
            }
        }
    }
    Ok(if report.first_violations.is_empty() {
        Exit::Ok
    } else {
        Exit::Surprise
    })
}
