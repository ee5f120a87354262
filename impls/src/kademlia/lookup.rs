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
//! Two schedules ([`super::node::LookupMode`]):
//!
//! * **Async** (the default): a new query leaves as soon as any answer or
//!   timeout frees one of the α slots — what BEP 5 clients do; the set of
//!   nodes the lookup ends with obeys the same rule.
//! * **Rounds**: the paper's lock-step algorithm, exactly as the model
//!   (`models/src/kademlia/lookup.rs`) has it, used by the conformance
//!   harness. A round is sent only when nothing is in flight. While each
//!   round brings a node closer than the closest known when it was sent
//!   (and for the first round), the next round queries the α closest
//!   unqueried nodes of the window; once a round brings nothing closer,
//!   the *final* phase queries every unqueried window member, round after
//!   round while answers bring new ones into the window; the lookup ends
//!   when a round would be empty, every window member having answered. A
//!   rounds lookup starts from the origin's whole table, not its k
//!   closest (the model: the origin has heard of every contact), and
//!   keeps every candidate it hears of (the model's `seen`; the async
//!   shortlist is bounded to 4k unqueried). The test-only mutation
//!   `AlphaTermination` stops at the first round that brings nothing
//!   closer, without the final phase, and returns the window as it stands
//!   (answered or not): the model's `alpha-termination` variant.
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

/// The progress of a rounds-mode lookup (the model's `phase`, `best`
/// and `rounds`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rounds {
    /// Rounds sent so far.
    pub sent: u32,
    /// In the final phase (a round brought nothing closer).
    pub last: bool,
    /// The closest non-failed candidate when the current round was sent.
    pub best: Option<NodeId>,
    /// No round is left to send: the lookup is over.
    pub ended: bool,
    /// Mutation: end without the final phase.
    alpha_termination: bool,
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
    /// `Some` in rounds mode.
    rounds: Option<Rounds>,
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
            rounds: None,
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
        l.sort();
        l
    }

    /// Switches to the paper's lock-step rounds (before any query is
    /// asked); `alpha_termination` is the test-only mutation.
    pub fn with_rounds(mut self, alpha_termination: bool) -> Lookup {
        self.rounds = Some(Rounds {
            alpha_termination,
            ..Rounds::default()
        });
        self
    }

    /// The rounds' progress, in rounds mode.
    pub fn rounds(&self) -> Option<&Rounds> {
        self.rounds.as_ref()
    }

    /// Every candidate heard of: seeds first, then by distance.
    pub fn candidates(&self) -> &[Candidate] {
        &self.cands
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
        if self.rounds.is_some() {
            return self.next_round();
        }
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

    /// Rounds mode: the next round (marked asked), once nothing is in
    /// flight; empty while a round runs or when the lookup is over. Seeds
    /// (ids unknown) are asked first, α at a time, before the rounds.
    fn next_round(&mut self) -> Vec<SocketAddrV4> {
        let r = self.rounds.clone().expect("rounds mode");
        if r.ended || self.in_flight() > 0 {
            return Vec::new();
        }
        let seeds: Vec<usize> = (0..self.cands.len())
            .filter(|&i| self.cands[i].id.is_none() && self.cands[i].progress == Progress::Fresh)
            .take(self.alpha)
            .collect();
        if !seeds.is_empty() {
            return self.ask(seeds);
        }
        let window: Vec<usize> = self.window().collect();
        let now = window.first().and_then(|&i| self.cands[i].id);
        let t = self.target;
        let improved = match (now, r.best) {
            (Some(n), Some(b)) => t.distance(&n) < t.distance(&b),
            (Some(_), None) => true,
            (None, _) => false,
        };
        let unqueried: Vec<usize> = window
            .into_iter()
            .filter(|&i| self.cands[i].progress == Progress::Fresh)
            .collect();
        let mut r = r;
        let send: Vec<usize> = if r.last {
            unqueried
        } else if r.sent == 0 || improved {
            unqueried.into_iter().take(self.alpha).collect()
        } else if r.alpha_termination {
            Vec::new()
        } else {
            r.last = true;
            unqueried
        };
        if send.is_empty() {
            r.ended = true;
        } else {
            r.best = now;
            r.sent += 1;
        }
        self.rounds = Some(r);
        self.ask(send)
    }

    fn ask(&mut self, picked: Vec<usize>) -> Vec<SocketAddrV4> {
        picked
            .into_iter()
            .map(|i| {
                self.cands[i].progress = Progress::Asked;
                self.queries += 1;
                self.cands[i].addr
            })
            .collect()
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
        if self.rounds.is_some() {
            return;
        }
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
        if let Some(r) = &self.rounds {
            return r.ended;
        }
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
        // The mutation returns the window as it stands.
        let all = self
            .rounds
            .as_ref()
            .is_some_and(|r| r.alpha_termination && r.ended);
        self.window()
            .filter_map(|i| {
                let c = &self.cands[i];
                let id = c.id.expect("window ids are known");
                match &c.progress {
                    _ if all && !matches!(c.progress, Progress::Answered { .. }) => {
                        Some((CompactNode { id, addr: c.addr }, None, c.hop))
                    }
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
