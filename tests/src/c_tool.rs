//! Small C programs on libotr 4.1.1 that the interop tests ask what libotr
//! itself does (`tests/libotr-sign/dsa_tool.c`, `tests/libotr-files/files_tool.c`):
//! compiled once per test binary with the system's C compiler.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::fixtures::workspace_root;

/// Whether libotr's development files are installed (`pkg-config --exists libotr`).
#[must_use]
pub fn libotr_installed() -> bool {
    Command::new("pkg-config")
        .args(["--exists", "libotr"])
        .status()
        .is_ok_and(|s| s.success())
}

/// Compiles `source` (relative to the workspace root) against libotr into
/// `dir/name`; `None` when libotr is not installed.
///
/// # Panics
/// When libotr is installed but the program does not compile.
#[must_use]
#[allow(clippy::panic)]
pub fn build(source: &str, dir: &Path, name: &str) -> Option<PathBuf> {
    if !libotr_installed() {
        return None;
    }
    let flags = |program: &str, args: &[&str]| -> Vec<String> {
        let out = Command::new(program)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{program}: {e}"));
        assert!(out.status.success(), "{program} {args:?} failed");
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    };
    std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let binary = dir.join(name);
    let source = workspace_root().join(source);
    let status = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .arg("-O1")
        .arg("-o")
        .arg(&binary)
        .arg(&source)
        .args(flags("pkg-config", &["--cflags", "--libs", "libotr"]))
        .args(flags("libgcrypt-config", &["--libs"]))
        .status()
        .unwrap_or_else(|e| panic!("cc: {e}"));
    assert!(status.success(), "compiling {} failed", source.display());
    Some(binary)
}
