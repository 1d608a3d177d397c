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
    /// The number (`EnvParts::next_sequence_number`) of the last D-H Commit
    /// this context sent or took over: the buddy answers the commit it
    /// received last.
    pub last_commit_number: u64,
    pub msg: MsgState,
    pub reassembly: Reassembly,
    pub last_sent: Option<Timestamp>,
    /// The session's sequence number of the last message received here
    /// (orders contexts by recency where timestamps tie).
    pub last_received_number: u64,
}

impl Context {
    pub fn new(their_tag: Option<InstanceTag>) -> Self {
        Self {
            their_tag,
            auth: AuthState::None,
            auth_started: None,
            continued_master_commit: None,
            last_commit_number: 0,
            msg: MsgState::Plaintext,
            reassembly: Reassembly::default(),
            last_sent: None,
            last_received_number: 0,
        }
    }

    /// Continues the master's pending D-H Commit (`master_commit`, sent as
    /// commit number `master_number` with receiver tag 0) in this child: a
    /// new instance answering or colliding with it. Not when this instance
    /// already continued that very commit (its `r` may have been revealed to
    /// the buddy since, and offering it again would make the buddy's next
    /// AKE fail), nor when this child's own pending commit went out later.
    pub fn take_over_master_commit(
        &mut self,
        master_commit: Option<AuthState>,
        master_number: u64,
    ) {
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
        if self.auth.pending_commit().is_some() && self.last_commit_number >= master_number {
            return;
        }
        self.continued_master_commit = id;
        self.last_commit_number = master_number;
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

    /// The header fragments of our messages carry: the context's version
    /// (the private conversation's, else the AKE's, as libotr, whose AKE
    /// start sets the context's version); a context with neither sends v2
    /// syntax (libotr's queries from PLAINTEXT, even v3-only).
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ake::AkeEnv;
    use crate::identity::DsaSigningKey;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;
    use std::sync::OnceLock;

    fn key() -> &'static DsaSigningKey {
        static KEY: OnceLock<DsaSigningKey> = OnceLock::new();
        KEY.get_or_init(|| DsaSigningKey::generate(&mut ChaCha20Rng::seed_from_u64(3)).unwrap())
    }

    /// A fresh pending commit (AWAITING_DHKEY) and its id.
    fn commit(seed: u64) -> (AuthState, [u8; 32]) {
        let mut auth = AuthState::None;
        let _ = auth.start(AkeEnv {
            our_key: key(),
            rng: &mut ChaCha20Rng::seed_from_u64(seed),
            header: Header::V3 {
                sender: InstanceTag::new(0x100).unwrap(),
                receiver: None,
            },
        });
        let id = auth.pending_commit_id().unwrap();
        (auth, id)
    }

    fn copy(auth: &AuthState) -> Option<AuthState> {
        auth.copy_pending_commit(ProtocolVersion::V3)
    }

    fn child() -> Context {
        Context::new(InstanceTag::new(0x200))
    }

    #[test]
    fn a_child_takes_over_the_masters_commit_when_it_has_none() {
        let (master, id) = commit(1);
        let mut c = child();
        c.take_over_master_commit(copy(&master), 1);
        assert_eq!(c.auth.pending_commit_id(), Some(id));
        assert_eq!(c.continued_master_commit, Some(id));
        assert_eq!(c.last_commit_number, 1);
    }

    #[test]
    fn a_commit_already_continued_is_not_taken_over_again() {
        let (master, id) = commit(1);
        let mut c = child();
        c.continued_master_commit = Some(id);
        c.take_over_master_commit(copy(&master), 1);
        assert_eq!(c.auth.name(), AuthStateName::None);
    }

    #[test]
    fn a_dh_key_answers_the_commit_sent_last() {
        let (old, old_id) = commit(1);
        let (new, new_id) = commit(2);
        // The child holds a copy of the master's old commit (number 1); the
        // master has since sent a new one (number 2): the buddy answers that.
        let mut c = child();
        c.take_over_master_commit(copy(&old), 1);
        c.take_over_master_commit(copy(&new), 2);
        assert_eq!(c.auth.pending_commit_id(), Some(new_id));
        // The child resent its commit after the master's (number 3): keep it.
        let mut c = child();
        c.take_over_master_commit(copy(&old), 1);
        c.last_commit_number = 3;
        c.take_over_master_commit(copy(&new), 2);
        assert_eq!(c.auth.pending_commit_id(), Some(old_id));
    }

    #[test]
    fn the_master_never_takes_over_its_own_commit() {
        let (master, _) = commit(1);
        let mut m = Context::new(None);
        m.take_over_master_commit(copy(&master), 1);
        assert_eq!(m.auth.name(), AuthStateName::None);
    }
}
