//! The keys of one (our DH key, their DH key) pair in the data phase
//! (`otrl_dh_session`): with `h1(b) = SHA-1(b ‖ secbytes)`, the side whose
//! public key is larger sends with byte 0x01 and receives with 0x02 (the
//! other side the reverse); AES key = h1(byte)[0..16], MAC key = SHA-1(AES
//! key), extra symmetric key = SHA-256(0xFF ‖ secbytes). The AES keys are
//! kept raw (expanded per message); the MAC keys prepared for HMAC.

use core::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::dh::SharedSecret;
use crate::mac::{HmacSha1Key, sha1, sha256};

/// Session keys and counters for one key pair.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct SessionKeys {
    /// AES key for messages we send.
    pub send_aes: [u8; 16],
    /// AES key for messages we receive.
    pub recv_aes: [u8; 16],
    /// MAC key for messages we receive.
    pub recv_mac: [u8; 20],
    /// The extra symmetric key of this pair.
    pub extra: [u8; 32],
    /// `send_mac` prepared for HMAC (zeroized on drop by the `sha1` crate).
    #[zeroize(skip)]
    pub send_hmac: HmacSha1Key,
    /// `recv_mac` prepared for HMAC (zeroized on drop by the `sha1` crate).
    #[zeroize(skip)]
    pub recv_hmac: HmacSha1Key,
    /// The top half of the last counter we sent (0 before the first message).
    #[zeroize(skip)]
    pub send_counter: u64,
    /// The top half of the last counter we accepted (0 before the first).
    #[zeroize(skip)]
    pub recv_counter: u64,
    /// Whether `recv_mac` has verified a message (only then is it revealed
    /// when the pair is forgotten).
    #[zeroize(skip)]
    pub recv_mac_used: bool,
}

impl SessionKeys {
    /// Derives the keys; `we_are_high` says whether our public key is the
    /// larger one.
    #[must_use]
    pub fn derive(secret: &SharedSecret, we_are_high: bool) -> Self {
        let (send_byte, recv_byte) = if we_are_high {
            (0x01, 0x02)
        } else {
            (0x02, 0x01)
        };
        let aes = |b: u8| {
            let mut h = sha1(&[&[b], secret.secbytes()]);
            let mut key = [0u8; 16];
            key.copy_from_slice(h.get(..16).unwrap_or(&[0; 16]));
            h.zeroize();
            key
        };
        let send_aes = aes(send_byte);
        let recv_aes = aes(recv_byte);
        let mut send_mac = sha1(&[&send_aes]);
        let recv_mac = sha1(&[&recv_aes]);
        let send_hmac = HmacSha1Key::new(&send_mac);
        // Only the receiving MAC key is ever revealed; the sending one is
        // kept only as its HMAC chaining values.
        send_mac.zeroize();
        Self {
            send_hmac,
            recv_hmac: HmacSha1Key::new(&recv_mac),
            recv_mac,
            send_aes,
            recv_aes,
            extra: sha256(&[&[0xff], secret.secbytes()]),
            send_counter: 0,
            recv_counter: 0,
            recv_mac_used: false,
        }
    }
}

impl SessionKeys {
    /// The MAC key for messages we send (`SHA-1(send_aes)`), for tests that
    /// forge messages.
    #[cfg(test)]
    pub fn send_mac(&self) -> [u8; 20] {
        sha1(&[&self.send_aes])
    }
}

impl fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionKeys")
            .field("send_counter", &self.send_counter)
            .field("recv_counter", &self.recv_counter)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dh::DhKeyPair;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn the_two_sides_mirror_each_other() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let a = DhKeyPair::generate(&mut rng);
        let b = DhKeyPair::generate(&mut rng);
        let a_high = a.public().as_uint() > b.public().as_uint();
        let ka = SessionKeys::derive(&a.shared_secret(b.public()), a_high);
        let kb = SessionKeys::derive(&b.shared_secret(a.public()), !a_high);
        assert_eq!(ka.send_aes, kb.recv_aes);
        assert_eq!(ka.recv_mac, kb.send_mac());
        assert_eq!(ka.extra, kb.extra);
        assert_ne!(ka.send_aes, ka.recv_aes);
        assert_eq!(
            format!("{ka:?}"),
            "SessionKeys { send_counter: 0, recv_counter: 0, .. }"
        );
    }
}
