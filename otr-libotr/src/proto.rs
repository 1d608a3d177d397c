//! libotr's classification of a message text (`otrl_proto_message_type`,
//! `otrl_proto_message_version`), on bytes.

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
}
