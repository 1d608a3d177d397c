//! Our instance tags: `otrl_instag_*` (libotr's `otr.instance_tags` file,
//! through otr-core's reader and writer).

use core::ffi::c_char;
use core::ptr::null_mut;

use otr_core::identity::{InstagEntry, generate_instance_tag, parse_instags, serialize_instags};
use otr_core::otr_wire::InstanceTag;
use rand_core::UnwrapErr;

use super::types::{GcryError, OtrlInsTag, OtrlInstag, OtrlUserStateC};
use super::{c_bytes, free, guard, malloc_cstring, read_to_end, with_file, write_all};
use crate::errors::{self, gcry_error};

/// `otrl_instag_find` on byte strings: the first entry for the account
/// (the last one read or generated).
///
/// # Safety
/// `us` is live.
pub(crate) unsafe fn find(
    us: *mut OtrlUserStateC,
    account: &[u8],
    protocol: &[u8],
) -> *mut OtrlInsTag {
    // SAFETY: us and its list are live.
    unsafe {
        let mut p = (*us).instag_root;
        while !p.is_null() {
            if c_bytes((*p).accountname) == Some(account)
                && c_bytes((*p).protocol) == Some(protocol)
            {
                return p;
            }
            p = (*p).next;
        }
    }
    null_mut()
}

/// Forgets every instance tag.
///
/// # Safety
/// `us` is live.
pub(crate) unsafe fn forget_all(us: *mut OtrlUserStateC) {
    // SAFETY: us and its list are live.
    unsafe {
        while !(*us).instag_root.is_null() {
            forget((*us).instag_root);
        }
    }
}

/// Unlinks and frees one entry.
///
/// # Safety
/// `p` is a live, linked entry.
unsafe fn forget(p: *mut OtrlInsTag) {
    // SAFETY: p is live and linked.
    unsafe {
        free((*p).accountname);
        free((*p).protocol);
        *(*p).tous = (*p).next;
        if let Some(next) = (*p).next.as_mut() {
            next.tous = (*p).tous;
        }
        drop(Box::from_raw(p));
    }
}

/// Puts an entry at the head of the list (as libotr does).
///
/// # Safety
/// `us` is live.
unsafe fn push_front(us: *mut OtrlUserStateC, account: &[u8], protocol: &[u8], tag: OtrlInstag) {
    // SAFETY: us is live; the node is linked at the head.
    unsafe {
        let node = Box::into_raw(Box::new(OtrlInsTag {
            next: (*us).instag_root,
            tous: &raw mut (*us).instag_root,
            accountname: malloc_cstring(account),
            protocol: malloc_cstring(protocol),
            instag: tag,
        }));
        if let Some(next) = (*node).next.as_mut() {
            next.tous = &raw mut (*node).next;
        }
        (*us).instag_root = node;
    }
}

/// The list as file entries, in list order.
///
/// # Safety
/// `us` is live.
unsafe fn entries(us: *mut OtrlUserStateC) -> Vec<InstagEntry> {
    let mut out = Vec::new();
    // SAFETY: us and its list are live.
    unsafe {
        let mut p = (*us).instag_root;
        while !p.is_null() {
            if let Some(instag) = InstanceTag::new((*p).instag) {
                out.push(InstagEntry {
                    account: c_bytes((*p).accountname).unwrap_or_default().to_vec(),
                    protocol: c_bytes((*p).protocol).unwrap_or_default().to_vec(),
                    instag,
                });
            }
            p = (*p).next;
        }
    }
    out
}

/// `otrl_instag_read_FILEp`: adds the file's tags (it forgets none).
///
/// # Safety
/// `us` is NULL or live; `instf` is NULL or a FILE open for reading.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_instag_read_FILEp(
    us: *mut OtrlUserStateC,
    instf: *mut libc::FILE,
) -> GcryError {
    if instf.is_null() {
        return errors::NO_ERROR;
    }
    if us.is_null() {
        return gcry_error(errors::INV_VALUE);
    }
    guard(gcry_error(errors::INV_VALUE), || {
        // SAFETY: instf is open (caller).
        let bytes = match unsafe { read_to_end(instf) } {
            Ok(b) => b,
            Err(e) => return errors::from_errno(e),
        };
        for entry in parse_instags(&bytes) {
            // SAFETY: us is live (caller).
            unsafe { push_front(us, &entry.account, &entry.protocol, entry.instag.get()) };
        }
        errors::NO_ERROR
    })
}

/// `otrl_instag_read`.
///
/// # Safety
/// `us` is NULL or live; `filename` is NULL or a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_instag_read(
    us: *mut OtrlUserStateC,
    filename: *const c_char,
) -> GcryError {
    if us.is_null() || filename.is_null() {
        return gcry_error(errors::INV_VALUE);
    }
    // SAFETY: filename is a C string (caller); the FILE is open during the call.
    unsafe { with_file(filename, c"rb", |f| otrl_instag_read_FILEp(us, f)) }
}

/// `otrl_instag_write_FILEp`.
///
/// # Safety
/// `us` is NULL or live; `instf` is NULL or a FILE open for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_instag_write_FILEp(
    us: *mut OtrlUserStateC,
    instf: *mut libc::FILE,
) -> GcryError {
    if us.is_null() || instf.is_null() {
        return gcry_error(errors::INV_VALUE);
    }
    guard(gcry_error(errors::INV_VALUE), || {
        // SAFETY: us is live (caller).
        let list = unsafe { entries(us) };
        // An entry libotr could not write readably is left out.
        let mut text = serialize_instags(&[]).unwrap_or_default();
        for entry in &list {
            if let Ok(line) = serialize_instags(core::slice::from_ref(entry)) {
                let skip = serialize_instags(&[]).map_or(0, |h| h.len());
                text.extend_from_slice(line.get(skip..).unwrap_or_default());
            }
        }
        // SAFETY: instf is open (caller).
        match unsafe { write_all(instf, &text) } {
            Ok(()) => errors::NO_ERROR,
            Err(e) => errors::from_errno(e),
        }
    })
}

/// `otrl_instag_write`.
///
/// # Safety
/// `us` is NULL or live; `filename` is NULL or a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_instag_write(
    us: *mut OtrlUserStateC,
    filename: *const c_char,
) -> GcryError {
    if us.is_null() || filename.is_null() {
        return gcry_error(errors::INV_VALUE);
    }
    // SAFETY: filename is a C string (caller); the FILE is open during the call.
    unsafe { with_file(filename, c"wb", |f| otrl_instag_write_FILEp(us, f)) }
}

/// `otrl_instag_get_new`: a random tag of at least 0x100.
#[unsafe(no_mangle)]
pub extern "C" fn otrl_instag_get_new() -> OtrlInstag {
    guard(0, || {
        generate_instance_tag(&mut UnwrapErr(getrandom::SysRng)).get()
    })
}

/// `otrl_instag_generate_FILEp`: a new tag for the account at the head of
/// the list, then the whole list written to `instf`.
///
/// # Safety
/// `us` is NULL or live; `instf` is NULL or a FILE open for writing; the
/// names are NULL or C strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_instag_generate_FILEp(
    us: *mut OtrlUserStateC,
    instf: *mut libc::FILE,
    accountname: *const c_char,
    protocol: *const c_char,
) -> GcryError {
    if us.is_null() {
        return gcry_error(errors::INV_VALUE);
    }
    guard(gcry_error(errors::INV_VALUE), || {
        // SAFETY: the names are NULL or C strings (caller).
        let (Some(account), Some(proto)) = (unsafe { (c_bytes(accountname), c_bytes(protocol)) })
        else {
            return errors::NO_ERROR;
        };
        let tag = otrl_instag_get_new();
        // SAFETY: us is live (caller).
        unsafe { push_front(us, account, proto, tag) };
        if instf.is_null() {
            return errors::NO_ERROR;
        }
        // SAFETY: us is live, instf is open (caller). libotr ignores the result.
        let _ = unsafe { otrl_instag_write_FILEp(us, instf) };
        errors::NO_ERROR
    })
}

/// `otrl_instag_generate`.
///
/// # Safety
/// `us` is NULL or live; `filename` and the names are NULL or C strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_instag_generate(
    us: *mut OtrlUserStateC,
    filename: *const c_char,
    accountname: *const c_char,
    protocol: *const c_char,
) -> GcryError {
    if us.is_null() || filename.is_null() {
        return gcry_error(errors::INV_VALUE);
    }
    // SAFETY: filename is a C string (caller); the FILE is open during the call.
    unsafe {
        with_file(filename, c"wb", |f| {
            otrl_instag_generate_FILEp(us, f, accountname, protocol)
        })
    }
}

/// `otrl_instag_find`.
///
/// # Safety
/// `us` is NULL or live; the names are NULL or C strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_instag_find(
    us: *mut OtrlUserStateC,
    accountname: *const c_char,
    protocol: *const c_char,
) -> *mut OtrlInsTag {
    if us.is_null() {
        return null_mut();
    }
    // SAFETY: the caller's promise.
    match unsafe { (c_bytes(accountname), c_bytes(protocol)) } {
        // SAFETY: us is live.
        (Some(a), Some(p)) => unsafe { find(us, a, p) },
        _ => null_mut(),
    }
}

/// `otrl_instag_forget`.
///
/// # Safety
/// `instag` is NULL or a live entry of a user state.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_instag_forget(instag: *mut OtrlInsTag) {
    if instag.is_null() {
        return;
    }
    // SAFETY: the caller's promise.
    unsafe { forget(instag) };
}

/// `otrl_instag_forget_all`.
///
/// # Safety
/// `us` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_instag_forget_all(us: *mut OtrlUserStateC) {
    if us.is_null() {
        return;
    }
    // SAFETY: the caller's promise.
    unsafe { forget_all(us) };
}
