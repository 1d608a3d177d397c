//! The ASCII armour of encoded messages: `?OTR:` + base64 + `.`.
//!
//! Our base64 policy (LIBOTR-FACTS.md decision 10): the standard alphabet with
//! canonical `=` padding, plus embedded whitespace (space, tab, CR, LF), which
//! IM networks insert when they wrap long lines. Anything else — other
//! characters, misplaced padding, a missing final `.` — is rejected. libotr's
//! own decoder is more lenient (it skips unknown characters and stops at the
//! first `=`), but libotr only ever writes canonical padded base64, so the
//! strict reading loses no interoperability.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::error::DecodeError;

/// The prefix of every encoded message.
pub const ENCODED_PREFIX: &[u8] = b"?OTR:";

/// Armours binary message bytes as `?OTR:<base64>.`.
#[must_use]
pub fn encode(bytes: &[u8]) -> String {
    let mut out =
        String::with_capacity(bytes.len().div_ceil(3).saturating_mul(4).saturating_add(6));
    out.push_str("?OTR:");
    STANDARD.encode_string(bytes, &mut out);
    out.push('.');
    out
}

/// Decodes the base64 text between `?OTR:` and `.`.
///
/// # Errors
/// [`DecodeError::InvalidBase64`] for anything but the standard alphabet with
/// canonical padding and optional embedded whitespace.
pub fn decode_base64(text: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let is_wrap = |c: &u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
    let wrapped = memchr::memchr3(b' ', b'\t', b'\n', text).is_some()
        || memchr::memchr(b'\r', text).is_some();
    if wrapped {
        let compact: Vec<u8> = text.iter().copied().filter(|c| !is_wrap(c)).collect();
        STANDARD
            .decode(compact)
            .map_err(|_| DecodeError::InvalidBase64)
    } else {
        STANDARD
            .decode(text)
            .map_err(|_| DecodeError::InvalidBase64)
    }
}

/// Decodes a whole armoured message starting with `?OTR:`; text after the
/// terminating `.` is ignored (as libotr does).
///
/// # Errors
/// [`DecodeError::MissingTerminator`] or [`DecodeError::InvalidBase64`].
pub fn decode(armoured: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let body = armoured
        .strip_prefix(ENCODED_PREFIX)
        .ok_or(DecodeError::InvalidBase64)?;
    let end = memchr::memchr(b'.', body).ok_or(DecodeError::MissingTerminator)?;
    decode_base64(body.get(..end).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let bytes = [0u8, 3, 3, 0xff, 0x10];
        let text = encode(&bytes);
        assert_eq!(text, "?OTR:AAMD/xA=.");
        assert_eq!(decode(text.as_bytes()).unwrap(), bytes);
    }

    #[test]
    fn all_padding_is_rejected_without_an_undersized_buffer() {
        // CVE-2012-3461: libotr once overflowed a heap buffer on this input.
        assert_eq!(decode(b"?OTR:===."), Err(DecodeError::InvalidBase64));
    }

    #[test]
    fn bad_characters_or_padding_are_rejected() {
        assert_eq!(decode(b"?OTR:AAMD!!."), Err(DecodeError::InvalidBase64));
        assert_eq!(decode(b"?OTR:AA=MD."), Err(DecodeError::InvalidBase64));
        assert_eq!(decode(b"?OTR:AAM."), Err(DecodeError::InvalidBase64));
        assert_eq!(decode(b"?OTR:AAMD"), Err(DecodeError::MissingTerminator));
    }

    #[test]
    fn wrapped_lines_are_accepted() {
        assert_eq!(
            decode(b"?OTR:AA\r\nMD/x A=.").unwrap(),
            [0, 3, 3, 0xff, 0x10]
        );
    }

    #[test]
    fn empty_body_decodes_to_nothing() {
        assert_eq!(decode(b"?OTR:.").unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn each_wrap_character_alone_is_accepted() {
        // Each of space, tab, LF and CR must switch on the whitespace filter by
        // itself, not only in combination with another one.
        for wrap in [b' ', b'\t', b'\n', b'\r'] {
            let mut text = b"?OTR:AAMD".to_vec();
            text.push(wrap);
            text.extend_from_slice(b"/xA=.");
            assert_eq!(
                decode(&text).unwrap(),
                [0, 3, 3, 0xff, 0x10],
                "wrap byte {wrap:#04x}"
            );
        }
    }
}
