//! `overlay check --format junit`: JUnit XML, the report format CI systems
//! (GitLab, Jenkins, GitHub test reporters) display natively.
//!
//! One `<testsuite>` per checked scope (model, variant, parameters), one
//! `<testcase>` per property. A verdict as expected passes; a surprise is a
//! `<failure>` naming verdict, expectation, trace and the command that
//! reproduces it; a verdict the budget left unknown is `<skipped>`: the
//! property was not decided, which is neither a protocol bug (failure) nor
//! a fault of the tool (error). The exit code (3) still fails the CI job.
//!
//! Only the `time` attributes vary between runs.

use std::fmt::Write;
use std::time::Duration;

use overlay_models::check::Verdict;

use crate::check_cmd::{CheckedRun, Status};

/// The whole document, ending in a newline.
pub fn render(runs: &[CheckedRun], elapsed: Duration) -> String {
    let count = |status: Status| {
        runs.iter()
            .flat_map(|r| &r.outcome.properties)
            .filter(|p| Status::of(p.info.expect, p.verdict) == status)
            .count()
    };
    let tests: usize = runs.iter().map(|r| r.outcome.properties.len()).sum();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        "<testsuites name=\"overlay check\" tests=\"{tests}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{:.3}\">",
        count(Status::Surprise),
        count(Status::Unknown),
        elapsed.as_secs_f64()
    );
    for run in runs {
        suite(&mut x, run);
    }
    x.push_str("</testsuites>\n");
    x
}

fn suite(x: &mut String, run: &CheckedRun) {
    let out = &run.outcome;
    let n = |status: Status| {
        out.properties
            .iter()
            .filter(|p| Status::of(p.info.expect, p.verdict) == status)
            .count()
    };
    let _ = writeln!(
        x,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{:.3}\">",
        esc(&run.title()),
        out.properties.len(),
        n(Status::Surprise),
        n(Status::Unknown),
        out.elapsed.as_secs_f64()
    );
    x.push_str("    <properties>\n");
    let mut prop = |name: &str, value: &str| {
        let _ = writeln!(
            x,
            "      <property name=\"{}\" value=\"{}\"/>",
            esc(name),
            esc(value)
        );
    };
    prop("model", run.model);
    prop("variant", run.variant);
    for (k, v) in &run.params {
        prop(&format!("param.{k}"), v);
    }
    if let Some(about) = run.about {
        prop("profile", about);
    }
    prop("unique_states", &out.unique_states.to_string());
    prop("transitions", &out.states.to_string());
    prop("max_depth", &out.max_depth.to_string());
    prop("complete", &out.complete.to_string());
    prop("command", &run.command);
    x.push_str("    </properties>\n");
    // Dots separate packages in CI viewers; the scope keeps a variant's
    // test cases apart from the same variant's at another scope.
    let class = format!("{}.{}({})", run.model, run.variant, run.params_text());
    for (p, file) in out.properties.iter().zip(&run.traces) {
        let trace = match (&p.path, file) {
            (Some(t), Some(f)) => format!("trace: {} ({} events)", f.display(), t.len_events()),
            (Some(t), None) => format!("trace: not written ({} events)", t.len_events()),
            (None, _) => "trace: none".to_string(),
        };
        let reproduce = p
            .path
            .as_ref()
            .and_then(|t| t.meta("command"))
            .unwrap_or(&run.command);
        let detail = format!(
            "{}: expected {}, verdict {}\n{trace}\nreproduce: {reproduce}",
            p.info.name,
            p.info.expect,
            p.verdict.as_str()
        );
        let _ = write!(
            x,
            "    <testcase name=\"{}\" classname=\"{}\"",
            esc(p.info.name),
            esc(&class)
        );
        match Status::of(p.info.expect, p.verdict) {
            Status::Ok => {
                let _ = writeln!(x, ">\n      <system-out>{}</system-out>", esc(&detail));
            }
            Status::Surprise => {
                let why = if p.verdict == Verdict::Holds {
                    "the expected violation was not found"
                } else {
                    "a property expected to hold is violated"
                };
                let _ = writeln!(
                    x,
                    ">\n      <failure type=\"surprise\" message=\"expected {}, verdict {}: {why}\">{}</failure>",
                    p.info.expect,
                    p.verdict.as_str(),
                    esc(&detail)
                );
            }
            Status::Unknown => {
                let _ = writeln!(
                    x,
                    ">\n      <skipped message=\"verdict unknown: the budget ran out before the check finished (expected {})\"/>\n      <system-out>{}</system-out>",
                    p.info.expect,
                    esc(&detail)
                );
            }
        }
        x.push_str("    </testcase>\n");
    }
    x.push_str("  </testsuite>\n");
}

/// Escapes text for XML/HTML content and quoted attribute values (see
/// [`overlay_models::paint::escape`]).
pub fn esc(s: &str) -> String {
    overlay_models::paint::escape(s)
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn escapes_markup_and_forbidden_characters() {
        assert_eq!(
            esc("a<b>&\"c\"'\u{1}\n"),
            "a&lt;b&gt;&amp;&quot;c&quot;&apos;\u{FFFD}\n"
        );
    }
}
