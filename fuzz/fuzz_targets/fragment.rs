//! Fuzz target `fragment`: a thin wrapper around `otr_fuzz_bodies::wire::fragment`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| otr_fuzz_bodies::wire::fragment(data));
