//! Helper of the session bench's `ake_cold` row: in a fresh process, loads
//! the fixture keys, then times only the first AKE between two in-process
//! sessions (whatever the process builds on first use included) and prints
//! its nanoseconds.
//!
//! `otr-cold-ake` (no arguments).

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Instant;

#[path = "../../benches/support/mod.rs"]
mod support;

fn main() {
    let keys = (support::key("alice", 1), support::key("bob", 2));
    let mut pair = support::Pair::new(&keys, 100);
    let start = Instant::now();
    pair.ake();
    let elapsed = start.elapsed();
    pair.assert_encrypted();
    println!("{}", elapsed.as_nanos());
}
