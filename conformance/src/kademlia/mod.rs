//! # Kademlia: the implementation refines the paper's protocol
//!
//! The refinement mapping ([`Universe::abstract_state`]) takes the
//! concrete nodes of a run (`overlay_impls::kademlia::Node`, 160-bit ids)
//! to the model's state (`overlay_models::kademlia::State`).
//!
//! **Ids.** Model id x of `bits` bits is the concrete id with x in its top
//! `bits` bits and zeros elsewhere ([`Universe::id`]); n{x} runs at
//! `sim_addr(x)`. Common-prefix lengths (bucket indices) and XOR order are
//! then exactly the model's, for nodes and lookup targets alike, and a
//! concrete id off that grid is a mapping error.
//!
//! **State.** Per node: its status (never joined / running / crashed);
//! for a running one, bucket i's entries in order (least-recently seen
//! first), its replacement cache in order, and its pending eviction ping
//! (`Table::pinging`). The one lookup in progress (at most one node has an
//! operation running): origin, target, purpose (`bootstrap` ↦ Join,
//! `find_node` ↦ Find, `put_immutable` ↦ Store, `get_immutable` ↦ Get),
//! the rounds-mode progress (`Rounds::last` ↦ phase, `best`, rounds
//! sent), `seen` = every candidate with a known id, `queried` = asked,
//! answered or failed, `answered`, `timed_out` = failed. The outcome, in
//! the state right after a lookup ends, from the node's
//! `Bootstrapped`/`Done` event (a get's `found`: a value came back). The
//! value: which nodes hold it, its key, where the last store put it
//! (decision 3). Compared field by field after every step ([`diff`]),
//! the first difference named by step, event and field.
//!
//! **Ghosts.** `evicted_live` is computed from the concrete tables (an
//! entry left a bucket while its node runs), and `clean` from the crashes
//! the harness made; `observed` (which pairs the last event observed,
//! BucketsWellFormed's "at the tail" ghost) is not state of the nodes:
//! the mapping takes it from the model's state.
//!
//! ## Five decisions
//!
//! 1. **Lookup policy.** The implementation's default lookup is
//!    asynchronous (α in flight at any time). The harness runs it in
//!    `LookupMode::Rounds`, the paper's lock-step rounds exactly as the
//!    model has them (α per round while a round brings a closer node, then
//!    final rounds to every unqueried window member until all answered;
//!    starting from the whole table), added to `impls` for this; `Async`
//!    stays the default. The two return the same k closest on a converged
//!    network (`impls/src/kademlia/lookup/tests.rs`).
//! 2. **Answers exclude the querier**, in the implementation too (as the
//!    model's): the querier was just observed into the table, and naming
//!    it back is a wasted slot of the k. The test-only mutation
//!    `AnswerWithQuerier` restores the old answers; the harness catches it.
//! 3. **Store, get and replication.** The model has one value under one
//!    key; the implementation stores BEP 44 immutable items, whose target
//!    is SHA-1 of the value and cannot be chosen. So model key x is the
//!    value `value-i` (bencoded; the first i whose target has x in its
//!    top `bits` bits, [`Universe::value`]), and a target maps back to
//!    its top bits ([`Universe::key_of`]): node ids are on the grid, so
//!    XOR order to the target is XOR order to x. `store n for x` is
//!    `put_item` of that value, `get n` is `get_item` of its target
//!    (`put_immutable` ↦ Store, `get_immutable` ↦ Get). Node
//!    configuration: `replicate` (§2.5, [`overlay_impls::kademlia::Config`]),
//!    `store_locally` (the model's STORE includes the origin; a get of a
//!    value held at its origin ends at once) and `observe_store_answers:
//!    false` (the model's STOREs are one-way: their answers are not
//!    observed). The puts of a store and replication's gets and puts are
//!    delivered, with their answers, within the event that causes them
//!    (the model delivers them at once); lookup queries left in flight by
//!    a get that stopped at the first holder are dropped, as the model's
//!    FIND_VALUE drops them. Compared: which nodes hold the value (`value`,
//!    from each node's item store), `key`, `stored_at` (the put's
//!    `stored`, the origin included when it stored), and the outcome's
//!    `found`. Two model abstractions at the end of a store have no wire
//!    counterpart, and the events that need them are refused ([`fits`]):
//!    a STORE at the k closest *live* nodes (or, in `alpha-termination`,
//!    at unqueried ones) where the origin can put only at nodes that
//!    answered, and a STORE recipient replicating back to an origin it
//!    knows to lack the value. Random walks and the exhaustive walk skip
//!    refused events; a trace with one is refused
//!    ([`crate::ImplReplayError::Unfit`]); no committed trace has one.
//! 4. **Joins.** `join j via m` starts a node that knows m as a contact
//!    (`table_mut().observe`, as the model puts m in j's bucket) and
//!    bootstraps with no seed address: the self-lookup starts from m with
//!    its id known, so the tables agree from the first step. Refreshes
//!    after the bootstrap are off (`refresh_ms: 0`): the model runs
//!    refreshes as separate `lookup` events.
//! 5. **Events** ([`Harness::step`]). The harness holds every datagram and
//!    timer and releases exactly what the event says: `reply q` delivers
//!    the lookup query to q and q's answer back; `timeout q` drops the
//!    query and fires its timer; `pong n from m` delivers n's eviction ping
//!    to m and the answer back; `ping-timeout n from m` fires that ping's
//!    timer; `fail n` crashes n (datagrams it sent are lost, as the
//!    model's crashed node's state is gone); `lookup n for t` is
//!    `find_node`. Node configuration: k, α, cache from the model,
//!    `stale_after: 1`, `fresh_ms: 0` (the paper's rules), rounds mode.
//!
//! Variants: `correct` and `k1-failures` (k=1) are the implementation as
//! it is; `evict-without-ping` and `alpha-termination` are the
//! implementation's test-only mutations of the same names, so their
//! traces replay too, bug for bug.

mod driver;
pub mod runs;
pub mod walk;

pub use crate::paths::Coverage;
pub use driver::Harness;
pub use walk::{every_path, random_paths, replay, replay_trace, PathStats};

use overlay_impls::kademlia::items::immutable_target;
use overlay_impls::kademlia::{Config, LookupMode, Mutation, Node as ImplNode, NodeId};
use overlay_models::chord::ring::name;
use overlay_models::kademlia::id::{closest, has, set_text, Node, Set};
use overlay_models::kademlia::state::{
    Bucket, Lookup, NodeState, Outcome, Phase, Purpose, State, Status,
};
use overlay_models::kademlia::Action;
use overlay_models::kademlia::{KademliaModel, Variant};

pub use crate::paths::Mismatch;

/// The model's scope, as the mapping needs it.
#[derive(Clone, Copy, Debug)]
pub struct Universe {
    pub bits: usize,
    pub nodes: usize,
}

impl Universe {
    pub fn of(m: &KademliaModel) -> Universe {
        Universe {
            bits: m.cfg.bits,
            nodes: m.cfg.nodes,
        }
    }

    /// The concrete id of model id `x`: x in the top `bits` bits.
    pub fn id(&self, x: u8) -> NodeId {
        let mut id = [0; 20];
        id[0] = x << (8 - self.bits);
        NodeId(id)
    }

    /// The model key of an item target: its top `bits` bits. Targets are
    /// hashes, so their other bits are not zero; nodes' ids are on the
    /// grid, so XOR order to a target is the order to its top bits.
    pub fn key_of(&self, target: &NodeId) -> u8 {
        target.0[0] >> (8 - self.bits)
    }

    /// The value the harness stores for model key `key`: the first
    /// bencoded string `value-i` (i = 0, 1, …) whose BEP 44 immutable
    /// target (SHA-1 of the value) has `key` in its top `bits` bits.
    pub fn value(&self, key: u8) -> Vec<u8> {
        (0u32..)
            .map(|i| {
                let s = format!("value-{i}");
                format!("{}:{s}", s.len()).into_bytes()
            })
            .find(|v| self.key_of(&immutable_target(v)) == key)
            .expect("some value-i hashes to every key")
    }

    /// The model id of a concrete id on the grid.
    pub fn unmap(&self, id: &NodeId) -> Result<u8, String> {
        let shift = 8 - self.bits;
        let low = id.0[0] & ((1u16 << shift) - 1) as u8;
        if low != 0 || id.0[1..].iter().any(|&b| b != 0) {
            return Err(format!("{id:?} is not the id of a model node"));
        }
        Ok(id.0[0] >> shift)
    }

    /// The model node of a concrete node id.
    pub fn rank(&self, id: &NodeId) -> Result<Node, String> {
        let x = self.unmap(id)?;
        if usize::from(x) >= self.nodes {
            return Err(format!("id {x} is no node of this run"));
        }
        Ok(x)
    }

    fn set(&self, ids: impl IntoIterator<Item = NodeId>) -> Result<Set, String> {
        ids.into_iter()
            .try_fold(0, |acc, id| Ok(acc | 1 << self.rank(&id)?))
    }

    /// The model's table of a running node (`bits` buckets).
    pub fn node_state(&self, n: &ImplNode) -> Result<NodeState, String> {
        let me = self.rank(&n.id())?;
        let t = n.table();
        let mut ns = NodeState {
            status: Status::Live,
            ..NodeState::default()
        };
        if (self.bits..t.depth()).any(|i| !t.bucket(i).is_empty() || !t.cached(i).is_empty()) {
            return Err(format!(
                "{} has contacts past bucket {}",
                name(me),
                self.bits
            ));
        }
        for i in 0..self.bits {
            let mut b = Bucket::default();
            for c in t.bucket(i) {
                if b.entries.try_push(self.rank(&c.id)?).is_some() {
                    return Err(format!("{}'s bucket {i} is larger than k", name(me)));
                }
            }
            for c in t.cached(i) {
                if b.cache.try_push(self.rank(&c.id)?).is_some() {
                    return Err(format!("{}'s cache {i} is too large", name(me)));
                }
            }
            b.ping = t.pinging(i).map(|id| self.rank(&id)).transpose()?;
            ns.buckets.push(b);
        }
        Ok(ns)
    }

    /// The lookup a running node has in progress, if any.
    pub fn lookup(&self, n: &ImplNode, clean: bool, bound: u8) -> Result<Option<Lookup>, String> {
        let me = self.rank(&n.id())?;
        let mut ls = n.lookups();
        let Some((kind, l)) = ls.next() else {
            return Ok(None);
        };
        if ls.next().is_some() {
            return Err(format!("{} runs two lookups", name(me)));
        }
        let purpose = match kind {
            "bootstrap" => Purpose::Join,
            "find_node" => Purpose::Find,
            "put_immutable" => Purpose::Store,
            "get_immutable" => Purpose::Get,
            other => {
                return Err(format!(
                    "{} runs a {other}, which the model has not",
                    name(me)
                ))
            }
        };
        let r = l
            .rounds()
            .ok_or_else(|| format!("{}'s lookup is not in rounds mode", name(me)))?;
        use overlay_impls::kademlia::lookup::Progress;
        let with = |f: fn(&Progress) -> bool| {
            self.set(
                l.candidates()
                    .iter()
                    .filter(|c| f(&c.progress))
                    .filter_map(|c| c.id),
            )
        };
        Ok(Some(Lookup {
            origin: me,
            target: match purpose {
                Purpose::Store | Purpose::Get => self.key_of(&l.target),
                _ => self.unmap(&l.target)?,
            },
            purpose,
            phase: if r.last { Phase::Final } else { Phase::Alpha },
            seen: with(|_| true)?,
            queried: with(|p| *p != Progress::Fresh)?,
            answered: with(|p| matches!(p, Progress::Answered { .. }))?,
            timed_out: with(|p| *p == Progress::Failed)?,
            best: r.best.map(|b| self.rank(&b)).transpose()?,
            rounds: r.sent.min(u32::from(bound) + 1) as u8,
            clean,
        }))
    }
}

/// The implementation's configuration for a model: its k, α and cache,
/// the paper's table rules (`stale_after: 1`, `fresh_ms: 0`), rounds-mode
/// lookups, no refreshes or timers of its own.
pub fn impl_config(m: &KademliaModel, mutation: Mutation) -> Config {
    Config {
        k: m.cfg.k,
        alpha: m.cfg.alpha,
        cache: m.cfg.cache,
        stale_after: 1,
        fresh_ms: 0,
        refresh_ms: 0,
        lookup: LookupMode::Rounds,
        replicate: true,
        store_locally: true,
        observe_store_answers: false,
        mutation,
        ..Config::default()
    }
}

/// Whether the implementation can carry out model event `a` from state
/// `s`: `Err` names why not (module notes, decision 3). Two model
/// abstractions at the end of a store have no wire counterpart:
///
/// * the model STOREs at the k closest *live* nodes of the result and the
///   origin, and `alpha-termination` at unqueried ones too; the origin
///   can only put at nodes that answered (a put needs their token), and
///   cannot know that one failed since: so the event is refused when the
///   model's set differs from the k closest of the answered result and
///   the origin;
/// * a STORE is one-way and its recipient knows whether the origin holds
///   the value; on the wire a recipient cannot tell, so the
///   implementation does not replicate a put's item back to its sender:
///   the event is refused when the origin gains the value without being
///   among the nodes its store put it at.
pub fn fits(model: &KademliaModel, s: &State, a: Action) -> Result<(), String> {
    let after = model.apply(s, a);
    let Some(o) = after.outcome.filter(|o| o.purpose == Purpose::Store) else {
        return Ok(());
    };
    let k = model.cfg.k;
    let mut answered = s.lookup.map_or(0, |l| l.answered);
    if let Action::Reply(q) = a {
        answered |= 1 << q;
    }
    let can = closest((o.result & answered) | 1 << o.origin, o.target, k);
    if can != after.stored_at {
        return Err(format!(
            "`{a}`: the model stores at {} (the k closest live of the result and the origin), \
             the origin can put only at {} (those that answered, and itself)",
            set_text(after.stored_at),
            set_text(can)
        ));
    }
    let o_node = usize::from(o.origin);
    if !has(after.stored_at, o.origin) && !s.nodes[o_node].value && after.nodes[o_node].value {
        return Err(format!(
            "`{a}`: a STORE's recipient replicates the value back to the origin {}, which \
             the implementation does not do (the recipient cannot know the origin lacks it)",
            name(o.origin)
        ));
    }
    Ok(())
}

/// The implementation mutation a model variant corresponds to.
pub fn variant_mutation(v: Variant) -> Mutation {
    match v {
        Variant::Correct | Variant::K1Failures => Mutation::None,
        Variant::EvictWithoutPing => Mutation::EvictWithoutPing,
        Variant::AlphaTermination => Mutation::AlphaTermination,
    }
}

fn list(v: &[Node]) -> String {
    let names: Vec<String> = v.iter().map(|&x| name(x)).collect();
    format!("[{}]", names.join(" "))
}

/// Field-by-field differences, `field: model … ≠ impl …`.
pub fn diff(model: &State, imp: &State) -> Vec<String> {
    let mut out = Vec::new();
    let mut d = |field: String, m: String, i: String| {
        if m != i {
            out.push(format!("{field}: model {m} ≠ impl {i}"));
        }
    };
    for (x, (m, c)) in model.nodes.iter().zip(&imp.nodes).enumerate() {
        let n = name(x as u8);
        d(
            format!("{n}.status"),
            format!("{:?}", m.status),
            format!("{:?}", c.status),
        );
        if m.buckets.len() != c.buckets.len() {
            d(
                format!("{n}.buckets"),
                m.buckets.len().to_string(),
                c.buckets.len().to_string(),
            );
            continue;
        }
        for (i, (mb, cb)) in m.buckets.iter().zip(&c.buckets).enumerate() {
            d(
                format!("{n}.b{i}.entries"),
                list(&mb.entries),
                list(&cb.entries),
            );
            d(format!("{n}.b{i}.cache"), list(&mb.cache), list(&cb.cache));
            let p = |x: Option<Node>| x.map_or("—".into(), name);
            d(format!("{n}.b{i}.ping"), p(mb.ping), p(cb.ping));
        }
        d(
            format!("{n}.value"),
            m.value.to_string(),
            c.value.to_string(),
        );
    }
    match (&model.lookup, &imp.lookup) {
        (Some(m), Some(c)) => {
            let s = |x: Set| set_text(x);
            d("lookup.origin".into(), name(m.origin), name(c.origin));
            d(
                "lookup.target".into(),
                m.target.to_string(),
                c.target.to_string(),
            );
            d(
                "lookup.purpose".into(),
                format!("{:?}", m.purpose),
                format!("{:?}", c.purpose),
            );
            d(
                "lookup.phase".into(),
                format!("{:?}", m.phase),
                format!("{:?}", c.phase),
            );
            d("lookup.seen".into(), s(m.seen), s(c.seen));
            d("lookup.queried".into(), s(m.queried), s(c.queried));
            d("lookup.answered".into(), s(m.answered), s(c.answered));
            d("lookup.timed_out".into(), s(m.timed_out), s(c.timed_out));
            d(
                "lookup.best".into(),
                format!("{:?}", m.best),
                format!("{:?}", c.best),
            );
            d(
                "lookup.rounds".into(),
                m.rounds.to_string(),
                c.rounds.to_string(),
            );
            d(
                "lookup.clean".into(),
                m.clean.to_string(),
                c.clean.to_string(),
            );
        }
        (m, c) => d(
            "lookup".into(),
            m.map_or("none".into(), |l| format!("by {}", name(l.origin))),
            c.map_or("none".into(), |l| format!("by {}", name(l.origin))),
        ),
    }
    let o = |x: &Option<Outcome>| {
        x.map_or("none".into(), |o| {
            format!(
                "{:?} by {} for {} → {}{}{}",
                o.purpose,
                name(o.origin),
                o.target,
                set_text(o.result),
                if o.found { " found" } else { "" },
                if o.clean { "" } else { " (unclean)" }
            )
        })
    };
    d("outcome".into(), o(&model.outcome), o(&imp.outcome));
    d(
        "key".into(),
        format!("{:?}", model.key),
        format!("{:?}", imp.key),
    );
    d(
        "stored_at".into(),
        set_text(model.stored_at),
        set_text(imp.stored_at),
    );
    d(
        "evicted_live".into(),
        model.evicted_live.to_string(),
        imp.evicted_live.to_string(),
    );
    out
}
