//! Shared helpers for the integration tests: reading the libotr fixture files
//! and the fuzz corpora.

#![forbid(unsafe_code)]

pub mod fixtures;
pub mod interop;
pub mod otr_parse;
