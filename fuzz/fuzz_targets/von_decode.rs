//! VON's codec on untrusted datagrams: never panics, and what decodes
//! re-encodes to the same message.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    overlay_impls::von::fuzzing::von_decode(data);
});
