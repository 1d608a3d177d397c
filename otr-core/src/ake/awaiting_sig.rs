//! AWAITING_SIG: we sent our Reveal Signature. A repeated D-H Key, and
//! checking the buddy's Signature (which completes the exchange).

use otr_smp::group::GroupElement;
use otr_wire::{DhKey, ProtocolVersion, SignatureMessage};

use super::identity_block::verify;
use super::keys::AkeKeys;
use super::{AKE_KEYID, AkeFailure, AkeOutput, AkeSuccess};
use crate::dh::DhKeyPair;
use crate::identity::DsaVerifyingKey;
use crate::mac::{ct_eq, hmac_sha256_160};
use crate::trust::KnownFingerprints;

/// Our side after sending the Reveal Signature.
pub(crate) struct AwaitingSig {
    pub(super) version: ProtocolVersion,
    pub(super) our_dh: DhKeyPair,
    pub(super) their_gy: GroupElement,
    pub(super) keys: AkeKeys,
    /// The armoured Reveal Signature, for resending.
    pub(super) reveal_signature: Vec<u8>,
}

impl AwaitingSig {
    /// The same D-H Key again: resend our Reveal Signature; another one: ignore.
    pub(super) fn repeated_dh_key(&self, key: &DhKey<'_>) -> AkeOutput {
        let same =
            GroupElement::from_be_bytes(key.gy.as_bytes()).is_some_and(|gy| gy == self.their_gy);
        if same {
            AkeOutput::Reply(self.reveal_signature.clone())
        } else {
            AkeOutput::Ignored
        }
    }

    /// Checks the buddy's Signature (MAC_m2' first); returns their key and
    /// DH key id. The state is not changed.
    pub(super) fn verify(
        &self,
        message: &SignatureMessage<'_>,
        authenticated: &[u8],
        seen_keys: &KnownFingerprints,
    ) -> Result<(DsaVerifyingKey, u32), AkeFailure> {
        if !ct_eq(
            &hmac_sha256_160(&self.keys.m2_prime, authenticated),
            &message.mac,
        ) {
            return Err(AkeFailure::BadMac);
        }
        verify(
            &self.keys.c_prime,
            &self.keys.m1_prime,
            message.encrypted_signature,
            &self.their_gy.to_minimal_bytes(),
            &self.our_dh.public_bytes(),
            seen_keys,
        )
    }

    /// The completed exchange.
    pub(super) fn complete(
        self: Box<Self>,
        their_key: DsaVerifyingKey,
        their_keyid: u32,
    ) -> AkeOutput {
        let Self {
            version,
            our_dh,
            their_gy,
            keys,
            ..
        } = *self;
        AkeOutput::Completed {
            reply: None,
            success: Box::new(AkeSuccess {
                version,
                ssid: keys.ssid,
                first_half_bold: true,
                their_key,
                their_keyid,
                their_dh: their_gy,
                our_dh,
                our_keyid: AKE_KEYID,
            }),
        }
    }
}
