//! Constant-time selection of one table entry by a secret index.

use crypto_bigint::{CtEq, Word};

/// The `index`-th of `entries`, or zero if there is none, constant time in
/// `index`: a masked scan of every entry. Each entry's mask (all ones for the
/// chosen one, zero for the others) comes from a constant-time comparison
/// behind an optimization barrier; the scan itself is plain AND and OR over
/// the words, which the compiler can vectorize (much faster than a
/// conditional move per word).
pub fn select<'a, const N: usize>(
    entries: impl IntoIterator<Item = &'a [Word; N]>,
    index: Word,
) -> [Word; N] {
    let mut words = [0 as Word; N];
    for (j, candidate) in (0..).zip(entries) {
        let mask = Word::from((j as Word).ct_eq(&index).to_u8()).wrapping_neg();
        for (word, limb) in words.iter_mut().zip(candidate) {
            *word |= limb & mask;
        }
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_indexed_entry_and_zero_past_the_end() {
        let entries: Vec<[Word; 3]> = (1..=5).map(|v: Word| [v, v * 7, !v]).collect();
        for (i, entry) in entries.iter().enumerate() {
            assert_eq!(select(&entries, i as Word), *entry);
        }
        assert_eq!(select(&entries, 5), [0; 3]);
        assert_eq!(select(&entries, Word::MAX), [0; 3]);
    }
}
