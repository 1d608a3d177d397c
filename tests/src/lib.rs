//! Shared helpers for the integration tests: reading the libotr fixture files
//! and the fuzz corpora.

#![forbid(unsafe_code)]

pub mod driver;
pub mod fixtures;
pub mod interop;
pub mod interop_peers;
pub mod keys;
pub mod line_escape;
pub mod otr_parse;
pub mod pair;
pub mod peer_clock;
pub mod peer_files;
pub mod policy_arg;
