//! `overlay minimize`: a counterexample shrunk by delta debugging over its
//! events (the algorithm lives in `overlay_models::check::minimize`).

use std::path::{Path, PathBuf};

use overlay_models::check::minimize::property_of;
use overlay_models::registry;
use overlay_models::trace;
use serde_json::{json, Value};

use crate::cli::{Format, MinimizeArgs};
use crate::exit::{Exit, Failure, Outcome};
use crate::input_error;

pub fn minimize(args: &MinimizeArgs) -> Outcome {
    let input = &args.trace;
    let shown = input.display().to_string();
    let t = trace::read_file(input).map_err(|e| input_error(e.to_string()))?;
    let r = registry::for_trace(&t).map_err(|e| input_error(format!("{shown}: {e}")))?;
    let property = property_of(&t, args.property.as_deref())
        .map_err(|e| input_error(format!("{shown}: {e}")))?
        .to_string();
    let out = args.out.clone().unwrap_or_else(|| default_out(input));
    if same_file(input, &out) {
        return Err(input_error(format!(
            "{}: the output would overwrite the input trace; choose another --out",
            out.display()
        )));
    }
    // The file name only: the trace may be moved, its origin's name stays
    // meaningful, and the bytes do not depend on where it was made.
    let source = input
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| shown.clone());
    let mut command = format!("overlay minimize {shown} --property {property}");
    if let Some(o) = &args.out {
        command.push_str(&format!(" --out {}", o.display()));
    }
    let report = r
        .minimize(&t, &property, &source, &command)
        .map_err(|e| Failure {
            code: if e.is_input_error() {
                Exit::Input
            } else {
                Exit::Surprise
            },
            message: format!("{shown}: {e}"),
        })?;
    std::fs::write(&out, report.trace.to_string_pretty())
        .map_err(|e| input_error(format!("cannot write {}: {e}", out.display())))?;
    let (before, after) = (report.events_before, report.events_after);
    let removed = before - after;
    match args.format {
        Format::Json => {
            let mut doc = json!({
                "input": shown,
                "output": out.display().to_string(),
                "property": report.property,
                "events_before": before,
                "events_after": after,
                "removed": removed,
                "first_violation": report.first_violation,
                "replays": report.tests,
            });
            if let Some((prefix, cycle)) = report.lasso {
                // A lasso is violated by its whole run, not at a step.
                doc["first_violation"] = Value::Null;
                doc["loop_start_before"] = json!(report.first_violation);
                doc["prefix_len"] = json!(prefix);
                doc["loop_len"] = json!(cycle);
            }
            println!("{doc}");
        }
        Format::Text => {
            match report.lasso {
                Some((prefix, cycle)) => println!(
                    "{shown}: a lasso for {}: its loop started after {} of {before} events; \
                     ddmin shrank the prefix to {prefix} events (then a loop of {cycle}), \
                     replaying {} candidates",
                    report.property, report.first_violation, report.tests
                ),
                None => println!(
                    "{shown}: {} first violated at step {} of {before}; ddmin replayed {} candidates",
                    report.property, report.first_violation, report.tests
                ),
            }
            let note = if removed == 0 {
                "; it was already 1-minimal"
            } else {
                ""
            };
            println!("removed {removed} of {before} events ({before} → {after}){note}");
            println!("wrote {}", out.display());
        }
    }
    Ok(Exit::Ok)
}

/// `dir/name.itf.json` → `dir/name.min.itf.json` (`.json` or no extension
/// alike): next to the input, where a reviewer looks for it.
fn default_out(input: &Path) -> PathBuf {
    let name = input
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name
        .strip_suffix(".itf.json")
        .or_else(|| name.strip_suffix(".json"))
        .unwrap_or(&name);
    input.with_file_name(format!("{stem}.min.itf.json"))
}

/// Whether `out` names the existing file `input` (by any path).
fn same_file(input: &Path, out: &Path) -> bool {
    match (std::fs::canonicalize(input), std::fs::canonicalize(out)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_output_sits_next_to_the_input() {
        let cases = [
            ("traces/chord/x.itf.json", "traces/chord/x.min.itf.json"),
            ("run.json", "run.min.itf.json"),
            ("plain", "plain.min.itf.json"),
            ("a.min.itf.json", "a.min.min.itf.json"),
        ];
        for (input, want) in cases {
            assert_eq!(default_out(Path::new(input)), PathBuf::from(want));
        }
    }
}
