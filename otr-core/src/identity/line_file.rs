//! What libotr's tab-separated, line-based files (instance tags,
//! fingerprints) have in common: how libotr's reading loop sees them, how a
//! rewrite keeps every line it does not own, and which bytes a field may not
//! hold when writing.
//!
//! libotr reads these files with `fgets` into a 1000-byte buffer and then
//! treats the buffer as a C string. So a "line" is at most 999 bytes (a
//! longer one is read in pieces), ends after its `\n` (a last line without
//! one is read too, but every field search then fails on it), and stops at
//! its first NUL. [`libotr_lines`] yields exactly those views, so our
//! readers take the same entries as libotr from any file.

/// The size of libotr's line buffer (`char storeline[1000]`).
const LIBOTR_LINE_BUFFER: usize = 1000;

/// The lines libotr's `fgets` loop reads, each as the C string libotr then
/// parses (up to its first NUL; with its `\n` when it has one).
pub(crate) fn libotr_lines(input: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = input;
    core::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let limit = rest.len().min(LIBOTR_LINE_BUFFER - 1);
        let window = rest.get(..limit).unwrap_or(rest);
        let len = memchr::memchr(b'\n', window).map_or(limit, |i| i + 1);
        let (line, after) = rest.split_at(len.min(rest.len()));
        rest = after;
        Some(until_nul(line))
    })
}

fn until_nul(bytes: &[u8]) -> &[u8] {
    let end = memchr::memchr(0, bytes).unwrap_or(bytes.len());
    bytes.get(..end).unwrap_or(bytes)
}

/// Splits at the first tab (`strchr(s, '\t')`): the part before, and after.
pub(crate) fn split_tab(s: &[u8]) -> Option<(&[u8], &[u8])> {
    let i = memchr::memchr(b'\t', s)?;
    Some((s.get(..i)?, s.get(i + 1..)?))
}

/// The last field as libotr ends it: at the first `\r`, else at the first
/// `\n`; `None` when there is neither (libotr skips the line).
pub(crate) fn until_line_end(s: &[u8]) -> Option<&[u8]> {
    let end = memchr::memchr(b'\r', s).or_else(|| memchr::memchr(b'\n', s))?;
    s.get(..end)
}

/// The file's lines as a rewrite keeps them: each with its `\n` (a last
/// line without one as it is), so that concatenating them gives the file.
pub(crate) fn raw_lines(input: &[u8]) -> impl Iterator<Item = &[u8]> {
    input.split_inclusive(|&b| b == b'\n')
}

/// Whether libotr reads `raw` (one of [`raw_lines`]) as one line, so that an
/// entry parsed from it is the entry libotr takes from it.
pub(crate) fn read_whole_by_libotr(raw: &[u8]) -> bool {
    raw.len() < LIBOTR_LINE_BUFFER
}

/// A rewritten file: kept lines, then new ones; new lines never follow a
/// last line that has no `\n` (libotr does not read that line, and joining
/// it to ours would change what libotr reads).
#[derive(Default)]
pub(crate) struct Rewrite {
    out: Vec<u8>,
    appended: Vec<u8>,
}

impl Rewrite {
    /// Keeps (or writes) one line in place.
    pub fn line(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    /// Adds a new line after the existing ones.
    pub fn append(&mut self, bytes: &[u8]) {
        self.appended.extend_from_slice(bytes);
    }

    /// The file.
    pub fn finish(self) -> Vec<u8> {
        let Self { mut out, appended } = self;
        if out.last().is_some_and(|&b| b != b'\n') {
            let start = out.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            let tail = out.split_off(start);
            out.extend_from_slice(&appended);
            out.extend_from_slice(&tail);
        } else {
            out.extend_from_slice(&appended);
        }
        out
    }
}

/// Checks that `value` holds none of `forbidden`.
pub(crate) fn check_field(
    field: &'static str,
    value: &[u8],
    forbidden: &[u8],
) -> Result<(), LineFileError> {
    if value.iter().any(|b| forbidden.contains(b)) {
        return Err(LineFileError::SeparatorInField {
            field,
            value: String::from_utf8_lossy(value).into_owned(),
        });
    }
    Ok(())
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_what_fgets_reads_into_1000_bytes() {
        let long = [b'a'; 1500];
        let mut file = b"one\ntwo\r\n".to_vec();
        file.extend_from_slice(&long);
        file.extend_from_slice(b"\nnul\0after\nlast");
        let lines: Vec<&[u8]> = libotr_lines(&file).collect();
        assert_eq!(lines[0], b"one\n");
        assert_eq!(lines[1], b"two\r\n");
        assert_eq!(lines[2].len(), 999, "a long line is read in pieces");
        assert_eq!(lines[3].len(), 502, "the rest of it, with its newline");
        assert_eq!(lines[4], b"nul", "a C string stops at NUL");
        assert_eq!(lines[5], b"last");
        assert_eq!(lines.len(), 6);
    }

    #[test]
    fn new_lines_go_before_an_unterminated_last_line() {
        let mut r = Rewrite::default();
        r.line(b"kept\n");
        r.line(b"partial");
        r.append(b"new\n");
        assert_eq!(r.finish(), b"kept\nnew\npartial");
        let mut r = Rewrite::default();
        r.line(b"kept\n");
        r.append(b"new\n");
        assert_eq!(r.finish(), b"kept\nnew\n");
    }
}
