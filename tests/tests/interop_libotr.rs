//! Interop with libotr 4.1.1: our `otr-peer` against the libotr peer
//! (`tests/libotr-peer`), both ways round. Skipped loudly without libotr;
//! mandatory under `OTR_REQUIRE_INTEROP=1` (CI).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use otr_core::otr_wire::whitespace;
use otr_tests::driver::{PeerProcess, exchange, libotr_peer, run, sends};
use otr_tests::interop::skip_or_fail;
use otr_tests::interop_peers::{assert_secure, has, msgs, our_peer, send_all, start, temp_dir};
use otr_tests::line_escape::unescape;

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn ake_v3_started_by_us() {
    let Some(mut p) = start("ake_v3_started_by_us", &[], &[]) else {
        return;
    };
    let ex = run(&mut p.ours, &mut p.libotr, "query").unwrap();
    assert!(has(&ex.a, "SECURE"), "{:?}", p.ours.transcript);
    assert!(has(&ex.b, "SECURE"), "{:?}", p.libotr.transcript);
    assert_secure(&mut p, "3");
}

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn ake_v3_started_by_libotr() {
    let Some(mut p) = start("ake_v3_started_by_libotr", &[], &[]) else {
        return;
    };
    let ex = run(&mut p.libotr, &mut p.ours, "query").unwrap();
    assert!(has(&ex.a, "SECURE"), "{:?}", p.libotr.transcript);
    assert!(has(&ex.b, "SECURE"), "{:?}", p.ours.transcript);
    assert_secure(&mut p, "3");
}

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn ake_v2_only_both_ways() {
    for starter_is_us in [true, false] {
        let Some(mut p) = start(
            "ake_v2_only",
            &["--policy", "v2-only"],
            &["--policy", "v2-only"],
        ) else {
            return;
        };
        let ex = if starter_is_us {
            run(&mut p.ours, &mut p.libotr, "query").unwrap()
        } else {
            run(&mut p.libotr, &mut p.ours, "query").unwrap()
        };
        assert!(has(&ex.a, "SECURE") && has(&ex.b, "SECURE"), "{ex:?}");
        assert_secure(&mut p, "2");
    }
}

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn three_messages_each_way_with_unicode_newline_tab_and_trailing_space() {
    let Some(mut p) = start("three_messages", &[], &[]) else {
        return;
    };
    run(&mut p.ours, &mut p.libotr, "query").unwrap();
    let texts = [
        "héllo wörld ✓",
        "line one\\nline two",
        "tab\\there and trailing\\x20",
    ];
    for t in texts {
        let ex = run(&mut p.ours, &mut p.libotr, &format!("send {t}")).unwrap();
        assert_eq!(msgs(&ex.b), vec![t.to_owned()], "{ex:?}");
        let ex = run(&mut p.libotr, &mut p.ours, &format!("send {t}")).unwrap();
        assert_eq!(msgs(&ex.b), vec![t.to_owned()], "{ex:?}");
    }
}

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn two_hundred_alternating_messages() {
    let Some(mut p) = start("two_hundred_alternating", &[], &[]) else {
        return;
    };
    run(&mut p.ours, &mut p.libotr, "query").unwrap();
    for i in 0..200 {
        let from_us = i % 2 == 0;
        let text = format!("message {i} ✓");
        let ex = send_all(&mut p, from_us, &text);
        assert_eq!(msgs(&ex.b), vec![text], "message {i}");
    }
    assert_secure(&mut p, "3");
}

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn two_hundred_messages_one_way_each_direction() {
    let Some(mut p) = start("two_hundred_one_way", &[], &[]) else {
        return;
    };
    run(&mut p.libotr, &mut p.ours, "query").unwrap();
    for from_us in [true, false] {
        for i in 0..200 {
            let text = format!("one-way {i}");
            let ex = send_all(&mut p, from_us, &text);
            assert_eq!(msgs(&ex.b), vec![text]);
        }
    }
}

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn fragmentation_at_max_size_100_both_ways() {
    let Some(mut p) = start(
        "fragmentation_100",
        &["--max-msg-size", "100"],
        &["--max-msg-size", "100"],
    ) else {
        return;
    };
    let ex = run(&mut p.ours, &mut p.libotr, "query").unwrap();
    assert!(has(&ex.a, "SECURE") && has(&ex.b, "SECURE"));
    // Every line either side sent was at most 99 bytes.
    for line in p.ours.transcript.iter().chain(p.libotr.transcript.iter()) {
        if let Some(m) = line.strip_prefix("SEND ") {
            let raw = otr_tests::line_escape::unescape(m.as_bytes());
            assert!(raw.len() <= 99, "{m}");
        }
    }
    let long: String = "0123456789 ✓ ".repeat(40).trim_end().to_owned();
    for from_us in [true, false] {
        let ex = send_all(&mut p, from_us, &long);
        assert_eq!(msgs(&ex.b), vec![long.clone()]);
        assert!(
            ex.a.iter().filter(|l| l.starts_with("SEND ?OTR|")).count() > 5,
            "{ex:?}"
        );
    }
}

fn symkey_lines(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter(|l| l.starts_with("SYMKEY "))
        .cloned()
        .collect()
}

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn extra_symmetric_key_agrees_v3_and_v2() {
    for (policy, version) in [("default", "3"), ("v2-only", "2")] {
        let Some(mut p) = start("extra_key", &["--policy", policy], &["--policy", policy]) else {
            return;
        };
        run(&mut p.ours, &mut p.libotr, "query").unwrap();
        assert_secure(&mut p, version);
        let ex = run(&mut p.ours, &mut p.libotr, "symkey 1 616263").unwrap();
        let (a, b) = (symkey_lines(&ex.a), symkey_lines(&ex.b));
        assert_eq!(a.len(), 1, "{ex:?}");
        assert_eq!(a, b, "same use, key and use data on both sides");
        let ex = run(&mut p.libotr, &mut p.ours, "symkey 7").unwrap();
        let (a, b) = (symkey_lines(&ex.a), symkey_lines(&ex.b));
        assert_eq!(a.len(), 1, "{ex:?}");
        assert_eq!(a, b);
    }
}

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn end_from_either_side_finishes_and_refuses_sending() {
    for we_end in [true, false] {
        let Some(mut p) = start("end", &[], &[]) else {
            return;
        };
        run(&mut p.ours, &mut p.libotr, "query").unwrap();
        let ex = if we_end {
            run(&mut p.ours, &mut p.libotr, "end").unwrap()
        } else {
            run(&mut p.libotr, &mut p.ours, "end").unwrap()
        };
        let (ender, other) = if we_end {
            (&mut p.ours, &mut p.libotr)
        } else {
            (&mut p.libotr, &mut p.ours)
        };
        assert_eq!(ender.state().unwrap()[1], "PLAINTEXT", "{ex:?}");
        assert_eq!(other.state().unwrap()[1], "FINISHED", "{ex:?}");
        let out = other.cmd("send are you there?").unwrap();
        assert!(has(&out, "EVENT CONNECTION_ENDED"), "{out:?}");
        assert!(!has(&out, "SEND"), "nothing on the wire: {out:?}");
    }
}

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn re_ake_by_query_while_private() {
    for we_query in [true, false] {
        let Some(mut p) = start("re_ake_query", &[], &[]) else {
            return;
        };
        let drop_in = p.libotr_is_drop_in();
        run(&mut p.ours, &mut p.libotr, "query").unwrap();
        let before = p.ours.state().unwrap();
        let ex = if we_query {
            run(&mut p.ours, &mut p.libotr, "query").unwrap()
        } else {
            run(&mut p.libotr, &mut p.ours, "query").unwrap()
        };
        let (ours_lines, libotr_lines) = if we_query {
            (&ex.a, &ex.b)
        } else {
            (&ex.b, &ex.a)
        };
        // Our side never leaves ENCRYPTED (decision 5) and reports a refresh.
        assert!(has(ours_lines, "STILL_SECURE"), "{ex:?}");
        assert!(!has(ours_lines, "INSECURE"), "{ex:?}");
        // libotr's real behaviour: when it sent the D-H Commit (our query
        // asked it to), the arriving D-H Key resets its child to the master's
        // PLAINTEXT state — the "plaintext window" — so it reports INSECURE then
        // SECURE; as the responder of our commit it reports STILL_SECURE.
        // Our drop-in libotr.so.5 keeps ENCRYPTED in both roles (no plaintext
        // window): STILL_SECURE either way.
        if drop_in {
            // Our query makes the drop-in send the D-H Commit: libotr's
            // is_reply (auth.initiated) is 1 then, 0 as the responder.
            let expected = format!("STILL_SECURE is_reply={}", u8::from(we_query));
            assert!(
                libotr_lines.contains(&expected) && !has(libotr_lines, "INSECURE"),
                "{expected}: {ex:?}"
            );
        } else if we_query {
            assert!(
                has(libotr_lines, "INSECURE") && libotr_lines.iter().any(|l| l == "SECURE"),
                "{ex:?}"
            );
            assert!(!has(libotr_lines, "STILL_SECURE"), "{ex:?}");
        } else {
            assert!(
                libotr_lines.iter().any(|l| l == "STILL_SECURE is_reply=0")
                    && !has(libotr_lines, "INSECURE"),
                "libotr as the responder: {ex:?}"
            );
        }
        assert_secure(&mut p, "3");
        assert_ne!(before, p.ours.state().unwrap(), "a new SSID");
        let ex = send_all(&mut p, true, "after the re-key");
        assert_eq!(msgs(&ex.b), vec!["after the re-key".to_owned()]);
        let ex = send_all(&mut p, false, "and back");
        assert_eq!(msgs(&ex.b), vec!["and back".to_owned()]);
    }
}

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn re_ake_from_a_whitespace_tag_after_an_end() {
    let Some(mut p) = start("re_ake_tag", &[], &[]) else {
        return;
    };
    run(&mut p.ours, &mut p.libotr, "query").unwrap();
    run(&mut p.ours, &mut p.libotr, "end").unwrap();
    // libotr is FINISHED; it ends too (nothing goes on the wire from
    // FINISHED, so nothing here can start an AKE) and then sends tagged
    // plaintext.
    let ended = run(&mut p.libotr, &mut p.ours, "end").unwrap();
    assert!(!has(&ended.a, "SEND"), "{ended:?}");
    assert_eq!(p.libotr.state().unwrap()[1], "PLAINTEXT");
    let out = p.libotr.cmd("send plain again").unwrap();
    // The only thing libotr put on the wire is the text with its whitespace
    // tag appended: the base tag, then v2 and v3 (libotr's default policy
    // allows v2 and v3, not v1).
    let sent = sends(&out);
    assert_eq!(sent.len(), 1, "{out:?}");
    let mut tagged = b"plain again".to_vec();
    tagged.extend_from_slice(whitespace::BASE_TAG);
    tagged.extend_from_slice(whitespace::V2_TAG);
    tagged.extend_from_slice(whitespace::V3_TAG);
    assert_eq!(
        unescape(sent[0].as_bytes()),
        tagged,
        "the SEND line carries the tag: {:?}",
        sent[0]
    );
    let ex = exchange(&mut p.libotr, &mut p.ours, sent).unwrap();
    // Our first answer to the tagged text is the tag stripped and shown,
    // then a D-H Commit: the tag (and nothing else) started the AKE.
    assert_eq!(msgs(&ex.b), vec!["plain again".to_owned()], "{ex:?}");
    let ours_first_send = ex.b.iter().find(|l| l.starts_with("SEND ")).unwrap();
    assert!(
        ours_first_send.starts_with("SEND ?OTR:AAMC"),
        "a D-H Commit answers the tag: {ex:?}"
    );
    assert!(
        has(&ex.b, "SECURE") && has(&ex.a, "SECURE"),
        "the tag restarted the AKE: {ex:?}"
    );
    assert_secure(&mut p, "3");
}

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn require_encryption_on_our_side_holds_and_sends_in_either_role() {
    // We are the one who queries (initiator of the query, responder of the AKE).
    let Some(mut p) = start("require_ours", &["--policy", "always"], &[]) else {
        return;
    };
    let out = p.ours.cmd("send first held").unwrap();
    assert!(has(&out, "EVENT ENCRYPTION_REQUIRED"), "{out:?}");
    assert!(
        out.iter()
            .filter(|l| l.starts_with("SEND "))
            .all(|l| l.starts_with("SEND ?OTRv")),
        "no plaintext: {out:?}"
    );
    let out2 = p.ours.cmd("send second held").unwrap();
    assert!(!has(&out2, "SEND"), "one query only: {out2:?}");
    let first_query = otr_tests::driver::sends(&out);
    let ex = otr_tests::driver::exchange(&mut p.ours, &mut p.libotr, first_query).unwrap();
    assert_eq!(
        msgs(&ex.b),
        vec!["first held".to_owned(), "second held".to_owned()],
        "{ex:?}"
    );
    assert!(has(&ex.a, "EVENT MSG_RESENT"), "{ex:?}");

    // libotr starts the AKE (we are the AKE responder… of its query).
    let Some(mut p) = start("require_ours_2", &["--policy", "always"], &[]) else {
        return;
    };
    let out = p.ours.cmd("send held while libotr starts").unwrap();
    assert!(has(&out, "EVENT ENCRYPTION_REQUIRED"));
    let ex = run(&mut p.libotr, &mut p.ours, "query").unwrap();
    assert_eq!(
        msgs(&ex.a),
        vec!["held while libotr starts".to_owned()],
        "{ex:?}"
    );
}

/// The AKE messages (by type character after `?OTR:AAM`) among SEND lines.
fn ake_types(lines: &[String]) -> String {
    sends(lines)
        .iter()
        .filter_map(|m| m.strip_prefix("?OTR:AAM"))
        .filter_map(|rest| rest.chars().next())
        .filter(|c| "CKRS".contains(*c))
        .collect()
}

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn require_encryption_on_libotrs_side_sends_only_as_responder() {
    let Some(mut p) = start("require_libotr", &[], &["--policy", "always"]) else {
        return;
    };
    let out = p.libotr.cmd("send libotr held").unwrap();
    assert!(has(&out, "EVENT ENCRYPTION_REQUIRED"), "{out:?}");
    let ex = exchange(&mut p.libotr, &mut p.ours, sends(&out)).unwrap();
    // libotr's query made us start the AKE: libotr was the responder (it
    // sent the D-H Key and the Signature) and resent its held message.
    assert_eq!(ake_types(&ex.a), "KS", "{ex:?}");
    assert_eq!(ake_types(&ex.b), "CR", "{ex:?}");
    assert_eq!(msgs(&ex.b), vec!["libotr held".to_owned()], "{ex:?}");
}

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn require_encryption_on_libotrs_side_resends_only_the_last_held_message() {
    let Some(mut p) = start("require_libotr_last", &[], &["--policy", "always"]) else {
        return;
    };
    if p.libotr_is_drop_in() {
        return held_messages_all_sent_in_order_by_the_drop_in(&mut p);
    }
    let first = p.libotr.cmd("send first held").unwrap();
    let second = p.libotr.cmd("send second held").unwrap();
    // libotr holds each and sends a query for each (docs/LIBOTR-DIFFERENCES.md §13).
    for out in [&first, &second] {
        assert!(has(out, "EVENT ENCRYPTION_REQUIRED"), "{out:?}");
        let sent = sends(out);
        assert!(
            sent.len() == 1 && sent[0].starts_with("?OTRv"),
            "one query, no plaintext: {out:?}"
        );
    }
    // One of the queries reaches us; we start the AKE, libotr responds and
    // resends only the last held message (`lastmessage` is overwritten).
    let ex = exchange(&mut p.libotr, &mut p.ours, sends(&first)).unwrap();
    assert_eq!(ake_types(&ex.a), "KS", "libotr is the responder: {ex:?}");
    assert_eq!(msgs(&ex.b), vec!["second held".to_owned()], "{ex:?}");
    assert_secure(&mut p, "3");
}

/// The drop-in `libotr.so.5` (our engine under the C peer) where libotr
/// keeps only its last held message: one query for the first message (the
/// second waits for the same AKE, with no second query), and after the AKE
/// every held message, in the order typed.
fn held_messages_all_sent_in_order_by_the_drop_in(p: &mut otr_tests::interop_peers::Peers) {
    let first = p.libotr.cmd("send first held").unwrap();
    assert!(has(&first, "EVENT ENCRYPTION_REQUIRED"), "{first:?}");
    let sent = sends(&first);
    assert!(
        sent.len() == 1 && sent[0].starts_with("?OTRv"),
        "one query, no plaintext: {first:?}"
    );
    let second = p.libotr.cmd("send second held").unwrap();
    assert!(has(&second, "EVENT ENCRYPTION_REQUIRED"), "{second:?}");
    assert!(
        sends(&second).is_empty(),
        "held, no second query: {second:?}"
    );
    let ex = exchange(&mut p.libotr, &mut p.ours, sends(&first)).unwrap();
    assert_eq!(
        ake_types(&ex.a),
        "KS",
        "the drop-in is the responder: {ex:?}"
    );
    assert_eq!(
        msgs(&ex.b),
        vec!["first held".to_owned(), "second held".to_owned()],
        "{ex:?}"
    );
    assert_secure(p, "3");
}

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn require_encryption_on_libotrs_side_held_message_not_sent_when_libotr_initiates() {
    let Some(mut p) = start("require_libotr_initiator", &[], &["--policy", "always"]) else {
        return;
    };
    let out = p.libotr.cmd("send held by libotr").unwrap();
    assert!(has(&out, "EVENT ENCRYPTION_REQUIRED"), "{out:?}");
    // libotr's query is lost; our own query makes libotr start the AKE
    // (it sends the D-H Commit and the Reveal Signature).
    let ex = run(&mut p.ours, &mut p.libotr, "query").unwrap();
    assert_eq!(ake_types(&ex.b), "CR", "libotr is the initiator: {ex:?}");
    assert_eq!(ake_types(&ex.a), "KS", "{ex:?}");
    assert!(has(&ex.a, "SECURE") && has(&ex.b, "SECURE"), "{ex:?}");
    assert_secure(&mut p, "3");
    // libotr 4.1.1 resends only from `maybe_resend` after a Reveal
    // Signature, so its held message is never sent (docs/LIBOTR-DIFFERENCES.md §5).
    // Our drop-in sends it once the AKE is done, whichever side started it.
    let drop_in = p.libotr_is_drop_in();
    if drop_in {
        assert_eq!(msgs(&ex.a), vec!["held by libotr".to_owned()], "{ex:?}");
    } else {
        assert!(msgs(&ex.a).is_empty(), "{ex:?}");
    }
    let ex = send_all(&mut p, false, "typed after");
    assert_eq!(msgs(&ex.b), vec!["typed after".to_owned()], "{ex:?}");
    let ex = send_all(&mut p, true, "and back");
    assert_eq!(msgs(&ex.b), vec!["and back".to_owned()], "{ex:?}");
    assert_eq!(
        p.ours
            .transcript
            .iter()
            .filter(|l| *l == "MSG held by libotr")
            .count(),
        usize::from(drop_in),
        "{:?}",
        p.ours.transcript
    );
}

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn heartbeats_after_a_minute_of_silence_both_ways() {
    let Some(mut p) = start("heartbeats", &[], &[]) else {
        return;
    };
    run(&mut p.ours, &mut p.libotr, "query").unwrap();
    // Nothing is due yet.
    let ex = send_all(&mut p, true, "hi");
    assert!(!has(&ex.b, "EVENT LOG_HEARTBEAT_SENT"), "{ex:?}");
    // libotr has sent nothing for 61 s: receiving our message makes it send a heartbeat.
    p.set_clock(false, 61);
    let ex = send_all(&mut p, true, "are you there");
    assert_eq!(msgs(&ex.b), vec!["are you there".to_owned()]);
    assert!(has(&ex.b, "EVENT LOG_HEARTBEAT_SENT"), "{ex:?}");
    assert!(has(&ex.a, "EVENT LOG_HEARTBEAT_RCVD"), "{ex:?}");
    assert!(msgs(&ex.a).is_empty(), "a heartbeat shows nothing: {ex:?}");
    // Now our clock jumps: we answer libotr's next message with a heartbeat.
    p.set_clock(true, 61);
    let ex = send_all(&mut p, false, "ping");
    assert_eq!(msgs(&ex.b), vec!["ping".to_owned()]);
    assert!(has(&ex.b, "EVENT LOG_HEARTBEAT_SENT"), "{ex:?}");
    assert!(has(&ex.a, "EVENT LOG_HEARTBEAT_RCVD"), "{ex:?}");
    // Not again within the minute.
    let ex = send_all(&mut p, false, "ping again");
    assert!(!has(&ex.b, "EVENT LOG_HEARTBEAT_SENT"), "{ex:?}");
}

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn v3_only_libotr_query_fragmented_in_v2_syntax() {
    let Some(mut p) = start(
        "v3_only_fragmented_query",
        &[],
        &["--policy", "v3-only", "--max-msg-size", "60"],
    ) else {
        return;
    };
    let out = p.libotr.cmd("query").unwrap();
    let sent = otr_tests::driver::sends(&out);
    if p.libotr_is_drop_in() {
        // Our drop-in sends a query whole whatever the maximum size: a
        // fragmented query is unreadable to the person without OTR that its
        // text is for, and no fragment syntax names a version before one is
        // agreed.
        assert!(
            sent.len() == 1 && sent[0].starts_with("?OTRv3?"),
            "one query, whole: {sent:?}"
        );
    } else {
        assert!(sent.len() > 1, "{out:?}");
        assert!(
            sent.iter().all(|s| s.starts_with("?OTR,0")),
            "v2 fragment syntax: {sent:?}"
        );
    }
    let ex = otr_tests::driver::exchange(&mut p.libotr, &mut p.ours, sent).unwrap();
    assert!(has(&ex.a, "SECURE") && has(&ex.b, "SECURE"), "{ex:?}");
    assert_secure(&mut p, "3");
}

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn the_same_key_and_instag_files_give_the_same_identity_in_both_peers() {
    let Some((libotr, _)) = libotr_peer() else {
        skip_or_fail("key_file_interop", "the libotr peer cannot be built");
        return;
    };
    for we_create in [true, false] {
        let dir = temp_dir(if we_create {
            "keyfile_ours"
        } else {
            "keyfile_libotr"
        });
        let key = dir.0.join("otr.private_key").display().to_string();
        let instag = dir.0.join("otr.instance_tags").display().to_string();
        let args: Vec<String> = [
            "--key",
            &key,
            "--instag",
            &instag,
            "carol@example.org",
            "prpl-jabber",
            "dave@example.org",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        let (first, second) = if we_create {
            (our_peer(), libotr.clone())
        } else {
            (libotr.clone(), our_peer())
        };
        let (fpr1, state1) = {
            let mut p = PeerProcess::spawn("first", &first, &args, &[]).unwrap();
            (p.fingerprint().unwrap(), p.state().unwrap())
        };
        let (fpr2, state2) = {
            let mut p = PeerProcess::spawn("second", &second, &args, &[]).unwrap();
            (p.fingerprint().unwrap(), p.state().unwrap())
        };
        assert_eq!(
            fpr1,
            fpr2,
            "created by {}",
            if we_create { "us" } else { "libotr" }
        );
        let our_tag = |s: &[String]| s.iter().find(|f| f.starts_with("our=")).cloned().unwrap();
        assert_eq!(our_tag(&state1), our_tag(&state2));
    }
}

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn fingerprints_file_written_by_us_is_read_by_libotr_and_back() {
    let Some((libotr, _)) = libotr_peer() else {
        skip_or_fail(
            "fingerprints_file_interop",
            "the libotr peer cannot be built",
        );
        return;
    };
    let dir = temp_dir("fingerprints_file");
    let path = |n: &str| dir.0.join(n).display().to_string();
    let (ak, ai, af) = (path("alice.key"), path("alice.instag"), path("alice.fpr"));
    let (bk, bi, bf) = (path("bob.key"), path("bob.instag"), path("bob.fpr"));
    let alice_args = |fpr: &str| -> Vec<String> {
        [
            "--key",
            &ak,
            "--instag",
            &ai,
            "--fingerprints",
            fpr,
            "alice@example.org",
            "xmpp",
            "bob@example.org",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
    };
    let bob_args: Vec<String> = [
        "--key",
        &bk,
        "--instag",
        &bi,
        "--fingerprints",
        &bf,
        "bob@example.org",
        "xmpp",
        "alice@example.org",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    // Our alice meets libotr's bob, sees his key and marks it verified: written to alice.fpr.
    {
        let mut alice = PeerProcess::spawn("ours", &our_peer(), &alice_args(&af), &[]).unwrap();
        let mut bob = PeerProcess::spawn("libotr", libotr, &bob_args, &[]).unwrap();
        let ex = run(&mut alice, &mut bob, "query").unwrap();
        assert!(has(&ex.a, "NEWFPR"), "{ex:?}");
        alice.cmd("trust verified").unwrap();
    }
    let written = std::fs::read_to_string(&af).unwrap();
    assert!(written.contains("\tverified\n"), "{written}");
    // libotr, as alice, with the same key, instag and fingerprints files: the
    // buddy key is known (no NEWFPR) and trusted.
    {
        let mut alice = PeerProcess::spawn("libotr-alice", libotr, &alice_args(&af), &[]).unwrap();
        let mut bob = PeerProcess::spawn("libotr", libotr, &bob_args, &[]).unwrap();
        let ex = run(&mut alice, &mut bob, "query").unwrap();
        assert!(has(&ex.a, "SECURE") && !has(&ex.a, "NEWFPR"), "{ex:?}");
        let state = alice.state().unwrap();
        assert!(state.contains(&"trust=verified".to_owned()), "{state:?}");
        alice.cmd("trust smp").unwrap();
    }
    // And back: our peer reads libotr's rewrite of the file.
    let rewritten = std::fs::read_to_string(&af).unwrap();
    assert!(rewritten.contains("\tsmp\n"), "{rewritten}");
    let mut alice = PeerProcess::spawn("ours", &our_peer(), &alice_args(&af), &[]).unwrap();
    let mut bob = PeerProcess::spawn("libotr", libotr, &bob_args, &[]).unwrap();
    let ex = run(&mut alice, &mut bob, "query").unwrap();
    assert!(has(&ex.a, "SECURE") && !has(&ex.a, "NEWFPR"), "{ex:?}");
    let state = alice.state().unwrap();
    assert!(state.contains(&"trust=smp".to_owned()), "{state:?}");
}

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn the_libotr_peer_runs_on_the_library_asked_for() {
    // CI sets OTR_EXPECT_DROP_IN=1 when it puts our libotr.so.5 first on
    // LD_LIBRARY_PATH, so that the drop-in's expectations above cannot be
    // skipped by a library that did not load.
    let Ok(expected) = std::env::var("OTR_EXPECT_DROP_IN") else {
        return;
    };
    let Some(mut p) = start("which_library", &[], &[]) else {
        return;
    };
    assert_eq!(
        p.libotr_is_drop_in(),
        expected == "1",
        "OTR_EXPECT_DROP_IN={expected}"
    );
}
