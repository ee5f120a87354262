//! Exact shortest counterexamples.
//!
//! Stateright 0.31's BFS keeps overwriting a property's discovery with
//! later (longer) ones and, with several threads, is not level-ordered, so
//! its paths are not reliably shortest. Once the checker has told us which
//! properties fail and at what depth at most, this single-threaded,
//! level-by-level search finds the first violating state of each, taking
//! actions in the model's order: shortest, and the same on every run.

use std::collections::HashMap;
use std::time::Instant;

use super::OverlayModel;
use stateright::Model;

/// A path: the initial state, then (action, state) pairs.
pub type Path<M> = (
    <M as Model>::State,
    Vec<(<M as Model>::Action, <M as Model>::State)>,
);

/// For each wanted property index, a shortest path to a state violating
/// it, searching no deeper than `max_depth` and, once `deadline` passes, no
/// further level (properties not found by then are left out).
pub fn shortest<M: OverlayModel>(
    m: &M,
    wanted: &[usize],
    max_depth: usize,
    deadline: Option<Instant>,
) -> HashMap<usize, Path<M>> {
    let props = m.properties();
    // Arena of (parent, action) with the state's index as identity.
    let mut arena: Vec<(usize, Option<M::Action>)> = Vec::new();
    let mut seen: HashMap<M::State, usize> = HashMap::new();
    let mut frontier: Vec<(usize, M::State)> = Vec::new();
    let mut found: HashMap<usize, usize> = HashMap::new();
    let mut states: HashMap<usize, M::State> = HashMap::new();

    let visit = |idx: usize, s: &M::State, found: &mut HashMap<usize, usize>| {
        for &p in wanted {
            if !found.contains_key(&p) && !(props[p].condition)(m, s) {
                found.insert(p, idx);
            }
        }
    };
    for s in m.init_states() {
        if seen.contains_key(&s) {
            continue;
        }
        let idx = arena.len();
        arena.push((usize::MAX, None));
        seen.insert(s.clone(), idx);
        visit(idx, &s, &mut found);
        frontier.push((idx, s));
    }
    let mut depth = 0;
    let mut actions = Vec::new();
    let late = || deadline.is_some_and(|d| Instant::now() >= d);
    while found.len() < wanted.len() && depth < max_depth && !frontier.is_empty() && !late() {
        let mut next = Vec::new();
        for (pi, s) in frontier {
            actions.clear();
            m.actions(&s, &mut actions);
            for a in actions.drain(..) {
                let Some(t) = m.next_state(&s, a.clone()) else {
                    continue;
                };
                if seen.contains_key(&t) {
                    continue;
                }
                let idx = arena.len();
                arena.push((pi, Some(a)));
                seen.insert(t.clone(), idx);
                visit(idx, &t, &mut found);
                next.push((idx, t));
            }
        }
        frontier = next;
        depth += 1;
    }
    // Rebuild each path from its actions, replaying from the initial state.
    let inits: HashMap<usize, M::State> = seen
        .iter()
        .filter(|(_, &i)| arena[i].0 == usize::MAX)
        .map(|(s, &i)| (i, s.clone()))
        .collect();
    states.extend(inits);
    found
        .into_iter()
        .map(|(p, mut idx)| {
            let mut acts = Vec::new();
            while arena[idx].0 != usize::MAX {
                acts.push(
                    arena[idx]
                        .1
                        .clone()
                        .expect("non-initial states have an action"),
                );
                idx = arena[idx].0;
            }
            acts.reverse();
            let init = states[&idx].clone();
            let mut cur = init.clone();
            let steps = acts
                .into_iter()
                .map(|a| {
                    cur = m
                        .next_state(&cur, a.clone())
                        .expect("replayed action is enabled");
                    (a, cur.clone())
                })
                .collect();
            (p, (init, steps))
        })
        .collect()
}
