//! The C edge: libotr's structs and `otrl_*` entry points. Everything that
//! touches a raw pointer is here; the decisions are made in safe Rust
//! (otr-core's file formats, [`crate::state`], [`crate::errors`]).
//!
//! Every entry point checks each pointer for NULL before use and runs its
//! body under [`guard`], so no panic unwinds into C.

pub mod base64;
pub mod context;
pub mod files;
pub mod init;
pub mod instag;
pub mod message;
pub mod privkey;
pub mod proto;
pub mod tlv;
pub mod types;

use core::ffi::{CStr, c_char, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs `body`, giving `fallback` if it panics (a panic must never unwind
/// into the C caller).
pub(crate) fn guard<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// The bytes of a C string (without its NUL), or `None` for NULL.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that outlives `'a`.
pub(crate) unsafe fn c_bytes<'a>(p: *const c_char) -> Option<&'a [u8]> {
    if p.is_null() {
        return None;
    }
    // SAFETY: non-NULL, and the caller promises a NUL-terminated string.
    Some(unsafe { CStr::from_ptr(p) }.to_bytes())
}

/// A `malloc`ed copy of `bytes` with a NUL appended (NULL when out of
/// memory). The caller or the client frees it with `free()`.
pub(crate) fn malloc_cstring(bytes: &[u8]) -> *mut c_char {
    let Some(size) = bytes.len().checked_add(1) else {
        return core::ptr::null_mut();
    };
    // SAFETY: malloc with a non-zero size; the result is checked for NULL.
    let p = unsafe { libc::malloc(size) }.cast::<u8>();
    if p.is_null() {
        return core::ptr::null_mut();
    }
    // SAFETY: p has room for bytes.len() + 1 bytes and does not overlap `bytes`.
    unsafe {
        core::ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len());
        p.add(bytes.len()).write(0);
    }
    p.cast()
}

/// A `malloc`ed copy of `bytes` (NULL when out of memory or empty).
pub(crate) fn malloc_bytes(bytes: &[u8]) -> *mut u8 {
    if bytes.is_empty() {
        return core::ptr::null_mut();
    }
    // SAFETY: malloc with a non-zero size; the result is checked for NULL.
    let p = unsafe { libc::malloc(bytes.len()) }.cast::<u8>();
    if !p.is_null() {
        // SAFETY: p has room for bytes.len() bytes and does not overlap `bytes`.
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len()) };
    }
    p
}

/// `free()`s a pointer from `malloc` (NULL is fine).
///
/// # Safety
/// `p` is NULL or came from libc's `malloc` and is not used afterwards.
pub(crate) unsafe fn free<T>(p: *mut T) {
    // SAFETY: the caller's promise.
    unsafe { libc::free(p.cast::<c_void>()) };
}

/// The current `errno`.
pub(crate) fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// Reads from `f`'s current position to its end.
///
/// # Safety
/// `f` is a valid `FILE*` open for reading.
pub(crate) unsafe fn read_to_end(f: *mut libc::FILE) -> Result<Vec<u8>, i32> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        // SAFETY: buf is writable for its length; f is valid (caller).
        let n = unsafe { libc::fread(buf.as_mut_ptr().cast(), 1, buf.len(), f) };
        out.extend_from_slice(buf.get(..n).unwrap_or_default());
        if n < buf.len() {
            // SAFETY: f is valid (caller).
            if unsafe { libc::ferror(f) } != 0 {
                return Err(errno());
            }
            return Ok(out);
        }
    }
}

/// Writes all of `bytes` to `f`.
///
/// # Safety
/// `f` is a valid `FILE*` open for writing.
pub(crate) unsafe fn write_all(f: *mut libc::FILE, bytes: &[u8]) -> Result<(), i32> {
    if bytes.is_empty() {
        return Ok(());
    }
    // SAFETY: bytes is readable for its length; f is valid (caller).
    let n = unsafe { libc::fwrite(bytes.as_ptr().cast(), 1, bytes.len(), f) };
    if n == bytes.len() {
        Ok(())
    } else {
        Err(errno())
    }
}

/// `fopen(path, mode)`, with `errno` on failure.
///
/// # Safety
/// `path` is a NUL-terminated string (not NULL).
pub(crate) unsafe fn fopen(path: *const c_char, mode: &CStr) -> Result<*mut libc::FILE, i32> {
    // SAFETY: both are NUL-terminated strings (caller, and a CStr).
    let f = unsafe { libc::fopen(path, mode.as_ptr()) };
    if f.is_null() { Err(errno()) } else { Ok(f) }
}

/// Opens `path` with `mode`, runs `body` on the open file and closes it:
/// libotr's filename variants over their `_FILEp` functions. A file that
/// cannot be opened is libotr's error for its `errno`.
///
/// # Safety
/// `path` is a NUL-terminated string (not NULL); `body` uses the `FILE*`
/// only during the call.
pub(crate) unsafe fn with_file(
    path: *const c_char,
    mode: &CStr,
    body: impl FnOnce(*mut libc::FILE) -> crate::errors::GcryError,
) -> crate::errors::GcryError {
    // SAFETY: the caller's promise.
    let file = match unsafe { fopen(path, mode) } {
        Ok(file) => file,
        Err(e) => return crate::errors::from_errno(e),
    };
    let result = body(file);
    // SAFETY: file is open and `body` no longer uses it.
    unsafe { fclose(file) };
    result
}

/// `fclose(f)`.
///
/// # Safety
/// `f` is a valid `FILE*` from [`fopen`], not used afterwards.
pub(crate) unsafe fn fclose(f: *mut libc::FILE) {
    // SAFETY: the caller's promise.
    unsafe { libc::fclose(f) };
}
