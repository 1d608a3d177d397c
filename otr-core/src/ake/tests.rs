//! The AKE's state machine, message by message: collisions, duplicates,
//! forged and reflected messages, boundaries, and what each leaves behind.

use super::*;
use crate::aes_ctr::apply_aes128_ctr;
use crate::dh::test_values::{out_of_range, p_minus};
use crate::mac::{hmac_sha256_160, sha256};
use crate::trust::{KnownFingerprints, Trust};
use otr_wire::Mpi;
use otr_wire::ake::encrypted_signature_mac_input;
use otr_wire::{DecodedMessage, InstanceTag};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use std::sync::OnceLock;

/// An [`AkeOutput`] taken apart, for assertions on each part.
struct Out {
    reply: Option<Vec<u8>>,
    success: Option<Box<AkeSuccess>>,
    failure: Option<AkeFailure>,
    reflected: bool,
}

trait Parts {
    fn parts(self) -> Out;
}

impl Parts for AkeOutput {
    fn parts(self) -> Out {
        let mut out = Out {
            reply: None,
            success: None,
            failure: None,
            reflected: false,
        };
        match self {
            AkeOutput::Ignored => {}
            AkeOutput::Reply(m) => out.reply = Some(m),
            AkeOutput::Completed { reply, success } => {
                out.reply = reply;
                out.success = Some(success);
            }
            AkeOutput::Rejected(f) => out.failure = Some(f),
            AkeOutput::Reflected => out.reflected = true,
        }
        out
    }
}

/// `MPI(value)` bytes.
fn mpi_bytes(minimal: &[u8]) -> Vec<u8> {
    super::awaiting_dh_key::mpi_encoding(minimal)
}

/// The value of a buffer holding one MPI.
fn mpi_value(mpi: &[u8]) -> &[u8] {
    &mpi[4..]
}

/// Our identity block, from MPI-encoded DH values (own first).
fn signed_identity_block<R: CryptoRng + ?Sized>(
    our_key: &DsaSigningKey,
    rng: &mut R,
    m1: &[u8; 32],
    m2: &[u8; 32],
    c: &[u8; 16],
    own_dh_mpi: &[u8],
    peer_dh_mpi: &[u8],
) -> (Vec<u8>, [u8; 20]) {
    super::identity_block::sign(
        our_key,
        rng,
        &super::identity_block::BlockKeys { c, m1, m2 },
        mpi_value(own_dh_mpi),
        mpi_value(peer_dh_mpi),
    )
}

/// Checks a buddy's identity block, from MPI-encoded DH values (theirs first).
fn verify_identity_block(
    c: &[u8; 16],
    m1: &[u8; 32],
    encrypted: &[u8],
    their_dh_mpi: &[u8],
    our_dh_mpi: &[u8],
    seen_keys: &KnownFingerprints,
) -> Result<(DsaVerifyingKey, u32), AkeFailure> {
    super::identity_block::verify(
        c,
        m1,
        encrypted,
        mpi_value(their_dh_mpi),
        mpi_value(our_dh_mpi),
        seen_keys,
    )
}

fn keys() -> &'static (DsaSigningKey, DsaSigningKey) {
    static KEYS: OnceLock<(DsaSigningKey, DsaSigningKey)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        (
            DsaSigningKey::generate(&mut rng).unwrap(),
            DsaSigningKey::generate(&mut rng).unwrap(),
        )
    })
}

fn header(sender: u32, receiver: u32) -> Header {
    Header::V3 {
        sender: InstanceTag::new(sender).unwrap(),
        receiver: InstanceTag::new(receiver),
    }
}

fn decode(wire: &[u8]) -> Vec<u8> {
    armor::decode(wire).unwrap()
}

fn body(bytes: &[u8]) -> DecodedMessage<'_> {
    EncodedMessage::decode(bytes).unwrap()
}

struct Run {
    rng: ChaCha20Rng,
    bob: Exchange,
    alice: Exchange,
    /// The exchange's messages so far (decoded, not armoured); empty
    /// until sent.
    commit: Vec<u8>,
    dh_key: Vec<u8>,
    reveal: Vec<u8>,
}

/// Hands `bytes` (a decoded AKE message) to `state`'s handler for its type.
fn deliver(
    state: &mut Exchange,
    our_key: &DsaSigningKey,
    our_header: Header,
    rng: &mut ChaCha20Rng,
    bytes: &[u8],
) -> Out {
    let d = body(bytes);
    let env = AkeEnv {
        our_key,
        rng,
        header: our_header,
        seen_keys: &KnownFingerprints::default(),
    };
    match d.message.body {
        MessageBody::DhCommit(c) => state.handle_commit(env, &c).parts(),
        MessageBody::DhKey(k) => state.handle_dh_key(env, &k).parts(),
        MessageBody::RevealSignature(r) => state
            .handle_reveal_signature(env, &r, d.authenticated)
            .parts(),
        MessageBody::Signature(s) => state
            .handle_signature(
                our_header.version(),
                &s,
                d.authenticated,
                &KnownFingerprints::default(),
            )
            .parts(),
        _ => panic!("not an AKE message"),
    }
}

fn to_alice(run: &mut Run, bytes: &[u8]) -> Out {
    deliver(
        &mut run.alice,
        &keys().0,
        header(0x100, 0x200),
        &mut run.rng,
        bytes,
    )
}

fn to_bob(run: &mut Run, bytes: &[u8]) -> Out {
    deliver(
        &mut run.bob,
        &keys().1,
        header(0x200, 0x100),
        &mut run.rng,
        bytes,
    )
}

/// Bob (initiator) has sent his D-H Commit; Alice has seen nothing.
fn run_to_commit(seed: u64) -> Run {
    let (_, bob_key) = keys();
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut bob = Exchange::None;
    let commit = decode(&bob.start(AkeEnv {
        our_key: bob_key,
        rng: &mut rng,
        header: header(0x200, 0),
        seen_keys: &KnownFingerprints::default(),
    }));
    Run {
        rng,
        bob,
        alice: Exchange::None,
        commit,
        dh_key: Vec::new(),
        reveal: Vec::new(),
    }
}

/// Up to Alice's D-H Key (Alice in AWAITING_REVEALSIG, Bob in AWAITING_DHKEY).
fn run_to_dh_key(seed: u64) -> Run {
    let mut run = run_to_commit(seed);
    let commit = run.commit.clone();
    run.dh_key = decode(&to_alice(&mut run, &commit).reply.unwrap());
    run
}

/// Up to Bob's Reveal Signature (Alice in AWAITING_REVEALSIG, Bob in AWAITING_SIG).
fn run_to_reveal_seeded(seed: u64) -> Run {
    let mut run = run_to_dh_key(seed);
    let dh_key = run.dh_key.clone();
    run.reveal = decode(&to_bob(&mut run, &dh_key).reply.unwrap());
    run
}

/// An exchange in which Bob signs with `bob_key`; Alice knows `seen`.
/// Returns what Alice's handling of Bob's Reveal Signature produced and
/// her auth state name after it.
fn alice_receives_reveal_signed_by(
    bob_key: &DsaSigningKey,
    seen: &KnownFingerprints,
) -> (Out, AuthState) {
    let mut rng = ChaCha20Rng::seed_from_u64(44);
    let mut bob = Exchange::None;
    let commit = decode(&bob.start(AkeEnv {
        our_key: bob_key,
        rng: &mut rng,
        header: header(0x200, 0),
        seen_keys: &KnownFingerprints::default(),
    }));
    let mut alice = Exchange::None;
    let dh_key = decode(
        &deliver(
            &mut alice,
            &keys().0,
            header(0x100, 0x200),
            &mut rng,
            &commit,
        )
        .reply
        .unwrap(),
    );
    let reveal = decode(
        &deliver(&mut bob, bob_key, header(0x200, 0x100), &mut rng, &dh_key)
            .reply
            .unwrap(),
    );
    let d = body(&reveal);
    let MessageBody::RevealSignature(r) = d.message.body else {
        panic!("a Reveal Signature")
    };
    let out = alice
        .handle_reveal_signature(
            AkeEnv {
                our_key: &keys().0,
                rng: &mut rng,
                header: header(0x100, 0x200),
                seen_keys: seen,
            },
            &r,
            d.authenticated,
        )
        .parts();
    (out, alice.state())
}

#[test]
fn a_weak_buddy_key_is_refused_before_the_exchange_succeeds() {
    use crate::identity::dsa_group_weak_keys as weak;
    // q composite, g of order 3: anyone with x = 1 has this key.
    let weak_key = DsaSigningKey::from_components_unvalidated(
        &weak::bytes(weak::P_1_MOD_3),
        &weak::bytes(weak::Q_MULTIPLE_OF_3),
        &weak::bytes(weak::G_ORDER_3),
        &[1],
    )
    .unwrap();
    let (out, state) = alice_receives_reveal_signed_by(&weak_key, &KnownFingerprints::default());
    assert_eq!(out.failure, Some(AkeFailure::WeakKey));
    assert!(
        out.success.is_none() && out.reply.is_none(),
        "no Signature goes back"
    );
    assert_eq!(
        state,
        AuthState::AwaitingRevealSig,
        "the exchange is left as it was"
    );
    // A sound key passes the same path.
    let (out, _) = alice_receives_reveal_signed_by(&keys().1, &KnownFingerprints::default());
    assert!(out.success.is_some());
    // A key the session already knows is not validated again.
    let seen: KnownFingerprints = [(weak_key.fingerprint(), Trust::Untrusted)]
        .into_iter()
        .collect();
    let (out, _) = alice_receives_reveal_signed_by(&weak_key, &seen);
    assert!(out.success.is_some(), "validated once, when first seen");
}

/// Bob (initiator) and Alice (responder) up to Bob's Reveal Signature.
fn run_to_reveal() -> Run {
    run_to_reveal_seeded(11)
}

/// Delivers the genuine Reveal Signature and the Signature it brings:
/// both sides must succeed with the same SSID. Returns the Signature.
fn finish(run: &mut Run) -> Vec<u8> {
    let reveal = run.reveal.clone();
    let out = to_alice(run, &reveal);
    let alice_done = out.success.expect("Alice completes");
    let signature = decode(&out.reply.unwrap());
    let out = to_bob(run, &signature);
    let bob_done = out.success.expect("Bob completes");
    assert_eq!(alice_done.ssid, bob_done.ssid);
    assert_eq!(run.alice.state(), AuthState::None);
    assert_eq!(run.bob.state(), AuthState::None);
    signature
}

/// The four messages of a whole genuine exchange started from `seed`.
struct Transcript {
    dh_key: Vec<u8>,
    reveal: Vec<u8>,
    signature: Vec<u8>,
}

fn transcript(seed: u64) -> Transcript {
    let mut run = run_to_reveal_seeded(seed);
    let signature = finish(&mut run);
    Transcript {
        dh_key: run.dh_key,
        reveal: run.reveal,
        signature,
    }
}

/// Everything an auth state holds, in comparable form (a DH key pair by
/// its public value, which its secret determines).
#[derive(Debug, PartialEq, Eq)]
enum Snapshot {
    None,
    AwaitingDhKey {
        version: ProtocolVersion,
        our_dh: Vec<u8>,
        r: [u8; 16],
        hashed_gx: [u8; 32],
        commit: Vec<u8>,
    },
    AwaitingRevealSig {
        version: ProtocolVersion,
        our_dh: Vec<u8>,
        their_encrypted_gx: Vec<u8>,
        their_hashed_gx: [u8; 32],
        dh_key: Vec<u8>,
    },
    AwaitingSig {
        version: ProtocolVersion,
        our_dh: Vec<u8>,
        their_gy: Vec<u8>,
        keys: Vec<u8>,
        reveal_signature: Vec<u8>,
    },
}

fn snapshot(state: &Exchange) -> Snapshot {
    match state {
        Exchange::None => Snapshot::None,
        Exchange::AwaitingDhKey(s) => Snapshot::AwaitingDhKey {
            version: s.version,
            our_dh: s.our_dh.public_bytes(),
            r: *s.r,
            hashed_gx: s.hashed_gx,
            commit: s.commit_message(),
        },
        Exchange::AwaitingRevealSig(s) => Snapshot::AwaitingRevealSig {
            version: s.version,
            our_dh: s.our_dh.public_bytes(),
            their_encrypted_gx: s.their_encrypted_gx.clone(),
            their_hashed_gx: s.their_hashed_gx,
            dh_key: s.dh_key.clone(),
        },
        Exchange::AwaitingSig(s) => Snapshot::AwaitingSig {
            version: s.version,
            our_dh: s.our_dh.public_bytes(),
            their_gy: s.their_gy.to_minimal_bytes(),
            keys: [
                &s.keys.ssid.0[..],
                &s.keys.c,
                &s.keys.c_prime,
                &s.keys.m1,
                &s.keys.m2,
                &s.keys.m1_prime,
                &s.keys.m2_prime,
            ]
            .concat(),
            reveal_signature: s.reveal_signature.clone(),
        },
    }
}

/// Asserts that a handler produced nothing at all.
fn assert_ignored(out: &Out, what: &str) {
    assert!(out.reply.is_none(), "{what}: no reply");
    assert!(out.success.is_none(), "{what}: no success");
    assert_eq!(out.failure, None, "{what}: no failure reported");
    assert!(!out.reflected, "{what}: not flagged as reflected");
}

/// Asserts a rejection: exactly `failure`, nothing sent, nothing secure.
fn assert_rejected(out: &Out, failure: AkeFailure, what: &str) {
    assert_eq!(out.failure, Some(failure), "{what}");
    assert!(out.reply.is_none(), "{what}: no reply");
    assert!(out.success.is_none(), "{what}: no success");
}

fn deliver_reveal(run: &mut Run, bytes: &[u8]) -> Out {
    let (alice_key, _) = keys();
    let d = body(bytes);
    let MessageBody::RevealSignature(r) = d.message.body else {
        panic!()
    };
    run.alice
        .handle_reveal_signature(
            AkeEnv {
                our_key: alice_key,
                rng: &mut run.rng,
                header: header(0x100, 0x200),
                seen_keys: &KnownFingerprints::default(),
            },
            &r,
            d.authenticated,
        )
        .parts()
}

#[test]
fn a_full_exchange_agrees_on_keys_and_identities() {
    let mut run = run_to_reveal();
    let reveal = run.reveal.clone();
    let out = deliver_reveal(&mut run, &reveal);
    let alice_done = out.success.unwrap();
    let sig = decode(&out.reply.unwrap());
    let d = body(&sig);
    let MessageBody::Signature(s) = d.message.body else {
        panic!()
    };
    let out = run
        .bob
        .handle_signature(
            ProtocolVersion::V3,
            &s,
            d.authenticated,
            &KnownFingerprints::default(),
        )
        .parts();
    let bob_done = out.success.unwrap();
    assert_eq!(alice_done.ssid, bob_done.ssid);
    assert_eq!(alice_done.their_key.fingerprint(), keys().1.fingerprint());
    assert_eq!(bob_done.their_key.fingerprint(), keys().0.fingerprint());
    assert!(bob_done.first_half_bold && !alice_done.first_half_bold);
    assert_eq!(run.alice.state(), AuthState::None);
    assert_eq!(run.bob.state(), AuthState::None);
}

#[test]
fn one_bit_flipped_in_mac_m2_is_rejected_and_the_genuine_message_still_works() {
    let mut run = run_to_reveal();
    let mut forged = run.reveal.clone();
    let last = forged.len() - 1;
    forged[last] ^= 0x01;
    let out = deliver_reveal(&mut run, &forged);
    assert_eq!(out.failure, Some(AkeFailure::BadMac));
    assert!(out.success.is_none() && out.reply.is_none());
    assert_eq!(
        run.alice.state(),
        AuthState::AwaitingRevealSig,
        "auth state unchanged"
    );
    let genuine = run.reveal.clone();
    assert!(deliver_reveal(&mut run, &genuine).success.is_some());
}

#[test]
fn reveal_signature_whose_gx_does_not_match_the_commit_is_ignored() {
    let mut run = run_to_reveal();
    let mut forged = run.reveal.clone();
    forged[15] ^= 0x80; // inside the revealed key r
    let out = deliver_reveal(&mut run, &forged);
    assert_eq!(out.failure, Some(AkeFailure::CommitMismatch));
    assert_eq!(run.alice.state(), AuthState::AwaitingRevealSig);
}

/// Re-encrypts a forged identity block X with the exchange's real keys
/// (so the MAC verifies) and delivers it.
fn deliver_forged_identity(run: &mut Run, x: &[u8]) -> Out {
    let Exchange::AwaitingSig(bob) = &run.bob else {
        panic!()
    };
    let mut enc = x.to_vec();
    apply_aes128_ctr(&bob.keys.c, [0; 8], &mut enc);
    let mac = hmac_sha256_160(&bob.keys.m2, &encrypted_signature_mac_input(&enc));
    let d = body(&run.reveal);
    let MessageBody::RevealSignature(r) = d.message.body else {
        panic!()
    };
    let forged = EncodedMessage {
        header: d.message.header,
        body: MessageBody::RevealSignature(RevealSignature {
            revealed_key: r.revealed_key,
            encrypted_signature: &enc,
            mac,
        }),
    }
    .encode()
    .unwrap();
    deliver_reveal(run, &forged)
}

fn real_identity_block(run: &Run) -> Vec<u8> {
    let Exchange::AwaitingSig(bob) = &run.bob else {
        panic!()
    };
    let d = body(&run.reveal);
    let MessageBody::RevealSignature(r) = d.message.body else {
        panic!()
    };
    let mut x = r.encrypted_signature.to_vec();
    apply_aes128_ctr(&bob.keys.c, [0; 8], &mut x);
    x
}

#[test]
fn good_mac_but_bad_dsa_signature_is_rejected_and_authstate_unchanged() {
    let mut run = run_to_reveal();
    let before = snapshot(&run.alice);
    let mut x = real_identity_block(&run);
    let n = x.len();
    x[n - 1] ^= 1; // s
    let out = deliver_forged_identity(&mut run, &x);
    assert_rejected(&out, AkeFailure::BadSignature, "bad DSA signature");
    assert_eq!(snapshot(&run.alice), before, "auth state unchanged");
    // Nothing secure followed: the genuine exchange still completes on both sides.
    finish(&mut run);
}

#[test]
fn signature_length_other_than_40_pubkey_type_not_0_or_keyid_0_is_rejected() {
    let run0 = run_to_reveal();
    let x = real_identity_block(&run0);
    let n = x.len();
    let mut cases = Vec::new();
    cases.push(x[..n - 1].to_vec()); // 39-byte signature
    let mut longer = x.clone();
    longer.push(0);
    cases.push(longer); // 41
    let mut typed = x.clone();
    typed[1] = 1; // pubkey type 1
    cases.push(typed);
    let mut keyid0 = x.clone();
    keyid0[n - 44..n - 40].copy_from_slice(&[0, 0, 0, 0]);
    cases.push(keyid0);
    for forged in cases {
        let mut run = run_to_reveal();
        let out = deliver_forged_identity(&mut run, &forged);
        assert_eq!(out.failure, Some(AkeFailure::BadIdentity));
        assert_eq!(run.alice.state(), AuthState::AwaitingRevealSig);
    }
}

#[test]
fn dsa_key_with_a_16_kbit_p_or_degenerate_parts_is_rejected_cheaply() {
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let big_p = vec![0xffu8; 2048];
    for (p, q, g, y) in [
        (&big_p[..], &[0x80u8; 20][..], &[2u8][..], &[3u8][..]),
        (&[0xc5u8; 128][..], &[][..], &[2u8][..], &[3u8][..]),
        (
            &[0xc5u8; 128][..],
            &[0x80u8; 20][..],
            &[1u8][..],
            &[3u8][..],
        ),
        (&[0xc5u8; 128][..], &[0x80u8; 20][..], &[2u8][..], &[][..]),
    ] {
        let key = otr_wire::DsaPublicKey {
            p: Mpi::trimmed(p),
            q: Mpi::trimmed(q),
            g: Mpi::trimmed(g),
            y: Mpi::trimmed(y),
        };
        let mut x = key.to_bytes();
        x.extend(AKE_KEYID.to_be_bytes());
        let mut sig = [0u8; 40];
        rng.fill_bytes(&mut sig);
        x.extend(sig);
        let mut run = run_to_reveal();
        let start = std::time::Instant::now();
        let out = deliver_forged_identity(&mut run, &x);
        assert_eq!(out.failure, Some(AkeFailure::BadIdentity));
        assert!(start.elapsed() < std::time::Duration::from_secs(1));
    }
}

#[test]
fn identical_duplicate_dh_key_resends_the_reveal_signature_and_another_is_ignored() {
    let (alice_key, bob_key) = keys();
    let mut rng = ChaCha20Rng::seed_from_u64(12);
    let mut bob = Exchange::None;
    let commit = decode(&bob.start(AkeEnv {
        our_key: bob_key,
        rng: &mut rng,
        header: header(0x200, 0),
        seen_keys: &KnownFingerprints::default(),
    }));
    let MessageBody::DhCommit(c) = body(&commit).message.body else {
        panic!()
    };
    let mut alice = Exchange::None;
    let k1 = decode(
        &alice
            .handle_commit(
                AkeEnv {
                    our_key: alice_key,
                    rng: &mut rng,
                    header: header(0x100, 0x200),
                    seen_keys: &KnownFingerprints::default(),
                },
                &c,
            )
            .parts()
            .reply
            .unwrap(),
    );
    let MessageBody::DhKey(k) = body(&k1).message.body else {
        panic!()
    };
    let first = bob
        .handle_dh_key(
            AkeEnv {
                our_key: bob_key,
                rng: &mut rng,
                header: header(0x200, 0x100),
                seen_keys: &KnownFingerprints::default(),
            },
            &k,
        )
        .parts()
        .reply
        .unwrap();
    let again = bob
        .handle_dh_key(
            AkeEnv {
                our_key: bob_key,
                rng: &mut rng,
                header: header(0x200, 0x100),
                seen_keys: &KnownFingerprints::default(),
            },
            &k,
        )
        .parts()
        .reply
        .unwrap();
    assert_eq!(first, again);
    let other = DhKey {
        gy: Mpi::trimmed(&[5]),
    };
    let out = bob
        .handle_dh_key(
            AkeEnv {
                our_key: bob_key,
                rng: &mut rng,
                header: header(0x200, 0x100),
                seen_keys: &KnownFingerprints::default(),
            },
            &other,
        )
        .parts();
    assert!(out.reply.is_none() && out.failure.is_none());
    assert_eq!(bob.state(), AuthState::AwaitingSig);
}

#[test]
fn commit_collision_higher_hash_wins() {
    let (alice_key, bob_key) = keys();
    let mut rng = ChaCha20Rng::seed_from_u64(13);
    let mut a = Exchange::None;
    let mut b = Exchange::None;
    let ca = decode(&a.start(AkeEnv {
        our_key: alice_key,
        rng: &mut rng,
        header: header(0x100, 0),
        seen_keys: &KnownFingerprints::default(),
    }));
    let cb = decode(&b.start(AkeEnv {
        our_key: bob_key,
        rng: &mut rng,
        header: header(0x200, 0),
        seen_keys: &KnownFingerprints::default(),
    }));
    let MessageBody::DhCommit(ca_m) = body(&ca).message.body else {
        panic!()
    };
    let MessageBody::DhCommit(cb_m) = body(&cb).message.body else {
        panic!()
    };
    let a_out = a
        .handle_commit(
            AkeEnv {
                our_key: alice_key,
                rng: &mut rng,
                header: header(0x100, 0x200),
                seen_keys: &KnownFingerprints::default(),
            },
            &cb_m,
        )
        .parts();
    let b_out = b
        .handle_commit(
            AkeEnv {
                our_key: bob_key,
                rng: &mut rng,
                header: header(0x200, 0x100),
                seen_keys: &KnownFingerprints::default(),
            },
            &ca_m,
        )
        .parts();
    let a_wins = ca_m.hashed_gx > cb_m.hashed_gx;
    assert_eq!(a.state() == AuthState::AwaitingDhKey, a_wins);
    assert_eq!(b.state() == AuthState::AwaitingDhKey, !a_wins);
    // The winner resends its commit; the loser answers with a D-H Key.
    let (winner_reply, loser_reply) = if a_wins {
        (a_out, b_out)
    } else {
        (b_out, a_out)
    };
    assert_eq!(
        decode(&winner_reply.reply.unwrap()),
        if a_wins { ca } else { cb }
    );
    let loser = decode(&loser_reply.reply.unwrap());
    assert!(matches!(body(&loser).message.body, MessageBody::DhKey(_)));
}

#[test]
fn committed_gx_out_of_range_is_rejected_at_the_reveal_and_authstate_unchanged() {
    let (alice_key, _) = keys();
    let p = otr_smp::group::MODULUS;
    let minus = |k: u64| {
        otr_smp::group::minimal_be_bytes(&p.wrapping_sub(&crypto_bigint::U1536::from_u64(k)))
    };
    let mut two_pow_2000 = vec![1u8];
    two_pow_2000.extend([0u8; 250]);
    let mut p_plus_1 = vec![1u8];
    p_plus_1.extend([0u8; 192]); // 2^1536 > p + 1
    for bad in [vec![], vec![1], minus(1), minus(0), p_plus_1, two_pow_2000] {
        let mut rng = ChaCha20Rng::seed_from_u64(21);
        let r = [9u8; 16];
        let gx_mpi = mpi_bytes(&bad);
        let mut enc = gx_mpi.clone();
        apply_aes128_ctr(&r, [0; 8], &mut enc);
        let commit = DhCommit {
            encrypted_gx: &enc,
            hashed_gx: sha256(&[&gx_mpi]),
        };
        let mut alice = Exchange::None;
        let out = alice
            .handle_commit(
                AkeEnv {
                    our_key: alice_key,
                    rng: &mut rng,
                    header: header(0x100, 0x200),
                    seen_keys: &KnownFingerprints::default(),
                },
                &commit,
            )
            .parts();
        assert!(out.reply.is_some());
        let reveal = RevealSignature {
            revealed_key: r,
            encrypted_signature: &[1, 2, 3],
            mac: [0; 20],
        };
        let out = alice
            .handle_reveal_signature(
                AkeEnv {
                    our_key: alice_key,
                    rng: &mut rng,
                    header: header(0x100, 0x200),
                    seen_keys: &KnownFingerprints::default(),
                },
                &reveal,
                &encrypted_signature_mac_input(&[1, 2, 3]),
            )
            .parts();
        assert_eq!(out.failure, Some(AkeFailure::BadDhValue), "{bad:?}");
        assert_eq!(alice.state(), AuthState::AwaitingRevealSig);
    }
}

// ---- helpers for the tests below ----

/// The AKE keys for the shared secret `s`, derived here from the spec
/// (`h2(b) = SHA-256(b ‖ secbytes)`) independently of `AkeKeys::derive`.
fn ake_keys_for(s: &crypto_bigint::U1536) -> AkeKeys {
    let s = otr_smp::group::minimal_be_bytes(s);
    let mut secbytes = u32::try_from(s.len()).unwrap().to_be_bytes().to_vec();
    secbytes.extend(&s);
    let h2 = |b: u8| sha256(&[&[b], &secbytes]);
    let cc = h2(0x01);
    AkeKeys {
        ssid: SecureSessionId(h2(0x00)[..8].try_into().unwrap()),
        c: cc[..16].try_into().unwrap(),
        c_prime: cc[16..].try_into().unwrap(),
        m1: h2(0x02),
        m2: h2(0x03),
        m1_prime: h2(0x04),
        m2_prime: h2(0x05),
    }
}

/// `(AES_c(x), MAC_m(AES_c(x)))` as an encrypted-signature field and its MAC.
fn seal(c: &[u8; 16], m: &[u8; 32], x: &[u8]) -> (Vec<u8>, [u8; 20]) {
    let mut enc = x.to_vec();
    apply_aes128_ctr(c, [0; 8], &mut enc);
    let mac = hmac_sha256_160(m, &encrypted_signature_mac_input(&enc));
    (enc, mac)
}

/// Run's Reveal Signature with its header and `r`, but `enc` and `mac` given.
fn reveal_with(run: &Run, enc: &[u8], mac: [u8; 20]) -> Vec<u8> {
    let d = body(&run.reveal);
    let MessageBody::RevealSignature(r) = d.message.body else {
        panic!()
    };
    EncodedMessage {
        header: d.message.header,
        body: MessageBody::RevealSignature(RevealSignature {
            revealed_key: r.revealed_key,
            encrypted_signature: enc,
            mac,
        }),
    }
    .encode()
    .unwrap()
}

/// `genuine` (a Signature message) with `enc` and `mac` replaced.
fn signature_with(genuine: &[u8], enc: &[u8], mac: [u8; 20]) -> Vec<u8> {
    let d = body(genuine);
    EncodedMessage {
        header: d.message.header,
        body: MessageBody::Signature(SignatureMessage {
            encrypted_signature: enc,
            mac,
        }),
    }
    .encode()
    .unwrap()
}

/// Bob's `(c′, m2′)`, the keys of the Signature message he awaits.
fn bob_signature_keys(run: &Run) -> ([u8; 16], [u8; 32]) {
    let Exchange::AwaitingSig(bob) = &run.bob else {
        panic!("Bob is not in AWAITING_SIG")
    };
    (bob.keys.c_prime, bob.keys.m2_prime)
}

/// Delivers the genuine Reveal Signature to Alice; returns her Signature
/// message (Bob is then in AWAITING_SIG waiting for it).
fn alice_signature(run: &mut Run) -> Vec<u8> {
    let reveal = run.reveal.clone();
    let out = to_alice(run, &reveal);
    assert!(out.success.is_some());
    decode(&out.reply.unwrap())
}

/// X_A decrypted from a Signature message with `c′`.
fn identity_of_signature(signature: &[u8], c_prime: &[u8; 16]) -> Vec<u8> {
    let MessageBody::Signature(s) = body(signature).message.body else {
        panic!()
    };
    let mut x = s.encrypted_signature.to_vec();
    apply_aes128_ctr(c_prime, [0; 8], &mut x);
    x
}

// ---- D-H Commit in AWAITING_REVEALSIG ----

#[test]
fn identical_dh_commit_in_awaiting_revealsig_resends_the_same_dh_key_and_changes_nothing() {
    let mut run = run_to_dh_key(11);
    let before = snapshot(&run.alice);
    let Snapshot::AwaitingRevealSig {
        dh_key: sent_dh_key,
        ..
    } = &before
    else {
        panic!("Alice is not in AWAITING_REVEALSIG")
    };
    let sent_dh_key = sent_dh_key.clone();
    let commit = run.commit.clone();
    for round in 0..2 {
        let out = to_alice(&mut run, &commit);
        assert!(out.success.is_none() && out.failure.is_none() && !out.reflected);
        let reply = out.reply.expect("the D-H Key is resent");
        assert_eq!(
            reply, sent_dh_key,
            "round {round}: byte-identical armoured D-H Key"
        );
        assert_eq!(decode(&reply), run.dh_key);
        assert_eq!(
            snapshot(&run.alice),
            before,
            "round {round}: same state, same g^y"
        );
    }
    let dh_key = run.dh_key.clone();
    run.reveal = decode(&to_bob(&mut run, &dh_key).reply.unwrap());
    finish(&mut run);
}

#[test]
fn different_dh_commit_in_awaiting_revealsig_resends_the_same_dh_key_and_replaces_the_commit() {
    let mut run = run_to_dh_key(11);
    let mut other = run_to_commit(31); // another initiator with another g^x
    let Snapshot::AwaitingRevealSig {
        version,
        our_dh,
        their_hashed_gx: old_hash,
        dh_key,
        ..
    } = snapshot(&run.alice)
    else {
        panic!("Alice is not in AWAITING_REVEALSIG")
    };
    let MessageBody::DhCommit(new_commit) = body(&other.commit).message.body else {
        panic!()
    };
    assert_ne!(new_commit.hashed_gx, old_hash);
    let other_commit = other.commit.clone();
    let out = to_alice(&mut run, &other_commit);
    assert!(out.success.is_none() && out.failure.is_none() && !out.reflected);
    assert_eq!(
        out.reply.unwrap(),
        dh_key,
        "the same D-H Key, byte for byte"
    );
    // Same g^y and D-H Key; the new commitment replaces the old one.
    assert_eq!(
        snapshot(&run.alice),
        Snapshot::AwaitingRevealSig {
            version,
            our_dh,
            their_encrypted_gx: new_commit.encrypted_gx.to_vec(),
            their_hashed_gx: new_commit.hashed_gx,
            dh_key,
        }
    );
    // The first initiator's Reveal Signature no longer matches the commitment...
    let alice_dh_key = run.dh_key.clone();
    run.reveal = decode(&to_bob(&mut run, &alice_dh_key).reply.unwrap());
    let stale = run.reveal.clone();
    let replaced = snapshot(&run.alice);
    let out = to_alice(&mut run, &stale);
    assert_rejected(&out, AkeFailure::CommitMismatch, "old commitment forgotten");
    assert_eq!(snapshot(&run.alice), replaced);
    // ...and the new initiator completes with the D-H Key Alice resent.
    other.alice = core::mem::take(&mut run.alice);
    other.dh_key = alice_dh_key.clone();
    other.reveal = decode(&to_bob(&mut other, &alice_dh_key).reply.unwrap());
    finish(&mut other);
}

// ---- Signature message in AWAITING_SIG ----

#[test]
fn signature_with_bad_mac_bad_dsa_signature_or_bad_identity_leaves_awaiting_sig_unchanged() {
    let mut run = run_to_reveal();
    let genuine = alice_signature(&mut run);
    let before = snapshot(&run.bob);
    let (c_prime, m2_prime) = bob_signature_keys(&run);
    let x = identity_of_signature(&genuine, &c_prime);
    let n = x.len();
    // Control: sealing the genuine X_A again gives the genuine message.
    let (enc, mac) = seal(&c_prime, &m2_prime, &x);
    assert_eq!(signature_with(&genuine, &enc, mac), genuine);

    let mut bad_mac = genuine.clone();
    let last = bad_mac.len() - 1;
    bad_mac[last] ^= 0x01;
    let mut bad_s = x.clone();
    bad_s[n - 1] ^= 0x01;
    let mut bad_r = x.clone();
    bad_r[n - 40] ^= 0x01;
    let mut other_keyid = x.clone();
    other_keyid[n - 41] ^= 0x02; // the signature covers the key id
    let seal_x = |x: &[u8]| {
        let (enc, mac) = seal(&c_prime, &m2_prime, x);
        signature_with(&genuine, &enc, mac)
    };
    let cases = [
        (bad_mac, AkeFailure::BadMac, "one bit flipped in MAC_m2'"),
        (
            transcript(31).signature,
            AkeFailure::BadMac,
            "another exchange's Signature",
        ),
        (seal_x(&bad_s), AkeFailure::BadSignature, "good MAC, bad s"),
        (seal_x(&bad_r), AkeFailure::BadSignature, "good MAC, bad r"),
        (
            seal_x(&other_keyid),
            AkeFailure::BadSignature,
            "good MAC, key id not signed",
        ),
        (
            seal_x(&x[..n - 1]),
            AkeFailure::BadIdentity,
            "good MAC, truncated X_A",
        ),
        (
            seal_x(&[0x5a; 64]),
            AkeFailure::BadIdentity,
            "good MAC, X_A is noise",
        ),
    ];
    for (forged, failure, what) in cases {
        let out = to_bob(&mut run, &forged);
        assert_rejected(&out, failure, what);
        assert_eq!(snapshot(&run.bob), before, "{what}: AWAITING_SIG unchanged");
    }
    let out = to_bob(&mut run, &genuine);
    let done = out.success.expect("the genuine Signature still completes");
    assert_eq!(done.their_key.fingerprint(), keys().0.fingerprint());
    assert!(out.failure.is_none() && out.reply.is_none());
    assert_eq!(run.bob.state(), AuthState::None);
}

// ---- messages that do not fit the auth state ----

#[test]
fn reveal_signature_in_none_awaiting_dhkey_or_awaiting_sig_is_ignored() {
    let foreign = transcript(31);
    let (alice_key, _) = keys();
    let mut rng = ChaCha20Rng::seed_from_u64(41);

    // NONE.
    let mut none = Exchange::None;
    let out = deliver(
        &mut none,
        alice_key,
        header(0x100, 0x200),
        &mut rng,
        &foreign.reveal,
    );
    assert_ignored(&out, "Reveal Signature in NONE");
    assert_eq!(snapshot(&none), Snapshot::None);

    // AWAITING_DHKEY: a foreign one, and the very one Bob will send himself.
    let own_reveal = run_to_reveal().reveal;
    let mut run = run_to_commit(11);
    let before = snapshot(&run.bob);
    for (reveal, what) in [(&foreign.reveal, "foreign"), (&own_reveal, "own")] {
        let out = to_bob(&mut run, reveal);
        assert_ignored(&out, what);
        assert_eq!(snapshot(&run.bob), before, "AWAITING_DHKEY, {what}");
    }
    let commit = run.commit.clone();
    run.dh_key = decode(&to_alice(&mut run, &commit).reply.unwrap());
    let dh_key = run.dh_key.clone();
    run.reveal = decode(&to_bob(&mut run, &dh_key).reply.unwrap());
    assert_eq!(
        run.reveal, own_reveal,
        "the exchange went on as if nothing came"
    );
    finish(&mut run);

    // AWAITING_SIG: a foreign one, and Bob's own reflected.
    let mut run = run_to_reveal();
    let before = snapshot(&run.bob);
    let own = run.reveal.clone();
    for (reveal, what) in [(&foreign.reveal, "foreign"), (&own, "own")] {
        let out = to_bob(&mut run, reveal);
        assert_ignored(&out, what);
        assert_eq!(snapshot(&run.bob), before, "AWAITING_SIG, {what}");
    }
    finish(&mut run);
}

#[test]
fn dh_key_in_none_or_awaiting_revealsig_is_ignored() {
    let foreign = transcript(31);
    let (alice_key, _) = keys();
    let mut rng = ChaCha20Rng::seed_from_u64(42);

    let mut none = Exchange::None;
    let out = deliver(
        &mut none,
        alice_key,
        header(0x100, 0x200),
        &mut rng,
        &foreign.dh_key,
    );
    assert_ignored(&out, "D-H Key in NONE");
    assert_eq!(snapshot(&none), Snapshot::None);

    // AWAITING_REVEALSIG: a foreign D-H Key, and Alice's own reflected.
    let mut run = run_to_reveal();
    let before = snapshot(&run.alice);
    let own = run.dh_key.clone();
    for (dh_key, what) in [(&foreign.dh_key, "foreign"), (&own, "own")] {
        let out = to_alice(&mut run, dh_key);
        assert_ignored(&out, what);
        assert_eq!(snapshot(&run.alice), before, "AWAITING_REVEALSIG, {what}");
    }
    finish(&mut run);
}

#[test]
fn signature_in_none_awaiting_dhkey_or_awaiting_revealsig_is_ignored() {
    let foreign = transcript(31);
    let (alice_key, _) = keys();
    let mut rng = ChaCha20Rng::seed_from_u64(43);
    let own_signature = transcript(11).signature;

    let mut none = Exchange::None;
    let out = deliver(
        &mut none,
        alice_key,
        header(0x100, 0x200),
        &mut rng,
        &foreign.signature,
    );
    assert_ignored(&out, "Signature in NONE");
    assert_eq!(snapshot(&none), Snapshot::None);

    // AWAITING_DHKEY (Bob), then the exchange goes on.
    let mut run = run_to_commit(11);
    let before = snapshot(&run.bob);
    for (signature, what) in [(&foreign.signature, "foreign"), (&own_signature, "own")] {
        let out = to_bob(&mut run, signature);
        assert_ignored(&out, what);
        assert_eq!(snapshot(&run.bob), before, "AWAITING_DHKEY, {what}");
    }
    let commit = run.commit.clone();
    run.dh_key = decode(&to_alice(&mut run, &commit).reply.unwrap());
    let dh_key = run.dh_key.clone();
    run.reveal = decode(&to_bob(&mut run, &dh_key).reply.unwrap());
    finish(&mut run);

    // AWAITING_REVEALSIG (Alice), then the exchange goes on.
    let mut run = run_to_reveal();
    let before = snapshot(&run.alice);
    for (signature, what) in [(&foreign.signature, "foreign"), (&own_signature, "own")] {
        let out = to_alice(&mut run, signature);
        assert_ignored(&out, what);
        assert_eq!(snapshot(&run.alice), before, "AWAITING_REVEALSIG, {what}");
    }
    finish(&mut run);
}

// ---- range checks of g^y and g^x (HOSTILE row 22) ----

#[test]
fn dh_key_with_gy_out_of_range_is_rejected_and_awaiting_dhkey_is_unchanged() {
    let (_, bob_key) = keys();
    let mut run = run_to_commit(11);
    let before = snapshot(&run.bob);
    let pending = run.bob.pending_commit().unwrap();
    let pending_id = run.bob.pending_commit_id();
    for (bad, what) in out_of_range() {
        let out = run
            .bob
            .handle_dh_key(
                AkeEnv {
                    our_key: bob_key,
                    rng: &mut run.rng,
                    header: header(0x200, 0x100),
                    seen_keys: &KnownFingerprints::default(),
                },
                &DhKey {
                    gy: Mpi::trimmed(&bad),
                },
            )
            .parts();
        assert_rejected(&out, AkeFailure::BadDhValue, what);
        assert!(!out.reflected, "{what}");
        assert_eq!(snapshot(&run.bob), before, "g^y = {what}: state unchanged");
        assert_eq!(
            run.bob.pending_commit().as_deref(),
            Some(&pending[..]),
            "{what}"
        );
        assert_eq!(run.bob.pending_commit_id(), pending_id, "{what}");
    }
    // The genuine D-H Key still works.
    let commit = run.commit.clone();
    run.dh_key = decode(&to_alice(&mut run, &commit).reply.unwrap());
    let dh_key = run.dh_key.clone();
    run.reveal = decode(&to_bob(&mut run, &dh_key).reply.unwrap());
    finish(&mut run);
}

#[test]
fn dh_key_with_gy_2_or_p_minus_2_is_accepted_and_the_exchange_completes() {
    let (alice_key, bob_key) = keys();
    let p = otr_smp::group::MODULUS;
    for (gy, what) in [(vec![2u8], "2"), (p_minus(2), "p-2")] {
        let mut run = run_to_commit(11);
        let out = run
            .bob
            .handle_dh_key(
                AkeEnv {
                    our_key: bob_key,
                    rng: &mut run.rng,
                    header: header(0x200, 0x100),
                    seen_keys: &KnownFingerprints::default(),
                },
                &DhKey {
                    gy: Mpi::trimmed(&gy),
                },
            )
            .parts();
        assert!(out.failure.is_none() && out.success.is_none(), "{what}");
        let reveal = decode(&out.reply.expect("a Reveal Signature"));
        let d = body(&reveal);
        let MessageBody::RevealSignature(r) = d.message.body else {
            panic!("{what}: not a Reveal Signature")
        };
        let Exchange::AwaitingSig(b) = &run.bob else {
            panic!("{what}: not AWAITING_SIG")
        };
        assert_eq!(b.their_gy.to_minimal_bytes(), gy);
        let gx = *b.our_dh.public();
        // As the peer whose g^y is `gy`: 2 = g^1 gives s = g^x; p − 2 = −2
        // lies outside the subgroup, s = (−2)^x = ±g^x — Bob's MAC_m2
        // tells which.
        let candidates = [*gx.as_uint(), p.wrapping_sub(gx.as_uint())];
        let matching: Vec<AkeKeys> = candidates
            .iter()
            .map(ake_keys_for)
            .filter(|k| hmac_sha256_160(&k.m2, d.authenticated) == r.mac)
            .collect();
        assert_eq!(matching.len(), 1, "{what}: exactly one shared secret");
        let k = &matching[0];
        if what == "2" {
            assert_eq!(k.m2, ake_keys_for(&candidates[0]).m2, "s = g^x");
        }
        let gx_mpi = mpi_bytes(&gx.to_minimal_bytes());
        let gy_mpi = mpi_bytes(&gy);
        let (bob_pub, _) = verify_identity_block(
            &k.c,
            &k.m1,
            r.encrypted_signature,
            &gx_mpi,
            &gy_mpi,
            &KnownFingerprints::default(),
        )
        .expect("Bob's X_B verifies");
        assert_eq!(bob_pub.fingerprint(), bob_key.fingerprint());
        let (enc, mac) = signed_identity_block(
            alice_key,
            &mut run.rng,
            &k.m1_prime,
            &k.m2_prime,
            &k.c_prime,
            &gy_mpi,
            &gx_mpi,
        );
        let out = run
            .bob
            .handle_signature(
                ProtocolVersion::V3,
                &SignatureMessage {
                    encrypted_signature: &enc,
                    mac,
                },
                &encrypted_signature_mac_input(&enc),
                &KnownFingerprints::default(),
            )
            .parts();
        let done = out.success.expect("the exchange completes");
        assert_eq!(done.their_dh.to_minimal_bytes(), gy, "{what}");
        assert_eq!(done.ssid, k.ssid, "{what}");
        assert_eq!(done.their_key.fingerprint(), alice_key.fingerprint());
    }
}

#[test]
fn committed_gx_2_or_p_minus_2_is_accepted_at_the_reveal_and_the_exchange_completes() {
    let (alice_key, bob_key) = keys();
    let p = otr_smp::group::MODULUS;
    for (gx, what) in [(vec![2u8], "2"), (p_minus(2), "p-2")] {
        let mut rng = ChaCha20Rng::seed_from_u64(21);
        let r = [9u8; 16];
        let gx_mpi = mpi_bytes(&gx);
        let mut enc = gx_mpi.clone();
        apply_aes128_ctr(&r, [0; 8], &mut enc);
        let commit = DhCommit {
            encrypted_gx: &enc,
            hashed_gx: sha256(&[&gx_mpi]),
        };
        let mut alice = Exchange::None;
        let out = alice
            .handle_commit(
                AkeEnv {
                    our_key: alice_key,
                    rng: &mut rng,
                    header: header(0x100, 0x200),
                    seen_keys: &KnownFingerprints::default(),
                },
                &commit,
            )
            .parts();
        let dh_key = decode(&out.reply.unwrap());
        let MessageBody::DhKey(k) = body(&dh_key).message.body else {
            panic!()
        };
        let gy = GroupElement::from_be_bytes(k.gy.as_bytes()).unwrap();
        let gy_mpi = mpi_bytes(&gy.to_minimal_bytes());
        // As the initiator whose g^x is `gx`: s = g^y for 2 = g^1, ±g^y for
        // −2. A wrong guess fails on MAC_m2 and leaves Alice waiting.
        let candidates = if what == "2" {
            vec![*gy.as_uint()]
        } else {
            vec![*gy.as_uint(), p.wrapping_sub(gy.as_uint())]
        };
        let mut completed = 0;
        for s in &candidates {
            let k = ake_keys_for(s);
            let (enc, mac) =
                signed_identity_block(bob_key, &mut rng, &k.m1, &k.m2, &k.c, &gx_mpi, &gy_mpi);
            let out = alice
                .handle_reveal_signature(
                    AkeEnv {
                        our_key: alice_key,
                        rng: &mut rng,
                        header: header(0x100, 0x200),
                        seen_keys: &KnownFingerprints::default(),
                    },
                    &RevealSignature {
                        revealed_key: r,
                        encrypted_signature: &enc,
                        mac,
                    },
                    &encrypted_signature_mac_input(&enc),
                )
                .parts();
            let Some(done) = out.success else {
                assert_eq!(out.failure, Some(AkeFailure::BadMac), "{what}: wrong guess");
                assert_eq!(alice.state(), AuthState::AwaitingRevealSig);
                continue;
            };
            assert_eq!(done.their_dh.to_minimal_bytes(), gx, "{what}");
            assert_eq!(done.ssid, k.ssid, "{what}");
            assert_eq!(done.their_key.fingerprint(), bob_key.fingerprint());
            // Alice's Signature verifies under the same keys.
            let sig = decode(&out.reply.unwrap());
            let d = body(&sig);
            let MessageBody::Signature(sm) = d.message.body else {
                panic!()
            };
            assert_eq!(hmac_sha256_160(&k.m2_prime, d.authenticated), sm.mac);
            let (alice_pub, _) = verify_identity_block(
                &k.c_prime,
                &k.m1_prime,
                sm.encrypted_signature,
                &gy_mpi,
                &gx_mpi,
                &KnownFingerprints::default(),
            )
            .expect("Alice's X_A verifies");
            assert_eq!(alice_pub.fingerprint(), alice_key.fingerprint());
            completed += 1;
            break;
        }
        assert_eq!(completed, 1, "{what}: exactly one completion");
    }
}

// ---- MAC before the encrypted signature (HOSTILE row 25) ----

#[test]
fn reveal_signature_with_bad_mac_and_unusable_x_b_fails_on_the_mac_first() {
    let mut run = run_to_reveal();
    let before = snapshot(&run.alice);
    let Exchange::AwaitingSig(bob) = &run.bob else {
        panic!()
    };
    let (c, m2) = (bob.keys.c, bob.keys.m2);
    let x = real_identity_block(&run);
    let n = x.len();
    let mut bad_s = x.clone();
    bad_s[n - 1] ^= 0x01;
    for (x_b, failure_if_mac_good, what) in [
        (vec![0x5a; 64], AkeFailure::BadIdentity, "noise for X_B"),
        (
            x[..n - 1].to_vec(),
            AkeFailure::BadIdentity,
            "truncated X_B",
        ),
        (bad_s, AkeFailure::BadSignature, "bad DSA signature in X_B"),
    ] {
        let (enc, mac) = seal(&c, &m2, &x_b);
        // Control: with a good MAC, X_B itself is what fails.
        let good_mac = reveal_with(&run, &enc, mac);
        assert_rejected(
            &deliver_reveal(&mut run, &good_mac),
            failure_if_mac_good,
            what,
        );
        assert_eq!(snapshot(&run.alice), before, "{what}");
        // Both broken: the MAC is checked first.
        let mut wrong = mac;
        wrong[0] ^= 0x80;
        let both = reveal_with(&run, &enc, wrong);
        assert_rejected(&deliver_reveal(&mut run, &both), AkeFailure::BadMac, what);
        assert_eq!(snapshot(&run.alice), before, "{what}");
    }
    finish(&mut run);
}

#[test]
fn signature_with_bad_mac_and_unusable_x_a_fails_on_the_mac_first() {
    let mut run = run_to_reveal();
    let genuine = alice_signature(&mut run);
    let before = snapshot(&run.bob);
    let (c_prime, m2_prime) = bob_signature_keys(&run);
    let x = identity_of_signature(&genuine, &c_prime);
    let n = x.len();
    let mut bad_s = x.clone();
    bad_s[n - 1] ^= 0x01;
    for (x_a, failure_if_mac_good, what) in [
        (vec![0x5a; 64], AkeFailure::BadIdentity, "noise for X_A"),
        (
            x[..n - 1].to_vec(),
            AkeFailure::BadIdentity,
            "truncated X_A",
        ),
        (bad_s, AkeFailure::BadSignature, "bad DSA signature in X_A"),
    ] {
        let (enc, mac) = seal(&c_prime, &m2_prime, &x_a);
        let good_mac = signature_with(&genuine, &enc, mac);
        assert_rejected(&to_bob(&mut run, &good_mac), failure_if_mac_good, what);
        assert_eq!(snapshot(&run.bob), before, "{what}");
        let mut wrong = mac;
        wrong[0] ^= 0x80;
        let both = signature_with(&genuine, &enc, wrong);
        assert_rejected(&to_bob(&mut run, &both), AkeFailure::BadMac, what);
        assert_eq!(snapshot(&run.bob), before, "{what}");
    }
    assert!(to_bob(&mut run, &genuine).success.is_some());
}
