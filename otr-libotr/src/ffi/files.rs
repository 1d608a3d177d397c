//! The fingerprint store: `otrl_privkey_read_fingerprints` and
//! `otrl_privkey_write_fingerprints` (libotr's `otr.fingerprints` file,
//! through otr-core's reader and writer).

use core::ffi::{c_char, c_void};

use otr_core::Trust;
use otr_core::identity::{KnownFingerprint, parse_fingerprints, serialize_fingerprints};
use otr_core::otr_wire::Fingerprint as WireFingerprint;

use super::context::{find, find_fingerprint, names, set_trust};
use super::types::{AddAppData, GcryError, OtrlUserStateC};
use super::{c_bytes, guard, read_to_end, with_file, write_all};
use crate::errors::{self, gcry_error};
use crate::state::instag;

/// Adds every entry of a fingerprints file: the buddy's master context
/// (created with `add_app_data` if new), the fingerprint, its trust.
///
/// # Safety
/// `us` is live; `f` is open for reading; `add_app_data` is NULL or callable.
unsafe fn read_store(
    us: *mut OtrlUserStateC,
    f: *mut libc::FILE,
    add_app_data: AddAppData,
    data: *mut c_void,
) -> GcryError {
    // SAFETY: f is open (caller).
    let bytes = match unsafe { read_to_end(f) } {
        Ok(b) => b,
        Err(e) => return errors::from_errno(e),
    };
    for entry in parse_fingerprints(&bytes) {
        // SAFETY: us is live; add_app_data is callable (caller).
        unsafe {
            let context = find(
                us,
                &entry.username,
                &entry.account,
                &entry.protocol,
                instag::MASTER,
                true,
                None,
                add_app_data,
                data,
            );
            if context.is_null() {
                continue;
            }
            let (fp, _) = find_fingerprint(context, entry.fingerprint.as_bytes(), true);
            if !fp.is_null() {
                set_trust(fp, Some(entry.trust.as_libotr()));
            }
        }
    }
    errors::NO_ERROR
}

/// `otrl_privkey_read_fingerprints_FILEp`.
///
/// # Safety
/// `us` is NULL or live; `storef` is NULL or open for reading;
/// `add_app_data` is NULL or callable with `data`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_privkey_read_fingerprints_FILEp(
    us: *mut OtrlUserStateC,
    storef: *mut libc::FILE,
    add_app_data: AddAppData,
    data: *mut c_void,
) -> GcryError {
    if storef.is_null() {
        return errors::NO_ERROR;
    }
    if us.is_null() {
        return gcry_error(errors::INV_VALUE);
    }
    // SAFETY: the caller's promise.
    guard(gcry_error(errors::INV_VALUE), || unsafe {
        read_store(us, storef, add_app_data, data)
    })
}

/// `otrl_privkey_read_fingerprints`.
///
/// # Safety
/// As [`otrl_privkey_read_fingerprints_FILEp`]; `filename` is NULL or a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_privkey_read_fingerprints(
    us: *mut OtrlUserStateC,
    filename: *const c_char,
    add_app_data: AddAppData,
    data: *mut c_void,
) -> GcryError {
    if us.is_null() || filename.is_null() {
        return gcry_error(errors::INV_VALUE);
    }
    // SAFETY: filename is a C string (caller); the FILE is open during the call.
    unsafe {
        with_file(filename, c"rb", |f| {
            otrl_privkey_read_fingerprints_FILEp(us, f, add_app_data, data)
        })
    }
}

/// The store as file text: every fingerprint of every master context, in
/// list order (an entry libotr's format cannot hold is left out).
///
/// # Safety
/// `us` is live.
unsafe fn store_text(us: *mut OtrlUserStateC) -> Vec<u8> {
    let mut out = Vec::new();
    // SAFETY: us, its contexts and their fingerprints are live.
    unsafe {
        let mut c = (*us).context_root;
        while !c.is_null() {
            if (*c).their_instance == instag::MASTER {
                let (user, account, protocol) = names(c);
                let mut f = (*c).fingerprint_root.next;
                while !f.is_null() {
                    if !(*f).fingerprint.is_null() {
                        let bytes = (*f).fingerprint.cast::<[u8; 20]>().read_unaligned();
                        let entry = KnownFingerprint {
                            username: user.to_vec(),
                            account: account.to_vec(),
                            protocol: protocol.to_vec(),
                            fingerprint: WireFingerprint::from_bytes(bytes),
                            trust: Trust::from_libotr(c_bytes((*f).trust).unwrap_or_default()),
                        };
                        if let Ok(line) = serialize_fingerprints(core::slice::from_ref(&entry)) {
                            out.extend_from_slice(&line);
                        }
                    }
                    f = (*f).next;
                }
            }
            c = (*c).next;
        }
    }
    out
}

/// `otrl_privkey_write_fingerprints_FILEp`.
///
/// # Safety
/// `us` is NULL or live; `storef` is NULL or open for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_privkey_write_fingerprints_FILEp(
    us: *mut OtrlUserStateC,
    storef: *mut libc::FILE,
) -> GcryError {
    if storef.is_null() {
        return errors::NO_ERROR;
    }
    if us.is_null() {
        return gcry_error(errors::INV_VALUE);
    }
    guard(gcry_error(errors::INV_VALUE), || {
        // SAFETY: us is live (caller).
        let text = unsafe { store_text(us) };
        // SAFETY: storef is open (caller).
        match unsafe { write_all(storef, &text) } {
            Ok(()) => errors::NO_ERROR,
            Err(e) => errors::from_errno(e),
        }
    })
}

/// `otrl_privkey_write_fingerprints`.
///
/// # Safety
/// `us` is NULL or live; `filename` is NULL or a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_privkey_write_fingerprints(
    us: *mut OtrlUserStateC,
    filename: *const c_char,
) -> GcryError {
    if us.is_null() || filename.is_null() {
        return gcry_error(errors::INV_VALUE);
    }
    // SAFETY: filename is a C string (caller); the FILE is open during the call.
    unsafe {
        with_file(filename, c"wb", |f| {
            otrl_privkey_write_fingerprints_FILEp(us, f)
        })
    }
}
