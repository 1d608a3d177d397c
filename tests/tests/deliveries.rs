//! What reaches the user: over a whole conversation (AKE, messages, SMP with
//! a question, heartbeats, an extra key, an SMP abort, the end), only
//! messages with text are delivered, and a heartbeat is reported only for a
//! real heartbeat.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use otr_core::{Event, MessageState, SendOptions, SessionConfig, SmpProgress};
use otr_tests::keys::test_keys;
use otr_tests::pair::{Pair, Side};

fn heartbeats(events: &[Event]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, Event::HeartbeatReceived))
        .count()
}

#[test]
fn protocol_traffic_is_never_delivered_and_heartbeats_are_only_heartbeats() {
    let mut p = Pair::new(
        31,
        test_keys(),
        SessionConfig::default(),
        SessionConfig::default(),
    );
    p.establish(Side::Alice);
    assert_eq!(
        p.bob.session.best_instance().message_state,
        MessageState::Encrypted
    );

    p.send(Side::Alice, "hello Bob");
    p.send(Side::Bob, "hello Alice");
    p.drive();

    // SMP with a question, answered right.
    let out = p
        .alice
        .session
        .start_smp_with_question(None, b"where did we meet?", b"in Paris")
        .unwrap();
    p.absorb(Side::Alice, out);
    p.drive();
    assert!(p.bob.saw(|e| matches!(
        e,
        Event::Smp(SmpProgress::AskForSecret { question: Some(_) })
    )));
    let out = p.bob.session.answer_smp(None, b"in Paris").unwrap();
    p.absorb(Side::Bob, out);
    p.drive();
    assert!(
        p.alice
            .saw(|e| matches!(e, Event::Smp(SmpProgress::Succeeded)))
    );
    assert!(
        p.bob
            .saw(|e| matches!(e, Event::Smp(SmpProgress::Succeeded)))
    );

    // Another SMP, aborted at once.
    let out = p.bob.session.start_smp(None, b"x").unwrap();
    p.absorb(Side::Bob, out);
    let out = p.bob.session.abort_smp(None).unwrap();
    p.absorb(Side::Bob, out);
    p.drive();
    assert!(
        p.alice
            .saw(|e| matches!(e, Event::Smp(SmpProgress::Aborted)))
    );

    // The extra symmetric key.
    let (_key, out) = p
        .alice
        .session
        .extra_symmetric_key(None, 7, b"file transfer")
        .unwrap();
    p.absorb(Side::Alice, out);
    p.drive();
    assert!(
        p.bob
            .saw(|e| matches!(e, Event::ExtraSymmetricKey { use_id: 7, .. }))
    );
    assert_eq!(heartbeats(&p.bob.events), 0, "an extra key is no heartbeat");
    assert_eq!(
        heartbeats(&p.alice.events),
        0,
        "SMP messages are no heartbeats"
    );

    // Two real heartbeats.
    let out = p.alice.session.send_heartbeat().unwrap();
    p.absorb(Side::Alice, out);
    let out = p.bob.session.send_heartbeat().unwrap();
    p.absorb(Side::Bob, out);
    p.drive();
    assert_eq!(heartbeats(&p.bob.events), 1);
    assert_eq!(heartbeats(&p.alice.events), 1);

    // Alice ends the conversation.
    let out = p.alice.session.end();
    p.absorb(Side::Alice, out);
    p.drive();
    assert!(p.bob.saw(|e| matches!(e, Event::ConversationEndedByPeer)));
    assert_eq!(heartbeats(&p.bob.events), 1, "a disconnect is no heartbeat");

    for (who, party) in [("Alice", &p.alice), ("Bob", &p.bob)] {
        for m in &party.delivered {
            assert!(
                !m.text.is_empty(),
                "{who} was handed an empty delivery: {m:?}"
            );
        }
    }
    assert_eq!(p.alice.texts(), vec!["hello Alice".to_owned()]);
    assert_eq!(p.bob.texts(), vec!["hello Bob".to_owned()]);
}

#[test]
fn an_application_tlv_without_text_is_delivered_with_its_tlv() {
    let mut p = Pair::new(
        32,
        test_keys(),
        SessionConfig::default(),
        SessionConfig::default(),
    );
    p.establish(Side::Alice);
    let mut options = SendOptions::default();
    options.tlvs = vec![(0x4242, b"app data".to_vec())];
    let out = p.alice.session.send_message_with(b"", &options).unwrap();
    p.absorb(Side::Alice, out);
    p.drive();
    assert_eq!(p.bob.delivered.len(), 1, "{:?}", p.bob.delivered);
    let m = &p.bob.delivered[0];
    assert!(m.text.is_empty());
    assert!(
        m.tlvs
            .iter()
            .any(|t| t.tlv_type == 0x4242 && t.value == b"app data")
    );
    assert_eq!(
        heartbeats(&p.bob.events),
        0,
        "an application TLV is no heartbeat"
    );
}
