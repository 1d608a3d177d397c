//! A conversation with one buddy: the master context and one child context
//! per buddy instance (libotr's routing), driven sans-IO.
//!
//! Every input returns the [`Action`]s it caused, in order: messages for the
//! wire, messages for the user, events. Nothing else leaves the engine.
//!
//! A [`Session`] is its instances (`contexts.rs`) and the state they share
//! (`session_core.rs`); the calls below start each input's
//! one-way path through the files of this module — `receive` (where a
//! message goes), `exchange_outcome` (the AKE's result), `data_in` and
//! `data_out` (the data phase), `smp`, `timers` — and every action leaves
//! through `output`.

mod contexts;
mod data_in;
mod data_out;
mod exchange_outcome;
mod output;
mod receive;
mod session_core;
mod smp;
mod texts;
mod timers;

use core::time::Duration;
use std::sync::Arc;

use otr_smp::SmpSecret;
use otr_wire::tlv::tlv_type;
use otr_wire::{DataFlags, Fingerprint, InstanceTag, fragment, whitespace};
use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::action::{Action, ReceivedMessage};
use crate::clock::{Clock, Timestamp};
use crate::config::SessionConfig;
use crate::context::{Context, MessageState, Privacy};
use crate::error::SessionError;
use crate::event::{Event, ExtraKey};
use crate::identity::DsaSigningKey;
use crate::instance_state::InstanceState;
use crate::policy::Policy;
use crate::trust::{KnownFingerprints, Trust};

use self::contexts::{Contexts, Target};
use self::session_core::{Offer, SessionCore};
use self::texts::{encode_payload, query_message, versions_of};

/// A host request to the SMP engine.
enum SmpCall<'a> {
    Start { question: Option<&'a [u8]> },
    Answer,
    Abort,
}

/// Options for an outgoing message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SendOptions {
    /// The buddy instance to send to (`None`: the best one, ranked as libotr).
    pub instance: Option<InstanceTag>,
    /// TLVs to send with the text (type, value).
    pub tlvs: Vec<(u16, Vec<u8>)>,
    /// Add a padding TLV of this many random bytes to hide the length.
    pub padding: usize,
}

/// A conversation with one buddy, possibly logged in from several clients.
pub struct Session {
    contexts: Contexts,
    core: SessionCore,
}

impl core::fmt::Debug for Session {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Session")
            .field("our_tag", &self.core.our_tag)
            .field("instances", &self.contexts.children.len())
            .finish_non_exhaustive()
    }
}

fn check_message_size(size: usize) -> Result<(), SessionError> {
    if size != 0 && size <= fragment::V3_OVERHEAD {
        return Err(SessionError::MaxMessageSizeTooSmall(size));
    }
    Ok(())
}

impl Session {
    /// A new conversation with one buddy.
    ///
    /// `identity` is our long-term key, `our_tag` our instance tag; randomness
    /// and time are injected so the host (and tests) control both: any
    /// [`rand_core`](crate::rand_core) 0.10 `CryptoRng` (e.g.
    /// [`OsRandom`](crate::OsRandom), or a seeded generator in tests) and any
    /// [`Clock`] ([`StdClock`](crate::StdClock), [`ManualClock`](crate::ManualClock)).
    /// [`Session::with_system_defaults`] picks the OS's for both.
    #[must_use]
    pub fn new(
        config: SessionConfig,
        identity: Arc<DsaSigningKey>,
        our_tag: InstanceTag,
        rng: impl CryptoRng + Send + 'static,
        clock: impl Clock + 'static,
    ) -> Self {
        Self {
            contexts: Contexts::new(),
            core: SessionCore::new(config, identity, our_tag, Box::new(rng), Box::new(clock)),
        }
    }

    /// A new conversation with the operating system's randomness
    /// ([`OsRandom`](crate::OsRandom)) and monotonic clock
    /// ([`StdClock`](crate::StdClock), epoch now).
    ///
    /// # Errors
    /// [`RandomnessUnavailable`](crate::RandomnessUnavailable) when the OS
    /// gives no randomness.
    #[cfg(all(
        feature = "getrandom",
        not(all(target_arch = "wasm32", target_os = "unknown"))
    ))]
    pub fn with_system_defaults(
        config: SessionConfig,
        identity: Arc<DsaSigningKey>,
        our_tag: InstanceTag,
    ) -> Result<Self, crate::RandomnessUnavailable> {
        Ok(Self::new(
            config,
            identity,
            our_tag,
            crate::OsRandom::new()?,
            crate::StdClock::new(),
        ))
    }

    // ---- getters -----------------------------------------------------------

    /// Our instance tag.
    #[must_use]
    pub fn our_instance_tag(&self) -> InstanceTag {
        self.core.our_tag
    }

    /// Our fingerprint.
    #[must_use]
    pub fn our_fingerprint(&self) -> Fingerprint {
        self.core.identity.verifying_key().fingerprint()
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &SessionConfig {
        &self.core.config
    }

    /// Fingerprints seen for this buddy, with their trust.
    #[must_use]
    pub fn known_fingerprints(&self) -> &KnownFingerprints {
        &self.core.known
    }

    /// The stored SMP secret (GetSMPUserSecret).
    #[must_use]
    pub fn smp_secret(&self) -> Option<&[u8]> {
        self.core.smp_secret.as_deref().map(Vec::as_slice)
    }

    /// How many messages are held waiting for a private conversation.
    #[must_use]
    pub fn held_message_count(&self) -> usize {
        self.core.held.len()
    }

    /// The state of every instance (the master first).
    #[must_use]
    pub fn instances(&self) -> Vec<InstanceState> {
        self.contexts
            .iter()
            .map(|ctx| self.instance_state(ctx))
            .collect()
    }

    /// The state of the best instance (the one a send without an explicit
    /// instance goes to).
    #[must_use]
    pub fn best_instance(&self) -> InstanceState {
        self.instance_state(self.contexts.get(self.best_target()))
    }

    fn instance_state(&self, ctx: &Context) -> InstanceState {
        let (version, ssid, first_half_bold, fingerprint, smp) = match ctx.privacy() {
            Privacy::Encrypted(e) => (
                Some(e.version),
                Some(e.ssid),
                Some(e.first_half_bold),
                Some(e.fingerprint),
                Some(e.smp.state_name().as_str()),
            ),
            Privacy::Finished(v) => (Some(*v), None, None, None, None),
            Privacy::Plaintext => (None, None, None, None, None),
        };
        InstanceState {
            instance: ctx.their_tag,
            our_instance: self.core.our_tag,
            message_state: ctx.message_state(),
            version,
            ssid,
            first_half_bold,
            fingerprint,
            trust: fingerprint.and_then(|f| self.core.known.get(&f).cloned()),
            auth_state: ctx.auth_state(),
            smp_state: smp,
            smp_awaiting_answer: ctx
                .encrypted_ref()
                .is_some_and(|e| e.smp.is_awaiting_answer()),
        }
    }

    fn best_target(&self) -> Target {
        self.contexts.best(&self.core.known)
    }

    /// The target of a call naming `instance`, or the best one.
    fn target(&self, instance: Option<InstanceTag>) -> Target {
        instance.map_or_else(|| self.best_target(), Target::Child)
    }

    // ---- settings ----------------------------------------------------------

    /// Replaces the configuration (policy, sizes, limits) of a live session.
    ///
    /// # Errors
    /// [`SessionError::MaxMessageSizeTooSmall`] for a maximum message size
    /// (or SMP message size) of 1..=37.
    pub fn set_config(&mut self, config: SessionConfig) -> Result<(), SessionError> {
        check_message_size(config.max_message_size)?;
        check_message_size(config.smp_max_message_size)?;
        self.core.config = config;
        Ok(())
    }

    /// Changes the policy.
    pub fn set_policy(&mut self, policy: Policy) {
        self.core.config.policy = policy;
    }

    /// Changes the maximum message size (0 = never fragment).
    ///
    /// # Errors
    /// [`SessionError::MaxMessageSizeTooSmall`] for 1..=37.
    pub fn set_max_message_size(&mut self, size: usize) -> Result<(), SessionError> {
        check_message_size(size)?;
        self.core.config.max_message_size = size;
        Ok(())
    }

    /// Records a known fingerprint and its trust (e.g. loaded from libotr's
    /// file); `trust` is a [`Trust`] or a libotr trust string (`"verified"`,
    /// `""`).
    pub fn set_trust(&mut self, fingerprint: Fingerprint, trust: impl Into<Trust>) {
        self.core.known.set(fingerprint, trust.into());
    }

    /// Stores a secret for SMP (the C# library's SetSMPUserSecret).
    pub fn set_smp_secret(&mut self, secret: Option<&[u8]>) {
        self.core.smp_secret = secret.map(|s| Zeroizing::new(s.to_vec()));
    }

    // ---- input -------------------------------------------------------------

    /// Handles one message received from the buddy.
    #[must_use = "the actions must be carried out"]
    pub fn handle_input(&mut self, input: &[u8]) -> Vec<Action> {
        let Self { contexts, core } = self;
        core.begin();
        if (core.config.policy.bits() & 0x06) == 0 {
            core.output.deliver(
                None,
                ReceivedMessage {
                    text: input.to_vec(),
                    tlvs: Vec::new(),
                    encrypted: false,
                    revealed_mac_keys: Vec::new(),
                },
            );
        } else {
            let allowed = core.allowed_versions();
            receive::receive(core, contexts, input, allowed, 0);
        }
        core.output.take()
    }

    // ---- commands ----------------------------------------------------------

    /// Sends a user message to the best instance.
    ///
    /// # Errors
    /// Host misuse only (NUL in the text, too many held messages).
    pub fn send_message(&mut self, text: &[u8]) -> Result<Vec<Action>, SessionError> {
        self.send_message_with(text, &SendOptions::default())
    }

    /// Sends a user message with options (instance, TLVs, padding).
    ///
    /// # Errors
    /// Host misuse only (NUL in the text, unknown instance, too many held
    /// messages, TLVs too large).
    pub fn send_message_with(
        &mut self,
        text: &[u8],
        options: &SendOptions,
    ) -> Result<Vec<Action>, SessionError> {
        if memchr::memchr(0, text).is_some() {
            return Err(SessionError::NulInMessage);
        }
        if (self.core.config.policy.bits() & 0x06) == 0 {
            return Ok(vec![Action::Send {
                instance: None,
                message: text.to_vec(),
            }]);
        }
        if let Some(tag) = options.instance
            && !self.contexts.children.contains_key(&tag)
        {
            return Err(SessionError::UnknownInstance(tag.get()));
        }
        let target = self.target(options.instance);
        let Self { contexts, core } = self;
        core.begin();
        let allowed = core.allowed_versions();
        let ctx = contexts.get_mut(target)?;
        let mut tlvs = options.tlvs.clone();
        if options.padding > 0 {
            let mut pad = vec![0u8; options.padding.min(65535)];
            core.rng.fill_bytes(&mut pad);
            tlvs.push((tlv_type::PADDING, pad));
        }
        match ctx.message_state() {
            MessageState::Encrypted => {
                let payload = encode_payload(text, &tlvs)?;
                data_out::send_encrypted(core, ctx, payload, DataFlags::NONE, true);
            }
            MessageState::Finished => core.event(ctx.their_tag, Event::ConnectionEnded),
            MessageState::Plaintext => {
                if core.config.policy.contains(Policy::REQUIRE_ENCRYPTION) {
                    if core.held.len() >= core.config.max_held_messages {
                        return Err(SessionError::TooManyHeld(core.held.len()));
                    }
                    core.held.push(text, core.now);
                    core.event(ctx.their_tag, Event::EncryptionRequired);
                    if !core.held.query_sent {
                        core.held.query_sent = true;
                        let q = query_message(allowed, &core.config.account_name);
                        let size = core.config.max_message_size;
                        core.send(ctx, q, size, true);
                    }
                } else {
                    let mut message = text.to_vec();
                    let tagged = core.config.policy.contains(Policy::SEND_WHITESPACE_TAG)
                        && core.offer != Offer::Rejected;
                    if tagged {
                        message.extend(whitespace::tag(&versions_of(allowed)));
                        if core.offer == Offer::NotSent {
                            core.offer = Offer::Sent;
                        }
                    }
                    let size = core.config.max_message_size;
                    core.send(ctx, message, size, tagged);
                }
            }
        }
        Ok(core.output.take())
    }

    /// Sends an OTR query (the user asks for a private conversation).
    #[must_use = "the actions must be carried out"]
    pub fn send_query(&mut self) -> Vec<Action> {
        let Self { contexts, core } = self;
        let allowed = core.allowed_versions();
        if !allowed.offers_any_spoken() {
            return Vec::new();
        }
        core.begin();
        let q = query_message(allowed, &core.config.account_name);
        let size = core.config.max_message_size;
        core.send(&mut contexts.master, q, size, true);
        core.output.take()
    }

    /// Ends the private conversation with every instance of the buddy.
    #[must_use = "the actions must be carried out"]
    pub fn end(&mut self) -> Vec<Action> {
        let Self { contexts, core } = self;
        core.begin();
        for ctx in contexts.iter_mut() {
            data_out::end(core, ctx);
        }
        core.output.take()
    }

    /// Ends the private conversation with one instance of the buddy (sends
    /// it the DISCONNECTED TLV when private); the other instances stay as
    /// they are. A conversation of several clients of one buddy can so be
    /// closed on one of them.
    ///
    /// # Errors
    /// [`SessionError::UnknownInstance`] when the buddy has no such instance.
    #[must_use = "the actions must be carried out"]
    pub fn end_instance(&mut self, instance: InstanceTag) -> Result<Vec<Action>, SessionError> {
        let Self { contexts, core } = self;
        core.begin();
        let ctx = contexts.get_mut(Target::Child(instance))?;
        data_out::end(core, ctx);
        Ok(core.output.take())
    }

    /// Uses the extra symmetric key with the best (or given) instance: sends
    /// TLV 8 and returns the key, the same one the buddy will derive.
    ///
    /// # Errors
    /// [`SessionError::NotPrivate`] when the instance is not ENCRYPTED.
    pub fn extra_symmetric_key(
        &mut self,
        instance: Option<InstanceTag>,
        use_id: u32,
        use_data: &[u8],
    ) -> Result<(ExtraKey, Vec<Action>), SessionError> {
        let target = self.target(instance);
        let Self { contexts, core } = self;
        core.begin();
        let ctx = contexts.get_mut(target)?;
        let key = ctx
            .encrypted()
            .and_then(|e| e.ratchet.sending_extra_key())
            .ok_or(SessionError::NotPrivate)?;
        let mut value = use_id.to_be_bytes().to_vec();
        value.extend_from_slice(use_data);
        let payload = encode_payload(b"", &[(tlv_type::EXTRA_SYMMETRIC_KEY, value)])?;
        data_out::send_encrypted(
            core,
            ctx,
            payload,
            DataFlags(DataFlags::IGNORE_UNREADABLE),
            false,
        );
        Ok((ExtraKey(key), core.output.take()))
    }

    /// Starts the Socialist Millionaires' Protocol with the best (or given)
    /// instance: both users enter the same `secret` to authenticate each other.
    ///
    /// # Errors
    /// [`SessionError::NotPrivate`] when the instance is not ENCRYPTED.
    pub fn start_smp(
        &mut self,
        instance: Option<InstanceTag>,
        secret: &[u8],
    ) -> Result<Vec<Action>, SessionError> {
        self.smp_action(instance, SmpCall::Start { question: None }, secret)
    }

    /// Starts SMP with a question the buddy sees (TLV 7).
    ///
    /// # Errors
    /// [`SessionError::NotPrivate`], or [`SessionError::NulInMessage`] for a
    /// question containing NUL.
    pub fn start_smp_with_question(
        &mut self,
        instance: Option<InstanceTag>,
        question: &[u8],
        secret: &[u8],
    ) -> Result<Vec<Action>, SessionError> {
        if question.contains(&0) {
            return Err(SessionError::NulInMessage);
        }
        self.smp_action(
            instance,
            SmpCall::Start {
                question: Some(question),
            },
            secret,
        )
    }

    /// Answers the buddy's SMP request with our secret.
    ///
    /// # Errors
    /// [`SessionError::NotPrivate`], or [`SessionError::NoSmpRequest`] when no
    /// request is waiting for an answer.
    pub fn answer_smp(
        &mut self,
        instance: Option<InstanceTag>,
        secret: &[u8],
    ) -> Result<Vec<Action>, SessionError> {
        self.smp_action(instance, SmpCall::Answer, secret)
    }

    /// Aborts SMP (sends TLV 6).
    ///
    /// # Errors
    /// [`SessionError::NotPrivate`] when the instance is not ENCRYPTED.
    pub fn abort_smp(
        &mut self,
        instance: Option<InstanceTag>,
    ) -> Result<Vec<Action>, SessionError> {
        self.smp_action(instance, SmpCall::Abort, b"")
    }

    fn smp_action(
        &mut self,
        instance: Option<InstanceTag>,
        call: SmpCall<'_>,
        secret: &[u8],
    ) -> Result<Vec<Action>, SessionError> {
        let target = self.target(instance);
        let our_fp = *self.our_fingerprint().as_bytes();
        let Self { contexts, core } = self;
        core.begin();
        let ctx = contexts.get_mut(target)?;
        let Some(encrypted) = ctx.encrypted() else {
            return Err(SessionError::NotPrivate);
        };
        let their_fp = *encrypted.fingerprint.as_bytes();
        let ssid = encrypted.ssid.0;
        let output = match call {
            SmpCall::Start { question } => {
                let x = SmpSecret::derive(&our_fp, &their_fp, &ssid, secret);
                match question {
                    None => encrypted.smp.start(&x, &mut *core.rng),
                    Some(q) => encrypted
                        .smp
                        .start_with_question(q, &x, &mut *core.rng)
                        .map_err(|_| SessionError::NulInMessage)?,
                }
            }
            SmpCall::Answer => {
                let x = SmpSecret::derive(&their_fp, &our_fp, &ssid, secret);
                encrypted
                    .smp
                    .respond(&x, &mut *core.rng)
                    .map_err(|_| SessionError::NoSmpRequest)?
            }
            SmpCall::Abort => encrypted.smp.abort(),
        };
        smp::send(core, ctx, output, false);
        Ok(core.output.take())
    }

    /// Sends a heartbeat (an empty, IGNORE_UNREADABLE data message) now.
    ///
    /// # Errors
    /// [`SessionError::NotPrivate`] when the best instance is not ENCRYPTED.
    pub fn send_heartbeat(&mut self) -> Result<Vec<Action>, SessionError> {
        let target = self.best_target();
        let Self { contexts, core } = self;
        core.begin();
        let ctx = contexts.get_mut(target)?;
        if ctx.message_state() != MessageState::Encrypted {
            return Err(SessionError::NotPrivate);
        }
        data_out::send_heartbeat(core, ctx);
        Ok(core.output.take())
    }

    /// Releases messages held back because the conversation is with a key
    /// that is neither trusted nor the last authenticated one.
    #[must_use = "the actions must be carried out"]
    pub fn release_held_messages(&mut self) -> Vec<Action> {
        let target = self.best_target();
        let Self { contexts, core } = self;
        core.begin();
        if let Ok(ctx) = contexts.get_mut(target)
            && ctx.message_state() == MessageState::Encrypted
        {
            exchange_outcome::flush_held(core, ctx);
        }
        core.output.take()
    }

    /// Drops every held message; returns how many there were.
    pub fn drop_held_messages(&mut self) -> usize {
        self.core.held.take_all().len()
    }

    // ---- time --------------------------------------------------------------

    /// When the engine next needs [`Session::handle_timeout`].
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        timers::next(&self.core, &self.contexts)
    }

    /// How long from now (by the session's clock) until the next timer is
    /// due: zero if one is due already, `None` if none is set. For hosts that
    /// sleep for a duration rather than until a timestamp.
    #[must_use]
    pub fn timeout_in(&self) -> Option<Duration> {
        self.poll_timeout()
            .map(|at| at.since(self.core.clock_now()))
    }

    /// Runs the timers due now by the session's clock (see
    /// [`Session::handle_timeout`]).
    #[must_use = "the actions must be carried out"]
    pub fn handle_due_timeouts(&mut self) -> Vec<Action> {
        let now = self.core.clock_now();
        self.handle_timeout(now)
    }

    /// Runs the timers due at `now`. Calling it early does nothing.
    #[must_use = "the actions must be carried out"]
    pub fn handle_timeout(&mut self, now: Timestamp) -> Vec<Action> {
        let Self { contexts, core } = self;
        timers::fire_due(core, contexts, now);
        core.output.take()
    }
}
