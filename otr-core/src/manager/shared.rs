//! The manager's randomness and clock, shared by every session it creates.
//!
//! A [`Session`](crate::Session) owns a boxed RNG and a boxed clock; the
//! manager gives each one a handle to its own single RNG and clock, so that a
//! manager built with a seeded RNG and a manual clock replays exactly.

use core::convert::Infallible;
use core::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rand_core::{CryptoRng, TryCryptoRng, TryRng};

use crate::clock::{Clock, Timestamp};

/// A handle to the manager's RNG; clones draw from the same generator.
#[derive(Clone)]
pub(crate) struct SharedRng(Arc<Mutex<Box<dyn CryptoRng + Send>>>);

impl SharedRng {
    pub(crate) fn new(rng: Box<dyn CryptoRng + Send>) -> Self {
        Self(Arc::new(Mutex::new(rng)))
    }

    /// The generator. A panic elsewhere while it was locked cannot leave it
    /// in a state that matters (any state of a CSPRNG is as good as another),
    /// so a poisoned lock is taken over.
    fn lock(&self) -> MutexGuard<'_, Box<dyn CryptoRng + Send>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl TryRng for SharedRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut guard = self.lock();
        let rng: &mut (dyn CryptoRng + Send) = &mut **guard;
        Ok(rng.next_u32())
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut guard = self.lock();
        let rng: &mut (dyn CryptoRng + Send) = &mut **guard;
        Ok(rng.next_u64())
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        let mut guard = self.lock();
        let rng: &mut (dyn CryptoRng + Send) = &mut **guard;
        rng.fill_bytes(dst);
        Ok(())
    }
}

impl TryCryptoRng for SharedRng {}

impl fmt::Debug for SharedRng {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedRng(..)")
    }
}

/// A handle to the manager's clock; clones read the same clock.
#[derive(Clone)]
pub(crate) struct SharedClock(Arc<dyn Clock>);

impl SharedClock {
    pub(crate) fn new(clock: impl Clock + 'static) -> Self {
        Self(Arc::new(clock))
    }
}

impl Clock for SharedClock {
    fn now(&self) -> Timestamp {
        self.0.now()
    }
}

impl fmt::Debug for SharedClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SharedClock").field(&self.0.now()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use core::time::Duration;
    use rand_chacha::ChaCha20Rng;
    use rand_core::{Rng, SeedableRng};

    #[test]
    fn handles_draw_from_one_stream() {
        let mut reference = ChaCha20Rng::seed_from_u64(7);
        let expected: Vec<u64> = (0..4).map(|_| reference.next_u64()).collect();
        let mut a = SharedRng::new(Box::new(ChaCha20Rng::seed_from_u64(7)));
        let mut b = a.clone();
        let drawn = vec![a.next_u64(), b.next_u64(), a.next_u64(), b.next_u64()];
        assert_eq!(drawn, expected);
        let mut bytes = [0u8; 8];
        b.fill_bytes(&mut bytes);
        assert_ne!(bytes, [0; 8]);
        assert_eq!(format!("{a:?}"), "SharedRng(..)");
    }

    #[test]
    fn handles_read_one_clock() {
        let clock = ManualClock::new();
        let shared = SharedClock::new(clock.clone());
        let other = shared.clone();
        clock.advance(Duration::from_secs(5));
        assert_eq!(other.now(), Timestamp(Duration::from_secs(5)));
    }
}
