//! Property tests of the AKE and the ratchet over hostile delivery schedules
//! (two of our engines, seeded RNGs, a virtual clock): the AKE always
//! terminates; whenever both sides are private — with no exchange still in
//! progress on either side — they agree on the SSID and on each other's
//! fingerprints; no message is ever delivered twice, forged, or sent in
//! plaintext while private — also while either side re-keys with a query in
//! the middle of the conversation; and when the network neither drops nor
//! reorders messages, every one arrives, in order, re-keys included. Every
//! property starts from Alice's query, Bob's, or both at once.
//!
//! Why "no exchange in progress": when the last message of a re-key (the
//! Signature) is lost, its responder already uses the new keys while its
//! initiator, still waiting, keeps the old ones (decision 5: no plaintext
//! window). Both are private, with different SSIDs, until the initiator's
//! exchange completes or the next message's error reply restarts it; no AKE
//! whose last message can be lost can avoid that window. Fingerprints always
//! agree.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashSet;

use otr_core::{AuthState, MessageState, SessionConfig};
use otr_tests::keys::test_keys;
use otr_tests::pair::{Pair, Side};
use proptest::prelude::*;

/// What the network does to the next message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    Deliver,
    Drop,
    Duplicate,
    /// Delivers the message after the next one.
    Swap,
}

/// One step of a conversation after the first AKE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// This side sends a text message.
    Send(Side),
    /// This side sends a query while private: a re-key with messages in flight.
    Requery(Side),
}

fn side() -> impl Strategy<Value = Side> {
    prop_oneof![Just(Side::Alice), Just(Side::Bob)]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => side().prop_map(Step::Send),
        1 => side().prop_map(Step::Requery),
    ]
}

/// Who starts the first AKE: Alice, Bob, or both at once.
fn start(p: &mut Pair, starter: u8) {
    if starter != 1 {
        let q = p.alice.session.send_query();
        p.absorb(Side::Alice, q);
    }
    if starter != 0 {
        let q = p.bob.session.send_query();
        p.absorb(Side::Bob, q);
    }
}

/// Runs `plan`: texts are "<side> message <i>"; returns the texts sent by
/// Alice and by Bob, in order.
fn play(p: &mut Pair, plan: &[Step]) -> (Vec<String>, Vec<String>) {
    let (mut by_alice, mut by_bob) = (Vec::new(), Vec::new());
    for (i, step) in plan.iter().enumerate() {
        match *step {
            Step::Send(side) => {
                let text = format!("{side:?} message {i}");
                p.send(side, &text);
                match side {
                    Side::Alice => by_alice.push(text),
                    Side::Bob => by_bob.push(text),
                }
            }
            Step::Requery(side) => {
                let q = p.party(side).session.send_query();
                p.absorb(side, q);
            }
        }
    }
    (by_alice, by_bob)
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        6 => Just(Fault::Deliver),
        1 => Just(Fault::Drop),
        1 => Just(Fault::Duplicate),
        1 => Just(Fault::Swap),
    ]
}

/// Delivers everything in flight, applying `faults` in turn (then delivering
/// faithfully), until both sides are quiet.
fn drive_with_faults(p: &mut Pair, faults: &mut impl Iterator<Item = Fault>) {
    for _ in 0..2_000 {
        let mut progressed = false;
        for side in [Side::Bob, Side::Alice] {
            let queue = match side {
                Side::Alice => &mut p.to_alice,
                Side::Bob => &mut p.to_bob,
            };
            let Some(m) = queue.pop_front() else { continue };
            progressed = true;
            match faults.next().unwrap_or(Fault::Deliver) {
                Fault::Deliver => {
                    let actions = p.party(side).session.handle_input(&m);
                    p.absorb(side, actions);
                }
                Fault::Drop => {}
                Fault::Duplicate => {
                    for _ in 0..2 {
                        let actions = p.party(side).session.handle_input(&m);
                        p.absorb(side, actions);
                    }
                }
                Fault::Swap => {
                    let queue = match side {
                        Side::Alice => &mut p.to_alice,
                        Side::Bob => &mut p.to_bob,
                    };
                    queue.insert(queue.len().min(1), m);
                }
            }
        }
        if !progressed {
            return;
        }
    }
    panic!("the conversation did not settle");
}

fn both_private(p: &Pair) -> bool {
    let settled = |s: otr_core::InstanceState| {
        s.message_state == MessageState::Encrypted && s.auth_state == AuthState::None
    };
    settled(p.alice.session.best_instance()) && settled(p.bob.session.best_instance())
}

fn assert_agreement(p: &Pair) {
    let (a, b) = (
        p.alice.session.best_instance(),
        p.bob.session.best_instance(),
    );
    // Whoever is private knows the right buddy key, always.
    if a.message_state == MessageState::Encrypted {
        assert_eq!(a.fingerprint, Some(p.bob.session.our_fingerprint()));
    }
    if b.message_state == MessageState::Encrypted {
        assert_eq!(b.fingerprint, Some(p.alice.session.our_fingerprint()));
    }
    if both_private(p) {
        assert_eq!(a.ssid, b.ssid, "SSIDs agree");
        assert_ne!(a.first_half_bold, b.first_half_bold);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn ake_terminates_and_both_sides_agree(
        seed in any::<u64>(),
        starter in 0u8..3,
        faults in proptest::collection::vec(fault(), 0..24),
    ) {
        let mut p = Pair::new(seed, test_keys(), SessionConfig::default(), SessionConfig::default());
        let mut faults = faults.into_iter();
        match starter {
            0 => { let q = p.alice.session.send_query(); p.absorb(Side::Alice, q); }
            1 => { let q = p.bob.session.send_query(); p.absorb(Side::Bob, q); }
            _ => {
                let q = p.alice.session.send_query(); p.absorb(Side::Alice, q);
                let q = p.bob.session.send_query(); p.absorb(Side::Bob, q);
            }
        }
        drive_with_faults(&mut p, &mut faults);
        assert_agreement(&p);
        // Re-query over a faithful network until private (bounded).
        for round in 0..4 {
            if both_private(&p) { break; }
            let side = if round % 2 == 0 { Side::Alice } else { Side::Bob };
            let q = p.party(side).session.send_query();
            p.absorb(side, q);
            p.drive();
            assert_agreement(&p);
        }
        prop_assert!(both_private(&p), "the AKE terminated");
        assert_agreement(&p);
    }

    #[test]
    fn messages_are_never_duplicated_forged_or_sent_in_plaintext(
        seed in any::<u64>(),
        starter in 0u8..3,
        plan in proptest::collection::vec(step(), 1..40),
        faults in proptest::collection::vec(fault(), 0..80),
    ) {
        let mut p = Pair::new(seed, test_keys(), SessionConfig::default(), SessionConfig::default());
        start(&mut p, starter);
        p.drive();
        prop_assert!(both_private(&p));
        let sent_before = (p.alice.sent.len(), p.bob.sent.len());
        let (by_alice, by_bob) = play(&mut p, &plan);
        drive_with_faults(&mut p, &mut faults.into_iter());
        for (party, theirs) in [(&p.alice, &by_bob), (&p.bob, &by_alice)] {
            let texts: Vec<String> = party.delivered.iter().filter(|m| !m.text.is_empty()).map(|m| {
                prop_assert!(m.encrypted, "only encrypted messages while private");
                Ok(String::from_utf8(m.text.clone()).unwrap())
            }).collect::<Result<_, TestCaseError>>()?;
            let unique: HashSet<&String> = texts.iter().collect();
            prop_assert_eq!(unique.len(), texts.len(), "no message delivered twice");
            for t in &texts {
                prop_assert!(theirs.contains(t), "not forged: {}", t);
            }
        }
        // Nothing went out in plaintext while private (queries and error
        // messages are OTR messages too, never the user's text).
        let texts: Vec<&String> = by_alice.iter().chain(&by_bob).collect();
        for m in p.alice.sent[sent_before.0..].iter().chain(&p.bob.sent[sent_before.1..]) {
            prop_assert!(m.starts_with(b"?OTR"), "{}", String::from_utf8_lossy(m));
            let wire = String::from_utf8_lossy(m);
            prop_assert!(!texts.iter().any(|t| wire.contains(t.as_str())), "{}", wire);
        }
        // Both still private, and once a faithful round settles, in agreement.
        prop_assert_eq!(p.alice.session.best_instance().message_state, MessageState::Encrypted);
        prop_assert_eq!(p.bob.session.best_instance().message_state, MessageState::Encrypted);
        assert_agreement(&p);
    }

    #[test]
    fn without_drops_or_reordering_every_message_arrives_in_order(
        seed in any::<u64>(),
        starter in 0u8..3,
        plan in proptest::collection::vec(step(), 1..40),
        duplicates in proptest::collection::vec(any::<bool>(), 0..80),
    ) {
        let mut p = Pair::new(seed, test_keys(), SessionConfig::default(), SessionConfig::default());
        start(&mut p, starter);
        p.drive();
        prop_assert!(both_private(&p));
        let (by_alice, by_bob) = play(&mut p, &plan);
        let mut faults = duplicates
            .into_iter()
            .map(|d| if d { Fault::Duplicate } else { Fault::Deliver });
        drive_with_faults(&mut p, &mut faults);
        prop_assert_eq!(p.alice.texts(), by_bob);
        prop_assert_eq!(p.bob.texts(), by_alice);
    }
}
