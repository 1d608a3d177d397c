//! Keys derived from the AKE's shared secret (`otrl_dh_compute_v2_auth_keys`):
//! with `h2(b) = SHA-256(b ‖ secbytes)`, ssid = h2(0x00)[0..8],
//! c ‖ c′ = h2(0x01), m1 = h2(0x02), m2 = h2(0x03), m1′ = h2(0x04),
//! m2′ = h2(0x05).

use core::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::dh::SharedSecret;
use crate::mac::sha256;

/// The eight bytes both users may compare to rule out a man in the middle.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SecureSessionId(pub [u8; 8]);

impl fmt::Debug for SecureSessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecureSessionId({self})")
    }
}

impl SecureSessionId {
    /// The first four bytes: shown in bold by the side that sent the Reveal
    /// Signature ([`SecureInfo::first_half_bold`](crate::SecureInfo::first_half_bold)).
    #[must_use]
    pub fn first_half(&self) -> [u8; 4] {
        let [a, b, c, d, ..] = self.0;
        [a, b, c, d]
    }

    /// The last four bytes.
    #[must_use]
    pub fn second_half(&self) -> [u8; 4] {
        let [.., e, f, g, h] = self.0;
        [e, f, g, h]
    }

    /// The two halves in hex, as clients show them (`"0a1b2c3d"`,
    /// `"4e5f6071"`).
    #[must_use]
    pub fn halves_hex(&self) -> (String, String) {
        let hex = |half: [u8; 4]| half.iter().map(|b| format!("{b:02x}")).collect::<String>();
        (hex(self.first_half()), hex(self.second_half()))
    }
}

impl fmt::Display for SecureSessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// The AKE's symmetric keys.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct AkeKeys {
    /// The secure session id (public once derived; kept here for convenience).
    #[zeroize(skip)]
    pub ssid: SecureSessionId,
    /// AES key for the Reveal Signature's encrypted signature.
    pub c: [u8; 16],
    /// AES key for the Signature's encrypted signature.
    pub c_prime: [u8; 16],
    /// MAC key for `M_B`.
    pub m1: [u8; 32],
    /// MAC key over the Reveal Signature's encrypted signature.
    pub m2: [u8; 32],
    /// MAC key for `M_A`.
    pub m1_prime: [u8; 32],
    /// MAC key over the Signature's encrypted signature.
    pub m2_prime: [u8; 32],
}

impl AkeKeys {
    /// Derives the keys from the shared secret.
    #[must_use]
    pub fn derive(secret: &SharedSecret) -> Self {
        let h2 = |b: u8| sha256(&[&[b], secret.secbytes()]);
        let mut ssid = [0u8; 8];
        let mut c = [0u8; 16];
        let mut c_prime = [0u8; 16];
        let mut cc = h2(0x01);
        let mut s = h2(0x00);
        ssid.copy_from_slice(s.get(..8).unwrap_or(&[0; 8]));
        // Only the first 8 bytes are the (public) SSID; the rest is secret.
        s.zeroize();
        c.copy_from_slice(cc.get(..16).unwrap_or(&[0; 16]));
        c_prime.copy_from_slice(cc.get(16..).unwrap_or(&[0; 16]));
        cc.zeroize();
        Self {
            ssid: SecureSessionId(ssid),
            c,
            c_prime,
            m1: h2(0x02),
            m2: h2(0x03),
            m1_prime: h2(0x04),
            m2_prime: h2(0x05),
        }
    }
}

impl fmt::Debug for AkeKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AkeKeys")
            .field("ssid", &self.ssid)
            .finish_non_exhaustive()
    }
}
