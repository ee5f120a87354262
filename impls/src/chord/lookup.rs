//! Lookups: iterative `find_successor` (Chord §4.3, Fig. 5, run by the
//! asking node rather than forwarded).
//!
//! Iterative, not recursive, because the origin then sees every hop: it
//! counts the path length exactly (the number the paper reports), it
//! learns of a dead hop by its own timeout and retries with the best
//! runner-up offered so far, and no node holds state for another's lookup.
//! The price is a round trip per hop instead of a one-way message.
//!
//! Failures without repair (Chord §6.4 / ToN §V.D): every answer carries
//! the answering node's successor list; when every node before the key is
//! dead, the owner is the first live entry of the last list past the key,
//! and a lookup that must name a live owner pings it before believing it.

use std::collections::BTreeSet;
use std::net::SocketAddr;

use super::id::{in_half_open, Id, Peer};
use super::node::{Event, Mutation, Node, NotEnabled, Out, Wait};
use super::wire::Msg;

/// How many times a lookup pings a silent owner before moving past it.
const OWNER_PINGS: u32 = 3;

/// How many candidates a `Closer` answer offers.
const CANDIDATES: usize = 16;

/// Why a lookup runs, hence what happens with its answer.
#[derive(Clone, Debug)]
pub(super) enum Purpose {
    /// Find the joining node's predecessor and copy its list.
    Join,
    /// Refresh finger i.
    Finger(usize),
    /// Then store or fetch (task id); the task tries the copies itself.
    Task(u64),
    /// A measurement lookup (the simulator's path-length experiment).
    Measure,
}

impl Purpose {
    /// Whether the owner found must be pinged before it is believed: a
    /// node's first successor may have died unnoticed (no repair yet).
    /// Joins copy the list as it is (the protocol repairs it); tasks find
    /// out by storing or fetching.
    fn verifies(&self) -> bool {
        matches!(self, Purpose::Finger(_) | Purpose::Measure)
    }
}

/// One lookup in progress at its origin.
#[derive(Clone, Debug)]
pub(super) struct Lookup {
    key: Id,
    purpose: Purpose,
    hops: u32,
    timeouts: u32,
    /// Nodes still worth asking, closest to the key first (every
    /// runner-up offered so far, not only the last answer's).
    fallback: Vec<Peer>,
    /// Nodes asked already (answered or silent): never asked again.
    asked: BTreeSet<SocketAddr>,
    /// The answering node closest to the key and its successor list: when
    /// every node before the key is dead, the key's owner is the first
    /// live entry of that list past the key.
    last: Option<(Peer, Vec<Peer>)>,
    /// Pinging the owner: the answering node, the candidates in order.
    verify: Option<(Peer, Vec<Peer>)>,
}

impl Lookup {
    fn new(key: Id, purpose: Purpose) -> Lookup {
        Lookup {
            key,
            purpose,
            hops: 0,
            timeouts: 0,
            fallback: Vec::new(),
            asked: BTreeSet::new(),
            last: None,
            verify: None,
        }
    }

    /// Adds runners-up, keeping the closest to the key first.
    fn offer(&mut self, peers: impl IntoIterator<Item = Peer>) {
        for p in peers {
            if !self.asked.contains(&p.addr) && !self.fallback.contains(&p) {
                self.fallback.push(p);
            }
        }
        let key = self.key;
        self.fallback.sort_by_cached_key(|p| distance(p.id, key));
    }
}

impl Node {
    /// Join the ring through a member at `bootstrap`.
    pub fn join(&mut self, bootstrap: SocketAddr, out: &mut Out) -> Result<(), NotEnabled> {
        if self.member {
            return Err(NotEnabled("already a member".into()));
        }
        let id = self.fresh_id();
        self.lookups
            .insert(id, Lookup::new(self.me.id, Purpose::Join));
        self.ask(id, bootstrap, out);
        Ok(())
    }

    /// A measurement lookup of `key` (answers with [`Event::LookupDone`]).
    pub fn lookup(&mut self, key: Id, out: &mut Out) {
        self.start_lookup(key, Purpose::Measure, out);
    }

    pub(super) fn start_lookup(&mut self, key: Id, purpose: Purpose, out: &mut Out) {
        let id = self.fresh_id();
        let mut l = Lookup::new(key, purpose);
        if !self.member {
            self.lookups.insert(id, l);
            return self.lookup_failed(id, "not a ring member", out);
        }
        if in_half_open(self.me.id, key, self.succ[0].id) {
            self.lookups.insert(id, l);
            let (me, succ) = (self.me, self.succ.clone());
            return self.lookup_found(id, me, succ, out);
        }
        l.offer(self.preceding(key));
        l.last = Some((self.me, self.succ.clone()));
        self.lookups.insert(id, l);
        self.advance(id, out);
    }

    /// Known nodes strictly between us and `key`, closest to the key
    /// first (fingers and successor list): Chord's
    /// `closest_preceding_node`, with runners-up. Never empty for a
    /// member: the successor qualifies when the key is past it.
    fn preceding(&self, key: Id) -> Vec<Peer> {
        let me = self.me.id;
        let mut c: Vec<Peer> = self
            .fingers
            .preceding(me, key)
            .chain(
                self.succ
                    .iter()
                    .copied()
                    .filter(|p| super::id::between(me, p.id, key)),
            )
            .collect();
        c.sort_by_cached_key(|p| distance(p.id, key));
        c.dedup();
        if c.is_empty() {
            c.push(self.succ[0]);
        }
        c
    }

    fn ask(&mut self, lookup: u64, to: SocketAddr, out: &mut Out) {
        let l = self.lookups.get_mut(&lookup).expect("caller checked");
        l.asked.insert(to);
        let key = l.key;
        self.request(
            to,
            Wait::LookupStep { lookup, asked: to },
            |req| Msg::FindSucc { req, key },
            out,
        );
    }

    /// Someone's lookup step reaches us.
    pub(super) fn answer_find(&mut self, from: SocketAddr, req: u64, key: Id, out: &mut Out) {
        let m = if !self.member {
            Msg::Closer {
                req,
                id: self.me.id,
                next: Vec::new(),
                succ: Vec::new(),
            }
        } else if in_half_open(self.me.id, key, self.succ[0].id) {
            Msg::Found {
                req,
                pred: self.me,
                succ: self.succ.clone(),
            }
        } else {
            let mut next = self.preceding(key);
            next.truncate(CANDIDATES);
            Msg::Closer {
                req,
                id: self.me.id,
                next,
                succ: self.succ.clone(),
            }
        };
        self.send(from, m, out);
    }

    pub(super) fn lookup_closer(
        &mut self,
        id: u64,
        from: Peer,
        next: Vec<Peer>,
        succ: Vec<Peer>,
        out: &mut Out,
    ) {
        let Some(l) = self.lookups.get_mut(&id) else {
            return;
        };
        l.hops += 1;
        if l.hops >= self.cfg.max_hops {
            return self.lookup_failed(id, "too many hops", out);
        }
        // Progress is monotone: nodes no closer to the key than one that
        // has answered can only route back through it.
        let key = l.key;
        let reach = distance(from.id, key);
        l.fallback.retain(|p| distance(p.id, key) < reach);
        l.offer(next.into_iter().filter(|p| distance(p.id, key) < reach));
        // Keep the list of the answering node closest to the key: the one
        // whose list reaches past it.
        let closer = l
            .last
            .as_ref()
            .is_none_or(|(x, _)| reach < distance(x.id, key));
        if !succ.is_empty() && closer {
            l.last = Some((from, succ));
        }
        self.advance(id, out);
    }

    pub(super) fn lookup_timeout(&mut self, id: u64, out: &mut Out) {
        if let Some(l) = self.lookups.get_mut(&id) {
            l.timeouts += 1;
            self.advance(id, out);
        }
    }

    /// Asks the best node not asked yet; when none is left, falls back on
    /// the last answer's successor list.
    fn advance(&mut self, id: u64, out: &mut Out) {
        let l = self.lookups.get_mut(&id).expect("caller checked");
        if !l.fallback.is_empty() {
            let next = l.fallback.remove(0);
            return self.ask(id, next.addr, out);
        }
        let key = l.key;
        let joining = matches!(l.purpose, Purpose::Join);
        match l.last.take() {
            // A join must find the exact predecessor: no shortcut.
            Some((x, list)) if !joining => {
                let past: Vec<Peer> = list
                    .iter()
                    .copied()
                    .skip_while(|e| !in_half_open(x.id, key, e.id))
                    .collect();
                if past.is_empty() {
                    return self.lookup_failed(id, "no node on the path answered", out);
                }
                self.lookup_found(id, x, past, out)
            }
            _ => self.lookup_failed(id, "no node on the path answered", out),
        }
    }

    /// The node `pred` answered that `succ[0]` owns the key (or the
    /// origin knows it). Lookups that must name a live owner ping it first.
    pub(super) fn lookup_found(&mut self, id: u64, pred: Peer, succ: Vec<Peer>, out: &mut Out) {
        let Some(l) = self.lookups.get_mut(&id) else {
            return;
        };
        if succ.is_empty() {
            l.hops += 1;
            return self.lookup_failed(id, "an empty successor list", out);
        }
        if l.verify.is_none() {
            l.hops += u32::from(pred != self.me);
        }
        if l.purpose.verifies() && succ[0] != self.me {
            l.verify = Some((pred, succ));
            return self.ping_owner(id, 0, out);
        }
        self.lookup_done(id, pred, succ, out);
    }

    /// Pings the candidate owner; `attempt` counts earlier silent pings.
    fn ping_owner(&mut self, id: u64, attempt: u32, out: &mut Out) {
        let owner = self.lookups[&id].verify.as_ref().expect("verifying").1[0];
        self.request(
            owner.addr,
            Wait::LookupVerify {
                lookup: id,
                attempt,
            },
            |req| Msg::Ping { req },
            out,
        );
    }

    /// The owner answered its ping (`alive`) or stayed silent. A silent
    /// owner is pinged [`OWNER_PINGS`] times before it is taken for dead:
    /// naming the next node instead would be a wrong answer, not a detour.
    pub(super) fn lookup_verified(&mut self, id: u64, alive: bool, attempt: u32, out: &mut Out) {
        let Some(l) = self.lookups.get_mut(&id) else {
            return;
        };
        if alive {
            let (pred, list) = l.verify.take().expect("verifying");
            return self.lookup_done(id, pred, list, out);
        }
        l.timeouts += 1;
        if attempt + 1 < OWNER_PINGS {
            return self.ping_owner(id, attempt + 1, out);
        }
        let (pred, mut list) = l.verify.take().expect("verifying");
        let dead = list.remove(0);
        self.forget(dead);
        if list.is_empty() {
            return self.lookup_failed(id, "every listed owner is dead", out);
        }
        self.lookup_found(id, pred, list, out)
    }

    fn lookup_done(&mut self, id: u64, pred: Peer, succ: Vec<Peer>, out: &mut Out) {
        let Some(l) = self.lookups.remove(&id) else {
            return;
        };
        let owner = succ[0];
        match l.purpose {
            Purpose::Join => {
                if self.member {
                    return;
                }
                if owner.id == self.me.id {
                    // The ring still lists a dead earlier incarnation of
                    // this node: joining now would make us our own
                    // successor. The model's Join needs j strictly before
                    // m's successor; wait until stabilization drops it.
                    let reason = "the ring still lists this node's previous incarnation; retry after it is dropped";
                    out.event(Event::JoinFailed {
                        reason: reason.into(),
                    });
                    return;
                }
                self.member = true;
                self.succ = succ;
                if self.cfg.mutation == Mutation::ShortJoinList {
                    self.succ.truncate(1);
                }
                self.succ.truncate(self.cfg.succ_list);
                self.prdc = Some(pred);
                out.event(Event::Joined);
            }
            Purpose::Finger(i) => self.set_fingers_from(i, owner),
            Purpose::Task(task) => self.task_located(task, l.hops, succ, out),
            Purpose::Measure => out.event(Event::LookupDone {
                key: l.key,
                owner: Some(owner),
                hops: l.hops,
                timeouts: l.timeouts,
            }),
        }
    }

    fn lookup_failed(&mut self, id: u64, why: &str, out: &mut Out) {
        let Some(l) = self.lookups.remove(&id) else {
            return;
        };
        match l.purpose {
            Purpose::Join => out.event(Event::JoinFailed { reason: why.into() }),
            Purpose::Finger(_) => {}
            Purpose::Task(task) => {
                if let Some(t) = self.tasks.remove(&task) {
                    self.task_failed(t, l.hops, format!("lookup failed: {why}"), out)
                }
            }
            Purpose::Measure => out.event(Event::LookupDone {
                key: l.key,
                owner: None,
                hops: l.hops,
                timeouts: l.timeouts,
            }),
        }
    }

    /// Finger i is `owner`, and so is every later finger whose start
    /// falls in [start_i, owner].
    fn set_fingers_from(&mut self, i: usize, owner: Peer) {
        let start = self.me.id.add_pow2(i);
        let mut last = i;
        while last + 1 < super::id::BITS && covers(start, self.me.id.add_pow2(last + 1), owner.id) {
            last += 1;
        }
        self.fingers.set_range(i, last, Some(owner));
        self.next_finger = (last + 1) % super::id::BITS;
    }
}

/// Clockwise distance from `a` to `b` (b − a mod 2^160), as (high 128
/// bits, low 32 bits): ordered like the number, and computed in two
/// machine subtractions (lookups sort candidates by it at every hop).
pub fn distance(a: Id, b: Id) -> (u128, u32) {
    let (ah, al) = halves(a);
    let (bh, bl) = halves(b);
    let (lo, borrow) = bl.overflowing_sub(al);
    (bh.wrapping_sub(ah).wrapping_sub(u128::from(borrow)), lo)
}

fn halves(x: Id) -> (u128, u32) {
    let mut hi = [0u8; 16];
    let mut lo = [0u8; 4];
    hi.copy_from_slice(&x.0[..16]);
    lo.copy_from_slice(&x.0[16..]);
    (u128::from_be_bytes(hi), u32::from_be_bytes(lo))
}

/// `x` lies on the clockwise arc from `start` to `end`, both included:
/// a finger starting at x has the same owner `end` as one at `start`.
pub fn covers(start: Id, x: Id, end: Id) -> bool {
    distance(start, x) <= distance(start, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(hi: u8, lo: u8) -> Id {
        let mut b = [0u8; 20];
        b[0] = hi;
        b[19] = lo;
        Id(b)
    }

    #[test]
    fn distance_is_clockwise_and_wraps() {
        assert_eq!(distance(id(0, 1), id(0, 5)), (0, 4));
        // 1 − 5 mod 2^160 = 2^160 − 4
        assert_eq!(distance(id(0, 5), id(0, 1)), (u128::MAX, u32::MAX - 3));
        // A borrow from the low half into the high half.
        assert_eq!(distance(id(0, 1), id(1, 0)), ((1u128 << 120) - 1, u32::MAX));
        assert!(covers(id(0, 1), id(0, 3), id(0, 3)) && !covers(id(0, 1), id(0, 4), id(0, 3)));
        assert!(
            covers(id(200, 0), id(1, 0), id(2, 0)),
            "around the top of the ring"
        );
    }
}
