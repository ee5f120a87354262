//! The Mainline DHT node's message handler driven by a script of
//! datagrams, answers, timers and operations: no panic, a well-formed
//! routing table, and datagrams only to addresses given or learned.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    overlay_impls::kademlia::fuzzing::node_script(data);
});
