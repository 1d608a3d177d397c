//! DSA domain parameters `p`, `q`, `g`, checked once and with their Montgomery
//! parameters computed once.

use crypto_bigint::modular::{FixedMontyForm, FixedMontyParams};
use crypto_bigint::{NonZero, Odd, U192, U1024};

use super::dsa_integers::{P_BITS, P_LIMBS, Q_BITS, Q_LIMBS, bit_length, uint_from_be};
use super::error::IdentityError;

/// An integer modulo `p` in Montgomery form.
pub(crate) type PForm = FixedMontyForm<P_LIMBS>;
/// An integer modulo `q` in Montgomery form.
pub(crate) type QForm = FixedMontyForm<Q_LIMBS>;

/// Checked 1024/160-bit DSA domain parameters.
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
    pub fn generator_has_order_q(&self) -> bool {
        self.g.pow_vartime(self.q.as_ref()).retrieve() == U1024::ONE
    }

    /// The Montgomery parameters of `p`.
    pub fn p_params(&self) -> &FixedMontyParams<P_LIMBS> {
        self.g.params()
    }
}
