//! Errors for host misuse (problems caused by the buddy are events, not errors).

use thiserror::Error;

/// Why a host request could not be carried out.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The operation needs a private conversation and there is none.
    #[error(
        "there is no private conversation with this buddy (instance): start one with a query first"
    )]
    NotPrivate,
    /// The message text contains a NUL byte.
    #[error("the message contains a NUL byte, which OTR cannot carry in message text")]
    NulInMessage,
    /// Too many messages are already held waiting for a private conversation.
    #[error("{0} messages are already held waiting for a private conversation; wait or drop them")]
    TooManyHeld(usize),
    /// The maximum message size cannot hold a fragment.
    #[error(
        "a maximum message size of {0} bytes cannot hold a fragment: use 0 (no limit) or more than 37 bytes"
    )]
    MaxMessageSizeTooSmall(usize),
    /// The named instance does not exist.
    #[error("no instance 0x{0:08x} of this buddy is known")]
    UnknownInstance(u32),
    /// The message could not be encoded (too large for a TLV or fragment count).
    #[error("the message could not be encoded: {0}")]
    Encoding(#[from] otr_wire::EncodeError),
    /// No SMP request from the buddy is waiting for an answer.
    #[error("no SMP request from the buddy is waiting for an answer")]
    NoSmpRequest,
    /// OTR is disabled by the policy.
    #[error("the policy allows no OTR version")]
    OtrDisabled,
}
