//! Keys and values (§3, "Realities"): `put` routes to the key's point
//! in every reality and stores at each owner; `get` routes in one reality,
//! the one where this node's own zone lies closest to the key's point,
//! and tries the others in that order when the answer is a miss, a stuck
//! route or silence. With r realities a key survives r − 1 owner
//! failures: its copies lie at independent points.

use std::collections::BTreeMap;

use super::node::{Event, Node, NotEnabled, Out, Wait};
use super::point::Point;
use super::wire::{Item, Routed};
use super::zone::{dist2_to, Zone};
use crate::runtime::Millis;

/// A put or get in progress.
#[derive(Clone, Debug)]
pub enum Task {
    Put {
        tag: u64,
        /// Realities not yet answered.
        left: usize,
        stored: usize,
        hops: u32,
    },
    Get {
        tag: u64,
        key: String,
        /// Realities to try, best first, and how many were tried.
        order: Vec<usize>,
        tried: usize,
    },
}

impl Node {
    /// Stores `value` under `key` in every reality; ends with
    /// [`Event::PutDone`] carrying `tag`.
    pub fn put(
        &mut self,
        now: Millis,
        tag: u64,
        key: String,
        value: String,
        out: &mut Out,
    ) -> Result<(), NotEnabled> {
        self.check_member()?;
        let task = self.fresh_req();
        let left = self.cfg.realities;
        self.tasks.insert(
            task,
            Task::Put {
                tag,
                left,
                stored: 0,
                hops: 0,
            },
        );
        for reality in 0..left {
            let target = Point::of_key(&key, reality as u8, self.cfg.dims);
            let req = self.expect(Wait::Put { task, reality }, self.cfg.route_timeout_ms, out);
            let body = Routed::Put {
                origin: self.addr,
                req,
                key: key.clone(),
                value: value.clone(),
            };
            self.start_route(now, reality, target, body, out);
        }
        Ok(())
    }

    /// Reads `key`; ends with [`Event::GetDone`] carrying `tag`.
    pub fn get(
        &mut self,
        now: Millis,
        tag: u64,
        key: String,
        out: &mut Out,
    ) -> Result<(), NotEnabled> {
        self.check_member()?;
        let mut order: Vec<usize> = (0..self.cfg.realities).collect();
        order.sort_by_key(|&r| {
            let p = Point::of_key(&key, r as u8, self.cfg.dims);
            (dist2_to(&self.realities[r].zones, &p), r)
        });
        let task = self.fresh_req();
        self.tasks.insert(
            task,
            Task::Get {
                tag,
                key,
                order,
                tried: 0,
            },
        );
        self.try_get(now, task, 0, out);
        Ok(())
    }

    fn try_get(&mut self, now: Millis, task: u64, last_hops: u32, out: &mut Out) {
        let Some(Task::Get {
            tag,
            key,
            order,
            tried,
        }) = self.tasks.get_mut(&task)
        else {
            return;
        };
        let Some(&reality) = order.get(*tried) else {
            out.event(Event::GetDone {
                tag: *tag,
                value: None,
                reality: None,
                hops: last_hops,
                attempts: *tried as u32,
            });
            self.tasks.remove(&task);
            return;
        };
        *tried += 1;
        let key = key.clone();
        let target = Point::of_key(&key, reality as u8, self.cfg.dims);
        let req = self.expect(Wait::Get { task, reality }, self.cfg.route_timeout_ms, out);
        let body = Routed::Get {
            origin: self.addr,
            req,
            key,
        };
        self.start_route(now, reality, target, body, out);
    }

    /// One reality answered a put (`hops`), or failed (`None`).
    pub(super) fn put_answered(
        &mut self,
        task: u64,
        _reality: usize,
        hops: Option<u32>,
        out: &mut Out,
    ) {
        let Some(Task::Put {
            tag,
            left,
            stored,
            hops: longest,
        }) = self.tasks.get_mut(&task)
        else {
            return;
        };
        *left -= 1;
        if let Some(h) = hops {
            *stored += 1;
            *longest = (*longest).max(h);
        }
        if *left == 0 {
            out.event(Event::PutDone {
                tag: *tag,
                stored: *stored,
                hops: *longest,
            });
            self.tasks.remove(&task);
        }
    }

    /// One reality answered a get; a miss tries the next.
    pub(super) fn get_answered(
        &mut self,
        now: Millis,
        task: u64,
        reality: usize,
        hops: u32,
        value: Option<String>,
        out: &mut Out,
    ) {
        let Some(Task::Get { tag, tried, .. }) = self.tasks.get(&task) else {
            return;
        };
        if value.is_some() {
            out.event(Event::GetDone {
                tag: *tag,
                value,
                reality: Some(reality as u8),
                hops,
                attempts: *tried as u32,
            });
            self.tasks.remove(&task);
            return;
        }
        self.try_get(now, task, hops, out);
    }
}

/// Whether `key`'s point in `reality` lies in `zones`.
fn inside(key: &str, reality: usize, zones: &[Zone]) -> bool {
    let Some(dims) = zones.first().map(|z| z.dims()) else {
        return false;
    };
    let p = Point::of_key(key, reality as u8, dims);
    zones.iter().any(|z| z.contains(&p))
}

/// Copies of the items whose point in `reality` lies in `zones`.
pub(super) fn items_in(
    items: &BTreeMap<String, String>,
    reality: usize,
    zones: &[Zone],
) -> Vec<Item> {
    items
        .iter()
        .filter(|(k, _)| inside(k, reality, zones))
        .map(|(k, v)| Item {
            key: k.clone(),
            value: v.clone(),
        })
        .collect()
}

/// Removes the items whose point in `reality` lies in `zones`.
pub(super) fn drop_items(items: &mut BTreeMap<String, String>, reality: usize, zones: &[Zone]) {
    items.retain(|k, _| !inside(k, reality, zones));
}

/// Stores the received items whose point lies in `zones` (a giver may
/// not hand over keys of zones it does not hand over).
pub(super) fn keep_items(
    items: &mut BTreeMap<String, String>,
    reality: usize,
    zones: &[Zone],
    got: Vec<Item>,
) {
    for it in got {
        if inside(&it.key, reality, zones) {
            items.insert(it.key, it.value);
        }
    }
}
