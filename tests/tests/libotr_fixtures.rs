//! otr-wire against real libotr 4.1.1 output (`tests/fixtures/libotr`): every
//! message decodes and re-encodes byte for byte, the outer fields agree with
//! what libotr's `otr_parse` printed, decrypted payloads agree with what the
//! libotr receiver delivered, and our fragments equal libotr's.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashMap;

use aes::Aes128;
use ctr::Ctr128BE;
use ctr::cipher::{KeyIvInit, StreamCipher};
use hmac::{Hmac, KeyInit, Mac};
use otr_tests::fixtures::{CONVERSATIONS, Record, read_records};
use otr_tests::otr_parse::otr_parse_view;
use otr_wire::{
    DsaPublicKey, EncodedMessage, Envelope, Header, InstanceTag, MessageBody, OfferedVersions,
    Payload, ProtocolVersion, classify, fragment, query, whitespace,
};
use sha1::Sha1;

fn wires(records: &[Record]) -> impl Iterator<Item = (usize, &Record, Vec<u8>)> {
    records
        .iter()
        .enumerate()
        .filter(|(_, r)| r.kind == "WIRE")
        .map(|(i, r)| (i, r, r.text(2)))
}

fn is_encoded(text: &[u8]) -> bool {
    matches!(classify(text), Ok(Envelope::Encoded(_)))
}

#[test]
fn every_libotr_encoded_message_round_trips_byte_for_byte() {
    let mut count = 0;
    let mut types = HashMap::new();
    for name in CONVERSATIONS {
        for (_, _, text) in wires(&read_records(name)) {
            let Ok(Envelope::Encoded(bytes)) = classify(&text) else {
                continue;
            };
            let decoded = EncodedMessage::decode(&bytes)
                .unwrap_or_else(|e| panic!("{name}: {e}: {}", String::from_utf8_lossy(&text)));
            let encoded = decoded.message.encode().unwrap();
            assert_eq!(encoded, bytes, "{name}: re-encoding differs");
            assert_eq!(
                otr_wire::armor::encode(&encoded).as_bytes(),
                &text[..],
                "{name}: armour differs"
            );
            *types
                .entry((
                    decoded.message.header.version(),
                    decoded.message.body.message_type(),
                ))
                .or_insert(0) += 1;
            count += 1;
        }
    }
    assert!(count > 80, "only {count} encoded messages in the fixtures");
    // Every message type in both versions came from libotr.
    assert_eq!(types.len(), 10, "{types:?}");
}

#[test]
fn outer_fields_agree_with_libotr_otr_parse() {
    let mut compared = 0;
    for name in CONVERSATIONS {
        let records = read_records(name);
        for (i, _, text) in wires(&records) {
            let Some(parse) = records.get(i + 1).filter(|r| r.kind == "PARSE") else {
                assert!(
                    !is_encoded(&text),
                    "{name}: encoded WIRE without PARSE record"
                );
                continue;
            };
            let Ok(Envelope::Encoded(bytes)) = classify(&text) else {
                panic!("{name}: PARSE after a non-encoded WIRE")
            };
            let decoded = EncodedMessage::decode(&bytes).unwrap();
            assert_eq!(
                otr_parse_view(&decoded.message),
                parse.string(0),
                "{name} record {i}"
            );
            compared += 1;
        }
    }
    assert!(compared > 80);
}

/// The receiver's outcome for one complete incoming message.
#[derive(Debug, Clone)]
struct Receipt {
    delivered: Option<Vec<u8>>,
    tlvs: Vec<(u16, Vec<u8>)>,
}

/// One complete message on the wire with the sender's session keys.
#[derive(Debug, Clone)]
struct Sent {
    text: Vec<u8>,
    sesskeys: Vec<Record>,
}

/// Splits a fixture into runs and, per run, pairs each complete message sent
/// X→Y with Y's receipt for it (delivery is FIFO; see the fixture README).
fn conversations(records: &[Record]) -> Vec<(Sent, Receipt)> {
    let mut pairs = Vec::new();
    for run in records.split(|r| r.kind == "RESET") {
        let mut sent: HashMap<(String, String), Vec<Sent>> = HashMap::new();
        let mut partial: HashMap<(String, String), Vec<u8>> = HashMap::new();
        let mut last_sent_by: HashMap<String, (String, String)> = HashMap::new();
        let mut receipts: HashMap<String, Vec<Receipt>> = HashMap::new();
        for r in run {
            match r.kind.as_str() {
                "WIRE" => {
                    let dir = (r.string(0), r.string(1));
                    let text = r.text(2);
                    let complete = match classify(&text) {
                        Ok(Envelope::Fragment(f)) => {
                            let buf = partial.entry(dir.clone()).or_default();
                            if f.index == 1 {
                                buf.clear();
                            }
                            buf.extend_from_slice(f.piece);
                            (f.index == f.total).then(|| std::mem::take(buf))
                        }
                        _ => Some(text),
                    };
                    if let Some(text) = complete {
                        sent.entry(dir.clone()).or_default().push(Sent {
                            text,
                            sesskeys: vec![],
                        });
                        last_sent_by.insert(dir.0.clone(), dir);
                    }
                }
                "DROP" => {
                    sent.get_mut(&(r.string(0), r.string(1))).unwrap().pop();
                }
                "SESSKEYS" => {
                    let dir = &last_sent_by[&r.string(0)];
                    sent.get_mut(dir)
                        .unwrap()
                        .last_mut()
                        .unwrap()
                        .sesskeys
                        .push(r.clone());
                }
                "DELIVERED" => receipts.entry(r.string(0)).or_default().push(Receipt {
                    delivered: Some(r.text(1)),
                    tlvs: vec![],
                }),
                "IGNORED" => receipts.entry(r.string(0)).or_default().push(Receipt {
                    delivered: None,
                    tlvs: vec![],
                }),
                "TLV" => {
                    let ty: u16 = r.string(1).parse().unwrap();
                    receipts
                        .get_mut(&r.string(0))
                        .unwrap()
                        .last_mut()
                        .unwrap()
                        .tlvs
                        .push((ty, r.hex(2)));
                }
                _ => {}
            }
        }
        for ((_, to), messages) in sent {
            let got = receipts.remove(&to).unwrap_or_default();
            assert_eq!(
                messages.len(),
                got.len(),
                "messages to {to} and their receipts"
            );
            pairs.extend(messages.into_iter().zip(got));
        }
    }
    pairs
}

fn keys_for(
    sesskeys: &[Record],
    sender_keyid: u32,
    recipient_keyid: u32,
) -> Option<(Vec<u8>, Vec<u8>)> {
    sesskeys
        .iter()
        .find(|r| {
            r.string(1).parse::<u32>().ok() == Some(sender_keyid)
                && r.string(2).parse::<u32>().ok() == Some(recipient_keyid)
        })
        .map(|r| (r.hex(3), r.hex(4)))
}

#[test]
fn data_payloads_verify_and_decrypt_to_what_libotr_delivered() {
    let mut checked = 0;
    let mut tlv_types = std::collections::BTreeSet::new();
    for name in CONVERSATIONS {
        for (sent, receipt) in conversations(&read_records(name)) {
            let Ok(Envelope::Encoded(bytes)) = classify(&sent.text) else {
                continue;
            };
            let decoded = EncodedMessage::decode(&bytes).unwrap();
            let MessageBody::Data(data) = decoded.message.body else {
                continue;
            };
            let Some((aes_key, mac_key)) =
                keys_for(&sent.sesskeys, data.sender_keyid, data.recipient_keyid)
            else {
                // The tampered copy in error.txt: libotr's receiver refused it.
                assert!(
                    sent.sesskeys.is_empty(),
                    "{name}: no key pair for a sent data message"
                );
                assert!(receipt.delivered.is_none() || receipt.delivered.as_deref() == Some(b""));
                continue;
            };
            let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(&mac_key).unwrap();
            mac.update(decoded.authenticated);
            let tag: [u8; 20] = mac.finalize().into_bytes().into();
            assert_eq!(tag, data.mac, "{name}: MAC over our authenticated range");

            let mut iv = [0u8; 16];
            iv[..8].copy_from_slice(&data.counter);
            let mut plaintext = data.encrypted.to_vec();
            Ctr128BE::<Aes128>::new_from_slices(&aes_key, &iv)
                .unwrap()
                .apply_keystream(&mut plaintext);
            let payload = Payload::decode(&plaintext);
            assert_eq!(payload.ignored_tail, 0);
            match &receipt.delivered {
                Some(text) => assert_eq!(payload.text, &text[..], "{name}"),
                None => assert!(
                    payload.text.is_empty(),
                    "{name}: libotr ignored a message with text"
                ),
            }
            let tlvs: Vec<(u16, Vec<u8>)> = payload
                .tlvs
                .iter()
                .map(|t| (t.tlv_type, t.value.to_vec()))
                .collect();
            assert_eq!(tlvs, receipt.tlvs, "{name}: TLVs");
            // Typed TLVs re-encode to libotr's exact plaintext.
            let typed: Vec<_> = payload
                .tlvs
                .iter()
                .map(|t| otr_wire::Tlv::parse(*t).unwrap())
                .collect();
            assert_eq!(
                Payload::encode(payload.text, &typed).unwrap(),
                plaintext,
                "{name}"
            );
            tlv_types.extend(tlvs.iter().map(|t| t.0));
            checked += 1;
        }
    }
    assert!(checked > 40, "only {checked} data messages checked");
    assert_eq!(
        tlv_types.into_iter().collect::<Vec<_>>(),
        vec![0, 1, 2, 3, 4, 5, 6, 7, 8]
    );
}

#[test]
fn tampered_data_message_fails_the_mac_with_the_real_keys() {
    let records = read_records("error.txt");
    let mut checked = 0;
    for (sent, _) in conversations(&records) {
        if !sent.sesskeys.is_empty() {
            continue;
        }
        let Ok(Envelope::Encoded(bytes)) = classify(&sent.text) else {
            continue;
        };
        let decoded = EncodedMessage::decode(&bytes).unwrap();
        let MessageBody::Data(data) = decoded.message.body else {
            continue;
        };
        // Find the keys from any other message of the run with the same key ids.
        let all: Vec<Record> = records
            .iter()
            .filter(|r| r.kind == "SESSKEYS")
            .cloned()
            .collect();
        let (_, mac_key) = keys_for(&all, data.sender_keyid, data.recipient_keyid).unwrap();
        let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(&mac_key).unwrap();
        mac.update(decoded.authenticated);
        assert!(mac.verify_slice(&data.mac).is_err());
        checked += 1;
    }
    assert!(checked >= 1);
}

fn instag(records: &[Record], who: &str) -> InstanceTag {
    let r = records
        .iter()
        .find(|r| r.kind == "INSTAG" && r.string(0) == who)
        .unwrap();
    InstanceTag::new(u32::from_str_radix(&r.string(1), 16).unwrap()).unwrap()
}

#[test]
fn our_fragments_equal_libotrs_own_split() {
    let records = read_records("split.txt");
    let v3 = Header::V3 {
        sender: instag(&records, "alice"),
        receiver: Some(instag(&records, "bob")),
    };
    let mut splits = 0;
    let mut i = 0;
    while i < records.len() {
        let r = &records[i];
        i += 1;
        if r.kind != "SPLIT" {
            continue;
        }
        let header = if r.string(0) == "3" { v3 } else { Header::V2 };
        let mms: usize = r.string(1).parse().unwrap();
        let message = r.text(2);
        let mut pieces = Vec::new();
        while records.get(i).is_some_and(|p| p.kind == "PIECE") {
            pieces.push(records[i].text(0));
            i += 1;
        }
        assert_eq!(
            fragment::split(&message, &header, mms).unwrap(),
            pieces,
            "mms {mms}"
        );
        splits += 1;
    }
    assert!(splits >= 40);
}

#[test]
fn fragmented_conversations_split_exactly_as_libotr_sent_them() {
    let mut compared = 0;
    for name in ["fragments-v3.txt", "fragments-v2.txt", "queries.txt"] {
        let records = read_records(name);
        for run in records.split(|r| r.kind == "RESET") {
            let mms: HashMap<String, usize> = run
                .iter()
                .filter(|r| r.kind == "POLICY")
                .map(|r| (r.string(0), r.string(2).parse().unwrap()))
                .collect();
            let mut current: HashMap<String, Vec<Vec<u8>>> = HashMap::new();
            for r in run.iter().filter(|r| r.kind == "WIRE") {
                let text = r.text(2);
                let Ok(Envelope::Fragment(f)) = classify(&text) else {
                    continue;
                };
                let frags = current.entry(r.string(0)).or_default();
                frags.push(text.clone());
                if f.index == f.total {
                    let whole: Vec<u8> = frags
                        .iter()
                        .flat_map(|t| match classify(t) {
                            Ok(Envelope::Fragment(f)) => f.piece.to_vec(),
                            _ => unreachable!(),
                        })
                        .collect();
                    let ours = fragment::split(&whole, &f.header, mms[&r.string(0)]).unwrap();
                    assert_eq!(&ours, frags, "{name}");
                    frags.clear();
                    compared += 1;
                }
            }
        }
    }
    assert!(compared > 20, "{compared}");
}

#[test]
fn libotr_queries_parse_with_the_offered_versions() {
    let records = read_records("queries.txt");
    let mut seen = 0;
    for r in records.iter().filter(|r| r.kind == "QUERY") {
        let policy: u32 = r.string(0).parse().unwrap();
        let text = r.text(1);
        let Ok(Envelope::Query(q)) = classify(&text) else {
            panic!("not a query: {text:?}")
        };
        let expected = OfferedVersions {
            v1: false,
            v2: policy & 2 != 0,
            v3: policy & 4 != 0,
        };
        assert_eq!(q.versions, expected);
        let mut versions = vec![];
        if expected.v2 {
            versions.push(ProtocolVersion::V2);
        }
        if expected.v3 {
            versions.push(ProtocolVersion::V3);
        }
        let tag = query::query_tag(&versions);
        assert!(
            text.starts_with(tag.as_bytes()),
            "{tag} vs {}",
            String::from_utf8_lossy(&text)
        );
        // Debian's query text carries a comma; the text after the tag is kept.
        assert!(q.trailing_text.windows(15).any(|w| w == b"Ubuntu,install "));
        seen += 1;
    }
    assert_eq!(seen, 5);
}

#[test]
fn libotr_whitespace_tags_strip_and_rebuild() {
    let records = read_records("whitespace.txt");
    let mut policies = HashMap::new();
    let mut tagged = 0;
    for r in &records {
        if r.kind == "POLICY" {
            policies.insert(r.string(0), r.string(1).parse::<u32>().unwrap());
        }
        if r.kind != "WIRE" {
            continue;
        }
        let text = r.text(2);
        if let Ok(Envelope::Plaintext {
            text: plain,
            whitespace_tag: Some(offered),
        }) = classify(&text)
        {
            let policy = policies[&r.string(0)];
            assert_eq!((offered.v2, offered.v3), (policy & 2 != 0, policy & 4 != 0));
            let mut versions = vec![];
            if offered.v2 {
                versions.push(ProtocolVersion::V2);
            }
            if offered.v3 {
                versions.push(ProtocolVersion::V3);
            }
            let mut rebuilt = plain.to_vec();
            rebuilt.extend(whitespace::tag(&versions));
            assert_eq!(rebuilt, text, "libotr appends the tag at the end");
            tagged += 1;
        }
    }
    assert!(tagged >= 3, "{tagged}");
}

#[test]
fn libotr_error_messages_classify_as_errors() {
    let mut errors = 0;
    for name in CONVERSATIONS {
        for (_, _, text) in wires(&read_records(name)) {
            if text.starts_with(b"?OTR Error:") {
                let Ok(Envelope::Error(body)) = classify(&text) else {
                    panic!()
                };
                assert!(!body.is_empty() && !body.starts_with(b" "));
                errors += 1;
            }
        }
    }
    assert!(errors >= 2, "{errors}");
}

#[test]
fn libotr_public_keys_decode_and_fingerprint_as_libotr() {
    let mut keys = 0;
    for name in CONVERSATIONS {
        let records = read_records(name);
        let mut fingerprints = HashMap::new();
        for r in records.iter().filter(|r| r.kind == "KEY") {
            // libotr's `pubkey_data` is the PUBKEY without its 2-byte type.
            let mut bytes = vec![0, 0];
            bytes.extend(r.hex(1));
            let key = DsaPublicKey::decode(&bytes).unwrap();
            assert_eq!(key.to_bytes(), bytes);
            assert_eq!(key.fingerprint().to_human(), r.string(2));
            assert_eq!((key.p.bit_len(), key.q.bit_len()), (1024, 160));
            fingerprints.insert(r.string(0), key.fingerprint().to_hex());
            keys += 1;
        }
        for r in records.iter().filter(|r| r.kind == "NEW_FINGERPRINT") {
            let other = if r.string(0) == "alice" {
                "bob"
            } else {
                "alice"
            };
            assert_eq!(fingerprints[other], r.string(1));
        }
    }
    assert_eq!(keys, 14);
}
