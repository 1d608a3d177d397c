//! The manager's settings: the default session settings and its own limits.

use core::time::Duration;

use crate::config::SessionConfig;

/// Settings for a [`Manager`](super::Manager).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ManagerConfig {
    /// Settings for every new session (a buddy may get its own with
    /// [`Manager::set_buddy_config`](super::Manager::set_buddy_config)).
    pub session: SessionConfig,
    /// At most this many sessions live at once. Creating one more evicts the
    /// session that least needs its place (see the
    /// [manager's limits](super::Manager#limits)); nothing is ever refused for room.
    pub max_buddies: usize,
    /// A conversation where the host acted (sent, asked for privacy,
    /// answered SMP) within this window — or private with a trusted key and
    /// busy within it — is evicted only after every other session.
    pub active_window: Duration,
    /// Evicted or closed buddies whose keys are all untrusted are remembered
    /// (their fingerprints kept) for at most this many buddies, the oldest
    /// forgotten first; trusted fingerprints are always kept.
    pub max_remembered_untrusted: usize,
    /// Calls that queue actions are refused while this many are waiting: the
    /// host must drain the queue. (One call may take the queue past it.)
    pub max_queued_actions: usize,
    /// Our account name, as in libotr's fingerprints file (e.g.
    /// `alice@example.org`).
    pub account: String,
    /// Our protocol, as in libotr's fingerprints file (e.g. `xmpp`, `prpl-jabber`).
    pub protocol: String,
}

impl ManagerConfig {
    /// The defaults for one account on one protocol.
    #[must_use]
    pub fn new(account: &str, protocol: &str) -> Self {
        Self {
            account: account.to_owned(),
            protocol: protocol.to_owned(),
            ..Self::default()
        }
    }
}

impl Default for ManagerConfig {
    fn default() -> Self {
        Self {
            session: SessionConfig::default(),
            max_buddies: 1000,
            active_window: Duration::from_secs(10 * 60),
            max_remembered_untrusted: 10_000,
            max_queued_actions: 10_000,
            account: String::new(),
            protocol: String::new(),
        }
    }
}
