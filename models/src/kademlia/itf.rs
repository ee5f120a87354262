//! The ITF form of a Kademlia state.
//!
//! * `status`: map from each node that has joined to `"live"`/`"failed"`;
//! * `buckets`: map from each live node to its buckets, in prefix-length
//!   order, each `{ "entries": [...], "cache": [...], "ping": [node]? }`
//!   with entries and cache least-recently seen first;
//! * `holders`: the set of nodes holding the value; `key`: `[]` or
//!   `[id]`; `storedAt`: where the last store put it;
//! * `lookup`, `outcome`: `[]` or a one-element list holding the record;
//! * `evictedLive`, `observed`: the ghost variables.

use serde_json::{json, Map, Value};

use super::id::{elems, name, Set};
use super::state::{Purpose, State, Status};
use super::KademliaModel;

fn map(entries: impl Iterator<Item = (String, Value)>) -> Value {
    let pairs: Vec<Value> = entries.map(|(k, v)| json!([k, v])).collect();
    json!({ "#map": pairs })
}

fn set(s: Set) -> Value {
    let v: Vec<String> = elems(s).map(name).collect();
    json!({ "#set": v })
}

fn names(v: &[u8]) -> Vec<String> {
    v.iter().map(|&x| name(x)).collect()
}

fn purpose(p: Purpose) -> &'static str {
    match p {
        Purpose::Join => "join",
        Purpose::Find => "find",
        Purpose::Store => "store",
        Purpose::Get => "get",
    }
}

impl KademliaModel {
    pub fn itf_vars(&self) -> Vec<&'static str> {
        vec![
            "status",
            "buckets",
            "holders",
            "key",
            "storedAt",
            "lookup",
            "outcome",
            "evictedLive",
            "observed",
        ]
    }

    pub fn itf_encode(&self, s: &State) -> Map<String, Value> {
        let mut vars = Map::new();
        let status = map(s.ids().filter_map(|n| match s.node(n).status {
            Status::Absent => None,
            Status::Live => Some((name(n), json!("live"))),
            Status::Failed => Some((name(n), json!("failed"))),
        }));
        let buckets = map(s.ids().filter(|&n| s.is_live(n)).map(|n| {
            let bs: Vec<Value> = s
                .node(n)
                .buckets
                .iter()
                .map(|b| {
                    let ping: Vec<String> = b.ping.iter().map(|&p| name(p)).collect();
                    json!({
                        "entries": names(&b.entries),
                        "cache": names(&b.cache),
                        "ping": ping,
                    })
                })
                .collect();
            (name(n), json!(bs))
        }));
        let holders = s
            .ids()
            .filter(|&n| s.node(n).value)
            .fold(0, |a, n| a | 1 << n);
        let lookup: Vec<Value> = s
            .lookup
            .iter()
            .map(|l| {
                json!({
                    "origin": name(l.origin),
                    "target": l.target,
                    "purpose": purpose(l.purpose),
                    "phase": if l.phase == super::state::Phase::Final { "final" } else { "alpha" },
                    "seen": set(l.seen),
                    "queried": set(l.queried),
                    "answered": set(l.answered),
                    "timedOut": set(l.timed_out),
                    "best": l.best.iter().map(|&b| name(b)).collect::<Vec<_>>(),
                    "rounds": l.rounds,
                    "clean": l.clean,
                })
            })
            .collect();
        let outcome: Vec<Value> = s
            .outcome
            .iter()
            .map(|o| {
                json!({
                    "origin": name(o.origin),
                    "target": o.target,
                    "purpose": purpose(o.purpose),
                    "result": set(o.result),
                    "clean": o.clean,
                    "found": o.found,
                })
            })
            .collect();
        let observed: Vec<Value> = super::state::pairs(s.observed)
            .map(|(x, y)| json!({ "#tup": [name(x), name(y)] }))
            .collect();
        vars.insert("status".into(), status);
        vars.insert("buckets".into(), buckets);
        vars.insert("holders".into(), set(holders));
        vars.insert("key".into(), json!(s.key.iter().collect::<Vec<_>>()));
        vars.insert("storedAt".into(), set(s.stored_at));
        vars.insert("lookup".into(), json!(lookup));
        vars.insert("outcome".into(), json!(outcome));
        vars.insert("evictedLive".into(), json!(s.evicted_live));
        vars.insert("observed".into(), json!(observed));
        vars
    }
}
