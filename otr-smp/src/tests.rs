//! Protocol-level tests: complete runs, determinism, tampering, range
//! boundaries, message counts, order, and the cost of a complete SMP.

use crypto_bigint::U1536;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use super::*;
use crate::group::{MODULUS, ORDER, minimal_be_bytes};
use crate::stats::Kind;

const FP_A: [u8; 20] = [0xA1; 20];
const FP_B: [u8; 20] = [0xB2; 20];
const SSID: [u8; 8] = [1, 2, 3, 4, 5, 6, 7, 8];

fn secret(answer: &[u8]) -> SmpSecret {
    SmpSecret::derive(&FP_A, &FP_B, &SSID, answer)
}

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// An honest typestate run; returns the four messages' values and both outcomes.
struct Transcript {
    m1: Vec<Vec<u8>>,
    m2: Vec<Vec<u8>>,
    m3: Vec<Vec<u8>>,
    m4: Vec<Vec<u8>>,
    alice: SmpOutcome,
    bob: SmpOutcome,
}

fn run(x: &[u8], y: &[u8], seed_a: u64, seed_b: u64) -> Transcript {
    let mut ra = rng(seed_a);
    let mut rb = rng(seed_b);
    let (alice, m1) = Initiator::start(&secret(x), &mut ra);
    let m1v = m1.to_mpis();
    let got = Responder::receive_smp1(&Smp1Message::from_mpis(&m1v).unwrap()).unwrap();
    let (bob, m2) = got.answer(&secret(y), &mut rb);
    let m2v = m2.to_mpis();
    let (alice, m3) = alice
        .receive(&Smp2Message::from_mpis(&m2v).unwrap(), &mut ra)
        .unwrap();
    let m3v = m3.to_mpis();
    let (bob_outcome, m4) = bob
        .receive(&Smp3Message::from_mpis(&m3v).unwrap(), &mut rb)
        .unwrap();
    let m4v = m4.to_mpis();
    let alice_outcome = alice
        .receive(&Smp4Message::from_mpis(&m4v).unwrap())
        .unwrap();
    Transcript {
        m1: m1v,
        m2: m2v,
        m3: m3v,
        m4: m4v,
        alice: alice_outcome,
        bob: bob_outcome,
    }
}

#[test]
fn equal_secrets_succeed_on_both_sides() {
    let t = run(b"swordfish", b"swordfish", 1, 2);
    assert_eq!(t.alice, SmpOutcome::Succeeded);
    assert_eq!(t.bob, SmpOutcome::Succeeded);
    for (values, count) in [(&t.m1, 6), (&t.m2, 11), (&t.m3, 8), (&t.m4, 3)] {
        assert_eq!(values.len(), count);
        // Minimal encodings: no leading zero byte, no empty value.
        assert!(values.iter().all(|v| v.first().is_some_and(|&b| b != 0)));
    }
}

#[test]
fn unequal_secrets_fail_on_both_sides() {
    let t = run(b"swordfish", b"sw0rdfish", 3, 4);
    assert_eq!(t.bob, SmpOutcome::Failed);
    assert_eq!(t.alice, SmpOutcome::Failed);
}

#[test]
fn fingerprints_and_ssid_are_bound_into_the_secret() {
    let mut ra = rng(5);
    let mut rb = rng(6);
    let (alice, m1) = Initiator::start(&secret(b"same"), &mut ra);
    let got = Responder::receive_smp1(&m1).unwrap();
    // Bob puts the fingerprints in the wrong order: a different secret.
    let wrong = SmpSecret::derive(&FP_B, &FP_A, &SSID, b"same");
    let (bob, m2) = got.answer(&wrong, &mut rb);
    let (alice, m3) = alice.receive(&m2, &mut ra).unwrap();
    let (bob_outcome, m4) = bob.receive(&m3, &mut rb).unwrap();
    assert_eq!(bob_outcome, SmpOutcome::Failed);
    assert_eq!(alice.receive(&m4).unwrap(), SmpOutcome::Failed);
}

#[test]
fn same_seed_same_messages() {
    let a = run(b"k", b"k", 42, 43);
    let b = run(b"k", b"k", 42, 43);
    assert_eq!((&a.m1, &a.m2, &a.m3, &a.m4), (&b.m1, &b.m2, &b.m3, &b.m4));
    let c = run(b"k", b"k", 44, 43);
    assert_ne!(a.m1, c.m1);
    assert_ne!(a.m3, c.m3);
}

fn uint(value: &U1536) -> Vec<u8> {
    minimal_be_bytes(value)
}

/// The replacements tried on every value: +1, 0, 1, p − 1, p, q.
fn mutations(original: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let value = crate::group::uint_from_be_bytes(original).unwrap();
    vec![
        ("+1", uint(&value.wrapping_add(&U1536::ONE))),
        ("0", Vec::new()),
        ("1", vec![1]),
        ("p-1", uint(&MODULUS.wrapping_sub(&U1536::ONE))),
        ("p", uint(&MODULUS)),
        ("q", uint(&ORDER)),
    ]
}

fn tampered(values: &[Vec<u8>], index: usize, with: Vec<u8>) -> Vec<Vec<u8>> {
    let mut out = values.to_vec();
    out[index] = with;
    out
}

#[test]
fn every_tampered_value_is_detected() {
    let (seed_a, seed_b) = (11, 12);
    let t = run(b"pw", b"pw", seed_a, seed_b);
    let mut cases = 0;

    // SMP 1 → Bob.
    for i in 0..6 {
        for (name, v) in mutations(&t.m1[i]) {
            let m = tampered(&t.m1, i, v);
            let r = Smp1Message::from_mpis(&m).and_then(|m| Responder::receive_smp1(&m));
            let err = r
                .err()
                .unwrap_or_else(|| panic!("SMP1[{i}] {name} accepted"));
            assert!(err.is_cheating());
            cases += 1;
        }
    }
    // SMP 2 → Alice (rebuilt in AwaitingSmp2 from her seed).
    for i in 0..11 {
        for (name, v) in mutations(&t.m2[i]) {
            let mut ra = rng(seed_a);
            let (alice, _) = Initiator::start(&secret(b"pw"), &mut ra);
            let m = tampered(&t.m2, i, v);
            let r = Smp2Message::from_mpis(&m).and_then(|m| alice.receive(&m, &mut ra));
            assert!(r.is_err(), "SMP2[{i}] {name} accepted");
            cases += 1;
        }
    }
    // SMP 3 → Bob (rebuilt in AwaitingSmp3).
    let m1 = Smp1Message::from_mpis(&t.m1).unwrap();
    for i in 0..8 {
        for (name, v) in mutations(&t.m3[i]) {
            let mut rb = rng(seed_b);
            let (bob, _) = Responder::receive_smp1(&m1)
                .unwrap()
                .answer(&secret(b"pw"), &mut rb);
            let m = tampered(&t.m3, i, v);
            let r = Smp3Message::from_mpis(&m).and_then(|m| bob.receive(&m, &mut rb));
            assert!(r.is_err(), "SMP3[{i}] {name} accepted");
            cases += 1;
        }
    }
    // SMP 4 → Alice (rebuilt in AwaitingSmp4).
    let m2 = Smp2Message::from_mpis(&t.m2).unwrap();
    for i in 0..3 {
        for (name, v) in mutations(&t.m4[i]) {
            let mut ra = rng(seed_a);
            let (alice, _) = Initiator::start(&secret(b"pw"), &mut ra);
            let (alice, _) = alice.receive(&m2, &mut ra).unwrap();
            let m = tampered(&t.m4, i, v);
            let r = Smp4Message::from_mpis(&m).and_then(|m| alice.receive(&m));
            assert!(r.is_err(), "SMP4[{i}] {name} accepted");
            cases += 1;
        }
    }
    assert_eq!(cases, 6 * (6 + 11 + 8 + 3));
}

#[test]
fn d_values_are_range_checked() {
    let t = run(b"r", b"r", 21, 22);
    let mut q_plus_one = uint(&ORDER.wrapping_add(&U1536::ONE));
    let huge = {
        let mut v = vec![1u8];
        v.extend([0u8; 192]); // 2^1536
        v
    };
    let all_ones = vec![0xFF; 200];
    for bad in [Vec::new(), uint(&ORDER), q_plus_one.clone(), huge, all_ones] {
        for (index, name) in [(2, "D2"), (5, "D3")] {
            let m = tampered(&t.m1, index, bad.clone());
            assert_eq!(
                Smp1Message::from_mpis(&m).err(),
                Some(SmpError::OutOfRange {
                    message: SmpMessageKind::Smp1,
                    value: name
                })
            );
        }
        for (index, name) in [(2, "D2"), (5, "D3"), (9, "D5"), (10, "D6")] {
            let m = tampered(&t.m2, index, bad.clone());
            assert_eq!(
                Smp2Message::from_mpis(&m).err(),
                Some(SmpError::OutOfRange {
                    message: SmpMessageKind::Smp2,
                    value: name
                })
            );
        }
        for (index, name) in [(3, "D5"), (4, "D6"), (7, "D7")] {
            let m = tampered(&t.m3, index, bad.clone());
            assert!(matches!(
                Smp3Message::from_mpis(&m),
                Err(SmpError::OutOfRange { value, .. }) if value == name
            ));
        }
        let m = tampered(&t.m4, 2, bad.clone());
        assert!(matches!(
            Smp4Message::from_mpis(&m),
            Err(SmpError::OutOfRange { value: "D7", .. })
        ));
    }
    // q − 1 and 1 are in range (and then fail the proof).
    q_plus_one = uint(&ORDER.wrapping_sub(&U1536::ONE));
    let m = tampered(&t.m1, 2, q_plus_one);
    let parsed = Smp1Message::from_mpis(&m).unwrap();
    assert!(matches!(
        Responder::receive_smp1(&parsed),
        Err(SmpError::BadProof { proof: "c2", .. })
    ));
}

#[test]
fn group_elements_and_hashes_are_checked() {
    let t = run(b"g", b"g", 31, 32);
    let p_minus_two = uint(&MODULUS.wrapping_sub(&U1536::from_u8(2)));
    for bad in [
        Vec::new(),
        vec![1],
        uint(&MODULUS.wrapping_sub(&U1536::ONE)),
        uint(&MODULUS),
        vec![0xFF; 193],
    ] {
        let m = tampered(&t.m2, 0, bad);
        assert!(matches!(
            Smp2Message::from_mpis(&m),
            Err(SmpError::OutOfRange { value: "g2b", .. })
        ));
    }
    // p − 2 is in range but outside the prime-order subgroup.
    let m = tampered(&t.m2, 7, p_minus_two);
    assert!(matches!(
        Smp2Message::from_mpis(&m),
        Err(SmpError::NotInSubgroup { value: "Qb", .. })
    ));
    // A c longer than a SHA-256 value cannot verify.
    let m = tampered(&t.m3, 6, vec![1; 33]);
    assert!(matches!(
        Smp3Message::from_mpis(&m),
        Err(SmpError::BadProof { proof: "cR", .. })
    ));
}

#[test]
fn wrong_counts_are_errors() {
    let t = run(b"n", b"n", 41, 42);
    let five = &t.m1[..5];
    assert_eq!(
        Smp1Message::from_mpis(five).err(),
        Some(SmpError::WrongMpiCount {
            message: SmpMessageKind::Smp1,
            expected: 6,
            actual: 5
        })
    );
    let none: [&[u8]; 0] = [];
    assert!(Smp2Message::from_mpis(&none).is_err());
    let mut seven = t.m1.clone();
    seven.push(vec![1]);
    assert!(Smp1Message::from_mpis(&seven).is_err());
    assert!(Smp3Message::from_mpis(&t.m2).is_err());
    assert!(Smp4Message::from_mpis(&t.m3).is_err());
    assert!(Smp2Message::from_mpis(&t.m4).is_err());

    // Through the engine: a cheat, an abort, back to EXPECT1.
    let mut engine = SmpEngine::new();
    let out = engine.receive(
        SmpInput::Smp1 {
            question: None,
            mpis: five,
        },
        &mut rng(1),
    );
    assert!(matches!(
        out.event,
        Some(SmpEvent::Cheated {
            error: SmpError::WrongMpiCount { actual: 5, .. }
        })
    ));
    assert_eq!(out.send.len(), 1);
    assert_eq!(out.send[0].tlv_type(), 6);
    let out = engine.receive(
        SmpInput::<Vec<u8>>::Malformed(SmpMessageKind::Smp1Q),
        &mut rng(1),
    );
    assert!(matches!(
        out.event,
        Some(SmpEvent::Cheated {
            error: SmpError::Malformed { .. }
        })
    ));
    assert_eq!(engine.state_name(), SmpState::Expect1);
}

/// Delivers every TLV of `out` to `to`, returning the last output.
fn deliver(out: &SmpOutput, to: &mut SmpEngine, rng: &mut ChaCha20Rng) -> SmpOutput {
    let mut last = SmpOutput::default();
    for tlv in &out.send {
        last = to.receive(tlv.as_input(), rng);
    }
    last
}

#[test]
fn engines_complete_and_report() {
    for (x, y, expect_success) in [(&b"one"[..], &b"one"[..], true), (b"one", b"two", false)] {
        let mut r = rng(7);
        let mut alice = SmpEngine::new();
        let mut bob = SmpEngine::new();
        let out = alice.start(&secret(x), &mut r);
        assert_eq!(out.send.len(), 1);
        assert_eq!(out.send[0].tlv_type(), 2);
        let out = deliver(&out, &mut bob, &mut r);
        assert_eq!(out.event, Some(SmpEvent::AskForSecret));
        assert!(bob.is_awaiting_answer());
        assert_eq!(bob.state_name(), SmpState::Expect1);
        let out = bob.respond(&secret(y), &mut r).unwrap();
        assert_eq!(bob.state_name(), SmpState::Expect3);
        assert_eq!(out.send[0].tlv_type(), 3);
        let out = deliver(&out, &mut alice, &mut r);
        assert_eq!(out.event, Some(SmpEvent::InProgress));
        assert_eq!(out.event.as_ref().map(SmpEvent::progress_percent), Some(60));
        assert_eq!(alice.state_name(), SmpState::Expect4);
        let out = deliver(&out, &mut bob, &mut r);
        // SMP 4 goes out whatever the outcome (libotr does the same).
        assert_eq!(out.send.len(), 1);
        assert_eq!(out.send[0].tlv_type(), 5);
        let bob_event = out.event.clone().unwrap();
        let alice_event = deliver(&out, &mut alice, &mut r).event.unwrap();
        if expect_success {
            assert_eq!(
                bob_event,
                SmpEvent::Succeeded {
                    role: SmpRole::Responder,
                    with_question: false
                }
            );
            assert_eq!(alice_event.libotr_name(), "SUCCESS");
        } else {
            assert_eq!(
                bob_event,
                SmpEvent::Failed {
                    role: SmpRole::Responder,
                    with_question: false
                }
            );
            assert_eq!(
                alice_event,
                SmpEvent::Failed {
                    role: SmpRole::Initiator,
                    with_question: false
                }
            );
        }
        assert!(!alice.is_in_progress() && !bob.is_in_progress());
    }
}

#[test]
fn out_of_order_messages_are_rejected() {
    let t = run(b"o", b"o", 51, 52);
    let mut r = rng(9);

    // SMP 2, 3, 4 in EXPECT1.
    for input in [
        SmpInput::Smp2(&t.m2[..]),
        SmpInput::Smp3(&t.m3),
        SmpInput::Smp4(&t.m4),
    ] {
        let mut engine = SmpEngine::new();
        let received = input.kind();
        let out = engine.receive(input, &mut r);
        assert_eq!(
            out.event,
            Some(SmpEvent::OutOfOrder {
                expected: SmpState::Expect1,
                received
            })
        );
        assert_eq!(out.send[0].kind, SmpMessageKind::Abort);
        assert_eq!(engine.state_name(), SmpState::Expect1);
    }

    // SMP 3 (and SMP 1) while expecting SMP 2: abort, reset.
    let mut alice = SmpEngine::new();
    let _ = alice.start(&secret(b"o"), &mut r);
    let out = alice.receive(SmpInput::Smp3(&t.m3), &mut r);
    assert!(matches!(
        out.event,
        Some(SmpEvent::OutOfOrder {
            expected: SmpState::Expect2,
            received: SmpMessageKind::Smp3
        })
    ));
    assert_eq!(alice.state_name(), SmpState::Expect1);
    let _ = alice.start(&secret(b"o"), &mut r);
    let out = alice.receive(
        SmpInput::Smp1 {
            question: None,
            mpis: &t.m1,
        },
        &mut r,
    );
    assert!(matches!(out.event, Some(SmpEvent::OutOfOrder { .. })));
    // A malformed TLV of an unexpected kind is out of order, not a cheat.
    let _ = alice.start(&secret(b"o"), &mut r);
    let out = alice.receive(SmpInput::<Vec<u8>>::Malformed(SmpMessageKind::Smp4), &mut r);
    assert!(matches!(out.event, Some(SmpEvent::OutOfOrder { .. })));

    // Responding with nothing pending changes nothing.
    let mut engine = SmpEngine::new();
    let _ = engine.start(&secret(b"o"), &mut r);
    assert_eq!(
        engine.respond(&secret(b"o"), &mut r).err(),
        Some(SmpError::NoPendingRequest)
    );
    assert_eq!(engine.state_name(), SmpState::Expect2);
}

#[test]
fn aborts_restarts_and_questions() {
    let mut r = rng(13);
    let t = run(b"q", b"q", 61, 62);
    let mut bob = SmpEngine::new();

    // TLV 7: the question comes back in the event and stays pending.
    let out = bob.receive(
        SmpInput::Smp1 {
            question: Some(b"Who?"),
            mpis: &t.m1,
        },
        &mut r,
    );
    assert_eq!(
        out.event,
        Some(SmpEvent::AskForAnswer {
            question: b"Who?".to_vec()
        })
    );
    assert_eq!(bob.pending_question(), Some(&b"Who?"[..]));
    // A new SMP 1 replaces the pending request (as libotr).
    let out = bob.receive(
        SmpInput::Smp1 {
            question: None,
            mpis: &t.m1,
        },
        &mut r,
    );
    assert_eq!(out.event, Some(SmpEvent::AskForSecret));
    assert_eq!(bob.pending_question(), None);
    // A tampered SMP 1 while awaiting: cheated, before asking anything.
    let m = tampered(&t.m1, 1, vec![7]);
    let out = bob.receive(
        SmpInput::Smp1 {
            question: None,
            mpis: &m,
        },
        &mut r,
    );
    assert!(matches!(
        out.event,
        Some(SmpEvent::Cheated {
            error: SmpError::BadProof { proof: "c2", .. }
        })
    ));
    assert!(!bob.is_awaiting_answer());

    // Starting while a run is under way aborts it first.
    let _ = bob.receive(
        SmpInput::Smp1 {
            question: None,
            mpis: &t.m1,
        },
        &mut r,
    );
    let out = bob.start(&secret(b"q"), &mut r);
    let kinds: Vec<_> = out.send.iter().map(|o| o.kind).collect();
    assert_eq!(kinds, [SmpMessageKind::Abort, SmpMessageKind::Smp1]);
    assert_eq!(bob.state_name(), SmpState::Expect2);

    // The peer's abort.
    let out = bob.receive(SmpInput::<Vec<u8>>::Abort, &mut r);
    assert_eq!(out.event, Some(SmpEvent::Aborted));
    assert!(out.send.is_empty());
    assert_eq!(bob.state_name(), SmpState::Expect1);

    // Our abort.
    let _ = bob.start(&secret(b"q"), &mut r);
    let out = bob.abort();
    assert_eq!(out.send.len(), 1);
    assert_eq!(out.send[0].tlv_type(), 6);
    assert_eq!(bob.state_name(), SmpState::Expect1);

    // Questions: sent in TLV 7, NUL refused.
    let out = bob
        .start_with_question(b"Pet?", &secret(b"q"), &mut r)
        .unwrap();
    assert_eq!(out.send[0].tlv_type(), 7);
    assert_eq!(out.send[0].question.as_deref(), Some(&b"Pet?"[..]));
    assert_eq!(
        bob.start_with_question(b"a\0b", &secret(b"q"), &mut r)
            .err(),
        Some(SmpError::QuestionContainsNul)
    );
    assert_eq!(bob.state_name(), SmpState::Expect2);
}

#[test]
fn debug_output_redacts_state() {
    let mut r = rng(3);
    let (alice, m1) = Initiator::start(&secret(b"s"), &mut r);
    assert_eq!(format!("{alice:?}"), "AwaitingSmp2 { .. }");
    assert_eq!(format!("{m1:?}"), "Smp1Message(6 MPIs)");
    let mut engine = SmpEngine::new();
    let _ = engine.start(&secret(b"s"), &mut r);
    assert!(format!("{engine:?}").contains("Expect2"));
}

/// Counts the exponentiations of one complete SMP (both parties).
#[test]
fn exponentiation_count_of_a_complete_smp() {
    crate::group::precompute_generator_table();
    stats::reset();
    let t = run(b"count", b"count", 71, 72);
    assert_eq!(t.alice, SmpOutcome::Succeeded);
    let counts = [
        Kind::VariableCtFull,
        Kind::VariableCtShort,
        Kind::FixedCt,
        Kind::FixedVartime,
        Kind::MultiExp,
        Kind::MultiTermFull,
        Kind::MultiTermShort,
    ]
    .map(|k| (k, stats::get(k)));
    println!("{counts:?}");
    // Secret exponents, constant time: 8 variable-base per party
    // (g2, g3, P, g3^r5, g2^r6, R, Qab^r7, Rab; P with g3^r5 and R with
    // Qab^r7 share a comb, `pow_pair`), 1 short g2^x per party,
    // 14 generator powers (4 + 3 for Alice, 6 + 1 for Bob).
    assert_eq!(stats::get(Kind::VariableCtFull), 16);
    assert_eq!(stats::get(Kind::VariableCtShort), 2);
    assert_eq!(stats::get(Kind::FixedCt), 14);
    // Proof checks, public exponents: 8 generator powers g1^D and 12
    // multi-exponentiations holding 6 full-size D terms and 12 c terms.
    assert_eq!(stats::get(Kind::FixedVartime), 8);
    assert_eq!(stats::get(Kind::MultiExp), 12);
    assert_eq!(stats::get(Kind::MultiTermFull), 6);
    assert_eq!(stats::get(Kind::MultiTermShort), 12);
}

#[test]
fn smp_message_kinds_map_to_tlv_types_2_to_7_and_back() {
    let kinds = [
        (2, SmpMessageKind::Smp1, "SMP message 1", 6),
        (3, SmpMessageKind::Smp2, "SMP message 2", 11),
        (4, SmpMessageKind::Smp3, "SMP message 3", 8),
        (5, SmpMessageKind::Smp4, "SMP message 4", 3),
        (6, SmpMessageKind::Abort, "SMP abort", 0),
        (7, SmpMessageKind::Smp1Q, "SMP message 1Q", 6),
    ];
    for (tlv_type, kind, shown, count) in kinds {
        assert_eq!(SmpMessageKind::from_tlv_type(tlv_type), Some(kind));
        assert_eq!(kind.tlv_type(), tlv_type);
        assert_eq!(kind.to_string(), shown);
        assert_eq!(kind.mpi_count(), count);
    }
    for other in [0, 1, 8, 9, 0x100, u16::MAX] {
        assert_eq!(SmpMessageKind::from_tlv_type(other), None, "TLV {other}");
    }
}
