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

/// The error texts libotr's applications send (pidgin-otr's strings).
const ERROR_UNREADABLE: &str = "You transmitted an unreadable encrypted message.";
const ERROR_MALFORMED: &str = "You transmitted a malformed data message.";

/// Which context a message belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    Master,
    Child(InstanceTag),
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
        if text.contains(&0) {
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
        let ctx = match target {
            Target::Master => master,
            Target::Child(tag) => match children.get_mut(&tag) {
                Some(c) => c,
                None => return Err(SessionError::UnknownInstance(tag.get())),
            },
        };
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
        let ctx = match target {
            Target::Master => master,
            Target::Child(tag) => children
                .get_mut(&tag)
                .ok_or(SessionError::UnknownInstance(tag.get()))?,
        };
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
        let ctx = match target {
            Target::Master => master,
            Target::Child(tag) => children
                .get_mut(&tag)
                .ok_or(SessionError::UnknownInstance(tag.get()))?,
        };
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
        let ctx = match target {
            Target::Master => master,
            Target::Child(tag) => children
                .get_mut(&tag)
                .ok_or(SessionError::UnknownInstance(tag.get()))?,
        };
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
        let ctx = match target {
            Target::Master => master,
            Target::Child(tag) => match children.get_mut(&tag) {
                Some(c) => c,
                None => return out,
            },
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
            (state, trusted, ctx.last_received)
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
}

impl EnvParts<'_> {
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

    fn receive(
        &mut self,
        master: &mut Context,
        children: &mut BTreeMap<InstanceTag, Context>,
        input: &[u8],
        allowed: OfferedVersions,
        out: &mut Vec<Action>,
        depth: u8,
    ) {
        let envelope = match classify(input) {
            Ok(e) => e,
            Err(
                otr_wire::DecodeError::MissingTerminator | otr_wire::DecodeError::InvalidBase64,
            ) => {
                out.push(Action::Event {
                    instance: None,
                    event: Event::ReceivedMalformed,
                });
                return;
            }
            // An invalid fragment is swallowed (libotr); the stored state is kept.
            Err(_) => return,
        };
        if !matches!(envelope, Envelope::Plaintext { .. }) && *self.offer != Offer::NotSent {
            *self.offer = Offer::Accepted;
        }
        match envelope {
            Envelope::Fragment(f) => {
                if depth > 0 {
                    return; // a fragment cannot carry a fragment
                }
                self.receive_fragment(master, children, &f, allowed, out);
            }
            Envelope::Encoded(bytes) => {
                self.receive_encoded(master, children, &bytes, allowed, out)
            }
            Envelope::Query(q) => self.receive_query(master, &q, allowed, out),
            Envelope::Error(text) => {
                out.push(Action::Event {
                    instance: None,
                    event: Event::PeerError(text.to_vec()),
                });
                if self.config.policy.contains(Policy::ERROR_START_AKE)
                    && allowed.offers_any_spoken()
                {
                    // Only a query: never resend anything (decision 4). Not fragmented.
                    let q = query_message(allowed, &self.config.account_name);
                    let mut env = self.env(out);
                    env.send(master, q, 0, false);
                }
            }
            Envelope::Plaintext {
                text,
                whitespace_tag,
            } => {
                if whitespace_tag.is_none() && *self.offer == Offer::Sent {
                    *self.offer = Offer::Rejected;
                }
                if let Some(offered) = whitespace_tag
                    && self.config.policy.contains(Policy::WHITESPACE_START_AKE)
                    && let Some(version) = offered.best_common(&allowed)
                {
                    self.start_ake(master, version, out);
                }
                let private = core::iter::once(&*master)
                    .chain(children.values())
                    .any(|c| c.msg.name() != MessageState::Plaintext);
                if private || self.config.policy.contains(Policy::REQUIRE_ENCRYPTION) {
                    out.push(Action::Event {
                        instance: None,
                        event: Event::ReceivedUnencrypted(text.into_owned()),
                    });
                } else {
                    out.push(Action::Deliver {
                        instance: None,
                        message: ReceivedMessage {
                            text: text.into_owned(),
                            tlvs: Vec::new(),
                            encrypted: false,
                            revealed_mac_keys: Vec::new(),
                        },
                    });
                }
            }
            _ => {}
        }
    }

    fn receive_fragment(
        &mut self,
        master: &mut Context,
        children: &mut BTreeMap<InstanceTag, Context>,
        f: &Fragment<'_>,
        allowed: OfferedVersions,
        out: &mut Vec<Action>,
    ) {
        let ctx = match f.header {
            Header::V3 { sender, receiver } => {
                if sender == self.our_tag {
                    out.push(Action::Event {
                        instance: Some(sender),
                        event: Event::MessageReflected,
                    });
                    return;
                }
                if receiver.is_some_and(|r| r != self.our_tag) {
                    out.push(Action::Event {
                        instance: Some(sender),
                        event: Event::ReceivedForOtherInstance,
                    });
                    return;
                }
                match self.child(children, sender) {
                    Some(c) => c,
                    None => return,
                }
            }
            _ => master,
        };
        match ctx
            .reassembly
            .accept(f, self.now, self.config.max_reassembly_size)
        {
            FragmentOutcome::Complete(whole) => {
                self.receive(master, children, &whole, allowed, out, 1);
            }
            FragmentOutcome::LimitExceeded => out.push(Action::Event {
                instance: f.header.sender(),
                event: Event::FragmentLimitExceeded,
            }),
            FragmentOutcome::Incomplete | FragmentOutcome::Discarded => {}
        }
    }

    /// The child context for `tag`, created if there is room.
    fn child<'c>(
        &mut self,
        children: &'c mut BTreeMap<InstanceTag, Context>,
        tag: InstanceTag,
    ) -> Option<&'c mut Context> {
        if !children.contains_key(&tag) {
            if children.len() >= self.config.max_instances {
                // Evict the least recently heard-from instance that is not private.
                let victim = children
                    .iter()
                    .filter(|(_, c)| c.msg.name() == MessageState::Plaintext)
                    .min_by_key(|(_, c)| c.last_received)
                    .map(|(t, _)| *t)?;
                children.remove(&victim);
            }
            children.insert(tag, Context::new(Some(tag)));
        }
        children.get_mut(&tag)
    }

    fn receive_query(
        &mut self,
        master: &mut Context,
        q: &Query<'_>,
        allowed: OfferedVersions,
        out: &mut Vec<Action>,
    ) {
        if let Some(version) = q.versions.best_common(&allowed) {
            self.start_ake(master, version, out);
        }
    }

    fn start_ake(&mut self, master: &mut Context, version: ProtocolVersion, out: &mut Vec<Action>) {
        let header = match version {
            ProtocolVersion::V2 => Header::V2,
            _ => Header::V3 {
                sender: self.our_tag,
                receiver: None,
            },
        };
        let mut env = self.env(out);
        let commit = master.auth.start(env.ake(header));
        master.auth_started = Some(env.now);
        let size = env.config.max_message_size;
        env.send(master, commit, size, true);
    }

    #[allow(clippy::too_many_lines)]
    fn receive_encoded(
        &mut self,
        master: &mut Context,
        children: &mut BTreeMap<InstanceTag, Context>,
        bytes: &[u8],
        allowed: OfferedVersions,
        out: &mut Vec<Action>,
    ) {
        let (header, message_type, flags) = match peek_header(bytes) {
            Ok(h) => h,
            Err(
                otr_wire::DecodeError::UnsupportedVersion(_)
                | otr_wire::DecodeError::UnknownMessageType(_),
            ) => {
                out.push(Action::Event {
                    instance: None,
                    event: Event::ReceivedUnrecognized,
                });
                return;
            }
            Err(_) => {
                out.push(Action::Event {
                    instance: None,
                    event: Event::ReceivedMalformed,
                });
                return;
            }
        };
        let version = header.version();
        debug_log!(
            "received {:?} v{} from {:?}",
            message_type,
            version,
            header.sender()
        );
        if !allowed.contains(version) {
            debug_log!("version {} not allowed by the policy: ignored", version);
            return;
        }
        let ignore_unreadable = flags.is_some_and(DataFlags::ignore_unreadable);
        // A new instance answering (or colliding with) the master's pending
        // commit continues that exchange.
        let master_commit = match (header, message_type) {
            (Header::V3 { .. }, MessageType::DhCommit | MessageType::DhKey) => {
                master.auth.copy_pending_commit(version)
            }
            _ => None,
        };
        // Route.
        let target = match header {
            Header::V3 { sender, receiver } => {
                if sender == self.our_tag {
                    out.push(Action::Event {
                        instance: Some(sender),
                        event: Event::MessageReflected,
                    });
                    return;
                }
                let addressed_to_us = receiver == Some(self.our_tag)
                    || (receiver.is_none() && message_type == MessageType::DhCommit);
                if !addressed_to_us {
                    if !ignore_unreadable {
                        out.push(Action::Event {
                            instance: Some(sender),
                            event: Event::ReceivedForOtherInstance,
                        });
                    }
                    return;
                }
                Target::Child(sender)
            }
            _ => Target::Master,
        };
        let ctx: &mut Context = match target {
            Target::Master => master,
            Target::Child(tag) => {
                let creates = matches!(message_type, MessageType::DhCommit | MessageType::DhKey);
                if !children.contains_key(&tag) && !creates {
                    if message_type == MessageType::Data && !ignore_unreadable {
                        out.push(Action::Event {
                            instance: Some(tag),
                            event: Event::ReceivedNotInPrivate,
                        });
                    }
                    return;
                }
                match self.child(children, tag) {
                    Some(c) => c,
                    None => return,
                }
            }
        };
        let decoded = match EncodedMessage::decode(bytes) {
            Ok(d) => d,
            Err(_) => {
                out.push(Action::Event {
                    instance: ctx.their_tag,
                    event: Event::ReceivedMalformed,
                });
                if message_type == MessageType::Data
                    && !ignore_unreadable
                    && ctx.msg.name() == MessageState::Encrypted
                {
                    let mut env = self.env(out);
                    env.send(ctx, error_message(ERROR_MALFORMED), 0, false);
                }
                return;
            }
        };
        ctx.last_received = Some(self.now);
        let reply_header = ctx.header(version, self.our_tag);
        let output = match decoded.message.body {
            MessageBody::DhCommit(commit) => {
                // A collision with the master's pending commit counts in every
                // context (decision 7): the child inherits it first.
                if ctx.their_tag.is_some()
                    && matches!(ctx.auth, AuthState::None)
                    && let Some(copy) = master_commit
                {
                    ctx.auth = copy;
                }
                let mut env = self.env(out);
                ctx.auth.handle_commit(env.ake(reply_header), &commit)
            }
            MessageBody::DhKey(key) => {
                if ctx.their_tag.is_some()
                    && ctx.auth.pending_commit().is_none()
                    && let Some(copy) = master_commit
                {
                    ctx.auth = copy;
                }
                let mut env = self.env(out);
                ctx.auth.handle_dh_key(env.ake(reply_header), &key)
            }
            MessageBody::RevealSignature(m) => {
                let mut env = self.env(out);
                ctx.auth
                    .handle_reveal_signature(env.ake(reply_header), &m, decoded.authenticated)
            }
            MessageBody::Signature(m) => {
                ctx.auth
                    .handle_signature(version, &m, decoded.authenticated)
            }
            MessageBody::Data(data) => {
                self.receive_data(ctx, &data, decoded.authenticated, out);
                return;
            }
            _ => return,
        };
        self.finish_ake(ctx, output, out);
    }

    fn finish_ake(&mut self, ctx: &mut Context, output: AkeOutput, out: &mut Vec<Action>) {
        debug_log!(
            "AKE with {:?}: now {:?}, reply {}, failure {:?}",
            ctx.their_tag,
            ctx.auth_name(),
            output.reply.is_some(),
            output.failure
        );
        if output.reflected {
            out.push(Action::Event {
                instance: ctx.their_tag,
                event: Event::MessageReflected,
            });
        }
        if let Some(failure) = output.failure {
            out.push(Action::Event {
                instance: ctx.their_tag,
                event: Event::SetupError(match failure {
                    AkeFailure::BadDhValue => SetupFailure::BadDhValue,
                    AkeFailure::CommitMismatch => SetupFailure::CommitMismatch,
                    AkeFailure::BadMac => SetupFailure::BadMac,
                    AkeFailure::BadIdentity => SetupFailure::BadIdentity,
                    AkeFailure::BadSignature => SetupFailure::BadSignature,
                }),
            });
        }
        if let Some(reply) = output.reply {
            let mut env = self.env(out);
            let size = env.config.max_message_size;
            env.send(ctx, reply, size, true);
        }
        if let Some(success) = output.success {
            self.go_encrypted(ctx, *success, out);
        }
    }

    fn go_encrypted(&mut self, ctx: &mut Context, success: AkeSuccess, out: &mut Vec<Action>) {
        let fingerprint = success.their_key.fingerprint();
        let first_contact = self.known.is_empty();
        let new_fingerprint = !self.known.contains_key(&fingerprint);
        if new_fingerprint {
            self.known.insert(fingerprint, String::new());
            out.push(Action::Event {
                instance: ctx.their_tag,
                event: Event::NewFingerprint(fingerprint),
            });
        }
        let refresh = matches!(&ctx.msg, MsgState::Encrypted(e) if e.fingerprint == fingerprint);
        // A completed re-key aborts an SMP in progress: its secret includes the old SSID.
        let smp_was_running = matches!(&ctx.msg, MsgState::Encrypted(e) if e.smp.is_in_progress() || e.smp.is_awaiting_answer());
        let ratchet = Ratchet::after_ake(
            &mut *self.rng,
            success.our_dh,
            success.our_keyid,
            success.their_keyid,
            success.their_dh,
        );
        let info = SecureInfo {
            fingerprint,
            ssid: success.ssid,
            first_half_bold: success.first_half_bold,
            version: success.version,
            their_instance: ctx.their_tag,
        };
        ctx.msg = MsgState::Encrypted(Box::new(Encrypted {
            version: success.version,
            ratchet,
            ssid: success.ssid,
            first_half_bold: success.first_half_bold,
            fingerprint,
            smp: SmpEngine::new(),
        }));
        debug_log!(
            "private with {:?} (v{}, refresh: {})",
            ctx.their_tag,
            success.version,
            refresh
        );
        out.push(Action::Event {
            instance: ctx.their_tag,
            event: if refresh {
                Event::StillSecure(info)
            } else {
                Event::GoneSecure(info)
            },
        });
        if smp_was_running {
            self.send_smp(ctx, SmpOutput::default(), true, out);
            out.push(Action::Event {
                instance: ctx.their_tag,
                event: Event::Smp(SmpProgress::Aborted),
            });
        }
        let trusted = self.known.get(&fingerprint).is_some_and(|t| !t.is_empty());
        let release = first_contact || trusted || *self.last_authenticated == Some(fingerprint);
        *self.last_authenticated = Some(fingerprint);
        if !self.held.is_empty() {
            if release {
                self.flush_held(ctx, out);
            } else {
                out.push(Action::Event {
                    instance: ctx.their_tag,
                    event: Event::HeldMessagesBlocked {
                        count: self.held.len(),
                        fingerprint,
                    },
                });
            }
        }
    }

    fn flush_held(&mut self, ctx: &mut Context, out: &mut Vec<Action>) {
        let messages = self.held.take_all();
        let count = messages.len();
        for text in messages {
            if let Ok(payload) = Payload::encode(&text, &[]) {
                self.send_encrypted(ctx, &payload, DataFlags::NONE, true, out);
            }
        }
        if count > 0 {
            out.push(Action::Event {
                instance: ctx.their_tag,
                event: Event::HeldMessagesSent { count },
            });
        }
    }

    fn send_encrypted(
        &mut self,
        ctx: &mut Context,
        payload: &[u8],
        flags: DataFlags,
        fragmentable: bool,
        out: &mut Vec<Action>,
    ) {
        let size = if fragmentable {
            self.config.max_message_size
        } else {
            0
        };
        self.send_encrypted_sized(ctx, payload, flags, size, out);
    }

    /// Encrypts and sends a payload, fragmenting to `max_size` (0 = whole).
    fn send_encrypted_sized(
        &mut self,
        ctx: &mut Context,
        payload: &[u8],
        flags: DataFlags,
        max_size: usize,
        out: &mut Vec<Action>,
    ) {
        let our_tag = self.our_tag;
        let Some(encrypted) = ctx.encrypted() else {
            return;
        };
        let header = match encrypted.version {
            ProtocolVersion::V2 => Header::V2,
            _ => Header::V3 {
                sender: our_tag,
                receiver: ctx.their_tag,
            },
        };
        let Some(encrypted) = ctx.encrypted() else {
            return;
        };
        match encrypted.ratchet.encrypt(&header, flags, payload) {
            Some(message) => {
                let mut env = self.env(out);
                env.send(ctx, message, max_size, max_size > 0);
            }
            None => out.push(Action::Event {
                instance: ctx.their_tag,
                event: Event::EncryptionError,
            }),
        }
    }

    fn send_heartbeat(&mut self, ctx: &mut Context, out: &mut Vec<Action>) {
        if let Ok(payload) = Payload::encode(b"", &[]) {
            self.send_encrypted(
                ctx,
                &payload,
                DataFlags(DataFlags::IGNORE_UNREADABLE),
                false,
                out,
            );
            out.push(Action::Event {
                instance: ctx.their_tag,
                event: Event::HeartbeatSent,
            });
        }
    }

    fn end_context(&mut self, ctx: &mut Context, out: &mut Vec<Action>) {
        match ctx.msg.name() {
            MessageState::Encrypted => {
                if let Ok(payload) = Payload::encode(b"", &[Tlv::Disconnected]) {
                    self.send_encrypted(
                        ctx,
                        &payload,
                        DataFlags(DataFlags::IGNORE_UNREADABLE),
                        false,
                        out,
                    );
                }
                ctx.msg = MsgState::Plaintext;
                out.push(Action::Event {
                    instance: ctx.their_tag,
                    event: Event::GoneInsecure,
                });
            }
            MessageState::Finished => ctx.msg = MsgState::Plaintext,
            MessageState::Plaintext => {}
        }
    }

    /// Feeds one received TLV to the SMP engine (non-SMP TLVs are ignored here).
    fn receive_smp_tlv(&mut self, ctx: &mut Context, raw: &RawTlv<'_>, out: &mut Vec<Action>) {
        let Some(kind) = SmpMessageKind::from_tlv_type(raw.tlv_type) else {
            return;
        };
        let max_question = self.config.max_smp_question_len;
        let parsed = Tlv::parse(*raw);
        let mut mpis: Vec<&[u8]> = Vec::new();
        let mut question: Option<&[u8]> = None;
        let malformed = match &parsed {
            Ok(Tlv::Smp1(m) | Tlv::Smp2(m) | Tlv::Smp3(m) | Tlv::Smp4(m)) => {
                mpis = m.0.iter().map(otr_wire::Mpi::as_bytes).collect();
                false
            }
            Ok(Tlv::Smp1Question { question: q, body }) => {
                mpis = body.0.iter().map(otr_wire::Mpi::as_bytes).collect();
                question = Some(q);
                q.len() > max_question
            }
            Ok(Tlv::SmpAbort) => false,
            _ => true,
        };
        let input: SmpInput<'_, &[u8]> = if malformed {
            SmpInput::Malformed(kind)
        } else {
            match kind {
                SmpMessageKind::Smp1 | SmpMessageKind::Smp1Q => SmpInput::Smp1 {
                    question,
                    mpis: &mpis,
                },
                SmpMessageKind::Smp2 => SmpInput::Smp2(&mpis),
                SmpMessageKind::Smp3 => SmpInput::Smp3(&mpis),
                SmpMessageKind::Smp4 => SmpInput::Smp4(&mpis),
                _ => SmpInput::Abort,
            }
        };
        let Some(encrypted) = ctx.encrypted() else {
            return;
        };
        let output = encrypted.smp.receive(input, &mut *self.rng);
        self.send_smp(ctx, output, false, out);
    }

    /// Sends what the SMP engine produced (or just an abort) and reports its
    /// event and any trust change.
    fn send_smp(
        &mut self,
        ctx: &mut Context,
        output: SmpOutput,
        abort_only: bool,
        out: &mut Vec<Action>,
    ) {
        let mut payloads = Vec::new();
        if abort_only {
            payloads.extend(Payload::encode(b"", &[Tlv::SmpAbort]));
        }
        for outgoing in &output.send {
            let mpis: Vec<otr_wire::Mpi<'_>> = outgoing
                .mpis
                .iter()
                .map(|m| otr_wire::Mpi::trimmed(m))
                .collect();
            let body = otr_wire::tlv::SmpMpis(mpis);
            let tlv = match outgoing.kind {
                SmpMessageKind::Smp1 => Tlv::Smp1(body),
                SmpMessageKind::Smp1Q => Tlv::Smp1Question {
                    question: outgoing.question.as_deref().unwrap_or_default(),
                    body,
                },
                SmpMessageKind::Smp2 => Tlv::Smp2(body),
                SmpMessageKind::Smp3 => Tlv::Smp3(body),
                SmpMessageKind::Smp4 => Tlv::Smp4(body),
                _ => Tlv::SmpAbort,
            };
            payloads.extend(Payload::encode(b"", &[tlv]));
        }
        let smp_size = match self.config.smp_max_message_size {
            0 => self.config.max_message_size,
            n => n,
        };
        for payload in payloads {
            self.send_encrypted_sized(
                ctx,
                &payload,
                DataFlags(DataFlags::IGNORE_UNREADABLE),
                smp_size,
                out,
            );
        }
        let Some(event) = output.event else {
            return;
        };
        let fingerprint = match &ctx.msg {
            MsgState::Encrypted(e) => Some(e.fingerprint),
            _ => None,
        };
        let progress = match &event {
            SmpEvent::AskForSecret => SmpProgress::AskForSecret { question: None },
            SmpEvent::AskForAnswer { question } => SmpProgress::AskForSecret {
                question: Some(question.clone()),
            },
            SmpEvent::InProgress => SmpProgress::InProgress,
            SmpEvent::Succeeded { .. } => SmpProgress::Succeeded,
            SmpEvent::Failed { .. } => SmpProgress::Failed,
            SmpEvent::Cheated { .. } => SmpProgress::Cheated,
            SmpEvent::OutOfOrder { .. } => SmpProgress::Error,
            _ => SmpProgress::Aborted,
        };
        out.push(Action::Event {
            instance: ctx.their_tag,
            event: Event::Smp(progress),
        });
        // Trust as libotr (decision 12): success sets `smp` — on the responder
        // only when no question was asked; failure or cheating clears `smp`.
        let new_trust = match event {
            SmpEvent::Succeeded {
                role,
                with_question,
            } => (role == SmpRole::Initiator || !with_question).then_some("smp"),
            SmpEvent::Failed { .. } | SmpEvent::Cheated { .. } => Some(""),
            _ => None,
        };
        if let (Some(trust), Some(fp)) = (new_trust, fingerprint) {
            let current = self.known.get(&fp).cloned().unwrap_or_default();
            let changes = if trust.is_empty() {
                current == "smp"
            } else {
                current != trust
            };
            if changes {
                self.known.insert(fp, trust.to_owned());
                out.push(Action::Event {
                    instance: ctx.their_tag,
                    event: Event::TrustChanged {
                        fingerprint: fp,
                        trust: trust.to_owned(),
                    },
                });
            }
        }
    }

    fn receive_data(
        &mut self,
        ctx: &mut Context,
        data: &DataMessage<'_>,
        authenticated: &[u8],
        out: &mut Vec<Action>,
    ) {
        let instance = ctx.their_tag;
        let ignore = data.flags.ignore_unreadable();
        let Some(encrypted) = ctx.encrypted() else {
            if !ignore {
                out.push(Action::Event {
                    instance,
                    event: Event::ReceivedNotInPrivate,
                });
            }
            return;
        };
        let version = encrypted.version;
        let accepted = match encrypted
            .ratchet
            .decrypt(&mut *self.rng, data, authenticated)
        {
            Ok(a) => a,
            Err(rejection) => {
                if !ignore {
                    out.push(Action::Event {
                        instance,
                        event: Event::ReceivedUnreadable(match rejection {
                            DataRejection::UnknownKeyId => UnreadableReason::UnknownKeys,
                            DataRejection::BadMac => UnreadableReason::BadMac,
                            DataRejection::StaleCounter => UnreadableReason::Replay,
                            DataRejection::BadNextKey => UnreadableReason::BadNextKey,
                        }),
                    });
                    // A replay passed the MAC: it is a copy of a message we
                    // already accepted (a network duplicate or an attacker's
                    // replay). Answering it with an error would only invite a
                    // needless re-key, so it is reported and dropped silently.
                    if rejection != DataRejection::StaleCounter {
                        let mut env = self.env(out);
                        env.send(ctx, error_message(ERROR_UNREADABLE), 0, false);
                    }
                }
                return;
            }
        };
        let payload = Payload::decode(&accepted.plaintext);
        let mut disconnected = false;
        let mut extra_keys = Vec::new();
        for raw in &payload.tlvs {
            match Tlv::parse(*raw) {
                Ok(Tlv::Disconnected) => disconnected = true,
                Ok(Tlv::ExtraSymmetricKey { use_id, use_data }) => {
                    extra_keys.push((use_id, use_data.to_vec()));
                }
                _ => {}
            }
        }
        if payload.text.is_empty() {
            out.push(Action::Event {
                instance,
                event: Event::HeartbeatReceived,
            });
        } else {
            let due = ctx
                .last_sent
                .is_none_or(|t| self.now.since(t) > self.config.heartbeat_interval);
            if due {
                self.send_heartbeat(ctx, out);
            }
        }
        if !payload.text.is_empty() || !payload.tlvs.is_empty() {
            out.push(Action::Deliver {
                instance,
                message: ReceivedMessage {
                    text: payload.text.to_vec(),
                    tlvs: payload
                        .tlvs
                        .iter()
                        .map(|t: &RawTlv<'_>| ReceivedTlv {
                            tlv_type: t.tlv_type,
                            value: t.value.to_vec(),
                        })
                        .collect(),
                    encrypted: true,
                    revealed_mac_keys: data.revealed_mac_keys().copied().collect(),
                },
            });
        }
        for (use_id, use_data) in extra_keys {
            out.push(Action::Event {
                instance,
                event: Event::ExtraSymmetricKey {
                    use_id,
                    use_data,
                    key: ExtraKey(accepted.extra_key.clone()),
                },
            });
        }
        if !disconnected {
            for raw in &payload.tlvs {
                self.receive_smp_tlv(ctx, raw, out);
            }
        }
        if disconnected {
            ctx.msg = MsgState::Finished(version);
            out.push(Action::Event {
                instance,
                event: Event::ConversationEndedByPeer,
            });
            out.push(Action::Event {
                instance,
                event: Event::GoneInsecure,
            });
        }
    }
}

fn versions_of(allowed: OfferedVersions) -> Vec<ProtocolVersion> {
    let mut v = Vec::new();
    if allowed.v2 {
        v.push(ProtocolVersion::V2);
    }
    if allowed.v3 {
        v.push(ProtocolVersion::V3);
    }
    v
}

/// Our query message: the tag and libotr's (upstream) explanation.
fn query_message(allowed: OfferedVersions, account: &str) -> Vec<u8> {
    let tag = query::query_tag(&versions_of(allowed));
    let who = if account.is_empty() {
        "Your buddy"
    } else {
        account
    };
    format!(
        "{tag}\n<b>{who}</b> has requested an <a href=\"https://otr.cypherpunks.ca/\">Off-the-Record private conversation</a>.  However, you do not have a plugin to support that.\nSee <a href=\"https://otr.cypherpunks.ca/\">https://otr.cypherpunks.ca/</a> for more information."
    )
    .into_bytes()
}

fn error_message(text: &str) -> Vec<u8> {
    otr_wire::envelope::error_message(text).into_bytes()
}

fn encode_payload(text: &[u8], tlvs: &[(u16, Vec<u8>)]) -> Result<Vec<u8>, SessionError> {
    let typed: Vec<Tlv<'_>> = tlvs
        .iter()
        .map(|(t, v)| match *t {
            tlv_type::PADDING => Tlv::Padding(v),
            _ => Tlv::Unknown(RawTlv {
                tlv_type: *t,
                value: v,
            }),
        })
        .collect();
    Ok(Payload::encode(text, &typed)?)
}
