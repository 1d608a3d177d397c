//! Snapshot tests: every type that holds a secret prints without it.
//!
//! Each snapshot is the exact `Debug` output (secrets replaced by fixed
//! markers), and each test also checks that no secret byte string appears in
//! it, in hex or decimal.

use std::sync::OnceLock;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use crate::ake::AkeKeys;
use crate::ake::Exchange;
use crate::dh::DhKeyPair;
use crate::event::{Event, ExtraKey};
use crate::identity::DsaSigningKey;
use crate::session_keys::SessionKeys;

fn key() -> &'static DsaSigningKey {
    static KEY: OnceLock<DsaSigningKey> = OnceLock::new();
    KEY.get_or_init(|| DsaSigningKey::generate(&mut ChaCha20Rng::seed_from_u64(77)).unwrap())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn assert_no_secret(debug: &str, secret: &[u8]) {
    if secret.len() >= 4 {
        assert!(!debug.contains(&hex(secret)), "{debug}");
        assert!(
            !debug.to_uppercase().contains(&hex(secret).to_uppercase()),
            "{debug}"
        );
        let decimal = format!("{:?}", &secret[..4]);
        assert!(!debug.contains(&decimal[1..decimal.len() - 1]), "{debug}");
    }
}

#[test]
fn dh_key_pair_and_shared_secret_print_no_secret() {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let a = DhKeyPair::generate(&mut rng);
    let b = DhKeyPair::generate(&mut rng);
    let s = a.shared_secret(b.public());
    let debug = format!("{a:?}");
    assert!(
        debug.starts_with("DhKeyPair { public: GroupElement("),
        "{debug}"
    );
    assert!(debug.ends_with(", .. }"), "{debug}");
    assert_eq!(format!("{s:?}"), "SharedSecret(..)");
}

#[test]
fn ake_and_session_keys_print_only_public_fields() {
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let a = DhKeyPair::generate(&mut rng);
    let b = DhKeyPair::generate(&mut rng);
    let s = a.shared_secret(b.public());
    let ake = AkeKeys::derive(&s);
    let debug = format!("{ake:?}");
    assert_eq!(
        debug,
        format!("AkeKeys {{ ssid: SecureSessionId({}), .. }}", ake.ssid)
    );
    for secret in [
        &ake.c[..],
        &ake.c_prime,
        &ake.m1,
        &ake.m2,
        &ake.m1_prime,
        &ake.m2_prime,
    ] {
        assert_no_secret(&debug, secret);
    }
    let keys = SessionKeys::derive(&s, true);
    let debug = format!("{keys:?}");
    assert_eq!(
        debug,
        "SessionKeys { send_counter: 0, recv_counter: 0, .. }"
    );
}

#[test]
fn signing_key_and_components_redact_x() {
    let k = key();
    let debug = format!("{k:?}");
    assert_eq!(
        debug,
        format!("DsaSigningKey {{ fingerprint: {:?}, .. }}", k.fingerprint())
    );
    let components = k.components();
    let debug = format!("{components:?}");
    assert!(debug.contains("x: \"<redacted>\""), "{debug}");
    assert_no_secret(&debug, components.x());
}

#[test]
fn extra_key_and_its_event_redact_the_key() {
    let key = ExtraKey(zeroize::Zeroizing::new([0xabu8; 32]));
    assert_eq!(format!("{key:?}"), "ExtraKey(..)");
    let event = Event::ExtraSymmetricKey {
        use_id: 1,
        use_data: b"x".to_vec(),
        key,
    };
    let debug = format!("{event:?}");
    assert_eq!(
        debug,
        "ExtraSymmetricKey { use_id: 1, use_data: [120], .. }"
    );
    assert_no_secret(&debug, &[0xab; 32]);
}

#[test]
fn smp_secret_and_auth_state_print_no_secret() {
    let secret = otr_smp::SmpSecret::derive(&[1; 20], &[2; 20], &[3; 8], b"hunter2");
    assert_eq!(format!("{secret:?}"), "SmpSecret(<redacted>)");
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let mut auth = Exchange::None;
    let _ = auth.start(crate::ake::AkeEnv {
        our_key: key(),
        rng: &mut rng,
        header: otr_wire::Header::V2,
        seen_keys: &crate::trust::KnownFingerprints::default(),
    });
    assert_eq!(format!("{auth:?}"), "Exchange::AwaitingDhKey");
}

#[test]
fn prepared_cipher_and_mac_keys_print_no_secret() {
    let aes = [0x5au8; 16];
    let mac = [0xa5u8; 20];
    let cipher = format!("{:?}", crate::aes_ctr::CtrKey::new(&aes));
    let hmac = format!("{:?}", crate::mac::HmacSha1Key::new(&mac));
    assert_eq!(cipher, "CtrKey(<redacted>)");
    assert_eq!(hmac, "HmacSha1Key(<redacted>)");
    assert_no_secret(&cipher, &aes);
    assert_no_secret(&hmac, &mac);
}
