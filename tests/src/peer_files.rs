//! The peer's long-term state: our key, instance tag and the buddy's known
//! fingerprints, in memory or in libotr's files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use otr_core::identity::DsaSigningKey;
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
    /// (buddy, fingerprint) → trust.
    known: BTreeMap<(String, Fingerprint), String>,
}

impl PeerFiles {
    /// Loads (or creates) everything.
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
        let _ = (key, instag);
        let identity = Arc::new(
            DsaSigningKey::generate(rng).map_err(|e| format!("cannot generate a key: {e}"))?,
        );
        let instance_tag = random_tag(rng);
        Ok(Self {
            account: account.to_owned(),
            protocol: protocol.to_owned(),
            buddy: buddy.to_owned(),
            identity,
            instance_tag,
            fingerprints_path: fingerprints.map(Path::to_path_buf),
            known: BTreeMap::new(),
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

    /// The buddy name fingerprints are filed under.
    #[must_use]
    pub fn buddy_key(&self) -> String {
        self.buddy.clone()
    }

    /// The buddy's known fingerprints with their trust.
    #[must_use]
    pub fn known_fingerprints(&self) -> Vec<(Fingerprint, String)> {
        self.known
            .iter()
            .filter(|((b, _), _)| *b == self.buddy)
            .map(|((_, f), t)| (*f, t.clone()))
            .collect()
    }

    /// Records a fingerprint's trust (and writes the file, if any).
    pub fn remember_fingerprint(&mut self, buddy: &str, fingerprint: Fingerprint, trust: &str) {
        self.known
            .insert((buddy.to_owned(), fingerprint), trust.to_owned());
        let _ = (&self.account, &self.protocol, &self.fingerprints_path);
    }
}

fn random_tag<R: CryptoRng + ?Sized>(rng: &mut R) -> InstanceTag {
    loop {
        if let Some(tag) = InstanceTag::new(rng.next_u32()) {
            return tag;
        }
    }
}
