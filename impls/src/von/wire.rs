//! VON's messages and their binary encoding.
//!
//! Every datagram is a header and a body, big-endian throughout:
//!
//! ```text
//! version u8 (= 1) | kind u8 | from u64 | epoch u64 | seq u64 | body
//! position   = x f64 | y f64
//! address    = family u8 (4 or 6) | ip (4 or 16 bytes) | port u16
//! entry      = id u64 | address | position
//! JOIN       = joiner u64 | address | position | hops u32
//! JOIN_REPLY = hops u32 | count u16 | entry × count
//! HELLO      = position | check          MOVE = position | check
//! check      = 0 u8                                   (paper: none)
//!            | 1 u8 | seen position | knows u16 | id u64 × knows
//!                   | hints u16 | entry × hints       (hardened)
//! NOTIFY     = gone u8 (0 or 1) | [gone id u64] | count u16 | entry × count
//! LEAVE      = count u16 | entry × count   (hand-over; empty in paper)
//! QUERY      = (nothing)
//! VIEW       = status u8 | position | aoi f64 | count u16 | entry × count
//! ```
//!
//! `from` is the sender's id; `epoch` its incarnation and `seq` its
//! sequence number on the link to the receiver (1, 2, … per receiver
//! address), with which the receiver restores the sender's order over UDP
//! (VON assumes TCP's FIFO links). HELLO, MOVE, NOTIFY and LEAVE are
//! sequenced (seq ≥ 1); JOIN, JOIN_REPLY and the inspection pair QUERY /
//! VIEW go to nodes that are not (yet) on a link and carry seq 0.
//!
//! The hardened protocol's fields (the VON model's essay (`models/src/von/mod.rs`)
//! a–f): a HELLO's or MOVE's `check` tells the receiver which nodes the
//! sender lists (`knows`), where it believes the receiver is (`seen`), and
//! the nodes it believes relevant to the receiver (`hints`); a repair
//! NOTIFY names the node that is `gone`; a LEAVE hands over the nodes
//! relevant to its receiver once the leaver is gone.
//!
//! Binary rather than JSON (as CAN and Chord are): a moving node sends
//! MOVE to every neighbour on every step, so the bytes per message are a
//! figure the scale experiments report. The decoder never panics: every
//! error names the field and its byte offset. Lists are bounded
//! ([`MAX_ENTRIES`]) so that every message fits one datagram
//! ([`MAX_DATAGRAM`]); a node splits longer lists into several messages.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::geometry::{Id, Point};
use crate::runtime::{Wire, WireError};

/// The encoding's version (the first byte).
pub const VERSION: u8 = 2;
/// The largest datagram a node sends or accepts.
pub const MAX_DATAGRAM: usize = 8192;
/// The most entries in one JOIN_REPLY, NOTIFY or VIEW: with IPv6
/// addresses (43 bytes an entry) they fit [`MAX_DATAGRAM`].
pub const MAX_ENTRIES: usize = 180;
/// The most ids in a check's `knows`, and entries in its `hints`: with
/// IPv6 hints a HELLO or MOVE fits [`MAX_DATAGRAM`]. A node with a longer
/// table lists the first [`MAX_KNOWS`] ids (the receiver then notifies it
/// of some it knows: harmless), and sends the hints beyond [`MAX_HINTS`]
/// as NOTIFYs after the message.
pub const MAX_KNOWS: usize = 400;
pub const MAX_HINTS: usize = 100;
/// Header bytes: version, kind, from, epoch, seq.
pub const HEADER: usize = 26;

/// A neighbour as messages name it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Entry {
    pub id: Id,
    pub addr: SocketAddr,
    pub pos: Point,
}

/// Where a node is in its life, as a VIEW reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// Not in the overlay (yet).
    Outside,
    /// A JOIN is out, no JOIN_REPLY yet.
    Joining,
    /// In the overlay.
    Member,
    /// Sent LEAVE; answers nothing but queries.
    Left,
}

impl Status {
    fn code(self) -> u8 {
        match self {
            Status::Outside => 0,
            Status::Joining => 1,
            Status::Member => 2,
            Status::Left => 3,
        }
    }
    fn from_code(c: u8) -> Option<Status> {
        Some(match c {
            0 => Status::Outside,
            1 => Status::Joining,
            2 => Status::Member,
            3 => Status::Left,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            Status::Outside => "outside",
            Status::Joining => "joining",
            Status::Member => "member",
            Status::Left => "left",
        }
    }
}

/// What a hardened HELLO or MOVE adds to the sender's position, for the
/// receiver's exact check (v2 a–c).
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    /// Where the sender believes the receiver is: a receiver elsewhere
    /// answers with a HELLO.
    pub seen: Point,
    /// The ids in the sender's table: the receiver NOTIFYs the sender of
    /// exactly the relevant nodes missing from it.
    pub knows: Vec<Id>,
    /// The nodes relevant to the receiver in the sender's view (minus the
    /// receiver), at the positions the sender believes.
    pub hints: Vec<Entry>,
}

/// What a message says.
#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    /// "Let `joiner` (at `addr`) in at `pos`": sent to a gateway, forwarded
    /// greedily towards `pos`; `hops` forwards so far.
    Join {
        joiner: Id,
        addr: SocketAddr,
        pos: Point,
        hops: u32,
    },
    /// The acceptor itself and its entries relevant to the joiner; `hops`:
    /// the forwards the JOIN took.
    JoinReply { hops: u32, entries: Vec<Entry> },
    /// "I am at `pos`; keep me if I am relevant to you" (hardened: and
    /// check what I miss).
    Hello { pos: Point, check: Option<Check> },
    /// "I moved to `pos`" (also the heartbeat, with an unchanged `pos`).
    Move { pos: Point, check: Option<Check> },
    /// "These became relevant to you" (after a removal, hardened: "and
    /// `gone` is gone").
    Notify {
        entries: Vec<Entry>,
        gone: Option<Id>,
    },
    /// "I leave the overlay" (hardened: "and these are relevant to you
    /// without me").
    Leave { entries: Vec<Entry> },
    /// Inspection: "what do you know?" (not part of VON).
    Query,
    /// The answer to a QUERY: status, position, AOI radius, table.
    View {
        status: Status,
        pos: Point,
        aoi: f64,
        entries: Vec<Entry>,
    },
}

/// A datagram between VON nodes (or from an inspecting client).
#[derive(Clone, Debug, PartialEq)]
pub struct Msg {
    pub from: Id,
    pub epoch: u64,
    pub seq: u64,
    pub body: Body,
}

impl Body {
    pub fn kind(&self) -> Kind {
        match self {
            Body::Join { .. } => Kind::Join,
            Body::JoinReply { .. } => Kind::JoinReply,
            Body::Hello { .. } => Kind::Hello,
            Body::Move { .. } => Kind::Move,
            Body::Notify { .. } => Kind::Notify,
            Body::Leave { .. } => Kind::Leave,
            Body::Query => Kind::Query,
            Body::View { .. } => Kind::View,
        }
    }

    pub fn entries(&self) -> &[Entry] {
        match self {
            Body::JoinReply { entries, .. }
            | Body::Notify { entries, .. }
            | Body::Leave { entries }
            | Body::View { entries, .. } => entries,
            _ => &[],
        }
    }
}

/// The kinds of message, as the second byte encodes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Join = 1,
    JoinReply = 2,
    Hello = 3,
    Move = 4,
    Notify = 5,
    Leave = 6,
    Query = 7,
    View = 8,
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::Join,
        Kind::JoinReply,
        Kind::Hello,
        Kind::Move,
        Kind::Notify,
        Kind::Leave,
        Kind::Query,
        Kind::View,
    ];

    fn from_code(c: u8) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| *k as u8 == c)
    }

    /// Whether the kind travels on a FIFO link (seq ≥ 1) or outside one.
    pub fn sequenced(self) -> bool {
        matches!(self, Kind::Hello | Kind::Move | Kind::Notify | Kind::Leave)
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Join => "JOIN",
            Kind::JoinReply => "JOIN_REPLY",
            Kind::Hello => "HELLO",
            Kind::Move => "MOVE",
            Kind::Notify => "NOTIFY",
            Kind::Leave => "LEAVE",
            Kind::Query => "QUERY",
            Kind::View => "VIEW",
        }
    }
}

fn addr_len(a: &SocketAddr) -> usize {
    match a {
        SocketAddr::V4(_) => 1 + 4 + 2,
        SocketAddr::V6(_) => 1 + 16 + 2,
    }
}

fn entries_len(es: &[Entry]) -> usize {
    2 + es.iter().map(|e| 8 + addr_len(&e.addr) + 16).sum::<usize>()
}

fn check_len(c: &Option<Check>) -> usize {
    match c {
        None => 1,
        Some(c) => {
            1 + 16
                + 2
                + 8 * c.knows.len().min(MAX_KNOWS)
                + entries_len(&c.hints[..c.hints.len().min(MAX_HINTS)])
        }
    }
}

impl Msg {
    /// The length of [`Wire::encode`]'s output, without encoding (the node
    /// counts bytes of every message it sends and receives).
    pub fn encoded_len(&self) -> usize {
        HEADER
            + match &self.body {
                Body::Join { addr, .. } => 8 + addr_len(addr) + 16 + 4,
                Body::JoinReply { entries, .. } => 4 + entries_len(entries),
                Body::Notify { entries, gone } => {
                    1 + 8 * usize::from(gone.is_some()) + entries_len(entries)
                }
                Body::Hello { check, .. } | Body::Move { check, .. } => 16 + check_len(check),
                Body::Leave { entries } => entries_len(entries),
                Body::Query => 0,
                Body::View { entries, .. } => 1 + 16 + 8 + entries_len(entries),
            }
    }
}

// ------------------------------------------------------------- encoding

fn put_pos(b: &mut Vec<u8>, p: &Point) {
    b.extend_from_slice(&p.x.to_be_bytes());
    b.extend_from_slice(&p.y.to_be_bytes());
}

fn put_addr(b: &mut Vec<u8>, a: &SocketAddr) {
    match a.ip() {
        IpAddr::V4(ip) => {
            b.push(4);
            b.extend_from_slice(&ip.octets());
        }
        IpAddr::V6(ip) => {
            b.push(6);
            b.extend_from_slice(&ip.octets());
        }
    }
    b.extend_from_slice(&a.port().to_be_bytes());
}

fn put_entries(b: &mut Vec<u8>, es: &[Entry]) {
    put_entries_max(b, es, MAX_ENTRIES)
}

fn put_entries_max(b: &mut Vec<u8>, es: &[Entry], max: usize) {
    // A node never builds a longer list (it splits); a hand-made one is
    // cut here rather than written with a wrong count.
    let es = &es[..es.len().min(max)];
    b.extend_from_slice(&(es.len() as u16).to_be_bytes());
    for e in es {
        b.extend_from_slice(&e.id.to_be_bytes());
        put_addr(b, &e.addr);
        put_pos(b, &e.pos);
    }
}

fn put_check(b: &mut Vec<u8>, c: &Option<Check>) {
    let Some(c) = c else {
        b.push(0);
        return;
    };
    b.push(1);
    put_pos(b, &c.seen);
    let knows = &c.knows[..c.knows.len().min(MAX_KNOWS)];
    b.extend_from_slice(&(knows.len() as u16).to_be_bytes());
    for id in knows {
        b.extend_from_slice(&id.to_be_bytes());
    }
    put_entries_max(b, &c.hints, MAX_HINTS);
}

impl Wire for Msg {
    fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(self.encoded_len());
        b.push(VERSION);
        b.push(self.body.kind() as u8);
        b.extend_from_slice(&self.from.to_be_bytes());
        b.extend_from_slice(&self.epoch.to_be_bytes());
        b.extend_from_slice(&self.seq.to_be_bytes());
        match &self.body {
            Body::Join {
                joiner,
                addr,
                pos,
                hops,
            } => {
                b.extend_from_slice(&joiner.to_be_bytes());
                put_addr(&mut b, addr);
                put_pos(&mut b, pos);
                b.extend_from_slice(&hops.to_be_bytes());
            }
            Body::JoinReply { hops, entries } => {
                b.extend_from_slice(&hops.to_be_bytes());
                put_entries(&mut b, entries);
            }
            Body::Notify { entries, gone } => {
                match gone {
                    None => b.push(0),
                    Some(g) => {
                        b.push(1);
                        b.extend_from_slice(&g.to_be_bytes());
                    }
                }
                put_entries(&mut b, entries);
            }
            Body::Hello { pos, check } | Body::Move { pos, check } => {
                put_pos(&mut b, pos);
                put_check(&mut b, check);
            }
            Body::Leave { entries } => put_entries(&mut b, entries),
            Body::Query => {}
            Body::View {
                status,
                pos,
                aoi,
                entries,
            } => {
                b.push(status.code());
                put_pos(&mut b, pos);
                b.extend_from_slice(&aoi.to_be_bytes());
                put_entries(&mut b, entries);
            }
        }
        b
    }

    fn decode(bytes: &[u8]) -> Result<Msg, WireError> {
        Reader { b: bytes, at: 0 }.msg()
    }
}

// ------------------------------------------------------------- decoding

/// A cursor over untrusted bytes; every read names its field.
struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

fn fail(field: &str, at: usize, what: impl std::fmt::Display) -> WireError {
    WireError {
        reason: format!("{field} at byte {at}: {what}"),
    }
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self, field: &str) -> Result<[u8; N], WireError> {
        let end = self.at.checked_add(N).filter(|&e| e <= self.b.len());
        let Some(end) = end else {
            return Err(fail(
                field,
                self.at,
                format!(
                    "truncated: needs {N} bytes, {} left",
                    self.b.len().saturating_sub(self.at)
                ),
            ));
        };
        let mut out = [0u8; N];
        out.copy_from_slice(&self.b[self.at..end]);
        self.at = end;
        Ok(out)
    }
    fn u8(&mut self, f: &str) -> Result<u8, WireError> {
        Ok(self.take::<1>(f)?[0])
    }
    fn u16(&mut self, f: &str) -> Result<u16, WireError> {
        Ok(u16::from_be_bytes(self.take(f)?))
    }
    fn u32(&mut self, f: &str) -> Result<u32, WireError> {
        Ok(u32::from_be_bytes(self.take(f)?))
    }
    fn u64(&mut self, f: &str) -> Result<u64, WireError> {
        Ok(u64::from_be_bytes(self.take(f)?))
    }
    fn f64(&mut self, f: &str) -> Result<f64, WireError> {
        Ok(f64::from_be_bytes(self.take(f)?))
    }

    fn pos(&mut self, f: &str) -> Result<Point, WireError> {
        let at = self.at;
        let x = self.f64(&format!("{f}.x"))?;
        let y = self.f64(&format!("{f}.y"))?;
        Point::new(x, y).map_err(|e| fail(f, at, e))
    }

    fn addr(&mut self, f: &str) -> Result<SocketAddr, WireError> {
        let at = self.at;
        let ip = match self.u8(&format!("{f}.family"))? {
            4 => IpAddr::V4(Ipv4Addr::from(self.take::<4>(&format!("{f}.ip"))?)),
            6 => IpAddr::V6(Ipv6Addr::from(self.take::<16>(&format!("{f}.ip"))?)),
            other => {
                return Err(fail(
                    &format!("{f}.family"),
                    at,
                    format!("{other} is neither 4 nor 6"),
                ))
            }
        };
        let port_at = self.at;
        let port = self.u16(&format!("{f}.port"))?;
        if port == 0 || ip.is_unspecified() {
            return Err(fail(
                f,
                if port == 0 { port_at } else { at },
                format!(
                    "{} is no address a node can be reached at",
                    SocketAddr::new(ip, port)
                ),
            ));
        }
        Ok(SocketAddr::new(ip, port))
    }

    fn entries(&mut self) -> Result<Vec<Entry>, WireError> {
        self.entries_named("count", "entries", MAX_ENTRIES)
    }

    fn entries_named(
        &mut self,
        count: &str,
        list: &str,
        max: usize,
    ) -> Result<Vec<Entry>, WireError> {
        let at = self.at;
        let n = usize::from(self.u16(count)?);
        if n > max {
            return Err(fail(count, at, format!("{n} entries, more than {max}")));
        }
        let mut seen = BTreeSet::new();
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let id_at = self.at;
            let id = self.u64(&format!("{list}[{i}].id"))?;
            if !seen.insert(id) {
                return Err(fail(
                    &format!("{list}[{i}].id"),
                    id_at,
                    format!("id {id} listed twice"),
                ));
            }
            let addr = self.addr(&format!("{list}[{i}].addr"))?;
            let pos = self.pos(&format!("{list}[{i}].pos"))?;
            out.push(Entry { id, addr, pos });
        }
        Ok(out)
    }

    fn check(&mut self) -> Result<Option<Check>, WireError> {
        let at = self.at;
        match self.u8("check")? {
            0 => return Ok(None),
            1 => {}
            other => return Err(fail("check", at, format!("{other} is neither 0 nor 1"))),
        }
        let seen = self.pos("seen")?;
        let at = self.at;
        let n = usize::from(self.u16("knows")?);
        if n > MAX_KNOWS {
            return Err(fail("knows", at, format!("{n} ids, more than {MAX_KNOWS}")));
        }
        let mut ids = BTreeSet::new();
        let mut knows = Vec::with_capacity(n);
        for i in 0..n {
            let id_at = self.at;
            let id = self.u64(&format!("knows[{i}]"))?;
            if !ids.insert(id) {
                return Err(fail(
                    &format!("knows[{i}]"),
                    id_at,
                    format!("id {id} listed twice"),
                ));
            }
            knows.push(id);
        }
        let hints = self.entries_named("hints", "hints", MAX_HINTS)?;
        Ok(Some(Check { seen, knows, hints }))
    }

    fn msg(mut self) -> Result<Msg, WireError> {
        if self.b.len() > MAX_DATAGRAM {
            return Err(fail(
                "datagram",
                0,
                format!("{} bytes, more than {MAX_DATAGRAM}", self.b.len()),
            ));
        }
        let v = self.u8("version")?;
        if v != VERSION {
            return Err(fail("version", 0, format!("{v}, expected {VERSION}")));
        }
        let code = self.u8("kind")?;
        let kind = Kind::from_code(code)
            .ok_or_else(|| fail("kind", 1, format!("{code} is no message kind")))?;
        let from = self.u64("from")?;
        let epoch = self.u64("epoch")?;
        let seq_at = self.at;
        let seq = self.u64("seq")?;
        if kind.sequenced() != (seq != 0) {
            let why = if seq == 0 {
                format!("0 on a {}, which travels on a link (seq ≥ 1)", kind.name())
            } else {
                format!(
                    "{seq} on a {}, which travels outside links (seq 0)",
                    kind.name()
                )
            };
            return Err(fail("seq", seq_at, why));
        }
        let body = match kind {
            Kind::Join => {
                let joiner = self.u64("joiner")?;
                let addr = self.addr("addr")?;
                let pos = self.pos("pos")?;
                let hops = self.u32("hops")?;
                Body::Join {
                    joiner,
                    addr,
                    pos,
                    hops,
                }
            }
            Kind::JoinReply => Body::JoinReply {
                hops: self.u32("hops")?,
                entries: self.entries()?,
            },
            Kind::Hello => Body::Hello {
                pos: self.pos("pos")?,
                check: self.check()?,
            },
            Kind::Move => Body::Move {
                pos: self.pos("pos")?,
                check: self.check()?,
            },
            Kind::Notify => {
                let at = self.at;
                let gone = match self.u8("gone")? {
                    0 => None,
                    1 => Some(self.u64("gone.id")?),
                    other => return Err(fail("gone", at, format!("{other} is neither 0 nor 1"))),
                };
                Body::Notify {
                    entries: self.entries()?,
                    gone,
                }
            }
            Kind::Leave => Body::Leave {
                entries: self.entries()?,
            },
            Kind::Query => Body::Query,
            Kind::View => {
                let at = self.at;
                let code = self.u8("status")?;
                let status = Status::from_code(code)
                    .ok_or_else(|| fail("status", at, format!("{code} is no status")))?;
                let pos = self.pos("pos")?;
                let at = self.at;
                let aoi = self.f64("aoi")?;
                if !(aoi.is_finite() && aoi >= 0.0) {
                    return Err(fail("aoi", at, format!("{aoi} is no radius")));
                }
                Body::View {
                    status,
                    pos,
                    aoi,
                    entries: self.entries()?,
                }
            }
        };
        if self.at != self.b.len() {
            return Err(fail(
                "end",
                self.at,
                format!("{} bytes after the {}", self.b.len() - self.at, kind.name()),
            ));
        }
        Ok(Msg {
            from,
            epoch,
            seq,
            body,
        })
    }
}

#[cfg(test)]
mod tests;
