//! Implementation → model: seeded random runs of the implementation in
//! the simulator (random delays of 5–50 ms, so datagrams overtake each
//! other and the links' hold-back restores their order), operations
//! chosen on the implementation's side — the next node joins at its home
//! cell through a random member, a random member moves to a random free
//! cell within the model's step, leaves, or crashes (then every member
//! listing it times it out, as the model's `timeout` events do) — each
//! run to quiescence. Each operation must be one the model enables in
//! the mapped state; each quiescent state, mapped, is judged by the
//! model's properties (NeighborCompleteness, EnclosingNeighborsKnown,
//! OverlayConnected), and every JOIN must reach the true owner of the
//! joiner's cell (JoinReachesAcceptor).

use overlay_impls::runtime::sim::{sim_addr, Net, Sim};
use overlay_impls::von::{Event, Mutation, Node};
use overlay_models::von::properties as p;
use overlay_models::von::state::{State, Status};
use overlay_models::von::{Action, VonModel};
use stateright::Model;

use super::{impl_config, point, Harness, Slot};
use crate::kademlia::walk::Rng;

/// What the random runs did and found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunStats {
    pub runs: usize,
    pub joins: usize,
    pub moves: usize,
    pub leaves: usize,
    pub crashes: usize,
    /// Quiescent points judged.
    pub judged: usize,
    /// Of which some table property was violated: after a crash, and
    /// otherwise.
    pub violated_after_crash: usize,
    pub violated_otherwise: usize,
    /// JOINs accepted elsewhere than by the true owner.
    pub joins_missed: usize,
    /// Datagrams the simulator delivered.
    pub delivered: u64,
}

/// The mapped state of the simulator's nodes (nothing in flight: judged
/// once idle).
fn mapped(h: &mut Harness, sim: &Sim<Node>, ghost: &State) -> Result<State, String> {
    for (i, slot) in h.slots.iter_mut().enumerate() {
        if let Slot::Running(n) = slot {
            match sim.node(i) {
                Some(x) => **n = x.clone(),
                None => return Err(format!("n{i} is not in the simulator")),
            }
        }
    }
    h.abstract_state(ghost)
}

/// `runs` random runs of at most `ops` operations each.
pub fn random_runs(
    model: &VonModel,
    mutation: Mutation,
    seed: u64,
    runs: usize,
    ops: usize,
) -> Result<RunStats, String> {
    let c = &model.cfg;
    let r = model.rules();
    let cfg = impl_config(model, mutation);
    let mut rng = Rng::new(seed);
    let mut st = RunStats::default();
    for run in 0..runs {
        let mut h = Harness::new(model, cfg.clone());
        let mut sim: Sim<Node> = Sim::new(Net::default(), seed ^ (run as u64 + 1));
        for slot in &h.slots {
            match slot {
                Slot::Running(n) => sim.add((**n).clone()),
                _ => sim.add(Node::new(
                    cfg.clone(),
                    u64::MAX,
                    sim_addr(sim.len()),
                    point(c.homes[sim.len()]),
                )),
            };
        }
        let mut s: State = model.init_states()[0];
        let mut crashed = false;
        for k in 0..ops {
            let members: Vec<u8> = s.ids().filter(|&n| s.is_in(n)).collect();
            let next = s.ids().find(|&n| s.node(n).status == Status::Absent);
            let mut acts = Vec::new();
            model.actions(&s, &mut acts);
            let moves: Vec<Action> = acts
                .iter()
                .copied()
                .filter(|a| matches!(a, Action::Move { .. }))
                .collect();
            let mut kinds = Vec::new();
            if next.is_some() {
                kinds.push(0);
            }
            if !moves.is_empty() {
                kinds.push(1);
            }
            if members.len() > 1 && s.leaves < c.leaves {
                kinds.push(2);
            }
            if members.len() > 1 && s.failures < c.failures {
                kinds.push(3);
            }
            if kinds.is_empty() {
                break;
            }
            let pick = |rng: &mut Rng, v: &[u8]| v[rng.below(v.len())];
            let a = match kinds[rng.below(kinds.len())] {
                0 => Action::Join {
                    j: next.expect("absent"),
                    via: pick(&mut rng, &members),
                },
                1 => moves[rng.below(moves.len())],
                2 => Action::Leave(pick(&mut rng, &members)),
                _ => Action::Fail(pick(&mut rng, &members)),
            };
            let here = |what: String| format!("run {run}, operation {k} `{a}`: {what}");
            model
                .check_action(&s, a)
                .map_err(|e| here(format!("the model does not enable it: {e}")))?;
            s = model.apply(&s, a);
            match a {
                Action::Join { j, via } => {
                    let slot = usize::from(j);
                    sim.replace(
                        slot,
                        Node::new(
                            cfg.clone(),
                            u64::from(j),
                            sim_addr(slot),
                            point(c.homes[slot]),
                        ),
                    );
                    h.slots[slot] = Slot::Running(Box::new(sim.node(slot).expect("added").clone()));
                    sim.with_node(slot, |n, _, out| n.join(sim_addr(via.into()), out))
                        .expect("running")
                        .map_err(|e| here(e.to_string()))?;
                    st.joins += 1;
                }
                Action::Move { n, to } => {
                    sim.with_node(n.into(), |x, _, out| x.move_to(point(to), out))
                        .expect("running")
                        .map_err(|e| here(e.to_string()))?;
                    st.moves += 1;
                }
                Action::Leave(n) => {
                    sim.with_node(n.into(), |x, _, out| x.leave(out))
                        .expect("running")
                        .map_err(|e| here(e.to_string()))?;
                    st.leaves += 1;
                }
                Action::Fail(n) => {
                    sim.crash(n.into()).expect("running");
                    h.slots[usize::from(n)] = Slot::Failed(r.homes[0], 0);
                    st.crashes += 1;
                    crashed = true;
                }
                _ => unreachable!(),
            }
            if !sim.run_until_idle(1_000_000) {
                return Err(here("the simulator did not settle".into()));
            }
            // Timeouts: every member listing a departed node times it out
            // (the model's `timeout` events), until none does.
            loop {
                let mut any = false;
                for i in 0..sim.len() {
                    let gone: Vec<u64> = match sim.node(i) {
                        Some(x) if x.is_member() => x
                            .table()
                            .keys()
                            .copied()
                            .filter(|&z| !sim.node(z as usize).is_some_and(|y| y.is_member()))
                            .collect(),
                        _ => continue,
                    };
                    for z in gone {
                        sim.with_node(i, |x, _, out| x.presume_failed(z, out));
                        any = true;
                    }
                }
                if !any {
                    break;
                }
                if !sim.run_until_idle(1_000_000) {
                    return Err(here("the simulator did not settle".into()));
                }
            }
            for (at, e) in sim.take_events() {
                if let Event::Joined { acceptor, .. } = e {
                    let j = sim.slot_of(at).expect("a node of the run");
                    let home = point(c.homes[j]);
                    let d = |i: usize| sim.node(i).map(|x| x.pos().dist2(&home));
                    let mine = d(acceptor as usize).unwrap_or(f64::INFINITY);
                    let closer = (0..sim.len()).any(|i| {
                        i != j
                            && sim.node(i).is_some_and(|x| x.is_member())
                            && d(i).is_some_and(|di| di < mine)
                    });
                    st.joins_missed += usize::from(closer);
                }
            }
            // The mapped state (the model's positions of departed nodes
            // and its ghosts), judged.
            let mut ghost = s;
            ghost.msgs.clear();
            let mut m = mapped(&mut h, &sim, &ghost).map_err(&here)?;
            for (i, slot) in h.slots.iter().enumerate() {
                if let Slot::Failed(..) = slot {
                    m.nodes[i] = s.nodes[i];
                    m.nodes[i].gone = 0;
                    m.nodes[i].known = 0;
                }
            }
            st.judged += 1;
            if !m.quiescent() {
                return Err(here("the mapped state is not quiescent".into()));
            }
            let ok = p::neighbor_completeness(&m, r)
                && p::enclosing_neighbors_known(&m)
                && p::overlay_connected(&m);
            if !ok {
                if crashed {
                    st.violated_after_crash += 1;
                } else {
                    st.violated_otherwise += 1;
                }
            }
        }
        st.delivered += sim.stats().delivered;
        st.runs += 1;
    }
    Ok(st)
}
