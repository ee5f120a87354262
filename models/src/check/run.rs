//! Exhaustive (or budgeted) checks with Stateright, then exact shortest
//! counterexamples for what failed.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use stateright::{Checker, HasDiscoveries, UniformChooser};

use super::engine::{self, Limits};
use super::{OverlayModel, Path, PropertyInfo};

/// How to explore.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Breadth-first: exhaustive, shortest counterexamples.
    Bfs,
    /// Breadth-first in our own engine ([`super::engine`]): a fingerprint
    /// and a parent link per visited state, the frontier as compact
    /// encodings; the same verdicts, counts and shortest counterexamples
    /// as `Bfs` in a fraction of the memory and time.
    BfsCompact,
    /// Stateright's depth-first search: paths not shortest, a whole path
    /// per stack entry.
    Dfs,
    /// Random walks from a seed: never complete, finds deep bugs fast.
    Sim { seed: u64 },
}

/// Budgets and strategy of one check.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    pub strategy: Strategy,
    pub threads: usize,
    pub max_states: Option<usize>,
    pub max_depth: Option<usize>,
    pub timeout: Option<Duration>,
    /// Stop when the process's resident memory exceeds this many bytes
    /// (checked about 20 times a second; the compact engine also counts
    /// its own tables where /proc is missing).
    pub max_memory: Option<usize>,
    /// Keep one state per symmetry class (when the model has a symmetry).
    /// Counterexamples still come from the exact unreduced search, so this
    /// is for `Bfs` and `BfsCompact` only (the command line refuses the
    /// other strategies).
    pub symmetry: bool,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            strategy: Strategy::Bfs,
            threads: 1,
            max_states: None,
            max_depth: None,
            timeout: None,
            max_memory: None,
            symmetry: false,
        }
    }
}

/// A progress sample, for the progress line.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub states: usize,
    pub unique_states: usize,
    pub depth: usize,
    pub elapsed: Duration,
    /// States waiting to be expanded (compact engine only, else 0).
    pub frontier: usize,
    /// Resident memory of the process in bytes (0 where unknown).
    pub memory: usize,
    /// Bytes of the compact engine's visited-state tables (else 0).
    pub table_bytes: usize,
}

/// A property's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Holds,
    Violated,
    /// Not violated in what was explored, but the budget ran out first.
    Unknown,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::Violated => "violated",
            Verdict::Unknown => "unknown",
        }
    }
}

/// The outcome for one property.
pub struct PropertyOutcome<P> {
    pub info: PropertyInfo,
    pub verdict: Verdict,
    /// The counterexample, when violated.
    pub path: Option<P>,
    /// Whether `path` is a shortest counterexample (from the exact search).
    pub shortest: bool,
}

/// The outcome of a check.
pub struct CheckOutcome<P> {
    pub unique_states: usize,
    pub states: usize,
    pub max_depth: usize,
    /// True when every reachable state was explored.
    pub complete: bool,
    pub elapsed: Duration,
    pub properties: Vec<PropertyOutcome<P>>,
    /// Whether counterexamples were searched exactly (BFS); a timeout may
    /// still leave some property with a longer one (see its `shortest`).
    pub shortest: bool,
}

/// Runs a check, calling `progress` about once a second.
pub fn check<M: OverlayModel>(
    m: &M,
    opts: &CheckOptions,
    progress: &mut dyn FnMut(&Progress),
) -> CheckOutcome<Path<M>> {
    if opts.strategy == Strategy::BfsCompact {
        return engine::check(m, opts, progress);
    }
    let start = Instant::now();
    m.halt().set(false);
    // Never stop at the first discoveries: expected violations are part of
    // every check, and state counts must be those of the whole space.
    let mut builder = m
        .clone()
        .checker()
        .threads(opts.threads.max(1))
        .finish_when(HasDiscoveries::AnyOf(BTreeSet::new()));
    if let Some(n) = opts.max_states {
        builder = builder.target_state_count(n);
    }
    if let Some(d) = opts.max_depth {
        // Stateright counts states along a path (initial = 1) and skips,
        // unchecked, the states at the target depth; we count events and
        // check every state with at most `d` of them.
        builder = builder.target_max_depth(d + 2);
    }
    let deadline = opts.timeout.map(|t| start + t);
    // Breadth-first: the model's states become canonical (a reduced path
    // is then made concrete by the exact search below). Depth-first and
    // random walks: Stateright keys its visited set by the representative
    // and keeps concrete states, so its paths are runs of the model.
    let depth_first = matches!(opts.strategy, Strategy::Dfs | Strategy::Sim { .. });
    if let Some(sym) = m.symmetry() {
        sym.set(opts.symmetry && !depth_first);
    }
    if let Some(rep) = m.representative().filter(|_| opts.symmetry && depth_first) {
        builder = builder.symmetry_fn(rep);
    }
    let limits = (deadline, opts.max_memory);
    let (unique, states, depth, discoveries) = match opts.strategy {
        Strategy::Bfs => drive(m, builder.spawn_bfs(), start, limits, progress),
        Strategy::Dfs => drive(m, builder.spawn_dfs(), start, limits, progress),
        Strategy::Sim { seed } => drive(
            m,
            builder.spawn_simulation(seed, UniformChooser),
            start,
            limits,
            progress,
        ),
        Strategy::BfsCompact => unreachable!("the compact engine runs on its own"),
    };
    // Counterexamples are concrete runs: search without the reduction.
    if let Some(sym) = m.symmetry() {
        sym.set(false);
    }
    let elapsed = start.elapsed();
    let timed_out = m.halt().is_on();
    let capped = opts.max_states.is_some_and(|n| states >= n || unique >= n);
    let deep = opts.max_depth.is_some_and(|d| depth > d);
    let depth = opts.max_depth.map_or(depth, |d| depth.min(d));
    let complete = !matches!(opts.strategy, Strategy::Sim { .. }) && !timed_out && !capped && !deep;

    let infos = m.expectations();
    let violated: Vec<usize> = (0..infos.len())
        .filter(|&i| discoveries[i].is_some())
        .collect();
    let bfs = opts.strategy == Strategy::Bfs;
    // The exact search keeps whole states: not when memory already ran out.
    let starved = opts
        .max_memory
        .is_some_and(|l| engine::resident_bytes().is_some_and(|r| r > l));
    let mut exact = if bfs && !starved {
        let bound = discoveries
            .iter()
            .flatten()
            .map(|p| p.1.len())
            .max()
            .unwrap_or(0);
        // Stateright's BFS overwrites a discovery with later, longer
        // paths (and with threads is not level-ordered): the compact
        // engine, single-threaded, finds each violated property's first
        // violation level by level, no deeper than the longest path seen.
        let limits = Limits {
            max_depth: Some(bound),
            deadline,
            ..Limits::default()
        };
        engine::search(m, &violated, &limits, 1, true, start, &mut |_| {}).found
    } else {
        Vec::new()
    };
    // A reduced search's own paths run through canonical states, which are
    // not a concrete run: only the exact search may supply those traces.
    let own_paths_are_concrete = depth_first || !(opts.symmetry && m.symmetry().is_some());
    let properties = infos
        .into_iter()
        .zip(discoveries)
        .enumerate()
        .map(|(i, (info, found))| {
            let verdict = match (&found, complete) {
                (Some(_), _) => Verdict::Violated,
                (None, true) => Verdict::Holds,
                (None, false) => Verdict::Unknown,
            };
            let exact_path = exact.get_mut(i).and_then(Option::take);
            let shortest = exact_path.is_some();
            let path = exact_path.or(found.filter(|_| own_paths_are_concrete));
            PropertyOutcome {
                info,
                verdict,
                path,
                shortest,
            }
        })
        .collect();
    CheckOutcome {
        unique_states: unique,
        states,
        max_depth: depth,
        complete,
        elapsed,
        properties,
        shortest: bfs,
    }
}

type Found<M> = Vec<Option<Path<M>>>;

fn drive<M: OverlayModel, C: Checker<M>>(
    m: &M,
    checker: C,
    start: Instant,
    (deadline, max_memory): (Option<Instant>, Option<usize>),
    progress: &mut dyn FnMut(&Progress),
) -> (usize, usize, usize, Found<M>) {
    let sample = |c: &C| Progress {
        states: c.state_count(),
        unique_states: c.unique_state_count(),
        depth: c.max_depth().saturating_sub(1),
        elapsed: start.elapsed(),
        frontier: 0,
        memory: engine::resident_bytes().unwrap_or(0),
        table_bytes: 0,
    };
    let mut last = Instant::now();
    while !checker.is_done() {
        std::thread::sleep(Duration::from_millis(50));
        let over = |l: usize| engine::resident_bytes().is_some_and(|r| r > l);
        if deadline.is_some_and(|d| Instant::now() >= d) || max_memory.is_some_and(over) {
            m.halt().set(true);
        }
        if last.elapsed() >= Duration::from_secs(1) {
            progress(&sample(&checker));
            last = Instant::now();
        }
    }
    let checker = checker.join();
    progress(&sample(&checker));
    let found = checker
        .model()
        .properties()
        .iter()
        .map(|p| {
            checker.discovery(p.name).map(|path| {
                let mut states = path.clone().into_states().into_iter();
                let init = states.next().expect("a path has an initial state");
                (init, path.into_actions().into_iter().zip(states).collect())
            })
        })
        .collect();
    (
        checker.unique_state_count(),
        checker.state_count(),
        checker.max_depth(),
        found,
    )
}
