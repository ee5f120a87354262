//! Kademlia states bit-packed for the compact engine
//! ([`crate::check::engine`]).
//!
//! With N nodes an id of a node takes ⌈log2 N⌉ bits, an optional one
//! ⌈log2 (N+1)⌉ (0 = none), a target `bits` bits, a set N bits. Per node:
//! its status (2 bits) and, when live, per bucket the entry count, the
//! entries, the cache count, the cached contacts and the pinged entry,
//! then the value bit. Absent and failed nodes hold nothing (the model
//! clears a node that fails). Then the lookup (a presence bit, origin,
//! target, purpose, phase, the four sets, the best node, the round count,
//! the clean bit), the outcome (likewise), the key, `stored_at`, the ghost
//! bit and the observed pairs. Nothing else varies between states of one
//! model, so the encoding is injective.

use super::id::Node;
use super::state::{
    pair_bit, pairs, Bucket, Lookup, NodeState, Outcome, Phase, Purpose, State, Status,
};
use super::KademliaModel;
use crate::check::compact::{bits_for, BitReader, BitWriter, Compact};

struct Layout {
    nodes: usize,
    buckets: usize,
    id: u32,
    opt: u32,
    target: u32,
    len: u32,
    cache: u32,
    rounds: u32,
    /// The count of observed pairs (at most N·N).
    pairs: u32,
}

impl KademliaModel {
    fn layout(&self) -> Layout {
        let n = self.cfg.nodes;
        Layout {
            nodes: n,
            buckets: self.cfg.bits,
            id: bits_for(n.saturating_sub(1)),
            opt: bits_for(n),
            target: self.cfg.bits as u32,
            len: bits_for(self.cfg.k),
            cache: bits_for(self.cfg.cache),
            rounds: bits_for(n),
            pairs: bits_for(n * n),
        }
    }
}

fn put_opt(w: &mut BitWriter, x: Option<u8>, bits: u32) {
    w.put(x.map_or(0, |n| u32::from(n) + 1), bits);
}

fn get_opt(r: &mut BitReader, bits: u32) -> Option<u8> {
    match r.get(bits) {
        0 => None,
        v => Some((v - 1) as u8),
    }
}

fn purpose_code(p: Purpose) -> u32 {
    match p {
        Purpose::Join => 0,
        Purpose::Find => 1,
        Purpose::Store => 2,
        Purpose::Get => 3,
    }
}

fn purpose(code: u32) -> Purpose {
    [Purpose::Join, Purpose::Find, Purpose::Store, Purpose::Get][code as usize]
}

impl Compact<State> for KademliaModel {
    fn encode(&self, s: &State, out: &mut Vec<u8>) {
        let l = self.layout();
        assert_eq!(s.nodes.len(), l.nodes, "a state of another scope");
        let n = l.nodes as u32;
        let mut w = BitWriter::new(out);
        for ns in &s.nodes {
            match ns.status {
                Status::Absent => w.put(0, 2),
                Status::Failed => w.put(1, 2),
                Status::Live => w.put(2, 2),
            }
            if ns.status != Status::Live {
                assert_eq!(
                    *ns,
                    NodeState {
                        status: ns.status,
                        ..NodeState::default()
                    }
                );
                continue;
            }
            assert_eq!(ns.buckets.len(), l.buckets, "a bucket per prefix length");
            for b in &ns.buckets {
                w.put(b.entries.len() as u32, l.len);
                for &x in &b.entries {
                    w.put(u32::from(x), l.id);
                }
                w.put(b.cache.len() as u32, l.cache);
                for &x in &b.cache {
                    w.put(u32::from(x), l.id);
                }
                put_opt(&mut w, b.ping, l.opt);
            }
            w.put(u32::from(ns.value), 1);
        }
        w.put(u32::from(s.lookup.is_some()), 1);
        if let Some(lk) = &s.lookup {
            w.put(u32::from(lk.origin), l.id);
            w.put(u32::from(lk.target), l.target);
            w.put(purpose_code(lk.purpose), 2);
            w.put(u32::from(lk.phase == Phase::Final), 1);
            for set in [lk.seen, lk.queried, lk.answered, lk.timed_out] {
                w.put(u32::from(set), n);
            }
            put_opt(&mut w, lk.best, l.opt);
            w.put(u32::from(lk.rounds), l.rounds);
            w.put(u32::from(lk.clean), 1);
        }
        w.put(u32::from(s.outcome.is_some()), 1);
        if let Some(o) = &s.outcome {
            w.put(u32::from(o.origin), l.id);
            w.put(u32::from(o.target), l.target);
            w.put(purpose_code(o.purpose), 2);
            w.put(u32::from(o.result), n);
            w.put(u32::from(o.clean), 1);
            w.put(u32::from(o.found), 1);
        }
        w.put(u32::from(s.key.is_some()), 1);
        if let Some(k) = s.key {
            w.put(u32::from(k), l.target);
        }
        w.put(u32::from(s.stored_at), n);
        w.put(u32::from(s.evicted_live), 1);
        // At most N·(N−1) pairs; each as a count then the pairs.
        let observed: Vec<(Node, Node)> = pairs(s.observed).collect();
        w.put(observed.len() as u32, l.pairs);
        for (x, y) in observed {
            w.put(u32::from(x), l.id);
            w.put(u32::from(y), l.id);
        }
        w.finish();
    }

    fn decode(&self, bytes: &[u8]) -> State {
        let l = self.layout();
        let n = l.nodes as u32;
        let mut r = BitReader::new(bytes);
        let mut s = State::default();
        for _ in 0..l.nodes {
            let status = match r.get(2) {
                0 => Status::Absent,
                1 => Status::Failed,
                _ => Status::Live,
            };
            let mut ns = NodeState {
                status,
                ..NodeState::default()
            };
            if status == Status::Live {
                for _ in 0..l.buckets {
                    let mut b = Bucket::default();
                    for _ in 0..r.get(l.len) {
                        b.entries.push(r.get(l.id) as u8);
                    }
                    for _ in 0..r.get(l.cache) {
                        b.cache.push(r.get(l.id) as u8);
                    }
                    b.ping = get_opt(&mut r, l.opt);
                    ns.buckets.push(b);
                }
                ns.value = r.get(1) == 1;
            }
            s.nodes.push(ns);
        }
        if r.get(1) == 1 {
            let origin = r.get(l.id) as u8;
            let target = r.get(l.target) as u8;
            let purpose = purpose(r.get(2));
            let phase = if r.get(1) == 1 {
                Phase::Final
            } else {
                Phase::Alpha
            };
            let mut sets = [0u8; 4];
            for x in &mut sets {
                *x = r.get(n) as u8;
            }
            s.lookup = Some(Lookup {
                origin,
                target,
                purpose,
                phase,
                seen: sets[0],
                queried: sets[1],
                answered: sets[2],
                timed_out: sets[3],
                best: get_opt(&mut r, l.opt),
                rounds: r.get(l.rounds) as u8,
                clean: r.get(1) == 1,
            });
        }
        if r.get(1) == 1 {
            s.outcome = Some(Outcome {
                origin: r.get(l.id) as u8,
                target: r.get(l.target) as u8,
                purpose: purpose(r.get(2)),
                result: r.get(n) as u8,
                clean: r.get(1) == 1,
                found: r.get(1) == 1,
            });
        }
        if r.get(1) == 1 {
            s.key = Some(r.get(l.target) as u8);
        }
        s.stored_at = r.get(n) as u8;
        s.evicted_live = r.get(1) == 1;
        for _ in 0..r.get(l.pairs) {
            let x = r.get(l.id) as u8;
            let y = r.get(l.id) as u8;
            s.observed |= pair_bit(x, y);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::compact::assert_round_trips;
    use crate::kademlia::overlay::build;

    #[test]
    fn encoding_round_trips_and_is_injective() {
        for (variant, params, max_bytes) in [
            ("correct", vec![], 16),
            ("evict-without-ping", vec![], 16),
            ("alpha-termination", vec![("alpha", "2")], 16),
            (
                "correct",
                vec![("bits", "3"), ("nodes", "5"), ("k", "3"), ("cache", "2")],
                40,
            ),
        ] {
            let params: Vec<(String, String)> = params
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect();
            let m = build(variant, &params).unwrap();
            let states = crate::kademlia::reachable(&m, 5000);
            let states: Vec<State> = states.into_iter().collect();
            assert_round_trips(&m, &states, max_bytes, variant);
        }
    }
}
