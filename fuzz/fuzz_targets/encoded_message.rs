//! Fuzz target `encoded_message`: a thin wrapper around `otr_fuzz_bodies::wire::encoded_message`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| otr_fuzz_bodies::wire::encoded_message(data));
