//! The README's example: two sessions in one process run the AKE, then Alice
//! sends Bob one encrypted message.
//!
//! ```text
//! cargo run --release -p otr-core --example readme
//! ```

#![allow(clippy::print_stdout)]

use std::sync::Arc;

use otr_core::identity::DsaSigningKey;
use otr_core::otr_wire::InstanceTag;
use otr_core::{Action, Session, SessionConfig, StdClock};
use rand_core::UnwrapErr;

type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {
    let mut alice = session(0x1000)?;
    let mut bob = session(0x2000)?;

    // Alice asks for a private conversation; carry messages until both are quiet.
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
            if let Action::Deliver { message, .. } = action {
                let text = String::from_utf8_lossy(&message.text);
                println!("bob reads {text:?} (encrypted: {})", message.encrypted);
            }
        }
    }
    Ok(())
}

/// A session with a fresh identity key, the OS's randomness and the system clock.
fn session(instance_tag: u32) -> Result<Session, Error> {
    let key = Arc::new(DsaSigningKey::generate(&mut UnwrapErr(getrandom::SysRng))?);
    let tag = InstanceTag::new(instance_tag).ok_or("not a valid instance tag")?;
    let (rng, clock) = (
        Box::new(UnwrapErr(getrandom::SysRng)),
        Box::new(StdClock::new()),
    );
    Ok(Session::new(SessionConfig::default(), key, tag, rng, clock))
}

/// The messages a list of actions puts on the wire.
fn sends(actions: Vec<Action>) -> Vec<Vec<u8>> {
    let wire = actions.into_iter().filter_map(|action| match action {
        Action::Send { message, .. } => Some(message),
        _ => None,
    });
    wire.collect()
}
