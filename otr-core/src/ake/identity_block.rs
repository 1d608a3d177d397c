//! The signed identity block of the Reveal Signature and Signature messages
//! (the spec's `X_B` / `X_A`), built and checked with otr-wire's codec:
//! `M = HMAC-SHA256_m1(own DH ‖ peer DH ‖ PUBKEY ‖ keyid)`,
//! `X = PUBKEY ‖ keyid ‖ SIG(M)`, sent as `AES-CTR_c(X)` with
//! `MAC_m2(DATA(AES-CTR_c(X)))`.

use otr_wire::ake::{encrypted_signature_mac_input, signed_mac_input};
use otr_wire::{Mpi, SignedIdentity};
use rand_core::CryptoRng;
use zeroize::Zeroizing;

use super::{AKE_KEYID, AkeFailure};
use crate::aes_ctr::apply_aes128_ctr;
use crate::identity::{DsaSigningKey, DsaVerifyingKey};
use crate::mac::{hmac_sha256, hmac_sha256_160};
use crate::trust::KnownFingerprints;

/// The three keys one direction of the block uses (c, m1, m2 or their primes).
pub(super) struct BlockKeys<'a> {
    pub c: &'a [u8; 16],
    pub m1: &'a [u8; 32],
    pub m2: &'a [u8; 32],
}

/// Our block: `AES_c(X)` and `MAC_m2(AES_c(X))`. `own_dh` and `peer_dh` are
/// the minimal bytes of the DH values (ours first, as the signer).
pub(super) fn sign<R: CryptoRng + ?Sized>(
    our_key: &DsaSigningKey,
    rng: &mut R,
    keys: &BlockKeys<'_>,
    own_dh: &[u8],
    peer_dh: &[u8],
) -> (Vec<u8>, [u8; 20]) {
    let public_key = our_key.verifying_key().as_wire();
    let m_input = signed_mac_input(
        Mpi::trimmed(own_dh),
        Mpi::trimmed(peer_dh),
        &public_key,
        AKE_KEYID,
    );
    let m = hmac_sha256(keys.m1, &[&m_input]);
    let signature = our_key.sign(&m, rng);
    let mut x = SignedIdentity {
        public_key,
        keyid: AKE_KEYID,
        signature,
    }
    .to_bytes();
    apply_aes128_ctr(keys.c, [0; 8], &mut x);
    let mac = hmac_sha256_160(keys.m2, &encrypted_signature_mac_input(&x));
    (x, mac)
}

/// Decrypts and checks the buddy's block (`their_dh` first, as the signer);
/// returns their key and DH key id. A key not in `seen_keys` is validated
/// once its signature verified (so only the key's holder can make us spend
/// the time).
pub(super) fn verify(
    c: &[u8; 16],
    m1: &[u8; 32],
    encrypted: &[u8],
    their_dh: &[u8],
    our_dh: &[u8],
    seen_keys: &KnownFingerprints,
) -> Result<(DsaVerifyingKey, u32), AkeFailure> {
    let mut x = Zeroizing::new(encrypted.to_vec());
    apply_aes128_ctr(c, [0; 8], &mut x);
    let identity = SignedIdentity::decode(&x).map_err(|_| AkeFailure::BadIdentity)?;
    let their_key =
        DsaVerifyingKey::from_wire(&identity.public_key).map_err(|_| AkeFailure::BadIdentity)?;
    let m_input = signed_mac_input(
        Mpi::trimmed(their_dh),
        Mpi::trimmed(our_dh),
        &identity.public_key,
        identity.keyid,
    );
    let m = hmac_sha256(m1, &[&m_input]);
    if !their_key.verify(&m, &identity.signature) {
        return Err(AkeFailure::BadSignature);
    }
    if !seen_keys.contains(&their_key.fingerprint()) && their_key.validate().is_err() {
        return Err(AkeFailure::WeakKey);
    }
    Ok((their_key, identity.keyid))
}
