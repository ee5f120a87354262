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
    /// Shrink a counterexample by delta debugging over its events, keeping
    /// its property violated, and write the shorter trace.
    ///
    /// Zeller's ddmin: a candidate counts when its events, taken in order
    /// from the trace's initial state, are each enabled and lead to a state
    /// violating the property; the trace is first cut after its first
    /// violating state. The result is 1-minimal (no single event can go)
    /// and ends at its first violation; it is not always the shortest
    /// (`overlay check` gives that).
    Minimize(MinimizeArgs),
    /// Print a trace for reviewers: a step table, a Mermaid diagram,
    /// pictures of its states (SVG) or one HTML page with all of them.
    Show(ShowArgs),
    /// Serve Stateright's explorer for a model on 127.0.0.1.
    Explore(ExploreArgs),
    /// Run the implementation at scale in the seeded simulator and report
    /// lookup path lengths, failures, messages and time (VON: topology
    /// consistency, drift and load of moving avatars; mmve: VON against
    /// all-to-all and client-server under the same movement).
    Simulate(SimulateArgs),
    /// Run real nodes over UDP (chord, kademlia, can, von), or act once as a client of a running overlay.
    #[command(subcommand)]
    Node(NodeCommand),
    /// Check fixed scopes of every model with every strategy, each run in a
    /// child process, and print states, time, states/s, bytes/state and
    /// peak memory as a table or JSON.
    Bench(crate::bench_cmd::BenchArgs),
    /// Combine the JSON results of swarm workers (`check --strategy
    /// swarm`): per property, how many workers violated it and the
    /// shortest counterexample, written as an ITF trace.
    Merge(MergeArgs),
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
    // The model flags of `ModelArgs`, spelled out because `--all` makes the
    // model optional here while `run` and `explore` still require it.
    /// The model (see `overlay list`); left out with --all.
    #[arg(required_unless_present = "all")]
    pub model: Option<String>,
    /// The variant (see `overlay list`).
    #[arg(long)]
    pub variant: Option<String>,
    /// A parameter, as name=value (repeatable), e.g. -p nodes=4.
    #[arg(short = 'p', long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Check every model's CI profile (the scopes the project checks in
    /// CI, from the model registry) instead of one model; the profiles fix
    /// variant, parameters, strategy and depth. With --trace-dir DIR,
    /// traces go to DIR/<model>.
    #[arg(long, conflicts_with_all = ["model", "variant", "params", "strategy", "seed", "max_states", "max_depth"])]
    pub all: bool,
    /// Exploration strategy.
    #[arg(long, value_enum, default_value_t = StrategyArg::BfsCompact)]
    pub strategy: StrategyArg,
    /// Seed of the random walks (with --strategy sim).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// With --strategy swarm: the workers' seeds, A..B (inclusive) or A,
    /// run one after another, each with the whole budget [default: --seed].
    #[arg(long, value_name = "A..B", value_parser = crate::swarm_cmd::parse_seeds)]
    pub seeds: Option<crate::swarm_cmd::Seeds>,
    /// With --strategy swarm: where each worker writes its JSON result,
    /// <model>_<variant>_<params>_seed<N>.json (…_seed<N>_symmetry.json with --symmetry) [default: swarm].
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// With --strategy swarm: the bitstate table has 2^BITS bits (plus a
    /// depth table of the same size in bytes) [default: 27, 16 MiB].
    #[arg(long, value_name = "BITS", value_parser = clap::value_parser!(u32).range(10..=36))]
    pub swarm_bits: Option<u32>,
    /// With --strategy swarm: hash functions (bits set) per state
    /// [default: 2 or 3, chosen by the seed].
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u32).range(1..=8))]
    pub swarm_hashes: Option<u32>,
    /// Checker threads.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Symmetry reduction: visit one state per symmetry class (for Chord,
    /// per ring rotation). Every strategy takes it: bfs and bfs-compact
    /// search canonical states and make their shortest counterexamples
    /// concrete by an exact search; dfs, sim and swarm keep concrete
    /// states and key their visited sets by the class. The same verdicts,
    /// and counterexamples are always runs of the model.
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
    /// Stop when the process's resident memory passes this many megabytes
    /// (MiB) (exit code 3 if unfinished).
    #[arg(long, value_name = "MB", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_memory: Option<u64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,
    /// Where counterexample traces go [default: traces/<model>].
    #[arg(long)]
    pub trace_dir: Option<PathBuf>,
    /// Write no trace files.
    #[arg(long)]
    pub no_traces: bool,
    /// Also write one self-contained HTML page for the whole run: every
    /// property's expected and actual verdict, with links to the traces.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Check the model's liveness properties under fairness instead: once
    /// churn stops, every fair run must reach the goal. A counterexample
    /// is a lasso (a prefix, then a loop repeated forever), written as an
    /// ITF trace with its `loop` index. Takes --max-states, --timeout and
    /// --max-memory; one thread and no symmetry (the lasso search needs the
    /// whole concrete graph, and a reduced cycle is not a concrete one).
    #[arg(long, conflicts_with_all = ["all", "strategy", "seed", "threads", "symmetry", "max_depth", "report"])]
    pub liveness: bool,
    /// With --format json: add a `performance` member (check seconds, the
    /// process's peak resident memory, the engine's table bytes). Off by
    /// default because it differs from run to run.
    #[arg(long, conflicts_with = "liveness")]
    pub performance: bool,
}

impl CheckArgs {
    /// The model flags as `run` and `explore` take them; `None` with --all.
    pub fn model_args(&self) -> Option<ModelArgs> {
        Some(ModelArgs {
            model: self.model.clone()?,
            variant: self.variant.clone(),
            params: self.params.clone(),
        })
    }
}

/// `check` prints text or JSON per variant as it goes, or one JUnit
/// document at the end, which CI systems display natively.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckFormat {
    /// Per variant: counts and a table of properties.
    Text,
    /// One JSON object per variant, one per line.
    Json,
    /// JUnit XML: a testsuite per variant, a testcase per property; a
    /// surprise is a <failure>, an unknown verdict <skipped>.
    Junit,
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

/// `overlay minimize` (its help text is on `Command::Minimize`).
#[derive(Args, Debug)]
#[command(after_long_help = "\
Examples:
  overlay minimize run.itf.json --property AtLeastOneRing     # writes run.min.itf.json
  overlay minimize traces/chord/x.itf.json --out /tmp/x.itf.json --format json

Exit codes: 0 the shorter trace was written (also when nothing could be removed);
1 the property is never violated in the trace, or the trace departs from its model;
2 usage or input error (unreadable or malformed trace, no property given and none in
#meta, a property the model does not have, output not writable or the input itself).")]
pub struct MinimizeArgs {
    /// The counterexample (.itf.json), e.g. from `check`, `run --trace-out`
    /// or written by hand.
    pub trace: PathBuf,
    /// The property that must stay violated [default: the trace's #meta
    /// property].
    #[arg(long)]
    pub property: Option<String>,
    /// Where the shorter trace goes [default: <name>.min.itf.json next to
    /// the input].
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Output format (JSON: input, output, property, events_before,
    /// events_after, removed, first_violation, replays).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Args, Debug)]
pub struct ShowArgs {
    /// The trace (.itf.json).
    pub trace: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ShowFormat::Text)]
    pub format: ShowFormat,
    /// With --format svg: print the picture of state K (0 = the initial
    /// state, K = after the K-th event). With --format html: the state the
    /// page opens on [default: the first violating step, else 0].
    #[arg(long, value_name = "K", conflicts_with = "out_dir")]
    pub step: Option<usize>,
    /// With --format svg: write one picture per state into DIR
    /// (step-000.svg, step-001.svg, …), creating it if needed.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// With --format html: write the page to FILE instead of stdout.
    #[arg(long, value_name = "FILE", conflicts_with = "out_dir")]
    pub out: Option<PathBuf>,
    /// With --format text: print whole states at every step, not only
    /// what changed (a changed field still says what it was).
    #[arg(long)]
    pub full: bool,
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

#[derive(Args, Clone, Debug)]
pub struct SimulateArgs {
    /// The overlay: chord, kademlia, can, von, or mmve (the MMVE
    /// comparison: all-to-all, client-server and VON under one workload).
    pub overlay: String,
    /// Network size. Chord: a stable ring built by an oracle (exact
    /// successors and fingers). Kademlia: converged routing tables built by
    /// an oracle (every bucket holds k random nodes of its range). CAN:
    /// nodes join at seeded random points, through the protocol (or see
    /// --build). VON: nodes join one by one through the protocol, then
    /// move. mmve only: a comma-separated list of sizes to compare
    /// (e.g. 100,300,1000).
    #[arg(
        long = "nodes",
        value_name = "N",
        value_delimiter = ',',
        default_value = "1000"
    )]
    pub node_list: Vec<usize>,
    /// The one size of --nodes (filled in by `simulate` for every overlay
    /// but mmve, which reads `node_list`).
    #[arg(skip)]
    pub nodes: usize,
    /// Lookups of random keys from random live nodes.
    #[arg(long, default_value_t = 10_000)]
    pub lookups: usize,
    /// Seed of every random choice (ids are SHA-1 of simulated addresses).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Fraction of nodes that crash after the network is built and before
    /// the lookups, with no time to repair (Chord paper §6.4); lookups
    /// route around the dead by timeouts.
    #[arg(long, default_value_t = 0.0)]
    pub fail_fraction: f64,
    /// Chord only: successor-list length r (lookups also route by
    /// successors) [default: 3].
    #[arg(long)]
    pub succ_list: Option<usize>,
    /// Kademlia only: bucket size, and how many closest nodes a lookup
    /// returns [default: 8, as BEP 5].
    #[arg(long)]
    pub k: Option<usize>,
    /// Kademlia only: queries in flight per lookup [default: 3, as the
    /// paper].
    #[arg(long)]
    pub alpha: Option<usize>,
    /// CAN only: dimensions d of the coordinate space, 1 to 8 [default: 2].
    #[arg(long)]
    pub dims: Option<usize>,
    /// CAN only: realities r, independent coordinate spaces; a lookup
    /// routes in the one where its origin is nearest the target
    /// [default: 1].
    #[arg(long)]
    pub realities: Option<usize>,
    /// CAN only: how the network is built: every node joins through the
    /// protocol (joins), or the partition tree applies the same split rule
    /// at the same points and tables are set exactly (oracle: the same
    /// zones, faster) [default: joins].
    #[arg(long, value_enum)]
    pub build: Option<CanBuild>,
    /// VON and mmve only: radius R of every avatar's area of interest,
    /// in world units [default: 100, as the VON papers].
    #[arg(long, value_name = "R")]
    pub aoi: Option<f64>,
    /// VON and mmve only: distance every avatar moves per step (random
    /// direction, constant speed, bouncing at the walls) [default: 10].
    #[arg(long, value_name = "V")]
    pub speed: Option<f64>,
    /// VON and mmve only: measured movement steps, after the warm-up
    /// [default: 100; mmve: 20 below 3000 nodes, 10 below 10000, then 5,
    /// to keep large runs to minutes].
    #[arg(long, value_name = "T")]
    pub steps: Option<usize>,
    /// VON and mmve only: unmeasured movement steps between the joins and
    /// the measured steps, for tables to reach their size under movement
    /// [default: 5; with `--protocol paper` use about 25: the published
    /// joins leave AOI sets incomplete and only movement completes them].
    #[arg(long, value_name = "K")]
    pub warmup: Option<usize>,
    /// VON and mmve only: the protocol the nodes run: `hardened` (the
    /// variant the model checker found correct: MOVE and HELLO carry the
    /// sender's neighbours and hints, tombstones, LEAVE hand-over; about
    /// twice the messages and nine times the bytes of the published rules
    /// under continuous movement, for complete tables from the joins on)
    /// or `paper` (VON as published) [default: hardened].
    #[arg(long, value_name = "PROTOCOL", value_parser = ["hardened", "paper"])]
    pub protocol: Option<String>,
    /// VON and mmve only: side W of the square world [default:
    /// 12·R·√(N/1000): the VON papers' 1200 × 1200 world for 1000 nodes
    /// with R = 100, scaled to keep the density constant].
    #[arg(long, value_name = "W")]
    pub world: Option<f64>,
    /// VON and mmve only: simulated milliseconds per movement step (every
    /// node moves and sends once per step) [default: 100].
    #[arg(long, value_name = "MS")]
    pub step_ms: Option<u64>,
    /// VON and mmve only: add the "performance" member (wall time, peak
    /// memory) to the JSON, which without it is the same, byte for byte,
    /// for the same arguments.
    #[arg(long)]
    pub timing: bool,
    /// mmve only: also write the comparison as an SVG plot (log-log: N
    /// against messages per step at the busiest node) to this file.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// Probability that a datagram is lost (lookups time out and retry).
    #[arg(long, default_value_t = 0.0)]
    pub loss: f64,
    /// Shortest message delay, in simulated milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 5)]
    pub delay_min: u64,
    /// Longest message delay (each message takes a uniform delay between).
    #[arg(long, value_name = "MS", default_value_t = 50)]
    pub delay_max: u64,
    /// Output format (JSON: one object; its "performance" member holds the
    /// only fields that vary between runs with the same seed).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// How `overlay simulate can` builds its network.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CanBuild {
    Joins,
    Oracle,
}

/// `overlay node <overlay>`: one set of flags per overlay.
#[derive(Subcommand, Debug)]
pub enum NodeCommand {
    /// Run Chord nodes over UDP until interrupted, or, with --put/--get,
    /// ask a running ring once as a client.
    Chord(NodeArgs),
    /// Run a Mainline DHT (BEP 5, BEP 44) node over UDP until interrupted,
    /// or, with one operation flag, bootstrap, run it once, print the
    /// result as JSON and exit.
    Kademlia(crate::node_kademlia::KademliaArgs),
    /// Run CAN nodes (d dimensions, r realities) over UDP until
    /// interrupted, handing their zones over on the way out, or, with
    /// --put/--get, route one request into a running overlay and print the
    /// owner's answer as JSON.
    Can(crate::node_can::CanArgs),
    /// Run VON nodes (positions, areas of interest, Voronoi neighbours)
    /// over UDP until interrupted, optionally walking, sending LEAVE on
    /// the way out, or, with --query, ask running nodes what they know.
    Von(crate::node_von::VonArgs),
}

/// Runs Chord nodes over UDP until interrupted, or, with --put/--get, asks a
/// running ring once as a client.
#[derive(Args, Debug)]
#[command(after_long_help = "\
Examples:
  overlay node chord --bind 127.0.0.1:4000                          # the first node of a new ring
  overlay node chord --bind 127.0.0.1:4001 --bootstrap 127.0.0.1:4000
  overlay node chord --bind 127.0.0.1:5000 --count 8 --bootstrap 127.0.0.1:4000
  overlay node chord --bind 127.0.0.1:0 --bootstrap 127.0.0.1:4000 --put colour=blue
  overlay node chord --bind 127.0.0.1:0 --bootstrap 127.0.0.1:4000 --get colour --format json

A node prints one line per notable event (listening, joined, join failed, stopping,
leaving, stopped). SIGINT or SIGTERM makes every node leave gracefully: its keys go to
its successor, then the process exits 0.

Exit codes: 0 the node(s) ran and stopped cleanly, or the key was stored / found;
1 the key was not found; 2 usage error (bad address, bad KEY=VALUE, unknown overlay,
conflicting flags, a port in use); 3 no answer within --wait.")]
pub struct NodeArgs {
    /// Address to bind, IP:PORT (a host name is resolved). A node's
    /// identifier is the SHA-1 of this address, so it must be the one peers
    /// reach: not 0.0.0.0. Port 0 picks a free port, shown on the
    /// `listening` line. With --count K, the first of K consecutive ports.
    /// With --put/--get, the client's own socket (e.g. 127.0.0.1:0).
    #[arg(long, value_name = "ADDR", value_parser = crate::node_cmd::parse_addr)]
    pub bind: std::net::SocketAddr,
    /// A ring member to join through (retried until the join succeeds);
    /// without it the (first) node starts a new ring. With --put/--get,
    /// the node that runs the request.
    #[arg(long, value_name = "ADDR", value_parser = crate::node_cmd::parse_addr)]
    pub bootstrap: Option<std::net::SocketAddr>,
    /// Run K nodes in this process, on K consecutive ports from --bind; the
    /// first joins through --bootstrap (or starts the ring), the others
    /// through --bootstrap or the first.
    #[arg(long, value_name = "K", default_value_t = 1, conflicts_with = "client",
          value_parser = clap::value_parser!(u16).range(1..))]
    pub count: u16,
    /// Successor-list length r, which is also the number of copies of each
    /// key: the ring survives r-1 consecutive failures.
    #[arg(long, value_name = "R", default_value_t = 3, conflicts_with = "client",
          value_parser = clap::value_parser!(u16).range(1..=32))]
    pub succ_list: u16,
    /// Period of ring maintenance (stabilize / rectify) and fix-fingers,
    /// in milliseconds; liveness probes run every 2 periods and
    /// re-replication every 4. Small values (e.g. 100) repair faster.
    #[arg(long, value_name = "MS", default_value_t = 500, conflicts_with = "client",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub tick_ms: u64,
    /// A request unanswered after this many milliseconds counts its peer as
    /// dead [default: 2 × --tick-ms].
    #[arg(long, value_name = "MS", conflicts_with = "client",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout_ms: Option<u64>,
    /// The node's 160-bit identifier (40 hex digits) instead of the SHA-1
    /// of its --bind address; one node only.
    #[arg(long, value_name = "HEX", conflicts_with_all = ["client", "count"],
          value_parser = |s: &str| overlay_impls::chord::Id::from_hex(s))]
    pub id: Option<overlay_impls::chord::Id>,
    /// Client: store VALUE under KEY through --bootstrap, print where, exit.
    #[arg(
        long,
        value_name = "KEY=VALUE",
        group = "client",
        requires = "bootstrap"
    )]
    pub put: Option<crate::node_cmd::KeyValue>,
    /// Client: read KEY through --bootstrap, print its value, exit (1 when
    /// the key is not found).
    #[arg(long, value_name = "KEY", group = "client", requires = "bootstrap")]
    pub get: Option<String>,
    /// Client: give up after this many seconds without an answer (exit 3);
    /// the request is re-sent up to three times meanwhile.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 5.0,
        requires = "client"
    )]
    pub wait: f64,
    /// Output format: text lines, or one JSON object per line (per event;
    /// per answer for --put/--get).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// `overlay merge` (its help text is on `Command::Merge`).
#[derive(Args, Debug)]
#[command(after_long_help = "\
Example (a fleet of 64 workers under GNU parallel, then the merge):
  parallel -j 8 overlay check chord --variant original -p nodes=4 --strategy swarm \\
      --seeds {} --timeout 60 --out-dir swarm/ ::: $(seq 1 64)
  overlay merge swarm/*.json --trace-dir traces/swarm

Every result must be of the same model, variant and parameters. For each property the
table gives its expectation (from the model registry, not from the files), how many
workers violated it, the shortest counterexample and the seed that found it (the least
seed among equally short ones); that counterexample is replayed on the model and written
as <variant>_<params>_<property>.itf.json, the name `overlay check` gives it.

Exit codes: 1 some worker violated a property the registry expects to hold (a surprise);
3 otherwise, since a swarm is never complete (a property no worker violated is unknown,
not proven); 2 usage or input error (an unreadable or malformed result, naming the file
and the field; results of different models, variants or parameters; a counterexample
that does not replay; an unwritable trace folder).")]
pub struct MergeArgs {
    /// Worker results (JSON, from `overlay check --strategy swarm`).
    #[arg(required = true, value_name = "RESULT")]
    pub results: Vec<PathBuf>,
    /// Where the shortest counterexamples go [default: swarm/traces].
    #[arg(long, value_name = "DIR")]
    pub trace_dir: Option<PathBuf>,
    /// Write no trace files.
    #[arg(long)]
    pub no_traces: bool,
    /// Output format (JSON: one object: model, variant, params, workers,
    /// seeds, states, transitions, complete, as_expected, properties).
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
    /// The overlay's picture of one state (--step K) or of every state
    /// (--out-dir DIR): for Chord the ring with its pointers.
    Svg,
    /// One self-contained HTML page: the step list, each state's picture,
    /// diff and verdicts, verdicts over time; ← → to step through.
    Html,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum StrategyArg {
    /// Stateright's breadth-first search (about 100 bytes per state), its
    /// counterexamples then made shortest by our engine; for comparison.
    Bfs,
    /// Breadth-first in our own engine (the default): exhaustive, shortest
    /// counterexamples, a 64-bit fingerprint and a parent link (about 19
    /// bytes) per state, level-synchronous threads.
    BfsCompact,
    /// Stateright's depth-first search: exhaustive, but it keeps a whole
    /// path per stack entry (original N=3 needs 8.9 GiB), so large spaces
    /// need --symmetry or a budget.
    Dfs,
    /// Seeded random walks; never complete.
    Sim,
    /// Swarm workers: seeded, randomized, depth-bounded depth-first
    /// searches over a bitstate table, one per seed (--seeds); each writes
    /// a JSON result for `overlay merge`. Never complete: exit 3, or 1 when
    /// a property expected to hold was violated.
    Swarm,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Against {
    /// The abstract model named in the trace.
    Model,
    /// The concrete implementation, in the simulator, through the
    /// refinement mapping (Chord's correct variant).
    Impl,
}
