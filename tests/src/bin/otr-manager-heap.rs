//! Helper of the session bench's `manager_100k` line: one `Manager` (Alice)
//! private with N buddies (default 100,000; the first argument changes it),
//! each a session of its own on the other side that is dropped once its AKE
//! is done. Prints, on one line:
//!
//! `buddies=<N> bytes_per_buddy=<heap / N, idle> bytes_per_buddy_fresh=<heap
//! / N, just private> one_ns=<ns> many_ns=<ns> per_message_ratio=<many/one>`
//!
//! The heap is measured as `tests/tests/memory.rs` does (a counting
//! allocator: the manager's net allocation while the buddies are added,
//! after a warm-up buddy): `fresh` right after the last AKE, and idle after
//! 61 quiet seconds (the manager's timers run: each D-H Commit Alice's
//! master kept for other instances of the buddy is forgotten after its
//! 60 s, as libotr forgets it). The message cost is Alice's: sending one 1 KiB
//! message (encrypting it and taking the action out of the queue), once to
//! buddies in a scattered order over all N and once always to the same
//! buddy of a one-buddy manager, each timed over the same number of
//! messages. Its own process, so that the counting allocator is the only
//! one in it and the bench's timings are not slowed.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::alloc::System;
use std::sync::Arc;
use std::time::{Duration, Instant};

use otr_core::Manager;
use otr_core::identity::DsaSigningKey;
use otr_core::otr_wire::InstanceTag;
use otr_core::{Action, ManagerConfig, ManualClock, MessageState, Session, SessionConfig};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[path = "../../benches/support/mod.rs"]
mod support;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn net(region: &Region<'_, System>) -> isize {
    let c = region.change();
    c.bytes_allocated as isize - c.bytes_deallocated as isize
}

const TEXT: [u8; support::MESSAGE_LEN] = [b'x'; support::MESSAGE_LEN];

fn manager(key: &Arc<DsaSigningKey>, buddies: usize, clock: &ManualClock) -> Manager {
    let mut config = ManagerConfig::new("alice@example.org", "xmpp");
    config.max_buddies = buddies + 16;
    config.max_queued_actions = usize::MAX;
    Manager::new(
        config,
        Arc::clone(key),
        InstanceTag::new(0x5e63_b1b0).unwrap(),
        ChaCha20Rng::seed_from_u64(7),
        clock.clone(),
    )
}

/// Makes `name` private with Alice's manager through a fresh session of
/// Bob's, dropped afterwards.
fn befriend(alice: &mut Manager, bob_key: &Arc<DsaSigningKey>, name: &str, seed: u64) {
    let mut bob = Session::new(
        SessionConfig::default(),
        Arc::clone(bob_key),
        InstanceTag::new(0x6300_0000 | (seed as u32 & 0xff_ffff) | 0x100).unwrap(),
        Box::new(ChaCha20Rng::seed_from_u64(seed)),
        Box::new(ManualClock::new()),
    );
    let mut to_alice: Vec<Vec<u8>> = sends(bob.send_query());
    for _ in 0..16 {
        if to_alice.is_empty() {
            break;
        }
        let mut to_bob = Vec::new();
        for m in to_alice.drain(..) {
            alice.handle_input(name, &m).unwrap();
            for a in alice.drain_actions() {
                if let Action::Send { message, .. } = a.action {
                    to_bob.push(message);
                }
            }
        }
        for m in to_bob {
            to_alice.extend(sends(bob.handle_input(&m)));
        }
    }
    assert_eq!(alice.message_state(name), MessageState::Encrypted, "{name}");
}

fn sends(actions: Vec<Action>) -> Vec<Vec<u8>> {
    actions
        .into_iter()
        .filter_map(|a| match a {
            Action::Send { message, .. } => Some(message),
            _ => None,
        })
        .collect()
}

/// Nanoseconds per message for Alice sending to `names[order[i]]`.
fn time_sends(alice: &mut Manager, names: &[String], order: &[usize]) -> f64 {
    let start = Instant::now();
    for &i in order {
        alice.send_message(&names[i], TEXT).unwrap();
        let actions = alice.drain_actions();
        assert_eq!(actions.len(), 1);
    }
    start.elapsed().as_nanos() as f64 / order.len() as f64
}

fn main() {
    let buddies: usize = std::env::args()
        .nth(1)
        .map_or(100_000, |n| n.parse().expect("a number of buddies"));
    let (alice_key, bob_key) = (support::key("alice", 1), support::key("bob", 2));
    let names: Vec<String> = (0..buddies)
        .map(|i| format!("bob{i}@example.org"))
        .collect();

    // Alice private with every buddy; the heap her manager gains per buddy.
    let clock = ManualClock::new();
    let mut alice = manager(&alice_key, buddies, &clock);
    befriend(&mut alice, &bob_key, "warm-up@example.org", 0);
    let region = Region::new(GLOBAL);
    for (i, name) in names.iter().enumerate() {
        befriend(&mut alice, &bob_key, name, i as u64 + 1);
    }
    let fresh_per_buddy = net(&region) as f64 / buddies as f64;
    clock.advance(Duration::from_secs(61));
    alice.handle_due_timeouts();
    let _ = alice.drain_actions();
    let bytes_per_buddy = net(&region) as f64 / buddies as f64;

    // Alice's cost per message: scattered over all buddies vs one buddy.
    let messages = 20_000.min(buddies * 4).max(2_000);
    let mut rng = ChaCha20Rng::seed_from_u64(42);
    let order: Vec<usize> = (0..messages)
        .map(|_| (rng.next_u64() % buddies as u64) as usize)
        .collect();
    let mut one = manager(&alice_key, 1, &clock);
    let single = vec!["carol@example.org".to_owned()];
    befriend(&mut one, &bob_key, &single[0], 999_999);
    let same = vec![0usize; messages];
    // Warm both once, then measure each twice and keep the faster run.
    let _ = time_sends(&mut one, &single, &same[..200]);
    let _ = time_sends(&mut alice, &names, &order[..200]);
    let one_ns = (0..2)
        .map(|_| time_sends(&mut one, &single, &same))
        .fold(f64::MAX, f64::min);
    let many_ns = (0..2)
        .map(|_| time_sends(&mut alice, &names, &order))
        .fold(f64::MAX, f64::min);
    println!(
        "buddies={buddies} bytes_per_buddy={bytes_per_buddy:.0} \
         bytes_per_buddy_fresh={fresh_per_buddy:.0} one_ns={one_ns:.0} many_ns={many_ns:.0} \
         per_message_ratio={:.2}",
        many_ns / one_ns
    );
}
