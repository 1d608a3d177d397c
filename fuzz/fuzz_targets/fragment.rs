//! Fuzz target `fragment`: a thin wrapper around `otr_wire::fuzzing::fragment`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| otr_wire::fuzzing::fragment(data));
