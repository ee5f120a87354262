//! `overlay`: the workbench's command line. Argument parsing and output
//! only; every protocol lives in `overlay-models` (and later impls).

/// The run figures (`simulate_cmd::Run`) of any overlay's simulation
/// report: every report carries the same five fields.
macro_rules! run_of {
    ($r:expr) => {
        crate::simulate_cmd::Run {
            messages_sent: $r.messages_sent,
            undeliverable: $r.undeliverable,
            sim_events: $r.sim_events,
            sim_time_ms: $r.sim_time_ms,
            timing: &$r.timing,
        }
    };
}

mod bench_cmd;
mod check_cmd;
mod cli;
mod exit;
mod html;
mod huge_pages;
mod junit;
mod list_cmd;
mod merge_cmd;
mod minimize_cmd;
mod model_args;
mod node_can;
mod node_cmd;
mod node_driver;
mod node_kademlia;
mod node_von;
mod plot;
mod progress;
mod report;
mod run_cmd;
mod simulate_can;
mod simulate_cmd;
mod simulate_kademlia;
mod simulate_von;
mod swarm_cmd;
mod trace_cmds;

use clap::Parser;

use cli::{Cli, Command};
use exit::Exit;

fn main() {
    restore_sigpipe();
    let cli = Cli::parse();
    if matches!(
        cli.command,
        Command::Check(_) | Command::Bench(_) | Command::Simulate(_)
    ) {
        huge_pages::enable();
    }
    let result = match cli.command {
        Command::List(a) => list_cmd::list(&a),
        Command::Check(a) => check_cmd::check(&a),
        Command::Run(a) => run_cmd::run(&a),
        Command::Replay(a) => trace_cmds::replay(&a),
        Command::Minimize(a) => minimize_cmd::minimize(&a),
        Command::Show(a) => trace_cmds::show(&a),
        Command::Explore(a) => trace_cmds::explore(&a),
        Command::Simulate(a) => simulate_cmd::simulate(&a),
        Command::Node(a) => node_cmd::node(&a),
        Command::Bench(a) => bench_cmd::bench(&a),
        Command::Merge(a) => merge_cmd::merge(&a),
    };
    match result {
        Ok(code) => std::process::exit(code as i32),
        Err(e) => {
            eprintln!("error: {}", e.message);
            std::process::exit(e.code as i32);
        }
    }
}

/// Rust ignores SIGPIPE, which turns `overlay list | head` into a panic on
/// the next write; a command-line tool should just stop, as `cat` does.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in `main`, before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Shorthand for a usage or input error (exit code 2).
fn input_error(message: impl Into<String>) -> exit::Failure {
    exit::Failure {
        code: Exit::Input,
        message: message.into(),
    }
}
