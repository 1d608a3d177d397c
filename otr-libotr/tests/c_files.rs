//! The file and context API from C: `tests/c/files_test.c`, built against
//! libotr 4.1.1's headers, runs once on the real libotr and once on ours
//! (`LD_LIBRARY_PATH`); the transcripts must be the same. It reads
//! libotr-written key, instance-tag and fingerprint files
//! (tests/fixtures/libotr), generates keys and tags, walks the C structs
//! (contexts, masters and children, fingerprints, keys) and writes the files
//! back.

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
fn files_and_contexts_match_libotr() {
    let dir = scratch("c_files");
    let Some(program) = build_c(
        &["otr-libotr/tests/c/files_test.c"],
        &dir,
        "files_test",
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

    let work_real = dir.join("real");
    let work_ours = dir.join("ours");
    std::fs::create_dir_all(&work_real).unwrap();
    std::fs::create_dir_all(&work_ours).unwrap();
    let (real_text, ours_text) = transcripts(
        &program,
        &[&keys, &work_real],
        &[&keys, &work_ours],
        &lib_dir,
    );
    assert_eq!(ours_text, real_text);
    assert!(ours_text.ends_with("done\n"));

    // The files we wrote are where the program left them.
    for (file, needle) in [
        ("new.key", "carol"),
        ("new.fpr", "a0a1a2a3"),
        ("new.instag", "dave"),
    ] {
        let bytes = std::fs::read(work_ours.join(file))
            .unwrap_or_else(|e| panic!("{file}: {e}\n{ours_text}"));
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains(needle), "{file}: {text}");
    }
}
