//! Shared by the C-client tests: building a C program against libotr's
//! headers, and a directory where our `libotr.so` answers as `libotr.so.5`.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Where the test's files go.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn words(program: &str, args: &[&str]) -> Option<Vec<String>> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status.success().then(|| {
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    })
}

/// Compiles `sources` (paths relative to the workspace root) against the
/// installed libotr 4.1.1 headers and library into `dir/name`; `None` (the
/// test then skips) when libotr's development files or a C compiler are
/// missing.
pub fn build_c(sources: &[&str], dir: &Path, name: &str, extra: &[&str]) -> Option<PathBuf> {
    let libotr = words("pkg-config", &["--cflags", "--libs", "libotr"])?;
    let gcrypt = words("libgcrypt-config", &["--libs"]).unwrap_or_else(|| vec!["-lgcrypt".into()]);
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let binary = dir.join(name);
    let root = workspace_root();
    let status = Command::new(&cc)
        .arg("-O1")
        .arg("-Wall")
        .arg("-o")
        .arg(&binary)
        .args(sources.iter().map(|s| root.join(s)))
        .args(extra)
        .args(&libotr)
        .args(&gcrypt)
        .status()
        .ok()?;
    assert!(status.success(), "compiling {sources:?} failed");
    Some(binary)
}

/// Our shared library as cargo built it for this test run: the newer of
/// `target/<profile>/deps/libotr.so` (built with the test) and
/// `target/<profile>/libotr.so` (a plain `cargo build`).
pub fn our_library() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let deps = exe.parent().unwrap();
    let candidates = [
        deps.join("libotr.so"),
        deps.parent().unwrap().join("libotr.so"),
    ];
    candidates
        .into_iter()
        .filter_map(|p| Some((std::fs::metadata(&p).ok()?.modified().ok()?, p)))
        .max()
        .map(|(_, p)| p)
        .unwrap_or_else(|| panic!("libotr.so not found near {}", exe.display()))
}

/// A directory holding our library as `libotr.so.5`, for `LD_LIBRARY_PATH`.
pub fn our_library_dir(scratch: &Path) -> PathBuf {
    let dir = scratch.join("ours-lib");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(our_library(), dir.join("libotr.so.5")).unwrap();
    dir
}

/// Runs `program` with `args`, loading libotr.so.5 from `lib_dir` when given.
pub fn run(program: &Path, args: &[&Path], lib_dir: Option<&Path>) -> Output {
    let mut command = Command::new(program);
    command.args(args);
    if let Some(dir) = lib_dir {
        command.env("LD_LIBRARY_PATH", dir);
    }
    command.output().unwrap()
}

/// Runs `program` on the real libotr with `real_args` and on ours (from
/// `lib_dir`) with `ours_args`; both must succeed. Their standard outputs,
/// libotr's first.
pub fn transcripts(
    program: &Path,
    real_args: &[&Path],
    ours_args: &[&Path],
    lib_dir: &Path,
) -> (String, String) {
    let mut texts = Vec::new();
    for (who, args, dir) in [
        ("libotr", real_args, None),
        ("ours", ours_args, Some(lib_dir)),
    ] {
        let out = run(program, args, dir);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "with {who}:\n{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        texts.push(text);
    }
    let ours = texts.pop().unwrap();
    (texts.pop().unwrap(), ours)
}

/// Which libotr.so.5 `program` loads with `lib_dir` first (from `ldd`).
pub fn loaded_libotr(program: &Path, lib_dir: &Path) -> Option<PathBuf> {
    let out = Command::new("ldd")
        .arg(program)
        .env("LD_LIBRARY_PATH", lib_dir)
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|line| {
            let mut parts = line.split_whitespace();
            (parts.next() == Some("libotr.so.5")).then(|| PathBuf::from(parts.nth(1).unwrap_or("")))
        })
}
