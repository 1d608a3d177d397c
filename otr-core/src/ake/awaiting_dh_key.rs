//! AWAITING_DHKEY: we sent a D-H Commit. Starting an exchange, commit
//! collisions, and answering the buddy's D-H Key with our Reveal Signature.

use otr_smp::group::GroupElement;
use otr_wire::writer::Writer;
use otr_wire::{DhCommit, DhKey, Header, MessageBody, Mpi, ProtocolVersion, RevealSignature};
use rand_core::CryptoRng;
use zeroize::Zeroizing;

use super::awaiting_sig::AwaitingSig;
use super::identity_block::{BlockKeys, sign};
use super::keys::AkeKeys;
use super::{AkeEnv, AkeFailure, AkeOutput, armoured};
use crate::aes_ctr::apply_aes128_ctr;
use crate::dh::DhKeyPair;
use crate::mac::{ct_eq, sha256};

/// Our side after sending a D-H Commit.
pub(crate) struct AwaitingDhKey {
    pub(super) version: ProtocolVersion,
    pub(super) our_dh: DhKeyPair,
    /// The AES key that hides `g^x` until the Reveal Signature.
    pub(super) r: Zeroizing<[u8; 16]>,
    /// `SHA-256(MPI(g^x))`: the commitment, and the commit's identity.
    pub(super) hashed_gx: [u8; 32],
    /// The header the D-H Commit went out with. The commit itself is rebuilt
    /// from it, `r` and `g^x` when it is resent (rarely: a collision we win)
    /// rather than kept: some 340 bytes less for each pending commit — the
    /// master's is kept for a minute after every AKE we start.
    pub(super) header: Header,
}

/// What answering a D-H Key computed, before the state moves on.
pub(super) struct Answered {
    their_gy: GroupElement,
    keys: AkeKeys,
    reveal_signature: Vec<u8>,
}

/// `MPI(value)`: the 4-byte length and the minimal bytes.
pub(super) fn mpi_encoding(minimal: &[u8]) -> Vec<u8> {
    let mut w = Writer::with_capacity(minimal.len().saturating_add(4));
    w.mpi("g^x", Mpi::trimmed(minimal));
    w.finish().unwrap_or_default()
}

impl AwaitingDhKey {
    /// A fresh D-H Commit and the state that awaits its D-H Key.
    pub(super) fn start<R: CryptoRng + ?Sized>(env: AkeEnv<'_, R>) -> (Self, Vec<u8>) {
        let our_dh = DhKeyPair::generate(env.rng);
        let mut r = Zeroizing::new([0u8; 16]);
        env.rng.fill_bytes(r.as_mut());
        let hashed_gx = sha256(&[&mpi_encoding(&our_dh.public_bytes())]);
        let state = Self {
            version: env.header.version(),
            our_dh,
            r,
            hashed_gx,
            header: env.header,
        };
        let commit = state.commit_message();
        (state, commit)
    }

    /// The armoured D-H Commit: `AES-CTR_r(MPI(g^x))` and `SHA-256(MPI(g^x))`
    /// under the header it first went out with — the same bytes each time.
    pub(super) fn commit_message(&self) -> Vec<u8> {
        let mut encrypted_gx = mpi_encoding(&self.our_dh.public_bytes());
        apply_aes128_ctr(&self.r, [0; 8], &mut encrypted_gx);
        armoured(
            self.header,
            MessageBody::DhCommit(DhCommit {
                encrypted_gx: &encrypted_gx,
                hashed_gx: self.hashed_gx,
            }),
        )
    }

    /// A copy for another instance continuing this commit.
    pub(super) fn copy(&self) -> Self {
        Self {
            version: self.version,
            our_dh: self.our_dh.clone(),
            r: self.r.clone(),
            hashed_gx: self.hashed_gx,
            header: self.header,
        }
    }

    /// A D-H Commit of our version arrived while ours is pending: `None`
    /// when theirs wins (the caller answers it), else what to do.
    pub(super) fn collide(&self, commit: &DhCommit<'_>) -> Option<AkeOutput> {
        if ct_eq(&self.hashed_gx, &commit.hashed_gx) {
            return Some(AkeOutput::Reflected);
        }
        // The higher hashed g^x wins; ours wins: ignore theirs, resend ours.
        (self.hashed_gx > commit.hashed_gx).then(|| AkeOutput::Reply(self.commit_message()))
    }

    /// Checks the D-H Key and builds our Reveal Signature (the state is not
    /// changed: [`into_awaiting_sig`](Self::into_awaiting_sig) does that).
    pub(super) fn reveal<R: CryptoRng + ?Sized>(
        &self,
        env: AkeEnv<'_, R>,
        key: &DhKey<'_>,
    ) -> Result<Answered, AkeOutput> {
        let Some(their_gy) = GroupElement::from_be_bytes(key.gy.as_bytes()) else {
            return Err(AkeOutput::Rejected(AkeFailure::BadDhValue));
        };
        if their_gy == *self.our_dh.public() {
            return Err(AkeOutput::Reflected);
        }
        let keys = AkeKeys::derive(&self.our_dh.shared_secret(&their_gy));
        let block = BlockKeys {
            c: &keys.c,
            m1: &keys.m1,
            m2: &keys.m2,
        };
        let (encrypted, mac) = sign(
            env.our_key,
            env.rng,
            &block,
            &self.our_dh.public_bytes(),
            key.gy.as_bytes(),
        );
        let reveal_signature = armoured(
            env.header,
            MessageBody::RevealSignature(RevealSignature {
                revealed_key: *self.r,
                encrypted_signature: &encrypted,
                mac,
            }),
        );
        Ok(Answered {
            their_gy,
            keys,
            reveal_signature,
        })
    }

    /// → AWAITING_SIG, with the Reveal Signature to send.
    pub(super) fn into_awaiting_sig(self: Box<Self>, answered: Answered) -> (AwaitingSig, Vec<u8>) {
        let Self {
            version, our_dh, ..
        } = *self;
        let reply = answered.reveal_signature.clone();
        let state = AwaitingSig {
            version,
            our_dh,
            their_gy: answered.their_gy,
            keys: answered.keys,
            reveal_signature: answered.reveal_signature,
        };
        (state, reply)
    }
}
