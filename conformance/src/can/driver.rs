//! The harness: churn events carried out in the simulator and run to
//! quiescence; the model's repair to a repaired state; the comparison.

use std::collections::{HashSet, VecDeque};

use overlay_impls::can::{Config, Node as ImplNode};
use overlay_impls::runtime::sim::{sim_addr, Net, Sim};
use overlay_models::can::properties::repaired;
use overlay_models::can::state::{elems, Keys, State};
use overlay_models::can::{Action, CanModel};

use super::{diff, Mismatch, Universe, View, QUIET_MS};

/// Most states the search for an alternative repair visits.
pub const SEARCH_LIMIT: usize = 200_000;

/// Most simulated time a churn event may take to settle.
const SETTLE_LIMIT_MS: u64 = 300_000;

/// How often the harness looks for changes while settling.
const LOOK_MS: u64 = 250;

/// The model's repair steps, by the deterministic policy: the first
/// enabled update delivery, else expiry, takeover, reassignment,
/// expanding-ring search, else the first refresh that would change a
/// neighbour set; until `repaired`. `Err` when no step is left or the
/// policy runs long.
pub fn repair(model: &CanModel, s: &State) -> Result<State, String> {
    let rules = model.rules();
    let mut s = *s;
    let mut acts = Vec::new();
    for _ in 0..10_000 {
        if repaired(&s, rules) {
            return Ok(s);
        }
        acts.clear();
        model.enabled(&s, true, &mut acts);
        let rank = |a: &Action| match a {
            Action::Update { .. } => 0,
            Action::Expire { .. } => 1,
            Action::Takeover { .. } => 2,
            Action::Reassign { .. } => 3,
            Action::Search { .. } => 4,
            Action::Refresh { n, reality } => {
                let r = *reality as usize;
                let useful = elems(s.slice(*n, r).nbrs)
                    .filter(|&m| s.is_member(m, r))
                    .any(|m| overlay_models::can::messages::would_change(&s, rules, r, *n, m));
                if useful {
                    5
                } else {
                    9
                }
            }
            _ => 9,
        };
        let Some(a) = acts.iter().filter(|a| rank(a) < 9).min_by_key(|a| rank(a)) else {
            return Err("no repair step is enabled, and the state is not repaired".into());
        };
        s = model.apply(&s, *a);
    }
    Err("the repair policy took 10,000 steps".into())
}

/// A repaired state reachable from `s` by repair steps whose view is
/// `want`, if the search finds one within [`SEARCH_LIMIT`] states.
pub fn repair_to(model: &CanModel, u: &Universe, s: &State, want: &View) -> Option<State> {
    let rules = model.rules();
    let mut seen: HashSet<State> = HashSet::from([*s]);
    let mut queue = VecDeque::from([*s]);
    let mut acts = Vec::new();
    while let Some(x) = queue.pop_front() {
        if repaired(&x, rules) {
            if u.model_view(&x) == *want {
                return Some(x);
            }
            continue;
        }
        acts.clear();
        model.enabled(&x, true, &mut acts);
        for a in &acts {
            let y = model.apply(&x, *a);
            if seen.len() < SEARCH_LIMIT && seen.insert(y) {
                queue.push_back(y);
            }
        }
    }
    None
}

/// Whether an event is churn (what the harness carries out), as opposed
/// to a repair step (part of reaching quiescence) or a probe.
pub fn is_churn(a: &Action) -> bool {
    matches!(
        a,
        Action::Join { .. } | Action::Leave(_) | Action::Fail(_) | Action::Put { .. }
    )
}

/// The implementation network, with what the mapping needs.
#[derive(Clone)]
pub struct Harness {
    pub u: Universe,
    cfg: Config,
    pub sim: Sim<ImplNode>,
    /// Keys put so far.
    pub stored: Keys,
    tag: u64,
    /// Quiescent points where the policy's repair differed from the
    /// implementation's and another repair path matched it.
    pub alternatives: usize,
    /// Simulated time spent settling, in total.
    pub settle_ms: u64,
    /// How long nothing may change for the network to count as settled
    /// ([`QUIET_MS`] unless a test says otherwise).
    pub quiet_ms: u64,
}

impl Harness {
    /// n0 alone, owning everything.
    pub fn new(model: &CanModel, cfg: Config, net: Net, seed: u64) -> Result<Harness, String> {
        let u = Universe::of(model)?;
        let mut sim = Sim::new(net, seed);
        let slot = sim.add(ImplNode::first(cfg.clone(), sim_addr(0)));
        sim.start(slot);
        Ok(Harness {
            u,
            cfg,
            sim,
            stored: 0,
            tag: 0,
            alternatives: 0,
            settle_ms: 0,
            quiet_ms: QUIET_MS,
        })
    }

    /// Starts a churn event in the implementation.
    pub fn start(&mut self, a: Action) -> Result<(), String> {
        let sim = &mut self.sim;
        match a {
            Action::Join { j, at, via, .. } => {
                let j = usize::from(j);
                if sim.len() != j {
                    return Err(format!("n{j} joins as the simulator's node {}", sim.len()));
                }
                let p = self.u.centre(at.p);
                let slot = sim.add(ImplNode::with_points(
                    self.cfg.clone(),
                    sim_addr(j),
                    vec![p],
                ));
                sim.start(slot);
                let boot = sim_addr(usize::from(via));
                sim.with_node(slot, |n, _, out| n.join(boot, out))
                    .expect("just added")
                    .map_err(|e| format!("join refused: {}", e.0))
            }
            Action::Leave(x) => sim
                .with_node(usize::from(x), |n, now, out| n.leave(now, out))
                .ok_or_else(|| format!("n{x} is not running"))?
                .map_err(|e| format!("leave refused: {}", e.0)),
            Action::Fail(x) => sim
                .crash(usize::from(x))
                .map(|_| ())
                .ok_or_else(|| format!("n{x} is not running")),
            Action::Put { key, via } => {
                self.tag += 1;
                let (tag, name) = (self.tag, self.u.key_names[usize::from(key)].clone());
                self.stored |= 1 << key;
                sim.with_node(usize::from(via), |n, now, out| {
                    n.put(now, tag, name, format!("value of k{key}"), out)
                })
                .ok_or_else(|| format!("n{via} is not running"))?
                .map_err(|e| format!("put refused: {}", e.0))
            }
            other => Err(format!("`{other}` is not a churn event")),
        }
    }

    /// A digest of everything the view reads, and of what a quiescent
    /// network must have finished (statuses, zones, table records and
    /// their liveness, keys).
    fn digest(&self) -> Vec<u8> {
        let mut d = Vec::new();
        for i in 0..self.sim.len() {
            match self.sim.node(i) {
                None => d.push(0xff),
                Some(n) => {
                    d.extend(format!("{:?}", n.status()).bytes());
                    let r = n.reality(0);
                    d.extend(format!("{:?}", r.zones()).bytes());
                    for (a, rec) in r.neighbors().iter() {
                        d.extend(format!("{a}{:?}{}", rec.zones, rec.dead).bytes());
                    }
                    for k in r.items().keys() {
                        d.extend(k.bytes());
                    }
                }
            }
            d.push(b';');
        }
        d
    }

    /// Runs the simulator until nothing the view reads has changed for
    /// `quiet_ms`.
    pub fn settle(&mut self) -> Result<(), String> {
        let start = self.sim.now();
        let mut last = self.digest();
        let mut since = start;
        loop {
            let t = self.sim.now() + LOOK_MS;
            self.sim.run_until(t);
            let d = self.digest();
            if d != last {
                last = d;
                since = t;
            } else if t - since >= self.quiet_ms {
                self.settle_ms += t - start;
                self.sim.take_events();
                return Ok(());
            }
            if t - start > SETTLE_LIMIT_MS {
                return Err(format!(
                    "the implementation did not settle within {} s",
                    SETTLE_LIMIT_MS / 1000
                ));
            }
        }
    }

    pub fn view(&self) -> Result<View, String> {
        self.u.impl_view(&self.sim, self.stored)
    }

    /// Compares the settled implementation with the model's repaired
    /// state `r` (reached from `from`); returns the model state to go on
    /// from (`r`, or another repair of `from` that matches).
    pub fn compare(
        &mut self,
        model: &CanModel,
        from: &State,
        r: State,
    ) -> Result<State, Vec<String>> {
        let mine = self.view().map_err(|e| vec![e])?;
        let theirs = self.u.model_view(&r);
        if mine == theirs {
            return Ok(r);
        }
        if mine.stale.is_empty() {
            if let Some(alt) = repair_to(model, &self.u, from, &mine) {
                self.alternatives += 1;
                return Ok(alt);
            }
        }
        Err(diff(&self.u, &theirs, &mine))
    }

    /// Takes churn event `a` in both, from the repaired model state
    /// `before`: the model's event and repair, the implementation's event
    /// and quiescence; compares. `step` numbers the event.
    pub fn check_step(
        &mut self,
        model: &CanModel,
        before: &State,
        a: Action,
        step: usize,
    ) -> Result<State, Mismatch> {
        let fail = |diff: Vec<String>| Mismatch {
            step,
            action: a.to_string(),
            diff,
        };
        model
            .check_action(before, a)
            .map_err(|e| fail(vec![format!("the model does not enable it: {e}")]))?;
        let next = model.apply(before, a);
        let r = repair(model, &next).map_err(|e| fail(vec![format!("model: {e}")]))?;
        self.start(a)
            .map_err(|e| fail(vec![format!("impl: {e}")]))?;
        self.settle()
            .map_err(|e| fail(vec![format!("impl: {e}")]))?;
        self.compare(model, &next, r).map_err(fail)
    }
}
