//! A VON node driven by a script of datagrams, messages, timers and local
//! commands: no panic, a pruned table that never names the node, and
//! datagrams only to other addresses that survive their encoding.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    overlay_impls::von::fuzzing::node_script(data);
});
