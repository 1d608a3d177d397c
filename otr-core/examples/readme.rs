//! The README's example: two sessions in one process run the AKE, then Alice
//! sends Bob one encrypted message. Its only dependency is otr-core.
//!
//! ```text
//! cargo run --release -p otr-core --example readme
//! ```

#![allow(clippy::print_stdout)]

use std::sync::Arc;

use otr_core::identity::DsaSigningKey;
use otr_core::otr_wire::InstanceTag;
use otr_core::{Action, OsRandom, Session, SessionConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Each side: a fresh key, an instance tag, the OS's randomness and clock.
    let new_session = |tag| -> Result<Session, Box<dyn std::error::Error>> {
        let key = Arc::new(DsaSigningKey::generate(&mut OsRandom::new()?)?);
        let tag = InstanceTag::new(tag).ok_or("instance tags start at 0x100")?;
        Ok(Session::with_system_defaults(
            SessionConfig::default(),
            key,
            tag,
        )?)
    };
    let (mut alice, mut bob) = (new_session(0x1000)?, new_session(0x2000)?);

    // Alice asks for privacy; carry messages until both are quiet.
    let mut to_bob = sends(alice.send_query());
    while !to_bob.is_empty() {
        let to_alice: Vec<_> = to_bob
            .iter()
            .flat_map(|m| sends(bob.handle_input(m)))
            .collect();
        to_bob = to_alice
            .iter()
            .flat_map(|m| sends(alice.handle_input(m)))
            .collect();
    }

    // One encrypted message.
    for wire in sends(alice.send_message(b"hello bob")?) {
        for action in bob.handle_input(&wire) {
            match action {
                Action::Deliver { message, .. } => {
                    println!("bob reads {:?}", String::from_utf8_lossy(&message.text));
                }
                Action::Event { event, .. } => println!("bob: {event}"),
                _ => {}
            }
        }
    }
    Ok(())
}

/// The messages a list of actions puts on the wire.
fn sends(actions: Vec<Action>) -> Vec<Vec<u8>> {
    let wire = actions.into_iter().filter_map(|action| match action {
        Action::Send { message, .. } => Some(message),
        _ => None,
    });
    wire.collect()
}
