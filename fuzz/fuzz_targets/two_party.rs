//! Fuzz target `two_party`: a thin wrapper around `otr_fuzz_bodies::engine::two_party`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| otr_fuzz_bodies::engine::two_party(data));
