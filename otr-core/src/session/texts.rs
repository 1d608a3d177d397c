//! The texts we put on the wire ourselves: the query with its explanation,
//! error messages, and payloads built from a text and TLVs. Changes nothing.

use otr_wire::tlv::tlv_type;
use otr_wire::{OfferedVersions, Payload, ProtocolVersion, RawTlv, Tlv, query};

use crate::error::SessionError;

/// The error texts libotr's applications send (pidgin-otr's strings).
pub(super) const ERROR_UNREADABLE: &str = "You transmitted an unreadable encrypted message.";
pub(super) const ERROR_MALFORMED: &str = "You transmitted a malformed data message.";

pub(super) fn versions_of(allowed: OfferedVersions) -> Vec<ProtocolVersion> {
    let mut v = Vec::new();
    if allowed.v2 {
        v.push(ProtocolVersion::V2);
    }
    if allowed.v3 {
        v.push(ProtocolVersion::V3);
    }
    v
}

/// Our query message: the tag and libotr's (upstream) explanation.
pub(super) fn query_message(allowed: OfferedVersions, account: &str) -> Vec<u8> {
    let tag = query::query_tag(&versions_of(allowed));
    let who = if account.is_empty() {
        "Your buddy"
    } else {
        account
    };
    format!(
        "{tag}\n<b>{who}</b> has requested an <a href=\"https://otr.cypherpunks.ca/\">Off-the-Record private conversation</a>.  However, you do not have a plugin to support that.\nSee <a href=\"https://otr.cypherpunks.ca/\">https://otr.cypherpunks.ca/</a> for more information."
    )
    .into_bytes()
}

pub(super) fn error_message(text: &str) -> Vec<u8> {
    otr_wire::envelope::error_message(text).into_bytes()
}

/// `text ‖ NUL ‖ TLVs` (a padding TLV typed as such).
pub(super) fn encode_payload(
    text: &[u8],
    tlvs: &[(u16, Vec<u8>)],
) -> Result<Vec<u8>, SessionError> {
    let typed: Vec<Tlv<'_>> = tlvs
        .iter()
        .map(|(t, v)| match *t {
            tlv_type::PADDING => Tlv::Padding(v),
            _ => Tlv::Unknown(RawTlv {
                tlv_type: *t,
                value: v,
            }),
        })
        .collect();
    Ok(Payload::encode(text, &typed)?)
}
