//! Writing KRPC messages: canonical bencode, keys sorted as raw bytes.

use super::*;

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
