//! Writing key, instance-tag and fingerprint files the way they must be
//! written: readable by their owner only (mode 0600 from the moment the file
//! exists, as libotr's files are) and replaced atomically, so a crash or a
//! full disk never leaves half a key file behind.
//!
//! The engine itself never touches files; this is a helper for hosts on an
//! operating system with a file system (feature `std`).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Replaces the file at `path` with `contents`, atomically and private to
/// its owner.
///
/// The bytes go to a new temporary file in the same folder, created with
/// mode 0600 on Unix (never world- or group-readable, whatever the umask),
/// flushed to disk, then renamed over `path`. Readers see the old file or
/// the new one, never a mix; if anything fails, `path` is untouched and the
/// temporary file is removed.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let dir = std::env::temp_dir().join(format!("otr-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("otr.instag");
/// otr_core::identity::write_private_file(&path, b"alice\txmpp\t12345678\n")?;
/// assert_eq!(std::fs::read(&path)?, b"alice\txmpp\t12345678\n");
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok(())
/// # }
/// ```
///
/// # Errors
/// Any I/O error creating, writing, syncing or renaming the file (for
/// example a missing folder or a read-only file system).
pub fn write_private_file(path: &Path, contents: &[u8]) -> io::Result<()> {
    let temporary = temporary_path(path)?;
    let written = write_new_private(&temporary, contents).and_then(|()| {
        fs::rename(&temporary, path)?;
        sync_folder(path);
        Ok(())
    });
    if written.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    written
}

/// A fresh name beside `path`: `.<name>.<pid>.<n>.tmp`.
fn temporary_path(path: &Path) -> io::Result<PathBuf> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} does not name a file", path.display()),
        )
    })?;
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut temporary = std::ffi::OsString::from(".");
    temporary.push(name);
    temporary.push(format!(".{}.{n}.tmp", std::process::id()));
    Ok(path.with_file_name(temporary))
}

fn write_new_private(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file: File = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

/// Makes the rename durable where the platform allows it (best effort).
fn sync_folder(path: &Path) {
    #[cfg(unix)]
    if let Some(folder) = path.parent() {
        let folder = if folder.as_os_str().is_empty() {
            Path::new(".")
        } else {
            folder
        };
        if let Ok(dir) = File::open(folder) {
            let _ = dir.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("otr-private-file-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[cfg(unix)]
    #[test]
    fn files_are_private_to_their_owner_whatever_the_umask() {
        use std::os::unix::fs::PermissionsExt;
        let dir = folder("mode");
        let path = dir.join("otr.private_key");
        // A world-readable file already there (as `std::fs::write` makes
        // under umask 022) is replaced by a private one.
        fs::write(&path, b"old").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        write_private_file(&path, b"(privkeys)").unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(fs::read(&path).unwrap(), b"(privkeys)");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_replacement_is_whole_and_leaves_no_temporary_file() {
        let dir = folder("atomic");
        let path = dir.join("otr.fingerprints");
        write_private_file(&path, b"first\n").unwrap();
        write_private_file(&path, b"second, longer\n").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second, longer\n");
        let names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("otr.fingerprints")]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_and_nothing_else() {
        let dir = folder("failure");
        let path = dir.join("otr.instag");
        write_private_file(&path, b"kept\n").unwrap();
        // A folder where the file should be: the rename fails.
        let blocked = dir.join("blocked");
        fs::create_dir_all(blocked.join("inside")).unwrap();
        assert!(write_private_file(&blocked, b"new").is_err());
        assert!(write_private_file(&dir.join("missing/otr.instag"), b"new").is_err());
        assert_eq!(fs::read(&path).unwrap(), b"kept\n");
        let mut names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["blocked", "otr.instag"]);
        fs::remove_dir_all(&dir).unwrap();
    }
}
