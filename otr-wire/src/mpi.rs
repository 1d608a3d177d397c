//! Multi-precision integers as the wire carries them: big-endian magnitude,
//! minimal length (no leading zero byte), zero as the empty string.

use core::fmt;

/// A borrowed, minimally encoded, non-negative big integer.
///
/// The wire layer does no arithmetic; it only guarantees the canonical form, so
/// that fingerprints, hashes and MACs over re-encoded values are well defined.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Mpi<'a>(&'a [u8]);

impl<'a> Mpi<'a> {
    /// The value zero (encoded with length 0).
    pub const ZERO: Mpi<'static> = Mpi(&[]);

    /// Wraps bytes that are already minimal; `None` if they start with a zero byte.
    #[must_use]
    pub fn from_minimal(bytes: &'a [u8]) -> Option<Self> {
        match bytes.first() {
            Some(0) => None,
            _ => Some(Self(bytes)),
        }
    }

    /// Wraps big-endian bytes, skipping any leading zero bytes (for values that
    /// come out of fixed-width arithmetic).
    #[must_use]
    pub fn trimmed(bytes: &'a [u8]) -> Self {
        let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
        Self(bytes.get(start..).unwrap_or_default())
    }

    /// The minimal big-endian bytes (empty for zero).
    #[must_use]
    pub fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// Whether the value is zero.
    #[must_use]
    pub fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    /// The number of significant bits.
    #[must_use]
    pub fn bit_len(&self) -> usize {
        match self.0.first() {
            None => 0,
            Some(&top) => {
                let top_bits = 8 - top.leading_zeros() as usize;
                (self.0.len() - 1)
                    .saturating_mul(8)
                    .saturating_add(top_bits)
            }
        }
    }

    /// The encoded length on the wire (4-byte length prefix plus the bytes).
    #[must_use]
    pub fn encoded_len(&self) -> usize {
        4usize.saturating_add(self.0.len())
    }
}

impl fmt::Debug for Mpi<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Mpi(0x")?;
        if self.0.is_empty() {
            f.write_str("0")?;
        }
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        f.write_str(")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trimmed_strips_leading_zeros_and_keeps_zero_empty() {
        assert_eq!(Mpi::trimmed(&[0, 0, 1, 0]).as_bytes(), &[1, 0]);
        assert!(Mpi::trimmed(&[0, 0]).is_zero());
        assert!(Mpi::trimmed(&[]).is_zero());
    }

    #[test]
    fn bit_len_counts_significant_bits() {
        assert_eq!(Mpi::ZERO.bit_len(), 0);
        assert_eq!(Mpi::trimmed(&[1]).bit_len(), 1);
        assert_eq!(Mpi::trimmed(&[0x80, 0]).bit_len(), 16);
    }

    #[test]
    fn from_minimal_rejects_a_leading_zero() {
        assert!(Mpi::from_minimal(&[0, 1]).is_none());
        assert!(Mpi::from_minimal(&[1, 0]).is_some());
    }

    #[test]
    fn is_zero_only_for_the_empty_encoding() {
        assert!(Mpi::ZERO.is_zero());
        assert!(!Mpi::trimmed(&[1]).is_zero());
        assert!(!Mpi::trimmed(&[0, 0x80, 0]).is_zero());
    }

    #[test]
    fn encoded_len_is_four_plus_the_minimal_bytes() {
        assert_eq!(Mpi::ZERO.encoded_len(), 4);
        assert_eq!(Mpi::trimmed(&[0, 7]).encoded_len(), 5);
        assert_eq!(Mpi::trimmed(&[1; 192]).encoded_len(), 196);
    }

    #[test]
    fn debug_shows_the_value_in_hex() {
        assert_eq!(format!("{:?}", Mpi::ZERO), "Mpi(0x0)");
        assert_eq!(
            format!("{:?}", Mpi::trimmed(&[0, 0x0a, 0xff])),
            "Mpi(0x0aff)"
        );
    }
}
