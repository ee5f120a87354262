//! §2.5 replication of stored BEP 44 items (Maymounkov & Mazières: "when
//! a new node joins the system, it must store any key-value pair to which
//! it is one of the k closest"), on when [`Config::replicate`] is set.
//!
//! A node holding an item that receives a message from a contact c (any
//! message: the least-recently-seen rule runs first) sends c the item if
//! c is among the k closest to the item's target that the node knows of
//! (its buckets, itself and c), unless it knows c holds the item or a
//! replication to c is already under way. On the wire a `put` needs c's
//! write token, so replication is a `get` of the target (which gives the
//! token, and the item if c has it already: then nothing more is sent)
//! followed by a `put` of the item as stored (a mutable item keeps its
//! signature and `seq`). A successful `put` or a `get` answered with the
//! item records c as a holder.
//!
//! The item of a `put` is not replicated back to the node that sent the
//! put: that node either holds it (a replicator, or a publisher that
//! stores locally) or chose not to (a publisher not among the k closest,
//! [`Config::store_locally`]).
//!
//! BEP 44 leaves republishing to the publisher, and mainline clients do
//! not replicate, so the default is off; the conformance harness turns it
//! on, as the model has it.
//!
//! [`Config::replicate`]: super::Config::replicate
//! [`Config::store_locally`]: super::Config::store_locally

use std::net::SocketAddrV4;

use super::items::{validate_response, Item};
use super::krpc::{NodeId, Query, Response};
use super::node::{Mutation, Node, Out, Purpose};
use crate::runtime::Millis;

/// The `put` query that stores `item` as it is, with `token`.
pub(super) fn put_query(me: NodeId, item: &Item, token: Vec<u8>) -> Query {
    match item {
        Item::Immutable { v } => Query::Put {
            id: me,
            token,
            value: v.clone(),
            key: None,
            sig: None,
            seq: None,
            salt: None,
            cas: None,
        },
        Item::Mutable {
            v,
            k,
            sig,
            seq,
            salt,
        } => Query::Put {
            id: me,
            token,
            value: v.clone(),
            key: Some(*k),
            sig: Some(*sig),
            seq: Some(*seq),
            salt: (!salt.is_empty()).then(|| salt.clone()),
            cas: None,
        },
    }
}

fn salt_of(item: &Item) -> &[u8] {
    match item {
        Item::Immutable { .. } => &[],
        Item::Mutable { salt, .. } => salt,
    }
}

impl Node {
    /// Whether `c` is among the k closest to `target` this node knows of
    /// (its buckets, itself and `c`).
    fn among_closest(&self, target: &NodeId, c: &NodeId) -> bool {
        let k = self.cfg.k;
        let mut ids: Vec<NodeId> = self
            .table
            .closest(target, k + 1)
            .iter()
            .map(|x| x.id)
            .collect();
        ids.push(self.id);
        ids.push(*c);
        ids.sort_by_key(|x| target.distance(x));
        ids.dedup();
        ids.iter().take(k).any(|x| x == c)
    }

    /// Replicates to `c` (just heard from at `addr`) every item it should
    /// hold (module notes) but the one at `except`. Does nothing unless
    /// replication is on.
    pub(super) fn replicate_to(
        &mut self,
        now: Millis,
        c: NodeId,
        addr: SocketAddrV4,
        except: Option<NodeId>,
        out: &mut Out,
    ) {
        if !self.cfg.replicate || c == self.id || self.cfg.mutation == Mutation::ReplicateNothing {
            return;
        }
        let targets: Vec<NodeId> = self
            .items
            .iter(now)
            .map(|(t, _)| *t)
            .filter(|t| {
                Some(*t) != except
                    && !self.holders.get(t).is_some_and(|h| h.contains(&c))
                    && !self.replicating.contains(&(*t, c))
            })
            .collect();
        for target in targets {
            if self.cfg.mutation != Mutation::ReplicateToAll && !self.among_closest(&target, &c) {
                continue;
            }
            self.replicating.insert((target, c));
            let q = Query::Get {
                id: self.id,
                target,
                seq: None,
            };
            self.query(addr, Some(c), q, Purpose::ReplicaGet(target), out);
        }
    }

    /// The answer to a replication `get` (`Ok`) or its failure.
    pub(super) fn replica_got(
        &mut self,
        now: Millis,
        target: NodeId,
        c: NodeId,
        addr: SocketAddrV4,
        r: Option<Response>,
        out: &mut Out,
    ) {
        let Some(r) = r else {
            self.replicating.remove(&(target, c));
            return;
        };
        let Some(item) = self.items.get(now, &target).cloned() else {
            self.replicating.remove(&(target, c));
            return;
        };
        if let Ok(Some(_)) = validate_response(&target, salt_of(&item), &r) {
            self.replicating.remove(&(target, c));
            self.holders.entry(target).or_default().insert(c);
            return;
        }
        let Some(token) = r.token else {
            self.replicating.remove(&(target, c));
            return;
        };
        let q = put_query(self.id, &item, token);
        self.query(addr, Some(c), q, Purpose::ReplicaPut(target), out);
    }

    /// The answer to a replication `put`: `true` if stored.
    pub(super) fn replica_put(&mut self, target: NodeId, c: NodeId, stored: bool) {
        self.replicating.remove(&(target, c));
        if stored {
            self.holders.entry(target).or_default().insert(c);
        }
    }

    /// Forgets holders of items no longer held.
    pub(super) fn prune_holders(&mut self, now: Millis) {
        let held: Vec<NodeId> = self.items.iter(now).map(|(t, _)| *t).collect();
        self.holders.retain(|t, _| held.contains(t));
    }
}
