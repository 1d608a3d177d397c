//! The authenticated key exchange messages (D-H Commit, D-H Key, Reveal
//! Signature, Signature) and the signed identity block they carry encrypted.
//!
//! ```text
//! D-H Commit        header ‖ DATA AES_r(g^x) ‖ DATA SHA256(g^x) (32 bytes)
//! D-H Key           header ‖ MPI g^y
//! Reveal Signature  header ‖ DATA r (16 bytes) ‖ DATA AES_c(X_B) ‖ MAC_m2(that DATA) [20]
//! Signature         header ‖ DATA AES_c'(X_A) ‖ MAC_m2'(that DATA) [20]
//! X_B / X_A         PUBKEY ‖ INT keyid ‖ SIG (r ‖ s, 20 + 20)
//! M_B / M_A input   MPI g^x ‖ MPI g^y ‖ PUBKEY ‖ INT keyid
//! ```

use crate::error::DecodeError;
use crate::mpi::Mpi;
use crate::public_key::{DsaPublicKey, DsaSignature};
use crate::reader::Reader;
use crate::writer::Writer;
use alloc::vec::Vec;

/// Length of the hashed `g^x` in a D-H Commit (SHA-256).
pub const HASHED_GX_LEN: usize = 32;
/// Length of the revealed AES key `r` in a Reveal Signature message.
pub const REVEALED_KEY_LEN: usize = 16;
/// Length of the truncated MACs in AKE and data messages.
pub const MAC_LEN: usize = 20;

/// D-H Commit: the initiator's encrypted `g^x` and its hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DhCommit<'a> {
    /// `AES-CTR_r(g^x as MPI)`.
    pub encrypted_gx: &'a [u8],
    /// `SHA-256(g^x as MPI)`.
    pub hashed_gx: [u8; HASHED_GX_LEN],
}

impl<'a> DhCommit<'a> {
    pub(crate) fn read(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let encrypted_gx = r.data("encrypted g^x")?;
        let hashed = r.data("hashed g^x")?;
        let hashed_gx = hashed.try_into().map_err(|_| DecodeError::BadLength {
            field: "hashed g^x",
            expected: HASHED_GX_LEN,
            actual: hashed.len(),
        })?;
        Ok(Self {
            encrypted_gx,
            hashed_gx,
        })
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.data("encrypted g^x", self.encrypted_gx)
            .data("hashed g^x", &self.hashed_gx);
    }
}

/// D-H Key: the responder's `g^y`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DhKey<'a> {
    /// `g^y`.
    pub gy: Mpi<'a>,
}

impl<'a> DhKey<'a> {
    pub(crate) fn read(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        Ok(Self { gy: r.mpi("g^y")? })
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.mpi("g^y", self.gy);
    }
}

/// Reveal Signature: the key that decrypts the D-H Commit, and the AKE
/// initiator's signed identity, encrypted and MACed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevealSignature<'a> {
    /// The AES key `r` that decrypts the D-H Commit's `g^x`.
    pub revealed_key: [u8; REVEALED_KEY_LEN],
    /// `AES-CTR_c(X_B)`.
    pub encrypted_signature: &'a [u8],
    /// `HMAC-SHA256-160_m2` over the encrypted signature DATA field.
    pub mac: [u8; MAC_LEN],
}

impl<'a> RevealSignature<'a> {
    pub(crate) fn read(r: &mut Reader<'a>) -> Result<(Self, &'a [u8]), DecodeError> {
        let key = r.data("revealed key")?;
        let revealed_key = key.try_into().map_err(|_| DecodeError::BadLength {
            field: "revealed key",
            expected: REVEALED_KEY_LEN,
            actual: key.len(),
        })?;
        let (encrypted_signature, authenticated) = read_mac_covered_data(r)?;
        let mac = r.array("MAC")?;
        Ok((
            Self {
                revealed_key,
                encrypted_signature,
                mac,
            },
            authenticated,
        ))
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.data("revealed key", &self.revealed_key)
            .data("encrypted signature", self.encrypted_signature)
            .bytes(&self.mac);
    }
}

/// Signature: the AKE responder's signed identity, encrypted and MACed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignatureMessage<'a> {
    /// `AES-CTR_c'(X_A)`.
    pub encrypted_signature: &'a [u8],
    /// `HMAC-SHA256-160_m2'` over the encrypted signature DATA field.
    pub mac: [u8; MAC_LEN],
}

impl<'a> SignatureMessage<'a> {
    pub(crate) fn read(r: &mut Reader<'a>) -> Result<(Self, &'a [u8]), DecodeError> {
        let (encrypted_signature, authenticated) = read_mac_covered_data(r)?;
        let mac = r.array("MAC")?;
        Ok((
            Self {
                encrypted_signature,
                mac,
            },
            authenticated,
        ))
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.data("encrypted signature", self.encrypted_signature)
            .bytes(&self.mac);
    }
}

/// Reads the encrypted-signature DATA field and returns it with the exact bytes
/// the AKE MAC covers (its 4-byte length and contents).
fn read_mac_covered_data<'a>(r: &mut Reader<'a>) -> Result<(&'a [u8], &'a [u8]), DecodeError> {
    let whole = r.peek_rest();
    let start = r.position();
    let data = r.data("encrypted signature")?;
    let covered_len = r.position().saturating_sub(start);
    let covered = whole.get(..covered_len).ok_or(DecodeError::UnexpectedEnd {
        field: "encrypted signature",
        needed: covered_len,
        available: whole.len(),
    })?;
    Ok((data, covered))
}

/// The bytes an AKE MAC covers for a given encrypted signature: its DATA
/// encoding (4-byte length, then the bytes).
#[must_use]
pub fn encrypted_signature_mac_input(encrypted_signature: &[u8]) -> Vec<u8> {
    let mut w = Writer::with_capacity(encrypted_signature.len().saturating_add(4));
    w.data("encrypted signature", encrypted_signature);
    w.finish().unwrap_or_default()
}

/// The decrypted signed identity block `X_B` (or `X_A`): the long-term public
/// key, the sender's DH key id, and the DSA signature over `M_B` (or `M_A`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedIdentity<'a> {
    /// The signer's long-term DSA public key.
    pub public_key: DsaPublicKey<'a>,
    /// The key id of the DH key exchanged in this AKE (never 0).
    pub keyid: u32,
    /// The signature over the MAC of the exchange.
    pub signature: DsaSignature,
}

impl<'a> SignedIdentity<'a> {
    /// Decodes a decrypted `X_B` / `X_A`. The signature must be exactly the last
    /// 40 bytes.
    ///
    /// # Errors
    /// A field error, [`DecodeError::ZeroKeyId`], or [`DecodeError::BadLength`]
    /// for a signature of another length.
    pub fn decode(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let public_key = DsaPublicKey::read(&mut r)?;
        let keyid = r.u32("DH key id")?;
        if keyid == 0 {
            return Err(DecodeError::ZeroKeyId { field: "DH" });
        }
        let signature = DsaSignature::read_rest(&mut r)?;
        Ok(Self {
            public_key,
            keyid,
            signature,
        })
    }

    /// Encodes `PUBKEY ‖ keyid ‖ SIG`.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(self.public_key.encoded_len().saturating_add(44));
        self.public_key.write(&mut w);
        w.u32(self.keyid);
        self.signature.write(&mut w);
        w.finish().unwrap_or_default()
    }
}

/// The input of the MAC whose output the AKE signs (`M_B` / `M_A`):
/// `MPI signer's DH ‖ MPI peer's DH ‖ PUBKEY ‖ INT keyid`. In the spec's naming
/// Bob starts the AKE, so `M_B` (in the Reveal Signature) is
/// `g^x ‖ g^y ‖ pub_B ‖ keyid_B` and `M_A` (in the Signature) is
/// `g^y ‖ g^x ‖ pub_A ‖ keyid_A`.
#[must_use]
pub fn signed_mac_input(
    own_dh: Mpi<'_>,
    peer_dh: Mpi<'_>,
    public_key: &DsaPublicKey<'_>,
    keyid: u32,
) -> Vec<u8> {
    let mut w = Writer::with_capacity(
        own_dh
            .encoded_len()
            .saturating_add(peer_dh.encoded_len())
            .saturating_add(public_key.encoded_len())
            .saturating_add(4),
    );
    w.mpi("own DH key", own_dh).mpi("peer DH key", peer_dh);
    public_key.write(&mut w);
    w.u32(keyid);
    w.finish().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pubkey_bytes() -> Vec<u8> {
        let mut w = Writer::new();
        w.u16(0)
            .mpi("p", Mpi::trimmed(&[0xc3, 1]))
            .mpi("q", Mpi::trimmed(&[0x85]))
            .mpi("g", Mpi::trimmed(&[2]))
            .mpi("y", Mpi::trimmed(&[7, 7]));
        w.finish().unwrap()
    }

    fn identity_bytes(keyid: u32) -> Vec<u8> {
        let mut bytes = pubkey_bytes();
        bytes.extend(keyid.to_be_bytes());
        bytes.extend([1; 20]);
        bytes.extend([2; 20]);
        bytes
    }

    #[test]
    fn signed_identity_with_key_id_zero_is_rejected_and_any_other_accepted() {
        assert_eq!(
            SignedIdentity::decode(&identity_bytes(0)),
            Err(DecodeError::ZeroKeyId { field: "DH" })
        );
        for keyid in [1, 2, 0x100, u32::MAX] {
            let bytes = identity_bytes(keyid);
            let identity = SignedIdentity::decode(&bytes).unwrap();
            assert_eq!(identity.keyid, keyid);
            assert_eq!(identity.signature.r, [1; 20]);
            assert_eq!(identity.signature.s, [2; 20]);
        }
    }

    #[test]
    fn signed_identity_re_encodes_to_its_input() {
        let bytes = identity_bytes(7);
        let identity = SignedIdentity::decode(&bytes).unwrap();
        assert_eq!(identity.to_bytes(), bytes);
    }

    #[test]
    fn signed_mac_input_is_own_dh_then_peer_dh_then_pubkey_then_keyid() {
        let key_bytes = pubkey_bytes();
        let key = DsaPublicKey::decode(&key_bytes).unwrap();
        let input = signed_mac_input(Mpi::trimmed(&[0x11]), Mpi::trimmed(&[0x22, 0x33]), &key, 9);
        let mut expected = vec![0, 0, 0, 1, 0x11, 0, 0, 0, 2, 0x22, 0x33];
        expected.extend(&key_bytes);
        expected.extend([0, 0, 0, 9]);
        assert_eq!(input, expected);
    }
}
