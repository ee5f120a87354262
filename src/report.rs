//! `overlay check … --report FILE`: one self-contained HTML page for a
//! whole check run, for reviewers who want the verdicts and the traces
//! behind them without a terminal.
//!
//! Self-contained means no fetch of any kind (inline CSS, no script), so
//! the page works from a CI artifact store or offline. Links into traces
//! are relative to the report's folder, so report and traces can move
//! together. Everything that comes from a model, a path or a command is
//! escaped. The page is byte-for-byte repeatable except the wall times,
//! each inside `<span class="time">` so tests can mask them.
//!
//! The page is also well-formed XML (polyglot HTML: void elements closed
//! with `/>`), so tests and scripts can read it with any XML parser.
//!
//! Stable hooks for scripts and browser tests: `#overall` (class
//! `verdict-ok|verdict-surprise|verdict-unknown`, `data-exit`),
//! `#surprises` (only when there are any), `#runs` (a row `#run-K` per
//! scope), `#properties` (a `tbody.run` per scope, a row per property with
//! class `verdict-ok|verdict-surprise|verdict-unknown` and `data-run`,
//! `data-model`, `data-variant`, `data-property`, `data-expected`,
//! `data-verdict`; its trace link is `a.trace-link`, its command
//! `code.command`).

use std::fmt::Write;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use crate::check_cmd::{CheckedRun, Status};
use crate::exit::Failure;
use crate::input_error;

/// Writes the report to `path`, creating its folder.
pub fn write(path: &Path, runs: &[CheckedRun], elapsed: Duration) -> Result<(), Failure> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(|e| {
        input_error(format!(
            "cannot create the report's folder {}: {e}",
            dir.display()
        ))
    })?;
    let base = absolute(&dir);
    let link = |target: &Path| relative(&base, &absolute(target)).map(|p| href(&p));
    let html = render(runs, elapsed, &link);
    std::fs::write(path, html)
        .map_err(|e| input_error(format!("cannot write report {}: {e}", path.display())))?;
    eprintln!("report: {}", path.display());
    Ok(())
}

/// The page. `link` turns a trace file into an `href` relative to the
/// report, or `None` when there is no relative way there.
pub fn render(
    runs: &[CheckedRun],
    elapsed: Duration,
    link: &dyn Fn(&Path) -> Option<String>,
) -> String {
    let statuses: Vec<Vec<Status>> = runs
        .iter()
        .map(|r| {
            r.outcome
                .properties
                .iter()
                .map(|p| Status::of(p.info.expect, p.verdict))
                .collect()
        })
        .collect();
    let count = |s: Status| statuses.iter().flatten().filter(|&&x| x == s).count();
    let (ok, surprises, unknown) = (
        count(Status::Ok),
        count(Status::Surprise),
        count(Status::Unknown),
    );
    let (overall, exit, headline) = if surprises > 0 {
        (
            Status::Surprise,
            1,
            "SURPRISE: some verdict differs from its expectation",
        )
    } else if unknown > 0 {
        (
            Status::Unknown,
            3,
            "The budget ran out before every verdict was known",
        )
    } else {
        (Status::Ok, 0, "Every verdict as expected")
    };
    let mut models: Vec<&str> = runs.iter().map(|r| r.model).collect();
    models.dedup();

    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n");
    let _ = writeln!(
        h,
        "<title>overlay check {}: {}</title>",
        esc(&models.join(", ")),
        esc(headline)
    );
    h.push_str(STYLE);
    h.push_str("</head>\n<body>\n<header>\n<h1>overlay check report</h1>\n");
    let _ = writeln!(
        h,
        "<p id=\"overall\" class=\"{}\" data-exit=\"{exit}\">{} (exit code {exit})</p>",
        class(overall),
        esc(headline)
    );
    let _ = writeln!(
        h,
        "<p id=\"totals\">{} {}, {} {}: {ok} as expected, {surprises} {}, {unknown} unknown. Wall time <span class=\"time\">{:.1} s</span>.</p>",
        runs.len(),
        plural(runs.len(), "scope", "scopes"),
        ok + surprises + unknown,
        plural(ok + surprises + unknown, "property", "properties"),
        plural(surprises, "surprise", "surprises"),
        elapsed.as_secs_f64()
    );
    h.push_str("</header>\n");

    if surprises > 0 {
        h.push_str("<section id=\"surprises\">\n<h2>Surprises</h2>\n<ul>\n");
        for (k, run) in runs.iter().enumerate() {
            for (p, s) in run.outcome.properties.iter().zip(&statuses[k]) {
                if *s == Status::Surprise {
                    let _ = writeln!(
                        h,
                        "<li><a href=\"#{}\">{} — {}: expected {}, verdict {}</a></li>",
                        row_id(k, p.info.name),
                        esc(&run.title()),
                        esc(p.info.name),
                        p.info.expect,
                        p.verdict.as_str()
                    );
                }
            }
        }
        h.push_str("</ul>\n</section>\n");
    }

    h.push_str("<section>\n<h2>Scopes</h2>\n<table id=\"runs\">\n<thead><tr><th>#</th><th>model</th><th>variant</th><th>parameters</th><th>depth bound</th><th>unique states</th><th>transitions</th><th>depth</th><th>complete</th><th>wall time</th><th>result</th></tr></thead>\n<tbody>\n");
    for (k, run) in runs.iter().enumerate() {
        let out = &run.outcome;
        let n = |s: Status| statuses[k].iter().filter(|&&x| x == s).count();
        let status = worst(&statuses[k]);
        let result = match status {
            Status::Ok => format!("{} as expected", n(Status::Ok)),
            Status::Surprise => format!(
                "{} {}",
                n(Status::Surprise),
                plural(n(Status::Surprise), "SURPRISE", "SURPRISES")
            ),
            Status::Unknown => format!("{} unknown", n(Status::Unknown)),
        };
        let _ = writeln!(
            h,
            "<tr id=\"run-{k1}\" class=\"{}\" data-run=\"{k1}\" data-model=\"{}\" data-variant=\"{}\"><td><a href=\"#run-{k1}-properties\">{k1}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td><span class=\"time\">{:.1} s</span></td><td class=\"result\">{}</td></tr>",
            class(status),
            esc(run.model),
            esc(run.variant),
            esc(run.model),
            esc(run.variant),
            esc(&run.params_text()),
            run.max_depth.map_or("none".to_string(), |d| d.to_string()),
            out.unique_states,
            out.states,
            out.max_depth,
            if out.complete { "yes" } else { "no (budget ran out)" },
            out.elapsed.as_secs_f64(),
            esc(&result),
            k1 = k + 1,
        );
    }
    h.push_str("</tbody>\n</table>\n</section>\n");

    h.push_str("<section>\n<h2>Properties</h2>\n<table id=\"properties\">\n<thead><tr><th>property</th><th>expected</th><th>verdict</th><th>result</th><th>trace</th><th>reproduce</th></tr></thead>\n");
    for (k, run) in runs.iter().enumerate() {
        let k1 = k + 1;
        let _ = writeln!(
            h,
            "<tbody id=\"run-{k1}-properties\" class=\"run\" data-run=\"{k1}\">\n<tr class=\"run-heading\"><th colspan=\"6\"><a href=\"#run-{k1}\">{k1}. {}</a>{}<br/><code class=\"command\">{}</code></th></tr>",
            esc(&run.title()),
            run.about
                .map(|a| format!(" — <span class=\"about\">{}</span>", esc(a)))
                .unwrap_or_default(),
            esc(&run.command)
        );
        for ((p, file), status) in run
            .outcome
            .properties
            .iter()
            .zip(&run.traces)
            .zip(&statuses[k])
        {
            let trace = match (&p.path, file) {
                (Some(t), Some(f)) => {
                    let events = events(t.len_events(), p.shortest);
                    let name = f
                        .file_name()
                        .map_or_else(|| f.display().to_string(), |n| n.to_string_lossy().into());
                    match link(f) {
                        Some(href) => format!(
                            "<a class=\"trace-link\" href=\"{}\">{}</a> <span class=\"events\">{events}</span>",
                            esc(&href),
                            esc(&name)
                        ),
                        None => format!(
                            "<span class=\"trace-path\">{}</span> <span class=\"events\">{events}</span>",
                            esc(&f.display().to_string())
                        ),
                    }
                }
                (Some(t), None) => format!(
                    "<span class=\"events\">{}</span>, not written",
                    events(t.len_events(), p.shortest)
                ),
                (None, _) => "—".to_string(),
            };
            let reproduce = p
                .path
                .as_ref()
                .and_then(|t| t.meta("command"))
                .map_or("—".to_string(), |c| {
                    format!("<code class=\"command\">{}</code>", esc(c))
                });
            let _ = writeln!(
                h,
                "<tr id=\"{}\" class=\"{}\" data-run=\"{k1}\" data-model=\"{}\" data-variant=\"{}\" data-property=\"{}\" data-expected=\"{}\" data-verdict=\"{}\"><td class=\"name\">{}<div class=\"about\">{}</div></td><td class=\"expected\">{}</td><td class=\"verdict\">{}</td><td class=\"result\">{}</td><td class=\"trace\">{trace}</td><td class=\"reproduce\">{reproduce}</td></tr>",
                row_id(k, p.info.name),
                class(*status),
                esc(run.model),
                esc(run.variant),
                esc(p.info.name),
                p.info.expect,
                p.verdict.as_str(),
                esc(p.info.name),
                esc(p.info.about),
                p.info.expect,
                p.verdict.as_str(),
                match status {
                    Status::Ok => "ok",
                    Status::Surprise => "SURPRISE",
                    Status::Unknown => "unknown (budget)",
                },
            );
        }
        h.push_str("</tbody>\n");
    }
    h.push_str("</table>\n</section>\n");
    let _ = writeln!(
        h,
        "<footer><p>A surprise is a property claimed to hold that is violated, or an expected violation that was not found; unknown means the budget ran out first. Trace links are relative to this page; <code>overlay show TRACE</code> prints one as a step table. Written by overlay {}.</p></footer>",
        env!("CARGO_PKG_VERSION")
    );
    h.push_str("</body>\n</html>\n");
    h
}

const STYLE: &str = "<style>
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #1b1b1b; background: #fff; }
h1 { font-size: 1.4em; margin-bottom: 0.3em; }
h2 { font-size: 1.15em; margin-top: 1.5em; }
table { border-collapse: collapse; margin-top: 0.5em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
thead th { background: #eee; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.run-heading th { background: #f4f4f4; font-weight: normal; padding-top: 0.6em; }
tr.run-heading a { font-weight: bold; }
code { font-family: ui-monospace, monospace; font-size: 0.9em; overflow-wrap: anywhere; }
.about { color: #555; font-size: 0.85em; }
.verdict-ok td.result, #overall.verdict-ok { background: #dff3e3; color: #14532d; }
.verdict-surprise td.result, #overall.verdict-surprise { background: #fbd5d5; color: #7f1d1d; font-weight: bold; }
.verdict-unknown td.result, #overall.verdict-unknown { background: #fdf0c4; color: #713f12; }
tr.verdict-surprise { outline: 2px solid #c62828; }
#overall { display: inline-block; padding: 0.3em 0.7em; border-radius: 0.3em; }
footer { margin-top: 2em; color: #555; font-size: 0.85em; }
</style>
";

fn class(s: Status) -> &'static str {
    match s {
        Status::Ok => "verdict-ok",
        Status::Surprise => "verdict-surprise",
        Status::Unknown => "verdict-unknown",
    }
}

/// A surprise outweighs an unknown verdict, which outweighs success.
fn worst(statuses: &[Status]) -> Status {
    if statuses.contains(&Status::Surprise) {
        Status::Surprise
    } else if statuses.contains(&Status::Unknown) {
        Status::Unknown
    } else {
        Status::Ok
    }
}

fn events(n: usize, shortest: bool) -> String {
    format!(
        "{n} {}{}",
        plural(n, "event", "events"),
        if shortest { ", shortest" } else { "" }
    )
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// `p-3-OrderedMerges`: an HTML id from the run's number and a property
/// name, with anything but letters, digits, `-` and `_` replaced.
fn row_id(run: usize, property: &str) -> String {
    let name: String = property
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("p-{}-{name}", run + 1)
}

/// Escapes text for HTML content and quoted attribute values (see
/// [`overlay_models::paint::escape`]), with `'` as `&#39;`, which every
/// HTML parser knows (`&apos;` is XML's and HTML5's only).
pub fn esc(s: &str) -> String {
    overlay_models::paint::escape(s).replace("&apos;", "&#39;")
}

/// The path made absolute and, where it exists, free of symbolic links,
/// so that two paths to the same place compare equal.
fn absolute(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| {
        std::env::current_dir()
            .map(|d| d.join(p))
            .unwrap_or_else(|_| p.to_path_buf())
    })
}

/// `to` relative to the folder `from` (both absolute); `None` when they
/// share no root (another drive).
fn relative(from: &Path, to: &Path) -> Option<PathBuf> {
    let from: Vec<Component> = from.components().collect();
    let to: Vec<Component> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    if common == 0 {
        return None;
    }
    let mut rel = PathBuf::new();
    for _ in common..from.len() {
        rel.push("..");
    }
    for c in &to[common..] {
        rel.push(c.as_os_str());
    }
    Some(rel)
}

/// A relative path as a URL path: `/`-separated, each segment
/// percent-encoded (a `#`, `?` or blank in a folder name must not end it).
fn href(rel: &Path) -> String {
    let segments: Vec<String> = rel
        .components()
        .map(|c| {
            let mut s = String::new();
            for b in c.as_os_str().to_string_lossy().bytes() {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    s.push(b as char);
                } else {
                    let _ = write!(s, "%{b:02X}");
                }
            }
            s
        })
        .collect();
    segments.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_and_descend() {
        let rel = relative(Path::new("/a/b/report"), Path::new("/a/b/traces/x.json"));
        assert_eq!(rel.as_deref(), Some(Path::new("../traces/x.json")));
        let rel = relative(Path::new("/a"), Path::new("/a/t/x.json"));
        assert_eq!(rel.as_deref(), Some(Path::new("t/x.json")));
    }

    #[test]
    fn hrefs_are_percent_encoded_per_segment() {
        assert_eq!(
            href(Path::new("../my traces/a#1.itf.json")),
            "../my%20traces/a%231.itf.json"
        );
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
