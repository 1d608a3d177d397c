//! Messaging from C: `tests/c/msg_test.c` (two accounts in one process,
//! built against libotr's headers) runs on the real libotr and on ours; the
//! transcripts must be identical: the default query text, the AKE, messages
//! both ways with `convert_msg`/`convert_free` around encryption, the
//! fragment policies SEND_ALL_BUT_LAST and SEND_SKIP, the extra symmetric
//! key on both sides, disconnect (FINISHED, DISCONNECTED TLV, "" when
//! sending in FINISHED).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{build_c, our_library_dir, scratch, transcripts, workspace_root};

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn messaging_matches_libotr() {
    let dir = scratch("c_messaging");
    let Some(program) = build_c(&["otr-libotr/tests/c/msg_test.c"], &dir, "msg_test", &[]) else {
        eprintln!("skipped: libotr's development files (libotr5-dev) or a C compiler are missing");
        return;
    };
    let keys = workspace_root().join("tests/fixtures/libotr");
    let lib = our_library_dir(&dir);
    let (real_text, ours_text) = transcripts(&program, &[&keys], &[&keys], &lib);
    assert_eq!(ours_text, real_text);
    assert!(
        ours_text.contains("bob got: [c]hello bob [r]"),
        "{ours_text}"
    );
    assert!(ours_text.ends_with("done\n"));
}
