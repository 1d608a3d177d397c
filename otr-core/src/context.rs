//! One conversation with one instance of a buddy (libotr's `ConnContext`):
//! its message state, AKE state, reassembly and timing. The per-buddy
//! [`Session`](crate::Session) routes input to these.

use otr_wire::{Fingerprint, Header, InstanceTag, ProtocolVersion};

use otr_smp::SmpEngine;

use crate::ake::{AuthState, AuthStateName};
use crate::ake_keys::SecureSessionId;
use crate::clock::Timestamp;
use crate::ratchet::Ratchet;
use crate::reassembly::Reassembly;

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

pub(crate) enum MsgState {
    Plaintext,
    Encrypted(Box<Encrypted>),
    Finished(ProtocolVersion),
}

impl MsgState {
    pub fn name(&self) -> MessageState {
        match self {
            Self::Plaintext => MessageState::Plaintext,
            Self::Encrypted(_) => MessageState::Encrypted,
            Self::Finished(_) => MessageState::Finished,
        }
    }
}

/// Per-instance state.
pub(crate) struct Context {
    /// The buddy instance (`None` for the master context: v2 and untagged input).
    pub their_tag: Option<InstanceTag>,
    pub auth: AuthState,
    /// When the AKE in progress was started by us (for the master commit's lifetime).
    pub auth_started: Option<Timestamp>,
    /// The master's D-H Commit (its hashed g^x) this instance has already
    /// taken over: a master commit is continued at most once per instance,
    /// so a commit whose secret was revealed is never offered again.
    pub continued_master_commit: Option<[u8; 32]>,
    pub msg: MsgState,
    pub reassembly: Reassembly,
    pub last_sent: Option<Timestamp>,
    pub last_received: Option<Timestamp>,
}

impl Context {
    pub fn new(their_tag: Option<InstanceTag>) -> Self {
        Self {
            their_tag,
            auth: AuthState::None,
            auth_started: None,
            continued_master_commit: None,
            msg: MsgState::Plaintext,
            reassembly: Reassembly::default(),
            last_sent: None,
            last_received: None,
        }
    }

    /// Continues the master's pending D-H Commit `master_commit` in this
    /// child (a new instance answering, or colliding with, the commit sent
    /// with receiver tag 0), unless this instance already continued that
    /// very commit: its `r` may have been revealed to the buddy since, and
    /// offering it again would make the buddy's next AKE fail.
    pub fn take_over_master_commit(&mut self, master_commit: Option<AuthState>) {
        if self.their_tag.is_none() {
            return;
        }
        let Some(copy) = master_commit else {
            return;
        };
        let id = copy.pending_commit_id();
        if id.is_some() && id == self.continued_master_commit {
            return;
        }
        self.continued_master_commit = id;
        self.auth = copy;
    }

    /// The header for messages of `version` sent from this context.
    pub fn header(&self, version: ProtocolVersion, our_tag: InstanceTag) -> Header {
        match version {
            ProtocolVersion::V2 => Header::V2,
            _ => Header::V3 {
                sender: our_tag,
                receiver: self.their_tag,
            },
        }
    }

    /// The protocol version in use: the private conversation's, else the AKE's.
    pub fn version(&self) -> Option<ProtocolVersion> {
        match &self.msg {
            MsgState::Encrypted(e) => Some(e.version),
            MsgState::Finished(v) => Some(*v),
            MsgState::Plaintext => self.auth.version(),
        }
    }

    /// The header fragments of our messages carry: the context's version; a
    /// context that is not private sends v2 syntax (as libotr does for
    /// queries and plaintext).
    pub fn fragment_header(&self, our_tag: InstanceTag) -> Header {
        match self.version() {
            Some(ProtocolVersion::V3) => self.header(ProtocolVersion::V3, our_tag),
            _ => Header::V2,
        }
    }

    pub fn encrypted(&mut self) -> Option<&mut Encrypted> {
        match &mut self.msg {
            MsgState::Encrypted(e) => Some(e),
            _ => None,
        }
    }

    pub fn auth_name(&self) -> AuthStateName {
        self.auth.name()
    }
}
