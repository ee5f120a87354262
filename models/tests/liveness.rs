//! Liveness under fairness (`overlay_models::check::liveness`): toy models
//! whose only violations are cycles, which Stateright's `eventually`
//! misses; weak against strong fairness; self-loops and stuck states;
//! lasso traces that replay; and the pinned Chord results.

use std::collections::BTreeSet;

use overlay_models::check::liveness::{
    check, check_lasso, check_traced, lasso_trace, Fair, Lasso, Liveness, LivenessModel,
    LivenessOptions, LivenessOutcome, LivenessStats,
};
use overlay_models::check::minimize::minimize_lasso;
use overlay_models::check::run::Verdict;
use overlay_models::check::Expect;
use overlay_models::chord::state::Status::Rectifying;
use overlay_models::chord::{Action, ChordModel, State};
use overlay_models::registry;
use overlay_models::trace::{self, Trace};
use stateright::{Checker, HasDiscoveries, Model, Property};

mod common;
use common::model;

// ------------------------------------------------------------ toy models

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, PartialOrd, Ord)]
enum S {
    Zero,
    One,
    Done,
}

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
enum A {
    Up,
    Down,
    Finish,
}

/// A counter that may flip 0 → 1 → 0 forever or finish. Every terminal
/// state is Done, so the only way to miss Done is the cycle.
#[derive(Clone)]
struct Spin {
    /// Finish is enabled in 0 as well as in 1.
    finish_from_zero: bool,
}

impl Model for Spin {
    type State = S;
    type Action = A;
    fn init_states(&self) -> Vec<S> {
        vec![S::Zero]
    }
    fn actions(&self, s: &S, out: &mut Vec<A>) {
        match s {
            S::Zero => {
                out.push(A::Up);
                if self.finish_from_zero {
                    out.push(A::Finish);
                }
            }
            S::One => out.extend([A::Down, A::Finish]),
            S::Done => {}
        }
    }
    fn next_state(&self, s: &S, a: A) -> Option<S> {
        Some(match (s, a) {
            (S::Zero, A::Up) => S::One,
            (S::One, A::Down) => S::Zero,
            (_, A::Finish) => S::Done,
            _ => return None,
        })
    }
    fn properties(&self) -> Vec<Property<Self>> {
        vec![Property::eventually("Done", |_, s| *s == S::Done)]
    }
}

fn done<M: Model<State = S>>() -> Liveness<M> {
    Liveness::eventually("Done", |_, s| *s == S::Done)
}

fn weak_finish(_: &Spin, a: &A) -> Option<Fair> {
    (*a == A::Finish).then(|| Fair::weak("finish"))
}

fn strong_finish(_: &Spin, a: &A) -> Option<Fair> {
    (*a == A::Finish).then(|| Fair::strong("finish"))
}

/// The one property's outcome.
fn one<M: Model>(m: &M, p: Liveness<M>) -> LivenessOutcome<Lasso<M::State, M::Action>>
where
    M::State: Clone + std::hash::Hash + Eq,
    M::Action: Clone,
{
    let mut out = check(m, &[p], &LivenessOptions::default());
    assert!(out.complete);
    out.properties.remove(0)
}

/// The lasso's states, actions, loop start and closing action, checked by
/// `check_lasso` against `p`.
fn verified<M: Model>(m: &M, p: &Liveness<M>, l: &Lasso<M::State, M::Action>)
where
    M::State: Clone + PartialEq,
    M::Action: Clone + std::fmt::Debug,
{
    let mut states = vec![l.init.clone()];
    states.extend(l.steps.iter().map(|(_, s)| s.clone()));
    let actions: Vec<M::Action> = l.steps.iter().map(|(a, _)| a.clone()).collect();
    check_lasso(m, p, &states, &actions, l.loop_start, l.closing.as_ref())
        .unwrap_or_else(|e| panic!("{}: not a counterexample: {e}", p.name));
}

#[test]
fn stateright_eventually_misses_the_cycle_and_we_find_the_lasso() {
    let m = Spin {
        finish_from_zero: true,
    };
    let theirs = m
        .clone()
        .checker()
        .finish_when(HasDiscoveries::AnyOf(BTreeSet::new()))
        .spawn_bfs()
        .join();
    assert_eq!(theirs.unique_state_count(), 3);
    assert!(
        theirs.discovery("Done").is_none(),
        "Stateright now sees cycles? It reports {:?}",
        theirs.discovery("Done")
    );

    // No fairness: 0 → 1 → 0 forever never finishes.
    let p = done();
    let out = one(&m, p.clone());
    assert_eq!(out.verdict, Verdict::Violated);
    let l = out.lasso.expect("a lasso");
    assert_eq!(
        l,
        Lasso {
            init: S::Zero,
            steps: vec![(A::Up, S::One)],
            loop_start: 0,
            closing: Some(A::Down),
        }
    );
    assert_eq!((l.prefix_len(), l.loop_len()), (0, 2));
    verified(&m, &p, &l);
    assert_eq!(
        out.stats,
        LivenessStats {
            considered: 2,
            cycles: 1,
            fair_cycles: 1,
            stuck: 0,
            doomed: 2,
            families: 0,
        }
    );

    // Weak fairness on finish: enabled in 0 and 1, so the cycle keeps it
    // enabled and never takes it; no fair run misses Done.
    let out = one(&m, done().fair(weak_finish));
    assert_eq!(out.verdict, Verdict::Holds);
    assert!(out.lasso.is_none());
    assert_eq!((out.stats.cycles, out.stats.fair_cycles), (1, 0));
    assert_eq!(out.stats.doomed, 0);
}

#[test]
fn weak_fairness_lets_a_flickering_action_starve_and_strong_does_not() {
    // Finish only from 1: on the cycle it is enabled every other step.
    let m = Spin {
        finish_from_zero: false,
    };
    let weak = done().fair(weak_finish);
    let out = one(&m, weak.clone());
    assert_eq!(out.verdict, Verdict::Violated);
    let l = out.lasso.expect("a lasso");
    assert_eq!((l.prefix_len(), l.loop_len()), (0, 2));
    verified(&m, &weak, &l);

    let strong = done().fair(strong_finish);
    let out = one(&m, strong.clone());
    assert_eq!(out.verdict, Verdict::Holds);
    assert_eq!((out.stats.cycles, out.stats.fair_cycles), (1, 0));
    // The weak lasso is no counterexample under strong fairness.
    let states = [S::Zero, S::One];
    let e = check_lasso(&m, &strong, &states, &[A::Up], 0, Some(&A::Down)).unwrap_err();
    assert!(
        e.contains("SF(finish) is enabled in the loop and never taken"),
        "{e}"
    );
}

/// A state that can wait on itself forever or finish.
#[derive(Clone)]
struct Wait;

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
enum W {
    Wait,
    Finish,
}

impl Model for Wait {
    type State = S;
    type Action = W;
    fn init_states(&self) -> Vec<S> {
        vec![S::Zero]
    }
    fn actions(&self, s: &S, out: &mut Vec<W>) {
        if *s == S::Zero {
            out.extend([W::Wait, W::Finish]);
        }
    }
    fn next_state(&self, s: &S, a: W) -> Option<S> {
        match a {
            W::Wait => Some(*s),
            W::Finish => Some(S::Done),
        }
    }
}

#[test]
fn a_self_loop_is_a_cycle_and_takes_its_own_family() {
    // Waiting forever is a run (no stuttering where the model can move, but
    // the self-loop is a move).
    let p = done();
    let out = one(&Wait, p.clone());
    assert_eq!(out.verdict, Verdict::Violated);
    let l = out.lasso.expect("a lasso");
    assert_eq!(
        (l.steps.len(), l.loop_start, l.closing),
        (0, 0, Some(W::Wait))
    );
    assert_eq!((l.prefix_len(), l.loop_len()), (0, 1));
    verified(&Wait, &p, &l);

    // Fairness for waiting only: the self-loop takes its own family, and
    // finish may be ignored; still a counterexample.
    let wait_fair = done().fair(|_, a| (*a == W::Wait).then(|| Fair::weak("wait")));
    let out = one(&Wait, wait_fair.clone());
    assert_eq!(out.verdict, Verdict::Violated);
    verified(&Wait, &wait_fair, out.lasso.as_ref().expect("a lasso"));

    // Fairness for finishing: enabled throughout the one-state cycle and
    // never taken in it, so waiting forever is unfair.
    let both = done().fair(|_, a| {
        Some(match a {
            W::Wait => Fair::weak("wait"),
            W::Finish => Fair::weak("finish"),
        })
    });
    let out = one(&Wait, both.clone());
    assert_eq!(out.verdict, Verdict::Holds);
    let e = check_lasso(&Wait, &both, &[S::Zero], &[], 0, Some(&W::Wait)).unwrap_err();
    assert!(e.contains("WF(finish) is enabled in every state"), "{e}");
}

/// A → B → A forever, or A → C → D → C forever; no goal anywhere but E,
/// which D may reach. Only C starts the "leads to" obligation.
#[derive(Clone)]
struct Two;

impl Model for Two {
    type State = u8;
    type Action = u8;
    fn init_states(&self) -> Vec<u8> {
        vec![0]
    }
    fn actions(&self, s: &u8, out: &mut Vec<u8>) {
        out.extend(match s {
            0 => &[1u8, 2][..],
            1 => &[0][..],
            2 => &[3][..],
            3 => &[2, 4][..],
            _ => &[][..],
        });
    }
    fn next_state(&self, _: &u8, a: u8) -> Option<u8> {
        Some(a)
    }
}

#[test]
fn leads_to_starts_where_its_trigger_holds() {
    let goal_e = |_: &Two, s: &u8| *s == 4;
    let eventually = Liveness::eventually("EventuallyE", goal_e);
    let out = one(&Two, eventually);
    let l = out.lasso.expect("0 → 1 → 0 never reaches E");
    assert_eq!((l.prefix_len(), l.loop_len(), l.closing), (0, 2, Some(0)));

    // C leads to E: only runs through C count; C ⇄ D is the lasso.
    let leads = Liveness::eventually("CLeadsToE", goal_e).from(|_, s| *s == 2);
    let out = one(&Two, leads.clone());
    assert_eq!(out.verdict, Verdict::Violated);
    let l = out.lasso.expect("C → D → C never reaches E");
    assert_eq!(l.steps, vec![(2, 2), (3, 3)]);
    assert_eq!((l.prefix_len(), l.loop_len(), l.closing), (1, 2, Some(2)));
    verified(&Two, &leads, &l);
    // Only C and D can be on a violating run.
    assert_eq!(out.stats.considered, 2);

    // D leaves for E only from D: weak fairness lets C ⇄ D ignore it
    // (it is disabled in C), strong fairness does not; A ⇄ B still avoids
    // E forever, but no run through C does.
    let weak = leads
        .clone()
        .fair(|_, a| (*a == 4).then(|| Fair::weak("to E")));
    assert_eq!(one(&Two, weak).verdict, Verdict::Violated);
    let strong = leads.fair(|_, a| (*a == 4).then(|| Fair::strong("to E")));
    assert_eq!(one(&Two, strong).verdict, Verdict::Holds);
}

/// With Up as churn (not a tail action), 0 has no quiet action: a run
/// that is quiet from 0 on stutters there forever, which no fairness
/// forbids.
#[test]
fn a_stuck_state_stutters_forever_and_its_loop_has_no_event() {
    let p = done().tail(|_: &Spin, a| *a != A::Up).fair(weak_finish);
    let m = Spin {
        finish_from_zero: false,
    };
    let out = one(&m, p.clone());
    assert_eq!(out.verdict, Verdict::Violated);
    let l = out.lasso.expect("stuck in 0");
    assert_eq!((l.prefix_len(), l.loop_len(), l.closing), (0, 0, None));
    assert!(out.livelock.is_none(), "no loop of events avoids Done");
    assert_eq!(out.stats.stuck, 1);
    verified(&m, &p, &l);
    // The stutter is not a counterexample where a quiet action is enabled.
    let e = check_lasso(&m, &p, &[S::Zero, S::One], &[A::Up], 1, None).unwrap_err();
    assert!(e.contains("not stuck"), "{e}");
}

/// A ring of `n` states, i → i+1 mod n, and a tail into it.
#[derive(Clone)]
struct Ring(u32);

impl Model for Ring {
    type State = u32;
    type Action = u32;
    fn init_states(&self) -> Vec<u32> {
        vec![0]
    }
    fn actions(&self, s: &u32, out: &mut Vec<u32>) {
        out.push(if *s + 1 == 2 * self.0 { self.0 } else { s + 1 });
    }
    fn next_state(&self, _: &u32, a: u32) -> Option<u32> {
        Some(a)
    }
}

#[test]
fn deep_graphs_do_not_overflow_the_stack() {
    // States 0 … 2n-1: a path of n states into a cycle of n, each a step
    // deeper than the last, as deep as Tarjan's recursion would go.
    let n = 100_000;
    let p = Liveness::eventually("Never", |_: &Ring, _| false);
    let out = one(&Ring(n), p.clone());
    assert_eq!(out.verdict, Verdict::Violated);
    let l = out.lasso.expect("the cycle");
    assert_eq!((l.prefix_len(), l.loop_len()), (n as usize, n as usize));
    assert_eq!(out.stats.cycles, 1);
    verified(&Ring(n), &p, &l);
}

#[test]
fn a_lasso_that_breaks_a_rule_is_refused() {
    let m = Spin {
        finish_from_zero: true,
    };
    let p = done();
    let up = [A::Up];
    let states = [S::Zero, S::One];
    let e = check_lasso(&m, &p, &states, &up, 0, Some(&A::Finish)).unwrap_err();
    assert!(e.contains("does not close"), "{e}");
    let e = check_lasso(&m, &p, &states, &up, 2, Some(&A::Down)).unwrap_err();
    assert!(e.contains("past the last state"), "{e}");
    let e = check_lasso(&m, &p, &states, &[A::Down], 0, Some(&A::Down)).unwrap_err();
    assert!(e.contains("does not lead there"), "{e}");
    let quiet = done().tail(|_: &Spin, a| *a != A::Down);
    let e = check_lasso(&m, &quiet, &states, &up, 0, Some(&A::Down)).unwrap_err();
    assert!(
        e.contains("not allowed once the environment is quiet"),
        "{e}"
    );
    let one_goal = Liveness::eventually("One", |_: &Spin, s| *s == S::One);
    let e = check_lasso(&m, &one_goal, &states, &up, 0, Some(&A::Down)).unwrap_err();
    assert!(e.contains("state 1 of the loop satisfies the goal"), "{e}");
    let e = check_lasso(
        &m,
        &done().fair(weak_finish),
        &states,
        &up,
        0,
        Some(&A::Down),
    )
    .unwrap_err();
    assert!(e.contains("WF(finish) is enabled in every state"), "{e}");
}

// ------------------------------------------------------------ Chord

/// Events of a lasso: (prefix, loop including the closing event).
fn events(l: &Lasso<State, Action>) -> (Vec<String>, Vec<String>) {
    let mut all: Vec<String> = l.steps.iter().map(|(a, _)| a.to_string()).collect();
    all.extend(l.closing.iter().map(Action::to_string));
    let looped = all.split_off(l.loop_start);
    (all, looped)
}

fn chord(
    variant: &str,
    params: &[(&str, &str)],
) -> (ChordModel, usize, LivenessOutcome<Lasso<State, Action>>) {
    let m = model(variant, params);
    let props = m.liveness();
    assert_eq!(props.len(), 1);
    assert_eq!(props[0].name, "EventuallyIdeal");
    assert_eq!(props[0].expect, Expect::Violated);
    let mut out = check(&m, &props, &LivenessOptions::default());
    assert!(out.complete);
    let p = out.properties.remove(0);
    for l in p.lasso.iter().chain(&p.livelock) {
        verified(&m, &props[0], l);
    }
    (m, out.unique_states, p)
}

/// The published protocol gets stuck: after the Stabilize bug (n0 adopts
/// its dead predecessor n1 as successor, with no succ2 to fall back on)
/// no repair event is enabled at n0 and none ever will be. The shortest
/// livelock: n0 is stuck the same way while n2 keeps stabilizing and
/// notifying it, forever.
#[test]
fn original_n3_gets_stuck_and_livelocks() {
    let (_, unique, p) = chord("original", &[("nodes", "3")]);
    assert_eq!(unique, 255_506, "the same space as the safety check");
    assert_eq!(p.verdict, Verdict::Violated);
    let l = p.lasso.as_ref().expect("a lasso");
    assert_eq!(
        events(l),
        (
            [
                "join n1 via n0",
                "stabilize n1",
                "fail n1",
                "notified n0 from n1",
                "stabilize n0",
                "notified n1 from n0",
                "flush n0",
            ]
            .map(String::from)
            .to_vec(),
            vec![]
        )
    );
    let l = p.livelock.as_ref().expect("a livelock");
    let (prefix, looped) = events(l);
    assert_eq!(prefix.len(), 10);
    assert_eq!(looped, ["stabilize n2", "notified n0 from n2"]);
    assert_eq!(
        p.stats,
        LivenessStats {
            considered: 255_345,
            cycles: 64_206,
            fair_cycles: 30,
            stuck: 19,
            doomed: 51_594,
            families: 21,
        }
    );
}

/// With Zave's two fixes nothing adopts a dead node, but the ring still
/// need not repair: the shortest lasso ends in n0 stabilizing against n1
/// forever.
#[test]
fn original_fixed_n3_livelocks() {
    let (_, unique, p) = chord("original-fixed", &[("nodes", "3")]);
    assert_eq!(unique, 239_563);
    assert_eq!(p.verdict, Verdict::Violated);
    let l = p.lasso.as_ref().expect("a lasso");
    let (prefix, looped) = events(l);
    assert_eq!(prefix.len(), 15);
    assert_eq!(looped, ["stabilize n0", "notified n1 from n0"]);
    assert!(p.livelock.is_none(), "the shortest lasso already loops");
    assert_eq!(
        (p.stats.fair_cycles, p.stats.stuck, p.stats.doomed),
        (15, 4, 16_748)
    );
}

/// The corrected protocol as modelled (and as Zave's Alloy has it): a
/// node's status holds one request, and a new rectify request overwrites
/// a pending one. After `join n3 via n2`, n3 asks n0 to rectify (n0 should
/// take n3 as predecessor, so that n2 can find n3), but n2's stabilization
/// overwrites the request before n0 serves it — every round, though every
/// repair event is taken infinitely often.
#[test]
fn correct_can_lose_a_new_members_rectify_request_forever() {
    let (_, unique, p) = chord("correct", &[("nodes", "4"), ("succ-list", "2")]);
    assert_eq!(unique, 2_577);
    assert_eq!(p.verdict, Verdict::Violated);
    let l = p.lasso.as_ref().expect("a lasso");
    let (prefix, looped) = events(l);
    assert_eq!(prefix, ["join n3 via n2"]);
    assert_eq!(
        looped,
        [
            "stabilize n0",
            "rectify n1",
            "stabilize n1",
            "rectify n2",
            "stabilize n2",
            "rectify n0",
            "stabilize n3",
            "stabilize n2",
            "rectify n0",
        ]
    );
    // n3's request is pending at n0 right after n3 stabilizes, and gone
    // (n2's in its place) one event later.
    let at = |k: usize| l.steps[k].1.node(0).status;
    assert_eq!(at(7), Some(Rectifying(3)));
    assert_eq!(at(8), Some(Rectifying(2)));
    assert_eq!(l.steps[8].1.node(0).prdc, Some(2));
    assert_eq!(
        p.stats,
        LivenessStats {
            considered: 2_470,
            cycles: 888,
            fair_cycles: 4,
            stuck: 0,
            doomed: 360,
            families: 12,
        }
    );

    let (_, unique, p) = chord("correct", &[]);
    assert_eq!(unique, 17_851);
    assert_eq!(p.verdict, Verdict::Violated);
    let l = p.lasso.as_ref().expect("a lasso");
    assert_eq!((l.prefix_len(), l.loop_len()), (1, 11));
    assert_eq!(events(l).0, ["join n4 via n3"]);
    assert_eq!((p.stats.fair_cycles, p.stats.doomed), (5, 2_510));
}

/// Weak fairness is too weak for `correct`: a node told to rectify cannot
/// stabilize until it has, so the others can keep its stabilization from
/// ever being continuously enabled. Under weak fairness per event many
/// more states can avoid Ideal forever than under strong fairness.
#[test]
fn correct_under_weak_fairness_starves_many_more_states() {
    let m = model("correct", &[("nodes", "4"), ("succ-list", "2")]);
    let weak = Liveness::eventually("EventuallyIdealWF", |m: &ChordModel, s| m.is_ideal(s))
        .tail(|_, a| a.is_repair())
        .fair(|_, a| a.is_repair().then(|| Fair::weak(a.to_string())));
    let out = one(&m, weak.clone());
    assert_eq!(out.verdict, Verdict::Violated);
    verified(&m, &weak, out.lasso.as_ref().expect("a lasso"));
    assert_eq!(
        (out.stats.fair_cycles, out.stats.doomed),
        (62, 2_332),
        "strong fairness: 4 fair regions, 360 states"
    );
    // With no fairness at all every non-Ideal state can avoid Ideal
    // (repair can always spin on a stabilize and its rectify).
    let none = Liveness::eventually("EventuallyIdealUnfair", |m: &ChordModel, s| m.is_ideal(s))
        .tail(|_, a| a.is_repair());
    let out = one(&m, none);
    assert_eq!(out.stats.doomed, out.stats.considered);
}

// ------------------------------------------------------------ traces

/// The lasso traces of `check --liveness` replay, carry ITF's `loop`, and
/// a trace whose loop does not close, or is no counterexample, is refused.
#[test]
fn lasso_traces_replay_and_tampered_ones_do_not() {
    let m = model("correct", &[("nodes", "4"), ("succ-list", "2")]);
    let out = check_traced(&m, &LivenessOptions::default());
    let t = out.properties[0].lasso.clone().expect("a lasso trace");
    assert_eq!(t.meta("kind"), Some("counterexample"));
    assert_eq!(t.meta("property"), Some("EventuallyIdeal"));
    assert_eq!(t.meta("loop"), Some("1"));
    assert_eq!(t.meta("loop-action"), Some("rectify n0"));
    assert_eq!(
        t.meta("command"),
        Some(
            "overlay check chord --variant correct -p nodes=4 -p succ-list=2 -p ring=3 --liveness"
        )
    );
    assert_eq!(t.len_events(), 9, "1 + 9 events, the closing one in #meta");

    let text = t.to_string_pretty();
    // The `itf` crate's own trace type (values as plain JSON) reads the
    // file and finds the loop.
    let itf: itf::Trace<serde_json::Value> =
        serde_json::from_str(&text).expect("the itf crate reads it");
    assert_eq!(itf.loop_index, Some(1));
    let read = trace::read_str(&text, "lasso").expect("reads");
    assert_eq!(read, t);

    let r = registry::for_trace(&t).expect("a known model");
    r.replay(&t).expect("the lasso replays");

    let tampered = |edit: &dyn Fn(&mut Trace)| {
        let mut bad = t.clone();
        edit(&mut bad);
        r.replay(&bad).expect_err("a tampered lasso replays")
    };
    let e = tampered(&|b| {
        b.meta.insert("loop-action".into(), "rectify n1".into());
    });
    assert!(e.message.contains("not enabled in the last state"), "{e}");
    let e = tampered(&|b| {
        b.meta.insert("loop-action".into(), "stabilize n1".into());
    });
    assert!(e.message.contains("does not lead back to state 1"), "{e}");
    let e = tampered(&|b| {
        b.meta.insert("loop".into(), "12".into());
    });
    assert!(
        e.malformed && e.message.contains("not the index of a state"),
        "{e}"
    );
    let e = tampered(&|b| {
        b.meta.remove("loop");
    });
    assert!(e.malformed, "{e}");
    // Loop from the initial (Ideal) state: not a counterexample.
    let e = tampered(&|b| {
        b.meta.insert("loop".into(), "0".into());
        b.meta.remove("loop-action");
    });
    assert!(e.message.contains("a loop of more than one state"), "{e}");

    // ITF's `loop` alone (as Apalache or Quint write it) is read too, and
    // must agree with ours when both are there.
    let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    doc["#meta"].as_object_mut().unwrap().remove("loop");
    let theirs = trace::read_str(&doc.to_string(), "itf").expect("reads");
    assert_eq!(theirs.meta("loop"), Some("1"));
    doc["#meta"]["loop"] = "2".into();
    let e = trace::read_str(&doc.to_string(), "itf").unwrap_err();
    assert!(e.to_string().contains("\"loop\""), "{e}");
}

#[test]
fn a_stuck_lasso_trace_replays_with_no_closing_event() {
    let m = model("original", &[("nodes", "3")]);
    let out = check_traced(&m, &LivenessOptions::default());
    let p = &out.properties[0];
    let t = p.lasso.as_ref().expect("a lasso trace");
    assert_eq!((t.meta("loop"), t.meta("loop-action")), (Some("7"), None));
    let r = registry::for_trace(t).expect("a known model");
    r.replay(t).expect("the stuck lasso replays");
    let l = p.livelock.as_ref().expect("a livelock trace");
    assert_eq!(l.meta("loop"), Some("10"));
    r.replay(l).expect("the livelock replays");
    // Cut before the flush, the last state is not stuck: refused.
    let mut early = t.clone();
    early.states.pop();
    early.meta.insert("loop".into(), "6".into());
    let e = r.replay(&early).expect_err("not stuck");
    assert!(e.message.contains("not stuck"), "{e}");
}

/// `overlay minimize` on a lasso shrinks its prefix and keeps its loop:
/// the original N=3 livelock with its loop run once more inside the prefix
/// (two events that lead back where they started) comes back as found.
#[test]
fn minimizing_a_padded_livelock_removes_the_extra_turn_of_the_loop() {
    let (m, _, p) = chord("original", &[("nodes", "3")]);
    let l = p.livelock.expect("a livelock");
    let mut steps = l.steps[..l.loop_start].to_vec();
    // Once round the loop inside the prefix: the loop's events, then its
    // closing event, which returns to the loop's first state.
    let mut cur = steps.last().expect("a prefix").1;
    let turn = l.steps[l.loop_start..]
        .iter()
        .map(|(a, _)| *a)
        .chain(l.closing);
    for a in turn {
        cur = m.next_state(&cur, a).expect("the loop replays");
        steps.push((a, cur));
    }
    steps.extend(l.steps[l.loop_start..].iter().copied());
    let padded = Lasso {
        init: l.init,
        steps,
        loop_start: l.loop_start + 2,
        closing: l.closing,
    };
    verified(&m, &m.liveness()[0], &padded);
    let trace = lasso_trace(&m, &padded, Default::default());
    let min = minimize_lasso(&m, &trace, "EventuallyIdeal").expect("minimizes");
    assert_eq!(min.events_before, 14);
    assert_eq!(min.prefix_before, 12);
    assert_eq!(min.lasso, l, "back to the shortest livelock");
    verified(&m, &m.liveness()[0], &min.lasso);
}
