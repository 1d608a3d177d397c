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

    #[test]
    fn words_version_matches_crypto_bigint_for_a_1024_bit_modulus() {
        use crypto_bigint::modular::{FixedMontyForm, FixedMontyParams};
        use crypto_bigint::{Odd, U192, U1024};
        let mut rng = ChaCha20Rng::seed_from_u64(12);
        let mut bytes = [0u8; 128];
        rng.fill_bytes(&mut bytes);
        let n = U1024::from_be_slice(&bytes) | U1024::ONE | U1024::ONE.shl_vartime(1023);
        let params = FixedMontyParams::new_vartime(Odd::new(n).unwrap());
        let modulus = Modulus::from_params(&params);
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
}
