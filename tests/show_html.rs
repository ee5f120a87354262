//! `overlay show --format html` (one self-contained page) and `overlay
//! show --full` (whole states at every step), on a small committed trace:
//! snapshots of both, the page's stable hooks, `--step` and `--out`,
//! escaping of whatever a trace carries, a trace that does not replay, and
//! exit code 2 with an error naming the field for malformed or truncated
//! traces — never a panic.
//!
//! The page is well-formed XML by design, so roxmltree reads it here. The
//! same page in a real browser is `tests/browser.rs`; the pictures
//! themselves are pinned in `models/tests/paint.rs`, so the snapshot here
//! replaces each `<svg>` by its caption.

use std::path::{Path, PathBuf};

use roxmltree::{Document, Node};
use serde_json::Value;

mod common;
use common::{run, s, trace};

/// The AtLeastOneRing counterexample at N=3: 5 events, violated first at
/// step 5, with 14 properties in the `original` variant.
const AT_LEAST_ONE_RING: &str = "traces/chord/original_nodes3_succ-list2_AtLeastOneRing.itf.json";

// ---------------------------------------------------------------- helpers

/// Runs `overlay args…` and expects exit 0 and a quiet stderr.
fn ok(args: &[&str]) -> String {
    let (code, stdout, stderr) = run(args);
    assert_eq!(code, 0, "{args:?}\nstdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stderr.is_empty(), "{args:?}: {stderr}");
    stdout
}

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
        .unwrap_or_else(|| panic!("no #{id}"))
}

fn has_class(n: &Node, class: &str) -> bool {
    n.attribute("class")
        .is_some_and(|c| c.split_whitespace().any(|x| x == class))
}

/// All text below `n`, as a browser's `textContent`.
fn text(n: Node) -> String {
    n.descendants()
        .filter(|d| d.is_text())
        .filter_map(|d| d.text())
        .collect()
}

/// The page with each inline `<svg>…</svg>` replaced by its `<title>`:
/// the snapshot pins the page, not the painter.
fn without_pictures(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(start) = rest.find("<svg") {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find("</svg>")
            .map(|e| start + e + "</svg>".len())
            .expect("every <svg> is closed");
        let svg = &rest[start..end];
        let title = svg
            .split_once("<title>")
            .and_then(|(_, t)| t.split_once("</title>"))
            .map_or("", |(t, _)| t);
        out.push_str(&format!("<svg>[picture: {title}]</svg>"));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The committed trace with `edit` applied, written into `dir`.
fn edited(dir: &Path, name: &str, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let text = std::fs::read_to_string(trace(AT_LEAST_ONE_RING)).unwrap();
    let mut doc: Value = serde_json::from_str(&text).unwrap();
    edit(&mut doc);
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    path
}

// ------------------------------------------------------------------ html

#[test]
fn html_page_of_a_counterexample() {
    let t = trace(AT_LEAST_ONE_RING);
    let html = ok(&["show", s(&t), "--format", "html"]);
    assert_eq!(
        html,
        ok(&["show", s(&t), "--format", "html"]),
        "byte for byte the same"
    );

    // Self-contained: nothing to fetch.
    for needle in ["src=", "<link", "@import", "url(", "href=\"http", "//cdn"] {
        assert!(!html.contains(needle), "the page fetches: {needle}");
    }

    let doc = parse(&html);
    let body = doc.descendants().find(|n| n.has_tag_name("body")).unwrap();
    // Opens on the first violation.
    assert_eq!(body.attribute("data-current"), Some("5"));
    assert_eq!(body.attribute("data-steps"), Some("6"));
    assert_eq!(body.attribute("data-first-violation"), Some("5"));

    // The reproducing command comes first in the header.
    let header = doc
        .descendants()
        .find(|n| n.has_tag_name("header"))
        .unwrap();
    let first_p = header
        .children()
        .find(|n| n.has_tag_name("p"))
        .expect("a paragraph in the header");
    assert_eq!(first_p.attribute("id"), Some("reproduce"));
    assert_eq!(
        text(first_p),
        "Reproduce: overlay check chord --variant original -p nodes=3 -p succ-list=2 --max-depth 5"
    );

    // The step list: one item per state, the first violation marked.
    let steps: Vec<Node> = by_id(&doc, "steps")
        .children()
        .filter(|n| n.has_tag_name("li"))
        .collect();
    assert_eq!(steps.len(), 6);
    for (k, li) in steps.iter().enumerate() {
        assert_eq!(li.attribute("data-step"), Some(k.to_string().as_str()));
        assert_eq!(has_class(li, "violation-first"), k == 5, "step {k}");
        assert_eq!(has_class(li, "current"), k == 5, "step {k}");
    }
    assert!(
        text(steps[5]).contains("stabilize n0"),
        "{}",
        text(steps[5])
    );
    assert!(text(steps[5]).contains("✗ AtLeastOneRing"));

    // The selected step: its picture is what `--format svg --step 5`
    // prints, its diff the text view's changes, its verdicts every
    // property's.
    let svg = ok(&["show", s(&t), "--format", "svg", "--step", "5"]);
    assert!(html.contains(&format!("<div id=\"picture\">{}</div>", svg.trim_end())));
    let rows: Vec<(String, String, String)> = by_id(&doc, "diff")
        .descendants()
        .filter(|n| n.has_tag_name("tr") && n.attribute("data-field").is_some())
        .map(|tr| {
            let cell = |c: &str| {
                text(
                    tr.children()
                        .find(|td| has_class(td, c))
                        .unwrap_or_else(|| panic!("no td.{c}")),
                )
            };
            (cell("field"), cell("old"), cell("new"))
        })
        .collect();
    let own = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
    assert_eq!(
        rows,
        vec![
            own("pending", "{}", "{<n0, n1>}"),
            own("succ[n0]", "n0", "n1")
        ]
    );
    let now: Vec<Node> = by_id(&doc, "now")
        .descendants()
        .filter(|n| n.attribute("data-property").is_some())
        .collect();
    assert_eq!(now.len(), 14, "every property of the original variant");
    let violated: Vec<&str> = now
        .iter()
        .filter(|n| has_class(n, "violated"))
        .map(|n| n.attribute("data-property").unwrap())
        .collect();
    assert_eq!(
        violated,
        ["AtLeastOneRing", "ConnectedAppendages", "Repairable"]
    );

    // Verdicts over time: property × state, each first violation framed.
    let cells: Vec<Node> = by_id(&doc, "verdicts")
        .descendants()
        .filter(|n| {
            n.has_tag_name("td")
                && n.attribute("data-property").is_some()
                && n.attribute("data-step").is_some()
        })
        .collect();
    assert_eq!(cells.len(), 14 * 6);
    let firsts: Vec<(&str, &str)> = cells
        .iter()
        .filter(|n| has_class(n, "first"))
        .map(|n| {
            (
                n.attribute("data-property").unwrap(),
                n.attribute("data-step").unwrap(),
            )
        })
        .collect();
    assert_eq!(
        firsts,
        [
            ("AtLeastOneRing", "5"),
            ("ConnectedAppendages", "5"),
            ("Repairable", "5")
        ]
    );

    // One template per state for the script, each with its own picture.
    let frames = doc
        .descendants()
        .filter(|n| n.has_tag_name("template") && has_class(n, "frame"))
        .count();
    assert_eq!(frames, 6);

    insta::assert_snapshot!("html_at_least_one_ring", without_pictures(&html));
}

#[test]
fn html_step_and_out() {
    let tmp = tempfile::tempdir().unwrap();
    let t = trace(AT_LEAST_ONE_RING);
    let out = tmp.path().join("page.html");
    let stdout = ok(&[
        "show",
        s(&t),
        "--format",
        "html",
        "--step",
        "2",
        "--out",
        s(&out),
    ]);
    assert_eq!(stdout, format!("wrote {} (states 0 … 5)\n", s(&out)));
    let html = std::fs::read_to_string(&out).unwrap();
    let doc = parse(&html);
    let body = doc.descendants().find(|n| n.has_tag_name("body")).unwrap();
    assert_eq!(body.attribute("data-current"), Some("2"));
    assert_eq!(
        text(by_id(&doc, "step-title")),
        "step 2 of 5 · stabilize n1"
    );
    assert!(text(by_id(&doc, "picture")).contains("step 2 · stabilize n1"));

    let (code, stdout, stderr) = run(&["show", s(&t), "--format", "html", "--step", "6"]);
    assert_eq!(code, 2, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("--step 6 is out of range") && stderr.contains("states 0 … 5"),
        "{stderr}"
    );
}

#[test]
fn flags_that_do_not_fit_the_format_exit_2() {
    let t = trace(AT_LEAST_ONE_RING);
    for (args, needle) in [
        (
            vec!["--format", "mermaid", "--full"],
            "--full applies to --format text only",
        ),
        (
            vec!["--format", "html", "--full"],
            "--full applies to --format text only",
        ),
        (
            vec!["--out", "x.html"],
            "--out applies to --format html only",
        ),
        (
            vec!["--format", "html", "--out-dir", "x"],
            "--out-dir applies to --format svg only",
        ),
        (
            vec!["--step", "1"],
            "--step applies to --format svg only (pictures of states), and to --format html",
        ),
    ] {
        let mut all = vec!["show", s(&t)];
        all.extend(args.iter().copied());
        let (code, stdout, stderr) = run(&all);
        assert_eq!(code, 2, "{all:?}\nstdout:\n{stdout}\nstderr:\n{stderr}");
        assert!(stdout.is_empty(), "{stdout}");
        assert!(stderr.contains(needle), "{all:?}: {stderr}");
    }
}

#[test]
fn html_escapes_what_the_trace_carries() {
    let tmp = tempfile::tempdir().unwrap();
    let hostile = "<script>alert(\"x\")</script> & 'y'";
    let t = edited(tmp.path(), "hostile.itf.json", |doc| {
        doc["#meta"]["command"] = Value::String(format!("overlay {hostile}"));
        doc["#meta"]["note"] = Value::String(hostile.into());
        // An event the model does not know: the trace no longer replays,
        // and the page must still escape it.
        doc["states"][1]["mbt::actionTaken"] = Value::String(hostile.into());
    });
    let (code, html, stderr) = run(&["show", s(&t), "--format", "html"]);
    assert_eq!(code, 0, "stderr:\n{stderr}");
    assert!(stderr.contains("does not replay"), "{stderr}");
    assert!(!html.contains("<script>alert"), "unescaped");
    assert!(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"));
    // Exactly one script: the page's own.
    assert_eq!(html.matches("<script").count(), 1);
    let doc = parse(&html);
    assert!(text(by_id(&doc, "replay-warning")).contains("does not replay"));
    assert!(!html.contains("<svg"), "no pictures without a replay");
    // Still every step, and the hostile one shown as text.
    let li = doc
        .descendants()
        .find(|n| n.has_tag_name("li") && n.attribute("data-step") == Some("1"))
        .unwrap();
    assert!(text(li).contains(hostile), "{}", text(li));
}

// ------------------------------------------------------------------ text

#[test]
fn full_text_view() {
    let t = trace(AT_LEAST_ONE_RING);
    let full = ok(&["show", s(&t), "--full"]);
    insta::assert_snapshot!("full_at_least_one_ring", full);
    // Whole states: every step lists succ[n0], changed or not.
    let blocks: Vec<&str> = full.split("\n\n").skip(1).collect();
    assert_eq!(blocks.len(), 6);
    assert!(blocks.iter().all(|b| b.contains("succ[n0] = ")), "{full}");
}

#[test]
fn default_text_view_marks_the_first_violation_and_counts_the_rest() {
    let t = trace(AT_LEAST_ONE_RING);
    let text = ok(&["show", s(&t)]);
    assert!(
        text.contains("step 5  stabilize n0  ← first violation of AtLeastOneRing\n"),
        "{text}"
    );
    assert_eq!(text.matches("first violation").count(), 1, "{text}");
    assert!(
        text.contains(
            "violated: AtLeastOneRing (new), ConnectedAppendages (new), Repairable (new); the other 11 hold"
        ),
        "{text}"
    );
    assert_eq!(text.matches("holds: all").count(), 5, "{text}");
}

// ------------------------------------------------------------- bad input

#[test]
fn malformed_or_truncated_traces_exit_2_naming_the_field() {
    let tmp = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(trace(AT_LEAST_ONE_RING)).unwrap();
    let truncated = tmp.path().join("truncated.itf.json");
    std::fs::write(&truncated, &original[..original.len() / 3]).unwrap();
    let no_action = edited(tmp.path(), "no-action.itf.json", |doc| {
        doc["states"][3]
            .as_object_mut()
            .unwrap()
            .remove("mbt::actionTaken");
    });
    let null_var = edited(tmp.path(), "null.itf.json", |doc| {
        doc["states"][2]["succ"] = Value::Null;
    });
    let no_states = edited(tmp.path(), "no-states.itf.json", |doc| {
        doc.as_object_mut().unwrap().remove("states");
    });
    let unknown_model = edited(tmp.path(), "unknown-model.itf.json", |doc| {
        doc["#meta"]["model"] = Value::String("gnutella-9000".into());
    });
    let cases: [(&Path, &[&str]); 5] = [
        (&truncated, &["not JSON", "line"]),
        (&no_action, &["state 3", "mbt::actionTaken"]),
        (&null_var, &["state 2", "variable \"succ\"", "null"]),
        (&no_states, &["missing \"states\""]),
        (&unknown_model, &["gnutella-9000"]),
    ];
    for (file, needles) in cases {
        for extra in [&["--format", "html"][..], &["--full"][..]] {
            let mut args = vec!["show", s(file)];
            args.extend(extra);
            let (code, stdout, stderr) = run(&args);
            assert_eq!(code, 2, "{args:?}\nstdout:\n{stdout}\nstderr:\n{stderr}");
            assert!(stdout.is_empty(), "{args:?}: {stdout}");
            assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
            assert!(stderr.contains(s(file)), "{args:?}: {stderr}");
            for needle in needles {
                assert!(
                    stderr.contains(needle),
                    "{args:?} lacks {needle:?}: {stderr}"
                );
            }
        }
    }
}
