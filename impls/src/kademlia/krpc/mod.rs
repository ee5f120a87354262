//! KRPC, the wire format of BitTorrent's Mainline DHT (BEP 5), with the
//! BEP 44 `get`/`put` queries: one bencoded dictionary per UDP datagram.
//!
//! Sans-IO: [`encode`] turns a [`Message`] into bytes, [`decode`] turns
//! untrusted bytes into a [`Message`] or a [`KrpcError`] that names what is
//! wrong and where, and tells ([`KrpcError::error_code`]) which KRPC error
//! to answer with, or that the datagram is to be dropped.
//!
//! Bencode is parsed by the `bt_bencode` crate (0.8), into its generic
//! `Value`, whose dictionaries are `BTreeMap`s keyed by raw bytes (so
//! iteration is deterministic). Of the candidates (`bendy` 0.6,
//! `serde_bencode` 0.2, `bt_bencode` 0.8) it has our licence (MIT OR
//! Apache-2.0; `bendy` is BSD-3-Clause), no `unsafe` code, errors that carry
//! the byte offset, and a `from_slice` that rejects trailing data. It has no
//! nesting limit, so [`decode`] checks the depth itself before parsing
//! ([`MAX_DEPTH`]). Decoding then goes field by field over that `Value`
//! rather than through serde derives, so that every error can name the key
//! (`a.id`, `r.nodes`, …) and the transaction id is known even when the rest
//! of the message is broken. A received BEP 44 `v` is re-encoded from the
//! `Value`, hence canonical (its keys sorted) whatever the sender wrote.
//!
//! Encoding is done by a dozen lines here (`Bencode`) instead of the crate's
//! serializer, because a `v` is carried as raw bencoded bytes and must be
//! spliced in verbatim; dictionary keys come out sorted as raw byte strings,
//! as BEP 3 requires, so the output is canonical.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddrV4};

use bt_bencode::value::Number;
use bt_bencode::{ByteString, Value};

/// Largest datagram accepted: an Ethernet MTU. Larger ones are dropped.
pub const MAX_DATAGRAM: usize = 1500;
/// Deepest nesting of lists and dictionaries accepted (a KRPC message needs
/// 3, plus whatever a BEP 44 value holds); checked before parsing so that a
/// hostile `llll…` cannot exhaust the stack of a recursive parser.
pub const MAX_DEPTH: usize = 32;
/// BEP 44: the bencoded `v` of an item is at most 1000 bytes.
pub const MAX_VALUE: usize = 1000;
/// BEP 44: a salt is at most 64 bytes.
pub const MAX_SALT: usize = 64;

/// KRPC error codes (BEP 5, and BEP 44's additions).
pub const GENERIC_ERROR: i64 = 201;
pub const SERVER_ERROR: i64 = 202;
pub const PROTOCOL_ERROR: i64 = 203;
pub const METHOD_UNKNOWN: i64 = 204;
pub const VALUE_TOO_BIG: i64 = 205;
pub const SALT_TOO_BIG: i64 = 207;

/// A 160-bit node id, info-hash or BEP 44 target.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub [u8; 20]);

impl fmt::Debug for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// One entry of a `nodes` string: 20-byte id, IPv4 address, port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CompactNode {
    pub id: NodeId,
    pub addr: SocketAddrV4,
}

/// One KRPC datagram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// `t`: the transaction id, echoed in the answer.
    pub transaction: Vec<u8>,
    /// `v`: the client version, if the sender gave one.
    pub version: Option<Vec<u8>>,
    pub body: Body,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    /// `y` = `q`.
    Query(Query),
    /// `y` = `r`.
    Response(Response),
    /// `y` = `e`: `e` = `[code, message]`.
    Error { code: i64, message: String },
}

/// The queries of BEP 5 and BEP 44; `id` is the querying node's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Query {
    Ping {
        id: NodeId,
    },
    FindNode {
        id: NodeId,
        target: NodeId,
    },
    GetPeers {
        id: NodeId,
        info_hash: NodeId,
    },
    AnnouncePeer {
        id: NodeId,
        info_hash: NodeId,
        port: u16,
        token: Vec<u8>,
        implied_port: bool,
    },
    /// BEP 44 `get`; `seq`: only send the item if newer than this.
    Get {
        id: NodeId,
        target: NodeId,
        seq: Option<i64>,
    },
    /// BEP 44 `put`. `value` is the bencoded `v`, as bytes; an immutable
    /// item has no `k`/`sig`/`seq` (that a mutable one has all three is the
    /// node's check, not the codec's).
    Put {
        id: NodeId,
        token: Vec<u8>,
        value: Vec<u8>,
        key: Option<[u8; 32]>,
        sig: Option<[u8; 64]>,
        seq: Option<i64>,
        salt: Option<Vec<u8>>,
        cas: Option<i64>,
    },
}

impl Query {
    /// The `q` string.
    pub fn method(&self) -> &'static str {
        match self {
            Query::Ping { .. } => "ping",
            Query::FindNode { .. } => "find_node",
            Query::GetPeers { .. } => "get_peers",
            Query::AnnouncePeer { .. } => "announce_peer",
            Query::Get { .. } => "get",
            Query::Put { .. } => "put",
        }
    }
}

/// Any response. A response does not say which query it answers (the
/// transaction id does, to the node that sent it), so every response is
/// decoded into this one shape; absent keys are `None`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub id: NodeId,
    /// `nodes`: compact node info, 26 bytes each.
    pub nodes: Option<Vec<CompactNode>>,
    /// `values`: compact peers, 6 bytes each.
    pub values: Option<Vec<SocketAddrV4>>,
    pub token: Option<Vec<u8>>,
    /// BEP 44 `v`, as bencoded bytes.
    pub value: Option<Vec<u8>>,
    /// BEP 44 `k`.
    pub key: Option<[u8; 32]>,
    /// BEP 44 `sig`.
    pub sig: Option<[u8; 64]>,
    /// BEP 44 `seq`.
    pub seq: Option<i64>,
}

impl Response {
    /// A response carrying only `id` (the answer to `ping`, `announce_peer`
    /// and `put`).
    pub fn id_only(id: NodeId) -> Response {
        Response {
            id,
            nodes: None,
            values: None,
            token: None,
            value: None,
            key: None,
            sig: None,
            seq: None,
        }
    }
}

/// What is wrong with a datagram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    Oversized {
        len: usize,
    },
    TooDeep,
    Bencode {
        reason: String,
    },
    NotADict {
        found: &'static str,
    },
    Missing {
        field: String,
    },
    WrongType {
        field: String,
        expected: &'static str,
        found: &'static str,
    },
    WrongLength {
        field: String,
        len: usize,
        expected: usize,
    },
    NotMultiple {
        field: String,
        len: usize,
        unit: usize,
    },
    OutOfRange {
        field: String,
        value: String,
        range: &'static str,
    },
    BadKind {
        found: String,
    },
    UnknownMethod {
        method: String,
    },
    ValueTooBig {
        len: usize,
    },
    SaltTooBig {
        len: usize,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Oversized { len } => {
                write!(f, "datagram of {len} bytes, more than {MAX_DATAGRAM}")
            }
            Problem::TooDeep => {
                write!(f, "lists or dictionaries nested more than {MAX_DEPTH} deep")
            }
            Problem::Bencode { reason } => write!(f, "not bencode: {reason}"),
            Problem::NotADict { found } => {
                write!(f, "the message is {found}, expected a dictionary")
            }
            Problem::Missing { field } => write!(f, "`{field}` is missing"),
            Problem::WrongType {
                field,
                expected,
                found,
            } => {
                write!(f, "`{field}` is {found}, expected {expected}")
            }
            Problem::WrongLength {
                field,
                len,
                expected,
            } => {
                write!(f, "`{field}` is {len} bytes, expected {expected}")
            }
            Problem::NotMultiple { field, len, unit } => {
                write!(f, "`{field}` is {len} bytes, not a multiple of {unit}")
            }
            Problem::OutOfRange {
                field,
                value,
                range,
            } => {
                write!(f, "`{field}` is {value}, expected {range}")
            }
            Problem::BadKind { found } => write!(f, "`y` is `{found}`, expected q, r or e"),
            Problem::UnknownMethod { method } => write!(f, "unknown query method `{method}`"),
            Problem::ValueTooBig { len } => {
                write!(f, "`a.v` is {len} bytes bencoded, more than {MAX_VALUE}")
            }
            Problem::SaltTooBig { len } => {
                write!(f, "`a.salt` is {len} bytes, more than {MAX_SALT}")
            }
        }
    }
}

/// A datagram that is not a valid KRPC message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KrpcError {
    /// `t`, if it could be read.
    pub transaction: Option<Vec<u8>>,
    /// False when the datagram is known to be a response or an error: those
    /// are never answered (an error answering an error could loop forever).
    pub answerable: bool,
    pub problem: Problem,
}

impl KrpcError {
    fn drop(problem: Problem) -> KrpcError {
        KrpcError {
            transaction: None,
            answerable: false,
            problem,
        }
    }

    /// The KRPC error code to answer with, or `None`: drop the datagram
    /// (no readable transaction id, or not a query). 203 for a malformed
    /// message, 204 for an unknown method, 205/207 for BEP 44's size
    /// limits; 201 (generic) is for the node's own failures, never a
    /// decoding one.
    pub fn error_code(&self) -> Option<i64> {
        if !self.answerable || self.transaction.is_none() {
            return None;
        }
        Some(match self.problem {
            Problem::UnknownMethod { .. } => METHOD_UNKNOWN,
            Problem::ValueTooBig { .. } => VALUE_TOO_BIG,
            Problem::SaltTooBig { .. } => SALT_TOO_BIG,
            _ => PROTOCOL_ERROR,
        })
    }

    /// The error message to answer with, if any.
    pub fn reply(&self) -> Option<Message> {
        let code = self.error_code()?;
        Some(Message {
            transaction: self.transaction.clone()?,
            version: None,
            body: Body::Error {
                code,
                message: self.problem.to_string(),
            },
        })
    }
}

impl fmt::Display for KrpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.problem, f)
    }
}

impl std::error::Error for KrpcError {}

mod decode;
mod encode;
#[cfg(test)]
mod tests;

pub use decode::decode;
pub use encode::encode;
