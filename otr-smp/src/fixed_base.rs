//! Fixed-base exponentiation for the generator `g1 = 2`.
//!
//! Most exponentiations in OTR raise the generator to a power: every DH
//! public value, every commitment `g1^r` of an SMP proof, and the `g1^D`
//! half of most proof checks. A precomputed table turns each of them from
//! ~1 535 squarings plus ~384 multiplications into ~384 multiplications and
//! a handful of squarings.
//!
//! The table is a comb (Lim–Lee) in two segments, laid out in
//! `build.rs`: a row holds the 15 non-trivial products of four
//! powers `g^(2^k)` (its teeth), so each lookup consumes four exponent bits.
//! The teeth of a segment with spacing `S` sit `S` bits apart, and `S`
//! rounds, separated by one squaring, read the bits in between. The first
//! segment (bits 0–319, spacing 2, 40 rows) serves the 320-bit DH exponents
//! with one squaring; the second (bits 320–1535, spacing 5, 61 rows) the rest
//! of an SMP exponent, which then costs four. 101 rows × 15 entries × 192
//! bytes = 290 880 bytes of read-only data, computed by `build.rs` at build
//! time (nothing is built at run time; a test recomputes it).
//!
//! * [`pow_ct`] is constant time in the exponent's value: it visits every
//!   row and round up to the public bit bound and selects each row entry by
//!   a masked scan of all 15 entries (and 1).
//! * [`pow_vartime`] indexes the table directly and skips zero digits: only
//!   for public exponents (the `D` values of received proofs).

use crypto_bigint::{Limb, U1536, Uint, Word};
use zeroize::Zeroizing;

use crate::group::ModP;
use crate::montgomery::{mul, square};

/// The non-trivial entries of a row (digit `j ≥ 1` at index `j − 1`; digit
/// 0 selects 1).
type Row = [ModP; (1 << TEETH) - 1];

/// One table entry from its Montgomery form's 192 little-endian bytes
/// (evaluated at compile time, whatever the target's limb width).
const fn entry(bytes: &[u8; 192]) -> ModP {
    ModP::from_montgomery(U1536::from_le_slice(bytes))
}

// The layout (`ROWS`, `TEETH`, `LAYOUT: [Segment; _]`, `COVERED`), the
// constants `E_<row>_<entry>` and `static TABLE: [Row; ROWS]`.
include!(concat!(env!("OUT_DIR"), "/generator_table.rs"));

/// Nothing to build any more: the table is read-only data. Kept so that
/// callers that warm up don't change.
pub fn warm_up() {}

/// A segment of the comb as `pow_ct` and `pow_vartime` walk it.
#[derive(Clone, Copy)]
struct Segment {
    /// The exponent's first bit in this segment.
    first: u32,
    /// The bit after this segment's last.
    end: u32,
    /// The distance between two teeth of a row, and the number of rounds.
    spacing: u32,
    /// The segment's first row in `TABLE`.
    row: usize,
    /// The segment's rows.
    rows: usize,
}

/// Bit `bit` of `exponent` (0 beyond its width), reading only the limb at
/// the public position.
fn bit(exponent: &U1536, bit: u32) -> Word {
    let limb_bits = Limb::BITS;
    exponent
        .as_limbs()
        .get((bit / limb_bits) as usize)
        .map_or(0, |limb| (limb.0 >> (bit % limb_bits)) & 1)
}

/// The digit row `i` of `segment` reads in round `s`: bit `t` is the
/// exponent's bit `first + spacing·(TEETH·i + t) + s`.
fn digit(exponent: &U1536, segment: &Segment, i: usize, s: u32) -> Word {
    let base = segment.first + segment.spacing * TEETH * i as u32 + s;
    (0..TEETH).fold(0, |d, t| {
        d | (bit(exponent, base + segment.spacing * t) << t)
    })
}

/// The rows of `segment` holding bits below `bits`, and the number of rounds
/// they need (0 when the segment is beyond the bound).
fn extent(segment: &Segment, bits: u32) -> (usize, u32) {
    let end = segment.end.min(bits);
    if end <= segment.first {
        return (0, 0);
    }
    let rows = (end - segment.first).div_ceil(TEETH * segment.spacing) as usize;
    (rows.min(segment.rows), segment.spacing)
}

/// Runs the comb over the bits of `exponent` below the public bound `bits`
/// (which must be at most 1536; the bits above it must be zero):
/// `lookup(row, digit)` returns the entry to multiply in, or `None` to skip
/// it (allowed only for public exponents).
fn comb(exponent: &U1536, bits: u32, mut lookup: impl FnMut(&Row, Word) -> Option<ModP>) -> ModP {
    let rounds = LAYOUT
        .iter()
        .map(|segment| extent(segment, bits).1)
        .max()
        .unwrap_or(0);
    let mut acc: Option<ModP> = None;
    for s in (0..rounds).rev() {
        if let Some(value) = acc.as_mut() {
            *value = square(value);
        }
        for segment in &LAYOUT {
            let (rows, segment_rounds) = extent(segment, bits);
            if s >= segment_rounds {
                continue;
            }
            let table = TABLE.iter().skip(segment.row).take(rows);
            for (i, row) in table.enumerate() {
                let d = digit(exponent, segment, i, s);
                if let Some(entry) = lookup(row, d) {
                    acc = Some(match acc {
                        Some(value) => mul(&value, &entry),
                        None => entry,
                    });
                }
            }
        }
    }
    acc.unwrap_or(ModP::ONE)
}

/// Row `row`'s entry for digit `d` (1 for digit 0), constant time in `d`.
fn select(row: &Row, d: Word) -> ModP {
    let entries = core::iter::once(&ModP::ONE)
        .chain(row.iter())
        .map(|entry| entry.as_montgomery().as_words());
    ModP::from_montgomery(U1536::from_words(crate::ct_select::select(entries, d)))
}

/// `2^exponent` in Montgomery form, constant time in the exponent's value.
///
/// Only the `exponent_bits` least significant bits are used (the bound is
/// public and leaks through timing, exactly as with `pow_bounded_exp`).
/// `None` when the bound exceeds what the table covers (1536 bits) or the
/// exponent's width; the caller then falls back to a generic method.
pub fn pow_ct<const L: usize>(exponent: &Uint<L>, exponent_bits: u32) -> Option<ModP> {
    if exponent_bits > Uint::<L>::BITS || exponent_bits > COVERED {
        return None;
    }
    #[cfg(test)]
    crate::stats::bump(crate::stats::Kind::FixedCt);
    // The exponent's bits below the bound, the others cleared (the bound and
    // so the mask are public).
    let mask = U1536::MAX.unbounded_shr_vartime(U1536::BITS - exponent_bits);
    let exponent = Zeroizing::new(exponent.resize::<{ U1536::LIMBS }>().bitand(&mask));
    Some(comb(&exponent, exponent_bits, |row, d| {
        Some(select(row, d))
    }))
}

/// `2^exponent` in Montgomery form, **variable time**: for public exponents
/// only.
pub fn pow_vartime(exponent: &U1536) -> ModP {
    #[cfg(test)]
    crate::stats::bump(crate::stats::Kind::FixedVartime);
    let bits = exponent.bit_width_vartime();
    comb(exponent, bits, |row, d| {
        (d as usize)
            .checked_sub(1)
            .and_then(|j| row.get(j))
            .copied()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::{GENERATOR, ORDER};

    /// The table as `build.rs` should have computed it, recomputed here with
    /// crypto-bigint's own Montgomery arithmetic.
    #[test]
    fn generated_table_matches_run_time_computation() {
        let g = ModP::new(&GENERATOR);
        // g^(2^k)
        let power = |k: u32| {
            let mut x = g;
            for _ in 0..k {
                x = x.square();
            }
            x
        };
        let mut checked = 0;
        for segment in &LAYOUT {
            for i in 0..segment.rows {
                let teeth: Vec<ModP> = (0..TEETH)
                    .map(|t| power(segment.first + segment.spacing * (TEETH * i as u32 + t)))
                    .collect();
                let row = &TABLE[segment.row + i];
                for (j, stored) in row.iter().enumerate() {
                    let digit = j + 1;
                    let mut expected = ModP::ONE;
                    for (t, tooth) in teeth.iter().enumerate() {
                        if digit >> t & 1 == 1 {
                            expected = expected.mul(tooth);
                        }
                    }
                    assert_eq!(
                        stored.as_montgomery(),
                        expected.as_montgomery(),
                        "row {} entry {digit}",
                        segment.row + i
                    );
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, ROWS * 15);
        assert_eq!(ROWS, 101);
        assert_eq!(core::mem::size_of_val(&TABLE), 290_880);
    }

    #[test]
    fn select_picks_the_digit_s_entry() {
        let row = &TABLE[7];
        assert_eq!(select(row, 0), ModP::ONE);
        for d in 1..16 {
            assert_eq!(select(row, d as Word), row[d - 1], "{d}");
        }
        assert_eq!(select(row, 16), ModP::from_montgomery(U1536::ZERO));
    }

    #[test]
    fn matches_generic_exponentiation() {
        let g = ModP::new(&GENERATOR);
        let exponents = [
            U1536::ZERO,
            U1536::ONE,
            U1536::from_u64(0xdead_beef_0123_4567),
            ORDER.wrapping_sub(&U1536::ONE),
            U1536::MAX,
            U1536::ONE.shl_vartime(1535),
            U1536::ONE.shl_vartime(320),
            U1536::ONE.shl_vartime(319),
        ];
        for e in &exponents {
            let expected = g.pow_bounded_exp(e, 1536);
            assert_eq!(pow_ct(e, 1536).unwrap(), expected);
            assert_eq!(pow_vartime(e), expected);
        }
    }

    #[test]
    fn every_bit_position() {
        let g = ModP::new(&GENERATOR);
        let mut expected = g;
        for k in 0..1536 {
            let e = U1536::ONE.shl_vartime(k);
            assert_eq!(pow_ct(&e, 1536).unwrap(), expected, "{k}");
            assert_eq!(pow_vartime(&e), expected, "{k}");
            expected = expected.square();
        }
    }

    #[test]
    fn respects_the_bit_bound() {
        let g = ModP::new(&GENERATOR);
        let e = U1536::MAX;
        for bits in [1, 3, 4, 5, 7, 8, 9, 255, 256, 319, 320, 321, 329, 340, 1535] {
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
        let tiny = crypto_bigint::U64::MAX;
        assert_eq!(pow_ct(&tiny, 64).unwrap(), g.pow_bounded_exp(&tiny, 64));
    }
}
