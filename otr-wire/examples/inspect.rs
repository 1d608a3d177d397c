//! Parses and pretty-prints OTR messages.
//!
//! With no arguments it walks through a real v3 conversation recorded from
//! libotr 4.1.1 (the first records of the workspace's
//! `tests/fixtures/libotr/ake-v3.txt`, copied to `examples/ake-v3-wire.txt`
//! so that the example travels with the crate); with arguments, each
//! argument is classified and decoded.
//!
//! ```text
//! cargo run --release -p otr-wire --example inspect
//! cargo run --release -p otr-wire --example inspect -- '?OTR:AAMKAAABAAAAAQEAAAABAg==.'
//! ```

#![allow(clippy::print_stdout)]

use otr_wire::{EncodedMessage, Envelope, MessageBody, Payload, Tlv, classify};

fn describe(input: &[u8]) -> String {
    match classify(input) {
        Err(e) => format!("not a valid OTR message: {e}"),
        Ok(Envelope::Plaintext {
            text,
            whitespace_tag,
        }) => match whitespace_tag {
            Some(v) => format!(
                "plaintext with a whitespace tag offering v2={} v3={}: {:?}",
                v.v2,
                v.v3,
                String::from_utf8_lossy(&text)
            ),
            None => format!("plaintext: {:?}", String::from_utf8_lossy(&text)),
        },
        Ok(Envelope::Query(q)) => format!(
            "query offering v2={} v3={} (v1={}), {} bytes of explanation",
            q.versions.v2,
            q.versions.v3,
            q.versions.v1,
            q.trailing_text.len()
        ),
        Ok(Envelope::Error(text)) => format!("error message: {:?}", String::from_utf8_lossy(text)),
        Ok(Envelope::Fragment(f)) => format!(
            "fragment {}/{} (v{}) of {} bytes",
            f.index,
            f.total,
            f.header.version(),
            f.piece.len()
        ),
        Ok(Envelope::Encoded(bytes)) => match EncodedMessage::decode(&bytes) {
            Err(e) => format!("encoded message that does not decode: {e}"),
            Ok(d) => {
                let m = d.message;
                let route = match (m.header.sender(), m.header.receiver()) {
                    (Some(s), Some(r)) => format!("v3 {s} → {r}"),
                    (Some(s), None) => format!("v3 {s} → (any instance)"),
                    _ => "v2".to_owned(),
                };
                let what = match m.body {
                    MessageBody::DhCommit(c) => {
                        format!(
                            "D-H Commit, {} bytes of encrypted g^x",
                            c.encrypted_gx.len()
                        )
                    }
                    MessageBody::DhKey(k) => format!("D-H Key, g^y of {} bits", k.gy.bit_len()),
                    MessageBody::RevealSignature(r) => format!(
                        "Reveal Signature, {} bytes of encrypted signature",
                        r.encrypted_signature.len()
                    ),
                    MessageBody::Signature(s) => format!(
                        "Signature, {} bytes of encrypted signature",
                        s.encrypted_signature.len()
                    ),
                    MessageBody::Data(data) => format!(
                        "Data, flags {:#04x}, keys {}→{}, counter {}, {} encrypted bytes, {} revealed MAC keys",
                        data.flags.0,
                        data.sender_keyid,
                        data.recipient_keyid,
                        u64::from_be_bytes(data.counter),
                        data.encrypted.len(),
                        data.revealed_mac_keys().count()
                    ),
                    _ => "a message type this example does not know".to_owned(),
                };
                format!(
                    "{route}: {what}; the MAC covers {} bytes",
                    d.authenticated.len()
                )
            }
        },
        Ok(_) => "something this example does not know".to_owned(),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.is_empty() {
        for arg in args {
            println!("{}", describe(arg.as_bytes()));
        }
        return;
    }
    let fixture = include_str!("ake-v3-wire.txt");
    println!("A v3 conversation recorded from libotr 4.1.1 (examples/ake-v3-wire.txt):\n");
    for line in fixture.lines().filter(|l| l.starts_with("WIRE\t")).take(14) {
        let mut fields = line.splitn(4, '\t').skip(1);
        let (Some(from), Some(to), Some(text)) = (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let text = text.replace("\\n", "\n").replace("\\t", "\t");
        let shown: String = text.chars().take(48).collect();
        println!("{from:>5} → {to:<5} {shown:?}…");
        println!("              {}\n", describe(text.as_bytes()));
    }
    // A decrypted payload, as the engine sees it after AES-CTR.
    let payload = Payload::decode(b"hi\0\x00\x08\x00\x07\x00\x00\x00\x01abc");
    let tlvs: Vec<_> = payload
        .tlvs
        .iter()
        .filter_map(|t| Tlv::parse(*t).ok())
        .collect();
    println!(
        "a decrypted payload: text {:?}, TLVs {tlvs:?}",
        String::from_utf8_lossy(payload.text)
    );
}
