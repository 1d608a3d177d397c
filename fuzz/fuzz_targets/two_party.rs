//! Fuzz target `two_party`: a thin wrapper around `otr_core::fuzzing::two_party`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| otr_core::fuzzing::two_party(data));
