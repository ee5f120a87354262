//! The peers announced to this node (BEP 5 `announce_peer`), by info-hash,
//! each for `ttl` after its last announce, and bounded: at most
//! `max_hashes` info-hashes and `max_per_hash` peers each (a newcomer
//! beyond either bound is refused), so that a flood of announces cannot
//! exhaust memory.

use std::collections::BTreeMap;
use std::net::SocketAddrV4;

use super::krpc::NodeId;
use crate::runtime::Millis;

/// Peers returned per `get_peers` answer at most: 50 × 6 bytes keep the
/// answer far below an MTU.
pub const MAX_VALUES: usize = 50;

#[derive(Clone, Debug)]
pub struct PeerStore {
    ttl: Millis,
    max_hashes: usize,
    max_per_hash: usize,
    /// info-hash → peer → expiry.
    swarms: BTreeMap<NodeId, BTreeMap<SocketAddrV4, Millis>>,
}

impl PeerStore {
    pub fn new(ttl: Millis, max_hashes: usize, max_per_hash: usize) -> PeerStore {
        PeerStore {
            ttl,
            max_hashes,
            max_per_hash,
            swarms: BTreeMap::new(),
        }
    }

    /// Records `peer` for `info_hash`; false if a bound refused it.
    pub fn announce(&mut self, now: Millis, info_hash: NodeId, peer: SocketAddrV4) -> bool {
        if !self.swarms.contains_key(&info_hash) && self.swarms.len() >= self.max_hashes {
            return false;
        }
        let swarm = self.swarms.entry(info_hash).or_default();
        if !swarm.contains_key(&peer) && swarm.len() >= self.max_per_hash {
            return false;
        }
        swarm.insert(peer, now + self.ttl);
        true
    }

    /// Up to [`MAX_VALUES`] live peers of `info_hash`, in address order.
    pub fn get(&self, now: Millis, info_hash: &NodeId) -> Vec<SocketAddrV4> {
        self.swarms.get(info_hash).map_or_else(Vec::new, |s| {
            s.iter()
                .filter(|(_, &until)| until > now)
                .map(|(p, _)| *p)
                .take(MAX_VALUES)
                .collect()
        })
    }

    /// Forgets expired announces.
    pub fn expire(&mut self, now: Millis) {
        for swarm in self.swarms.values_mut() {
            swarm.retain(|_, until| *until > now);
        }
        self.swarms.retain(|_, s| !s.is_empty());
    }

    /// Info-hashes and peers held.
    pub fn len(&self) -> (usize, usize) {
        (
            self.swarms.len(),
            self.swarms.values().map(|s| s.len()).sum(),
        )
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    fn peer(i: u8) -> SocketAddrV4 {
        SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, i), 6881)
    }

    #[test]
    fn announces_expire_and_bounds_hold() {
        let (a, b) = (NodeId([1; 20]), NodeId([2; 20]));
        let mut s = PeerStore::new(100, 1, 2);
        assert!(s.announce(0, a, peer(2)));
        assert!(s.announce(0, a, peer(1)));
        assert!(!s.announce(0, a, peer(3)), "max_per_hash");
        assert!(!s.announce(0, b, peer(1)), "max_hashes");
        assert!(s.announce(50, a, peer(2)), "a known peer re-announces");
        assert_eq!(s.get(99, &a), vec![peer(1), peer(2)]);
        assert_eq!(s.get(120, &a), vec![peer(2)]);
        s.expire(200);
        assert_eq!(s.len(), (0, 0));
        assert!(s.announce(200, b, peer(1)));
    }
}
