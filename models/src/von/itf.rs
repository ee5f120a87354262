//! The ITF form of a VON state:
//!
//! * `status`: map from each node that has joined or is joining to
//!   `"joining"`, `"in"`, `"failed"` or `"left"`;
//! * `pos`: map from each of those nodes to its cell `"(x,y)"`;
//! * `table`: map from each member to a map from each node it lists to the
//!   cell it believes that node is at;
//! * `gone`: map from each member that remembers departures (`correct`'s
//!   tombstones) to the set of nodes it knows are gone;
//! * `inFlight`: list of the messages in flight, in sending order, each a
//!   record `{kind, from, to, …}` with `joiner`, `at` and `hops` for a
//!   JOIN, `at` for HELLO and MOVE, and `entries` (a map node → cell) for
//!   JOIN_REPLY and NOTIFY;
//! * `moves`, `failures`, `leaves`: the budgets used; `joinMissed`: the
//!   JoinReachesAcceptor history flag.

use serde_json::{json, Map, Value};

use super::state::{Kind, State, Status};
use super::VonModel;
use crate::chord::ring::name;
use crate::nodeset::elems;

fn map(entries: impl Iterator<Item = (String, Value)>) -> Value {
    let pairs: Vec<Value> = entries.map(|(k, v)| json!([k, v])).collect();
    json!({ "#map": pairs })
}

fn int(v: u8) -> Value {
    json!({ "#bigint": v.to_string() })
}

impl VonModel {
    pub fn itf_vars(&self) -> Vec<&'static str> {
        vec![
            "status",
            "pos",
            "table",
            "gone",
            "inFlight",
            "moves",
            "failures",
            "leaves",
            "joinMissed",
        ]
    }

    pub fn itf_encode(&self, s: &State) -> Map<String, Value> {
        let present = || s.ids().filter(|&n| s.node(n).status != Status::Absent);
        let status = map(present().map(|n| {
            let v = match s.node(n).status {
                Status::Joining => "joining",
                Status::In => "in",
                Status::Failed => "failed",
                Status::Left => "left",
                Status::Absent => "absent",
            };
            (name(n), json!(v))
        }));
        let pos = map(present().map(|n| (name(n), json!(s.node(n).pos.to_string()))));
        let table = map(elems(s.members()).map(|n| {
            let x = s.node(n);
            (
                name(n),
                map(elems(x.known).map(|z| (name(z), json!(x.view[z as usize].to_string())))),
            )
        }));
        let gone = map(elems(s.members())
            .filter(|&n| s.node(n).gone != 0)
            .map(|n| {
                let g: Vec<String> = elems(s.node(n).gone).map(name).collect();
                (name(n), json!({ "#set": g }))
            }));
        let msgs: Vec<Value> = s
            .msgs
            .iter()
            .map(|m| {
                let mut r = Map::new();
                r.insert("kind".into(), json!(m.kind.name()));
                r.insert("from".into(), json!(name(m.src)));
                r.insert("to".into(), json!(name(m.dst)));
                match m.kind {
                    Kind::Join => {
                        r.insert("joiner".into(), json!(name(m.joiner)));
                        r.insert("at".into(), json!(m.pos.to_string()));
                        r.insert("hops".into(), int(m.hops));
                    }
                    Kind::Hello | Kind::Move => {
                        r.insert("at".into(), json!(m.pos.to_string()));
                        if m.kind == Kind::Hello || m.knows != 0 {
                            r.insert("seen".into(), json!(m.seen.to_string()));
                        }
                        if m.knows != 0 {
                            let k: Vec<String> = elems(m.knows).map(name).collect();
                            r.insert("knows".into(), json!({ "#set": k }));
                        }
                        if m.entries != 0 {
                            r.insert(
                                "hints".into(),
                                map(m.listed().map(|(z, p)| (name(z), json!(p.to_string())))),
                            );
                        }
                    }
                    Kind::JoinReply | Kind::Notify => {
                        if let Some(g) = m.gone {
                            r.insert("gone".into(), json!(name(g)));
                        }
                        r.insert(
                            "entries".into(),
                            map(m.listed().map(|(z, p)| (name(z), json!(p.to_string())))),
                        );
                    }
                    Kind::Leave => {
                        if m.entries != 0 {
                            r.insert(
                                "hints".into(),
                                map(m.listed().map(|(z, p)| (name(z), json!(p.to_string())))),
                            );
                        }
                    }
                }
                Value::Object(r)
            })
            .collect();
        let mut vars = Map::new();
        vars.insert("status".into(), status);
        vars.insert("pos".into(), pos);
        vars.insert("table".into(), table);
        vars.insert("gone".into(), gone);
        vars.insert("inFlight".into(), Value::Array(msgs));
        vars.insert("moves".into(), int(s.moves));
        vars.insert("failures".into(), int(s.failures));
        vars.insert("leaves".into(), int(s.leaves));
        vars.insert("joinMissed".into(), json!(s.join_missed));
        vars
    }
}
