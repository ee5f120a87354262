//! The command-line grammar.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// A workbench of formally checked peer-to-peer overlay protocols.
///
/// Exit codes: 0 every verdict as expected (or the scenario ran clean),
/// 1 a property was violated or an expected violation was not found,
/// 2 usage or input error, 3 the budget ran out before the check finished.
#[derive(Parser, Debug)]
#[command(name = "overlay", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// List models, their variants, parameters (with defaults) and properties.
    List(ListArgs),
    /// Model-check a model and compare every verdict with its expectation.
    ///
    /// Without --variant every variant is checked in turn. Counterexamples
    /// are written as ITF traces (shortest ones with the default bfs).
    Check(CheckArgs),
    /// Apply a scenario, one event per line, checking every property after
    /// every step.
    Run(RunArgs),
    /// Re-execute a stored trace against the model and report where it
    /// departs.
    Replay(ReplayArgs),
    /// Print a trace for reviewers: a step table or a Mermaid diagram.
    Show(ShowArgs),
    /// Serve Stateright's explorer for a model on 127.0.0.1.
    Explore(ExploreArgs),
    /// Run the implementation at scale in the seeded simulator and report
    /// lookup path lengths, failures, messages and time.
    Simulate(SimulateArgs),
    /// Run real nodes over UDP, or act as a client of a running ring.
    Node(NodeArgs),
}

#[derive(Args, Debug)]
pub struct ListArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Which model, which variant, which parameters.
#[derive(Args, Debug, Clone)]
pub struct ModelArgs {
    /// The model (see `overlay list`).
    pub model: String,
    /// The variant (see `overlay list`).
    #[arg(long)]
    pub variant: Option<String>,
    /// A parameter, as name=value (repeatable), e.g. -p nodes=4.
    #[arg(short = 'p', long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Exploration strategy.
    #[arg(long, value_enum, default_value_t = StrategyArg::Bfs)]
    pub strategy: StrategyArg,
    /// Seed of the random walks (with --strategy sim).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Checker threads.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Keep one state per ring rotation (fewer states; the same verdicts,
    /// and counterexamples still shortest and concrete).
    #[arg(long)]
    pub symmetry: bool,
    /// Stop after generating this many states, repeats included (exit code
    /// 3 if unfinished).
    #[arg(long)]
    pub max_states: Option<usize>,
    /// Explore no deeper than this many events.
    #[arg(long)]
    pub max_depth: Option<usize>,
    /// Stop after this many seconds.
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Where counterexample traces go [default: traces/<model>].
    #[arg(long)]
    pub trace_dir: Option<PathBuf>,
    /// Write no trace files.
    #[arg(long)]
    pub no_traces: bool,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// The scenario file: one event per line; blank lines and # comments allowed.
    #[arg(long)]
    pub script: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the run as an ITF trace to this file.
    #[arg(long)]
    pub trace_out: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// The trace (.itf.json).
    pub trace: PathBuf,
    /// What to replay against.
    #[arg(long, value_enum, default_value_t = Against::Model)]
    pub against: Against,
}

#[derive(Args, Debug)]
pub struct ShowArgs {
    /// The trace (.itf.json).
    pub trace: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ShowFormat::Text)]
    pub format: ShowFormat,
}

#[derive(Args, Debug)]
pub struct ExploreArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Address to serve on (loopback only is wise).
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub addr: String,
    /// Checker threads.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
}

#[derive(Args, Debug)]
pub struct SimulateArgs {
    /// The overlay (chord).
    pub overlay: String,
    /// Ring size.
    #[arg(long, default_value_t = 1000)]
    pub nodes: usize,
    /// Lookups of random keys from random nodes.
    #[arg(long, default_value_t = 10_000)]
    pub lookups: usize,
    /// Seed of every random choice (ids are SHA-1 of simulated addresses).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Fraction of nodes that crash after the ring is built and before
    /// the lookups, with no time to repair (Chord paper §5.4).
    #[arg(long, default_value_t = 0.0)]
    pub fail_fraction: f64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Args, Debug)]
pub struct NodeArgs {
    /// The overlay (chord).
    pub overlay: String,
    /// Address to bind (the first of --count consecutive ports).
    #[arg(long)]
    pub bind: String,
    /// A member of the ring to join through (or, with --put/--get, to ask).
    #[arg(long)]
    pub bootstrap: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShowFormat {
    /// A step table: only what changed, the event, the properties.
    Text,
    /// A Mermaid sequence diagram.
    Mermaid,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum StrategyArg {
    /// Breadth-first, exhaustive, shortest counterexamples.
    Bfs,
    /// Depth-first, exhaustive, less memory.
    Dfs,
    /// Seeded random walks; never complete.
    Sim,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Against {
    /// The abstract model named in the trace.
    Model,
    /// The concrete implementation (not yet available).
    Impl,
}
