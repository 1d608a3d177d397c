//! What a session may do, and its limits.

use core::time::Duration;

use crate::policy::Policy;

/// Session settings. [`SessionConfig::default`] gives libotr's behaviour with
/// bounded memory.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionConfig {
    /// The policy (libotr's bit set).
    pub policy: Policy,
    /// Split every outgoing OTR message longer than this into fragments
    /// (libotr's format and piece size); 0 = never.
    pub max_message_size: usize,
    /// A separate maximum size for SMP messages (0 = as `max_message_size`).
    pub smp_max_message_size: usize,
    /// Send a heartbeat on receiving a message when nothing was sent for this long.
    pub heartbeat_interval: Duration,
    /// How long messages held under REQUIRE_ENCRYPTION wait for a private conversation.
    pub held_message_lifetime: Duration,
    /// At most this many held messages; further sends are refused.
    pub max_held_messages: usize,
    /// A message being reassembled from fragments may grow to at most this size.
    pub max_reassembly_size: usize,
    /// An incomplete fragmented message is dropped after this long.
    pub fragment_lifetime: Duration,
    /// How long the D-H Commit we sent from the master context stays open for
    /// several instances of the buddy to answer.
    pub master_commit_lifetime: Duration,
    /// At most this many instances (child contexts) per buddy.
    pub max_instances: usize,
    /// The account name shown in our query message's explanation.
    pub account_name: String,
    /// The longest SMP question accepted from the buddy (longer ones abort SMP).
    pub max_smp_question_len: usize,
    /// Also report the TLVs of data messages that carry nothing for the user
    /// (SMP steps, heartbeats, disconnects, extra-key notices), as
    /// [`Event::ProtocolMessage`](crate::Event::ProtocolMessage). Off by
    /// default: hosts get events for those; tools that show every TLV turn
    /// it on.
    pub report_protocol_tlvs: bool,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            policy: Policy::DEFAULT,
            max_message_size: 0,
            smp_max_message_size: 0,
            heartbeat_interval: Duration::from_secs(60),
            held_message_lifetime: Duration::from_secs(60),
            max_held_messages: 100,
            max_reassembly_size: 256 * 1024,
            fragment_lifetime: Duration::from_secs(120),
            master_commit_lifetime: Duration::from_secs(60),
            max_instances: 16,
            account_name: String::new(),
            max_smp_question_len: 8 * 1024,
            report_protocol_tlvs: false,
        }
    }
}
