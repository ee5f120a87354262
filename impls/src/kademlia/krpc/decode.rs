//! Reading untrusted datagrams into messages, field by field, so that
//! every error names the key it is about.

use super::*;

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
