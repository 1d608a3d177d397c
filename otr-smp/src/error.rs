//! Errors: a received SMP message that fails a check (the peer is cheating,
//! or its message was corrupted), and misuse of the API by the host.

use crate::messages::SmpMessageKind;

/// An SMP failure.
///
/// Every variant but [`NoPendingRequest`](Self::NoPendingRequest) and
/// [`QuestionContainsNul`](Self::QuestionContainsNul) means the peer's
/// message failed a check ([`is_cheating`](Self::is_cheating)): the SMP run
/// is over (the typestate that received it was consumed and its secrets wiped;
/// [`SmpEngine`](crate::SmpEngine) is back in `EXPECT1` and has queued an
/// abort), and the comparison must not be trusted in either direction.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SmpError {
    /// The message carries the wrong number of values.
    #[error(
        "{message} carries {actual} values where the protocol requires {expected}: the peer sent a malformed SMP message; the SMP was abandoned — start a new one"
    )]
    WrongMpiCount {
        /// The message.
        message: SmpMessageKind,
        /// The count the protocol requires.
        expected: usize,
        /// The count received.
        actual: usize,
    },
    /// The wire layer could not decode the message (bad framing, wrong count).
    #[error(
        "{message} could not be decoded: the peer sent a malformed SMP message; the SMP was abandoned — start a new one"
    )]
    Malformed {
        /// The message.
        message: SmpMessageKind,
    },
    /// A group element outside `[2, p − 2]` or an exponent outside `[1, q − 1]`.
    #[error(
        "{message}: the value {value} is out of range; the peer is cheating or its client is broken — the SMP was abandoned and proves nothing"
    )]
    OutOfRange {
        /// The message.
        message: SmpMessageKind,
        /// The protocol's name of the value (`"g2a"`, `"D5"`, …).
        value: &'static str,
    },
    /// A group element in range but outside the prime-order subgroup.
    #[error(
        "{message}: the value {value} is not in the prime-order subgroup; the peer is cheating — the SMP was abandoned and proves nothing"
    )]
    NotInSubgroup {
        /// The message.
        message: SmpMessageKind,
        /// The protocol's name of the value.
        value: &'static str,
    },
    /// A zero-knowledge proof that does not verify (its hash `c` differs).
    #[error(
        "{message}: the zero-knowledge proof {proof} does not verify; the peer is cheating or is not the person who knows the secret — the SMP was abandoned and proves nothing"
    )]
    BadProof {
        /// The message.
        message: SmpMessageKind,
        /// The protocol's name of the proof's hash (`"c2"`, `"cP"`, …).
        proof: &'static str,
    },
    /// `respond` was called although no SMP request is waiting for an answer.
    #[error(
        "no SMP request is waiting for an answer: respond only after an ask-for-secret or ask-for-answer event"
    )]
    NoPendingRequest,
    /// The question to send contains a NUL byte, which ends a question on the wire.
    #[error("the SMP question contains a NUL byte, which would end it early; remove it")]
    QuestionContainsNul,
}

impl SmpError {
    /// Whether the error means the peer's message failed a check (cheating or
    /// corruption), as opposed to misuse of the API by the host.
    #[must_use]
    pub const fn is_cheating(&self) -> bool {
        matches!(
            self,
            Self::WrongMpiCount { .. }
                | Self::Malformed { .. }
                | Self::OutOfRange { .. }
                | Self::NotInSubgroup { .. }
                | Self::BadProof { .. }
        )
    }
}
