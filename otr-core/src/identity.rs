//! Long-term identity: DSA keys, and libotr's private-key, instance-tag and
//! fingerprint files, read and written byte for byte as libotr 4.1.1 does, so
//! a user's existing files work unchanged and can be shared with libotr
//! clients.
//!
//! The engine itself never touches files: every parser takes bytes and every
//! writer returns bytes. For hosts with a file system:
//!
//! - [`load_or_create_privkey_file`] and [`load_or_create_instag_file`] take
//!   an account's key and instance tag from the files, or make them on first
//!   use and write the files back; [`load_or_generate_privkey`] and
//!   [`load_or_generate_instag`] do the same on bytes.
//! - [`Manager::merge_fingerprints_into`](crate::Manager::merge_fingerprints_into)
//!   merges this account's fingerprints into a (shared) fingerprints file,
//!   keeping every other account's lines.
//!
//! **The file rule**: these files hold the private key and who is trusted.
//! Write them readable by their owner only (mode 0600) and replace them
//! atomically (write a new file beside, then rename), never in place, so a
//! crash or a full disk cannot leave half a key. [`write_private_file`] does
//! exactly that.

mod dsa_components;
mod dsa_group;
mod dsa_integers;
mod fingerprint_file;
mod instag_file;
mod instance_tag;
mod line_file;
mod load_or_generate;
mod private_file;
mod privkey_file;
mod sexp;
mod signing_key;
mod verifying_key;

pub use dsa_components::DsaComponents;
pub use dsa_group::IdentityError;
#[cfg(test)]
pub(crate) use dsa_group::weak_test_keys as dsa_group_weak_keys;
pub use fingerprint_file::{
    KnownFingerprint, merge_fingerprints, parse_fingerprints, serialize_fingerprints,
};
pub use instag_file::{
    INSTAG_FILE_WARNING, InstagEntry, find_instag, merge_instag, parse_instags, serialize_instags,
};
pub use instance_tag::generate_instance_tag;
pub use line_file::LineFileError;
pub use load_or_generate::{
    KeyFileError, LoadedInstag, LoadedKey, load_or_create_instag_file, load_or_create_privkey_file,
    load_or_generate_instag, load_or_generate_privkey,
};
pub use private_file::write_private_file;
pub use privkey_file::PrivkeyFileError;
pub use privkey_file::{
    PrivateKeyEntry, find_privkey, merge_privkey, parse_privkeys, serialize_privkeys,
};
pub use sexp::SexpError;
pub use signing_key::DsaSigningKey;
pub use verifying_key::DsaVerifyingKey;
