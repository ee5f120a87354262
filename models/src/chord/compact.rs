//! Chord states bit-packed for the compact engine
//! ([`crate::check::engine`]).
//!
//! The original variants take a fixed-width packing with a fast path for
//! successors ([`super::packed`]): at N=4 a state takes 6 bytes (132 as a
//! `State`, whose lists are inline). `correct` takes the variable-width
//! layout here. With N ≤ 8 identities an identity takes ⌈log2 N⌉ bits and
//! an optional one ⌈log2 (N+1)⌉ (0 = none, i+1 = n_i). Per node, in
//! identity order: the successor-list length (⌈log2 (r+1)⌉ bits), the
//! entries, the predecessor and the status (2 bits, then the node it
//! saves). Nothing else varies between states of one model, so the
//! encoding is injective; at N=6, r=3 a state takes at most 15 bytes.

use super::packed::Packing;
use super::state::{NodeState, State, Status};
use super::{ChordModel, Node, Variant};
use crate::check::compact::{bits_for, BitReader, BitWriter, Compact};

/// Field widths of one `correct` model's encoding.
struct Layout {
    nodes: usize,
    id: u32,
    opt: u32,
    len: u32,
    max_len: usize,
}

impl ChordModel {
    /// The original variants' fixed-width packing ([`super::packed`]).
    fn packing(&self) -> Option<Packing> {
        (self.cfg.variant != Variant::Correct)
            .then(|| Packing::new(self.cfg.nodes, self.cfg.variant == Variant::OriginalFixed))
    }

    fn layout(&self) -> Layout {
        let n = self.cfg.nodes;
        Layout {
            nodes: n,
            id: bits_for(n.saturating_sub(1)),
            opt: bits_for(n),
            len: bits_for(self.cfg.succ_list),
            max_len: self.cfg.succ_list,
        }
    }
}

fn put_opt(w: &mut BitWriter, x: Option<Node>, bits: u32) {
    w.put(x.map_or(0, |n| u32::from(n) + 1), bits);
}

fn get_opt(r: &mut BitReader, bits: u32) -> Option<Node> {
    match r.get(bits) {
        0 => None,
        v => Some((v - 1) as Node),
    }
}

impl Compact<State> for ChordModel {
    fn encode(&self, s: &State, out: &mut Vec<u8>) {
        if let Some(p) = self.packing() {
            return p.store(p.pack(s), out);
        }
        let l = self.layout();
        assert_eq!(s.nodes.len(), l.nodes, "a state of another scope");
        assert!(
            s.notify.is_empty(),
            "notifications belong to the original variants"
        );
        let mut w = BitWriter::new(out);
        for ns in &s.nodes {
            assert!(ns.succ.len() <= l.max_len, "successor list longer than r");
            w.put(ns.succ.len() as u32, l.len);
            for &x in &ns.succ {
                w.put(u32::from(x), l.id);
            }
            put_opt(&mut w, ns.prdc, l.opt);
            match ns.status {
                None => w.put(0, 2),
                Some(Status::Stabilizing(p)) => {
                    w.put(1, 2);
                    w.put(u32::from(p), l.id);
                }
                Some(Status::Rectifying(q)) => {
                    w.put(2, 2);
                    w.put(u32::from(q), l.id);
                }
            }
        }
        w.finish();
    }

    fn decode(&self, bytes: &[u8]) -> State {
        if let Some(p) = self.packing() {
            return p.unpack(p.load(bytes));
        }
        let l = self.layout();
        let mut r = BitReader::new(bytes);
        let nodes = (0..l.nodes)
            .map(|_| {
                let len = r.get(l.len) as usize;
                let succ = (0..len).map(|_| r.get(l.id) as Node).collect();
                let prdc = get_opt(&mut r, l.opt);
                let status = match r.get(2) {
                    0 => None,
                    1 => Some(Status::Stabilizing(r.get(l.id) as Node)),
                    _ => Some(Status::Rectifying(r.get(l.id) as Node)),
                };
                NodeState { succ, prdc, status }
            })
            .collect();
        State {
            nodes,
            notify: Default::default(),
        }
    }

    /// The original variants' fast path (successors reduced to their
    /// rotation class's representative when the search reduces), unless
    /// the search was halted (nothing is within the boundary).
    fn successors(&self, bytes: &[u8], out: &mut Vec<u8>, ends: &mut Vec<u32>) -> bool {
        let Some(p) = self.packing() else {
            return false;
        };
        if self.halt_flag().is_on() {
            return false;
        }
        let reduce = self.symmetry_flag().is_on();
        p.successors(p.load(bytes), reduce, out, ends);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::compact::assert_round_trips;
    use crate::chord::overlay::build;
    use stateright::Model;

    #[test]
    fn encoding_round_trips_and_is_injective() {
        for (variant, params, max_bytes) in [
            ("original", vec![("nodes", "4")], 6),
            ("original-fixed", vec![("nodes", "3")], 3),
            ("correct", vec![("nodes", "5"), ("succ-list", "3")], 12),
            (
                "correct",
                vec![("nodes", "4"), ("succ-list", "2"), ("ring", "2")],
                7,
            ),
        ] {
            let params: Vec<(String, String)> = params
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect();
            let m = build(variant, &params).unwrap();
            let states = crate::chord::reachable(&m, 5000);
            let states: Vec<State> = states.into_iter().collect();
            assert_round_trips(&m, &states, max_bytes, variant);
        }
    }

    #[test]
    fn the_largest_scope_fits() {
        let nodes = crate::chord::ring::MAX_NODES.to_string();
        let m = build("correct", &vec![("nodes".into(), nodes)]).unwrap();
        for s in m.init_states().iter().take(50) {
            let mut out = Vec::new();
            m.encode(s, &mut out);
            assert_eq!(&m.decode(&out), s);
        }
    }

    #[test]
    fn a_scope_beyond_the_inline_lists_is_refused() {
        let nodes = (crate::chord::ring::MAX_NODES + 1).to_string();
        let err = build("correct", &vec![("nodes".into(), nodes)])
            .err()
            .unwrap();
        assert!(err.contains("nodes must be between 1 and 8"), "{err}");
    }
}
