//! Fuzz target `envelope`: a thin wrapper around `otr_wire::fuzzing::envelope`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| otr_wire::fuzzing::envelope(data));
