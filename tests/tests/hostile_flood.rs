//! Floods from strangers: what many forged or unwanted messages can and
//! cannot do to a session (docs/HOSTILE-TESTS.md, the robustness rows). Each
//! test names the attack and what a genuine buddy still gets.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use core::time::Duration;

use otr_core::otr_wire::InstanceTag;
use otr_core::{AuthState, Clock, MessageState, Session, SessionConfig};
use otr_tests::actions::sends;
use otr_tests::keys::test_keys;
use otr_tests::pair::{Pair, Side};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

fn pair() -> Pair {
    Pair::new(
        21,
        test_keys(),
        SessionConfig::default(),
        SessionConfig::default(),
    )
}

/// A D-H Commit from a stranger's instance `tag`, addressed to nobody in
/// particular (receiver tag 0): what any client of the buddy's account may
/// send. The stranger never answers Bob's D-H Key.
fn forged_commit(p: &Pair, tag: u32) -> Vec<u8> {
    let mut mallory = Session::new(
        SessionConfig::default(),
        test_keys().0,
        InstanceTag::new(tag).unwrap(),
        Box::new(ChaCha20Rng::seed_from_u64(u64::from(tag))),
        Box::new(p.clock.clone()),
    );
    let out = mallory.handle_input(b"?OTRv3?");
    sends(&out).remove(0)
}

/// Bob takes `count` forged commits from distinct instances; each is
/// answered (a D-H Key) and leaves an exchange waiting.
fn flood_bob_with_commits(p: &mut Pair, count: u32) {
    for i in 0..count {
        let commit = forged_commit(p, 0x5000_0000 + i);
        let out = p.bob.session.handle_input(&commit);
        assert_eq!(sends(&out).len(), 1, "forged commit {i} answered");
    }
}

fn bob_children(p: &Pair) -> Vec<(Option<InstanceTag>, AuthState)> {
    p.bob
        .session
        .instances()
        .into_iter()
        .skip(1)
        .map(|i| (i.instance, i.auth_state))
        .collect()
}

#[test]
fn sixteen_forged_commits_do_not_keep_a_genuine_new_instance_out() {
    let mut p = pair();
    flood_bob_with_commits(&mut p, 16);
    let children = bob_children(&p);
    assert_eq!(children.len(), 16, "the instance table is full");
    assert!(
        children
            .iter()
            .all(|(_, a)| *a == AuthState::AwaitingRevealSig)
    );
    // A genuine new client of the buddy (Alice's instance) asks at once.
    p.establish(Side::Alice);
    assert_eq!(
        p.alice.session.best_instance().message_state,
        MessageState::Encrypted,
        "the genuine instance became private without waiting"
    );
    assert_eq!(
        p.bob.session.best_instance().message_state,
        MessageState::Encrypted
    );
    assert_eq!(bob_children(&p).len(), 16, "the bound holds");
}

#[test]
fn a_thousand_forged_commits_then_a_genuine_instance_still_gets_in() {
    let mut p = pair();
    flood_bob_with_commits(&mut p, 1000);
    assert_eq!(bob_children(&p).len(), 16);
    p.establish(Side::Bob);
    assert_eq!(
        p.bob.session.best_instance().message_state,
        MessageState::Encrypted
    );
    p.send(Side::Alice, "made it");
    p.drive();
    assert_eq!(p.bob.texts(), vec!["made it"]);
}

#[test]
fn a_flood_during_the_genuine_exchange_does_not_displace_it_before_sixteen_newer_arrivals() {
    let mut p = pair();
    flood_bob_with_commits(&mut p, 16);
    // Alice's query reaches Bob; his commit reaches Alice; her D-H Key takes
    // a place in Bob's table (displacing the oldest forged exchange).
    let q = p.alice.session.send_query();
    p.absorb(Side::Alice, q);
    p.deliver_one(Side::Bob); // query → Bob's commit
    p.deliver_one(Side::Alice); // commit → Alice's D-H Key
    p.deliver_one(Side::Bob); // D-H Key → Bob's Reveal Signature
    // Fifteen more forged commits arrive before Alice's Signature.
    for i in 0..15 {
        let commit = forged_commit(&p, 0x6000_0000 + i);
        let _ = p.bob.session.handle_input(&commit);
    }
    p.drive();
    assert_eq!(
        p.bob.session.best_instance().message_state,
        MessageState::Encrypted
    );
}

#[test]
fn forged_exchanges_expire_after_the_commit_lifetime_and_free_their_places() {
    let mut p = pair();
    flood_bob_with_commits(&mut p, 16);
    let deadline = p
        .bob
        .session
        .poll_timeout()
        .expect("the exchanges have a deadline");
    let lifetime = SessionConfig::default().master_commit_lifetime;
    assert_eq!(deadline, p.clock.now().after(lifetime));
    p.clock.advance(lifetime - Duration::from_secs(1));
    let _ = p.bob.session.handle_timeout(p.clock.now());
    assert_eq!(bob_children(&p).len(), 16, "not before the lifetime");
    p.clock.advance(Duration::from_secs(1));
    let _ = p.bob.session.handle_timeout(p.clock.now());
    assert!(bob_children(&p).is_empty(), "stalled exchanges dropped");
    assert_eq!(p.bob.session.poll_timeout(), None);
}

#[test]
fn fragments_from_new_instances_never_displace_an_exchange() {
    let mut p = pair();
    flood_bob_with_commits(&mut p, 16);
    let before = bob_children(&p);
    for i in 0..40u32 {
        let fragment = format!("?OTR|{:08x}|{:08x},00001,00002,piece,", 0x7000_0000 + i, 0);
        let _ = p.bob.session.handle_input(fragment.as_bytes());
    }
    assert_eq!(bob_children(&p), before);
}

#[test]
fn a_private_instance_is_never_displaced_by_forged_commits() {
    let mut bob_config = SessionConfig::default();
    bob_config.max_instances = 2;
    let mut p = Pair::new(22, test_keys(), SessionConfig::default(), bob_config);
    p.establish(Side::Alice);
    flood_bob_with_commits(&mut p, 50);
    let alice_tag = p.alice.session.our_instance_tag();
    let private: Vec<_> = p
        .bob
        .session
        .instances()
        .into_iter()
        .filter(|i| i.message_state == MessageState::Encrypted)
        .map(|i| i.instance)
        .collect();
    assert_eq!(private, vec![Some(alice_tag)]);
    p.send(Side::Alice, "still here");
    p.drive();
    assert_eq!(p.bob.texts(), vec!["still here"]);
}

// ---- the Manager against a flood of strangers --------------------------------

use otr_core::{Action, Event, Manager, ManagerAction, ManagerConfig, ManualClock};

const ALICE: &str = "alice@example.org";

fn alice_manager(clock: &ManualClock, max_buddies: usize) -> Manager {
    let mut config = ManagerConfig::new(ALICE, "xmpp");
    config.max_buddies = max_buddies;
    Manager::new(
        config,
        test_keys().0,
        InstanceTag::new(0x0a11_ce00).unwrap(),
        Box::new(ChaCha20Rng::seed_from_u64(7)),
        clock.clone(),
    )
}

/// A buddy's client: a session named `name` (any key will do for a stranger).
fn buddy(name: &str, clock: &ManualClock, seed: u64) -> (String, Session) {
    let session = Session::new(
        SessionConfig::default(),
        test_keys().1,
        InstanceTag::new(0x1000_0000 + u32::try_from(seed).unwrap()).unwrap(),
        Box::new(ChaCha20Rng::seed_from_u64(seed)),
        Box::new(clock.clone()),
    );
    (name.to_owned(), session)
}

thread_local! {
    /// Every buddy whose session Alice's manager evicted, in order.
    static EVICTED: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Carries messages between Alice's manager and one buddy until both are
/// quiet, starting with `to_alice`; returns the texts Alice was shown from
/// that buddy.
fn converse(
    alice: &mut Manager,
    buddy: &mut (String, Session),
    to_alice: Vec<Action>,
) -> Vec<Vec<u8>> {
    let mut shown = Vec::new();
    let mut inbound = sends(&to_alice);
    for _ in 0..50 {
        for wire in inbound.drain(..) {
            alice.handle_input(&buddy.0, &wire).unwrap();
        }
        let mut outbound = Vec::new();
        for ManagerAction {
            buddy: who, action, ..
        } in alice.drain_actions()
        {
            match action {
                Action::Send { message: wire, .. } if who == buddy.0 => outbound.push(wire),
                Action::Deliver { message, .. } if who == buddy.0 => shown.push(message.text),
                Action::Event {
                    event: Event::SessionEvicted,
                    ..
                } => EVICTED.with(|e| e.borrow_mut().push(who)),
                _ => {}
            }
        }
        if outbound.is_empty() {
            return shown;
        }
        for wire in outbound {
            inbound.extend(sends(&buddy.1.handle_input(&wire)));
        }
    }
    panic!("no end to the conversation with {}", buddy.0);
}

#[test]
fn a_thousand_strangers_doing_an_ake_and_end_lock_nobody_out() {
    let clock = ManualClock::new();
    let mut alice = alice_manager(&clock, 100);
    // Alice's friend Bob: a private conversation she is in.
    let mut bob = buddy("bob@example.org", &clock, 1);
    alice.request_session(&bob.0, None).unwrap();
    converse(&mut alice, &mut bob, Vec::new());
    assert_eq!(alice.message_state(&bob.0), MessageState::Encrypted);
    alice.send_message(&bob.0, "see you in a bit").unwrap();
    converse(&mut alice, &mut bob, Vec::new());
    clock.advance(Duration::from_secs(120));
    // A thousand strangers each complete an AKE and end it.
    for i in 0..1000u64 {
        let mut stranger = buddy(&format!("stranger{i}"), &clock, 10 + i);
        let query = stranger.1.send_query();
        converse(&mut alice, &mut stranger, query);
        let end = stranger.1.end();
        converse(&mut alice, &mut stranger, end);
    }
    assert!(alice.session_count() <= 100, "the bound on memory holds");
    let evicted = EVICTED.with(|e| e.take());
    assert!(evicted.len() >= 900, "strangers made room for strangers");
    assert!(evicted.iter().all(|b| b.starts_with("stranger")));
    // Bob's conversation survived, still private.
    assert_eq!(alice.message_state(&bob.0), MessageState::Encrypted);
    let hello = bob.1.send_message(b"still there?").unwrap();
    assert_eq!(
        converse(&mut alice, &mut bob, hello),
        vec![b"still there?".to_vec()]
    );
    // A new friend's plaintext is shown, and Alice can ask another for privacy.
    let mut carol = buddy("carol@example.org", &clock, 2);
    let hi = carol.1.send_message(b"hi").unwrap();
    assert_eq!(converse(&mut alice, &mut carol, hi), vec![b"hi".to_vec()]);
    let mut dave = buddy("dave@example.org", &clock, 3);
    alice.request_session(&dave.0, None).unwrap();
    converse(&mut alice, &mut dave, Vec::new());
    assert_eq!(alice.message_state(&dave.0), MessageState::Encrypted);
    // A day later too.
    clock.advance(Duration::from_secs(24 * 3600));
    let mut erin = buddy("erin@example.org", &clock, 4);
    let hi = erin.1.send_message(b"hi").unwrap();
    assert_eq!(converse(&mut alice, &mut erin, hi), vec![b"hi".to_vec()]);
}

#[test]
fn strangers_who_stay_private_and_chatty_still_do_not_evict_the_users_conversation() {
    let clock = ManualClock::new();
    let mut alice = alice_manager(&clock, 20);
    let mut bob = buddy("bob@example.org", &clock, 1);
    alice.request_session(&bob.0, None).unwrap();
    converse(&mut alice, &mut bob, Vec::new());
    alice.send_message(&bob.0, "hello").unwrap();
    converse(&mut alice, &mut bob, Vec::new());
    for i in 0..60u64 {
        let mut stranger = buddy(&format!("stranger{i}"), &clock, 10 + i);
        let query = stranger.1.send_query();
        converse(&mut alice, &mut stranger, query);
        let chat = stranger.1.send_message(b"buy now").unwrap();
        converse(&mut alice, &mut stranger, chat);
    }
    assert_eq!(alice.session_count(), 20);
    assert_eq!(alice.message_state(&bob.0), MessageState::Encrypted);
    let evicted = EVICTED.with(|e| e.take());
    assert_eq!(evicted.len(), 41, "61 buddies in 20 places");
    assert!(!evicted.contains(&bob.0));
    let hello = bob.1.send_message(b"still private").unwrap();
    assert_eq!(
        converse(&mut alice, &mut bob, hello),
        vec![b"still private".to_vec()]
    );
}
