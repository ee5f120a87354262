//! Pictures of states (`overlay show --format svg`, the explorer): pinned
//! SVG snapshots of two committed traces, well-formed and deterministic
//! output for every committed trace, the violating step highlighted, and
//! clear errors for traces that cannot be drawn.

use std::path::{Path, PathBuf};

use overlay_models::check::Runner;
use overlay_models::chord::Action;
use overlay_models::paint::VIOLATION;
use overlay_models::registry;
use overlay_models::trace::{read_file, read_str, Trace};
use stateright::Model;

mod common;

fn traces_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces/chord")
}

fn load(name: &str) -> (Trace, Box<dyn Runner>) {
    let t = read_file(&traces_dir().join(name)).expect("a committed trace reads");
    let r = registry::for_trace(&t).expect("the trace names a model");
    (t, r)
}

/// How often a picture uses the violation colour beyond the legend's
/// sample (a line and its arrowhead).
fn red_marks(svg: &str) -> usize {
    svg.matches(VIOLATION).count().saturating_sub(2)
}

fn pictures(name: &str) -> Vec<String> {
    let (t, r) = load(name);
    r.svgs(&t).expect("a committed trace replays")
}

/// A small well-formedness check: one `<svg>` root, every tag closed in
/// order, attribute values quoted, and `&` only as one of the five XML
/// entities. Returns the element names in document order.
fn well_formed(doc: &str) -> Result<Vec<String>, String> {
    fn entities_ok(text: &str) -> bool {
        text.match_indices('&').all(|(i, _)| {
            ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                .iter()
                .any(|e| text[i..].starts_with(e))
        })
    }
    let mut stack: Vec<String> = Vec::new();
    let mut names = Vec::new();
    let mut rest = doc.trim_end();
    let mut roots = 0;
    while let Some(open) = rest.find('<') {
        let text = &rest[..open];
        if stack.is_empty() && !text.trim().is_empty() {
            return Err(format!("text outside the root: {text:?}"));
        }
        if !entities_ok(text) || text.contains('>') {
            return Err(format!("unescaped text: {text:?}"));
        }
        rest = &rest[open + 1..];
        // The tag's end: the first `>` outside quotes.
        let mut quote = None;
        let end = rest
            .char_indices()
            .find(|&(_, c)| match (quote, c) {
                (None, '"') => {
                    quote = Some('"');
                    false
                }
                (Some('"'), '"') => {
                    quote = None;
                    false
                }
                (None, '>') => true,
                _ => false,
            })
            .map(|(i, _)| i)
            .ok_or("a tag is not closed")?;
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        if tag.contains('<') || !entities_ok(tag) {
            return Err(format!("bad tag <{tag}>"));
        }
        if let Some(name) = tag.strip_prefix('/') {
            match stack.pop() {
                Some(open) if open == name => {}
                other => return Err(format!("</{name}> closes {other:?}")),
            }
            continue;
        }
        let self_closing = tag.ends_with('/');
        let body = tag.trim_end_matches('/');
        let name: String = body.chars().take_while(|c| !c.is_whitespace()).collect();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(format!("bad element name in <{tag}>"));
        }
        // Attributes: name="value" pairs, nothing else.
        let mut attrs = body[name.len()..].trim();
        while !attrs.is_empty() {
            let (key, after) = attrs
                .split_once("=\"")
                .ok_or_else(|| format!("unquoted attribute in <{tag}>"))?;
            if key.trim().is_empty() || key.trim().contains(char::is_whitespace) {
                return Err(format!("bad attribute name in <{tag}>"));
            }
            let (_, after) = after
                .split_once('"')
                .ok_or_else(|| format!("open attribute value in <{tag}>"))?;
            attrs = after.trim_start();
        }
        if stack.is_empty() {
            roots += 1;
            if name != "svg" {
                return Err(format!("the root is <{name}>, not <svg>"));
            }
        }
        names.push(name.clone());
        if !self_closing {
            stack.push(name);
        }
    }
    if !rest.trim().is_empty() {
        return Err(format!("text after the root: {rest:?}"));
    }
    match (roots, stack.is_empty()) {
        (1, true) => Ok(names),
        (_, false) => Err(format!("unclosed: {stack:?}")),
        _ => Err(format!("{roots} root elements")),
    }
}

#[test]
fn the_checker_of_well_formedness_rejects_what_it_should() {
    assert!(well_formed("<svg a=\"1\"><g><text>x &amp; y</text></g></svg>\n").is_ok());
    assert!(well_formed("<svg><g></svg>").is_err());
    assert!(well_formed("<svg><text>a & b</text></svg>").is_err());
    assert!(well_formed("<svg a=1/>").is_err());
    assert!(well_formed("<svg/><svg/>").is_err());
    assert!(well_formed("<g/>").is_err());
}

#[test]
fn the_first_violation_of_at_least_one_ring() {
    let svgs = pictures("original_nodes3_succ-list2_AtLeastOneRing.itf.json");
    assert_eq!(svgs.len(), 6, "init + 5 events");
    let last = &svgs[5];
    assert!(
        last.contains("violated first here: AtLeastOneRing"),
        "{last}"
    );
    // The step's new successor n0 → n1 (n1 failed a step earlier) and the
    // node that changed are drawn in the violation colour.
    assert!(last.contains(&format!("stroke=\"{VIOLATION}\"")));
    // Before the violation nothing is red.
    assert_eq!(red_marks(&svgs[4]), 0, "{}", svgs[4]);
    assert!(red_marks(last) >= 4, "caption, node, arrows:\n{last}");
    insta::assert_snapshot!("original_at_least_one_ring_step5", last);
}

#[test]
fn a_correct_ring_repairing_a_failure() {
    let svgs = pictures("correct_example_failure.itf.json");
    // Step 12: n0 replaces its dead successor n1; n2 is told to rectify.
    let pic = &svgs[12];
    assert!(pic.contains("step 12 · stabilize n0"), "{pic}");
    assert!(pic.contains(">rectifying(n0)</text>"), "{pic}");
    assert!(pic.contains("all properties hold"));
    assert_eq!(red_marks(pic), 0, "{pic}");
    insta::assert_snapshot!("correct_failure_step12", pic);
}

#[test]
fn every_committed_trace_draws_well_formed_deterministic_pictures() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(traces_dir())
        .expect("traces/chord exists")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.to_string_lossy().ends_with(".itf.json"))
        .collect();
    files.sort();
    assert!(files.len() > 10, "the committed traces are found");
    for file in files {
        let t = read_file(&file).expect("reads");
        let r = registry::for_trace(&t).expect("names a model");
        let svgs = r.svgs(&t).expect("replays");
        assert_eq!(svgs.len(), t.states.len(), "{}", file.display());
        assert_eq!(svgs, r.svgs(&t).expect("replays"), "deterministic");
        for (k, svg) in svgs.iter().enumerate() {
            let names = well_formed(svg)
                .unwrap_or_else(|e| panic!("{} step {k}: {e}\n{svg}", file.display()));
            assert_eq!(names[0], "svg");
            assert!(svg.contains(&format!("step {k} · ")));
            // Self-contained: nothing fetched, no ids to clash when many
            // pictures share a page.
            for banned in ["href", "url(", "@import", " id=\"", "<script", "<style"] {
                assert!(
                    !svg.contains(banned),
                    "{} contains {banned}",
                    file.display()
                );
            }
        }
        // A counterexample's property fails first at some step, which is
        // named there and drawn in the violation colour. (A lasso violates
        // a liveness property as a whole run, at no single step.)
        if let Some(p) = t.meta("property").filter(|_| t.meta("loop").is_none()) {
            let first = svgs
                .iter()
                .position(|s| s.contains("violated first here:") && s.contains(p))
                .or_else(|| svgs[0].contains(p).then_some(0));
            let k = first.unwrap_or_else(|| panic!("{}: {p} never named", file.display()));
            if k > 0 {
                assert!(red_marks(&svgs[k]) > 1, "{} step {k}", file.display());
            }
        }
    }
}

#[test]
fn a_trace_that_does_not_replay_is_an_error_naming_the_step() {
    let (t, r) = load("original_nodes3_succ-list2_AtLeastOneRing.itf.json");
    let text = t.to_string_pretty();
    let tampered = text.replacen("\"stabilize n0\"", "\"stabilize n2\"", 1);
    let t2 = read_str(&tampered, "tampered.itf.json").expect("still ITF");
    let e = r.svgs(&t2).expect_err("n2 is not a member");
    assert_eq!(e.step, Some(5), "{e}");
    let garbled = text.replacen("\"stabilize n0\"", "\"wobble n0\"", 1);
    let t3 = read_str(&garbled, "garbled.itf.json").expect("still ITF");
    let e = r.svgs(&t3).expect_err("not an event");
    assert!(e.malformed && e.step == Some(5), "{e}");
}

#[test]
fn the_explorer_shows_the_last_state_with_its_step() {
    let m = common::model("original", &[]);
    let init = m.init_states().remove(0);
    let actions = [
        Action::Join { j: 1, via: 0 },
        Action::Stabilize(1),
        Action::Notified { n: 0, from: 1 },
        Action::Fail(1),
        Action::Stabilize(0),
    ];
    let path = stateright::Path::from_actions(&m, init, &actions).expect("enabled");
    let svg = m.as_svg(path).expect("Chord has a picture");
    assert!(svg.contains("step 5 · stabilize n0"), "{svg}");
    assert!(svg.contains("violated first here: AtLeastOneRing"));
    well_formed(&svg).expect("well-formed");
    // The same as the trace's picture of that state.
    assert_eq!(
        svg,
        pictures("original_nodes3_succ-list2_AtLeastOneRing.itf.json")[5]
    );
    let path = stateright::Path::from_actions(&m, init, &[]).expect("the initial state");
    let svg = m.as_svg(path).expect("a picture");
    assert!(svg.contains("step 0 · initial state"), "{svg}");
}
