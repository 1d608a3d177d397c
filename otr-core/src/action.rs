//! The engine's outputs: what to put on the wire, what to show the user, and
//! events — returned in order from every input.

use otr_wire::InstanceTag;

use crate::event::Event;

/// A TLV received in a data message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedTlv {
    /// The TLV type.
    pub tlv_type: u16,
    /// Its value.
    pub value: Vec<u8>,
}

/// A message for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReceivedMessage {
    /// The text (bytes as received; usually UTF-8).
    pub text: Vec<u8>,
    /// The TLVs that came with it (encrypted messages only).
    pub tlvs: Vec<ReceivedTlv>,
    /// Whether it arrived encrypted and verified.
    pub encrypted: bool,
    /// MAC keys the buddy revealed in this message (the C# library's "old MAC
    /// keys"): public by design, so that transcripts stay deniable.
    pub revealed_mac_keys: Vec<[u8; 20]>,
}

/// One thing for the host to do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
#[must_use]
pub enum Action {
    /// Put this message on the wire to the buddy (one action per fragment,
    /// in order).
    Send {
        /// The buddy instance it is for: the instance whose conversation it
        /// belongs to (its v3 receiver tag; also an error reply to that
        /// instance), or `None` for the master context (queries, plaintext,
        /// v2, and D-H Commits open to every instance).
        instance: Option<InstanceTag>,
        /// The bytes to send, as they are.
        message: Vec<u8>,
    },
    /// Show this message to the user.
    ///
    /// Only messages with something for the user are delivered: text, or a
    /// TLV of a type the engine does not act on itself (an application's
    /// own). Protocol traffic inside data messages — SMP steps, heartbeats,
    /// the buddy ending the conversation, extra-key notices, padding — is
    /// never delivered; it shows up as [`Event`]s instead (this is libotr's
    /// "ignore this message"). So `text` is empty only when the message
    /// carries such application TLVs.
    Deliver {
        /// The buddy instance it came from (`None`: v2 or unknown).
        instance: Option<InstanceTag>,
        /// The message.
        message: ReceivedMessage,
    },
    /// Tell the user or the application.
    Event {
        /// The buddy instance concerned (`None`: v2, the master, or all).
        instance: Option<InstanceTag>,
        /// What happened.
        event: Event,
    },
}
