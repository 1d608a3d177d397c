//! Why a libgcrypt s-expression (libotr's private-key file) could not be read.

/// A syntax error in an s-expression, at a byte offset of the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SexpError {
    /// The input holds no s-expression at all.
    #[error("the file is empty: expected an s-expression starting with '('")]
    Empty,
    /// Something other than `(` starts the input.
    #[error("byte {position}: expected '(' to start the s-expression")]
    NotAList {
        /// Byte offset.
        position: usize,
    },
    /// Something other than whitespace follows the closed top-level list.
    #[error("byte {position}: unexpected data after the end of the s-expression")]
    TrailingData {
        /// Byte offset.
        position: usize,
    },
    /// A `)` with no open list.
    #[error("byte {position}: ')' closes a list that was never opened")]
    UnbalancedClose {
        /// Byte offset.
        position: usize,
    },
    /// The input ends inside a list.
    #[error("the list opened at byte {position} is never closed (the file may be truncated)")]
    Unclosed {
        /// Byte offset of the innermost unclosed `(`.
        position: usize,
    },
    /// Lists nest deeper than the limit.
    #[error("byte {position}: lists nest deeper than {limit} levels")]
    TooDeep {
        /// Byte offset.
        position: usize,
        /// The nesting limit.
        limit: usize,
    },
    /// A quoted string, `#hex#` or `|base64|` that never ends.
    #[error("byte {position}: this {what} is never closed (the file may be truncated)")]
    Unterminated {
        /// Byte offset of its opening character.
        position: usize,
        /// `"quoted string"`, `"hex string"` or `"base64 string"`.
        what: &'static str,
    },
    /// An escape a quoted string may not contain.
    #[error("byte {position}: invalid escape sequence in a quoted string")]
    BadEscape {
        /// Byte offset of the character after the backslash.
        position: usize,
    },
    /// A character that is neither a hex digit nor whitespace inside `#…#`.
    #[error("byte {position}: not a hex digit inside #…#")]
    BadHexDigit {
        /// Byte offset.
        position: usize,
    },
    /// An odd number of hex digits inside `#…#`.
    #[error("byte {position}: odd number of hex digits inside #…#")]
    OddHexDigits {
        /// Byte offset of the closing `#`.
        position: usize,
    },
    /// A character outside the base64 alphabet (or whitespace) inside `|…|`.
    #[error("byte {position}: not a base64 character inside |…|")]
    BadBase64Character {
        /// Byte offset.
        position: usize,
    },
    /// A length prefix starting with `0`.
    #[error("byte {position}: a length prefix may not start with 0")]
    ZeroLengthPrefix {
        /// Byte offset.
        position: usize,
    },
    /// Digits not followed by `:`, `"`, `#` or `|`.
    #[error("byte {position}: a length prefix must be followed by ':', '\"', '#' or '|'")]
    BadLengthPrefix {
        /// Byte offset of the character after the digits.
        position: usize,
    },
    /// A length prefix larger than the rest of the input.
    #[error("byte {position}: the length prefix runs past the end of the input")]
    LengthPastEnd {
        /// Byte offset of the `:`.
        position: usize,
    },
    /// A string longer than libgcrypt can hold (65535 bytes).
    #[error("byte {position}: a string longer than 65535 bytes (libgcrypt's limit)")]
    StringTooLong {
        /// Byte offset of the string.
        position: usize,
    },
    /// `[` inside a display hint.
    #[error("byte {position}: display hints cannot nest")]
    NestedDisplayHint {
        /// Byte offset.
        position: usize,
    },
    /// `]` without `[`, a list inside a display hint, or a hint never closed.
    #[error("byte {position}: unmatched display hint bracket")]
    UnmatchedDisplayHint {
        /// Byte offset.
        position: usize,
    },
    /// `{`, `&` or `\` outside a string (libgcrypt reserves them).
    #[error("byte {position}: reserved punctuation {byte:?} outside a string")]
    ReservedPunctuation {
        /// Byte offset.
        position: usize,
        /// The character.
        byte: char,
    },
    /// Any other byte that cannot appear outside a string.
    #[error("byte {position}: unexpected byte 0x{byte:02x} outside a string")]
    UnexpectedByte {
        /// Byte offset.
        position: usize,
        /// The byte.
        byte: u8,
    },
}
