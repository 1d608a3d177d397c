//! # otr-libotr
//!
//! A drop-in replacement for libotr 4.1.1: `cargo build --release -p
//! otr-libotr` gives `libotr.so` with SONAME `libotr.so.5` and libotr's
//! unversioned `otrl_*` symbols, so C clients built against libotr
//! (pidgin-otr, irssi-plugin-otr, bitlbee, profanity, mcabber) load it
//! unchanged. Key, instance-tag and fingerprint files are read and written
//! by otr-core's parsers for libotr's formats. `docs/LIBOTR-COMPAT.md`
//! lists what is implemented and where a client could see a difference.
//!
//! The C structs clients walk themselves (`OtrlUserState`, `ConnContext`,
//! `Fingerprint`, `OtrlPrivKey`, `OtrlSMState`, …) are `#[repr(C)]` mirrors
//! with libotr's layout ([`ffi::types`]). `unsafe` lives in [`ffi`] only;
//! no panic crosses the C boundary (every entry point catches unwinding).
//! The library never links libgcrypt: errors are libgcrypt's numbers
//! ([`errors`]).

#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

pub mod errors;
pub mod fragments;
pub mod human;
pub mod lenient_base64;
pub mod proto;
pub mod state;

#[allow(unsafe_code)]
pub mod ffi;
