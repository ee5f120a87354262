//! `overlay check … --report FILE`: the HTML page has a row per property
//! with expected and actual verdicts matching the JSON output, links to
//! trace files that exist (relative to the report's folder), the
//! reproducing commands, and no fetch of anything; it is repeatable but
//! for the masked wall times (snapshot).
//!
//! The page is well-formed XML by design, so roxmltree reads it here.
//! Nothing is written into the repository: every check runs in a
//! temporary folder.

use roxmltree::{Document, Node};
use serde_json::Value;
use tempfile::TempDir;

mod common;
use common::{run_at, words};

// ---------------------------------------------------------------- helpers

/// Reads the page as XML; its `<!DOCTYPE html>` is a DTD to roxmltree.
fn parse(html: &str) -> Document<'_> {
    let opts = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    Document::parse_with_options(html, opts)
        .unwrap_or_else(|e| panic!("not well-formed ({e}):\n{html}"))
}

fn by_id<'a, 'i>(doc: &'a Document<'i>, id: &str) -> Node<'a, 'i> {
    doc.descendants()
        .find(|n| n.attribute("id") == Some(id))
        .unwrap_or_else(|| panic!("no element #{id}"))
}

fn has_class(n: Node, class: &str) -> bool {
    n.attribute("class")
        .is_some_and(|c| c.split_whitespace().any(|x| x == class))
}

fn with_class<'a, 'i>(n: Node<'a, 'i>, class: &str) -> Vec<Node<'a, 'i>> {
    n.descendants().filter(|d| has_class(*d, class)).collect()
}

fn text(n: Node) -> String {
    n.descendants()
        .filter(|d| d.is_text())
        .filter_map(|d| d.text())
        .collect()
}

/// Replaces the content of every `<span class="time">`: the only part
/// that varies between runs.
fn mask_times(html: &str) -> String {
    const OPEN: &str = "<span class=\"time\">";
    let mut out = String::new();
    let mut rest = html;
    while let Some(i) = rest.find(OPEN) {
        out.push_str(&rest[..i + OPEN.len()]);
        out.push_str("[time]");
        let end = rest[i..].find("</span>").expect("span ends") + i;
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The negative control (under a second): three violations of
/// properties claimed to hold, so three surprises with traces.
const RING2: &str = "check chord --variant correct -p nodes=4 -p succ-list=2 -p ring=2 \
                     --trace-dir traces --format json --report out/report.html";

// ------------------------------------------------------------------ tests

#[test]
fn the_report_has_every_property_with_verdicts_and_working_trace_links() {
    let dir = TempDir::new().unwrap();
    let (code, stdout, stderr) = run_at(dir.path(), &words(RING2));
    assert_eq!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let json: Value = serde_json::from_str(&stdout).expect("JSON on stdout");
    let html = std::fs::read_to_string(dir.path().join("out/report.html")).unwrap();
    let doc = parse(&html);

    let overall = by_id(&doc, "overall");
    assert!(has_class(overall, "verdict-surprise"));
    assert_eq!(overall.attribute("data-exit"), Some("1"));
    let runs = by_id(&doc, "runs");
    let run = by_id(&doc, "run-1");
    assert_eq!(run.attribute("data-variant"), Some("correct"));
    assert!(text(runs).contains("26435"), "unique states are shown");
    assert!(text(runs).contains("nodes=4 succ-list=2 ring=2"));

    let table = by_id(&doc, "properties");
    let rows: Vec<Node> = table
        .descendants()
        .filter(|n| n.attribute("data-property").is_some())
        .collect();
    let props = json["properties"].as_array().unwrap();
    assert_eq!(rows.len(), props.len(), "a row per property");
    for (row, p) in rows.iter().zip(props) {
        let name = p["name"].as_str().unwrap();
        assert_eq!(row.attribute("data-property"), Some(name));
        assert_eq!(row.attribute("data-expected"), p["expected"].as_str());
        assert_eq!(row.attribute("data-verdict"), p["verdict"].as_str());
        let cell = |class: &str| text(with_class(*row, class)[0]);
        assert_eq!(cell("expected"), p["expected"].as_str().unwrap());
        assert_eq!(cell("verdict"), p["verdict"].as_str().unwrap());
        let surprise = p["expected"] != p["verdict"];
        assert_eq!(has_class(*row, "verdict-surprise"), surprise, "{name}");
        assert_eq!(has_class(*row, "verdict-ok"), !surprise, "{name}");
        let links = with_class(*row, "trace-link");
        match p["trace"].as_str() {
            Some(trace) => {
                let href = links[0].attribute("href").unwrap();
                // Relative to the report's folder, out/.
                assert_eq!(href, format!("../{trace}"), "{name}");
                let target = dir.path().join("out").join(href);
                assert!(target.is_file(), "{name}: {href} leads to the trace");
                let command = text(with_class(*row, "command")[0]);
                assert!(
                    command.starts_with("overlay check chord --variant correct -p nodes=4"),
                    "{name}: {command}"
                );
            }
            None => assert!(links.is_empty(), "{name} has no trace"),
        }
    }
    // Surprises are listed first, each linking to its row.
    let surprises = by_id(&doc, "surprises");
    let targets: Vec<&str> = surprises
        .descendants()
        .filter_map(|n| n.attribute("href"))
        .collect();
    assert_eq!(
        targets,
        ["#p-1-Invariant", "#p-1-NoDuplicates", "#p-1-Repairable"]
    );
    // Self-contained: nothing is fetched.
    for tag in ["script", "link", "img", "iframe"] {
        assert!(!html.contains(&format!("<{tag}")), "no <{tag}>");
    }
    assert!(!html.contains("http:") && !html.contains("https:"));

    insta::assert_snapshot!("report_ring2_negative_control", mask_times(&html));
}

#[test]
fn an_unfinished_check_without_traces_is_reported_unknown() {
    let dir = TempDir::new().unwrap();
    let (code, stdout, stderr) = run_at(
        dir.path(),
        &words(
            "check chord --variant original -p nodes=4 --max-depth 6 --no-traces --report r.html",
        ),
    );
    assert_eq!(code, 3, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("INCOMPLETE"), "text output as usual");
    let html = std::fs::read_to_string(dir.path().join("r.html")).unwrap();
    let doc = parse(&html);
    let overall = by_id(&doc, "overall");
    assert!(has_class(overall, "verdict-unknown"));
    assert_eq!(overall.attribute("data-exit"), Some("3"));
    assert!(
        doc.descendants()
            .all(|n| n.attribute("id") != Some("surprises")),
        "no surprises section"
    );
    let table = by_id(&doc, "properties");
    assert!(!with_class(table, "verdict-unknown").is_empty());
    assert!(with_class(table, "trace-link").is_empty(), "--no-traces");
    assert!(
        html.contains("not written"),
        "counterexamples found, not written"
    );
    assert!(text(by_id(&doc, "run-1")).contains("no (budget ran out)"));
}

#[test]
fn an_unwritable_report_is_an_input_error() {
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("file"), "").unwrap();
    let (code, _, stderr) = run_at(
        dir.path(),
        &words("check chord --variant original -p nodes=2 --no-traces --report file/r.html"),
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("file"), "names the path: {stderr}");
}
