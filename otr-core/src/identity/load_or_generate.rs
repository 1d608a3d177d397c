//! First use of an account: take its key and instance tag from libotr's
//! files if they have them, make new ones (and the file to write back) if
//! not.
//!
//! The byte-level helpers ([`load_or_generate_privkey`],
//! [`load_or_generate_instag`]) work on a file's contents, so they suit any
//! host; an absent file is passed as empty bytes. The path-level ones
//! ([`load_or_create_privkey_file`], [`load_or_create_instag_file`]) read the
//! file, and when something new was made write it back with
//! [`write_private_file`] (mode 0600, atomic replace), keeping every other
//! account's entries in a shared file.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use otr_wire::InstanceTag;
use rand_core::CryptoRng;
use zeroize::Zeroizing;

use super::dsa_group::IdentityError;
use super::instag_file::{InstagEntry, find_instag, merge_instag, parse_instags};
use super::instance_tag::generate_instance_tag;
use super::line_file::LineFileError;
use super::private_file::write_private_file;
use super::privkey_file::{
    PrivateKeyEntry, PrivkeyFileError, find_privkey, merge_privkey, parse_privkeys,
};
use super::signing_key::DsaSigningKey;

/// An account's key, and the file to save if it was just made.
#[derive(Debug)]
#[non_exhaustive]
pub struct LoadedKey {
    /// The key.
    pub key: Arc<DsaSigningKey>,
    /// `Some(file)` when the key was generated: the private-key file with it
    /// merged in, to be written back (0600). `None` when the file had it.
    pub updated_file: Option<Zeroizing<Vec<u8>>>,
}

/// An account's instance tag, and the file to save if it was just made.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoadedInstag {
    /// The instance tag.
    pub instag: InstanceTag,
    /// `Some(file)` when the tag was generated: the instance-tag file with it
    /// merged in, to be written back. `None` when the file had it.
    pub updated_file: Option<Vec<u8>>,
}

/// Why a key or instance-tag file could not be loaded or created.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyFileError {
    /// The file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: io::Error,
    },
    /// The private-key file is broken: it was left as it is (repair or
    /// move it; a new key is never written over a file that holds others).
    #[error("{}: {source}", path.display())]
    Privkey {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        #[source]
        source: PrivkeyFileError,
    },
    /// The account or protocol cannot be written to the instance-tag file.
    #[error("{}: {source}", path.display())]
    Instag {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        #[source]
        source: LineFileError,
    },
}

/// Whether a file's bytes hold nothing yet (absent, empty or blank).
fn is_blank(file: &[u8]) -> bool {
    file.iter().all(u8::is_ascii_whitespace)
}

/// The key of `account` on `protocol` from a private-key file's bytes
/// (empty or blank: no file yet), or a newly generated one with the file to
/// write back.
///
/// ```
/// use otr_core::identity::load_or_generate_privkey;
/// let mut rng = otr_core::OsRandom::new()?;
/// let first = load_or_generate_privkey(b"", b"alice@example.org", b"xmpp", &mut rng)?;
/// let file = first.updated_file.expect("a new key is to be saved");
/// let again = load_or_generate_privkey(&file, b"alice@example.org", b"xmpp", &mut rng)?;
/// assert!(again.updated_file.is_none());
/// assert_eq!(*again.key, *first.key);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// A [`PrivkeyFileError`] when the file is not one libotr could read (no key
/// is generated then: the file may hold other accounts' keys), or when the
/// names hold a NUL.
pub fn load_or_generate_privkey(
    existing: &[u8],
    account: &[u8],
    protocol: &[u8],
    rng: &mut (impl CryptoRng + ?Sized),
) -> Result<LoadedKey, PrivkeyFileError> {
    if !is_blank(existing) {
        let entries = parse_privkeys(existing)?;
        if let Some(entry) = find_privkey(&entries, account, protocol) {
            return Ok(LoadedKey {
                key: Arc::clone(&entry.key),
                updated_file: None,
            });
        }
    }
    let key =
        DsaSigningKey::generate(rng).map_err(|source: IdentityError| PrivkeyFileError::BadKey {
            account: String::from_utf8_lossy(account).into_owned(),
            protocol: String::from_utf8_lossy(protocol).into_owned(),
            source,
        })?;
    let entry = PrivateKeyEntry {
        account: account.to_vec(),
        protocol: protocol.to_vec(),
        key: Arc::new(key),
    };
    let updated = merge_privkey(existing, &entry)?;
    Ok(LoadedKey {
        key: entry.key,
        updated_file: Some(updated),
    })
}

/// The instance tag of `account` on `protocol` from an instance-tag file's
/// bytes (empty: no file yet), or a newly generated one with the file to
/// write back.
///
/// # Errors
/// A [`LineFileError`] when the names cannot be written to the file (a tab,
/// newline or NUL in them).
pub fn load_or_generate_instag(
    existing: &[u8],
    account: &[u8],
    protocol: &[u8],
    rng: &mut (impl CryptoRng + ?Sized),
) -> Result<LoadedInstag, LineFileError> {
    if let Some(instag) = find_instag(&parse_instags(existing), account, protocol) {
        return Ok(LoadedInstag {
            instag,
            updated_file: None,
        });
    }
    let entry = InstagEntry {
        account: account.to_vec(),
        protocol: protocol.to_vec(),
        instag: generate_instance_tag(rng),
    };
    let updated = merge_instag(existing, &entry)?;
    Ok(LoadedInstag {
        instag: entry.instag,
        updated_file: Some(updated),
    })
}

/// Reads a file, an absent one as empty.
fn read_or_empty(path: &Path) -> Result<Zeroizing<Vec<u8>>, KeyFileError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Zeroizing::new(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Zeroizing::new(Vec::new())),
        Err(source) => Err(KeyFileError::Io {
            path: path.to_owned(),
            source,
        }),
    }
}

fn write_back(path: &Path, contents: &[u8]) -> Result<(), KeyFileError> {
    write_private_file(path, contents).map_err(|source| KeyFileError::Io {
        path: path.to_owned(),
        source,
    })
}

/// The key of `account` on `protocol` from the private-key file at `path`;
/// when the file (or the account's entry) does not exist yet, a new key is
/// generated and the file written back, private to its owner and
/// atomically, with every other account's key kept.
///
/// Generating a key takes a fraction of a second.
///
/// # Errors
/// A [`KeyFileError`]: the file could not be read or written, or it is
/// broken (then it is left untouched).
pub fn load_or_create_privkey_file(
    path: &Path,
    account: &[u8],
    protocol: &[u8],
    rng: &mut (impl CryptoRng + ?Sized),
) -> Result<Arc<DsaSigningKey>, KeyFileError> {
    let existing = read_or_empty(path)?;
    let loaded = load_or_generate_privkey(&existing, account, protocol, rng).map_err(|source| {
        KeyFileError::Privkey {
            path: path.to_owned(),
            source,
        }
    })?;
    if let Some(file) = &loaded.updated_file {
        write_back(path, file)?;
    }
    Ok(loaded.key)
}

/// The instance tag of `account` on `protocol` from the instance-tag file
/// at `path`; when the file (or the account's line) does not exist yet, a
/// new tag is generated and the file written back (0600, atomically, every
/// other line kept).
///
/// # Errors
/// A [`KeyFileError`]: the file could not be read or written, or the names
/// cannot be written to it.
pub fn load_or_create_instag_file(
    path: &Path,
    account: &[u8],
    protocol: &[u8],
    rng: &mut (impl CryptoRng + ?Sized),
) -> Result<InstanceTag, KeyFileError> {
    let existing = read_or_empty(path)?;
    let loaded = load_or_generate_instag(&existing, account, protocol, rng).map_err(|source| {
        KeyFileError::Instag {
            path: path.to_owned(),
            source,
        }
    })?;
    if let Some(file) = &loaded.updated_file {
        write_back(path, file)?;
    }
    Ok(loaded.instag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "otr-load-or-generate-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_key_is_made_once_and_other_accounts_are_kept() {
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        let dir = scratch("key");
        let path = dir.join("otr.private_key");
        let alice = load_or_create_privkey_file(&path, b"alice", b"xmpp", &mut rng).unwrap();
        let bob = load_or_create_privkey_file(&path, b"bob", b"irc", &mut rng).unwrap();
        assert_ne!(*alice, *bob);
        let written = std::fs::read(&path).unwrap();
        let again = load_or_create_privkey_file(&path, b"alice", b"xmpp", &mut rng).unwrap();
        assert_eq!(*again, *alice);
        assert_eq!(std::fs::read(&path).unwrap(), written, "nothing rewritten");
        let entries = parse_privkeys(&written).unwrap();
        assert_eq!(entries.len(), 2);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_broken_key_file_is_an_error_and_left_alone() {
        let mut rng = ChaCha20Rng::seed_from_u64(6);
        let dir = scratch("broken");
        let path = dir.join("otr.private_key");
        std::fs::write(&path, b"(privkeys (account").unwrap();
        let e = load_or_create_privkey_file(&path, b"alice", b"xmpp", &mut rng).unwrap_err();
        assert!(matches!(e, KeyFileError::Privkey { .. }), "{e}");
        assert!(e.to_string().contains("otr.private_key"));
        assert_eq!(std::fs::read(&path).unwrap(), b"(privkeys (account");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_instag_is_made_once_and_kept() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let first = load_or_generate_instag(b"", b"alice", b"xmpp", &mut rng).unwrap();
        let file = first.updated_file.clone().unwrap();
        let again = load_or_generate_instag(&file, b"alice", b"xmpp", &mut rng).unwrap();
        assert_eq!(again.instag, first.instag);
        assert!(again.updated_file.is_none());
        let other = load_or_generate_instag(&file, b"bob", b"irc", &mut rng).unwrap();
        let both = other.updated_file.unwrap();
        let entries = parse_instags(&both);
        assert_eq!(entries.len(), 2);
        assert_eq!(find_instag(&entries, b"alice", b"xmpp"), Some(first.instag));

        let dir = scratch("instag");
        let path = dir.join("otr.instag");
        let tag = load_or_create_instag_file(&path, b"alice", b"xmpp", &mut rng).unwrap();
        assert_eq!(
            load_or_create_instag_file(&path, b"alice", b"xmpp", &mut rng).unwrap(),
            tag
        );
        assert!(
            load_or_create_instag_file(&path, b"al\tice", b"xmpp", &mut rng).is_err(),
            "a tab cannot be written"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
