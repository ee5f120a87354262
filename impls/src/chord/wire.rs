//! Chord's messages and their encoding: one JSON object per datagram,
//! tagged by `"type"`, identifiers as 40 hex digits. JSON because the
//! messages are small, a reviewer can read a packet capture, and serde
//! rejects anything malformed (unknown fields, wrong types, bad hex) with
//! a reason; the decoder also bounds sizes so a hostile peer cannot make a
//! node allocate much.

use serde::{Deserialize, Serialize};

use super::id::{Id, Peer};
use crate::runtime::{Wire, WireError};

/// Largest datagram accepted (and produced by well-behaved nodes).
pub const MAX_DATAGRAM: usize = 60 * 1024;
/// Longest successor or candidate list accepted.
pub const MAX_LIST: usize = 32;

/// The largest encoded key-value item a node stores.
///
/// Nodes move keys in `Store` messages of up to [`MAX_LIST`] items, and a
/// datagram over [`MAX_DATAGRAM`] bytes is dropped as malformed; so an
/// item must stay under `MAX_DATAGRAM / MAX_LIST` (1,920 bytes) with room
/// for the message's envelope, or hand-overs and re-replication of a full
/// batch would be lost.
pub const MAX_ITEM_BYTES: usize = 1800;

/// A stored key and its value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub key: String,
    pub value: String,
}

impl Item {
    pub fn id(&self) -> Id {
        Id::hash(self.key.as_bytes())
    }

    /// Its encoded size, checked against [`MAX_ITEM_BYTES`].
    pub fn encoded_len(&self) -> usize {
        serde_json::to_vec(self)
            .expect("an item always serializes")
            .len()
    }
}

/// Every message between Chord nodes and from clients.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Msg {
    /// Asks for the receiver's predecessor and successor list (the remote
    /// read of StabilizeFromSuccessor/-Predecessor).
    GetState {
        req: u64,
    },
    /// Answer to `GetState`; `id` is the answering node's identifier.
    State {
        req: u64,
        id: Id,
        prdc: Option<Peer>,
        succ: Vec<Peer>,
    },
    /// "Rectify with me": the sender may be the receiver's predecessor.
    Rectify {
        from: Peer,
    },
    /// Liveness probe.
    Ping {
        req: u64,
    },
    Pong {
        req: u64,
    },
    /// One step of an iterative lookup for the successor of `key`.
    FindSucc {
        req: u64,
        key: Id,
    },
    /// `key` ∈ (pred, succ[0]]: the lookup is over. `pred` is the
    /// answering node, `succ` its successor list.
    Found {
        req: u64,
        pred: Peer,
        succ: Vec<Peer>,
    },
    /// Ask these nodes next, best first; `id` is the answering node's
    /// identifier and `succ` its successor list (the fallback when every
    /// node before the key is dead).
    Closer {
        req: u64,
        id: Id,
        next: Vec<Peer>,
        succ: Vec<Peer>,
    },
    /// Store items (owner or replica). `ack` asks for `Stored`.
    Store {
        req: u64,
        items: Vec<Item>,
        replicate: bool,
        ack: bool,
    },
    Stored {
        req: u64,
    },
    /// Read one key.
    Fetch {
        req: u64,
        key: String,
    },
    /// Answer to `Fetch`: the copy, if this node holds one (the reader
    /// knows the other holders from its lookup).
    Value {
        req: u64,
        item: Option<Item>,
    },
    /// A client (not a ring member) asks a node to put or get for it.
    ClientPut {
        req: u64,
        key: String,
        value: String,
    },
    ClientGet {
        req: u64,
        key: String,
    },
    /// The answer to a client: `found` is false for a missing key;
    /// `error` says why the node could not complete the request.
    ClientReply {
        req: u64,
        found: bool,
        value: Option<String>,
        owner: Option<Peer>,
        hops: u32,
        error: Option<String>,
    },
    /// Debugging and tests: ask a node for its ring state.
    Inspect {
        req: u64,
    },
    Inspected {
        req: u64,
        me: Peer,
        member: bool,
        prdc: Option<Peer>,
        succ: Vec<Peer>,
        keys: u64,
    },
}

impl Msg {
    fn lists(&self) -> impl Iterator<Item = usize> + '_ {
        let v: Vec<usize> = match self {
            Msg::State { succ, .. } | Msg::Found { succ, .. } | Msg::Inspected { succ, .. } => {
                vec![succ.len()]
            }
            Msg::Closer { next, succ, .. } => vec![next.len(), succ.len()],
            _ => vec![],
        };
        v.into_iter()
    }
}

impl Wire for Msg {
    fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("messages always serialize")
    }

    fn decode(bytes: &[u8]) -> Result<Msg, WireError> {
        if bytes.len() > MAX_DATAGRAM {
            return Err(WireError {
                reason: format!("{} bytes, more than {MAX_DATAGRAM}", bytes.len()),
            });
        }
        let msg: Msg = serde_json::from_slice(bytes).map_err(|e| WireError {
            reason: e.to_string(),
        })?;
        if let Some(n) = msg.lists().find(|&n| n > MAX_LIST) {
            return Err(WireError {
                reason: format!("a list of {n} peers, more than {MAX_LIST}"),
            });
        }
        Ok(msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn peer(port: u16) -> Peer {
        Peer::at(format!("127.0.0.1:{port}").parse().unwrap())
    }

    #[test]
    fn round_trip() {
        let msgs = [
            Msg::GetState { req: 1 },
            Msg::State {
                req: 2,
                id: peer(1).id,
                prdc: Some(peer(2)),
                succ: vec![peer(3), peer(4)],
            },
            Msg::Rectify { from: peer(5) },
            Msg::Store {
                req: 3,
                items: vec![Item {
                    key: "k".into(),
                    value: "v".into(),
                }],
                replicate: true,
                ack: false,
            },
            Msg::ClientReply {
                req: 4,
                found: false,
                value: None,
                owner: None,
                hops: 0,
                error: Some("timeout".into()),
            },
        ];
        for m in msgs {
            assert_eq!(Msg::decode(&m.encode()), Ok(m));
        }
    }

    #[test]
    fn malformed_datagrams_say_why() {
        let bad: &[(&[u8], &str)] = &[
            (b"", "EOF"),
            (b"\xff\xfe", "expected value"),
            (br#"{"type":"ping"}"#, "missing field `req`"),
            (br#"{"type":"ping","req":1,"x":2}"#, "unknown field `x`"),
            (br#"{"type":"warp","req":1}"#, "unknown variant `warp`"),
            (
                br#"{"type":"rectify","from":{"id":"zz","addr":"1.2.3.4:5"}}"#,
                "40 hex digits",
            ),
            (br#"{"type":"ping","req":-1}"#, "invalid value"),
        ];
        for (bytes, why) in bad {
            let e = Msg::decode(bytes).unwrap_err();
            assert!(e.reason.contains(why), "{e} should mention {why}");
        }
        let many = Msg::Closer {
            req: 1,
            id: peer(2).id,
            next: vec![peer(1); MAX_LIST + 1],
            succ: vec![],
        };
        assert!(Msg::decode(&many.encode())
            .unwrap_err()
            .reason
            .contains("33 peers"));
        assert!(Msg::decode(&vec![b' '; MAX_DATAGRAM + 1]).is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = Msg::decode(&bytes);
        }

        #[test]
        fn mutated_messages_never_panic(pos in 0usize..200, byte in any::<u8>()) {
            let mut b = Msg::State { req: 9, id: peer(1).id, prdc: None, succ: vec![peer(2)] }.encode();
            let i = pos % b.len();
            b[i] = byte;
            let _ = Msg::decode(&b);
        }
    }
}
