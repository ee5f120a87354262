//! The VON cargo-fuzz targets' bodies (`overlay_impls::von::fuzzing`) on
//! random inputs, so that CI runs them on stable without the fuzzer.

use overlay_impls::runtime::Wire;
use overlay_impls::von::fuzzing::{node_script, von_decode};
use overlay_impls::von::{Body, Check, Msg, Point};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn decoder_target(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        von_decode(&bytes);
    }

    #[test]
    fn node_target(bytes in proptest::collection::vec(any::<u8>(), 0..1500)) {
        node_script(&bytes);
    }
}

/// The decoder target on a real message, mutated one byte at a time.
#[test]
fn decoder_target_on_mutated_messages() {
    let m = Msg {
        from: 3,
        epoch: 1,
        seq: 2,
        body: Body::Move {
            pos: Point::new(1.0, 2.0).unwrap(),
            check: Some(Check {
                seen: Point::new(3.0, 4.0).unwrap(),
                knows: vec![1, 5],
                hints: vec![],
            }),
        },
    }
    .encode();
    for i in 0..m.len() {
        for b in [0u8, 1, 0x7f, 0x80, 0xff] {
            let mut x = m.clone();
            x[i] = b;
            von_decode(&x);
        }
    }
}
