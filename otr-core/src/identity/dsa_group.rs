//! DSA domain parameters `p`, `q`, `g`, checked once and with their Montgomery
//! parameters computed once.

use crypto_bigint::modular::{FixedMontyForm, FixedMontyParams};
use crypto_bigint::{NonZero, Odd, U192, U1024};
use crypto_primes::hazmat::MillerRabin;
use crypto_primes::{Flavor, is_prime};

use otr_smp::montgomery::Modulus;
use otr_smp::multiexp::pow_vartime_words;

use super::dsa_integers::{P_BITS, P_LIMBS, Q_BITS, Q_LIMBS, bit_length, uint_from_be};

/// An integer modulo `p` in Montgomery form.
pub(crate) type PForm = FixedMontyForm<P_LIMBS>;
/// An integer modulo `q` in Montgomery form.
pub(crate) type QForm = FixedMontyForm<Q_LIMBS>;

/// Checked 1024/160-bit DSA domain parameters.
/// How thoroughly [`DsaGroup::validate`] tests that `p` is prime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PrimeTest {
    /// Baillie-PSW (no known composite passes): our own keys, once at load.
    Full,
    /// Miller-Rabin to base 2: a buddy's key, once when first seen.
    Quick,
}

#[derive(Clone)]
pub(crate) struct DsaGroup {
    /// The prime modulus.
    pub p: Odd<U1024>,
    /// The subgroup order.
    pub q: Odd<U192>,
    /// `q − 1`, for drawing nonces in `[1, q − 1]`.
    pub q_minus_one: NonZero<U192>,
    /// Montgomery parameters for `q`.
    pub q_params: FixedMontyParams<Q_LIMBS>,
    /// The generator, in Montgomery form modulo `p` (it carries `p`'s parameters).
    pub g: PForm,
}

impl DsaGroup {
    /// `g^u1 · y^u2 mod p` (a signature check's `v` before the reduction
    /// mod `q`), variable time: for public exponents only. `y` is a
    /// Montgomery form for this group's `p`.
    pub fn g_y_pow_vartime(&self, u1: &U192, y: &PForm, u2: &U192) -> U1024 {
        let params = self.g.params();
        let terms = [
            (*self.g.as_montgomery().as_words(), u1),
            (*y.as_montgomery().as_words(), u2),
        ];
        let words = pow_vartime_words(&Modulus::from_params(params), &terms);
        PForm::from_montgomery(U1024::from_words(words), params).retrieve()
    }

    /// Reads `p` (exactly 1024 bits, odd).
    pub fn parse_p(bytes: &[u8]) -> Result<Odd<U1024>, IdentityError> {
        let bits = bit_length(bytes);
        if bits != P_BITS {
            return Err(IdentityError::PrimeSize { bits });
        }
        let p = uint_from_be::<P_LIMBS>(bytes).ok_or(IdentityError::PrimeSize { bits })?;
        Odd::new(p)
            .into_option()
            .ok_or(IdentityError::EvenModulus { which: "prime p" })
    }

    /// Reads `q` (exactly 160 bits, odd).
    pub fn parse_q(bytes: &[u8]) -> Result<Odd<U192>, IdentityError> {
        let bits = bit_length(bytes);
        if bits != Q_BITS {
            return Err(IdentityError::SubgroupOrderSize { bits });
        }
        let q = uint_from_be::<Q_LIMBS>(bytes).ok_or(IdentityError::SubgroupOrderSize { bits })?;
        Odd::new(q).into_option().ok_or(IdentityError::EvenModulus {
            which: "subgroup order q",
        })
    }

    /// Reads an element that must lie in `[2, p − 2]` (so 0, 1, `p − 1` and
    /// anything `≥ p` are refused), returning `error` otherwise.
    pub fn parse_element(
        bytes: &[u8],
        p: &Odd<U1024>,
        error: IdentityError,
    ) -> Result<U1024, IdentityError> {
        let value = uint_from_be::<P_LIMBS>(bytes).ok_or_else(|| error.clone())?;
        let p_minus_one = p.as_ref().wrapping_sub(&U1024::ONE);
        if value < U1024::from_u8(2) || value >= p_minus_one {
            return Err(error);
        }
        Ok(value)
    }

    /// Builds the group from checked parts (computes the Montgomery parameters).
    pub fn new(p: Odd<U1024>, q: Odd<U192>, g: &U1024) -> Result<Self, IdentityError> {
        let q_minus_one = NonZero::new(q.as_ref().wrapping_sub(&U192::ONE))
            .into_option()
            .ok_or(IdentityError::SubgroupOrderSize { bits: 1 })?;
        let p_params = FixedMontyParams::new_vartime(p);
        let q_params = FixedMontyParams::new_vartime(q);
        Ok(Self {
            p,
            q,
            q_minus_one,
            q_params,
            g: PForm::new(g, &p_params),
        })
    }

    /// Reads and checks `p`, `q`, `g` (sizes and ranges only; no exponentiation).
    pub fn from_bytes(p: &[u8], q: &[u8], g: &[u8]) -> Result<Self, IdentityError> {
        let p = Self::parse_p(p)?;
        let q = Self::parse_q(q)?;
        let g = Self::parse_element(g, &p, IdentityError::GeneratorOutOfRange)?;
        Self::new(p, q, &g)
    }

    /// Whether `g^q ≡ 1 (mod p)`: `g` generates the subgroup of order `q`.
    /// Variable time (everything here is public).
    /// Checks what makes the group a DSA group: `q` prime, `q | p − 1`,
    /// `g^q = 1` (with `1 < g < p − 1` checked at parsing, `g` then has order
    /// exactly `q`), and `p` prime — fully (Baillie-PSW) for our own keys, by
    /// one Miller-Rabin round to base 2 for a buddy's (`PrimeTest::Quick`):
    /// every composite a key generator can produce by mistake fails it, and
    /// only the key's owner could build one that passes, which weakens only
    /// their own key. Cheapest checks first, so a broken key costs little.
    pub fn validate(&self, p_test: PrimeTest) -> Result<(), IdentityError> {
        if !is_prime(Flavor::Any, self.q.as_ref()) {
            return Err(IdentityError::CompositeSubgroupOrder);
        }
        let p_minus_one = self.p.as_ref().wrapping_sub(&U1024::ONE);
        let q_wide = U1024::from(self.q.as_ref());
        let divides = NonZero::new(q_wide)
            .into_option()
            .is_some_and(|q| p_minus_one.rem_vartime(&q) == U1024::ZERO);
        if !divides {
            return Err(IdentityError::SubgroupOrderNotDividing);
        }
        if !self.generator_has_order_q() {
            return Err(IdentityError::GeneratorOrder);
        }
        let p_prime = match p_test {
            PrimeTest::Full => is_prime(Flavor::Any, self.p.as_ref()),
            PrimeTest::Quick => MillerRabin::new(self.p).test_base_two().is_probably_prime(),
        };
        if !p_prime {
            return Err(IdentityError::CompositePrime);
        }
        Ok(())
    }

    pub fn generator_has_order_q(&self) -> bool {
        self.g.pow_vartime(self.q.as_ref()).retrieve() == U1024::ONE
    }

    /// The Montgomery parameters of `p`.
    pub fn p_params(&self) -> &FixedMontyParams<P_LIMBS> {
        self.g.params()
    }
}
/// Weak DSA domain parameters for tests (made with an offline script): each
/// breaks exactly one of the checks [`DsaGroup::validate`] makes.
#[cfg(test)]
pub(crate) mod weak_test_keys {
    /// A 1024-bit prime `p ≡ 1 (mod 3)`.
    pub const P_1_MOD_3: &str = "bc8f3879a2386e026de7b561326175f78e4ff41008cce5664c281fb22c29eb965c8d5c515c56e19d33cb50e9490c2965379c2c52d4f08d0886d23bb7c8669c5e5e162ecf1fc99246323a992623f07d6d46f8c65a186d6565226b01362193c0fd1477f45955ff4fb24e23c147a9cc748335afde0e228762991f7ff01b2bef1709";
    /// A composite 160-bit `q`, a multiple of 3.
    pub const Q_MULTIPLE_OF_3: &str = "84690ac0dff04ed6aaca7c16b87e16344cf3195f";
    /// `2^((p − 1)/3) mod P_1_MOD_3`: an element of order 3, so `g^q = 1`
    /// for `Q_MULTIPLE_OF_3`.
    pub const G_ORDER_3: &str = "21f7d7030895eaad8d9643625a3e391734506967fd0fd5ec9fa6bdfcb29fd8f9ae90c85a327e5dfbfce2990addea2bf1945216db51e343fc1932c69d51d53d3fd86c8bd26b5f56c0d12ddfce74eaf680cb2d06869a41e5bdb6d847739c9f6c4809b4521d4f64b3bdf01e0488cc76b5fae7d585c8d477047c2c7a9cef9864226b";
    /// A composite 1024-bit `p = p1·p2` with `q | p1 − 1` and `q | p2 − 1`.
    pub const P_COMPOSITE: &str = "8f99be69dc69e72595a779feeff0e17887d36b68fd602cbdafcc552b04e025ba17a19883235137feb19d07803315283b544f287d0448803c76bde464f4152dfbd6d3d82fa94e0476cbcb8e9854243768a41545df4ee2ff7089f644e054a2c7d393ae2b5c30c70424b2c5f4c553a63aa3233dc9d71dc43400779a33f98b2a6767";
    /// A 160-bit prime `q` dividing `P_COMPOSITE − 1`.
    pub const Q_PRIME: &str = "8bf7a4bdc458272f498dbfa8af06bcf7e91457db";
    /// An element of order `Q_PRIME` modulo `P_COMPOSITE` (by the CRT).
    pub const G_OF_COMPOSITE: &str = "23361ca482cf6683600ce543294e38aa93acb2e1a16d78b433d24db2f404c7f5393a9190bae2e05d2299e810e382395d306e09d954baeea5be604b3a73f86b89d88c1d69353b19506edb1194d915f1ea78c529cbef98aa3af5c5323f3702b980d2340e861e657a4c7adbf0445b42434165857a9ec6605d56cb2cd523145dc758";

    /// Hex to bytes.
    pub fn bytes(hex: &str) -> Vec<u8> {
        (0..hex.len())
            .step_by(2)
            .filter_map(|i| {
                hex.get(i..i + 2)
                    .and_then(|b| u8::from_str_radix(b, 16).ok())
            })
            .collect()
    }
}

/// A DSA key (ours or a peer's) that OTR cannot use, or a failed key generation.
///
/// OTR v2/v3 identity keys are DSA with a 1024-bit prime `p` and a 160-bit
/// subgroup order `q`; every variant says which part of a key broke that rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// `p` does not have exactly 1024 bits.
    #[error(
        "the DSA prime p has {bits} bits, but OTR identity keys need exactly 1024 bits: \
         use a 1024-bit DSA key"
    )]
    PrimeSize {
        /// The bit length found.
        bits: usize,
    },
    /// `q` does not have exactly 160 bits.
    #[error(
        "the DSA subgroup order q has {bits} bits, but OTR identity keys need exactly 160 bits: \
         use a 1024/160-bit DSA key"
    )]
    SubgroupOrderSize {
        /// The bit length found.
        bits: usize,
    },
    /// `p` or `q` is even, so it cannot be the prime it must be.
    #[error("the DSA {which} is even, so it is not a prime: the key is corrupt")]
    EvenModulus {
        /// `"prime p"` or `"subgroup order q"`.
        which: &'static str,
    },
    /// `g` is not in `[2, p − 2]`.
    #[error("the DSA generator g is not in [2, p − 2]: the key is corrupt")]
    GeneratorOutOfRange,
    /// `p` is not prime.
    #[error(
        "the DSA modulus p is not prime, so the key's discrete logarithms may be easy to \
         compute: the key is broken; generate a new one"
    )]
    CompositePrime,
    /// `q` is not prime.
    #[error(
        "the DSA subgroup order q is not prime, so others may be able to forge this key's \
         signatures: the key is broken; generate a new one"
    )]
    CompositeSubgroupOrder,
    /// `q` does not divide `p − 1`.
    #[error("the DSA subgroup order q does not divide p − 1: the key is corrupt")]
    SubgroupOrderNotDividing,
    /// `y^q mod p` is not 1: `y` is not in the subgroup `g` generates.
    #[error(
        "the DSA public value y is not in the subgroup of order q (y^q mod p is not 1): \
         the key is corrupt or malicious"
    )]
    PublicValueOrder,
    /// `g^q mod p` is not 1: `g` does not generate the subgroup of order `q`.
    #[error("g^q mod p is not 1, so g does not generate the order-q subgroup: the key is corrupt")]
    GeneratorOrder,
    /// `y` is not in `[2, p − 2]`.
    #[error("the DSA public value y is not in [2, p − 2]: the key is corrupt or malicious")]
    PublicValueOutOfRange,
    /// `x` is not in `[1, q − 1]`.
    #[error("the DSA private value x is not in [1, q − 1]: the key is corrupt")]
    PrivateValueOutOfRange,
    /// The stored `y` is not `g^x mod p`.
    #[error(
        "the DSA public value y is not g^x mod p: the public and private halves of this key \
         do not belong together"
    )]
    PublicValueMismatch,
    /// A component given as hex is not hex.
    #[error("the DSA component {component} is not a hexadecimal number")]
    InvalidHex {
        /// `"P"`, `"Q"`, `"G"` or `"X"`.
        component: &'static str,
    },
    /// Generating a key failed (the generated parameters did not pass our own checks).
    #[error("DSA key generation produced an unusable key ({reason}); try again")]
    KeyGeneration {
        /// What went wrong.
        reason: &'static str,
    },
}

#[cfg(test)]
mod tests {
    use super::weak_test_keys::*;
    use crate::identity::{DsaSigningKey, IdentityError, parse_privkeys};

    const ALICE_KEY: &[u8] = include_bytes!("../../fixtures/alice.key");

    fn our_key(p: &str, q: &str, g: &str, x: &[u8]) -> Result<DsaSigningKey, IdentityError> {
        DsaSigningKey::from_components(&bytes(p), &bytes(q), &bytes(g), x)
    }

    #[test]
    fn a_key_whose_q_is_composite_with_g_of_order_3_is_refused() {
        // libotr loads it, and an outsider with x = 1 has the owner's key: y = g.
        let weak = DsaSigningKey::from_components_unvalidated(
            &bytes(P_1_MOD_3),
            &bytes(Q_MULTIPLE_OF_3),
            &bytes(G_ORDER_3),
            &[1],
        )
        .unwrap();
        let impostor = DsaSigningKey::from_components_unvalidated(
            &bytes(P_1_MOD_3),
            &bytes(Q_MULTIPLE_OF_3),
            &bytes(G_ORDER_3),
            &[4],
        )
        .unwrap();
        assert_eq!(
            weak.fingerprint(),
            impostor.fingerprint(),
            "x = 1 and x = 4 are the same key"
        );
        assert_eq!(
            our_key(P_1_MOD_3, Q_MULTIPLE_OF_3, G_ORDER_3, &[1]),
            Err(IdentityError::CompositeSubgroupOrder)
        );
        assert_eq!(
            weak.verifying_key().validate(),
            Err(IdentityError::CompositeSubgroupOrder)
        );
    }

    #[test]
    fn a_key_whose_p_is_composite_is_refused() {
        let weak = DsaSigningKey::from_components_unvalidated(
            &bytes(P_COMPOSITE),
            &bytes(Q_PRIME),
            &bytes(G_OF_COMPOSITE),
            &[7],
        )
        .unwrap();
        assert!(
            weak.verifying_key().group().generator_has_order_q(),
            "only p is wrong"
        );
        assert_eq!(
            our_key(P_COMPOSITE, Q_PRIME, G_OF_COMPOSITE, &[7]),
            Err(IdentityError::CompositePrime)
        );
        assert_eq!(
            weak.verifying_key().validate(),
            Err(IdentityError::CompositePrime)
        );
    }

    #[test]
    fn a_key_whose_q_does_not_divide_p_minus_1_is_refused() {
        assert_eq!(
            our_key(P_1_MOD_3, Q_PRIME, G_ORDER_3, &[1]),
            Err(IdentityError::SubgroupOrderNotDividing)
        );
    }

    #[test]
    fn a_buddy_key_whose_y_is_outside_the_subgroup_is_refused() {
        let alice = parse_privkeys(ALICE_KEY).unwrap().remove(0).key;
        let good = alice.verifying_key();
        assert_eq!(good.validate(), Ok(()));
        let mut wire = good.as_wire();
        let two = [2u8];
        wire.y = otr_wire::Mpi::trimmed(&two);
        let odd = crate::identity::DsaVerifyingKey::from_wire(&wire).unwrap();
        assert_eq!(odd.validate(), Err(IdentityError::PublicValueOrder));
    }

    #[test]
    fn every_check_says_what_is_wrong() {
        for e in [
            IdentityError::CompositePrime,
            IdentityError::CompositeSubgroupOrder,
            IdentityError::SubgroupOrderNotDividing,
            IdentityError::PublicValueOrder,
        ] {
            let text = e.to_string();
            assert!(text.contains("DSA"), "{text}");
        }
    }
}
