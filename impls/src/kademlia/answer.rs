//! Answering queries (BEP 5): `ping`, `find_node`, `get_peers`,
//! `announce_peer`; the BEP 44 `get` and `put` are in [`super::storage`].
//!
//! A querier is observed into the routing table before it is answered (the
//! paper: every message received updates the bucket of its sender). §2.5
//! replication to the querier ([`super::replication`]) follows the
//! answer; the item of a `put` is not replicated back to its sender.
//! `get_peers` answers carry both the peers known for the info-hash and
//! the k closest nodes (libtorrent does the same; BEP 5 allows either),
//! so a lookup can go on past a node that happens to know peers.
//!
//! The nodes an answer names (`find_node`, `get_peers`, BEP 44 `get`) are
//! the k closest contacts *other than the querier* (as the model's
//! answers): the querier was just observed into the table, and naming it
//! back to itself is a wasted slot of the k.

use std::net::SocketAddrV4;

use super::items::{immutable_target, mutable_target};
use super::krpc::{Body, NodeId, Query, Response, PROTOCOL_ERROR};
use super::node::{Node, Out};
use crate::runtime::Millis;

impl Node {
    pub(super) fn answer(
        &mut self,
        now: Millis,
        from: SocketAddrV4,
        transaction: Vec<u8>,
        q: Query,
        out: &mut Out,
    ) {
        let querier = query_id(&q);
        // The target of a put's item, which is not replicated back.
        let put = match &q {
            Query::Put {
                value, key, salt, ..
            } => Some(match key {
                Some(k) => mutable_target(k, salt.as_deref().unwrap_or(&[])),
                None => immutable_target(value),
            }),
            _ => None,
        };
        self.observe_only(now, querier, from, out);
        let body = match q {
            Query::Ping { .. } => Ok(Response::id_only(self.id)),
            Query::FindNode { target, .. } => Ok(Response {
                nodes: Some(self.answer_nodes(&target, &querier)),
                ..Response::id_only(self.id)
            }),
            Query::GetPeers { info_hash, .. } => {
                let peers = self.peers.get(now, &info_hash);
                Ok(Response {
                    nodes: Some(self.answer_nodes(&info_hash, &querier)),
                    values: (!peers.is_empty()).then_some(peers),
                    token: Some(self.tokens.issue(*from.ip())),
                    ..Response::id_only(self.id)
                })
            }
            Query::AnnouncePeer {
                info_hash,
                port,
                token,
                implied_port,
                ..
            } => self.announced(now, from, info_hash, port, &token, implied_port),
            q @ (Query::Get { .. } | Query::Put { .. }) => self.answer_storage(now, from, q),
        };
        self.replicate_to(now, querier, from, put, out);
        self.stats.queries_answered += 1;
        let body = match body {
            Ok(r) => Body::Response(r),
            Err((code, message)) => Body::Error { code, message },
        };
        self.reply(from, transaction, body, out);
    }

    fn announced(
        &mut self,
        now: Millis,
        from: SocketAddrV4,
        info_hash: NodeId,
        port: u16,
        token: &[u8],
        implied_port: bool,
    ) -> Result<Response, (i64, String)> {
        if !self.tokens.check(*from.ip(), token) {
            self.stats.reject("bad_token");
            return Err((PROTOCOL_ERROR, "bad token".to_string()));
        }
        let port = if implied_port { from.port() } else { port };
        if port == 0 {
            self.stats.reject("bad_port");
            return Err((PROTOCOL_ERROR, "port 0".to_string()));
        }
        if !self
            .peers
            .announce(now, info_hash, SocketAddrV4::new(*from.ip(), port))
        {
            self.stats.reject("peer_store_full");
            return Err((super::krpc::SERVER_ERROR, "peer store full".to_string()));
        }
        Ok(Response::id_only(self.id))
    }

    /// The k closest contacts to `target` other than `querier`, in
    /// compact form: the nodes of an answer.
    pub(super) fn answer_nodes(
        &self,
        target: &NodeId,
        querier: &NodeId,
    ) -> Vec<super::krpc::CompactNode> {
        let k = self.cfg.k;
        if self.cfg.mutation == super::node::Mutation::AnswerWithQuerier {
            return self.closest_compact(target);
        }
        self.table
            .closest(target, k + 1)
            .iter()
            .filter(|c| c.id != *querier)
            .take(k)
            .map(|c| c.compact())
            .collect()
    }

    /// The k closest contacts to `target`, in compact form.
    pub(super) fn closest_compact(&self, target: &NodeId) -> Vec<super::krpc::CompactNode> {
        self.table
            .closest(target, self.cfg.k)
            .iter()
            .map(|c| c.compact())
            .collect()
    }
}

fn query_id(q: &Query) -> NodeId {
    match q {
        Query::Ping { id }
        | Query::FindNode { id, .. }
        | Query::GetPeers { id, .. }
        | Query::AnnouncePeer { id, .. }
        | Query::Get { id, .. }
        | Query::Put { id, .. } => *id,
    }
}
