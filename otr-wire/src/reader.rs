//! A borrowing cursor over received bytes: every length is checked before it is
//! used, nothing is allocated, and structures must consume their input exactly.

use crate::error::DecodeError;
use crate::mpi::Mpi;

/// Reads OTR's primitive types (BYTE, SHORT, INT, MPI, DATA, fixed arrays) from a
/// byte slice without copying.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    rest: &'a [u8],
    consumed: usize,
}

impl<'a> Reader<'a> {
    /// A reader positioned at the start of `input`.
    #[must_use]
    pub fn new(input: &'a [u8]) -> Self {
        Self {
            rest: input,
            consumed: 0,
        }
    }

    /// How many bytes have been read so far.
    #[must_use]
    pub fn position(&self) -> usize {
        self.consumed
    }

    /// How many bytes are left.
    #[must_use]
    pub fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// The unread bytes, without consuming them.
    #[must_use]
    pub fn peek_rest(&self) -> &'a [u8] {
        self.rest
    }

    /// Takes exactly `len` bytes.
    ///
    /// # Errors
    /// [`DecodeError::UnexpectedEnd`] when fewer than `len` bytes are left.
    pub fn take(&mut self, len: usize, field: &'static str) -> Result<&'a [u8], DecodeError> {
        match self.rest.split_at_checked(len) {
            Some((head, tail)) => {
                self.rest = tail;
                self.consumed = self.consumed.saturating_add(len);
                Ok(head)
            }
            None => Err(DecodeError::UnexpectedEnd {
                field,
                needed: len,
                available: self.rest.len(),
            }),
        }
    }

    /// Takes all remaining bytes.
    pub fn take_rest(&mut self) -> &'a [u8] {
        let rest = self.rest;
        self.consumed = self.consumed.saturating_add(rest.len());
        self.rest = &[];
        rest
    }

    /// Reads a fixed-size array.
    ///
    /// # Errors
    /// [`DecodeError::UnexpectedEnd`] when fewer than `N` bytes are left.
    pub fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], DecodeError> {
        let bytes = self.take(N, field)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    /// Reads a BYTE.
    ///
    /// # Errors
    /// [`DecodeError::UnexpectedEnd`] at the end of the input.
    pub fn u8(&mut self, field: &'static str) -> Result<u8, DecodeError> {
        let [b] = self.array::<1>(field)?;
        Ok(b)
    }

    /// Reads a big-endian SHORT.
    ///
    /// # Errors
    /// [`DecodeError::UnexpectedEnd`] when fewer than 2 bytes are left.
    pub fn u16(&mut self, field: &'static str) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array(field)?))
    }

    /// Reads a big-endian INT.
    ///
    /// # Errors
    /// [`DecodeError::UnexpectedEnd`] when fewer than 4 bytes are left.
    pub fn u32(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array(field)?))
    }

    /// Reads a DATA field: a 4-byte length, then that many bytes. The length is
    /// checked against what is left before anything is taken.
    ///
    /// # Errors
    /// [`DecodeError::UnexpectedEnd`] when the length exceeds the remaining bytes.
    pub fn data(&mut self, field: &'static str) -> Result<&'a [u8], DecodeError> {
        let len = self.u32(field)?;
        let len = usize::try_from(len).map_err(|_| DecodeError::UnexpectedEnd {
            field,
            needed: usize::MAX,
            available: self.rest.len(),
        })?;
        self.take(len, field)
    }

    /// Reads an MPI and checks that it is minimally encoded.
    ///
    /// # Errors
    /// [`DecodeError::UnexpectedEnd`] or [`DecodeError::NonMinimalMpi`].
    pub fn mpi(&mut self, field: &'static str) -> Result<Mpi<'a>, DecodeError> {
        let bytes = self.data(field)?;
        Mpi::from_minimal(bytes).ok_or(DecodeError::NonMinimalMpi { field })
    }

    /// Checks that the whole input was consumed.
    ///
    /// # Errors
    /// [`DecodeError::TrailingBytes`] when bytes are left.
    pub fn finish(self, structure: &'static str) -> Result<(), DecodeError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes {
                structure,
                count: self.rest.len(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_length_beyond_input_is_rejected_before_allocating() {
        let input = [0xff, 0xff, 0xff, 0xff, 1, 2, 3];
        let mut r = Reader::new(&input);
        assert!(matches!(
            r.data("x"),
            Err(DecodeError::UnexpectedEnd {
                needed: 0xffff_ffff,
                available: 3,
                ..
            })
        ));
    }

    #[test]
    fn data_length_one_past_the_end_is_rejected() {
        let input = [0, 0, 0, 4, 1, 2, 3];
        assert!(Reader::new(&input).data("x").is_err());
        let input = [0, 0, 0, 3, 1, 2, 3];
        assert_eq!(Reader::new(&input).data("x").unwrap(), &[1, 2, 3]);
    }

    #[test]
    fn non_minimal_mpi_is_rejected() {
        let input = [0, 0, 0, 2, 0, 5];
        assert_eq!(
            Reader::new(&input).mpi("x"),
            Err(DecodeError::NonMinimalMpi { field: "x" })
        );
        let zero_as_one_byte = [0, 0, 0, 1, 0];
        assert!(Reader::new(&zero_as_one_byte).mpi("x").is_err());
        let zero = [0, 0, 0, 0];
        assert!(Reader::new(&zero).mpi("x").unwrap().is_zero());
    }

    #[test]
    fn trailing_bytes_are_rejected() {
        let input = [1, 2];
        let mut r = Reader::new(&input);
        r.u8("a").unwrap();
        assert_eq!(
            r.finish("s"),
            Err(DecodeError::TrailingBytes {
                structure: "s",
                count: 1
            })
        );
    }

    #[test]
    fn short_integers_report_the_missing_bytes() {
        assert_eq!(
            Reader::new(&[1, 2, 3]).u32("keyid"),
            Err(DecodeError::UnexpectedEnd {
                field: "keyid",
                needed: 4,
                available: 3
            })
        );
    }
}
