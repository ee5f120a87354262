//! A CAN node driven by a script of datagrams, messages, answers, timers
//! and local commands: no panic, disjoint zones holding every key kept,
//! and datagrams only to addresses given or learned.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    overlay_impls::can::fuzzing::node_script(data);
});
