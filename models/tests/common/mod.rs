//! Helpers shared by the model's integration tests.

use overlay_models::check::run::{check, CheckOptions, Strategy, Verdict};
use overlay_models::check::{Expect, OverlayModel};
use overlay_models::chord::{overlay::build, ChordModel};

/// `-p`-style parameters as the models' `build` takes them.
#[allow(dead_code)]
pub fn params(ps: &[(&str, &str)]) -> Vec<(String, String)> {
    ps.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A Chord model of `variant` with `-p`-style parameters.
#[allow(dead_code)]
pub fn model(variant: &str, ps: &[(&str, &str)]) -> ChordModel {
    build(variant, &params(ps)).expect("valid parameters")
}

/// (property, verdict, counterexample length in events).
#[allow(dead_code)]
pub type Verdicts = Vec<(&'static str, Verdict, Option<usize>)>;

/// A complete check: unique states, and each property's verdict and
/// shortest counterexample length.
#[allow(dead_code)]
pub fn outcome<
    M: overlay_models::paint::Painter + overlay_models::check::liveness::LivenessModel,
>(
    m: &M,
    opts: &CheckOptions,
) -> (usize, Verdicts) {
    let out = check(m, opts, &mut |_| {});
    assert!(out.complete);
    let props = out
        .properties
        .iter()
        .map(|p| {
            (
                p.info.name,
                p.verdict,
                p.path.as_ref().map(|(_, steps)| steps.len()),
            )
        })
        .collect();
    (out.unique_states, props)
}

/// [`outcome`] with the default options but `strategy`.
#[allow(dead_code)]
pub fn outcome_by<
    M: overlay_models::paint::Painter + overlay_models::check::liveness::LivenessModel,
>(
    m: &M,
    strategy: Strategy,
) -> (usize, Verdicts) {
    let opts = CheckOptions {
        strategy,
        ..CheckOptions::default()
    };
    outcome(m, &opts)
}

/// The shortest counterexample lengths, in property order.
#[allow(dead_code)]
pub fn lengths(props: &Verdicts) -> Vec<Option<usize>> {
    props.iter().map(|(_, _, l)| *l).collect()
}

/// Every verdict is the one the model expects.
#[allow(dead_code)]
pub fn assert_as_expected<M: OverlayModel>(m: &M, props: &Verdicts) {
    for (info, (name, verdict, _)) in m.expectations().iter().zip(props) {
        assert_eq!(info.name, *name);
        let want = match info.expect {
            Expect::Holds => Verdict::Holds,
            Expect::Violated => Verdict::Violated,
        };
        assert_eq!(*verdict, want, "{name}");
    }
}

/// Every reachable state of a model, breadth-first over the model itself
/// (for facts about all states that no property states).
#[allow(dead_code)]
pub fn reachable<M>(m: &M) -> Vec<M::State>
where
    M: stateright::Model,
    M::State: std::hash::Hash + Eq + Clone,
    M::Action: Clone,
{
    let mut seen = std::collections::HashSet::new();
    let mut order = Vec::new();
    let mut queue: std::collections::VecDeque<M::State> = m.init_states().into();
    let mut acts = Vec::new();
    while let Some(s) = queue.pop_front() {
        if !seen.insert(s.clone()) {
            continue;
        }
        acts.clear();
        m.actions(&s, &mut acts);
        for a in &acts {
            if let Some(t) = m.next_state(&s, a.clone()) {
                queue.push_back(t);
            }
        }
        order.push(s);
    }
    order
}
