//! libotr's reading of a message text, on bytes: its type and version
//! (`otrl_proto_message_type`, `_message_version`), the best version a
//! query or a whitespace tag offers (`_query_bestversion`,
//! `_whitespace_bestversion`), and the header fields read without decrypting
//! (`_instance`, `_data_read_flags`).

/// `OtrlMessageType`.
pub mod msgtype {
    /// `OTRL_MSGTYPE_NOTOTR`.
    pub const NOTOTR: i32 = 0;
    /// `OTRL_MSGTYPE_TAGGEDPLAINTEXT`.
    pub const TAGGEDPLAINTEXT: i32 = 1;
    /// `OTRL_MSGTYPE_QUERY`.
    pub const QUERY: i32 = 2;
    /// `OTRL_MSGTYPE_DH_COMMIT`.
    pub const DH_COMMIT: i32 = 3;
    /// `OTRL_MSGTYPE_DH_KEY`.
    pub const DH_KEY: i32 = 4;
    /// `OTRL_MSGTYPE_REVEALSIG`.
    pub const REVEALSIG: i32 = 5;
    /// `OTRL_MSGTYPE_SIGNATURE`.
    pub const SIGNATURE: i32 = 6;
    /// `OTRL_MSGTYPE_V1_KEYEXCH`.
    pub const V1_KEYEXCH: i32 = 7;
    /// `OTRL_MSGTYPE_DATA`.
    pub const DATA: i32 = 8;
    /// `OTRL_MSGTYPE_ERROR`.
    pub const ERROR: i32 = 9;
    /// `OTRL_MSGTYPE_UNKNOWN`.
    pub const UNKNOWN: i32 = 10;
}

/// The whitespace tag's base (16 bytes).
const TAG_BASE: &[u8] = b" \t  \t\t\t\t \t \t \t  ";

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// What follows the first "?OTR" of a message, with it.
fn otr_tag(message: &[u8]) -> Option<&[u8]> {
    find(message, b"?OTR").and_then(|at| message.get(at..))
}

/// The message's type as libotr names it.
#[must_use]
pub fn message_type(message: &[u8]) -> i32 {
    let Some(tag) = otr_tag(message) else {
        return if find(message, TAG_BASE).is_some() {
            msgtype::TAGGEDPLAINTEXT
        } else {
            msgtype::NOTOTR
        };
    };
    const TYPES: &[(&[u8], i32)] = &[
        (b"?OTR?", msgtype::QUERY),
        (b"?OTRv", msgtype::QUERY),
        (b"?OTR:AAIC", msgtype::DH_COMMIT),
        (b"?OTR:AAIK", msgtype::DH_KEY),
        (b"?OTR:AAIR", msgtype::REVEALSIG),
        (b"?OTR:AAIS", msgtype::SIGNATURE),
        (b"?OTR:AAMC", msgtype::DH_COMMIT),
        (b"?OTR:AAMK", msgtype::DH_KEY),
        (b"?OTR:AAMR", msgtype::REVEALSIG),
        (b"?OTR:AAMS", msgtype::SIGNATURE),
        (b"?OTR:AAEK", msgtype::V1_KEYEXCH),
        (b"?OTR:AAED", msgtype::DATA),
        (b"?OTR:AAID", msgtype::DATA),
        (b"?OTR:AAMD", msgtype::DATA),
        (b"?OTR Error:", msgtype::ERROR),
    ];
    TYPES
        .iter()
        .find(|(prefix, _)| tag.starts_with(prefix))
        .map_or(msgtype::UNKNOWN, |(_, t)| *t)
}

/// The protocol version of an OTR message (0 when not one).
#[must_use]
pub fn message_version(message: &[u8]) -> i32 {
    match otr_tag(message) {
        Some(tag) if tag.starts_with(b"?OTR:AAM") => 3,
        Some(tag) if tag.starts_with(b"?OTR:AAI") => 2,
        Some(tag) if tag.starts_with(b"?OTR:AAE") => 1,
        _ => 0,
    }
}

/// The receiver instance tag of a v3 OTR message (its header, from the
/// first 16 base64 characters after "?OTR:").
#[must_use]
pub fn v3_receiver_tag(message: &[u8]) -> Option<u32> {
    let tag = otr_tag(message)?.strip_prefix(b"?OTR:")?;
    let header = otr_core::otr_wire::armor::decode_base64(tag.get(..16)?).ok()?;
    let bytes: [u8; 4] = header.get(7..11)?.try_into().ok()?;
    Some(u32::from_be_bytes(bytes))
}

/// `OTRL_POLICY_ALLOW_V1`.
const ALLOW_V1: u32 = 0x01;
/// `OTRL_POLICY_ALLOW_V2`.
const ALLOW_V2: u32 = 0x02;
/// `OTRL_POLICY_ALLOW_V3`.
const ALLOW_V3: u32 = 0x04;

/// The versions a peer offered, as bits (1 = v1, 2 = v2, 4 = v3).
#[derive(Debug, Clone, Copy, Default)]
struct Offered(u8);

impl Offered {
    /// The highest version both the offer and `policy` allow, or 0.
    fn best(self, policy: u32) -> u32 {
        if policy & ALLOW_V3 != 0 && self.0 & 4 != 0 {
            3
        } else if policy & ALLOW_V2 != 0 && self.0 & 2 != 0 {
            2
        } else if policy & ALLOW_V1 != 0 && self.0 & 1 != 0 {
            1
        } else {
            0
        }
    }
}

/// `otrl_proto_query_bestversion`: the best version of the query that
/// starts at the first "?OTR" (`?` for v1, then `v` and the digits up to the
/// next `?`), under `policy`; 0 without one.
#[must_use]
pub fn query_bestversion(message: &[u8], policy: u32) -> u32 {
    let Some(mut rest) = otr_tag(message).and_then(|t| t.get(4..)) else {
        return 0;
    };
    let mut offered = Offered::default();
    if let Some(after) = rest.strip_prefix(b"?") {
        offered.0 |= 1;
        rest = after;
    }
    if let Some(digits) = rest.strip_prefix(b"v") {
        for &c in digits.iter().take_while(|&&c| c != b'?') {
            match c {
                b'2' => offered.0 |= 2,
                b'3' => offered.0 |= 4,
                _ => {}
            }
        }
    }
    offered.best(policy)
}

/// `OTRL_MESSAGE_TAG_V1`, `_V2`, `_V3`: the 8-character version groups.
const TAG_V1: &[u8] = b" \t \t  \t ";
const TAG_V2: &[u8] = b"  \t\t  \t ";
const TAG_V3: &[u8] = b"  \t\t  \t\t";

/// A whitespace tag found in a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WhitespaceTag {
    /// Where the tag starts (its 16-character base).
    pub start: usize,
    /// Where it ends: after the last group of 8 spaces and tabs.
    pub end: usize,
    /// The best version it offers under the policy (0 when none).
    pub version: u32,
}

/// `otrl_proto_whitespace_bestversion`: the first whitespace tag's extent
/// (its base and every following group of 8 spaces and tabs, known version
/// or not) and the best version it offers under `policy`.
#[must_use]
pub fn whitespace_bestversion(message: &[u8], policy: u32) -> Option<WhitespaceTag> {
    let start = find(message, TAG_BASE)?;
    let mut end = start + TAG_BASE.len();
    let mut offered = Offered::default();
    while let Some(group) = message.get(end..end + 8) {
        if !group.iter().all(|&c| c == b' ' || c == b'\t') {
            break;
        }
        for (tag, bit) in [(TAG_V1, 1), (TAG_V2, 2), (TAG_V3, 4)] {
            if group == tag {
                offered.0 |= bit;
            }
        }
        end += 8;
    }
    Some(WhitespaceTag {
        start,
        end,
        version: offered.best(policy),
    })
}

/// A big-endian 32-bit number at `at`.
fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let four: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_be_bytes(four))
}

/// `otrl_proto_instance`: the sender and receiver instance tags of a v3
/// message, read as libotr does — the text must start with "?OTR:AAM" and
/// have at least 21 characters; the 12 characters after the header's first
/// base64 group hold the tags. Each is `None` when the decoded bytes stop
/// before it (libotr then sets the ones it read and returns an error).
#[must_use]
pub fn instance_tags(message: &[u8]) -> (Option<u32>, Option<u32>) {
    if !message.starts_with(b"?OTR:AAM") || message.len() < 21 {
        return (None, None);
    }
    let decoded = crate::lenient_base64::decode(message.get(9..21).unwrap_or_default());
    (be_u32(&decoded, 0), be_u32(&decoded, 4))
}

/// `otrl_proto_data_read_flags`: the flags byte of a data message, read from
/// its header without decrypting (0 for a v1 message, which has none);
/// `None` where libotr reports `GPG_ERR_INV_VALUE` (no "?OTR:", a header
/// that is not a data message's, too short).
#[must_use]
pub fn data_flags(message: &[u8]) -> Option<u8> {
    let at = find(message, b"?OTR:")?;
    let body = message.get(at + 5..)?;
    let body = body
        .iter()
        .position(|&c| c == b'.')
        .and_then(|end| body.get(..end))
        .unwrap_or(body);
    let raw = crate::lenient_base64::decode(body);
    let [zero, version, kind, rest @ ..] = raw.as_slice() else {
        return None;
    };
    if *zero != 0 || !matches!(version, 1..=3) || *kind != 0x03 {
        return None;
    }
    match version {
        3 => rest.get(8).copied(),
        2 => rest.first().copied(),
        _ => Some(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_and_versions() {
        assert_eq!(message_type(b"hello"), msgtype::NOTOTR);
        assert_eq!(
            message_type(b"hi \t  \t\t\t\t \t \t \t    \t\t  \t "),
            msgtype::TAGGEDPLAINTEXT
        );
        assert_eq!(message_type(b"x ?OTRv23? y"), msgtype::QUERY);
        assert_eq!(message_type(b"?OTR:AAMDxyz"), msgtype::DATA);
        assert_eq!(message_type(b"?OTR Error: no"), msgtype::ERROR);
        assert_eq!(message_type(b"?OTR:ZZ"), msgtype::UNKNOWN);
        assert_eq!(message_version(b"?OTR:AAMC..."), 3);
        assert_eq!(message_version(b"?OTR:AAIC..."), 2);
        assert_eq!(message_version(b"?OTRv3?"), 0);
        // 00 03 03 | 00 00 01 00 | 12 34 56 78 …
        assert_eq!(
            v3_receiver_tag(b"?OTR:AAMDAAABABI0VnirzQ==."),
            Some(0x1234_5678)
        );
        assert_eq!(v3_receiver_tag(b"?OTR:AAMD"), None);
    }

    #[test]
    fn best_versions_of_queries_and_tags() {
        assert_eq!(query_bestversion(b"?OTRv23? hi", 0x06), 3);
        assert_eq!(query_bestversion(b"?OTRv23?", 0x02), 2);
        assert_eq!(query_bestversion(b"x?OTR?v2?", 0x01), 1);
        assert_eq!(query_bestversion(b"?OTRv4?", 0x07), 0);
        assert_eq!(query_bestversion(b"no query", 0x07), 0);
        let tagged = [b"hi".as_slice(), TAG_BASE, TAG_V2, TAG_V3, b"!"].concat();
        assert_eq!(
            whitespace_bestversion(&tagged, 0x06),
            Some(WhitespaceTag {
                start: 2,
                end: 34,
                version: 3
            })
        );
        assert_eq!(
            whitespace_bestversion(&tagged, 0x02).map(|t| t.version),
            Some(2)
        );
        assert_eq!(whitespace_bestversion(b"plain", 0x06), None);
    }

    #[test]
    fn header_fields_without_decrypting() {
        // 00 03 03 | 00 00 01 00 | 12 34 56 78 | 01 (flags)
        let v3 = b"?OTR:AAMDAAABABI0VngB.";
        assert_eq!(instance_tags(v3), (Some(0x100), Some(0x1234_5678)));
        assert_eq!(data_flags(v3), Some(1));
        assert_eq!(instance_tags(b"?OTR:AAMDAAAB"), (None, None));
        assert_eq!(instance_tags(b"?OTR:AAIDAAABABI0VngB."), (None, None));
        // 00 02 03 | 00 (flags)
        assert_eq!(data_flags(b"?OTR:AAIDAA==."), Some(0));
        assert_eq!(data_flags(b"?OTR:AAIC."), None, "not a data message");
        assert_eq!(data_flags(b"no otr"), None);
    }
}
