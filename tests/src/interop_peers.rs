//! Our `otr-peer` and the libotr peer side by side, for the interop tests.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;

use crate::driver::{Exchange, PeerProcess, libotr_peer, run};
use crate::interop::skip_or_fail;

/// Our peer (alice) and the libotr peer (bob).
pub struct Peers {
    /// Our `otr-peer`.
    pub ours: PeerProcess,
    /// The libotr peer.
    pub libotr: PeerProcess,
    /// Their working directory.
    pub dir: TempDir,
}

impl Peers {
    /// Moves a peer's clock `secs` seconds ahead of real time.
    pub fn set_clock(&self, ours: bool, secs: u64) {
        let file = if ours {
            "ours.faketime"
        } else {
            "libotr.faketime"
        };
        std::fs::write(self.dir.0.join(file), secs.to_string()).unwrap();
    }

    /// Whether the libotr peer runs on our drop-in `libotr.so.5`
    /// (`otr-libotr`, put first on `LD_LIBRARY_PATH`) rather than on
    /// libotr 4.1.1: the peer's `engine` command names the library loaded.
    /// Tests that pin libotr's own behaviour check ours there instead.
    pub fn libotr_is_drop_in(&mut self) -> bool {
        let out = self.libotr.cmd("engine").unwrap();
        let engine = out
            .iter()
            .find_map(|l| l.strip_prefix("ENGINE "))
            .unwrap_or_else(|| panic!("no ENGINE line: {out:?}"));
        engine.starts_with("otr-libotr")
    }
}

/// A directory removed on drop.
pub struct TempDir(pub PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh directory for one test.
#[must_use]
pub fn temp_dir(name: &str) -> TempDir {
    let dir = std::env::temp_dir().join(format!("otr-interop-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

/// Our `otr-peer` binary.
#[must_use]
pub fn our_peer() -> PathBuf {
    // Integration tests run from target/<profile>/deps; cargo builds the
    // package's binaries next to that directory before running them.
    let exe = std::env::current_exe().unwrap_or_default();
    let profile_dir = exe
        .parent()
        .and_then(std::path::Path::parent)
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    profile_dir.join("otr-peer")
}

/// Starts both peers: ours as alice, libotr's as bob (each talking to the other).
/// Starts both peers (extra arguments for each); `None` after a loud skip
/// when libotr is missing.
#[must_use]
pub fn start(test: &str, ours_args: &[&str], libotr_args: &[&str]) -> Option<Peers> {
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
    let env = vec![
        ("LD_PRELOAD".to_owned(), shim.display().to_string()),
        (
            "OTR_FAKETIME_FILE".to_owned(),
            dir.0.join("libotr.faketime").display().to_string(),
        ),
    ];
    let our_env = vec![(
        "OTR_FAKETIME_FILE".to_owned(),
        dir.0.join("ours.faketime").display().to_string(),
    )];
    let ours = PeerProcess::spawn(
        "ours",
        &our_peer(),
        &args(ours_args, "alice@example.org", "bob@example.org"),
        &our_env,
    )
    .unwrap();
    let libotr = PeerProcess::spawn(
        "libotr",
        libotr,
        &args(libotr_args, "bob@example.org", "alice@example.org"),
        &env,
    )
    .unwrap();
    Some(Peers { ours, libotr, dir })
}

/// Whether a line starts with `prefix`.
#[must_use]
pub fn has(lines: &[String], prefix: &str) -> bool {
    Exchange::has(lines, prefix)
}

/// The `MSG` payloads.
#[must_use]
pub fn msgs(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter_map(|l| l.strip_prefix("MSG ").map(str::to_owned))
        .collect()
}

/// Both peers are ENCRYPTED in `version` with the same SSID and each other's
/// fingerprints.
pub fn assert_secure(p: &mut Peers, version: &str) {
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

/// Sends `text` from one peer and carries everything to the end.
pub fn send_all(p: &mut Peers, from_us: bool, text: &str) -> Exchange {
    if from_us {
        run(&mut p.ours, &mut p.libotr, &format!("send {text}")).unwrap()
    } else {
        run(&mut p.libotr, &mut p.ours, &format!("send {text}")).unwrap()
    }
}
