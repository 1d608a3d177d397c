//! Our long-term DSA identity key: signs the AKE's `M_A`/`M_B` as libotr does.

use core::fmt;

use crypto_bigint::{CtEq, CtLt, NonZero, U192, U256, U1024};
use otr_smp::montgomery::Modulus;
use otr_smp::secret_pow::Comb;
use otr_wire::{DsaSignature, Fingerprint};
use rand_core::CryptoRng;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::dsa_components::DsaComponents;
use super::dsa_group::IdentityError;
use super::dsa_group::{DsaGroup, PForm, PrimeTest, QForm};
use super::dsa_integers::{
    P_LIMBS, Q_EXPONENT_BITS, Q_LIMBS, strip_leading_zeros, uint_from_be, uint_to_20_bytes,
    uint_to_minimal_be,
};
use super::verifying_key::DsaVerifyingKey;

/// How many nonces [`DsaSigningKey::sign`] tries before giving up. With a
/// working RNG and a valid key one attempt fails with probability about 2⁻¹⁵⁹.
const MAX_SIGNING_ATTEMPTS: usize = 64;

/// A 1024/160-bit DSA private key with its public half.
///
/// The private value `x` is zeroized on drop; `Debug` shows only the
/// fingerprint. Signing is constant time: `g^k` through a comb table of the
/// key's `g` built once with the key (4 KiB; a signature's `g^k` then costs a
/// third of a plain exponentiation), `k⁻¹` and `x·r` with crypto-bigint.
pub struct DsaSigningKey {
    verifying_key: DsaVerifyingKey,
    x: U192,
    g_comb: Box<Comb<P_LIMBS>>,
}

impl DsaSigningKey {
    /// Generates a fresh 1024/160-bit key (parameters and key pair) with the
    /// `dsa` crate, then converts it to our fixed-size representation.
    ///
    /// This takes a while (finding two primes).
    ///
    /// # Errors
    /// [`IdentityError::KeyGeneration`] if the generated key fails our checks.
    pub fn generate(rng: &mut (impl CryptoRng + ?Sized)) -> Result<Self, IdentityError> {
        #[allow(deprecated)] // 1024/160 is what OTR v2/v3 mandates.
        let size = dsa::KeySize::DSA_1024_160;
        let components = match dsa::Components::try_generate_from_rng_with_key_size(rng, size) {
            Ok(components) => components,
            Err(never) => match never {},
        };
        let generated =
            match dsa::SigningKey::try_generate_from_rng_with_components(rng, components) {
                Ok(key) => key,
                Err(never) => match never {},
            };
        let public = generated.verifying_key();
        let parts = public.components();
        let p = parts.p().as_ref().to_be_bytes();
        let q = parts.q().as_ref().to_be_bytes();
        let g = parts.g().as_ref().to_be_bytes();
        let y = public.y().as_ref().to_be_bytes();
        let x = Zeroizing::new(generated.x().as_ref().to_be_bytes());
        let key =
            Self::from_components(&p, &q, &g, &x).map_err(|_| IdentityError::KeyGeneration {
                reason: "the dsa crate's parameters are not 1024/160-bit",
            })?;
        if key.verifying_key.y_bytes() != strip_leading_zeros(&y) {
            return Err(IdentityError::KeyGeneration {
                reason: "the dsa crate's y is not g^x mod p",
            });
        }
        Ok(key)
    }

    /// Imports a key from its big-endian `P`, `Q`, `G`, `X` (the C# library's
    /// import), computing `y = g^x mod p`.
    ///
    /// Checks: `p` exactly 1024 bits and prime, `q` exactly 160 bits and
    /// prime, `q | p − 1`, `1 < g < p − 1` and `g^q ≡ 1 (mod p)`, `0 < x < q`
    /// (primality by Baillie-PSW with `crypto-primes`: about 7 ms per key).
    ///
    /// # Errors
    /// The [`IdentityError`] naming the part that is wrong.
    pub fn from_components(p: &[u8], q: &[u8], g: &[u8], x: &[u8]) -> Result<Self, IdentityError> {
        let key = Self::from_components_unvalidated(p, q, g, x)?;
        key.verifying_key.group().validate(PrimeTest::Full)?;
        Ok(key)
    }

    /// As [`from_components`](Self::from_components) without the domain
    /// checks (primality, `q | p − 1`, the order of `g`): only for tests that
    /// need a weak key.
    pub(crate) fn from_components_unvalidated(
        p: &[u8],
        q: &[u8],
        g: &[u8],
        x: &[u8],
    ) -> Result<Self, IdentityError> {
        let group = DsaGroup::from_bytes(p, q, g)?;
        let x = uint_from_be::<Q_LIMBS>(x).ok_or(IdentityError::PrivateValueOutOfRange)?;
        let x = Zeroizing::new(x);
        let in_range = x.ct_ne(&U192::ZERO) & x.ct_lt(group.q.as_ref());
        if !in_range.to_bool() {
            return Err(IdentityError::PrivateValueOutOfRange);
        }
        let g_comb = Box::new(Comb::new(
            &Modulus::from_params(group.g.params()),
            group.g.as_montgomery().as_words(),
            Q_EXPONENT_BITS,
        ));
        let y = g_pow_ct(&group, &g_comb, &x);
        // g has order q and 0 < x < q, so y is in [2, p − 2] unless the key is corrupt.
        let y_bytes = uint_to_minimal_be(&y);
        let y = DsaGroup::parse_element(&y_bytes, &group.p, IdentityError::PublicValueOutOfRange)?;
        Ok(Self {
            verifying_key: DsaVerifyingKey::from_group(group, &y),
            x: *x,
            g_comb,
        })
    }

    /// Imports a key from [`DsaComponents`] (see [`from_components`](Self::from_components)).
    ///
    /// # Errors
    /// As [`from_components`](Self::from_components).
    pub fn from_dsa_components(components: &DsaComponents) -> Result<Self, IdentityError> {
        Self::from_components(
            components.p(),
            components.q(),
            components.g(),
            components.x(),
        )
    }

    /// `P`, `Q`, `G`, `X` as big-endian bytes (the C# library's export).
    #[must_use]
    pub fn components(&self) -> DsaComponents {
        let x = uint_to_minimal_be(&self.x);
        DsaComponents::new(
            self.verifying_key.p_bytes(),
            self.verifying_key.q_bytes(),
            self.verifying_key.g_bytes(),
            &x,
        )
    }

    /// The public half.
    #[must_use]
    pub fn verifying_key(&self) -> &DsaVerifyingKey {
        &self.verifying_key
    }

    /// Our fingerprint (that of [`verifying_key`](Self::verifying_key)).
    #[must_use]
    pub fn fingerprint(&self) -> Fingerprint {
        self.verifying_key.fingerprint()
    }

    /// Signs a 32-byte value (the AKE's `M_A`/`M_B`) as libotr does: the value
    /// is the integer `int(value) mod q` — not the FIPS rule that keeps the
    /// leftmost 160 bits.
    ///
    /// Each signature draws a fresh nonce `k` uniform in `[1, q − 1]` (256
    /// random bits reduced mod `q − 1`, plus 1: bias below 2⁻⁹⁶) and retries
    /// when `r` or `s` comes out 0. `g^k`, `k⁻¹` and `x·r` are constant time.
    ///
    /// If every attempt fails — impossible in practice with a working RNG and
    /// a valid key — the all-zero signature is returned, which every verifier
    /// (ours and libotr's) rejects.
    #[must_use]
    pub fn sign(&self, value: &[u8; 32], rng: &mut (impl CryptoRng + ?Sized)) -> DsaSignature {
        let group = self.verifying_key.group();
        let q = group.q.as_nz_ref();
        let params = &group.q_params;
        let mut h = QForm::new(&U256::from_be_slice(value).rem(q), params);
        let mut x = QForm::new(&self.x, params);
        let mut signature = DsaSignature {
            r: [0; 20],
            s: [0; 20],
        };
        for _ in 0..MAX_SIGNING_ATTEMPTS {
            let mut k = random_nonce(rng, &group.q_minus_one);
            let r = g_pow_ct(group, &self.g_comb, &k).rem(q);
            let mut k_form = QForm::new(&k, params);
            let inverse = k_form.invert();
            let invertible = inverse.is_some().to_bool();
            let mut k_inverse = inverse.unwrap_or(QForm::zero(params));
            let s = (k_inverse * (h + x * QForm::new(&r, params))).retrieve();
            k.zeroize();
            k_form.zeroize();
            k_inverse.zeroize();
            if invertible && r != U192::ZERO && s != U192::ZERO {
                signature = DsaSignature {
                    r: uint_to_20_bytes(&r),
                    s: uint_to_20_bytes(&s),
                };
                break;
            }
        }
        h.zeroize();
        x.zeroize();
        signature
    }
}

/// `g^exponent mod p` through the key's comb, constant time in the exponent.
fn g_pow_ct(group: &DsaGroup, g_comb: &Comb<P_LIMBS>, exponent: &U192) -> U1024 {
    let words = g_comb.pow_ct(exponent);
    PForm::from_montgomery(U1024::from_words(words), group.g.params()).retrieve()
}

/// A nonce uniform in `[1, q − 1]`: 256 random bits reduced mod `q − 1`, plus 1
/// (FIPS 186-4 B.2.1 with 96 extra bits). Constant time.
fn random_nonce(rng: &mut (impl CryptoRng + ?Sized), q_minus_one: &NonZero<U192>) -> U192 {
    let mut bytes = Zeroizing::new([0u8; U256::BYTES]);
    rng.fill_bytes(&mut *bytes);
    let mut wide = U256::from_be_slice(&*bytes);
    let k = wide.rem(q_minus_one).wrapping_add(&U192::ONE);
    wide.zeroize();
    k
}

impl Drop for DsaSigningKey {
    fn drop(&mut self) {
        self.x.zeroize();
    }
}

impl ZeroizeOnDrop for DsaSigningKey {}

impl PartialEq for DsaSigningKey {
    /// Public halves compare normally; `x` in constant time.
    fn eq(&self, other: &Self) -> bool {
        self.verifying_key == other.verifying_key && self.x.ct_eq(&other.x).to_bool()
    }
}

impl Eq for DsaSigningKey {}

impl fmt::Debug for DsaSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DsaSigningKey")
            .field("fingerprint", &self.fingerprint())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::parse_privkeys;
    use rand_chacha::ChaCha20Rng;
    use rand_chacha::rand_core::{Rng, SeedableRng};

    const ALICE_KEY: &[u8] = include_bytes!("../../fixtures/alice.key");

    fn alice() -> std::sync::Arc<DsaSigningKey> {
        parse_privkeys(ALICE_KEY).unwrap().remove(0).key
    }

    fn values(rng: &mut ChaCha20Rng) -> Vec<[u8; 32]> {
        let mut out = vec![[0u8; 32], [0xff; 32], [1; 32]];
        for _ in 0..5 {
            let mut v = [0u8; 32];
            rng.fill_bytes(&mut v);
            out.push(v);
        }
        out
    }

    #[test]
    fn signatures_verify() {
        let key = alice();
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        for value in values(&mut rng) {
            let sig = key.sign(&value, &mut rng);
            assert!(key.verifying_key().verify(&value, &sig));
            // A fresh nonce every time.
            assert_ne!(key.sign(&value, &mut rng), sig);
        }
    }

    #[test]
    fn the_value_is_an_integer_reduced_mod_q() {
        let key = alice();
        let q = key.verifying_key().group().q;
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let value = [0xff; 32];
        assert!(U256::from_be_slice(&value) > q.as_ref().resize());
        let sig = key.sign(&value, &mut rng);
        assert!(key.verifying_key().verify(&value, &sig));
        // The same signature covers value mod q …
        let reduced = U256::from_be_slice(&value).rem(q.as_nz_ref());
        let reduced: [u8; 32] = reduced
            .resize::<{ U256::LIMBS }>()
            .to_be_bytes()
            .as_ref()
            .try_into()
            .unwrap();
        assert!(key.verifying_key().verify(&reduced, &sig));
        // … and not the FIPS leftmost-160-bits reading of the value.
        let mut leftmost = [0u8; 32];
        leftmost[12..].copy_from_slice(&value[..20]);
        assert!(!key.verifying_key().verify(&leftmost, &sig));
    }

    #[test]
    fn any_flipped_bit_fails() {
        let key = alice();
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let mut value = [0u8; 32];
        rng.fill_bytes(&mut value);
        let sig = key.sign(&value, &mut rng);
        let vk = key.verifying_key();
        for bit in 0..160 {
            let mut bad = sig;
            bad.r[bit / 8] ^= 1 << (bit % 8);
            assert!(!vk.verify(&value, &bad), "r bit {bit}");
            let mut bad = sig;
            bad.s[bit / 8] ^= 1 << (bit % 8);
            assert!(!vk.verify(&value, &bad), "s bit {bit}");
        }
        for bit in 0..256 {
            let mut bad = value;
            bad[bit / 8] ^= 1 << (bit % 8);
            assert!(!vk.verify(&bad, &sig), "value bit {bit}");
        }
    }

    #[test]
    fn r_and_s_out_of_range_fail() {
        let key = alice();
        let vk = key.verifying_key();
        let value = [7u8; 32];
        let sig = key.sign(&value, &mut ChaCha20Rng::seed_from_u64(4));
        let q: [u8; 20] = vk.q_bytes().try_into().unwrap();
        for bad in [[0u8; 20], q, [0xff; 20]] {
            assert!(!vk.verify(&value, &DsaSignature { r: bad, s: sig.s }));
            assert!(!vk.verify(&value, &DsaSignature { r: sig.r, s: bad }));
        }
        // r + q and s + q are the same numbers mod q, but out of range.
        let plus_q = |half: [u8; 20]| {
            let sum = U192::from_be_slice(&{
                let mut b = [0u8; 24];
                b[4..].copy_from_slice(&half);
                b
            })
            .wrapping_add(vk.group().q.as_ref());
            sum.to_be_bytes().as_ref().to_vec()
        };
        let r_plus_q = plus_q(sig.r);
        if r_plus_q[..4] == [0; 4] {
            let r: [u8; 20] = r_plus_q[4..].try_into().unwrap();
            assert!(!vk.verify(&value, &DsaSignature { r, s: sig.s }));
        }
    }

    #[test]
    fn components_round_trip() {
        let key = alice();
        let components = key.components();
        assert_eq!(components.p().len(), 128);
        assert_eq!(components.q().len(), 20);
        let again = DsaSigningKey::from_dsa_components(&components).unwrap();
        assert_eq!(again, *key);
        let hex = DsaComponents::from_hex(
            &components.p_hex(),
            &components.q_hex().to_lowercase(),
            &components.g_hex(),
            &components.x_hex(),
        )
        .unwrap();
        assert_eq!(hex, components);
        assert_eq!(
            DsaComponents::from_hex("12", "zz", "1", "1"),
            Err(IdentityError::InvalidHex { component: "Q" })
        );
        let debug = format!("{components:?}");
        assert!(!debug.contains(components.x_hex().as_str()));
        assert!(debug.contains("redacted"));
        let debug = format!("{key:?}");
        assert!(!debug.contains(components.x_hex().as_str()));
        assert!(debug.contains(&key.fingerprint().to_hex()));
    }

    #[test]
    fn imported_components_are_checked() {
        let c = alice().components();
        let (p, q, g, x) = (c.p(), c.q(), c.g(), c.x());
        assert!(DsaSigningKey::from_components(p, q, g, x).is_ok());
        let err = |p: &[u8], q: &[u8], g: &[u8], x: &[u8]| {
            DsaSigningKey::from_components(p, q, g, x).err()
        };
        assert_eq!(
            err(p, q, g, &[]),
            Some(IdentityError::PrivateValueOutOfRange)
        );
        assert_eq!(err(p, q, g, q), Some(IdentityError::PrivateValueOutOfRange));
        assert_eq!(
            err(p, q, g, &[0xff; 20]),
            Some(IdentityError::PrivateValueOutOfRange)
        );
        assert_eq!(
            err(p, q, g, &[1; 21]),
            Some(IdentityError::PrivateValueOutOfRange)
        );
        assert_eq!(err(p, q, &[1], x), Some(IdentityError::GeneratorOutOfRange));
        assert_eq!(err(p, q, p, x), Some(IdentityError::GeneratorOutOfRange));
        assert_eq!(err(p, q, &[2], x), Some(IdentityError::GeneratorOrder));
        assert!(matches!(
            err(&p[1..], q, g, x),
            Some(IdentityError::PrimeSize { bits: 1009..=1016 })
        ));
        assert!(matches!(
            err(p, &q[1..], g, x),
            Some(IdentityError::SubgroupOrderSize { bits: 145..=152 })
        ));
        // Leading zero bytes are fine.
        let mut padded_x = vec![0u8; 4];
        padded_x.extend_from_slice(x);
        assert!(DsaSigningKey::from_components(p, q, g, &padded_x).is_ok());
    }

    #[test]
    fn generated_keys_sign_and_verify() {
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        let key = DsaSigningKey::generate(&mut rng).unwrap();
        let c = key.components();
        assert_eq!(c.p().len(), 128);
        assert_eq!(c.q().len(), 20);
        let value = [0x42; 32];
        let sig = key.sign(&value, &mut rng);
        assert!(key.verifying_key().verify(&value, &sig));
        assert!(!alice().verifying_key().verify(&value, &sig));
    }

    /// Rough timings, not a benchmark: run with
    /// `cargo test -p otr-core --release -- --ignored --nocapture dsa_timings`.
    #[test]
    #[ignore = "prints timings; run on demand in release mode"]
    fn dsa_timings() {
        let key = alice();
        let vk = key.verifying_key();
        let mut rng = ChaCha20Rng::seed_from_u64(6);
        let value = [0x5a; 32];
        let start = std::time::Instant::now();
        let mut sig = key.sign(&value, &mut rng);
        for _ in 1..100 {
            sig = key.sign(&value, &mut rng);
        }
        let signing = start.elapsed() / 100;
        let start = std::time::Instant::now();
        for _ in 0..100 {
            assert!(vk.verify(&value, &sig));
        }
        let verifying = start.elapsed() / 100;
        let start = std::time::Instant::now();
        for _ in 0..100 {
            let wire = vk.as_wire();
            assert!(DsaVerifyingKey::from_wire(&wire).is_ok());
        }
        let parsing = start.elapsed() / 100;
        let start = std::time::Instant::now();
        let _generated = DsaSigningKey::generate(&mut rng).unwrap();
        let generating = start.elapsed();
        println!(
            "DSA 1024/160: sign {signing:?}, verify {verifying:?}, from_wire {parsing:?}, generate {generating:?}"
        );
    }
}
