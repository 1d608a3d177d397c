//! The message-state table at engine level (`docs/LIBOTR-DIFFERENCES.md`
//! §13 and Part 2's decisions), between our own sessions: plain text, tagged
//! text, queries and OTR errors received in PLAINTEXT, ENCRYPTED and
//! FINISHED; ending from each state; query-looking user text while private;
//! the IGNORE_UNREADABLE flag on our control messages and how unreadable
//! messages are (not) answered; heartbeats; a re-AKE without a plaintext
//! window (decision 5); new instances starting PLAINTEXT and created only by
//! a D-H Commit or D-H Key (decision 6, §7); fragment reassembly per buddy
//! instance (decision 11); data received while FINISHED (hostile case 31); what a
//! received disconnect wipes (hostile case 33); the master commit's lifetime; no
//! resend after an error (decision 4); and our error replies.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use otr_core::identity::DsaSigningKey;
use otr_core::otr_wire::message::peek_header;
use otr_core::otr_wire::{
    DataFlags, DataMessage, EncodedMessage, Envelope, InstanceTag, MessageBody, MessageType,
    ProtocolVersion, armor, classify, whitespace,
};
use otr_core::{
    Action, AuthState, Event, ManualClock, MessageState, Policy, Session, SessionConfig,
    SessionError, Timestamp, UnreadableReason,
};
use otr_tests::actions::{deliveries, events, sends};
use otr_tests::keys::test_keys;
use otr_tests::pair::{Pair, Side};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const UNREADABLE_REPLY: &[u8] = b"?OTR Error: You transmitted an unreadable encrypted message.";

fn config(policy: Policy) -> SessionConfig {
    let mut c = SessionConfig::default();
    c.policy = policy;
    c
}

/// A v2-only policy that otherwise behaves as libotr's DEFAULT.
fn v2_only() -> Policy {
    Policy::OPPORTUNISTIC.without(Policy::ALLOW_V3)
}

fn pair(seed: u64) -> Pair {
    Pair::new(
        seed,
        test_keys(),
        SessionConfig::default(),
        SessionConfig::default(),
    )
}

/// A pair in a v3 private conversation (Alice asked).
fn private_pair(seed: u64) -> Pair {
    let mut p = pair(seed);
    p.establish(Side::Alice);
    assert_eq!(state(&p, Side::Alice), MessageState::Encrypted);
    assert_eq!(state(&p, Side::Bob), MessageState::Encrypted);
    p
}

/// A pair in a v2 private conversation, in both master contexts.
fn private_v2_pair(seed: u64) -> Pair {
    let mut p = pair(seed);
    let commit = p.alice.session.handle_input(b"?OTRv2?");
    p.absorb(Side::Alice, commit);
    p.drive();
    for side in [Side::Alice, Side::Bob] {
        let best = p.party(side).session.best_instance();
        assert_eq!(best.instance, None, "{side:?}: the master");
        assert_eq!(best.message_state, MessageState::Encrypted);
        assert_eq!(best.version, Some(ProtocolVersion::V2));
    }
    p
}

fn state(p: &Pair, side: Side) -> MessageState {
    match side {
        Side::Alice => p.alice.session.best_instance().message_state,
        Side::Bob => p.bob.session.best_instance().message_state,
    }
}

/// Another session (another instance of a buddy, or of us) on the pair's clock.
fn session(key: Arc<DsaSigningKey>, tag: u32, seed: u64, clock: &ManualClock) -> Session {
    Session::new(
        SessionConfig::default(),
        key,
        InstanceTag::new(tag).unwrap(),
        Box::new(ChaCha20Rng::seed_from_u64(seed)),
        Box::new(clock.clone()),
    )
}

/// Carries messages between two sessions until both are quiet; returns what
/// each of them did.
fn bounce(a: &mut Session, b: &mut Session, to_b: Vec<Vec<u8>>) -> (Vec<Action>, Vec<Action>) {
    let mut to_b: VecDeque<Vec<u8>> = to_b.into();
    let mut to_a: VecDeque<Vec<u8>> = VecDeque::new();
    let (mut out_a, mut out_b) = (Vec::new(), Vec::new());
    for _ in 0..1000 {
        if let Some(m) = to_b.pop_front() {
            let out = b.handle_input(&m);
            to_a.extend(sends(&out));
            out_b.extend(out);
        } else if let Some(m) = to_a.pop_front() {
            let out = a.handle_input(&m);
            to_b.extend(sends(&out));
            out_a.extend(out);
        } else {
            return (out_a, out_b);
        }
    }
    panic!("the exchange never ended");
}

fn message_type(wire: &[u8]) -> MessageType {
    let bytes = armor::decode(wire).unwrap();
    peek_header(&bytes).unwrap().1
}

fn is_data(wire: &[u8]) -> bool {
    armor::decode(wire)
        .ok()
        .and_then(|b| peek_header(&b).ok())
        .is_some_and(|(_, t, _)| t == MessageType::Data)
}

/// The flags of an (unfragmented) data message on the wire.
fn data_flags(wire: &[u8]) -> DataFlags {
    let bytes = armor::decode(wire).unwrap();
    match EncodedMessage::decode(&bytes).unwrap().message.body {
        MessageBody::Data(d) => d.flags,
        _ => panic!("not a data message"),
    }
}

/// Re-encodes a data message after `change` (which may break its MAC).
fn altered_data(wire: &[u8], change: impl FnOnce(&mut DataMessage<'_>)) -> Vec<u8> {
    let bytes = armor::decode(wire).unwrap();
    let decoded = EncodedMessage::decode(&bytes).unwrap().message;
    let MessageBody::Data(mut d) = decoded.body else {
        panic!("not a data message")
    };
    change(&mut d);
    let m = EncodedMessage {
        header: decoded.header,
        body: MessageBody::Data(d),
    };
    armor::encode(&m.encode().unwrap()).into_bytes()
}

fn with_broken_mac(wire: &[u8]) -> Vec<u8> {
    altered_data(wire, |d| d.mac[0] ^= 0x80)
}

/// The same v3 message with another sender instance tag.
fn with_sender(wire: &[u8], sender: u32) -> Vec<u8> {
    let mut bytes = armor::decode(wire).unwrap();
    assert_eq!(&bytes[..2], &[0, 3], "a v3 message");
    bytes[3..7].copy_from_slice(&sender.to_be_bytes());
    armor::encode(&bytes).into_bytes()
}

fn is_query(wire: &[u8]) -> bool {
    matches!(classify(wire), Ok(Envelope::Query(_)))
}

fn is_fragment(wire: &[u8]) -> bool {
    matches!(classify(wire), Ok(Envelope::Fragment(_)))
}

fn secs(s: u64) -> Timestamp {
    Timestamp(Duration::from_secs(s))
}

#[test]
fn plain_text_received_while_encrypted_or_finished_is_reported_unencrypted_not_delivered() {
    let mut p = private_pair(101);
    let out = p.bob.session.handle_input(b"sneaky plain text");
    assert_eq!(
        events(&out),
        vec![Event::ReceivedUnencrypted(b"sneaky plain text".to_vec())]
    );
    assert!(deliveries(&out).is_empty(), "never shown as a message");
    assert!(sends(&out).is_empty());
    assert_eq!(state(&p, Side::Bob), MessageState::Encrypted);
    // FINISHED: the same.
    let end = p.alice.session.end();
    p.absorb(Side::Alice, end);
    p.drive();
    assert_eq!(state(&p, Side::Bob), MessageState::Finished);
    let out = p.bob.session.handle_input(b"after the end");
    assert_eq!(
        events(&out),
        vec![Event::ReceivedUnencrypted(b"after the end".to_vec())]
    );
    assert!(deliveries(&out).is_empty());
    assert!(sends(&out).is_empty());
    assert_eq!(state(&p, Side::Bob), MessageState::Finished);
    // Back in PLAINTEXT the same text is simply delivered.
    let _ = p.bob.session.end();
    let out = p.bob.session.handle_input(b"plain again");
    let d = deliveries(&out);
    assert_eq!(d.len(), 1, "{out:?}");
    assert_eq!(d[0].text, b"plain again");
    assert!(!d[0].encrypted);
    assert!(events(&out).is_empty());
}

#[test]
fn tagged_text_while_encrypted_is_stripped_reported_unencrypted_and_re_keys_without_leaving_encrypted()
 {
    // v3 (a child is private, the master is not: libotr restarts the AKE
    // too) and v2 (the master is private: libotr would not, §13; we follow
    // the spec's "in any event", which decision 5 makes harmless).
    for v2 in [false, true] {
        let mut p = if v2 {
            private_v2_pair(102)
        } else {
            private_pair(102)
        };
        let ssid = p.bob.session.best_instance().ssid;
        let offered = if v2 {
            vec![ProtocolVersion::V2]
        } else {
            vec![ProtocolVersion::V2, ProtocolVersion::V3]
        };
        let mut tagged = b"hello in clear".to_vec();
        tagged.extend(whitespace::tag(&offered));
        let out = p.bob.session.handle_input(&tagged);
        assert_eq!(
            events(&out),
            vec![Event::ReceivedUnencrypted(b"hello in clear".to_vec())],
            "v2: {v2}: the tag is stripped"
        );
        assert!(deliveries(&out).is_empty());
        let s = sends(&out);
        assert_eq!(s.len(), 1, "v2: {v2}: {out:?}");
        assert_eq!(message_type(&s[0]), MessageType::DhCommit);
        let bytes = armor::decode(&s[0]).unwrap();
        let expected = if v2 {
            ProtocolVersion::V2
        } else {
            ProtocolVersion::V3
        };
        assert_eq!(peek_header(&bytes).unwrap().0.version(), expected);
        assert_eq!(
            state(&p, Side::Bob),
            MessageState::Encrypted,
            "no plaintext window"
        );
        // The new AKE completes as a refresh of the private conversation.
        p.absorb(Side::Bob, out);
        p.drive();
        for side in [Side::Alice, Side::Bob] {
            let party = p.party(side);
            assert!(
                party.saw(|e| matches!(e, Event::StillSecure(_))),
                "v2: {v2}: {side:?}: {:?}",
                party.events
            );
            assert!(!party.saw(|e| *e == Event::GoneInsecure));
        }
        assert_ne!(p.bob.session.best_instance().ssid, ssid, "new keys");
        assert_eq!(
            p.alice.session.best_instance().ssid,
            p.bob.session.best_instance().ssid
        );
        p.send(Side::Alice, "after the refresh");
        p.drive();
        assert_eq!(
            p.bob.texts().last().map(String::as_str),
            Some("after the refresh")
        );
        assert!(p.bob.delivered.last().unwrap().encrypted);
    }
}

#[test]
fn query_received_while_finished_starts_an_ake_that_ends_encrypted() {
    let mut p = private_pair(103);
    let end = p.alice.session.end();
    p.absorb(Side::Alice, end);
    p.drive();
    assert_eq!(state(&p, Side::Bob), MessageState::Finished);
    p.bob.events.clear();
    let query = sends(&p.alice.session.send_query());
    let out = p.bob.session.handle_input(&query[0]);
    assert!(deliveries(&out).is_empty(), "a query is swallowed");
    let s = sends(&out);
    assert_eq!(s.len(), 1, "{out:?}");
    assert_eq!(message_type(&s[0]), MessageType::DhCommit);
    p.absorb(Side::Bob, out);
    p.drive();
    assert_eq!(state(&p, Side::Bob), MessageState::Encrypted);
    assert_eq!(state(&p, Side::Alice), MessageState::Encrypted);
    assert!(p.bob.saw(|e| matches!(e, Event::GoneSecure(_))));
    p.send(Side::Bob, "private again");
    p.drive();
    assert_eq!(
        p.alice.texts().last().map(String::as_str),
        Some("private again")
    );
}

#[test]
fn error_received_while_finished_is_reported_as_a_peer_error() {
    let mut p = private_pair(104);
    let end = p.alice.session.end();
    p.absorb(Side::Alice, end);
    p.drive();
    assert_eq!(state(&p, Side::Bob), MessageState::Finished);
    // DEFAULT has ERROR_START_AKE: the error is shown and a query answers it.
    let out = p.bob.session.handle_input(b"?OTR Error: something broke");
    assert_eq!(
        events(&out),
        vec![Event::PeerError(b"something broke".to_vec())]
    );
    assert!(deliveries(&out).is_empty());
    let s = sends(&out);
    assert_eq!(s.len(), 1, "{out:?}");
    assert!(is_query(&s[0]));
    assert_eq!(state(&p, Side::Bob), MessageState::Finished);
    // Without ERROR_START_AKE: only the event.
    p.bob
        .session
        .set_policy(Policy::DEFAULT.without(Policy::ERROR_START_AKE));
    let out = p.bob.session.handle_input(b"?OTR Error: again");
    assert_eq!(events(&out), vec![Event::PeerError(b"again".to_vec())]);
    assert!(sends(&out).is_empty(), "{out:?}");
    assert_eq!(state(&p, Side::Bob), MessageState::Finished);
}

#[test]
fn plain_text_in_plaintext_under_require_encryption_is_reported_unencrypted_and_starts_nothing() {
    let mut p = Pair::new(
        105,
        test_keys(),
        SessionConfig::default(),
        config(Policy::ALWAYS),
    );
    let before = p.bob.session.instances();
    let out = p.bob.session.handle_input(b"hi in clear");
    assert_eq!(
        events(&out),
        vec![Event::ReceivedUnencrypted(b"hi in clear".to_vec())]
    );
    assert!(deliveries(&out).is_empty());
    assert!(sends(&out).is_empty(), "no AKE, no query: {out:?}");
    assert_eq!(p.bob.session.instances(), before);
    // A tagged text under ALWAYS (WHITESPACE_START_AKE) starts the AKE, and
    // the text is still reported as unencrypted.
    let mut tagged = b"tagged hi".to_vec();
    tagged.extend(whitespace::tag(&[ProtocolVersion::V2, ProtocolVersion::V3]));
    let out = p.bob.session.handle_input(&tagged);
    assert_eq!(
        events(&out),
        vec![Event::ReceivedUnencrypted(b"tagged hi".to_vec())]
    );
    let s = sends(&out);
    assert_eq!(s.len(), 1);
    assert_eq!(message_type(&s[0]), MessageType::DhCommit);
    // Control: without REQUIRE_ENCRYPTION plain text is delivered.
    p.bob.session.set_policy(Policy::MANUAL);
    let out = p.bob.session.handle_input(b"hi in clear");
    assert_eq!(deliveries(&out).len(), 1);
    assert!(events(&out).is_empty());
}

#[test]
fn ending_from_plaintext_sends_nothing_and_from_finished_returns_to_plaintext_silently() {
    let mut p = pair(106);
    let before = p.alice.session.instances();
    let out = p.alice.session.end();
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(p.alice.session.instances(), before);
    // FINISHED → PLAINTEXT, nothing on the wire.
    let mut p = private_pair(106);
    let end = p.alice.session.end();
    p.absorb(Side::Alice, end);
    p.drive();
    assert_eq!(state(&p, Side::Bob), MessageState::Finished);
    let out = p.bob.session.end();
    assert!(sends(&out).is_empty(), "{out:?}");
    assert!(
        p.bob
            .session
            .instances()
            .iter()
            .all(|i| i.message_state == MessageState::Plaintext)
    );
    // PLAINTEXT indeed: a message goes out in clear instead of being refused.
    let out = p.bob.session.send_message(b"in clear").unwrap();
    assert!(!events(&out).contains(&Event::ConnectionEnded));
    assert!(sends(&out)[0].starts_with(b"in clear"));
}

#[test]
fn query_looking_user_text_sent_while_private_is_encrypted_and_starts_no_ake() {
    let mut p = private_pair(107);
    for text in ["?OTRv23?", "?OTR?", "?OTRv2?", "?OTRvacation"] {
        let out = p.alice.session.send_message(text.as_bytes()).unwrap();
        let s = sends(&out);
        assert_eq!(s.len(), 1);
        assert!(s[0].starts_with(b"?OTR:"), "{text}: encrypted");
        assert!(is_data(&s[0]), "{text}: a data message");
        let before = p.bob.session.instances();
        let out = p.bob.session.handle_input(&s[0]);
        let d = deliveries(&out);
        assert_eq!(d.len(), 1, "{text}: {out:?}");
        assert_eq!(d[0].text, text.as_bytes());
        assert!(d[0].encrypted);
        assert!(sends(&out).is_empty(), "{text}: Bob starts no AKE");
        assert!(events(&out).is_empty(), "{text}: {out:?}");
        assert_eq!(
            p.bob.session.instances(),
            before,
            "{text}: no auth state moved"
        );
    }
}

#[test]
fn heartbeat_disconnect_and_extra_key_messages_carry_ignore_unreadable_and_text_does_not() {
    let mut p = private_pair(108);
    let text = sends(&p.alice.session.send_message(b"ordinary").unwrap());
    assert_eq!(text.len(), 1);
    assert!(!data_flags(&text[0]).ignore_unreadable(), "user text: 0");
    let heartbeat = sends(&p.alice.session.send_heartbeat().unwrap());
    assert_eq!(heartbeat.len(), 1);
    assert!(data_flags(&heartbeat[0]).ignore_unreadable(), "heartbeat");
    let (_, out) = p
        .alice
        .session
        .extra_symmetric_key(None, 7, b"file transfer")
        .unwrap();
    let tlv8 = sends(&out);
    assert_eq!(tlv8.len(), 1);
    assert!(data_flags(&tlv8[0]).ignore_unreadable(), "TLV 8");
    let disconnect = sends(&p.alice.session.end());
    assert_eq!(disconnect.len(), 1);
    assert!(data_flags(&disconnect[0]).ignore_unreadable(), "TLV 1");
    // And they are what they claim to be.
    for (wire, what) in [
        (&text[0], "text"),
        (&heartbeat[0], "heartbeat"),
        (&tlv8[0], "tlv8"),
        (&disconnect[0], "disconnect"),
    ] {
        let out = p.bob.session.handle_input(wire);
        let ev = events(&out);
        match what {
            "text" => assert_eq!(deliveries(&out)[0].text, b"ordinary"),
            "heartbeat" => assert_eq!(ev, vec![Event::HeartbeatReceived]),
            "tlv8" => assert!(
                ev.iter()
                    .any(|e| matches!(e, Event::ExtraSymmetricKey { use_id: 7, .. }))
            ),
            _ => assert!(ev.contains(&Event::ConversationEndedByPeer)),
        }
    }
}

#[test]
fn unreadable_data_with_ignore_unreadable_is_silent_and_without_it_gets_an_error_reply() {
    let mut p = private_pair(109);
    let heartbeat = sends(&p.alice.session.send_heartbeat().unwrap())[0].clone();
    let text = sends(&p.alice.session.send_message(b"readable").unwrap())[0].clone();
    let before = p.bob.session.best_instance();
    // Flag set, MAC broken: nothing at all.
    let out = p.bob.session.handle_input(&with_broken_mac(&heartbeat));
    assert!(out.is_empty(), "{out:?}");
    // The flag set on a user message (which breaks its MAC): nothing either,
    // since the flag is read before the MAC.
    let flagged = altered_data(&text, |d| d.flags = DataFlags(DataFlags::IGNORE_UNREADABLE));
    let out = p.bob.session.handle_input(&flagged);
    assert!(out.is_empty(), "{out:?}");
    // No flag, MAC broken: unreadable, with an error reply.
    let out = p.bob.session.handle_input(&with_broken_mac(&text));
    assert_eq!(
        events(&out),
        vec![Event::ReceivedUnreadable(UnreadableReason::BadMac)]
    );
    assert_eq!(sends(&out), vec![UNREADABLE_REPLY.to_vec()]);
    assert!(deliveries(&out).is_empty());
    assert_eq!(p.bob.session.best_instance(), before);
    // The genuine ones still read.
    let out = p.bob.session.handle_input(&text);
    assert_eq!(deliveries(&out)[0].text, b"readable");
    // After the receiver ended: the flagged one is silent, the other one is
    // "not in private" with no reply (decision 9).
    let heartbeat = sends(&p.alice.session.send_heartbeat().unwrap())[0].clone();
    let text = sends(&p.alice.session.send_message(b"late").unwrap())[0].clone();
    let _ = p.bob.session.end();
    let out = p.bob.session.handle_input(&heartbeat);
    assert!(out.is_empty(), "{out:?}");
    let out = p.bob.session.handle_input(&text);
    assert_eq!(events(&out), vec![Event::ReceivedNotInPrivate]);
    assert!(sends(&out).is_empty());
}

#[test]
fn a_heartbeat_follows_a_received_message_only_after_the_interval_and_none_answers_a_heartbeat() {
    let mut p = private_pair(110);
    // Bob last sent during the AKE, at 0 s.
    let alice_says = |p: &mut Pair, at: u64, text: &str| {
        p.clock.set(secs(at));
        let wire = sends(&p.alice.session.send_message(text.as_bytes()).unwrap());
        let out = p.bob.session.handle_input(&wire[0]);
        assert_eq!(deliveries(&out)[0].text, text.as_bytes(), "{out:?}");
        out
    };
    let out = alice_says(&mut p, 30, "at 30 s");
    assert!(sends(&out).is_empty(), "30 s of silence: {out:?}");
    let out = alice_says(&mut p, 60, "at 60 s");
    assert!(sends(&out).is_empty(), "exactly the interval: {out:?}");
    let out = alice_says(&mut p, 61, "at 61 s");
    let s = sends(&out);
    assert_eq!(s.len(), 1, "{out:?}");
    assert!(events(&out).contains(&Event::HeartbeatSent));
    assert!(is_data(&s[0]));
    assert!(data_flags(&s[0]).ignore_unreadable());
    // The heartbeat goes out before the message is shown (libotr's order).
    assert!(matches!(out[0], Action::Send { .. }), "{out:?}");
    let heartbeat = s[0].clone();
    let out = alice_says(&mut p, 62, "at 62 s");
    assert!(sends(&out).is_empty(), "Bob just sent one: {out:?}");
    // Alice receives the heartbeat long after her last send: it is empty, is
    // not shown, and is not answered with a heartbeat of her own.
    p.clock.set(secs(300));
    let out = p.alice.session.handle_input(&heartbeat);
    assert_eq!(events(&out), vec![Event::HeartbeatReceived]);
    assert!(deliveries(&out).is_empty());
    assert!(sends(&out).is_empty(), "{out:?}");
}

#[test]
fn a_heartbeat_is_never_fragmented_even_with_a_small_max_message_size() {
    let mut p = private_pair(111);
    p.bob.session.set_max_message_size(40).unwrap();
    // Control: Bob's text is fragmented at this size.
    let text = sends(&p.bob.session.send_message(b"fragmented").unwrap());
    assert!(text.len() > 1);
    assert!(text.iter().all(|f| f.starts_with(b"?OTR|")));
    p.clock.set(secs(120));
    let wire = sends(&p.alice.session.send_message(b"wake up").unwrap());
    let out = p.bob.session.handle_input(&wire[0]);
    assert!(events(&out).contains(&Event::HeartbeatSent));
    let s = sends(&out);
    assert_eq!(s.len(), 1, "one unfragmented message: {out:?}");
    assert!(s[0].starts_with(b"?OTR:") && s[0].len() > 40);
    assert!(data_flags(&s[0]).ignore_unreadable());
    // The explicit heartbeat call too.
    let s = sends(&p.bob.session.send_heartbeat().unwrap());
    assert_eq!(s.len(), 1);
    assert!(s[0].starts_with(b"?OTR:") && s[0].len() > 40);
}

#[test]
fn error_replies_error_queries_disconnect_and_extra_key_messages_are_never_fragmented() {
    let mut p = private_pair(112);
    p.bob.session.set_max_message_size(40).unwrap();
    // Control: a query the user asks for is fragmented (as libotr does).
    let q = sends(&p.bob.session.send_query());
    assert!(q.len() > 1 && q.iter().all(|f| is_fragment(f)), "{q:?}");
    let single = |out: &[Action], what: &str| {
        let s = sends(out);
        assert_eq!(s.len(), 1, "{what}: {out:?}");
        assert!(s[0].len() > 40, "{what}: longer than the maximum");
        assert!(!is_fragment(&s[0]), "{what}");
        s[0].clone()
    };
    // The error reply to an unreadable message.
    let wire = sends(&p.alice.session.send_message(b"x").unwrap());
    let out = p.bob.session.handle_input(&with_broken_mac(&wire[0]));
    assert_eq!(single(&out, "error reply"), UNREADABLE_REPLY);
    // The query ERROR_START_AKE sends.
    let out = p.bob.session.handle_input(b"?OTR Error: oops");
    assert!(is_query(&single(&out, "query after an error")));
    // TLV 8.
    let (_, out) = p.bob.session.extra_symmetric_key(None, 1, b"").unwrap();
    assert!(data_flags(&single(&out, "TLV 8")).ignore_unreadable());
    // Disconnect.
    let out = p.bob.session.end();
    assert!(data_flags(&single(&out, "disconnect")).ignore_unreadable());
}

#[test]
fn a_query_while_encrypted_re_keys_without_a_plaintext_window() {
    // Both directions at every step of the new AKE: encrypted with the keys
    // in use, delivered, and both sides stay ENCRYPTED.
    fn talk(p: &mut Pair, step: &str) {
        for side in [Side::Alice, Side::Bob] {
            assert_eq!(state(p, side), MessageState::Encrypted, "{step}");
            let text = format!("{step}, from {side:?}");
            let out = p.party(side).session.send_message(text.as_bytes()).unwrap();
            let s = sends(&out);
            assert_eq!(s.len(), 1);
            assert!(is_data(&s[0]), "{step}: never plaintext");
            let got = p.party(side.other()).session.handle_input(&s[0]);
            let d = deliveries(&got);
            assert_eq!(d.len(), 1, "{step}: {got:?}");
            assert_eq!(d[0].text, text.as_bytes());
            assert!(d[0].encrypted);
        }
    }
    let mut p = private_pair(113);
    let ssid = p.alice.session.best_instance().ssid;
    let query = sends(&p.alice.session.send_query());
    talk(&mut p, "query sent");
    let out = p.bob.session.handle_input(&query[0]);
    let commit = sends(&out);
    assert_eq!(commit.len(), 1);
    assert_eq!(message_type(&commit[0]), MessageType::DhCommit);
    talk(&mut p, "commit sent");
    let dh_key = sends(&p.alice.session.handle_input(&commit[0]));
    assert_eq!(message_type(&dh_key[0]), MessageType::DhKey);
    talk(&mut p, "D-H Key sent");
    let reveal = sends(&p.bob.session.handle_input(&dh_key[0]));
    assert_eq!(message_type(&reveal[0]), MessageType::RevealSignature);
    talk(&mut p, "Reveal Signature sent");
    let out_alice = p.alice.session.handle_input(&reveal[0]);
    let signature = sends(&out_alice);
    assert_eq!(message_type(&signature[0]), MessageType::Signature);
    let out_bob = p.bob.session.handle_input(&signature[0]);
    for (who, out) in [("Alice", &out_alice), ("Bob", &out_bob)] {
        let ev = events(out);
        assert!(
            ev.iter().any(|e| matches!(e, Event::StillSecure(_))),
            "{who}: {ev:?}"
        );
        assert!(
            !ev.iter()
                .any(|e| matches!(e, Event::GoneInsecure | Event::GoneSecure(_))),
            "{who}: {ev:?}"
        );
    }
    let new_ssid = p.alice.session.best_instance().ssid;
    assert_ne!(new_ssid, ssid);
    assert_eq!(p.bob.session.best_instance().ssid, new_ssid);
    talk(&mut p, "after the re-key");
}

#[test]
fn a_new_instance_starts_plaintext_while_the_master_is_encrypted() {
    let mut p = private_v2_pair(114);
    let (_, bob_key) = test_keys();
    // A D-H Commit from a new instance of Bob.
    let mut bob_laptop = session(Arc::clone(&bob_key), 0x0b0b_0002, 1141, &p.clock);
    let commit = sends(&bob_laptop.handle_input(b"?OTRv3?"));
    let to_laptop = sends(&p.alice.session.handle_input(&commit[0]));
    assert_eq!(message_type(&to_laptop[0]), MessageType::DhKey);
    let instances = p.alice.session.instances();
    assert_eq!(instances.len(), 2);
    assert_eq!(instances[0].message_state, MessageState::Encrypted);
    assert_eq!(instances[0].version, Some(ProtocolVersion::V2));
    assert_eq!(instances[1].instance, InstanceTag::new(0x0b0b_0002));
    assert_eq!(instances[1].message_state, MessageState::Plaintext);
    assert_eq!(instances[1].auth_state, AuthState::AwaitingRevealSig);
    // A D-H Key from another new instance answering the master's v3 commit
    // (sent while the master is private in v2).
    let out = p.alice.session.handle_input(b"?OTRv3?");
    let master_commit = sends(&out);
    assert_eq!(message_type(&master_commit[0]), MessageType::DhCommit);
    assert_eq!(
        p.alice.session.instances()[0].message_state,
        MessageState::Encrypted
    );
    let mut bob_tablet = session(bob_key, 0x0b0b_0003, 1142, &p.clock);
    let dh_key = sends(&bob_tablet.handle_input(&master_commit[0]));
    let out = p.alice.session.handle_input(&dh_key[0]);
    assert_eq!(message_type(&sends(&out)[0]), MessageType::RevealSignature);
    let tablet = p
        .alice
        .session
        .instances()
        .into_iter()
        .find(|i| i.instance == InstanceTag::new(0x0b0b_0003))
        .unwrap();
    assert_eq!(tablet.message_state, MessageState::Plaintext);
    assert_eq!(tablet.auth_state, AuthState::AwaitingSig);
    assert_eq!(
        p.alice.session.instances()[0].message_state,
        MessageState::Encrypted
    );
    // The laptop becomes private through its own AKE only; the master stays
    // in its v2 conversation.
    let _ = bounce(&mut p.alice.session, &mut bob_laptop, to_laptop);
    let instances = p.alice.session.instances();
    let laptop = instances
        .iter()
        .find(|i| i.instance == InstanceTag::new(0x0b0b_0002))
        .unwrap();
    assert_eq!(laptop.message_state, MessageState::Encrypted);
    assert_eq!(laptop.version, Some(ProtocolVersion::V3));
    assert_eq!(instances[0].message_state, MessageState::Encrypted);
    assert_eq!(instances[0].version, Some(ProtocolVersion::V2));
}

#[test]
fn data_reveal_signature_and_signature_from_an_unknown_instance_create_no_instance() {
    let mut p = private_pair(115);
    let find = |sent: &[Vec<u8>], t: MessageType| {
        sent.iter()
            .find(|m| m.starts_with(b"?OTR:") && message_type(m) == t)
            .unwrap()
            .clone()
    };
    let reveal = find(&p.bob.sent, MessageType::RevealSignature);
    let signature = find(&p.alice.sent, MessageType::Signature);
    let commit = find(&p.bob.sent, MessageType::DhCommit);
    let data = sends(&p.alice.session.send_message(b"hi").unwrap())[0].clone();
    let stranger = 0x7777_0000;
    // To Alice: a Reveal Signature from an unknown instance of Bob.
    let before = p.alice.session.instances();
    let out = p
        .alice
        .session
        .handle_input(&with_sender(&reveal, stranger));
    assert!(sends(&out).is_empty(), "{out:?}");
    assert_eq!(p.alice.session.instances(), before);
    // To Bob: a Signature and a data message from an unknown instance of Alice.
    let before = p.bob.session.instances();
    let out = p
        .bob
        .session
        .handle_input(&with_sender(&signature, stranger));
    assert!(sends(&out).is_empty(), "{out:?}");
    assert_eq!(p.bob.session.instances(), before);
    let out = p.bob.session.handle_input(&with_sender(&data, stranger));
    assert_eq!(events(&out), vec![Event::ReceivedNotInPrivate]);
    assert!(sends(&out).is_empty(), "{out:?}");
    assert_eq!(p.bob.session.instances(), before);
    // Control: a D-H Commit from that instance does create one.
    let before = p.alice.session.instances().len();
    let out = p
        .alice
        .session
        .handle_input(&with_sender(&commit, stranger));
    assert_eq!(message_type(&sends(&out)[0]), MessageType::DhKey);
    assert_eq!(p.alice.session.instances().len(), before + 1);
}

#[test]
fn fragments_from_two_buddy_instances_interleaved_both_reassemble() {
    let mut p = private_pair(116);
    let (alice_key, _) = test_keys();
    let laptop_tag = 0x0a11_ce02;
    let mut alice_laptop = session(alice_key, laptop_tag, 1161, &p.clock);
    let query = sends(&alice_laptop.send_query());
    let _ = bounce(&mut alice_laptop, &mut p.bob.session, query);
    let private_children = p
        .bob
        .session
        .instances()
        .iter()
        .filter(|i| i.instance.is_some() && i.message_state == MessageState::Encrypted)
        .count();
    assert_eq!(private_children, 2, "{:?}", p.bob.session.instances());
    p.alice.session.set_max_message_size(60).unwrap();
    alice_laptop.set_max_message_size(60).unwrap();
    let phone_text = b"from the phone, long enough to need several fragments";
    let laptop_text = b"from the laptop, also long enough for several fragments";
    let phone = sends(&p.alice.session.send_message(phone_text).unwrap());
    let laptop = sends(&alice_laptop.send_message(laptop_text).unwrap());
    assert!(phone.len() > 2 && laptop.len() > 2);
    let mut delivered = Vec::new();
    for i in 0..phone.len().max(laptop.len()) {
        for frags in [&phone, &laptop] {
            if let Some(f) = frags.get(i) {
                let out = p.bob.session.handle_input(f);
                delivered.extend(out.into_iter().filter_map(|a| match a {
                    Action::Deliver { instance, message } => Some((instance, message.text)),
                    _ => None,
                }));
            }
        }
        if i == 1 {
            // A plain message in the middle resets nothing.
            let out = p.bob.session.handle_input(b"plain interruption");
            assert_eq!(
                events(&out),
                vec![Event::ReceivedUnencrypted(b"plain interruption".to_vec())]
            );
        }
    }
    let alice_tag = p.alice.session.our_instance_tag();
    assert_eq!(delivered.len(), 2, "{delivered:?}");
    assert!(delivered.contains(&(Some(alice_tag), phone_text.to_vec())));
    assert!(delivered.contains(&(InstanceTag::new(laptop_tag), laptop_text.to_vec())));
}

#[test]
fn a_plain_message_between_fragments_does_not_reset_reassembly() {
    // A v2 conversation: the fragments and the plain text go to the same
    // (master) context.
    let mut p = private_v2_pair(117);
    p.bob.session.set_max_message_size(60).unwrap();
    let text = b"a long v2 message split into several v2-syntax fragments";
    let frags = sends(&p.bob.session.send_message(text).unwrap());
    assert!(frags.len() > 2 && frags.iter().all(|f| f.starts_with(b"?OTR,")));
    assert!(p.alice.session.handle_input(&frags[0]).is_empty());
    let out = p.alice.session.handle_input(b"plain in between");
    assert_eq!(
        events(&out),
        vec![Event::ReceivedUnencrypted(b"plain in between".to_vec())]
    );
    let mut last = Vec::new();
    for f in &frags[1..] {
        last = p.alice.session.handle_input(f);
    }
    let d = deliveries(&last);
    assert_eq!(d.len(), 1, "{last:?}");
    assert_eq!(d[0].text, text);
    assert!(d[0].encrypted);
}

#[test]
fn a_data_message_received_while_finished_gets_no_reply_and_a_not_in_private_event() {
    let mut p = private_pair(118);
    let text = sends(&p.bob.session.send_message(b"in flight").unwrap())[0].clone();
    let heartbeat = sends(&p.bob.session.send_heartbeat().unwrap())[0].clone();
    let end = p.bob.session.end();
    p.absorb(Side::Bob, end);
    p.drive();
    assert_eq!(state(&p, Side::Alice), MessageState::Finished);
    let before = p.alice.session.instances();
    let out = p.alice.session.handle_input(&text);
    assert_eq!(events(&out), vec![Event::ReceivedNotInPrivate]);
    assert!(sends(&out).is_empty(), "no error reply (decision 9)");
    assert!(deliveries(&out).is_empty());
    let out = p.alice.session.handle_input(&heartbeat);
    assert!(out.is_empty(), "IGNORE_UNREADABLE: silent: {out:?}");
    assert_eq!(p.alice.session.instances(), before);
}

#[test]
fn a_received_disconnect_resets_smp_and_forgets_the_session_keys() {
    let mut p = private_pair(119);
    let out = p.alice.session.start_smp(None, b"our secret").unwrap();
    p.absorb(Side::Alice, out);
    p.drive();
    assert!(p.bob.session.best_instance().smp_awaiting_answer);
    // Alice ends; Bob receives the disconnect TLV.
    let end = p.alice.session.end();
    p.absorb(Side::Alice, end);
    p.drive();
    let bob = p.bob.session.best_instance();
    assert_eq!(bob.message_state, MessageState::Finished);
    assert_eq!(bob.smp_state, None);
    assert!(!bob.smp_awaiting_answer);
    assert_eq!(bob.fingerprint, None);
    assert_eq!(bob.ssid, None);
    assert_eq!(
        p.bob.session.answer_smp(None, b"our secret"),
        Err(SessionError::NotPrivate)
    );
    assert_eq!(
        p.bob.session.start_smp(None, b"our secret"),
        Err(SessionError::NotPrivate)
    );
    assert_eq!(p.bob.session.abort_smp(None), Err(SessionError::NotPrivate));
    assert_eq!(
        p.bob.session.send_heartbeat().unwrap_err(),
        SessionError::NotPrivate
    );
    assert_eq!(
        p.bob
            .session
            .extra_symmetric_key(None, 1, b"")
            .map(|_| ())
            .unwrap_err(),
        SessionError::NotPrivate
    );
    let out = p.bob.session.send_message(b"anyone?").unwrap();
    assert_eq!(events(&out), vec![Event::ConnectionEnded]);
    assert!(sends(&out).is_empty());
    // A new private conversation starts with a fresh SMP state: the old
    // request is gone, a new SMP is needed.
    p.establish(Side::Alice);
    let bob = p.bob.session.best_instance();
    assert_eq!(bob.message_state, MessageState::Encrypted);
    assert_eq!(bob.smp_state, Some("EXPECT1"));
    assert!(!bob.smp_awaiting_answer);
    assert_eq!(
        p.bob.session.answer_smp(None, b"our secret"),
        Err(SessionError::NoSmpRequest)
    );
}

#[test]
fn the_masters_commit_is_answered_until_its_lifetime_ends_and_not_after() {
    let (alice_key, bob_key) = test_keys();
    let clock = ManualClock::new();
    let mut alice = session(alice_key, 0xa000, 1201, &clock);
    let mut bob_phone = session(Arc::clone(&bob_key), 0xb001, 1202, &clock);
    let mut bob_laptop = session(Arc::clone(&bob_key), 0xb002, 1203, &clock);
    let mut bob_tablet = session(bob_key, 0xb003, 1204, &clock);
    let query = sends(&bob_phone.send_query());
    let commit = sends(&alice.handle_input(&query[0]));
    assert_eq!(message_type(&commit[0]), MessageType::DhCommit);
    assert_eq!(alice.poll_timeout(), Some(secs(60)));
    // At 59 s the commit is still open: a second instance's D-H Key gets a
    // Reveal Signature.
    clock.set(secs(59));
    assert!(alice.handle_timeout(secs(59)).is_empty());
    assert_eq!(alice.instances()[0].auth_state, AuthState::AwaitingDhKey);
    let dh_key = sends(&bob_laptop.handle_input(&commit[0]));
    let out = alice.handle_input(&dh_key[0]);
    let s = sends(&out);
    assert_eq!(s.len(), 1, "{out:?}");
    assert_eq!(message_type(&s[0]), MessageType::RevealSignature);
    // After its lifetime (once the timer ran), a third instance's D-H Key
    // gets nothing.
    clock.set(secs(61));
    let due = alice.poll_timeout().unwrap();
    assert!(due <= secs(61));
    let _ = alice.handle_timeout(secs(61));
    assert_eq!(alice.instances()[0].auth_state, AuthState::None);
    let dh_key = sends(&bob_tablet.handle_input(&commit[0]));
    assert_eq!(message_type(&dh_key[0]), MessageType::DhKey);
    let out = alice.handle_input(&dh_key[0]);
    assert!(sends(&out).is_empty(), "{out:?}");
    assert!(
        alice
            .instances()
            .iter()
            .all(|i| i.instance != InstanceTag::new(0xb003) || i.auth_state == AuthState::None)
    );
}

#[test]
fn no_message_is_resent_after_an_error_when_the_ake_is_redone() {
    // v3, and v2 (where libotr resends with "[resent]", docs/LIBOTR-DIFFERENCES.md §5).
    for v2 in [false, true] {
        let bob_policy = if v2 { v2_only() } else { Policy::DEFAULT };
        let mut p = Pair::new(130, test_keys(), config(Policy::ALWAYS), config(bob_policy));
        // Held (REQUIRE_ENCRYPTION), sent once private, then another one.
        let out = p.alice.session.send_message(b"held one").unwrap();
        assert!(events(&out).contains(&Event::EncryptionRequired));
        p.absorb(Side::Alice, out);
        p.drive();
        assert_eq!(state(&p, Side::Alice), MessageState::Encrypted);
        let expected = if v2 {
            ProtocolVersion::V2
        } else {
            ProtocolVersion::V3
        };
        assert_eq!(p.alice.session.best_instance().version, Some(expected));
        p.send(Side::Alice, "second");
        p.drive();
        assert_eq!(p.bob.texts(), vec!["held one", "second"], "v2: {v2}");
        // An error arrives; ERROR_START_AKE (in ALWAYS) answers with a query
        // and the AKE is redone.
        let sent_before = p.alice.sent.len();
        p.alice.events.clear();
        let out = p
            .alice
            .session
            .handle_input(b"?OTR Error: You transmitted an unreadable encrypted message.");
        let s = sends(&out);
        assert_eq!(s.len(), 1, "v2: {v2}: {out:?}");
        assert!(is_query(&s[0]));
        p.absorb(Side::Alice, out);
        p.drive();
        assert!(
            p.alice.saw(|e| matches!(e, Event::StillSecure(_))),
            "v2: {v2}: {:?}",
            p.alice.events
        );
        assert!(!p.alice.saw(|e| matches!(e, Event::HeldMessagesSent { .. })));
        let after: Vec<_> = p.alice.sent[sent_before..].to_vec();
        assert!(
            after.iter().all(|m| !is_data(m)),
            "v2: {v2}: only AKE messages went out"
        );
        assert_eq!(p.bob.texts(), vec!["held one", "second"], "v2: {v2}");
        assert!(p.bob.texts().iter().all(|t| !t.contains("[resent]")));
        p.send(Side::Alice, "third");
        p.drive();
        assert_eq!(p.bob.texts(), vec!["held one", "second", "third"]);
    }
}

#[test]
fn an_unreadable_message_gets_an_otr_error_reply_and_error_start_ake_decides_the_query() {
    let mut p = private_pair(131);
    let wire = sends(&p.alice.session.send_message(b"x").unwrap())[0].clone();
    let out = p.bob.session.handle_input(&with_broken_mac(&wire));
    let reply = sends(&out);
    assert_eq!(reply, vec![UNREADABLE_REPLY.to_vec()]);
    let Ok(Envelope::Error(text)) = classify(&reply[0]) else {
        panic!("not an OTR error message: {reply:?}")
    };
    assert_eq!(text, b"You transmitted an unreadable encrypted message.");
    // A malformed data message gets the malformed text.
    let mut bytes = armor::decode(&wire).unwrap();
    bytes.truncate(bytes.len() - 10);
    let out = p.bob.session.handle_input(armor::encode(&bytes).as_bytes());
    assert_eq!(
        sends(&out),
        vec![b"?OTR Error: You transmitted a malformed data message.".to_vec()]
    );
    // Alice receives the reply. Without ERROR_START_AKE: an event only.
    let before = p.alice.session.instances();
    p.alice
        .session
        .set_policy(Policy::DEFAULT.without(Policy::ERROR_START_AKE));
    let out = p.alice.session.handle_input(&reply[0]);
    assert_eq!(
        events(&out),
        vec![Event::PeerError(
            b"You transmitted an unreadable encrypted message.".to_vec()
        )]
    );
    assert!(sends(&out).is_empty(), "no query: {out:?}");
    assert_eq!(p.alice.session.instances(), before, "no AKE started");
    // With it: a query, and the AKE it starts completes.
    p.alice.session.set_policy(Policy::DEFAULT);
    p.alice.events.clear();
    p.bob.events.clear();
    let out = p.alice.session.handle_input(&reply[0]);
    let s = sends(&out);
    assert_eq!(s.len(), 1, "{out:?}");
    assert!(is_query(&s[0]));
    p.absorb(Side::Alice, out);
    p.drive();
    assert!(p.alice.saw(|e| matches!(e, Event::StillSecure(_))));
    assert!(p.bob.saw(|e| matches!(e, Event::StillSecure(_))));
}

#[test]
fn a_message_that_ends_the_conversation_is_never_answered_with_a_heartbeat() {
    let mut p = private_pair(113);
    p.clock.set(secs(120));
    let mut options = otr_core::SendOptions::default();
    options.tlvs = vec![(1, Vec::new())];
    let wire = sends(
        &p.alice
            .session
            .send_message_with(b"bye, and the end", &options)
            .unwrap(),
    );
    let out = p.bob.session.handle_input(&wire[0]);
    assert!(sends(&out).is_empty(), "nothing answers the end: {out:?}");
    assert!(!events(&out).contains(&Event::HeartbeatSent));
    assert!(events(&out).contains(&Event::ConversationEndedByPeer));
    assert_eq!(deliveries(&out)[0].text, b"bye, and the end");
    assert_eq!(state(&p, Side::Bob), MessageState::Finished);
    // Control: the same text without the disconnect, after as long a silence,
    // is answered with a heartbeat.
    let mut q = private_pair(113);
    q.clock.set(secs(120));
    let wire = sends(&q.alice.session.send_message(b"bye, and the end").unwrap());
    let out = q.bob.session.handle_input(&wire[0]);
    assert!(events(&out).contains(&Event::HeartbeatSent), "{out:?}");
}
