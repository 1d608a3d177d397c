//! Resource bounds, measured with a counting allocator (stats_alloc wraps the
//! system allocator; this binary has a single test so that no other thread
//! allocates during a measurement).
//!
//! Figures are printed (run with `--nocapture`) and asserted against bounds.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::alloc::System;

use otr_core::otr_wire::{EncodedMessage, Header, InstanceTag, MessageBody, armor};
use otr_core::{Action, AuthState, Event, MessageState, SendOptions, SessionConfig, Timestamp};
use otr_tests::keys::test_keys;
use otr_tests::pair::{Pair, Side};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Bytes currently allocated (net) since `region` started.
fn net(region: &Region<'_, System>) -> isize {
    // Reallocations are already counted in bytes_allocated / bytes_deallocated.
    let c = region.change();
    c.bytes_allocated as isize - c.bytes_deallocated as isize
}

fn private_pair() -> Pair {
    let mut p = Pair::new(
        9,
        test_keys(),
        SessionConfig::default(),
        SessionConfig::default(),
    );
    p.establish(Side::Alice);
    p.send(Side::Alice, "warm up");
    p.drive();
    p.send(Side::Bob, "warm up too");
    p.drive();
    assert_eq!(
        p.bob.session.best_instance().message_state,
        MessageState::Encrypted
    );
    p
}

fn clear_harness(p: &mut Pair) {
    for party in [&mut p.alice, &mut p.bob] {
        party.delivered = Vec::new();
        party.events = Vec::new();
        party.sent = Vec::new();
    }
    p.to_alice = Default::default();
    p.to_bob = Default::default();
}

/// What dropping one side's session of an idle private pair frees.
/// With `quiet`, after 61 s without traffic.
fn idle_heap(side: Side, quiet: bool) -> isize {
    let mut p = private_pair();
    clear_harness(&mut p);
    let (party, key) = match side {
        Side::Alice => (&mut p.alice, test_keys().0),
        Side::Bob => (&mut p.bob, test_keys().1),
    };
    if quiet {
        let _ = party
            .session
            .handle_timeout(Timestamp(std::time::Duration::from_secs(61)));
        assert!(
            party
                .session
                .instances()
                .iter()
                .all(|i| i.auth_state == AuthState::None)
        );
    }
    let region = Region::new(GLOBAL);
    let session = std::mem::replace(
        &mut party.session,
        otr_core::Session::new(
            SessionConfig::default(),
            key,
            InstanceTag::new(0x4242).unwrap(),
            Box::new(<rand_chacha::ChaCha20Rng as rand_core::SeedableRng>::seed_from_u64(1)),
            Box::new(otr_core::ManualClock::new()),
        ),
    );
    let with_fresh = net(&region);
    drop(session);
    with_fresh - net(&region)
}

#[test]
fn resource_bounds() {
    // Warm what is built once (the test keys) outside any region.
    let _ = private_pair();

    // 1. The heap of an idle ENCRYPTED session: what dropping it frees, on
    // each side (Alice sent the query, Bob the D-H Commit). Idle: quiet past
    // the master commit's 60 s, which the commit's sender keeps until then
    // for the buddy's other clients (libotr too).
    let alice_idle = idle_heap(Side::Alice, true);
    let bob_idle = idle_heap(Side::Bob, true);
    let bob_fresh = idle_heap(Side::Bob, false);
    println!(
        "idle ENCRYPTED session (v3, one instance): Alice {alice_idle} B, Bob {bob_idle} B of \
         heap; Bob within the commit's 60 s {bob_fresh} B"
    );
    // The goal: 2 KiB, either side.
    for heap in [alice_idle, bob_idle] {
        assert!(heap > 0 && heap <= 2_048, "{heap}");
    }
    // The master's commit costs no more than its keys and r (not the
    // armoured message: that is rebuilt when resent).
    assert!(
        bob_fresh > bob_idle && bob_fresh - bob_idle <= 320,
        "{bob_fresh}"
    );

    // 2. The 65535-fragment attack: memory stays flat at the reassembly cap.
    let mut p = private_pair();
    clear_harness(&mut p);
    let tags = format!(
        "?OTR|{:08x}|{:08x},",
        p.alice.session.our_instance_tag().get(),
        p.bob.session.our_instance_tag().get()
    );
    let piece = "A".repeat(64 * 1024);
    let region = Region::new(GLOBAL);
    let mut peak = 0isize;
    for k in 1..=300u32 {
        let fragment = format!("{tags}{k},65535,{piece},");
        let out = p.bob.session.handle_input(fragment.as_bytes());
        drop(fragment);
        drop(out);
        peak = peak.max(net(&region));
    }
    println!(
        "65535-fragment attack: peak retained {peak} bytes after 300 × 64 KiB pieces (cap 256 KiB)"
    );
    assert!(peak <= 256 * 1024 + 64 * 1024, "{peak}");

    // 3. Instances per buddy are bounded: 1000 D-H Commits from 1000 instances.
    let mut p = private_pair();
    clear_harness(&mut p);
    let q = p.alice.session.send_query();
    let commit = {
        let out = p.bob.session.handle_input(
            &q.iter()
                .find_map(|a| match a {
                    Action::Send { message: m, .. } => Some(m.clone()),
                    _ => None,
                })
                .unwrap(),
        );
        out.into_iter()
            .find_map(|a| match a {
                Action::Send { message: m, .. } => Some(m),
                _ => None,
            })
            .unwrap()
    };
    let bytes = armor::decode(&commit).unwrap();
    let decoded = EncodedMessage::decode(&bytes).unwrap().message;
    let MessageBody::DhCommit(c) = decoded.body else {
        panic!()
    };
    let region = Region::new(GLOBAL);
    for i in 0..1000u32 {
        let m = EncodedMessage {
            header: Header::V3 {
                sender: InstanceTag::new(0x10_0000 + i).unwrap(),
                receiver: None,
            },
            body: MessageBody::DhCommit(c),
        };
        let _ = p
            .alice
            .session
            .handle_input(armor::encode(&m.encode().unwrap()).as_bytes());
    }
    let instances = p.alice.session.instances().len();
    let grown = net(&region);
    println!("1000 instances knocking: {instances} contexts kept, {grown} bytes retained");
    assert!(instances <= SessionConfig::default().max_instances + 1);
    assert_eq!(
        p.alice.session.best_instance().message_state,
        MessageState::Encrypted,
        "the private instance is never evicted"
    );
    assert!(grown < 256 * 1024, "{grown}");

    // 4. A huge SMP question is refused and nothing is kept.
    let mut p = private_pair();
    clear_harness(&mut p);
    let mut question = vec![b'q'; 60_000];
    question.push(0);
    question.extend(6u32.to_be_bytes());
    for _ in 0..6 {
        question.extend([0, 0, 0, 1, 2]);
    }
    let mut options = SendOptions::default();
    options.tlvs = vec![(7, question)];
    let out = p.alice.session.send_message_with(b"", &options).unwrap();
    p.absorb(Side::Alice, out);
    let m = p.to_bob.pop_back().unwrap();
    clear_harness(&mut p);
    let region = Region::new(GLOBAL);
    let out = p.bob.session.handle_input(&m);
    let aborted = out.iter().any(|a| {
        matches!(
            a,
            Action::Event {
                event: Event::Smp(_),
                ..
            }
        )
    });
    drop(out);
    drop(m);
    let kept = net(&region);
    println!("60 kB SMP question: refused, {kept} bytes retained");
    assert!(aborted);
    assert!(kept < 8 * 1024, "{kept}");

    // 5. Allocations of a one-way 1 KiB message, sent and received (the
    // pair's keys already derived by an earlier one).
    let mut p = private_pair();
    clear_harness(&mut p);
    let text = vec![b'x'; 1024];
    let one_way = |p: &mut Pair| {
        let wire = p
            .alice
            .session
            .send_message(&text)
            .unwrap()
            .into_iter()
            .find_map(|a| match a {
                Action::Send { message, .. } => Some(message),
                _ => None,
            })
            .unwrap();
        let delivered =
            p.bob.session.handle_input(&wire).into_iter().any(
                |a| matches!(a, Action::Deliver { message, .. } if message.text.len() == 1024),
            );
        assert!(delivered);
    };
    one_way(&mut p);
    let region = Region::new(GLOBAL);
    one_way(&mut p);
    let c = region.change();
    let allocations = c.allocations + c.reallocations;
    println!("one-way 1 KiB message: {allocations} allocations, sent and received");
    // Sending: the payload (encrypted where it lies), the binary message,
    // its armour, the action list; receiving: the de-armoured bytes, the
    // plaintext (delivered as it is), the action list.
    assert!(allocations <= 7, "{allocations}");
}
