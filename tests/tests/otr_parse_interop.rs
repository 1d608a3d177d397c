//! Messages built by our encoder, read back by libotr's own parser
//! (`otr_parse` from libotr5-bin): every field must be what we meant.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use otr_tests::interop::skip_or_fail;
use otr_tests::otr_parse::{OTR_PARSE, otr_parse_view, run_otr_parse};
use otr_wire::{
    DataFlags, DataMessage, DhCommit, DhKey, EncodedMessage, Header, InstanceTag, MessageBody, Mpi,
    RevealSignature, SignatureMessage, armor,
};

/// A small deterministic byte generator (no RNG dependency needed here).
fn bytes(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| {
            (i as u8)
                .wrapping_mul(31)
                .wrapping_add(seed)
                .wrapping_mul(7)
                | 1
        })
        .collect()
}

#[test]
#[cfg_attr(
    not(have_otr_parse),
    ignore = "otr_parse not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn libotr_otr_parse_reads_every_message_we_encode() {
    if !std::path::Path::new(OTR_PARSE).exists() {
        skip_or_fail(
            "libotr_otr_parse_reads_every_message_we_encode",
            "otr_parse (libotr5-bin) is not installed",
        );
        return;
    }
    let gx = bytes(1, 196);
    let gy = bytes(2, 192);
    let sig = bytes(3, 460);
    let enc = bytes(4, 57);
    let revealed = bytes(5, 60);
    let headers = [
        Header::V2,
        Header::V3 {
            sender: InstanceTag::new(0x100).unwrap(),
            receiver: None,
        },
        Header::V3 {
            sender: InstanceTag::new(0xdead_beef).unwrap(),
            receiver: InstanceTag::new(0x1234_5678),
        },
    ];
    let mut checked = 0;
    for header in headers {
        let bodies = [
            MessageBody::DhCommit(DhCommit {
                encrypted_gx: &gx,
                hashed_gx: [9; 32],
            }),
            MessageBody::DhKey(DhKey {
                gy: Mpi::trimmed(&gy),
            }),
            MessageBody::RevealSignature(RevealSignature {
                revealed_key: [7; 16],
                encrypted_signature: &sig,
                mac: [8; 20],
            }),
            MessageBody::Signature(SignatureMessage {
                encrypted_signature: &sig,
                mac: [6; 20],
            }),
            MessageBody::Data(DataMessage {
                flags: DataFlags(DataFlags::IGNORE_UNREADABLE),
                sender_keyid: 3,
                recipient_keyid: 0xffff_ffff,
                next_dh: Mpi::trimmed(&gy),
                counter: [0, 0, 0, 0, 0, 0, 1, 0],
                encrypted: &enc,
                mac: [5; 20],
                old_mac_keys: &revealed,
            }),
            MessageBody::Data(DataMessage {
                flags: DataFlags::NONE,
                sender_keyid: 1,
                recipient_keyid: 1,
                next_dh: Mpi::trimmed(&gy),
                counter: [0, 0, 0, 0, 0, 0, 0, 1],
                encrypted: &[],
                mac: [4; 20],
                old_mac_keys: &[],
            }),
        ];
        for body in bodies {
            let message = EncodedMessage { header, body };
            let wire = armor::encode(&message.encode().unwrap());
            let printed = run_otr_parse(&wire).expect("otr_parse ran");
            assert_eq!(printed, otr_parse_view(&message), "{wire}");
            checked += 1;
        }
    }
    assert_eq!(checked, 18);
}
