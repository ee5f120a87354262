//! The cargo-fuzz targets' bodies (`overlay_impls::kademlia::fuzzing`)
//! on random inputs, so that CI runs them on stable without the fuzzer.

use overlay_impls::kademlia::fuzzing::{krpc_decode, node_script};
use overlay_impls::kademlia::krpc;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn decoder_target(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        krpc_decode(&bytes);
    }

    #[test]
    fn node_target(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        node_script(&bytes);
    }
}

/// The decoder target on real messages, mutated one byte at a time.
#[test]
fn decoder_target_on_mutated_messages() {
    let good: &[&[u8]] = &[
        b"d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe",
        b"d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re",
        b"d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee",
    ];
    for g in good {
        assert!(krpc::decode(g).is_ok());
        for i in 0..g.len() {
            for b in [0u8, b'0', b':', b'e', b'd', b'l', b'i', 0xff] {
                let mut m = g.to_vec();
                m[i] = b;
                krpc_decode(&m);
            }
        }
    }
}

/// A script that exercises answers and timeouts, as a smoke test that the
/// node target does reach lookups (not only the decoder's rejections).
#[test]
fn node_target_reaches_lookups() {
    // op 1 (answer query 0 with id 0x11…, 3 nodes), then op 4 (find_node).
    let mut script = vec![1, 0];
    script.extend([0x11; 20]);
    script.push(3);
    for p in 2..5u8 {
        script.extend([p * 16; 20]);
        script.push(p);
    }
    script.push(7);
    script.push(4);
    script.extend([0x22; 20]);
    script.push(0);
    script.extend([2, 1, 3]);
    node_script(&script);
}
