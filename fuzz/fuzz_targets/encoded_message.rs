//! Fuzz target `encoded_message`: a thin wrapper around `otr_wire::fuzzing::encoded_message`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| otr_wire::fuzzing::encoded_message(data));
