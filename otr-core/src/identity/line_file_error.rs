//! Why a line-based libotr file (instance tags, fingerprints) cannot be written.

/// A value that libotr's tab-separated, line-based files cannot hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LineFileError {
    /// The value contains a separator of the file format.
    #[error(
        "cannot write the {field} {value:?}: libotr's file would split it at its tab, \
         carriage return, newline or NUL"
    )]
    SeparatorInField {
        /// Which field (`"account"`, `"protocol"`, `"username"`, `"trust"`).
        field: &'static str,
        /// The offending value.
        value: String,
    },
}
