//! Fuzz target `session_input`: a thin wrapper around `otr_fuzz_bodies::engine::session_input`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| otr_fuzz_bodies::engine::session_input(data));
