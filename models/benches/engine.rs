//! `cargo bench -p overlay-models --bench engine`: Stateright's BFS
//! against our engine (`bfs-compact`) on original N=3 (one thread) and
//! correct N=6, r=3 with symmetry (two threads), as a Markdown table:
//! unique states, time, states/s, engine bytes per state, peak frontier.
//! Peak memory needs a process per run: see the README's commands.

use overlay_models::check::engine::{search, Limits};
use overlay_models::check::run::{check, CheckOptions};
use overlay_models::check::OverlayModel;
use stateright::Model;

#[path = "../tests/common/mod.rs"]
mod common;
use common::model;

fn main() {
    // (variant, parameters, symmetry, threads)
    type Scope<'a> = (&'a str, &'a [(&'a str, &'a str)], bool, usize);
    let scopes: [Scope; 2] = [
        ("original", &[("nodes", "3")], false, 1),
        ("correct", &[("nodes", "6"), ("succ-list", "3")], true, 2),
    ];
    println!("| scope | strategy | unique states | time | states/s | engine bytes/state | peak frontier |");
    println!("|---|---|---|---|---|---|---|");
    for (variant, params, symmetry, threads) in scopes {
        let m = model(variant, params);
        let scope = format!("{variant} {params:?} symmetry={symmetry} threads={threads}");
        let opts = CheckOptions {
            threads,
            symmetry,
            ..Default::default()
        };
        let t = std::time::Instant::now();
        let out = check(&m, &opts, &mut |_| {});
        let secs = t.elapsed().as_secs_f64();
        println!(
            "| {scope} | bfs | {} | {secs:.1} s | {:.0} | | |",
            out.unique_states,
            out.unique_states as f64 / secs
        );
        if let Some(sym) = m.symmetry() {
            sym.set(symmetry);
        }
        let all: Vec<usize> = (0..Model::properties(&m).len()).collect();
        let t = std::time::Instant::now();
        let out = search(&m, &all, &Limits::default(), threads, false, t, &mut |_| {});
        let secs = t.elapsed().as_secs_f64();
        if let Some(sym) = m.symmetry() {
            sym.set(false);
        }
        println!(
            "| {scope} | bfs-compact | {} | {secs:.1} s | {:.0} | {:.1} | {} states, {:.1} MB |",
            out.unique,
            out.unique as f64 / secs,
            out.stats.bytes_per_state(out.unique),
            out.stats.peak_frontier,
            out.stats.peak_frontier_bytes as f64 / 1e6
        );
    }
}
