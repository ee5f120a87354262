//! "Repairable" properties, for any model: can repair steps alone reach a
//! repaired state (Chord: Ideal; Kademlia: every lookup finds the k
//! closest) from here?
//!
//! Answered by a search over the repair-only successors of a state, with a
//! memo shared by the checker's threads. The memo makes the whole check
//! near-linear: when a search reaches a repaired state, every state on the
//! path found is repairable; when it exhausts, every state it saw is not
//! (their repair-closures lie inside the exhausted one).

use std::collections::HashSet;
use std::sync::Mutex;

use stateright::Model;

use super::compact::{self, Compact};
use super::engine::FpSet;
use super::OverlayModel;

/// A state on the depth-first path: its fingerprint and its children
/// (fingerprint, state) not tried yet.
type Frame<S> = (u64, Vec<(u64, S)>);

/// What a model offers for the search: its repair steps and its goal.
pub trait Repair: OverlayModel + Compact<<Self as Model>::State> {
    /// The goal: a repaired state.
    fn repaired(&self, s: &Self::State) -> bool;
    /// The repair steps enabled in `s` (appended to `out`).
    fn repair_steps(&self, s: &Self::State, out: &mut Vec<Self::Action>);
    /// The state a repair step leads to.
    fn repair(&self, s: &Self::State, a: &Self::Action) -> Self::State;
}

/// Verdicts by state fingerprint: the repairable states and the others,
/// as two fingerprint sets (about 14 bytes a state, where a map of
/// verdicts took twice that: the memo holds every state the check meets).
/// Only looked up, never iterated, so no order can leak into behaviour.
#[derive(Default)]
pub struct Memo(Mutex<(FpSet, FpSet)>);

/// XXH3 of the state's compact encoding (`super::compact`): faster than
/// hashing the state through `Hash`.
fn fingerprint<M: Repair>(m: &M, s: &M::State) -> u64 {
    let mut buf = Vec::with_capacity(16);
    m.encode(s, &mut buf);
    compact::fingerprint(&buf)
}

impl Memo {
    fn get(&self, fp: u64) -> Option<bool> {
        let memo = self.0.lock().expect("memo lock");
        if memo.0.contains(fp) {
            Some(true)
        } else {
            memo.1.contains(fp).then_some(false)
        }
    }

    fn put_all(&self, fps: impl IntoIterator<Item = u64>, verdict: bool) {
        let mut memo = self.0.lock().expect("memo lock");
        let set = if verdict { &mut memo.0 } else { &mut memo.1 };
        for fp in fps {
            set.insert(fp);
        }
    }

    pub fn repairable<M: Repair>(&self, m: &M, s: &M::State) -> bool {
        let start = fingerprint(m, s);
        if let Some(v) = self.get(start) {
            return v;
        }
        // Depth-first over repair steps (any repaired state will do, and
        // with many messages in flight a breadth-first search would visit
        // every interleaving up to the nearest one); the stack is the path.
        let mut seen: HashSet<u64> = HashSet::from([start]);
        // Per state on the path: its fingerprint and its children not
        // tried yet.
        let mut stack: Vec<Frame<M::State>> = Vec::new();
        let mut actions = Vec::new();
        let mut x = s.clone();
        let mut fx = start;
        loop {
            let known = if fx == start { None } else { self.get(fx) };
            let found = match known {
                Some(false) => false,
                Some(true) => true,
                None => m.repaired(&x),
            };
            if found {
                let path = stack.iter().map(|(f, _)| *f).chain([fx]);
                self.put_all(path.collect::<Vec<_>>(), true);
                return true;
            }
            // Children of x not seen yet, to be tried in order.
            let mut children = Vec::new();
            if known != Some(false) {
                actions.clear();
                m.repair_steps(&x, &mut actions);
                for a in actions.iter().rev() {
                    let y = m.repair(&x, a);
                    let fy = fingerprint(m, &y);
                    if seen.insert(fy) {
                        children.push((fy, y));
                    }
                }
            }
            stack.push((fx, children));
            // The next unexplored child of the deepest state that has one.
            let next = loop {
                let Some((_, children)) = stack.last_mut() else {
                    break None;
                };
                match children.pop() {
                    Some(y) => break Some(y),
                    None => {
                        stack.pop();
                    }
                }
            };
            let Some((fy, y)) = next else { break };
            (fx, x) = (fy, y);
        }
        self.put_all(seen, false);
        false
    }
}
