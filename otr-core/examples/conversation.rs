//! The demo conversation: Alice and Bob, in memory, run the story of the C#
//! OTR library's console demo — request OTR, the AKE, messages both ways, SMP
//! that succeeds and one that fails, the extra symmetric key, a heartbeat, a
//! fragmented long message, and the end — printed step by step with timings.
//!
//! ```text
//! cargo run --release --example conversation
//! ```

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use otr_core::SmpProgress;
use otr_core::identity::DsaSigningKey;
use otr_core::otr_wire::InstanceTag;
use otr_core::{Action, Event, ManualClock, MessageState, OsRandom, Session, SessionConfig};

struct Person {
    name: &'static str,
    session: Session,
}

struct World {
    alice: Person,
    bob: Person,
    clock: ManualClock,
    wire: VecDeque<(bool, Vec<u8>)>,
    wire_messages: usize,
    wire_bytes: usize,
}

/// Randomness from the operating system.
fn os_random() -> OsRandom {
    OsRandom::new().unwrap()
}

impl World {
    fn person(&mut self, alice: bool) -> &mut Person {
        if alice {
            &mut self.alice
        } else {
            &mut self.bob
        }
    }

    /// Prints what `from` produced and puts its messages on the wire.
    fn absorb(&mut self, from_alice: bool, actions: Vec<Action>) {
        let name = self.person(from_alice).name;
        for action in actions {
            match action {
                Action::Send { message: m, .. } => {
                    self.wire_messages += 1;
                    self.wire_bytes += m.len();
                    self.wire.push_back((from_alice, m));
                }
                Action::Deliver { message, .. } if !message.text.is_empty() => {
                    let text = String::from_utf8_lossy(&message.text);
                    let shown: String = text.chars().take(70).collect();
                    let more = if text.chars().count() > 70 { "…" } else { "" };
                    let lock = if message.encrypted { "🔒" } else { "  " };
                    println!("    {lock} {name} reads: {shown}{more}");
                    if !message.revealed_mac_keys.is_empty() {
                        println!(
                            "       ({} old MAC keys revealed with it, for deniability)",
                            message.revealed_mac_keys.len()
                        );
                    }
                }
                Action::Event { event, .. } => describe(name, &event),
                _ => {}
            }
        }
    }

    /// Carries messages until nobody has anything more to say.
    fn settle(&mut self) {
        while let Some((from_alice, m)) = self.wire.pop_front() {
            let to = !from_alice;
            let actions = self.person(to).session.handle_input(&m);
            self.absorb(to, actions);
        }
    }

    fn act(&mut self, alice: bool, actions: Vec<Action>) {
        self.absorb(alice, actions);
        self.settle();
    }
}

fn describe(name: &str, event: &Event) {
    match event {
        Event::GoneSecure(info) => {
            let ssid = info.ssid.to_string();
            let (a, b) = ssid.split_at(8);
            let shown = if info.first_half_bold {
                format!("[{a}] {b}")
            } else {
                format!("{a} [{b}]")
            };
            println!(
                "    ✔ {name}: private conversation (OTR v{}), SSID {shown}",
                info.version
            );
            println!(
                "      {name} sees the buddy's fingerprint {}",
                info.fingerprint
            );
        }
        Event::StillSecure(_) => println!("    ✔ {name}: private conversation refreshed"),
        Event::NewFingerprint(_) => println!("    ★ {name}: first time this buddy key is seen"),
        Event::Smp(p) => {
            let text = match p {
                SmpProgress::AskForSecret { question: Some(q) } => {
                    format!("is asked: \"{}\"", String::from_utf8_lossy(q))
                }
                SmpProgress::AskForSecret { question: None } => {
                    "is asked for the shared secret".to_owned()
                }
                SmpProgress::InProgress => "SMP in progress".to_owned(),
                SmpProgress::Succeeded => {
                    "SMP SUCCEEDED: the buddy is who they claim to be".to_owned()
                }
                SmpProgress::Failed => "SMP FAILED: the secrets differ".to_owned(),
                other => format!("SMP {}", other.libotr_name()),
            };
            println!("    ⚖ {name}: {text}");
        }
        Event::TrustChanged { trust, .. } => {
            println!("      {name} now marks the buddy key as {trust}");
        }
        Event::ExtraSymmetricKey { use_id, key, .. } => {
            println!(
                "    🔑 {name} received the extra symmetric key for use {use_id}: {}…",
                hex(&key.as_bytes()[..8])
            );
        }
        Event::HeartbeatSent => {
            println!("    ♥ {name} sends a heartbeat (nothing sent for a minute)")
        }
        Event::HeartbeatReceived => {}
        Event::ConversationEndedByPeer => {
            println!("    ✖ {name}: the buddy ended the private conversation")
        }
        Event::GoneInsecure => println!("    ✖ {name}: no longer private"),
        other => println!("    · {name}: {}", other.name()),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn step(title: &str, world: &mut World, f: impl FnOnce(&mut World)) {
    println!("\n▶ {title}");
    let before = (world.wire_messages, world.wire_bytes);
    let start = Instant::now();
    f(world);
    let took = start.elapsed();
    println!(
        "  ({:.2} ms, {} messages / {} bytes on the wire)",
        took.as_secs_f64() * 1000.0,
        world.wire_messages - before.0,
        world.wire_bytes - before.1
    );
}

fn main() {
    println!("OTR v3 demo: Alice and Bob, in memory (sans-IO engine, no network).");
    let mut rng = os_random();
    let t = Instant::now();
    let alice_key = Arc::new(DsaSigningKey::generate(&mut rng).expect("key"));
    let bob_key = Arc::new(DsaSigningKey::generate(&mut rng).expect("key"));
    println!(
        "Generated two DSA-1024 identity keys in {:.0} ms.",
        t.elapsed().as_secs_f64() * 1000.0
    );
    println!("  Alice: {}", alice_key.fingerprint());
    println!("  Bob:   {}", bob_key.fingerprint());

    let clock = ManualClock::new();
    let mut config = SessionConfig::default();
    config.account_name = "alice@example.org".to_owned();
    let alice = Session::new(
        config.clone(),
        alice_key,
        InstanceTag::new(0x1000_0001).unwrap(),
        os_random(),
        clock.clone(),
    );
    config.account_name = "bob@example.org".to_owned();
    let bob = Session::new(
        config,
        bob_key,
        InstanceTag::new(0x2000_0002).unwrap(),
        os_random(),
        clock.clone(),
    );
    let mut w = World {
        alice: Person {
            name: "Alice",
            session: alice,
        },
        bob: Person {
            name: "Bob",
            session: bob,
        },
        clock,
        wire: VecDeque::new(),
        wire_messages: 0,
        wire_bytes: 0,
    };

    step(
        "Alice requests an OTR conversation (query, then the AKE)",
        &mut w,
        |w| {
            let a = w.alice.session.send_query();
            w.act(true, a);
            assert_eq!(
                w.alice.session.best_instance().message_state,
                MessageState::Encrypted
            );
        },
    );

    step("Messages both ways", &mut w, |w| {
        for (from_alice, text) in [
            (true, "Hi Bob! Is this line private?"),
            (
                false,
                "Hi Alice — yes: AES-128-CTR, HMAC-SHA1, fresh DH keys as we go. ✓",
            ),
            (true, "Unicode, newlines\nand tabs\tsurvive."),
            (false, "And each key pair is forgotten once used."),
        ] {
            let a = w
                .person(from_alice)
                .session
                .send_message(text.as_bytes())
                .unwrap();
            w.act(from_alice, a);
        }
    });

    step(
        "SMP with a question: Bob asks, Alice answers correctly",
        &mut w,
        |w| {
            let a = w
                .bob
                .session
                .start_smp_with_question(None, b"Where did we first meet?", b"Lyon")
                .unwrap();
            w.act(false, a);
            let a = w.alice.session.answer_smp(None, b"Lyon").unwrap();
            w.act(true, a);
        },
    );

    step(
        "SMP that fails: Alice asks, Bob types another secret",
        &mut w,
        |w| {
            let a = w.alice.session.start_smp(None, b"blue").unwrap();
            w.act(true, a);
            let a = w.bob.session.answer_smp(None, b"green").unwrap();
            w.act(false, a);
        },
    );

    step(
        "The extra symmetric key (e.g. for a file transfer)",
        &mut w,
        |w| {
            let (key, a) = w
                .alice
                .session
                .extra_symmetric_key(None, 1, b"file.tar.gz")
                .unwrap();
            println!(
                "    🔑 Alice's extra symmetric key for use 1: {}…",
                hex(&key.as_bytes()[..8])
            );
            w.act(true, a);
        },
    );

    step(
        "A minute of silence, then Bob writes: Alice answers with a heartbeat",
        &mut w,
        |w| {
            w.clock.advance(Duration::from_secs(61));
            let a = w.bob.session.send_message(b"Still there?").unwrap();
            w.act(false, a);
        },
    );

    step(
        "A long message over a network that allows 200 bytes per message",
        &mut w,
        |w| {
            w.alice.session.set_max_message_size(200).unwrap();
            let long = "This message is far longer than the network allows, so the engine splits it into libotr-compatible fragments. ".repeat(6);
            let before = w.wire_messages;
            let a = w
                .alice
                .session
                .send_message(long.trim_end().as_bytes())
                .unwrap();
            w.absorb(true, a);
            println!(
                "    ✂ Alice's message left in {} fragments",
                w.wire_messages - before
            );
            w.settle();
        },
    );

    step("Alice ends the conversation", &mut w, |w| {
        let a = w.alice.session.end();
        w.act(true, a);
        let a = w.bob.session.send_message(b"Wait!").unwrap();
        w.act(false, a);
        println!(
            "    Alice: {:?}, Bob: {:?}",
            w.alice.session.best_instance().message_state,
            w.bob.session.best_instance().message_state
        );
    });
    println!(
        "\nDone: {} messages, {} bytes crossed the wire.",
        w.wire_messages, w.wire_bytes
    );
}
