//! The ITF form of a CAN state (one entry per reality in every map):
//!
//! * `status`: map from each node that has joined to `"live"`, `"failed"`
//!   or `"left"`;
//! * `zones`: map from reality (`"r0"` …) to a map from each live or
//!   failed node to its zones, each `"[0,2)x[0,4)"`;
//! * `neighbors`, `keys`, `inFlight`: map from reality to a map from each
//!   live node to its neighbour set, its keys, and the receivers of its
//!   update in flight;
//! * `takenOver`: map from reality to the set of failed nodes whose zones
//!   were taken over;
//! * `stored`, `lost`: the keys put, and per reality the keys lost;
//! * `probe`, `outcome`: `[]` or a one-element list with the record.

use serde_json::{json, Map, Value};

use super::state::{elems, Outcome, State, Status};
use super::CanModel;
use crate::chord::ring::name;

fn map(entries: impl Iterator<Item = (String, Value)>) -> Value {
    let pairs: Vec<Value> = entries.map(|(k, v)| json!([k, v])).collect();
    json!({ "#map": pairs })
}

fn set(v: Vec<String>) -> Value {
    json!({ "#set": v })
}

fn nodes(set_bits: u8) -> Value {
    set(elems(set_bits).map(name).collect())
}

fn keys(bits: u8) -> Value {
    set((0..8)
        .filter(|k| bits & (1 << k) != 0)
        .map(|k| format!("k{k}"))
        .collect())
}

impl CanModel {
    pub fn itf_vars(&self) -> Vec<&'static str> {
        vec![
            "status",
            "zones",
            "neighbors",
            "keys",
            "inFlight",
            "takenOver",
            "stored",
            "lost",
            "probe",
            "outcome",
        ]
    }

    pub fn itf_encode(&self, s: &State) -> Map<String, Value> {
        let sp = self.rules().space;
        let rs = 0..self.cfg.realities;
        let per_reality =
            |f: &dyn Fn(usize) -> Value| map(rs.clone().map(|r| (format!("r{r}"), f(r))));
        let mut vars = Map::new();
        let status = map(s.ids().filter_map(|n| {
            let v = match s.node(n).status {
                Status::Absent => return None,
                Status::Live => "live",
                Status::Failed => "failed",
                Status::Left => "left",
            };
            Some((name(n), json!(v)))
        }));
        let zones = per_reality(&|r| {
            map(s
                .ids()
                .filter(|&n| s.is_member(n, r) || s.is_orphan(n, r))
                .map(|n| {
                    let z: Vec<String> = s
                        .slice(n, r)
                        .zones
                        .iter()
                        .map(|z| sp.zone_text(z))
                        .collect();
                    (name(n), json!(z))
                }))
        });
        let live = |f: &dyn Fn(usize, u8) -> Value| {
            per_reality(&|r| {
                map(s
                    .ids()
                    .filter(|&n| s.is_member(n, r))
                    .map(|n| (name(n), f(r, n))))
            })
        };
        let neighbors = live(&|r, n| nodes(s.slice(n, r).nbrs));
        let held = live(&|r, n| keys(s.slice(n, r).keys));
        let in_flight = per_reality(&|r| {
            map(s
                .ids()
                .filter(|&n| s.slice(n, r).pending != 0)
                .map(|n| (name(n), nodes(s.slice(n, r).pending))))
        });
        let taken = per_reality(&|r| {
            set(s
                .ids()
                .filter(|&n| s.node(n).status == Status::Failed && s.slice(n, r).claimed)
                .map(name)
                .collect())
        });
        let lost = per_reality(&|r| keys(s.lost[r]));
        let probe: Vec<Value> = s
            .route
            .iter()
            .map(|rt| {
                json!({
                    "reality": format!("r{}", rt.reality),
                    "from": name(rt.from),
                    "at": name(rt.at),
                    "to": sp.point_text(rt.point),
                    "hops": rt.hops,
                    "visited": nodes(rt.visited),
                    "calm": rt.calm,
                })
            })
            .collect();
        let outcome: Vec<Value> = s
            .outcome
            .iter()
            .map(|o| match *o {
                Outcome::Delivered { hops, calm } => json!({"probe": "delivered", "hops": hops, "calm": calm}),
                Outcome::Looped { calm } => json!({"probe": "looped", "calm": calm}),
                Outcome::Stuck { at, calm } => json!({"probe": "stuck", "at": name(at), "calm": calm}),
                Outcome::Lost => json!({"probe": "lost"}),
                Outcome::Got { key, reality, found } => json!({"get": format!("k{key}"), "reality": format!("r{reality}"), "found": found}),
            })
            .collect();
        vars.insert("status".into(), status);
        vars.insert("zones".into(), zones);
        vars.insert("neighbors".into(), neighbors);
        vars.insert("keys".into(), held);
        vars.insert("inFlight".into(), in_flight);
        vars.insert("takenOver".into(), taken);
        vars.insert("stored".into(), keys(s.stored));
        vars.insert("lost".into(), lost);
        vars.insert("probe".into(), json!(probe));
        vars.insert("outcome".into(), json!(outcome));
        vars
    }
}
