//! # CAN: the implementation refines the paper's protocol, at quiescence
//!
//! The refinement mapping ([`Universe::impl_view`]) takes the concrete
//! nodes of a simulated run (`overlay_impls::can::Node`, `u32`
//! fixed-point coordinates) to the model's view of a network
//! ([`View`], read off `overlay_models::can::State` by
//! [`Universe::model_view`]).
//!
//! **Space.** Model cell c of a side-2^b grid is the impl coordinate
//! range [c·2^(32−b), (c+1)·2^(32−b)) in every dimension. An impl zone
//! maps to the model zone covering the same cells; a zone finer than a
//! cell, or not aligned to cells, is a mapping error. Both sides split in
//! the same canonical order (dimension 0, 1, …), so the partition trees
//! coincide down to one cell.
//!
//! **Nodes.** Model node n_i runs in simulator slot i at `sim_addr(i)`;
//! the addresses grow with i, so the implementation's ties (the lower
//! `SocketAddr`) are the model's (the lower index). `join nJ at (x,y) via
//! nM` starts node J with the explicit point at the cell's centre,
//! (c·2^(32−b) + 2^(31−b)) per dimension, and asks it to join through
//! node M. `leave n` is the node's graceful leave, `fail n` a crash
//! (`Sim::crash`: its state is gone), `put kK via n` the node's put.
//!
//! **Keys.** The model's key k sits at the fixed cell
//! `Rules::key_point(k, 0)`; the implementation hashes key names. Model
//! key k is the key named `k{k}-{i}` for the first i = 0, 1, … whose
//! SHA-1 point lies in that cell ([`Universe::key_name`]; `k0-…` at
//! (3,1), `k1-…` at (1,3) on the 4×4 grid). A key the harness did not
//! put is a mapping error.
//!
//! **Compared** ([`View`], [`diff`]): every node's status (absent, live,
//! failed, left; a node still joining or leaving is a difference), every
//! live node's zones (exactly, as sets) and so every cell's owner, its
//! neighbour set (exactly: every record in the table, dead ones
//! included, must be a live node abutting it; and each record's zones
//! must be that node's current zones), the keys it holds, and the keys
//! lost (put, but held by no live node: the model's ghost `lost`, keys a
//! failed node held).
//!
//! ## Granularity: quiescent points
//!
//! The model's updates carry their sender's content at delivery, the
//! implementation's at sending; the model's join, leave, takeover and
//! reassignment are atomic, the implementation's are exchanges of
//! messages over timers. So the two are compared only at *quiescent*
//! points ([`driver`]): after each churn event (join, leave, fail, put)
//! the simulator runs with all its timers (refresh 1 s, failure
//! detection 3.5 s, takeover, reassignment 2 s) until no zone, table
//! record, status or key has changed for [`QUIET_MS`] (16 s: longer
//! than the 4.5 s a crash may go unnoticed, and than the 14 s a table's
//! tombstone lives); and the
//! model takes repair steps until it reaches a repaired state
//! (`properties::repaired`: one valid zone per live node, tiling,
//! settled, exact neighbour sets, routing that delivers) by a
//! deterministic policy ([`driver::repair`]): the first enabled update
//! delivery, else expiry, takeover, reassignment, expanding-ring search,
//! else a refresh that would change something. Takeovers and
//! reassignments are thereby part of a churn event's repair, as they are
//! of the implementation's quiescence. When the policy's repaired state
//! differs from the implementation's, the harness searches all repair
//! paths (breadth first, up to [`driver::SEARCH_LIMIT`] states) for a
//! repaired state that matches: the model allows what the implementation
//! did, and the walk goes on from that state (counted as `alternatives`;
//! none occur in the pinned runs). Only when no repair path leads there
//! is it a mismatch.
//!
//! Scope: one reality (the model joins each reality separately, the
//! implementation all at once), 2 dimensions, `bits` 2 (4×4) or 3.

pub mod driver;
pub mod runs;
pub mod walk;

use std::collections::BTreeMap;
use std::net::SocketAddr;

pub use crate::paths::{Coverage, Mismatch};
pub use driver::Harness;
pub use walk::{every_path, every_path_with, random_paths, replay_trace, PathStats};

use overlay_impls::can::{Node as ImplNode, Point, Status as ImplStatus, Zone as ImplZone};
use overlay_impls::runtime::sim::Sim;
use overlay_models::can::grid::{Point as Cell, Space, Zone, MAX_DIMS};
use overlay_models::can::state::{Keys, Node, Set, State, Status};
use overlay_models::can::CanModel;
use overlay_models::chord::ring::name;

/// Simulated milliseconds without any change that count as quiescence:
/// longer than a crash may go unnoticed (4.5 s) and than a tombstone
/// lives in a neighbour table (4 × `dead_after` = 14 s), plus two
/// refresh periods, so that a table record wrongly retired (the bug
/// `impls` had, see the README's CAN findings) shows before the window
/// closes.
pub const QUIET_MS: u64 = 16_000;

/// The model's scope, as the mapping needs it.
#[derive(Clone, Debug)]
pub struct Universe {
    pub space: Space,
    pub bits: u32,
    pub nodes: usize,
    /// Model key k ↔ this key name.
    pub key_names: Vec<String>,
    key_of: BTreeMap<String, u8>,
}

/// A node's life as the view sees it: the model's four, or an
/// implementation state the model has no word for (a difference).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Life {
    Absent,
    Live,
    Failed,
    Left,
    /// The implementation's node is still joining, leaving, or outside
    /// after a join.
    Other(String),
}

/// What is compared at a quiescent point (reality 0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct View {
    pub life: Vec<Life>,
    /// Live nodes' zones, sorted (empty otherwise).
    pub zones: Vec<Vec<Zone>>,
    /// Live nodes' neighbour sets.
    pub nbrs: Vec<Set>,
    /// Live nodes' keys.
    pub keys: Vec<Keys>,
    pub stored: Keys,
    /// Put, but held by no live node.
    pub lost: Keys,
    /// Table records whose zones are not the node's current ones
    /// (implementation only; always empty for the model).
    pub stale: Vec<String>,
}

impl Universe {
    pub fn of(m: &CanModel) -> Result<Universe, String> {
        let c = &m.cfg;
        if c.realities != 1 {
            return Err(format!(
                "the CAN refinement covers one reality, not {} (the model joins each \
                 reality separately, the implementation all at once)",
                c.realities
            ));
        }
        let space = m.rules().space;
        let bits = c.bits as u32;
        let mut u = Universe {
            space,
            bits,
            nodes: c.nodes,
            key_names: Vec::new(),
            key_of: BTreeMap::new(),
        };
        for k in 0..c.keys {
            let cell = m.rules().key_point(k, 0);
            let name = (0u32..)
                .map(|i| format!("k{k}-{i}"))
                .find(|s| u.cell_of(&Point::of_key(s, 0, space.dims)) == cell)
                .expect("some name hashes into every cell");
            u.key_of.insert(name.clone(), k as u8);
            u.key_names.push(name);
        }
        Ok(u)
    }

    /// log2 of a cell's side in impl coordinates.
    fn shift(&self) -> u32 {
        32 - self.bits
    }

    /// The centre of a model cell, as an impl point.
    pub fn centre(&self, p: Cell) -> Point {
        let s = self.shift();
        let c: Vec<u32> = (0..self.space.dims)
            .map(|i| (u32::from(p[i]) << s) + (1 << (s - 1)))
            .collect();
        Point::new(&c).expect("1..=3 dimensions")
    }

    /// The model cell holding an impl point.
    pub fn cell_of(&self, p: &Point) -> Cell {
        let mut c = [0u8; MAX_DIMS];
        for (i, x) in c.iter_mut().enumerate().take(self.space.dims) {
            *x = (p.get(i) >> self.shift()) as u8;
        }
        c
    }

    /// The model zone of an impl zone: the same cells.
    pub fn zone(&self, z: &ImplZone) -> Result<Zone, String> {
        let s = self.shift();
        let mut m = Zone {
            lo: [0; MAX_DIMS],
            len: [1; MAX_DIMS],
        };
        for i in 0..self.space.dims {
            let (lo, len) = (u64::from(z.lo(i)), z.len(i));
            if len < 1 << s || lo % (1 << s) != 0 {
                return Err(format!("{z:?} is finer than a cell of the model's grid"));
            }
            m.lo[i] = (lo >> s) as u8;
            m.len[i] = (len >> s) as u8;
        }
        Ok(m)
    }

    /// Model key of an impl key name.
    pub fn key(&self, key: &str) -> Result<u8, String> {
        self.key_of
            .get(key)
            .copied()
            .ok_or_else(|| format!("key `{key}` is no model key"))
    }

    /// The model node of a simulated address.
    pub fn node_of(&self, sim: &Sim<ImplNode>, a: &SocketAddr) -> Result<Node, String> {
        match sim.slot_of(*a) {
            Some(i) if i < self.nodes => Ok(i as Node),
            _ => Err(format!("{a} is no node of the model")),
        }
    }

    /// The view of a model state.
    pub fn model_view(&self, s: &State) -> View {
        let n = s.nodes.len();
        let mut v = View {
            life: Vec::with_capacity(n),
            zones: vec![Vec::new(); n],
            nbrs: vec![0; n],
            keys: vec![0; n],
            stored: s.stored,
            lost: 0,
            stale: Vec::new(),
        };
        let mut held = 0;
        for x in s.ids() {
            v.life.push(match s.node(x).status {
                Status::Absent => Life::Absent,
                Status::Live => Life::Live,
                Status::Failed => Life::Failed,
                Status::Left => Life::Left,
            });
            if s.is_member(x, 0) {
                let sl = s.slice(x, 0);
                let mut zs: Vec<Zone> = sl.zones.iter().copied().collect();
                zs.sort();
                v.zones[x as usize] = zs;
                v.nbrs[x as usize] = sl.nbrs;
                v.keys[x as usize] = sl.keys;
                held |= sl.keys;
            }
        }
        v.lost = s.stored & !held;
        v
    }

    /// The view of the simulated nodes (slot i = n_i); `stored`: the
    /// keys the harness put.
    pub fn impl_view(&self, sim: &Sim<ImplNode>, stored: Keys) -> Result<View, String> {
        let n = self.nodes;
        let mut v = View {
            life: Vec::with_capacity(n),
            zones: vec![Vec::new(); n],
            nbrs: vec![0; n],
            keys: vec![0; n],
            stored,
            lost: 0,
            stale: Vec::new(),
        };
        if sim.len() > n {
            return Err(format!(
                "{} nodes in the simulator, {n} in the model",
                sim.len()
            ));
        }
        let mut current: Vec<Option<Vec<ImplZone>>> = vec![None; n];
        for (i, cur) in current.iter_mut().enumerate() {
            let life = if i >= sim.len() {
                Life::Absent
            } else {
                match sim.node(i) {
                    None => Life::Failed,
                    Some(node) => match node.status() {
                        ImplStatus::Member => Life::Live,
                        ImplStatus::Left => Life::Left,
                        other => Life::Other(format!("{other:?}")),
                    },
                }
            };
            if life == Life::Live {
                *cur = Some(sim.node(i).expect("live").reality(0).zones().to_vec());
            }
            v.life.push(life);
        }
        let mut held = 0;
        for (i, zs) in current.iter().enumerate() {
            let Some(zs) = zs else { continue };
            let node = sim.node(i).expect("live");
            let r = node.reality(0);
            let mut mz = zs
                .iter()
                .map(|z| self.zone(z))
                .collect::<Result<Vec<_>, _>>()?;
            mz.sort();
            v.zones[i] = mz;
            for (a, rec) in r.neighbors().iter() {
                let m = self.node_of(sim, a)?;
                v.nbrs[i] |= 1 << m;
                let dead = if rec.dead { " (marked dead)" } else { "" };
                match &current[m as usize] {
                    Some(theirs) if *theirs == rec.zones && rec.dead => {
                        v.stale
                            .push(format!("{} marks live {} dead", name(i as Node), name(m)))
                    }
                    Some(theirs) if *theirs == rec.zones => {}
                    Some(_) => v.stale.push(format!(
                        "{}'s record of {}{dead} has zones {} it no longer holds",
                        name(i as Node),
                        name(m),
                        self.zones_text(&rec.zones)
                    )),
                    None => {}
                }
            }
            for k in r.items().keys() {
                v.keys[i] |= 1 << self.key(k)?;
            }
            held |= v.keys[i];
        }
        v.lost = stored & !held;
        Ok(v)
    }

    fn zones_text(&self, zs: &[ImplZone]) -> String {
        zs.iter()
            .map(|z| match self.zone(z) {
                Ok(m) => self.space.zone_text(&m),
                Err(_) => format!("{z:?}"),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// A model state with this view (for the model's properties): live
    /// nodes hold the zones, neighbours and keys; failed ones nothing
    /// (taken over); nothing in flight.
    pub fn state_of(&self, v: &View) -> State {
        let mut s = State::default();
        for (i, life) in v.life.iter().enumerate() {
            let mut ns = overlay_models::can::state::NodeState {
                status: match life {
                    Life::Absent => Status::Absent,
                    Life::Live | Life::Other(_) => Status::Live,
                    Life::Failed => Status::Failed,
                    Life::Left => Status::Left,
                },
                ..Default::default()
            };
            let sl = &mut ns.r[0];
            for z in &v.zones[i] {
                sl.zones.push(*z);
            }
            sl.set_cover(&self.space);
            sl.nbrs = v.nbrs[i];
            sl.keys = v.keys[i];
            sl.claimed = life == &Life::Failed;
            s.nodes.push(ns);
        }
        s.stored = v.stored;
        s.lost[0] = v.lost;
        s
    }

    fn set_text(set: Set) -> String {
        let v: Vec<String> = (0..8).filter(|i| set & (1 << i) != 0).map(name).collect();
        format!("{{{}}}", v.join(", "))
    }

    fn keys_text(keys: Keys) -> String {
        let v: Vec<String> = (0..8)
            .filter(|i| keys & (1 << i) != 0)
            .map(|k| format!("k{k}"))
            .collect();
        format!("{{{}}}", v.join(", "))
    }

    fn owners(&self, v: &View) -> Vec<Option<Node>> {
        self.space
            .points()
            .map(|p| {
                v.zones
                    .iter()
                    .position(|zs| zs.iter().any(|z| self.space.contains(z, p)))
                    .map(|i| i as Node)
            })
            .collect()
    }
}

/// Field-by-field differences between the model's view and the
/// implementation's, in words.
pub fn diff(u: &Universe, model: &View, imp: &View) -> Vec<String> {
    let mut out = Vec::new();
    let zt = |zs: &[Zone]| {
        if zs.is_empty() {
            "none".to_string()
        } else {
            zs.iter()
                .map(|z| u.space.zone_text(z))
                .collect::<Vec<_>>()
                .join(" ")
        }
    };
    for i in 0..model.life.len().max(imp.life.len()) {
        let n = name(i as Node);
        let (ml, il) = (model.life.get(i), imp.life.get(i));
        if ml != il {
            out.push(format!("{n} status: model {ml:?}, impl {il:?}"));
        }
        if model.zones.get(i) != imp.zones.get(i) {
            out.push(format!(
                "{n} zones: model {}, impl {}",
                zt(model.zones.get(i).map_or(&[][..], |v| v)),
                zt(imp.zones.get(i).map_or(&[][..], |v| v))
            ));
        }
        if model.nbrs.get(i) != imp.nbrs.get(i) {
            out.push(format!(
                "{n} neighbours: model {}, impl {}",
                Universe::set_text(model.nbrs.get(i).copied().unwrap_or(0)),
                Universe::set_text(imp.nbrs.get(i).copied().unwrap_or(0))
            ));
        }
        if model.keys.get(i) != imp.keys.get(i) {
            out.push(format!(
                "{n} keys: model {}, impl {}",
                Universe::keys_text(model.keys.get(i).copied().unwrap_or(0)),
                Universe::keys_text(imp.keys.get(i).copied().unwrap_or(0))
            ));
        }
    }
    let (mo, io) = (u.owners(model), u.owners(imp));
    let cells: Vec<String> = u
        .space
        .points()
        .zip(mo.iter().zip(&io))
        .filter(|(_, (a, b))| a != b)
        .map(|(p, (a, b))| {
            let w = |o: &Option<Node>| o.map_or("nobody".into(), name);
            format!("{} {}/{}", u.space.point_text(p), w(a), w(b))
        })
        .collect();
    if !cells.is_empty() {
        out.push(format!("owners (model/impl): {}", cells.join(", ")));
    }
    if model.lost != imp.lost {
        out.push(format!(
            "keys lost: model {}, impl {}",
            Universe::keys_text(model.lost),
            Universe::keys_text(imp.lost)
        ));
    }
    out.extend(imp.stale.iter().cloned());
    out
}

/// The implementation's configuration for a model: the paper's timers
/// (`Config::default`), the model's dimensions, one reality.
pub fn impl_config(
    m: &CanModel,
    mutation: overlay_impls::can::Mutation,
) -> overlay_impls::can::Config {
    overlay_impls::can::Config {
        dims: m.cfg.dims,
        realities: 1,
        mutation,
        reassign_pick: overlay_impls::can::ReassignPick::LastAcquired,
        ..overlay_impls::can::Config::default()
    }
}

/// The names of the model's properties that fail on a state.
pub fn violated(m: &CanModel, s: &State) -> Vec<&'static str> {
    use stateright::Model;
    m.properties()
        .into_iter()
        .filter(|p| !(p.condition)(m, s))
        .map(|p| p.name)
        .collect()
}
