//! The set of protocol versions a query message or whitespace tag offers.

use crate::header::ProtocolVersion;

/// Versions offered by a peer (v1 is recorded so that it can be ignored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct OfferedVersions {
    /// Version 1 was offered (we never speak it).
    pub v1: bool,
    /// Version 2 was offered.
    pub v2: bool,
    /// Version 3 was offered.
    pub v3: bool,
}

impl OfferedVersions {
    /// Offers exactly the given versions.
    #[must_use]
    pub fn of(versions: &[ProtocolVersion]) -> Self {
        let mut set = Self::default();
        for v in versions {
            set.insert(*v);
        }
        set
    }

    /// Adds a version.
    pub fn insert(&mut self, version: ProtocolVersion) {
        match version {
            ProtocolVersion::V2 => self.v2 = true,
            ProtocolVersion::V3 => self.v3 = true,
        }
    }

    /// Whether `version` is offered.
    #[must_use]
    pub fn contains(&self, version: ProtocolVersion) -> bool {
        match version {
            ProtocolVersion::V2 => self.v2,
            ProtocolVersion::V3 => self.v3,
        }
    }

    /// The highest version offered here that `allowed` also contains.
    #[must_use]
    pub fn best_common(&self, allowed: &Self) -> Option<ProtocolVersion> {
        if self.v3 && allowed.v3 {
            Some(ProtocolVersion::V3)
        } else if self.v2 && allowed.v2 {
            Some(ProtocolVersion::V2)
        } else {
            None
        }
    }

    /// Whether a version we speak (2 or 3) is offered.
    #[must_use]
    pub fn offers_any_spoken(&self) -> bool {
        self.v2 || self.v3
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v23_query_with_both_allowed_picks_v3_and_v2_only_needs_allow_v2() {
        let both = OfferedVersions::of(&[ProtocolVersion::V2, ProtocolVersion::V3]);
        let v2 = OfferedVersions::of(&[ProtocolVersion::V2]);
        let v3 = OfferedVersions::of(&[ProtocolVersion::V3]);
        assert_eq!(both.best_common(&both), Some(ProtocolVersion::V3));
        assert_eq!(both.best_common(&v2), Some(ProtocolVersion::V2));
        // `?OTRv2?` without ALLOW_V2: no version in common, no downgrade.
        assert_eq!(v2.best_common(&v3), None);
        let v1_only = OfferedVersions {
            v1: true,
            ..OfferedVersions::default()
        };
        assert_eq!(v1_only.best_common(&both), None);
        assert!(!v1_only.offers_any_spoken());
    }

    #[test]
    fn contains_reports_exactly_the_inserted_versions() {
        let v2 = OfferedVersions::of(&[ProtocolVersion::V2]);
        let v3 = OfferedVersions::of(&[ProtocolVersion::V3]);
        assert!(v2.contains(ProtocolVersion::V2));
        assert!(!v2.contains(ProtocolVersion::V3));
        assert!(v3.contains(ProtocolVersion::V3));
        assert!(!v3.contains(ProtocolVersion::V2));
        assert!(!OfferedVersions::default().contains(ProtocolVersion::V2));
    }

    #[test]
    fn offers_any_spoken_needs_only_one_of_v2_or_v3() {
        assert!(OfferedVersions::of(&[ProtocolVersion::V2]).offers_any_spoken());
        assert!(OfferedVersions::of(&[ProtocolVersion::V3]).offers_any_spoken());
        assert!(
            OfferedVersions::of(&[ProtocolVersion::V2, ProtocolVersion::V3]).offers_any_spoken()
        );
        assert!(!OfferedVersions::default().offers_any_spoken());
    }
}
