//! Swarm workers (`--strategy swarm`): seeded, randomized, depth-bounded
//! depth-first searches over bitstate tables, for state spaces beyond one
//! machine.
//!
//! The idea is Holzmann's *swarm verification* (Holzmann, Joshi, Groce,
//! "Swarm Verification Techniques", IEEE TSE 2011): instead of one
//! exhaustive search that needs the whole space in memory, run many small,
//! independent searches that differ in their search order and
//! configuration, each with bounded memory, and combine what they find.
//! Each one covers a different part of a space none could hold, and the
//! union finds errors a single search of the same total time misses. A
//! worker here is one seed; a fleet runs one process per seed under any
//! batch scheduler, each writes a JSON result, and `overlay merge` keeps
//! the shortest counterexample per property.
//!
//! # One worker
//!
//! * **Search order.** Depth-first from the model's initial states (taken
//!   in a seeded random order), and at every state its enabled events in
//!   a seeded random order: a Fisher–Yates shuffle driven by ChaCha8
//!   seeded from the worker's seed (ChaCha's stream is the same on every
//!   platform and version, and the shuffle is written here, not taken from
//!   `rand`, whose algorithms may change between versions).
//! * **Configuration per seed.** Unless given, the depth bound (events
//!   from an initial state) is one of [`DEPTH_BOUNDS`] and the number of
//!   hash functions 2 or 3, both chosen by the seed; the hash functions
//!   themselves are salted by the seed, so two workers lose different
//!   states to collisions.
//! * **Visited states** live in a *bitstate* table (SPIN's supertrace):
//!   a bit array of 2^b bits; a state is hashed from its 64-bit
//!   fingerprint ([`super::compact`], over the model's compact encoding
//!   when it has one) to k bit positions (double hashing, Kirsch and
//!   Mitzenmacher), and counts as visited when all k are set. Memory is
//!   fixed in advance whatever the space's size. A false "visited" (all k
//!   bits set by other states) hides a state's successors from this
//!   worker, never invents a violation: every counterexample is a path of
//!   real states, replayed by `overlay merge` and `overlay replay`. With n
//!   states in m bits the chance that a new state looks visited is about
//!   (1 - e^(-kn/m))^k: 1.3 % for 12 million states in 2^27 bits, k = 3.
//! * **Depth table.** Beside the bits, one byte per 8 bits of the array
//!   holds, per slot (another hash of the fingerprint), the least depth at
//!   which a state hashed there was reached. A state that looks visited
//!   but is reached at a smaller depth than its slot holds is explored
//!   again (SPIN's `-DREACH`). This is what makes a depth-bounded search
//!   see every state within the bound (up to collisions): without it, a
//!   state first reached deep, near the bound, would never be expanded
//!   from a shallower path; and it is what turns the long counterexamples
//!   depth-first search finds first into short ones: each property keeps
//!   the shortest violating path this worker met, and states are checked
//!   only for properties whose best path is longer than their depth. A
//!   slot's value only decreases, so the search terminates.
//! * **Properties** are every property of the model, treated as
//!   `always` properties, as the compact engine treats them; each state
//!   is checked when it is (re)visited.
//! * **Budgets** (`max_states` transitions, a deadline, resident memory)
//!   end the worker; they are tested after each transition (the deadline
//!   and memory every 1,024), so a worker stopped by its deadline after T
//!   transitions is repeated exactly by the same seed with `--max-states
//!   T`. Without a budget a worker ends when its bounded search is done;
//!   with one, and a depth bound chosen by the seed (a given one is
//!   kept), a search that met states at its bound while some property is
//!   still not violated starts again
//!   from the initial states with twice the bound and empty tables
//!   (iterative deepening: a worker whose seed chose a small bound finds
//!   the short counterexamples within it first, then goes on deeper),
//!   keeping the counterexamples found, until the budget ends.
//!   A swarm is never complete: a property no worker violated is
//!   *unknown*, not *holds*.
//!
//! Same seed and options, same run: the same states in the same order
//! (the outcome's [`SwarmOutcome::digest`] pins it), the same
//! counterexamples, byte for byte; only a deadline or memory budget makes
//! the stopping point depend on the machine.

use std::time::{Duration, Instant};

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use stateright::{Model, Property};

use super::compact::{fingerprint, fingerprint_hash, Compact};
use super::engine::resident_bytes;
use super::run::{Progress, Verdict};
use super::runner::{base_meta, to_trace};
use super::Path;
use super::{model_args, OverlayModel, PropertyInfo};
use crate::trace::Trace;

/// The depth bounds a seed chooses from when none is given.
pub const DEPTH_BOUNDS: [usize; 8] = [16, 20, 24, 32, 40, 48, 64, 96];

/// Bits of the bitstate table, as a power of two, by default: 2^27 bits
/// (16 MiB, plus as much again for the depth table).
pub const DEFAULT_BITS_LOG2: u32 = 27;

/// The table sizes a worker accepts (2^10 bits to 2^36 = 8 GiB).
pub const BITS_LOG2_RANGE: std::ops::RangeInclusive<u32> = 10..=36;

/// At most this many hash functions.
pub const MAX_HASHES: u32 = 8;

/// How to run one worker; `None` leaves the choice to the seed.
#[derive(Clone, Debug)]
pub struct SwarmOptions {
    pub seed: u64,
    /// Events from an initial state (states deeper are not generated).
    /// `None`: the seed chooses a bound, which deepens when a budget is
    /// given (see [`SwarmOutcome::passes`]).
    pub max_depth: Option<usize>,
    /// The bit array has 2^`bits_log2` bits.
    pub bits_log2: u32,
    /// Hash functions per state (bits set per state).
    pub hashes: Option<u32>,
    /// Stop after this many transitions (initial states included).
    pub max_states: Option<usize>,
    pub timeout: Option<Duration>,
    /// Stop when the process's resident memory passes this many bytes.
    pub max_memory: Option<usize>,
    /// Key the visited table by the model's representative of each
    /// state's symmetry class (when it has one).
    pub symmetry: bool,
}

impl SwarmOptions {
    /// Default options for `seed`.
    pub fn new(seed: u64) -> SwarmOptions {
        SwarmOptions {
            seed,
            max_depth: None,
            bits_log2: DEFAULT_BITS_LOG2,
            hashes: None,
            max_states: None,
            timeout: None,
            max_memory: None,
            symmetry: false,
        }
    }

    /// The configuration this worker runs with: what was given, and the
    /// seed's choices for the rest.
    pub fn config(&self) -> SwarmConfig {
        let pick = mix(self.seed ^ 0x6465_7074_685f_626f);
        SwarmConfig {
            seed: self.seed,
            depth_bound: self
                .max_depth
                .unwrap_or(DEPTH_BOUNDS[(pick % DEPTH_BOUNDS.len() as u64) as usize]),
            bits_log2: self.bits_log2,
            hashes: self.hashes.unwrap_or(2 + (self.seed % 2) as u32),
        }
    }
}

/// A worker's configuration, resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SwarmConfig {
    pub seed: u64,
    pub depth_bound: usize,
    pub bits_log2: u32,
    pub hashes: u32,
}

impl SwarmConfig {
    /// Bytes of the bit array and of the depth table (one byte per 8 bits).
    pub fn table_bytes(&self) -> usize {
        2 * (1usize << self.bits_log2) / 8
    }
}

/// Why a worker ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SwarmStop {
    /// The depth-bounded search was done.
    Exhausted,
    /// `max_states` transitions were generated.
    States,
    Timeout,
    Memory,
}

impl SwarmStop {
    pub fn as_str(self) -> &'static str {
        match self {
            SwarmStop::Exhausted => "exhausted",
            SwarmStop::States => "max-states",
            SwarmStop::Timeout => "timeout",
            SwarmStop::Memory => "max-memory",
        }
    }
}

/// What a worker found for one property.
pub struct SwarmProperty<P> {
    pub info: PropertyInfo,
    /// The shortest violating path the worker met.
    pub path: Option<P>,
    /// Transitions generated when that path was recorded: the worker
    /// repeated with `--max-states` this number ends right after it.
    pub found_at: Option<usize>,
}

impl<P> SwarmProperty<P> {
    /// Violated, or unknown: a swarm never proves that a property holds.
    pub fn verdict(&self) -> Verdict {
        match self.path {
            Some(_) => Verdict::Violated,
            None => Verdict::Unknown,
        }
    }
}

/// What one worker did and found.
pub struct SwarmOutcome<P> {
    pub config: SwarmConfig,
    /// Passes of the search: with a budget and a depth bound chosen by the
    /// seed, a pass that cut states off at its bound (while some property
    /// is not violated yet) is followed by one with twice the bound and
    /// empty tables, until the budget ends.
    pub passes: usize,
    /// The depth bound of the last pass.
    pub final_depth_bound: usize,
    /// States new to the table (summed over the passes).
    pub states: usize,
    /// States explored again because reached at a smaller depth.
    pub revisits: usize,
    /// Initial states and successors generated, repeats included.
    pub transitions: usize,
    /// The deepest (re)visited state, in events.
    pub deepest: usize,
    pub stop: SwarmStop,
    /// A hash of the fingerprints of the (re)visited states, in order:
    /// equal digests, equal searches.
    pub digest: u64,
    pub elapsed: Duration,
    pub properties: Vec<SwarmProperty<P>>,
}

/// Runs one worker.
///
/// Errors: a table size outside [`BITS_LOG2_RANGE`], a hash count outside
/// 1..=[`MAX_HASHES`], or a table the machine cannot allocate.
pub fn search<M: OverlayModel>(
    m: &M,
    opts: &SwarmOptions,
    progress: &mut dyn FnMut(&Progress),
) -> Result<SwarmOutcome<Path<M>>, String> {
    let start = Instant::now();
    let config = opts.config();
    if !BITS_LOG2_RANGE.contains(&config.bits_log2) {
        return Err(format!(
            "a bitstate table of 2^{} bits: expected 2^{} to 2^{}",
            config.bits_log2,
            BITS_LOG2_RANGE.start(),
            BITS_LOG2_RANGE.end()
        ));
    }
    if !(1..=MAX_HASHES).contains(&config.hashes) {
        return Err(format!(
            "{} hash functions: expected 1 to {MAX_HASHES}",
            config.hashes
        ));
    }
    m.halt().set(false);
    // Counterexamples are concrete runs: never canonical states.
    if let Some(sym) = m.symmetry() {
        sym.set(false);
    }
    let props = m.properties();
    let mut w = Worker {
        m,
        symmetric: m.representative().filter(|_| opts.symmetry),
        codec: m.compact(),
        props: &props,
        table: Bitstate::new(&config)?,
        rng: ChaCha8Rng::seed_from_u64(config.seed),
        config,
        opts,
        deadline: opts.timeout.map(|t| start + t),
        start,
        last_report: Instant::now(),
        stack: Vec::new(),
        bound: config.depth_bound,
        passes: 1,
        cut: false,
        best: vec![None; props.len()],
        found_at: vec![None; props.len()],
        states: 0,
        revisits: 0,
        transitions: 0,
        deepest: 0,
        digest: 0,
        scratch: Vec::new(),
    };
    let stop = w.run(progress);
    progress(&w.sample());
    let Worker {
        best,
        found_at,
        bound,
        passes,
        states,
        revisits,
        transitions,
        deepest,
        digest,
        ..
    } = w;
    let properties = m
        .expectations()
        .into_iter()
        .zip(best)
        .zip(found_at)
        .map(|((info, path), found_at)| SwarmProperty {
            info,
            path,
            found_at,
        })
        .collect();
    Ok(SwarmOutcome {
        config,
        passes,
        final_depth_bound: bound,
        states,
        revisits,
        transitions,
        deepest,
        stop,
        digest,
        elapsed: start.elapsed(),
        properties,
    })
}

/// [`search`], with counterexamples as ITF traces. Each trace's `#meta`
/// names the seed and the command that repeats the worker up to the
/// moment it recorded the trace (`--max-states`), which writes the same
/// trace again.
pub fn traced<M: OverlayModel>(
    m: &M,
    opts: &SwarmOptions,
    progress: &mut dyn FnMut(&Progress),
) -> Result<SwarmOutcome<Trace>, String> {
    let out = search(m, opts, progress)?;
    let config = out.config;
    let properties = out
        .properties
        .into_iter()
        .map(|p| {
            let path = p.path.map(|path| {
                let at = p.found_at.expect("a path comes with its transition count");
                let cmd = command(&model_args(m), opts, at);
                let mut meta = base_meta(m, "counterexample", cmd);
                meta.insert("property".into(), p.info.name.into());
                meta.insert("shortest".into(), "false".into());
                meta.insert("seed".into(), config.seed.to_string());
                meta.insert("strategy".into(), "swarm".into());
                to_trace(m, &path, meta)
            });
            SwarmProperty {
                info: p.info,
                path,
                found_at: p.found_at,
            }
        })
        .collect();
    Ok(SwarmOutcome {
        config: out.config,
        passes: out.passes,
        final_depth_bound: out.final_depth_bound,
        states: out.states,
        revisits: out.revisits,
        transitions: out.transitions,
        deepest: out.deepest,
        stop: out.stop,
        digest: out.digest,
        elapsed: out.elapsed,
        properties,
    })
}

/// The command line that runs the worker of `opts` again, for `model` as
/// [`model_args`] writes it, stopping after `max_states` transitions. The
/// depth bound and hash count appear only when they were given: else the
/// seed chooses them again (and a chosen bound may deepen, a given one
/// never does).
pub fn command(model: &str, opts: &SwarmOptions, max_states: usize) -> String {
    let mut cmd = format!(
        "overlay check {model} --strategy swarm --seeds {}",
        opts.seed
    );
    if let Some(d) = opts.max_depth {
        cmd.push_str(&format!(" --max-depth {d}"));
    }
    cmd.push_str(&format!(" --swarm-bits {}", opts.bits_log2));
    if let Some(k) = opts.hashes {
        cmd.push_str(&format!(" --swarm-hashes {k}"));
    }
    cmd.push_str(&format!(" --max-states {max_states}"));
    if opts.symmetry {
        cmd.push_str(" --symmetry");
    }
    cmd
}

/// A state on the depth-first stack, with its events still to take.
struct Frame<M: Model> {
    state: M::State,
    /// The event that led here (`None` for an initial state).
    via: Option<M::Action>,
    actions: Vec<M::Action>,
    next: usize,
}

struct Worker<'a, M: OverlayModel> {
    m: &'a M,
    /// The representative keying the table, with symmetry on.
    symmetric: Option<super::Representative<M::State>>,
    codec: Option<&'a dyn Compact<M::State>>,
    props: &'a [Property<M>],
    table: Bitstate,
    rng: ChaCha8Rng,
    config: SwarmConfig,
    opts: &'a SwarmOptions,
    deadline: Option<Instant>,
    start: Instant,
    last_report: Instant,
    stack: Vec<Frame<M>>,
    /// The depth bound of this pass.
    bound: usize,
    /// Passes begun (the first is 1).
    passes: usize,
    /// Whether this pass met a state at its bound (whose successors it
    /// did not generate).
    cut: bool,
    /// Per property: the shortest violating path so far.
    best: Vec<Option<Path<M>>>,
    found_at: Vec<Option<usize>>,
    states: usize,
    revisits: usize,
    transitions: usize,
    deepest: usize,
    digest: u64,
    scratch: Vec<u8>,
}

impl<M: OverlayModel> Worker<'_, M> {
    fn run(&mut self, progress: &mut dyn FnMut(&Progress)) -> SwarmStop {
        let m = self.m;
        let mut roots = m.init_states();
        shuffle(&mut roots, &mut self.rng);
        let mut roots = roots.into_iter();
        // Only a bound the seed chose deepens; a given one is kept.
        let budget = self.opts.max_states.is_some()
            || self.opts.timeout.is_some()
            || self.opts.max_memory.is_some();
        let deepen = budget && self.opts.max_depth.is_none();
        loop {
            let (state, via, depth) = match self.stack.last_mut() {
                None => match roots.next() {
                    Some(s) => (s, None, 0),
                    // Budget left, states cut off at the bound and some
                    // property not violated yet (within the bound, the
                    // pass found the shortest paths there are, up to
                    // collisions): again, twice as deep, empty tables.
                    None if deepen && self.cut && self.best.iter().any(Option::is_none) => {
                        self.bound = self.bound.saturating_mul(2).max(1);
                        self.passes += 1;
                        self.cut = false;
                        self.table.clear();
                        let mut again = m.init_states();
                        shuffle(&mut again, &mut self.rng);
                        roots = again.into_iter();
                        continue;
                    }
                    None => return SwarmStop::Exhausted,
                },
                Some(top) if top.next == top.actions.len() => {
                    self.stack.pop();
                    continue;
                }
                Some(top) => {
                    let a = top.actions[top.next].clone();
                    top.next += 1;
                    match m.next_state(&top.state, a.clone()) {
                        Some(t) => (t, Some(a), self.stack.len()),
                        None => continue,
                    }
                }
            };
            if !m.within_boundary(&state) {
                continue;
            }
            self.transitions += 1;
            self.visit(state, via, depth);
            if let Some(stop) = self.over_budget() {
                return stop;
            }
            if self.last_report.elapsed() >= Duration::from_secs(1) {
                progress(&self.sample());
                self.last_report = Instant::now();
            }
        }
    }

    /// A budget that ran out (tested after every transition; the clock
    /// and memory every 1,024).
    fn over_budget(&self) -> Option<SwarmStop> {
        if self.opts.max_states.is_some_and(|n| self.transitions >= n) {
            return Some(SwarmStop::States);
        }
        if self.transitions & 1023 != 0 {
            return None;
        }
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return Some(SwarmStop::Timeout);
        }
        let over = |limit: usize| resident_bytes().unwrap_or(self.config.table_bytes()) > limit;
        self.opts
            .max_memory
            .is_some_and(over)
            .then_some(SwarmStop::Memory)
    }

    /// Takes a state reached at `depth` events: checks and expands it
    /// unless the table says it was already seen at this depth or less.
    fn visit(&mut self, state: M::State, via: Option<M::Action>, depth: usize) {
        // With symmetry the table is keyed by the class's representative;
        // the stack keeps the concrete state, so paths stay runs.
        let canonical = self.symmetric.map(|rep| rep(&state));
        let keyed = canonical.as_ref().unwrap_or(&state);
        let fp = match self.codec {
            Some(c) => {
                self.scratch.clear();
                c.encode(keyed, &mut self.scratch);
                fingerprint(&self.scratch)
            }
            None => fingerprint_hash(keyed, &mut self.scratch),
        };
        match self.table.visit(fp, depth) {
            Seen::Before => return,
            Seen::New => self.states += 1,
            Seen::Deeper => self.revisits += 1,
        }
        self.digest = mix(self.digest ^ fp).wrapping_add(depth as u64);
        self.deepest = self.deepest.max(depth);
        for p in 0..self.props.len() {
            if shorter_than(&self.best[p], depth) && !(self.props[p].condition)(self.m, &state) {
                self.best[p] = Some(self.path_to(&state, via.as_ref()));
                self.found_at[p] = Some(self.transitions);
            }
        }
        if depth >= self.bound {
            self.cut = true;
            return;
        }
        if !self.best.iter().any(|b| shorter_than(b, depth + 1)) {
            return;
        }
        let mut actions = Vec::new();
        self.m.actions(&state, &mut actions);
        shuffle(&mut actions, &mut self.rng);
        self.stack.push(Frame {
            state,
            via,
            actions,
            next: 0,
        });
    }

    /// The path along the stack to `state`.
    fn path_to(&self, state: &M::State, via: Option<&M::Action>) -> Path<M> {
        let Some(via) = via else {
            return (state.clone(), Vec::new());
        };
        let init = self.stack[0].state.clone();
        let mut steps: Vec<_> = self.stack[1..]
            .iter()
            .map(|f| {
                let a = f.via.clone().expect("only initial states have no event");
                (a, f.state.clone())
            })
            .collect();
        steps.push((via.clone(), state.clone()));
        (init, steps)
    }

    fn sample(&self) -> Progress {
        Progress {
            states: self.transitions,
            unique_states: self.states,
            depth: self.stack.len(),
            elapsed: self.start.elapsed(),
            frontier: self.stack.len(),
            memory: resident_bytes().unwrap_or(self.config.table_bytes()),
            table_bytes: self.config.table_bytes(),
        }
    }
}

/// Whether a property whose best path is `best` could still get a
/// shorter one from a state at `depth` events.
fn shorter_than<P>(best: &Option<(P, Vec<impl Sized>)>, depth: usize) -> bool {
    best.as_ref().is_none_or(|p| depth < p.1.len())
}

/// Fisher–Yates, drawing from ChaCha8 (unbiased: Lemire's multiply and
/// reject).
fn shuffle<T>(items: &mut [T], rng: &mut ChaCha8Rng) {
    for i in (1..items.len()).rev() {
        let j = below(rng, i as u64 + 1) as usize;
        items.swap(i, j);
    }
}

/// A uniform number in `0..n` (n ≥ 1).
fn below(rng: &mut ChaCha8Rng, n: u64) -> u64 {
    let threshold = n.wrapping_neg() % n;
    loop {
        let x = u128::from(rng.next_u64()) * u128::from(n);
        if (x as u64) >= threshold {
            return (x >> 64) as u64;
        }
    }
}

/// SplitMix64's finalizer: a bijective mix of 64 bits.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// What the table says of a state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Seen {
    New,
    /// Seen, but its depth slot holds a greater depth: explore again.
    Deeper,
    Before,
}

/// The bit array and the depth table.
struct Bitstate {
    words: Vec<u64>,
    mask: u64,
    hashes: u32,
    salt: u64,
    depths: Vec<u8>,
    depth_mask: u64,
}

impl Bitstate {
    fn new(config: &SwarmConfig) -> Result<Bitstate, String> {
        let bits = 1u64 << config.bits_log2;
        let words = zeroed(bits as usize / 64, 0u64, "bitstate table")?;
        let depths = zeroed(bits as usize / 8, u8::MAX, "depth table")?;
        Ok(Bitstate {
            words,
            mask: bits - 1,
            hashes: config.hashes,
            salt: mix(config.seed ^ 0x7377_6172_6d5f_6873),
            depth_mask: bits / 8 - 1,
            depths,
        })
    }

    /// Forgets every state.
    fn clear(&mut self) {
        self.words.fill(0);
        self.depths.fill(u8::MAX);
    }

    /// Sets the state's bits and lowers its depth slot to `depth`.
    fn visit(&mut self, fp: u64, depth: usize) -> Seen {
        let h1 = mix(fp ^ self.salt);
        let h2 = mix(h1 ^ self.salt.rotate_left(32)) | 1;
        let mut new = false;
        for i in 0..u64::from(self.hashes) {
            let bit = h1.wrapping_add(i.wrapping_mul(h2)) & self.mask;
            let (word, b) = ((bit / 64) as usize, bit % 64);
            new |= self.words[word] >> b & 1 == 0;
            self.words[word] |= 1 << b;
        }
        let slot = (mix(h2 ^ h1.rotate_left(17)) & self.depth_mask) as usize;
        let d = u8::try_from(depth).unwrap_or(u8::MAX);
        let shallower = d < self.depths[slot];
        if shallower {
            self.depths[slot] = d;
        }
        match (new, shallower) {
            (true, _) => Seen::New,
            (false, true) => Seen::Deeper,
            (false, false) => Seen::Before,
        }
    }
}

/// A vector of `n` copies of `value`, or an error when it cannot be had.
fn zeroed<T: Copy>(n: usize, value: T, what: &str) -> Result<Vec<T>, String> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|e| {
        format!(
            "cannot allocate the {what} ({} bytes): {e}",
            n * std::mem::size_of::<T>()
        )
    })?;
    v.resize(n, value);
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::replay::replay;
    use crate::chord::overlay::build;
    use crate::chord::ChordModel;

    fn original3() -> ChordModel {
        build("original", &vec![("nodes".into(), "3".into())]).expect("valid scope")
    }

    fn opts(seed: u64, max_states: usize) -> SwarmOptions {
        SwarmOptions {
            max_states: Some(max_states),
            bits_log2: 22,
            ..SwarmOptions::new(seed)
        }
    }

    fn run(m: &ChordModel, o: &SwarmOptions) -> SwarmOutcome<Trace> {
        traced(m, o, &mut |_| {}).expect("the table fits")
    }

    /// Everything a worker reports, as text (traces byte for byte).
    fn fingerprint_of(out: &SwarmOutcome<Trace>) -> String {
        let mut s = format!(
            "{:?} {} {} {} {} {:?} {:x}\n",
            out.config,
            out.states,
            out.revisits,
            out.transitions,
            out.deepest,
            out.stop,
            out.digest
        );
        for p in &out.properties {
            s.push_str(&format!("{} {:?}\n", p.info.name, p.found_at));
            if let Some(t) = &p.path {
                s.push_str(&t.to_string_pretty());
            }
        }
        s
    }

    #[test]
    fn same_seed_same_search_byte_for_byte() {
        let m = original3();
        let a = run(&m, &opts(7, 60_000));
        let b = run(&m, &opts(7, 60_000));
        assert_eq!(a.transitions, 60_000);
        assert_eq!(a.stop, SwarmStop::States);
        assert!(a.properties.iter().any(|p| p.path.is_some()));
        assert_eq!(fingerprint_of(&a), fingerprint_of(&b));
    }

    #[test]
    fn different_seeds_search_in_different_orders() {
        let m = original3();
        let digests: Vec<u64> = (1..=6).map(|s| run(&m, &opts(s, 20_000)).digest).collect();
        let mut distinct = digests.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), digests.len(), "{digests:x?}");
        // The seed also varies the configuration.
        let configs: Vec<SwarmConfig> = (0..16).map(|s| SwarmOptions::new(s).config()).collect();
        let hashes: std::collections::BTreeSet<u32> = configs.iter().map(|c| c.hashes).collect();
        let depths: std::collections::BTreeSet<usize> =
            configs.iter().map(|c| c.depth_bound).collect();
        assert_eq!(hashes.into_iter().collect::<Vec<_>>(), [2, 3]);
        assert!(depths.len() >= 4, "{depths:?}");
        // Given values win over the seed's choices.
        let given = SwarmOptions {
            max_depth: Some(9),
            hashes: Some(5),
            ..SwarmOptions::new(3)
        };
        assert_eq!((given.config().depth_bound, given.config().hashes), (9, 5));
    }

    /// Within a depth bound the search (with its depth table) sees every
    /// state, so at the bound of the shortest counterexamples it finds
    /// them at exactly that length, whatever the seed; and every trace
    /// replays on the model and violates its property at its end.
    #[test]
    fn finds_the_five_event_counterexamples_of_original_n3() {
        let m = original3();
        for seed in 1..=3 {
            let o = SwarmOptions {
                max_depth: Some(5),
                bits_log2: 22,
                ..SwarmOptions::new(seed)
            };
            let out = run(&m, &o);
            assert_eq!(out.stop, SwarmStop::Exhausted);
            assert_eq!(out.deepest, 5);
            let lens: Vec<(&str, usize)> = out
                .properties
                .iter()
                .filter_map(|p| Some((p.info.name, p.path.as_ref()?.len_events())))
                .collect();
            assert_eq!(
                lens,
                [
                    ("AtLeastOneRing", 5),
                    ("ConnectedAppendages", 5),
                    ("OrderedMerges", 5),
                    ("Repairable", 5)
                ],
                "seed {seed}"
            );
            for p in &out.properties {
                let Some(t) = &p.path else { continue };
                let verdicts = replay(&m, t).expect("the trace replays");
                assert!(verdicts.last().unwrap().contains(&p.info.name.to_string()));
                assert_eq!(t.meta("seed"), Some(seed.to_string().as_str()));
            }
        }
    }

    /// A worker stopped after T transitions is repeated by `--max-states
    /// T`; the command in a trace's meta rewrites the trace.
    #[test]
    fn the_trace_command_repeats_the_worker() {
        let m = original3();
        let out = run(&m, &opts(11, 50_000));
        let p = out
            .properties
            .iter()
            .find(|p| p.path.is_some())
            .expect("something is violated within 50,000 transitions");
        let at = p.found_at.expect("found");
        // The same options but for the budget, as the command says.
        let again = run(&m, &opts(11, at));
        let q = &again.properties[out
            .properties
            .iter()
            .position(|q| q.info.name == p.info.name)
            .unwrap()];
        assert_eq!(again.transitions, at);
        assert_eq!(
            q.path.as_ref().map(Trace::to_string_pretty),
            p.path.as_ref().map(Trace::to_string_pretty)
        );
        let cmd = p
            .path
            .as_ref()
            .unwrap()
            .meta("command")
            .unwrap()
            .to_string();
        assert!(
            cmd.ends_with(&format!(
                "--strategy swarm --seeds 11 --swarm-bits 22 --max-states {at}"
            )),
            "{cmd}"
        );
    }

    #[test]
    fn bad_tables_are_errors_not_panics() {
        let m = original3();
        for (bits, hashes) in [(9, 2), (37, 2), (20, 0), (20, 9)] {
            let o = SwarmOptions {
                bits_log2: bits,
                hashes: Some(hashes),
                ..SwarmOptions::new(1)
            };
            assert!(search(&m, &o, &mut |_| {}).is_err(), "{bits} {hashes}");
        }
    }

    #[test]
    fn bitstate_remembers_and_lowers_depths() {
        let config = SwarmConfig {
            seed: 1,
            depth_bound: 10,
            bits_log2: 16,
            hashes: 3,
        };
        let mut t = Bitstate::new(&config).unwrap();
        assert_eq!(t.visit(42, 5), Seen::New);
        assert_eq!(t.visit(42, 5), Seen::Before);
        assert_eq!(t.visit(42, 7), Seen::Before);
        assert_eq!(t.visit(42, 3), Seen::Deeper);
        assert_eq!(t.visit(42, 3), Seen::Before);
        // Few states in many bits: (almost) no false "seen".
        let news = (1000..2000u64)
            .filter(|&fp| t.visit(fp, 1) == Seen::New)
            .count();
        assert!(news >= 995, "{news}");
        // Another seed salts the hashes: other bits.
        let other = Bitstate::new(&SwarmConfig { seed: 2, ..config }).unwrap();
        let mut t1 = Bitstate::new(&config).unwrap();
        t1.visit(42, 0);
        let mut t2 = other;
        t2.visit(42, 0);
        assert_ne!(t1.words, t2.words);
    }

    #[test]
    fn shuffles_are_uniform_permutations() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let mut counts = [[0u32; 4]; 4];
        for _ in 0..8000 {
            let mut v = [0usize, 1, 2, 3];
            shuffle(&mut v, &mut rng);
            let mut sorted = v;
            sorted.sort_unstable();
            assert_eq!(sorted, [0, 1, 2, 3]);
            for (pos, &x) in v.iter().enumerate() {
                counts[x][pos] += 1;
            }
        }
        // Each element in each place about 2,000 times.
        for row in counts {
            for c in row {
                assert!((1800..2200).contains(&c), "{counts:?}");
            }
        }
    }
}
