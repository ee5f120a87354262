//! BEP 44 in the node: answering `get` and `put` with the item store
//! ([`super::items`]), and the client side of get/put — which item a
//! lookup is after, how an answer's item is judged and the best kept, and
//! the `put` sent with each closest node's token.
//!
//! A mutable put without an explicit `seq` publishes at one more than the
//! newest `seq` its lookup saw (1 when none), with `cas` set to that newest
//! `seq`, so that two writers racing cannot silently overwrite each other
//! (BEP 44's compare-and-swap); an explicit `seq` is published as given.

use std::net::SocketAddrV4;

use super::items::{self, validate_put, validate_response, Item, Keypair, PutArgs};
use super::krpc::{NodeId, Query, Response, PROTOCOL_ERROR};
use super::node::Node;
use super::ops::Op;
use crate::runtime::Millis;

/// The item a `get` is after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ItemQuery {
    /// By its target, SHA-1 of the bencoded value.
    Immutable { target: NodeId },
    /// By public key and salt.
    Mutable { key: [u8; 32], salt: Vec<u8> },
}

impl ItemQuery {
    pub fn target(&self) -> NodeId {
        match self {
            ItemQuery::Immutable { target } => *target,
            ItemQuery::Mutable { key, salt } => items::mutable_target(key, salt),
        }
    }
    pub(super) fn name(&self) -> &'static str {
        match self {
            ItemQuery::Immutable { .. } => "get_immutable",
            ItemQuery::Mutable { .. } => "get_mutable",
        }
    }
    fn salt(&self) -> &[u8] {
        match self {
            ItemQuery::Immutable { .. } => &[],
            ItemQuery::Mutable { salt, .. } => salt,
        }
    }
    /// An immutable item is the same wherever it is found: the first
    /// valid one ends the lookup (the paper's FIND_VALUE). A mutable one
    /// may be newer elsewhere: the lookup runs to the end, keeping the
    /// highest `seq`.
    pub(super) fn stops_at_first(&self) -> bool {
        matches!(self, ItemQuery::Immutable { .. })
    }
}

/// The item a `put` publishes.
#[derive(Clone, Debug)]
pub enum PutItem {
    /// A bencoded value.
    Immutable { v: Vec<u8> },
    /// A bencoded value under `keys` and `salt`, at `seq` (or the next
    /// after the newest found, if `None`).
    Mutable {
        keys: Box<Keypair>,
        salt: Vec<u8>,
        v: Vec<u8>,
        seq: Option<i64>,
    },
}

impl PutItem {
    pub fn target(&self) -> NodeId {
        match self {
            PutItem::Immutable { v } => items::immutable_target(v),
            PutItem::Mutable { keys, salt, .. } => items::mutable_target(&keys.public(), salt),
        }
    }
    pub(super) fn name(&self) -> &'static str {
        match self {
            PutItem::Immutable { .. } => "put_immutable",
            PutItem::Mutable { .. } => "put_mutable",
        }
    }
    fn salt(&self) -> &[u8] {
        match self {
            PutItem::Immutable { .. } => &[],
            PutItem::Mutable { salt, .. } => salt,
        }
    }

    /// The `put` query for a node that gave us `token`, given the newest
    /// item the lookup found.
    pub(super) fn query(&self, id: NodeId, token: Vec<u8>, found: Option<&Found>) -> Query {
        let (item, cas) = match self {
            PutItem::Immutable { v } => (Item::Immutable { v: v.clone() }, None),
            PutItem::Mutable { keys, salt, v, seq } => {
                let newest = found.and_then(|f| f.item.seq());
                let (seq, cas) = match seq {
                    Some(s) => (*s, None),
                    None => (newest.map_or(1, |n| n.saturating_add(1)), newest),
                };
                (keys.mutable_item(salt, seq, v), cas)
            }
        };
        let mut q = super::replication::put_query(id, &item, token);
        if let Query::Put { cas: c, .. } = &mut q {
            *c = cas;
        }
        q
    }

    /// The `seq` this put will publish at, given what the lookup found.
    pub fn published_seq(&self, found: Option<&Found>) -> Option<i64> {
        match self {
            PutItem::Immutable { .. } => None,
            PutItem::Mutable { seq: Some(s), .. } => Some(*s),
            PutItem::Mutable { seq: None, .. } => Some(
                found
                    .and_then(|f| f.item.seq())
                    .map_or(1, |n| n.saturating_add(1)),
            ),
        }
    }
}

/// The best item a lookup has found so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub item: Item,
}

impl Found {
    pub(super) fn value_and_seq(&self) -> (Option<Vec<u8>>, Option<i64>) {
        (Some(self.item.value().to_vec()), self.item.seq())
    }
}

impl Op {
    /// Judges the item in a `get` answer; keeps it if it is valid and
    /// newer than what was found. The error names the rejection.
    pub(super) fn consider_item(&mut self, r: &Response) -> Result<(), String> {
        let salt = match &self.kind {
            super::ops::Kind::Get(q) => q.salt().to_vec(),
            super::ops::Kind::Put(p) => p.salt().to_vec(),
            _ => return Ok(()),
        };
        let target = self.target();
        match validate_response(&target, &salt, r) {
            Ok(None) => Ok(()),
            Ok(Some(item)) => {
                let newer = match &self.found {
                    None => true,
                    Some(f) => item.seq() > f.item.seq(),
                };
                if newer {
                    self.found = Some(Found { item });
                }
                Ok(())
            }
            Err(e) => Err(format!("bad_item ({})", e.code())),
        }
    }
}

impl Node {
    /// Answers BEP 44 `get` and `put`.
    pub(super) fn answer_storage(
        &mut self,
        now: Millis,
        from: SocketAddrV4,
        q: Query,
    ) -> Result<Response, (i64, String)> {
        match &q {
            Query::Get {
                id, target, seq, ..
            } => {
                let mut r = Response {
                    nodes: Some(self.answer_nodes(target, id)),
                    token: Some(self.tokens.issue(*from.ip())),
                    ..Response::id_only(self.id)
                };
                if let Some(item) = self.items.get(now, target) {
                    item.fill_response(&mut r, *seq);
                }
                Ok(r)
            }
            Query::Put { token, .. } => {
                if !self.tokens.check(*from.ip(), token) {
                    self.stats.reject("bad_token");
                    return Err((PROTOCOL_ERROR, "bad token".to_string()));
                }
                let args = PutArgs::from_query(&q).expect("a put");
                let stored = validate_put(&args).and_then(|p| self.items.put(now, p));
                stored.map(|()| Response::id_only(self.id)).map_err(|e| {
                    self.stats.reject(format!("bad_put ({})", e.code));
                    (e.code, e.message)
                })
            }
            _ => unreachable!("only get and put come here"),
        }
    }

    pub(super) fn expire_items(&mut self, now: Millis) {
        self.items.expire(now);
    }

    /// The BEP 44 items this node stores.
    pub fn items(&self) -> &items::ItemStore {
        &self.items
    }
}
