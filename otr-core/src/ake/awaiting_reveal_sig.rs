//! AWAITING_REVEALSIG: we answered the buddy's D-H Commit with our D-H Key.
//! Answering a commit, a repeated or replacing commit, and checking the
//! Reveal Signature (which completes the exchange with our Signature).

use otr_smp::group::GroupElement;
use otr_wire::reader::Reader;
use otr_wire::{
    DhCommit, DhKey, MessageBody, Mpi, ProtocolVersion, RevealSignature, SignatureMessage,
};
use rand_core::CryptoRng;
use zeroize::Zeroizing;

use super::identity_block::{BlockKeys, sign, verify};
use super::keys::AkeKeys;
use super::{AKE_KEYID, AkeEnv, AkeFailure, AkeOutput, AkeSuccess, armoured};
use crate::aes_ctr::apply_aes128_ctr;
use crate::dh::DhKeyPair;
use crate::identity::DsaVerifyingKey;
use crate::mac::{ct_eq, hmac_sha256_160, sha256};

/// Our side after answering a D-H Commit.
pub(crate) struct AwaitingRevealSig {
    pub(super) version: ProtocolVersion,
    pub(super) our_dh: DhKeyPair,
    pub(super) their_encrypted_gx: Vec<u8>,
    pub(super) their_hashed_gx: [u8; 32],
    /// The armoured D-H Key, for resending.
    pub(super) dh_key: Vec<u8>,
}

/// A Reveal Signature that passed every check, and our Signature answering it.
pub(super) struct VerifiedReveal {
    keys: AkeKeys,
    their_gx: GroupElement,
    their_key: DsaVerifyingKey,
    their_keyid: u32,
    signature: Vec<u8>,
}

/// The value of a buffer that holds exactly one minimal MPI.
fn single_mpi(bytes: &[u8]) -> Option<&[u8]> {
    let mut r = Reader::new(bytes);
    let mpi = r.mpi("g^x").ok()?;
    r.finish("g^x").ok()?;
    Some(mpi.as_bytes())
}

impl AwaitingRevealSig {
    /// Answers a D-H Commit with a fresh D-H Key.
    pub(super) fn answer<R: CryptoRng + ?Sized>(
        env: AkeEnv<'_, R>,
        commit: &DhCommit<'_>,
    ) -> (Self, Vec<u8>) {
        let our_dh = DhKeyPair::generate(env.rng);
        let gy = our_dh.public_bytes();
        let dh_key = armoured(
            env.header,
            MessageBody::DhKey(DhKey {
                gy: Mpi::trimmed(&gy),
            }),
        );
        let state = Self {
            version: env.header.version(),
            our_dh,
            their_encrypted_gx: commit.encrypted_gx.to_vec(),
            their_hashed_gx: commit.hashed_gx,
            dh_key: dh_key.clone(),
        };
        (state, dh_key)
    }

    /// Another D-H Commit while we wait: remember it instead, resend the
    /// same D-H Key.
    pub(super) fn replace_commit(&mut self, commit: &DhCommit<'_>) -> AkeOutput {
        self.their_encrypted_gx = commit.encrypted_gx.to_vec();
        self.their_hashed_gx = commit.hashed_gx;
        AkeOutput::Reply(self.dh_key.clone())
    }

    /// Checks a Reveal Signature — the revealed `g^x` against the commitment,
    /// MAC_m2 before anything else is decrypted, then the buddy's signed
    /// identity — and builds our Signature. The state is not changed.
    pub(super) fn verify<R: CryptoRng + ?Sized>(
        &self,
        env: AkeEnv<'_, R>,
        message: &RevealSignature<'_>,
        authenticated: &[u8],
    ) -> Result<VerifiedReveal, AkeOutput> {
        let reject = |failure| Err(AkeOutput::Rejected(failure));
        let mut gx_mpi = Zeroizing::new(self.their_encrypted_gx.clone());
        apply_aes128_ctr(&message.revealed_key, [0; 8], &mut gx_mpi);
        if !ct_eq(&sha256(&[&gx_mpi]), &self.their_hashed_gx) {
            return reject(AkeFailure::CommitMismatch);
        }
        let Some(their_gx) = single_mpi(&gx_mpi).and_then(GroupElement::from_be_bytes) else {
            return reject(AkeFailure::BadDhValue);
        };
        if their_gx == *self.our_dh.public() {
            return Err(AkeOutput::Reflected);
        }
        let keys = AkeKeys::derive(&self.our_dh.shared_secret(&their_gx));
        // MAC_m2 before decrypting X_B or touching the signature.
        if !ct_eq(&hmac_sha256_160(&keys.m2, authenticated), &message.mac) {
            return reject(AkeFailure::BadMac);
        }
        let their_gx_bytes = their_gx.to_minimal_bytes();
        let our_gy_bytes = self.our_dh.public_bytes();
        let (their_key, their_keyid) = match verify(
            &keys.c,
            &keys.m1,
            message.encrypted_signature,
            &their_gx_bytes,
            &our_gy_bytes,
            env.seen_keys,
        ) {
            Ok(v) => v,
            Err(f) => return reject(f),
        };
        let (encrypted, mac) = sign(
            env.our_key,
            env.rng,
            &BlockKeys {
                c: &keys.c_prime,
                m1: &keys.m1_prime,
                m2: &keys.m2_prime,
            },
            &our_gy_bytes,
            &their_gx_bytes,
        );
        let signature = armoured(
            env.header,
            MessageBody::Signature(SignatureMessage {
                encrypted_signature: &encrypted,
                mac,
            }),
        );
        Ok(VerifiedReveal {
            keys,
            their_gx,
            their_key,
            their_keyid,
            signature,
        })
    }
}

impl VerifiedReveal {
    /// The completed exchange: our Signature goes out, the data phase starts.
    pub(super) fn complete(self, state: AwaitingRevealSig) -> AkeOutput {
        let AwaitingRevealSig {
            version, our_dh, ..
        } = state;
        AkeOutput::Completed {
            reply: Some(self.signature),
            success: Box::new(AkeSuccess {
                version,
                ssid: self.keys.ssid,
                first_half_bold: false,
                their_key: self.their_key,
                their_keyid: self.their_keyid,
                their_dh: self.their_gx,
                our_dh,
                our_keyid: AKE_KEYID,
            }),
        }
    }
}
