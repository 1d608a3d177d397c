//! Reading the libotr fixture files written by `tests/fixtures-gen` (record
//! format in `tests/fixtures-gen/README.md`).

use std::path::{Path, PathBuf};

/// The workspace root.
#[must_use]
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from(".."), Path::to_path_buf)
}

/// The directory holding the libotr fixtures.
#[must_use]
pub fn libotr_fixture_dir() -> PathBuf {
    workspace_root().join("tests/fixtures/libotr")
}

/// Undoes the fixture (and peer line protocol) escaping: `\\`, `\n`, `\r`,
/// `\t`, `\xHH`; any other backslash stays literal.
#[must_use]
pub fn unescape(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while let Some(&c) = text.get(i) {
        if c != b'\\' {
            out.push(c);
            i += 1;
            continue;
        }
        match text.get(i + 1) {
            Some(b'\\') => {
                out.push(b'\\');
                i += 2;
            }
            Some(b'n') => {
                out.push(b'\n');
                i += 2;
            }
            Some(b'r') => {
                out.push(b'\r');
                i += 2;
            }
            Some(b't') => {
                out.push(b'\t');
                i += 2;
            }
            Some(b'x') => {
                let hex = text
                    .get(i + 2..i + 4)
                    .and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 4;
                    }
                    None => {
                        out.push(b'\\');
                        i += 1;
                    }
                }
            }
            _ => {
                out.push(b'\\');
                i += 1;
            }
        }
    }
    out
}

/// One record: its type and raw (still escaped) fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The record type (`WIRE`, `PARSE`, …).
    pub kind: String,
    /// The fields after the type, still escaped.
    pub fields: Vec<Vec<u8>>,
}

impl Record {
    /// Field `i` unescaped.
    #[must_use]
    pub fn text(&self, i: usize) -> Vec<u8> {
        self.fields.get(i).map(|f| unescape(f)).unwrap_or_default()
    }

    /// Field `i` as a UTF-8 string (lossy, unescaped).
    #[must_use]
    pub fn string(&self, i: usize) -> String {
        String::from_utf8_lossy(&self.text(i)).into_owned()
    }

    /// Field `i` decoded from hex (empty on error).
    #[must_use]
    pub fn hex(&self, i: usize) -> Vec<u8> {
        hex::decode(self.string(i)).unwrap_or_default()
    }
}

/// Reads a fixture file into records (comments skipped).
///
/// # Panics
/// If the file cannot be read: fixtures are part of the repository.
#[must_use]
#[allow(clippy::panic)]
pub fn read_records(name: &str) -> Vec<Record> {
    let path = libotr_fixture_dir().join(name);
    let bytes = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()));
    bytes
        .split(|&b| b == b'\n')
        .filter(|line| !line.is_empty() && !line.starts_with(b"#"))
        .map(|line| {
            let mut parts = line.split(|&b| b == b'\t');
            let kind = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
            Record {
                kind,
                fields: parts.map(<[u8]>::to_vec).collect(),
            }
        })
        .collect()
}

/// The fixture files that record conversations.
pub const CONVERSATIONS: [&str; 7] = [
    "ake-v3.txt",
    "ake-v2.txt",
    "fragments-v3.txt",
    "fragments-v2.txt",
    "whitespace.txt",
    "error.txt",
    "queries.txt",
];
