//! Classifying any incoming text: plaintext (perhaps whitespace-tagged), query,
//! error, fragment, or encoded message.
//!
//! As in libotr, the first `?OTR` anywhere in the text decides (IM networks
//! wrap messages in markup). From there: `?OTR|` is a v3 fragment, `?OTR,` a
//! v2 fragment, `?OTR:` an encoded message, `?OTR Error:` an error message, a
//! match of the query grammar a query; anything else is plaintext, searched for
//! a whitespace tag.

use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use once_cell::race::OnceBox;

use crate::armor;
use crate::error::DecodeError;
use crate::fragment::{self, Fragment};
use crate::query::{self, Query};
use crate::versions::OfferedVersions;
use crate::whitespace;

/// The prefix of OTR error messages.
pub const ERROR_PREFIX: &[u8] = b"?OTR Error:";

/// What an incoming message is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Envelope<'a> {
    /// Not an OTR protocol message: text for the user.
    Plaintext {
        /// The text with any whitespace tag removed.
        text: Cow<'a, [u8]>,
        /// The versions a whitespace tag offered, if there was one.
        whitespace_tag: Option<OfferedVersions>,
    },
    /// A query message.
    Query(Query<'a>),
    /// An OTR error message; the text after `?OTR Error:` (one leading space
    /// skipped). Untrusted peer text.
    Error(&'a [u8]),
    /// A fragment of a longer message.
    Fragment(Fragment<'a>),
    /// An encoded message: the binary bytes decoded from the base64 armour.
    Encoded(Vec<u8>),
}

/// Position of the first `?OTR` (at 0 for every OTR message we or libotr
/// send; the searcher is built once, without a lock: threads that race on
/// first use may each build one, and all but one are dropped).
fn find_otr(input: &[u8]) -> Option<usize> {
    static FINDER: OnceBox<memchr::memmem::Finder<'static>> = OnceBox::new();
    if input.starts_with(b"?OTR") {
        return Some(0);
    }
    FINDER
        .get_or_init(|| Box::new(memchr::memmem::Finder::new(b"?OTR")))
        .find(input)
}

/// Classifies `input`.
///
/// # Errors
/// [`DecodeError::InvalidFragment`] (or an instance-tag error) for a broken
/// fragment, [`DecodeError::MissingTerminator`] or
/// [`DecodeError::InvalidBase64`] for a broken encoded message.
pub fn classify(input: &[u8]) -> Result<Envelope<'_>, DecodeError> {
    let Some(at) = find_otr(input) else {
        return Ok(plaintext(input));
    };
    let tail = input.get(at..).unwrap_or_default();
    if tail.starts_with(fragment::V3_PREFIX) || tail.starts_with(fragment::V2_PREFIX) {
        return fragment::parse(tail).map(Envelope::Fragment);
    }
    if tail.starts_with(armor::ENCODED_PREFIX) {
        return armor::decode(tail).map(Envelope::Encoded);
    }
    if let Some(text) = tail.strip_prefix(ERROR_PREFIX) {
        return Ok(Envelope::Error(text.strip_prefix(b" ").unwrap_or(text)));
    }
    if let Some(q) = query::parse(tail) {
        return Ok(Envelope::Query(q));
    }
    Ok(plaintext(input))
}

fn plaintext(input: &[u8]) -> Envelope<'_> {
    let tagged = whitespace::strip(input);
    Envelope::Plaintext {
        text: tagged.text,
        whitespace_tag: tagged.offered,
    }
}

/// Builds an OTR error message: `?OTR Error: <text>`.
#[must_use]
pub fn error_message(text: &str) -> String {
    format!("?OTR Error: {text}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::ProtocolVersion;

    #[test]
    fn plain_text_is_plaintext() {
        assert_eq!(
            classify(b"hello").unwrap(),
            Envelope::Plaintext {
                text: Cow::Borrowed(b"hello"),
                whitespace_tag: None
            }
        );
    }

    #[test]
    fn tagged_text_offers_versions() {
        let mut msg = b"hi".to_vec();
        msg.extend(whitespace::tag(&[ProtocolVersion::V3]));
        match classify(&msg).unwrap() {
            Envelope::Plaintext {
                text,
                whitespace_tag: Some(v),
            } => {
                assert_eq!(&*text, b"hi");
                assert!(v.v3 && !v.v2);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn queries_anywhere_in_the_text() {
        assert!(
            matches!(classify(b"<p>?OTRv23?</p>").unwrap(), Envelope::Query(q) if q.versions.v3)
        );
    }

    #[test]
    fn bare_otr_prefixes_do_not_panic_and_stay_text() {
        for input in [&b"?OTR"[..], b"?OTRv", b"?OTRvacation", b"?OT", b"?OTR is"] {
            assert!(
                matches!(classify(input).unwrap(), Envelope::Plaintext { .. }),
                "{input:?}"
            );
        }
        assert!(
            matches!(classify(b"?OTR?").unwrap(), Envelope::Query(q) if q.versions.v1 && !q.versions.v2)
        );
    }

    #[test]
    fn query_with_a_million_digits_is_linear() {
        let mut text = b"?OTRv".to_vec();
        text.extend(std::iter::repeat_n(b'3', 1_000_000));
        assert!(matches!(
            classify(&text).unwrap(),
            Envelope::Plaintext { .. }
        ));
    }

    #[test]
    fn error_messages_skip_one_space() {
        assert_eq!(
            classify(b"?OTR Error: bad").unwrap(),
            Envelope::Error(b"bad")
        );
        assert_eq!(
            classify(b"?OTR Error:bad").unwrap(),
            Envelope::Error(b"bad")
        );
        assert_eq!(
            classify(b"?OTR Error: <b>markup</b>").unwrap(),
            Envelope::Error(b"<b>markup</b>")
        );
        assert_eq!(error_message("x"), "?OTR Error: x");
    }

    #[test]
    fn encoded_and_fragment_messages() {
        assert_eq!(
            classify(b"?OTR:AAMD.").unwrap(),
            Envelope::Encoded(vec![0, 3, 3])
        );
        assert_eq!(classify(b"?OTR:===."), Err(DecodeError::InvalidBase64));
        assert!(matches!(
            classify(b"?OTR,1,1,x,").unwrap(),
            Envelope::Fragment(_)
        ));
        assert!(classify(b"?OTR,1,1,,").is_err());
    }
}
