//! Long-term keys for tests: generated once per test binary from a fixed seed.

use std::sync::{Arc, OnceLock};

use otr_core::identity::DsaSigningKey;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// Alice's and Bob's keys (the same in every test of a binary).
///
/// # Panics
/// If key generation fails, which it does not for a working RNG.
#[must_use]
#[allow(clippy::expect_used)]
pub fn test_keys() -> (Arc<DsaSigningKey>, Arc<DsaSigningKey>) {
    static KEYS: OnceLock<(Arc<DsaSigningKey>, Arc<DsaSigningKey>)> = OnceLock::new();
    let (a, b) = KEYS.get_or_init(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(0x07e5_7ee5);
        let a = DsaSigningKey::generate(&mut rng).expect("key generation");
        let b = DsaSigningKey::generate(&mut rng).expect("key generation");
        (Arc::new(a), Arc::new(b))
    });
    (Arc::clone(a), Arc::clone(b))
}
