//! Our private keys: `otrl_privkey_*` (libotr's `otr.private_key` file,
//! through otr-core's reader and writer).

use core::ffi::{c_char, c_uchar};
use core::ptr::null_mut;

use std::sync::Arc;

use otr_core::identity::{DsaSigningKey, PrivateKeyEntry, parse_privkeys, serialize_privkeys};
use rand_core::UnwrapErr;

use super::types::{GcryError, OtrlPendingPrivKey, OtrlPrivKey, OtrlUserStateC};
use super::{
    c_bytes, fclose, fopen, free, guard, malloc_bytes, malloc_cstring, read_to_end, with_file,
    write_all,
};
use crate::errors::{self, gcry_error};
use crate::human::hash_to_human;

/// The key behind a C key entry.
///
/// # Safety
/// `p` is NULL or a live entry made by this library.
pub(crate) unsafe fn key_of<'a>(p: *const OtrlPrivKey) -> Option<&'a DsaSigningKey> {
    // SAFETY: p is NULL or live; its privkey is NULL or our boxed key.
    unsafe {
        p.as_ref()
            .and_then(|p| p.privkey.cast::<Arc<DsaSigningKey>>().as_ref())
            .map(|key| &**key)
    }
}

/// The key behind a C key entry, shared (no copy, no second validation:
/// it was checked when read or made).
///
/// # Safety
/// `p` is NULL or a live entry made by this library.
pub(crate) unsafe fn shared_key_of(p: *const OtrlPrivKey) -> Option<Arc<DsaSigningKey>> {
    // SAFETY: p is NULL or live; its privkey is NULL or our boxed key.
    unsafe {
        p.as_ref()
            .and_then(|p| p.privkey.cast::<Arc<DsaSigningKey>>().as_ref())
            .map(Arc::clone)
    }
}

/// `otrl_privkey_find` on byte strings: the first entry for the account.
///
/// # Safety
/// `us` is live.
pub(crate) unsafe fn find(
    us: *mut OtrlUserStateC,
    account: &[u8],
    protocol: &[u8],
) -> *mut OtrlPrivKey {
    // SAFETY: us and its list are live.
    unsafe {
        let mut p = (*us).privkey_root;
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

/// Unlinks and frees a key entry.
///
/// # Safety
/// `p` is a live, linked entry.
unsafe fn forget(p: *mut OtrlPrivKey) {
    // SAFETY: p is live and linked; its fields are ours.
    unsafe {
        free((*p).accountname);
        free((*p).protocol);
        free((*p).pubkey_data);
        if !(*p).privkey.is_null() {
            drop(Box::from_raw((*p).privkey.cast::<Arc<DsaSigningKey>>()));
        }
        *(*p).tous = (*p).next;
        if let Some(next) = (*p).next.as_mut() {
            next.tous = (*p).tous;
        }
        drop(Box::from_raw(p));
    }
}

/// Forgets every key.
///
/// # Safety
/// `us` is live.
pub(crate) unsafe fn forget_all(us: *mut OtrlUserStateC) {
    // SAFETY: us is live.
    unsafe {
        while !(*us).privkey_root.is_null() {
            forget((*us).privkey_root);
        }
    }
}

/// Puts a key at the head of the list, as libotr does for each key it reads.
///
/// # Safety
/// `us` is live.
unsafe fn push_front(us: *mut OtrlUserStateC, entry: PrivateKeyEntry) -> Result<(), GcryError> {
    let pubkey = entry.key.verifying_key().to_pubkey_bytes();
    let body = pubkey.get(2..).unwrap_or_default();
    let accountname = malloc_cstring(&entry.account);
    let protocol = malloc_cstring(&entry.protocol);
    let pubkey_data = malloc_bytes(body);
    if accountname.is_null() || protocol.is_null() || pubkey_data.is_null() {
        // SAFETY: each is NULL or fresh from malloc.
        unsafe {
            free(accountname);
            free(protocol);
            free(pubkey_data);
        }
        return Err(gcry_error(errors::ENOMEM));
    }
    // SAFETY: us is live; the new node is linked at the head.
    unsafe {
        let node = Box::into_raw(Box::new(OtrlPrivKey {
            next: (*us).privkey_root,
            tous: &raw mut (*us).privkey_root,
            accountname,
            protocol,
            pubkey_type: 0,
            privkey: Box::into_raw(Box::new(entry.key)).cast(),
            pubkey_data,
            pubkey_datalen: body.len(),
        }));
        if let Some(next) = (*node).next.as_mut() {
            next.tous = &raw mut (*node).next;
        }
        (*us).privkey_root = node;
    }
    Ok(())
}

/// What libotr returns for a key file it cannot use.
fn parse_error(error: &otr_core::identity::PrivkeyFileError) -> GcryError {
    match error {
        // gcry_sexp_new's complaint: libgcrypt's s-expression codes differ by
        // the fault; one stands for all of them.
        otr_core::identity::PrivkeyFileError::Syntax(_) => errors::gcrypt_error(205),
        _ => gcry_error(errors::UNUSABLE_SECKEY),
    }
}

/// Reads a key file from the FILE's position into the user state.
///
/// # Safety
/// `us` is live; `f` is a valid FILE open for reading.
unsafe fn read_file(us: *mut OtrlUserStateC, f: *mut libc::FILE) -> GcryError {
    // SAFETY: us is live (caller).
    unsafe { forget_all(us) };
    // SAFETY: f is valid (caller).
    let bytes = match unsafe { read_to_end(f) } {
        Ok(bytes) => bytes,
        Err(e) => return errors::from_errno(e),
    };
    if bytes.is_empty() {
        // libotr reads nothing from an empty file and reports no error.
        return errors::NO_ERROR;
    }
    let entries = match parse_privkeys(&bytes) {
        Ok(entries) => entries,
        Err(e) => return parse_error(&e),
    };
    for entry in entries {
        // SAFETY: us is live (caller).
        if let Err(e) = unsafe { push_front(us, entry) } {
            return e;
        }
    }
    errors::NO_ERROR
}

/// `otrl_privkey_read_FILEp`.
///
/// # Safety
/// `us` is NULL or live; `privf` is NULL or a FILE open for reading.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_privkey_read_FILEp(
    us: *mut OtrlUserStateC,
    privf: *mut libc::FILE,
) -> GcryError {
    if privf.is_null() {
        return errors::NO_ERROR;
    }
    if us.is_null() {
        return gcry_error(errors::INV_VALUE);
    }
    // SAFETY: checked above; the caller's promise.
    guard(gcry_error(errors::INV_VALUE), || unsafe {
        read_file(us, privf)
    })
}

/// `otrl_privkey_read`.
///
/// # Safety
/// `us` is NULL or live; `filename` is NULL or a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_privkey_read(
    us: *mut OtrlUserStateC,
    filename: *const c_char,
) -> GcryError {
    if us.is_null() || filename.is_null() {
        return gcry_error(errors::INV_VALUE);
    }
    guard(gcry_error(errors::INV_VALUE), || {
        // SAFETY: filename is a C string (caller); us is live and the FILE
        // is open during the call.
        unsafe { with_file(filename, c"rb", |f| read_file(us, f)) }
    })
}

/// Generates a key for the account, writes every key we know with it
/// replacing the account's old one, then reads the file back (as libotr).
///
/// # Safety
/// `us` is live; `f` is a valid FILE open for reading and writing.
unsafe fn generate_file(
    us: *mut OtrlUserStateC,
    f: *mut libc::FILE,
    account: &[u8],
    protocol: &[u8],
) -> GcryError {
    let mut rng = UnwrapErr(getrandom::SysRng);
    let Ok(key) = DsaSigningKey::generate(&mut rng) else {
        return gcry_error(errors::INV_VALUE);
    };
    // SAFETY: the caller's promise.
    unsafe { write_with_key(us, f, account, protocol, key) }
}

/// Writes every key we know, `key` replacing the account's old one, then
/// reads the file back (as libotr).
///
/// # Safety
/// `us` is live; `f` is a valid FILE open for reading and writing.
unsafe fn write_with_key(
    us: *mut OtrlUserStateC,
    f: *mut libc::FILE,
    account: &[u8],
    protocol: &[u8],
    key: DsaSigningKey,
) -> GcryError {
    let mut entries = Vec::new();
    // SAFETY: us and its list are live.
    unsafe {
        let mut p = (*us).privkey_root;
        while !p.is_null() {
            let a = c_bytes((*p).accountname).unwrap_or_default();
            let pr = c_bytes((*p).protocol).unwrap_or_default();
            if !(a == account && pr == protocol)
                && let Some(key) = shared_key_of(p)
            {
                entries.push(PrivateKeyEntry {
                    account: a.to_vec(),
                    protocol: pr.to_vec(),
                    key,
                });
            }
            p = (*p).next;
        }
    }
    entries.push(PrivateKeyEntry {
        account: account.to_vec(),
        protocol: protocol.to_vec(),
        key: Arc::new(key),
    });
    let text = match serialize_privkeys(&entries) {
        Ok(text) => text,
        Err(_) => return gcry_error(errors::INV_VALUE),
    };
    // SAFETY: f is valid (caller).
    unsafe {
        if let Err(e) = write_all(f, &text) {
            return errors::from_errno(e);
        }
        libc::fflush(f);
        libc::fseek(f, 0, libc::SEEK_SET);
        read_file(us, f)
    }
}

/// `otrl_privkey_generate_FILEp`.
///
/// # Safety
/// `us` is NULL or live; `privf` is NULL or a FILE open for reading and
/// writing; the names are NULL or C strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_privkey_generate_FILEp(
    us: *mut OtrlUserStateC,
    privf: *mut libc::FILE,
    accountname: *const c_char,
    protocol: *const c_char,
) -> GcryError {
    if privf.is_null() {
        return errors::NO_ERROR;
    }
    guard(gcry_error(errors::INV_VALUE), || {
        // SAFETY: the names are NULL or C strings (caller).
        let (Some(account), Some(proto)) = (unsafe { (c_bytes(accountname), c_bytes(protocol)) })
        else {
            return gcry_error(errors::INV_VALUE);
        };
        if us.is_null() {
            return gcry_error(errors::INV_VALUE);
        }
        // Copies: the names may point into an entry that the rewrite frees.
        let (account, proto) = (account.to_vec(), proto.to_vec());
        // SAFETY: us is live, privf is open (caller).
        unsafe { generate_file(us, privf, &account, &proto) }
    })
}

/// `otrl_privkey_generate`: the file is created with mode 0600.
///
/// # Safety
/// `us` is NULL or live; `filename` and the names are NULL or C strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_privkey_generate(
    us: *mut OtrlUserStateC,
    filename: *const c_char,
    accountname: *const c_char,
    protocol: *const c_char,
) -> GcryError {
    if us.is_null() || filename.is_null() {
        return gcry_error(errors::INV_VALUE);
    }
    guard(gcry_error(errors::INV_VALUE), || {
        // SAFETY: umask has no memory-safety preconditions.
        let old_mask = unsafe { libc::umask(0o077) };
        // SAFETY: filename is a C string (caller).
        let result = match unsafe { fopen(filename, c"w+b") } {
            Ok(f) => {
                // SAFETY: the caller's promise; f is open, closed once.
                let r = unsafe { otrl_privkey_generate_FILEp(us, f, accountname, protocol) };
                // SAFETY: f is open and not used afterwards.
                unsafe { fclose(f) };
                r
            }
            Err(e) => errors::from_errno(e),
        };
        // SAFETY: as above.
        unsafe { libc::umask(old_mask) };
        result
    })
}

/// `otrl_privkey_find`.
///
/// # Safety
/// `us` is NULL or live; the names are NULL or C strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_privkey_find(
    us: *mut OtrlUserStateC,
    accountname: *const c_char,
    protocol: *const c_char,
) -> *mut OtrlPrivKey {
    if us.is_null() {
        return null_mut();
    }
    guard(null_mut(), || {
        // SAFETY: the caller's promise.
        match unsafe { (c_bytes(accountname), c_bytes(protocol)) } {
            // SAFETY: us is live.
            (Some(a), Some(p)) => unsafe { find(us, a, p) },
            _ => null_mut(),
        }
    })
}

/// `otrl_privkey_forget`.
///
/// # Safety
/// `privkey` is NULL or a live entry of a user state.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_privkey_forget(privkey: *mut OtrlPrivKey) {
    if privkey.is_null() {
        return;
    }
    // SAFETY: the caller's promise.
    guard((), || unsafe { forget(privkey) });
}

/// `otrl_privkey_forget_all`.
///
/// # Safety
/// `us` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_privkey_forget_all(us: *mut OtrlUserStateC) {
    if us.is_null() {
        return;
    }
    // SAFETY: the caller's promise.
    guard((), || unsafe { forget_all(us) });
}

/// The account's key fingerprint (SHA-1 of the public key's MPIs).
///
/// # Safety
/// `us` is NULL or live; the names are NULL or C strings.
unsafe fn fingerprint_of(
    us: *mut OtrlUserStateC,
    accountname: *const c_char,
    protocol: *const c_char,
) -> Option<[u8; 20]> {
    if us.is_null() {
        return None;
    }
    // SAFETY: the caller's promise.
    unsafe {
        let (a, p) = (c_bytes(accountname)?, c_bytes(protocol)?);
        key_of(find(us, a, p)).map(|k| *k.fingerprint().as_bytes())
    }
}

/// `otrl_privkey_fingerprint`: the human form into `fingerprint` (45 bytes).
///
/// # Safety
/// `us` is NULL or live; `fingerprint` is NULL or 45 writable bytes; the
/// names are NULL or C strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_privkey_fingerprint(
    us: *mut OtrlUserStateC,
    fingerprint: *mut c_char,
    accountname: *const c_char,
    protocol: *const c_char,
) -> *mut c_char {
    if fingerprint.is_null() {
        return null_mut();
    }
    guard(null_mut(), || {
        // SAFETY: the caller's promise.
        let Some(hash) = (unsafe { fingerprint_of(us, accountname, protocol) }) else {
            return null_mut();
        };
        // SAFETY: fingerprint has 45 writable bytes (caller).
        unsafe { write_human(fingerprint, &hash) };
        fingerprint
    })
}

/// `otrl_privkey_fingerprint_raw`: the 20 bytes into `hash`.
///
/// # Safety
/// As [`otrl_privkey_fingerprint`], `hash` 20 writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_privkey_fingerprint_raw(
    us: *mut OtrlUserStateC,
    hash: *mut c_uchar,
    accountname: *const c_char,
    protocol: *const c_char,
) -> *mut c_uchar {
    if hash.is_null() {
        return null_mut();
    }
    guard(null_mut(), || {
        // SAFETY: the caller's promise.
        let Some(fp) = (unsafe { fingerprint_of(us, accountname, protocol) }) else {
            return null_mut();
        };
        // SAFETY: hash has 20 writable bytes (caller).
        unsafe { core::ptr::copy_nonoverlapping(fp.as_ptr(), hash, 20) };
        hash
    })
}

/// Writes the 44 characters and a NUL.
///
/// # Safety
/// `out` has 45 writable bytes.
unsafe fn write_human(out: *mut c_char, hash: &[u8; 20]) {
    let text = hash_to_human(hash);
    // SAFETY: 45 writable bytes (caller).
    unsafe {
        core::ptr::copy_nonoverlapping(text.as_ptr(), out.cast::<u8>(), text.len());
        out.add(text.len()).write(0);
    }
}

/// `otrl_privkey_hash_to_human`.
///
/// # Safety
/// `human` is NULL or 45 writable bytes; `hash` is NULL or 20 readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_privkey_hash_to_human(human: *mut c_char, hash: *const c_uchar) {
    if human.is_null() || hash.is_null() {
        return;
    }
    // SAFETY: 20 readable bytes, 45 writable (caller).
    unsafe {
        let bytes = hash.cast::<[u8; 20]>().read_unaligned();
        write_human(human, &bytes);
    }
}

/// A key being made in steps (`otrl_privkey_generate_start` →
/// `_calculate` → `_finish`): the client holds it as a `void *`.
struct PendingKey {
    account: Vec<u8>,
    protocol: Vec<u8>,
    key: Option<DsaSigningKey>,
}

/// `GPG_ERR_EEXIST`.
const EEXIST: u32 = (1 << 15) | 35;

/// The pending entry of an account, or NULL.
///
/// # Safety
/// `us` is live.
unsafe fn find_pending(
    us: *mut OtrlUserStateC,
    account: &[u8],
    protocol: &[u8],
) -> *mut OtrlPendingPrivKey {
    // SAFETY: us and its list are live.
    unsafe {
        let mut p = (*us).pending_root;
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

/// Unlinks and frees a pending entry.
///
/// # Safety
/// `p` is a live, linked entry.
unsafe fn forget_pending(p: *mut OtrlPendingPrivKey) {
    // SAFETY: the caller's promise.
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

/// Forgets every pending entry.
///
/// # Safety
/// `us` is live.
pub(crate) unsafe fn forget_all_pending(us: *mut OtrlUserStateC) {
    // SAFETY: the caller's promise.
    unsafe {
        while !(*us).pending_root.is_null() {
            forget_pending((*us).pending_root);
        }
    }
}

/// `otrl_privkey_generate_start`: `GPG_ERR_EEXIST` when a key for the
/// account is already being made.
///
/// # Safety
/// `us` NULL or live; the names NULL or C strings; `newkeyp` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_privkey_generate_start(
    us: *mut OtrlUserStateC,
    accountname: *const c_char,
    protocol: *const c_char,
    newkeyp: *mut *mut core::ffi::c_void,
) -> GcryError {
    // SAFETY: newkeyp is NULL or writable (caller).
    if let Some(n) = unsafe { newkeyp.as_mut() } {
        *n = null_mut();
    }
    guard(gcry_error(errors::INV_VALUE), || {
        // SAFETY: the caller's promise.
        unsafe {
            let (Some(account), Some(proto)) = (c_bytes(accountname), c_bytes(protocol)) else {
                return errors::NO_ERROR;
            };
            if us.is_null() {
                return gcry_error(errors::INV_VALUE);
            }
            if !find_pending(us, account, proto).is_null() {
                return gcry_error(EEXIST);
            }
            let node = Box::into_raw(Box::new(OtrlPendingPrivKey {
                next: (*us).pending_root,
                tous: &raw mut (*us).pending_root,
                accountname: malloc_cstring(account),
                protocol: malloc_cstring(proto),
            }));
            if let Some(next) = (*node).next.as_mut() {
                next.tous = &raw mut (*node).next;
            }
            (*us).pending_root = node;
            let pending = Box::new(PendingKey {
                account: account.to_vec(),
                protocol: proto.to_vec(),
                key: None,
            });
            if let Some(n) = newkeyp.as_mut() {
                *n = Box::into_raw(pending).cast();
            }
            errors::NO_ERROR
        }
    })
}

/// `otrl_privkey_generate_calculate`: makes the key (the slow step; it
/// touches no user state, so it may run in another thread).
///
/// # Safety
/// `newkey` NULL or from [`otrl_privkey_generate_start`], not yet finished.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_privkey_generate_calculate(
    newkey: *mut core::ffi::c_void,
) -> GcryError {
    guard(gcry_error(errors::INV_VALUE), || {
        // SAFETY: the caller's promise.
        let Some(pending) = (unsafe { newkey.cast::<PendingKey>().as_mut() }) else {
            return errors::NO_ERROR;
        };
        match DsaSigningKey::generate(&mut UnwrapErr(getrandom::SysRng)) {
            Ok(key) => {
                pending.key = Some(key);
                errors::NO_ERROR
            }
            Err(_) => gcry_error(errors::INV_VALUE),
        }
    })
}

/// `otrl_privkey_generate_cancelled`: forgets a key being made.
///
/// # Safety
/// `us` NULL or live; `newkey` NULL or from [`otrl_privkey_generate_start`],
/// not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_privkey_generate_cancelled(
    us: *mut OtrlUserStateC,
    newkey: *mut core::ffi::c_void,
) {
    if newkey.is_null() {
        return;
    }
    guard((), || {
        // SAFETY: newkey is ours (caller); us is NULL or live.
        unsafe {
            let pending = Box::from_raw(newkey.cast::<PendingKey>());
            if !us.is_null() {
                let p = find_pending(us, &pending.account, &pending.protocol);
                if !p.is_null() {
                    forget_pending(p);
                }
            }
        }
    });
}

/// `otrl_privkey_generate_finish_FILEp`: writes every key with the new one
/// to `privf`, reads it back, and forgets the pending key.
///
/// # Safety
/// `us` NULL or live; `newkey` NULL or from [`otrl_privkey_generate_start`]
/// (not used afterwards); `privf` NULL or open for reading and writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_privkey_generate_finish_FILEp(
    us: *mut OtrlUserStateC,
    newkey: *mut core::ffi::c_void,
    privf: *mut libc::FILE,
) -> GcryError {
    guard(gcry_error(errors::INV_VALUE), || {
        // SAFETY: the caller's promise.
        unsafe {
            let mut result = errors::NO_ERROR;
            if let Some(pending) = newkey.cast::<PendingKey>().as_mut()
                && !privf.is_null()
                && !us.is_null()
                && let Some(key) = pending.key.take()
            {
                let (account, protocol) = (pending.account.clone(), pending.protocol.clone());
                result = write_with_key(us, privf, &account, &protocol, key);
            }
            otrl_privkey_generate_cancelled(us, newkey);
            result
        }
    })
}

/// `otrl_privkey_generate_finish`: as the `_FILEp` form, into `filename`
/// (mode 0600).
///
/// # Safety
/// As [`otrl_privkey_generate_finish_FILEp`]; `filename` NULL or a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_privkey_generate_finish(
    us: *mut OtrlUserStateC,
    newkey: *mut core::ffi::c_void,
    filename: *const c_char,
) -> GcryError {
    if filename.is_null() || us.is_null() {
        // SAFETY: the caller's promise.
        unsafe { otrl_privkey_generate_cancelled(us, newkey) };
        return gcry_error(errors::INV_VALUE);
    }
    guard(gcry_error(errors::INV_VALUE), || {
        // SAFETY: umask has no memory-safety preconditions.
        let old_mask = unsafe { libc::umask(0o077) };
        // SAFETY: filename is a C string (caller).
        let result = match unsafe { fopen(filename, c"w+b") } {
            Ok(f) => {
                // SAFETY: the caller's promise; f is open, closed once.
                let r = unsafe { otrl_privkey_generate_finish_FILEp(us, newkey, f) };
                // SAFETY: f is open and not used afterwards.
                unsafe { fclose(f) };
                r
            }
            Err(e) => {
                // SAFETY: the caller's promise.
                unsafe { otrl_privkey_generate_cancelled(us, newkey) };
                errors::from_errno(e)
            }
        };
        // SAFETY: as above.
        unsafe { libc::umask(old_mask) };
        result
    })
}

/// `otrl_privkey_pending_forget_all`.
///
/// # Safety
/// `us` NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_privkey_pending_forget_all(us: *mut OtrlUserStateC) {
    if us.is_null() {
        return;
    }
    // SAFETY: the caller's promise.
    guard((), || unsafe { forget_all_pending(us) });
}

/// `otrl_privkey_sign`: a DSA signature (`r‖s`, 20 bytes each, 40 in all,
/// `malloc`ed into `*sigp`) of `data` read as a big-endian number, with the
/// key of the entry `privkey`, as libotr makes it (the number is used mod
/// q). `GPG_ERR_INV_VALUE` for a NULL argument, a key type other than DSA,
/// or more than 32 bytes of data (libotr signs longer data mod q; every
/// value OTR signs has 32 bytes or fewer).
///
/// # Safety
/// `sigp`, `siglenp` are NULL or writable; `privkey` NULL or a live entry
/// of this library; `data` NULL or `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_privkey_sign(
    sigp: *mut *mut c_uchar,
    siglenp: *mut usize,
    privkey: *mut OtrlPrivKey,
    data: *const c_uchar,
    len: usize,
) -> GcryError {
    let invalid = gcry_error(errors::INV_VALUE);
    if sigp.is_null() || siglenp.is_null() || len > 32 || (data.is_null() && len > 0) {
        return invalid;
    }
    // SAFETY: privkey is NULL or a live entry (caller).
    let (Some(key), Some(0)) = (unsafe { key_of(privkey) }, unsafe {
        privkey.as_ref().map(|p| p.pubkey_type)
    }) else {
        return invalid;
    };
    guard(invalid, || {
        // The value signed (a hash, not a secret).
        let mut value = [0u8; 32];
        if len > 0 {
            // SAFETY: data has len readable bytes (caller); len <= 32, so
            // the copy fits the last len bytes of value.
            unsafe {
                core::ptr::copy_nonoverlapping(data, value.as_mut_ptr().add(32 - len), len);
            }
        }
        let signature = key.sign(&value, &mut UnwrapErr(getrandom::SysRng));
        let bytes = [signature.r, signature.s].concat();
        let out = malloc_bytes(&bytes);
        if out.is_null() {
            return gcry_error(errors::ENOMEM);
        }
        // SAFETY: both are writable (checked non-NULL; caller).
        unsafe {
            *sigp = out;
            *siglenp = bytes.len();
        }
        errors::NO_ERROR
    })
}

/// `otrl_privkey_verify`: not offered. The public key comes as a libgcrypt
/// `gcry_sexp_t`, an object this library (which does not use libgcrypt)
/// cannot read; the answer is libotr's for a key it cannot use,
/// `GPG_ERR_INV_VALUE`, so nothing reads as verified.
///
/// # Safety
/// Nothing is read.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_privkey_verify(
    sigbuf: *const c_uchar,
    siglen: usize,
    pubkey_type: core::ffi::c_ushort,
    pubs: *mut core::ffi::c_void,
    data: *const c_uchar,
    len: usize,
) -> GcryError {
    let _ = (sigbuf, siglen, pubkey_type, pubs, data, len);
    gcry_error(errors::INV_VALUE)
}
