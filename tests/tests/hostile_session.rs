//! Hostile inputs at the session level (`docs/HOSTILE-TESTS.md`): each case is a
//! test named after what it checks. "Reject" means an event (or silence), no
//! panic, the instance state snapshot unchanged, nothing delivered, and the
//! conversation still working afterwards.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use otr_core::otr_wire::{
    self, DataMessage, EncodedMessage, Envelope, Header, InstanceTag, MessageBody, Mpi, armor,
    classify, fragment,
};
use otr_core::{Action, Event, MessageState, Policy, SessionConfig, UnreadableReason};
use otr_tests::actions::{events, sends as sent};
use otr_tests::keys::test_keys;
use otr_tests::pair::{Pair, Side};

fn pair() -> Pair {
    Pair::new(
        1,
        test_keys(),
        SessionConfig::default(),
        SessionConfig::default(),
    )
}

fn config(policy: Policy) -> SessionConfig {
    let mut c = SessionConfig::default();
    c.policy = policy;
    c
}

fn private_pair() -> Pair {
    let mut p = pair();
    p.establish(Side::Alice);
    assert_eq!(
        p.alice.session.best_instance().message_state,
        MessageState::Encrypted
    );
    assert_eq!(
        p.bob.session.best_instance().message_state,
        MessageState::Encrypted
    );
    p
}

/// Feeds `input` to `side` directly; returns the actions.
fn feed(p: &mut Pair, side: Side, input: &[u8]) -> Vec<Action> {
    p.party(side).session.handle_input(input)
}

fn delivered(actions: &[Action]) -> usize {
    actions
        .iter()
        .filter(|a| matches!(a, Action::Deliver { .. }))
        .count()
}

/// The conversation still works both ways after an attack.
fn still_works(p: &mut Pair) {
    p.to_alice.clear();
    p.to_bob.clear();
    let (na, nb) = (p.alice.delivered.len(), p.bob.delivered.len());
    p.send(Side::Alice, "still there?");
    p.drive();
    p.send(Side::Bob, "yes");
    p.drive();
    assert_eq!(p.bob.delivered.len(), nb + 1);
    assert_eq!(p.bob.delivered.last().unwrap().text, b"still there?");
    assert_eq!(p.alice.delivered.len(), na + 1);
    assert_eq!(p.alice.delivered.last().unwrap().text, b"yes");
}

fn decode(wire: &[u8]) -> Vec<u8> {
    match classify(wire).unwrap() {
        Envelope::Encoded(b) => b,
        other => panic!("not encoded: {other:?}"),
    }
}

/// Captures the next data message Alice sends to Bob (not delivered).
fn capture_data(p: &mut Pair, text: &str) -> Vec<u8> {
    p.to_bob.clear();
    p.send(Side::Alice, text);
    let m = p.to_bob.pop_back().unwrap();
    p.to_bob.clear();
    m
}

#[test]
fn query_v23_with_both_allowed_starts_a_v3_ake() {
    let mut p = pair();
    let out = feed(&mut p, Side::Bob, b"?OTRv23?");
    let commit = decode(&sent(&out)[0]);
    let m = EncodedMessage::decode(&commit).unwrap().message;
    assert!(matches!(m.body, MessageBody::DhCommit(_)));
    assert_eq!(m.header.version(), otr_wire::ProtocolVersion::V3);
}

#[test]
fn query_v2_without_allow_v2_is_ignored_no_downgrade() {
    let mut p = Pair::new(
        1,
        test_keys(),
        config(Policy::from_bits(0x04)),
        config(Policy::from_bits(0x04)),
    );
    let out = feed(&mut p, Side::Bob, b"?OTRv2?");
    assert!(out.is_empty(), "{out:?}");
    let out = feed(&mut p, Side::Bob, b"?OTR?");
    assert!(out.is_empty(), "v1 only: {out:?}");
}

#[test]
fn unknown_type_byte_or_version_1_4_ffff_is_ignored_without_error_reply() {
    let mut p = private_pair();
    for bytes in [
        vec![0u8, 3, 0x99, 0, 0, 1, 0, 0, 0, 1, 0],
        vec![0, 1, 0x02, 1, 2, 3],
        vec![0, 4, 0x02, 1, 2, 3],
        vec![0xff, 0xff, 0x03, 1, 2, 3],
    ] {
        let before = p.bob.session.best_instance();
        let out = feed(&mut p, Side::Bob, armor::encode(&bytes).as_bytes());
        assert!(sent(&out).is_empty(), "no reply loop: {out:?}");
        assert_eq!(events(&out), vec![Event::ReceivedUnrecognized]);
        assert_eq!(p.bob.session.best_instance(), before);
    }
    still_works(&mut p);
}

#[test]
fn error_message_with_markup_is_untrusted_text_and_only_a_query_is_sent() {
    let mut p = private_pair();
    let out = feed(
        &mut p,
        Side::Alice,
        b"?OTR Error: <b>evil</b> <a href='x'>markup</a>",
    );
    let ev = events(&out);
    assert_eq!(
        ev[0],
        Event::PeerError(b"<b>evil</b> <a href='x'>markup</a>".to_vec())
    );
    let s = sent(&out);
    assert_eq!(s.len(), 1, "{out:?}");
    assert!(
        s[0].starts_with(b"?OTRv23?"),
        "only a query, never a resent message"
    );
    assert_eq!(delivered(&out), 0);
    // Still private (the re-AKE runs only if the buddy answers).
    assert_eq!(
        p.alice.session.best_instance().message_state,
        MessageState::Encrypted
    );
}

#[test]
fn whitespace_tag_with_100000_groups_is_stripped_in_bounded_time() {
    let mut p = Pair::new(
        1,
        test_keys(),
        config(Policy::MANUAL),
        config(Policy::MANUAL),
    );
    let mut msg = b"hello".to_vec();
    msg.extend(otr_wire::whitespace::BASE_TAG);
    for _ in 0..100_000 {
        msg.extend(b" \t \t \t \t");
    }
    let start = std::time::Instant::now();
    let out = feed(&mut p, Side::Bob, &msg);
    assert!(start.elapsed() < std::time::Duration::from_secs(2));
    match &out[..] {
        [Action::Deliver { message, .. }] => assert_eq!(message.text, b"hello"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn invalid_fragments_are_discarded_silently_and_reassembly_survives() {
    let mut p = private_pair();
    let wire = capture_data(&mut p, "fragmented");
    let frags = fragment::split(
        &wire,
        &Header::V3 {
            sender: p.alice.session.our_instance_tag(),
            receiver: Some(p.bob.session.our_instance_tag()),
        },
        60,
    )
    .unwrap();
    assert!(frags.len() > 2);
    let tags = format!(
        "?OTR|{:08x}|{:08x},",
        p.alice.session.our_instance_tag().get(),
        p.bob.session.our_instance_tag().get()
    );
    let out = feed(&mut p, Side::Bob, &frags[0]);
    assert!(out.is_empty());
    for bad in [
        format!("{tags}0,1,x,"),
        format!("{tags}1,0,x,"),
        format!("{tags}3,2,x,"),
        format!("{tags}1,2,,"),
        format!("{tags}70000,70000,x,"),
        format!("{tags}-1,2,x,"),
        format!("{tags}0x10,0x10,x,"),
        format!("{tags}1,2,x"),
    ] {
        let out = feed(&mut p, Side::Bob, bad.as_bytes());
        assert!(out.is_empty(), "{bad}: {out:?}");
    }
    // libotr's rules: an invalid fragment is swallowed and the stored state kept.
    let mut last = Vec::new();
    for f in &frags[1..] {
        last = feed(&mut p, Side::Bob, f);
    }
    assert!(
        last.iter()
            .any(|a| matches!(a, Action::Deliver { message, .. } if message.text == b"fragmented")),
        "{last:?}"
    );
}

#[test]
fn fragment_flood_stops_at_the_reassembly_cap_with_an_event() {
    let mut p = private_pair();
    let tags = format!(
        "?OTR|{:08x}|{:08x},",
        p.alice.session.our_instance_tag().get(),
        p.bob.session.our_instance_tag().get()
    );
    let piece = "A".repeat(64 * 1024);
    let mut limit_events = 0;
    for k in 1..=10u32 {
        let f = format!("{tags}{k},65535,{piece},");
        let out = feed(&mut p, Side::Bob, f.as_bytes());
        limit_events += events(&out)
            .iter()
            .filter(|e| **e == Event::FragmentLimitExceeded)
            .count();
    }
    assert_eq!(
        limit_events, 1,
        "256 KiB cap reached once; the rest is out of order"
    );
    still_works(&mut p);
}

#[test]
fn fragment_for_another_instance_or_from_a_tag_below_0x100_is_discarded() {
    let mut p = private_pair();
    let alice = p.alice.session.our_instance_tag().get();
    let out = feed(
        &mut p,
        Side::Bob,
        format!("?OTR|{alice:08x}|00001234,1,1,?OTR:AAMD.,").as_bytes(),
    );
    assert_eq!(events(&out), vec![Event::ReceivedForOtherInstance]);
    let out = feed(&mut p, Side::Bob, b"?OTR|000000ff|00000000,1,1,?OTR:AAMD.,");
    assert!(out.is_empty());
    still_works(&mut p);
}

#[test]
fn v2_syntax_fragments_are_reassembled_and_the_policy_applies_to_the_whole_message() {
    // A v3-only party receives a query in v2 fragment syntax (as a v3-only
    // libotr sends it): it answers with a v3 commit.
    let v3 = Policy::from_bits(Policy::OPPORTUNISTIC.bits() & !0x02);
    let mut p = Pair::new(1, test_keys(), config(v3), config(v3));
    let frags = fragment::split(b"?OTRv3?\nplease talk OTR", &Header::V2, 25).unwrap();
    let mut out = Vec::new();
    for f in &frags {
        out = feed(&mut p, Side::Bob, f);
    }
    let commit = decode(&sent(&out)[0]);
    assert_eq!(
        EncodedMessage::decode(&commit)
            .unwrap()
            .message
            .header
            .version(),
        otr_wire::ProtocolVersion::V3
    );
    // A v2 encoded message inside v2 fragments is ignored by a v3-only party.
    let v2_commit = armor::encode(&[0, 2, 0x0a, 0, 0, 0, 1, 5]);
    let frags = fragment::split(v2_commit.as_bytes(), &Header::V2, 25).unwrap();
    let mut out = Vec::new();
    for f in &frags {
        out.extend(feed(&mut p, Side::Alice, f));
    }
    assert!(out.is_empty(), "{out:?}");
}

#[test]
fn non_commit_message_with_receiver_tag_0_or_below_0x100_is_discarded() {
    let mut p = private_pair();
    let wire = capture_data(&mut p, "x");
    let mut bytes = decode(&wire);
    let before = p.bob.session.best_instance();
    // Receiver tag 0 on a data message.
    bytes[7..11].copy_from_slice(&0u32.to_be_bytes());
    let out = feed(&mut p, Side::Bob, armor::encode(&bytes).as_bytes());
    assert_eq!(events(&out), vec![Event::ReceivedForOtherInstance]);
    assert!(sent(&out).is_empty());
    // Receiver tag 0x80.
    bytes[7..11].copy_from_slice(&0x80u32.to_be_bytes());
    let out = feed(&mut p, Side::Bob, armor::encode(&bytes).as_bytes());
    assert_eq!(events(&out), vec![Event::ReceivedMalformed]);
    assert_eq!(p.bob.session.best_instance(), before);
    still_works(&mut p);
}

#[test]
fn dh_commit_with_receiver_tag_0_or_ours_is_accepted() {
    let mut p = pair();
    let bob_tag = p.bob.session.our_instance_tag();
    let q0 = p.alice.session.send_query();
    p.absorb(Side::Alice, q0);
    let query = p.to_bob.pop_front().unwrap();
    let out = feed(&mut p, Side::Bob, &query);
    let commit_wire = sent(&out)[0].clone();
    let mut commit = decode(&commit_wire);
    // Bob's own commit has receiver 0; Alice accepts it.
    let out = feed(&mut p, Side::Alice, &commit_wire);
    assert_eq!(sent(&out).len(), 1, "a D-H Key");
    // The same commit addressed to Alice's tag is accepted too (a new pair).
    let mut q = pair();
    let alice_tag = q.alice.session.our_instance_tag();
    commit[7..11].copy_from_slice(&alice_tag.get().to_be_bytes());
    let out = feed(&mut q, Side::Alice, armor::encode(&commit).as_bytes());
    assert_eq!(sent(&out).len(), 1);
    let _ = bob_tag;
}

fn dh_key_with(gy: &[u8], sender: InstanceTag, receiver: InstanceTag) -> Vec<u8> {
    let m = EncodedMessage {
        header: Header::V3 {
            sender,
            receiver: Some(receiver),
        },
        body: MessageBody::DhKey(otr_wire::DhKey {
            gy: Mpi::trimmed(gy),
        }),
    };
    armor::encode(&m.encode().unwrap()).into_bytes()
}

fn p_minus(k: u64) -> Vec<u8> {
    use otr_core::otr_wire::Mpi as _M;
    let _ = std::any::type_name::<_M<'static>>();
    let p = otr_smp::group::MODULUS.wrapping_sub(&crypto_bigint::U1536::from_u64(k));
    otr_smp::group::minimal_be_bytes(&p)
}

#[test]
fn dh_key_with_gy_out_of_range_is_rejected_and_authstate_unchanged() {
    let mut p = pair();
    let q0 = p.alice.session.send_query();
    p.absorb(Side::Alice, q0);
    let query = p.to_bob.pop_front().unwrap();
    let _ = feed(&mut p, Side::Bob, &query); // Bob: AWAITING_DHKEY (master)
    let alice_tag = p.alice.session.our_instance_tag();
    let bob_tag = p.bob.session.our_instance_tag();
    let mut p_plus_1 = vec![1u8];
    p_plus_1.extend([0u8; 192]);
    let mut huge = vec![1u8];
    huge.extend([0u8; 250]);
    let mut p_bytes = p_minus(0);
    for bad in [
        vec![],
        vec![1],
        p_minus(1),
        std::mem::take(&mut p_bytes),
        p_plus_1,
        huge,
    ] {
        let out = feed(&mut p, Side::Bob, &dh_key_with(&bad, alice_tag, bob_tag));
        assert!(
            events(&out).contains(&Event::SetupError(otr_core::SetupFailure::BadDhValue)),
            "{out:?}"
        );
        assert!(sent(&out).is_empty());
    }
    // Boundaries 2 and p − 2 are accepted: a Reveal Signature answers.
    for good in [vec![2], p_minus(2)] {
        let mut q = pair();
        let q0 = q.alice.session.send_query();
        q.absorb(Side::Alice, q0);
        let query = q.to_bob.pop_front().unwrap();
        let _ = feed(&mut q, Side::Bob, &query);
        let out = feed(&mut q, Side::Bob, &dh_key_with(&good, alice_tag, bob_tag));
        assert_eq!(sent(&out).len(), 1, "{out:?}");
    }
}

#[test]
fn replayed_data_message_is_rejected_and_the_session_stays_encrypted() {
    let mut p = private_pair();
    let wire = capture_data(&mut p, "once");
    let out = feed(&mut p, Side::Bob, &wire);
    assert_eq!(delivered(&out), 1);
    let before = p.bob.session.best_instance();
    let out = feed(&mut p, Side::Bob, &wire);
    assert_eq!(delivered(&out), 0);
    assert!(
        events(&out).contains(&Event::ReceivedUnreadable(UnreadableReason::Replay)),
        "{out:?}"
    );
    assert!(
        sent(&out).is_empty(),
        "a verified duplicate gets no error reply (it would only invite a re-key)"
    );
    assert_eq!(p.bob.session.best_instance(), before);
    still_works(&mut p);
}

#[test]
fn data_message_with_unknown_keyids_is_unreadable() {
    let mut p = private_pair();
    let wire = capture_data(&mut p, "x");
    let bytes = decode(&wire);
    let decoded = EncodedMessage::decode(&bytes).unwrap().message;
    let MessageBody::Data(d) = decoded.body else {
        panic!()
    };
    for (sender, recipient) in [
        (0, d.recipient_keyid),
        (d.sender_keyid, 0),
        (d.sender_keyid + 1, d.recipient_keyid),
        (d.sender_keyid, d.recipient_keyid + 1),
        (d.sender_keyid, d.recipient_keyid.saturating_sub(2)),
        (d.sender_keyid.saturating_sub(1), d.recipient_keyid),
        (u32::MAX, u32::MAX),
    ] {
        let forged = DataMessage {
            sender_keyid: sender,
            recipient_keyid: recipient,
            ..d
        };
        let m = EncodedMessage {
            header: decoded.header,
            body: MessageBody::Data(forged),
        };
        let before = p.bob.session.best_instance();
        let out = feed(
            &mut p,
            Side::Bob,
            armor::encode(&m.encode().unwrap()).as_bytes(),
        );
        assert_eq!(delivered(&out), 0);
        let ev = events(&out);
        assert!(
            ev.contains(&Event::ReceivedUnreadable(UnreadableReason::UnknownKeys))
                || ev.contains(&Event::ReceivedUnreadable(UnreadableReason::BadMac)),
            "({sender},{recipient}): {ev:?}"
        );
        assert_eq!(p.bob.session.best_instance(), before);
    }
    still_works(&mut p);
}

#[test]
fn data_message_in_plaintext_or_finished_gets_no_reply_and_a_not_in_private_event() {
    let mut p = private_pair();
    let wire = capture_data(&mut p, "late");
    // Bob ends; Alice is FINISHED; Bob is PLAINTEXT.
    let out = p.bob.session.end();
    p.absorb(Side::Bob, out);
    p.drive();
    assert_eq!(
        p.bob.session.best_instance().message_state,
        MessageState::Plaintext
    );
    assert_eq!(
        p.alice.session.best_instance().message_state,
        MessageState::Finished
    );
    let out = feed(&mut p, Side::Bob, &wire);
    assert_eq!(events(&out), vec![Event::ReceivedNotInPrivate]);
    assert!(sent(&out).is_empty(), "no error reply (libotr)");
    // With IGNORE_UNREADABLE: silent.
    let mut bytes = decode(&wire);
    bytes[11] = 1;
    let out = feed(&mut p, Side::Bob, armor::encode(&bytes).as_bytes());
    assert!(out.is_empty(), "{out:?}");
}

#[test]
fn data_message_truncated_inside_the_mac_is_malformed_with_an_error_reply() {
    let mut p = private_pair();
    let wire = capture_data(&mut p, "cut");
    let bytes = decode(&wire);
    let cut = &bytes[..bytes.len() - 4 - 10];
    let before = p.bob.session.best_instance();
    let out = feed(&mut p, Side::Bob, armor::encode(cut).as_bytes());
    assert_eq!(events(&out), vec![Event::ReceivedMalformed]);
    assert_eq!(sent(&out).len(), 1);
    assert_eq!(p.bob.session.best_instance(), before);
    still_works(&mut p);
}

#[test]
fn disconnect_tlv_finishes_and_refuses_sending() {
    let mut p = private_pair();
    let out = p.alice.session.end();
    p.absorb(Side::Alice, out);
    p.drive();
    assert_eq!(
        p.bob.session.best_instance().message_state,
        MessageState::Finished
    );
    assert!(p.bob.saw(|e| *e == Event::ConversationEndedByPeer));
    let out = p.bob.session.send_message(b"hello?").unwrap();
    assert_eq!(events(&out), vec![Event::ConnectionEnded]);
    assert!(sent(&out).is_empty());
    assert_eq!(
        p.bob.session.best_instance().fingerprint,
        None,
        "keys wiped"
    );
}

#[test]
fn require_encryption_send_in_plaintext_puts_no_plaintext_on_the_wire() {
    let mut p = Pair::new(
        1,
        test_keys(),
        config(Policy::ALWAYS),
        SessionConfig::default(),
    );
    let out = p.alice.session.send_message(b"secret").unwrap();
    for m in sent(&out) {
        assert!(!m.windows(6).any(|w| w == b"secret"), "plaintext leaked");
        assert!(m.starts_with(b"?OTRv"));
    }
    assert!(events(&out).contains(&Event::EncryptionRequired));
    assert_eq!(p.alice.session.held_message_count(), 1);
    p.absorb(Side::Alice, out);
    p.drive();
    assert_eq!(p.bob.texts(), vec!["secret".to_owned()]);
}

#[test]
fn simultaneous_commits_between_two_engines_resolve_to_one_private_conversation() {
    for seed in 0..6 {
        let mut p = Pair::new(
            seed,
            test_keys(),
            SessionConfig::default(),
            SessionConfig::default(),
        );
        let a = p.alice.session.send_query();
        let b = p.bob.session.send_query();
        p.absorb(Side::Alice, a);
        p.absorb(Side::Bob, b);
        p.drive();
        let (sa, sb) = (
            p.alice.session.best_instance(),
            p.bob.session.best_instance(),
        );
        assert_eq!(sa.message_state, MessageState::Encrypted, "seed {seed}");
        assert_eq!(sb.message_state, MessageState::Encrypted, "seed {seed}");
        assert_eq!(sa.ssid, sb.ssid);
        still_works(&mut p);
    }
}

#[test]
fn reflected_messages_are_detected() {
    let mut p = pair();
    let q0 = p.alice.session.send_query();
    p.absorb(Side::Alice, q0);
    let query = p.to_bob.pop_front().unwrap();
    let out = feed(&mut p, Side::Bob, &query);
    let commit = sent(&out)[0].clone();
    // Bob's own commit comes back to him.
    let out = feed(&mut p, Side::Bob, &commit);
    assert!(events(&out).contains(&Event::MessageReflected), "{out:?}");
    assert!(sent(&out).is_empty());
}

#[test]
fn signature_message_in_authstate_none_is_ignored() {
    let mut p = private_pair();
    let m = EncodedMessage {
        header: Header::V3 {
            sender: p.alice.session.our_instance_tag(),
            receiver: Some(p.bob.session.our_instance_tag()),
        },
        body: MessageBody::Signature(otr_wire::SignatureMessage {
            encrypted_signature: &[1, 2, 3],
            mac: [0; 20],
        }),
    };
    let before = p.bob.session.best_instance();
    let out = feed(
        &mut p,
        Side::Bob,
        armor::encode(&m.encode().unwrap()).as_bytes(),
    );
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(p.bob.session.best_instance(), before);
}

#[test]
fn malformed_message_from_a_new_instance_creates_and_evicts_nothing() {
    let mut p = pair();
    let before = p.alice.session.instances();
    // A D-H Commit header from an unknown instance with a truncated body.
    let mut bytes = vec![0, 3, 0x02, 0x00, 0x12, 0x34, 0x56, 0, 0, 0, 0];
    bytes.extend([0, 0, 0, 0x20, 1, 2, 3]);
    let out = feed(&mut p, Side::Alice, armor::encode(&bytes).as_bytes());
    assert_eq!(events(&out), vec![Event::ReceivedMalformed]);
    assert_eq!(p.alice.session.instances(), before);
}

#[test]
fn a_full_instance_table_lets_a_newcomer_displace_the_oldest_exchange() {
    let mut c = SessionConfig::default();
    c.max_instances = 2;
    let mut p = Pair::new(1, test_keys(), SessionConfig::default(), c);
    // Two instances start exchanges with Bob (their D-H Commits get D-H Keys).
    let q0 = p.bob.session.send_query();
    let commit = sent(&p.alice.session.handle_input(&sent(&q0)[0]))[0].clone();
    let bytes = decode(&commit);
    let MessageBody::DhCommit(c) = EncodedMessage::decode(&bytes).unwrap().message.body else {
        panic!()
    };
    for tag in [0x5000u32, 0x5001, 0x5002] {
        let m = EncodedMessage {
            header: Header::V3 {
                sender: InstanceTag::new(tag).unwrap(),
                receiver: None,
            },
            body: MessageBody::DhCommit(c),
        };
        let _ = feed(
            &mut p,
            Side::Bob,
            armor::encode(&m.encode().unwrap()).as_bytes(),
        );
    }
    let children: Vec<_> = p.bob.session.instances().into_iter().skip(1).collect();
    assert_eq!(children.len(), 2, "the bound holds");
    assert!(
        children
            .iter()
            .all(|i| i.auth_state == otr_core::AuthState::AwaitingRevealSig)
    );
    // The third newcomer took the place of the exchange heard from longest ago.
    assert_eq!(children[0].instance, InstanceTag::new(0x5001));
    assert_eq!(children[1].instance, InstanceTag::new(0x5002));
}
