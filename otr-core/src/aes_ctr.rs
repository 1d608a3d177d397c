//! AES-128 in counter mode, as OTR uses it: a 16-byte big-endian counter
//! block whose top 8 bytes come from the message (data messages) or are zero
//! (the AKE).

use core::fmt;

use aes::Aes128Enc;
use ctr::CtrCore;
use ctr::cipher::{InnerIvInit, KeyInit, StreamCipher, StreamCipherCoreWrapper};
use ctr::flavors::Ctr128BE;

/// An AES-128 key expanded once for counter mode (a data-message key is
/// used for every message of its key pair). The round keys are zeroized on
/// drop by the `aes` crate.
#[derive(Clone)]
pub struct CtrKey(Aes128Enc);

impl CtrKey {
    /// Expands `key`.
    #[must_use]
    pub fn new(key: &[u8; 16]) -> Self {
        Self(Aes128Enc::new(key.into()))
    }

    /// Encrypts or decrypts `data` in place, starting from the counter block
    /// `top ‖ 0^8`.
    pub fn apply(&self, top: [u8; 8], data: &mut [u8]) {
        let mut iv = [0u8; 16];
        if let Some(head) = iv.get_mut(..8) {
            head.copy_from_slice(&top);
        }
        let core = CtrCore::<&Aes128Enc, Ctr128BE>::inner_iv_init(&self.0, (&iv).into());
        let mut cipher = StreamCipherCoreWrapper::from_core(core);
        cipher.apply_keystream(data);
    }
}

impl fmt::Debug for CtrKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CtrKey(<redacted>)")
    }
}

/// Encrypts or decrypts `data` in place with `key`, starting from the counter
/// block `top ‖ 0^8`.
pub fn apply_aes128_ctr(key: &[u8; 16], top: [u8; 8], data: &mut [u8]) {
    CtrKey::new(key).apply(top, data);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_counter_matters() {
        let key = [7u8; 16];
        let mut data = *b"attack at dawn, attack at dusk!!";
        apply_aes128_ctr(&key, [0; 8], &mut data);
        let once = data;
        apply_aes128_ctr(&key, [0; 8], &mut data);
        assert_eq!(&data, b"attack at dawn, attack at dusk!!");
        apply_aes128_ctr(&key, [0, 0, 0, 0, 0, 0, 0, 1], &mut data);
        assert_ne!(data, once);
    }

    #[test]
    fn fips_197_aes128_ctr_first_block() {
        // NIST SP 800-38A F.5.1 uses a non-zero IV; check the zero-counter block
        // against AES-128(key, 0) instead: key 000102..0f, block 0 → c6a13b37878f5b826f4f8162a1c8d879.
        let key: [u8; 16] = core::array::from_fn(|i| i as u8);
        let mut block = [0u8; 16];
        apply_aes128_ctr(&key, [0; 8], &mut block);
        assert_eq!(block[..4], [0xc6, 0xa1, 0x3b, 0x37]);
    }
}
