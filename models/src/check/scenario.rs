//! Scenarios: one event per line, applied in order from the initial state,
//! with every property checked after every step.

use std::fmt;

use super::OverlayModel;

/// A scenario line that holds an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// 1-based line number in the file.
    pub number: usize,
    /// The event text, without comment or surrounding blanks.
    pub text: String,
}

/// The event lines of a script: blank lines and `#` comments dropped.
pub fn lines(script: &str) -> Vec<Line> {
    script
        .lines()
        .enumerate()
        .filter_map(|(i, raw)| {
            let text = raw.split('#').next().unwrap_or("").trim();
            (!text.is_empty()).then(|| Line {
                number: i + 1,
                text: text.to_string(),
            })
        })
        .collect()
}

/// Why a scenario stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScriptError {
    /// The line is not an event of this model.
    Parse { line: Line, message: String },
    /// The event cannot happen here.
    NotEnabled {
        line: Line,
        why: String,
        enabled: Vec<String>,
    },
    /// Several choices fit and they lead to different states.
    Ambiguous { line: Line, choices: Vec<String> },
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScriptError::Parse { line, message } => {
                write!(f, "line {}: `{}`: {message}", line.number, line.text)
            }
            ScriptError::NotEnabled { line, why, enabled } => {
                write!(
                    f,
                    "line {}: `{}` is not enabled: {why}",
                    line.number, line.text
                )?;
                if enabled.is_empty() {
                    write!(f, "\n  no event is enabled here")
                } else {
                    write!(f, "\n  enabled here: {}", enabled.join(", "))
                }
            }
            ScriptError::Ambiguous { line, choices } => write!(
                f,
                "line {}: `{}` is ambiguous: these lead to different states: {}\n  write the \
                 line in full to choose one",
                line.number,
                line.text,
                choices.join(", ")
            ),
        }
    }
}

impl std::error::Error for ScriptError {}

/// A scenario that ran to its end.
pub struct Run<M: OverlayModel> {
    pub init: M::State,
    /// Each step: its line, the exact event, the state after it.
    pub steps: Vec<(Line, M::Action, M::State)>,
    /// For state 0 (initial) and after each step: violated property names.
    pub violated: Vec<Vec<String>>,
}

impl<M: OverlayModel> Run<M> {
    /// Each property violated somewhere, with the first step (0 = initial
    /// state) that violates it, in property order.
    pub fn first_violations(&self) -> Vec<(String, usize)> {
        let mut out: Vec<(String, usize)> = Vec::new();
        for (k, names) in self.violated.iter().enumerate() {
            for n in names {
                if !out.iter().any(|(m, _)| m == n) {
                    out.push((n.clone(), k));
                }
            }
        }
        out
    }
}

/// Property names violated in `s`, in property order.
pub fn violated<M: OverlayModel>(m: &M, s: &M::State) -> Vec<String> {
    m.properties()
        .iter()
        .filter(|p| !(p.condition)(m, s))
        .map(|p| p.name.to_string())
        .collect()
}

/// Resolves one line against state `s`: the exact action to take.
pub fn resolve<M: OverlayModel>(
    m: &M,
    s: &M::State,
    line: &Line,
) -> Result<M::Action, ScriptError> {
    let pattern = m
        .parse_pattern(&line.text)
        .map_err(|message| ScriptError::Parse {
            line: line.clone(),
            message,
        })?;
    let fitting: Vec<M::Action> = m
        .candidates(s)
        .into_iter()
        .filter(|a| m.pattern_matches(&pattern, a))
        .collect();
    let enabled: Vec<&M::Action> = fitting
        .iter()
        .filter(|a| m.why_disabled(s, a).is_none())
        .collect();
    if enabled.is_empty() {
        let why = match m.pattern_exact(&pattern) {
            Some(a) => m
                .why_disabled(s, &a)
                .unwrap_or_else(|| "it is not enabled".into()),
            None => {
                let mut reasons: Vec<String> = fitting
                    .iter()
                    .filter_map(|a| m.why_disabled(s, a).map(|w| format!("`{a}`: {w}")))
                    .collect();
                reasons.dedup();
                if reasons.is_empty() {
                    "no choice fits".to_string()
                } else {
                    format!("no choice fits ({})", reasons.join("; "))
                }
            }
        };
        let mut all = Vec::new();
        m.actions(s, &mut all);
        return Err(ScriptError::NotEnabled {
            line: line.clone(),
            why,
            enabled: all.iter().map(|a| a.to_string()).collect(),
        });
    }
    let first = enabled[0].clone();
    let target = m.next_state(s, first.clone());
    let differing: Vec<String> = enabled
        .iter()
        .filter(|a| m.next_state(s, (**a).clone()) != target)
        .map(|a| a.to_string())
        .collect();
    if !differing.is_empty() {
        let mut choices = vec![first.to_string()];
        choices.extend(differing);
        return Err(ScriptError::Ambiguous {
            line: line.clone(),
            choices,
        });
    }
    Ok(first)
}

/// Runs a scenario from `init`.
pub fn run<M: OverlayModel>(m: &M, init: M::State, script: &[Line]) -> Result<Run<M>, ScriptError> {
    let mut cur = init.clone();
    let mut steps = Vec::new();
    let mut bad = vec![violated(m, &cur)];
    for line in script {
        let a = resolve(m, &cur, line)?;
        cur = m
            .next_state(&cur, a.clone())
            .expect("resolved actions are enabled");
        bad.push(violated(m, &cur));
        steps.push((line.clone(), a, cur.clone()));
    }
    Ok(Run {
        init,
        steps,
        violated: bad,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_blank_lines_are_dropped_and_numbers_kept() {
        let got = lines("# header\n\njoin n1   # first\n  stabilize n1\n");
        assert_eq!(
            got,
            vec![
                Line {
                    number: 3,
                    text: "join n1".into()
                },
                Line {
                    number: 4,
                    text: "stabilize n1".into()
                }
            ]
        );
    }
}
