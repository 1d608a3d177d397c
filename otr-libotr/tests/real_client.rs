//! A real client on our library: `tests/real-client/run.sh` drives two irssi
//! instances with irssi-plugin-otr (key generation in a forked child, AKE, a
//! message each way, SMP, the end of the conversation), alice on our
//! `libotr.so.5`, bob on the real libotr. Ignored by default (it needs
//! irssi, irssi-plugin-otr, ngircd and tmux, and takes about 15 s):
//! `cargo test -p otr-libotr --test real_client -- --ignored`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::process::Command;

use common::{our_library_dir, scratch, workspace_root};

#[test]
#[ignore = "needs irssi, irssi-plugin-otr, ngircd and tmux; about 15 s"]
fn irssi_on_our_library_talks_to_irssi_on_libotr() {
    let dir = scratch("real_client");
    let lib = our_library_dir(&dir);
    let out = Command::new("bash")
        .arg(workspace_root().join("tests/real-client/run.sh"))
        .env("OTR_LIB_DIR_A", &lib)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.code() == Some(3) {
        // Under CI the real client is mandatory.
        assert!(
            std::env::var_os("OTR_REQUIRE_INTEROP").is_none_or(|v| v.is_empty() || v == "0"),
            "OTR_REQUIRE_INTEROP is set but the real client cannot run: {text}"
        );
        eprintln!("skipped: {text}");
        return;
    }
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(&format!(
            "A (alice) runs on {}",
            lib.join("libotr.so.5").display()
        )),
        "{text}"
    );
}
