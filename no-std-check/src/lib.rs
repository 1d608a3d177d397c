//! A `#![no_std]` crate that uses otr-wire and otr-smp without their `std`
//! features and defines its own `#[panic_handler]`.
//!
//! `std` defines the panic handler too, so if anything in the dependency graph
//! linked `std`, this crate would fail to build with "found duplicate lang
//! item `panic_impl`". `cargo build --manifest-path no-std-check/Cargo.toml`
//! succeeding is therefore the proof (`.ci/run`, step "otr-wire and otr-smp
//! without std"); the functions below only make sure both crates are linked.

#![no_std]
#![forbid(unsafe_code)]

use core::panic::PanicInfo;

/// Whether `input` is an OTR message of any kind (the codec, through
/// [`otr_wire::classify`]).
#[must_use]
pub fn is_otr_message(input: &[u8]) -> bool {
    !matches!(
        otr_wire::classify(input),
        Ok(otr_wire::Envelope::Plaintext { .. })
    )
}

/// The state of a fresh SMP engine (the arithmetic crate, through
/// [`otr_smp::SmpEngine`]).
#[must_use]
pub fn fresh_smp_state() -> otr_smp::SmpState {
    otr_smp::SmpEngine::new().state_name()
}

/// The panic handler `std` would otherwise provide: this crate is never run,
/// only built.
#[panic_handler]
fn panic(_info: &PanicInfo<'_>) -> ! {
    loop {}
}
