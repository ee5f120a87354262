//! # VON: the implementation refines the model, event by event
//!
//! The refinement mapping ([`Harness::abstract_state`]) takes the
//! implementation's nodes (`overlay_impls::von::Node`, f64 positions,
//! u64 ids) and the messages in flight between them to the model's state
//! (`overlay_models::von::State`), and the two are compared **after every
//! event** — not only at quiescent points as for CAN: the model's
//! messages are atomic deliveries on FIFO links, and the implementation
//! is sans-IO, so the harness can hold its datagrams itself and deliver
//! them in exactly the model's order.
//!
//! * **Space**: model cell (x,y) ↔ position (x.0, y.0); AOI R ↔ R.0. Small
//!   integers are exact in f64 and both sides decide enclosing neighbours
//!   with spade and the exact `incircle` predicate, so geometry agrees
//!   exactly. A position off the grid is a mapping error.
//! * **Nodes**: model n_i ↔ id i at `sim_addr(i)`. The model's settled
//!   initial nodes are built with `Node::member` (each given every other
//!   initial node, then pruned, as the model's initial state does).
//! * **Events**: `join nJ via nG` starts node J at its home cell and asks
//!   G (a joiner's retry starts J afresh: a joining node holds nothing
//!   but its JOIN); `move n to (x,y)` is `move_to`; `leave n` is `leave`;
//!   `fail n` drops the node (its state is gone); `timeout n of x` is
//!   `presume_failed`; `deliver kind a to b` takes the oldest datagram of
//!   link a→b (it must be of that kind), encodes and decodes it, and hands
//!   it to b. Datagrams to a failed or departed node are dropped, at
//!   sending and at the departure (the model's lost messages).
//! * **Compared**: every node's status (absent, joining, in, failed,
//!   left), position, table (ids and believed positions), tombstones, and
//!   the messages in flight link by link, in order, field by field
//!   (joiner, hops, position, knows, seen, gone, entries with positions).
//!   The budgets and the `join_missed` history are the model's ghosts.
//! * **Variants**: `paper` ↔ `Protocol::Paper`; `correct` ↔
//!   `Protocol::Hardened`; `no-repair-notify` ↔ hardened with the
//!   test-only `Mutation::NoRepairNotify`.
//!
//! The model's deliberate abstractions, which the harness takes as they
//! are: deliveries are atomic; messages to dead nodes are lost; failure
//! detection is the `timeout n of x` event (the implementation's
//! heartbeats are off: `Config::manual`); joins come in index order; the
//! grid is integer.

pub mod runs;
pub mod walk;

use overlay_impls::runtime::sim::sim_addr;
use overlay_impls::runtime::{OutboxOf, Process, Wire};
use overlay_impls::von::{
    Body, Check, Config as ImplConfig, Entry, Msg as ImplMsg, Mutation, Node, Point, Protocol,
    Status as ImplStatus,
};
use overlay_models::nodeset::{bit, elems, Set};
use overlay_models::von::geometry::Pos;
use overlay_models::von::state::{Kind, Msg, NodeState, State, Status, MAX_MSGS, MAX_NODES};
use overlay_models::von::{Action, Variant, VonModel};
use std::net::SocketAddr;

pub use crate::paths::Mismatch;

/// The implementation's configuration for a model: its protocol, R, a
/// hop limit of N, no timers.
pub fn impl_config(m: &VonModel, mutation: Mutation) -> ImplConfig {
    let (protocol, mutation) = match m.cfg.variant {
        Variant::Paper => (Protocol::Paper, mutation),
        Variant::Correct => (Protocol::Hardened, mutation),
        Variant::NoRepairNotify => (Protocol::Hardened, Mutation::NoRepairNotify),
    };
    ImplConfig {
        protocol,
        mutation,
        hop_limit: m.cfg.nodes as u32,
        tombstone_ms: 0,
        ..ImplConfig::manual(f64::from(m.cfg.aoi))
    }
}

pub fn point(p: Pos) -> Point {
    Point::new(f64::from(p.x), f64::from(p.y)).expect("grid cells are positions")
}

/// The cell of a position, if it is one.
pub fn cell(p: &Point, side: u8) -> Result<Pos, String> {
    let ok = |c: f64| c.fract() == 0.0 && (0.0..f64::from(side)).contains(&c);
    if ok(p.x) && ok(p.y) {
        Ok(Pos::new(p.x as u8, p.y as u8))
    } else {
        Err(format!("position {p} is no cell of the {side}x{side} grid"))
    }
}

/// One model node's implementation counterpart.
#[derive(Clone, Debug)]
pub enum Slot {
    Absent,
    Running(Box<Node>),
    /// Crashed: where it stood and what it had tombstoned (the model keeps
    /// both).
    Failed(Pos, Set),
}

/// The implementation network, driven event by event.
#[derive(Clone)]
pub struct Harness {
    pub cfg: ImplConfig,
    side: u8,
    homes: Vec<Pos>,
    pub slots: Vec<Slot>,
    /// Datagrams in flight, in sending order: (from, to, message).
    pub queue: Vec<(u8, u8, ImplMsg)>,
    /// Events carried out.
    pub events: usize,
}

fn index_of(a: SocketAddr, n: usize) -> Option<u8> {
    (0..n).find(|&i| sim_addr(i) == a).map(|i| i as u8)
}

fn ids(s: Set) -> impl Iterator<Item = u8> {
    elems(s)
}

impl Harness {
    /// The model's initial state, in the implementation.
    pub fn new(m: &VonModel, cfg: ImplConfig) -> Harness {
        let c = &m.cfg;
        let mut slots = Vec::new();
        for i in 0..c.nodes {
            if i < c.initial {
                let others = (0..c.initial).filter(|&k| k != i).map(|k| Entry {
                    id: k as u64,
                    addr: sim_addr(k),
                    pos: point(c.homes[k]),
                });
                let n = Node::member(
                    cfg.clone(),
                    i as u64,
                    sim_addr(i),
                    point(c.homes[i]),
                    others,
                );
                slots.push(Slot::Running(Box::new(n)));
            } else {
                slots.push(Slot::Absent);
            }
        }
        Harness {
            cfg,
            side: c.side,
            homes: c.homes[..c.nodes].to_vec(),
            slots,
            queue: Vec::new(),
            events: 0,
        }
    }

    fn node(&mut self, i: u8) -> Result<&mut Node, String> {
        match self.slots.get_mut(usize::from(i)) {
            Some(Slot::Running(n)) => Ok(n),
            _ => Err(format!("n{i} is not running")),
        }
    }

    /// Whether messages to node i are kept (it is joining or a member).
    fn reachable(&self, i: u8) -> bool {
        matches!(&self.slots[usize::from(i)], Slot::Running(n)
            if matches!(n.status(), ImplStatus::Joining | ImplStatus::Member))
    }

    fn collect(&mut self, from: u8, out: OutboxOf<Node>) -> Result<(), String> {
        for (to, msg) in out.sends {
            let dst = index_of(to, self.slots.len())
                .ok_or_else(|| format!("n{from} sent to {to}, no node of the model"))?;
            if self.reachable(dst) {
                self.queue.push((from, dst, msg));
            }
        }
        Ok(())
    }

    /// Carries out model event `a` in the implementation.
    pub fn apply(&mut self, a: Action) -> Result<(), String> {
        self.events += 1;
        let mut out = OutboxOf::<Node>::default();
        let actor = match a {
            Action::Join { j, via } => {
                let home = point(self.homes[usize::from(j)]);
                let mut n = Node::new(self.cfg.clone(), u64::from(j), sim_addr(j.into()), home);
                n.join(sim_addr(via.into()), &mut out)
                    .map_err(|e| format!("join refused: {e}"))?;
                self.slots[usize::from(j)] = Slot::Running(Box::new(n));
                j
            }
            Action::Move { n, to } => {
                self.node(n)?
                    .move_to(point(to), &mut out)
                    .map_err(|e| format!("move refused: {e}"))?;
                n
            }
            Action::Leave(n) => {
                self.node(n)?
                    .leave(&mut out)
                    .map_err(|e| format!("leave refused: {e}"))?;
                self.queue.retain(|m| m.1 != n);
                n
            }
            Action::Fail(n) => {
                let side = self.side;
                let node = self.node(n)?;
                let pos = cell(&node.pos(), side)?;
                let gone = node.tombstones().iter().fold(0, |s, &g| s | bit(g as u8));
                self.slots[usize::from(n)] = Slot::Failed(pos, gone);
                self.queue.retain(|m| m.1 != n);
                return Ok(());
            }
            Action::Timeout { n, of } => {
                if !self.node(n)?.presume_failed(u64::from(of), &mut out) {
                    return Err(format!("n{n} does not list n{of}"));
                }
                n
            }
            Action::Deliver { kind, from, to } => {
                let i = self
                    .queue
                    .iter()
                    .position(|m| m.0 == from && m.1 == to)
                    .ok_or_else(|| format!("no datagram from n{from} to n{to} is in flight"))?;
                let (_, _, msg) = self.queue.remove(i);
                if kind_of(&msg.body) != Some(kind) {
                    return Err(format!(
                        "the next datagram from n{from} to n{to} is a {}",
                        msg.body.kind().name()
                    ));
                }
                let msg = ImplMsg::decode(&msg.encode())
                    .map_err(|e| format!("the codec refuses its own datagram: {e}"))?;
                self.node(to)?
                    .on_message(0, sim_addr(from.into()), msg, &mut out);
                to
            }
        };
        self.collect(actor, out)
    }

    /// The refinement mapping: the model state the implementation stands
    /// for, with the model's ghosts (budgets, `join_missed`) from `ghost`.
    pub fn abstract_state(&self, ghost: &State) -> Result<State, String> {
        let mut s = State {
            moves: ghost.moves,
            failures: ghost.failures,
            leaves: ghost.leaves,
            join_missed: ghost.join_missed,
            ..State::default()
        };
        for (i, slot) in self.slots.iter().enumerate() {
            let mut x = NodeState::default();
            match slot {
                Slot::Absent => {}
                Slot::Failed(p, gone) => {
                    x.status = Status::Failed;
                    x.pos = *p;
                    x.gone = *gone;
                }
                Slot::Running(n) => {
                    x.status = match n.status() {
                        ImplStatus::Outside => Status::Absent,
                        ImplStatus::Joining => Status::Joining,
                        ImplStatus::Member => Status::In,
                        ImplStatus::Left => Status::Left,
                    };
                    x.pos = cell(&n.pos(), self.side).map_err(|e| format!("n{i}: {e}"))?;
                    for (&id, e) in n.table() {
                        let z = node_index(id, self.slots.len())?;
                        x.learn(z, cell(&e.pos, self.side)?);
                    }
                    for &g in &n.tombstones() {
                        x.gone |= bit(node_index(g, self.slots.len())?);
                    }
                }
            }
            s.nodes.push(x);
        }
        for (from, to, m) in &self.queue {
            if s.msgs.len() == MAX_MSGS {
                return Err("more datagrams in flight than the model holds".into());
            }
            s.msgs.push(self.abstract_msg(*from, *to, m)?);
        }
        Ok(s)
    }

    fn abstract_msg(&self, from: u8, to: u8, m: &ImplMsg) -> Result<Msg, String> {
        let n = self.slots.len();
        let kind = kind_of(&m.body).ok_or("an inspection message in flight")?;
        let mut a = Msg::new(kind, from, to);
        let list = |a: &mut Msg, es: &[Entry]| -> Result<(), String> {
            for e in es {
                let z = node_index(e.id, n)?;
                a.entries |= bit(z);
                a.cells[usize::from(z)] = cell(&e.pos, self.side)?;
            }
            Ok(())
        };
        match &m.body {
            Body::Join {
                joiner, pos, hops, ..
            } => {
                a.joiner = node_index(*joiner, n)?;
                a.pos = cell(pos, self.side)?;
                a.hops = u8::try_from(*hops).map_err(|_| "hops beyond the model's")?;
            }
            Body::JoinReply { entries, .. } => list(&mut a, entries)?,
            Body::Hello { pos, check } | Body::Move { pos, check } => {
                a.pos = cell(pos, self.side)?;
                if let Some(Check { seen, knows, hints }) = check {
                    a.seen = cell(seen, self.side)?;
                    for &k in knows {
                        a.knows |= bit(node_index(k, n)?);
                    }
                    list(&mut a, hints)?;
                }
            }
            Body::Notify { entries, gone } => {
                list(&mut a, entries)?;
                a.gone = gone.map(|g| node_index(g, n)).transpose()?;
            }
            Body::Leave { entries } => list(&mut a, entries)?,
            Body::Query | Body::View { .. } => unreachable!("kind_of refused it"),
        }
        Ok(a)
    }
}

fn node_index(id: u64, n: usize) -> Result<u8, String> {
    if (id as usize) < n.min(MAX_NODES) {
        Ok(id as u8)
    } else {
        Err(format!("id {id} is no node of the model"))
    }
}

/// The model's kind of an implementation message.
pub fn kind_of(b: &Body) -> Option<Kind> {
    Some(match b {
        Body::Join { .. } => Kind::Join,
        Body::JoinReply { .. } => Kind::JoinReply,
        Body::Hello { .. } => Kind::Hello,
        Body::Move { .. } => Kind::Move,
        Body::Notify { .. } => Kind::Notify,
        Body::Leave { .. } => Kind::Leave,
        Body::Query | Body::View { .. } => return None,
    })
}

/// The state with its messages grouped by link (sending order kept
/// within each link, the only order the model's FIFO links fix).
pub fn canonical(s: &State) -> State {
    let mut t = *s;
    let mut v: Vec<Msg> = t.msgs.iter().copied().collect();
    v.sort_by_key(|m| (m.src, m.dst));
    t.msgs.clear();
    for m in v {
        t.msgs.push(m);
    }
    t
}

/// What differs between the model's state and the mapped one.
pub fn diff(model: &State, mapped: &State) -> Vec<String> {
    let (a, b) = (canonical(model), canonical(mapped));
    let mut out = Vec::new();
    for (i, (x, y)) in a.nodes.iter().zip(b.nodes.iter()).enumerate() {
        if x.status != y.status {
            out.push(format!(
                "n{i} status: model {:?}, impl {:?}",
                x.status, y.status
            ));
        }
        if x.pos != y.pos {
            out.push(format!("n{i} position: model {}, impl {}", x.pos, y.pos));
        }
        let table = |n: &NodeState| {
            ids(n.known)
                .map(|z| format!("n{z}@{}", n.view[usize::from(z)]))
                .collect::<Vec<_>>()
                .join(" ")
        };
        if x.known != y.known || x.view != y.view {
            out.push(format!(
                "n{i} table: model [{}], impl [{}]",
                table(x),
                table(y)
            ));
        }
        if x.gone != y.gone {
            out.push(format!(
                "n{i} tombstones: model {:?}, impl {:?}",
                ids(x.gone).collect::<Vec<_>>(),
                ids(y.gone).collect::<Vec<_>>()
            ));
        }
    }
    if a.msgs != b.msgs {
        let show = |s: &State| {
            s.msgs
                .iter()
                .map(|m| format!("{m:?}"))
                .collect::<Vec<_>>()
                .join("\n        ")
        };
        out.push(format!(
            "messages in flight:\n      model:\n        {}\n      impl:\n        {}",
            show(&a),
            show(&b)
        ));
    }
    if out.is_empty() && a != b {
        out.push("the states differ in a ghost field".into());
    }
    out
}

/// Takes `a` in both from the model state `s` and compares; returns the
/// model's next state.
pub fn step(
    model: &VonModel,
    h: &mut Harness,
    s: &State,
    a: Action,
    k: usize,
) -> Result<State, Mismatch> {
    let fail = |diff: Vec<String>| Mismatch {
        step: k,
        action: a.to_string(),
        diff,
    };
    model
        .check_action(s, a)
        .map_err(|e| fail(vec![format!("the model does not enable it: {e}")]))?;
    let next = model.apply(s, a);
    h.apply(a).map_err(|e| fail(vec![format!("impl: {e}")]))?;
    let mapped = h
        .abstract_state(&next)
        .map_err(|e| fail(vec![format!("mapping: {e}")]))?;
    if canonical(&mapped) != canonical(&next) {
        return Err(fail(diff(&next, &mapped)));
    }
    Ok(next)
}
