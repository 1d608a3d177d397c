//! # otr-fuzz-bodies
//!
//! The bodies of the fuzz targets in `fuzz/`, one function per target taking
//! the raw input. The cargo-fuzz crate wraps each in a one-line target, and
//! `tests/tests/fuzz_corpus.rs` runs every committed corpus and regression
//! input through the same function under plain `cargo test`, so the corpora
//! stay green without libFuzzer.
//!
//! Each body uses only the public API of otr-wire, otr-smp and otr-core. It panics
//! (through `assert!`) when an invariant breaks; on any input it must otherwise
//! return normally.
//!
//! | module | targets |
//! |---|---|
//! | [`wire`] (otr-wire) | `envelope`, `fragment`, `encoded_message`, `tlvs`, `signed_identity` |
//! | [`engine`] (otr-core) | `session_input`, `two_party` |
//! | [`group`] (otr-smp) | `group_arithmetic` |
//!
//! Not published: the bodies are test code, not an API.

#![forbid(unsafe_code)]

pub mod engine;
pub mod group;
pub mod wire;
