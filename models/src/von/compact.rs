//! The VON state as bytes, for fingerprints, the compact engine's frontier
//! and the Repairable memo: a cell is one byte (x·16 + y), a node set one
//! byte, and only the cells of listed nodes are written. Injective and
//! decodable.

use super::geometry::Pos;
use super::state::{Kind, Msg, NodeState, State, Status};
use super::VonModel;
use crate::check::compact::Compact;
use crate::nodeset::elems;

fn cell(p: Pos) -> u8 {
    (p.x << 4) | p.y
}

fn pos(b: u8) -> Pos {
    Pos::new(b >> 4, b & 15)
}

const STATUS: [Status; 5] = [
    Status::Absent,
    Status::Joining,
    Status::In,
    Status::Failed,
    Status::Left,
];

struct Reader<'a>(&'a [u8], usize);

impl Reader<'_> {
    fn byte(&mut self) -> u8 {
        let b = self.0[self.1];
        self.1 += 1;
        b
    }
}

impl Compact<State> for VonModel {
    fn encode(&self, s: &State, out: &mut Vec<u8>) {
        for x in s.nodes.iter() {
            let st = STATUS.iter().position(|&t| t == x.status).unwrap_or(0) as u8;
            out.extend_from_slice(&[st, cell(x.pos), x.known, x.gone]);
            out.extend(elems(x.known).map(|z| cell(x.view[z as usize])));
        }
        out.push(s.msgs.len() as u8);
        for m in s.msgs.iter() {
            let kind = Kind::ALL.iter().position(|&k| k == m.kind).unwrap_or(0) as u8;
            out.extend_from_slice(&[
                kind,
                (m.src << 4) | m.dst,
                (m.joiner << 4) | m.hops,
                cell(m.pos),
                m.entries,
                m.knows,
                cell(m.seen),
                m.gone.map_or(0xff, |g| g),
            ]);
            out.extend(elems(m.entries).map(|z| cell(m.cells[z as usize])));
        }
        out.extend_from_slice(&[s.moves, s.failures, s.leaves, s.join_missed as u8]);
    }

    fn decode(&self, bytes: &[u8]) -> State {
        let mut rd = Reader(bytes, 0);
        let mut s = State::default();
        for _ in 0..self.cfg.nodes {
            let mut x = NodeState {
                status: STATUS[rd.byte() as usize],
                pos: pos(rd.byte()),
                ..NodeState::default()
            };
            let known = rd.byte();
            x.gone = rd.byte();
            for z in elems(known) {
                x.learn(z, pos(rd.byte()));
            }
            s.nodes.push(x);
        }
        for _ in 0..rd.byte() {
            let kind = Kind::ALL[rd.byte() as usize];
            let link = rd.byte();
            let join = rd.byte();
            let mut m = Msg::new(kind, link >> 4, link & 15);
            m.joiner = join >> 4;
            m.hops = join & 15;
            m.pos = pos(rd.byte());
            m.entries = rd.byte();
            m.knows = rd.byte();
            m.seen = pos(rd.byte());
            m.gone = Some(rd.byte()).filter(|&g| g != 0xff);
            for z in elems(m.entries) {
                m.cells[z as usize] = pos(rd.byte());
            }
            s.msgs.push(m);
        }
        s.moves = rd.byte();
        s.failures = rd.byte();
        s.leaves = rd.byte();
        s.join_missed = rd.byte() != 0;
        s
    }
}
