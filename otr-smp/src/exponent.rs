//! Secret random exponents modulo `q` (`a2, a3, b2, b3` and the proof
//! nonces `r2 … r7`).

use core::fmt;

use crypto_bigint::U1536;
use rand_core::CryptoRng;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::group::{ModP, ModQ, ORDER_BITS};

/// A uniformly random exponent in `[0, q)`, wiped on drop.
///
/// Sampled as 3072 random bits reduced modulo `q`, so its distance from
/// uniform is below `2^-1500` (libotr uses 1536 random bits unreduced, which
/// is the same up to ≈ `2^-65`; the peer cannot tell the difference).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Exponent(U1536);

impl Exponent {
    /// Draws a fresh exponent.
    pub fn random<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut bytes = Zeroizing::new([0u8; 384]);
        rng.fill_bytes(bytes.as_mut_slice());
        let (high, low) = bytes.split_at(192);
        let high = Zeroizing::new(ModQ::new(&U1536::from_be_slice(high)));
        let low = Zeroizing::new(ModQ::new(&U1536::from_be_slice(low)));
        // 2^1536 mod q is the Montgomery form of one.
        let radix = ModQ::new(ModQ::ONE.as_montgomery());
        let value = Zeroizing::new(high.mul(&radix).add(&low));
        Self(value.retrieve())
    }

    /// The exponent as an integer below `q`.
    pub fn as_uint(&self) -> &U1536 {
        &self.0
    }

    /// `base^self`, constant time in the exponent (public bound: the bit
    /// length of `q`).
    pub fn pow(&self, base: &ModP) -> ModP {
        #[cfg(test)]
        crate::stats::bump(crate::stats::Kind::VariableCtFull);
        crate::secret_pow::pow_ct(base, &self.0, ORDER_BITS)
    }

    /// `(base^self, base^other)`, constant time in both exponents: one comb
    /// for the shared base serves both, about a third cheaper than two
    /// [`pow`](Self::pow) calls.
    pub fn pow_pair(&self, other: &Exponent, base: &ModP) -> (ModP, ModP) {
        #[cfg(test)]
        for _ in 0..2 {
            crate::stats::bump(crate::stats::Kind::VariableCtFull);
        }
        crate::secret_pow::pow_ct_pair(base, &self.0, &other.0, ORDER_BITS)
    }

    /// `g1^self` through the generator table, constant time in the exponent.
    pub fn pow_generator(&self) -> ModP {
        crate::fixed_base::pow_ct(&self.0, ORDER_BITS).unwrap_or_else(|| {
            ModP::new(&crate::group::GENERATOR).pow_bounded_exp(&self.0, ORDER_BITS)
        })
    }

    /// The proof response `self − secret · c mod q`, where `secret` is the
    /// exponent (or SMP secret) the proof is about and `c` the proof's hash.
    pub fn respond(&self, secret: &U1536, c: &U1536) -> U1536 {
        let secret = Zeroizing::new(ModQ::new(secret));
        let product = Zeroizing::new(secret.mul(&ModQ::new(c)));
        let response = Zeroizing::new(ModQ::new(&self.0).sub(&product));
        response.retrieve()
    }
}

impl fmt::Debug for Exponent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Exponent(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::ORDER;
    use crypto_bigint::NonZero;
    use rand_chacha::ChaCha20Rng;
    use rand_core::Rng;
    use rand_core::SeedableRng;

    #[test]
    fn wide_reduction_is_exact() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        for _ in 0..8 {
            let mut probe = rng.clone();
            let e = Exponent::random(&mut rng);
            let mut bytes = [0u8; 384];
            probe.fill_bytes(&mut bytes);
            let high = U1536::from_be_slice(&bytes[..192]);
            let low = U1536::from_be_slice(&bytes[192..]);
            let wide = low.concat(&high);
            let q = NonZero::new(ORDER.resize::<{ U1536::LIMBS * 2 }>()).unwrap();
            let expected = wide.rem_vartime(&q).resize::<{ U1536::LIMBS }>();
            assert_eq!(*e.as_uint(), expected);
            assert!(*e.as_uint() < ORDER);
        }
    }

    #[test]
    fn response_is_r_minus_xc() {
        let r = Exponent(U1536::from_u64(100));
        assert_eq!(
            r.respond(&U1536::from_u64(3), &U1536::from_u64(5)),
            U1536::from_u64(85)
        );
        let wrapped = r.respond(&U1536::from_u64(3), &U1536::from_u64(50));
        assert_eq!(wrapped, ORDER.wrapping_sub(&U1536::from_u64(50)));
        assert_eq!(format!("{r:?}"), "Exponent(<redacted>)");
    }
}
