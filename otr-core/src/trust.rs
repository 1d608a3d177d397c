//! How much the user trusts a buddy's keys: libotr's trust string, typed,
//! and the fingerprints known for one buddy. The fingerprints file
//! (`identity::parse_fingerprints`, `merge_fingerprints`) is the adapter
//! between these and libotr's file.

use core::fmt;

use litemap::LiteMap;
use otr_wire::Fingerprint;

/// The trust the user gave a buddy's key (libotr's `Fingerprint.trust`).
///
/// libotr stores a free-form string and treats any non-empty one as
/// trusted; the two it writes itself are `verified` (the user compared the
/// fingerprint) and `smp` (an SMP succeeded). [`Trust::from_libotr`] and
/// [`Trust::as_libotr`] round-trip every string libotr can store.
///
/// ```
/// use otr_core::Trust;
/// assert_eq!(Trust::from_libotr(b"verified"), Trust::Verified);
/// assert_eq!(Trust::from_libotr(b""), Trust::Untrusted);
/// let custom = Trust::from_libotr(b"met in person");
/// assert!(custom.is_trusted());
/// assert_eq!(custom.as_libotr(), b"met in person");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Trust {
    /// Not trusted (libotr: an empty string or none).
    #[default]
    Untrusted,
    /// The user verified the fingerprint (libotr: `verified`).
    Verified,
    /// An SMP with this key succeeded (libotr: `smp`).
    Smp,
    /// Another non-empty string a client stored: trusted, as libotr treats it.
    Other(Vec<u8>),
}

impl Trust {
    /// The trust a libotr trust string means.
    #[must_use]
    pub fn from_libotr(text: &[u8]) -> Self {
        match text {
            b"" => Self::Untrusted,
            b"verified" => Self::Verified,
            b"smp" => Self::Smp,
            other => Self::Other(other.to_vec()),
        }
    }

    /// The string libotr stores for this trust (empty for none).
    #[must_use]
    pub fn as_libotr(&self) -> &[u8] {
        match self {
            Self::Untrusted => b"",
            Self::Verified => b"verified",
            Self::Smp => b"smp",
            Self::Other(text) => text,
        }
    }

    /// Whether the key counts as trusted (libotr: a non-empty trust string).
    #[must_use]
    pub fn is_trusted(&self) -> bool {
        !self.as_libotr().is_empty()
    }
}

impl From<&str> for Trust {
    fn from(text: &str) -> Self {
        Self::from_libotr(text.as_bytes())
    }
}

impl fmt::Display for Trust {
    /// The libotr string (lossy for non-UTF-8), or `untrusted`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Untrusted => f.write_str("untrusted"),
            other => f.write_str(&String::from_utf8_lossy(other.as_libotr())),
        }
    }
}

/// The keys known for one buddy, each with its trust (libotr's list of
/// `Fingerprint`s in a context).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnownFingerprints {
    /// A sorted vector: a buddy has one or a few keys.
    keys: LiteMap<Fingerprint, Trust>,
}

impl KnownFingerprints {
    /// The trust of `fingerprint`, if it is known.
    #[must_use]
    pub fn get(&self, fingerprint: &Fingerprint) -> Option<&Trust> {
        self.keys.get(fingerprint)
    }

    /// Whether `fingerprint` is known.
    #[must_use]
    pub fn contains(&self, fingerprint: &Fingerprint) -> bool {
        self.keys.contains_key(fingerprint)
    }

    /// Whether `fingerprint` is known and trusted.
    #[must_use]
    pub fn is_trusted(&self, fingerprint: &Fingerprint) -> bool {
        self.keys.get(fingerprint).is_some_and(Trust::is_trusted)
    }

    /// Whether any known key is trusted.
    #[must_use]
    pub fn any_trusted(&self) -> bool {
        self.keys.values().any(Trust::is_trusted)
    }

    /// Records `fingerprint` with `trust` (replacing an earlier trust).
    pub fn set(&mut self, fingerprint: Fingerprint, trust: Trust) {
        self.make_room();
        self.keys.insert(fingerprint, trust);
    }

    /// Room for exactly one key in an empty table (a buddy usually has one),
    /// not the four a growing vector would reserve.
    fn make_room(&mut self) {
        if self.keys.is_empty() {
            self.keys = LiteMap::with_capacity(1);
        }
    }

    /// Records a newly seen `fingerprint`, untrusted; `false` if it was known.
    pub fn add_new(&mut self, fingerprint: Fingerprint) -> bool {
        if self.keys.contains_key(&fingerprint) {
            return false;
        }
        self.make_room();
        self.keys.insert(fingerprint, Trust::Untrusted);
        true
    }

    /// Adds every entry of `other` (its trust winning).
    pub fn extend(&mut self, other: &Self) {
        for (f, t) in other.keys.iter() {
            self.keys.insert(*f, t.clone());
        }
    }

    /// How many keys are known.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no key is known.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The keys and their trust, in fingerprint order.
    pub fn iter(&self) -> impl Iterator<Item = (&Fingerprint, &Trust)> {
        self.keys.iter()
    }

    /// The trust values, in fingerprint order.
    pub fn values(&self) -> impl Iterator<Item = &Trust> {
        self.keys.values()
    }
}

impl FromIterator<(Fingerprint, Trust)> for KnownFingerprints {
    fn from_iter<I: IntoIterator<Item = (Fingerprint, Trust)>>(iter: I) -> Self {
        Self {
            keys: iter.into_iter().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_libotr_string_round_trips() {
        for text in [&b""[..], b"verified", b"smp", b"x", b"smp ", b"\xe9t\xe9"] {
            assert_eq!(Trust::from_libotr(text).as_libotr(), text);
        }
        assert!(!Trust::Untrusted.is_trusted());
        assert!(Trust::Smp.is_trusted() && Trust::Verified.is_trusted());
        assert_eq!(Trust::from("smp"), Trust::Smp);
        assert_eq!(Trust::Untrusted.to_string(), "untrusted");
        assert_eq!(Trust::Verified.to_string(), "verified");
    }
}
