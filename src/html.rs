//! `overlay show --format html`: one self-contained HTML page per trace,
//! for reviewers who would rather click through a counterexample than
//! read a step table.
//!
//! The page holds everything the other views show: the header with the
//! reproducing command first, the list of steps, and for the selected
//! step the overlay's picture, the fields that changed (as
//! [`render::field_changes`] gives them, the same as the text view) and
//! every property's verdict; below, the verdicts of every property over
//! time, the first violation of each marked. ← and → (or a click) move
//! between steps.
//!
//! Self-contained means no fetch of any kind: CSS and a small script are
//! inline, pictures are inline SVG (the painter's are free of ids and
//! `<style>`, so many fit in one page), so the page works from a CI
//! artifact store, a mail attachment or offline. Every step's content is
//! in the page from the start, in a `<template>` per step that the script
//! copies into the view; without the script the page still shows the step
//! it was written for. Everything that comes from the trace is escaped;
//! the pictures are the painter's own SVG, escaped by the painter.
//!
//! The page is byte-for-byte repeatable (no clock, no path: only the
//! trace's file name) and, like the check report, well-formed XML
//! (void elements closed with `/>`, the script in a CDATA section), so
//! tests can read it with an XML parser.
//!
//! Stable hooks for scripts and browser tests: `body[data-current]` (the
//! selected step), `body[data-steps]` (how many states), `body[data-first-violation]`
//! (when some property fails); `#reproduce code.command`, `#seed`,
//! `#meta`; `#steps li.step[data-step=K]` with classes `current`,
//! `violated` and `violation-first` (the step [`render::first_violation`]
//! picks); `#step-title`, `#picture svg`, `#diff` (a `table.diff` with a
//! row `tr[data-field]` per change, or `p.no-change`), `#now
//! li[data-property]` (class `holds|violated`, plus `new` and `first`);
//! `#verdicts td[data-property][data-step]` (class `holds|violated`, plus
//! `first` and `current`); `template.frame[data-step=K]`; `#replay-warning`
//! when the trace does not replay.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use overlay_models::check::{Expect, PropertyInfo};
use overlay_models::trace::render::{self, Change};
use overlay_models::trace::Trace;

use crate::report::esc;

/// Meta keys that the header shows on their own line rather than in the
/// table of meta entries.
const OWN_LINE: [&str; 2] = ["command", "seed"];

/// What the page shows: the trace and what the command line learned about
/// it by replaying it.
pub struct Page<'a> {
    pub trace: &'a Trace,
    /// The trace's file name, shown in the header. Only the name, so that
    /// the page does not depend on where the trace lies.
    pub file: &'a str,
    /// The model's properties, in the model's order.
    pub properties: &'a [PropertyInfo],
    /// The violated property names of every state; `None` when the trace
    /// does not replay.
    pub verdicts: Option<&'a [Vec<String>]>,
    /// One SVG picture per state; `None` when the trace does not replay.
    pub pictures: Option<&'a [String]>,
    /// Why verdicts or pictures are missing, shown at the top.
    pub warning: Option<&'a str>,
    /// The state the page opens on (see [`default_step`]).
    pub selected: usize,
}

/// The state a page opens on when the reader asked for none: the step a
/// reviewer looks for first ([`render::first_violation`]), else the
/// initial state.
pub fn default_step(trace: &Trace, verdicts: Option<&[Vec<String>]>) -> usize {
    verdicts
        .and_then(|v| render::first_violation(trace, v))
        .unwrap_or(0)
}

/// The whole page.
pub fn render(page: &Page) -> String {
    let view = View::new(page);
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n");
    let _ = writeln!(h, "<title>{}</title>", esc(&view.title()));
    h.push_str(STYLE);
    h.push_str("</head>\n");
    let first = view
        .first
        .map(|k| format!(" data-first-violation=\"{k}\""))
        .unwrap_or_default();
    let _ = writeln!(
        h,
        "<body data-current=\"{}\" data-steps=\"{}\"{first}>",
        view.selected,
        view.len()
    );
    view.header(&mut h);
    h.push_str("<main>\n");
    view.step_list(&mut h);
    view.state_view(&mut h);
    h.push_str("</main>\n");
    view.timeline(&mut h);
    view.frames(&mut h);
    h.push_str(SCRIPT);
    h.push_str("</body>\n</html>\n");
    h
}

/// The page's data, worked out once: flattened states, first violations.
struct View<'a> {
    page: &'a Page<'a>,
    /// Every state as `field → value` ([`render::flatten`]).
    flats: Vec<BTreeMap<String, String>>,
    /// The step [`render::first_violation`] picks.
    first: Option<usize>,
    /// Per property, the first state violating it.
    first_of: BTreeMap<String, usize>,
    /// Every property to show: the model's, then any other name a verdict
    /// mentions (so that nothing violated is ever hidden).
    names: Vec<String>,
    selected: usize,
}

impl<'a> View<'a> {
    fn new(page: &'a Page<'a>) -> Self {
        let trace = page.trace;
        let flats: Vec<_> = trace
            .states
            .iter()
            .map(|s| render::flatten(&s.vars))
            .collect();
        let mut names: Vec<String> = page.properties.iter().map(|p| p.name.into()).collect();
        let mut first_of = BTreeMap::new();
        for (k, now) in page.verdicts.unwrap_or_default().iter().enumerate() {
            for name in now {
                first_of.entry(name.clone()).or_insert(k);
                if !names.contains(name) {
                    names.push(name.clone());
                }
            }
        }
        let selected = page.selected.min(trace.states.len().saturating_sub(1));
        View {
            page,
            flats,
            first: page
                .verdicts
                .and_then(|v| render::first_violation(trace, v)),
            first_of,
            names,
            selected,
        }
    }

    fn len(&self) -> usize {
        self.page.trace.states.len()
    }

    fn meta(&self, key: &str) -> Option<&'a str> {
        self.page.trace.meta(key)
    }

    /// `AtMostOneRing counterexample · chord original nodes=3 succ-list=2`.
    fn title(&self) -> String {
        let what: Vec<&str> = [self.meta("property"), self.meta("kind")]
            .into_iter()
            .flatten()
            .collect();
        let scope: Vec<&str> = [
            self.meta("model"),
            self.meta("variant"),
            self.meta("params"),
        ]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect();
        match (what.is_empty(), scope.is_empty()) {
            (true, true) => format!("trace {}", self.page.file),
            (true, false) => format!("trace · {}", scope.join(" ")),
            (false, true) => what.join(" "),
            (false, false) => format!("{} · {}", what.join(" "), scope.join(" ")),
        }
    }

    /// The violated names of state `k`, if known.
    fn violated(&self, k: usize) -> Option<&'a [Vec<String>]> {
        self.page.verdicts.filter(|v| k < v.len())
    }

    fn is_violated(&self, k: usize, name: &str) -> Option<bool> {
        self.violated(k).map(|v| v[k].iter().any(|n| n == name))
    }

    /// The properties violated in `k` that held in `k - 1` (at 0: all).
    fn newly(&self, k: usize) -> Vec<&'a str> {
        let Some(v) = self.violated(k) else {
            return Vec::new();
        };
        v[k].iter()
            .filter(|n| k == 0 || !v.get(k - 1).is_some_and(|b| b.contains(n)))
            .map(String::as_str)
            .collect()
    }

    /// The event of state `k`, for lists and titles.
    fn event(&self, k: usize) -> String {
        match k {
            0 => "initial state".into(),
            _ => self.page.trace.states[k].action.clone(),
        }
    }

    fn header(&self, h: &mut String) {
        h.push_str("<header>\n");
        let _ = writeln!(h, "<h1>{}</h1>", esc(&self.title()));
        match self.meta("command") {
            Some(c) => {
                let _ = writeln!(
                    h,
                    "<p id=\"reproduce\">Reproduce: <code class=\"command\">{}</code></p>",
                    esc(c)
                );
            }
            None => h.push_str(
                "<p id=\"reproduce\">Reproduce: <span class=\"none\">the trace records no command</span></p>\n",
            ),
        }
        if let Some(seed) = self.meta("seed") {
            let _ = writeln!(h, "<p id=\"seed\">Seed: <code>{}</code></p>", esc(seed));
        }
        h.push_str("<dl id=\"meta\">\n");
        let _ = writeln!(h, "<dt>file</dt><dd>{}</dd>", esc(self.page.file));
        for (k, v) in render::meta_entries(self.page.trace) {
            if !OWN_LINE.contains(&k) {
                let _ = writeln!(
                    h,
                    "<dt>{}</dt><dd data-key=\"{}\">{}</dd>",
                    esc(k),
                    esc(k),
                    esc(v)
                );
            }
        }
        let last = self.len().saturating_sub(1);
        let _ = writeln!(
            h,
            "<dt>steps</dt><dd>{}</dd>",
            match last {
                0 => "no event: the initial state only".to_string(),
                1 => "1 event, states 0 … 1".to_string(),
                n => format!("{n} events, states 0 … {n}"),
            }
        );
        h.push_str("</dl>\n");
        if let Some(w) = self.page.warning {
            let _ = writeln!(
                h,
                "<p id=\"replay-warning\" class=\"warning\">{}</p>",
                esc(w)
            );
        }
        h.push_str("</header>\n");
    }

    fn step_list(&self, h: &mut String) {
        h.push_str(
            "<nav id=\"step-nav\" aria-label=\"steps\">\n<h2>Steps</h2>\n<ol id=\"steps\">\n",
        );
        for k in 0..self.len() {
            let mut class = vec!["step"];
            if k == self.selected {
                class.push("current");
            }
            let violated = self.violated(k).map_or(0, |v| v[k].len());
            if violated > 0 {
                class.push("violated");
            }
            if self.first == Some(k) {
                class.push("violation-first");
            }
            let newly = self.newly(k);
            let badge = if newly.is_empty() {
                String::new()
            } else {
                format!(
                    " <span class=\"badge\" title=\"violated first here\">✗ {}</span>",
                    esc(&newly.join(", "))
                )
            };
            let _ = writeln!(
                h,
                "<li class=\"{}\" data-step=\"{k}\" data-violated=\"{violated}\"><a href=\"#step={k}\"><span class=\"num\">{k}</span> <span class=\"event\">{}</span>{badge}</a></li>",
                class.join(" "),
                esc(&self.event(k))
            );
        }
        h.push_str("</ol>\n<p class=\"hint\"><kbd>←</kbd> <kbd>→</kbd> previous / next step, <kbd>Home</kbd> <kbd>End</kbd> first / last</p>\n</nav>\n");
    }

    /// The selected step: its title, picture, changes and verdicts, in
    /// slots the script refills from the step's template.
    fn state_view(&self, h: &mut String) {
        let k = self.selected;
        h.push_str("<section id=\"state\" aria-live=\"polite\">\n");
        h.push_str(
            "<div class=\"controls\"><button type=\"button\" id=\"prev\">← previous</button>",
        );
        let _ = write!(h, "<h2 id=\"step-title\">{}</h2>", self.step_title(k));
        h.push_str("<button type=\"button\" id=\"next\">next →</button></div>\n");
        h.push_str("<div class=\"panes\">\n");
        let _ = writeln!(h, "<div id=\"picture\">{}</div>", self.picture(k));
        h.push_str("<div class=\"side\">\n");
        let _ = writeln!(
            h,
            "<h3 id=\"diff-heading\">{}</h3>\n<div id=\"diff\">{}</div>",
            diff_heading(k),
            self.diff(k)
        );
        let _ = writeln!(
            h,
            "<h3>Properties after this step</h3>\n<div id=\"now\">{}</div>",
            self.now(k)
        );
        h.push_str("</div>\n</div>\n</section>\n");
    }

    fn step_title(&self, k: usize) -> String {
        let mut t = format!(
            "step {k} of {} · {}",
            self.len().saturating_sub(1),
            esc(&self.event(k))
        );
        if self.first == Some(k) {
            t.push_str(" <span class=\"first-mark\">first violation</span>");
        }
        t
    }

    fn picture(&self, k: usize) -> String {
        match self.page.pictures.and_then(|p| p.get(k)) {
            Some(svg) => svg.trim_end().to_string(),
            None => "<p class=\"none\">No picture: the trace does not replay.</p>".into(),
        }
    }

    /// Step 0: the initial state in full; later steps: the fields that
    /// changed, old → new.
    fn diff(&self, k: usize) -> String {
        let mut d = String::new();
        let Some(after) = self.flats.get(k) else {
            return "<p class=\"none\">(no such state)</p>".into();
        };
        if k == 0 {
            d.push_str("<table class=\"diff initial\"><thead><tr><th>field</th><th>value</th></tr></thead><tbody>\n");
            for (f, v) in after {
                let _ = writeln!(
                    d,
                    "<tr data-field=\"{}\"><td class=\"field\">{}</td><td class=\"new\">{}</td></tr>",
                    esc(f),
                    esc(f),
                    esc(v)
                );
            }
            d.push_str("</tbody></table>");
            return d;
        }
        let changes: Vec<Change> = render::field_changes(&self.flats[k - 1], after);
        if changes.is_empty() {
            return "<p class=\"no-change\">(no change)</p>".into();
        }
        d.push_str("<table class=\"diff\"><thead><tr><th>field</th><th>before</th><th></th><th>after</th></tr></thead><tbody>\n");
        for c in &changes {
            let _ = writeln!(
                d,
                "<tr data-field=\"{}\"><td class=\"field\">{}</td><td class=\"old\">{}</td><td class=\"arrow\">→</td><td class=\"new\">{}</td></tr>",
                esc(&c.field),
                esc(&c.field),
                esc(c.old_text()),
                esc(c.new_text())
            );
        }
        d.push_str("</tbody></table>");
        d
    }

    /// Every property's verdict in state `k`.
    fn now(&self, k: usize) -> String {
        if self.violated(k).is_none() {
            return "<p class=\"none\">Verdicts unknown: the trace does not replay.</p>".into();
        }
        let newly = self.newly(k);
        let mut d = String::from("<ul class=\"verdict-list\">\n");
        for name in &self.names {
            let bad = self.is_violated(k, name) == Some(true);
            let mut class = vec![if bad { "violated" } else { "holds" }];
            let mut note = String::new();
            if bad && newly.contains(&name.as_str()) {
                class.push("new");
                note.push_str(" (new)");
            }
            if bad && self.first_of.get(name) == Some(&k) {
                class.push("first");
                note = " (first here)".into();
            }
            let mut tag = "";
            if self.meta("property") == Some(name.as_str()) {
                class.push("traced");
                tag = " <span class=\"tag\">the trace's property</span>";
            }
            let _ = writeln!(
                d,
                "<li class=\"{}\" data-property=\"{}\" title=\"{}\"><span class=\"mark\">{}</span> {} <span class=\"verdict\">{}{}</span>{tag}</li>",
                class.join(" "),
                esc(name),
                esc(&self.expectation(name)),
                if bad { "✗" } else { "✓" },
                esc(name),
                if bad { "violated" } else { "holds" },
                esc(&note),
            );
        }
        d.push_str("</ul>");
        d
    }

    /// `about — expected to hold in this variant`, from the model, as a
    /// tooltip: useful, but too long to repeat on every line.
    fn expectation(&self, name: &str) -> String {
        self.page
            .properties
            .iter()
            .find(|p| p.name == name)
            .map(|p| {
                format!(
                    "{}{}expected to {} in this variant",
                    p.about,
                    if p.about.is_empty() { "" } else { " — " },
                    match p.expect {
                        Expect::Holds => "hold",
                        Expect::Violated => "be violated",
                    }
                )
            })
            .unwrap_or_default()
    }

    /// The grid of verdicts: a row per property, a column per state.
    fn timeline(&self, h: &mut String) {
        h.push_str("<section id=\"timeline\">\n<h2>Verdicts over time</h2>\n");
        if self.page.verdicts.is_none() {
            h.push_str(
                "<p class=\"none\">Verdicts unknown: the trace does not replay.</p>\n</section>\n",
            );
            return;
        }
        h.push_str("<p class=\"hint\">✓ holds, ✗ violated; a framed ✗ is the property's first violation. Click a column to select its step.</p>\n");
        h.push_str("<div class=\"scroll\"><table id=\"verdicts\">\n<thead><tr><th class=\"property\">property</th><th class=\"expect\">expected</th>");
        for k in 0..self.len() {
            let _ = write!(
                h,
                "<th class=\"{}\" data-step=\"{k}\" title=\"{}\">{k}</th>",
                self.column_class(k, None),
                esc(&self.event(k))
            );
        }
        h.push_str("</tr></thead>\n<tbody>\n");
        for name in &self.names {
            let info = self.page.properties.iter().find(|p| p.name == name);
            let traced = if self.meta("property") == Some(name.as_str()) {
                " class=\"traced\""
            } else {
                ""
            };
            let _ = write!(
                h,
                "<tr data-property=\"{}\"{traced}><th class=\"property\" title=\"{}\">{}</th><td class=\"expect\">{}</td>",
                esc(name),
                esc(info.map_or("", |p| p.about)),
                esc(name),
                info.map_or(String::new(), |p| p.expect.to_string())
            );
            for k in 0..self.len() {
                let bad = self.is_violated(k, name) == Some(true);
                let verdict = if bad { "violated" } else { "holds" };
                let first = if bad && self.first_of.get(name) == Some(&k) {
                    ", first violated here"
                } else {
                    ""
                };
                let _ = write!(
                    h,
                    "<td class=\"{}\" data-property=\"{}\" data-step=\"{k}\" title=\"{} {verdict} after step {k}{first}\">{}</td>",
                    self.column_class(k, Some((name, bad))),
                    esc(name),
                    esc(name),
                    if bad { "✗" } else { "✓" }
                );
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</tbody>\n</table></div>\n</section>\n");
    }

    /// Classes of a grid cell (or, without a property, a column heading).
    fn column_class(&self, k: usize, cell: Option<(&str, bool)>) -> String {
        let mut class: Vec<&str> = Vec::new();
        if let Some((name, bad)) = cell {
            class.push(if bad { "violated" } else { "holds" });
            if bad && self.first_of.get(name) == Some(&k) {
                class.push("first");
            }
        } else if self.first == Some(k) {
            class.push("violation-first");
        }
        if k == self.selected {
            class.push("current");
        }
        class.join(" ")
    }

    /// One template per state, with a child per slot of the view; the
    /// script copies them in. `data-slot` names the element filled.
    fn frames(&self, h: &mut String) {
        h.push_str("<div id=\"frames\" hidden=\"hidden\">\n");
        for k in 0..self.len() {
            let _ = writeln!(
                h,
                "<template class=\"frame\" data-step=\"{k}\">\n<div data-slot=\"step-title\">{}</div>\n<div data-slot=\"picture\">{}</div>\n<div data-slot=\"diff-heading\">{}</div>\n<div data-slot=\"diff\">{}</div>\n<div data-slot=\"now\">{}</div>\n</template>",
                self.step_title(k),
                self.picture(k),
                diff_heading(k),
                self.diff(k),
                self.now(k)
            );
        }
        h.push_str("</div>\n");
    }
}

fn diff_heading(k: usize) -> &'static str {
    if k == 0 {
        "Initial state"
    } else {
        "What changed"
    }
}

/// Inline, so the page needs nothing else. No `<` or `&` inside, which
/// keeps the page well-formed XML.
const STYLE: &str = r##"<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0; color: #222; background: #fafafa; }
header { padding: 0.8em 1.2em; background: #fff; border-bottom: 1px solid #ddd; }
h1 { font-size: 1.3em; margin: 0 0 0.4em 0; }
h2 { font-size: 1.1em; margin: 0.3em 0; }
h3 { font-size: 0.95em; margin: 0.8em 0 0.3em 0; color: #444; }
code, .event, .diff td, kbd { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.9em; }
#reproduce code { background: #f0f0f0; padding: 0.15em 0.4em; border-radius: 3px; user-select: all; }
#meta { display: flex; flex-wrap: wrap; gap: 0.2em 0; margin: 0.4em 0 0 0; font-size: 0.9em; }
#meta dt { color: #666; }
#meta dt::after { content: ":"; }
#meta dd { margin: 0 1.2em 0 0.3em; }
.warning { background: #fff3cd; border: 1px solid #e0c060; padding: 0.4em 0.6em; }
.none { color: #777; font-style: italic; }
main { display: flex; align-items: flex-start; gap: 1em; padding: 1em 1.2em; }
#step-nav { flex: 0 0 17em; max-height: 80vh; overflow-y: auto; background: #fff; border: 1px solid #ddd; padding: 0.5em; }
#steps { list-style: none; padding: 0; margin: 0; }
#steps li a { display: block; padding: 0.2em 0.4em; color: inherit; text-decoration: none; border-left: 3px solid transparent; }
#steps li a:hover { background: #eef3f8; }
#steps li.violated a { border-left-color: #f2a8a8; }
#steps li.violation-first a { border-left-color: #d62728; font-weight: bold; }
#steps li.current a { background: #dbe8f5; }
#steps .num { display: inline-block; min-width: 2em; color: #666; text-align: right; }
.badge { display: inline-block; margin-left: 0.4em; color: #d62728; font-size: 0.85em; }
.hint { color: #666; font-size: 0.85em; }
kbd { border: 1px solid #bbb; border-radius: 3px; padding: 0 0.3em; background: #f4f4f4; }
#state { flex: 1 1 auto; min-width: 0; }
.controls { display: flex; align-items: center; gap: 0.8em; }
.controls h2 { flex: 1 1 auto; }
.first-mark { color: #fff; background: #d62728; border-radius: 3px; padding: 0 0.4em; font-size: 0.85em; }
.panes { display: flex; flex-wrap: wrap; gap: 1em; align-items: flex-start; }
#picture { flex: 0 0 auto; background: #fff; border: 1px solid #ddd; }
#picture svg { display: block; max-width: 100%; height: auto; }
.side { flex: 1 1 20em; min-width: 16em; }
table { border-collapse: collapse; }
.diff td, .diff th { border-bottom: 1px solid #eee; padding: 0.15em 0.5em; text-align: left; vertical-align: top; }
.diff td.old { color: #a33; }
.diff td.new { color: #176b2c; }
.diff td.arrow { color: #999; }
.no-change { color: #777; }
.verdict-list { list-style: none; padding: 0; margin: 0; }
.verdict-list li { padding: 0.05em 0; font-size: 0.92em; }
.tag { font-size: 0.8em; color: #2b5d8a; border: 1px solid #9bb8d3; border-radius: 3px; padding: 0 0.3em; }
.verdict-list li.holds .mark { color: #1b7a3a; }
.verdict-list li.violated .mark, .verdict-list li.violated .verdict { color: #d62728; }
.verdict-list li.first { font-weight: bold; }
.expect { color: #888; font-size: 0.85em; }
#timeline { padding: 0 1.2em 1.5em 1.2em; }
.scroll { overflow-x: auto; }
#verdicts th, #verdicts td { border: 1px solid #e2e2e2; padding: 0.1em 0.35em; text-align: center; font-size: 0.85em; }
#verdicts th.property { text-align: left; white-space: nowrap; }
#verdicts tr.traced th.property { font-weight: bold; text-decoration: underline dotted; }
#verdicts td.holds { background: #e8f5ea; color: #1b7a3a; }
#verdicts td.violated { background: #fbe0e0; color: #b01e1e; }
#verdicts td.first { outline: 2px solid #d62728; outline-offset: -2px; font-weight: bold; }
#verdicts th[data-step], #verdicts td[data-step] { cursor: pointer; }
#verdicts th.violation-first { color: #d62728; }
#verdicts .current { box-shadow: inset 0 0 0 2px #2b5d8a; }
</style>
"##;

/// Navigation: the URL fragment `#step=K` is the selected step, so a link
/// (or a reload) opens the page on K; clicks on steps and grid columns,
/// ← → Home End and the buttons all go through it. No `<`, `&` or `]]>`
/// outside the CDATA markers, which keeps the page well-formed XML.
const SCRIPT: &str = r##"<script>//<![CDATA[
(function () {
  "use strict";
  var body = document.body;
  var count = Number(body.getAttribute("data-steps"));
  function current() { return Number(body.getAttribute("data-current")); }
  function fromHash() {
    var m = /^#step=(\d+)$/.exec(location.hash);
    return m ? Number(m[1]) : null;
  }
  function show(k) {
    if (k === null || !(k >= 0) || !(k < count)) { return; }
    var frame = document.querySelector('template.frame[data-step="' + k + '"]');
    if (!frame) { return; }
    frame.content.querySelectorAll("[data-slot]").forEach(function (src) {
      var slot = src.getAttribute("data-slot");
      var dst = document.getElementById(slot);
      if (dst) { dst.innerHTML = src.innerHTML; }
    });
    document.querySelectorAll("#steps .current, #verdicts .current").forEach(function (e) {
      e.classList.remove("current");
    });
    document.querySelectorAll('#steps li[data-step="' + k + '"], #verdicts [data-step="' + k + '"]').forEach(function (e) {
      e.classList.add("current");
    });
    body.setAttribute("data-current", String(k));
    document.getElementById("prev").disabled = k === 0;
    document.getElementById("next").disabled = k === count - 1;
    var li = document.querySelector('#steps li[data-step="' + k + '"]');
    if (li) { li.scrollIntoView({ block: "nearest" }); }
  }
  function go(k) {
    if (k >= 0 && k < count) { location.hash = "step=" + k; }
  }
  window.addEventListener("hashchange", function () { show(fromHash()); });
  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) { return; }
    var k = current();
    var to = { ArrowLeft: k - 1, ArrowRight: k + 1, Home: 0, End: count - 1 }[e.key];
    if (to === undefined) { return; }
    e.preventDefault();
    go(to);
  });
  document.getElementById("prev").addEventListener("click", function () { go(current() - 1); });
  document.getElementById("next").addEventListener("click", function () { go(current() + 1); });
  var grid = document.getElementById("verdicts");
  if (grid) {
    grid.addEventListener("click", function (e) {
      var cell = e.target.closest("[data-step]");
      if (cell) { go(Number(cell.getAttribute("data-step"))); }
    });
  }
  var start = fromHash();
  show(start === null ? current() : start);
})();
//]]></script>
"##;
