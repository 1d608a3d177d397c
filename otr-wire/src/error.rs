//! Typed errors of the wire layer.

use thiserror::Error;

/// Why a received byte string is not a valid OTR message, fragment or field.
///
/// Every variant names what was wrong, so that the engine can report it and an
/// application author can tell a hostile peer from a bug.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended inside a field.
    #[error(
        "the message ended inside the {field} field ({needed} more bytes needed, {available} left)"
    )]
    UnexpectedEnd {
        /// The field being read.
        field: &'static str,
        /// Bytes the field needed.
        needed: usize,
        /// Bytes that were left.
        available: usize,
    },
    /// Bytes were left over after the last field of a structure.
    #[error("{count} unexpected bytes after the end of the {structure}")]
    TrailingBytes {
        /// The structure that should have ended.
        structure: &'static str,
        /// How many bytes followed it.
        count: usize,
    },
    /// An MPI used more bytes than its value needs (a leading zero byte).
    #[error("the {field} MPI is not minimally encoded (it has a leading zero byte)")]
    NonMinimalMpi {
        /// The field being read.
        field: &'static str,
    },
    /// A fixed-size field had another length.
    #[error("the {field} field must be {expected} bytes long, not {actual}")]
    BadLength {
        /// The field being read.
        field: &'static str,
        /// The length the protocol requires.
        expected: usize,
        /// The length that was received.
        actual: usize,
    },
    /// A protocol version this crate does not speak (only 2 and 3 are spoken).
    #[error("OTR protocol version {0} is not supported (only versions 2 and 3 are)")]
    UnsupportedVersion(u16),
    /// An encoded message of a type that does not exist in OTR v2/v3.
    #[error("unknown OTR message type 0x{0:02x}")]
    UnknownMessageType(u8),
    /// A sender instance tag below 0x100.
    #[error("sender instance tag 0x{0:08x} is invalid (the smallest valid tag is 0x00000100)")]
    InvalidSenderInstanceTag(u32),
    /// A receiver instance tag between 1 and 0xff.
    #[error("receiver instance tag 0x{0:08x} is invalid (it must be 0 or at least 0x00000100)")]
    InvalidReceiverInstanceTag(u32),
    /// A public key of a type other than DSA (0x0000).
    #[error("public key type 0x{0:04x} is not supported (only DSA, type 0x0000, is)")]
    UnsupportedPublicKeyType(u16),
    /// A key id of zero where the protocol requires a positive one.
    #[error("the {field} key id is 0, which is never valid")]
    ZeroKeyId {
        /// The field being read.
        field: &'static str,
    },
    /// `?OTR:` was not followed by base64 text ending with `.`.
    #[error("the encoded OTR message does not end with '.'")]
    MissingTerminator,
    /// The text between `?OTR:` and `.` is not valid base64.
    #[error("the encoded OTR message is not valid base64")]
    InvalidBase64,
    /// A fragment that breaks the fragment syntax or its rules.
    #[error("invalid OTR fragment: {0}")]
    InvalidFragment(&'static str),
    /// An SMP TLV with the wrong number of MPIs.
    #[error("the SMP message carries {actual} MPIs where {expected} are required")]
    SmpMpiCount {
        /// The number the SMP step requires.
        expected: u32,
        /// The number announced in the TLV.
        actual: u32,
    },
    /// An SMP question TLV without the NUL byte that ends the question.
    #[error("the SMP question TLV has no NUL byte after the question")]
    MissingQuestionTerminator,
}

/// Why a message could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// A field is longer than its length prefix can express.
    #[error(
        "the {field} field is {length} bytes long, more than the {max} bytes its length prefix allows"
    )]
    FieldTooLong {
        /// The field being written.
        field: &'static str,
        /// Its length.
        length: usize,
        /// The largest length the wire format allows.
        max: usize,
    },
    /// The message text contains a NUL byte, which would be read as the start of the TLVs.
    #[error(
        "the message text contains a NUL byte; NUL separates the text from the TLVs and cannot be sent inside it"
    )]
    NulInMessage,
    /// An SMP question contains a NUL byte, which would end it early.
    #[error("the SMP question contains a NUL byte, which the protocol uses to end the question")]
    NulInQuestion,
    /// The maximum message size leaves no room for a fragment piece.
    #[error(
        "a maximum message size of {max_size} bytes leaves no room for data after the {overhead}-byte fragment header; it must be larger than {overhead}"
    )]
    FragmentSizeTooSmall {
        /// The configured maximum message size.
        max_size: usize,
        /// The fragment header overhead for the protocol version.
        overhead: usize,
    },
    /// Splitting would need more than 65535 fragments.
    #[error("the message would need {count} fragments, more than the 65535 the protocol allows")]
    TooManyFragments {
        /// The number of fragments that would be needed.
        count: usize,
    },
}
