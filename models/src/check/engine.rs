//! The compact breadth-first engine (`--strategy bfs-compact`, the
//! default): exact shortest counterexamples at about 19 bytes per visited
//! state.
//!
//! Stateright 0.31's BFS keeps a whole action path with every queued state
//! (about 100 bytes per state) and overwrites discoveries with longer
//! paths (`--strategy bfs` repairs the second problem by asking this
//! engine for the properties it saw fail). This engine avoids both:
//!
//! * **Per visited state**, only a 64-bit fingerprint (in [`FpSet`], an
//!   open-addressing table, 8 bytes a slot) and a link to its parent: the
//!   parent's number (`u32`) and the index of the action that led here in
//!   the parent's [`Model::actions`] list (`u8`; the rare index above 254
//!   goes to a side table). States are numbered in the order they are
//!   first reached, so a level of the search is a contiguous range of
//!   numbers and the frontier needs no numbers of its own.
//! * **The frontier** (the level being expanded and the next one) holds
//!   states, as their compact encodings when the model has one
//!   ([`super::compact`]), else as states, in blocks of at most 1 MiB that
//!   are freed as soon as they are expanded.
//! * **Properties** are evaluated on a state when it is first reached,
//!   and only those not yet violated: the first violating state found
//!   level by level is at the least depth, so a violation, once found, is
//!   final, and later states need not be asked again (Stateright asks
//!   every property of every state, which for `Repairable` is a search).
//! * **Counterexamples** are rebuilt from the parent links: the action
//!   indices from the initial state to the violating one, replayed on the
//!   model (whose `actions` order is deterministic), and checked: the last
//!   state must have the recorded fingerprint and violate the property.
//!
//! # Memory per state
//!
//! The fingerprint table grows by doubling, and a single table would
//! spend between 1 and 2 slots per state depending on where the count
//! falls between two powers of two (and need both the old and the new
//! array while it grows). So it is split into 256 shards that receive
//! geometrically staggered shares of the fingerprints (shard i about
//! 2^(i/256) times shard 0's); their sizes then fall evenly between two
//! powers of two, the table as a whole stays at 1/ln 2 ≈ 1.44 times its
//! minimum size whatever the count, and a growth step copies 1/256 of it.
//! With a maximum load of 0.8 that is 8 · 1.44 / 0.8 ≈ 14.4 bytes per
//! state, plus 5 for the link: **about 19.4 bytes per visited state**,
//! plus the frontier (at Chord's sizes 7–15 bytes of encoding and 4 of
//! offset per frontier state). [`Stats`] reports what a search used.
//! Collisions of 64-bit fingerprints: see [`super::compact`].
//!
//! # Threads without losing the shortest path
//!
//! The search is level-synchronous and processes each level in blocks, in
//! order. A block's states are split into contiguous parts, one per
//! thread; each thread computes its parents' successors and drops those
//! already in the table (which only earlier blocks and levels have
//! written: threads read it, nobody writes it meanwhile). Then one thread
//! merges the parts in order — parent by parent, action by action —
//! inserting fingerprints and numbering the new states, and finally the
//! threads share out the new states to evaluate the pending properties on
//! each (once: repeats within the block are gone by then), and first
//! violations are recorded in numbering order. The result is exactly that
//! of one thread taking the states in that order: the same numbering,
//! counts, first violations and counterexamples, whatever the number of
//! threads.
//!
//! # Agreement with `--strategy bfs`
//!
//! With one thread Stateright's BFS takes states in the same order, so
//! unique states, transitions (successors generated, repeats included,
//! plus the initial states) and the deepest level agree with it. Two deliberate differences: Stateright does not expand a state
//! that violates every property at once (this engine does; no Chord state
//! does), and with `--max-depth d` a space whose deepest state has exactly
//! d events is complete here (Stateright's runner cannot tell it from a
//! cut-off one). Budgets stop at different points (this engine stops
//! after the first expanded state that reaches `--max-states`).

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use stateright::{Model, Property};

use super::compact::{fingerprint, fingerprint_hash, Compact};
use super::run::{CheckOptions, CheckOutcome, Progress, PropertyOutcome, Verdict};
use super::OverlayModel;
use super::Path;

/// Why a search stopped before exploring everything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// `max_states` transitions were generated.
    States,
    /// States deeper than `max_depth` exist.
    Depth,
    /// The deadline passed.
    Timeout,
    /// Memory went past `max_memory`.
    Memory,
    /// More states than 32-bit parent links can number (4·10^9).
    Full,
}

/// Budgets of one search; `None` is unlimited.
#[derive(Clone, Debug, Default)]
pub struct Limits {
    /// Stop once this many transitions were generated.
    pub max_states: Option<usize>,
    /// Check states of at most this many events. Their successors are
    /// still generated and counted (as Stateright does), not checked.
    pub max_depth: Option<usize>,
    pub deadline: Option<Instant>,
    /// Bytes of resident memory (or, where `/proc` is missing, of the
    /// engine's own tables).
    pub max_memory: Option<usize>,
}

/// What a search used.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Stats {
    /// The fingerprint table, in bytes.
    pub table_bytes: usize,
    /// The parent links, in bytes.
    pub link_bytes: usize,
    /// The largest frontier (two consecutive levels), in bytes and states.
    pub peak_frontier_bytes: usize,
    pub peak_frontier: usize,
}

impl Stats {
    /// Table and links per visited state.
    pub fn bytes_per_state(&self, unique: usize) -> f64 {
        (self.table_bytes + self.link_bytes) as f64 / unique.max(1) as f64
    }
}

/// The result of [`search`].
pub struct Search<M: Model> {
    pub unique: usize,
    /// Initial states plus successors generated, repeats included.
    pub transitions: usize,
    /// The deepest level (in events) that holds a state, counting the
    /// unchecked level beyond a depth bound.
    pub deepest: usize,
    /// `None` when everything reachable was explored.
    pub stop: Option<Stop>,
    /// Per property index: a shortest counterexample, when one was found.
    pub found: Vec<Option<Path<M>>>,
    pub stats: Stats,
}

/// Runs a check with the compact engine: the same outcome shape as
/// [`super::run::check`]. With symmetry on, the reduced search gives the
/// counts and verdicts, and a second, unreduced search to the longest
/// shortest counterexample gives concrete traces (a reduced path runs
/// through canonical states, which are not a run of the model).
pub fn check<M: OverlayModel>(
    m: &M,
    opts: &CheckOptions,
    progress: &mut dyn FnMut(&Progress),
) -> CheckOutcome<Path<M>> {
    let start = Instant::now();
    m.halt().set(false);
    let deadline = opts.timeout.map(|t| start + t);
    let reduce = opts.symmetry && m.symmetry().is_some();
    if let Some(sym) = m.symmetry() {
        sym.set(reduce);
    }
    let count = m.properties().len();
    let all: Vec<usize> = (0..count).collect();
    let limits = Limits {
        max_states: opts.max_states,
        max_depth: opts.max_depth,
        deadline,
        max_memory: opts.max_memory,
    };
    let main = search(m, &all, &limits, opts.threads, false, start, progress);
    if let Some(sym) = m.symmetry() {
        sym.set(false);
    }
    let violated: Vec<bool> = main.found.iter().map(Option::is_some).collect();
    let mut found = main.found;
    if reduce && violated.contains(&true) {
        let wanted: Vec<usize> = (0..count).filter(|&i| violated[i]).collect();
        let bound = found.iter().flatten().map(|p| p.1.len()).max();
        let concrete = Limits {
            max_depth: bound,
            deadline,
            max_memory: opts.max_memory,
            ..Limits::default()
        };
        found = search(m, &wanted, &concrete, opts.threads, true, start, progress).found;
    }
    let complete = main.stop.is_none();
    let depth = main.deepest + 1;
    let properties = m
        .expectations()
        .into_iter()
        .zip(found)
        .zip(violated)
        .map(|((info, path), violated)| PropertyOutcome {
            info,
            verdict: match (violated, complete) {
                (true, _) => Verdict::Violated,
                (false, true) => Verdict::Holds,
                (false, false) => Verdict::Unknown,
            },
            shortest: path.is_some(),
            path,
        })
        .collect();
    CheckOutcome {
        unique_states: main.unique,
        states: main.transitions,
        // Stateright's unit (states along the path), as `bfs` reports it.
        max_depth: opts.max_depth.map_or(depth, |d| depth.min(d)),
        complete,
        elapsed: start.elapsed(),
        properties,
        shortest: true,
    }
}

/// Breadth-first search from the model's initial states, evaluating the
/// properties whose indices are in `wanted` (at most 64). With `until_found`
/// it stops as soon as each of them is violated somewhere. `progress` is
/// called about once a second and at the end.
pub fn search<M: OverlayModel>(
    m: &M,
    wanted: &[usize],
    limits: &Limits,
    threads: usize,
    until_found: bool,
    start: Instant,
    progress: &mut dyn FnMut(&Progress),
) -> Search<M> {
    let props = m.properties();
    assert!(
        props.len() <= 64,
        "the compact engine handles at most 64 properties"
    );
    let want_mask = wanted.iter().fold(0u64, |acc, &p| acc | 1 << p);
    let mut e = Engine {
        m,
        codec: m.compact(),
        props: &props,
        threads: threads.max(1),
        limits,
        seen: FpSet::new(),
        links: Links::default(),
        found: vec![None; props.len()],
        found_mask: 0,
        roots: Vec::new(),
        unique: 0,
        transitions: 0,
        stats: Stats::default(),
        start,
        last_report: Instant::now(),
    };
    let (stop, deepest) = e.run(want_mask, until_found, progress);
    e.stats.table_bytes = e.seen.bytes();
    e.stats.link_bytes = e.links.bytes();
    progress(&e.sample(deepest, 0, 0));
    let found = (0..props.len())
        .map(|p| e.found[p].map(|(id, fp)| e.rebuild(p, id, fp)))
        .collect();
    Search {
        unique: e.unique,
        transitions: e.transitions,
        deepest,
        stop,
        found,
        stats: e.stats,
    }
}

/// The process's resident memory in bytes (`VmRSS`), where `/proc` has it.
pub fn resident_bytes() -> Option<usize> {
    proc_status_kb("VmRSS:").map(|kb| kb * 1024)
}

/// The process's peak resident memory in bytes (`VmHWM`).
pub fn peak_resident_bytes() -> Option<usize> {
    proc_status_kb("VmHWM:").map(|kb| kb * 1024)
}

fn proc_status_kb(field: &str) -> Option<usize> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    line[field.len()..].split_whitespace().next()?.parse().ok()
}

/// The search's state between levels and blocks.
struct Engine<'a, M: OverlayModel> {
    m: &'a M,
    codec: Option<&'a dyn Compact<M::State>>,
    props: &'a [Property<M>],
    threads: usize,
    limits: &'a Limits,
    seen: FpSet,
    links: Links,
    /// Per property: the number and fingerprint of its first violation.
    found: Vec<Option<(u32, u64)>>,
    found_mask: u64,
    /// The initial states, numbered 0, 1, … in order.
    roots: Vec<M::State>,
    unique: usize,
    transitions: usize,
    stats: Stats,
    start: Instant,
    last_report: Instant,
}

/// A successor that was not in the table when its block began.
struct Cand {
    fp: u64,
    /// End of its encoding in [`Part::bytes`].
    end: u32,
    action: u16,
}

/// A state the merge numbered: candidate `cand` of part `part`.
struct Fresh {
    part: u32,
    cand: u32,
    id: u32,
    fp: u64,
}

/// What one thread makes of a run of parents.
struct Part<S> {
    /// Per parent: successors generated, and the end of its candidates.
    parents: Vec<(u32, u32)>,
    cands: Vec<Cand>,
    bytes: Vec<u8>,
    /// Without a codec: the candidates' states, one each.
    states: Vec<S>,
}

/// One parent's successors between generation and lookup: their
/// candidates (ends relative to `bytes`), encodings, and states when the
/// model has no codec.
struct Pending<S> {
    generated: u32,
    cands: Vec<Cand>,
    bytes: Vec<u8>,
    states: Vec<S>,
}

impl<S> Default for Pending<S> {
    fn default() -> Self {
        Pending {
            generated: 0,
            cands: Vec::new(),
            bytes: Vec::new(),
            states: Vec::new(),
        }
    }
}

impl<S> Pending<S> {
    fn clear(&mut self) {
        self.generated = 0;
        self.cands.clear();
        self.bytes.clear();
        self.states.clear();
    }
}

/// Per-thread buffers of successor generation, kept across parents.
struct Scratch<A> {
    actions: Vec<A>,
    /// Bytes a state without a codec writes through `Hash`.
    hash: Vec<u8>,
    /// Ends of the fast path's successors.
    ends: Vec<u32>,
}

impl<A> Default for Scratch<A> {
    fn default() -> Self {
        Scratch {
            actions: Vec::new(),
            hash: Vec::new(),
            ends: Vec::new(),
        }
    }
}

impl<S> Part<S> {
    /// The encoding of candidate `c`.
    fn encoding(&self, c: usize) -> &[u8] {
        let begin = if c == 0 { 0 } else { self.cands[c - 1].end };
        &self.bytes[begin as usize..self.cands[c].end as usize]
    }
}

impl<M: OverlayModel> Engine<'_, M> {
    /// The whole search: returns why it stopped and the deepest level.
    fn run(
        &mut self,
        want: u64,
        until_found: bool,
        progress: &mut dyn FnMut(&Progress),
    ) -> (Option<Stop>, usize) {
        let m = self.m;
        let mut frontier = Frontier::default();
        let mut buf = Vec::new();
        self.transitions = 0;
        for s in m.init_states() {
            if !m.within_boundary(&s) {
                continue;
            }
            self.transitions += 1;
            let fp = self.fingerprint(&s, &mut buf);
            if !self.seen.insert(fp) {
                continue;
            }
            let id = self.links.push(ROOT, 0);
            self.unique += 1;
            let violates = self.violations(&s, want);
            self.record(violates, id, fp);
            match self.codec {
                Some(c) => {
                    buf.clear();
                    c.encode(&s, &mut buf);
                    frontier.push_bytes(&buf);
                }
                None => frontier.push_state(s.clone()),
            }
            self.roots.push(s);
        }
        let mut depth = 0usize;
        let mut level_start: u32 = 0;
        loop {
            if frontier.len == 0 || (until_found && self.found_mask & want == want) {
                return (None, depth.saturating_sub(usize::from(frontier.len == 0)));
            }
            // Beyond the depth bound: generate and count, do not check.
            let last = self.limits.max_depth == Some(depth);
            let next_start = self.links.len;
            let mut next = Frontier::default();
            let mut generated = 0usize;
            let mut position: u32 = 0;
            while let Some(block) = frontier.pop_block() {
                let parts = self.expand(&block, !last);
                let (stop, fresh) =
                    self.merge(&parts, level_start + position, last, &mut generated);
                let check = if last { 0 } else { want & !self.found_mask };
                if check != 0 {
                    let verdicts = self.judge(&parts, &fresh, check);
                    for (f, violates) in fresh.iter().zip(verdicts) {
                        self.record(violates, f.id, f.fp);
                    }
                }
                if !last {
                    self.advance(parts, &fresh, &mut next);
                }
                position += block.len() as u32;
                drop(block);
                let waiting = frontier.len + next.len;
                self.stats.peak_frontier = self.stats.peak_frontier.max(waiting);
                let fbytes = frontier.bytes + next.bytes;
                self.stats.peak_frontier_bytes = self.stats.peak_frontier_bytes.max(fbytes);
                let deepest = if generated > 0 { depth + 1 } else { depth };
                if let Some(stop) = stop.or_else(|| self.over_budget(fbytes)) {
                    return (Some(stop), deepest);
                }
                if until_found && self.found_mask & want == want {
                    return (None, deepest);
                }
                if self.last_report.elapsed() >= Duration::from_secs(1) {
                    progress(&self.sample(depth, waiting, fbytes));
                    self.last_report = Instant::now();
                }
            }
            if last {
                let stop = (generated > 0).then_some(Stop::Depth);
                return (stop, if generated > 0 { depth + 1 } else { depth });
            }
            frontier = next;
            level_start = next_start as u32;
            depth += 1;
        }
    }

    fn fingerprint(&self, s: &M::State, buf: &mut Vec<u8>) -> u64 {
        match self.codec {
            Some(c) => {
                buf.clear();
                c.encode(s, buf);
                fingerprint(buf)
            }
            None => fingerprint_hash(s, buf),
        }
    }

    /// The properties in `mask` that `s` violates.
    fn violations(&self, s: &M::State, mask: u64) -> u64 {
        let mut out = 0;
        for (i, p) in self.props.iter().enumerate() {
            if mask >> i & 1 == 1 && !(p.condition)(self.m, s) {
                out |= 1 << i;
            }
        }
        out
    }

    /// Records state `id` as the first violation of what it violates anew.
    fn record(&mut self, violates: u64, id: u32, fp: u64) {
        let new = violates & !self.found_mask;
        if new == 0 {
            return;
        }
        for (p, slot) in self.found.iter_mut().enumerate() {
            if new >> p & 1 == 1 {
                *slot = Some((id, fp));
            }
        }
        self.found_mask |= new;
    }

    /// Expands a block's parents, split across the threads.
    fn expand(&self, block: &Block<M::State>, keep: bool) -> Vec<Part<M::State>> {
        self.split(block.len(), |lo, hi| self.expand_range(block, lo, hi, keep))
    }

    /// `work` on contiguous ranges of `0..n`, one per thread, in order.
    fn split<T: Send>(&self, n: usize, work: impl Fn(usize, usize) -> T + Sync) -> Vec<T> {
        let threads = self.threads.min(n / 8).max(1);
        if threads == 1 {
            return vec![work(0, n)];
        }
        let work = &work;
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|t| {
                    let (lo, hi) = (n * t / threads, n * (t + 1) / threads);
                    scope.spawn(move || work(lo, hi))
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        })
    }

    /// Successors of parents `lo..hi` of `block` that the table does not
    /// hold yet; with `keep`, their encodings (or states) for the next
    /// frontier.
    fn expand_range(
        &self,
        block: &Block<M::State>,
        lo: usize,
        hi: usize,
        keep: bool,
    ) -> Part<M::State> {
        let mut part = Part {
            parents: Vec::with_capacity(hi - lo),
            cands: Vec::new(),
            bytes: Vec::new(),
            states: Vec::new(),
        };
        let mut scratch = Scratch::default();
        // Software pipelining: parent i's successors are generated,
        // fingerprinted and their table slots prefetched while parent
        // i-1's, generated one round earlier, are looked up. The lookups
        // of a large table miss the cache (and the TLB) nearly every time;
        // this way each miss has a whole parent's work to complete in.
        let mut cur = Pending::default();
        let mut prev = Pending::default();
        for i in lo..hi {
            cur.clear();
            self.generate(block, i, keep, &mut cur, &mut scratch);
            if i > lo {
                self.look_up(&mut prev, &mut part, keep);
            }
            std::mem::swap(&mut cur, &mut prev);
        }
        if hi > lo {
            self.look_up(&mut prev, &mut part, keep);
        }
        part
    }

    /// Parent `i`'s successors into `p`, fingerprinted, their slots
    /// prefetched: through the model's fast path on encodings when it
    /// offers one ([`Compact::successors`]), else by decoding the parent
    /// and asking the model.
    fn generate(
        &self,
        block: &Block<M::State>,
        i: usize,
        keep: bool,
        p: &mut Pending<M::State>,
        scratch: &mut Scratch<M::Action>,
    ) {
        if let (Some(c), Some(bytes)) = (self.codec, block.encoding(i)) {
            scratch.ends.clear();
            if c.successors(bytes, &mut p.bytes, &mut scratch.ends) {
                let mut begin = 0usize;
                for (index, &end) in scratch.ends.iter().enumerate() {
                    let fp = fingerprint(&p.bytes[begin..end as usize]);
                    self.candidate(p, fp, end, index);
                    begin = end as usize;
                }
                return;
            }
        }
        let m = self.m;
        let s = block.state(i, self.codec);
        scratch.actions.clear();
        m.actions(&s, &mut scratch.actions);
        for (index, a) in scratch.actions.drain(..).enumerate() {
            let Some(t) = m.next_state(&s, a) else {
                continue;
            };
            if !m.within_boundary(&t) {
                continue;
            }
            let fp = match self.codec {
                Some(c) => {
                    let at = p.bytes.len();
                    c.encode(&t, &mut p.bytes);
                    fingerprint(&p.bytes[at..])
                }
                None => fingerprint_hash(&t, &mut scratch.hash),
            };
            self.candidate(p, fp, p.bytes.len() as u32, index);
            if keep && self.codec.is_none() {
                p.states.push(t);
            }
        }
    }

    /// Notes a successor of `p`'s parent, by the action at `index`, whose
    /// encoding (if any) ends at `end` in `p.bytes`; prefetches its slot.
    fn candidate(&self, p: &mut Pending<M::State>, fp: u64, end: u32, index: usize) {
        self.seen.prefetch(fp);
        let action = u16::try_from(index).expect("at most 65,536 actions per state");
        p.cands.push(Cand { fp, end, action });
        p.generated += 1;
    }

    /// Moves one parent's successors that are not in the table yet into
    /// `part`, in order, and closes the parent's entry.
    fn look_up(&self, p: &mut Pending<M::State>, part: &mut Part<M::State>, keep: bool) {
        let mut begin = 0usize;
        let mut states = p.states.drain(..);
        for cand in &p.cands {
            let end = cand.end as usize;
            // States are kept only without a codec (else encodings).
            let t = states.next();
            if !self.seen.contains(cand.fp) {
                if keep {
                    part.bytes.extend_from_slice(&p.bytes[begin..end]);
                }
                part.cands.push(Cand {
                    fp: cand.fp,
                    end: part.bytes.len() as u32,
                    action: cand.action,
                });
                part.states.extend(t);
            }
            begin = end;
        }
        part.parents.push((p.generated, part.cands.len() as u32));
    }

    /// Merges the parts of a block in order (see the module's essay),
    /// numbering the new states; `first` is the number of the block's
    /// first parent. Returns the new states, and a stop when a budget ran
    /// out within the block.
    fn merge(
        &mut self,
        parts: &[Part<M::State>],
        first: u32,
        last: bool,
        generated: &mut usize,
    ) -> (Option<Stop>, Vec<Fresh>) {
        let mut fresh = Vec::new();
        let mut parent = first;
        for (p, part) in parts.iter().enumerate() {
            let mut c = 0usize;
            for &(succs, end) in &part.parents {
                self.transitions += succs as usize;
                for (i, cand) in part.cands.iter().enumerate().take(end as usize).skip(c) {
                    if let Some(ahead) = part.cands.get(i + PREFETCH_AHEAD) {
                        self.seen.prefetch(ahead.fp);
                    }
                    if !self.seen.insert(cand.fp) {
                        continue;
                    }
                    self.unique += 1;
                    *generated += 1;
                    if last {
                        continue;
                    }
                    if self.links.len >= MAX_STATES {
                        return (Some(Stop::Full), fresh);
                    }
                    let id = self.links.push(parent, usize::from(cand.action));
                    fresh.push(Fresh {
                        part: p as u32,
                        cand: i as u32,
                        id,
                        fp: cand.fp,
                    });
                }
                c = end as usize;
                parent += 1;
                if self
                    .limits
                    .max_states
                    .is_some_and(|n| self.transitions >= n)
                {
                    return (Some(Stop::States), fresh);
                }
            }
        }
        (None, fresh)
    }

    /// The properties in `check` that each new state violates, evaluated
    /// across the threads (once per state: after the merge has dropped
    /// the repeats within the block).
    fn judge(&self, parts: &[Part<M::State>], fresh: &[Fresh], check: u64) -> Vec<u64> {
        let chunks = self.split(fresh.len(), |lo, hi| {
            fresh[lo..hi]
                .iter()
                .map(|f| {
                    let part = &parts[f.part as usize];
                    let state = match self.codec {
                        Some(c) => Cow::Owned(c.decode(part.encoding(f.cand as usize))),
                        None => Cow::Borrowed(&part.states[f.cand as usize]),
                    };
                    self.violations(&state, check)
                })
                .collect::<Vec<u64>>()
        });
        chunks.concat()
    }

    /// Moves the new states into the next frontier, in order.
    fn advance(&self, parts: Vec<Part<M::State>>, fresh: &[Fresh], next: &mut Frontier<M::State>) {
        if self.codec.is_some() {
            for f in fresh {
                next.push_bytes(parts[f.part as usize].encoding(f.cand as usize));
            }
            return;
        }
        let mut states: Vec<_> = parts
            .into_iter()
            .map(|p| p.states.into_iter().enumerate())
            .collect();
        for f in fresh {
            let (_, s) = states[f.part as usize]
                .find(|&(i, _)| i == f.cand as usize)
                .expect("fresh states are in order");
            next.push_state(s);
        }
    }

    /// A budget that ran out between blocks.
    fn over_budget(&self, frontier_bytes: usize) -> Option<Stop> {
        if self.limits.deadline.is_some_and(|d| Instant::now() >= d) {
            return Some(Stop::Timeout);
        }
        let limit = self.limits.max_memory?;
        let used = resident_bytes()
            .unwrap_or_else(|| self.seen.bytes() + self.links.bytes() + frontier_bytes);
        (used > limit).then_some(Stop::Memory)
    }

    fn sample(&self, depth: usize, frontier: usize, frontier_bytes: usize) -> Progress {
        let table_bytes = self.seen.bytes() + self.links.bytes();
        Progress {
            states: self.transitions,
            unique_states: self.unique,
            depth,
            elapsed: self.start.elapsed(),
            frontier,
            memory: resident_bytes().unwrap_or(table_bytes + frontier_bytes),
            table_bytes,
        }
    }

    /// The path to state `id`, replayed from its initial state; the last
    /// state must be the one recorded and violate property `p`.
    fn rebuild(&self, p: usize, id: u32, fp: u64) -> Path<M> {
        let m = self.m;
        let mut indices = Vec::new();
        let mut at = id;
        loop {
            let (parent, action) = self.links.get(at);
            if parent == ROOT {
                break;
            }
            indices.push(action);
            at = parent;
        }
        indices.reverse();
        let init = self.roots[at as usize].clone();
        let mut cur = init.clone();
        let mut steps = Vec::with_capacity(indices.len());
        let mut actions = Vec::new();
        for index in indices {
            actions.clear();
            m.actions(&cur, &mut actions);
            let a = actions
                .get(index)
                .cloned()
                .expect("replay: the model's actions() is deterministic");
            cur = m
                .next_state(&cur, a.clone())
                .expect("replay: the model's next_state() is deterministic");
            steps.push((a, cur.clone()));
        }
        let mut buf = Vec::new();
        assert!(
            self.fingerprint(&cur, &mut buf) == fp && !(self.props[p].condition)(m, &cur),
            "replaying the counterexample of {} did not reach the state recorded: \
             the model is not deterministic, or two states share a fingerprint",
            self.props[p].name
        );
        (init, steps)
    }
}

/// The largest state number (and parent links are `u32`; `ROOT` marks
/// initial states).
const MAX_STATES: usize = u32::MAX as usize - 1;
const ROOT: u32 = u32::MAX;

/// Parent links, numbered by state, in blocks of 2^16 so that growing
/// never copies or over-allocates by more than one block.
#[derive(Default)]
struct Links {
    parents: Vec<Vec<u32>>,
    actions: Vec<Vec<u8>>,
    /// Action indices of 255 and above (255 in `actions` points here).
    wide: HashMap<u32, u16>,
    len: usize,
}

const LINK_BLOCK: usize = 1 << 16;

impl Links {
    fn push(&mut self, parent: u32, action: usize) -> u32 {
        if self.len == self.parents.len() * LINK_BLOCK {
            self.parents.push(Vec::with_capacity(LINK_BLOCK));
            self.actions.push(Vec::with_capacity(LINK_BLOCK));
        }
        let id = self.len as u32;
        self.parents.last_mut().expect("a block").push(parent);
        let narrow = u8::try_from(action).unwrap_or(u8::MAX);
        if narrow == u8::MAX {
            self.wide.insert(id, action as u16);
        }
        self.actions.last_mut().expect("a block").push(narrow);
        self.len += 1;
        id
    }

    fn get(&self, id: u32) -> (u32, usize) {
        let (b, i) = (id as usize / LINK_BLOCK, id as usize % LINK_BLOCK);
        let action = match self.actions[b][i] {
            u8::MAX => usize::from(self.wide[&id]),
            a => usize::from(a),
        };
        (self.parents[b][i], action)
    }

    fn bytes(&self) -> usize {
        self.parents.len() * LINK_BLOCK * 5 + self.wide.capacity() * 8
    }
}

/// A set of 64-bit fingerprints: 256 open-addressing tables (linear
/// probing, 0 = empty, load at most 0.8) with staggered shares of the
/// fingerprints, so that their doublings spread out (see the module's
/// essay). The top 16 bits choose the shard, the low bits the slot.
pub struct FpSet {
    route: Box<[u8]>,
    shards: Vec<Vec<u64>>,
    lens: Vec<usize>,
}

const SHARDS: usize = 256;

/// How many fingerprints ahead the merge prefetches their slots.
const PREFETCH_AHEAD: usize = 8;

impl Default for FpSet {
    fn default() -> Self {
        FpSet::new()
    }
}

impl FpSet {
    pub fn new() -> FpSet {
        let weights: Vec<f64> = (0..SHARDS)
            .map(|i| (i as f64 / SHARDS as f64).exp2())
            .collect();
        let total: f64 = weights.iter().sum();
        let mut route = vec![0u8; 1 << 16];
        let (mut shard, mut bound) = (0, weights[0] / total * 65536.0);
        for (k, r) in route.iter_mut().enumerate() {
            while k as f64 + 0.5 >= bound && shard < SHARDS - 1 {
                shard += 1;
                bound += weights[shard] / total * 65536.0;
            }
            *r = shard as u8;
        }
        FpSet {
            route: route.into_boxed_slice(),
            shards: vec![vec![0; 16]; SHARDS],
            lens: vec![0; SHARDS],
        }
    }

    fn shard(&self, fp: u64) -> usize {
        usize::from(self.route[(fp >> 48) as usize])
    }

    /// Asks the processor to fetch `fp`'s home slot into the cache: the
    /// engine announces a parent's successors before it looks them up, so
    /// that the table's cache misses (the largest cost of a search once
    /// successors are cheap) overlap instead of queueing.
    #[inline]
    pub fn prefetch(&self, fp: u64) {
        #[cfg(target_arch = "x86_64")]
        {
            let fp = fp.max(1);
            let slots = &self.shards[self.shard(fp)];
            let home = slots.as_ptr().wrapping_add(fp as usize & (slots.len() - 1));
            // SAFETY: a prefetch is only a hint: it reads nothing the
            // program sees and never faults; `home` points into `slots`.
            unsafe {
                std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                    home.cast::<i8>(),
                )
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = fp;
    }

    pub fn contains(&self, fp: u64) -> bool {
        let fp = fp.max(1);
        let slots = &self.shards[self.shard(fp)];
        let mask = slots.len() - 1;
        let mut i = fp as usize & mask;
        loop {
            match slots[i] {
                0 => return false,
                x if x == fp => return true,
                _ => i = (i + 1) & mask,
            }
        }
    }

    /// Inserts `fp`; false when it was there already.
    pub fn insert(&mut self, fp: u64) -> bool {
        let fp = fp.max(1);
        let s = self.shard(fp);
        if (self.lens[s] + 1) * 5 > self.shards[s].len() * 4 {
            let bigger = vec![0; self.shards[s].len() * 2];
            let old = std::mem::replace(&mut self.shards[s], bigger);
            for x in old.into_iter().filter(|&x| x != 0) {
                place(&mut self.shards[s], x);
            }
        }
        let added = place(&mut self.shards[s], fp);
        self.lens[s] += usize::from(added);
        added
    }

    pub fn len(&self) -> usize {
        self.lens.iter().sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes allocated, routing table included.
    pub fn bytes(&self) -> usize {
        self.shards.iter().map(|s| s.len() * 8).sum::<usize>() + self.route.len()
    }
}

/// Puts `fp` into a table with room; false when it was there.
fn place(slots: &mut [u64], fp: u64) -> bool {
    let mask = slots.len() - 1;
    let mut i = fp as usize & mask;
    loop {
        match slots[i] {
            0 => {
                slots[i] = fp;
                return true;
            }
            x if x == fp => return false,
            _ => i = (i + 1) & mask,
        }
    }
}

/// States of a level, encoded or not, in blocks freed once expanded.
struct Frontier<S> {
    blocks: VecDeque<Block<S>>,
    len: usize,
    /// Bytes allocated by the blocks (for states: their inline size).
    bytes: usize,
}

impl<S> Default for Frontier<S> {
    fn default() -> Self {
        Frontier {
            blocks: VecDeque::new(),
            len: 0,
            bytes: 0,
        }
    }
}

/// At most this many bytes of encodings, or states, per block: a block is
/// the unit of work between merges and budget checks.
const BLOCK_BYTES: usize = 1 << 20;
const BLOCK_STATES: usize = 1 << 14;

enum Block<S> {
    Bytes { bytes: Vec<u8>, ends: Vec<u32> },
    States(Vec<S>),
}

impl<S: Clone> Block<S> {
    fn len(&self) -> usize {
        match self {
            Block::Bytes { ends, .. } => ends.len(),
            Block::States(v) => v.len(),
        }
    }

    fn state(&self, i: usize, codec: Option<&dyn Compact<S>>) -> Cow<'_, S> {
        match self {
            Block::Bytes { .. } => {
                let codec = codec.expect("encoded blocks come with their codec");
                Cow::Owned(codec.decode(self.encoding(i).expect("encoded")))
            }
            Block::States(v) => Cow::Borrowed(&v[i]),
        }
    }

    /// The encoding of state `i`, in an encoded block.
    fn encoding(&self, i: usize) -> Option<&[u8]> {
        match self {
            Block::Bytes { bytes, ends } => {
                let lo = if i == 0 { 0 } else { ends[i - 1] as usize };
                Some(&bytes[lo..ends[i] as usize])
            }
            Block::States(_) => None,
        }
    }

    fn bytes(&self) -> usize {
        match self {
            Block::Bytes { bytes, ends } => bytes.capacity() + ends.capacity() * 4,
            Block::States(v) => v.capacity() * std::mem::size_of::<S>(),
        }
    }
}

impl<S: Clone> Frontier<S> {
    fn push_bytes(&mut self, enc: &[u8]) {
        let room = match self.blocks.back() {
            Some(Block::Bytes { bytes, ends }) => {
                bytes.len() + enc.len() <= BLOCK_BYTES && ends.len() < BLOCK_STATES
            }
            _ => false,
        };
        if !room {
            self.blocks.push_back(Block::Bytes {
                bytes: Vec::new(),
                ends: Vec::new(),
            });
        }
        let Some(Block::Bytes { bytes, ends }) = self.blocks.back_mut() else {
            unreachable!("just made sure")
        };
        let before = bytes.capacity() + ends.capacity() * 4;
        bytes.extend_from_slice(enc);
        ends.push(bytes.len() as u32);
        self.bytes += bytes.capacity() + ends.capacity() * 4 - before;
        self.len += 1;
    }

    fn push_state(&mut self, s: S) {
        let room = matches!(self.blocks.back(), Some(Block::States(v)) if v.len() < BLOCK_STATES);
        if !room {
            self.blocks
                .push_back(Block::States(Vec::with_capacity(BLOCK_STATES)));
            self.bytes += BLOCK_STATES * std::mem::size_of::<S>();
        }
        let Some(Block::States(v)) = self.blocks.back_mut() else {
            unreachable!("just made sure")
        };
        v.push(s);
        self.len += 1;
    }

    fn pop_block(&mut self) -> Option<Block<S>> {
        let b = self.blocks.pop_front()?;
        self.len -= b.len();
        self.bytes -= b.bytes();
        Some(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_set_holds_what_it_was_given() {
        let mut set = FpSet::new();
        let fps: Vec<u64> = (0..200_000u64)
            .map(|i| fingerprint(&i.to_le_bytes()))
            .collect();
        for &fp in &fps {
            assert!(set.insert(fp));
        }
        assert!(fps.iter().all(|&fp| set.contains(fp) && !set.insert(fp)));
        assert_eq!(set.len(), fps.len());
        assert!(!set.contains(fingerprint(b"not there")));
        // Zero is the empty marker: it stands for one.
        assert!(set.insert(0) && set.contains(1) && !set.insert(1));
        // Staggered shards: between 1/0.8 and 2/0.8 slots per entry.
        let per = set.bytes() as f64 / set.len() as f64;
        assert!((10.0..20.0).contains(&per), "{per} bytes per fingerprint");
    }

    #[test]
    fn links_keep_wide_action_indices() {
        let mut links = Links::default();
        let a = links.push(ROOT, 0);
        let b = links.push(a, 254);
        let c = links.push(b, 255);
        let d = links.push(c, 9000);
        assert_eq!(links.get(a), (ROOT, 0));
        assert_eq!(links.get(b), (a, 254));
        assert_eq!(links.get(c), (b, 255));
        assert_eq!(links.get(d), (c, 9000));
    }
}
