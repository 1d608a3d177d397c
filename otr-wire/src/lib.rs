//! # otr-wire
//!
//! The wire format of Off-the-Record Messaging, protocol versions 2 and 3:
//! bytes to typed messages and back, byte-exact with libotr 4.1.1. No session
//! state and no modular arithmetic live here — only encodings, and every check
//! an encoding allows: lengths before allocation, minimal MPIs, no trailing
//! bytes, instance-tag validity, fragment syntax. No input can make it panic,
//! and decoding is linear in the input.
//!
//! | layer | module |
//! |---|---|
//! | what an incoming text is | [`envelope::classify`] → [`Envelope`] |
//! | `?OTR:…​.` armour (base64) | [`armor`] |
//! | query messages, whitespace tags | [`query`], [`whitespace`] |
//! | fragments: parse and split as libotr | [`fragment`] |
//! | binary messages: AKE and data | [`EncodedMessage`], [`ake`], [`data`] |
//! | decrypted payload: text, NUL, TLVs | [`tlv`] |
//! | public keys, signatures, fingerprints | [`DsaPublicKey`], [`Fingerprint`] |
//!
//! ```
//! use otr_wire::{Envelope, EncodedMessage, MessageBody, classify};
//!
//! // A D-H Key message (v3) as libotr would send it.
//! let wire = b"?OTR:AAMKAAABAAAAAQEAAAABAg==.";
//! let Envelope::Encoded(bytes) = classify(wire)? else { unreachable!() };
//! let decoded = EncodedMessage::decode(&bytes)?;
//! assert_eq!(decoded.message.header.version(), otr_wire::ProtocolVersion::V3);
//! let MessageBody::DhKey(key) = decoded.message.body else { unreachable!() };
//! assert_eq!(key.gy.as_bytes(), &[2]);
//! // Decoding is canonical: encoding gives the same bytes back.
//! assert_eq!(decoded.message.encode()?, bytes);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Features
//!
//! - `std` (default): the standard library, for the std features of `base64`
//!   and `memchr` (`memchr`'s run-time AVX2 detection). Without it the crate
//!   is `#![no_std]` and needs only `alloc` (a global allocator); the API is
//!   the same, and the error types implement `core::error::Error` either way.
//! - `simd` (default; implies `std`): base64 through the `base64` crate's AVX2
//!   (x86-64) or NEON (aarch64) engine, detected at run time. This crate's own
//!   code stays free of `unsafe`; without the feature, or on other targets
//!   (wasm), the portable engine is used, and it accepts and rejects exactly
//!   the same input.

#![cfg_attr(not(any(feature = "std", test)), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod ake;
pub mod armor;
pub mod data;
pub mod envelope;
pub mod error;
pub mod fingerprint;
pub mod fragment;
pub mod header;
pub mod message;
pub mod mpi;
pub mod public_key;
pub mod query;
pub mod reader;
pub mod tlv;
pub mod versions;
pub mod whitespace;
pub mod writer;

pub use ake::{DhCommit, DhKey, RevealSignature, SignatureMessage, SignedIdentity};
pub use data::{DataFlags, DataMessage};
pub use envelope::{Envelope, classify};
pub use error::{DecodeError, EncodeError};
pub use fingerprint::Fingerprint;
pub use fragment::Fragment;
pub use header::{Header, InstanceTag, MessageType, ProtocolVersion};
pub use message::{DecodedMessage, EncodedMessage, MessageBody};
pub use mpi::Mpi;
pub use public_key::{DsaPublicKey, DsaSignature};
pub use query::Query;
pub use tlv::{Payload, RawTlv, Tlv};
pub use versions::OfferedVersions;
