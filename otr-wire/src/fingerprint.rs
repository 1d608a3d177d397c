//! Public-key fingerprints: SHA-1 of the public key without its type, shown to
//! people as five groups of eight uppercase hex digits.

use alloc::string::String;
use core::fmt;

use sha1::{Digest, Sha1};

/// A 20-byte OTR fingerprint.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fingerprint([u8; 20]);

impl Fingerprint {
    /// Wraps raw fingerprint bytes.
    #[must_use]
    pub fn from_bytes(bytes: [u8; 20]) -> Self {
        Self(bytes)
    }

    /// The fingerprint of the given public-key body (the PUBKEY encoding without
    /// its 2-byte type, as the spec prescribes for DSA keys).
    #[must_use]
    pub fn of_key_body(body: &[u8]) -> Self {
        Self(Sha1::digest(body).into())
    }

    /// The raw bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; 20] {
        &self.0
    }

    /// 40 lowercase hex digits, as libotr's fingerprints file stores it.
    #[must_use]
    pub fn to_hex(&self) -> String {
        let mut s = String::with_capacity(40);
        for b in self.0 {
            s.push(hex_digit(b >> 4, false));
            s.push(hex_digit(b & 0x0f, false));
        }
        s
    }

    /// libotr's human-readable form: five groups of eight uppercase hex digits
    /// separated by spaces (`otrl_privkey_hash_to_human`).
    #[must_use]
    pub fn to_human(&self) -> String {
        let mut s = String::with_capacity(44);
        for (i, b) in self.0.iter().enumerate() {
            if i > 0 && i % 4 == 0 {
                s.push(' ');
            }
            s.push(hex_digit(b >> 4, true));
            s.push(hex_digit(b & 0x0f, true));
        }
        s
    }

    /// Parses 40 hex digits (either case; spaces between groups are allowed, as
    /// in the human form). `None` for anything else.
    #[must_use]
    pub fn parse_hex(text: &str) -> Option<Self> {
        let mut out = [0u8; 20];
        let mut nibbles = text.bytes().filter(|&c| c != b' ');
        for byte in &mut out {
            let hi = hex_value(nibbles.next()?)?;
            let lo = hex_value(nibbles.next()?)?;
            *byte = (hi << 4) | lo;
        }
        if nibbles.next().is_some() {
            return None;
        }
        Some(Self(out))
    }
}

fn hex_digit(nibble: u8, upper: bool) -> char {
    let table: &[u8; 16] = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    char::from(
        table
            .get(usize::from(nibble & 0x0f))
            .copied()
            .unwrap_or(b'0'),
    )
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_human())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({})", self.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_form_is_five_uppercase_groups() {
        let fp = Fingerprint::from_bytes([
            0x9a, 0x08, 0xbc, 0xde, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0xff,
        ]);
        assert_eq!(
            fp.to_human(),
            "9A08BCDE 01020304 05060708 090A0B0C 0D0E0FFF"
        );
        assert_eq!(fp.to_hex(), "9a08bcde0102030405060708090a0b0c0d0e0fff");
        assert_eq!(Fingerprint::parse_hex(&fp.to_human()), Some(fp));
        assert_eq!(Fingerprint::parse_hex(&fp.to_hex()), Some(fp));
        assert_eq!(Fingerprint::parse_hex("9a08"), None);
        assert_eq!(Fingerprint::parse_hex(&format!("{}0", fp.to_hex())), None);
    }

    #[test]
    fn as_bytes_and_formatting_show_the_wrapped_bytes() {
        let mut bytes = [0u8; 20];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = u8::try_from(i * 13).unwrap();
        }
        let fp = Fingerprint::from_bytes(bytes);
        assert_eq!(fp.as_bytes(), &bytes);
        assert_eq!(fp.to_string(), fp.to_human());
        assert_eq!(format!("{fp:?}"), format!("Fingerprint({})", fp.to_hex()));
        // Every nibble value in both positions survives a parse.
        let all_nibbles = Fingerprint::from_bytes([
            0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54,
            0x32, 0x10, 0x0f, 0xf0, 0x11, 0xee,
        ]);
        assert_eq!(
            Fingerprint::parse_hex(&all_nibbles.to_hex()),
            Some(all_nibbles)
        );
    }
}
