//! `proto.h` from C: `tests/c/proto_test.c`, built against libotr 4.1.1's
//! headers, runs once on the real libotr and once on ours
//! (`LD_LIBRARY_PATH`); the transcripts must be the same. It asks for the
//! best version of queries and whitespace tags, reads instance tags and
//! flags from message headers, creates fragments in both syntaxes and
//! reassembles them (in order, out of order, unreadable), and signs with
//! `otrl_privkey_sign` (each signature verified with libgcrypt).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{build_c, loaded_libotr, our_library_dir, scratch, transcripts, workspace_root};

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn proto_functions_match_libotr() {
    let dir = scratch("c_proto");
    let Some(program) = build_c(
        &["otr-libotr/tests/c/proto_test.c"],
        &dir,
        "proto_test",
        &[],
    ) else {
        eprintln!("skipped: libotr's development files (libotr5-dev) or a C compiler are missing");
        return;
    };
    let keys = workspace_root().join("tests/fixtures/libotr");
    let lib_dir = our_library_dir(&dir);
    let loaded = loaded_libotr(&program, &lib_dir).expect("ldd names libotr.so.5");
    assert!(
        loaded.starts_with(&lib_dir),
        "the program would load {}",
        loaded.display()
    );

    let (real_text, ours_text) = transcripts(&program, &[&keys], &[&keys], &lib_dir);
    if ours_text != real_text {
        let diff: Vec<String> = real_text
            .lines()
            .zip(ours_text.lines())
            .filter(|(a, b)| a != b)
            .map(|(a, b)| format!("libotr: {a}\nours:   {b}"))
            .collect();
        panic!("transcripts differ:\n{}", diff.join("\n"));
    }
    assert!(ours_text.ends_with("done\n"));
    assert!(
        ours_text.contains("sign 20 bytes: 00000000 siglen=40"),
        "{ours_text}"
    );
}
