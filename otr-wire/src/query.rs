//! OTR query messages (`?OTRv23?` and friends).
//!
//! The spec's grammar: `?OTR` then an optional `?` (version 1), then optionally
//! `v`, version identifiers, and a closing `?`. Identifiers are single ASCII
//! letters or digits; unknown ones are ignored. Unlike libotr, text that merely
//! starts with `?OTRv` and never closes the version list (`?OTRvacation`) is
//! not a query: it stays the user's text.

use crate::header::ProtocolVersion;
use crate::versions::OfferedVersions;
use alloc::string::String;

/// The query prefix.
pub const QUERY_PREFIX: &[u8] = b"?OTR";

/// A parsed query message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Query<'a> {
    /// The versions the sender offers.
    pub versions: OfferedVersions,
    /// Any text after the query tag (usually a human-readable explanation).
    pub trailing_text: &'a [u8],
}

/// Parses a query message at the start of `text` (which begins with `?OTR`).
/// Returns `None` when the text does not follow the query grammar. Runs in
/// time linear in the input.
#[must_use]
pub fn parse(text: &[u8]) -> Option<Query<'_>> {
    let rest = text.strip_prefix(QUERY_PREFIX)?;
    let mut versions = OfferedVersions::default();
    let (rest, had_v1) = match rest.strip_prefix(b"?") {
        Some(after) => (after, true),
        None => (rest, false),
    };
    versions.v1 = had_v1;
    let Some(list) = rest.strip_prefix(b"v") else {
        // `?OTR?` alone (version 1), or `?OTR` followed by something else.
        return had_v1.then_some(Query {
            versions,
            trailing_text: rest,
        });
    };
    let end = list.iter().position(|&c| !c.is_ascii_alphanumeric());
    match end.and_then(|i| list.get(i).map(|&c| (i, c))) {
        Some((i, b'?')) => {
            for &id in list.get(..i).unwrap_or_default() {
                match id {
                    b'2' => versions.v2 = true,
                    b'3' => versions.v3 = true,
                    _ => {}
                }
            }
            Some(Query {
                versions,
                trailing_text: list.get(i.saturating_add(1)..).unwrap_or_default(),
            })
        }
        // `?OTR?v…` without a closing `?`: still the v1 query `?OTR?`.
        _ if had_v1 => Some(Query {
            versions,
            trailing_text: rest,
        }),
        _ => None,
    }
}

/// The query tag offering `versions`, e.g. `?OTRv23?` (version 1 is never
/// offered). An empty list yields `?OTRv?`.
#[must_use]
pub fn query_tag(versions: &[ProtocolVersion]) -> String {
    let set = OfferedVersions::of(versions);
    let mut tag = String::from("?OTRv");
    if set.v2 {
        tag.push('2');
    }
    if set.v3 {
        tag.push('3');
    }
    tag.push('?');
    tag
}

#[cfg(test)]
mod tests {
    use super::*;

    fn versions(text: &str) -> Option<(bool, bool, bool)> {
        parse(text.as_bytes()).map(|q| (q.versions.v1, q.versions.v2, q.versions.v3))
    }

    #[test]
    fn the_spec_examples() {
        assert_eq!(versions("?OTR?"), Some((true, false, false)));
        assert_eq!(versions("?OTRv2?"), Some((false, true, false)));
        assert_eq!(versions("?OTRv23?"), Some((false, true, true)));
        assert_eq!(versions("?OTR?v2?"), Some((true, true, false)));
        assert_eq!(versions("?OTRv24x?"), Some((false, true, false)));
        assert_eq!(versions("?OTR?v24x?"), Some((true, true, false)));
        assert_eq!(versions("?OTR?v?"), Some((true, false, false)));
        assert_eq!(versions("?OTRv?"), Some((false, false, false)));
    }

    #[test]
    fn text_after_the_tag_is_kept() {
        let q = parse(b"?OTRv3?\nAlice has requested...").unwrap();
        assert_eq!(q.trailing_text, b"\nAlice has requested...");
    }

    #[test]
    fn unclosed_version_lists_are_not_queries() {
        assert_eq!(versions("?OTRvacation"), None);
        assert_eq!(versions("?OTRv"), None);
        assert_eq!(versions("?OTRv23"), None);
        assert_eq!(versions("?OTRv2 3?"), None);
        assert_eq!(versions("?OTR"), None);
        assert_eq!(versions("?OTR is great"), None);
        // `?OTR?` followed by an unclosed list is the v1 query.
        assert_eq!(versions("?OTR?v23"), Some((true, false, false)));
    }

    #[test]
    fn a_million_digits_without_a_closing_mark_is_linear_and_not_a_query() {
        let mut text = b"?OTRv".to_vec();
        text.extend(std::iter::repeat_n(b'2', 1_000_000));
        assert!(parse(&text).is_none());
        text.push(b'?');
        assert_eq!(parse(&text).map(|q| q.versions.v2), Some(true));
    }

    #[test]
    fn query_tags() {
        assert_eq!(
            query_tag(&[ProtocolVersion::V2, ProtocolVersion::V3]),
            "?OTRv23?"
        );
        assert_eq!(
            query_tag(&[ProtocolVersion::V3, ProtocolVersion::V2]),
            "?OTRv23?"
        );
        assert_eq!(query_tag(&[ProtocolVersion::V2]), "?OTRv2?");
        assert_eq!(query_tag(&[ProtocolVersion::V3]), "?OTRv3?");
    }
}
