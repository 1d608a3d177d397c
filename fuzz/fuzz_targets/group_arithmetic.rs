//! Fuzz target `group_arithmetic`: a thin wrapper around `otr_fuzz_bodies::group::group_arithmetic`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| otr_fuzz_bodies::group::group_arithmetic(data));
