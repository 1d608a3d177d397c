//! libotr's own base64 decoder, which the header readers of `proto.h`
//! (`otrl_proto_instance`, `otrl_proto_data_read_flags`) use: characters
//! outside the alphabet are skipped, the first `=` ends the input (a partial
//! group before it still gives its whole bytes), and a short group at the end
//! is dropped. A strict decoder would refuse inputs these functions accept,
//! so this is libotr's behaviour, not a general-purpose base64.

/// The value of one base64 character, `None` for anything else.
fn value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// The bytes of a group of `n` (0..=4) six-bit values.
fn push_group(out: &mut Vec<u8>, group: [u8; 4], n: usize) {
    let [a, b, c, d] = group;
    if n > 1 {
        out.push((a << 2) | (b >> 4));
    }
    if n > 2 {
        out.push((b << 4) | (c >> 2));
    }
    if n > 3 {
        out.push((c << 6) | d);
    }
}

/// Decodes `text` as libotr's `otrl_base64_decode` does.
#[must_use]
pub fn decode(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut group = [0u8; 4];
    let mut n = 0usize;
    for &c in text {
        if c == b'=' {
            push_group(&mut out, group, n);
            return out;
        }
        let Some(v) = value(c) else { continue };
        if let Some(slot) = group.get_mut(n) {
            *slot = v;
        }
        n += 1;
        if n == 4 {
            push_group(&mut out, group, 4);
            n = 0;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn skips_foreign_characters_stops_at_padding_drops_a_short_tail() {
        assert_eq!(decode(b"aGVsbG8="), b"hello");
        assert_eq!(decode(b"aG V\nsb\x80G8="), b"hello");
        assert_eq!(
            decode(b"aGVsbG8"),
            b"hel",
            "a short group at the end is dropped"
        );
        assert_eq!(decode(b"aGVs=bG8"), b"hel");
        assert_eq!(decode(b"aG=="), b"h");
        assert_eq!(decode(b""), b"");
    }
}
