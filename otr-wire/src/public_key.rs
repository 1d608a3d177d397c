//! OTR public keys (PUBKEY) and DSA signatures (SIG).

use alloc::vec::Vec;
use core::fmt;

use crate::error::DecodeError;
use crate::fingerprint::Fingerprint;
use crate::mpi::Mpi;
use crate::reader::Reader;
use crate::writer::Writer;

/// The only public-key type OTR v2/v3 defines.
pub const DSA_KEY_TYPE: u16 = 0x0000;

/// A DSA public key as carried on the wire: `p`, `q`, `g`, `y`.
///
/// The wire layer checks only the encoding (type 0, minimal MPIs); the engine
/// checks sizes and ranges before any arithmetic.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct DsaPublicKey<'a> {
    /// The prime modulus.
    pub p: Mpi<'a>,
    /// The prime order of the subgroup.
    pub q: Mpi<'a>,
    /// The generator.
    pub g: Mpi<'a>,
    /// The public value `g^x mod p`.
    pub y: Mpi<'a>,
}

impl<'a> DsaPublicKey<'a> {
    /// Reads a PUBKEY (type, then four MPIs).
    ///
    /// # Errors
    /// [`DecodeError::UnsupportedPublicKeyType`] for a non-DSA type, or a field error.
    pub fn read(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let key_type = r.u16("public key type")?;
        if key_type != DSA_KEY_TYPE {
            return Err(DecodeError::UnsupportedPublicKeyType(key_type));
        }
        Ok(Self {
            p: r.mpi("DSA p")?,
            q: r.mpi("DSA q")?,
            g: r.mpi("DSA g")?,
            y: r.mpi("DSA y")?,
        })
    }

    /// Decodes a complete PUBKEY with nothing after it.
    ///
    /// # Errors
    /// A field error or [`DecodeError::TrailingBytes`].
    pub fn decode(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let key = Self::read(&mut r)?;
        r.finish("public key")?;
        Ok(key)
    }

    /// Writes the PUBKEY encoding (with its type).
    pub fn write(&self, w: &mut Writer) {
        w.u16(DSA_KEY_TYPE);
        self.write_body(w);
    }

    fn write_body(&self, w: &mut Writer) {
        w.mpi("DSA p", self.p)
            .mpi("DSA q", self.q)
            .mpi("DSA g", self.g)
            .mpi("DSA y", self.y);
    }

    /// The PUBKEY encoding (with its type).
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(self.encoded_len());
        self.write(&mut w);
        // MPIs borrowed from memory are far below the 4 GiB a length prefix holds.
        w.finish().unwrap_or_default()
    }

    /// The length of the PUBKEY encoding.
    #[must_use]
    pub fn encoded_len(&self) -> usize {
        [self.p, self.q, self.g, self.y]
            .iter()
            .fold(2usize, |acc, m| acc.saturating_add(m.encoded_len()))
    }

    /// The key's fingerprint: SHA-1 over the encoding without the 2-byte type.
    #[must_use]
    pub fn fingerprint(&self) -> Fingerprint {
        let mut w = Writer::with_capacity(self.encoded_len());
        self.write_body(&mut w);
        Fingerprint::of_key_body(w.as_bytes())
    }
}

impl fmt::Debug for DsaPublicKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DsaPublicKey")
            .field("fingerprint", &self.fingerprint())
            .field("p_bits", &self.p.bit_len())
            .field("q_bits", &self.q.bit_len())
            .finish_non_exhaustive()
    }
}

/// A DSA signature for a 160-bit `q`: `r` and `s`, each 20 bytes big-endian.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct DsaSignature {
    /// The `r` half, left-padded to 20 bytes.
    pub r: [u8; 20],
    /// The `s` half, left-padded to 20 bytes.
    pub s: [u8; 20],
}

impl DsaSignature {
    /// The encoded length: 40 bytes.
    pub const LEN: usize = 40;

    /// Reads a SIG that must be exactly the remaining 40 bytes.
    ///
    /// # Errors
    /// [`DecodeError::BadLength`] when anything other than 40 bytes is left.
    pub fn read_rest(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let rest = r.take_rest();
        let (r_half, s_half) = rest
            .split_first_chunk::<20>()
            .and_then(|(r_half, tail)| {
                let s_half: &[u8; 20] = tail.try_into().ok()?;
                Some((*r_half, *s_half))
            })
            .ok_or(DecodeError::BadLength {
                field: "DSA signature",
                expected: Self::LEN,
                actual: rest.len(),
            })?;
        Ok(Self {
            r: r_half,
            s: s_half,
        })
    }

    /// Writes `r ‖ s`.
    pub fn write(&self, w: &mut Writer) {
        w.bytes(&self.r).bytes(&self.s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let mut w = Writer::new();
        w.u16(0)
            .mpi("p", Mpi::trimmed(&[0xc3, 1]))
            .mpi("q", Mpi::trimmed(&[0x85]))
            .mpi("g", Mpi::trimmed(&[2]))
            .mpi("y", Mpi::trimmed(&[7, 7]));
        w.finish().unwrap()
    }

    #[test]
    fn pubkey_round_trips_and_fingerprint_skips_the_type() {
        let bytes = sample();
        let key = DsaPublicKey::decode(&bytes).unwrap();
        assert_eq!(key.to_bytes(), bytes);
        assert_eq!(key.fingerprint(), Fingerprint::of_key_body(&bytes[2..]));
    }

    #[test]
    fn pubkey_type_other_than_dsa_is_rejected() {
        let mut bytes = sample();
        bytes[1] = 1;
        assert_eq!(
            DsaPublicKey::decode(&bytes),
            Err(DecodeError::UnsupportedPublicKeyType(1))
        );
    }

    #[test]
    fn pubkey_with_trailing_bytes_is_rejected() {
        let mut bytes = sample();
        bytes.push(0);
        assert!(matches!(
            DsaPublicKey::decode(&bytes),
            Err(DecodeError::TrailingBytes { .. })
        ));
    }

    #[test]
    fn signature_must_be_exactly_forty_bytes() {
        for len in [0usize, 20, 39, 41, 80] {
            let bytes = vec![1u8; len];
            assert_eq!(
                DsaSignature::read_rest(&mut Reader::new(&bytes)),
                Err(DecodeError::BadLength {
                    field: "DSA signature",
                    expected: 40,
                    actual: len
                })
            );
        }
        let mut bytes = vec![1u8; 20];
        bytes.extend([2u8; 20]);
        let sig = DsaSignature::read_rest(&mut Reader::new(&bytes)).unwrap();
        assert_eq!((sig.r, sig.s), ([1; 20], [2; 20]));
    }

    #[test]
    fn encoded_len_matches_the_encoding() {
        let bytes = sample();
        let key = DsaPublicKey::decode(&bytes).unwrap();
        assert_eq!(key.encoded_len(), bytes.len());
        assert_eq!(key.encoded_len(), 2 + 6 + 5 + 5 + 6);
    }

    #[test]
    fn debug_shows_fingerprint_and_sizes_not_the_raw_key() {
        let bytes = sample();
        let key = DsaPublicKey::decode(&bytes).unwrap();
        let shown = format!("{key:?}");
        assert!(shown.starts_with("DsaPublicKey {"), "{shown}");
        assert!(shown.contains(&key.fingerprint().to_hex()), "{shown}");
        assert!(shown.contains("p_bits: 16"), "{shown}");
        assert!(shown.contains("q_bits: 8"), "{shown}");
    }

    #[test]
    fn signature_writes_r_then_s() {
        let sig = DsaSignature {
            r: [1; 20],
            s: [2; 20],
        };
        let mut w = Writer::new();
        sig.write(&mut w);
        let bytes = w.finish().unwrap();
        assert_eq!(bytes.len(), DsaSignature::LEN);
        assert_eq!(DsaSignature::read_rest(&mut Reader::new(&bytes)), Ok(sig));
        assert_eq!(&bytes[..20], &[1; 20]);
    }
}
