//! The root README and otr-core's README show the code of
//! `otr-core/examples/readme.rs` (which `.ci/run` runs): they must not drift
//! apart.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

#[test]
fn the_readme_shows_the_readme_example_as_it_is() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let example = std::fs::read_to_string(root.join("otr-core/examples/readme.rs")).unwrap();
    // The example without its doc header and lint attribute: from the first `use`.
    let code = &example[example.find("\nuse ").unwrap() + 1..];
    assert!(
        readme.contains(&format!("```rust\n{code}```")),
        "README.md must show otr-core/examples/readme.rs from its first `use` line, unchanged"
    );
    let dependencies = readme.find("[dependencies]\notr-core = ").unwrap();
    let shown = readme.find(code).unwrap();
    let demo = readme
        .find("cargo run --release --example conversation")
        .unwrap();
    let tests = readme.find("cargo test --workspace").unwrap();
    assert!(
        dependencies < shown && shown < demo && demo < tests,
        "the README's order"
    );
}

#[test]
fn otr_cores_readme_shows_the_same_example() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let readme = std::fs::read_to_string(root.join("otr-core/README.md")).unwrap();
    let example = std::fs::read_to_string(root.join("otr-core/examples/readme.rs")).unwrap();
    let code = &example[example.find("\nuse ").unwrap() + 1..];
    assert!(
        readme.contains(&format!("```rust\n{code}```")),
        "otr-core/README.md must show otr-core/examples/readme.rs from its first `use` line"
    );
}
