//! Fuzz target `envelope`: a thin wrapper around `otr_fuzz_bodies::wire::envelope`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| otr_fuzz_bodies::wire::envelope(data));
