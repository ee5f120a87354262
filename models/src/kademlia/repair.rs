//! Repairable: can repair steps alone (refresh lookups and the deliveries
//! they and pings cause) reach a state where every lookup finds the k
//! closest reachable nodes? Memoised as Chord's is (`chord/repair.rs`).
//!
//! Answered by a search over the repair-only successors of a state, with a
//! memo shared by the checker's threads. The memo makes the whole check
//! near-linear: when a search reaches such a state, every state on the path
//! is repairable; when it exhausts, every state it saw is not (their
//! repair-closures lie inside the exhausted one).

use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use super::{KademliaModel, State};
use crate::check::compact::{self, Compact};
use crate::check::engine::FpSet;

/// Verdicts by state fingerprint: the repairable states and the others,
/// as two fingerprint sets (about 14 bytes a state, where a map of
/// verdicts took twice that: the memo holds every state the check meets).
/// Only looked up, never iterated, so no order can leak into behaviour.
#[derive(Default)]
pub struct Memo(Mutex<(FpSet, FpSet)>);

/// XXH3 of the state's compact encoding (`super::compact`): faster than
/// hashing the state through `Hash`.
fn fingerprint(m: &KademliaModel, s: &State) -> u64 {
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

    pub fn repairable(&self, m: &KademliaModel, s: &State) -> bool {
        let start = fingerprint(m, s);
        if let Some(v) = self.get(start) {
            return v;
        }
        // Breadth-first over repair steps; parent links to mark the path.
        let mut parent: HashMap<u64, u64> = HashMap::new();
        parent.insert(start, start);
        let mut queue = VecDeque::from([(*s, start)]);
        let mut actions = Vec::new();
        while let Some((x, fx)) = queue.pop_front() {
            let known = if fx == start { None } else { self.get(fx) };
            let found = match known {
                Some(false) => continue,
                Some(true) => true,
                None => m.converged(&x),
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
            m.enabled(&x, true, &mut actions);
            for &a in &actions {
                let y = m.apply(&x, a);
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
