//! # otr-smp
//!
//! The Socialist Millionaires' Protocol (SMP) as OTR v2/v3 uses it: two
//! users check that they typed the same secret — and thereby that no one sits
//! in the middle of their encrypted session — without revealing anything else
//! about it. It runs over the RFC 3526 1536-bit MODP group with generator 2
//! and exponents modulo `q = (p − 1) / 2`. This crate does the arithmetic
//! and the state machine; the session engine (otr-core) carries the four
//! messages in TLVs 2–7 (framed by otr-wire) and has no arithmetic of its own.
//!
//! * [`SmpSecret::derive`] binds the user's answer to the conversation:
//!   `SHA-256(0x01 ‖ initiator fingerprint ‖ responder fingerprint ‖ ssid ‖ answer)`.
//! * [`SmpEngine`] is the state machine a session stores: feed it the SMP TLVs
//!   received ([`SmpInput`]) and the user's commands; each call returns the
//!   TLVs to send and an [`SmpEvent`] for the user.
//! * The typestates in [`Initiator`], [`Responder`] and the `Awaiting…` structs
//!   do one step each and consume the previous state, so a message cannot be
//!   processed out of order and each step's secrets are wiped when it ends.
//! * [`Smp1Message`] … [`Smp4Message`] parse MPI values with libotr's checks
//!   (group elements in `[2, p − 2]`, `D` values in `[1, q − 1]`, exact
//!   counts) plus a subgroup check; every proof's hash is recomputed.
//!
//! Secret exponents are used only in constant-time exponentiation (fixed
//! windows with the public bound `|q|` and a masked table scan, or a
//! constant-time scan of a precomputed table for powers of 2); checks of the
//! peer's proofs, whose exponents are public, use variable-time simultaneous
//! multi-exponentiation. All of them multiply and square with the
//! [`montgomery`] kernel (product scanning, a dedicated squaring), about a
//! quarter faster than crypto-bigint's generic Montgomery arithmetic.
//!
//! ## Features
//!
//! - `std` (default): the standard library. The crate uses none of it: without
//!   the feature it is `#![no_std]` and needs only `alloc` (a global
//!   allocator); the API is the same, and [`SmpError`] implements
//!   `core::error::Error` either way. The generator table is read-only data
//!   computed at build time, so nothing is built or locked at run time
//!   either way.
//!
//! ## Example: a complete SMP between two engines
//!
//! ```
//! use otr_smp::{SmpEngine, SmpEvent, SmpOutput, SmpRole, SmpSecret, SmpState};
//! use rand_chacha::ChaCha20Rng;
//! use rand_core::SeedableRng;
//!
//! # fn main() -> Result<(), otr_smp::SmpError> {
//! // Real code passes a cryptographic RNG (e.g. the OS generator).
//! let mut rng = ChaCha20Rng::seed_from_u64(2024);
//!
//! // What the session knows: both long-term key fingerprints and the ssid.
//! let alice_fingerprint = [0xA1; 20];
//! let bob_fingerprint = [0xB0; 20];
//! let ssid = [0x5E; 8];
//!
//! let mut alice = SmpEngine::new();
//! let mut bob = SmpEngine::new();
//!
//! // Alice asks a question; her secret puts her own fingerprint first.
//! let secret = SmpSecret::derive(&alice_fingerprint, &bob_fingerprint, &ssid, b"at the lake");
//! let to_bob: SmpOutput = alice.start_with_question(b"Where did we meet?", &secret, &mut rng)?;
//! assert_eq!(alice.state_name(), SmpState::Expect2);
//!
//! // Bob's session receives TLV 7 and hands it to his engine.
//! let out = bob.receive(to_bob.send[0].as_input(), &mut rng);
//! let Some(SmpEvent::AskForAnswer { question }) = out.event else { unreachable!() };
//! assert_eq!(question, b"Where did we meet?");
//!
//! // Bob's user answers; the initiator's (Alice's) fingerprint still comes first.
//! let secret = SmpSecret::derive(&alice_fingerprint, &bob_fingerprint, &ssid, b"at the lake");
//! let to_alice = bob.respond(&secret, &mut rng)?; // SMP 2
//!
//! let to_bob = alice.receive(to_alice.send[0].as_input(), &mut rng); // SMP 3
//! assert_eq!(to_bob.event, Some(SmpEvent::InProgress));
//!
//! let to_alice = bob.receive(to_bob.send[0].as_input(), &mut rng); // SMP 4
//! assert!(matches!(
//!     to_alice.event,
//!     Some(SmpEvent::Succeeded { role: SmpRole::Responder, with_question: true })
//! ));
//!
//! let done = alice.receive(to_alice.send[0].as_input(), &mut rng);
//! assert!(matches!(
//!     done.event,
//!     Some(SmpEvent::Succeeded { role: SmpRole::Initiator, .. })
//! ));
//! assert!(done.send.is_empty());
//! assert_eq!((alice.state_name(), bob.state_name()), (SmpState::Expect1, SmpState::Expect1));
//! # Ok(())
//! # }
//! ```

#![cfg_attr(not(any(feature = "std", test)), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

mod ct_select;
mod engine;
mod error;
mod exponent;
mod fixed_base;
pub mod group;
mod hash;
mod jacobi;
mod messages;
pub mod montgomery;
pub mod multiexp;
mod proof;
mod secret;
pub mod secret_pow;
mod state;
#[cfg(test)]
mod stats;
#[cfg(test)]
mod tests;

pub use engine::{SmpEngine, SmpEvent, SmpInput, SmpOutgoing, SmpOutput, SmpRole, SmpState};
pub use error::SmpError;
pub use messages::{Smp1Message, Smp2Message, Smp3Message, Smp4Message, SmpMessageKind};
pub use secret::SmpSecret;
pub use state::{
    AwaitingSmp2, AwaitingSmp3, AwaitingSmp4, GotSmp1, Initiator, Responder, SmpOutcome,
};
