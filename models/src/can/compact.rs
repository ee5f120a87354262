//! The CAN state as bytes, for fingerprints, the compact engine's
//! frontier and the Repairable memo: one byte per field, zones as their
//! `lo`/`len` bytes. Not bit-packed (the CAN spaces are small enough that
//! hashing, not memory, dominates), but injective and decodable.

use super::grid::{Zone, MAX_DIMS};
use super::state::{NodeState, Outcome, Route, State, Status, MAX_REALITIES};
use super::CanModel;
use crate::check::compact::Compact;

fn status_byte(s: Status) -> u8 {
    match s {
        Status::Absent => 0,
        Status::Live => 1,
        Status::Failed => 2,
        Status::Left => 3,
    }
}

fn status_of(b: u8) -> Status {
    match b {
        1 => Status::Live,
        2 => Status::Failed,
        3 => Status::Left,
        _ => Status::Absent,
    }
}

struct Reader<'a>(&'a [u8], usize);

impl Reader<'_> {
    fn byte(&mut self) -> u8 {
        let b = self.0[self.1];
        self.1 += 1;
        b
    }
    fn point(&mut self) -> [u8; MAX_DIMS] {
        [self.byte(), self.byte(), self.byte()]
    }
}

impl Compact<State> for CanModel {
    fn encode(&self, s: &State, out: &mut Vec<u8>) {
        let realities = self.cfg.realities;
        for n in s.nodes.iter() {
            out.push(status_byte(n.status));
            for sl in &n.r[..realities] {
                out.push(sl.zones.len() as u8);
                for z in sl.zones.iter() {
                    out.extend_from_slice(&z.lo);
                    out.extend_from_slice(&z.len);
                }
                out.extend_from_slice(&[sl.nbrs, sl.keys, sl.pending, sl.claimed as u8]);
            }
        }
        out.push(s.stored);
        out.extend_from_slice(&s.lost[..realities]);
        out.push(s.probes);
        match s.route {
            None => out.push(0),
            Some(rt) => {
                out.extend_from_slice(&[1, rt.reality, rt.from, rt.at]);
                out.extend_from_slice(&rt.point);
                out.extend_from_slice(&[rt.hops, rt.visited, rt.calm as u8]);
            }
        }
        match s.outcome {
            None => out.push(0),
            Some(Outcome::Delivered { hops, calm }) => {
                out.extend_from_slice(&[1, hops, calm as u8])
            }
            Some(Outcome::Looped { calm }) => out.extend_from_slice(&[2, calm as u8]),
            Some(Outcome::Stuck { at, calm }) => out.extend_from_slice(&[3, at, calm as u8]),
            Some(Outcome::Lost) => out.push(4),
            Some(Outcome::Got {
                key,
                reality,
                found,
            }) => out.extend_from_slice(&[5, key, reality, found as u8]),
        }
    }

    fn decode(&self, bytes: &[u8]) -> State {
        let realities = self.cfg.realities;
        let mut rd = Reader(bytes, 0);
        let mut s = State::default();
        for _ in 0..self.cfg.nodes {
            let mut n = NodeState {
                status: status_of(rd.byte()),
                ..Default::default()
            };
            for sl in n.r[..realities].iter_mut() {
                let count = rd.byte();
                for _ in 0..count {
                    let lo = rd.point();
                    let len = rd.point();
                    sl.zones.push(Zone { lo, len });
                }
                sl.nbrs = rd.byte();
                sl.keys = rd.byte();
                sl.pending = rd.byte();
                sl.claimed = rd.byte() != 0;
                sl.set_cover(&self.rules().space);
            }
            s.nodes.push(n);
        }
        s.stored = rd.byte();
        let mut lost = [0; MAX_REALITIES];
        for l in lost[..realities].iter_mut() {
            *l = rd.byte();
        }
        s.lost = lost;
        s.probes = rd.byte();
        if rd.byte() == 1 {
            s.route = Some(Route {
                reality: rd.byte(),
                from: rd.byte(),
                at: rd.byte(),
                point: rd.point(),
                hops: rd.byte(),
                visited: rd.byte(),
                calm: rd.byte() != 0,
            });
        }
        s.outcome = match rd.byte() {
            1 => Some(Outcome::Delivered {
                hops: rd.byte(),
                calm: rd.byte() != 0,
            }),
            2 => Some(Outcome::Looped {
                calm: rd.byte() != 0,
            }),
            3 => Some(Outcome::Stuck {
                at: rd.byte(),
                calm: rd.byte() != 0,
            }),
            4 => Some(Outcome::Lost),
            5 => Some(Outcome::Got {
                key: rd.byte(),
                reality: rd.byte(),
                found: rd.byte() != 0,
            }),
            _ => None,
        };
        s
    }
}
