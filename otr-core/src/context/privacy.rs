//! Whether an instance's conversation is private, and the only place where
//! that changes: going private after an AKE, finishing when the buddy ends
//! it, and ending it ourselves. Changes only the context's privacy.

use otr_smp::SmpEngine;
use otr_wire::{Fingerprint, ProtocolVersion};

use super::Context;
use crate::ake::SecureSessionId;
use crate::ratchet::Ratchet;

/// The message state of an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MessageState {
    /// Not private.
    Plaintext,
    /// Private: messages are encrypted and authenticated.
    Encrypted,
    /// The buddy ended the private conversation; sending is refused.
    Finished,
}

/// The private state of an ENCRYPTED instance.
pub(crate) struct Encrypted {
    pub version: ProtocolVersion,
    pub ratchet: Ratchet,
    pub ssid: SecureSessionId,
    pub first_half_bold: bool,
    pub fingerprint: Fingerprint,
    pub smp: SmpEngine,
}

/// An instance's privacy, each state holding only what it needs.
pub(crate) enum Privacy {
    Plaintext,
    Encrypted(Box<Encrypted>),
    Finished(ProtocolVersion),
}

impl Privacy {
    pub fn state(&self) -> MessageState {
        match self {
            Self::Plaintext => MessageState::Plaintext,
            Self::Encrypted(_) => MessageState::Encrypted,
            Self::Finished(_) => MessageState::Finished,
        }
    }

    /// The version of the private (or ended) conversation.
    pub fn version(&self) -> Option<ProtocolVersion> {
        match self {
            Self::Encrypted(e) => Some(e.version),
            Self::Finished(v) => Some(*v),
            Self::Plaintext => None,
        }
    }
}

impl Context {
    /// PLAINTEXT, ENCRYPTED or FINISHED.
    pub fn message_state(&self) -> MessageState {
        self.privacy.state()
    }

    /// The private state, read only.
    pub fn privacy(&self) -> &Privacy {
        &self.privacy
    }

    /// The private state while ENCRYPTED.
    pub fn encrypted(&mut self) -> Option<&mut Encrypted> {
        match &mut self.privacy {
            Privacy::Encrypted(e) => Some(e),
            _ => None,
        }
    }

    /// The private state while ENCRYPTED, read only.
    pub fn encrypted_ref(&self) -> Option<&Encrypted> {
        match &self.privacy {
            Privacy::Encrypted(e) => Some(e),
            _ => None,
        }
    }

    /// An AKE completed: the conversation is private with these keys (a new
    /// private state replaces an old one: its keys and SMP are dropped).
    pub fn go_private(&mut self, encrypted: Encrypted) {
        self.privacy = Privacy::Encrypted(Box::new(encrypted));
    }

    /// The buddy ended the private conversation (TLV 1): FINISHED, the keys
    /// and SMP forgotten.
    pub fn finish(&mut self) {
        if let Some(version) = self.privacy.version() {
            self.privacy = Privacy::Finished(version);
        }
    }

    /// We end the conversation: back to PLAINTEXT (the caller sent the
    /// disconnect while it was still private).
    pub fn end_private(&mut self) {
        self.privacy = Privacy::Plaintext;
    }
}
