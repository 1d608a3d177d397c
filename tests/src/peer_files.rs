//! The peer's long-term state — our key, our instance tag and the buddy's
//! known fingerprints — in libotr's own file formats (so libotr and our peer
//! can share them), or in memory when no file is named.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use otr_core::identity::{
    DsaSigningKey, InstagEntry, KnownFingerprint, PrivateKeyEntry, generate_instance_tag,
    parse_fingerprints, parse_instags, parse_privkeys, serialize_fingerprints, serialize_instags,
    serialize_privkeys,
};
use otr_core::otr_wire::{Fingerprint, InstanceTag};
use rand_core::CryptoRng;

/// Keys, instance tag and fingerprints of one account.
pub struct PeerFiles {
    account: String,
    protocol: String,
    buddy: String,
    identity: Arc<DsaSigningKey>,
    instance_tag: InstanceTag,
    fingerprints_path: Option<PathBuf>,
    fingerprints: Vec<KnownFingerprint>,
}

fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, String> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

impl PeerFiles {
    /// Loads (or creates and saves) everything.
    ///
    /// # Errors
    /// A readable message when a file cannot be read, parsed or written.
    pub fn open<R: CryptoRng + ?Sized>(
        account: &str,
        protocol: &str,
        buddy: &str,
        key: Option<&Path>,
        instag: Option<&Path>,
        fingerprints: Option<&Path>,
        rng: &mut R,
    ) -> Result<Self, String> {
        let identity =
            match key {
                None => DsaSigningKey::generate(rng)
                    .map_err(|e| format!("cannot generate a key: {e}"))?,
                Some(path) => {
                    let mut entries = match read_optional(path)? {
                        Some(bytes) => parse_privkeys(&bytes)
                            .map_err(|e| format!("{}: {e}", path.display()))?,
                        None => Vec::new(),
                    };
                    match entries
                        .iter()
                        .position(|e| e.account == account && e.protocol == protocol)
                    {
                        Some(i) => entries.swap_remove(i).key,
                        None => {
                            let fresh = DsaSigningKey::generate(rng)
                                .map_err(|e| format!("cannot generate a key: {e}"))?;
                            let components = fresh.components();
                            entries.push(PrivateKeyEntry {
                                account: account.to_owned(),
                                protocol: protocol.to_owned(),
                                key: fresh,
                            });
                            let bytes = serialize_privkeys(&entries).map_err(|e| e.to_string())?;
                            write(path, &bytes)?;
                            DsaSigningKey::from_dsa_components(&components)
                                .map_err(|e| e.to_string())?
                        }
                    }
                }
            };
        let instance_tag = match instag {
            None => generate_instance_tag(rng),
            Some(path) => {
                let mut entries = read_optional(path)?
                    .map(|b| parse_instags(&b))
                    .unwrap_or_default();
                match entries
                    .iter()
                    .find(|e| e.account == account && e.protocol == protocol)
                {
                    Some(e) => e.instag,
                    None => {
                        let tag = generate_instance_tag(rng);
                        entries.push(InstagEntry {
                            account: account.to_owned(),
                            protocol: protocol.to_owned(),
                            instag: tag,
                        });
                        let text = serialize_instags(&entries).map_err(|e| e.to_string())?;
                        write(path, text.as_bytes())?;
                        tag
                    }
                }
            }
        };
        let known = match fingerprints {
            Some(path) => read_optional(path)?
                .map(|b| parse_fingerprints(&b))
                .unwrap_or_default(),
            None => Vec::new(),
        };
        Ok(Self {
            account: account.to_owned(),
            protocol: protocol.to_owned(),
            buddy: buddy.to_owned(),
            identity: Arc::new(identity),
            instance_tag,
            fingerprints_path: fingerprints.map(Path::to_path_buf),
            fingerprints: known,
        })
    }

    /// Our signing key.
    #[must_use]
    pub fn identity(&self) -> Arc<DsaSigningKey> {
        Arc::clone(&self.identity)
    }

    /// Our instance tag.
    #[must_use]
    pub fn instance_tag(&self) -> InstanceTag {
        self.instance_tag
    }

    /// The buddy's known fingerprints with their trust.
    #[must_use]
    pub fn known_fingerprints(&self) -> Vec<(Fingerprint, String)> {
        self.fingerprints
            .iter()
            .filter(|k| {
                k.username == self.buddy && k.account == self.account && k.protocol == self.protocol
            })
            .map(|k| (k.fingerprint, k.trust.clone()))
            .collect()
    }

    /// Records a buddy fingerprint's trust and writes the file, if any.
    ///
    /// # Errors
    /// A message when the file cannot be written.
    pub fn remember_fingerprint(
        &mut self,
        fingerprint: Fingerprint,
        trust: &str,
    ) -> Result<(), String> {
        let existing = self.fingerprints.iter_mut().find(|k| {
            k.username == self.buddy
                && k.account == self.account
                && k.protocol == self.protocol
                && k.fingerprint == fingerprint
        });
        match existing {
            Some(k) => trust.clone_into(&mut k.trust),
            None => self.fingerprints.push(KnownFingerprint {
                username: self.buddy.clone(),
                account: self.account.clone(),
                protocol: self.protocol.clone(),
                fingerprint,
                trust: trust.to_owned(),
            }),
        }
        match &self.fingerprints_path {
            Some(path) => {
                let text = serialize_fingerprints(&self.fingerprints).map_err(|e| e.to_string())?;
                write(path, text.as_bytes())
            }
            None => Ok(()),
        }
    }
}
