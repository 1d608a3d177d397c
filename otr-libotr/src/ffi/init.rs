//! `otrl_init`, `otrl_version`, the user state, `otrl_message_free`, and
//! `otr_libotr_engine` (which engine is loaded).

use core::ffi::{c_char, c_uint};

use super::types::{GcryError, OtrlUserStateC};
use super::{context, free, guard, instag, privkey};
use crate::errors;

/// `otrl_init(major, minor, sub)`: 0. libotr 4.1.1 (as built by Debian)
/// checks no version and always succeeds; so does this library.
#[unsafe(no_mangle)]
pub extern "C" fn otrl_init(ver_major: c_uint, ver_minor: c_uint, ver_sub: c_uint) -> GcryError {
    let _ = (ver_major, ver_minor, ver_sub);
    errors::NO_ERROR
}

/// `otrl_version`: "4.1.1".
#[unsafe(no_mangle)]
pub extern "C" fn otrl_version() -> *const c_char {
    crate::human::VERSION.as_ptr().cast()
}

/// The text [`otr_libotr_engine`] returns.
const ENGINE: &[u8] = concat!("otr-libotr ", env!("CARGO_PKG_VERSION"), "\0").as_bytes();

/// Not in libotr: `"otr-libotr <version>"`, so that a program (or a user
/// with `dlsym(RTLD_DEFAULT, "otr_libotr_engine")`) can tell that this
/// library, not libotr, is loaded. libotr has no such symbol.
#[unsafe(no_mangle)]
pub extern "C" fn otr_libotr_engine() -> *const c_char {
    ENGINE.as_ptr().cast()
}

/// `otrl_userstate_create`.
#[unsafe(no_mangle)]
pub extern "C" fn otrl_userstate_create() -> *mut OtrlUserStateC {
    guard(core::ptr::null_mut(), || {
        Box::into_raw(Box::new(OtrlUserStateC {
            context_root: core::ptr::null_mut(),
            privkey_root: core::ptr::null_mut(),
            instag_root: core::ptr::null_mut(),
            pending_root: core::ptr::null_mut(),
            timer_running: 0,
        }))
    })
}

/// `otrl_userstate_free`: forgets every context, key and instance tag.
///
/// # Safety
/// `us` is NULL or from [`otrl_userstate_create`], not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_userstate_free(us: *mut OtrlUserStateC) {
    if us.is_null() {
        return;
    }
    guard((), || {
        // SAFETY: us is a live user state (caller).
        unsafe {
            context::forget_all(us);
            privkey::forget_all(us);
            privkey::forget_all_pending(us);
            instag::forget_all(us);
            drop(Box::from_raw(us));
        }
    });
}

/// `otrl_message_free`: frees a message the library returned.
///
/// # Safety
/// `message` is NULL or a string this library returned, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_message_free(message: *mut c_char) {
    // SAFETY: the library returns malloc'ed strings (caller's promise).
    unsafe { free(message) };
}
