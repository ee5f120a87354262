//! The CAN cargo-fuzz targets' bodies (`overlay_impls::can::fuzzing`) on
//! random inputs, so that CI runs them on stable without the fuzzer.

use overlay_impls::can::fuzzing::{can_decode, node_script};
use overlay_impls::can::wire::Msg;
use overlay_impls::runtime::Wire;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn decoder_target(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        can_decode(&bytes);
    }

    #[test]
    fn node_target(bytes in proptest::collection::vec(any::<u8>(), 0..1500)) {
        node_script(&bytes);
    }
}

/// The decoder target on real messages, mutated one byte at a time.
#[test]
fn decoder_target_on_mutated_messages() {
    let good: &[&str] = &[
        r#"{"type":"update","reality":0,"ver":3,"zones":[{"depth":1,"lo":[0,0]}],"nbrs":[{"addr":"10.0.0.1:4000","ver":2,"zones":[{"depth":1,"lo":[2147483648,0]}]}]}"#,
        r#"{"type":"route","reality":1,"target":[1,2],"hops":3,"ttl":9,"body":{"kind":"put","origin":"10.0.0.1:4000","req":4,"key":"k","value":"v"}}"#,
        r#"{"type":"value","req":7,"reality":0,"hops":2,"value":"x"}"#,
    ];
    for g in good {
        assert!(Msg::decode(g.as_bytes()).is_ok(), "{g}");
        let g = g.as_bytes();
        for i in 0..g.len() {
            for b in [0u8, b'0', b'9', b':', b',', b'"', b'{', b']', b'-', 0xff] {
                let mut m = g.to_vec();
                m[i] = b;
                can_decode(&m);
            }
        }
    }
}
