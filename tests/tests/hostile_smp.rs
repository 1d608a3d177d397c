//! Hostile SMP input at the session level (`docs/HOSTILE-TESTS.md`, cases 34–39): the
//! attacker is a genuine, private buddy session that sends crafted SMP TLVs.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use otr_core::SmpProgress;
use otr_core::{Action, Event, SendOptions, SessionConfig};
use otr_smp::{Initiator, SmpSecret};
use otr_tests::keys::test_keys;
use otr_tests::pair::{Pair, Side};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

fn private_pair() -> Pair {
    let mut p = Pair::new(
        3,
        test_keys(),
        SessionConfig::default(),
        SessionConfig::default(),
    );
    p.establish(Side::Alice);
    p
}

/// `INT count ‖ MPI × count` with the given values.
fn smp_body(count: u32, mpis: &[Vec<u8>]) -> Vec<u8> {
    let mut out = count.to_be_bytes().to_vec();
    for m in mpis {
        let start = m.iter().position(|&b| b != 0).unwrap_or(m.len());
        let m = &m[start..];
        out.extend((m.len() as u32).to_be_bytes());
        out.extend(m);
    }
    out
}

/// Alice sends Bob one raw TLV; returns Bob's SMP events and whether Bob sent anything back.
fn alice_sends_tlv(p: &mut Pair, tlv_type: u16, value: Vec<u8>) -> (Vec<SmpProgress>, usize) {
    p.to_bob.clear();
    let mut options = SendOptions::default();
    options.tlvs = vec![(tlv_type, value)];
    let actions = p.alice.session.send_message_with(b"", &options).unwrap();
    p.absorb(Side::Alice, actions);
    let m = p.to_bob.pop_back().unwrap();
    let out = p.bob.session.handle_input(&m);
    let events = out
        .iter()
        .filter_map(|a| match a {
            Action::Event {
                event: Event::Smp(s),
                ..
            } => Some(s.clone()),
            _ => None,
        })
        .collect();
    let replies = out
        .iter()
        .filter(|a| matches!(a, Action::Send { .. }))
        .count();
    (events, replies)
}

fn genuine_smp1() -> Vec<Vec<u8>> {
    let mut rng = ChaCha20Rng::seed_from_u64(8);
    let secret = SmpSecret::derive(&[1; 20], &[2; 20], &[3; 8], b"secret");
    let (_, msg) = Initiator::start(&secret, &mut rng);
    msg.to_mpis()
}

fn q() -> Vec<u8> {
    otr_smp::group::minimal_be_bytes(&otr_smp::group::ORDER)
}

fn p_minus(k: u64) -> Vec<u8> {
    otr_smp::group::minimal_be_bytes(
        &otr_smp::group::MODULUS.wrapping_sub(&crypto_bigint::U1536::from_u64(k)),
    )
}

fn bob_smp_state(p: &Pair) -> &'static str {
    p.bob.session.best_instance().smp_state.unwrap()
}

#[test]
fn genuine_smp1_sent_raw_asks_for_the_secret() {
    let mut p = private_pair();
    let (events, _) = alice_sends_tlv(&mut p, 2, smp_body(6, &genuine_smp1()));
    assert_eq!(events, vec![SmpProgress::AskForSecret { question: None }]);
}

#[test]
fn smp1_with_a_modified_c2_aborts_before_asking_for_the_secret() {
    let mut p = private_pair();
    let mut mpis = genuine_smp1();
    mpis[1][0] ^= 1; // c2
    let (events, replies) = alice_sends_tlv(&mut p, 2, smp_body(6, &mpis));
    assert_eq!(events, vec![SmpProgress::Cheated]);
    assert_eq!(replies, 1, "TLV 6 sent");
    assert_eq!(bob_smp_state(&p), "EXPECT1");
}

#[test]
fn smp_d_value_of_0_q_or_q_plus_1_aborts() {
    let q = q();
    let q1 = otr_smp::group::minimal_be_bytes(
        &otr_smp::group::ORDER.wrapping_add(&crypto_bigint::U1536::ONE),
    );
    for d in [vec![], q.clone(), q1] {
        let mut p = private_pair();
        let mut mpis = genuine_smp1();
        mpis[2] = d.clone(); // D2
        let (events, replies) = alice_sends_tlv(&mut p, 2, smp_body(6, &mpis));
        assert_eq!(events, vec![SmpProgress::Cheated], "{d:?}");
        assert_eq!(replies, 1);
    }
}

#[test]
fn smp2_with_g2b_0_1_p_minus_1_or_p_aborts_with_tlv6_and_a_cheated_event() {
    for bad in [vec![], vec![1], p_minus(1), p_minus(0)] {
        let mut p = private_pair();
        // Bob starts SMP (EXPECT2), then "Alice" answers with a bad SMP2.
        let out = p.bob.session.start_smp(None, b"secret").unwrap();
        drop(out);
        let mut mpis = vec![vec![2u8]; 11];
        mpis[0] = bad.clone();
        let (events, replies) = alice_sends_tlv(&mut p, 3, smp_body(11, &mpis));
        assert_eq!(events, vec![SmpProgress::Cheated], "{bad:?}");
        assert_eq!(replies, 1, "TLV 6");
        assert_eq!(bob_smp_state(&p), "EXPECT1");
    }
}

#[test]
fn smp_mpi_count_5_or_0xffffffff_aborts_without_allocating_by_count() {
    for (count, n) in [(5u32, 5usize), (0xffff_ffff, 0), (7, 7)] {
        let mut p = private_pair();
        let mpis = vec![vec![2u8]; n];
        let (events, replies) = alice_sends_tlv(&mut p, 2, smp_body(count, &mpis));
        assert_eq!(events.len(), 1, "{count}: {events:?}");
        assert!(
            matches!(events[0], SmpProgress::Cheated | SmpProgress::Error),
            "{events:?}"
        );
        assert_eq!(replies, 1, "TLV 6");
        assert_eq!(bob_smp_state(&p), "EXPECT1");
    }
}

#[test]
fn smp_tlv_out_of_state_aborts_and_returns_to_expect1() {
    let mut p = private_pair();
    let _ = p.bob.session.start_smp(None, b"secret").unwrap(); // EXPECT2
    assert_eq!(bob_smp_state(&p), "EXPECT2");
    let (events, replies) = alice_sends_tlv(&mut p, 4, smp_body(8, &vec![vec![2u8]; 8])); // SMP3
    assert_eq!(events, vec![SmpProgress::Error]);
    assert_eq!(replies, 1, "TLV 6");
    assert_eq!(bob_smp_state(&p), "EXPECT1");
    // SMP4 in EXPECT1 too.
    let (events, _) = alice_sends_tlv(&mut p, 5, smp_body(3, &vec![vec![2u8]; 3]));
    assert_eq!(events, vec![SmpProgress::Error]);
}

#[test]
fn smp1q_with_empty_value_no_nul_or_an_oversized_question_aborts() {
    let body = smp_body(6, &genuine_smp1());
    let mut no_nul = b"question without terminator".to_vec();
    no_nul.extend(&body);
    no_nul.retain(|&b| b != 0);
    let mut huge = vec![b'q'; 64_600 - body.len() - 1];
    huge.push(0);
    huge.extend(&body);
    for value in [vec![], no_nul, huge] {
        let mut p = private_pair();
        let len = value.len();
        let (events, replies) = alice_sends_tlv(&mut p, 7, value);
        assert!(
            matches!(events[..], [SmpProgress::Cheated | SmpProgress::Error]),
            "len {len}: {events:?}"
        );
        assert_eq!(replies, 1, "TLV 6");
        assert_eq!(bob_smp_state(&p), "EXPECT1");
    }
    // A question at the cap is accepted.
    let mut p = private_pair();
    let mut ok = vec![b'q'; 8 * 1024];
    ok.push(0);
    ok.extend(&body);
    let (events, _) = alice_sends_tlv(&mut p, 7, ok);
    assert!(matches!(
        events[..],
        [SmpProgress::AskForSecret { question: Some(_) }]
    ));
}

#[test]
fn every_smp_message_carries_ignore_unreadable() {
    let mut p = private_pair();
    p.alice.sent.clear();
    p.bob.sent.clear();
    let out = p
        .alice
        .session
        .start_smp_with_question(None, b"q?", b"s")
        .unwrap();
    p.absorb(Side::Alice, out);
    p.drive();
    let out = p.bob.session.answer_smp(None, b"s").unwrap();
    p.absorb(Side::Bob, out);
    p.drive();
    let out = p.alice.session.abort_smp(None).unwrap();
    p.absorb(Side::Alice, out);
    p.drive();
    let sent: Vec<&Vec<u8>> = p.alice.sent.iter().chain(&p.bob.sent).collect();
    assert!(
        sent.len() >= 5,
        "SMP1Q, SMP2, SMP3, SMP4, abort: {}",
        sent.len()
    );
    for m in sent {
        let bytes = otr_core::otr_wire::armor::decode(m).unwrap();
        let (_, _, flags) = otr_core::otr_wire::message::peek_header(&bytes).unwrap();
        assert!(flags.unwrap().ignore_unreadable());
    }
}

/// Alice sends Bob one message carrying `tlvs`; returns everything Bob did.
fn alice_sends_tlvs(p: &mut Pair, tlvs: Vec<(u16, Vec<u8>)>) -> Vec<Action> {
    p.to_bob.clear();
    let mut options = SendOptions::default();
    options.tlvs = tlvs;
    let actions = p.alice.session.send_message_with(b"", &options).unwrap();
    p.absorb(Side::Alice, actions);
    let m = p.to_bob.pop_back().unwrap();
    p.bob.session.handle_input(&m)
}

fn smp_events(actions: &[Action]) -> Vec<SmpProgress> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Event {
                event: Event::Smp(s),
                ..
            } => Some(s.clone()),
            _ => None,
        })
        .collect()
}

fn ignored_counts(actions: &[Action]) -> Vec<usize> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Event {
                event: Event::SmpTlvsIgnored { count },
                ..
            } => Some(*count),
            _ => None,
        })
        .collect()
}

#[test]
fn fifty_smp1_tlvs_in_one_message_act_once_and_the_rest_are_reported_once() {
    let mut p = private_pair();
    let smp1 = smp_body(6, &genuine_smp1());
    let out = alice_sends_tlvs(&mut p, vec![(2, smp1); 50]);
    assert_eq!(
        smp_events(&out),
        vec![SmpProgress::AskForSecret { question: None }],
        "one SMP step per message"
    );
    assert_eq!(ignored_counts(&out), vec![49]);
    assert_eq!(bob_smp_state(&p), "EXPECT1");
    assert!(p.bob.session.best_instance().smp_awaiting_answer);
}

#[test]
fn fifty_bad_smp1_tlvs_in_one_message_give_one_abort_not_fifty() {
    let mut p = private_pair();
    let mut mpis = genuine_smp1();
    mpis[1][5] ^= 1; // c2 modified: the proof fails
    let bad = smp_body(6, &mpis);
    let out = alice_sends_tlvs(&mut p, vec![(2, bad); 50]);
    assert_eq!(smp_events(&out), vec![SmpProgress::Cheated]);
    let replies = out
        .iter()
        .filter(|a| matches!(a, Action::Send { .. }))
        .count();
    assert_eq!(replies, 1, "one abort (TLV 6) goes back, not fifty");
    assert_eq!(ignored_counts(&out), vec![49]);
}

#[test]
fn an_smp_tlv_after_other_tlvs_is_still_the_one_acted_on() {
    let mut p = private_pair();
    let smp1 = smp_body(6, &genuine_smp1());
    let out = alice_sends_tlvs(
        &mut p,
        vec![(0, vec![1, 2, 3]), (2, smp1), (0xffff, vec![])],
    );
    assert_eq!(
        smp_events(&out),
        vec![SmpProgress::AskForSecret { question: None }]
    );
    assert!(ignored_counts(&out).is_empty(), "no SMP TLV was ignored");
}
