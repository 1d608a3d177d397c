//! The multi-buddy `Manager`: establishing with several buddies, the queue,
//! the buddy bound, timers, libotr's fingerprints file and P, Q, G, X.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use otr_core::identity::{DsaComponents, DsaSigningKey};
use otr_core::otr_wire::{InstanceTag, ProtocolVersion};
use otr_core::{
    Action, Event, Manager, ManagerAction, ManagerConfig, ManagerError, ManualClock, MessageState,
    Policy, SendOptions, SessionError, Timestamp, Trust,
};
use otr_tests::keys::test_keys;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const ALICE: &str = "alice@example.org";
const BOB: &str = "bob@example.org";
const CAROL: &str = "carol@example.org";
const ALICE_FPR: &[u8] = include_bytes!("../fixtures/libotr/alice.fpr");

fn carol_key() -> Arc<DsaSigningKey> {
    static KEY: OnceLock<Arc<DsaSigningKey>> = OnceLock::new();
    Arc::clone(KEY.get_or_init(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(0xca401);
        Arc::new(DsaSigningKey::generate(&mut rng).unwrap())
    }))
}

fn key_of(account: &str) -> Arc<DsaSigningKey> {
    let (alice, bob) = test_keys();
    match account {
        ALICE => alice,
        BOB => bob,
        _ => carol_key(),
    }
}

fn tag_of(account: &str) -> InstanceTag {
    let n = match account {
        ALICE => 0x0a11_ce00,
        BOB => 0x0b0b_0000,
        _ => 0x0ca4_0100,
    };
    InstanceTag::new(n).unwrap()
}

fn manager_with(account: &str, config: ManagerConfig, clock: &ManualClock) -> Manager {
    Manager::new(
        config,
        key_of(account),
        tag_of(account),
        Box::new(ChaCha20Rng::seed_from_u64(u64::from(tag_of(account).get()))),
        clock.clone(),
    )
}

/// Managers by account, a shared clock, and what each host was told.
struct Net {
    clock: ManualClock,
    peers: BTreeMap<String, Manager>,
    /// (to, from, text)
    delivered: Vec<(String, String, Vec<u8>)>,
    /// (who, about buddy, event)
    events: Vec<(String, String, Event)>,
}

impl Net {
    fn new(accounts: &[&str]) -> Self {
        let clock = ManualClock::new();
        let peers = accounts
            .iter()
            .map(|a| {
                let config = ManagerConfig::new(a, "xmpp");
                ((*a).to_owned(), manager_with(a, config, &clock))
            })
            .collect();
        Self {
            clock,
            peers,
            delivered: Vec::new(),
            events: Vec::new(),
        }
    }

    fn get(&mut self, account: &str) -> &mut Manager {
        self.peers.get_mut(account).unwrap()
    }

    /// Carries every queued action out until all queues stay empty.
    fn pump(&mut self) {
        for _ in 0..100 {
            let mut moved = false;
            let names: Vec<String> = self.peers.keys().cloned().collect();
            for name in names {
                for item in self.get(&name).drain_actions() {
                    let ManagerAction { buddy, action, .. } = item;
                    match action {
                        Action::Send { message: wire, .. } => {
                            self.get(&buddy).handle_input(&name, &wire).unwrap();
                            moved = true;
                        }
                        Action::Deliver { message, .. } => {
                            self.delivered.push((name.clone(), buddy, message.text));
                        }
                        Action::Event { event, .. } => {
                            self.events.push((name.clone(), buddy, event));
                        }
                        _ => {}
                    }
                }
            }
            if !moved {
                return;
            }
        }
        panic!("the managers never went quiet");
    }

    fn establish(&mut self, from: &str, to: &str) {
        self.get(from).request_session(to, None).unwrap();
        self.pump();
        assert_eq!(self.get(from).message_state(to), MessageState::Encrypted);
        assert_eq!(self.get(to).message_state(from), MessageState::Encrypted);
    }

    /// Texts delivered to `to` from `from` (the empty texts of TLV-only
    /// messages left out).
    fn texts_to(&self, to: &str, from: &str) -> Vec<String> {
        self.delivered
            .iter()
            .filter(|(t, f, text)| t == to && f == from && !text.is_empty())
            .map(|(_, _, text)| String::from_utf8_lossy(text).into_owned())
            .collect()
    }

    fn saw(&self, who: &str, about: &str, f: impl Fn(&Event) -> bool) -> bool {
        self.events
            .iter()
            .any(|(w, a, e)| w == who && a == about && f(e))
    }
}

#[test]
fn two_managers_establish_and_talk_both_ways() {
    let mut net = Net::new(&[ALICE, BOB]);
    net.establish(ALICE, BOB);
    assert!(net.saw(ALICE, BOB, |e| matches!(e, Event::GoneSecure(_))));
    assert!(net.saw(BOB, ALICE, |e| matches!(e, Event::GoneSecure(_))));
    let bob_fp = net.get(BOB).our_fingerprint();
    let alice_fp = net.get(ALICE).our_fingerprint();
    assert_eq!(net.get(ALICE).buddy_fingerprint(BOB), Some(bob_fp));
    assert_eq!(net.get(BOB).buddy_fingerprint(ALICE), Some(alice_fp));

    net.get(ALICE).send_message(BOB, "hello bob").unwrap();
    net.get(BOB).send_message(ALICE, b"hello alice").unwrap();
    net.get(ALICE).send_message(BOB, "how are you?").unwrap();
    net.pump();
    assert_eq!(net.texts_to(BOB, ALICE), ["hello bob", "how are you?"]);
    assert_eq!(net.texts_to(ALICE, BOB), ["hello alice"]);
}

#[test]
fn one_manager_talks_to_several_buddies() {
    let mut net = Net::new(&[ALICE, BOB, CAROL]);
    net.get(ALICE).request_session(BOB, None).unwrap();
    net.get(ALICE).request_session(CAROL, None).unwrap();
    net.pump();
    for buddy in [BOB, CAROL] {
        assert_eq!(net.get(ALICE).message_state(buddy), MessageState::Encrypted);
    }
    assert_eq!(net.get(ALICE).buddies().collect::<Vec<_>>(), [BOB, CAROL]);
    let carol_fp = net.get(CAROL).our_fingerprint();
    assert_eq!(net.get(ALICE).buddy_fingerprint(CAROL), Some(carol_fp));

    net.get(ALICE).send_message(BOB, "for bob").unwrap();
    net.get(ALICE).send_message(CAROL, "for carol").unwrap();
    net.get(CAROL).send_message(ALICE, "from carol").unwrap();
    net.get(BOB).send_message(ALICE, "from bob").unwrap();
    net.pump();
    assert_eq!(net.texts_to(BOB, ALICE), ["for bob"]);
    assert_eq!(net.texts_to(CAROL, ALICE), ["for carol"]);
    assert_eq!(net.texts_to(ALICE, CAROL), ["from carol"]);
    assert_eq!(net.texts_to(ALICE, BOB), ["from bob"]);
    // Bob and Carol never talked to each other.
    assert_eq!(net.get(BOB).session_count(), 1);
    assert_eq!(net.get(CAROL).session_count(), 1);
}

#[test]
fn close_session_and_close_all() {
    let mut net = Net::new(&[ALICE, BOB, CAROL]);
    net.establish(ALICE, BOB);
    net.establish(ALICE, CAROL);

    assert!(net.get(ALICE).close_session(BOB) > 0);
    assert!(net.get(ALICE).session(BOB).is_none());
    assert_eq!(net.get(ALICE).message_state(BOB), MessageState::Plaintext);
    assert_eq!(net.get(ALICE).close_session(BOB), 0);
    net.pump();
    assert_eq!(net.get(BOB).message_state(ALICE), MessageState::Finished);
    assert!(net.saw(BOB, ALICE, |e| matches!(e, Event::ConversationEndedByPeer)));
    // The closed session's fingerprints are kept.
    let bob_fp = net.get(BOB).our_fingerprint();
    assert!(net.get(ALICE).known_fingerprints(BOB).contains(&bob_fp));

    // A private conversation can start again.
    net.establish(ALICE, BOB);
    assert!(net.get(ALICE).close_all_sessions() >= 2);
    assert_eq!(net.get(ALICE).session_count(), 0);
    net.pump();
    assert_eq!(net.get(BOB).message_state(ALICE), MessageState::Finished);
    assert_eq!(net.get(CAROL).message_state(ALICE), MessageState::Finished);
}

#[test]
fn the_queue_keeps_the_order_of_calls_and_fragments() {
    let mut net = Net::new(&[ALICE, BOB, CAROL]);
    net.establish(ALICE, BOB);
    net.establish(ALICE, CAROL);

    let alice = net.get(ALICE);
    assert_eq!(alice.send_message(BOB, "1").unwrap(), 1);
    alice.send_message(CAROL, "2").unwrap();
    alice.send_message(BOB, "3").unwrap();
    let long = "x".repeat(600);
    let pieces = alice.send_fragments(BOB, &long, 120).unwrap();
    assert!(pieces > 5, "{pieces} fragments");
    // The one-off size is not kept.
    assert_eq!(alice.session(BOB).unwrap().config().max_message_size, 0);
    assert_eq!(alice.queued_actions(), 3 + pieces);

    let first = alice.poll_action().unwrap();
    let rest = alice.drain_actions();
    assert!(alice.poll_action().is_none());
    let items: Vec<ManagerAction> = std::iter::once(first).chain(rest).collect();
    let buddies: Vec<&str> = items.iter().map(|i| i.buddy.as_str()).collect();
    assert_eq!(&buddies[..3], [BOB, CAROL, BOB]);
    assert!(buddies[3..].iter().all(|b| *b == BOB));
    // Every data message and fragment is addressed to the buddy's instance.
    for item in &items {
        let want = if item.buddy == BOB {
            tag_of(BOB)
        } else {
            tag_of(CAROL)
        };
        assert_eq!(item.instance, Some(want));
    }
    let fragments: Vec<Vec<u8>> = items[3..]
        .iter()
        .map(|i| match &i.action {
            Action::Send { message: m, .. } => m.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    for (k, f) in fragments.iter().enumerate() {
        assert!(f.len() <= 120);
        let index = format!(",{:05},{:05},", k + 1, pieces);
        assert!(String::from_utf8_lossy(f).contains(&index), "{k}");
    }
    // Delivered in the same order.
    for item in items {
        if let Action::Send { message: wire, .. } = item.action {
            net.get(&item.buddy).handle_input(ALICE, &wire).unwrap();
        }
    }
    net.pump();
    assert_eq!(net.texts_to(BOB, ALICE), ["1", "3", long.as_str()]);
    assert_eq!(net.texts_to(CAROL, ALICE), ["2"]);
}

#[test]
fn a_full_queue_refuses_until_drained() {
    let clock = ManualClock::new();
    let mut config = ManagerConfig::new(ALICE, "xmpp");
    config.max_queued_actions = 2;
    let mut alice = manager_with(ALICE, config, &clock);
    alice.send_message(BOB, "one").unwrap();
    alice.send_message(BOB, "two").unwrap();
    let err = alice.send_message(BOB, "three").unwrap_err();
    assert_eq!(err, ManagerError::QueueFull { queued: 2 });
    assert!(err.to_string().contains("drain"));
    assert_eq!(alice.handle_input(BOB, b"hi").unwrap_err(), err);
    assert_eq!(alice.drain_actions().len(), 2);
    alice.send_message(BOB, "three").unwrap();
    // Closing is never refused.
    assert_eq!(alice.close_session(BOB), 0);
}

#[test]
fn the_buddy_bound_evicts_the_session_that_least_needs_its_place() {
    let mut net = Net::new(&[ALICE, BOB, CAROL]);
    let mut config = ManagerConfig::new(ALICE, "xmpp");
    config.max_buddies = 2;
    let clock = net.clock.clone();
    net.peers
        .insert(ALICE.to_owned(), manager_with(ALICE, config, &clock));
    let fp = net.get(BOB).our_fingerprint();

    let alice = net.get(ALICE);
    alice.handle_input("x", b"hello").unwrap();
    alice.handle_input("y", b"hello").unwrap();
    alice.set_trust("x", fp, "verified");
    alice.handle_input("y", b"again").unwrap();
    assert_eq!(alice.session_count(), 2);
    // x is the least recently used: it goes, its trust stays.
    alice.handle_input("z", b"hello").unwrap();
    assert_eq!(alice.buddies().collect::<Vec<_>>(), ["y", "z"]);
    assert_eq!(
        alice.known_fingerprints("x").get(&fp).unwrap(),
        &Trust::Verified
    );
    // Coming back restores it.
    alice.handle_input("x", b"back").unwrap();
    assert_eq!(alice.buddies().collect::<Vec<_>>(), ["x", "z"]);
    assert_eq!(
        alice
            .session("x")
            .unwrap()
            .known_fingerprints()
            .get(&fp)
            .unwrap(),
        &Trust::Verified
    );
    alice.drain_actions();

    // Two private sessions fill the bound. Once both are idle, a stranger's
    // message is still taken: the least recently used one makes room, and
    // the host hears of it.
    net.establish(ALICE, BOB);
    net.establish(ALICE, CAROL);
    net.clock.advance(Duration::from_secs(11 * 60));
    let alice = net.get(ALICE);
    assert_eq!(alice.buddies().collect::<Vec<_>>(), [BOB, CAROL]);
    alice.drain_actions();
    alice.handle_input("mallory", b"hi").unwrap();
    assert_eq!(alice.session_count(), 2);
    assert_eq!(alice.buddies().collect::<Vec<_>>(), [CAROL, "mallory"]);
    let told: Vec<_> = alice
        .drain_actions()
        .into_iter()
        .map(|a| (a.buddy, a.action))
        .collect();
    assert!(told.contains(&(
        BOB.to_owned(),
        Action::Event {
            instance: None,
            event: Event::SessionEvicted
        }
    )));
    assert!(told.iter().any(|(b, a)| b == "mallory"
        && matches!(a, Action::Deliver { message, .. } if message.text == b"hi")));
    assert_eq!(alice.message_state(CAROL), MessageState::Encrypted);
}

#[test]
fn timers_are_aggregated_over_sessions() {
    let clock = ManualClock::new();
    let mut config = ManagerConfig::new(ALICE, "xmpp");
    config.session.policy = Policy::ALWAYS;
    let mut alice = manager_with(ALICE, config, &clock);
    assert_eq!(alice.poll_timeout(), None);

    // Held messages wait for a private conversation for 60 s.
    alice.send_message(BOB, "held for bob").unwrap();
    clock.advance(Duration::from_secs(10));
    alice.send_message(CAROL, "held for carol").unwrap();
    alice.drain_actions();
    let at = |s: u64| Timestamp(Duration::from_secs(s));
    assert_eq!(alice.poll_timeout(), Some(at(60)));

    assert_eq!(alice.handle_timeout(at(30)), 0);
    clock.set(at(60));
    assert_eq!(alice.handle_timeout(alice.now()), 1);
    let item = alice.poll_action().unwrap();
    assert_eq!(item.buddy, BOB);
    assert!(matches!(
        item.action,
        Action::Event {
            event: Event::HeldMessagesExpired { count: 1 },
            ..
        }
    ));
    assert_eq!(alice.poll_timeout(), Some(at(70)));
    assert_eq!(alice.handle_timeout(at(70)), 1);
    assert_eq!(alice.poll_action().unwrap().buddy, CAROL);
    assert_eq!(alice.poll_timeout(), None);
}

#[test]
fn libotr_fingerprints_file_round_trips() {
    let clock = ManualClock::new();
    let mut alice = manager_with(ALICE, ManagerConfig::new(ALICE, "xmpp"), &clock);
    // Lines of other accounts or protocols are not ours.
    let mut file = ALICE_FPR.to_vec();
    file.extend_from_slice(
        b"dave@example.org\tother@example.org\txmpp\t02c89e292efe03980a4afb0be688174e91a0645a\t\n\
          dave@example.org\talice@example.org\tirc\t02c89e292efe03980a4afb0be688174e91a0645a\t\n",
    );
    assert_eq!(alice.load_fingerprints(&file), 1);
    // Applied lazily: no session was created.
    assert_eq!(alice.session_count(), 0);
    let known = alice.known_fingerprints(BOB);
    assert_eq!(known.len(), 1);
    assert_eq!(known.values().next().unwrap(), &Trust::Verified);
    assert_eq!(alice.merge_fingerprints_into(b"").unwrap(), ALICE_FPR);
    // Saving into the shared file keeps the other accounts' lines.
    assert_eq!(alice.merge_fingerprints_into(&file).unwrap(), file);

    // The session, once created, knows it; the file is unchanged.
    alice.handle_input(BOB, b"hi").unwrap();
    assert_eq!(alice.session(BOB).unwrap().known_fingerprints(), &known);
    assert_eq!(alice.merge_fingerprints_into(b"").unwrap(), ALICE_FPR);

    // A new key seen in an AKE is written with no trust.
    let mut net = Net::new(&[ALICE, BOB]);
    net.establish(ALICE, BOB);
    let file = net.get(ALICE).merge_fingerprints_into(b"").unwrap();
    let bob_hex = net.get(BOB).our_fingerprint().to_hex();
    assert_eq!(
        file,
        format!("{BOB}\t{ALICE}\txmpp\t{bob_hex}\t\n").into_bytes()
    );
    // Trust set and reloaded into a fresh manager shows in the session.
    let bob_fp = net.get(BOB).our_fingerprint();
    net.get(ALICE).set_trust(BOB, bob_fp, "verified");
    let file = net.get(ALICE).merge_fingerprints_into(b"").unwrap();
    assert!(file.ends_with(b"\tverified\n"));
    let mut net = Net::new(&[ALICE, BOB]);
    assert_eq!(net.get(ALICE).load_fingerprints(&file), 1);
    net.establish(ALICE, BOB);
    let best = net.get(ALICE).session(BOB).unwrap().best_instance();
    assert_eq!(best.trust, Some(Trust::Verified));
    assert!(!net.saw(ALICE, BOB, |e| matches!(e, Event::NewFingerprint(_))));

    // A buddy id the file cannot hold is an error, not a broken file.
    net.get(ALICE).set_trust("bad\tname", bob_fp, "");
    assert!(matches!(
        net.get(ALICE).merge_fingerprints_into(b""),
        Err(ManagerError::Fingerprints(_))
    ));
}

#[test]
fn dsa_components_export_and_import_keep_the_fingerprint() {
    let clock = ManualClock::new();
    let alice = manager_with(ALICE, ManagerConfig::new(ALICE, "xmpp"), &clock);
    let parts = alice.dsa_components();
    let key = DsaSigningKey::from_dsa_components(&parts).unwrap();
    assert_eq!(key.fingerprint(), alice.our_fingerprint());
    // Through hex, as the C# library exchanged them.
    let hex = DsaComponents::from_hex(
        &parts.p_hex(),
        &parts.q_hex(),
        &parts.g_hex(),
        &parts.x_hex(),
    )
    .unwrap();
    assert_eq!(hex, parts);
    let imported = Manager::new(
        ManagerConfig::new(ALICE, "xmpp"),
        Arc::new(DsaSigningKey::from_dsa_components(&hex).unwrap()),
        tag_of(ALICE),
        Box::new(ChaCha20Rng::seed_from_u64(9)),
        clock,
    );
    assert_eq!(imported.our_fingerprint(), alice.our_fingerprint());
    assert!(!format!("{parts:?}").contains(&*parts.x_hex()));
}

#[test]
fn request_session_offers_the_version_asked_for() {
    let mut net = Net::new(&[ALICE, BOB]);
    assert_eq!(
        net.get(ALICE).supported_versions(),
        [ProtocolVersion::V3, ProtocolVersion::V2]
    );
    net.get(ALICE)
        .request_session(BOB, Some(ProtocolVersion::V2))
        .unwrap();
    let query = net.get(ALICE).drain_actions();
    match &query[0].action {
        Action::Send { message: q, .. } => assert!(q.starts_with(b"?OTRv2?"), "{q:?}"),
        other => panic!("{other:?}"),
    }
    // The policy is restored: only this query was limited.
    assert_eq!(
        net.get(ALICE).session(BOB).unwrap().config().policy,
        Policy::DEFAULT
    );
    for item in query {
        if let Action::Send { message: wire, .. } = item.action {
            net.get(BOB).handle_input(ALICE, &wire).unwrap();
        }
    }
    net.pump();
    let best = net.get(ALICE).session(BOB).unwrap().best_instance();
    assert_eq!(best.version, Some(ProtocolVersion::V2));

    // A version the policy forbids is refused.
    let clock = ManualClock::new();
    let mut config = ManagerConfig::new(ALICE, "xmpp");
    config.session.policy = Policy::ALLOW_V2;
    let mut v2_only = manager_with(ALICE, config, &clock);
    assert_eq!(v2_only.supported_versions(), [ProtocolVersion::V2]);
    assert_eq!(
        v2_only.request_session(BOB, Some(ProtocolVersion::V3)),
        Err(ManagerError::VersionNotAllowed { version: 3 })
    );
    let mut config = ManagerConfig::new(ALICE, "xmpp");
    config.session.policy = Policy::NEVER;
    let mut never = manager_with(ALICE, config, &clock);
    assert_eq!(
        never.request_session(BOB, None),
        Err(ManagerError::Session(SessionError::OtrDisabled))
    );
}

#[test]
fn extra_key_heartbeat_and_session_calls_go_through_the_queue() {
    let mut net = Net::new(&[ALICE, BOB]);
    assert_eq!(
        net.get(ALICE).extra_symmetric_key(BOB, 1, b"file"),
        Err(ManagerError::Session(SessionError::NotPrivate))
    );
    assert_eq!(
        net.get(ALICE).send_heartbeat(BOB),
        Err(ManagerError::Session(SessionError::NotPrivate))
    );
    assert_eq!(net.get(ALICE).session_count(), 0);
    net.establish(ALICE, BOB);

    let key = net.get(ALICE).extra_symmetric_key(BOB, 1, b"file").unwrap();
    assert!(net.get(ALICE).send_heartbeat(BOB).unwrap() >= 1);
    net.pump();
    assert!(net.saw(BOB, ALICE, |e| matches!(e,
        Event::ExtraSymmetricKey { use_id: 1, use_data, key: k } if use_data == b"file" && *k == key)));
    assert!(net.saw(BOB, ALICE, |e| matches!(e, Event::HeartbeatReceived)));

    // Padding through the options, and a direct session call through the queue.
    let mut options = SendOptions::default();
    options.padding = 40;
    net.get(ALICE)
        .send_message_with(BOB, "padded", &options)
        .unwrap();
    let queued = net
        .get(ALICE)
        .with_session(BOB, |s| s.send_message(b"via the session"))
        .unwrap();
    assert_eq!(queued, 1);
    net.pump();
    assert_eq!(net.texts_to(BOB, ALICE), ["padded", "via the session"]);
}

#[test]
fn smp_goes_through_with_session_and_its_trust_reaches_the_file() {
    use otr_core::SmpProgress;

    let mut net = Net::new(&[ALICE, BOB]);
    net.establish(ALICE, BOB);
    net.get(ALICE)
        .with_session(BOB, |s| s.start_smp(None, b"our secret"))
        .unwrap();
    net.pump();
    assert!(net.saw(BOB, ALICE, |e| matches!(
        e,
        Event::Smp(SmpProgress::AskForSecret { question: None })
    )));
    net.get(BOB)
        .with_session(ALICE, |s| s.answer_smp(None, b"our secret"))
        .unwrap();
    net.pump();
    for (who, about) in [(ALICE, BOB), (BOB, ALICE)] {
        assert!(net.saw(who, about, |e| matches!(
            e,
            Event::Smp(SmpProgress::Succeeded)
        )));
    }
    let bob_hex = net.get(BOB).our_fingerprint().to_hex();
    let file = net.get(ALICE).merge_fingerprints_into(b"").unwrap();
    assert_eq!(
        file,
        format!("{BOB}\t{ALICE}\txmpp\t{bob_hex}\tsmp\n").into_bytes()
    );
}
