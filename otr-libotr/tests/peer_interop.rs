//! The proof: the libotr test peer (`tests/libotr-peer`, a C program on
//! libotr's API) runs on our `libotr.so.5` (`LD_LIBRARY_PATH`) against the
//! same program on the real libotr 4.1.1: AKE (v3 and v2), a message each
//! way, SMP with and without a question, in both directions, and the end of
//! the conversation.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::{Path, PathBuf};

use common::{loaded_libotr, our_library_dir, scratch, workspace_root};
use otr_tests::driver::{Exchange, PeerProcess, libotr_peer, run};

struct Pair {
    ours: PeerProcess,
    real: PeerProcess,
    _dir: PathBuf,
}

#[allow(clippy::too_many_arguments)]
fn spawn(
    name: &str,
    program: &Path,
    lib: Option<&Path>,
    dir: &Path,
    me: &str,
    buddy: &str,
    fixture: &str,
    extra: &[&str],
) -> PeerProcess {
    spawn_under(&[], name, program, lib, dir, me, buddy, fixture, extra)
}

/// As [`spawn`], the peer run by `wrapper` (a memory checker) when given.
#[allow(clippy::too_many_arguments)]
fn spawn_under(
    wrapper: &[&str],
    name: &str,
    program: &Path,
    lib: Option<&Path>,
    dir: &Path,
    me: &str,
    buddy: &str,
    fixture: &str,
    extra: &[&str],
) -> PeerProcess {
    let fixtures = workspace_root().join("tests/fixtures/libotr");
    let key = dir.join(format!("{name}.key"));
    let instag = dir.join(format!("{name}.instag"));
    std::fs::copy(fixtures.join(format!("{fixture}.key")), &key).unwrap();
    std::fs::copy(fixtures.join(format!("{fixture}.instag")), &instag).unwrap();
    let mut args: Vec<String> = extra.iter().map(|s| (*s).to_owned()).collect();
    for (flag, path) in [
        ("--key", key),
        ("--instag", instag),
        ("--fingerprints", dir.join(format!("{name}.fpr"))),
    ] {
        args.push(flag.to_owned());
        args.push(path.display().to_string());
    }
    args.extend([me.to_owned(), "xmpp".to_owned(), buddy.to_owned()]);
    let env: Vec<(String, String)> = lib
        .map(|l| vec![("LD_LIBRARY_PATH".to_owned(), l.display().to_string())])
        .unwrap_or_default();
    match wrapper.split_first() {
        None => PeerProcess::spawn(name, program, &args, &env).unwrap(),
        Some((tool, tool_args)) => {
            let mut all: Vec<String> = tool_args.iter().map(|s| (*s).to_owned()).collect();
            all.push(program.display().to_string());
            all.extend(args);
            PeerProcess::spawn(name, Path::new(tool), &all, &env).unwrap()
        }
    }
}

/// Ours as alice, the real libotr as bob; `None` (skip) without libotr.
fn pair(test: &str, ours_extra: &[&str], real_extra: &[&str]) -> Option<Pair> {
    pair_on(test, ours_extra, real_extra, false)
}

/// As [`pair`]; with `both_ours`, bob runs on our library too.
fn pair_on(test: &str, ours_extra: &[&str], real_extra: &[&str], both_ours: bool) -> Option<Pair> {
    let Some((program, _)) = libotr_peer() else {
        eprintln!("skipped: the libotr peer cannot be built (libotr5-dev / pkg-config missing)");
        return None;
    };
    let dir = scratch(test);
    let lib = our_library_dir(&dir);
    let loaded = loaded_libotr(program, &lib).expect("ldd names libotr.so.5");
    assert!(
        loaded.starts_with(&lib),
        "the peer would load {}",
        loaded.display()
    );
    let ours = spawn(
        "ours",
        program,
        Some(&lib),
        &dir,
        "alice@example.org",
        "bob@example.org",
        "alice",
        ours_extra,
    );
    let real_lib = both_ours.then_some(lib.as_path());
    let real = spawn(
        "real",
        program,
        real_lib,
        &dir,
        "bob@example.org",
        "alice@example.org",
        "bob",
        real_extra,
    );
    Some(Pair {
        ours,
        real,
        _dir: dir,
    })
}

fn field(state: &[String], key: &str) -> String {
    state
        .iter()
        .find_map(|f| f.strip_prefix(key).map(str::to_owned))
        .unwrap_or_else(|| panic!("no {key} in {state:?}"))
}

fn has(lines: &[String], prefix: &str) -> bool {
    Exchange::has(lines, prefix)
}

/// Both ENCRYPTED in `version`, the same SSID, opposite bold halves, each
/// with the other's fingerprint.
fn assert_secure(p: &mut Pair, version: &str) {
    let a = p.ours.state().unwrap();
    let b = p.real.state().unwrap();
    assert_eq!(a[1], "ENCRYPTED", "ours: {a:?}");
    assert_eq!(b[1], "ENCRYPTED", "libotr: {b:?}");
    assert_eq!(a[2], version, "ours: {a:?}");
    assert_eq!(b[2], version, "libotr: {b:?}");
    assert_eq!(field(&a, "ssid="), field(&b, "ssid="));
    assert_ne!(field(&a, "ssid_half="), field(&b, "ssid_half="));
    assert_eq!(field(&a, "fpr="), p.real.fingerprint().unwrap());
    assert_eq!(field(&b, "fpr="), p.ours.fingerprint().unwrap());
}

fn messages_both_ways(p: &mut Pair) {
    let ex = run(&mut p.ours, &mut p.real, "send hello from our libotr").unwrap();
    assert!(has(&ex.b, "MSG hello from our libotr"), "{ex:?}");
    let ex = run(&mut p.real, &mut p.ours, "send hello from libotr").unwrap();
    assert!(has(&ex.b, "MSG hello from libotr"), "{ex:?}");
}

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn ake_messages_and_smp_against_real_libotr_v3() {
    for we_start in [true, false] {
        let Some(mut p) = pair("peer_v3", &[], &[]) else {
            return;
        };
        let ex = if we_start {
            run(&mut p.ours, &mut p.real, "query").unwrap()
        } else {
            run(&mut p.real, &mut p.ours, "query").unwrap()
        };
        assert!(has(&ex.a, "SECURE") && has(&ex.b, "SECURE"), "{ex:?}");
        assert_secure(&mut p, "3");
        messages_both_ways(&mut p);

        // SMP, each side asking once; the other answers.
        for we_ask in [true, false] {
            let (asker, answerer) = if we_ask {
                (&mut p.ours, &mut p.real)
            } else {
                (&mut p.real, &mut p.ours)
            };
            let first = run(asker, answerer, "smp the secret").unwrap();
            assert!(has(&first.b, "SMP ASK_FOR_SECRET 25"), "{first:?}");
            let second = run(answerer, asker, "smp-respond the secret").unwrap();
            assert!(has(&second.a, "SMP SUCCESS 100"), "{second:?}");
            assert!(has(&second.b, "SMP SUCCESS 100"), "{second:?}");
        }
        assert_eq!(field(&p.ours.state().unwrap(), "trust="), "smp");
        assert_eq!(field(&p.real.state().unwrap(), "trust="), "smp");
    }
}

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn smp_question_wrong_secret_and_end_against_real_libotr() {
    let Some(mut p) = pair("peer_smpq", &[], &[]) else {
        return;
    };
    run(&mut p.ours, &mut p.real, "query").unwrap();
    assert_secure(&mut p, "3");
    let first = run(&mut p.real, &mut p.ours, "smpq the colour?\tblue").unwrap();
    assert!(
        has(&first.b, "SMP ASK_FOR_ANSWER 25 the colour?"),
        "{first:?}"
    );
    let second = run(&mut p.ours, &mut p.real, "smp-respond red").unwrap();
    assert!(has(&second.a, "SMP FAILURE 100"), "{second:?}");
    assert!(has(&second.b, "SMP FAILURE 100"), "{second:?}");
    // We end the conversation: libotr's side is told.
    let ex = run(&mut p.ours, &mut p.real, "end").unwrap();
    let theirs = p.real.state().unwrap();
    assert_eq!(theirs[1], "FINISHED", "{ex:?} {theirs:?}");
    assert_eq!(p.ours.state().unwrap()[1], "PLAINTEXT");
}

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn ake_v2_against_real_libotr() {
    let Some(mut p) = pair(
        "peer_v2",
        &["--policy", "v2-only"],
        &["--policy", "v2-only"],
    ) else {
        return;
    };
    run(&mut p.real, &mut p.ours, "query").unwrap();
    assert_secure(&mut p, "2");
    messages_both_ways(&mut p);
}

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn fragmented_ake_messages_and_smp_against_real_libotr() {
    let size = ["--max-msg-size", "100"];
    let Some(mut p) = pair("peer_fragments", &size, &size) else {
        return;
    };
    let ex = run(&mut p.ours, &mut p.real, "query").unwrap();
    // The AKE messages are longer than 100 bytes: both sides fragment.
    assert!(
        ex.a.iter()
            .chain(&ex.b)
            .any(|l| l.starts_with("SEND ?OTR|")),
        "{ex:?}"
    );
    assert_secure(&mut p, "3");
    let long = "a message that is certainly longer than one hundred bytes once it is encrypted and armoured";
    let ex = run(&mut p.ours, &mut p.real, &format!("send {long}")).unwrap();
    assert!(has(&ex.b, &format!("MSG {long}")), "{ex:?}");
    let ex = run(&mut p.real, &mut p.ours, &format!("send {long}")).unwrap();
    assert!(has(&ex.b, &format!("MSG {long}")), "{ex:?}");
    let first = run(&mut p.real, &mut p.ours, "smp fragmented").unwrap();
    assert!(has(&first.b, "SMP ASK_FOR_SECRET 25"), "{first:?}");
    let second = run(&mut p.ours, &mut p.real, "smp-respond fragmented").unwrap();
    assert!(
        has(&second.a, "SMP SUCCESS 100") && has(&second.b, "SMP SUCCESS 100"),
        "{second:?}"
    );
}

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn our_library_on_both_sides() {
    let Some(mut p) = pair_on("peer_ours_ours", &[], &[], true) else {
        return;
    };
    run(&mut p.ours, &mut p.real, "query").unwrap();
    assert_secure(&mut p, "3");
    messages_both_ways(&mut p);
    let first = run(&mut p.ours, &mut p.real, "smpq who?\tme").unwrap();
    assert!(has(&first.b, "SMP ASK_FOR_ANSWER 25 who?"), "{first:?}");
    let second = run(&mut p.real, &mut p.ours, "smp-respond me").unwrap();
    assert!(
        has(&second.a, "SMP SUCCESS 100") && has(&second.b, "SMP SUCCESS 100"),
        "{second:?}"
    );
}

/// The exit status valgrind gives when it found an error.
const VALGRIND_FOUND_ERRORS: i32 = 97;

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn valgrind_finds_nothing_in_a_conversation_on_our_library() {
    let Some((program, _)) = libotr_peer() else {
        otr_tests::interop::skip_or_fail(
            "valgrind_conversation",
            "the libotr peer cannot be built",
        );
        return;
    };
    let has_valgrind = std::process::Command::new("valgrind")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_valgrind {
        otr_tests::interop::skip_or_fail(
            "valgrind_conversation",
            "valgrind is not installed (apt-get install valgrind)",
        );
        return;
    }
    let dir = scratch("peer_valgrind");
    let lib = our_library_dir(&dir);
    let code = format!("--error-exitcode={VALGRIND_FOUND_ERRORS}");
    let log = dir.join("valgrind.log");
    let log_arg = format!("--log-file={}", log.display());
    let wrapper = [
        "valgrind",
        "--tool=memcheck",
        "--leak-check=full",
        "--errors-for-leak-kinds=definite,indirect",
        code.as_str(),
        log_arg.as_str(),
    ];
    let mut ours = spawn_under(
        &wrapper,
        "ours",
        program,
        Some(&lib),
        &dir,
        "alice@example.org",
        "bob@example.org",
        "alice",
        &[],
    );
    let mut real = spawn(
        "real",
        program,
        None,
        &dir,
        "bob@example.org",
        "alice@example.org",
        "bob",
        &[],
    );
    // AKE (each side starting once), messages, SMP right and wrong, end.
    let ex = run(&mut ours, &mut real, "query").unwrap();
    assert!(has(&ex.a, "SECURE") && has(&ex.b, "SECURE"), "{ex:?}");
    let ex = run(&mut ours, &mut real, "send under valgrind").unwrap();
    assert!(has(&ex.b, "MSG under valgrind"), "{ex:?}");
    let ex = run(&mut real, &mut ours, "send and back").unwrap();
    assert!(has(&ex.b, "MSG and back"), "{ex:?}");
    run(&mut real, &mut ours, "query").unwrap();
    for answer in ["the secret", "not it"] {
        let first = run(&mut real, &mut ours, "smp the secret").unwrap();
        assert!(has(&first.b, "SMP ASK_FOR_SECRET 25"), "{first:?}");
        run(&mut ours, &mut real, &format!("smp-respond {answer}")).unwrap();
    }
    let ex = run(&mut ours, &mut real, "end").unwrap();
    assert_eq!(real.state().unwrap()[1], "FINISHED", "{ex:?}");
    drop(real);
    let status = ours.quit(std::time::Duration::from_secs(120));
    let report = std::fs::read_to_string(&log).unwrap_or_default();
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "valgrind's verdict on the peer on our library:\n{report}"
    );
    assert!(report.contains("ERROR SUMMARY: 0 errors"), "{report}");
}

/// Deterministic damage to a message: a byte flipped, replaced or cut, a
/// run repeated or removed.
fn mutate(message: &[u8], rng: &mut impl rand_core::Rng) -> Vec<u8> {
    let mut m = message.to_vec();
    if m.is_empty() {
        return m;
    }
    let len = m.len();
    let at = usize::try_from(rng.next_u32()).unwrap() % len;
    match rng.next_u32() % 6 {
        0 => m[at] ^= 1 << (rng.next_u32() % 7),
        1 => m[at] = b"AZaz09+/=.,|?:"[usize::try_from(rng.next_u32()).unwrap() % 14],
        2 => m.truncate(at),
        3 => {
            let end = (at + 1 + usize::try_from(rng.next_u32() % 64).unwrap()).min(len);
            let run = m[at..end].to_vec();
            m.splice(at..at, run);
        }
        4 => {
            let end = (at + 1 + usize::try_from(rng.next_u32() % 64).unwrap()).min(len);
            m.drain(at..end);
        }
        _ => {
            for b in &mut m[at..] {
                *b = b'A' + u8::try_from(rng.next_u32() % 26).unwrap();
            }
        }
    }
    m
}

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn mutated_wire_messages_never_crash_the_peer_on_our_library() {
    use otr_tests::line_escape::{escape, unescape};
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    // A real conversation, every wire message kept: the AKE, messages and
    // an SMP, fragmented at 120 bytes for fragment headers too.
    let Some(mut p) = pair(
        "peer_mutated",
        &["--max-msg-size", "120"],
        &["--max-msg-size", "120"],
    ) else {
        return;
    };
    let mut corpus: Vec<Vec<u8>> = Vec::new();
    let mut keep = |ex: &Exchange| {
        for lines in [&ex.a, &ex.b] {
            corpus.extend(
                otr_tests::driver::sends(lines)
                    .iter()
                    .map(|s| unescape(s.as_bytes())),
            );
        }
    };
    keep(&run(&mut p.real, &mut p.ours, "query").unwrap());
    keep(&run(&mut p.real, &mut p.ours, "send a message to damage").unwrap());
    keep(&run(&mut p.ours, &mut p.real, "send and one back").unwrap());
    keep(&run(&mut p.real, &mut p.ours, "smp the secret").unwrap());
    keep(&run(&mut p.ours, &mut p.real, "smp-respond the secret").unwrap());
    assert!(corpus.len() > 20, "{} messages", corpus.len());

    // Each damaged in many ways, fed to our library; it answers every one.
    let mut rng = ChaCha20Rng::seed_from_u64(14);
    let mut fed = 0;
    for round in 0..40 {
        for message in &corpus {
            let damaged = mutate(message, &mut rng);
            let line = format!("recv {}", String::from_utf8(escape(&damaged)).unwrap());
            p.ours
                .cmd(&line)
                .unwrap_or_else(|e| panic!("round {round}: the peer on our library died: {e}"));
            fed += 1;
        }
    }
    // Still alive and in a state it can report.
    let state = p.ours.state().unwrap();
    assert!(
        ["PLAINTEXT", "ENCRYPTED", "FINISHED"].contains(&state[1].as_str()),
        "{state:?} after {fed} damaged messages"
    );
}
