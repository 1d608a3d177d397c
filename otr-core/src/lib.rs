//! # otr-core
//!
//! The OTR v2/v3 session engine, sans-IO: the authenticated key exchange,
//! encrypted data messages with the DH ratchet and revealed MAC keys, message
//! states and policies, instance tags (a master context and one child per
//! buddy instance, as libotr), fragmentation, heartbeats, the extra symmetric
//! key, the Socialist Millionaires' Protocol, DSA identity keys and libotr's
//! key, instance-tag and fingerprint files.
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
//! use otr_core::{Action, ManualClock, Session, SessionConfig};
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
//!     actions.into_iter().filter_map(|a| match a { Action::Send { message, .. } => Some(message), _ => None }).collect()
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Many buddies: the [`Manager`]
//!
//! A [`Manager`] is one account talking to many buddies: it creates a
//! [`Session`] per buddy id on first use, bounds how many live at once, and
//! queues every action as a [`ManagerAction`] `(buddy, instance, action)` for
//! the host to drain ([`Manager::poll_action`], [`Manager::drain_actions`]).
//! [`Manager`] documents the loop with a two-manager example.
//!
//! # Randomness, time and files
//!
//! [`Session::with_system_defaults`] and [`Manager::with_system_defaults`]
//! take the OS's randomness ([`OsRandom`]) and monotonic clock
//! ([`StdClock`]); [`Session::new`] and [`Manager::new`] take any
//! [`rand_core`] 0.10 `CryptoRng` (name it through the re-export) and any
//! [`Clock`]. Timers: sleep for [`Session::timeout_in`] (or until
//! [`Session::poll_timeout`], [`StdClock::instant`] gives the `Instant`),
//! then call [`Session::handle_due_timeouts`]. Keys, instance tags and
//! fingerprints: see [`identity`] (libotr's files, loaded or created on
//! first use, written 0600 and atomically).
//!
//! # Features
//!
//! - `getrandom` (default): [`OsRandom`] and the `with_system_defaults`
//!   constructors. Without it, bring a generator.
//! - `tracing`: debug output through `tracing` (message types, states,
//!   instance tags; never a secret).
//!
//! otr-core needs `std` (the manager shares one RNG and clock between its
//! sessions behind `std::sync`, and the identity helpers read and write
//! files); the codec ([`otr_wire`]) and `otr-smp` below it are `no_std` +
//! `alloc` without their default `std` feature.
//!
//! # Parity with the C# library
//!
//! Every call and event of the C# OTR library (its `OTRSessionManager`), and
//! what does the same here. Calls on a [`Session`] that the manager does not
//! wrap go through [`Manager::with_session`], which queues their actions.
//!
//! | C# call or event | our API |
//! |---|---|
//! | `OTRSessionManager(my_id)` with an event handler | [`Manager::new`] with [`ManagerConfig::new`]; no handler: the host drains the queue ([`Manager::poll_action`], [`Manager::drain_actions`]) |
//! | `CreateOTRSession(buddy, [P, Q, G, X], debug)` | [`Manager::session_mut`] (sessions are also created on first use); the key from P, Q, G, X: [`identity::DsaComponents::from_hex`] then [`identity::DsaSigningKey::from_dsa_components`], given to [`Manager::new`]; debug: see DEBUG |
//! | `RequestOTRSession(buddy, version)` | [`Manager::request_session`] (`Some(version)` offers that version only, `None` the policy's) |
//! | `GetSupportedOTRVersionList()` | [`Manager::supported_versions`] |
//! | `ProcessOTRMessage(buddy, text)` | [`Manager::handle_input`] |
//! | `EncryptMessage(buddy, text)` | [`Manager::send_message`] |
//! | `EncryptMessage(buddy, text, pad_length)` | [`Manager::send_message_with`] with [`SendOptions`]`::padding` (also `instance`, `tlvs`) |
//! | `EncryptMessage(buddy, text, start_smp)` | [`Manager::send_message`], then [`Session::start_smp`] through [`Manager::with_session`] |
//! | `EncryptFragments(buddy, text, fragment_length)` | [`Manager::send_fragments`] (one message; the standing limit is [`SessionConfig::max_message_size`]) |
//! | `CloseSession(buddy)` | [`Manager::close_session`] |
//! | `CloseAllSessions()` | [`Manager::close_all_sessions`] |
//! | `GetSessionMessageState(buddy)` | [`Manager::message_state`] (every instance: [`Session::instances`]) |
//! | `GetSessionDSAHexParams` (P, Q, G, X) | [`Manager::dsa_components`], in hex with [`identity::DsaComponents::p_hex`] and its siblings |
//! | `GetSessionDSAFingerPrint` | [`Manager::our_fingerprint`] ([`otr_wire::Fingerprint::to_human`] for display) |
//! | `GetMyBuddyFingerPrint` | [`Manager::buddy_fingerprint`]; trust: [`Manager::set_trust`], [`Manager::known_fingerprints`], libotr's file with [`Manager::load_fingerprints`] / [`Manager::merge_fingerprints_into`] |
//! | `RequestExtraKeyUse` + `GetExtraSymmetricKey` | [`Manager::extra_symmetric_key`]: returns the key and queues the TLV 8 message |
//! | `SendHeartBeat` | [`Manager::send_heartbeat`] |
//! | `StartSMP` | [`Session::start_smp`] or [`Session::start_smp_with_question`], through [`Manager::with_session`] |
//! | `SetSMPUserSecret` / `GetSMPUserSecret` | [`Session::set_smp_secret`] / [`Session::smp_secret`]; the secret is passed to [`Session::start_smp`] or [`Session::answer_smp`] (the buddy's request arrives as [`Event::Smp`]) |
//! | `SetSMPFragLength` / `GetSMPFragLength` | [`SessionConfig::smp_max_message_size`] (in [`ManagerConfig::session`] or per buddy with [`Manager::set_buddy_config`]) |
//! | `AbortSMP` | [`Session::abort_smp`], through [`Manager::with_session`] |
//! | event ERROR (fatal or not) | typed events: [`Event::PeerError`] (the buddy's error text), [`Event::ReceivedUnreadable`], [`Event::ReceivedMalformed`], [`Event::ReceivedNotInPrivate`], [`Event::SetupError`], [`Event::EncryptionError`], …; host misuse is an `Err` ([`ManagerError`], [`SessionError`]) with a message saying what to do |
//! | event DEBUG | the `tracing` feature: debug lines through `tracing` (target `otr`) — message types, states, instance tags, never a secret; [`Event::name`] gives libotr's event names for the host's own log |
//! | event MESSAGE (+ old MAC keys) | [`Action::Deliver`]: [`ReceivedMessage`] `text`, `tlvs`, `encrypted`, and the revealed MAC keys in `ReceivedMessage::revealed_mac_keys` |
//! | event EXTRA_KEY_REQUEST | [`Event::ExtraSymmetricKey`] (use, use data, the 32-byte key) |
//! | event SEND | [`Action::Send`] (one per fragment, in order) |
//! | event READY | [`Event::GoneSecure`] with [`SecureInfo`] (fingerprint, SSID and its bold half, version, instance); [`Event::StillSecure`] on a refresh |
//! | event CLOSED | [`Event::ConversationEndedByPeer`] (the buddy ended), [`Event::GoneInsecure`] (we ended) |
//! | event HEART_BEAT | [`Event::HeartbeatReceived`], [`Event::HeartbeatSent`] |
//! | event SMP_MESSAGE (SUCCEEDED, FAILED, ABORT) | [`Event::Smp`] with [`SmpProgress`] (asked for the secret — with the question —, in progress, succeeded, failed, aborted, cheated, error); trust changes as [`Event::TrustChanged`] |

#![forbid(unsafe_code)]

#[macro_use]
mod debug_log;

mod action;
mod aes_ctr;
mod ake;
mod clock;
mod config;
mod context;
#[cfg(test)]
mod debug_redaction;
mod dh;
mod error;
mod event;
mod held;
pub mod identity;
mod instance_state;
mod mac;
mod manager;
#[cfg(feature = "getrandom")]
mod os_random;
mod policy;
mod ratchet;
mod reassembly;
mod session;
mod session_keys;
mod trust;

pub use action::{Action, ReceivedMessage, ReceivedTlv};
pub use ake::{AuthState, SecureSessionId};
#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
pub use clock::StdClock;
pub use clock::{Clock, ManualClock, Timestamp};
pub use config::SessionConfig;
pub use context::MessageState;
pub use error::SessionError;
pub use event::{Event, ExtraKey, SecureInfo, SetupFailure, SmpProgress, UnreadableReason};
pub use instance_state::InstanceState;
pub use manager::{Manager, ManagerAction, ManagerConfig, ManagerError};
#[cfg(feature = "getrandom")]
pub use os_random::{OsRandom, RandomnessUnavailable};
pub use otr_wire;
pub use policy::Policy;
/// The `rand_core` version whose traits the constructors take (0.10): name
/// it through this re-export so the versions match.
pub use rand_core;
pub use session::{SendOptions, Session};
pub use trust::{KnownFingerprints, Trust};
