//! Long-term identity: DSA keys, and libotr's private-key, instance-tag and
//! fingerprint files (parse and serialize only; the host does the file I/O).

mod dsa_components;
mod dsa_group;
mod dsa_integers;
mod error;
mod fingerprint_file;
mod instag_file;
mod instance_tag;
mod line_file;
mod line_file_error;
mod private_file;
mod privkey_file;
mod privkey_file_error;
mod sexp;
mod sexp_error;
mod signing_key;
mod verifying_key;

pub use dsa_components::DsaComponents;
#[cfg(test)]
pub(crate) use dsa_group::weak_test_keys as dsa_group_weak_keys;
pub use error::IdentityError;
pub use fingerprint_file::{
    KnownFingerprint, merge_fingerprints, parse_fingerprints, serialize_fingerprints,
};
pub use instag_file::{
    INSTAG_FILE_WARNING, InstagEntry, find_instag, merge_instag, parse_instags, serialize_instags,
};
pub use instance_tag::generate_instance_tag;
pub use line_file_error::LineFileError;
pub use private_file::write_private_file;
pub use privkey_file::{
    PrivateKeyEntry, find_privkey, merge_privkey, parse_privkeys, serialize_privkeys,
};
pub use privkey_file_error::PrivkeyFileError;
pub use sexp_error::SexpError;
pub use signing_key::DsaSigningKey;
pub use verifying_key::DsaVerifyingKey;
