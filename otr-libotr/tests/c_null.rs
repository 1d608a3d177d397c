//! Every entry point called from C with NULL pointers and an empty user
//! state (`tests/c/null_test.c`) returns without crashing, on our library.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{build_c, our_library_dir, run, scratch};

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn null_pointers_are_refused_not_dereferenced() {
    let dir = scratch("c_null");
    let Some(program) = build_c(&["otr-libotr/tests/c/null_test.c"], &dir, "null_test", &[]) else {
        eprintln!("skipped: libotr's development files (libotr5-dev) or a C compiler are missing");
        return;
    };
    let lib = our_library_dir(&dir);
    let out = run(&program, &[], Some(&lib));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(text, "done\n");
}
