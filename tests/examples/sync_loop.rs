//! Embedding otr-core in a synchronous program: two managers (Alice and Bob)
//! in one thread, a `VecDeque` standing in for the network.
//!
//! The loop every host runs: call the manager (a message arrived, the user
//! typed, time passed), then drain its queue and carry each action out — put
//! `Send` bytes on the wire, show `Deliver` messages, react to `Event`s.
//!
//! Run with `cargo run -p otr-tests --example sync_loop`.

use std::collections::VecDeque;
use std::error::Error;
use std::sync::Arc;

use otr_core::identity::{DsaSigningKey, generate_instance_tag};
use otr_core::{Action, Event, Manager, ManagerAction, ManagerConfig, MessageState, OsRandom};

const ALICE: &str = "alice@example.org";
const BOB: &str = "bob@example.org";

/// A message in flight: from, to, bytes.
type Packet = (String, String, Vec<u8>);

/// One account: a fresh key, a random instance tag, the system RNG and clock.
/// (A real client loads its key and tag with `identity::parse_privkeys` and
/// `identity::parse_instags`.)
fn account(name: &str) -> Result<Manager, Box<dyn Error>> {
    let mut rng = OsRandom::new()?;
    let key = Arc::new(DsaSigningKey::generate(&mut rng)?);
    let tag = generate_instance_tag(&mut rng);
    let config = ManagerConfig::new(name, "example");
    Ok(Manager::with_system_defaults(config, key, tag)?)
}

/// Carries out everything `me`'s manager has queued.
fn drain(me: &str, manager: &mut Manager, network: &mut VecDeque<Packet>) {
    for ManagerAction { buddy, action, .. } in manager.drain_actions() {
        match action {
            Action::Send { message: bytes, .. } => network.push_back((me.to_owned(), buddy, bytes)),
            Action::Deliver { message, .. } if !message.text.is_empty() => {
                let how = if message.encrypted {
                    "private"
                } else {
                    "plain"
                };
                let text = String::from_utf8_lossy(&message.text);
                println!("[{me}] {buddy} says ({how}): {text}");
            }
            Action::Event {
                event: Event::GoneSecure(info),
                ..
            } => println!(
                "[{me}] private with {buddy}, fingerprint {}",
                info.fingerprint.to_human()
            ),
            Action::Event { event, .. } => println!("[{me}] {buddy}: {event}"),
            _ => {}
        }
    }
}

/// Runs both hosts until nothing is queued or in flight.
fn run(
    alice: &mut Manager,
    bob: &mut Manager,
    network: &mut VecDeque<Packet>,
) -> Result<(), Box<dyn Error>> {
    loop {
        for (me, manager) in [(ALICE, &mut *alice), (BOB, &mut *bob)] {
            // Timers: a real host sleeps for `timeout_in()` instead.
            if manager.timeout_in().is_some_and(|wait| wait.is_zero()) {
                manager.handle_due_timeouts();
            }
            drain(me, manager, network);
        }
        let Some((from, to, bytes)) = network.pop_front() else {
            return Ok(());
        };
        let receiver = if to == ALICE { &mut *alice } else { &mut *bob };
        receiver.handle_input(&from, &bytes)?;
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut alice = account(ALICE)?;
    let mut bob = account(BOB)?;
    let mut network = VecDeque::new();

    alice.request_session(BOB, None)?;
    run(&mut alice, &mut bob, &mut network)?;
    assert_eq!(alice.message_state(BOB), MessageState::Encrypted);

    alice.send_message(BOB, "Hello Bob, this is private.")?;
    bob.send_message(ALICE, "Hello Alice, so is this.")?;
    alice.send_fragments(
        BOB,
        "A longer message, sent in fragments of 200 bytes.",
        200,
    )?;
    run(&mut alice, &mut bob, &mut network)?;

    alice.close_session(BOB);
    run(&mut alice, &mut bob, &mut network)?;
    assert_eq!(bob.message_state(ALICE), MessageState::Finished);
    bob.close_session(ALICE);
    run(&mut alice, &mut bob, &mut network)?;
    println!("done");
    Ok(())
}
