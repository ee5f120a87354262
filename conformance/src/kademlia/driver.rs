//! The harness's network: the concrete nodes, every datagram in flight and
//! every timer armed, held until a model event releases exactly the ones
//! it stands for (see decision 5 in the module notes).

use std::net::{SocketAddr, SocketAddrV4};

use overlay_impls::kademlia::items::immutable_target;
use overlay_impls::kademlia::krpc::{Body, Message, Query};
use overlay_impls::kademlia::{Config, Event, ItemQuery, Node as ImplNode, PutItem, Timer};
use overlay_impls::runtime::sim::sim_addr;
use overlay_impls::runtime::{Millis, OutboxOf, Process};
use overlay_models::chord::ring::name;
use overlay_models::kademlia::id::Node;
use overlay_models::kademlia::lookup::round_bound;
use overlay_models::kademlia::state::{NodeState, Outcome, Purpose, State, Status};
use overlay_models::kademlia::{Action, KademliaModel};

use super::{diff, Mismatch, Universe};

/// The implementation, driven one model event at a time. Cloning forks
/// the run.
#[derive(Clone)]
pub struct Harness {
    pub universe: Universe,
    cfg: Config,
    bound: u8,
    now: Millis,
    /// `nodes[x]` is n{x} while it runs.
    nodes: Vec<Option<ImplNode>>,
    status: Vec<Status>,
    /// Datagrams in flight: (from, to, message).
    msgs: Vec<(Node, Node, Message)>,
    /// Timers armed: (node, timer).
    timers: Vec<(Node, Timer)>,
    /// Events the nodes reported during the current step.
    events: Vec<(Node, Event)>,
    /// Ghosts kept by the harness (module notes).
    clean: bool,
    evicted_live: bool,
    next_tag: u64,
    /// The model's key once a store began, and the nodes the last
    /// completed store put the value at.
    key: Option<u8>,
    stored_at: u8,
}

fn addr(x: Node) -> SocketAddrV4 {
    match sim_addr(usize::from(x)) {
        SocketAddr::V4(a) => a,
        SocketAddr::V6(_) => unreachable!("simulated addresses are IPv4"),
    }
}

fn tx(m: &Message) -> Option<u32> {
    <[u8; 4]>::try_from(m.transaction.as_slice())
        .ok()
        .map(u32::from_be_bytes)
}

fn is_lookup_query(m: &Message) -> bool {
    matches!(
        m.body,
        Body::Query(Query::FindNode { .. } | Query::GetPeers { .. } | Query::Get { .. })
    )
}

fn is_ping(m: &Message) -> bool {
    matches!(m.body, Body::Query(Query::Ping { .. }))
}

impl Harness {
    /// The model's initial state: n0 running alone, the others not joined.
    pub fn new(model: &KademliaModel, cfg: Config) -> Harness {
        let universe = Universe::of(model);
        let mut h = Harness {
            universe,
            cfg,
            bound: round_bound(model.cfg.nodes),
            now: 0,
            nodes: vec![None; model.cfg.nodes],
            status: vec![Status::Absent; model.cfg.nodes],
            msgs: Vec::new(),
            timers: Vec::new(),
            events: Vec::new(),
            clean: true,
            evicted_live: false,
            next_tag: 0,
            key: None,
            stored_at: 0,
        };
        h.nodes[0] = Some(h.fresh(0));
        h.status[0] = Status::Live;
        h
    }

    fn fresh(&self, x: Node) -> ImplNode {
        ImplNode::new(self.cfg.clone(), self.universe.id(x), addr(x))
    }

    pub fn node(&self, x: Node) -> Option<&ImplNode> {
        self.nodes[usize::from(x)].as_ref()
    }

    fn slot_of(&self, a: SocketAddr) -> Option<Node> {
        let SocketAddr::V4(a) = a else { return None };
        (0..self.nodes.len() as Node).find(|&x| addr(x) == a)
    }

    /// Runs `f` on running node x at the next millisecond and holds what
    /// it sends and arms.
    fn run<R>(
        &mut self,
        x: Node,
        f: impl FnOnce(&mut ImplNode, Millis, &mut OutboxOf<ImplNode>) -> R,
    ) -> Result<R, String> {
        self.now += 1;
        let now = self.now;
        let mut out = OutboxOf::<ImplNode>::default();
        let node = self.nodes[usize::from(x)]
            .as_mut()
            .ok_or_else(|| format!("{} is not running", name(x)))?;
        let r = f(node, now, &mut out);
        for (to, m) in out.sends {
            let to = self
                .slot_of(to)
                .ok_or_else(|| format!("{} sent to {to}, no node of the run", name(x)))?;
            self.msgs.push((x, to, m));
        }
        self.timers
            .extend(out.timers.into_iter().map(|(_, t)| (x, t)));
        self.events.extend(out.events.into_iter().map(|e| (x, e)));
        Ok(r)
    }

    fn find(&self, from: Node, to: Node, what: impl Fn(&Message) -> bool) -> Option<usize> {
        self.msgs
            .iter()
            .position(|(f, t, m)| *f == from && *t == to && what(m))
    }

    /// Delivers datagram `i` (dropped if its addressee is not running).
    fn deliver(&mut self, i: usize) -> Result<(), String> {
        let (from, to, m) = self.msgs.remove(i);
        if self.nodes[usize::from(to)].is_none() {
            return Ok(());
        }
        self.run(to, |n, now, out| {
            n.on_message(now, SocketAddr::V4(addr(from)), m, out)
        })
    }

    /// The index of the query `from` → `to` that `what` picks.
    fn query_in_flight(
        &self,
        from: Node,
        to: Node,
        what: fn(&Message) -> bool,
    ) -> Result<usize, String> {
        self.find(from, to, what).ok_or_else(|| {
            format!(
                "no such query from {} to {} in flight",
                name(from),
                name(to)
            )
        })
    }

    /// Delivers the query `from` → `to` that `what` picks, and the answer.
    fn exchange(&mut self, from: Node, to: Node, what: fn(&Message) -> bool) -> Result<(), String> {
        let i = self.query_in_flight(from, to, what)?;
        let t = tx(&self.msgs[i].2);
        self.deliver(i)?;
        let j = self
            .find(to, from, |m| {
                !matches!(m.body, Body::Query(_)) && tx(m) == t
            })
            .ok_or_else(|| format!("{} did not answer {}", name(to), name(from)))?;
        self.deliver(j)?;
        let t = t.expect("our queries have 4-byte transactions");
        self.timers
            .retain(|&(x, ref tm)| !(x == from && *tm == Timer::Query(t)));
        Ok(())
    }

    /// Drops the query `from` → `to` that `what` picks and fires its timer.
    fn expire(&mut self, from: Node, to: Node, what: fn(&Message) -> bool) -> Result<(), String> {
        let i = self.query_in_flight(from, to, what)?;
        let (_, _, m) = self.msgs.remove(i);
        let t = Timer::Query(tx(&m).expect("our queries have 4-byte transactions"));
        let k = self
            .timers
            .iter()
            .position(|(x, tm)| *x == from && *tm == t)
            .ok_or_else(|| format!("{} armed no timer for its query", name(from)))?;
        self.timers.remove(k);
        self.run(from, |n, now, out| n.on_timer(now, t, out))
    }

    /// Delivers every store query in flight (an operation's puts, §2.5
    /// replication's gets and puts) and its answer, until none is left:
    /// the model delivers STOREs and replication at once, within the
    /// event that causes them. A store query to a node that is not
    /// running is dropped, and its timer stays armed (never fired).
    fn settle_stores(&mut self) -> Result<(), String> {
        let storing = |h: &Harness, from: Node, m: &Message| {
            matches!(m.body, Body::Query(_))
                && tx(m).is_some_and(|t| h.node(from).is_some_and(|n| n.is_storing(t)))
        };
        loop {
            let Some(i) = (0..self.msgs.len()).find(|&i| {
                let (f, _, m) = &self.msgs[i];
                storing(self, *f, m)
            }) else {
                return Ok(());
            };
            let (from, to) = (self.msgs[i].0, self.msgs[i].1);
            let t = tx(&self.msgs[i].2);
            self.deliver(i)?;
            if let Some(j) = self.find(to, from, |m| {
                !matches!(m.body, Body::Query(_)) && tx(m) == t
            }) {
                self.deliver(j)?;
                let t = t.expect("our queries have 4-byte transactions");
                self.timers
                    .retain(|&(x, ref tm)| !(x == from && *tm == Timer::Query(t)));
            }
        }
    }

    /// Drops the lookup queries in flight of nodes that run no lookup, and
    /// their timers: a get that stops at the first holder leaves the other
    /// queries of its round unanswered, and the model's FIND_VALUE drops
    /// them (they are never delivered, nor time out).
    fn drop_abandoned(&mut self) {
        let idle = |h: &Harness, x: Node| h.node(x).is_none_or(|n| n.lookups().next().is_none());
        let mut gone = Vec::new();
        let mut i = 0;
        while i < self.msgs.len() {
            let (f, _, m) = &self.msgs[i];
            if is_lookup_query(m) && idle(self, *f) {
                gone.push((*f, tx(m)));
                self.msgs.remove(i);
            } else {
                i += 1;
            }
        }
        for (x, t) in gone {
            let t = t.map(Timer::Query);
            self.timers
                .retain(|&(y, ref tm)| !(y == x && Some(*tm) == t));
        }
    }

    /// The node running a lookup (the model runs one at a time).
    fn origin(&self) -> Result<Node, String> {
        (0..self.nodes.len() as Node)
            .find(|&x| self.node(x).is_some_and(|n| n.lookups().next().is_some()))
            .ok_or_else(|| "no node runs a lookup".to_string())
    }

    /// Carries out one model event; `Err` when the implementation cannot.
    pub fn step(&mut self, a: Action) -> Result<(), String> {
        self.events.clear();
        let before: Vec<Option<NodeState>> = (0..self.nodes.len() as Node)
            .map(|x| {
                self.node(x)
                    .map(|n| self.universe.node_state(n))
                    .transpose()
            })
            .collect::<Result<_, _>>()?;
        match a {
            Action::Join { j, via } => {
                if self.status[usize::from(j)] != Status::Absent {
                    return Err(format!("{} has joined before", name(j)));
                }
                self.nodes[usize::from(j)] = Some(self.fresh(j));
                self.status[usize::from(j)] = Status::Live;
                self.clean = true;
                let (id, at) = (self.universe.id(via), addr(via));
                self.run(j, |n, now, out| {
                    n.table_mut().observe(now, id, at);
                    n.bootstrap(now, &[], out)
                })?;
            }
            Action::Fail(x) => {
                if self.origin().is_ok_and(|o| o != x) {
                    self.clean = false;
                }
                self.nodes[usize::from(x)]
                    .take()
                    .ok_or_else(|| format!("{} is not running", name(x)))?;
                self.status[usize::from(x)] = Status::Failed;
                self.msgs.retain(|(f, _, _)| *f != x);
                self.timers.retain(|(y, _)| *y != x);
            }
            Action::Lookup { n, target } => {
                self.clean = true;
                self.next_tag += 1;
                let (t, tag) = (self.universe.id(target), self.next_tag);
                self.run(n, |node, now, out| node.find_node(now, t, tag, out))?;
            }
            Action::Store { n, key } => {
                self.clean = true;
                self.key = Some(key);
                self.next_tag += 1;
                let (v, tag) = (self.universe.value(key), self.next_tag);
                self.run(n, |node, now, out| {
                    node.put_item(now, PutItem::Immutable { v }, tag, out)
                })?;
            }
            Action::Get(n) => {
                self.clean = true;
                let key = self.key.ok_or("nothing has been stored")?;
                let target = immutable_target(&self.universe.value(key));
                self.next_tag += 1;
                let tag = self.next_tag;
                self.run(n, |node, now, out| {
                    node.get_item(now, ItemQuery::Immutable { target }, tag, out)
                })?;
            }
            Action::Reply(q) => self.exchange(self.origin()?, q, is_lookup_query)?,
            Action::Timeout(q) => self.expire(self.origin()?, q, is_lookup_query)?,
            Action::Pong { n, from } => self.exchange(n, from, is_ping)?,
            Action::PingTimeout { n, from } => self.expire(n, from, is_ping)?,
        }
        self.settle_stores()?;
        self.drop_abandoned();
        for (_, e) in &self.events {
            if let Event::Done { outcome, .. } = e {
                if outcome.op == "put_immutable" {
                    self.stored_at = outcome.stored.iter().try_fold(0u8, |acc, c| {
                        Ok::<_, String>(acc | 1 << self.universe.rank(&c.id)?)
                    })?;
                }
            }
        }
        // The ghost: an entry left a bucket while its node runs.
        for (x, b) in before.iter().enumerate() {
            let (Some(b), Some(now)) = (b, self.nodes[x].as_ref()) else {
                continue;
            };
            let after = self.universe.node_state(now)?;
            let gone = b.buckets.iter().zip(&after.buckets).any(|(b, a)| {
                b.entries
                    .iter()
                    .any(|e| !a.entries.contains(e) && self.status[usize::from(*e)] == Status::Live)
            });
            self.evicted_live |= gone;
        }
        Ok(())
    }

    /// The mapped state now; `observed` is the model's ghost (module notes).
    pub fn state(&self, observed: u64) -> Result<State, String> {
        let u = &self.universe;
        let mut s = State::default();
        for x in 0..self.nodes.len() {
            let target = self.key.map(|k| immutable_target(&u.value(k)));
            s.nodes.push(match (self.status[x], &self.nodes[x]) {
                (Status::Live, Some(n)) => NodeState {
                    value: target.is_some_and(|t| n.items().get(self.now, &t).is_some()),
                    ..u.node_state(n)?
                },
                (status, _) => NodeState {
                    status,
                    ..NodeState::default()
                },
            });
        }
        for x in 0..self.nodes.len() as Node {
            if let Some(l) = self.node(x).map(|n| u.lookup(n, self.clean, self.bound)) {
                if let Some(l) = l? {
                    if s.lookup.is_some() {
                        return Err("two lookups run at once".into());
                    }
                    s.lookup = Some(l);
                }
            }
        }
        let no_nodes = Vec::new();
        for (x, e) in &self.events {
            let (purpose, target, nodes) = match e {
                Event::Bootstrapped { nodes, .. } => (Purpose::Join, *x, nodes),
                Event::Done { outcome, .. } => match outcome.op {
                    "put_immutable" => (Purpose::Store, u.key_of(&outcome.target), &outcome.nodes),
                    "get_immutable" => (Purpose::Get, u.key_of(&outcome.target), &no_nodes),
                    _ => (Purpose::Find, u.unmap(&outcome.target)?, &outcome.nodes),
                },
            };
            let found = matches!(e, Event::Done { outcome, .. } if outcome.value.is_some());
            let result = nodes
                .iter()
                .try_fold(0u8, |acc, c| Ok::<_, String>(acc | 1 << u.rank(&c.id)?))?;
            s.outcome = Some(Outcome {
                origin: *x,
                target,
                purpose,
                result,
                clean: self.clean,
                found,
            });
        }
        s.key = self.key;
        s.stored_at = self.stored_at;
        s.evicted_live = self.evicted_live;
        s.observed = observed;
        Ok(s)
    }

    /// Takes `a` in both and compares; `step` numbers the event.
    pub fn check_step(
        &mut self,
        model: &KademliaModel,
        before: &State,
        a: Action,
        step: usize,
    ) -> Result<State, Mismatch> {
        let after = model.apply(before, a);
        let fail = |diff: Vec<String>| Mismatch {
            step,
            action: a.to_string(),
            diff,
        };
        self.step(a).map_err(|e| fail(vec![e]))?;
        let mine = self.state(after.observed).map_err(|e| fail(vec![e]))?;
        if mine != after {
            let mut d = diff(&after, &mine);
            if d.is_empty() {
                d.push(format!("states differ:\nmodel {after:?}\nimpl {mine:?}"));
            }
            return Err(fail(d));
        }
        Ok(after)
    }

    /// Datagrams in flight and timers armed (for reports).
    pub fn in_flight(&self) -> (usize, usize) {
        (self.msgs.len(), self.timers.len())
    }
}
