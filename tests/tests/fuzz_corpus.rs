#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Replays every fuzz corpus and regression input through the fuzz-target bodies in
//! `otr_fuzz_bodies` (crate `fuzz-bodies/`).

use std::fs;
use std::path::{Path, PathBuf};

/// `fuzz/` at the workspace root.
fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("fuzz")
}

/// The regular files directly under `dir`, sorted; empty if `dir` is absent.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("read corpus directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Runs `body` on every file of `fuzz/corpus/<target>/` (which must exist and be
/// non-empty) and of `fuzz/regressions/<target>/` (if present).
fn replay(target: &str, body: fn(&[u8])) {
    let corpus = fuzz_dir().join("corpus").join(target);
    assert!(
        corpus.is_dir(),
        "corpus directory {} is missing (run fuzz/seed-corpora.py)",
        corpus.display()
    );
    let corpus_files = files_in(&corpus);
    assert!(
        !corpus_files.is_empty(),
        "corpus directory {} is empty (run fuzz/seed-corpora.py)",
        corpus.display()
    );
    let regressions = files_in(&fuzz_dir().join("regressions").join(target));
    for path in corpus_files.iter().chain(&regressions) {
        let data = fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let outcome = std::panic::catch_unwind(|| body(&data));
        assert!(
            outcome.is_ok(),
            "fuzz body `{target}` panicked on {} ({} bytes; hex of the first 256: {})",
            path.display(),
            data.len(),
            hex::encode(data.get(..256).unwrap_or(&data))
        );
    }
}

#[test]
fn envelope_corpus() {
    replay("envelope", otr_fuzz_bodies::wire::envelope);
}

#[test]
fn fragment_corpus() {
    replay("fragment", otr_fuzz_bodies::wire::fragment);
}

#[test]
fn encoded_message_corpus() {
    replay("encoded_message", otr_fuzz_bodies::wire::encoded_message);
}

#[test]
fn group_arithmetic_corpus() {
    replay("group_arithmetic", otr_fuzz_bodies::group::group_arithmetic);
}

#[test]
fn tlvs_corpus() {
    replay("tlvs", otr_fuzz_bodies::wire::tlvs);
}

#[test]
fn signed_identity_corpus() {
    replay("signed_identity", otr_fuzz_bodies::wire::signed_identity);
}

#[test]
fn session_input_corpus() {
    replay("session_input", otr_fuzz_bodies::engine::session_input);
}

#[test]
fn two_party_corpus() {
    replay("two_party", otr_fuzz_bodies::engine::two_party);
}
