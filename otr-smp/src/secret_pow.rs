//! `base^exponent` for a secret exponent: fixed windows, constant time.
//!
//! The exponent is read in windows of `w` bits from the top: each window
//! costs `w` squarings and one multiplication by the table entry
//! `base^digit`, selected by a masked scan of the whole table (so a digit of
//! zero costs the same as any other). Only the public bit bound decides the
//! number of windows; the exponent's value decides nothing but which entry
//! the scan keeps. Both operations run on [`crate::montgomery`]'s kernel, for
//! the group's prime ([`pow_ct`]) or any odd modulus ([`pow_ct_words`]: DSA's).

use crypto_bigint::{Uint, Word};
use zeroize::Zeroize as _;

use crate::ct_select::select;
use crate::group::ModP;
use crate::montgomery::{GROUP, Modulus};

/// The largest window width and so the table's size.
const MAX_WIDTH: u32 = 5;

/// Window width for a bound of `bits` bits: 4 for DH's 320-bit exponents
/// and DSA's 160-bit nonces, 5 for SMP's full-size ones (where the 32-entry
/// table pays off).
fn width(bits: u32) -> u32 {
    if bits > 512 { MAX_WIDTH } else { 4 }
}

/// The `width` bits of `exponent` from bit `low` up, those at or above
/// `bound` cleared. Reads only the words at the (public) position.
fn window(exponent: &[Word], low: u32, width: u32, bound: u32) -> Word {
    let index = (low / Word::BITS) as usize;
    let shift = low % Word::BITS;
    let mut value = exponent.get(index).copied().unwrap_or(0) >> shift;
    if shift + width > Word::BITS {
        value |= exponent.get(index + 1).copied().unwrap_or(0) << (Word::BITS - shift);
    }
    let valid = bound.saturating_sub(low).min(width);
    value & ((1 << valid) - 1)
}

/// `base^exponent mod p` in Montgomery form, constant time in the
/// exponent's value. Only the `exponent_bits` least significant bits count
/// (the bound is public and leaks through timing, as with crypto-bigint's
/// `pow_bounded_exp`).
#[must_use]
pub fn pow_ct<const L: usize>(base: &ModP, exponent: &Uint<L>, exponent_bits: u32) -> ModP {
    let words = pow_ct_words(
        &GROUP,
        base.as_montgomery().as_words(),
        exponent,
        exponent_bits,
    );
    ModP::from_montgomery(Uint::from_words(words))
}

/// `base^exponent mod n` for the Montgomery form `base` (below `n`), constant
/// time in the exponent's value; only its `exponent_bits` least significant
/// bits count. The result is a Montgomery form too.
///
/// ```
/// use crypto_bigint::{U1536, U64};
/// use otr_smp::group::ModP;
/// use otr_smp::montgomery::GROUP;
/// use otr_smp::secret_pow::pow_ct_words;
///
/// let two = ModP::new(&U1536::from_u8(2));
/// let words = pow_ct_words(&GROUP, two.as_montgomery().as_words(), &U64::from_u8(10), 64);
/// assert_eq!(ModP::from_montgomery(U1536::from_words(words)).retrieve(), U1536::from_u16(1024));
/// ```
#[must_use]
pub fn pow_ct_words<const N: usize, const L: usize>(
    modulus: &Modulus<N>,
    base: &[Word; N],
    exponent: &Uint<L>,
    exponent_bits: u32,
) -> [Word; N] {
    let bits = exponent_bits.min(Uint::<L>::BITS);
    if bits == 0 {
        return *modulus.one();
    }
    let width = width(bits);
    let entries = 1usize << width;

    // table[j] = base^j.
    let mut table = [*modulus.one(); 1 << MAX_WIDTH];
    if let Some(first) = table.get_mut(1) {
        *first = *base;
    }
    for j in 2..entries {
        let entry = if j % 2 == 0 {
            table.get(j / 2).map(|half| modulus.square(half))
        } else {
            table.get(j - 1).map(|previous| modulus.mul(previous, base))
        };
        if let (Some(slot), Some(entry)) = (table.get_mut(j), entry) {
            *slot = entry;
        }
    }
    let table_used = table.get(..entries).unwrap_or(&[]);

    let words = exponent.as_words();
    let windows = bits.div_ceil(width);
    let top = windows - 1;
    let mut acc = select(table_used, window(words, top * width, width, bits));
    for i in (0..top).rev() {
        for _ in 0..width {
            acc = modulus.square(&acc);
        }
        acc = modulus.mul(
            &acc,
            &select(table_used, window(words, i * width, width, bits)),
        );
    }
    table.zeroize();
    acc
}

/// Teeth of a [`Comb`]: its table has `2^5` entries.
const COMB_TEETH: u32 = 5;

/// Bit `position` of `exponent`, 0 at or above `bound` (public positions).
fn bit(exponent: &[Word], position: u32, bound: u32) -> Word {
    if position >= bound {
        return 0;
    }
    exponent
        .get((position / Word::BITS) as usize)
        .map_or(0, |word| (word >> (position % Word::BITS)) & 1)
}

/// A comb (Lim–Lee) for one base: constant-time powers of it for exponents
/// of up to a fixed number of bits, each costing `d = ⌈bits / 5⌉` squarings
/// and `d` multiplications (against `bits` squarings for [`pow_ct_words`]).
///
/// The exponent is cut into five slices of `d` bits; the table holds the 32
/// products of the teeth `base^(2^(j·d))`, and each step multiplies in the
/// entry the five bits `j·d + column` select, by a masked scan of the whole
/// table. Building it costs `4d` squarings and 26 multiplications, so it
/// pays off from two exponentiations of one base on: SMP's pairs (see
/// [`pow_ct_pair`]), or DSA signatures with one key's `g`. The table is
/// wiped on drop.
#[derive(Clone)]
pub struct Comb<const N: usize> {
    modulus: Modulus<N>,
    table: [[Word; N]; 1 << COMB_TEETH],
    spacing: u32,
    bits: u32,
}

impl<const N: usize> Comb<N> {
    /// The comb of `base` (a Montgomery form below `modulus`) for exponents
    /// of up to `exponent_bits` bits.
    #[must_use]
    pub fn new(modulus: &Modulus<N>, base: &[Word; N], exponent_bits: u32) -> Self {
        let spacing = exponent_bits.div_ceil(COMB_TEETH).max(1);
        // teeth[j] = base^(2^(j·spacing)).
        let mut teeth = [*base; COMB_TEETH as usize];
        for j in 1..teeth.len() {
            let mut power = teeth.get(j - 1).copied().unwrap_or(*modulus.one());
            for _ in 0..spacing {
                power = modulus.square(&power);
            }
            if let Some(slot) = teeth.get_mut(j) {
                *slot = power;
            }
        }
        // table[s] = Π teeth[j] over the bits j of s.
        let mut table = [*modulus.one(); 1 << COMB_TEETH];
        for s in 1..table.len() {
            let top = (usize::BITS - 1 - s.leading_zeros()) as usize;
            let rest = s & !(1 << top);
            let entry = match (table.get(rest), teeth.get(top)) {
                (Some(rest_product), Some(tooth)) if rest != 0 => modulus.mul(rest_product, tooth),
                (_, Some(tooth)) => *tooth,
                _ => *modulus.one(),
            };
            if let Some(slot) = table.get_mut(s) {
                *slot = entry;
            }
        }
        teeth.zeroize();
        Self {
            modulus: *modulus,
            table,
            spacing,
            bits: exponent_bits,
        }
    }

    /// `base^exponent` (a Montgomery form), constant time in the exponent's
    /// value; only its bits below the comb's bound count.
    #[must_use]
    pub fn pow_ct<const L: usize>(&self, exponent: &Uint<L>) -> [Word; N] {
        let words = exponent.as_words();
        let bits = self.bits.min(Uint::<L>::BITS);
        let digit = |column: u32| {
            (0..COMB_TEETH).fold(0, |d, j| {
                d | (bit(words, column + j * self.spacing, bits) << j)
            })
        };
        let mut acc = select(&self.table, digit(self.spacing - 1));
        for column in (0..self.spacing - 1).rev() {
            acc = self.modulus.square(&acc);
            acc = self.modulus.mul(&acc, &select(&self.table, digit(column)));
        }
        acc
    }
}

impl<const N: usize> Drop for Comb<N> {
    fn drop(&mut self) {
        self.table.zeroize();
    }
}

impl<const N: usize> core::fmt::Debug for Comb<N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Comb")
            .field("bits", &self.bits)
            .finish_non_exhaustive()
    }
}

/// `(base^first, base^second) mod p`, constant time in both exponents'
/// values (their `exponent_bits` low bits count), through one [`Comb`]:
/// about a third cheaper than two [`pow_ct`] calls for full-size exponents.
/// SMP raises `g3` to `r4` and `r5`, and `Qa/Qb` to the party's `a3` (or
/// `b3`) and `r7`.
#[must_use]
pub fn pow_ct_pair<const L: usize>(
    base: &ModP,
    first: &Uint<L>,
    second: &Uint<L>,
    exponent_bits: u32,
) -> (ModP, ModP) {
    let bits = exponent_bits.min(Uint::<L>::BITS);
    if bits == 0 {
        return (ModP::ONE, ModP::ONE);
    }
    let comb = Comb::new(&GROUP, base.as_montgomery().as_words(), bits);
    let residue = |words| ModP::from_montgomery(Uint::from_words(words));
    (residue(comb.pow_ct(first)), residue(comb.pow_ct(second)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::{GENERATOR, MODULUS, ORDER};
    use crypto_bigint::{U64, U320, U1536};
    use rand_chacha::ChaCha20Rng;
    use rand_core::{Rng, SeedableRng};

    fn random_uint(rng: &mut ChaCha20Rng) -> U1536 {
        let mut bytes = [0u8; 192];
        rng.fill_bytes(&mut bytes);
        U1536::from_be_slice(&bytes)
    }

    #[test]
    fn matches_crypto_bigint_on_edge_exponents_and_bases() {
        let bases = [
            ModP::ONE,
            ModP::new(&GENERATOR),
            ModP::new(&MODULUS.wrapping_sub(&U1536::ONE)),
            ModP::new(&U1536::from_u64(0x1234_5678_9abc_def1)),
            ModP::from_montgomery(U1536::ZERO),
        ];
        let exponents = [
            U1536::ZERO,
            U1536::ONE,
            U1536::from_u8(2),
            U1536::from_u8(31),
            U1536::from_u8(32),
            ORDER.wrapping_sub(&U1536::ONE),
            ORDER,
            U1536::MAX,
            U1536::ONE.shl_vartime(1535),
            U1536::ONE.shl_vartime(319),
        ];
        for base in &bases {
            for e in &exponents {
                for bits in [1536, 1535, 320] {
                    assert_eq!(
                        pow_ct(base, e, bits),
                        base.pow_bounded_exp(e, bits),
                        "{base:?}^{e} bound {bits}"
                    );
                }
            }
        }
    }

    #[test]
    fn respects_every_bound_and_exponent_width() {
        let base = ModP::new(&U1536::from_u64(0xfeed_f00d));
        let e = U1536::MAX;
        for bits in [
            0, 1, 2, 3, 4, 5, 6, 63, 64, 65, 255, 319, 320, 321, 511, 512, 513, 1534, 1535, 1536,
            1600,
        ] {
            assert_eq!(
                pow_ct(&base, &e, bits),
                base.pow_bounded_exp(&e, bits.min(1536)),
                "{bits}"
            );
        }
        let small = U320::MAX;
        assert_eq!(
            pow_ct(&base, &small, 320),
            base.pow_bounded_exp(&small, 320)
        );
        assert_eq!(
            pow_ct(&base, &small, 400),
            base.pow_bounded_exp(&small, 320)
        );
        let tiny = U64::from_u64(0xdead_beef);
        assert_eq!(pow_ct(&base, &tiny, 64), base.pow_bounded_exp(&tiny, 64));
    }

    #[test]
    fn matches_crypto_bigint_on_random_values() {
        let mut rng = ChaCha20Rng::seed_from_u64(11);
        for _ in 0..40 {
            let base = ModP::new(&random_uint(&mut rng));
            let e = random_uint(&mut rng);
            assert_eq!(pow_ct(&base, &e, 1536), base.pow_bounded_exp(&e, 1536));
            let short: U320 = e.resize();
            assert_eq!(
                pow_ct(&base, &short, 320),
                base.pow_bounded_exp(&short, 320)
            );
        }
    }

    /// Crypto-bigint's parameters and our `Modulus` for a random odd
    /// 1024-bit modulus (DSA's size).
    fn random_1024_bit_modulus(
        rng: &mut ChaCha20Rng,
    ) -> (
        crypto_bigint::modular::FixedMontyParams<{ crypto_bigint::U1024::LIMBS }>,
        Modulus<{ crypto_bigint::U1024::LIMBS }>,
    ) {
        use crypto_bigint::modular::FixedMontyParams;
        use crypto_bigint::{Odd, U1024};
        let mut bytes = [0u8; 128];
        rng.fill_bytes(&mut bytes);
        let n = U1024::from_be_slice(&bytes) | U1024::ONE | U1024::ONE.shl_vartime(1023);
        let params = FixedMontyParams::new_vartime(Odd::new(n).unwrap());
        let modulus = Modulus::from_params(&params);
        (params, modulus)
    }

    #[test]
    fn words_version_matches_crypto_bigint_for_a_1024_bit_modulus() {
        use crypto_bigint::modular::FixedMontyForm;
        use crypto_bigint::{U192, U1024};
        let mut rng = ChaCha20Rng::seed_from_u64(12);
        let (params, modulus) = random_1024_bit_modulus(&mut rng);
        let mut bytes = [0u8; 128];
        for _ in 0..20 {
            rng.fill_bytes(&mut bytes);
            let base = FixedMontyForm::new(&U1024::from_be_slice(&bytes), &params);
            let mut e_bytes = [0u8; 24];
            rng.fill_bytes(&mut e_bytes);
            let e = U192::from_be_slice(&e_bytes);
            for bits in [160, 192, 7] {
                let ours = pow_ct_words(&modulus, base.as_montgomery().as_words(), &e, bits);
                assert_eq!(
                    &ours,
                    base.pow_bounded_exp(&e, bits).as_montgomery().as_words()
                );
            }
        }
    }

    #[test]
    fn pair_matches_two_exponentiations() {
        let mut rng = ChaCha20Rng::seed_from_u64(13);
        let base = ModP::new(&random_uint(&mut rng));
        let edges = [
            U1536::ZERO,
            U1536::ONE,
            ORDER.wrapping_sub(&U1536::ONE),
            U1536::MAX,
            U1536::ONE.shl_vartime(1534),
            U1536::ONE.shl_vartime(306),
            U1536::ONE.shl_vartime(307),
        ];
        for e1 in &edges {
            for e2 in &edges {
                for bits in [1535, 1536, 320, 5, 4, 1] {
                    let (a, b) = pow_ct_pair(&base, e1, e2, bits);
                    assert_eq!(a, base.pow_bounded_exp(e1, bits), "{e1} bound {bits}");
                    assert_eq!(b, base.pow_bounded_exp(e2, bits), "{e2} bound {bits}");
                }
            }
        }
        assert_eq!(
            pow_ct_pair(&base, &U1536::MAX, &U1536::MAX, 0),
            (ModP::ONE, ModP::ONE)
        );
        for _ in 0..10 {
            let (e1, e2) = (random_uint(&mut rng), random_uint(&mut rng));
            let (a, b) = pow_ct_pair(&base, &e1, &e2, 1535);
            assert_eq!(a, base.pow_bounded_exp(&e1, 1535));
            assert_eq!(b, base.pow_bounded_exp(&e2, 1535));
        }
    }

    #[test]
    fn comb_matches_crypto_bigint_for_a_1024_bit_modulus_and_any_bound() {
        use crypto_bigint::modular::FixedMontyForm;
        use crypto_bigint::{U192, U1024};
        let mut rng = ChaCha20Rng::seed_from_u64(14);
        let (params, modulus) = random_1024_bit_modulus(&mut rng);
        let mut bytes = [0u8; 128];
        rng.fill_bytes(&mut bytes);
        let base = FixedMontyForm::new(&U1024::from_be_slice(&bytes), &params);
        for bits in [160, 161, 192, 7, 5, 1] {
            let comb = Comb::new(&modulus, base.as_montgomery().as_words(), bits);
            let mut exponents = vec![U192::ZERO, U192::ONE, U192::MAX, U192::ONE.shl_vartime(159)];
            for _ in 0..5 {
                let mut e = [0u8; 24];
                rng.fill_bytes(&mut e);
                exponents.push(U192::from_be_slice(&e));
            }
            for e in &exponents {
                assert_eq!(
                    &comb.pow_ct(e),
                    base.pow_bounded_exp(e, bits).as_montgomery().as_words(),
                    "{e} bound {bits}"
                );
            }
        }
    }
}
