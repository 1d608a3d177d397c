//! Simultaneous multi-exponentiation `x1^k1 · … · xn^kn` for **public**
//! exponents (the `c` and `D` values of a received proof).
//!
//! Interleaved sliding windows (Straus / Möller): the terms share one chain of
//! squarings as long as the longest exponent, and each term multiplies in an
//! odd power of its base once per window. Variable time in the exponents,
//! which are public; never use it with a secret exponent.

use alloc::vec;
use alloc::vec::Vec;
use crypto_bigint::U1536;

use crate::group::ModP;
use crate::montgomery::{mul, square};

/// One term's precomputed odd powers and its windows, top window first.
struct Term {
    /// `odd[i] = base^(2i + 1)`.
    odd: Vec<ModP>,
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

impl Term {
    fn new(base: &ModP, exponent: &U1536) -> Self {
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
            let base_squared = square(base);
            let mut acc = *base;
            for _ in 1..count {
                acc = mul(&acc, &base_squared);
                odd.push(acc);
            }
        }
        Self { odd, windows }
    }
}

/// `Π base^exponent` over `terms`, variable time in the exponents.
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
    let prepared: Vec<Term> = terms.iter().map(|(b, e)| Term::new(b, e)).collect();
    let top = terms
        .iter()
        .map(|(_, e)| e.bit_width_vartime())
        .max()
        .unwrap_or(0);
    let mut next: Vec<usize> = vec![0; prepared.len()];
    let mut acc = ModP::ONE;
    let mut started = false;
    for position in (0..top).rev() {
        if started {
            acc = square(&acc);
        }
        for (term, cursor) in prepared.iter().zip(next.iter_mut()) {
            if let Some(&(low, index)) = term.windows.get(*cursor)
                && low == position
            {
                if let Some(power) = term.odd.get(index) {
                    acc = if started { mul(&acc, power) } else { *power };
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
}
