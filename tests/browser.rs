//! The HTML trace view and the check report as a person sees them: opened
//! in real headless Chromium (Debian's `chromium` package), after the
//! page's script ran. Chromium's `--dump-dom` gives the live DOM, which
//! is checked for the expected steps, verdicts and pictures; navigation is
//! simulated through the `#step=K` fragment the page's script honours on
//! load; `--screenshot` must give a non-blank picture of each page.
//!
//! Chromium is required: without it these tests FAIL, saying how to
//! install it (`.ci/run` installs it on CI machines). Set
//! `OVERLAY_SKIP_BROWSER=1` to skip them instead, with a note; set
//! `OVERLAY_CHROMIUM=/path/to/chromium` to use another binary. Every
//! Chromium run has its own profile folder and a time limit, and runs in
//! parallel with the others, so the file takes a few seconds.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use assert_cmd::Command;

/// The AtLeastOneRing counterexample at N=3: 5 events, violated first at
/// step 5, 14 properties in the `original` variant.
const AT_LEAST_ONE_RING: &str = "traces/chord/original_nodes3_succ-list2_AtLeastOneRing.itf.json";

/// How long one Chromium run may take before the test fails.
const LIMIT: Duration = Duration::from_secs(30);

/// A screenshot smaller than this is taken for a blank page: a white
/// 1200×900 PNG compresses to a few kilobytes, these pages to well over
/// a hundred.
const NON_BLANK: u64 = 20_000;

// ---------------------------------------------------------- the browser

/// Chromium, or `None` when the tests are to be skipped
/// (`OVERLAY_SKIP_BROWSER=1`); panics when it is missing otherwise.
fn chromium() -> Option<PathBuf> {
    if std::env::var("OVERLAY_SKIP_BROWSER").is_ok_and(|v| v == "1") {
        eprintln!("note: OVERLAY_SKIP_BROWSER=1: the browser test is skipped");
        return None;
    }
    if let Some(p) = std::env::var_os("OVERLAY_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin")])
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|p| p.is_file());
    match found {
        Some(p) => Some(p),
        None => panic!(
            "Chromium is not installed, and this test opens the HTML pages in it. Install it \
             (Debian/Ubuntu: `apt-get install -y chromium`; `.ci/run` does so on CI), point \
             OVERLAY_CHROMIUM at a Chromium binary, or set OVERLAY_SKIP_BROWSER=1 to skip \
             the browser test."
        ),
    }
}

/// A `file://` URL for `path` (absolute), with `fragment` when given.
fn url(path: &Path, fragment: Option<&str>) -> String {
    let mut u = String::from("file://");
    for b in path.to_str().expect("UTF-8 path").bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                u.push(b as char)
            }
            _ => u.push_str(&format!("%{b:02X}")),
        }
    }
    if let Some(f) = fragment {
        u.push('#');
        u.push_str(f);
    }
    u
}

/// Runs headless Chromium with `args` then `target`, with a profile folder
/// of its own under `dir` (so that runs can go in parallel) and a time
/// limit; returns its stdout.
fn browse(exe: &Path, dir: &Path, name: &str, args: &[String], target: &str) -> String {
    let profile = dir.join(format!("profile-{name}"));
    let mut child = Process::new(exe)
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(target)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", exe.display()));
    // Read both pipes while waiting, so a chatty Chromium never blocks.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out = thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err = thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for Chromium") {
            break status;
        }
        if start.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("Chromium ({name}: {target}) took longer than {LIMIT:?}; killed");
        }
        thread::sleep(Duration::from_millis(20));
    };
    let (out, err) = (out.join().unwrap(), err.join().unwrap());
    assert!(
        status.success(),
        "Chromium ({name}: {target}) failed: {status}\nstderr:\n{err}"
    );
    out
}

/// The DOM after the page's script ran.
fn dump_dom(exe: &Path, dir: &Path, name: &str, target: &str) -> String {
    let dom = browse(exe, dir, name, &["--dump-dom".into()], target);
    assert!(
        dom.contains("</html>"),
        "Chromium dumped no page for {target}:\n{dom}"
    );
    dom
}

/// A 1200×900 screenshot into `png`; checks that it is a PNG of that
/// width and not blank.
fn screenshot(exe: &Path, dir: &Path, name: &str, target: &str, png: &Path) {
    let args = [
        format!("--screenshot={}", png.display()),
        "--window-size=1200,900".into(),
    ];
    browse(exe, dir, name, &args, target);
    let bytes = std::fs::read(png).unwrap_or_else(|e| panic!("no screenshot {png:?}: {e}"));
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 24,
        "{png:?} is not a PNG"
    );
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    assert!(width >= 1200, "{png:?} is {width} pixels wide");
    assert!(
        bytes.len() as u64 > NON_BLANK,
        "{png:?} has only {} bytes: a blank page?",
        bytes.len()
    );
}

/// Runs the closures at once, each on its own thread, and returns their
/// results in order: Chromium takes a second or two to start, so the runs
/// of a test go in parallel.
fn all<'a, T: Send>(jobs: Vec<Box<dyn FnOnce() -> T + Send + 'a>>) -> Vec<T> {
    thread::scope(|s| {
        let handles: Vec<_> = jobs.into_iter().map(|job| s.spawn(job)).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

// ------------------------------------------------ reading the dumped DOM

/// A start tag of the serialized DOM: its name, attributes (decoded) and
/// where its content begins.
#[derive(Debug)]
struct Tag {
    name: String,
    attrs: BTreeMap<String, String>,
    inner: usize,
}

impl Tag {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.get(name).map(String::as_str)
    }

    fn has_class(&self, class: &str) -> bool {
        self.attr("class")
            .is_some_and(|c| c.split_whitespace().any(|x| x == class))
    }
}

/// Every start tag of `dom`, in order. Enough for Chromium's serializer,
/// which quotes every attribute value with `"`; text that merely contains
/// `<` (the inline script) yields no tag, having no name after it.
fn tags(dom: &str) -> Vec<Tag> {
    let b = dom.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(off) = dom[i..].find('<') {
        let start = i + off + 1;
        let mut j = start;
        while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'-') {
            j += 1;
        }
        if j == start {
            i = start;
            continue;
        }
        let name = dom[start..j].to_ascii_lowercase();
        let mut attrs = BTreeMap::new();
        loop {
            while j < b.len() && b[j].is_ascii_whitespace() {
                j += 1;
            }
            if j >= b.len() || b[j] == b'>' || b[j] == b'/' {
                break;
            }
            let k0 = j;
            while j < b.len() && !matches!(b[j], b'=' | b'>' | b'/') && !b[j].is_ascii_whitespace()
            {
                j += 1;
            }
            let key = dom[k0..j].to_string();
            let mut value = String::new();
            if j < b.len() && b[j] == b'=' && b.get(j + 1) == Some(&b'"') {
                let v0 = j + 2;
                let v1 = v0 + dom[v0..].find('"').expect("a closing quote");
                value = decode(&dom[v0..v1]);
                j = v1 + 1;
            }
            attrs.insert(key, value);
        }
        let inner = dom[j..].find('>').map_or(b.len(), |e| j + e + 1);
        out.push(Tag { name, attrs, inner });
        i = inner;
    }
    out
}

fn decode(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The markup from the start of the element with `id` to the first
/// `close` after it (e.g. `</div>` for a div holding no other div).
fn inner<'a>(dom: &'a str, id: &str, close: &str) -> &'a str {
    let tag = tags(dom)
        .into_iter()
        .find(|t| t.attr("id") == Some(id))
        .unwrap_or_else(|| panic!("no #{id} in the DOM"));
    let rest = &dom[tag.inner..];
    &rest[..rest.find(close).unwrap_or(rest.len())]
}

/// Markup as text: tags dropped, entities decoded.
fn text(markup: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in markup.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    decode(&out)
}

fn body(dom: &str) -> Tag {
    tags(dom)
        .into_iter()
        .find(|t| t.name == "body")
        .expect("a <body>")
}

/// The step list's items: `li` tags with `data-step`.
fn steps(dom: &str) -> Vec<Tag> {
    tags(dom)
        .into_iter()
        .filter(|t| t.name == "li" && t.attr("data-step").is_some() && t.has_class("step"))
        .collect()
}

fn overlay(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("overlay")
        .expect("the overlay binary is built")
        .args(args)
        .output()
        .expect("overlay runs");
    (
        out.status.code().expect("overlay exits with a code"),
        String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    )
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

// ----------------------------------------------------------------- tests

#[test]
fn trace_view_in_chromium() {
    let Some(exe) = chromium() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let page = dir.join("trace view.html");
    let trace = Path::new(env!("CARGO_MANIFEST_DIR")).join(AT_LEAST_ONE_RING);
    let (code, stdout, stderr) =
        overlay(&["show", s(&trace), "--format", "html", "--out", s(&page)]);
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");

    let png = dir.join("trace.png");
    let (opened, stepped, beyond) = {
        let exe = &exe;
        let mut doms = all(vec![
            Box::new(|| dump_dom(exe, dir, "opened", &url(&page, None))),
            Box::new(|| dump_dom(exe, dir, "stepped", &url(&page, Some("step=2")))),
            Box::new(|| dump_dom(exe, dir, "beyond", &url(&page, Some("step=99")))),
            Box::new(|| {
                screenshot(exe, dir, "shot", &url(&page, None), &png);
                String::new()
            }),
        ]);
        doms.truncate(3);
        let mut it = doms.into_iter();
        (it.next().unwrap(), it.next().unwrap(), it.next().unwrap())
    };

    // Opened as written: on the first violation, step 5 of 0 … 5.
    let b = body(&opened);
    assert_eq!(b.attr("data-current"), Some("5"));
    assert_eq!(b.attr("data-steps"), Some("6"));
    let list = steps(&opened);
    assert_eq!(list.len(), 6, "one item per state");
    for (k, li) in list.iter().enumerate() {
        assert_eq!(li.attr("data-step"), Some(k.to_string().as_str()));
        assert_eq!(li.has_class("violation-first"), k == 5, "step {k}: {li:?}");
        assert_eq!(li.has_class("current"), k == 5, "step {k}: {li:?}");
    }
    let picture = inner(&opened, "picture", "</div>");
    assert!(picture.contains("<svg"), "no picture:\n{picture}");
    assert!(text(picture).contains("step 5 · stabilize n0"), "{picture}");
    assert!(text(picture).contains("violated first here: AtLeastOneRing"));
    assert!(text(inner(&opened, "step-title", "</h2>")).contains("first violation"));
    let cells: Vec<Tag> = tags(&opened)
        .into_iter()
        .filter(|t| {
            t.name == "td" && t.attr("data-property").is_some() && t.attr("data-step").is_some()
        })
        .collect();
    assert_eq!(cells.len(), 14 * 6, "property × state");
    let firsts: Vec<(&str, &str)> = cells
        .iter()
        .filter(|t| t.has_class("first"))
        .map(|t| {
            (
                t.attr("data-property").unwrap(),
                t.attr("data-step").unwrap(),
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
    let violated_now: Vec<String> = tags(inner(&opened, "now", "</ul>"))
        .into_iter()
        .filter(|t| t.name == "li" && t.has_class("violated"))
        .map(|t| t.attr("data-property").unwrap().to_string())
        .collect();
    assert_eq!(
        violated_now,
        ["AtLeastOneRing", "ConnectedAppendages", "Repairable"]
    );

    // Navigated to #step=2 (what ← ← ← does): the script swapped in step
    // 2's picture, changes and verdicts, and moved the marks.
    assert_eq!(body(&stepped).attr("data-current"), Some("2"));
    let list = steps(&stepped);
    let current: Vec<&str> = list
        .iter()
        .filter(|t| t.has_class("current"))
        .map(|t| t.attr("data-step").unwrap())
        .collect();
    assert_eq!(current, ["2"]);
    assert!(list[5].has_class("violation-first"), "the mark stays on 5");
    assert_eq!(
        text(inner(&stepped, "step-title", "</h2>")),
        "step 2 of 5 · stabilize n1"
    );
    let picture = inner(&stepped, "picture", "</div>");
    assert!(text(picture).contains("step 2 · stabilize n1"), "{picture}");
    let diff = text(inner(&stepped, "diff", "</div>"));
    assert!(
        diff.contains("pending") && diff.contains("{<n1, n0>}"),
        "{diff}"
    );
    let now = inner(&stepped, "now", "</ul>");
    assert!(
        !now.contains("class=\"violated"),
        "all hold at step 2:\n{now}"
    );
    let current_cells = tags(&stepped)
        .into_iter()
        .filter(|t| t.name == "td" && t.has_class("current"))
        .filter(|t| t.attr("data-step") == Some("2"))
        .count();
    assert_eq!(current_cells, 14, "the grid's column 2 is the current one");

    // A fragment naming no step leaves the page where it was written.
    assert_eq!(body(&beyond).attr("data-current"), Some("5"));
}

#[test]
fn check_report_and_its_traces_in_chromium() {
    let Some(exe) = chromium() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let report = dir.join("report.html");
    let traces = dir.join("traces");
    // The negative control: three surprises, exit 1.
    let (code, stdout, stderr) = overlay(&[
        "check",
        "chord",
        "--variant",
        "correct",
        "-p",
        "nodes=4",
        "-p",
        "succ-list=2",
        "-p",
        "ring=2",
        "--report",
        s(&report),
        "--trace-dir",
        s(&traces),
    ]);
    assert_eq!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");

    // The trace behind the first surprise, as its own page.
    let invariant = traces.join("correct_nodes4_succ-list2_ring2_Invariant.itf.json");
    let page = dir.join("invariant.html");
    let (code, stdout, stderr) =
        overlay(&["show", s(&invariant), "--format", "html", "--out", s(&page)]);
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");

    let png = dir.join("report.png");
    let doms = {
        let exe = &exe;
        all(vec![
            Box::new(|| dump_dom(exe, dir, "report", &url(&report, None))),
            Box::new(|| dump_dom(exe, dir, "trace", &url(&page, None))),
            Box::new(|| {
                screenshot(exe, dir, "shot", &url(&report, None), &png);
                String::new()
            }),
        ])
    };
    let (shown, trace_dom) = (&doms[0], &doms[1]);

    let overall = tags(shown)
        .into_iter()
        .find(|t| t.attr("id") == Some("overall"))
        .expect("#overall");
    assert_eq!(overall.attr("data-exit"), Some("1"));
    assert!(overall.has_class("verdict-surprise"), "{overall:?}");
    let rows: Vec<Tag> = tags(shown)
        .into_iter()
        .filter(|t| t.name == "tr" && t.attr("data-property").is_some())
        .collect();
    assert_eq!(rows.len(), 9, "every property of the correct variant");
    let surprises: Vec<&str> = rows
        .iter()
        .filter(|t| t.has_class("verdict-surprise"))
        .map(|t| t.attr("data-property").unwrap())
        .collect();
    assert_eq!(surprises, ["Invariant", "NoDuplicates", "Repairable"]);
    // Each surprise links its trace, relative to the page, and it is there.
    let links: Vec<String> = tags(shown)
        .into_iter()
        .filter(|t| t.name == "a" && t.has_class("trace-link"))
        .map(|t| t.attr("href").unwrap().to_string())
        .collect();
    assert_eq!(links.len(), 3, "{links:?}");
    for href in &links {
        assert!(dir.join(href).is_file(), "{href} does not lead to a file");
    }

    // The trace page: no event at all, the initial state violates.
    let b = body(trace_dom);
    assert_eq!(b.attr("data-steps"), Some("1"));
    assert_eq!(b.attr("data-current"), Some("0"));
    let list = steps(trace_dom);
    assert_eq!(list.len(), 1);
    assert!(list[0].has_class("violation-first"), "{:?}", list[0]);
    assert!(inner(trace_dom, "picture", "</div>").contains("<svg"));
    let violated: Vec<String> = tags(inner(trace_dom, "now", "</ul>"))
        .into_iter()
        .filter(|t| t.name == "li" && t.has_class("violated"))
        .map(|t| t.attr("data-property").unwrap().to_string())
        .collect();
    assert!(violated.iter().any(|p| p == "Invariant"), "{violated:?}");
}
