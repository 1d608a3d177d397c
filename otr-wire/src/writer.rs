//! An appending encoder for OTR's primitive types that remembers the first error,
//! so that composite encoders read straight through and check once at the end.

use crate::error::EncodeError;
use crate::mpi::Mpi;
use alloc::vec::Vec;

/// Appends BYTE, SHORT, INT, MPI and DATA fields to a buffer.
#[derive(Debug, Default)]
pub struct Writer {
    out: Vec<u8>,
    error: Option<EncodeError>,
}

impl Writer {
    /// An empty writer.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty writer with room for `capacity` bytes.
    #[must_use]
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            out: Vec::with_capacity(capacity),
            error: None,
        }
    }

    /// The bytes written so far.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.out
    }

    /// Appends raw bytes.
    pub fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        self.out.extend_from_slice(bytes);
        self
    }

    /// Appends a BYTE.
    pub fn u8(&mut self, value: u8) -> &mut Self {
        self.out.push(value);
        self
    }

    /// Appends a big-endian SHORT.
    pub fn u16(&mut self, value: u16) -> &mut Self {
        self.bytes(&value.to_be_bytes())
    }

    /// Appends a big-endian INT.
    pub fn u32(&mut self, value: u32) -> &mut Self {
        self.bytes(&value.to_be_bytes())
    }

    /// Appends a DATA field (4-byte length, then the bytes).
    pub fn data(&mut self, field: &'static str, bytes: &[u8]) -> &mut Self {
        match u32::try_from(bytes.len()) {
            Ok(len) => self.u32(len).bytes(bytes),
            Err(_) => {
                self.fail(EncodeError::FieldTooLong {
                    field,
                    length: bytes.len(),
                    max: u32::MAX as usize,
                });
                self
            }
        }
    }

    /// Appends an MPI (its minimal bytes as a DATA field).
    pub fn mpi(&mut self, field: &'static str, mpi: Mpi<'_>) -> &mut Self {
        self.data(field, mpi.as_bytes())
    }

    /// Records an error; the first one wins.
    pub fn fail(&mut self, error: EncodeError) {
        if self.error.is_none() {
            self.error = Some(error);
        }
    }

    /// The encoded bytes, or the first error met.
    ///
    /// # Errors
    /// The first [`EncodeError`] recorded while writing.
    pub fn finish(self) -> Result<Vec<u8>, EncodeError> {
        match self.error {
            Some(error) => Err(error),
            None => Ok(self.out),
        }
    }
}
