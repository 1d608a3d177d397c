//! The ASCII armour of encoded messages: `?OTR:` + base64 + `.`.
//!
//! Our base64 policy (`docs/LIBOTR-DIFFERENCES.md`, decision 10): the standard alphabet with
//! canonical `=` padding, plus embedded whitespace (space, tab, CR, LF), which
//! IM networks insert when they wrap long lines. Anything else — other
//! characters, misplaced padding, a missing final `.` — is rejected. libotr's
//! own decoder is more lenient (it skips unknown characters and stops at the
//! first `=`), but libotr only ever writes canonical padded base64, so the
//! strict reading loses no interoperability.

use alloc::string::String;
use alloc::vec::Vec;
use base64::Engine as _;

use crate::error::DecodeError;

/// The base64 engine: the standard alphabet, canonical padding required.
#[cfg(all(
    feature = "simd",
    any(
        target_arch = "x86_64",
        all(target_arch = "aarch64", target_feature = "neon")
    )
))]
fn engine() -> &'static base64::engine::Simd {
    // Detected once, without a lock (threads racing on first use may each
    // detect; all but one result are dropped).
    static ENGINE: once_cell::race::OnceBox<base64::engine::Simd> = once_cell::race::OnceBox::new();
    ENGINE.get_or_init(|| {
        alloc::boxed::Box::new(base64::engine::Simd::standard(
            base64::engine::general_purpose::PAD,
        ))
    })
}

/// The base64 engine: the standard alphabet, canonical padding required.
#[cfg(not(all(
    feature = "simd",
    any(
        target_arch = "x86_64",
        all(target_arch = "aarch64", target_feature = "neon")
    )
)))]
fn engine() -> &'static base64::engine::GeneralPurpose {
    &base64::engine::general_purpose::STANDARD
}

/// The prefix of every encoded message.
pub const ENCODED_PREFIX: &[u8] = b"?OTR:";

/// Armours binary message bytes as `?OTR:<base64>.`.
#[must_use]
pub fn encode(bytes: &[u8]) -> String {
    let mut out =
        String::with_capacity(bytes.len().div_ceil(3).saturating_mul(4).saturating_add(6));
    out.push_str("?OTR:");
    engine().encode_string(bytes, &mut out);
    out.push('.');
    out
}

/// [`encode`] as bytes, without a text (UTF-8) check of the output.
#[must_use]
pub fn encode_to_vec(bytes: &[u8]) -> Vec<u8> {
    let start = ENCODED_PREFIX.len();
    let body = bytes.len().div_ceil(3).saturating_mul(4);
    let mut out = Vec::with_capacity(start.saturating_add(body).saturating_add(1));
    out.extend_from_slice(ENCODED_PREFIX);
    out.resize(start.saturating_add(body), 0);
    let written = out
        .get_mut(start..)
        .map_or(0, |space| engine().encode_slice(bytes, space).unwrap_or(0));
    out.truncate(start.saturating_add(written));
    out.push(b'.');
    out
}

/// Decodes the base64 text between `?OTR:` and `.`.
///
/// # Errors
/// [`DecodeError::InvalidBase64`] for anything but the standard alphabet with
/// canonical padding and optional embedded whitespace.
pub fn decode_base64(text: &[u8]) -> Result<Vec<u8>, DecodeError> {
    // Whitespace is outside the alphabet, so unwrapped text (the usual case)
    // decodes directly and wrapped text fails first, then decodes compacted.
    if let Ok(bytes) = engine().decode(text) {
        return Ok(bytes);
    }
    let is_wrap = |c: &u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
    let wrapped = memchr::memchr3(b' ', b'\t', b'\n', text).is_some()
        || memchr::memchr(b'\r', text).is_some();
    if !wrapped {
        return Err(DecodeError::InvalidBase64);
    }
    let compact: Vec<u8> = text.iter().copied().filter(|c| !is_wrap(c)).collect();
    engine()
        .decode(compact)
        .map_err(|_| DecodeError::InvalidBase64)
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
        for len in 0..40 {
            let b: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            assert_eq!(encode_to_vec(&b), encode(&b).into_bytes(), "length {len}");
        }
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

    #[test]
    fn the_engine_in_use_agrees_with_the_portable_one() {
        // The SIMD engine (when built) must accept, reject and produce exactly
        // what the portable engine does: every length up to 3 SIMD blocks,
        // then every position of each encoding replaced by a tricky byte.
        use base64::engine::general_purpose::STANDARD;
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed.to_le_bytes()[0]
        };
        for len in 0..100usize {
            let bytes: Vec<u8> = (0..len).map(|_| next()).collect();
            let ours = engine().encode(&bytes);
            assert_eq!(ours, STANDARD.encode(&bytes), "length {len}");
            assert_eq!(engine().decode(&ours).unwrap(), bytes);
            for pos in 0..ours.len() {
                for tricky in [b'=', b'-', b'_', b'@', b'.', 0x80, b'A', b'/', 0] {
                    let mut text = ours.clone().into_bytes();
                    if let Some(b) = text.get_mut(pos) {
                        *b = tricky;
                    }
                    assert_eq!(
                        engine().decode(&text).ok(),
                        STANDARD.decode(&text).ok(),
                        "length {len}, byte {tricky:#04x} at {pos}"
                    );
                }
            }
            let mut truncated = ours.clone().into_bytes();
            truncated.pop();
            assert_eq!(
                engine().decode(&truncated).ok(),
                STANDARD.decode(&truncated).ok()
            );
        }
    }
}
