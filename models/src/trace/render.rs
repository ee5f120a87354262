//! Showing traces to reviewers: ITF values as short text, states flattened
//! to `field = value` entries, the changes between states, a plain-text step
//! table and a Mermaid sequence diagram.
//!
//! Nothing here knows the model: values are ITF JSON, and the caller says
//! who the participants are and which step is whose arrow.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::Trace;

/// Shown for a field that a state does not have.
const ABSENT: &str = "—";
/// Between a field's old and new value.
const ARROW: &str = " → ";
/// Indentation of the lines inside a step block or a diagram.
const INDENT: &str = "    ";
/// Meta keys shown first in the table header, in this order.
const HEADER_KEYS: [&str; 6] = ["model", "variant", "params", "property", "kind", "command"];
/// Meta keys about the file and its writer, which reviewers need not see.
const FORMAT_KEYS: [&str; 4] = ["format", "format-description", "overlay-format", "source"];

/// One entry per field of a state: a `#map` variable `succ` becomes entries
/// `succ[k]` (one per key), any other variable one entry `name`; values are
/// rendered with [`render_value`].
///
/// An empty `#map` becomes the single entry `name` → `{}`, so that the
/// variable still shows in the initial state.
pub fn flatten(vars: &Map<String, Value>) -> BTreeMap<String, String> {
    let mut fields = BTreeMap::new();
    for (name, value) in vars {
        match map_pairs(value) {
            Some(pairs) if !pairs.is_empty() => {
                for (key, item) in pairs {
                    fields.insert(format!("{name}[{}]", render_value(key)), render_value(item));
                }
            }
            _ => {
                fields.insert(name.clone(), render_value(value));
            }
        }
    }
    fields
}

/// One field of a flattened state that differs between two states.
///
/// Structured rather than a line, so that other views (the HTML page's
/// diff table) show exactly what the text view shows without parsing it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// The field, as [`flatten`] names it (`succ[n1]`).
    pub field: String,
    /// The value before the step; `None` when the field was absent.
    pub old: Option<String>,
    /// The value after the step; `None` when the field is gone.
    pub new: Option<String>,
}

impl Change {
    /// The old value, or `—` when the field was absent.
    pub fn old_text(&self) -> &str {
        or_absent(self.old.as_ref())
    }

    /// The new value, or `—` when the field is gone.
    pub fn new_text(&self) -> &str {
        or_absent(self.new.as_ref())
    }
}

/// Every field that differs, in key order. An empty map gaining its first
/// key (or losing its last) is not listed as such: the keys themselves are.
pub fn field_changes(
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
) -> Vec<Change> {
    let keys: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    keys.into_iter()
        .filter_map(|key| {
            let (old, new) = (before.get(key), after.get(key));
            let emptied = |x: Option<&String>, y: Option<&String>| {
                x.is_some_and(|v| v == "{}") && y.is_none()
            };
            (old != new && !emptied(old, new) && !emptied(new, old)).then(|| Change {
                field: key.clone(),
                old: old.cloned(),
                new: new.cloned(),
            })
        })
        .collect()
}

/// One line per field that differs, in key order: `prdc[n0]: n3 → n2`, with
/// `—` for a field absent on one side.
pub fn changes(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) -> Vec<String> {
    field_changes(before, after)
        .iter()
        .map(|c| format!("{}: {}{ARROW}{}", c.field, c.old_text(), c.new_text()))
        .collect()
}

/// A plain-text step table: the trace's meta, the initial state in full,
/// then each step's action, changes and (when `violated` is given) which
/// properties hold.
///
/// `violated[i]` names the properties violated in state `i`; a state past
/// the end of `violated` gets no properties line. The step that
/// [`first_violation`] picks is marked `← first violation …` on its header
/// line, so a reviewer scanning a long table finds it at once.
pub fn table(trace: &Trace, violated: Option<&[Vec<String>]>) -> String {
    table_with(trace, violated, TableOptions::default())
}

/// What a step table shows beyond the default (see [`table_with`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableOptions {
    /// Whole states at every step rather than only the changes; a changed
    /// field still says what it was (`succ[n0] = n1  (was n0)`), so the
    /// full view is a superset of the default one.
    pub full: bool,
    /// How many properties the model has. With it, a step with violations
    /// also says how many of the others hold, so that every property's
    /// verdict is accounted for on every step.
    pub properties: Option<usize>,
}

/// [`table`], with the options of `opts`.
pub fn table_with(trace: &Trace, violated: Option<&[Vec<String>]>, opts: TableOptions) -> String {
    let mut blocks: Vec<Vec<String>> = Vec::new();
    let header = header_lines(trace);
    if !header.is_empty() {
        blocks.push(header);
    }
    let flats: Vec<BTreeMap<String, String>> =
        trace.states.iter().map(|s| flatten(&s.vars)).collect();
    let first = violated.and_then(|v| first_violation(trace, v));
    let lasso = lasso_of(trace);
    for (i, step) in trace.states.iter().enumerate() {
        let mut title = format!("step {i}  {}", one_line(&step.action));
        match &lasso {
            Some(l) if l.start == i && l.closing.is_some() => {
                title.push_str("  ↻ the loop starts here")
            }
            Some(l) if l.start == i => title.push_str("  ■ stuck here"),
            _ => {}
        }
        if first == Some(i) {
            title.push_str("  ← first violation");
            match trace.meta("property") {
                Some(p)
                    if violated
                        .and_then(|v| v.get(i))
                        .is_some_and(|now| now.iter().any(|n| n == p)) =>
                {
                    title.push_str(&format!(" of {}", one_line(p)));
                }
                _ => {}
            }
        }
        let mut block = vec![title];
        let body = match (i, opts.full) {
            (0, _) => flats[0].iter().map(|(k, v)| format!("{k} = {v}")).collect(),
            (_, true) => whole_state(&flats[i - 1], &flats[i]),
            (_, false) => changes_or_none(&flats[i - 1], &flats[i]),
        };
        block.extend(body.into_iter().map(|line| format!("{INDENT}{line}")));
        if let Some(line) = properties_line(violated, i, opts.properties) {
            block.push(format!("{INDENT}{line}"));
        }
        blocks.push(block);
    }
    if let Some(l) = &lasso {
        blocks.push(vec![l.ending(trace.states.len() - 1)]);
    }
    if blocks.is_empty() {
        return "(empty trace)\n".into();
    }
    let mut out = blocks
        .iter()
        .map(|b| b.join("\n"))
        .collect::<Vec<_>>()
        .join("\n\n");
    out.push('\n');
    out
}

/// A lasso counterexample (a liveness violation): the run takes the
/// trace's steps, then repeats its loop forever.
pub struct Lasso {
    /// The state where the loop starts (ITF's `loop`).
    pub start: usize,
    /// The event leading from the last state back to `start`; `None` when
    /// the last state is stuck (nothing the run may still do is enabled, so
    /// it stays there).
    pub closing: Option<String>,
}

impl Lasso {
    /// The sentence that ends the text view, `last` being the last step.
    pub fn ending(&self, last: usize) -> String {
        let Some(a) = &self.closing else {
            return format!(
                "stuck at step {last}: no event the run may still take is enabled, \
                 so it stays there forever"
            );
        };
        let a = one_line(a);
        let again = match last - self.start {
            0 => format!("{a} repeats forever"),
            1 => format!("step {last} and {a} repeat forever"),
            _ => format!("steps {}…{last} and {a} repeat forever", self.start + 1),
        };
        format!(
            "then {a} leads back to the state of step {}: {again}",
            self.start
        )
    }
}

/// The trace's lasso, when it is one (`#meta` `loop`, with `loop-action`).
pub fn lasso_of(trace: &Trace) -> Option<Lasso> {
    let start = trace.meta("loop")?.parse::<usize>().ok()?;
    Some(Lasso {
        start,
        closing: trace.meta("loop-action").map(str::to_string),
    })
}

/// What a step of a sequence diagram shows: a message `from` → `to`, or a
/// note over `from` when `to` is `None` or `from` itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arrow {
    pub from: String,
    pub to: Option<String>,
    pub label: String,
}

/// The participants owning the changed fields (`var[p]` belongs to p), as
/// a Mermaid span `first,last` (or one name); `None` when no changed field
/// names a participant.
fn note_owners(
    participants: &[String],
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
) -> Option<String> {
    let keys: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    let owners: Vec<&String> = participants
        .iter()
        .filter(|p| {
            keys.iter()
                .any(|k| before.get(*k) != after.get(*k) && k.ends_with(&format!("[{p}]")))
        })
        .collect();
    match owners.as_slice() {
        [] => None,
        [one] => Some(one.to_string()),
        [first, .., last] => Some(format!("{first},{last}")),
    }
}

/// A Mermaid `sequenceDiagram` of the trace: `arrows[i - 1]` draws step `i`,
/// followed by a note of the step's changes over the participants whose
/// fields changed (`succ[n1]` belongs to n1; else over `from`), and a note across
/// all participants for each property that became violated at that step.
///
/// `participants` must be Mermaid participant ids (letters, digits, `_`).
/// A step without an arrow is drawn as a note with its action over the first
/// participant.
pub fn mermaid(
    trace: &Trace,
    participants: &[String],
    arrows: &[Arrow],
    violated: Option<&[Vec<String>]>,
) -> String {
    let mut lines = vec!["sequenceDiagram".to_string()];
    lines.extend(
        participants
            .iter()
            .map(|p| format!("{INDENT}participant {p}")),
    );
    let span = note_span(participants);
    lines.extend(violation_notes(span.as_deref(), violated, 0));
    let flats: Vec<BTreeMap<String, String>> =
        trace.states.iter().map(|s| flatten(&s.vars)).collect();
    for i in 1..trace.states.len() {
        let Some(arrow) = step_arrow(trace, participants, arrows, i) else {
            continue;
        };
        lines.push(arrow_line(&arrow));
        let changed = changes(&flats[i - 1], &flats[i]);
        if !changed.is_empty() {
            let text: Vec<String> = changed.iter().map(|c| escape_mermaid(c)).collect();
            let over = note_owners(participants, &flats[i - 1], &flats[i])
                .unwrap_or_else(|| arrow.from.clone());
            lines.push(format!("{INDENT}Note over {over}: {}", text.join("<br/>")));
        }
        lines.extend(violation_notes(span.as_deref(), violated, i));
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// An ITF value as short text: strings bare, `#bigint` as its digits, lists
/// `[a, b]`, tuples `<a, b>`, sets `{a, b}` (sorted), maps `{k ↦ v}` (sorted
/// by key), records `{field: value}` (in field order).
pub fn render_value(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => render_string(s),
        Value::Array(items) => format!("[{}]", render_all(items).join(", ")),
        Value::Object(fields) => render_object(fields),
    }
}

/// Bare text, unless that would be invisible or break the line: then
/// JSON-quoted.
fn render_string(s: &str) -> String {
    let plain = !s.is_empty() && s.trim() == s && !s.chars().any(char::is_control);
    if plain {
        s.to_string()
    } else {
        Value::String(s.to_string()).to_string()
    }
}

fn render_object(fields: &Map<String, Value>) -> String {
    if let Some(pairs) = fields_map_pairs(fields) {
        let mut entries: Vec<(String, String)> = pairs
            .into_iter()
            .map(|(k, v)| (render_value(k), render_value(v)))
            .collect();
        entries.sort();
        let entries: Vec<String> = entries
            .into_iter()
            .map(|(k, v)| format!("{k} ↦ {v}"))
            .collect();
        return format!("{{{}}}", entries.join(", "));
    }
    match tagged(fields) {
        Some(("#bigint" | "#unserializable", Value::String(s))) => s.clone(),
        Some(("#tup", Value::Array(items))) => format!("<{}>", render_all(items).join(", ")),
        Some(("#set", Value::Array(items))) => {
            let mut elements = render_all(items);
            elements.sort();
            format!("{{{}}}", elements.join(", "))
        }
        // A record, or a malformed tagged form shown as the record it looks like.
        _ => render_record(fields),
    }
}

/// Fields in key order, whatever order the JSON map keeps.
fn render_record(fields: &Map<String, Value>) -> String {
    let sorted: BTreeMap<&String, &Value> = fields.iter().collect();
    let entries: Vec<String> = sorted
        .into_iter()
        .map(|(k, v)| format!("{k}: {}", render_value(v)))
        .collect();
    format!("{{{}}}", entries.join(", "))
}

fn render_all(items: &[Value]) -> Vec<String> {
    items.iter().map(render_value).collect()
}

/// The single `#` field of a tagged form, with its body.
fn tagged(fields: &Map<String, Value>) -> Option<(&str, &Value)> {
    match fields.iter().next() {
        Some((tag, body)) if fields.len() == 1 && tag.starts_with('#') => {
            Some((tag.as_str(), body))
        }
        _ => None,
    }
}

/// The `[key, value]` pairs of an ITF `#map`, or `None` when `value` is not
/// a well-formed one.
fn map_pairs(value: &Value) -> Option<Vec<(&Value, &Value)>> {
    fields_map_pairs(value.as_object()?)
}

fn fields_map_pairs(fields: &Map<String, Value>) -> Option<Vec<(&Value, &Value)>> {
    let ("#map", Value::Array(pairs)) = tagged(fields)? else {
        return None;
    };
    pairs
        .iter()
        .map(|pair| match pair.as_array()?.as_slice() {
            [key, value] => Some((key, value)),
            _ => None,
        })
        .collect()
}

fn or_absent(value: Option<&String>) -> &str {
    value.map_or(ABSENT, String::as_str)
}

/// Keeps a free text on one line with no trailing spaces, so that it cannot
/// break the layout it is placed in.
fn one_line(text: &str) -> String {
    let spaced: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    spaced.trim_end().to_string()
}

/// The table's header: the well-known meta keys first, then the rest (but
/// the file-format ones) in key order.
fn header_lines(trace: &Trace) -> Vec<String> {
    meta_entries(trace)
        .into_iter()
        .map(|(k, v)| format!("{k}: {}", one_line(v)))
        .collect()
}

/// The `#meta` entries a reviewer reads, in the order the text view shows
/// them: model, variant, params, property, kind, command, then the rest in
/// key order; the file-format keys are left out. Shared with the HTML view
/// so both show the same header.
pub fn meta_entries(trace: &Trace) -> Vec<(&str, &str)> {
    let known = HEADER_KEYS
        .iter()
        .filter_map(|k| trace.meta.get_key_value(*k));
    let rest = trace
        .meta
        .iter()
        .filter(|(k, _)| !HEADER_KEYS.contains(&k.as_str()) && !FORMAT_KEYS.contains(&k.as_str()));
    known
        .chain(rest)
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// The step a reviewer looks for first: the first state violating the
/// trace's `#meta` property, or, when the trace names none (a scenario
/// run) or it never fails, the first state violating any property.
/// `None` when every state satisfies every property.
pub fn first_violation(trace: &Trace, violated: &[Vec<String>]) -> Option<usize> {
    let named = trace
        .meta("property")
        .and_then(|p| violated.iter().position(|now| now.iter().any(|n| n == p)));
    named.or_else(|| violated.iter().position(|now| !now.is_empty()))
}

/// A whole state for the full table: every field `k = v`, a changed one
/// followed by what it was, a field the step removed as `k = —  (was v)`.
fn whole_state(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) -> Vec<String> {
    let changed: BTreeMap<String, Change> = field_changes(before, after)
        .into_iter()
        .map(|c| (c.field.clone(), c))
        .collect();
    let keys: BTreeSet<&String> = after.keys().chain(changed.keys()).collect();
    keys.into_iter()
        .map(|k| {
            let now = or_absent(after.get(k));
            match changed.get(k) {
                Some(c) => format!("{k} = {now}  (was {})", c.old_text()),
                None => format!("{k} = {now}"),
            }
        })
        .collect()
}

fn changes_or_none(
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
) -> Vec<String> {
    let changed = changes(before, after);
    if changed.is_empty() {
        vec!["(no change)".into()]
    } else {
        changed
    }
}

/// `holds: all`, or `violated: A (new), B` where `(new)` marks a property
/// that held in the state before, followed by `; the other N hold` when the
/// model's property count `total` is known; `None` when state `i`'s verdict
/// is unknown.
fn properties_line(
    violated: Option<&[Vec<String>]>,
    i: usize,
    total: Option<usize>,
) -> Option<String> {
    let now = violated?.get(i)?;
    if now.is_empty() {
        return Some("holds: all".into());
    }
    let others = match total.map(|t| t.saturating_sub(now.len())) {
        None | Some(0) => String::new(),
        Some(1) => "; the other one holds".into(),
        Some(n) => format!("; the other {n} hold"),
    };
    let fresh = newly_violated(violated, i);
    let names: Vec<String> = now
        .iter()
        .map(|name| {
            if i > 0 && fresh.contains(&name) {
                format!("{name} (new)")
            } else {
                name.clone()
            }
        })
        .collect();
    Some(format!("violated: {}{others}", names.join(", ")))
}

/// The properties violated in state `i` but not in state `i - 1` (all of
/// them for state 0).
fn newly_violated(violated: Option<&[Vec<String>]>, i: usize) -> Vec<&String> {
    let Some(violated) = violated else {
        return Vec::new();
    };
    let before: &[String] = match i {
        0 => &[],
        _ => violated.get(i - 1).map_or(&[], Vec::as_slice),
    };
    violated
        .get(i)
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .filter(|name| !before.contains(name))
        .collect()
}

/// Who a note across the whole diagram spans: `first,last`, or the only
/// participant.
fn note_span(participants: &[String]) -> Option<String> {
    match participants {
        [] => None,
        [only] => Some(only.clone()),
        [first, .., last] => Some(format!("{first},{last}")),
    }
}

fn violation_notes(span: Option<&str>, violated: Option<&[Vec<String>]>, i: usize) -> Vec<String> {
    let Some(span) = span else {
        return Vec::new();
    };
    newly_violated(violated, i)
        .into_iter()
        .map(|name| {
            format!(
                "{INDENT}Note over {span}: ✗ {} violated",
                escape_mermaid(name)
            )
        })
        .collect()
}

/// Step `i`'s arrow: the caller's, or a note of the action over the first
/// participant; `None` when there is nobody to draw it on (no participants,
/// or an empty `from`).
fn step_arrow(trace: &Trace, participants: &[String], arrows: &[Arrow], i: usize) -> Option<Arrow> {
    let action = &trace.states[i].action;
    let mut arrow = match arrows.get(i - 1) {
        Some(arrow) => arrow.clone(),
        None => Arrow {
            from: participants.first()?.clone(),
            to: None,
            label: action.clone(),
        },
    };
    // Mermaid cannot draw a note over nobody.
    if arrow.from.is_empty() {
        return None;
    }
    // An empty message text would leave `from->>to: ` with a trailing space.
    if arrow.label.trim().is_empty() {
        arrow.label = if action.trim().is_empty() {
            format!("step {i}")
        } else {
            action.clone()
        };
    }
    Some(arrow)
}

fn arrow_line(arrow: &Arrow) -> String {
    let label = escape_mermaid(&arrow.label);
    match &arrow.to {
        Some(to) if *to != arrow.from => format!("{INDENT}{}->>{to}: {label}", arrow.from),
        _ => format!("{INDENT}Note over {}: {label}", arrow.from),
    }
}

/// Text safe for a Mermaid message or note. Mermaid reads `#…;` as its own
/// entity codes and `;` as the end of a statement, and passes `<…>` on as
/// HTML (our tuples look like tags), so these become Mermaid entity codes,
/// which it shows as the original characters; line breaks become spaces.
fn escape_mermaid(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in one_line(text).chars() {
        match c {
            '#' => out.push_str("#35;"),
            ';' => out.push_str("#59;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Step, INIT};
    use serde_json::json;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    fn step(action: &str, vars: Value) -> Step {
        Step {
            action: action.into(),
            picks: Map::new(),
            vars: object(vars),
        }
    }

    fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn names(lists: &[&[&str]]) -> Vec<Vec<String>> {
        lists
            .iter()
            .map(|l| l.iter().map(|s| s.to_string()).collect())
            .collect()
    }

    /// Three states: n1 joins the ring of n0, then n0 stabilizes.
    fn sample() -> Trace {
        let meta = [
            ("model", "chord"),
            ("variant", "base"),
            ("params", "nodes=2"),
            ("property", "Ordered"),
            ("kind", "counterexample"),
            ("command", "overlay check chord --nodes 2"),
            ("overlay-format", "1"),
            ("source", "overlay"),
            ("description", "n1 joins"),
        ];
        Trace {
            meta: meta
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            vars: vec!["succ".into(), "pending".into()],
            states: vec![
                step(
                    INIT,
                    json!({ "succ": { "#map": [["n0", "n0"]] }, "pending": { "#set": [] } }),
                ),
                step(
                    "n1 joins via n0",
                    json!({
                        "succ": { "#map": [["n0", "n0"], ["n1", "n0"]] },
                        "pending": { "#set": [{ "op": "notify", "to": "n0", "with": "n1" }] },
                    }),
                ),
                step(
                    "n0 stabilizes",
                    json!({ "succ": { "#map": [["n0", "n1"], ["n1", "n0"]] }, "pending": { "#set": [] } }),
                ),
            ],
        }
    }

    fn arrows() -> Vec<Arrow> {
        vec![
            Arrow {
                from: "n1".into(),
                to: Some("n0".into()),
                label: "join #1; via n0".into(),
            },
            Arrow {
                from: "n0".into(),
                to: None,
                label: "stabilize".into(),
            },
        ]
    }

    fn participants() -> Vec<String> {
        vec!["n0".into(), "n1".into()]
    }

    #[test]
    fn renders_itf_forms() {
        let value = json!({
            "big": { "#bigint": "-123" },
            "flag": true,
            "list": ["n1", 2],
            "map": { "#map": [["n2", 1], ["n1", { "#tup": [] }]] },
            "set": { "#set": ["n2", "n10", "n1"] },
            "tup": { "#tup": ["n0", 3] },
        });
        assert_eq!(
            render_value(&value),
            "{big: -123, flag: true, list: [n1, 2], map: {n1 ↦ <>, n2 ↦ 1}, set: {n1, n10, n2}, tup: <n0, 3>}"
        );
    }

    #[test]
    fn quotes_strings_that_would_not_show() {
        assert_eq!(render_value(&json!("")), "\"\"");
        assert_eq!(render_value(&json!("a\nb")), "\"a\\nb\"");
        assert_eq!(render_value(&json!("a ")), "\"a \"");
        assert_eq!(render_value(&json!("a b")), "a b");
    }

    #[test]
    fn flattens_maps_into_one_field_per_key() {
        let vars = object(json!({
            "succ": { "#map": [["n1", "n0"], [{ "#tup": ["n0", 1] }, "n2"]] },
            "round": { "#bigint": "7" },
            "empty": { "#map": [] },
        }));
        assert_eq!(
            flatten(&vars),
            fields(&[
                ("empty", "{}"),
                ("round", "7"),
                ("succ[<n0, 1>]", "n2"),
                ("succ[n1]", "n0")
            ])
        );
    }

    #[test]
    fn flattens_a_malformed_map_as_one_field() {
        let vars = object(json!({ "succ": { "#map": [["n1"]] } }));
        assert_eq!(flatten(&vars), fields(&[("succ", "{#map: [[n1]]}")]));
    }

    #[test]
    fn changes_list_changed_new_and_removed_fields_in_key_order() {
        let before = fields(&[("prdc[n0]", "n3"), ("succ[n1]", "n2"), ("same", "x")]);
        let after = fields(&[("prdc[n0]", "n2"), ("succ[n3]", "n0"), ("same", "x")]);
        assert_eq!(
            changes(&before, &after),
            vec!["prdc[n0]: n3 → n2", "succ[n1]: n2 → —", "succ[n3]: — → n0"]
        );
    }

    #[test]
    fn no_changes_between_equal_states() {
        let state = fields(&[("a", "1")]);
        assert!(changes(&state, &state).is_empty());
        assert!(changes(&BTreeMap::new(), &BTreeMap::new()).is_empty());
    }

    #[test]
    fn table_with_verdicts() {
        let violated = names(&[&[], &["Ordered"], &["Ordered", "Connected"]]);
        insta::assert_snapshot!(table(&sample(), Some(&violated)));
    }

    #[test]
    fn table_without_verdicts() {
        insta::assert_snapshot!(table(&sample(), None));
    }

    #[test]
    fn table_is_clean_text() {
        let text = table(&sample(), Some(&names(&[&[], &[], &["Ordered"]])));
        assert!(text.ends_with('\n') && !text.ends_with("\n\n"));
        assert!(text.lines().all(|l| l == l.trim_end()), "{text}");
    }

    #[test]
    fn table_of_a_stuttering_step() {
        let mut trace = sample();
        trace.meta.clear();
        trace.states.truncate(1);
        trace
            .states
            .push(step("n0 idles", trace.states[0].vars.clone().into()));
        assert_eq!(
            table(&trace, Some(&names(&[&["Ordered"]]))),
            "step 0  init  ← first violation\n    pending = {}\n    succ[n0] = n0\n    violated: Ordered\n\nstep 1  n0 idles\n    (no change)\n"
        );
    }

    #[test]
    fn full_table_shows_whole_states_and_what_changed() {
        let violated = names(&[&[], &["Ordered"], &["Ordered", "Connected"]]);
        let opts = TableOptions {
            full: true,
            properties: Some(3),
        };
        insta::assert_snapshot!(table_with(&sample(), Some(&violated), opts));
    }

    #[test]
    fn full_table_names_removed_fields() {
        let before = fields(&[("succ[n1]", "n0"), ("same", "x")]);
        let after = fields(&[("same", "x"), ("prdc[n0]", "n1")]);
        assert_eq!(
            whole_state(&before, &after),
            vec![
                "prdc[n0] = n1  (was —)",
                "same = x",
                "succ[n1] = —  (was n0)"
            ]
        );
    }

    #[test]
    fn the_properties_line_counts_the_others() {
        let violated = names(&[&[], &["A"], &["A", "B"]]);
        let line = |i, total| properties_line(Some(&violated), i, total);
        assert_eq!(line(0, Some(3)).as_deref(), Some("holds: all"));
        assert_eq!(
            line(1, Some(3)).as_deref(),
            Some("violated: A (new); the other 2 hold")
        );
        assert_eq!(
            line(2, Some(3)).as_deref(),
            Some("violated: A, B (new); the other one holds")
        );
        assert_eq!(line(2, Some(2)).as_deref(), Some("violated: A, B (new)"));
        assert_eq!(line(2, None).as_deref(), Some("violated: A, B (new)"));
        assert_eq!(line(3, Some(3)), None);
    }

    #[test]
    fn the_first_violation_prefers_the_traced_property() {
        let mut trace = sample();
        let violated = names(&[&["Other"], &["Other"], &["Other", "Ordered"]]);
        assert_eq!(first_violation(&trace, &violated), Some(2));
        trace.meta.remove("property");
        assert_eq!(first_violation(&trace, &violated), Some(0));
        assert_eq!(first_violation(&trace, &names(&[&[], &[], &[]])), None);
    }

    #[test]
    fn mermaid_with_verdicts() {
        let violated = names(&[&[], &["Ordered"], &["Ordered", "Connected"]]);
        insta::assert_snapshot!(mermaid(
            &sample(),
            &participants(),
            &arrows(),
            Some(&violated)
        ));
    }

    #[test]
    fn mermaid_without_arrows_notes_the_action() {
        let text = mermaid(&sample(), &participants()[..1], &[], None);
        assert_eq!(
            text,
            "sequenceDiagram\n    participant n0\n    Note over n0: n1 joins via n0\n    Note over n0: pending: {} → {{op: notify, to: n0, with: n1}}<br/>succ[n1]: — → n0\n    Note over n0: n0 stabilizes\n    Note over n0: pending: {{op: notify, to: n0, with: n1}} → {}<br/>succ[n0]: n0 → n1\n"
        );
    }

    #[test]
    fn mermaid_escapes_what_breaks_it() {
        assert_eq!(
            escape_mermaid("a#1; <n0, 1> & b\nc"),
            "a#35;1#59; #lt;n0, 1#gt; #amp; b c"
        );
    }
}
