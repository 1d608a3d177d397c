//! Fuzz target `tlvs`: a thin wrapper around `otr_wire::fuzzing::tlvs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| otr_wire::fuzzing::tlvs(data));
