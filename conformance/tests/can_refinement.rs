use overlay_conformance::can::runs::random_runs;
use overlay_conformance::can::{every_path, random_paths};
use overlay_impls::can::Mutation;
use overlay_models::can::{CanModel, Config, Variant};
use std::time::Instant;

fn scope(bits: usize, nodes: usize, keys: usize, failures: usize, leaves: usize) -> CanModel {
    let mut c = Config::new(Variant::Correct);
    c.bits = bits;
    c.nodes = nodes;
    c.keys = keys;
    c.failures = failures;
    c.leaves = leaves;
    CanModel::new(c).unwrap()
}

#[test]
fn scratch() {
    for m in [
        scope(2, 4, 1, 1, 1),
        scope(2, 4, 2, 2, 1),
        scope(2, 5, 2, 1, 2),
        scope(3, 6, 2, 2, 1),
    ] {
        let t = Instant::now();
        let r = random_paths(&m, Mutation::None, 1, 300, 12);
        println!("paths {:?} {:?}", r, t.elapsed());
        let t = Instant::now();
        let r = random_runs(&m, Mutation::None, 1, 300, 12);
        println!("runs {:?} {:?}", r, t.elapsed());
    }
    for (m, d) in [(scope(2, 4, 1, 1, 1), 5), (scope(2, 4, 1, 1, 1), 6)] {
        let t = Instant::now();
        let r = every_path(&m, d, Mutation::None);
        println!("every d{d} {:?} {:?}", r, t.elapsed());
    }
}
