//! Wire-layer benchmarks: a 1 KiB data message decoded and encoded, and a
//! fragmented one classified and reassembled.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use otr_wire::{
    DataFlags, DataMessage, EncodedMessage, Envelope, Header, InstanceTag, Mpi, armor, classify,
    fragment,
};

fn sample_data_message() -> Vec<u8> {
    let next_dh = [0xa5u8; 192];
    let encrypted = [0x5au8; 1024];
    let revealed = [0x11u8; 40];
    let message = DataMessage {
        flags: DataFlags::NONE,
        sender_keyid: 7,
        recipient_keyid: 9,
        next_dh: Mpi::trimmed(&next_dh),
        counter: [0, 0, 0, 0, 0, 0, 0, 3],
        encrypted: &encrypted,
        mac: [0; 20],
        old_mac_keys: &revealed,
    };
    let header = Header::V3 {
        sender: InstanceTag::new(0x1234_5678).unwrap(),
        receiver: InstanceTag::new(0x9abc_def0),
    };
    message.encode_with_mac(&header, |_| [0x42; 20]).unwrap()
}

fn benches(c: &mut Criterion) {
    let bytes = sample_data_message();
    let armoured = armor::encode(&bytes);

    c.bench_function("decode 1 KiB data message (binary)", |b| {
        b.iter(|| EncodedMessage::decode(black_box(&bytes)).unwrap());
    });
    c.bench_function("classify + base64 + decode 1 KiB data message", |b| {
        b.iter(|| {
            let Envelope::Encoded(raw) = classify(black_box(armoured.as_bytes())).unwrap() else {
                unreachable!()
            };
            black_box(EncodedMessage::decode(&raw).unwrap().authenticated.len())
        });
    });
    let decoded = EncodedMessage::decode(&bytes).unwrap().message;
    c.bench_function("encode 1 KiB data message (binary)", |b| {
        b.iter(|| black_box(&decoded).encode().unwrap());
    });
    c.bench_function("encode + armour 1 KiB data message", |b| {
        b.iter(|| armor::encode(&black_box(&decoded).encode().unwrap()));
    });

    let header = Header::V3 {
        sender: InstanceTag::new(0x1234_5678).unwrap(),
        receiver: InstanceTag::new(0x9abc_def0),
    };
    let fragments = fragment::split(armoured.as_bytes(), &header, 400).unwrap();
    c.bench_function(
        "classify + reassemble fragmented 1 KiB data message (mms 400)",
        |b| {
            b.iter(|| {
                let mut whole = Vec::with_capacity(armoured.len());
                for f in &fragments {
                    let Envelope::Fragment(piece) = classify(black_box(f)).unwrap() else {
                        unreachable!()
                    };
                    whole.extend_from_slice(piece.piece);
                }
                let Envelope::Encoded(raw) = classify(&whole).unwrap() else {
                    unreachable!()
                };
                black_box(EncodedMessage::decode(&raw).unwrap().authenticated.len())
            });
        },
    );
}

criterion_group!(wire, benches);
criterion_main!(wire);
