//! One conversation with one instance of a buddy (libotr's `ConnContext`):
//! its privacy, its exchange, reassembly and timing. Changes only itself;
//! its privacy changes only through `privacy.rs`.

mod privacy;

use otr_wire::{Header, InstanceTag, ProtocolVersion};

use crate::ake::{AuthState, Exchange};
use crate::clock::Timestamp;
use crate::reassembly::Reassembly;

pub use privacy::MessageState;
pub(crate) use privacy::{Encrypted, Privacy};

/// Per-instance state.
pub(crate) struct Context {
    /// The buddy instance (`None` for the master context: v2 and untagged input).
    pub their_tag: Option<InstanceTag>,
    pub exchange: Exchange,
    /// When the AKE in progress was started by us (for the master commit's lifetime).
    pub auth_started: Option<Timestamp>,
    /// When a child's exchange last moved to a new AKE state (`None` while
    /// there is no exchange): an exchange that stalls for the commit
    /// lifetime is dropped, so forged D-H Commits cannot hold instances.
    pub exchange_since: Option<Timestamp>,
    /// The master's D-H Commit (its hashed g^x) this instance has already
    /// taken over: a master commit is continued at most once per instance,
    /// so a commit whose secret was revealed is never offered again.
    pub continued_master_commit: Option<[u8; 32]>,
    /// The session's sequence number of the last D-H Commit this context
    /// sent or took over: the buddy answers the commit it received last.
    pub last_commit_number: u64,
    /// PLAINTEXT, ENCRYPTED (with its keys) or FINISHED: changed only by
    /// the transitions in `privacy.rs`.
    privacy: Privacy,
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
            exchange: Exchange::None,
            auth_started: None,
            exchange_since: None,
            continued_master_commit: None,
            last_commit_number: 0,
            privacy: Privacy::Plaintext,
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
    pub fn take_over_master_commit(&mut self, master_commit: Option<Exchange>, master_number: u64) {
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
        if self.exchange.has_pending_commit() && self.last_commit_number >= master_number {
            return;
        }
        self.continued_master_commit = id;
        self.last_commit_number = master_number;
        self.exchange = copy;
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
        self.privacy.version().or_else(|| self.exchange.version())
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

    /// The AKE state's name.
    pub fn auth_state(&self) -> AuthState {
        self.exchange.state()
    }

    /// When this child's stalled exchange is dropped (the master's pending
    /// commit has its own timer).
    pub fn exchange_deadline(&self, lifetime: core::time::Duration) -> Option<Timestamp> {
        if self.their_tag.is_none() || self.auth_state() == AuthState::None {
            return None;
        }
        self.exchange_since.map(|t| t.after(lifetime))
    }

    /// How readily this instance gives up its place to a newcomer when the
    /// instance table is full (lower first): idle PLAINTEXT, then FINISHED,
    /// then an exchange in progress; `None` for a private conversation,
    /// which is never displaced.
    pub fn eviction_class(&self) -> Option<u8> {
        let idle = self.auth_state() == AuthState::None;
        match (self.message_state(), idle) {
            (MessageState::Encrypted, _) => None,
            (MessageState::Plaintext, true) => Some(0),
            (MessageState::Finished, true) => Some(1),
            (_, false) => Some(2),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ake::AkeEnv;
    use crate::identity::DsaSigningKey;
    use crate::trust::KnownFingerprints;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;
    use std::sync::OnceLock;

    fn key() -> &'static DsaSigningKey {
        static KEY: OnceLock<DsaSigningKey> = OnceLock::new();
        KEY.get_or_init(|| DsaSigningKey::generate(&mut ChaCha20Rng::seed_from_u64(3)).unwrap())
    }

    /// A fresh pending commit (AWAITING_DHKEY) and its id.
    fn commit(seed: u64) -> (Exchange, [u8; 32]) {
        let mut auth = Exchange::None;
        let _ = auth.start(AkeEnv {
            our_key: key(),
            rng: &mut ChaCha20Rng::seed_from_u64(seed),
            header: Header::V3 {
                sender: InstanceTag::new(0x100).unwrap(),
                receiver: None,
            },
            seen_keys: &KnownFingerprints::default(),
        });
        let id = auth.pending_commit_id().unwrap();
        (auth, id)
    }

    fn copy(auth: &Exchange) -> Option<Exchange> {
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
        assert_eq!(c.exchange.pending_commit_id(), Some(id));
        assert_eq!(c.continued_master_commit, Some(id));
        assert_eq!(c.last_commit_number, 1);
    }

    #[test]
    fn a_commit_already_continued_is_not_taken_over_again() {
        let (master, id) = commit(1);
        let mut c = child();
        c.continued_master_commit = Some(id);
        c.take_over_master_commit(copy(&master), 1);
        assert_eq!(c.exchange.state(), AuthState::None);
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
        assert_eq!(c.exchange.pending_commit_id(), Some(new_id));
        // The child resent its commit after the master's (number 3): keep it.
        let mut c = child();
        c.take_over_master_commit(copy(&old), 1);
        c.last_commit_number = 3;
        c.take_over_master_commit(copy(&new), 2);
        assert_eq!(c.exchange.pending_commit_id(), Some(old_id));
    }

    #[test]
    fn the_master_never_takes_over_its_own_commit() {
        let (master, _) = commit(1);
        let mut m = Context::new(None);
        m.take_over_master_commit(copy(&master), 1);
        assert_eq!(m.exchange.state(), AuthState::None);
    }
}
