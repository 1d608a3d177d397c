//! The escaping of the peer line protocol (`docs/PEER-PROTOCOL.md`):
//! `\` → `\\`, newline → `\n`, CR → `\r`, TAB → `\t`, other control bytes →
//! `\xHH`, and a space at the very end → `\x20`. Bytes ≥ 0x80 pass raw.

pub use crate::fixtures::unescape;

/// Escapes a payload for one output line.
#[must_use]
pub fn escape(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b' ' if i + 1 == bytes.len() => out.extend_from_slice(b"\\x20"),
            0..=0x1f | 0x7f => out.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
            _ => out.push(b),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let cases: [&[u8]; 5] = [
            b"plain",
            b"a\\b\nc\rd\te",
            b"trailing ",
            b"\x00\x01\x7f",
            "ünï ✓".as_bytes(),
        ];
        for c in cases {
            assert_eq!(unescape(&escape(c)), c);
        }
        assert_eq!(escape(b"x "), b"x\\x20");
        assert_eq!(escape(b" x"), b" x");
        assert_eq!(unescape(b"\\q"), b"\\q");
    }
}
