//! The items a node stores for others, by target.

use std::collections::BTreeMap;

use super::{Item, PutError, ValidPut, CAS_MISMATCH, GENERIC_ERROR, SEQ_TOO_LOW};
use crate::kademlia::krpc::NodeId;
use crate::runtime::Millis;

/// Stored items, at most `capacity` of them, each living `lifetime`
/// milliseconds after it was last put. A `BTreeMap`, so that iteration and
/// everything derived from it is the same on every run.
#[derive(Clone, Debug)]
pub struct ItemStore {
    capacity: usize,
    lifetime: Millis,
    items: BTreeMap<NodeId, Stored>,
}

#[derive(Clone, Debug)]
struct Stored {
    item: Item,
    /// When the item was last put (stored, updated or refreshed).
    put_at: Millis,
}

impl ItemStore {
    /// An empty store; [`super::LIFETIME`] is BEP 44's lifetime.
    pub fn new(capacity: usize, lifetime: Millis) -> ItemStore {
        ItemStore {
            capacity,
            lifetime,
            items: BTreeMap::new(),
        }
    }

    fn alive(&self, s: &Stored, now: Millis) -> bool {
        now < s.put_at.saturating_add(self.lifetime)
    }

    /// Stores a checked item, or refreshes or updates the one stored at
    /// its target. For a mutable item: 301 if `cas` is given and differs
    /// from the stored `seq`; 302 if `seq` is below the stored one, or
    /// equal with a different value (equal with the same value refreshes).
    /// 201 if the target is new and the store is full of live items.
    pub fn put(&mut self, now: Millis, put: ValidPut) -> Result<(), PutError> {
        let ValidPut { target, item, cas } = put;
        if let Some(old) = self.items.get(&target) {
            if !self.alive(old, now) {
                self.items.remove(&target);
            }
        }
        let Some(stored) = self.items.get_mut(&target) else {
            if self.items.len() >= self.capacity {
                self.expire(now);
            }
            if self.items.len() >= self.capacity {
                return Err(PutError::full(self.capacity));
            }
            self.items.insert(target, Stored { item, put_at: now });
            return Ok(());
        };
        match (&stored.item, &item) {
            // Same target, same bytes (short of a SHA-1 collision).
            (Item::Immutable { .. }, Item::Immutable { .. }) => {}
            (
                Item::Mutable {
                    v: old_v,
                    seq: old_seq,
                    ..
                },
                Item::Mutable { v, seq, .. },
            ) => {
                if let Some(cas) = cas {
                    if cas != *old_seq {
                        return Err(PutError {
                            code: CAS_MISMATCH,
                            message: format!("`cas` is {cas}, the stored seq is {old_seq}"),
                        });
                    }
                }
                if seq < old_seq || (seq == old_seq && v != old_v) {
                    return Err(PutError {
                        code: SEQ_TOO_LOW,
                        message: if seq < old_seq {
                            format!("sequence number {seq} less than current {old_seq}")
                        } else {
                            format!("sequence number {seq} is current, with a different value")
                        },
                    });
                }
                if seq > old_seq {
                    stored.item = item;
                }
            }
            // An immutable and a mutable item under one target: a SHA-1
            // collision, or a bug; keep what is there.
            _ => {
                return Err(PutError {
                    code: GENERIC_ERROR,
                    message: format!("target {target} holds an item of the other kind"),
                })
            }
        }
        stored.put_at = now;
        Ok(())
    }

    /// The live item stored at `target`. Reading does not refresh it:
    /// only a put does (BEP 44: items not re-put expire).
    pub fn get(&self, now: Millis, target: &NodeId) -> Option<&Item> {
        self.items
            .get(target)
            .filter(|s| self.alive(s, now))
            .map(|s| &s.item)
    }

    /// Drops the expired items; returns how many.
    pub fn expire(&mut self, now: Millis) -> usize {
        let before = self.items.len();
        let lifetime = self.lifetime;
        self.items
            .retain(|_, s| now < s.put_at.saturating_add(lifetime));
        before - self.items.len()
    }

    /// The live items, in target order (for republishing, inspection).
    pub fn iter(&self, now: Millis) -> impl Iterator<Item = (&NodeId, &Item)> + '_ {
        self.items
            .iter()
            .filter(move |(_, s)| self.alive(s, now))
            .map(|(t, s)| (t, &s.item))
    }

    /// Items held, expired ones included until [`ItemStore::expire`].
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }
}
