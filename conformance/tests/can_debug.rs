use overlay_conformance::can::walk::start;
use overlay_impls::can::Mutation;
use overlay_impls::runtime::sim::Net;
use overlay_models::can::{CanModel, Config, Variant};
use overlay_models::check::OverlayModel;

#[test]
fn debug() {
    let mut c = Config::new(Variant::Correct);
    c.nodes = 5;
    c.keys = 2;
    c.failures = 1;
    c.leaves = 2;
    let m = CanModel::new(c).unwrap();
    let (mut h, mut s) = start(&m, Mutation::None, Net::default(), 1 ^ 237).unwrap();
    let path = [
        "put k0 via n0",
        "put k1 via n0",
        "join n1 at (2,2) via n0",
        "join n2 at (2,1) via n1",
        "join n3 at (2,3) via n2",
        "join n4 at (2,1) via n1",
    ];
    for (k, p) in path.iter().enumerate() {
        let a = m.pattern_exact(&m.parse_pattern(p).unwrap()).unwrap();
        s = h.check_step(&m, &s, a, k + 1).unwrap();
    }
    let a = m
        .pattern_exact(&m.parse_pattern("leave n0").unwrap())
        .unwrap();
    h.start(a).unwrap();
    let mut last = String::new();
    let t0 = h.sim.now();
    while h.sim.now() < t0 + 20000 {
        h.sim.step();
        let mut cur = String::new();
        for i in 0..h.sim.len() {
            if let Some(n) = h.sim.node(i) {
                let r = n.reality(0);
                let zs: Vec<String> = r
                    .zones()
                    .iter()
                    .map(|z| format!("{:?}", h.u.zone(z).map(|z| m.rules().space.zone_text(&z))))
                    .collect();
                cur.push_str(&format!("n{i}:{:?}{:?} ", n.status(), zs));
            }
        }
        if cur != last {
            println!("{} {cur}", h.sim.now() - t0);
            last = cur;
        }
        for e in h.sim.take_events() {
            println!("   event {e:?}");
        }
    }
}
