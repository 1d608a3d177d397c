//! Randomness from the operating system, for hosts that do not bring their
//! own generator (feature `getrandom`, on by default).
//!
//! [`OsRandom`] is ChaCha20 seeded once with 256 bits from the OS
//! (`getrandom`): asking the OS can fail only at construction, where the error
//! is returned, never later in the middle of a protocol step.

use core::convert::Infallible;
use core::fmt;

use rand_chacha::ChaCha20Rng;
use rand_core::{SeedableRng as _, TryCryptoRng, TryRng};
use zeroize::Zeroizing;

/// The operating system gave no randomness (on Linux: `getrandom(2)` failed
/// or is unavailable). Nothing secret can be made without it; bring your own
/// generator through the constructors that take one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the operating system's random number generator failed ({reason}); pass a generator of your own to the constructors that take one"
)]
#[non_exhaustive]
pub struct RandomnessUnavailable {
    /// What the OS said.
    pub reason: String,
}

/// A cryptographic random number generator seeded from the operating system.
///
/// ```
/// use otr_core::rand_core::Rng as _;
/// let mut rng = otr_core::OsRandom::new()?;
/// let _ = rng.next_u64();
/// # Ok::<(), otr_core::RandomnessUnavailable>(())
/// ```
pub struct OsRandom(ChaCha20Rng);

impl OsRandom {
    /// A generator seeded with 32 fresh bytes from the operating system.
    ///
    /// # Errors
    /// [`RandomnessUnavailable`] when the OS refuses.
    pub fn new() -> Result<Self, RandomnessUnavailable> {
        let mut seed = Zeroizing::new([0u8; 32]);
        getrandom::SysRng
            .try_fill_bytes(&mut *seed)
            .map_err(|e| RandomnessUnavailable {
                reason: e.to_string(),
            })?;
        Ok(Self(ChaCha20Rng::from_seed(*seed)))
    }
}

impl TryRng for OsRandom {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        self.0.try_next_u32()
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        self.0.try_next_u64()
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.0.try_fill_bytes(dst)
    }
}

impl TryCryptoRng for OsRandom {}

impl fmt::Debug for OsRandom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OsRandom(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::Rng as _;

    #[test]
    fn two_generators_draw_different_streams() {
        let mut a = OsRandom::new().unwrap();
        let mut b = OsRandom::new().unwrap();
        let (mut x, mut y) = ([0u8; 32], [0u8; 32]);
        a.fill_bytes(&mut x);
        b.fill_bytes(&mut y);
        assert_ne!(x, y);
        assert_ne!(a.next_u64(), a.next_u64());
        assert_eq!(format!("{a:?}"), "OsRandom(..)");
    }

    #[test]
    fn the_error_says_what_to_do() {
        let e = RandomnessUnavailable {
            reason: "ENOSYS".into(),
        };
        let text = e.to_string();
        assert!(text.contains("ENOSYS") && text.contains("generator of your own"));
    }
}
