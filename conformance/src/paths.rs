//! What every overlay's refinement harness shares: where model and
//! implementation part ([`Mismatch`]), and the exhaustive walk of a
//! model's paths with each event carried out by the implementation and
//! compared ([`walk`], over any [`Stepper`]).

use std::fmt;

/// Where model and implementation part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// Events taken before the one at fault (0 = the initial state).
    pub step: usize,
    /// The event, in scenario syntax (empty for the initial state).
    pub action: String,
    /// What differs, or why the implementation could not take the step.
    pub diff: Vec<String>,
}

impl Mismatch {
    /// Names the events taken before the one at fault, so that the
    /// mismatch can be replayed.
    pub fn after_path<A: fmt::Display>(mut self, path: &[A]) -> Mismatch {
        let prefix: Vec<String> = path.iter().map(|a| a.to_string()).collect();
        let named = if prefix.is_empty() {
            "(start)".to_string()
        } else {
            prefix.join("; ")
        };
        self.diff.insert(0, format!("path: {named}"));
        self
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.action.is_empty() {
            writeln!(f, "initial state: model and implementation differ")?;
        } else {
            writeln!(
                f,
                "step {} `{}`: model and implementation differ",
                self.step, self.action
            )?;
        }
        for d in &self.diff {
            writeln!(f, "    {d}")?;
        }
        Ok(())
    }
}

/// What an exhaustive walk covered.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Initial states walked from.
    pub inits: usize,
    /// Model transitions checked against the implementation.
    pub steps: u64,
    /// Maximal paths (reaching the depth, or a state with no event).
    pub paths: u64,
}

/// A harness that takes model events one at a time in the implementation
/// and compares the states.
pub trait Stepper: Clone {
    type Model;
    type State;
    type Action: Copy + fmt::Display;
    /// The events the walk takes from `s`: those the model enables and the
    /// refinement covers.
    fn events(&self, model: &Self::Model, s: &Self::State, out: &mut Vec<Self::Action>);
    /// Takes `a` in both and compares; `step` numbers the event.
    fn check_step(
        &mut self,
        model: &Self::Model,
        before: &Self::State,
        a: Self::Action,
        step: usize,
    ) -> Result<Self::State, Mismatch>;
}

/// Walks every path of at most `depth` events from `s` (reached by `path`
/// with harness `h`), depth first, checking the implementation after each
/// event; a mismatch names the whole path to it.
pub fn walk<H: Stepper>(
    model: &H::Model,
    h: &H,
    s: &H::State,
    depth: usize,
    path: &mut Vec<H::Action>,
    cov: &mut Coverage,
) -> Result<(), Mismatch> {
    let mut events = Vec::new();
    if path.len() < depth {
        h.events(model, s, &mut events);
    }
    if events.is_empty() {
        cov.paths += 1;
        return Ok(());
    }
    for a in events {
        let mut h2 = h.clone();
        cov.steps += 1;
        let next = h2
            .check_step(model, s, a, path.len() + 1)
            .map_err(|m| m.after_path(path))?;
        path.push(a);
        walk(model, &h2, &next, depth, path, cov)?;
        path.pop();
    }
    Ok(())
}
