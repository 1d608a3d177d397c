//! Text forms libotr hands to clients.

/// `otrl_privkey_hash_to_human`: five groups of eight uppercase hex digits,
/// separated by spaces (44 characters; the C buffer adds the NUL).
#[must_use]
pub fn hash_to_human(hash: &[u8; 20]) -> [u8; 44] {
    let mut out = [b' '; 44];
    let mut at = 0usize;
    for (i, byte) in hash.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            at += 1;
        }
        if let Some(pair) = out.get_mut(at..at + 2) {
            pair.copy_from_slice(&[hex_digit(byte >> 4), hex_digit(byte & 15)]);
        }
        at += 2;
    }
    out
}

fn hex_digit(nibble: u8) -> u8 {
    if nibble < 10 {
        b'0' + nibble
    } else {
        b'A' + (nibble - 10)
    }
}

/// The library's version string (`otrl_version`).
pub const VERSION: &[u8] = b"4.1.1\0";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_groups() {
        let hash: [u8; 20] = core::array::from_fn(|i| u8::try_from(i * 13).unwrap_or(0));
        let text = hash_to_human(&hash);
        assert_eq!(
            core::str::from_utf8(&text).unwrap_or(""),
            "000D1A27 34414E5B 6875828F 9CA9B6C3 D0DDEAF7"
        );
    }
}
