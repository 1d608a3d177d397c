//! Fixed-base exponentiation for the generator `g1 = 2`.
//!
//! Most exponentiations in OTR raise the generator to a power: every DH
//! public value, every commitment `g1^r` of an SMP proof, and the `g1^D`
//! half of most proof checks. A precomputed table turns each of them from
//! ~1 535 squarings plus ~384 multiplications into ~384 multiplications and
//! no squaring at all.
//!
//! The table holds `T[i][j] = 2^(j · 16^i) mod p` (Montgomery form) for the
//! 384 four-bit windows `i` of a 1536-bit exponent and the 16 digits `j`:
//! 384 × 16 × 192 bytes ≈ 1.2 MB, built on first use (≈ 6 000
//! multiplications, a few milliseconds) and shared by every thread.
//!
//! * [`pow_ct`] is constant time in the exponent's value: it visits every
//!   window up to the public bit bound and selects each row entry by a
//!   masked scan of all 16 entries.
//! * [`pow_vartime`] indexes the table directly and skips zero digits: only
//!   for public exponents (the `D` values of received proofs).

use alloc::boxed::Box;
use alloc::vec::Vec;
use once_cell::race::OnceBox;

use crypto_bigint::{CtAssign, CtEq, Limb, U1536, Uint, Word};

use crate::group::{GENERATOR, ModP};

/// Bits per window.
const WINDOW: u32 = 4;
/// Digits per window.
const DIGITS: usize = 1 << WINDOW;
/// Windows covering a 1536-bit exponent.
const ROWS: usize = 1536 / WINDOW as usize;

type Row = [ModP; DIGITS];

/// Built on first use without a lock: threads that race on first use may each
/// build a table; one is kept and the others are dropped.
static TABLE: OnceBox<Box<[Row]>> = OnceBox::new();

fn table() -> &'static [Row] {
    TABLE.get_or_init(|| Box::new(build()))
}

fn build() -> Box<[Row]> {
    let mut rows = Vec::with_capacity(ROWS);
    // base = 2^(16^i)
    let mut base = ModP::new(&GENERATOR);
    for _ in 0..ROWS {
        let mut row = [ModP::ONE; DIGITS];
        let mut acc = ModP::ONE;
        for slot in row.iter_mut().skip(1) {
            acc = acc.mul(&base);
            *slot = acc;
        }
        // acc = base^15, so the next base is base^16.
        base = acc.mul(&base);
        rows.push(row);
    }
    rows.into_boxed_slice()
}

/// Builds the table now rather than on first use (for benchmarks and hosts
/// that want the one-time cost paid up front).
pub fn warm_up() {
    let _ = table();
}

/// The 4-bit digit `i` of `exponent` (bits `4i .. 4i+3`), reading only limbs
/// at public positions.
fn digit<const L: usize>(exponent: &Uint<L>, i: usize) -> Word {
    let bit = i.saturating_mul(WINDOW as usize);
    let limb_bits = Limb::BITS as usize;
    let limb = exponent
        .as_limbs()
        .get(bit / limb_bits)
        .map_or(0, |limb| limb.0);
    (limb >> (bit % limb_bits)) & (DIGITS as Word - 1)
}

/// `2^exponent` in Montgomery form, constant time in the exponent's value.
///
/// Only the `exponent_bits` least significant bits are used (the bound is
/// public and leaks through timing, exactly as with `pow_bounded_exp`).
/// `None` when the bound exceeds what the table covers (1536 bits) or the
/// exponent's width; the caller then falls back to a generic method.
pub fn pow_ct<const L: usize>(exponent: &Uint<L>, exponent_bits: u32) -> Option<ModP> {
    if exponent_bits > Uint::<L>::BITS || exponent_bits > U1536::BITS {
        return None;
    }
    #[cfg(test)]
    crate::stats::bump(crate::stats::Kind::FixedCt);
    let rows = exponent_bits.div_ceil(WINDOW) as usize;
    let mut acc = ModP::ONE;
    for (i, row) in table().iter().take(rows).enumerate() {
        let mut d = digit(exponent, i);
        // Mask the bits above the bound in the last, partial window.
        let used = exponent_bits.saturating_sub(WINDOW * i as u32).min(WINDOW);
        d &= (1 << used) - 1;
        let mut entry = ModP::ONE;
        for (j, candidate) in row.iter().enumerate().skip(1) {
            entry.ct_assign(candidate, (j as Word).ct_eq(&d));
        }
        acc = acc.mul(&entry);
    }
    Some(acc)
}

/// `2^exponent` in Montgomery form, **variable time**: for public exponents
/// only.
pub fn pow_vartime(exponent: &U1536) -> ModP {
    #[cfg(test)]
    crate::stats::bump(crate::stats::Kind::FixedVartime);
    let rows = exponent.bit_width_vartime().div_ceil(WINDOW) as usize;
    let mut acc = ModP::ONE;
    for (i, row) in table().iter().take(rows).enumerate() {
        let d = digit(exponent, i) as usize;
        if d != 0
            && let Some(entry) = row.get(d)
        {
            acc = acc.mul(entry);
        }
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::ORDER;

    #[test]
    fn matches_generic_exponentiation() {
        let g = ModP::new(&GENERATOR);
        let exponents = [
            U1536::ZERO,
            U1536::ONE,
            U1536::from_u64(0xdead_beef_0123_4567),
            ORDER.wrapping_sub(&U1536::ONE),
            U1536::MAX,
        ];
        for e in &exponents {
            let expected = g.pow_bounded_exp(e, 1536);
            assert_eq!(pow_ct(e, 1536).unwrap(), expected);
            assert_eq!(pow_vartime(e), expected);
        }
    }

    #[test]
    fn respects_the_bit_bound() {
        let g = ModP::new(&GENERATOR);
        let e = U1536::MAX;
        for bits in [1, 3, 4, 5, 255, 256, 320, 1535] {
            assert_eq!(
                pow_ct(&e, bits).unwrap(),
                g.pow_bounded_exp(&e, bits),
                "{bits}"
            );
        }
        assert_eq!(pow_ct(&e, 0).unwrap(), ModP::ONE);
        assert!(pow_ct(&e, 1537).is_none());
        let small = crypto_bigint::U320::MAX;
        assert!(pow_ct(&small, 321).is_none());
        assert_eq!(pow_ct(&small, 320).unwrap(), g.pow_bounded_exp(&small, 320));
    }
}
