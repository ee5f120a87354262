//! Implementation → model: random runs of the implementation in the
//! simulator (`Sim`, instant lossless delivery, real timeouts), with no
//! model driving. Joins, lookups and crashes are chosen at random; each
//! operation runs until the network is quiet (pings answered or timed
//! out, every query settled). After each one, the mapped state is judged
//! by the model:
//!
//! * every running node's table is well formed: the model's
//!   BucketsWellFormed on the mapped state (the structural part: the
//!   "last seen at the tail" ghost belongs to model events) and the
//!   table's own `check`;
//! * no entry left a bucket while its node was running (the model's
//!   LiveNodesNeverEvicted);
//! * the lookup's result (a `find_node`'s nodes, a join's bootstrap
//!   nodes) is exactly what the model's lookup returns when started from
//!   the mapped state before the operation, its queries answered (or
//!   timed out) in id order.
//!
//! The last point holds although the simulator interleaves eviction pings
//! with the lookup: a lookup reads only the answers' contacts, and an
//! answered ping moves its target to the tail without changing who is
//! known. A run that found otherwise would report the operation.

use overlay_impls::kademlia::{Event, Mutation, Node as ImplNode};
use overlay_impls::runtime::sim::{sim_addr, Net, Sim};
use overlay_models::kademlia::id::{elems, set_text, Node};
use overlay_models::kademlia::properties::buckets_well_formed;
use overlay_models::kademlia::state::{NodeState, State, Status};
use overlay_models::kademlia::{Action, KademliaModel};

use super::walk::Rng;
use super::{impl_config, Universe};

/// What the random runs did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunStats {
    pub runs: usize,
    /// Operations carried out: joins, lookups, crashes.
    pub joins: usize,
    pub lookups: usize,
    pub crashes: usize,
    /// Lookup results (joins' and lookups') compared with the model's.
    pub results_compared: usize,
    /// Datagrams the simulator delivered, over all runs.
    pub delivered: u64,
}

fn v4(x: Node) -> std::net::SocketAddrV4 {
    match sim_addr(usize::from(x)) {
        std::net::SocketAddr::V4(a) => a,
        std::net::SocketAddr::V6(_) => unreachable!("simulated addresses are IPv4"),
    }
}

/// The mapped state of a quiet simulator (no lookup in progress).
fn mapped(u: &Universe, sim: &Sim<ImplNode>, status: &[Status]) -> Result<State, String> {
    let mut s = State::default();
    for (x, &st) in status.iter().enumerate() {
        s.nodes.push(match (st, sim.node(x)) {
            (Status::Live, Some(n)) => {
                if n.busy() > 0 {
                    return Err(format!("n{x} still runs an operation on a quiet network"));
                }
                u.node_state(n)?
            }
            (st, _) => NodeState {
                status: st,
                ..NodeState::default()
            },
        });
    }
    Ok(s)
}

/// The result of the model's lookup started by `start` from `s`, its
/// queries settled in id order.
fn model_result(model: &KademliaModel, s: &State, start: Action) -> u8 {
    let mut t = model.apply(s, start);
    while let Some(l) = t.lookup {
        let q = elems(l.in_flight()).next().expect("a query in flight");
        let a = if t.is_live(q) {
            Action::Reply(q)
        } else {
            Action::Timeout(q)
        };
        t = model.apply(&t, a);
    }
    t.outcome.map_or(0, |o| o.result)
}

/// `runs` random runs of `ops` operations each, from seed `seed`.
pub fn random_runs(
    model: &KademliaModel,
    mutation: Mutation,
    seed: u64,
    runs: usize,
    ops: usize,
) -> Result<RunStats, String> {
    let u = Universe::of(model);
    let cfg = impl_config(model, mutation);
    let n = model.cfg.nodes;
    let mut rng = Rng::new(seed);
    let mut stats = RunStats::default();
    for run in 0..runs {
        let mut sim: Sim<ImplNode> = Sim::new(Net::instant(), seed ^ run as u64);
        let mut status = vec![Status::Absent; n];
        for x in 0..n as Node {
            sim.add(ImplNode::new(cfg.clone(), u.id(x), v4(x)));
            if x > 0 {
                sim.crash(usize::from(x));
            }
        }
        status[0] = Status::Live;
        let mut failures = 0;
        let mut tag = 0;
        for k in 0..ops {
            let here = |what: &str| format!("run {run}, operation {k} ({what})");
            let pre = mapped(&u, &sim, &status).map_err(|e| here(&e))?;
            let live: Vec<Node> = (0..n as Node).filter(|&x| pre.is_live(x)).collect();
            let absent: Vec<Node> = (0..n as Node)
                .filter(|&x| status[usize::from(x)] == Status::Absent)
                .collect();
            if live.is_empty() {
                break;
            }
            let pick = |rng: &mut Rng, v: &[Node]| v[rng.below(v.len())];
            let choice = rng.below(10);
            let (start, what) = if choice < 3 && !absent.is_empty() {
                let (j, via) = (pick(&mut rng, &absent), pick(&mut rng, &live));
                sim.replace(usize::from(j), ImplNode::new(cfg.clone(), u.id(j), v4(j)));
                status[usize::from(j)] = Status::Live;
                let (id, at) = (u.id(via), v4(via));
                sim.with_node(usize::from(j), |node, now, out| {
                    node.table_mut().observe(now, id, at);
                    node.bootstrap(now, &[], out)
                });
                stats.joins += 1;
                (
                    Some(Action::Join { j, via }),
                    format!("join n{j} via n{via}"),
                )
            } else if choice == 3 && failures < model.cfg.failures && live.len() > 1 {
                let x = pick(&mut rng, &live);
                sim.crash(usize::from(x));
                status[usize::from(x)] = Status::Failed;
                failures += 1;
                stats.crashes += 1;
                (None, format!("fail n{x}"))
            } else {
                let x = pick(&mut rng, &live);
                let t = rng.below(1 << model.cfg.bits) as u8;
                tag += 1;
                let id = u.id(t);
                sim.with_node(usize::from(x), |node, now, out| {
                    node.find_node(now, id, tag, out)
                });
                stats.lookups += 1;
                (
                    Some(Action::Lookup { n: x, target: t }),
                    format!("lookup n{x} for {t}"),
                )
            };
            if !sim.run_until_idle(1_000_000) {
                return Err(here(&format!("{what}: the network did not go quiet")));
            }
            let post = mapped(&u, &sim, &status).map_err(|e| here(&format!("{what}: {e}")))?;
            if !buckets_well_formed(&post, model.rules()) {
                return Err(here(&format!(
                    "{what}: the mapped tables break BucketsWellFormed:\n{post:?}"
                )));
            }
            for (x, node) in sim.nodes() {
                node.table()
                    .check()
                    .map_err(|e| here(&format!("{what}: n{x}'s table: {e}")))?;
            }
            for x in 0..n {
                let (b, a) = (&pre.nodes[x], &post.nodes[x]);
                if b.status != Status::Live || a.status != Status::Live {
                    continue;
                }
                for (bb, ab) in b.buckets.iter().zip(&a.buckets) {
                    if let Some(e) = bb
                        .entries
                        .iter()
                        .find(|e| !ab.entries.contains(e) && post.is_live(**e))
                    {
                        return Err(here(&format!(
                            "{what}: n{x} evicted live n{e} (LiveNodesNeverEvicted)"
                        )));
                    }
                }
            }
            let Some(start) = start else { continue };
            let got = sim
                .take_events()
                .into_iter()
                .map(|(_, e)| match e {
                    Event::Bootstrapped { nodes, .. } => nodes,
                    Event::Done { outcome, .. } => outcome.nodes,
                })
                .next()
                .ok_or_else(|| here(&format!("{what}: the operation reported no end")))?;
            let got = got
                .iter()
                .try_fold(0u8, |acc, c| Ok::<_, String>(acc | 1 << u.rank(&c.id)?))
                .map_err(|e| here(&e))?;
            let want = model_result(model, &pre, start);
            if got != want {
                return Err(here(&format!(
                    "{what}: the implementation found {} where the model's lookup from the \
                     same state finds {}\nbefore:\n{pre:?}",
                    set_text(got),
                    set_text(want)
                )));
            }
            stats.results_compared += 1;
        }
        stats.delivered += sim.stats().delivered;
        stats.runs += 1;
    }
    Ok(stats)
}
