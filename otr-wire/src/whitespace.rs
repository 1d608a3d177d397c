//! Whitespace tags: a plaintext message's invisible offer to speak OTR.
//!
//! The 16-byte base tag may stand anywhere in the message; it is followed by
//! zero or more 8-byte groups of spaces and tabs, each naming a version. Every
//! such group is stripped, known or not; only the first tag is looked for.

use alloc::borrow::Cow;
use alloc::vec::Vec;

use crate::header::ProtocolVersion;
use crate::versions::OfferedVersions;

/// The base tag every whitespace tag starts with.
pub const BASE_TAG: &[u8; 16] = b" \t  \t\t\t\t \t \t \t  ";
/// The group offering version 1.
pub const V1_TAG: &[u8; 8] = b" \t \t  \t ";
/// The group offering version 2.
pub const V2_TAG: &[u8; 8] = b"  \t\t  \t ";
/// The group offering version 3.
pub const V3_TAG: &[u8; 8] = b"  \t\t  \t\t";

/// A plaintext message with its whitespace tag (if any) removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaggedText<'a> {
    /// The text without the tag.
    pub text: Cow<'a, [u8]>,
    /// The versions the tag offered, or `None` when there was no tag.
    pub offered: Option<OfferedVersions>,
}

/// Finds and strips the first whitespace tag of `message`, in linear time.
#[must_use]
pub fn strip(message: &[u8]) -> TaggedText<'_> {
    let Some(start) = find(message, BASE_TAG) else {
        return TaggedText {
            text: Cow::Borrowed(message),
            offered: None,
        };
    };
    let mut offered = OfferedVersions::default();
    let mut end = start.saturating_add(BASE_TAG.len());
    while let Some(group) = message
        .get(end..)
        .and_then(|rest| rest.first_chunk::<8>())
        .filter(|g| g.iter().all(|&c| c == b' ' || c == b'\t'))
    {
        if group == V1_TAG {
            offered.v1 = true;
        } else if group == V2_TAG {
            offered.v2 = true;
        } else if group == V3_TAG {
            offered.v3 = true;
        }
        end = end.saturating_add(8);
    }
    let mut text = Vec::with_capacity(message.len().saturating_sub(end.saturating_sub(start)));
    text.extend_from_slice(message.get(..start).unwrap_or_default());
    text.extend_from_slice(message.get(end..).unwrap_or_default());
    TaggedText {
        text: Cow::Owned(text),
        offered: Some(offered),
    }
}

/// The whitespace tag offering `versions` (base tag, then v2 and v3 groups in
/// that order, as libotr writes them). Version 1 is never offered.
#[must_use]
pub fn tag(versions: &[ProtocolVersion]) -> Vec<u8> {
    let set = OfferedVersions::of(versions);
    let mut out = BASE_TAG.to_vec();
    if set.v2 {
        out.extend_from_slice(V2_TAG);
    }
    if set.v3 {
        out.extend_from_slice(V3_TAG);
    }
    out
}

/// Position of the first occurrence of `needle` in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_anywhere_is_stripped_and_versions_read() {
        let mut msg = b"hello".to_vec();
        msg.extend(tag(&[ProtocolVersion::V2, ProtocolVersion::V3]));
        msg.extend(b" world");
        let t = strip(&msg);
        assert_eq!(&*t.text, b"hello world");
        let offered = t.offered.unwrap();
        assert!(offered.v2 && offered.v3 && !offered.v1);
    }

    #[test]
    fn unknown_groups_are_stripped_and_partial_groups_kept() {
        let mut msg = BASE_TAG.to_vec();
        msg.extend(b"\t\t\t\t\t\t\t\t");
        msg.extend(V1_TAG);
        msg.extend(b"  \t");
        msg.extend(b"x");
        let t = strip(&msg);
        assert_eq!(&*t.text, b"  \tx");
        assert_eq!(
            t.offered,
            Some(OfferedVersions {
                v1: true,
                v2: false,
                v3: false
            })
        );
    }

    #[test]
    fn only_the_first_tag_is_stripped() {
        let mut msg = tag(&[ProtocolVersion::V3]);
        msg.push(b'a');
        msg.extend(tag(&[ProtocolVersion::V3]));
        let t = strip(&msg);
        let mut expected = b"a".to_vec();
        expected.extend(tag(&[ProtocolVersion::V3]));
        assert_eq!(&*t.text, &expected[..]);
    }

    #[test]
    fn whitespace_tag_with_100000_groups_is_stripped_in_bounded_time() {
        let mut msg = b"hi".to_vec();
        msg.extend(BASE_TAG);
        for i in 0..100_000 {
            msg.extend(if i % 2 == 0 {
                b"        "
            } else {
                b"\t\t\t\t\t\t\t\t"
            });
        }
        let t = strip(&msg);
        assert_eq!(&*t.text, b"hi");
        assert!(t.offered.is_some());
    }

    #[test]
    fn untagged_text_is_borrowed() {
        let t = strip(b"plain \t text");
        assert!(matches!(t.text, Cow::Borrowed(_)));
        assert_eq!(t.offered, None);
    }
}
