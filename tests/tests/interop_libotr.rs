//! Interop with libotr 4.1.1: our `otr-peer` against the libotr peer
//! (`tests/libotr-peer`), both ways round. Skipped loudly without libotr;
//! mandatory under `OTR_REQUIRE_INTEROP=1` (CI).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;

use otr_tests::driver::{Exchange, PeerProcess, libotr_peer, run};
use otr_tests::interop::skip_or_fail;

struct Peers {
    ours: PeerProcess,
    libotr: PeerProcess,
    _dir: TempDir,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp_dir(name: &str) -> TempDir {
    let dir = std::env::temp_dir().join(format!("otr-interop-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

fn our_peer() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_otr-peer"))
}

/// Starts both peers: ours as alice, libotr's as bob (each talking to the other).
fn start(test: &str, ours_args: &[&str], libotr_args: &[&str]) -> Option<Peers> {
    let Some((libotr, shim)) = libotr_peer() else {
        skip_or_fail(
            test,
            "the libotr peer cannot be built (libotr5-dev / pkg-config missing)",
        );
        return None;
    };
    let dir = temp_dir(test);
    let args = |extra: &[&str], account: &str, buddy: &str| -> Vec<String> {
        extra
            .iter()
            .map(|s| (*s).to_owned())
            .chain([account.to_owned(), "xmpp".to_owned(), buddy.to_owned()])
            .collect()
    };
    let faketime = dir.0.join("faketime");
    let env = vec![
        ("LD_PRELOAD".to_owned(), shim.display().to_string()),
        (
            "OTR_FAKETIME_FILE".to_owned(),
            faketime.display().to_string(),
        ),
    ];
    let ours = PeerProcess::spawn(
        "ours",
        &our_peer(),
        &args(ours_args, "alice@example.org", "bob@example.org"),
        &[],
    )
    .unwrap();
    let libotr = PeerProcess::spawn(
        "libotr",
        libotr,
        &args(libotr_args, "bob@example.org", "alice@example.org"),
        &env,
    )
    .unwrap();
    Some(Peers {
        ours,
        libotr,
        _dir: dir,
    })
}

fn has(lines: &[String], prefix: &str) -> bool {
    Exchange::has(lines, prefix)
}

fn msgs(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter_map(|l| l.strip_prefix("MSG ").map(str::to_owned))
        .collect()
}

fn assert_secure(p: &mut Peers, version: &str) {
    let a = p.ours.state().unwrap();
    let b = p.libotr.state().unwrap();
    assert_eq!(a[1], "ENCRYPTED", "ours: {a:?}");
    assert_eq!(b[1], "ENCRYPTED", "libotr: {b:?}");
    assert_eq!(a[2], version);
    assert_eq!(b[2], version);
    // Same SSID; opposite bold halves; each knows the other's fingerprint.
    let field = |s: &[String], k: &str| {
        s.iter()
            .find_map(|f| f.strip_prefix(k).map(str::to_owned))
            .unwrap()
    };
    assert_eq!(field(&a, "ssid="), field(&b, "ssid="));
    assert_ne!(field(&a, "ssid_half="), field(&b, "ssid_half="));
    let our_fpr = p.ours.fingerprint().unwrap();
    let their_fpr = p.libotr.fingerprint().unwrap();
    assert_eq!(field(&a, "fpr="), their_fpr);
    assert_eq!(field(&b, "fpr="), our_fpr);
}

#[test]
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
