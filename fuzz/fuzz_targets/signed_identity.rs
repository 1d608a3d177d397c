//! Fuzz target `signed_identity`: a thin wrapper around `otr_wire::fuzzing::signed_identity`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| otr_wire::fuzzing::signed_identity(data));
