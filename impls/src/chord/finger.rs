//! The finger table (Chord §4.3): finger i is the first node at or after
//! `me + 2^i`. With N nodes only about log2 N of the 160 fingers differ
//! (the small ones all name the first successor), so the table is stored
//! as runs of equal entries: a few hundred bytes per node instead of
//! 9 KiB, which is what lets the simulator hold 10^5 nodes comfortably.

use super::id::{between, Id, Peer, BITS};

/// Fingers 0..160 as runs `(first index, entry)`, sorted, first index 0.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fingers {
    runs: Vec<(u8, Option<Peer>)>,
}

impl Default for Fingers {
    fn default() -> Self {
        Fingers {
            runs: vec![(0, None)],
        }
    }
}

impl Fingers {
    /// Finger `i`.
    pub fn get(&self, i: usize) -> Option<Peer> {
        let k = self.runs.partition_point(|&(s, _)| s as usize <= i) - 1;
        self.runs[k].1
    }

    /// Sets fingers `from..=to` to `p`.
    pub fn set_range(&mut self, from: usize, to: usize, p: Option<Peer>) {
        assert!(from <= to && to < BITS);
        let mut out: Vec<(u8, Option<Peer>)> = Vec::with_capacity(self.runs.len() + 2);
        for (k, &(s, e)) in self.runs.iter().enumerate() {
            let (start, end) = (
                s as usize,
                self.runs.get(k + 1).map_or(BITS, |r| r.0 as usize),
            );
            if start < from {
                out.push((s, e));
            }
            if start <= from && from < end {
                out.push((from as u8, p));
            }
            if end > to + 1 {
                out.push((start.max(to + 1) as u8, e));
            }
        }
        out.dedup_by(|b, a| a.1 == b.1);
        self.runs = out;
    }

    /// Forgets a peer found dead.
    pub fn remove(&mut self, id: Id) {
        for r in self.runs.iter_mut() {
            if r.1.is_some_and(|p| p.id == id) {
                r.1 = None;
            }
        }
        self.runs.dedup_by(|b, a| a.1 == b.1);
    }

    /// The distinct entries, from the farthest finger down.
    pub fn distinct_desc(&self) -> impl Iterator<Item = Peer> + '_ {
        self.runs.iter().rev().filter_map(|r| r.1)
    }

    /// The finger entries strictly between `me` and `key`, closest to the
    /// key first (Chord's `closest_preceding_node`, with runners-up).
    pub fn preceding(&self, me: Id, key: Id) -> impl Iterator<Item = Peer> + '_ {
        self.distinct_desc().filter(move |p| between(me, p.id, key))
    }

    /// Number of runs (memory accounting).
    pub fn runs(&self) -> usize {
        self.runs.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(n: u16) -> Peer {
        Peer::at(format!("10.0.0.1:{n}").parse().unwrap())
    }

    /// A plain 160-entry array, to check the runs against.
    fn check(f: &Fingers, plain: &[Option<Peer>]) {
        for (i, e) in plain.iter().enumerate() {
            assert_eq!(f.get(i), *e, "finger {i}");
        }
        assert_eq!(f.runs[0].0, 0);
        assert!(f
            .runs
            .windows(2)
            .all(|w| w[0].0 < w[1].0 && w[0].1 != w[1].1));
    }

    #[test]
    fn runs_behave_like_an_array() {
        let mut f = Fingers::default();
        let mut plain = vec![None; BITS];
        let ops: &[(usize, usize, Option<u16>)] = &[
            (0, 100, Some(1)),
            (101, 159, Some(2)),
            (50, 60, Some(3)),
            (0, 0, Some(3)),
            (159, 159, None),
            (40, 120, Some(1)),
            (0, 159, Some(2)),
            (7, 7, Some(4)),
            (8, 8, Some(4)),
            (6, 6, Some(4)),
        ];
        for &(a, b, p) in ops {
            let p = p.map(peer);
            f.set_range(a, b, p);
            for x in plain.iter_mut().take(b + 1).skip(a) {
                *x = p;
            }
            check(&f, &plain);
        }
        f.remove(peer(4).id);
        for x in plain.iter_mut() {
            if *x == Some(peer(4)) {
                *x = None;
            }
        }
        check(&f, &plain);
        assert_eq!(f.runs(), 3, "2, none, 2");
    }
}
