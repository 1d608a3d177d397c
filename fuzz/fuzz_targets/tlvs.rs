//! Fuzz target `tlvs`: a thin wrapper around `otr_fuzz_bodies::wire::tlvs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| otr_fuzz_bodies::wire::tlvs(data));
