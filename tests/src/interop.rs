//! Whether the libotr interop tests may be skipped.
//!
//! `tests/build.rs` looks for libotr when the tests are built: without it,
//! every test that needs it is marked `#[ignore]` with the reason (the
//! `have_libotr` and `have_otr_parse` cfgs), so `cargo test` reports it as
//! ignored rather than passed; with `OTR_REQUIRE_INTEROP=1` (set by
//! `.ci/run`) a missing libotr fails the build instead, so CI can never pass
//! without running them.
//!
//! [`skip_or_fail`] is the second line of defence, at run time: libotr was
//! found but a test program on it still cannot be built or run. Under plain
//! `cargo test` the test prints a loud notice and returns; with
//! `OTR_REQUIRE_INTEROP=1` it fails.

/// The environment variable that makes libotr mandatory.
pub const REQUIRE_VAR: &str = "OTR_REQUIRE_INTEROP";

/// Whether libotr interop is mandatory in this run.
#[must_use]
pub fn required() -> bool {
    std::env::var(REQUIRE_VAR).is_ok_and(|v| !v.is_empty() && v != "0")
}

/// Call when a libotr tool is missing: panics if interop is required,
/// otherwise prints a loud skip notice. Returns normally only when skipping.
///
/// # Panics
/// When [`required`] is true.
#[allow(clippy::panic)]
pub fn skip_or_fail(test: &str, what_is_missing: &str) {
    if required() {
        panic!(
            "{test}: {what_is_missing}, and {REQUIRE_VAR} is set: libotr interop is mandatory here"
        );
    }
    eprintln!();
    eprintln!("################################################################");
    eprintln!("## SKIPPED {test}: {what_is_missing}.");
    eprintln!("## Install libotr5-dev libotr5-bin pkg-config to run it;");
    eprintln!("## set {REQUIRE_VAR}=1 to make this a failure.");
    eprintln!("################################################################");
}
