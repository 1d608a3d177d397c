//! Choosing our instance tag (libotr `instag.c`): a random 32-bit value of at
//! least 0x100, the smallest the protocol allows.

use otr_wire::InstanceTag;
use rand_core::CryptoRng;

/// How many valid instance tags there are: `0x100 ..= 0xffff_ffff`.
const VALID_TAGS: u64 = (u32::MAX as u64) + 1 - InstanceTag::MIN as u64;

/// A new random instance tag for an account, uniform over the valid range
/// `0x100 ..= 0xffff_ffff` (to within 2⁻³²), from one 64-bit draw: every
/// draw maps to a valid tag, so even a broken RNG cannot make it loop.
///
/// Generate it once per account and keep it: libotr stores it in its
/// instance-tag file ([`serialize_instags`](crate::identity::serialize_instags)),
/// and a buddy tells our clients apart by it.
///
/// ```
/// use otr_core::identity::generate_instance_tag;
/// use rand_chacha::ChaCha20Rng;
/// use rand_core::SeedableRng;
///
/// let tag = generate_instance_tag(&mut ChaCha20Rng::seed_from_u64(1));
/// assert!(tag.get() >= 0x100);
/// ```
#[must_use]
pub fn generate_instance_tag<R: CryptoRng + ?Sized>(rng: &mut R) -> InstanceTag {
    loop {
        // `offset + MIN` is at most `u32::MAX`: the first draw always returns.
        let offset = rng.next_u64() % VALID_TAGS;
        let tag = u32::try_from(offset + u64::from(InstanceTag::MIN))
            .ok()
            .and_then(InstanceTag::new);
        if let Some(tag) = tag {
            return tag;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::convert::Infallible;
    use rand_chacha::ChaCha20Rng;
    use rand_core::{SeedableRng, TryCryptoRng, TryRng};

    /// An RNG that always yields the same word.
    struct Constant(u64);

    impl TryRng for Constant {
        type Error = Infallible;

        fn try_next_u32(&mut self) -> Result<u32, Infallible> {
            Ok(self.0 as u32)
        }
        fn try_next_u64(&mut self) -> Result<u64, Infallible> {
            Ok(self.0)
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), Infallible> {
            dest.fill(self.0 as u8);
            Ok(())
        }
    }

    impl TryCryptoRng for Constant {}

    #[test]
    fn tags_are_at_least_0x100_and_spread_over_the_range() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let tags: Vec<u32> = (0..1000)
            .map(|_| generate_instance_tag(&mut rng).get())
            .collect();
        assert!(tags.iter().all(|&t| t >= 0x100));
        let distinct: std::collections::HashSet<_> = tags.iter().collect();
        assert_eq!(distinct.len(), tags.len(), "1000 random tags collide");
        // Both halves of the 32-bit range are hit.
        assert!(tags.iter().any(|&t| t < 0x8000_0000));
        assert!(tags.iter().any(|&t| t >= 0x8000_0000));
    }

    #[test]
    fn the_extremes_of_the_rng_give_the_extremes_of_the_range() {
        assert_eq!(generate_instance_tag(&mut Constant(0)).get(), 0x100);
        assert_eq!(
            generate_instance_tag(&mut Constant(VALID_TAGS - 1)).get(),
            u32::MAX
        );
        // Wraps instead of overflowing or looping.
        assert_eq!(
            generate_instance_tag(&mut Constant(VALID_TAGS)).get(),
            0x100
        );
        assert!(generate_instance_tag(&mut Constant(u64::MAX)).get() >= 0x100);
    }
}
