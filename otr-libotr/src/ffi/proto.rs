//! `proto.h`: reading message texts (`otrl_proto_message_type`, `_version`,
//! `_query_bestversion`, `_whitespace_bestversion`, `_instance`,
//! `_data_read_flags`), the fragment functions, the data-message functions
//! this library does not offer, and libotr's initialisers (nothing to
//! initialise here).

use core::ffi::{c_char, c_int, c_uchar, c_uint, c_ushort, c_void};
use core::ptr::{null, null_mut};

use super::context::{blank_smstate, priv_of, reset_smstate};
use super::types::{ConnContext, GcryError, OtrlPolicy, OtrlSMState};
use super::{c_bytes, free, guard, malloc_cstring};
use crate::fragments::{self, Accumulated, CreateError, FragmentContext};
use crate::{errors, proto};

/// `otrl_proto_message_type`.
///
/// # Safety
/// `message` is NULL or a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_proto_message_type(message: *const c_char) -> c_int {
    // SAFETY: the caller's promise.
    unsafe { c_bytes(message) }.map_or(proto::msgtype::NOTOTR, proto::message_type)
}

/// `otrl_proto_message_version`.
///
/// # Safety
/// `message` is NULL or a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_proto_message_version(message: *const c_char) -> c_int {
    // SAFETY: the caller's promise.
    unsafe { c_bytes(message) }.map_or(0, proto::message_version)
}

/// `otrl_mem_init`: nothing to do.
#[unsafe(no_mangle)]
pub extern "C" fn otrl_mem_init() {}

/// `otrl_dh_init`: nothing to do.
#[unsafe(no_mangle)]
pub extern "C" fn otrl_dh_init() {}

/// `otrl_sm_init`: nothing to do.
#[unsafe(no_mangle)]
pub extern "C" fn otrl_sm_init() {}

/// `otrl_sm_state_new`: a fresh SMP state.
///
/// # Safety
/// `smst` is NULL or a writable `OtrlSMState`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_sm_state_new(smst: *mut OtrlSMState) {
    if !smst.is_null() {
        // SAFETY: writable (caller).
        unsafe { smst.write(blank_smstate()) };
    }
}

/// `otrl_sm_state_init`: back to a fresh SMP state.
///
/// # Safety
/// `smst` is NULL or a live `OtrlSMState`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_sm_state_init(smst: *mut OtrlSMState) {
    // SAFETY: the caller's promise.
    unsafe { reset_smstate(smst) };
}

/// `otrl_proto_query_bestversion`: the best version both the query and
/// `policy` allow (0 for none, or when there is no query).
///
/// # Safety
/// `querymsg` is NULL or a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_proto_query_bestversion(
    querymsg: *const c_char,
    policy: OtrlPolicy,
) -> c_uint {
    // SAFETY: the caller's promise.
    unsafe { c_bytes(querymsg) }.map_or(0, |m| proto::query_bestversion(m, policy))
}

/// `otrl_proto_whitespace_bestversion`: the best version a whitespace tag
/// offers; `*starttagp`/`*endtagp` point at the tag (NULL without one).
///
/// # Safety
/// `msg` is NULL or a C string; `starttagp`, `endtagp` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_proto_whitespace_bestversion(
    msg: *const c_char,
    starttagp: *mut *const c_char,
    endtagp: *mut *const c_char,
    policy: OtrlPolicy,
) -> c_uint {
    // SAFETY: the caller's promise.
    let found = unsafe { c_bytes(msg) }.and_then(|m| proto::whitespace_bestversion(m, policy));
    let (start, end, version) = match found {
        // SAFETY: both offsets are within the string `msg` points to.
        Some(tag) => unsafe { (msg.add(tag.start), msg.add(tag.end), tag.version) },
        None => (null(), null(), 0),
    };
    // SAFETY: each is NULL or writable (caller).
    unsafe {
        if let Some(p) = starttagp.as_mut() {
            *p = start;
        }
        if let Some(p) = endtagp.as_mut() {
            *p = end;
        }
    }
    version
}

/// `otrl_proto_instance`: the sender and receiver instance tags of a v3
/// message; `GPG_ERR_INV_VALUE` when the text is not one (the tags read
/// before the error are still written, as libotr does).
///
/// # Safety
/// `otrmsg` is NULL or a C string; the two outputs NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_proto_instance(
    otrmsg: *const c_char,
    instance_from: *mut c_uint,
    instance_to: *mut c_uint,
) -> GcryError {
    // SAFETY: the caller's promise.
    let (from, to) = unsafe { c_bytes(otrmsg) }.map_or((None, None), proto::instance_tags);
    // SAFETY: each output is NULL or writable (caller).
    unsafe {
        if let (Some(v), Some(p)) = (from, instance_from.as_mut()) {
            *p = v;
        }
        if let (Some(v), Some(p)) = (to, instance_to.as_mut()) {
            *p = v;
        }
    }
    if from.is_some() && to.is_some() {
        errors::NO_ERROR
    } else {
        errors::gcry_error(errors::INV_VALUE)
    }
}

/// `otrl_proto_data_read_flags`: the flags of a data message, read without
/// decrypting it (`*flagsp` is 0 on any error).
///
/// # Safety
/// `datamsg` is NULL or a C string; `flagsp` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_proto_data_read_flags(
    datamsg: *const c_char,
    flagsp: *mut c_uchar,
) -> GcryError {
    // SAFETY: the caller's promise.
    let flags = unsafe { c_bytes(datamsg) }.and_then(proto::data_flags);
    // SAFETY: NULL or writable (caller).
    if let Some(p) = unsafe { flagsp.as_mut() } {
        *p = flags.unwrap_or(0);
    }
    match flags {
        Some(_) => errors::NO_ERROR,
        None => errors::gcry_error(errors::INV_VALUE),
    }
}

/// `otrl_proto_create_data`: not offered. A data message can only come from
/// the engine's own send path (`otrl_message_sending`), which owns the
/// session keys and the ratchet: `*encmessagep` is set to NULL and the
/// answer is libotr's "cannot encrypt now", `GPG_ERR_CONFLICT`.
///
/// # Safety
/// `encmessagep` is NULL or writable; the rest is not read.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_proto_create_data(
    encmessagep: *mut *mut c_char,
    context: *mut ConnContext,
    msg: *const c_char,
    tlvs: *const c_void,
    flags: c_uchar,
    extrakey: *mut c_uchar,
) -> GcryError {
    let _ = (context, msg, tlvs, flags, extrakey);
    // SAFETY: NULL or writable (caller).
    if let Some(p) = unsafe { encmessagep.as_mut() } {
        *p = null_mut();
    }
    errors::gcry_error(errors::CONFLICT)
}

/// `otrl_proto_accept_data`: not offered. Data messages are decrypted by
/// the engine inside `otrl_message_receiving` (which also acts on their
/// SMP and other TLVs): the outputs are cleared and the answer is libotr's
/// "not for our keys", `GPG_ERR_CONFLICT`.
///
/// # Safety
/// `plaintextp`, `tlvsp`, `flagsp` are NULL or writable; the rest is not
/// read.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_proto_accept_data(
    plaintextp: *mut *mut c_char,
    tlvsp: *mut *mut c_void,
    context: *mut ConnContext,
    datamsg: *const c_char,
    flagsp: *mut c_uchar,
    extrakey: *mut c_uchar,
) -> GcryError {
    let _ = (context, datamsg, extrakey);
    // SAFETY: each is NULL or writable (caller).
    unsafe {
        if let Some(p) = plaintextp.as_mut() {
            *p = null_mut();
        }
        if let Some(p) = tlvsp.as_mut() {
            *p = null_mut();
        }
        if let Some(p) = flagsp.as_mut() {
            *p = 0;
        }
    }
    errors::gcry_error(errors::CONFLICT)
}

/// `OtrlFragmentResult`.
const FRAGMENT_UNFRAGMENTED: c_int = 0;
const FRAGMENT_INCOMPLETE: c_int = 1;
const FRAGMENT_COMPLETE: c_int = 2;

/// `otrl_proto_fragment_accumulate`: adds a fragment to the context's
/// partial message; on `OTRL_FRAGMENT_COMPLETE`, `*unfragmessagep` is the
/// whole message (`malloc`ed). NULL arguments accumulate nothing
/// (`OTRL_FRAGMENT_UNFRAGMENTED`).
///
/// # Safety
/// `context` is NULL or a live context of this library; `msg` NULL or a C
/// string; `unfragmessagep` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_proto_fragment_accumulate(
    unfragmessagep: *mut *mut c_char,
    context: *mut ConnContext,
    msg: *const c_char,
) -> c_int {
    // SAFETY: the caller's promise.
    let Some(message) = (unsafe { c_bytes(msg) }) else {
        return FRAGMENT_UNFRAGMENTED;
    };
    if context.is_null() {
        return FRAGMENT_UNFRAGMENTED;
    }
    // SAFETY: context is live (checked non-NULL; caller).
    let Some(private) = (unsafe { priv_of(context) }) else {
        return FRAGMENT_UNFRAGMENTED;
    };
    let result = guard(Accumulated::Unfragmented, || {
        private.fragments.accumulate(message)
    });
    private.fragment_len = private.fragments.len();
    private.fragment_n = private.fragments.n();
    private.fragment_k = private.fragments.k();
    match result {
        Accumulated::Unfragmented => FRAGMENT_UNFRAGMENTED,
        Accumulated::Incomplete => FRAGMENT_INCOMPLETE,
        Accumulated::Complete(whole) => {
            // SAFETY: NULL or writable (caller).
            if let Some(p) = unsafe { unfragmessagep.as_mut() } {
                *p = malloc_cstring(&whole);
            }
            FRAGMENT_COMPLETE
        }
    }
}

/// `otrl_proto_fragment_create`: `fragment_count` fragments of `message`
/// for `context`, in `*fragments` (a `malloc`ed array of `malloc`ed
/// strings; free it with [`otrl_proto_fragment_free`]).
/// `GPG_ERR_INV_VALUE` for a count outside 1..=65535, a maximum size
/// smaller than the fragment header, or a NULL argument.
///
/// # Safety
/// `fragments` is NULL or writable; `context` NULL or a live context;
/// `message` NULL or a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_proto_fragment_create(
    mms: c_int,
    fragment_count: c_int,
    fragments: *mut *mut *mut c_char,
    context: *mut ConnContext,
    message: *const c_char,
) -> GcryError {
    // SAFETY: the caller's promise.
    let (Some(text), Some(c), false) = (
        unsafe { c_bytes(message) },
        unsafe { context.as_ref() },
        fragments.is_null(),
    ) else {
        return errors::gcry_error(errors::INV_VALUE);
    };
    let fields = FragmentContext {
        protocol_version: c.protocol_version,
        auth_protocol_version: c.auth.protocol_version,
        our_instance: c.our_instance,
        their_instance: c.their_instance,
    };
    let Ok(pieces) = guard(Err(CreateError::BadCount), || {
        fragments::create(mms, fragment_count, fields, text)
    }) else {
        return errors::gcry_error(errors::INV_VALUE);
    };
    let Some(array) = malloc_string_array(&pieces) else {
        return errors::gcry_error(errors::ENOMEM);
    };
    // SAFETY: fragments is writable (checked non-NULL; caller).
    unsafe { *fragments = array };
    errors::NO_ERROR
}

/// A `malloc`ed array of `malloc`ed copies of `pieces`; `None` (nothing
/// left allocated) when out of memory.
fn malloc_string_array(pieces: &[Vec<u8>]) -> Option<*mut *mut c_char> {
    let size = pieces.len().checked_mul(size_of::<*mut c_char>())?.max(1);
    // SAFETY: malloc with a non-zero size; the result is checked for NULL.
    let array = unsafe { libc::malloc(size) }.cast::<*mut c_char>();
    if array.is_null() {
        return None;
    }
    for (i, piece) in pieces.iter().enumerate() {
        let copy = malloc_cstring(piece);
        if copy.is_null() {
            // SAFETY: the first i entries are our malloc'ed strings.
            unsafe { free_string_array(array, i) };
            return None;
        }
        // SAFETY: array has room for pieces.len() pointers and i < that.
        unsafe { array.add(i).write(copy) };
    }
    Some(array)
}

/// Frees the first `len` strings of `array` (NULL entries skipped) and the
/// array.
///
/// # Safety
/// `array` is NULL or a `malloc`ed array of at least `len` pointers, each
/// NULL or `malloc`ed; none is used afterwards.
unsafe fn free_string_array(array: *mut *mut c_char, len: usize) {
    if array.is_null() {
        return;
    }
    for i in 0..len {
        // SAFETY: i < len entries are readable (caller) and each is NULL
        // or malloc'ed.
        unsafe { free(array.add(i).read()) };
    }
    // SAFETY: the array was malloc'ed (caller).
    unsafe { free(array) };
}

/// `otrl_proto_fragment_free`: frees the first `arraylen` fragments of
/// `*fragments` and the array (`*fragments` is left as it was, as libotr).
///
/// # Safety
/// `fragments` is NULL or points to NULL or an array from
/// [`otrl_proto_fragment_create`] with at least `arraylen` entries.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_proto_fragment_free(
    fragments: *mut *mut *mut c_char,
    arraylen: c_ushort,
) {
    // SAFETY: the caller's promise.
    if let Some(array) = unsafe { fragments.as_ref() } {
        // SAFETY: the caller's promise.
        unsafe { free_string_array(*array, usize::from(arraylen)) };
    }
}
