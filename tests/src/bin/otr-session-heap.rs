//! Helper of the session bench's `idle_session_heap` line: the heap an idle
//! ENCRYPTED session (v3, one instance) holds, the larger of the two sides,
//! measured as `tests/tests/memory.rs` does (a counting allocator; what
//! dropping the session frees). Its own process, so that the counting
//! allocator slows no timed code. Prints the bytes.
//!
//! Idle means quiet for longer than the master's commit lifetime (60 s):
//! until then the side that sent the D-H Commit also keeps it, so that the
//! buddy's other clients can still answer it (as libotr does).
//! `--within-commit-lifetime` prints the figure right after the AKE instead.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::alloc::System;

use otr_core::otr_wire::InstanceTag;
use std::time::Duration;

use otr_core::{AuthState, ManualClock, Session, SessionConfig, Timestamp};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[path = "../../benches/support/mod.rs"]
mod support;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Bytes currently allocated (net) since `region` started.
fn net(region: &Region<'_, System>) -> isize {
    let c = region.change();
    c.bytes_allocated as isize - c.bytes_deallocated as isize
}

fn private_pair(keys: &support::Keys) -> support::Pair {
    let mut pair = support::Pair::new(keys, 9);
    pair.ake();
    pair.assert_encrypted();
    pair.message(support::Side::Alice, b"warm up");
    pair.message(support::Side::Bob, b"warm up too");
    assert!(pair.wire.is_empty());
    pair
}

/// What dropping one side's session of an idle private pair frees.
fn idle_heap(keys: &support::Keys, side: support::Side, quiet: bool) -> isize {
    let mut pair = private_pair(keys);
    let (slot, key) = match side {
        support::Side::Alice => (&mut pair.alice, &keys.0),
        support::Side::Bob => (&mut pair.bob, &keys.1),
    };
    if quiet {
        let _ = slot.handle_timeout(Timestamp(Duration::from_secs(61)));
        assert!(
            slot.instances()
                .iter()
                .all(|i| i.auth_state == AuthState::None)
        );
    }
    let region = Region::new(GLOBAL);
    let session = std::mem::replace(
        slot,
        Session::new(
            SessionConfig::default(),
            key.clone(),
            InstanceTag::new(0x4242).unwrap(),
            Box::new(ChaCha20Rng::seed_from_u64(1)),
            Box::new(ManualClock::new()),
        ),
    );
    let with_fresh = net(&region);
    drop(session);
    with_fresh - net(&region)
}

fn main() {
    let keys = (support::key("alice", 1), support::key("bob", 2));
    // Whatever is built on first use, outside the region.
    let _ = private_pair(&keys);
    let quiet = !std::env::args().any(|a| a == "--within-commit-lifetime");
    // Alice sent the query, Bob the D-H Commit: the larger of the two.
    let alice = idle_heap(&keys, support::Side::Alice, quiet);
    let bob = idle_heap(&keys, support::Side::Bob, quiet);
    eprintln!("idle session heap: Alice (sent the query) {alice} B, Bob (sent the commit) {bob} B");
    println!("{}", alice.max(bob));
}
