//! The `otr-peer` command line itself, against `../shared/PEER-PROTOCOL.md`:
//! the parts of the line protocol the interop tests do not reach. `READY`,
//! `quit` and end of input (exit status 0), `ERR` for unknown commands and
//! for bad arguments of known ones (the peer keeps going), `poll` and the
//! `TIMER` line (master-commit and held-message expiry, fragment
//! reassembly), `mms`, `smp-respond` with nothing pending, `trust` with no
//! level, the `--show-tlvs` and `--raw` options, `--max-msg-size` too small,
//! and the escaping of payloads. Where two peers are needed, two `otr-peer`
//! processes are connected by the test driver. No libotr needed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};

use otr_core::otr_wire::whitespace;
use otr_tests::driver::{PeerProcess, exchange, run, sends};
use otr_tests::interop_peers::{TempDir, has, msgs, temp_dir};
use otr_tests::line_escape::unescape;

const OTR_PEER: &str = env!("CARGO_BIN_EXE_otr-peer");
const ALICE: &str = "alice@example.org";
const BOB: &str = "bob@example.org";

fn args(extra: &[&str], account: &str, buddy: &str) -> Vec<String> {
    extra
        .iter()
        .copied()
        .chain([account, "xmpp", buddy])
        .map(str::to_owned)
        .collect()
}

/// Our peer as alice (talking to bob), with extra options and an optional
/// clock-offset file (`OTR_FAKETIME_FILE`).
fn alice(extra: &[&str], clock: Option<&Path>) -> PeerProcess {
    let env: Vec<(String, String)> = clock
        .map(|c| ("OTR_FAKETIME_FILE".to_owned(), c.display().to_string()))
        .into_iter()
        .collect();
    PeerProcess::spawn("alice", Path::new(OTR_PEER), &args(extra, ALICE, BOB), &env).unwrap()
}

fn bob(extra: &[&str]) -> PeerProcess {
    PeerProcess::spawn("bob", Path::new(OTR_PEER), &args(extra, BOB, ALICE), &[]).unwrap()
}

/// Two of our peers in a private (v3) conversation.
fn private_pair(alice_extra: &[&str], bob_extra: &[&str]) -> (PeerProcess, PeerProcess) {
    let mut a = alice(alice_extra, None);
    let mut b = bob(bob_extra);
    let ex = run(&mut a, &mut b, "query").unwrap();
    assert!(ex.a.iter().any(|l| l == "SECURE"), "{ex:?}");
    assert!(ex.b.iter().any(|l| l == "SECURE"), "{ex:?}");
    assert_eq!(a.state().unwrap()[1], "ENCRYPTED");
    assert_eq!(b.state().unwrap()[1], "ENCRYPTED");
    (a, b)
}

/// Runs the peer on a whole stdin script; its exit status and output lines.
fn script(extra: &[&str], input: &[u8]) -> (ExitStatus, Vec<String>) {
    let mut child = Command::new(OTR_PEER)
        .args(args(extra, ALICE, BOB))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // A peer that refuses to start may exit before the script is written.
    if let Err(e) = stdin.write_all(input) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    (out.status, text.lines().map(str::to_owned).collect())
}

fn ready_line() -> String {
    format!("READY otr-peer {}", env!("CARGO_PKG_VERSION"))
}

fn field(state: &[String], key: &str) -> String {
    state
        .iter()
        .find_map(|f| f.strip_prefix(key).map(str::to_owned))
        .unwrap_or_else(|| panic!("no {key} in {state:?}"))
}

/// Exactly one `ERR <text>` line (non-empty text), nothing else.
fn assert_err(out: &[String], what: &str) {
    assert_eq!(out.len(), 1, "{what}: {out:?}");
    let text = out[0]
        .strip_prefix("ERR ")
        .unwrap_or_else(|| panic!("{what}: {out:?}"));
    assert!(!text.trim().is_empty(), "{what}: {out:?}");
}

fn is_lower_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A clock-offset file (seconds ahead of real time) in a fresh directory.
struct Clock {
    dir: TempDir,
}

impl Clock {
    fn new(name: &str) -> Self {
        Self {
            dir: temp_dir(&format!("peer-cli-{name}")),
        }
    }

    fn path(&self) -> std::path::PathBuf {
        self.dir.0.join("ours.faketime")
    }

    fn set(&self, secs: u64) {
        std::fs::write(self.path(), secs.to_string()).unwrap();
    }
}

// ---------------------------------------------------------------------------
// Framing: READY, quit, end of input

#[test]
fn quit_prints_done_exits_zero_and_runs_nothing_after_it() {
    let (status, lines) = script(&[], b"fingerprint\nquit\nstate\nfingerprint\n");
    assert!(status.success(), "{status:?}");
    assert_eq!(status.code(), Some(0));
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert_eq!(lines[0], ready_line());
    let fpr = lines[1].strip_prefix("FPR ").unwrap();
    assert!(is_lower_hex(fpr, 40), "{lines:?}");
    assert_eq!(lines[2], "DONE");
    // `quit` is a command like any other: it ends with DONE, then the
    // process exits without reading the rest.
    assert_eq!(lines[3], "DONE");
}

#[test]
fn end_of_input_exits_zero_after_answering_every_command() {
    let (status, lines) = script(&[], b"state\n");
    assert_eq!(status.code(), Some(0), "{lines:?}");
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(lines[0], ready_line());
    assert!(lines[1].starts_with("STATE PLAINTEXT 0 "), "{lines:?}");
    assert_eq!(lines[2], "DONE");
    // No input at all: READY, then exit 0.
    let (status, lines) = script(&[], b"");
    assert_eq!(status.code(), Some(0));
    assert_eq!(lines, vec![ready_line()]);
}

#[test]
fn state_of_a_fresh_peer_has_every_field_in_protocol_order() {
    let mut a = alice(&[], None);
    let out = a.cmd("state").unwrap();
    assert_eq!(out.len(), 1, "{out:?}");
    let f: Vec<&str> = out[0].split(' ').collect();
    assert_eq!(f.len(), 11, "{out:?}");
    assert_eq!(&f[..4], ["STATE", "PLAINTEXT", "0", "0x00000000"]);
    let our = f[4].strip_prefix("our=0x").unwrap();
    assert!(is_lower_hex(our, 8), "{out:?}");
    assert_eq!(
        &f[5..],
        [
            "ssid=-",
            "ssid_half=-",
            "fpr=-",
            "trust=-",
            "smp=-",
            "auth=NONE"
        ]
    );
}

// ---------------------------------------------------------------------------
// ERR: unknown commands and bad arguments; the peer keeps going

#[test]
fn unknown_commands_give_err_then_done_and_the_peer_keeps_going() {
    let mut a = alice(&[], None);
    let before = a.cmd("state").unwrap();
    for garbage in [
        "bogus",
        "bogus with arguments",
        "",
        " state",
        "SEND upper case is another command",
        "STATE",
        "recv\tx",
        "smp_abort",
        "\\x00",
    ] {
        let out = a.cmd(garbage).unwrap();
        assert_err(&out, garbage);
    }
    assert_eq!(a.cmd("state").unwrap(), before, "nothing changed");
    // Bytes that are not UTF-8 and control bytes are garbage too, never a crash.
    let (status, lines) = script(&[], b"\xff\xfe\x01 what\nstate\n");
    assert_eq!(status.code(), Some(0), "{lines:?}");
    assert_eq!(lines.len(), 5, "{lines:?}");
    assert!(lines[1].starts_with("ERR "), "{lines:?}");
    assert_eq!(lines[2], "DONE");
    assert!(lines[3].starts_with("STATE PLAINTEXT "), "{lines:?}");
    assert_eq!(lines[4], "DONE");
}

#[test]
fn bad_arguments_of_known_commands_give_err_and_change_nothing() {
    let mut a = alice(&[], None);
    let before = a.cmd("state").unwrap();
    for bad in [
        // mms needs a number larger than the v3 fragment header (37), or 0.
        "mms",
        "mms abc",
        "mms -1",
        "mms 1.5",
        "mms 37",
        "mms 1",
        // symkey needs a use number and optional hex use data (and privacy).
        "symkey",
        "symkey x",
        "symkey 1 zz",
        "symkey 1 616263",
        // smpq needs a literal TAB between question and secret.
        "smpq question without a tab",
        // SMP needs a private conversation; trust an active fingerprint.
        "smp secret",
        "smp-respond secret",
        "trust verified",
        "trust",
        // Commands that take no argument.
        "query now",
        "end now",
        "poll now",
        "fingerprint mine",
        "state please",
        "smp-abort now",
        "quit now",
    ] {
        let out = a.cmd(bad).unwrap();
        assert_err(&out, bad);
    }
    // Still running (`quit now` did not quit), nothing sent, nothing changed.
    assert_eq!(a.cmd("state").unwrap(), before);
    assert!(
        !a.transcript.iter().any(|l| l.starts_with("SEND ")),
        "{:?}",
        a.transcript
    );
    // `mms 38` (just above the header) and `mms 0` are accepted silently.
    assert!(a.cmd("mms 38").unwrap().is_empty());
    assert!(a.cmd("mms 0").unwrap().is_empty());
}

#[test]
fn smp_respond_without_a_pending_request_is_an_error_while_private() {
    let (mut a, mut b) = private_pair(&[], &[]);
    let out = a.cmd("smp-respond secret").unwrap();
    assert_err(&out, "smp-respond with no SMP pending");
    assert_eq!(field(&a.state().unwrap(), "smp="), "EXPECT1");
    // Nothing went to bob, and the conversation still works.
    let ex = run(&mut a, &mut b, "send still fine").unwrap();
    assert_eq!(msgs(&ex.b), vec!["still fine".to_owned()]);
}

// ---------------------------------------------------------------------------
// poll and TIMER

#[test]
fn poll_with_nothing_pending_prints_nothing() {
    let mut a = alice(&[], None);
    assert!(a.cmd("poll").unwrap().is_empty());
    let (mut a, mut b) = private_pair(&[], &[]);
    assert!(a.cmd("poll").unwrap().is_empty());
    assert!(b.cmd("poll").unwrap().is_empty());
}

#[test]
fn timer_announces_a_pending_master_commit_and_poll_expires_it() {
    let clock = Clock::new("master-commit");
    clock.set(0);
    let mut a = alice(&[], Some(&clock.path()));
    // A query makes us send a D-H Commit from the master context, which
    // stays open for 60 s: the engine asks to be polled within 60 s.
    let out = a.cmd("recv ?OTRv3?").unwrap();
    assert_eq!(out.len(), 2, "{out:?}");
    assert!(out[0].starts_with("SEND ?OTR:AAMC"), "{out:?}");
    assert_eq!(out[1], "TIMER 60");
    assert_eq!(field(&a.state().unwrap(), "auth="), "AWAITING_DHKEY");
    // Polling early does nothing.
    clock.set(30);
    assert!(a.cmd("poll").unwrap().is_empty());
    assert_eq!(field(&a.state().unwrap(), "auth="), "AWAITING_DHKEY");
    // After the deadline the commit is dropped and no timer is left (libotr's
    // timer_control convention: 0 = stop).
    clock.set(61);
    assert_eq!(a.cmd("poll").unwrap(), vec!["TIMER 0".to_owned()]);
    assert_eq!(field(&a.state().unwrap(), "auth="), "NONE");
    assert!(a.cmd("poll").unwrap().is_empty());
}

#[test]
fn poll_expires_held_messages_so_they_are_never_sent() {
    let clock = Clock::new("held");
    clock.set(0);
    let mut a = alice(&["--policy", "always"], Some(&clock.path()));
    let out = a.cmd("send held too long").unwrap();
    assert_eq!(out.len(), 3, "{out:?}");
    assert_eq!(out[0], "EVENT ENCRYPTION_REQUIRED");
    assert!(out[1].starts_with("SEND ?OTRv23?"), "{out:?}");
    assert_eq!(out[2], "TIMER 60", "held messages live 60 s");
    let query = sends(&out);
    clock.set(30);
    assert!(a.cmd("poll").unwrap().is_empty());
    clock.set(61);
    // HELD_MESSAGES_EXPIRED is ours (decision 3): libotr has no such event.
    assert_eq!(
        a.cmd("poll").unwrap(),
        vec![
            "EVENT HELD_MESSAGES_EXPIRED".to_owned(),
            "TIMER 0".to_owned()
        ]
    );
    // The conversation becomes private, and the expired message is not sent.
    let mut b = bob(&[]);
    let ex = exchange(&mut a, &mut b, query).unwrap();
    assert!(ex.a.iter().any(|l| l == "SECURE"), "{ex:?}");
    assert!(ex.b.iter().any(|l| l == "SECURE"), "{ex:?}");
    assert!(msgs(&ex.b).is_empty(), "{ex:?}");
    assert!(!has(&ex.a, "EVENT MSG_RESENT"), "{ex:?}");
}

// ---------------------------------------------------------------------------
// mms

/// Splits a v3 fragment `?OTR|%08x|%08x,%05hu,%05hu,piece,`.
fn parse_v3_fragment(f: &str) -> (String, String, usize, usize, String) {
    let rest = f.strip_prefix("?OTR|").unwrap_or_else(|| panic!("{f}"));
    let (sender, rest) = rest.split_once('|').unwrap();
    let (receiver, rest) = rest.split_once(',').unwrap();
    let (k, rest) = rest.split_once(',').unwrap();
    let (n, rest) = rest.split_once(',').unwrap();
    let piece = rest.strip_suffix(',').unwrap_or_else(|| panic!("{f}"));
    assert!(is_lower_hex(sender, 8) && is_lower_hex(receiver, 8), "{f}");
    assert!(k.len() == 5 && n.len() == 5, "{f}");
    (
        sender.to_owned(),
        receiver.to_owned(),
        k.parse().unwrap(),
        n.parse().unwrap(),
        piece.to_owned(),
    )
}

/// Sends `text` from `a` and delivers each fragment to `b` one by one;
/// returns `a`'s SEND payloads and `b`'s output per fragment.
fn send_fragments(
    a: &mut PeerProcess,
    b: &mut PeerProcess,
    text: &str,
) -> (Vec<String>, Vec<Vec<String>>) {
    let sent = sends(&a.cmd(&format!("send {text}")).unwrap());
    let outs = sent
        .iter()
        .map(|m| b.cmd(&format!("recv {m}")).unwrap())
        .collect();
    (sent, outs)
}

#[test]
fn mms_changes_the_fragment_size_of_later_messages() {
    // Bob answered alice's query with a D-H Commit from his master context,
    // whose 60-s timer is still running; alice has no timer, so her side
    // shows the reassembly timer. Bob sends, alice receives.
    let (mut a, mut b) = private_pair(&[], &[]);
    let b_state = b.state().unwrap();
    let our_tag = field(&b_state, "our=0x");
    let their_tag = b_state[3].strip_prefix("0x").unwrap().to_owned();
    let long = "a fairly long message, to be cut in pieces ✓ ".repeat(5);
    let long = long.trim_end();
    let (a, b) = (&mut b, &mut a);

    assert!(a.cmd("mms 60").unwrap().is_empty());
    let (sent, outs) = send_fragments(a, b, long);
    let n = sent.len();
    assert!(n > 5, "{sent:?}");
    let mut whole = String::new();
    for (i, f) in sent.iter().enumerate() {
        assert!(f.len() <= 59, "at most mms − 1 bytes: {f}");
        let (s, r, k, total, piece) = parse_v3_fragment(f);
        assert_eq!(
            (s.as_str(), r.as_str()),
            (our_tag.as_str(), their_tag.as_str())
        );
        assert_eq!((k, total), (i + 1, n), "{f}");
        assert!(!piece.is_empty() && piece.len() <= 60 - 37, "{f}");
        whole.push_str(&piece);
    }
    assert!(
        whole.starts_with("?OTR:AAMD") && whole.ends_with('.'),
        "{whole}"
    );
    // Reassembly: the first fragment starts a timer (fragments live 120 s),
    // the middle ones print nothing, the last delivers and clears the timer.
    assert_eq!(outs[0], vec!["TIMER 120".to_owned()], "{outs:?}");
    for out in &outs[1..n - 1] {
        assert!(out.is_empty(), "{outs:?}");
    }
    assert_eq!(
        outs[n - 1],
        vec![format!("MSG {long}"), "TIMER 0".to_owned()],
        "{outs:?}"
    );

    // A rejected size leaves the previous one in force.
    assert_err(&a.cmd("mms 37").unwrap(), "mms 37");
    let (sent, _) = send_fragments(a, b, long);
    assert_eq!(sent.len(), n, "still mms 60: {sent:?}");

    // 0: never fragment.
    assert!(a.cmd("mms 0").unwrap().is_empty());
    let (sent, outs) = send_fragments(a, b, long);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].starts_with("?OTR:AAMD"), "{sent:?}");
    assert_eq!(outs, vec![vec![format!("MSG {long}")]]);

    // 38, the smallest size: one-byte pieces, every fragment at most 37 bytes.
    assert!(a.cmd("mms 38").unwrap().is_empty());
    let (sent, outs) = send_fragments(a, b, "tiny");
    assert!(sent.len() > 50, "{}", sent.len());
    assert!(sent.iter().all(|f| f.len() <= 37), "{sent:?}");
    assert!(sent.iter().all(|f| parse_v3_fragment(f).4.len() == 1));
    assert_eq!(msgs(outs.last().unwrap()), vec!["tiny".to_owned()]);
}

#[test]
fn max_msg_size_option_not_above_the_fragment_header_refuses_to_start() {
    for n in ["1", "37"] {
        let (status, lines) = script(&["--max-msg-size", n], b"state\n");
        assert!(!status.success(), "--max-msg-size {n}: {status:?}");
        assert!(lines.is_empty(), "no READY: {lines:?}");
    }
    for n in ["0", "38"] {
        let (status, lines) = script(&["--max-msg-size", n], b"quit\n");
        assert_eq!(status.code(), Some(0));
        assert_eq!(lines, vec![ready_line(), "DONE".to_owned()]);
    }
}

// ---------------------------------------------------------------------------
// trust

#[test]
fn trust_without_a_level_marks_the_fingerprint_untrusted() {
    let (mut a, _b) = private_pair(&[], &[]);
    assert_eq!(field(&a.state().unwrap(), "trust="), "-");
    assert!(a.cmd("trust verified").unwrap().is_empty());
    assert_eq!(field(&a.state().unwrap(), "trust="), "verified");
    assert!(a.cmd("trust").unwrap().is_empty());
    assert_eq!(field(&a.state().unwrap(), "trust="), "-");
}

// ---------------------------------------------------------------------------
// --show-tlvs

fn tlv_lines(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter(|l| l.starts_with("TLV "))
        .cloned()
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn show_tlvs_prints_a_tlv_line_for_each_tlv_of_a_received_data_message() {
    let (mut a, mut b) = private_pair(&[], &["--show-tlvs"]);

    // Plain text carries no TLV: just the message.
    let ex = run(&mut a, &mut b, "send no tlv here").unwrap();
    assert_eq!(ex.b, vec!["MSG no tlv here".to_owned()]);

    // TLV 8: use (4 bytes, big-endian) then the use data.
    let ex = run(&mut a, &mut b, "symkey 1 616263").unwrap();
    let symkey: Vec<String> =
        ex.a.iter()
            .filter(|l| l.starts_with("SYMKEY "))
            .cloned()
            .collect();
    assert_eq!(symkey.len(), 1, "{ex:?}");
    // Its text is empty, so, as in libotr, it also counts as a heartbeat.
    assert_eq!(
        sorted(ex.b.clone()),
        sorted(vec![
            symkey[0].clone(),
            "TLV 8 00000001616263".to_owned(),
            "EVENT LOG_HEARTBEAT_RCVD".to_owned(),
        ]),
        "{ex:?}"
    );

    // SMP: bob sees TLV 2 (SMP1: six MPIs) and is asked for the secret;
    // alice, without --show-tlvs, sees no TLV line for bob's answers.
    let ex = run(&mut a, &mut b, "smp shared").unwrap();
    let smp1 = tlv_lines(&ex.b);
    assert_eq!(smp1.len(), 1, "{ex:?}");
    let hex = smp1[0].strip_prefix("TLV 2 ").unwrap();
    assert!(
        hex.starts_with("00000006") && is_lower_hex(hex, hex.len()),
        "{ex:?}"
    );
    assert_eq!(
        sorted(ex.b.clone()),
        sorted(vec![
            smp1[0].clone(),
            "SMP ASK_FOR_SECRET 25".to_owned(),
            "EVENT LOG_HEARTBEAT_RCVD".to_owned(),
        ])
    );
    let ex = run(&mut b, &mut a, "smp-respond shared").unwrap();
    let b_tlvs = tlv_lines(&ex.a);
    assert_eq!(b_tlvs.len(), 1, "bob receives SMP3 only: {ex:?}");
    assert!(b_tlvs[0].starts_with("TLV 4 00000008"), "{ex:?}");
    assert!(
        tlv_lines(&ex.b).is_empty(),
        "alice has no --show-tlvs: {ex:?}"
    );
    assert!(ex.a.iter().any(|l| l == "SMP SUCCESS 100"), "{ex:?}");
    assert!(ex.b.iter().any(|l| l == "SMP SUCCESS 100"), "{ex:?}");

    // A question travels in TLV 7: the question, a NUL, then SMP1.
    let ex = run(&mut a, &mut b, "smpq who?\tme").unwrap();
    let smp1q = tlv_lines(&ex.b);
    assert_eq!(smp1q.len(), 1, "{ex:?}");
    assert!(
        smp1q[0].starts_with(&format!("TLV 7 {}0000000006", hex::encode("who?"))),
        "{ex:?}"
    );
    run(&mut a, &mut b, "smp-abort").unwrap();

    // TLV 1 (disconnected) has no value: "TLV 1 " with an empty hex field.
    let ex = run(&mut a, &mut b, "end").unwrap();
    assert_eq!(tlv_lines(&ex.b), vec!["TLV 1 ".to_owned()], "{ex:?}");
    assert_eq!(b.state().unwrap()[1], "FINISHED");
}

// ---------------------------------------------------------------------------
// --raw and escaping

#[test]
fn raw_mode_passes_payloads_unescaped_both_ways() {
    let mut raw = alice(&["--raw"], None);
    let mut escaped = alice(&[], None);
    // Input: no unescaping (the backslash stays); a raw TAB and a trailing
    // space pass as they are.
    let input = "recv a\\x41b\tc ";
    assert_eq!(raw.cmd(input).unwrap(), vec!["MSG a\\x41b\tc ".to_owned()]);
    assert_eq!(
        escaped.cmd(input).unwrap(),
        vec!["MSG aAb\\tc\\x20".to_owned()]
    );
    // Output: the whitespace tag goes out as raw spaces and TABs.
    let mut tagged = b"hi".to_vec();
    tagged.extend_from_slice(whitespace::BASE_TAG);
    tagged.extend_from_slice(whitespace::V2_TAG);
    tagged.extend_from_slice(whitespace::V3_TAG);
    let tagged = String::from_utf8(tagged).unwrap();
    assert_eq!(raw.cmd("send hi").unwrap(), vec![format!("SEND {tagged}")]);
    let out = escaped.cmd("send hi").unwrap();
    assert_eq!(out.len(), 1);
    assert!(!out[0].contains('\t'), "{out:?}");
    assert_eq!(
        unescape(out[0].as_bytes()),
        format!("SEND {tagged}").as_bytes()
    );
}

#[test]
fn raw_peers_complete_an_ake_and_exchange_messages() {
    let mut a = alice(&["--raw"], None);
    let mut b = PeerProcess::spawn(
        "bob",
        Path::new(OTR_PEER),
        &args(&["--raw"], BOB, ALICE),
        &[],
    )
    .unwrap();
    // The query text holds a newline, sent raw: the SEND line is cut there
    // and the driver forwards only its first part, `?OTRv23?`, which is
    // still a query.
    let out = a.cmd("query").unwrap();
    assert_eq!(out[0], "SEND ?OTRv23?", "{out:?}");
    let ex = exchange(&mut a, &mut b, sends(&out)).unwrap();
    assert!(ex.a.iter().any(|l| l == "SECURE"), "{ex:?}");
    assert!(ex.b.iter().any(|l| l == "SECURE"), "{ex:?}");
    let ex = run(&mut a, &mut b, "send back\\slash\tand tab ").unwrap();
    assert_eq!(ex.b, vec!["MSG back\\slash\tand tab ".to_owned()]);
}

#[test]
fn payloads_are_escaped_as_the_protocol_says() {
    let mut a = alice(&["--policy", "manual"], None);
    // Received plaintext: backslash, CR, other control bytes, a trailing
    // space; an unknown escape stays literal; bytes ≥ 0x80 pass raw.
    let out = a.cmd("recv a\\\\b\\rc\\x01d\\x7fe\\qf ✓ ").unwrap();
    assert_eq!(
        out,
        vec!["MSG a\\\\b\\rc\\x01d\\x7fe\\\\qf ✓\\x20".to_owned()]
    );
    // A space inside the payload is not escaped, only the last one.
    let out = a.cmd("recv two  spaces\\x20").unwrap();
    assert_eq!(out, vec!["MSG two  spaces\\x20".to_owned()]);
    // Sending (manual policy: no tag) escapes the same way.
    let out = a.cmd("send tab\\there\\nnewline ").unwrap();
    assert_eq!(out, vec!["SEND tab\\there\\nnewline\\x20".to_owned()]);
}

// ---------------------------------------------------------------------------
// files: private to their owner, replaced atomically

#[cfg(unix)]
#[test]
fn key_instag_and_fingerprint_files_are_written_0600_and_atomically() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("peer-cli-file-modes");
    let key = dir.0.join("alice.key");
    let instag = dir.0.join("alice.instag");
    let fingerprints = dir.0.join("alice.fpr");
    let path = |p: &Path| p.display().to_string();
    let files = [
        "--key".to_owned(),
        path(&key),
        "--instag".to_owned(),
        path(&instag),
        "--fingerprints".to_owned(),
        path(&fingerprints),
    ];
    let files: Vec<&str> = files.iter().map(String::as_str).collect();
    // The test process runs with the usual umask (022 on CI), under which a
    // plain write would give 0644.
    let (mut a, _b) = private_pair(&files, &[]);
    assert!(a.cmd("trust verified").unwrap().is_empty());
    for file in [&key, &instag, &fingerprints] {
        let mode = std::fs::metadata(file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", file.display());
    }
    let mut names: Vec<String> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["alice.fpr", "alice.instag", "alice.key"],
        "no temporary file left"
    );
}

#[test]
fn a_shared_fingerprints_file_keeps_every_other_line_byte_for_byte() {
    let dir = temp_dir("peer-cli-shared-fpr");
    let fingerprints = dir.0.join("shared.fpr");
    let foreign: &[u8] = b"# another program's comment\n\
        carol@example.org\tother@example.org\txmpp\t02c89e292efe03980a4afb0be688174e91a0645a\tverified\n\
        ren\xe9\talice@example.org\tirc\t02C89E292EFE03980A4AFB0BE688174E91A0645A\tverified\r\n\
        dave@example.org\talice@example.org\txmpp\t1111111111111111111111111111111111111111\tsmp\n";
    std::fs::write(&fingerprints, foreign).unwrap();
    let path = fingerprints.display().to_string();
    let (mut a, _b) = private_pair(&["--fingerprints", &path], &[]);
    assert!(a.cmd("trust verified").unwrap().is_empty());
    let after = std::fs::read(&fingerprints).unwrap();
    assert!(
        after.starts_with(foreign),
        "{}",
        String::from_utf8_lossy(&after)
    );
    let added = String::from_utf8(after[foreign.len()..].to_vec()).unwrap();
    assert!(
        added.starts_with("bob@example.org\talice@example.org\txmpp\t")
            && added.ends_with("\tverified\n"),
        "{added:?}"
    );
    assert_eq!(added.lines().count(), 1);
}
