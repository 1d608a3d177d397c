//! The bodies of the otr-wire targets: the codec's round trips. Each function
//! panics (through `assert!`) when an invariant breaks; on any input it must
//! otherwise return normally.

use otr_wire::{EncodedMessage, Envelope, Payload, SignedIdentity, Tlv, armor, classify, fragment};

/// Classifies arbitrary text; decodes what it finds, checking round trips.
pub fn envelope(data: &[u8]) {
    match classify(data) {
        Ok(Envelope::Encoded(bytes)) => encoded_message(&bytes),
        Ok(Envelope::Fragment(f)) => {
            let rebuilt = fragment::build(&f.header, f.index, f.total, f.piece);
            let again = fragment::parse(&rebuilt);
            assert_eq!(
                again,
                Ok(f),
                "a rebuilt fragment must parse to the same fragment"
            );
        }
        Ok(_) | Err(_) => {}
    }
}

/// Parses a fragment; a valid one must survive rebuild and re-parse.
pub fn fragment(data: &[u8]) {
    if let Ok(f) = fragment::parse(data) {
        let rebuilt = fragment::build(&f.header, f.index, f.total, f.piece);
        assert_eq!(fragment::parse(&rebuilt), Ok(f));
    }
}

/// Decodes a binary message; decoding is canonical, so a valid message must
/// re-encode to exactly the input bytes and decode again to the same value.
pub fn encoded_message(data: &[u8]) {
    if let Ok(decoded) = EncodedMessage::decode(data) {
        let encoded = decoded.message.encode();
        assert_eq!(
            encoded.as_deref(),
            Ok(data),
            "decode → encode must give the input back"
        );
        if let Ok(bytes) = encoded {
            let again = EncodedMessage::decode(&bytes);
            assert_eq!(again.map(|d| d.message), Ok(decoded.message));
        }
        if let Ok(armoured) = decoded.message.encode().map(|b| armor::encode(&b)) {
            assert_eq!(armor::decode(armoured.as_bytes()).as_deref(), Ok(data));
        }
    }
}

/// Decodes a payload and its TLVs; typed TLVs must re-encode and re-parse equal.
pub fn tlvs(data: &[u8]) {
    let payload = Payload::decode(data);
    let typed: Vec<Tlv<'_>> = payload
        .tlvs
        .iter()
        .filter_map(|raw| Tlv::parse(*raw).ok())
        .collect();
    if let Ok(bytes) = Payload::encode(payload.text, &typed) {
        let again = Payload::decode(&bytes);
        assert_eq!(again.text, payload.text);
        assert_eq!(again.ignored_tail, 0);
        let reparsed: Vec<Tlv<'_>> = again
            .tlvs
            .iter()
            .filter_map(|raw| Tlv::parse(*raw).ok())
            .collect();
        assert_eq!(reparsed, typed);
    }
}

/// Decodes a decrypted signed-identity block; canonical, so it must re-encode
/// to the input.
pub fn signed_identity(data: &[u8]) {
    if let Ok(identity) = SignedIdentity::decode(data) {
        assert_eq!(identity.to_bytes(), data);
    }
}
