//! The peer's long-term state — our key, our instance tag and the buddy's
//! known fingerprints — in libotr's own file formats (so libotr and our peer
//! can share them), or in memory when no file is named.
//!
//! Entries are found as libotr finds them (the last one of an account), and
//! every file is rewritten with only our own entries changed: other
//! accounts' lines stay byte for byte. Files are written 0600, atomically.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use otr_core::Trust;
use otr_core::identity::{
    DsaSigningKey, KnownFingerprint, generate_instance_tag, load_or_create_instag_file,
    load_or_create_privkey_file, merge_fingerprints, parse_fingerprints, write_private_file,
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
    /// The buddy's fingerprints and their trust, in the order first seen.
    known: Vec<(Fingerprint, Trust)>,
}

fn read_optional(path: &Path) -> Result<Vec<u8>, String> {
    match std::fs::read(path) {
        Ok(b) => Ok(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// Replaces a file atomically, readable by its owner only (0600), as libotr's
/// files are.
fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    write_private_file(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
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
        let (a, p) = (account.as_bytes(), protocol.as_bytes());
        let identity = match key {
            None => Arc::new(
                DsaSigningKey::generate(rng).map_err(|e| format!("cannot generate a key: {e}"))?,
            ),
            Some(path) => {
                load_or_create_privkey_file(path, a, p, rng).map_err(|e| e.to_string())?
            }
        };
        let instance_tag = match instag {
            None => generate_instance_tag(rng),
            Some(path) => load_or_create_instag_file(path, a, p, rng).map_err(|e| e.to_string())?,
        };
        let mut known: Vec<(Fingerprint, Trust)> = Vec::new();
        if let Some(path) = fingerprints {
            for k in parse_fingerprints(&read_optional(path)?) {
                if k.username == buddy.as_bytes() && k.account == a && k.protocol == p {
                    match known.iter_mut().find(|(f, _)| *f == k.fingerprint) {
                        Some(entry) => entry.1 = k.trust, // the last line wins, as in libotr
                        None => known.push((k.fingerprint, k.trust)),
                    }
                }
            }
        }
        Ok(Self {
            account: account.to_owned(),
            protocol: protocol.to_owned(),
            buddy: buddy.to_owned(),
            identity,
            instance_tag,
            fingerprints_path: fingerprints.map(Path::to_path_buf),
            known,
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
    pub fn known_fingerprints(&self) -> Vec<(Fingerprint, Trust)> {
        self.known.clone()
    }

    /// Records a buddy fingerprint's trust and rewrites the file, if any: the
    /// file is read again and only this buddy's lines of our account change.
    ///
    /// # Errors
    /// A message when the file cannot be read or written.
    pub fn remember_fingerprint(
        &mut self,
        fingerprint: Fingerprint,
        trust: Trust,
    ) -> Result<(), String> {
        match self.known.iter_mut().find(|(f, _)| *f == fingerprint) {
            Some(entry) => entry.1 = trust,
            None => self.known.push((fingerprint, trust)),
        }
        let Some(path) = &self.fingerprints_path else {
            return Ok(());
        };
        let (a, p, b) = (
            self.account.as_bytes(),
            self.protocol.as_bytes(),
            self.buddy.as_bytes(),
        );
        let existing = read_optional(path)?;
        // Our account's entries as the file has them, with this buddy's
        // replaced by what we know now.
        let mut ours: Vec<KnownFingerprint> = parse_fingerprints(&existing)
            .into_iter()
            .filter(|k| k.account == a && k.protocol == p && k.username != b)
            .collect();
        ours.extend(self.known.iter().map(|(f, t)| KnownFingerprint {
            username: b.to_vec(),
            account: a.to_vec(),
            protocol: p.to_vec(),
            fingerprint: *f,
            trust: t.clone(),
        }));
        let bytes = merge_fingerprints(&existing, a, p, &ours).map_err(|e| e.to_string())?;
        write(path, &bytes)
    }
}
