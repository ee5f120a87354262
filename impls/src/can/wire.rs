//! CAN's messages and their encoding: one JSON object per datagram,
//! tagged by `"type"` (the routed payloads by `"kind"`), zones as
//! `{"depth": t, "lo": [..]}`, points as coordinate lists, volumes as five
//! 64-bit limbs. JSON, as for Chord: small messages a reviewer can read in
//! a packet capture, and serde rejects malformed input with a reason. The
//! decoder also bounds sizes (the datagram, every list) and checks that
//! one message speaks of a single dimension count; whether that count and
//! the reality are the receiver's is the node's check (`node.rs`).

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

use super::point::Point;
use super::volume::Volume;
use super::zone::Zone;
use crate::runtime::{Wire, WireError};

/// Largest datagram accepted (and produced by well-behaved nodes, except
/// zone transfers whose keys do not fit: see the module notes).
pub const MAX_DATAGRAM: usize = 60 * 1024;
/// Most zones one node may claim in one reality.
pub const MAX_ZONES: usize = 64;
/// Longest neighbour list accepted.
pub const MAX_NEIGHBORS: usize = 256;
/// Most key-value items in one transfer.
pub const MAX_ITEMS: usize = 1024;

/// A stored key and its value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub key: String,
    pub value: String,
}

/// What a node says of a neighbour: its address, the version of its
/// zones the sender knows, and those zones.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NbrInfo {
    pub addr: SocketAddr,
    pub ver: u64,
    pub zones: Vec<Zone>,
}

/// The payload of a greedily routed message; the owner of the target
/// point answers `origin` (the joiner, for a join) directly.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Routed {
    /// §2.2: "I want the half of your zone holding this point."
    Join { joiner: SocketAddr, req: u64 },
    /// Who owns the target (measurements, tests).
    Lookup { origin: SocketAddr, req: u64 },
    Put {
        origin: SocketAddr,
        req: u64,
        key: String,
        value: String,
    },
    Get {
        origin: SocketAddr,
        req: u64,
        key: String,
    },
    /// Background reassignment: "which zone of yours holds the target?"
    Probe { origin: SocketAddr, req: u64 },
    /// Table repair: "send me your UPDATE" (`super::repair`).
    Greet { origin: SocketAddr },
}

impl Routed {
    /// Who started the route, and its request id (none for a greeting,
    /// which expects no answer).
    pub fn origin(&self) -> (SocketAddr, Option<u64>) {
        match *self {
            Routed::Join { joiner, req } => (joiner, Some(req)),
            Routed::Lookup { origin, req }
            | Routed::Put { origin, req, .. }
            | Routed::Get { origin, req, .. }
            | Routed::Probe { origin, req } => (origin, Some(req)),
            Routed::Greet { origin } => (origin, None),
        }
    }
}

/// Why a route ended before the target's owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StuckReason {
    /// No live neighbour is strictly closer to the target.
    NoCloser,
    /// The hop budget ran out.
    Ttl,
}

/// Every message between CAN nodes. `reality` selects the coordinate
/// space (§3, "Realities"); `req` matches an answer to its request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Msg {
    /// Greedy forwarding towards `target` (§2.1): `hops` so far, `ttl`
    /// forwards left.
    Route {
        reality: u8,
        target: Point,
        hops: u32,
        ttl: u32,
        body: Routed,
    },
    /// The route of request `req` got stuck (sent to its origin).
    Stuck {
        req: u64,
        reality: u8,
        hops: u32,
        reason: StuckReason,
    },
    /// The owner's answer to a join: the newcomer's zone, its keys, and
    /// the owner's neighbours (the owner itself included, §2.2).
    JoinAccept {
        req: u64,
        reality: u8,
        zone: Zone,
        items: Vec<Item>,
        nbrs: Vec<NbrInfo>,
    },
    /// A join, hand-over or swap the receiver will not take.
    Refused {
        req: u64,
        reality: u8,
        reason: String,
    },
    /// The sender's zones (at version `ver`) and neighbours: sent at once
    /// on every change, and periodically as the heartbeat (§2.3).
    Update {
        reality: u8,
        ver: u64,
        zones: Vec<Zone>,
        nbrs: Vec<NbrInfo>,
    },
    /// §2.3: "I will take over `failed`'s zones; my volume is this."
    Takeover {
        reality: u8,
        failed: SocketAddr,
        volume: Volume,
    },
    /// Take these zones with their keys (graceful leave, reassignment);
    /// `nbrs` are the sender's neighbours, for the taker's new ones.
    Handoff {
        req: u64,
        reality: u8,
        zones: Vec<Zone>,
        items: Vec<Item>,
        nbrs: Vec<NbrInfo>,
    },
    /// Reassignment: take `take` (with keys and the sender's neighbours)
    /// and hand your zone `give` to `to`, its sibling's owner.
    Swap {
        req: u64,
        reality: u8,
        take: Zone,
        items: Vec<Item>,
        nbrs: Vec<NbrInfo>,
        give: Zone,
        to: SocketAddr,
    },
    /// The zones of a hand-over or swap were taken; the taker's zones now.
    Took {
        req: u64,
        reality: u8,
        ver: u64,
        zones: Vec<Zone>,
    },
    /// Answer to a probe: the owner's zone holding the probed point.
    ProbeReply { req: u64, reality: u8, zone: Zone },
    /// Answer to a lookup: the sender owns the target.
    Found { req: u64, reality: u8, hops: u32 },
    /// Answer to a put: stored.
    Stored { req: u64, reality: u8, hops: u32 },
    /// Answer to a get (`None`: the owner has no such key).
    Value {
        req: u64,
        reality: u8,
        hops: u32,
        value: Option<String>,
    },
}

impl Msg {
    /// The reality the message is about.
    pub fn reality(&self) -> u8 {
        match *self {
            Msg::Route { reality, .. }
            | Msg::Stuck { reality, .. }
            | Msg::JoinAccept { reality, .. }
            | Msg::Refused { reality, .. }
            | Msg::Update { reality, .. }
            | Msg::Takeover { reality, .. }
            | Msg::Handoff { reality, .. }
            | Msg::Swap { reality, .. }
            | Msg::Took { reality, .. }
            | Msg::ProbeReply { reality, .. }
            | Msg::Found { reality, .. }
            | Msg::Stored { reality, .. }
            | Msg::Value { reality, .. } => reality,
        }
    }

    /// The request this message answers, if it is an answer.
    pub fn answers(&self) -> Option<u64> {
        match *self {
            Msg::Stuck { req, .. }
            | Msg::Refused { req, .. }
            | Msg::Took { req, .. }
            | Msg::ProbeReply { req, .. }
            | Msg::Found { req, .. }
            | Msg::Stored { req, .. }
            | Msg::Value { req, .. } => Some(req),
            _ => None,
        }
    }

    /// Every zone the message names, and how many dimensions each point
    /// it names has.
    pub fn geometry(&self) -> (Vec<&Zone>, Vec<usize>) {
        match self {
            Msg::Route { target, .. } => (vec![], vec![target.dims()]),
            Msg::JoinAccept { zone, nbrs, .. } => {
                let mut z = nbr_zones(nbrs);
                z.push(zone);
                (z, vec![])
            }
            Msg::Update { zones, nbrs, .. } | Msg::Handoff { zones, nbrs, .. } => {
                let mut z = nbr_zones(nbrs);
                z.extend(zones);
                (z, vec![])
            }
            Msg::Swap {
                take, give, nbrs, ..
            } => {
                let mut z = nbr_zones(nbrs);
                z.extend([take, give]);
                (z, vec![])
            }
            Msg::Took { zones, .. } => (zones.iter().collect(), vec![]),
            Msg::ProbeReply { zone, .. } => (vec![zone], vec![]),
            _ => (vec![], vec![]),
        }
    }

    /// A list longer than the codec accepts, as (what, length, limit).
    fn oversized(&self) -> Option<(&'static str, usize, usize)> {
        let nbrs = |n: &[NbrInfo]| {
            n.iter()
                .map(|i| ("zones of a neighbour", i.zones.len(), MAX_ZONES))
                .chain([("neighbours", n.len(), MAX_NEIGHBORS)])
                .collect::<Vec<_>>()
        };
        let mut lists = match self {
            Msg::JoinAccept { items, nbrs: n, .. } | Msg::Swap { items, nbrs: n, .. } => {
                let mut v = nbrs(n);
                v.push(("items", items.len(), MAX_ITEMS));
                v
            }
            Msg::Update { zones, nbrs: n, .. } => {
                let mut v = nbrs(n);
                v.push(("zones", zones.len(), MAX_ZONES));
                v
            }
            Msg::Handoff {
                zones,
                items,
                nbrs: n,
                ..
            } => {
                let mut v = nbrs(n);
                v.push(("zones", zones.len(), MAX_ZONES));
                v.push(("items", items.len(), MAX_ITEMS));
                v
            }
            Msg::Took { zones, .. } => vec![("zones", zones.len(), MAX_ZONES)],
            _ => vec![],
        };
        lists.retain(|&(_, n, max)| n > max);
        lists.first().copied()
    }
}

impl Wire for Msg {
    fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("messages always serialize")
    }

    fn decode(bytes: &[u8]) -> Result<Msg, WireError> {
        let err = |reason: String| WireError { reason };
        if bytes.len() > MAX_DATAGRAM {
            return Err(err(format!(
                "{} bytes, more than {MAX_DATAGRAM}",
                bytes.len()
            )));
        }
        let msg: Msg = serde_json::from_slice(bytes).map_err(|e| err(e.to_string()))?;
        if let Some((what, n, max)) = msg.oversized() {
            return Err(err(format!("{n} {what}, more than {max}")));
        }
        let (zones, points) = msg.geometry();
        let mut dims = zones.iter().map(|z| z.dims()).chain(points);
        if let Some(d) = dims.next() {
            if let Some(other) = dims.find(|&e| e != d) {
                return Err(err(format!(
                    "zones or points of {d} and of {other} dimensions in one message"
                )));
            }
        }
        Ok(msg)
    }
}

/// Every zone of a neighbour list.
fn nbr_zones(n: &[NbrInfo]) -> Vec<&Zone> {
    n.iter().flat_map(|i| i.zones.iter()).collect()
}

#[cfg(test)]
mod tests;
