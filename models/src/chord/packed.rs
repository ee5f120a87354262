//! The original variants' states as one machine word, and their successors
//! computed on that word: the compact engine's fast path
//! ([`crate::check::compact::Compact::successors`]).
//!
//! Per node, in identity order, four fields of `w` = ⌈log2 (N+1)⌉ bits
//! each, 0 for none and k+1 for n_k: succ, succ2, prdc, and the node the
//! node's pending notification goes to. With N ≤ 8 that is at most
//! 4·4·8 = 128 bits; at N=4, 48 bits (6 bytes). Every field has a fixed
//! place, so an event rewrites the one to three fields it changes and the
//! successor's encoding is the parent's word with those fields replaced:
//! no [`State`] is built, copied or encoded on the way. That took a
//! one-thread search of `original-fixed` N=4 from 0.81 to 1.56–1.60 M states/s
//! (README, "The checking engine").
//!
//! Rotations of the ring work on words too ([`Packing::rotate`]), and the
//! least rotated word is the original variants' rotation representative
//! everywhere ([`super::symmetry::canonical`]), so `--symmetry` takes the
//! fast path as well.
//!
//! [`Packing::successors`] restates [`super::original::check`] and
//! [`super::original::apply`] on fields, and [`super::original::candidates`]'
//! order; the tests below compare it with them, reduced and not, on every
//! reachable state of both variants at N=3 and on thousands at N=4 and 5.

use super::ring::{between, Node, MAX_NODES};
use super::state::{NodeState, PerNode, State, SuccList};
use crate::check::compact::bits_for;

const SUCC: usize = 0;
const SUCC2: usize = 1;
const PRDC: usize = 2;
const NOTIFY: usize = 3;
const FIELDS: usize = 4;

/// Field widths of one original model's packing.
#[derive(Clone, Copy)]
pub(super) struct Packing {
    nodes: usize,
    width: u32,
    bytes: usize,
    fixed: bool,
}

impl Packing {
    pub(super) fn new(nodes: usize, fixed: bool) -> Packing {
        assert!(nodes <= MAX_NODES, "at most {MAX_NODES} nodes");
        let width = bits_for(nodes);
        Packing {
            nodes,
            width,
            bytes: (FIELDS * nodes * width as usize).div_ceil(8),
            fixed,
        }
    }

    fn offset(&self, node: usize, field: usize) -> u32 {
        (node * FIELDS + field) as u32 * self.width
    }

    fn get(&self, word: u128, node: usize, field: usize) -> u8 {
        ((word >> self.offset(node, field)) & ((1 << self.width) - 1)) as u8
    }

    fn set(&self, word: u128, node: usize, field: usize, value: u8) -> u128 {
        let at = self.offset(node, field);
        let mask = ((1u128 << self.width) - 1) << at;
        (word & !mask) | (u128::from(value) << at)
    }

    pub(super) fn pack(&self, s: &State) -> u128 {
        assert_eq!(s.nodes.len(), self.nodes, "a state of another scope");
        assert_eq!(s.notify.len(), self.nodes, "an original state");
        let opt = |x: Option<Node>| x.map_or(0, |n| n + 1);
        let mut word = 0;
        for (i, ns) in s.nodes.iter().enumerate() {
            assert!(ns.succ.len() <= 2, "succ and succ2 only");
            assert!(ns.status.is_none(), "statuses belong to `correct`");
            word = self.set(word, i, SUCC, opt(ns.succ1()));
            word = self.set(word, i, SUCC2, opt(ns.succ2()));
            word = self.set(word, i, PRDC, opt(ns.prdc));
            word = self.set(word, i, NOTIFY, opt(s.notify[i]));
        }
        word
    }

    pub(super) fn unpack(&self, word: u128) -> State {
        let opt = |v: u8| v.checked_sub(1);
        let nodes: PerNode<NodeState> = (0..self.nodes)
            .map(|i| NodeState {
                succ: [SUCC, SUCC2]
                    .into_iter()
                    .map_while(|f| opt(self.get(word, i, f)))
                    .collect::<SuccList>(),
                prdc: opt(self.get(word, i, PRDC)),
                status: None,
            })
            .collect();
        let notify = (0..self.nodes)
            .map(|i| opt(self.get(word, i, NOTIFY)))
            .collect();
        State { nodes, notify }
    }

    pub(super) fn load(&self, bytes: &[u8]) -> u128 {
        let mut buf = [0u8; 16];
        buf[..bytes.len()].copy_from_slice(bytes);
        u128::from_le_bytes(buf)
    }

    pub(super) fn store(&self, word: u128, out: &mut Vec<u8>) {
        out.extend_from_slice(&word.to_le_bytes()[..self.bytes]);
    }

    /// `word` with every identity i renamed to (i + k) mod N: node i's
    /// fields move to node (i + k) mod N, and every identity they hold
    /// is renamed.
    pub(super) fn rotate(&self, word: u128, k: usize) -> u128 {
        let n = self.nodes;
        let mut rename = [0u8; MAX_NODES + 1];
        for (v, r) in rename.iter_mut().enumerate().take(n + 1).skip(1) {
            *r = ((v - 1 + k) % n) as u8 + 1;
        }
        let mut out = 0;
        for i in 0..n {
            let to = (i + k) % n;
            for f in 0..FIELDS {
                let v = rename[usize::from(self.get(word, i, f))];
                out |= u128::from(v) << self.offset(to, f);
            }
        }
        out
    }

    /// The least of the N rotations of `word`, as numbers: the rotation
    /// class's representative for the original variants
    /// ([`super::symmetry::canonical`]).
    pub(super) fn canonical(&self, word: u128) -> u128 {
        (1..self.nodes).fold(word, |best, k| best.min(self.rotate(word, k)))
    }

    /// Appends the successors of `word` in the order of
    /// [`super::original::candidates`] filtered by
    /// [`super::original::check`], pushing each one's end to `ends`;
    /// with `reduce`, each successor's rotation class representative.
    pub(super) fn successors(
        &self,
        word: u128,
        reduce: bool,
        out: &mut Vec<u8>,
        ends: &mut Vec<u32>,
    ) {
        let n = self.nodes;
        let mut f = [[0u8; FIELDS]; MAX_NODES];
        for (i, fields) in f.iter_mut().enumerate().take(n) {
            for (k, v) in fields.iter_mut().enumerate() {
                *v = self.get(word, i, k);
            }
        }
        // Identities as fields hold them: k+1 for n_k.
        let member = |v: u8| v != 0 && f[usize::from(v - 1)][SUCC] != 0;
        let mut emit = |w: u128| {
            self.store(if reduce { self.canonical(w) } else { w }, out);
            ends.push(out.len() as u32);
        };
        for j in 0..n {
            if f[j][SUCC] != 0 {
                continue; // a member cannot join
            }
            for (m, fm) in f.iter().enumerate().take(n) {
                let ms = fm[SUCC];
                if ms == 0 || !between(m as Node, j as Node, ms - 1) {
                    continue;
                }
                if self.fixed && !member(ms) {
                    continue;
                }
                emit(self.set(self.set(word, j, SUCC, ms), j, SUCC2, 0));
            }
        }
        for x in 0..n {
            let succ = f[x][SUCC];
            if succ == 0 || !member(succ) || f[x][NOTIFY] != 0 {
                continue;
            }
            let mut new = succ;
            let p = f[usize::from(succ - 1)][PRDC];
            if p != 0 && between(x as Node, p - 1, succ - 1) && (!self.fixed || member(p)) {
                new = p;
            }
            emit(self.set(self.set(word, x, SUCC, new), x, NOTIFY, new));
        }
        for from in 0..n {
            let to = f[from][NOTIFY];
            if to == 0 {
                continue;
            }
            let t = usize::from(to - 1);
            let mut w = self.set(word, from, NOTIFY, 0);
            let q = f[t][PRDC];
            if f[t][SUCC] != 0 && (q == 0 || between(q - 1, from as Node, t as Node)) {
                w = self.set(w, t, PRDC, from as u8 + 1);
            }
            emit(w);
        }
        for x in 0..n {
            let [succ, succ2, prdc, _] = f[x];
            if succ == 0 {
                continue;
            }
            let me = x as u8 + 1;
            // Fail: nobody may be left without a live successor.
            let strands = (0..n).any(|m| {
                let [s1, s2, ..] = f[m];
                s1 != 0 && ((s1 == me && !member(s2)) || (s2 == me && !member(s1)))
            });
            if !strands && succ != succ2 {
                let w = self.set(self.set(word, x, SUCC, 0), x, SUCC2, 0);
                emit(self.set(w, x, PRDC, 0));
            }
            // Flush: a dead predecessor.
            if prdc != 0 && !member(prdc) {
                emit(self.set(word, x, PRDC, 0));
            }
            // Update: a dead succ, replaced by succ2.
            if !member(succ) && succ2 != 0 {
                emit(self.set(self.set(word, x, SUCC, succ2), x, SUCC2, 0));
            }
            // Reconcile: succ2 from a live successor's succ.
            if member(succ) {
                let new2 = f[usize::from(succ - 1)][SUCC];
                if new2 != succ2 && !(new2 == succ && succ != me) {
                    emit(self.set(word, x, SUCC2, new2));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::compact::Compact;
    use crate::chord::overlay::build;
    use stateright::Model;

    /// The fast path agrees with decode → actions → next_state → encode,
    /// successor for successor, on every state reached, with and without
    /// reduction by rotation.
    fn agrees(variant: &str, nodes: usize, limit: usize) -> usize {
        let m = build(variant, &vec![("nodes".into(), nodes.to_string())]).unwrap();
        let states = crate::chord::reachable(&m, limit);
        let (mut fast, mut ends) = (Vec::new(), Vec::new());
        let mut actions = Vec::new();
        for (k, s) in states.iter().enumerate() {
            // Every fifth state reduced: next_state then canonicalises.
            m.symmetry_flag().set(k % 5 == 0);
            let mut enc = Vec::new();
            m.encode(s, &mut enc);
            fast.clear();
            ends.clear();
            assert!(m.successors(&enc, &mut fast, &mut ends));
            actions.clear();
            m.actions(s, &mut actions);
            assert_eq!(ends.len(), actions.len(), "{variant}: {s:?}");
            let mut begin = 0;
            for (a, &end) in actions.iter().zip(&ends) {
                let mut slow = Vec::new();
                m.encode(&m.next_state(s, *a).unwrap(), &mut slow);
                assert_eq!(&fast[begin..end as usize], slow, "{variant}: {a} in {s:?}");
                begin = end as usize;
            }
        }
        states.len()
    }

    #[test]
    fn successors_agree_with_the_model_on_every_state_at_n3() {
        assert_eq!(agrees("original", 3, usize::MAX), 255_506);
        assert_eq!(agrees("original-fixed", 3, usize::MAX), 239_563);
    }

    #[test]
    fn successors_agree_with_the_model_at_n4_and_n5() {
        for variant in ["original", "original-fixed"] {
            assert_eq!(agrees(variant, 4, 20_000), 20_000);
            assert_eq!(agrees(variant, 5, 5_000), 5_000);
        }
    }

    #[test]
    fn the_fast_path_is_taken_only_where_it_agrees() {
        let params = |n: &str| vec![("nodes".to_string(), n.to_string())];
        let (mut out, mut ends) = (Vec::new(), Vec::new());
        let m = build("original-fixed", &params("4")).unwrap();
        let mut enc = Vec::new();
        m.encode(&m.init_states()[0], &mut enc);
        assert!(m.successors(&enc, &mut out, &mut ends));
        // n0 alone: n1, n2 and n3 may join through it, or it stabilizes,
        // or reconciles (succ2 := n0).
        assert_eq!(ends.len(), 5);
        // Halted: the engine's general path (nothing is generated).
        m.halt_flag().set(true);
        assert!(!m.successors(&enc, &mut out, &mut ends));
        let c = build("correct", &params("4")).unwrap();
        enc.clear();
        c.encode(&c.init_states()[0], &mut enc);
        assert!(!c.successors(&enc, &mut out, &mut ends));
        assert_eq!(ends.len(), 5, "declining writes nothing");
    }

    #[test]
    fn rotating_words_rotates_states() {
        let m = build("original", &vec![("nodes".into(), "4".into())]).unwrap();
        let p = Packing::new(4, false);
        for s in crate::chord::reachable(&m, 3000) {
            for k in 0..4 {
                let t = crate::chord::symmetry::rotate(&s, k);
                assert_eq!(p.rotate(p.pack(&s), k), p.pack(&t));
                let c = crate::chord::symmetry::canonical(&t);
                assert_eq!(c, crate::chord::symmetry::canonical(&s), "one per class");
            }
        }
    }

    #[test]
    fn eight_nodes_fill_the_word() {
        let p = Packing::new(8, false);
        assert_eq!(p.bytes, 16);
        let m = build("original", &vec![("nodes".into(), "8".into())]).unwrap();
        let states = crate::chord::reachable(&m, 500);
        for s in &states {
            assert_eq!(&p.unpack(p.pack(s)), s);
        }
    }
}
