//! The iterative lookup (Kademlia §2.3): find the k nodes closest to a
//! target by asking, α at a time, the closest nodes heard of so far.
//!
//! The shortlist holds every candidate heard of, closest first; its
//! *window* is the k closest that have not failed. Queries go to unqueried
//! window members, at most α in flight. Each answer adds the nodes it
//! names (one hop further than the answerer). The lookup ends when every
//! window member has answered: the paper's rule "until the k closest nodes
//! seen have all been queried and have responded". A lookup that stops
//! when a round of α brings nothing closer, without that final round, is
//! the bug the model's `alpha-termination` variant shows.
//!
//! Unlike the model's lock-step rounds, queries are asynchronous (a new
//! one leaves as soon as any answer or timeout frees a slot): what BEP 5
//! clients do; the set of nodes the lookup ends with obeys the same rule.
//!
//! Bootstrap contacts are known by address only: they are *seeds*, asked
//! first; their ids become known from their answers.

use std::net::SocketAddrV4;

use super::krpc::{CompactNode, NodeId};

/// A shortlist entry's progress.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Progress {
    Fresh,
    Asked,
    /// Answered; with the write token it gave, if any.
    Answered {
        token: Option<Vec<u8>>,
    },
    Failed,
}

#[derive(Clone, Debug)]
pub struct Candidate {
    /// `None` for a seed whose id is not known yet.
    pub id: Option<NodeId>,
    pub addr: SocketAddrV4,
    /// Messages between the origin and the first time this node was heard
    /// of: 1 for the origin's own contacts and seeds.
    pub hop: u32,
    pub progress: Progress,
}

/// One lookup's state.
#[derive(Clone, Debug)]
pub struct Lookup {
    pub target: NodeId,
    me: NodeId,
    k: usize,
    alpha: usize,
    /// Seeds first, then by distance to the target.
    cands: Vec<Candidate>,
    /// Queries sent.
    pub queries: u32,
    /// Answers received.
    pub answers: u32,
}

impl Lookup {
    /// A lookup of `target` by node `me`, starting from `start` (its own
    /// closest contacts) and `seeds` (addresses only).
    pub fn new(
        me: NodeId,
        target: NodeId,
        k: usize,
        alpha: usize,
        start: impl IntoIterator<Item = CompactNode>,
        seeds: impl IntoIterator<Item = SocketAddrV4>,
    ) -> Lookup {
        let mut l = Lookup {
            target,
            me,
            k,
            alpha: alpha.max(1),
            cands: Vec::new(),
            queries: 0,
            answers: 0,
        };
        for s in seeds {
            if !l.cands.iter().any(|c| c.addr == s) {
                l.cands.push(Candidate {
                    id: None,
                    addr: s,
                    hop: 1,
                    progress: Progress::Fresh,
                });
            }
        }
        for n in start {
            l.add(n, 1);
        }
        l
    }

    fn sort(&mut self) {
        let t = self.target;
        self.cands
            .sort_by_key(|c| (c.id.is_some(), c.id.map(|id| t.distance(&id))));
    }

    fn add(&mut self, n: CompactNode, hop: u32) {
        if n.id == self.me
            || self
                .cands
                .iter()
                .any(|c| c.id == Some(n.id) || c.addr == n.addr)
        {
            return;
        }
        self.cands.push(Candidate {
            id: Some(n.id),
            addr: n.addr,
            hop,
            progress: Progress::Fresh,
        });
    }

    /// Indices of the window: the first k non-failed candidates with a
    /// known id.
    fn window(&self) -> impl Iterator<Item = usize> + '_ {
        self.cands
            .iter()
            .enumerate()
            .filter(|(_, c)| c.id.is_some() && c.progress != Progress::Failed)
            .map(|(i, _)| i)
            .take(self.k)
    }

    fn in_flight(&self) -> usize {
        self.cands
            .iter()
            .filter(|c| c.progress == Progress::Asked)
            .count()
    }

    /// Candidates to query now (marked asked): fresh seeds, then fresh
    /// window members, up to α in flight.
    pub fn to_ask(&mut self) -> Vec<SocketAddrV4> {
        let mut room = self.alpha.saturating_sub(self.in_flight());
        let seeds = (0..self.cands.len()).filter(|&i| self.cands[i].id.is_none());
        let mut pick: Vec<usize> = seeds.chain(self.window()).collect();
        pick.retain(|&i| self.cands[i].progress == Progress::Fresh);
        let mut out = Vec::new();
        for i in pick {
            if room == 0 {
                break;
            }
            self.cands[i].progress = Progress::Asked;
            self.queries += 1;
            room -= 1;
            out.push(self.cands[i].addr);
        }
        out
    }

    /// The id the candidate at `addr` is known under, if any.
    pub fn id_of(&self, addr: SocketAddrV4) -> Option<NodeId> {
        self.cands
            .iter()
            .find(|c| c.addr == addr)
            .and_then(|c| c.id)
    }

    /// Whether `addr` is a candidate we are waiting for.
    pub fn is_asked(&self, addr: SocketAddrV4) -> bool {
        self.cands
            .iter()
            .any(|c| c.addr == addr && c.progress == Progress::Asked)
    }

    /// `addr` answered as `id`, naming `nodes`, with `token`.
    pub fn answered(
        &mut self,
        addr: SocketAddrV4,
        id: NodeId,
        nodes: &[CompactNode],
        token: Option<Vec<u8>>,
    ) {
        let Some(pos) = self.cands.iter().position(|c| c.addr == addr) else {
            return;
        };
        // A seed's id is learnt now; a known candidate must answer with
        // the id it was listed under, or it counts as a failure.
        match self.cands[pos].id {
            None if self.cands.iter().any(|c| c.id == Some(id)) || id == self.me => {
                self.cands[pos].progress = Progress::Failed;
                return;
            }
            None => self.cands[pos].id = Some(id),
            Some(known) if known != id => {
                self.cands[pos].progress = Progress::Failed;
                return;
            }
            Some(_) => {}
        }
        self.cands[pos].progress = Progress::Answered { token };
        self.answers += 1;
        let hop = self.cands[pos].hop + 1;
        for n in nodes {
            self.add(*n, hop);
        }
        self.sort();
        // Bound the shortlist: far unqueried candidates cannot enter the
        // window before the near ones fail, and 4k of them is plenty.
        let keep = 4 * self.k;
        let mut kept = 0;
        self.cands.retain(|c| {
            kept += 1;
            kept <= keep || c.progress != Progress::Fresh
        });
    }

    /// The query to `addr` timed out or was refused.
    pub fn failed(&mut self, addr: SocketAddrV4) {
        if let Some(c) = self.cands.iter_mut().find(|c| c.addr == addr) {
            if c.progress == Progress::Asked {
                c.progress = Progress::Failed;
            }
        }
    }

    /// Every seed settled and every window member answered.
    pub fn done(&self) -> bool {
        let seeds_settled = self
            .cands
            .iter()
            .filter(|c| c.id.is_none())
            .all(|c| c.progress == Progress::Failed);
        seeds_settled
            && self
                .window()
                .all(|i| matches!(self.cands[i].progress, Progress::Answered { .. }))
    }

    /// The window's members that answered, closest first (all of the
    /// window once [`done`](Self::done)), with their tokens.
    pub fn closest(&self) -> Vec<(CompactNode, Option<Vec<u8>>, u32)> {
        self.window()
            .filter_map(|i| {
                let c = &self.cands[i];
                match &c.progress {
                    Progress::Answered { token } => Some((
                        CompactNode {
                            id: c.id.expect("window ids are known"),
                            addr: c.addr,
                        },
                        token.clone(),
                        c.hop,
                    )),
                    _ => None,
                }
            })
            .collect()
    }

    /// Hops of the lookup: how many messages away from the origin the
    /// closest node found was first heard of (0 if none answered).
    pub fn hops(&self) -> u32 {
        self.closest().first().map_or(0, |(_, _, h)| *h)
    }
}

#[cfg(test)]
mod tests;
