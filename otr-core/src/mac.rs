//! The hashes and MACs OTR uses, and constant-time comparison.

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha1::block_api::Sha1Core;
use sha1::digest::Output;
use sha1::digest::block_api::{Buffer, FixedOutputCore, UpdateCore};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// HMAC-SHA256.
#[must_use]
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(key) else {
        // HMAC accepts keys of any length.
        return [0; 32];
    };
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// HMAC-SHA256 truncated to its first 160 bits (the AKE's `MAC_m2`).
#[must_use]
pub fn hmac_sha256_160(key: &[u8], data: &[u8]) -> [u8; 20] {
    let full = hmac_sha256(key, &[data]);
    let mut out = [0u8; 20];
    out.copy_from_slice(full.get(..20).unwrap_or(&[0; 20]));
    out
}

/// HMAC-SHA1 with a key of any length (the reference the prepared
/// [`HmacSha1Key`] is tested against).
#[cfg(test)]
#[must_use]
pub fn hmac_sha1(key: &[u8], data: &[u8]) -> [u8; 20] {
    let Ok(mut mac) = <Hmac<Sha1> as KeyInit>::new_from_slice(key) else {
        return [0; 20];
    };
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// An HMAC-SHA1 key of a data-message key pair, kept as the two SHA-1
/// chaining values of its padded key (`key ⊕ ipad`, `key ⊕ opad`: one block
/// each, absorbed once), so a message costs no key blocks. 64 bytes, where
/// the `hmac` crate's prepared state also carries a block buffer (128). The
/// chaining values are key material: the `sha1` crate zeroizes them on drop.
#[derive(Clone)]
pub struct HmacSha1Key {
    inner: Sha1Core,
    outer: Sha1Core,
}

/// SHA-1 from a chaining value over the concatenation of `parts`.
fn sha1_from(state: &Sha1Core, parts: &[&[u8]]) -> [u8; 20] {
    let mut core = state.clone();
    let mut buffer = Buffer::<Sha1Core>::default();
    for part in parts {
        buffer.digest_blocks(part, |blocks| core.update_blocks(blocks));
    }
    let mut out = Output::<Sha1Core>::default();
    core.finalize_fixed_core(&mut buffer, &mut out);
    out.into()
}

impl HmacSha1Key {
    /// Prepares `key` (20 bytes, OTR's MAC keys).
    #[must_use]
    pub fn new(key: &[u8; 20]) -> Self {
        // A key shorter than the block is zero-padded to it (RFC 2104).
        let chain = |pad: u8| {
            let mut block = zeroize::Zeroizing::new([pad; 64]);
            for (b, k) in block.iter_mut().zip(key) {
                *b ^= k;
            }
            let mut core = Sha1Core::default();
            core.update_blocks(core::slice::from_ref((&*block).into()));
            core
        };
        Self {
            inner: chain(0x36),
            outer: chain(0x5c),
        }
    }

    /// HMAC-SHA1 of `data` under this key.
    #[must_use]
    pub fn mac(&self, data: &[u8]) -> [u8; 20] {
        let inner = sha1_from(&self.inner, &[data]);
        sha1_from(&self.outer, &[&inner])
    }
}

impl core::fmt::Debug for HmacSha1Key {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("HmacSha1Key(<redacted>)")
    }
}

/// SHA-256 over the concatenation of `parts`.
#[must_use]
pub fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for part in parts {
        h.update(part);
    }
    h.finalize().into()
}

/// SHA-1 over the concatenation of `parts`.
#[must_use]
pub fn sha1(parts: &[&[u8]]) -> [u8; 20] {
    let mut h = Sha1::new();
    for part in parts {
        h.update(part);
    }
    h.finalize().into()
}

/// Constant-time equality of two byte strings of the same length.
#[must_use]
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4231_case_2() {
        let mac = hmac_sha256(b"Jefe", &[b"what do ya want ", b"for nothing?"]);
        assert_eq!(
            mac[..4],
            [0x5b, 0xdc, 0xc1, 0x46],
            "HMAC-SHA256 test vector (RFC 4231 case 2)"
        );
        assert_eq!(
            hmac_sha256_160(b"Jefe", b"what do ya want for nothing?")[..],
            mac[..20]
        );
    }

    #[test]
    fn ct_eq_needs_equal_lengths() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
    }

    #[test]
    fn prepared_hmac_sha1_key_equals_hmac_with_the_key() {
        let key: [u8; 20] = core::array::from_fn(|i| (i as u8).wrapping_mul(37));
        let prepared = HmacSha1Key::new(&key);
        for len in [0usize, 1, 55, 56, 63, 64, 65, 1300] {
            let data: Vec<u8> = (0..len).map(|i| i as u8).collect();
            assert_eq!(prepared.mac(&data), hmac_sha1(&key, &data), "length {len}");
        }
        // RFC 2202 test case 1: key 0x0b × 20, "Hi There".
        let mac = HmacSha1Key::new(&[0x0b; 20]).mac(b"Hi There");
        assert_eq!(mac[..4], [0xb6, 0x17, 0x31, 0x86]);
        assert_eq!(format!("{prepared:?}"), "HmacSha1Key(<redacted>)");
    }
}
