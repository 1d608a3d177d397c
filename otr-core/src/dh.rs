//! Diffie-Hellman key pairs over the RFC 3526 group, and the shared secret in
//! the `secbytes` form OTR's key derivations hash.

use core::fmt;

use crypto_bigint::{U320, U1536};
use otr_smp::group::{GroupElement, generator_pow, minimal_be_bytes};
use rand_core::CryptoRng;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Bits of a DH private exponent (libotr uses 320).
pub const DH_EXPONENT_BITS: u32 = 320;

/// A DH key pair: a 320-bit secret exponent and `g^x`.
pub struct DhKeyPair {
    secret: Box<U320>,
    public: GroupElement,
}

impl DhKeyPair {
    /// A fresh key pair from `rng`.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        loop {
            let mut bytes = Zeroizing::new([0u8; 40]);
            rng.fill_bytes(bytes.as_mut());
            let secret = Box::new(U320::from_be_slice(bytes.as_ref()));
            // g^x with x ≠ 0 (mod q) always lies in [2, p − 2]: retry on the
            // negligible x = 0.
            if let Some(public) = GroupElement::from_uint(generator_pow(&*secret, DH_EXPONENT_BITS))
            {
                return Self { secret, public };
            }
        }
    }

    /// The public value `g^x`.
    #[must_use]
    pub fn public(&self) -> &GroupElement {
        &self.public
    }

    /// The public value as minimal big-endian bytes (an MPI's contents).
    #[must_use]
    pub fn public_bytes(&self) -> Vec<u8> {
        self.public.to_minimal_bytes()
    }

    /// The shared secret with `their` public value, as `secbytes`.
    #[must_use]
    pub fn shared_secret(&self, their: &GroupElement) -> SharedSecret {
        let mut s: U1536 = their.pow(&*self.secret, DH_EXPONENT_BITS);
        let s_bytes = Zeroizing::new(minimal_be_bytes(&s));
        s.zeroize();
        let mut secbytes = Zeroizing::new(Vec::with_capacity(s_bytes.len().saturating_add(4)));
        let len = u32::try_from(s_bytes.len()).unwrap_or(u32::MAX);
        secbytes.extend_from_slice(&len.to_be_bytes());
        secbytes.extend_from_slice(&s_bytes);
        SharedSecret(secbytes)
    }
}

impl Clone for DhKeyPair {
    /// A copy for another instance continuing the same exchange; both copies
    /// zeroize their secret on drop.
    fn clone(&self) -> Self {
        Self {
            secret: Box::new(*self.secret),
            public: self.public,
        }
    }
}

impl Drop for DhKeyPair {
    #[inline(never)]
    fn drop(&mut self) {
        self.secret.zeroize();
    }
}

impl ZeroizeOnDrop for DhKeyPair {}

impl fmt::Debug for DhKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DhKeyPair")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

/// `secbytes`: the 4-byte big-endian length of `s` followed by its minimal
/// big-endian bytes. Zeroized on drop.
pub struct SharedSecret(Zeroizing<Vec<u8>>);

impl SharedSecret {
    /// The `secbytes` encoding.
    #[must_use]
    pub fn secbytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedSecret(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn both_sides_agree_on_the_shared_secret() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let a = DhKeyPair::generate(&mut rng);
        let b = DhKeyPair::generate(&mut rng);
        let s1 = a.shared_secret(b.public());
        let s2 = b.shared_secret(a.public());
        assert_eq!(s1.secbytes(), s2.secbytes());
        let len = u32::from_be_bytes(s1.secbytes()[..4].try_into().unwrap()) as usize;
        assert_eq!(len + 4, s1.secbytes().len());
        assert_ne!(s1.secbytes()[4], 0, "minimal encoding");
        assert!(format!("{a:?}").starts_with("DhKeyPair { public: GroupElement("));
    }
}

/// DH values at and beyond the edges of the accepted range [2, p − 2], for
/// the range-check tests of the AKE and the ratchet.
#[cfg(test)]
pub(crate) mod test_values {
    use crypto_bigint::U1536;
    use otr_smp::group::{MODULUS, minimal_be_bytes};

    /// `p − k` as minimal big-endian bytes.
    pub fn p_minus(k: u64) -> Vec<u8> {
        minimal_be_bytes(&MODULUS.wrapping_sub(&U1536::from_u64(k)))
    }

    /// Values outside [2, p − 2]: 0, 1, p − 1, p, 2^1536 (193 bytes) and
    /// 2^2000.
    pub fn out_of_range() -> Vec<(Vec<u8>, &'static str)> {
        let mut two_pow_1536 = vec![1u8];
        two_pow_1536.extend([0u8; 192]);
        let mut two_pow_2000 = vec![1u8];
        two_pow_2000.extend([0u8; 250]);
        vec![
            (vec![], "0"),
            (vec![1], "1"),
            (p_minus(1), "p-1"),
            (p_minus(0), "p"),
            (two_pow_1536, "2^1536"),
            (two_pow_2000, "2^2000"),
        ]
    }
}
