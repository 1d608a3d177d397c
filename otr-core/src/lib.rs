//! # otr-core
//!
//! The OTR v2/v3 session engine, sans-IO. This release carries the policy set;
//! the engine (AKE, data messages, instance tags, fragments) is being built on
//! top of [`otr_wire`].
//!
//! ```
//! use otr_core::Policy;
//! let p = Policy::OPPORTUNISTIC;
//! assert!(p.contains(Policy::SEND_WHITESPACE_TAG));
//! assert_eq!(Policy::from_bits(0x3e), Policy::OPPORTUNISTIC | Policy::REQUIRE_ENCRYPTION);
//! ```

#![forbid(unsafe_code)]

pub mod policy;

pub use otr_wire;
pub use policy::Policy;
