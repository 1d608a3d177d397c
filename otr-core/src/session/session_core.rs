//! What a conversation with one buddy holds besides its instances: our key,
//! tag and settings, randomness and time, the buddy's known keys, held
//! messages, the whitespace-tag offer, and the output of the call being
//! handled. Changes only itself; `send` is how every message leaves.

use std::sync::Arc;

use otr_wire::{Fingerprint, Header, InstanceTag, OfferedVersions, fragment};
use rand_core::CryptoRng;
use zeroize::Zeroizing;

use super::output::Output;
use crate::ake::AkeEnv;
use crate::clock::{Clock, Timestamp};
use crate::config::SessionConfig;
use crate::context::Context;
use crate::event::Event;
use crate::held::HeldMessages;
use crate::identity::DsaSigningKey;
use crate::policy::Policy;
use crate::trust::KnownFingerprints;

/// Whether the buddy has answered our whitespace-tag offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Offer {
    NotSent,
    Sent,
    Rejected,
    Accepted,
}

/// The session-wide state.
pub(super) struct SessionCore {
    pub config: SessionConfig,
    pub identity: Arc<DsaSigningKey>,
    pub our_tag: InstanceTag,
    pub rng: Box<dyn CryptoRng + Send>,
    clock: Box<dyn Clock>,
    /// The time of the call being handled (read once per call).
    pub now: Timestamp,
    pub held: HeldMessages,
    pub offer: Offer,
    /// Orders what happens in this session (D-H Commits sent, messages
    /// received) where timestamps may tie.
    sequence: u64,
    pub known: KnownFingerprints,
    /// The buddy key that completed the last AKE.
    pub last_authenticated: Option<Fingerprint>,
    pub smp_secret: Option<Zeroizing<Vec<u8>>>,
    pub output: Output,
}

impl SessionCore {
    pub fn new(
        config: SessionConfig,
        identity: Arc<DsaSigningKey>,
        our_tag: InstanceTag,
        rng: Box<dyn CryptoRng + Send>,
        clock: Box<dyn Clock>,
    ) -> Self {
        let now = clock.now();
        Self {
            config,
            identity,
            our_tag,
            rng,
            clock,
            now,
            held: HeldMessages::default(),
            offer: Offer::NotSent,
            sequence: 0,
            known: KnownFingerprints::default(),
            last_authenticated: None,
            smp_secret: None,
            output: Output::default(),
        }
    }

    /// What the clock says now (without starting a call).
    pub fn clock_now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Starts handling a call: reads the clock once.
    pub fn begin(&mut self) {
        self.now = self.clock.now();
    }

    /// The next number in the session's order of events (1, 2, …).
    pub fn next_sequence_number(&mut self) -> u64 {
        self.sequence = self.sequence.saturating_add(1);
        self.sequence
    }

    /// The versions the policy allows.
    pub fn allowed_versions(&self) -> OfferedVersions {
        let p = self.config.policy;
        OfferedVersions {
            v1: false,
            v2: p.contains(Policy::ALLOW_V2),
            v3: p.contains(Policy::ALLOW_V3),
        }
    }

    /// Something the host should know.
    pub fn event(&mut self, instance: Option<InstanceTag>, event: Event) {
        self.output.event(instance, event);
    }

    /// Sends a message from `ctx`, split into fragments when needed.
    pub fn send(
        &mut self,
        ctx: &mut Context,
        message: Vec<u8>,
        max_size: usize,
        fragmentable: bool,
    ) {
        ctx.last_sent = Some(self.now);
        if fragmentable && max_size > 0 && message.len() > max_size {
            match fragment::split(&message, &ctx.fragment_header(self.our_tag), max_size) {
                Ok(pieces) => {
                    for piece in pieces {
                        self.output.send(ctx.their_tag, piece);
                    }
                }
                Err(_) => self.event(ctx.their_tag, Event::EncryptionError),
            }
        } else {
            self.output.send(ctx.their_tag, message);
        }
    }

    /// What the AKE needs, with `header` on what it sends.
    pub fn ake_env(&mut self, header: Header) -> AkeEnv<'_, dyn CryptoRng + Send> {
        AkeEnv {
            our_key: &self.identity,
            rng: &mut *self.rng,
            header,
            seen_keys: &self.known,
        }
    }
}
