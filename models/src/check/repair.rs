//! "Repairable" properties, for any model: can repair steps alone reach a
//! repaired state (Chord: Ideal; Kademlia: every lookup finds the k
//! closest) from here?
//!
//! Answered by a search over the repair-only successors of a state, with a
//! memo shared by the checker's threads. The memo makes the whole check
//! near-linear: when a search reaches a repaired state, every state on the
//! path found is repairable; when it exhausts, every state it saw is not
//! (their repair-closures lie inside the exhausted one).

use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use stateright::Model;

use super::compact::{self, Compact};
use super::engine::FpSet;
use super::OverlayModel;

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
        // Breadth-first over repair steps; parent links to mark the path.
        let mut parent: HashMap<u64, u64> = HashMap::new();
        parent.insert(start, start);
        let mut queue: VecDeque<(M::State, u64)> = VecDeque::from([(s.clone(), start)]);
        let mut actions = Vec::new();
        while let Some((x, fx)) = queue.pop_front() {
            let known = if fx == start { None } else { self.get(fx) };
            let found = match known {
                Some(false) => continue,
                Some(true) => true,
                None => m.repaired(&x),
            };
            if found {
                let mut path = vec![fx];
                let mut cur = fx;
                while cur != start {
                    cur = parent[&cur];
                    path.push(cur);
                }
                self.put_all(path, true);
                return true;
            }
            actions.clear();
            m.repair_steps(&x, &mut actions);
            for a in &actions {
                let y = m.repair(&x, a);
                let fy = fingerprint(m, &y);
                if let Entry::Vacant(e) = parent.entry(fy) {
                    e.insert(fx);
                    queue.push_back((y, fy));
                }
            }
        }
        self.put_all(parent.into_keys(), false);
        false
    }
}
