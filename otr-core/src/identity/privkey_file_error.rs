//! Why libotr's private-key file could not be read or written.

use super::error::IdentityError;
use super::sexp_error::SexpError;

/// A problem with a libotr private-key file (`otr.private_key`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PrivkeyFileError {
    /// The file is not a well-formed s-expression.
    #[error("the private-key file is not a valid s-expression: {0}")]
    Syntax(#[from] SexpError),
    /// The top-level list is not `(privkeys …)`.
    #[error(
        "the private-key file does not start with (privkeys …): it is not a libotr private-key file"
    )]
    NotPrivkeys,
    /// An element of `(privkeys …)` is not an `(account …)` list.
    #[error("byte {position}: entry {entry} of (privkeys …) is not an (account …) list")]
    NotAnAccount {
        /// 1-based entry number.
        entry: usize,
        /// Byte offset of the entry.
        position: usize,
    },
    /// An account has no `(name …)`, `(protocol …)` or `(private-key …)`, or
    /// its value is not a string.
    #[error("byte {position}: account entry {entry} has no usable ({field} …)")]
    MissingField {
        /// 1-based entry number.
        entry: usize,
        /// Byte offset of the account.
        position: usize,
        /// `"name"`, `"protocol"` or `"private-key"`.
        field: &'static str,
    },
    /// The private key is not `(private-key (dsa …))`.
    #[error("the private key of {account:?} ({protocol}) is not a (dsa …) key")]
    NotDsa {
        /// The account name.
        account: String,
        /// The protocol.
        protocol: String,
    },
    /// A DSA parameter is missing or not a string.
    #[error("the DSA key of {account:?} ({protocol}) has no usable ({parameter} …)")]
    MissingKeyParameter {
        /// The account name.
        account: String,
        /// The protocol.
        protocol: String,
        /// `"p"`, `"q"`, `"g"`, `"y"` or `"x"`.
        parameter: &'static str,
    },
    /// The DSA key is unusable.
    #[error("the DSA key of {account:?} ({protocol}) is unusable: {source}")]
    BadKey {
        /// The account name.
        account: String,
        /// The protocol.
        protocol: String,
        /// What is wrong with it.
        #[source]
        source: IdentityError,
    },
    /// Writing: an account name or protocol holds a NUL byte, which libotr's
    /// C strings cannot carry.
    #[error("cannot write the {field} {value:?}: it contains a NUL byte")]
    NulInText {
        /// `"name"` or `"protocol"`.
        field: &'static str,
        /// The offending value.
        value: String,
    },
}
