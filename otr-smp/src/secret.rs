//! The secret compared by SMP: the user's answer bound to this conversation.

use core::fmt;

use crypto_bigint::U1536;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::group::{ModP, uint_from_digest};

/// The SMP secret `x` (Alice's) or `y` (Bob's):
///
/// ```text
/// SHA-256( 0x01 ‖ initiator fingerprint (20) ‖ responder fingerprint (20)
///          ‖ secure session id (8) ‖ user secret )
/// ```
///
/// read as a 256-bit integer. Binding both fingerprints and the session id
/// means that equal answers typed by the users compare equal only if no one
/// sits between them. The *initiator* is whoever sent SMP message 1 (the
/// asker), so both sides put the same fingerprint first.
///
/// Wiped on drop; `Debug` shows nothing of it.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SmpSecret {
    digest: [u8; 32],
}

impl SmpSecret {
    /// The SMP version byte that starts the hashed input.
    pub const VERSION: u8 = 0x01;

    /// Derives the secret from the conversation and the user's answer.
    ///
    /// `initiator_fingerprint` is the SHA-1 fingerprint of the long-term DSA
    /// key of the party that started this SMP, `responder_fingerprint` the
    /// other party's; `ssid` is the 8-byte secure session id of the AKE that
    /// set up the current encrypted session.
    #[must_use]
    pub fn derive(
        initiator_fingerprint: &[u8; 20],
        responder_fingerprint: &[u8; 20],
        ssid: &[u8; 8],
        user_secret: &[u8],
    ) -> Self {
        let mut hasher = Sha256::new();
        hasher.update([Self::VERSION]);
        hasher.update(initiator_fingerprint);
        hasher.update(responder_fingerprint);
        hasher.update(ssid);
        hasher.update(user_secret);
        Self {
            digest: hasher.finalize().into(),
        }
    }

    /// Wraps an already derived 32-byte secret (for instance one computed by
    /// another implementation, or a test vector).
    #[must_use]
    pub const fn from_digest(digest: [u8; 32]) -> Self {
        Self { digest }
    }

    /// The secret as an integer (below `2^256`, hence below `q`).
    pub(crate) fn to_uint(&self) -> Zeroizing<U1536> {
        Zeroizing::new(uint_from_digest(&self.digest))
    }

    /// `base^secret`, constant time in the secret (public bound: 256 bits).
    pub(crate) fn pow(&self, base: &ModP) -> ModP {
        #[cfg(test)]
        crate::stats::bump(crate::stats::Kind::VariableCtShort);
        base.pow_bounded_exp(&*self.to_uint(), 256)
    }
}

impl fmt::Debug for SmpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SmpSecret(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivation_matches_the_spec_layout() {
        let fi = [0x11u8; 20];
        let fr = [0x22u8; 20];
        let ssid = [1, 2, 3, 4, 5, 6, 7, 8];
        let mut input = vec![1u8];
        input.extend_from_slice(&fi);
        input.extend_from_slice(&fr);
        input.extend_from_slice(&ssid);
        input.extend_from_slice(b"answer");
        let expected: [u8; 32] = Sha256::digest(&input).into();
        let secret = SmpSecret::derive(&fi, &fr, &ssid, b"answer");
        assert_eq!(secret.digest, expected);
        // The order of the fingerprints matters.
        assert_ne!(
            SmpSecret::derive(&fr, &fi, &ssid, b"answer").digest,
            expected
        );
        assert_eq!(format!("{secret:?}"), "SmpSecret(<redacted>)");
    }
}
