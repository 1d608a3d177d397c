//! Constant-time selection of one group element from a table by a secret
//! index.

use crypto_bigint::{CtEq, U1536, Word};

use crate::group::ModP;

/// The `index`-th of `entries`, or zero if there is none, constant time in
/// `index`: a masked scan of every entry. Each entry's mask (all ones for the
/// chosen one, zero for the others) comes from a constant-time comparison
/// behind an optimization barrier; the scan itself is plain AND and OR over
/// the words, which the compiler can vectorize (much faster than a
/// conditional move per word).
pub fn select<'a>(entries: impl IntoIterator<Item = &'a ModP>, index: Word) -> ModP {
    let mut words = [0 as Word; U1536::LIMBS];
    for (j, candidate) in (0..).zip(entries) {
        let mask = Word::from((j as Word).ct_eq(&index).to_u8()).wrapping_neg();
        for (word, limb) in words.iter_mut().zip(candidate.as_montgomery().as_words()) {
            *word |= limb & mask;
        }
    }
    ModP::from_montgomery(U1536::from_words(words))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_indexed_entry_and_zero_past_the_end() {
        let entries: Vec<ModP> = (1..=5u64).map(|v| ModP::new(&U1536::from_u64(v))).collect();
        for (i, entry) in entries.iter().enumerate() {
            assert_eq!(select(&entries, i as Word), *entry);
        }
        assert_eq!(select(&entries, 5), ModP::from_montgomery(U1536::ZERO));
        assert_eq!(
            select(&entries, Word::MAX),
            ModP::from_montgomery(U1536::ZERO)
        );
    }
}
