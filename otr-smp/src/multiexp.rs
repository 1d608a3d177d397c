//! Simultaneous multi-exponentiation `x1^k1 · … · xn^kn` for **public**
//! exponents (the `c` and `D` values of a received proof).
//!
//! Interleaved sliding windows (Straus / Möller): the terms share one chain of
//! squarings as long as the longest exponent, and each term multiplies in an
//! odd power of its base once per window. Variable time in the exponents,
//! which are public; never use it with a secret exponent.

use alloc::vec;
use alloc::vec::Vec;
use crypto_bigint::{U1536, Uint, Word};

use crate::group::ModP;
use crate::montgomery::{GROUP, Modulus};

/// One term's precomputed odd powers and its windows, top window first.
struct Term<const N: usize> {
    /// `odd[i] = base^(2i + 1)`.
    odd: Vec<[Word; N]>,
    /// `(bit position of the window's lowest bit, index into odd)`.
    windows: Vec<(u32, usize)>,
}

/// Window width for an exponent of `bits` bits (balances the odd-power
/// table against the number of windows).
fn width(bits: u32) -> u32 {
    match bits {
        0..=24 => 1,
        25..=80 => 3,
        81..=400 => 4,
        _ => 5,
    }
}

impl<const N: usize> Term<N> {
    fn new<const L: usize>(modulus: &Modulus<N>, base: &[Word; N], exponent: &Uint<L>) -> Self {
        let bits = exponent.bit_width_vartime();
        let k = width(bits);
        let bit = |i: u32| exponent.bit_vartime(i);

        let mut windows = Vec::new();
        let mut top = bits;
        while top > 0 {
            let i = top - 1;
            if !bit(i) {
                top = i;
                continue;
            }
            let mut low = i.saturating_sub(k - 1);
            while !bit(low) {
                low += 1;
            }
            let mut value = 0usize;
            for b in (low..=i).rev() {
                value = (value << 1) | usize::from(bit(b));
            }
            windows.push((low, value >> 1));
            top = low;
        }

        let count = 1usize << (k - 1);
        let mut odd = Vec::with_capacity(count);
        odd.push(*base);
        if count > 1 {
            let base_squared = modulus.square(base);
            let mut acc = *base;
            for _ in 1..count {
                acc = modulus.mul(&acc, &base_squared);
                odd.push(acc);
            }
        }
        Self { odd, windows }
    }
}

/// `Π base^exponent mod p` over `terms`, variable time in the exponents.
#[must_use]
pub fn pow_vartime(terms: &[(ModP, &U1536)]) -> ModP {
    #[cfg(test)]
    {
        use crate::stats::{Kind, bump};
        bump(Kind::MultiExp);
        for (_, e) in terms {
            bump(if e.bit_width_vartime() > 256 {
                Kind::MultiTermFull
            } else {
                Kind::MultiTermShort
            });
        }
    }
    let words: Vec<([Word; U1536::LIMBS], &U1536)> = terms
        .iter()
        .map(|(base, e)| (*base.as_montgomery().as_words(), *e))
        .collect();
    ModP::from_montgomery(Uint::from_words(pow_vartime_words(&GROUP, &words)))
}

/// `Π base^exponent mod n` over `terms` (Montgomery forms below `n`, and the
/// result one too), variable time in the exponents.
///
/// ```
/// use crypto_bigint::{U1536, U64};
/// use otr_smp::group::ModP;
/// use otr_smp::montgomery::GROUP;
/// use otr_smp::multiexp::pow_vartime_words;
///
/// let two = *ModP::new(&U1536::from_u8(2)).as_montgomery().as_words();
/// let three = *ModP::new(&U1536::from_u8(3)).as_montgomery().as_words();
/// let product = pow_vartime_words(&GROUP, &[(two, &U64::from_u8(5)), (three, &U64::from_u8(2))]);
/// assert_eq!(ModP::from_montgomery(U1536::from_words(product)).retrieve(), U1536::from_u16(288));
/// ```
#[must_use]
pub fn pow_vartime_words<const N: usize, const L: usize>(
    modulus: &Modulus<N>,
    terms: &[([Word; N], &Uint<L>)],
) -> [Word; N] {
    let prepared: Vec<Term<N>> = terms
        .iter()
        .map(|(b, e)| Term::new(modulus, b, e))
        .collect();
    let top = terms
        .iter()
        .map(|(_, e)| e.bit_width_vartime())
        .max()
        .unwrap_or(0);
    let mut next: Vec<usize> = vec![0; prepared.len()];
    let mut acc = *modulus.one();
    let mut started = false;
    for position in (0..top).rev() {
        if started {
            acc = modulus.square(&acc);
        }
        for (term, cursor) in prepared.iter().zip(next.iter_mut()) {
            if let Some(&(low, index)) = term.windows.get(*cursor)
                && low == position
            {
                if let Some(power) = term.odd.get(index) {
                    acc = if started {
                        modulus.mul(&acc, power)
                    } else {
                        *power
                    };
                    started = true;
                }
                *cursor += 1;
            }
        }
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::{GENERATOR, ORDER};

    #[test]
    fn matches_separate_exponentiations() {
        let a = ModP::new(&GENERATOR).pow_bounded_exp(&U1536::from_u64(77), 64);
        let b = ModP::new(&U1536::from_u64(0x1234_5678_9abc_def1));
        let exps = [
            U1536::ZERO,
            U1536::ONE,
            U1536::from_u64(2),
            U1536::from_u64(0xffff),
            U1536::MAX.shr_vartime(1280),
            ORDER.wrapping_sub(&U1536::from_u64(3)),
            U1536::MAX,
        ];
        for e1 in &exps {
            for e2 in &exps {
                let expected = a
                    .pow_bounded_exp(e1, 1536)
                    .mul(&b.pow_bounded_exp(e2, 1536));
                assert_eq!(pow_vartime(&[(a, e1), (b, e2)]), expected);
            }
            assert_eq!(pow_vartime(&[(b, e1)]), b.pow_bounded_exp(e1, 1536));
        }
        assert_eq!(pow_vartime(&[]), ModP::ONE);
    }

    #[test]
    fn words_version_matches_crypto_bigint_for_a_1024_bit_modulus() {
        use crypto_bigint::modular::{FixedMontyForm, FixedMontyParams};
        use crypto_bigint::{MultiExponentiateBoundedExp, Odd, U192, U1024};
        let n = U1024::MAX
            .shr_vartime(1)
            .wrapping_sub(&U1024::from_u64(1_000_000))
            | U1024::ONE;
        let params = FixedMontyParams::new_vartime(Odd::new(n).unwrap());
        let modulus = Modulus::from_params(&params);
        let g = FixedMontyForm::new(&U1024::from_u64(0x1234_5678), &params);
        let y = FixedMontyForm::new(&U1024::MAX.shr_vartime(3), &params);
        let exps = [
            U192::ZERO,
            U192::ONE,
            U192::from_u64(0xffff),
            U192::MAX,
            U192::ONE.shl_vartime(159),
        ];
        for u1 in &exps {
            for u2 in &exps {
                let ours = pow_vartime_words(
                    &modulus,
                    &[
                        (*g.as_montgomery().as_words(), u1),
                        (*y.as_montgomery().as_words(), u2),
                    ],
                );
                let theirs =
                    FixedMontyForm::multi_exponentiate_bounded_exp(&[(g, *u1), (y, *u2)], 192);
                assert_eq!(&ours, theirs.as_montgomery().as_words());
            }
        }
    }
}
