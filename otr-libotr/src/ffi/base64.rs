//! `b64.h` and `mem.h`: libotr's base64 helpers (its lenient decoder,
//! [`crate::lenient_base64`]) and `otrl_mem_differ`.

use core::ffi::{c_char, c_int, c_uchar};
use core::ptr::null_mut;

use subtle::ConstantTimeEq;

use super::{c_bytes, guard, malloc_bytes, malloc_cstring};
use crate::lenient_base64;

/// Copies `bytes` to `out`.
///
/// # Safety
/// `out` has `bytes.len()` writable bytes that do not overlap `bytes`.
unsafe fn copy_out(out: *mut u8, bytes: &[u8]) {
    // SAFETY: the caller's promise.
    unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), out, bytes.len()) };
}

/// `otrl_base64_encode`: the base64 of `data` (with `=` padding, no NUL)
/// into `base64data`; returns the characters written.
///
/// # Safety
/// `data` has `datalen` readable bytes; `base64data` has
/// `((datalen + 2) / 3) * 4` writable bytes. Either NULL writes nothing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_base64_encode(
    base64data: *mut c_char,
    data: *const c_uchar,
    datalen: usize,
) -> usize {
    if base64data.is_null() || (data.is_null() && datalen > 0) || datalen == 0 {
        return 0;
    }
    // SAFETY: datalen readable bytes (caller; non-NULL checked).
    let input = unsafe { core::slice::from_raw_parts(data, datalen) };
    guard(0, || {
        // The armour without its "?OTR:" and ".".
        let armoured = otr_core::otr_wire::armor::encode(input);
        let text = armoured
            .as_bytes()
            .get(5..armoured.len().saturating_sub(1))
            .unwrap_or_default();
        // SAFETY: the caller provides ((datalen + 2) / 3) * 4 bytes, the
        // length of the padded encoding.
        unsafe { copy_out(base64data.cast(), text) };
        text.len()
    })
}

/// `otrl_base64_decode`: decodes `base64len` characters as libotr does
/// (characters outside the alphabet skipped, the first `=` ends the input,
/// a short last group dropped) into `data`; returns the bytes written.
///
/// # Safety
/// `base64data` has `base64len` readable bytes; `data` has room for
/// `OTRL_B64_MAX_DECODED_SIZE(base64len)` bytes. Either NULL writes nothing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_base64_decode(
    data: *mut c_uchar,
    base64data: *const c_char,
    base64len: usize,
) -> usize {
    if data.is_null() || base64data.is_null() || base64len == 0 {
        return 0;
    }
    // SAFETY: base64len readable bytes (caller; non-NULL checked).
    let input = unsafe { core::slice::from_raw_parts(base64data.cast::<u8>(), base64len) };
    guard(0, || {
        let bytes = lenient_base64::decode(input);
        // SAFETY: the decoded length is at most
        // OTRL_B64_MAX_DECODED_SIZE(base64len), which the caller provides.
        unsafe { copy_out(data, &bytes) };
        bytes.len()
    })
}

/// `otrl_base64_otr_encode`: `?OTR:` + base64 + `.`, `malloc`ed (NULL when
/// out of memory or `buf` is NULL with a length).
///
/// # Safety
/// `buf` has `buflen` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_base64_otr_encode(buf: *const c_uchar, buflen: usize) -> *mut c_char {
    if buf.is_null() && buflen > 0 {
        return null_mut();
    }
    let input = if buflen == 0 {
        &[][..]
    } else {
        // SAFETY: buflen readable bytes (caller; non-NULL checked).
        unsafe { core::slice::from_raw_parts(buf, buflen) }
    };
    guard(null_mut(), || {
        malloc_cstring(otr_core::otr_wire::armor::encode(input).as_bytes())
    })
}

/// `otrl_base64_otr_decode`: the bytes between the first `?OTR:` and the
/// `.` after it, decoded as [`otrl_base64_decode`] does, `malloc`ed into
/// `*bufp` (NULL when empty) with the length in `*lenp`. Returns 0, -1 when
/// out of memory, -2 when there is no `?OTR:` or no `.` (or an argument is
/// NULL).
///
/// # Safety
/// `msg` is NULL or a C string; `bufp`, `lenp` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_base64_otr_decode(
    msg: *const c_char,
    bufp: *mut *mut c_uchar,
    lenp: *mut usize,
) -> c_int {
    // SAFETY: the caller's promise.
    let Some(text) = (unsafe { c_bytes(msg) }) else {
        return -2;
    };
    if bufp.is_null() || lenp.is_null() {
        return -2;
    }
    guard(-1, || {
        let Some(body) = text
            .windows(5)
            .position(|w| w == b"?OTR:")
            .and_then(|at| text.get(at + 5..))
        else {
            return -2;
        };
        let Some(body) = body
            .iter()
            .position(|&c| c == b'.')
            .and_then(|end| body.get(..end))
        else {
            return -2;
        };
        let bytes = lenient_base64::decode(body);
        let out = malloc_bytes(&bytes);
        if out.is_null() && !bytes.is_empty() {
            return -1;
        }
        // SAFETY: both are writable (checked non-NULL; caller).
        unsafe {
            *bufp = out;
            *lenp = bytes.len();
        }
        0
    })
}

/// `otrl_mem_differ`: 0 when the `len` bytes at `buf1` and `buf2` are
/// equal, 1 when not, compared in constant time. A NULL buffer with a
/// length differs.
///
/// # Safety
/// `buf1` and `buf2` have `len` readable bytes each.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_mem_differ(
    buf1: *const c_uchar,
    buf2: *const c_uchar,
    len: usize,
) -> c_int {
    if len == 0 {
        return 0;
    }
    if buf1.is_null() || buf2.is_null() {
        return 1;
    }
    // SAFETY: len readable bytes each (caller; non-NULL checked).
    let (a, b) = unsafe {
        (
            core::slice::from_raw_parts(buf1, len),
            core::slice::from_raw_parts(buf2, len),
        )
    };
    c_int::from(!bool::from(a.ct_eq(b)))
}
