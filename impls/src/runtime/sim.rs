//! The deterministic simulator: a seeded discrete-event loop over any
//! [`Process`]. Messages take a random delay in `[delay_min, delay_max]`
//! and are lost with probability `loss`; nodes can crash at any time.
//! Same seed, same inputs: same run, event for event. Messages are
//! passed as values (the codec has its own tests and the UDP runtime).

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{Millis, OutboxOf, Process};

/// The simulated network.
#[derive(Clone, Debug, PartialEq)]
pub struct Net {
    pub delay_min: Millis,
    pub delay_max: Millis,
    /// Probability that a datagram is lost.
    pub loss: f64,
}

impl Default for Net {
    fn default() -> Net {
        Net {
            delay_min: 5,
            delay_max: 50,
            loss: 0.0,
        }
    }
}

impl Net {
    /// Instant, lossless, in-order delivery (1 ms each): what the
    /// conformance harness uses to make a step atomic.
    pub fn instant() -> Net {
        Net {
            delay_min: 1,
            delay_max: 1,
            loss: 0.0,
        }
    }
}

/// Counters of a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SimStats {
    pub sent: u64,
    pub delivered: u64,
    pub lost: u64,
    /// Datagrams that arrived where no live node was.
    pub undeliverable: u64,
    pub timers: u64,
}

enum Kind<P: Process> {
    Deliver {
        to: SocketAddr,
        from: SocketAddr,
        msg: P::Msg,
    },
    Timer {
        slot: usize,
        epoch: u32,
        timer: P::Timer,
    },
}

impl<P: Process> Clone for Kind<P> {
    fn clone(&self) -> Self {
        match self {
            Kind::Deliver { to, from, msg } => Kind::Deliver {
                to: *to,
                from: *from,
                msg: msg.clone(),
            },
            Kind::Timer { slot, epoch, timer } => Kind::Timer {
                slot: *slot,
                epoch: *epoch,
                timer: timer.clone(),
            },
        }
    }
}

struct Entry<P: Process> {
    at: Millis,
    seq: u64,
    kind: Kind<P>,
}

impl<P: Process> Clone for Entry<P> {
    fn clone(&self) -> Self {
        Entry {
            at: self.at,
            seq: self.seq,
            kind: self.kind.clone(),
        }
    }
}

impl<P: Process> PartialEq for Entry<P> {
    fn eq(&self, o: &Self) -> bool {
        (self.at, self.seq) == (o.at, o.seq)
    }
}
impl<P: Process> Eq for Entry<P> {}
impl<P: Process> PartialOrd for Entry<P> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl<P: Process> Ord for Entry<P> {
    fn cmp(&self, o: &Self) -> Ordering {
        (self.at, self.seq).cmp(&(o.at, o.seq))
    }
}

/// One slot per node ever added; a crashed node leaves an empty slot.
#[derive(Clone)]
struct Slot<P> {
    node: Option<P>,
    /// Bumped when a slot gets a new node, so that a crashed
    /// incarnation's timers do not fire on its successor.
    epoch: u32,
}

/// A simulated network of `P`s. Cloning forks the whole run (the
/// conformance harness explores model paths that way).
#[derive(Clone)]
pub struct Sim<P: Process + Clone>
where
    P::Event: Clone,
{
    now: Millis,
    slots: Vec<Slot<P>>,
    by_addr: HashMap<SocketAddr, usize>,
    queue: BinaryHeap<Reverse<Entry<P>>>,
    seq: u64,
    rng: ChaCha8Rng,
    net: Net,
    events: Vec<(SocketAddr, P::Event)>,
    stats: SimStats,
}

/// The simulator's synthetic address of slot `i` (10.0.0.0/8, port 4000).
pub fn sim_addr(i: usize) -> SocketAddr {
    SocketAddr::V4(SocketAddrV4::new(
        Ipv4Addr::from(0x0a00_0000u32 + i as u32),
        4000,
    ))
}

impl<P: Process + Clone> Sim<P>
where
    P::Event: Clone,
{
    pub fn new(net: Net, seed: u64) -> Sim<P> {
        assert!(net.delay_min <= net.delay_max, "delay_min > delay_max");
        Sim {
            now: 0,
            slots: Vec::new(),
            by_addr: HashMap::new(),
            queue: BinaryHeap::new(),
            seq: 0,
            rng: ChaCha8Rng::seed_from_u64(seed),
            net,
            events: Vec::new(),
            stats: SimStats::default(),
        }
    }

    pub fn now(&self) -> Millis {
        self.now
    }
    pub fn stats(&self) -> &SimStats {
        &self.stats
    }
    /// The simulator's random source, for drivers' own seeded choices.
    pub fn rng(&mut self) -> &mut ChaCha8Rng {
        &mut self.rng
    }
    /// Number of slots (live or crashed).
    pub fn len(&self) -> usize {
        self.slots.len()
    }
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }
    /// Events queued (messages in flight and timers).
    pub fn pending(&self) -> usize {
        self.queue.len()
    }

    /// Adds a node in a new slot, without starting its timers.
    pub fn add(&mut self, node: P) -> usize {
        let i = self.slots.len();
        self.by_addr.insert(node.addr(), i);
        self.slots.push(Slot {
            node: Some(node),
            epoch: 0,
        });
        i
    }

    /// Puts a new node in an existing (crashed or live) slot.
    pub fn replace(&mut self, slot: usize, node: P) {
        self.by_addr.insert(node.addr(), slot);
        let s = &mut self.slots[slot];
        s.node = Some(node);
        s.epoch += 1;
    }

    /// Starts a node's periodic timers.
    pub fn start(&mut self, slot: usize) {
        self.with_node(slot, |n, now, out| n.start(now, out));
    }

    /// Crashes a node: it stops at once, its state is gone.
    pub fn crash(&mut self, slot: usize) -> Option<P> {
        self.slots[slot].node.take()
    }

    pub fn node(&self, slot: usize) -> Option<&P> {
        self.slots.get(slot).and_then(|s| s.node.as_ref())
    }

    pub fn node_mut(&mut self, slot: usize) -> Option<&mut P> {
        self.slots.get_mut(slot).and_then(|s| s.node.as_mut())
    }

    /// Live nodes with their slots.
    pub fn nodes(&self) -> impl Iterator<Item = (usize, &P)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.node.as_ref().map(|n| (i, n)))
    }

    pub fn slot_of(&self, addr: SocketAddr) -> Option<usize> {
        self.by_addr.get(&addr).copied()
    }

    /// Runs a local command on a live node and carries out its outputs.
    /// Returns `None` when the slot is empty.
    pub fn with_node<R>(
        &mut self,
        slot: usize,
        f: impl FnOnce(&mut P, Millis, &mut OutboxOf<P>) -> R,
    ) -> Option<R> {
        let now = self.now;
        let mut out = OutboxOf::<P>::default();
        let node = self.slots.get_mut(slot)?.node.as_mut()?;
        let r = f(node, now, &mut out);
        self.carry_out(slot, out);
        Some(r)
    }

    /// Events the nodes reported since the last call.
    pub fn take_events(&mut self) -> Vec<(SocketAddr, P::Event)> {
        std::mem::take(&mut self.events)
    }

    fn push(&mut self, at: Millis, kind: Kind<P>) {
        self.seq += 1;
        self.queue.push(Reverse(Entry {
            at,
            seq: self.seq,
            kind,
        }));
    }

    fn carry_out(&mut self, slot: usize, out: OutboxOf<P>) {
        let from = self.slots[slot].node.as_ref().map(|n| n.addr());
        let epoch = self.slots[slot].epoch;
        for (to, msg) in out.sends {
            self.stats.sent += 1;
            if self.net.loss > 0.0 && self.rng.random_bool(self.net.loss) {
                self.stats.lost += 1;
                continue;
            }
            let delay = if self.net.delay_min == self.net.delay_max {
                self.net.delay_min
            } else {
                self.rng
                    .random_range(self.net.delay_min..=self.net.delay_max)
            };
            let from = from.expect("a node that sends exists");
            self.push(self.now + delay, Kind::Deliver { to, from, msg });
        }
        for (after, timer) in out.timers {
            self.push(self.now + after, Kind::Timer { slot, epoch, timer });
        }
        for e in out.events {
            let addr = from.expect("a node that reports exists");
            self.events.push((addr, e));
        }
    }

    /// Processes the next event; `false` when nothing is left.
    pub fn step(&mut self) -> bool {
        let Some(Reverse(e)) = self.queue.pop() else {
            return false;
        };
        self.now = self.now.max(e.at);
        match e.kind {
            Kind::Deliver { to, from, msg } => {
                let Some(slot) = self.by_addr.get(&to).copied() else {
                    self.stats.undeliverable += 1;
                    return true;
                };
                let now = self.now;
                let mut out = OutboxOf::<P>::default();
                match self.slots[slot].node.as_mut() {
                    Some(n) => {
                        self.stats.delivered += 1;
                        n.on_message(now, from, msg, &mut out);
                        self.carry_out(slot, out);
                    }
                    None => self.stats.undeliverable += 1,
                }
            }
            Kind::Timer { slot, epoch, timer } => {
                if self.slots[slot].epoch != epoch {
                    return true;
                }
                let now = self.now;
                let mut out = OutboxOf::<P>::default();
                if let Some(n) = self.slots[slot].node.as_mut() {
                    self.stats.timers += 1;
                    n.on_timer(now, timer, &mut out);
                    self.carry_out(slot, out);
                }
            }
        }
        true
    }

    /// Runs every event due up to time `t`, then sets the clock to `t`.
    pub fn run_until(&mut self, t: Millis) {
        while self.queue.peek().is_some_and(|Reverse(e)| e.at <= t) {
            self.step();
        }
        self.now = self.now.max(t);
    }

    /// Runs until no event is left or `limit` events have run; returns
    /// whether the queue emptied.
    pub fn run_until_idle(&mut self, limit: u64) -> bool {
        for _ in 0..limit {
            if !self.step() {
                return true;
            }
        }
        self.queue.is_empty()
    }
}
