//! Policies: libotr's bit set (`proto.h`) and its presets.

use core::ops::BitOr;

/// What a session may and must do, as libotr's `OtrlPolicy` bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Policy(u32);

impl Policy {
    /// Allow version 1 (never spoken here; kept for libotr's bit values).
    pub const ALLOW_V1: Self = Self(0x01);
    /// Allow version 2.
    pub const ALLOW_V2: Self = Self(0x02);
    /// Allow version 3.
    pub const ALLOW_V3: Self = Self(0x04);
    /// Refuse to send plaintext; hold messages and start OTR instead.
    pub const REQUIRE_ENCRYPTION: Self = Self(0x08);
    /// Advertise OTR with a whitespace tag on plaintext.
    pub const SEND_WHITESPACE_TAG: Self = Self(0x10);
    /// Start the AKE on receiving a whitespace tag.
    pub const WHITESPACE_START_AKE: Self = Self(0x20);
    /// Start the AKE on receiving an OTR error message.
    pub const ERROR_START_AKE: Self = Self(0x40);
    /// No OTR at all.
    pub const NEVER: Self = Self(0);
    /// libotr's MANUAL: versions 2 and 3, nothing automatic.
    pub const MANUAL: Self = Self(0x02 | 0x04);
    /// libotr's OPPORTUNISTIC (and DEFAULT).
    pub const OPPORTUNISTIC: Self = Self(0x02 | 0x04 | 0x10 | 0x20 | 0x40);
    /// libotr's ALWAYS.
    pub const ALWAYS: Self = Self(0x02 | 0x04 | 0x08 | 0x20 | 0x40);
    /// libotr's DEFAULT (= OPPORTUNISTIC).
    pub const DEFAULT: Self = Self::OPPORTUNISTIC;

    /// The policy for libotr's bit value (unknown bits are dropped).
    #[must_use]
    pub fn from_bits(bits: u32) -> Self {
        Self(bits & 0x7f)
    }

    /// libotr's bit value.
    #[must_use]
    pub fn bits(self) -> u32 {
        self.0
    }

    /// Whether every bit of `other` is set.
    #[must_use]
    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// This policy without the bits of `other`.
    #[must_use]
    pub fn without(self, other: Self) -> Self {
        Self(self.0 & !other.0)
    }
}

impl BitOr for Policy {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_match_libotr_proto_h() {
        assert_eq!(Policy::MANUAL.bits(), 0x06);
        assert_eq!(Policy::OPPORTUNISTIC.bits(), 0x76);
        assert_eq!(Policy::ALWAYS.bits(), 0x6e);
        assert_eq!(Policy::DEFAULT, Policy::OPPORTUNISTIC);
        assert_eq!(Policy::from_bits(0xff).bits(), 0x7f);
        assert!(!Policy::ALWAYS.contains(Policy::SEND_WHITESPACE_TAG));
        assert_eq!(
            Policy::ALWAYS.without(Policy::REQUIRE_ENCRYPTION).bits(),
            0x66
        );
    }
}
