//! A conversation with one buddy: the master context and one child context
//! per buddy instance (libotr's routing), driven sans-IO.
//!
//! Every input returns the [`Action`]s it caused, in order: messages for the
//! wire, messages for the user, events. Nothing else leaves the engine.

use std::collections::BTreeMap;
use std::sync::Arc;

use otr_smp::{SmpEngine, SmpEvent, SmpInput, SmpMessageKind, SmpOutput, SmpRole, SmpSecret};
use otr_wire::tlv::tlv_type;
use otr_wire::{
    DataFlags, DataMessage, EncodedMessage, Envelope, Fingerprint, Fragment, Header, InstanceTag,
    MessageBody, MessageType, OfferedVersions, Payload, ProtocolVersion, Query, RawTlv, Tlv,
    classify, fragment, message::peek_header, query, whitespace,
};
use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::action::{Action, ReceivedMessage, ReceivedTlv};
use crate::ake::{AkeEnv, AkeFailure, AkeOutput, AkeSuccess, AuthState};
use crate::clock::{Clock, Timestamp};
use crate::config::SessionConfig;
use crate::context::{Context, Encrypted, MessageState, MsgState};
use crate::error::SessionError;
use crate::event::{Event, ExtraKey, SecureInfo, SetupFailure, SmpProgress, UnreadableReason};
use crate::held::HeldMessages;
use crate::identity::DsaSigningKey;
use crate::policy::Policy;
use crate::ratchet::{DataRejection, Ratchet};
use crate::reassembly::FragmentOutcome;
use crate::state::InstanceState;

mod ake_outcome;
mod data_receive;
mod outgoing;
mod routing;
mod smp_driver;

use outgoing::{encode_payload, error_message, query_message, versions_of};

/// The error texts libotr's applications send (pidgin-otr's strings).
const ERROR_UNREADABLE: &str = "You transmitted an unreadable encrypted message.";
const ERROR_MALFORMED: &str = "You transmitted a malformed data message.";

/// Which context a message belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    Master,
    Child(InstanceTag),
}

impl Target {
    /// The context this target names.
    fn context<'c>(
        self,
        master: &'c mut Context,
        children: &'c mut BTreeMap<InstanceTag, Context>,
    ) -> Result<&'c mut Context, SessionError> {
        match self {
            Self::Master => Ok(master),
            Self::Child(tag) => children
                .get_mut(&tag)
                .ok_or(SessionError::UnknownInstance(tag.get())),
        }
    }
}

/// Whether the buddy has answered our whitespace-tag offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Offer {
    NotSent,
    Sent,
    Rejected,
    Accepted,
}

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
    config: SessionConfig,
    identity: Arc<DsaSigningKey>,
    our_tag: InstanceTag,
    rng: Box<dyn CryptoRng + Send>,
    clock: Box<dyn Clock>,
    master: Context,
    children: BTreeMap<InstanceTag, Context>,
    held: HeldMessages,
    offer: Offer,
    /// Orders what happens in this session (D-H Commits sent, messages
    /// received) where timestamps may tie: each context records the number
    /// of its last commit and its last received message.
    sequence: u64,
    known: BTreeMap<Fingerprint, String>,
    last_authenticated: Option<Fingerprint>,
    smp_secret: Option<Zeroizing<Vec<u8>>>,
}

impl core::fmt::Debug for Session {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Session")
            .field("our_tag", &self.our_tag)
            .field("instances", &self.children.len())
            .finish_non_exhaustive()
    }
}

/// Everything a context handler needs besides the context itself.
struct Env<'a> {
    config: &'a SessionConfig,
    identity: &'a DsaSigningKey,
    our_tag: InstanceTag,
    rng: &'a mut (dyn CryptoRng + Send + 'static),
    now: Timestamp,
    out: &'a mut Vec<Action>,
}

impl Env<'_> {
    fn event(&mut self, instance: Option<InstanceTag>, event: Event) {
        self.out.push(Action::Event { instance, event });
    }

    /// Sends a message from `ctx`, split into fragments when needed.
    fn send(&mut self, ctx: &mut Context, message: Vec<u8>, max_size: usize, fragmentable: bool) {
        ctx.last_sent = Some(self.now);
        if fragmentable && max_size > 0 && message.len() > max_size {
            match fragment::split(&message, &ctx.fragment_header(self.our_tag), max_size) {
                Ok(pieces) => self.out.extend(pieces.into_iter().map(Action::Send)),
                Err(_) => self.event(ctx.their_tag, Event::EncryptionError),
            }
        } else {
            self.out.push(Action::Send(message));
        }
    }

    fn ake(&mut self, header: Header) -> AkeEnv<'_, dyn CryptoRng + Send> {
        AkeEnv {
            our_key: self.identity,
            rng: self.rng,
            header,
        }
    }
}

impl Session {
    /// A new conversation with one buddy.
    ///
    /// `identity` is our long-term key, `our_tag` our instance tag; randomness
    /// and time are injected so the host (and tests) control both.
    #[must_use]
    pub fn new(
        config: SessionConfig,
        identity: Arc<DsaSigningKey>,
        our_tag: InstanceTag,
        rng: Box<dyn CryptoRng + Send>,
        clock: Box<dyn Clock>,
    ) -> Self {
        Self {
            config,
            identity,
            our_tag,
            rng,
            clock,
            master: Context::new(None),
            children: BTreeMap::new(),
            held: HeldMessages::default(),
            offer: Offer::NotSent,
            sequence: 0,
            known: BTreeMap::new(),
            last_authenticated: None,
            smp_secret: None,
        }
    }

    /// Our instance tag.
    #[must_use]
    pub fn our_instance_tag(&self) -> InstanceTag {
        self.our_tag
    }

    /// Our fingerprint.
    #[must_use]
    pub fn our_fingerprint(&self) -> Fingerprint {
        self.identity.verifying_key().fingerprint()
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// Replaces the configuration (policy, sizes, limits) of a live session.
    ///
    /// # Errors
    /// [`SessionError::MaxMessageSizeTooSmall`] for a maximum message size
    /// (or SMP message size) of 1..=37.
    pub fn set_config(&mut self, config: SessionConfig) -> Result<(), SessionError> {
        for size in [config.max_message_size, config.smp_max_message_size] {
            if size != 0 && size <= fragment::V3_OVERHEAD {
                return Err(SessionError::MaxMessageSizeTooSmall(size));
            }
        }
        self.config = config;
        Ok(())
    }

    /// Changes the policy.
    pub fn set_policy(&mut self, policy: Policy) {
        self.config.policy = policy;
    }

    /// Changes the maximum message size (0 = never fragment).
    ///
    /// # Errors
    /// [`SessionError::MaxMessageSizeTooSmall`] for 1..=37.
    pub fn set_max_message_size(&mut self, size: usize) -> Result<(), SessionError> {
        if size != 0 && size <= fragment::V3_OVERHEAD {
            return Err(SessionError::MaxMessageSizeTooSmall(size));
        }
        self.config.max_message_size = size;
        Ok(())
    }

    /// Fingerprints seen for this buddy, with their trust ("" = untrusted).
    #[must_use]
    pub fn known_fingerprints(&self) -> &BTreeMap<Fingerprint, String> {
        &self.known
    }

    /// Records a known fingerprint and its trust (e.g. loaded from libotr's file).
    pub fn set_trust(&mut self, fingerprint: Fingerprint, trust: &str) {
        self.known.insert(fingerprint, trust.to_owned());
    }

    fn allowed_versions(&self) -> OfferedVersions {
        let p = self.config.policy;
        OfferedVersions {
            v1: false,
            v2: p.contains(Policy::ALLOW_V2),
            v3: p.contains(Policy::ALLOW_V3),
        }
    }

    fn split_env(
        &mut self,
    ) -> (
        &mut Context,
        &mut BTreeMap<InstanceTag, Context>,
        EnvParts<'_>,
    ) {
        let now = self.clock.now();
        (
            &mut self.master,
            &mut self.children,
            EnvParts {
                config: &self.config,
                identity: &self.identity,
                our_tag: self.our_tag,
                rng: &mut *self.rng,
                now,
                held: &mut self.held,
                known: &mut self.known,
                last_authenticated: &mut self.last_authenticated,
                offer: &mut self.offer,
                sequence: &mut self.sequence,
            },
        )
    }

    /// Handles one message received from the buddy.
    #[must_use = "the actions must be carried out"]
    pub fn handle_input(&mut self, input: &[u8]) -> Vec<Action> {
        let mut out = Vec::new();
        if (self.config.policy.bits() & 0x06) == 0 {
            out.push(Action::Deliver {
                instance: None,
                message: ReceivedMessage {
                    text: input.to_vec(),
                    tlvs: Vec::new(),
                    encrypted: false,
                    revealed_mac_keys: Vec::new(),
                },
            });
            return out;
        }
        let allowed = self.allowed_versions();
        let (master, children, mut parts) = self.split_env();
        parts.receive(master, children, input, allowed, &mut out, 0);
        out
    }

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
        if (self.config.policy.bits() & 0x06) == 0 {
            return Ok(vec![Action::Send(text.to_vec())]);
        }
        let target = match options.instance {
            Some(tag) => {
                if !self.children.contains_key(&tag) {
                    return Err(SessionError::UnknownInstance(tag.get()));
                }
                Target::Child(tag)
            }
            None => self.best_target(),
        };
        let mut out = Vec::new();
        let allowed = self.allowed_versions();
        let (master, children, mut parts) = self.split_env();
        let ctx = target.context(master, children)?;
        let mut tlvs = options.tlvs.clone();
        if options.padding > 0 {
            let mut pad = vec![0u8; options.padding.min(65535)];
            parts.rng.fill_bytes(&mut pad);
            tlvs.push((tlv_type::PADDING, pad));
        }
        match ctx.msg.name() {
            MessageState::Encrypted => {
                let payload = encode_payload(text, &tlvs)?;
                parts.send_encrypted(ctx, &payload, DataFlags::NONE, true, &mut out);
            }
            MessageState::Finished => {
                out.push(Action::Event {
                    instance: ctx.their_tag,
                    event: Event::ConnectionEnded,
                });
            }
            MessageState::Plaintext => {
                if parts.config.policy.contains(Policy::REQUIRE_ENCRYPTION) {
                    if parts.held.len() >= parts.config.max_held_messages {
                        return Err(SessionError::TooManyHeld(parts.held.len()));
                    }
                    parts.held.push(text, parts.now);
                    out.push(Action::Event {
                        instance: ctx.their_tag,
                        event: Event::EncryptionRequired,
                    });
                    if !parts.held.query_sent {
                        parts.held.query_sent = true;
                        let q = query_message(allowed, &parts.config.account_name);
                        let mut env = parts.env(&mut out);
                        let size = env.config.max_message_size;
                        env.send(ctx, q, size, true);
                    }
                } else {
                    let mut message = text.to_vec();
                    let policy = parts.config.policy;
                    let tagged = policy.contains(Policy::SEND_WHITESPACE_TAG)
                        && *parts.offer != Offer::Rejected;
                    if tagged {
                        message.extend(whitespace::tag(&versions_of(allowed)));
                        if *parts.offer == Offer::NotSent {
                            *parts.offer = Offer::Sent;
                        }
                    }
                    let mut env = parts.env(&mut out);
                    let size = env.config.max_message_size;
                    env.send(ctx, message, size, tagged);
                }
            }
        }
        Ok(out)
    }

    /// Sends an OTR query (the user asks for a private conversation).
    #[must_use = "the actions must be carried out"]
    pub fn send_query(&mut self) -> Vec<Action> {
        let allowed = self.allowed_versions();
        let mut out = Vec::new();
        if !allowed.offers_any_spoken() {
            return out;
        }
        let q = query_message(allowed, &self.config.account_name);
        let (master, _, mut parts) = self.split_env();
        let mut env = parts.env(&mut out);
        let size = env.config.max_message_size;
        env.send(master, q, size, true);
        out
    }

    /// Ends the private conversation with every instance of the buddy.
    #[must_use = "the actions must be carried out"]
    pub fn end(&mut self) -> Vec<Action> {
        let mut out = Vec::new();
        let (master, children, mut parts) = self.split_env();
        for ctx in core::iter::once(master).chain(children.values_mut()) {
            parts.end_context(ctx, &mut out);
        }
        out
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
        let target = match instance {
            Some(tag) => Target::Child(tag),
            None => self.best_target(),
        };
        let mut out = Vec::new();
        let (master, children, mut parts) = self.split_env();
        let ctx = target.context(master, children)?;
        let key = ctx
            .encrypted()
            .and_then(|e| e.ratchet.sending_extra_key())
            .ok_or(SessionError::NotPrivate)?;
        let mut value = use_id.to_be_bytes().to_vec();
        value.extend_from_slice(use_data);
        let payload = encode_payload(b"", &[(tlv_type::EXTRA_SYMMETRIC_KEY, value)])?;
        parts.send_encrypted(
            ctx,
            &payload,
            DataFlags(DataFlags::IGNORE_UNREADABLE),
            false,
            &mut out,
        );
        Ok((ExtraKey(key), out))
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

    /// Stores a secret for SMP (the C# library's SetSMPUserSecret).
    pub fn set_smp_secret(&mut self, secret: Option<&[u8]>) {
        self.smp_secret = secret.map(|s| Zeroizing::new(s.to_vec()));
    }

    /// The stored SMP secret (GetSMPUserSecret).
    #[must_use]
    pub fn smp_secret(&self) -> Option<&[u8]> {
        self.smp_secret.as_deref().map(Vec::as_slice)
    }

    fn smp_action(
        &mut self,
        instance: Option<InstanceTag>,
        call: SmpCall<'_>,
        secret: &[u8],
    ) -> Result<Vec<Action>, SessionError> {
        let target = match instance {
            Some(tag) => Target::Child(tag),
            None => self.best_target(),
        };
        let our_fp = *self.identity.verifying_key().fingerprint().as_bytes();
        let mut out = Vec::new();
        let (master, children, mut parts) = self.split_env();
        let ctx = target.context(master, children)?;
        let Some(encrypted) = ctx.encrypted() else {
            return Err(SessionError::NotPrivate);
        };
        let their_fp = *encrypted.fingerprint.as_bytes();
        let ssid = encrypted.ssid.0;
        let output = match call {
            SmpCall::Start { question } => {
                let x = SmpSecret::derive(&our_fp, &their_fp, &ssid, secret);
                match question {
                    None => encrypted.smp.start(&x, &mut *parts.rng),
                    Some(q) => encrypted
                        .smp
                        .start_with_question(q, &x, &mut *parts.rng)
                        .map_err(|_| SessionError::NulInMessage)?,
                }
            }
            SmpCall::Answer => {
                let x = SmpSecret::derive(&their_fp, &our_fp, &ssid, secret);
                encrypted
                    .smp
                    .respond(&x, &mut *parts.rng)
                    .map_err(|_| SessionError::NoSmpRequest)?
            }
            SmpCall::Abort => encrypted.smp.abort(),
        };
        parts.send_smp(ctx, output, false, &mut out);
        Ok(out)
    }

    /// Sends a heartbeat (an empty, IGNORE_UNREADABLE data message) now.
    ///
    /// # Errors
    /// [`SessionError::NotPrivate`] when the best instance is not ENCRYPTED.
    pub fn send_heartbeat(&mut self) -> Result<Vec<Action>, SessionError> {
        let target = self.best_target();
        let mut out = Vec::new();
        let (master, children, mut parts) = self.split_env();
        let ctx = target.context(master, children)?;
        if ctx.msg.name() != MessageState::Encrypted {
            return Err(SessionError::NotPrivate);
        }
        parts.send_heartbeat(ctx, &mut out);
        Ok(out)
    }

    /// Releases messages held back because the conversation is with a key
    /// that is neither trusted nor the last authenticated one.
    #[must_use = "the actions must be carried out"]
    pub fn release_held_messages(&mut self) -> Vec<Action> {
        let target = self.best_target();
        let mut out = Vec::new();
        let (master, children, mut parts) = self.split_env();
        let Ok(ctx) = target.context(master, children) else {
            return out;
        };
        if ctx.msg.name() == MessageState::Encrypted {
            parts.flush_held(ctx, &mut out);
        }
        out
    }

    /// Drops every held message; returns how many there were.
    pub fn drop_held_messages(&mut self) -> usize {
        self.held.take_all().len()
    }

    /// How many messages are held waiting for a private conversation.
    #[must_use]
    pub fn held_message_count(&self) -> usize {
        self.held.len()
    }

    /// When the engine next needs [`Session::handle_timeout`].
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        let c = &self.config;
        let mut deadlines = vec![
            self.held.deadline(c.held_message_lifetime),
            self.master.reassembly.deadline(c.fragment_lifetime),
            self.master_commit_deadline(),
        ];
        deadlines.extend(
            self.children
                .values()
                .map(|ctx| ctx.reassembly.deadline(c.fragment_lifetime)),
        );
        deadlines.into_iter().flatten().min()
    }

    fn master_commit_deadline(&self) -> Option<Timestamp> {
        self.master.auth.pending_commit()?;
        self.master
            .auth_started
            .map(|t| t.after(self.config.master_commit_lifetime))
    }

    /// Runs the timers due at `now`. Calling it early does nothing.
    #[must_use = "the actions must be carried out"]
    pub fn handle_timeout(&mut self, now: Timestamp) -> Vec<Action> {
        let mut out = Vec::new();
        let c = &self.config;
        let expired = self.held.expire(now, c.held_message_lifetime);
        if expired > 0 {
            out.push(Action::Event {
                instance: None,
                event: Event::HeldMessagesExpired { count: expired },
            });
        }
        self.master.reassembly.expire(now, c.fragment_lifetime);
        for ctx in self.children.values_mut() {
            ctx.reassembly.expire(now, c.fragment_lifetime);
        }
        if self.master_commit_deadline().is_some_and(|d| d <= now) {
            self.master.auth = AuthState::None;
            self.master.auth_started = None;
        }
        out
    }

    /// The state of every instance (the master first).
    #[must_use]
    pub fn instances(&self) -> Vec<InstanceState> {
        core::iter::once(&self.master)
            .chain(self.children.values())
            .map(|ctx| self.instance_state(ctx))
            .collect()
    }

    /// The state of the best instance (the one a send without an explicit
    /// instance goes to).
    #[must_use]
    pub fn best_instance(&self) -> InstanceState {
        match self.best_target() {
            Target::Child(tag) => self.children.get(&tag).map_or_else(
                || self.instance_state(&self.master),
                |c| self.instance_state(c),
            ),
            Target::Master => self.instance_state(&self.master),
        }
    }

    fn instance_state(&self, ctx: &Context) -> InstanceState {
        let (version, ssid, first_half_bold, fingerprint, smp) = match &ctx.msg {
            MsgState::Encrypted(e) => (
                Some(e.version),
                Some(e.ssid),
                Some(e.first_half_bold),
                Some(e.fingerprint),
                Some(e.smp.state_name().as_str()),
            ),
            MsgState::Finished(v) => (Some(*v), None, None, None, None),
            MsgState::Plaintext => (None, None, None, None, None),
        };
        InstanceState {
            instance: ctx.their_tag,
            our_instance: self.our_tag,
            message_state: ctx.msg.name(),
            version,
            ssid,
            first_half_bold,
            fingerprint,
            trust: fingerprint.and_then(|f| self.known.get(&f).cloned()),
            auth_state: ctx.auth_name(),
            smp_state: smp,
            smp_awaiting_answer: match &ctx.msg {
                MsgState::Encrypted(e) => e.smp.is_awaiting_answer(),
                _ => false,
            },
        }
    }

    /// libotr's BEST ranking: ENCRYPTED > FINISHED > PLAINTEXT, then a
    /// trusted fingerprint, then the most recently heard from.
    fn best_target(&self) -> Target {
        let rank = |ctx: &Context| {
            let state = match ctx.msg.name() {
                MessageState::Encrypted => 2,
                MessageState::Finished => 1,
                _ => 0,
            };
            let trusted = match &ctx.msg {
                MsgState::Encrypted(e) => self
                    .known
                    .get(&e.fingerprint)
                    .is_some_and(|t| !t.is_empty()),
                _ => false,
            };
            (state, trusted, ctx.last_received_number)
        };
        let mut best = (Target::Master, rank(&self.master));
        for (tag, ctx) in &self.children {
            let r = rank(ctx);
            if r > best.1 {
                best = (Target::Child(*tag), r);
            }
        }
        best.0
    }
}

/// The parts of a session a context handler borrows alongside the contexts.
struct EnvParts<'a> {
    config: &'a SessionConfig,
    identity: &'a DsaSigningKey,
    our_tag: InstanceTag,
    rng: &'a mut (dyn CryptoRng + Send + 'static),
    now: Timestamp,
    held: &'a mut HeldMessages,
    known: &'a mut BTreeMap<Fingerprint, String>,
    last_authenticated: &'a mut Option<Fingerprint>,
    offer: &'a mut Offer,
    sequence: &'a mut u64,
}

impl EnvParts<'_> {
    /// The next number in the session's order of events (1, 2, …).
    fn next_sequence_number(&mut self) -> u64 {
        *self.sequence = self.sequence.saturating_add(1);
        *self.sequence
    }

    fn env<'b>(&'b mut self, out: &'b mut Vec<Action>) -> Env<'b> {
        Env {
            config: self.config,
            identity: self.identity,
            our_tag: self.our_tag,
            rng: &mut *self.rng,
            now: self.now,
            out,
        }
    }
}
