//! Engine behaviour between our own sessions that the libotr interop tests
//! cannot show: whitespace-tag offers, held messages and new identities,
//! several instances of one buddy answering the master's commit, and the
//! master commit's lifetime; padding TLVs.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;
use std::time::Duration;

use otr_core::otr_wire::{EncodedMessage, InstanceTag, MessageBody, MessageType, whitespace};
use otr_core::{
    Action, AuthState, Event, ManualClock, MessageState, Policy, Session, SessionConfig,
    SessionError, Timestamp,
};
use otr_tests::actions::sends;
use otr_tests::keys::test_keys;
use otr_tests::pair::{Pair, Side};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

fn config(policy: Policy) -> SessionConfig {
    let mut c = SessionConfig::default();
    c.policy = policy;
    c
}

fn tagged(m: &[u8]) -> bool {
    memchr_find(m, whitespace::BASE_TAG)
}

fn memchr_find(h: &[u8], n: &[u8]) -> bool {
    h.windows(n.len()).any(|w| w == n)
}

#[test]
fn whitespace_tag_is_sent_stopped_by_a_plain_answer_and_resumed_by_otr_input() {
    // Bob speaks OTR only manually: he answers in plain text.
    let mut p = Pair::new(
        4,
        test_keys(),
        config(Policy::OPPORTUNISTIC),
        config(Policy::MANUAL),
    );
    let out = p.alice.session.send_message(b"hello").unwrap();
    assert!(
        tagged(&sends(&out)[0]),
        "the first plaintext carries the tag"
    );
    p.absorb(Side::Alice, out);
    p.drive();
    assert_eq!(
        p.bob.texts(),
        vec!["hello".to_owned()],
        "Bob sees the text without the tag"
    );
    let out = p.bob.session.send_message(b"plain answer").unwrap();
    p.absorb(Side::Bob, out);
    p.drive();
    let out = p.alice.session.send_message(b"again").unwrap();
    assert!(
        !tagged(&sends(&out)[0]),
        "stopped once the buddy answered in plain text"
    );
    // Any OTR input resumes the offer (libotr: OFFER_ACCEPTED).
    let q = p.bob.session.send_query();
    let _ = p.alice.session.handle_input(&sends(&q)[0]);
    // Alice is now mid-AKE; a message to a non-private buddy is tagged again.
    let out = p.alice.session.send_message(b"and again").unwrap();
    assert!(tagged(&sends(&out)[0]));
}

#[test]
fn held_messages_wait_for_consent_when_the_key_is_new_and_untrusted() {
    let mut p = Pair::new(
        5,
        test_keys(),
        config(Policy::ALWAYS),
        SessionConfig::default(),
    );
    // Alice has talked privately to someone else with this buddy name before:
    // not a first contact, and Bob's key is neither trusted nor the last one.
    let stranger = otr_core::otr_wire::Fingerprint::from_bytes([7; 20]);
    p.alice.session.set_trust(stranger, "");
    let out = p
        .alice
        .session
        .send_message(b"for bob's eyes only")
        .unwrap();
    p.absorb(Side::Alice, out);
    p.drive();
    assert_eq!(
        p.alice.session.best_instance().message_state,
        MessageState::Encrypted
    );
    assert!(
        p.alice
            .saw(|e| matches!(e, Event::HeldMessagesBlocked { count: 1, .. }))
    );
    assert!(
        p.bob.texts().is_empty(),
        "nothing sent to a new identity without consent"
    );
    assert_eq!(p.alice.session.held_message_count(), 1);
    // The host consents.
    let out = p.alice.session.release_held_messages();
    p.absorb(Side::Alice, out);
    p.drive();
    assert_eq!(p.bob.texts(), vec!["for bob's eyes only".to_owned()]);
    assert!(
        p.alice
            .saw(|e| matches!(e, Event::HeldMessagesSent { count: 1 }))
    );
}

#[test]
fn held_messages_go_out_at_first_contact_and_to_a_trusted_key() {
    for trusted in [false, true] {
        let mut p = Pair::new(
            6,
            test_keys(),
            config(Policy::ALWAYS),
            SessionConfig::default(),
        );
        if trusted {
            let fp = p.bob.session.our_fingerprint();
            p.alice.session.set_trust(fp, "verified");
            p.alice
                .session
                .set_trust(otr_core::otr_wire::Fingerprint::from_bytes([9; 20]), "");
        }
        for t in ["one", "two", "three"] {
            let out = p.alice.session.send_message(t.as_bytes()).unwrap();
            p.absorb(Side::Alice, out);
        }
        p.drive();
        assert_eq!(
            p.bob.texts(),
            vec!["one", "two", "three"],
            "all held, in order (trusted: {trusted})"
        );
    }
}

#[test]
fn held_messages_expire() {
    let mut p = Pair::new(
        7,
        test_keys(),
        config(Policy::ALWAYS),
        SessionConfig::default(),
    );
    let _ = p.alice.session.send_message(b"too late").unwrap();
    let deadline = p.alice.session.poll_timeout().unwrap();
    assert_eq!(deadline, Timestamp(Duration::from_secs(60)));
    assert!(
        p.alice
            .session
            .handle_timeout(Timestamp(Duration::from_secs(59)))
            .is_empty()
    );
    let out = p.alice.session.handle_timeout(deadline);
    assert!(out.iter().any(|a| matches!(
        a,
        Action::Event {
            event: Event::HeldMessagesExpired { count: 1 },
            ..
        }
    )));
    assert_eq!(p.alice.session.held_message_count(), 0);
}

/// Alice private with two clients of Bob (phone 0xb001, laptop 0xb002),
/// both answering the one D-H Commit of her master.
fn alice_with_two_instances_of_bob() -> (Session, Session, Session, ManualClock) {
    let (alice_key, bob_key) = test_keys();
    let clock = ManualClock::new();
    let session = |key: Arc<_>, tag: u32, seed: u64| {
        Session::new(
            SessionConfig::default(),
            key,
            InstanceTag::new(tag).unwrap(),
            Box::new(ChaCha20Rng::seed_from_u64(seed)),
            Box::new(clock.clone()),
        )
    };
    let mut alice = session(alice_key, 0xa000, 1);
    let mut bob_phone = session(Arc::clone(&bob_key), 0xb001, 2);
    let mut bob_laptop = session(bob_key, 0xb002, 3);
    // Bob (both clients) asks; Alice answers with one DH-Commit from her master.
    let query = sends(&bob_phone.send_query())[0].clone();
    let commit = sends(&alice.handle_input(&query))[0].clone();
    assert_eq!(alice.instances()[0].auth_state, AuthState::AwaitingDhKey);
    // Both of Bob's clients receive the commit and answer.
    let mut to_alice = Vec::new();
    for bob in [&mut bob_phone, &mut bob_laptop] {
        to_alice.extend(sends(&bob.handle_input(&commit)));
    }
    // Alice continues the exchange with each instance separately.
    let mut pending: Vec<(usize, Vec<u8>)> = to_alice.into_iter().enumerate().collect();
    let mut steps = 0;
    while let Some((who, m)) = pending.pop() {
        steps += 1;
        assert!(steps < 100);
        for reply in sends(&alice.handle_input(&m)) {
            let bob = if who == 0 {
                &mut bob_phone
            } else {
                &mut bob_laptop
            };
            for back in sends(&bob.handle_input(&reply)) {
                pending.push((who, back));
            }
        }
    }
    let private: Vec<_> = alice
        .instances()
        .into_iter()
        .filter(|i| i.message_state == MessageState::Encrypted)
        .collect();
    assert_eq!(private.len(), 2, "a child per buddy instance: {private:?}");
    assert_eq!(
        bob_phone.best_instance().message_state,
        MessageState::Encrypted
    );
    assert_eq!(
        bob_laptop.best_instance().message_state,
        MessageState::Encrypted
    );
    assert_ne!(private[0].ssid, private[1].ssid);
    (alice, bob_phone, bob_laptop, clock)
}

#[test]
fn two_instances_of_one_buddy_both_answer_the_masters_commit_within_its_lifetime() {
    let (mut alice, _phone, _laptop, clock) = alice_with_two_instances_of_bob();
    // The master's pending commit is forgotten after its lifetime.
    assert_eq!(alice.instances()[0].auth_state, AuthState::AwaitingDhKey);
    let deadline = alice.poll_timeout().unwrap();
    clock.set(deadline);
    let _ = alice.handle_timeout(deadline);
    assert_eq!(alice.instances()[0].auth_state, AuthState::None);
}

#[test]
fn ending_one_instance_leaves_the_buddys_other_instance_private() {
    let (mut alice, mut phone, mut laptop, _clock) = alice_with_two_instances_of_bob();
    let laptop_tag = InstanceTag::new(0xb002).unwrap();
    let state = |alice: &Session, tag: u32| {
        alice
            .instances()
            .into_iter()
            .find(|i| i.instance.map(InstanceTag::get) == Some(tag))
            .unwrap()
            .message_state
    };
    let bye = sends(&alice.end_instance(laptop_tag).unwrap());
    assert_eq!(bye.len(), 1, "one DISCONNECTED message, to the laptop");
    assert_eq!(state(&alice, 0xb002), MessageState::Plaintext);
    assert_eq!(state(&alice, 0xb001), MessageState::Encrypted);
    let _ = laptop.handle_input(&bye[0]);
    assert_eq!(laptop.best_instance().message_state, MessageState::Finished);
    // The phone ignores a message for another instance and stays private.
    let _ = phone.handle_input(&bye[0]);
    assert_eq!(phone.best_instance().message_state, MessageState::Encrypted);
    assert!(matches!(
        alice.end_instance(InstanceTag::new(0xb00f).unwrap()),
        Err(SessionError::UnknownInstance(0xb00f))
    ));
}

#[test]
fn a_dh_key_of_another_version_than_our_commit_is_ignored() {
    let mut p = Pair::new(
        8,
        test_keys(),
        SessionConfig::default(),
        SessionConfig::default(),
    );
    // Alice commits in v3; a v2-only Bob would answer in v2 — build that answer.
    let q = p.bob.session.send_query();
    let commit_v3 = sends(&p.alice.session.handle_input(&sends(&q)[0]))[0].clone();
    let mut bob_v2 = Pair::new(
        8,
        test_keys(),
        SessionConfig::default(),
        config(Policy::from_bits(0x72)),
    );
    let q2 = bob_v2.alice.session.send_query();
    let _ = q2;
    // A genuine v2 D-H Key from another exchange.
    let v2_query = b"?OTRv2?";
    let v2_commit = sends(&bob_v2.alice.session.handle_input(v2_query))[0].clone();
    let v2_dh_key = sends(&bob_v2.bob.session.handle_input(&v2_commit))[0].clone();
    assert!(v2_dh_key.starts_with(b"?OTR:AAIK"));
    let before = p.alice.session.instances();
    let out = p.alice.session.handle_input(&v2_dh_key);
    assert!(sends(&out).is_empty(), "{out:?}");
    assert_eq!(p.alice.session.instances(), before);
    let _ = commit_v3;
}

#[test]
fn a_v2_commit_is_answered_while_our_v3_commit_is_pending() {
    // Found by the two_party fuzzer: a D-H Commit of another version is no
    // collision with our pending commit (whichever hash is higher).
    for seed in 0..6 {
        let mut p = Pair::new(
            60 + seed,
            test_keys(),
            SessionConfig::default(),
            SessionConfig::default(),
        );
        let q = p.bob.session.send_query();
        let ours = p.alice.session.handle_input(&sends(&q)[0]);
        assert!(sends(&ours)[0].starts_with(b"?OTR:AAMC"), "a v3 commit");
        // A v2-only buddy's D-H Commit.
        let mut v2 = Pair::new(
            60 + seed,
            test_keys(),
            SessionConfig::default(),
            config(Policy::from_bits(0x72)),
        );
        let v2_commit = sends(&v2.bob.session.handle_input(b"?OTRv2?"))[0].clone();
        assert!(v2_commit.starts_with(b"?OTR:AAIC"));
        let out = p.alice.session.handle_input(&v2_commit);
        let replies = sends(&out);
        assert_eq!(replies.len(), 1, "seed {seed}: {out:?}");
        assert!(
            replies[0].starts_with(b"?OTR:AAIK"),
            "seed {seed}: answered with a v2 D-H Key"
        );
        assert_eq!(
            p.alice.session.instances()[0].auth_state,
            AuthState::AwaitingRevealSig
        );
    }
}

#[test]
fn a_child_never_offers_again_a_master_commit_it_already_continued() {
    // Found by the two_party fuzzer. Bob answers Alice's query with a master
    // commit (receiver tag 0), which his child for Alice continues to a
    // private conversation; the master keeps the commit for its lifetime.
    // A reflected query then makes Alice send Bob a D-H Commit of her own:
    // Bob's child must answer it, not "win a collision" with the old master
    // commit whose r it has already revealed, which left that stale commit
    // in the child and made Alice's next AKE fail with a commit mismatch.
    for seed in 0..8 {
        let mut p = Pair::new(
            40 + seed,
            test_keys(),
            config(Policy::ALLOW_V3 | Policy::ERROR_START_AKE),
            config(Policy::ALLOW_V3 | Policy::ERROR_START_AKE),
        );
        p.establish(Side::Alice);
        let query = p.alice.sent[0].clone();
        assert!(query.starts_with(b"?OTR"), "seed {seed}");
        let reflected = p.alice.session.handle_input(&query);
        p.absorb(Side::Alice, reflected);
        assert_eq!(p.to_bob.len(), 1, "seed {seed}: Alice's D-H Commit");
        p.deliver_one(Side::Bob);
        let child = p
            .bob
            .session
            .instances()
            .into_iter()
            .find(|s| s.instance.is_some())
            .unwrap();
        assert_eq!(
            child.auth_state,
            AuthState::AwaitingRevealSig,
            "seed {seed}: Bob's child answers Alice's commit with a D-H Key"
        );
        assert_eq!(child.message_state, MessageState::Encrypted, "seed {seed}");
        // Alice ends; everything in flight is lost; she asks again.
        let end = p.alice.session.end();
        p.absorb(Side::Alice, end);
        p.to_alice.clear();
        p.to_bob.clear();
        p.alice.events.clear();
        p.establish(Side::Alice);
        assert!(
            !p.alice.saw(|e| matches!(e, Event::SetupError(_))),
            "seed {seed}: {:?}",
            p.alice.events
        );
        let a = p.alice.session.best_instance();
        assert_eq!(a.message_state, MessageState::Encrypted, "seed {seed}");
        assert!(
            p.bob
                .session
                .instances()
                .iter()
                .any(|s| s.message_state == MessageState::Encrypted && s.ssid == a.ssid),
            "seed {seed}: Bob shares Alice's new session"
        );
    }
}

#[test]
fn the_instance_heard_from_last_is_the_best_one_even_within_one_clock_tick() {
    // Found by the two_party fuzzer. A v2 conversation lives in the master;
    // Bob ends it but his notice is lost; Alice's new query then makes a v3
    // conversation in a child, all at the same virtual instant. Alice must
    // send to the child (heard from last), not to the stale v2 master.
    let mut p = Pair::new(
        70,
        test_keys(),
        SessionConfig::default(),
        SessionConfig::default(),
    );
    let commit_v2 = p.alice.session.handle_input(b"?OTRv2?");
    p.absorb(Side::Alice, commit_v2);
    p.drive();
    let master = p.alice.session.best_instance();
    assert_eq!(master.instance, None);
    assert_eq!(master.message_state, MessageState::Encrypted);
    assert_eq!(
        master.version,
        Some(otr_core::otr_wire::ProtocolVersion::V2)
    );
    let end = p.bob.session.end();
    p.absorb(Side::Bob, end);
    p.to_alice.clear();
    p.establish(Side::Alice);
    let best = p.alice.session.best_instance();
    assert_eq!(best.version, Some(otr_core::otr_wire::ProtocolVersion::V3));
    assert!(best.instance.is_some(), "{best:?}");
    p.send(Side::Alice, "to the live conversation");
    p.drive();
    assert_eq!(
        p.bob.texts().last().map(String::as_str),
        Some("to the live conversation")
    );
    assert!(p.bob.delivered.last().unwrap().encrypted);
}

#[test]
fn padding_is_one_random_type_0_tlv_inside_the_encryption_and_the_text_is_unchanged() {
    let mut p = Pair::new(
        21,
        test_keys(),
        SessionConfig::default(),
        SessionConfig::default(),
    );
    p.establish(Side::Alice);
    let plain = p.alice.session.send_message(b"short").unwrap();
    let mut options = otr_core::SendOptions::default();
    options.padding = 300;
    let padded = p
        .alice
        .session
        .send_message_with(b"short", &options)
        .unwrap();
    let (plain_wire, padded_wire) = (sends(&plain), sends(&padded));
    assert_eq!((plain_wire.len(), padded_wire.len()), (1, 1));
    // 4 bytes of TLV header and 300 of padding, base64: at least 405 more.
    assert!(padded_wire[0].len() >= plain_wire[0].len() + 405);
    assert!(padded_wire[0].starts_with(b"?OTR:AAM"));
    p.absorb(Side::Alice, plain);
    p.absorb(Side::Alice, padded);
    p.drive();
    let got = &p.bob.delivered;
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|m| m.text == b"short" && m.encrypted));
    assert!(got[0].tlvs.is_empty());
    assert_eq!(got[1].tlvs.len(), 1);
    assert_eq!(got[1].tlvs[0].tlv_type, 0);
    assert_eq!(got[1].tlvs[0].value.len(), 300);
    assert!(
        got[1].tlvs[0].value.iter().any(|&b| b != 0),
        "the padding is random bytes"
    );
}

/// The AKE messages `party` sent from `from` on: (type, hashed g^x of a commit).
fn ake_messages(sent: &[Vec<u8>]) -> Vec<(MessageType, Option<[u8; 32]>)> {
    sent.iter()
        .filter(|m| m.starts_with(b"?OTR:"))
        .filter_map(|m| {
            let bytes = otr_core::otr_wire::armor::decode(m).ok()?;
            let decoded = EncodedMessage::decode(&bytes).ok()?;
            let body = decoded.message.body;
            let hash = match &body {
                MessageBody::DhCommit(c) => Some(c.hashed_gx),
                _ => None,
            };
            Some((body.message_type(), hash))
        })
        .filter(|(t, _)| *t != MessageType::Data)
        .collect()
}

/// Both sides start at once; whoever committed the higher hashed g^x keeps
/// its commit, the other answers it with a D-H Key — in the child contexts
/// (v3), in the master (v2), and when both re-key at once while private.
#[test]
fn in_a_commit_collision_the_higher_hashed_gx_wins_in_every_context() {
    let v2_only = || {
        let mut c = SessionConfig::default();
        c.policy = Policy::OPPORTUNISTIC.without(Policy::ALLOW_V3);
        c
    };
    for (round, (alice_config, bob_config, rekey)) in [
        (SessionConfig::default(), SessionConfig::default(), false),
        (v2_only(), v2_only(), false),
        (SessionConfig::default(), SessionConfig::default(), true),
    ]
    .into_iter()
    .enumerate()
    {
        for seed in 0..4 {
            let mut p = Pair::new(seed, test_keys(), alice_config.clone(), bob_config.clone());
            let sent_from = if rekey {
                p.establish(Side::Alice);
                p.send(Side::Alice, "before");
                p.drive();
                (p.alice.sent.len(), p.bob.sent.len())
            } else {
                (0, 0)
            };
            let a = p.alice.session.send_query();
            let b = p.bob.session.send_query();
            p.absorb(Side::Alice, a);
            p.absorb(Side::Bob, b);
            p.drive();
            let alice = ake_messages(&p.alice.sent[sent_from.0..]);
            let bob = ake_messages(&p.bob.sent[sent_from.1..]);
            let first_hash = |m: &[(MessageType, Option<[u8; 32]>)]| {
                m.iter()
                    .find_map(|(_, h)| *h)
                    .unwrap_or_else(|| panic!("round {round} seed {seed}: no commit: {m:?}"))
            };
            let (ha, hb) = (first_hash(&alice), first_hash(&bob));
            let count = |m: &[(MessageType, Option<[u8; 32]>)], t| {
                m.iter().filter(|(ty, _)| *ty == t).count()
            };
            let (winner, loser) = if ha > hb {
                (&alice, &bob)
            } else {
                (&bob, &alice)
            };
            let context = format!("round {round} seed {seed}: winner {winner:?} loser {loser:?}");
            // The loser answers the winner's commit (and its resend, with the
            // same D-H Key); the winner never answers the loser's.
            assert!(count(loser, MessageType::DhKey) >= 1, "{context}");
            assert_eq!(count(winner, MessageType::DhKey), 0, "{context}");
            assert_eq!(count(loser, MessageType::DhCommit), 1, "{context}");
            let winner_hash = first_hash(winner);
            assert!(
                winner
                    .iter()
                    .all(|(_, h)| h.is_none_or(|h| h == winner_hash)),
                "the winner resends the same commit: {context}"
            );
            assert!(
                count(winner, MessageType::RevealSignature) >= 1,
                "{context}"
            );
            assert_eq!(count(loser, MessageType::RevealSignature), 0, "{context}");
            assert_eq!(count(loser, MessageType::Signature), 1, "{context}");
            let (sa, sb) = (
                p.alice.session.best_instance(),
                p.bob.session.best_instance(),
            );
            assert_eq!(sa.message_state, MessageState::Encrypted, "{context}");
            assert_eq!(sb.message_state, MessageState::Encrypted, "{context}");
            assert_eq!(sa.ssid, sb.ssid, "{context}");
            p.send(Side::Bob, "after");
            p.drive();
            assert_eq!(p.alice.texts().last().map(String::as_str), Some("after"));
        }
    }
}
