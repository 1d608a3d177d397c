//! Shared helpers for the integration tests: the two-session harness, the
//! actions a session returns, test keys, the libotr fixtures and fuzz corpora,
//! and the peer binary's parts and interop drivers.

#![forbid(unsafe_code)]

pub mod actions;
pub mod c_tool;
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
