//! Fuzz target `session_input`: a thin wrapper around `otr_core::fuzzing::session_input`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| otr_core::fuzzing::session_input(data));
