use overlay_conformance::can::runs::random_runs;
use overlay_conformance::can::{every_path, random_paths};
use overlay_conformance::{replay_against_impl, trace_files, traces_dir};
use overlay_impls::can::Mutation;
use overlay_models::can::{CanModel, Config, Variant};
use std::time::Instant;

fn scope(nodes: usize, keys: usize, failures: usize, leaves: usize) -> CanModel {
    let mut c = Config::new(Variant::Correct);
    c.nodes = nodes;
    c.keys = keys;
    c.failures = failures;
    c.leaves = leaves;
    CanModel::new(c).unwrap()
}

#[test]
fn scratch() {
    let t = Instant::now();
    for f in trace_files(&traces_dir()) {
        if !f.to_string_lossy().contains("/can/") {
            continue;
        }
        println!("{}: {:?}", f.display(), replay_against_impl(&f));
    }
    println!("traces {:?}", t.elapsed());
    let t = Instant::now();
    let r = random_paths(&scope(4, 1, 1, 1), Mutation::None, 1, 20, 8);
    println!("paths {:?} {:?}", r, t.elapsed());
    let t = Instant::now();
    let r = random_runs(&scope(4, 1, 1, 1), Mutation::None, 1, 20, 8);
    println!("runs {:?} {:?}", r, t.elapsed());
    for d in 1..=4 {
        let t = Instant::now();
        let r = every_path(&scope(3, 1, 1, 1), d, Mutation::None);
        println!("every3 d{d} {:?} {:?}", r, t.elapsed());
    }
}
