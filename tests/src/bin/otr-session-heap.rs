//! Helper of the session bench's `idle_session_heap` line: the heap an idle
//! ENCRYPTED session (v3, one instance) holds, measured as
//! `tests/tests/memory.rs` does (a counting allocator; what dropping the
//! session frees). Its own process, so that the counting allocator slows no
//! timed code. Prints the bytes.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::alloc::System;

use otr_core::otr_wire::InstanceTag;
use otr_core::{ManualClock, Session, SessionConfig};
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

fn main() {
    let keys = (support::key("alice", 1), support::key("bob", 2));
    // Whatever is built on first use, outside the region.
    let _ = private_pair(&keys);
    let mut pair = private_pair(&keys);
    let region = Region::new(GLOBAL);
    let bob = std::mem::replace(
        &mut pair.bob,
        Session::new(
            SessionConfig::default(),
            keys.1.clone(),
            InstanceTag::new(0x4242).unwrap(),
            Box::new(ChaCha20Rng::seed_from_u64(1)),
            Box::new(ManualClock::new()),
        ),
    );
    let with_fresh = net(&region);
    drop(bob);
    let idle_heap = with_fresh - net(&region);
    println!("{idle_heap}");
}
