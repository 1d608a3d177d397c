//! What libotr's tab-separated, line-based files (instance tags,
//! fingerprints) have in common: how libotr splits them when reading, and
//! which characters a field may not hold when writing.

use super::line_file_error::LineFileError;

/// Checks that `value` holds none of `forbidden`.
pub(crate) fn check_field(
    field: &'static str,
    value: &str,
    forbidden: &[char],
) -> Result<(), LineFileError> {
    if value.contains(forbidden) {
        return Err(LineFileError::SeparatorInField {
            field,
            value: value.to_owned(),
        });
    }
    Ok(())
}

/// Splits a file into lines the way libotr's `fgets` loop sees them: each line
/// without its `\n`. A last line without `\n` is kept too (libotr would skip
/// it; a hand-edited file often lacks the final newline).
pub(crate) fn lines(input: &[u8]) -> impl Iterator<Item = &[u8]> {
    let trimmed = input.strip_suffix(b"\n").unwrap_or(input);
    let empty = input.is_empty();
    trimmed.split(|&b| b == b'\n').filter(move |_| !empty)
}

/// The part of a line's last field before its first `\r` (libotr ends the
/// field at the first `\r`, else at `\n`).
pub(crate) fn until_carriage_return(field: &[u8]) -> &[u8] {
    let end = field
        .iter()
        .position(|&b| b == b'\r')
        .unwrap_or(field.len());
    field.get(..end).unwrap_or(field)
}
