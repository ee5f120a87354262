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

// ---------------------------------------------------------------- encoding

/// A bencode value to write; `Raw` is already-encoded bytes.
enum Bencode {
    Bytes(Vec<u8>),
    Int(i64),
    Raw(Vec<u8>),
    List(Vec<Bencode>),
    Dict(BTreeMap<&'static [u8], Bencode>),
}

impl Bencode {
    fn write(&self, out: &mut Vec<u8>) {
        match self {
            Bencode::Bytes(b) => {
                out.extend_from_slice(b.len().to_string().as_bytes());
                out.push(b':');
                out.extend_from_slice(b);
            }
            Bencode::Int(i) => {
                out.push(b'i');
                out.extend_from_slice(i.to_string().as_bytes());
                out.push(b'e');
            }
            Bencode::Raw(b) => out.extend_from_slice(b),
            Bencode::List(items) => {
                out.push(b'l');
                for i in items {
                    i.write(out);
                }
                out.push(b'e');
            }
            Bencode::Dict(map) => {
                out.push(b'd');
                for (k, v) in map {
                    Bencode::Bytes(k.to_vec()).write(out);
                    v.write(out);
                }
                out.push(b'e');
            }
        }
    }
}

fn compact_peer(addr: &SocketAddrV4) -> Vec<u8> {
    let mut b = addr.ip().octets().to_vec();
    b.extend_from_slice(&addr.port().to_be_bytes());
    b
}

fn id(id: &NodeId) -> Bencode {
    Bencode::Bytes(id.0.to_vec())
}

fn encode_query(q: &Query) -> BTreeMap<&'static [u8], Bencode> {
    let mut a: BTreeMap<&'static [u8], Bencode> = BTreeMap::new();
    match q {
        Query::Ping { id: me } => {
            a.insert(b"id", id(me));
        }
        Query::FindNode { id: me, target } => {
            a.insert(b"id", id(me));
            a.insert(b"target", id(target));
        }
        Query::GetPeers { id: me, info_hash } => {
            a.insert(b"id", id(me));
            a.insert(b"info_hash", id(info_hash));
        }
        Query::AnnouncePeer {
            id: me,
            info_hash,
            port,
            token,
            implied_port,
        } => {
            a.insert(b"id", id(me));
            a.insert(b"info_hash", id(info_hash));
            a.insert(b"port", Bencode::Int(i64::from(*port)));
            a.insert(b"token", Bencode::Bytes(token.clone()));
            if *implied_port {
                a.insert(b"implied_port", Bencode::Int(1));
            }
        }
        Query::Get {
            id: me,
            target,
            seq,
        } => {
            a.insert(b"id", id(me));
            a.insert(b"target", id(target));
            if let Some(s) = seq {
                a.insert(b"seq", Bencode::Int(*s));
            }
        }
        Query::Put {
            id: me,
            token,
            value,
            key,
            sig,
            seq,
            salt,
            cas,
        } => {
            a.insert(b"id", id(me));
            a.insert(b"token", Bencode::Bytes(token.clone()));
            a.insert(b"v", Bencode::Raw(value.clone()));
            if let Some(k) = key {
                a.insert(b"k", Bencode::Bytes(k.to_vec()));
            }
            if let Some(s) = sig {
                a.insert(b"sig", Bencode::Bytes(s.to_vec()));
            }
            if let Some(s) = seq {
                a.insert(b"seq", Bencode::Int(*s));
            }
            if let Some(s) = salt {
                a.insert(b"salt", Bencode::Bytes(s.clone()));
            }
            if let Some(c) = cas {
                a.insert(b"cas", Bencode::Int(*c));
            }
        }
    }
    a
}

fn encode_response(r: &Response) -> BTreeMap<&'static [u8], Bencode> {
    let mut d: BTreeMap<&'static [u8], Bencode> = BTreeMap::new();
    d.insert(b"id", id(&r.id));
    if let Some(nodes) = &r.nodes {
        let mut b = Vec::with_capacity(nodes.len() * 26);
        for n in nodes {
            b.extend_from_slice(&n.id.0);
            b.extend_from_slice(&compact_peer(&n.addr));
        }
        d.insert(b"nodes", Bencode::Bytes(b));
    }
    if let Some(values) = &r.values {
        let peers = values.iter().map(|p| Bencode::Bytes(compact_peer(p)));
        d.insert(b"values", Bencode::List(peers.collect()));
    }
    if let Some(t) = &r.token {
        d.insert(b"token", Bencode::Bytes(t.clone()));
    }
    if let Some(v) = &r.value {
        d.insert(b"v", Bencode::Raw(v.clone()));
    }
    if let Some(k) = &r.key {
        d.insert(b"k", Bencode::Bytes(k.to_vec()));
    }
    if let Some(s) = &r.sig {
        d.insert(b"sig", Bencode::Bytes(s.to_vec()));
    }
    if let Some(s) = r.seq {
        d.insert(b"seq", Bencode::Int(s));
    }
    d
}

/// The message as canonical bencode (keys sorted). A `put`'s or a
/// response's `v` is written as given: it must itself be one bencoded value
/// (as every decoded one is).
pub fn encode(m: &Message) -> Vec<u8> {
    let mut top: BTreeMap<&'static [u8], Bencode> = BTreeMap::new();
    top.insert(b"t", Bencode::Bytes(m.transaction.clone()));
    if let Some(v) = &m.version {
        top.insert(b"v", Bencode::Bytes(v.clone()));
    }
    match &m.body {
        Body::Query(q) => {
            top.insert(b"y", Bencode::Bytes(b"q".to_vec()));
            top.insert(b"q", Bencode::Bytes(q.method().as_bytes().to_vec()));
            top.insert(b"a", Bencode::Dict(encode_query(q)));
        }
        Body::Response(r) => {
            top.insert(b"y", Bencode::Bytes(b"r".to_vec()));
            top.insert(b"r", Bencode::Dict(encode_response(r)));
        }
        Body::Error { code, message } => {
            top.insert(b"y", Bencode::Bytes(b"e".to_vec()));
            top.insert(
                b"e",
                Bencode::List(vec![
                    Bencode::Int(*code),
                    Bencode::Bytes(message.as_bytes().to_vec()),
                ]),
            );
        }
    }
    let mut out = Vec::new();
    Bencode::Dict(top).write(&mut out);
    out
}

// ---------------------------------------------------------------- decoding

/// The deepest nesting of lists and dictionaries in `bytes`, scanning until
/// the first top-level value ends or a token looks wrong (the parser then
/// reports it); never reads out of bounds.
fn nesting(bytes: &[u8]) -> usize {
    let (mut i, mut depth, mut max) = (0usize, 0usize, 0usize);
    while let Some(&c) = bytes.get(i) {
        match c {
            b'd' | b'l' => {
                depth += 1;
                max = max.max(depth);
                i += 1;
            }
            b'e' => {
                if depth <= 1 {
                    break;
                }
                depth -= 1;
                i += 1;
            }
            b'i' => match bytes[i..].iter().position(|&b| b == b'e') {
                Some(p) => i += p + 1,
                None => break,
            },
            b'0'..=b'9' => {
                let mut len = 0usize;
                let mut j = i;
                while let Some(&d) = bytes.get(j) {
                    if !d.is_ascii_digit() {
                        break;
                    }
                    len = match len
                        .checked_mul(10)
                        .and_then(|l| l.checked_add(usize::from(d - b'0')))
                    {
                        Some(l) => l,
                        None => return max,
                    };
                    j += 1;
                }
                if bytes.get(j) != Some(&b':') {
                    break;
                }
                i = (j + 1).saturating_add(len);
            }
            _ => break,
        }
    }
    max
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::ByteStr(_) => "a byte string",
        Value::Int(_) => "an integer",
        Value::List(_) => "a list",
        Value::Dict(_) => "a dictionary",
    }
}

/// A dictionary of the message and its path (`""`, `"a"`, `"r"`).
struct Dict<'a> {
    map: &'a BTreeMap<ByteString, Value>,
    path: &'static str,
}

impl<'a> Dict<'a> {
    fn field(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key.as_bytes())
    }

    fn required(&self, key: &str) -> Result<&'a Value, Problem> {
        self.get(key).ok_or_else(|| Problem::Missing {
            field: self.field(key),
        })
    }

    fn wrong(&self, key: &str, expected: &'static str, found: &Value) -> Problem {
        Problem::WrongType {
            field: self.field(key),
            expected,
            found: kind_of(found),
        }
    }

    fn bytes(&self, key: &str) -> Result<Option<&'a [u8]>, Problem> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::ByteStr(b)) => Ok(Some(b.as_ref())),
            Some(other) => Err(self.wrong(key, "a byte string", other)),
        }
    }

    fn required_bytes(&self, key: &str) -> Result<&'a [u8], Problem> {
        self.required(key)?;
        self.bytes(key)?.ok_or_else(|| Problem::Missing {
            field: self.field(key),
        })
    }

    fn fixed<const N: usize>(&self, key: &str) -> Result<Option<[u8; N]>, Problem> {
        match self.bytes(key)? {
            None => Ok(None),
            Some(b) => <[u8; N]>::try_from(b)
                .map(Some)
                .map_err(|_| Problem::WrongLength {
                    field: self.field(key),
                    len: b.len(),
                    expected: N,
                }),
        }
    }

    fn node_id(&self, key: &str) -> Result<NodeId, Problem> {
        self.required(key)?;
        match self.fixed::<20>(key)? {
            Some(b) => Ok(NodeId(b)),
            None => Err(Problem::Missing {
                field: self.field(key),
            }),
        }
    }

    fn int(&self, key: &str) -> Result<Option<i64>, Problem> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Int(Number::Signed(i))) => Ok(Some(*i)),
            Some(Value::Int(Number::Unsigned(u))) => {
                i64::try_from(*u)
                    .map(Some)
                    .map_err(|_| Problem::OutOfRange {
                        field: self.field(key),
                        value: u.to_string(),
                        range: "a signed 64-bit integer",
                    })
            }
            Some(other) => Err(self.wrong(key, "an integer", other)),
        }
    }

    fn dict(&self, key: &'static str) -> Result<Dict<'a>, Problem> {
        match self.required(key)? {
            Value::Dict(map) => Ok(Dict { map, path: key }),
            other => Err(self.wrong(key, "a dictionary", other)),
        }
    }

    /// A bencoded value (BEP 44 `v`), re-encoded canonically.
    fn raw(&self, key: &str) -> Result<Option<Vec<u8>>, Problem> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => bt_bencode::to_vec(v)
                .map(Some)
                .map_err(|e| Problem::Bencode {
                    reason: format!("`{}`: {e}", self.field(key)),
                }),
        }
    }
}

fn peer_from(b: &[u8]) -> Option<SocketAddrV4> {
    match b {
        [a, b, c, d, p0, p1] => Some(SocketAddrV4::new(
            Ipv4Addr::new(*a, *b, *c, *d),
            u16::from_be_bytes([*p0, *p1]),
        )),
        _ => None,
    }
}

/// The query methods this codec knows.
pub const METHODS: [&str; 6] = [
    "ping",
    "find_node",
    "get_peers",
    "announce_peer",
    "get",
    "put",
];

fn decode_query(method: &[u8], a: &Dict) -> Result<Query, Problem> {
    let id = a.node_id("id")?;
    Ok(match method {
        b"ping" => Query::Ping { id },
        b"find_node" => Query::FindNode {
            id,
            target: a.node_id("target")?,
        },
        b"get_peers" => Query::GetPeers {
            id,
            info_hash: a.node_id("info_hash")?,
        },
        b"announce_peer" => {
            let info_hash = a.node_id("info_hash")?;
            a.required("port")?;
            let port = a.int("port")?.unwrap_or_default();
            let port = u16::try_from(port).map_err(|_| Problem::OutOfRange {
                field: a.field("port"),
                value: port.to_string(),
                range: "a port, 0 to 65535",
            })?;
            let token = a.required_bytes("token")?.to_vec();
            let implied_port = a.int("implied_port")?.is_some_and(|i| i != 0);
            Query::AnnouncePeer {
                id,
                info_hash,
                port,
                token,
                implied_port,
            }
        }
        b"get" => Query::Get {
            id,
            target: a.node_id("target")?,
            seq: a.int("seq")?,
        },
        b"put" => {
            let token = a.required_bytes("token")?.to_vec();
            a.required("v")?;
            let value = a.raw("v")?.unwrap_or_default();
            if value.len() > MAX_VALUE {
                return Err(Problem::ValueTooBig { len: value.len() });
            }
            let salt = a.bytes("salt")?.map(<[u8]>::to_vec);
            if let Some(s) = &salt {
                if s.len() > MAX_SALT {
                    return Err(Problem::SaltTooBig { len: s.len() });
                }
            }
            Query::Put {
                id,
                token,
                value,
                key: a.fixed::<32>("k")?,
                sig: a.fixed::<64>("sig")?,
                seq: a.int("seq")?,
                salt,
                cas: a.int("cas")?,
            }
        }
        other => {
            return Err(Problem::UnknownMethod {
                method: String::from_utf8_lossy(other).into_owned(),
            })
        }
    })
}

fn decode_response(r: &Dict) -> Result<Response, Problem> {
    let id = r.node_id("id")?;
    let nodes = match r.bytes("nodes")? {
        None => None,
        Some(b) if b.len() % 26 != 0 => {
            return Err(Problem::NotMultiple {
                field: r.field("nodes"),
                len: b.len(),
                unit: 26,
            })
        }
        Some(b) => Some(
            b.chunks_exact(26)
                .filter_map(|c| {
                    let (id, addr) = c.split_at(20);
                    Some(CompactNode {
                        id: NodeId(<[u8; 20]>::try_from(id).ok()?),
                        addr: peer_from(addr)?,
                    })
                })
                .collect(),
        ),
    };
    let values = match r.get("values") {
        None => None,
        Some(Value::List(items)) => {
            let mut peers = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let field = || format!("{}[{i}]", r.field("values"));
                match item {
                    Value::ByteStr(b) => {
                        peers.push(peer_from(b).ok_or_else(|| Problem::WrongLength {
                            field: field(),
                            len: b.len(),
                            expected: 6,
                        })?)
                    }
                    other => {
                        return Err(Problem::WrongType {
                            field: field(),
                            expected: "a byte string",
                            found: kind_of(other),
                        })
                    }
                }
            }
            Some(peers)
        }
        Some(other) => return Err(r.wrong("values", "a list", other)),
    };
    Ok(Response {
        id,
        nodes,
        values,
        token: r.bytes("token")?.map(<[u8]>::to_vec),
        value: r.raw("v")?,
        key: r.fixed::<32>("k")?,
        sig: r.fixed::<64>("sig")?,
        seq: r.int("seq")?,
    })
}

fn decode_error(top: &Dict) -> Result<Body, Problem> {
    let items = match top.required("e")? {
        Value::List(items) => items,
        other => return Err(top.wrong("e", "a list", other)),
    };
    let code = match items.first() {
        Some(Value::Int(Number::Signed(i))) => *i,
        Some(Value::Int(Number::Unsigned(u))) => {
            i64::try_from(*u).map_err(|_| Problem::OutOfRange {
                field: "e[0]".into(),
                value: u.to_string(),
                range: "a signed 64-bit integer",
            })?
        }
        Some(other) => {
            return Err(Problem::WrongType {
                field: "e[0]".into(),
                expected: "an integer",
                found: kind_of(other),
            })
        }
        None => {
            return Err(Problem::Missing {
                field: "e[0]".into(),
            })
        }
    };
    let message = match items.get(1) {
        Some(Value::ByteStr(b)) => String::from_utf8_lossy(b).into_owned(),
        Some(other) => {
            return Err(Problem::WrongType {
                field: "e[1]".into(),
                expected: "a byte string",
                found: kind_of(other),
            })
        }
        None => {
            return Err(Problem::Missing {
                field: "e[1]".into(),
            })
        }
    };
    Ok(Body::Error { code, message })
}

/// Parses one datagram. Never panics; unknown keys are ignored, wrong types
/// and lengths are errors.
pub fn decode(bytes: &[u8]) -> Result<Message, KrpcError> {
    if bytes.len() > MAX_DATAGRAM {
        return Err(KrpcError::drop(Problem::Oversized { len: bytes.len() }));
    }
    if nesting(bytes) > MAX_DEPTH {
        return Err(KrpcError::drop(Problem::TooDeep));
    }
    let value: Value = bt_bencode::from_slice(bytes).map_err(|e| {
        KrpcError::drop(Problem::Bencode {
            reason: e.to_string(),
        })
    })?;
    let map = match &value {
        Value::Dict(map) => map,
        other => {
            return Err(KrpcError::drop(Problem::NotADict {
                found: kind_of(other),
            }))
        }
    };
    let top = Dict { map, path: "" };
    let transaction = top.required_bytes("t").map_err(KrpcError::drop)?.to_vec();
    let fail = |answerable: bool| {
        let t = transaction.clone();
        move |problem| KrpcError {
            transaction: Some(t),
            answerable,
            problem,
        }
    };
    let kind = top.required_bytes("y").map_err(fail(true))?;
    // Responses and errors are never answered, even when broken.
    let answerable = !(kind == b"r" || kind == b"e");
    let version = top
        .bytes("v")
        .map_err(fail(answerable))?
        .map(<[u8]>::to_vec);
    let body = match kind {
        b"q" => {
            let method = top.required_bytes("q").map_err(fail(true))?;
            // An unknown method is 204 whatever its arguments look like.
            if !METHODS.iter().any(|m| m.as_bytes() == method) {
                // Echoed in the reply: at most 64 characters of it.
                let method = String::from_utf8_lossy(method).chars().take(64).collect();
                return Err(fail(true)(Problem::UnknownMethod { method }));
            }
            let a = top.dict("a").map_err(fail(true))?;
            Body::Query(decode_query(method, &a).map_err(fail(true))?)
        }
        b"r" => {
            let r = top.dict("r").map_err(fail(false))?;
            Body::Response(decode_response(&r).map_err(fail(false))?)
        }
        b"e" => decode_error(&top).map_err(fail(false))?,
        other => {
            return Err(fail(true)(Problem::BadKind {
                found: String::from_utf8_lossy(other).into_owned(),
            }))
        }
    };
    Ok(Message {
        transaction,
        version,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn nid(s: &[u8; 20]) -> NodeId {
        NodeId(*s)
    }

    fn msg(t: &[u8], body: Body) -> Message {
        Message {
            transaction: t.to_vec(),
            version: None,
            body,
        }
    }

    fn query(q: Query) -> Message {
        msg(b"aa", Body::Query(q))
    }

    fn response(r: Response) -> Message {
        msg(b"aa", Body::Response(r))
    }

    fn peer(a: [u8; 4], port: u16) -> SocketAddrV4 {
        SocketAddrV4::new(Ipv4Addr::from(a), port)
    }

    /// Each of BEP 5's examples, byte for byte, both ways.
    #[test]
    fn bep5_examples() {
        let a = nid(b"abcdefghij0123456789");
        let m = nid(b"mnopqrstuvwxyz123456");
        let node = CompactNode {
            id: nid(b"0123456789abcdefghij"),
            addr: peer([127, 0, 0, 1], 6881),
        };
        let cases: Vec<(&[u8], Message)> = vec![
            (
                b"d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe",
                query(Query::Ping { id: a }),
            ),
            (
                b"d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re",
                response(Response::id_only(m)),
            ),
            (
                b"d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:aa1:y1:qe",
                query(Query::FindNode { id: a, target: m }),
            ),
            // BEP 5's find_node answer has `nodes9:def456...`, which is not
            // compact node info; here with one real 26-byte entry.
            (
                b"d1:rd2:id20:0123456789abcdefghij5:nodes26:0123456789abcdefghij\x7f\0\0\x01\x1a\xe1e1:t2:aa1:y1:re",
                response(Response {
                    nodes: Some(vec![node]),
                    ..Response::id_only(nid(b"0123456789abcdefghij"))
                }),
            ),
            (
                b"d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456e1:q9:get_peers1:t2:aa1:y1:qe",
                query(Query::GetPeers { id: a, info_hash: m }),
            ),
            (
                b"d1:rd2:id20:abcdefghij01234567895:token8:aoeusnth6:valuesl6:axje.u6:idhtnmee1:t2:aa1:y1:re",
                response(Response {
                    token: Some(b"aoeusnth".to_vec()),
                    values: Some(vec![
                        peer(*b"axje", u16::from_be_bytes(*b".u")),
                        peer(*b"idht", u16::from_be_bytes(*b"nm")),
                    ]),
                    ..Response::id_only(a)
                }),
            ),
            (
                b"d1:rd2:id20:abcdefghij01234567895:nodes26:0123456789abcdefghij\x7f\0\0\x01\x1a\xe15:token8:aoeusnthe1:t2:aa1:y1:re",
                response(Response {
                    token: Some(b"aoeusnth".to_vec()),
                    nodes: Some(vec![node]),
                    ..Response::id_only(a)
                }),
            ),
            (
                b"d1:ad2:id20:abcdefghij012345678912:implied_porti1e9:info_hash20:mnopqrstuvwxyz1234564:porti6881e5:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe",
                query(Query::AnnouncePeer {
                    id: a,
                    info_hash: m,
                    port: 6881,
                    token: b"aoeusnth".to_vec(),
                    implied_port: true,
                }),
            ),
            (
                b"d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee",
                msg(
                    b"aa",
                    Body::Error {
                        code: 201,
                        message: "A Generic Error Ocurred".into(),
                    },
                ),
            ),
        ];
        for (bytes, m) in cases {
            assert_eq!(encode(&m), bytes, "{m:?}");
            assert_eq!(decode(bytes), Ok(m));
        }
    }

    #[test]
    fn round_trips_every_kind() {
        let a = nid(b"abcdefghij0123456789");
        let msgs = vec![
            query(Query::Get {
                id: a,
                target: a,
                seq: Some(4),
            }),
            query(Query::Get {
                id: a,
                target: a,
                seq: None,
            }),
            query(Query::Put {
                id: a,
                token: b"tok".to_vec(),
                value: b"12:Hello World!".to_vec(),
                key: None,
                sig: None,
                seq: None,
                salt: None,
                cas: None,
            }),
            query(Query::Put {
                id: a,
                token: b"tok".to_vec(),
                value: b"d1:ai-3ee".to_vec(),
                key: Some([7; 32]),
                sig: Some([9; 64]),
                seq: Some(1),
                salt: Some(b"foobar".to_vec()),
                cas: Some(0),
            }),
            response(Response {
                id: a,
                nodes: Some(vec![]),
                values: Some(vec![]),
                token: Some(vec![]),
                value: Some(b"li1ei2ee".to_vec()),
                key: Some([1; 32]),
                sig: Some([2; 64]),
                seq: Some(i64::MAX),
            }),
            Message {
                transaction: vec![0, 255],
                version: Some(b"LT\x01\x02".to_vec()),
                body: Body::Error {
                    code: 204,
                    message: "Method Unknown".into(),
                },
            },
        ];
        for m in msgs {
            assert_eq!(decode(&encode(&m)), Ok(m));
        }
    }

    #[test]
    fn unknown_keys_are_ignored_and_put_values_canonicalized() {
        let m =
            decode(b"d1:ad2:id20:abcdefghij01234567893:foo3:bare1:q4:ping1:t2:aa1:y1:q2:zzi1ee")
                .unwrap();
        assert_eq!(
            m,
            query(Query::Ping {
                id: nid(b"abcdefghij0123456789")
            })
        );
        // An unsorted dictionary in `v` comes back sorted.
        let m = decode(
            b"d1:ad2:id20:abcdefghij01234567895:token1:x1:vd1:bi1e1:ai2eee1:q3:put1:t2:aa1:y1:qe",
        )
        .unwrap();
        let Body::Query(Query::Put { value, .. }) = m.body else {
            panic!("{m:?}")
        };
        assert_eq!(value, b"d1:ai2e1:bi1ee");
    }

    /// Malformed datagrams: the problem named, and the code answered with
    /// (`None`: dropped).
    #[test]
    fn malformed_datagrams() {
        let oversized = {
            let mut b =
                b"d1:t2:aa1:y1:q1:q4:ping1:ad2:id20:abcdefghij01234567893:pad1450:".to_vec();
            b.extend(vec![b'x'; 1450]);
            b.extend_from_slice(b"ee");
            b
        };
        let deep = {
            let mut b = b"d1:t2:aa1:y1:q1:q4:ping1:ad2:id20:abcdefghij01234567891:x".to_vec();
            b.extend(vec![b'l'; 500]);
            b.extend(vec![b'e'; 502]);
            b
        };
        let cases: Vec<(&[u8], &str, Option<i64>)> = vec![
            (b"", "not bencode", None),
            (b"d1:t2:aa1:y1:q", "not bencode", None),
            (b"d1:t2:aa1:y1:qe trailing", "not bencode: trailing data", None),
            (b"d1:t99999999999999999999:x", "not bencode", None),
            (b"d1:t2:aa1:y1:q1:zi99999999999999999999ee", "not bencode", None),
            (b"i42e", "the message is an integer, expected a dictionary", None),
            (b"l1:te", "the message is a list, expected a dictionary", None),
            (b"d1:y1:qe", "`t` is missing", None),
            (b"d1:ti1e1:y1:qe", "`t` is an integer, expected a byte string", None),
            (b"d1:t2:aae", "`y` is missing", Some(203)),
            (b"d1:t2:aa1:y1:xe", "`y` is `x`, expected q, r or e", Some(203)),
            (b"d1:t2:aa1:y1:qe", "`q` is missing", Some(203)),
            (b"d1:q4:ping1:t2:aa1:y1:qe", "`a` is missing", Some(203)),
            (b"d1:a0:1:q4:ping1:t2:aa1:y1:qe", "`a` is a byte string, expected a dictionary", Some(203)),
            (b"d1:adei1e1:q4:ping1:t2:aa1:y1:qe", "not bencode", None),
            (b"d1:ade1:q4:ping1:t2:aa1:y1:qe", "`a.id` is missing", Some(203)),
            (b"d1:q3:foo1:t2:aa1:y1:qe", "unknown query method `foo`", Some(204)),
            (b"d1:t2:aa1:y1:r1:rdee", "`r.id` is missing", None),
            (b"d1:t2:aa1:vi1e1:y1:qe", "`v` is an integer, expected a byte string", Some(203)),
            (
                b"d1:ad2:id19:abcdefghij012345678e1:q4:ping1:t2:aa1:y1:qe",
                "`a.id` is 19 bytes, expected 20",
                Some(203),
            ),
            (
                b"d1:ad2:idi1ee1:q4:ping1:t2:aa1:y1:qe",
                "`a.id` is an integer, expected a byte string",
                Some(203),
            ),
            (
                b"d1:ad2:id20:abcdefghij0123456789e1:q3:foo1:t2:aa1:y1:qe",
                "unknown query method `foo`",
                Some(204),
            ),
            (
                b"d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:porti65536e5:token1:xe1:q13:announce_peer1:t2:aa1:y1:qe",
                "`a.port` is 65536, expected a port, 0 to 65535",
                Some(203),
            ),
            (
                b"d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:porti1ee1:q13:announce_peer1:t2:aa1:y1:qe",
                "`a.token` is missing",
                Some(203),
            ),
            (
                b"d1:ad2:id20:abcdefghij01234567894:salt65:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx5:token1:x1:vi1ee1:q3:put1:t2:aa1:y1:qe",
                "`a.salt` is 65 bytes, more than 64",
                Some(207),
            ),
            (
                b"d1:rd2:id20:abcdefghij01234567895:nodes27:0123456789abcdefghij\x7f\0\0\x01\x1a\xe1!e1:t2:aa1:y1:re",
                "`r.nodes` is 27 bytes, not a multiple of 26",
                None,
            ),
            (
                b"d1:rd2:id20:abcdefghij01234567896:valuesl5:abcdeee1:t2:aa1:y1:re",
                "`r.values[0]` is 5 bytes, expected 6",
                None,
            ),
            (b"d1:e0:1:t2:aa1:y1:ee", "`e` is a byte string, expected a list", None),
            (b"d1:eli201ee1:t2:aa1:y1:ee", "`e[1]` is missing", None),
            (&oversized, "bytes, more than 1500", None),
            (&deep, "nested more than 32 deep", None),
        ];
        for (bytes, why, code) in cases {
            let e = decode(bytes).expect_err(&String::from_utf8_lossy(bytes));
            assert!(
                e.to_string().contains(why),
                "{:?}: `{e}` should say `{why}`",
                String::from_utf8_lossy(bytes)
            );
            assert_eq!(e.error_code(), code, "{e}");
            if let Some(code) = code {
                let reply = e.reply().unwrap();
                assert_eq!(reply.transaction, b"aa");
                assert_eq!(
                    reply.body,
                    Body::Error {
                        code,
                        message: e.to_string()
                    }
                );
            }
        }
        // A `v` over BEP 44's 1000 bytes: 205.
        let mut big = b"d1:ad2:id20:abcdefghij01234567895:token1:x1:v1001:".to_vec();
        big.extend(vec![b'x'; 1001]);
        big.extend_from_slice(b"e1:q3:put1:t2:aa1:y1:qe");
        let e = decode(&big).unwrap_err();
        assert_eq!(e.error_code(), Some(205), "{e}");
        assert!(e.to_string().contains("`a.v` is 1006 bytes"), "{e}");
    }

    fn arb_id() -> impl Strategy<Value = NodeId> {
        any::<[u8; 20]>().prop_map(NodeId)
    }

    fn arb_bytes() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(any::<u8>(), 0..12)
    }

    fn arb_peer() -> impl Strategy<Value = SocketAddrV4> {
        (any::<[u8; 4]>(), any::<u16>()).prop_map(|(a, p)| peer(a, p))
    }

    /// A small canonical bencoded value.
    fn arb_value() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            any::<i64>().prop_map(|i| format!("i{i}e").into_bytes()),
            arb_bytes().prop_map(|b| {
                let mut v = format!("{}:", b.len()).into_bytes();
                v.extend(b);
                v
            }),
        ]
    }

    fn arb_query() -> impl Strategy<Value = Query> {
        prop_oneof![
            arb_id().prop_map(|id| Query::Ping { id }),
            (arb_id(), arb_id()).prop_map(|(id, target)| Query::FindNode { id, target }),
            (arb_id(), arb_id()).prop_map(|(id, info_hash)| Query::GetPeers { id, info_hash }),
            (arb_id(), arb_id(), any::<u16>(), arb_bytes(), any::<bool>()).prop_map(
                |(id, info_hash, port, token, implied_port)| Query::AnnouncePeer {
                    id,
                    info_hash,
                    port,
                    token,
                    implied_port
                }
            ),
            (arb_id(), arb_id(), any::<Option<i64>>()).prop_map(|(id, target, seq)| Query::Get {
                id,
                target,
                seq
            }),
            (
                arb_id(),
                arb_bytes(),
                arb_value(),
                any::<Option<[u8; 32]>>(),
                proptest::option::of(proptest::collection::vec(any::<u8>(), 64)),
                any::<Option<i64>>(),
                proptest::option::of(arb_bytes()),
                any::<Option<i64>>(),
            )
                .prop_map(|(id, token, value, key, sig, seq, salt, cas)| Query::Put {
                    id,
                    token,
                    value,
                    key,
                    sig: sig.and_then(|s| <[u8; 64]>::try_from(s).ok()),
                    seq,
                    salt,
                    cas,
                }),
        ]
    }

    fn arb_response() -> impl Strategy<Value = Response> {
        (
            arb_id(),
            proptest::option::of(proptest::collection::vec(
                (arb_id(), arb_peer()).prop_map(|(id, addr)| CompactNode { id, addr }),
                0..8,
            )),
            proptest::option::of(proptest::collection::vec(arb_peer(), 0..8)),
            proptest::option::of(arb_bytes()),
            proptest::option::of(arb_value()),
            any::<Option<[u8; 32]>>(),
            any::<Option<i64>>(),
        )
            .prop_map(|(id, nodes, values, token, value, key, seq)| Response {
                id,
                nodes,
                values,
                token,
                value,
                key,
                sig: key.map(|k| {
                    let mut s = [0; 64];
                    s[..32].copy_from_slice(&k);
                    s
                }),
                seq,
            })
    }

    fn arb_message() -> impl Strategy<Value = Message> {
        let body = prop_oneof![
            arb_query().prop_map(Body::Query),
            arb_response().prop_map(Body::Response),
            (any::<i64>(), "[ -~]{0,20}").prop_map(|(code, message)| Body::Error { code, message }),
        ];
        (arb_bytes(), proptest::option::of(arb_bytes()), body).prop_map(
            |(transaction, version, body)| Message {
                transaction,
                version,
                body,
            },
        )
    }

    proptest! {
        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = decode(&bytes);
        }

        #[test]
        fn decode_never_panics_on_mutations(m in arb_message(), pos in any::<usize>(), byte in any::<u8>()) {
            let mut b = encode(&m);
            let i = pos % b.len();
            b[i] = byte;
            let _ = decode(&b);
            b.truncate(i);
            let _ = decode(&b);
        }

        #[test]
        fn decode_inverts_encode(m in arb_message()) {
            prop_assert_eq!(decode(&encode(&m)), Ok(m));
        }
    }
}
