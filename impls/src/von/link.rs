//! FIFO links over UDP. VON runs over TCP, so a node sees each
//! neighbour's messages in the order they were sent; the protocol relies
//! on it (a MOVE overtaken by an older MOVE would leave a stale position).
//! Over datagrams the sender numbers its messages per receiver address
//! (1, 2, …, under its incarnation `epoch`), and the receiver
//! ([`Links`]) delivers them in that order: a message ahead of the next
//! expected one is held back until the gap fills, or until a gap timer
//! gives the missing ones up as lost; an older one (a duplicate, or one
//! given up) is dropped. A higher epoch from an address is a restarted
//! node: its link starts afresh.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use super::wire::Msg;

/// Most messages held back on one link.
pub const MAX_HELD: usize = 256;
/// Most links a node tracks (each sender address is one).
pub const MAX_LINKS: usize = 65_536;

/// The receiving side of one link.
#[derive(Clone, Debug)]
struct Link {
    epoch: u64,
    /// The next sequence number to deliver.
    expected: u64,
    held: BTreeMap<u64, Msg>,
    /// A gap timer is pending for this link.
    gap_armed: bool,
}

/// What [`Links::accept`] decided.
#[derive(Debug, PartialEq)]
pub enum Accept {
    /// Deliver these, in order.
    Deliver(Vec<Msg>),
    /// Held back; arm a gap timer when `arm` (none is pending yet).
    Held { arm: bool },
    /// Dropped, for this reason.
    Dropped(&'static str),
}

/// Every incoming link of a node, and its outgoing sequence numbers.
#[derive(Clone, Debug, Default)]
pub struct Links {
    incoming: BTreeMap<SocketAddr, Link>,
    outgoing: BTreeMap<SocketAddr, u64>,
}

impl Links {
    /// The sequence number of the next message to `to`.
    pub fn next_seq(&mut self, to: SocketAddr) -> u64 {
        let s = self.outgoing.entry(to).or_insert(0);
        *s += 1;
        *s
    }

    /// A sequenced message arrived from `from`.
    pub fn accept(&mut self, from: SocketAddr, msg: Msg) -> Accept {
        if !self.incoming.contains_key(&from) && self.incoming.len() >= MAX_LINKS {
            return Accept::Dropped("too many links");
        }
        let link = self.incoming.entry(from).or_insert(Link {
            epoch: msg.epoch,
            expected: 1,
            held: BTreeMap::new(),
            gap_armed: false,
        });
        if msg.epoch < link.epoch {
            return Accept::Dropped("stale epoch");
        }
        if msg.epoch > link.epoch {
            *link = Link {
                epoch: msg.epoch,
                expected: 1,
                held: BTreeMap::new(),
                gap_armed: link.gap_armed,
            };
        }
        if msg.seq < link.expected {
            return Accept::Dropped("stale sequence number");
        }
        if msg.seq > link.expected {
            if link.held.contains_key(&msg.seq) {
                return Accept::Dropped("stale sequence number");
            }
            if link.held.len() >= MAX_HELD {
                return Accept::Dropped("reorder buffer full");
            }
            link.held.insert(msg.seq, msg);
            let arm = !link.gap_armed;
            link.gap_armed = true;
            return Accept::Held { arm };
        }
        link.expected += 1;
        let mut out = vec![msg];
        drain(link, &mut out);
        Accept::Deliver(out)
    }

    /// The gap timer of `from`'s link fired: give up the missing messages
    /// before the first held one. Returns what to deliver, how many
    /// sequence numbers were given up, and whether to re-arm.
    pub fn gap(&mut self, from: SocketAddr) -> (Vec<Msg>, u64, bool) {
        let Some(link) = self.incoming.get_mut(&from) else {
            return (Vec::new(), 0, false);
        };
        link.gap_armed = false;
        let Some(&first) = link.held.keys().next() else {
            return (Vec::new(), 0, false);
        };
        let skipped = first.saturating_sub(link.expected);
        link.expected = first;
        let mut out = Vec::new();
        drain(link, &mut out);
        let again = !link.held.is_empty();
        link.gap_armed = again;
        (out, skipped, again)
    }

    /// Messages held back, over all links.
    pub fn held(&self) -> usize {
        self.incoming.values().map(|l| l.held.len()).sum()
    }
}

fn drain(link: &mut Link, out: &mut Vec<Msg>) {
    while let Some(m) = link.held.remove(&link.expected) {
        out.push(m);
        link.expected += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::super::wire::Body;
    use super::*;

    fn m(epoch: u64, seq: u64) -> Msg {
        Msg {
            from: 1,
            epoch,
            seq,
            body: Body::Leave { entries: vec![] },
        }
    }

    fn seqs(a: Accept) -> Vec<u64> {
        match a {
            Accept::Deliver(v) => v.iter().map(|m| m.seq).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn restores_order_and_drops_duplicates() {
        let a: SocketAddr = "10.0.0.1:1".parse().unwrap();
        let mut l = Links::default();
        assert_eq!(l.accept(a, m(0, 2)), Accept::Held { arm: true });
        assert_eq!(l.accept(a, m(0, 3)), Accept::Held { arm: false });
        assert_eq!(seqs(l.accept(a, m(0, 1))), [1, 2, 3]);
        assert_eq!(
            l.accept(a, m(0, 2)),
            Accept::Dropped("stale sequence number")
        );
        assert_eq!(seqs(l.accept(a, m(0, 4))), [4]);
        // The gap timer fired with nothing held: nothing to do.
        assert_eq!(l.gap(a), (vec![], 0, false));
    }

    #[test]
    fn gives_up_lost_messages_after_the_gap_timer() {
        let a: SocketAddr = "10.0.0.1:1".parse().unwrap();
        let mut l = Links::default();
        assert_eq!(seqs(l.accept(a, m(0, 1))), [1]);
        assert_eq!(l.accept(a, m(0, 4)), Accept::Held { arm: true });
        assert_eq!(l.accept(a, m(0, 6)), Accept::Held { arm: false });
        let (d, skipped, again) = l.gap(a);
        assert_eq!(d.iter().map(|m| m.seq).collect::<Vec<_>>(), [4]);
        assert_eq!((skipped, again), (2, true));
        let (d, skipped, again) = l.gap(a);
        assert_eq!(d.iter().map(|m| m.seq).collect::<Vec<_>>(), [6]);
        assert_eq!((skipped, again), (1, false));
        assert_eq!(
            l.accept(a, m(0, 3)),
            Accept::Dropped("stale sequence number")
        );
    }

    #[test]
    fn a_new_epoch_restarts_the_link_and_old_ones_are_dropped() {
        let a: SocketAddr = "10.0.0.1:1".parse().unwrap();
        let mut l = Links::default();
        assert_eq!(seqs(l.accept(a, m(5, 1))), [1]);
        assert_eq!(seqs(l.accept(a, m(5, 2))), [2]);
        assert_eq!(seqs(l.accept(a, m(6, 1))), [1]);
        assert_eq!(l.accept(a, m(5, 3)), Accept::Dropped("stale epoch"));
        // Per receiver numbering on the sending side.
        let b: SocketAddr = "10.0.0.2:1".parse().unwrap();
        assert_eq!((l.next_seq(a), l.next_seq(a), l.next_seq(b)), (1, 2, 1));
    }

    #[test]
    fn the_hold_back_buffer_is_bounded() {
        let a: SocketAddr = "10.0.0.1:1".parse().unwrap();
        let mut l = Links::default();
        for s in 0..MAX_HELD as u64 {
            assert!(matches!(l.accept(a, m(0, 10 + s)), Accept::Held { .. }));
        }
        assert_eq!(
            l.accept(a, m(0, 5000)),
            Accept::Dropped("reorder buffer full")
        );
        assert_eq!(l.held(), MAX_HELD);
    }
}
