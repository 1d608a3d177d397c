//! Fragments: how long OTR messages cross networks with a small maximum size.
//!
//! ```text
//! v3: ?OTR|<sender tag hex>|<receiver tag hex>,<k>,<n>,<piece>,
//! v2: ?OTR,<k>,<n>,<piece>,
//! ```
//!
//! Received fragments: tags are 1–8 hex digits, `k` and `n` decimal with
//! optional leading zeros, `1 ≤ k ≤ n ≤ 65535`, the piece non-empty and running
//! to the message's last comma (so commas inside a piece survive; text after
//! the last comma is ignored, as libotr ignores it). Sent fragments use
//! libotr's exact format (`%08x` tags, `%05hu` counts) and piece size, so every
//! fragment is at most `max_size − 1` bytes.

use crate::error::{DecodeError, EncodeError};
use crate::header::{Header, instance_tags_from_wire};
use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

/// The v3 fragment prefix.
pub const V3_PREFIX: &[u8] = b"?OTR|";
/// The v2 fragment prefix.
pub const V2_PREFIX: &[u8] = b"?OTR,";
/// libotr's header allowance for v3 fragments: a piece is `max_size − 37` bytes.
pub const V3_OVERHEAD: usize = 37;
/// libotr's header allowance for v2 fragments: a piece is `max_size − 19` bytes.
pub const V2_OVERHEAD: usize = 19;
/// The most fragments one message may be split into.
pub const MAX_FRAGMENTS: usize = 65535;

/// One received (or built) fragment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fragment<'a> {
    /// v2, or v3 with the sender's and receiver's instance tags.
    pub header: Header,
    /// This fragment's position, 1-based.
    pub index: u16,
    /// The number of fragments of the message.
    pub total: u16,
    /// This fragment's piece of the message.
    pub piece: &'a [u8],
}

/// Parses a fragment at the start of `text` (beginning with `?OTR|` or `?OTR,`).
///
/// # Errors
/// [`DecodeError::InvalidFragment`] saying which rule was broken, or an
/// instance-tag error for v3 fragments with invalid tags.
pub fn parse(text: &[u8]) -> Result<Fragment<'_>, DecodeError> {
    let (header, rest) = if let Some(rest) = text.strip_prefix(V3_PREFIX) {
        let (sender, rest) = hex_field(rest, b'|')?;
        let (receiver, rest) = hex_field(rest, b',')?;
        let (sender, receiver) = instance_tags_from_wire(sender, receiver)?;
        (Header::V3 { sender, receiver }, rest)
    } else if let Some(rest) = text.strip_prefix(V2_PREFIX) {
        (Header::V2, rest)
    } else {
        return Err(DecodeError::InvalidFragment("not a fragment"));
    };
    let (index, rest) = count_field(rest)?;
    let (total, rest) = count_field(rest)?;
    if index == 0 || total == 0 {
        return Err(DecodeError::InvalidFragment("k and n must be at least 1"));
    }
    if index > total {
        return Err(DecodeError::InvalidFragment("k is larger than n"));
    }
    let last_comma = rest
        .iter()
        .rposition(|&c| c == b',')
        .ok_or(DecodeError::InvalidFragment(
            "missing the comma after the piece",
        ))?;
    let piece = rest.get(..last_comma).unwrap_or_default();
    if piece.is_empty() {
        return Err(DecodeError::InvalidFragment("empty piece"));
    }
    Ok(Fragment {
        header,
        index,
        total,
        piece,
    })
}

/// Reads 1–8 hex digits followed by `end`.
fn hex_field(text: &[u8], end: u8) -> Result<(u32, &[u8]), DecodeError> {
    let len = text
        .iter()
        .position(|&c| c == end)
        .ok_or(DecodeError::InvalidFragment("unterminated instance tag"))?;
    let digits = text.get(..len).unwrap_or_default();
    if digits.is_empty() || digits.len() > 8 {
        return Err(DecodeError::InvalidFragment(
            "an instance tag must be 1 to 8 hex digits",
        ));
    }
    let mut value = 0u32;
    for &c in digits {
        let nibble = char::from(c)
            .to_digit(16)
            .ok_or(DecodeError::InvalidFragment("instance tag is not hex"))?;
        value = (value << 4) | nibble;
    }
    Ok((value, text.get(len.saturating_add(1)..).unwrap_or_default()))
}

/// Reads a decimal count (leading zeros allowed, at most 65535) and its comma.
fn count_field(text: &[u8]) -> Result<(u16, &[u8]), DecodeError> {
    let len = text
        .iter()
        .position(|&c| c == b',')
        .ok_or(DecodeError::InvalidFragment("unterminated fragment count"))?;
    let digits = text.get(..len).unwrap_or_default();
    if digits.is_empty() {
        return Err(DecodeError::InvalidFragment("empty fragment count"));
    }
    let mut value = 0u16;
    for &c in digits {
        if !c.is_ascii_digit() {
            return Err(DecodeError::InvalidFragment(
                "a fragment count must be decimal digits",
            ));
        }
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u16::from(c - b'0')))
            .ok_or(DecodeError::InvalidFragment(
                "a fragment count is larger than 65535",
            ))?;
    }
    Ok((value, text.get(len.saturating_add(1)..).unwrap_or_default()))
}

/// libotr's header allowance for a protocol version.
#[must_use]
pub fn overhead(header: &Header) -> usize {
    match header {
        Header::V2 => V2_OVERHEAD,
        Header::V3 { .. } => V3_OVERHEAD,
    }
}

/// Splits `message` for a network whose messages may be at most `max_size`
/// bytes, exactly as libotr does. A message of at most `max_size` bytes is
/// returned whole; a longer one becomes `ceil(len / (max_size − overhead))`
/// fragments, each at most `max_size − 1` bytes.
///
/// # Errors
/// [`EncodeError::FragmentSizeTooSmall`] when splitting is needed and
/// `max_size` does not exceed the header allowance (37 for v3, 19 for v2);
/// [`EncodeError::TooManyFragments`] beyond 65535 fragments.
pub fn split(
    message: &[u8],
    header: &Header,
    max_size: usize,
) -> Result<Vec<Vec<u8>>, EncodeError> {
    if message.len() <= max_size {
        return Ok(vec![message.to_vec()]);
    }
    let overhead = overhead(header);
    let piece_len = max_size
        .checked_sub(overhead)
        .filter(|&n| n > 0)
        .ok_or(EncodeError::FragmentSizeTooSmall { max_size, overhead })?;
    let count = message.len().div_ceil(piece_len);
    let total = u16::try_from(count).map_err(|_| EncodeError::TooManyFragments { count })?;
    let mut out = Vec::with_capacity(count);
    for (i, piece) in message.chunks(piece_len).enumerate() {
        let index = u16::try_from(i.saturating_add(1)).unwrap_or(total);
        out.push(build(header, index, total, piece));
    }
    Ok(out)
}

/// Builds one fragment in libotr's format.
#[must_use]
pub fn build(header: &Header, index: u16, total: u16, piece: &[u8]) -> Vec<u8> {
    let prefix = match header {
        Header::V2 => format!("?OTR,{index:05},{total:05},"),
        Header::V3 { sender, .. } => format!(
            "?OTR|{:08x}|{:08x},{index:05},{total:05},",
            sender.get(),
            header.receiver_wire()
        ),
    };
    let mut out = Vec::with_capacity(prefix.len().saturating_add(piece.len()).saturating_add(1));
    out.extend_from_slice(prefix.as_bytes());
    out.extend_from_slice(piece);
    out.push(b',');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::InstanceTag;

    fn v3() -> Header {
        Header::V3 {
            sender: InstanceTag::new(0x1234_5678).unwrap(),
            receiver: InstanceTag::new(0x9abc_def0),
        }
    }

    #[test]
    fn parses_both_formats() {
        let f = parse(b"?OTR|12345678|9abcdef0,00001,00002,abc,").unwrap();
        assert_eq!((f.index, f.total, f.piece), (1, 2, &b"abc"[..]));
        assert_eq!(f.header, v3());
        let f = parse(b"?OTR,2,2,de f,").unwrap();
        assert_eq!(
            (f.header, f.index, f.total, f.piece),
            (Header::V2, 2, 2, &b"de f"[..])
        );
    }

    #[test]
    fn fragment_index_or_total_zero_or_index_above_total_is_discarded() {
        for bad in [
            &b"?OTR,0,1,a,"[..],
            b"?OTR,1,0,a,",
            b"?OTR,3,2,a,",
            b"?OTR,0,0,a,",
        ] {
            assert!(
                matches!(parse(bad), Err(DecodeError::InvalidFragment(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn fragment_with_empty_piece_is_discarded() {
        assert!(parse(b"?OTR|00000100|00000000,1,2,,").is_err());
        assert!(parse(b"?OTR,1,2,,").is_err());
    }

    #[test]
    fn fragment_counts_out_of_range_or_not_decimal_or_no_trailing_comma_are_discarded() {
        for bad in [
            &b"?OTR,70000,70000,a,"[..],
            b"?OTR,65536,65536,a,",
            b"?OTR,-1,2,a,",
            b"?OTR,0x10,0x10,a,",
            b"?OTR,1,2,a",
            b"?OTR,1,2",
            b"?OTR,,2,a,",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse(b"?OTR,65535,65535,a,").unwrap().total, 65535);
    }

    #[test]
    fn fragment_counts_with_leading_zeros_are_accepted() {
        let f = parse(b"?OTR,00001,0000000000002,x,").unwrap();
        assert_eq!((f.index, f.total), (1, 2));
    }

    #[test]
    fn fragment_piece_runs_to_the_last_comma() {
        let f = parse(b"?OTR,1,1,a,b,c,").unwrap();
        assert_eq!(f.piece, b"a,b,c");
        // Text after the last comma is ignored, as libotr ignores it.
        assert_eq!(parse(b"?OTR,1,1,abc,</p>").unwrap().piece, b"abc");
    }

    #[test]
    fn fragment_with_invalid_instance_tags_is_discarded() {
        assert_eq!(
            parse(b"?OTR|000000ff|00000000,1,1,a,"),
            Err(DecodeError::InvalidSenderInstanceTag(0xff))
        );
        assert_eq!(
            parse(b"?OTR|00000100|00000001,1,1,a,"),
            Err(DecodeError::InvalidReceiverInstanceTag(1))
        );
        assert!(parse(b"?OTR|123456789|00000000,1,1,a,").is_err());
        assert!(parse(b"?OTR|1234567g|00000000,1,1,a,").is_err());
        assert!(parse(b"?OTR||00000000,1,1,a,").is_err());
    }

    #[test]
    fn split_matches_libotr_sizes() {
        let message = vec![b'A'; 250];
        let frags = split(&message, &v3(), 100).unwrap();
        assert_eq!(frags.len(), 4); // 63 bytes a piece
        assert!(frags.iter().all(|f| f.len() <= 99));
        assert_eq!(frags[0].len(), 99);
        assert!(frags[0].starts_with(b"?OTR|12345678|9abcdef0,00001,00004,"));
        let reassembled: Vec<u8> = frags
            .iter()
            .flat_map(|f| parse(f).unwrap().piece.to_vec())
            .collect();
        assert_eq!(reassembled, message);

        let frags = split(&message, &Header::V2, 100).unwrap();
        assert_eq!(frags.len(), 4); // 81 bytes a piece
        assert_eq!(frags[0].len(), 99);
        assert!(frags[0].starts_with(b"?OTR,00001,00004,"));
    }

    #[test]
    fn split_leaves_short_messages_whole() {
        assert_eq!(split(b"abc", &v3(), 3).unwrap(), vec![b"abc".to_vec()]);
        assert_eq!(
            split(b"abc", &v3(), 0).unwrap_err(),
            EncodeError::FragmentSizeTooSmall {
                max_size: 0,
                overhead: 37
            }
        );
    }

    #[test]
    fn split_rejects_sizes_not_larger_than_the_header() {
        let message = vec![b'A'; 100];
        assert_eq!(
            split(&message, &v3(), 37),
            Err(EncodeError::FragmentSizeTooSmall {
                max_size: 37,
                overhead: 37
            })
        );
        assert_eq!(split(&message, &v3(), 38).unwrap().len(), 100);
        assert_eq!(
            split(&message, &Header::V2, 19),
            Err(EncodeError::FragmentSizeTooSmall {
                max_size: 19,
                overhead: 19
            })
        );
    }

    #[test]
    fn split_refuses_more_than_65535_fragments() {
        let message = vec![b'A'; 65536];
        assert_eq!(
            split(&message, &Header::V2, 20),
            Err(EncodeError::TooManyFragments { count: 65536 })
        );
        assert_eq!(
            split(&message[..65535], &Header::V2, 20).unwrap().len(),
            65535
        );
    }
}
