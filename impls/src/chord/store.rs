//! Key-value data on the ring (Chord §4: the application layer a DHT
//! gives). A key lives at the successor of SHA-1(key), its owner, and on
//! the owner's next r-1 successors. Keys move to a new predecessor when
//! the owner adopts it (join), and owners push their keys to their
//! successors periodically, which re-replicates after failures.
//!
//! Implementation notes: a node never deletes a copy it holds (a stale
//! replica is harmless, a deleted last copy is not); reads try the owner,
//! then each replica in the owner's successor list.

use std::net::SocketAddr;

use super::id::{in_half_open, Peer};
use super::node::{Event, Node, Out, Reply, Wait};
use super::wire::{Item, Msg, MAX_ITEM_BYTES};

/// Who asked for a put or get: a remote client or the local driver.
#[derive(Clone, Copy, Debug)]
pub(super) enum Asker {
    Client { addr: SocketAddr, req: u64 },
    Local { tag: u64 },
}

/// A put or get in progress at the node that runs it.
#[derive(Clone, Debug)]
pub(super) struct Task {
    asker: Asker,
    op: Op,
    hops: u32,
    /// Copies still to try (a get), owner first.
    holders: Vec<Peer>,
    /// Whether any holder answered (a get that found nothing there
    /// reports "not found" rather than "no answer").
    answered: bool,
    /// The holder asked last (a get reports it as the owner it read).
    asked: Option<Peer>,
}

#[derive(Clone, Debug)]
enum Op {
    Put(Item),
    Get(String),
}

impl Node {
    /// Stores `key = value` in the ring; ends with [`Event::Done`].
    pub fn put(&mut self, tag: u64, key: String, value: String, out: &mut Out) {
        self.start_task(Asker::Local { tag }, Op::Put(Item { key, value }), out);
    }

    /// Reads `key`; ends with [`Event::Done`].
    pub fn get(&mut self, tag: u64, key: String, out: &mut Out) {
        self.start_task(Asker::Local { tag }, Op::Get(key), out);
    }

    pub(super) fn client_put(
        &mut self,
        from: SocketAddr,
        req: u64,
        key: String,
        value: String,
        out: &mut Out,
    ) {
        let asker = Asker::Client { addr: from, req };
        self.start_task(asker, Op::Put(Item { key, value }), out);
    }

    pub(super) fn client_get(&mut self, from: SocketAddr, req: u64, key: String, out: &mut Out) {
        self.start_task(Asker::Client { addr: from, req }, Op::Get(key), out);
    }

    fn start_task(&mut self, asker: Asker, op: Op, out: &mut Out) {
        if let Op::Put(item) = &op {
            let bytes = item.encoded_len();
            if bytes > MAX_ITEM_BYTES {
                let why = format!("the item is {bytes} bytes encoded, more than {MAX_ITEM_BYTES}");
                let t = Task {
                    asker,
                    op,
                    hops: 0,
                    holders: Vec::new(),
                    answered: false,
                    asked: None,
                };
                return self.task_failed(t, 0, why, out);
            }
        }
        let key = match &op {
            Op::Put(item) => item.id(),
            Op::Get(k) => super::id::Id::hash(k.as_bytes()),
        };
        let task = Task {
            asker,
            op,
            hops: 0,
            holders: Vec::new(),
            answered: false,
            asked: None,
        };
        let id = self.fresh_id();
        self.tasks.insert(id, task);
        self.start_lookup(key, super::lookup::Purpose::Task(id), out);
    }

    /// The lookup found the key's owner (`succ[0]`) and its successors.
    pub(super) fn task_located(&mut self, id: u64, hops: u32, succ: Vec<Peer>, out: &mut Out) {
        let Some(t) = self.tasks.get_mut(&id) else {
            return;
        };
        t.hops = hops;
        t.holders = succ.into_iter().take(self.cfg.succ_list).collect();
        self.next_holder(id, out);
    }

    /// Asks the first copy holder left: a put stores at the owner or, if
    /// it is silent (dead and not yet repaired), at the next holder, which
    /// owns the key once the ring has dropped the dead node; a get reads
    /// the owner's copy, then each replica's.
    fn next_holder(&mut self, id: u64, out: &mut Out) {
        let t = self.tasks.get_mut(&id).expect("caller checked");
        if t.holders.is_empty() {
            let t = self.tasks.remove(&id).expect("present");
            let hops = t.hops;
            return match (&t.op, t.answered) {
                (Op::Get(_), true) => {
                    let reply = Reply {
                        found: false,
                        value: None,
                        owner: None,
                        hops,
                        error: None,
                    };
                    self.finish(t.asker, reply, out)
                }
                (Op::Get(_), false) => {
                    self.task_failed(t, hops, "no copy holder answered".into(), out)
                }
                (Op::Put(_), _) => {
                    self.task_failed(t, hops, "no copy holder acknowledged".into(), out)
                }
            };
        }
        let holder = t.holders.remove(0);
        t.asked = Some(holder);
        match t.op.clone() {
            Op::Get(key) => self.request(
                holder.addr,
                Wait::Fetch { task: id },
                |req| Msg::Fetch { req, key },
                out,
            ),
            Op::Put(item) => self.request(
                holder.addr,
                Wait::StoreAck { task: id },
                |req| Msg::Store {
                    req,
                    items: vec![item],
                    replicate: true,
                    ack: true,
                },
                out,
            ),
        }
    }

    pub(super) fn fetched(&mut self, id: u64, item: Option<Item>, out: &mut Out) {
        let Some(t) = self.tasks.get_mut(&id) else {
            return;
        };
        t.answered = true;
        match item {
            Some(item) => {
                let t = self.tasks.remove(&id).expect("present");
                let reply = Reply {
                    found: true,
                    value: Some(item.value),
                    owner: t.asked,
                    hops: t.hops,
                    error: None,
                };
                self.finish(t.asker, reply, out);
            }
            None => self.next_holder(id, out),
        }
    }

    pub(super) fn fetched_nothing(&mut self, id: u64, out: &mut Out) {
        if self.tasks.contains_key(&id) {
            self.next_holder(id, out);
        }
    }

    pub(super) fn store_acked(&mut self, id: u64, out: &mut Out) {
        if let Some(t) = self.tasks.remove(&id) {
            let reply = Reply {
                found: true,
                value: None,
                owner: t.asked,
                hops: t.hops,
                error: None,
            };
            self.finish(t.asker, reply, out);
        }
    }

    pub(super) fn store_timeout(&mut self, id: u64, out: &mut Out) {
        if self.tasks.contains_key(&id) {
            self.next_holder(id, out);
        }
    }

    pub(super) fn task_failed(&mut self, t: Task, hops: u32, why: String, out: &mut Out) {
        let reply = Reply {
            found: false,
            value: None,
            owner: None,
            hops,
            error: Some(why),
        };
        self.finish(t.asker, reply, out);
    }

    fn finish(&mut self, asker: Asker, r: Reply, out: &mut Out) {
        match asker {
            Asker::Local { tag } => out.event(Event::Done { tag, reply: r }),
            Asker::Client { addr, req } => {
                let m = Msg::ClientReply {
                    req,
                    found: r.found,
                    value: r.value,
                    owner: r.owner,
                    hops: r.hops,
                    error: r.error,
                };
                self.send(addr, m, out);
            }
        }
    }

    /// A `Store` message: keep the items; as owner, copy them on.
    pub(super) fn store(
        &mut self,
        from: SocketAddr,
        req: u64,
        items: Vec<Item>,
        replicate: bool,
        ack: bool,
        out: &mut Out,
    ) {
        // Items over the size limit could not be moved on in batches:
        // a well-behaved node never sends one, so drop them.
        let items: Vec<Item> = items
            .into_iter()
            .filter(|i| i.encoded_len() <= MAX_ITEM_BYTES)
            .collect();
        for item in &items {
            self.items.insert(item.id(), item.clone());
        }
        if replicate && self.member {
            self.push_to_replicas(items, out);
        }
        if ack {
            self.send(from, Msg::Stored { req }, out);
        }
    }

    pub(super) fn answer_fetch(&mut self, from: SocketAddr, req: u64, key: &str, out: &mut Out) {
        let item = self
            .items
            .get(&super::id::Id::hash(key.as_bytes()))
            .cloned();
        let m = Msg::Value { req, item };
        self.send(from, m, out);
    }

    /// Periodic re-replication: the keys we own go to our r-1 successors.
    pub(super) fn replicate(&mut self, out: &mut Out) {
        let Some(p) = self.prdc.filter(|_| self.member) else {
            return;
        };
        let me = self.me.id;
        let owned: Vec<Item> = self
            .items
            .iter()
            .filter(|(id, _)| in_half_open(p.id, **id, me))
            .map(|(_, i)| i.clone())
            .collect();
        if !owned.is_empty() {
            self.push_to_replicas(owned, out);
        }
    }

    fn push_to_replicas(&mut self, items: Vec<Item>, out: &mut Out) {
        let replicas: Vec<Peer> = self
            .succ
            .iter()
            .copied()
            .filter(|p| *p != self.me)
            .take(self.cfg.succ_list.saturating_sub(1))
            .collect();
        for r in replicas {
            self.hand_over(r, &items, false, out);
        }
    }

    /// Sends `items` to `to` in `Store` batches that fit a datagram; with
    /// `replicate`, the receiver copies them on to its own replicas.
    fn hand_over(&mut self, to: Peer, items: &[Item], replicate: bool, out: &mut Out) {
        for chunk in items.chunks(super::wire::MAX_LIST) {
            let m = Msg::Store {
                req: 0,
                items: chunk.to_vec(),
                replicate,
                ack: false,
            };
            self.send(to.addr, m, out);
        }
    }

    /// Adopts `q` as predecessor and hands it the keys it may now own or
    /// replicate: everything we hold outside (q, me].
    pub(super) fn adopt_prdc(&mut self, q: Peer, out: &mut Out) {
        self.prdc = Some(q);
        if q == self.me {
            return;
        }
        let me = self.me.id;
        let theirs: Vec<Item> = self
            .items
            .iter()
            .filter(|(id, _)| !in_half_open(q.id, **id, me))
            .map(|(_, i)| i.clone())
            .collect();
        self.hand_over(q, &theirs, false, out);
    }

    /// Graceful leave: every key goes to the successor, which owns our
    /// range once its predecessor is gone; then we stop being a member.
    pub fn leave(&mut self, out: &mut Out) {
        if !self.member {
            return;
        }
        let all: Vec<Item> = self.items.values().cloned().collect();
        let s1 = self.succ[0];
        if s1 != self.me {
            self.hand_over(s1, &all, true, out);
        }
        self.member = false;
    }
}
