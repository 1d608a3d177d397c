//! # otr-core
//!
//! The OTR v2/v3 session engine, sans-IO: the authenticated key exchange,
//! encrypted data messages with the DH ratchet and revealed MAC keys, message
//! states and policies, instance tags (a master context and one child per
//! buddy instance, as libotr), fragmentation, heartbeats, the extra symmetric
//! key, DSA identity keys and libotr's key files.
//!
//! A [`Session`] is a conversation with one buddy. Every input —
//! [`Session::handle_input`] for a message from the network, or a user action
//! such as [`Session::send_message`] — returns the [`Action`]s it caused, in
//! order; the host carries them out (put [`Action::Send`] on the wire, show
//! [`Action::Deliver`], react to [`Action::Event`]). Randomness and time are
//! injected; timers surface through [`Session::poll_timeout`] and
//! [`Session::handle_timeout`].
//!
//! ```
//! use std::sync::Arc;
//! use otr_core::{Action, Event, ManualClock, Session, SessionConfig};
//! use otr_core::identity::DsaSigningKey;
//! use otr_core::otr_wire::InstanceTag;
//! use rand_chacha::ChaCha20Rng;
//! use rand_core::SeedableRng;
//!
//! let mut rng = ChaCha20Rng::seed_from_u64(1);
//! let alice_key = Arc::new(DsaSigningKey::generate(&mut rng)?);
//! let bob_key = Arc::new(DsaSigningKey::generate(&mut rng)?);
//! let clock = ManualClock::new();
//! let mut alice = Session::new(SessionConfig::default(), alice_key,
//!     InstanceTag::new(0x1000).unwrap(), Box::new(ChaCha20Rng::seed_from_u64(2)), Box::new(clock.clone()));
//! let mut bob = Session::new(SessionConfig::default(), bob_key,
//!     InstanceTag::new(0x2000).unwrap(), Box::new(ChaCha20Rng::seed_from_u64(3)), Box::new(clock));
//!
//! // Alice asks for a private conversation; carry messages until both are quiet.
//! let mut to_bob: Vec<Vec<u8>> = sends(alice.send_query());
//! let mut to_alice: Vec<Vec<u8>> = Vec::new();
//! while !to_bob.is_empty() || !to_alice.is_empty() {
//!     for m in std::mem::take(&mut to_bob) { to_alice.extend(sends(bob.handle_input(&m))); }
//!     for m in std::mem::take(&mut to_alice) { to_bob.extend(sends(alice.handle_input(&m))); }
//! }
//! assert_eq!(alice.best_instance().message_state, otr_core::MessageState::Encrypted);
//!
//! // An encrypted message.
//! let wire = sends(alice.send_message(b"hello bob")?);
//! let actions = bob.handle_input(&wire[0]);
//! assert!(actions.iter().any(|a| matches!(a, Action::Deliver { message, .. }
//!     if message.text == b"hello bob" && message.encrypted)));
//!
//! fn sends(actions: Vec<Action>) -> Vec<Vec<u8>> {
//!     actions.into_iter().filter_map(|a| match a { Action::Send(m) => Some(m), _ => None }).collect()
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]

pub mod action;
mod aes_ctr;
pub mod ake;
pub mod ake_keys;
pub mod clock;
pub mod config;
pub mod context;
mod dh;
pub mod error;
pub mod event;
mod held;
pub mod identity;
mod mac;
pub mod policy;
mod ratchet;
mod reassembly;
pub mod session;
mod session_keys;
pub mod state;

pub use action::{Action, ReceivedMessage, ReceivedTlv};
pub use ake::AuthStateName;
pub use ake_keys::SecureSessionId;
pub use clock::{Clock, ManualClock, StdClock, Timestamp};
pub use config::SessionConfig;
pub use context::MessageState;
pub use error::SessionError;
pub use event::{Event, ExtraKey, SecureInfo, SetupFailure, UnreadableReason};
pub use otr_wire;
pub use policy::Policy;
pub use session::{SendOptions, Session};
pub use state::InstanceState;
