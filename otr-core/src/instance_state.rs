//! A snapshot of one instance's state, for display and for the host's logic.

use otr_wire::{Fingerprint, InstanceTag, ProtocolVersion};

use crate::ake::{AuthState, SecureSessionId};
use crate::context::MessageState;
use crate::trust::Trust;

/// What the host may show about one instance of a buddy.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InstanceState {
    /// The buddy instance (`None`: the master context, v2).
    pub instance: Option<InstanceTag>,
    /// Our instance tag.
    pub our_instance: InstanceTag,
    /// PLAINTEXT, ENCRYPTED or FINISHED.
    pub message_state: MessageState,
    /// The protocol version of the (ended) private conversation.
    pub version: Option<ProtocolVersion>,
    /// The secure session id while private.
    pub ssid: Option<SecureSessionId>,
    /// Whether the first half of the SSID is ours to read out (bold).
    pub first_half_bold: Option<bool>,
    /// The buddy's fingerprint while private.
    pub fingerprint: Option<Fingerprint>,
    /// Its trust, if the fingerprint is known.
    pub trust: Option<Trust>,
    /// The AKE state.
    pub auth_state: AuthState,
    /// The SMP state while private (`EXPECT1`..`EXPECT4`).
    pub smp_state: Option<&'static str>,
    /// Whether the buddy's SMP request waits for our answer.
    pub smp_awaiting_answer: bool,
}
