//! Reading ITF trace files into [`Trace`], with errors that name the file
//! and the place in it (`#meta`, `vars`, `state 3`, …).
//!
//! The document is parsed as plain JSON and its shape checked by hand, rather
//! than through `itf::Trace`, so that every problem can be reported with its
//! place; each variable value is then also checked against `itf::Value`, the
//! `itf` crate's reading of the ITF value grammar.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde_json::{Map, Value};

use super::{Step, Trace, INIT};

/// The state field holding the step's action.
const ACTION: &str = "mbt::actionTaken";
/// The state field holding the step's nondeterministic choices.
const PICKS: &str = "mbt::nondetPicks";
/// The metadata field, of the trace and of each state.
const META: &str = "#meta";

/// Why a trace could not be read.
///
/// Displays as `<origin>: <place>: <message>`, e.g.
/// `traces/x.itf.json: state 3: missing "mbt::actionTaken"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceError {
    /// Where the text came from: a file path, or the label given to
    /// [`read_str`].
    pub origin: String,
    /// The part of the document at fault (`line 2, column 7`, `#meta`,
    /// `vars`, `state 3`), or `None` when it is the document as a whole.
    pub place: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.place {
            Some(place) => write!(f, "{}: {}: {}", self.origin, place, self.message),
            None => write!(f, "{}: {}", self.origin, self.message),
        }
    }
}

impl std::error::Error for TraceError {}

/// Reads the ITF trace in file `path`; errors name the path.
pub fn read_file(path: &Path) -> Result<Trace, TraceError> {
    let origin = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => read_str(&text, &origin),
        Err(e) => Err(TraceError {
            origin,
            place: None,
            message: format!("cannot read: {e}"),
        }),
    }
}

/// Reads an ITF trace from `text`; `source` (usually a file path) starts
/// every error message.
pub fn read_str(text: &str, source: &str) -> Result<Trace, TraceError> {
    parse(text).map_err(|p| TraceError {
        origin: source.to_string(),
        place: p.place,
        message: p.message,
    })
}

/// A [`TraceError`] before its origin is known.
struct Problem {
    place: Option<String>,
    message: String,
}

impl Problem {
    fn at(place: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            place: Some(place.into()),
            message: message.into(),
        }
    }

    fn whole(message: impl Into<String>) -> Self {
        Problem {
            place: None,
            message: message.into(),
        }
    }
}

fn parse(text: &str) -> Result<Trace, Problem> {
    let doc: Value = serde_json::from_str(text).map_err(|e| json_problem(&e))?;
    let Value::Object(doc) = doc else {
        return Err(Problem::whole(format!(
            "not an ITF trace: the document is {}, not an object",
            kind(&doc)
        )));
    };
    let mut meta = read_meta(doc.get(META))?;
    let vars = read_vars(doc.get("vars"))?;
    let states = read_states(doc.get("states"), &vars)?;
    read_loop(doc.get("loop"), &mut meta, states.len())?;
    Ok(Trace { meta, vars, states })
}

/// ITF's top-level `loop` (a lasso: the index of the state where the loop
/// starts), kept as `#meta` `loop`, which our own traces also write.
fn read_loop(
    value: Option<&Value>,
    meta: &mut BTreeMap<String, String>,
    states: usize,
) -> Result<(), Problem> {
    let Some(value) = value else {
        return Ok(());
    };
    let index = value
        .as_u64()
        .filter(|&k| k < states as u64)
        .ok_or_else(|| {
            Problem::whole(format!(
                "\"loop\" is {value}, not the index of a state (0 … {})",
                states - 1
            ))
        })?
        .to_string();
    match meta.get("loop") {
        Some(m) if *m != index => Err(Problem::at(
            META,
            format!("\"loop\" is {m:?}, but the trace's \"loop\" is {index}"),
        )),
        _ => {
            meta.insert("loop".into(), index);
            Ok(())
        }
    }
}

/// `serde_json`'s message, with its position moved to the front where the
/// other errors keep their place.
fn json_problem(e: &serde_json::Error) -> Problem {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let bare = full.strip_suffix(&suffix).unwrap_or(&full);
    Problem::at(
        format!("line {}, column {}", e.line(), e.column()),
        format!("not JSON: {bare}"),
    )
}

/// `#meta`: every value must be a string, since [`Trace::meta`] holds
/// strings only (this includes the ITF fields `format`, `source`, …).
fn read_meta(meta: Option<&Value>) -> Result<BTreeMap<String, String>, Problem> {
    let fields = match meta {
        None => return Ok(BTreeMap::new()),
        Some(Value::Object(fields)) => fields,
        Some(other) => {
            return Err(Problem::whole(format!(
                "{META:?} is {}, not an object",
                kind(other)
            )))
        }
    };
    fields
        .iter()
        .map(|(key, value)| match value {
            Value::String(s) => Ok((key.clone(), s.clone())),
            other => Err(Problem::at(
                META,
                format!("{key:?} is {}, not a string", kind(other)),
            )),
        })
        .collect()
}

/// `vars`: a list of distinct variable names.
fn read_vars(vars: Option<&Value>) -> Result<Vec<String>, Problem> {
    let items = match vars {
        None => return Err(Problem::whole("missing \"vars\"")),
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(Problem::whole(format!(
                "\"vars\" is {}, not a list",
                kind(other)
            )))
        }
    };
    let mut names: Vec<String> = Vec::with_capacity(items.len());
    for (j, item) in items.iter().enumerate() {
        let Value::String(name) = item else {
            return Err(Problem::at(
                "vars",
                format!("item {j} is {}, not a string", kind(item)),
            ));
        };
        if names.contains(name) {
            return Err(Problem::at("vars", format!("{name:?} is listed twice")));
        }
        names.push(name.clone());
    }
    Ok(names)
}

fn read_states(states: Option<&Value>, vars: &[String]) -> Result<Vec<Step>, Problem> {
    let items = match states {
        None => return Err(Problem::whole("missing \"states\"")),
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(Problem::whole(format!(
                "\"states\" is {}, not a list",
                kind(other)
            )))
        }
    };
    if items.is_empty() {
        return Err(Problem::whole(
            "\"states\" is empty: a trace starts with its initial state",
        ));
    }
    let steps = items
        .iter()
        .enumerate()
        .map(|(i, item)| read_state(i, item, vars))
        .collect::<Result<Vec<_>, _>>()?;
    if steps[0].action != INIT {
        return Err(Problem::at(
            "state 0",
            format!(
                "{ACTION:?} is {:?}, but the first state's must be {INIT:?}",
                steps[0].action
            ),
        ));
    }
    Ok(steps)
}

fn read_state(i: usize, item: &Value, vars: &[String]) -> Result<Step, Problem> {
    let place = format!("state {i}");
    let Value::Object(fields) = item else {
        return Err(Problem::at(
            place,
            format!("not an object ({})", kind(item)),
        ));
    };
    let action = match fields.get(ACTION) {
        None => return Err(Problem::at(place, format!("missing {ACTION:?}"))),
        Some(Value::String(action)) => action.clone(),
        Some(other) => {
            return Err(Problem::at(
                place,
                format!("{ACTION:?} is {}, not a string", kind(other)),
            ))
        }
    };
    let picks = match fields.get(PICKS) {
        None => Map::new(),
        Some(Value::Object(picks)) => picks.clone(),
        Some(other) => {
            return Err(Problem::at(
                place,
                format!("{PICKS:?} is {}, not an object", kind(other)),
            ))
        }
    };
    let values: Map<String, Value> = fields
        .iter()
        .filter(|(key, _)| ![META, ACTION, PICKS].contains(&key.as_str()))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    check_names(&values, vars).map_err(|m| Problem::at(&place, m))?;
    for (key, value) in &picks {
        check_value(value).map_err(|m| Problem::at(&place, format!("{PICKS:?}: {key:?}: {m}")))?;
    }
    for (name, value) in &values {
        check_value(value).map_err(|m| Problem::at(&place, format!("variable {name:?}: {m}")))?;
    }
    Ok(Step {
        action,
        picks,
        vars: values,
    })
}

/// A state must hold exactly the variables listed in `vars`.
fn check_names(values: &Map<String, Value>, vars: &[String]) -> Result<(), String> {
    let missing: Vec<&String> = vars.iter().filter(|v| !values.contains_key(*v)).collect();
    if !missing.is_empty() {
        return Err(format!("missing {}", names_phrase("variable", &missing)));
    }
    let extra: Vec<&String> = values.keys().filter(|k| !vars.contains(k)).collect();
    if !extra.is_empty() {
        return Err(format!(
            "{} not listed in \"vars\"",
            names_phrase("variable", &extra)
        ));
    }
    Ok(())
}

/// `variable "a"` or `variables "a", "b"`.
fn names_phrase(noun: &str, names: &[&String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
    let plural = if names.len() == 1 { "" } else { "s" };
    format!("{noun}{plural} {}", quoted.join(", "))
}

/// Checks that `value` is an ITF value: first our own walk, whose messages
/// say what is wrong, then the `itf` crate's reading as a backstop for
/// anything the walk lets through.
fn check_value(value: &Value) -> Result<(), String> {
    check_shape(value)?;
    serde_json::from_value::<itf::Value>(value.clone())
        .map(drop)
        .map_err(|e| format!("not an ITF value: {e}"))
}

/// The ITF value grammar. `itf::Value` alone is not enough: it reads any
/// object it cannot otherwise place, such as `{"#bigint": "x"}`, as a record.
fn check_shape(value: &Value) -> Result<(), String> {
    match value {
        Value::Null => Err("null is not an ITF value".into()),
        Value::Bool(_) | Value::String(_) => Ok(()),
        Value::Number(n) if n.is_i64() => Ok(()),
        Value::Number(n) => Err(format!(
            "{n} is not a 64-bit integer (ITF writes other integers as {{\"#bigint\": \"…\"}})"
        )),
        Value::Array(items) => items.iter().try_for_each(check_shape),
        Value::Object(fields) => check_object(fields),
    }
}

/// A record (no `#` fields), or one of the `#`-tagged forms alone.
fn check_object(fields: &Map<String, Value>) -> Result<(), String> {
    let Some(tag) = fields.keys().find(|k| k.starts_with('#')) else {
        return fields.values().try_for_each(check_shape);
    };
    if fields.len() != 1 {
        return Err(format!("an object with {tag:?} must have no other field"));
    }
    let body = &fields[tag];
    match (tag.as_str(), body) {
        ("#bigint", Value::String(digits)) if is_integer(digits) => Ok(()),
        ("#bigint", _) => Err(format!("#bigint {body} is not a string of decimal digits")),
        ("#tup" | "#set", Value::Array(items)) => items.iter().try_for_each(check_shape),
        ("#map", Value::Array(pairs)) => pairs.iter().try_for_each(check_pair),
        ("#unserializable", Value::String(_)) => Ok(()),
        ("#tup" | "#set" | "#map", _) => Err(format!("{tag} holds {}, not a list", kind(body))),
        ("#unserializable", _) => Err(format!("{tag} holds {}, not a string", kind(body))),
        _ => Err(format!("{tag:?} is not an ITF form")),
    }
}

/// One `[key, value]` entry of a `#map`.
fn check_pair(pair: &Value) -> Result<(), String> {
    match pair.as_array().map(Vec::as_slice) {
        Some([key, value]) => check_shape(key).and_then(|()| check_shape(value)),
        _ => Err(format!("#map entry {pair} is not a [key, value] pair")),
    }
}

/// `[-]digits`, as ITF's `#bigint` requires.
fn is_integer(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// What kind of JSON value `v` is, for messages.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A two-state trace using the ITF forms, metadata and picks.
    fn sample() -> Trace {
        let meta = [
            ("model", "chord"),
            ("property", "Ordered"),
            ("format", "ITF"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let state = |action: &str, picks: Value, succ: Value, n: i64| {
            Step {
            action: action.into(),
            picks: picks.as_object().cloned().unwrap_or_default(),
            vars: json!({ "succ": succ, "pending": { "#set": [] }, "clock": { "#bigint": n.to_string() } })
                .as_object()
                .cloned()
                .unwrap_or_default(),
        }
        };
        Trace {
            meta,
            vars: vec!["succ".into(), "pending".into(), "clock".into()],
            states: vec![
                state(INIT, json!({}), json!({ "#map": [["n0", "n0"]] }), 0),
                state(
                    "n1 joins via n0",
                    json!({ "node": "n1", "via": { "#tup": ["n0", 1] } }),
                    json!({ "#map": [["n0", "n0"], ["n1", "n0"]] }),
                    1,
                ),
            ],
        }
    }

    /// The error message for reading `text` as `t.itf.json`.
    fn error(text: &str) -> String {
        match read_str(text, "t.itf.json") {
            Ok(trace) => panic!("expected an error, read {trace:?}"),
            Err(e) => e.to_string(),
        }
    }

    /// `sample()`'s text with `edit` applied to its JSON first.
    fn edited(edit: impl FnOnce(&mut Value)) -> String {
        let mut doc = sample().to_json();
        edit(&mut doc);
        doc.to_string()
    }

    #[test]
    fn round_trip() {
        let trace = sample();
        let text = trace.to_string_pretty();
        assert_eq!(read_str(&text, "t.itf.json"), Ok(trace));
    }

    #[test]
    fn round_trip_through_a_file() {
        let trace = sample();
        let path =
            std::env::temp_dir().join(format!("overlay-read-{}.itf.json", std::process::id()));
        std::fs::write(&path, trace.to_string_pretty()).expect("temp dir is writable");
        let read = read_file(&path);
        let _ = std::fs::remove_file(&path);
        assert_eq!(read, Ok(trace));
    }

    #[test]
    fn missing_picks_default_to_empty() {
        let text = edited(|doc| {
            doc["states"][0].as_object_mut().map(|s| s.remove(PICKS));
        });
        let trace = read_str(&text, "t.itf.json").expect("picks are optional");
        assert!(trace.states[0].picks.is_empty());
    }

    #[test]
    fn missing_meta_is_empty() {
        let text = edited(|doc| {
            doc.as_object_mut().map(|d| d.remove(META));
        });
        let trace = read_str(&text, "t.itf.json").expect("#meta is optional");
        assert!(trace.meta.is_empty());
    }

    #[test]
    fn unreadable_file_names_the_path() {
        let path = Path::new("/nonexistent/x.itf.json");
        let message = read_file(path).unwrap_err().to_string();
        assert!(
            message.starts_with("/nonexistent/x.itf.json: cannot read: "),
            "{message}"
        );
    }

    #[test]
    fn not_json_names_line_and_column() {
        assert_eq!(
            error("{\n  \"vars\": [,]\n}"),
            "t.itf.json: line 2, column 12: not JSON: expected value"
        );
    }

    #[test]
    fn not_an_object() {
        assert_eq!(
            error("[1]"),
            "t.itf.json: not an ITF trace: the document is a list, not an object"
        );
    }

    #[test]
    fn meta_value_not_a_string_names_the_key() {
        let text = edited(|doc| doc[META]["timestamp"] = json!(17));
        assert_eq!(
            error(&text),
            "t.itf.json: #meta: \"timestamp\" is a number, not a string"
        );
    }

    #[test]
    fn missing_vars() {
        let text = edited(|doc| {
            doc.as_object_mut().map(|d| d.remove("vars"));
        });
        assert_eq!(error(&text), "t.itf.json: missing \"vars\"");
    }

    #[test]
    fn duplicate_var() {
        let text = edited(|doc| doc["vars"] = json!(["succ", "succ"]));
        assert_eq!(error(&text), "t.itf.json: vars: \"succ\" is listed twice");
    }

    #[test]
    fn missing_states() {
        let text = edited(|doc| {
            doc.as_object_mut().map(|d| d.remove("states"));
        });
        assert_eq!(error(&text), "t.itf.json: missing \"states\"");
    }

    #[test]
    fn empty_states() {
        let text = edited(|doc| doc["states"] = json!([]));
        assert_eq!(
            error(&text),
            "t.itf.json: \"states\" is empty: a trace starts with its initial state"
        );
    }

    #[test]
    fn state_not_an_object() {
        let text = edited(|doc| doc["states"][1] = json!("n1"));
        assert_eq!(
            error(&text),
            "t.itf.json: state 1: not an object (a string)"
        );
    }

    #[test]
    fn missing_action() {
        let text = edited(|doc| {
            doc["states"][1].as_object_mut().map(|s| s.remove(ACTION));
        });
        assert_eq!(
            error(&text),
            "t.itf.json: state 1: missing \"mbt::actionTaken\""
        );
    }

    #[test]
    fn action_not_a_string() {
        let text = edited(|doc| doc["states"][1][ACTION] = json!(["join"]));
        assert_eq!(
            error(&text),
            "t.itf.json: state 1: \"mbt::actionTaken\" is a list, not a string"
        );
    }

    #[test]
    fn picks_not_an_object() {
        let text = edited(|doc| doc["states"][1][PICKS] = json!("n1"));
        assert_eq!(
            error(&text),
            "t.itf.json: state 1: \"mbt::nondetPicks\" is a string, not an object"
        );
    }

    #[test]
    fn missing_variable() {
        let text = edited(|doc| {
            doc["states"][1]
                .as_object_mut()
                .map(|s| s.remove("pending"));
        });
        assert_eq!(
            error(&text),
            "t.itf.json: state 1: missing variable \"pending\""
        );
    }

    #[test]
    fn extra_variables() {
        let text = edited(|doc| {
            doc["states"][1]["zz"] = json!(1);
            doc["states"][1]["aa"] = json!(2);
        });
        assert_eq!(
            error(&text),
            "t.itf.json: state 1: variables \"aa\", \"zz\" not listed in \"vars\""
        );
    }

    #[test]
    fn first_action_must_be_init() {
        let text = edited(|doc| doc["states"][0][ACTION] = json!("start"));
        assert_eq!(
            error(&text),
            "t.itf.json: state 0: \"mbt::actionTaken\" is \"start\", but the first state's must be \"init\""
        );
    }

    #[test]
    fn malformed_bigint() {
        let text = edited(|doc| doc["states"][1]["clock"] = json!({ "#bigint": "x" }));
        assert_eq!(
            error(&text),
            "t.itf.json: state 1: variable \"clock\": #bigint \"x\" is not a string of decimal digits"
        );
    }

    #[test]
    fn malformed_map_entry() {
        let text = edited(|doc| doc["states"][1]["succ"] = json!({ "#map": [["n0"]] }));
        assert_eq!(
            error(&text),
            "t.itf.json: state 1: variable \"succ\": #map entry [\"n0\"] is not a [key, value] pair"
        );
    }

    #[test]
    fn tagged_object_with_other_fields() {
        let text = edited(|doc| doc["states"][1]["pending"] = json!({ "#set": [], "n": 1 }));
        assert_eq!(
            error(&text),
            "t.itf.json: state 1: variable \"pending\": an object with \"#set\" must have no other field"
        );
    }

    #[test]
    fn float_is_not_an_itf_value() {
        let text = edited(|doc| doc["states"][1]["clock"] = json!(1.5));
        assert_eq!(
            error(&text),
            "t.itf.json: state 1: variable \"clock\": 1.5 is not a 64-bit integer (ITF writes other integers as {\"#bigint\": \"…\"})"
        );
    }

    #[test]
    fn bad_pick_value() {
        let text = edited(|doc| doc["states"][1][PICKS]["node"] = json!(null));
        assert_eq!(
            error(&text),
            "t.itf.json: state 1: \"mbt::nondetPicks\": \"node\": null is not an ITF value"
        );
    }

    #[test]
    fn itf_crate_accepts_what_the_walk_accepts() {
        let value = json!({ "#map": [[{ "#tup": ["n0", 1] }, { "#set": [{ "op": "x" }] }]] });
        assert_eq!(check_value(&value), Ok(()));
    }
}
