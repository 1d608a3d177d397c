//! SMP interop with libotr 4.1.1, both directions, v3 and v2: right and
//! wrong secrets, questions, aborts, fragmentation, and SMP during a burst of
//! data messages. Skipped loudly without libotr; mandatory in CI.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use otr_tests::driver::{Exchange, exchange, run, sends};
use otr_tests::interop_peers::{Peers, assert_secure, has, msgs, start};

fn smp_lines(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter(|l| l.starts_with("SMP "))
        .cloned()
        .collect()
}

fn trust(p: &mut Peers, ours: bool) -> String {
    let state = if ours {
        p.ours.state().unwrap()
    } else {
        p.libotr.state().unwrap()
    };
    state
        .iter()
        .find_map(|f| f.strip_prefix("trust=").map(str::to_owned))
        .unwrap()
}

fn smp_state(p: &mut Peers, ours: bool) -> String {
    let state = if ours {
        p.ours.state().unwrap()
    } else {
        p.libotr.state().unwrap()
    };
    state
        .iter()
        .find_map(|f| f.strip_prefix("smp=").map(str::to_owned))
        .unwrap()
}

fn private(test: &str, policy: &str, extra: &[&str]) -> Option<Peers> {
    let mut ours = vec!["--policy", policy];
    ours.extend(extra);
    let mut libotr = vec!["--policy", policy];
    libotr.extend(extra);
    let mut p = start(test, &ours, &libotr)?;
    run(&mut p.ours, &mut p.libotr, "query").unwrap();
    assert_secure(&mut p, if policy == "v2-only" { "2" } else { "3" });
    Some(p)
}

/// `asker` starts SMP with `asker_secret` (and a question), the other side answers.
fn smp(
    p: &mut Peers,
    we_ask: bool,
    question: Option<&str>,
    asker_secret: &str,
    answer: &str,
) -> (Exchange, Exchange) {
    let start = match question {
        Some(q) => format!("smpq {q}\t{asker_secret}"),
        None => format!("smp {asker_secret}"),
    };
    let (asker, answerer) = if we_ask {
        (&mut p.ours, &mut p.libotr)
    } else {
        (&mut p.libotr, &mut p.ours)
    };
    let first = run(asker, answerer, &start).unwrap();
    let asked = smp_lines(&first.b);
    let expected = match question {
        Some(q) => format!("SMP ASK_FOR_ANSWER 25 {q}"),
        None => "SMP ASK_FOR_SECRET 25".to_owned(),
    };
    assert_eq!(asked, vec![expected], "{first:?}");
    let second = run(answerer, asker, &format!("smp-respond {answer}")).unwrap();
    (first, second)
}

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn smp_right_secret_succeeds_on_both_sides_and_sets_trust_v3_and_v2_both_directions() {
    for policy in ["default", "v2-only"] {
        for we_ask in [true, false] {
            let Some(mut p) = private("smp_right", policy, &[]) else {
                return;
            };
            let (_, second) = smp(&mut p, we_ask, None, "the same secret", "the same secret");
            // second.a = answerer's lines, second.b = asker's lines
            assert!(
                smp_lines(&second.b).contains(&"SMP SUCCESS 100".to_owned()),
                "{policy} {we_ask}: {second:?}"
            );
            assert!(
                smp_lines(&second.a).contains(&"SMP SUCCESS 100".to_owned()),
                "{policy} {we_ask}: {second:?}"
            );
            assert_eq!(trust(&mut p, true), "smp");
            assert_eq!(trust(&mut p, false), "smp");
            assert_eq!(smp_state(&mut p, true), "EXPECT1");
            assert_eq!(smp_state(&mut p, false), "EXPECT1");
        }
    }
}

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn smp_wrong_secret_fails_on_both_sides() {
    for we_ask in [true, false] {
        let Some(mut p) = private("smp_wrong", "default", &[]) else {
            return;
        };
        let (_, second) = smp(&mut p, we_ask, None, "mine", "yours");
        assert!(
            smp_lines(&second.b).contains(&"SMP FAILURE 100".to_owned()),
            "{second:?}"
        );
        assert!(
            smp_lines(&second.a).contains(&"SMP FAILURE 100".to_owned()),
            "{second:?}"
        );
        assert_eq!(trust(&mut p, true), "-");
        assert_eq!(trust(&mut p, false), "-");
        // The conversation goes on.
        let ex = run(&mut p.ours, &mut p.libotr, "send still private").unwrap();
        assert_eq!(msgs(&ex.b), vec!["still private".to_owned()]);
    }
}

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn smp_with_a_question_arrives_intact_and_only_the_asker_trusts() {
    for we_ask in [true, false] {
        let Some(mut p) = private("smp_question", "default", &[]) else {
            return;
        };
        let q = "Where did we meet? ✓ (café, 2019)";
        let (_, second) = smp(&mut p, we_ask, Some(q), "Lyon", "Lyon");
        assert!(
            smp_lines(&second.b).contains(&"SMP SUCCESS 100".to_owned()),
            "{second:?}"
        );
        assert!(
            smp_lines(&second.a).contains(&"SMP SUCCESS 100".to_owned()),
            "{second:?}"
        );
        let (asker_trust, answerer_trust) = if we_ask {
            (trust(&mut p, true), trust(&mut p, false))
        } else {
            (trust(&mut p, false), trust(&mut p, true))
        };
        assert_eq!(asker_trust, "smp");
        assert_eq!(
            answerer_trust, "-",
            "the answerer of a question does not gain trust (libotr)"
        );
    }
}

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn smp_abort_then_a_fresh_smp_succeeds() {
    for we_abort in [true, false] {
        let Some(mut p) = private("smp_abort", "default", &[]) else {
            return;
        };
        let first = run(&mut p.ours, &mut p.libotr, "smp secret").unwrap();
        assert!(has(&first.b, "SMP ASK_FOR_SECRET"));
        let ex = if we_abort {
            run(&mut p.ours, &mut p.libotr, "smp-abort").unwrap()
        } else {
            run(&mut p.libotr, &mut p.ours, "smp-abort").unwrap()
        };
        assert!(has(&ex.b, "SMP ABORT"), "the other side is told: {ex:?}");
        assert_eq!(smp_state(&mut p, true), "EXPECT1");
        assert_eq!(smp_state(&mut p, false), "EXPECT1");
        let (_, second) = smp(&mut p, !we_abort, None, "again", "again");
        assert!(
            smp_lines(&second.a).contains(&"SMP SUCCESS 100".to_owned()),
            "{second:?}"
        );
        assert!(
            smp_lines(&second.b).contains(&"SMP SUCCESS 100".to_owned()),
            "{second:?}"
        );
    }
}

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn smp_fragmented_at_max_size_100() {
    for we_ask in [true, false] {
        let Some(mut p) = private("smp_fragmented", "default", &["--max-msg-size", "100"]) else {
            return;
        };
        let (first, second) = smp(&mut p, we_ask, Some("fragmented?"), "yes", "yes");
        assert!(
            first
                .a
                .iter()
                .filter(|l| l.starts_with("SEND ?OTR|"))
                .count()
                > 5,
            "SMP1 went out in fragments"
        );
        assert!(
            smp_lines(&second.a).contains(&"SMP SUCCESS 100".to_owned()),
            "{second:?}"
        );
        assert!(
            smp_lines(&second.b).contains(&"SMP SUCCESS 100".to_owned()),
            "{second:?}"
        );
    }
}

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn smp_started_while_a_burst_of_data_messages_is_in_flight() {
    for we_ask in [true, false] {
        let Some(mut p) = private("smp_burst", "default", &[]) else {
            return;
        };
        let (asker, other) = if we_ask {
            (&mut p.ours, &mut p.libotr)
        } else {
            (&mut p.libotr, &mut p.ours)
        };
        // The other side sends a burst; before it is delivered, the asker starts SMP.
        let mut burst = Vec::new();
        for i in 0..10 {
            burst.extend(sends(&other.cmd(&format!("send burst {i}")).unwrap()));
        }
        let smp1 = sends(&asker.cmd("smp burst secret").unwrap());
        // Deliver the burst to the asker and the SMP1 to the other side.
        let to_asker = exchange(other, asker, burst).unwrap();
        assert_eq!(msgs(&to_asker.b).len(), 10, "{to_asker:?}");
        let ex = exchange(asker, other, smp1).unwrap();
        assert!(has(&ex.b, "SMP ASK_FOR_SECRET"), "{ex:?}");
        let ex = run(other, asker, "smp-respond burst secret").unwrap();
        assert!(
            smp_lines(&ex.a).contains(&"SMP SUCCESS 100".to_owned()),
            "{ex:?}"
        );
        assert!(
            smp_lines(&ex.b).contains(&"SMP SUCCESS 100".to_owned()),
            "{ex:?}"
        );
    }
}

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn smp_auto_answer_with_the_configured_secret() {
    let Some(mut p) = start("smp_auto", &["--smp-secret", "auto"], &[]) else {
        return;
    };
    run(&mut p.ours, &mut p.libotr, "query").unwrap();
    let ex = run(&mut p.libotr, &mut p.ours, "smp auto").unwrap();
    assert!(
        smp_lines(&ex.a).contains(&"SMP SUCCESS 100".to_owned()),
        "{ex:?}"
    );
    assert!(
        smp_lines(&ex.b).contains(&"SMP SUCCESS 100".to_owned()),
        "{ex:?}"
    );
}
