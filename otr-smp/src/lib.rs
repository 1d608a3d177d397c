//! # otr-smp
//!
//! The Socialist Millionaires' Protocol as OTR uses it, over the RFC 3526
//! 1536-bit MODP group with generator 2 and exponents modulo `q = (p − 1) / 2`.
//! This crate has no dependency on the session engine.
//!
//! ```
//! use otr_smp::group::{MODULUS, ORDER};
//! // q = (p − 1) / 2
//! assert_eq!(MODULUS.wrapping_sub(&crypto_bigint::U1536::ONE).shr_vartime(1), ORDER);
//! ```

#![forbid(unsafe_code)]

pub mod group;
