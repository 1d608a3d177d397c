//! Fuzz target `signed_identity`: a thin wrapper around `otr_fuzz_bodies::wire::signed_identity`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| otr_fuzz_bodies::wire::signed_identity(data));
