//! libotr's contract as the clients rely on it (`tests/libotr-contract/contract.c`,
//! written and checked against the real libotr 4.1.1), run on our
//! `libotr.so.5`: every test must pass.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::process::Command;

use common::{loaded_libotr, our_library_dir, scratch, workspace_root};

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn libotr_contract_holds_for_our_library() {
    let dir = scratch("contract");
    let root = workspace_root();
    let built = Command::new("bash")
        .arg(root.join("tests/libotr-contract/build.sh"))
        .arg(&dir)
        .output()
        .unwrap();
    if built.status.code() == Some(3) {
        eprintln!("skipped: libotr's development files (libotr5-dev) are missing");
        return;
    }
    assert!(
        built.status.success(),
        "build.sh: {}",
        String::from_utf8_lossy(&built.stderr)
    );
    let program = dir.join("contract");
    let lib = our_library_dir(&dir);
    let loaded = loaded_libotr(&program, &lib).expect("ldd names libotr.so.5");
    assert!(
        loaded.starts_with(&lib),
        "the contract program would load {}",
        loaded.display()
    );
    let out = Command::new(&program)
        .arg("-k")
        .arg(root.join("tests/fixtures/libotr"))
        .env("LD_LIBRARY_PATH", &lib)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains(", 0 failed"), "{text}");
    assert!(!text.lines().any(|l| l.starts_with("FAIL")), "{text}");
}
