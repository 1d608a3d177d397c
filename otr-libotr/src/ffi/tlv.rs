//! TLV lists: `otrl_tlv_*`. Nodes and their data are `malloc`ed.

use core::ffi::{c_uchar, c_ushort};
use core::ptr::null_mut;

use super::types::OtrlTLV;
use super::{free, guard, malloc_bytes};

/// A new `malloc`ed TLV node (NULL when out of memory).
pub(crate) fn new_tlv(type_: u16, data: &[u8]) -> *mut OtrlTLV {
    let Ok(len) = u16::try_from(data.len()) else {
        return null_mut();
    };
    // SAFETY: malloc of the node's size; checked for NULL.
    let node = unsafe { libc::malloc(core::mem::size_of::<OtrlTLV>()) }.cast::<OtrlTLV>();
    if node.is_null() {
        return null_mut();
    }
    let bytes = malloc_bytes(data);
    // SAFETY: node is fresh, writable, properly aligned (malloc).
    unsafe {
        node.write(OtrlTLV {
            type_,
            len,
            data: bytes,
            next: null_mut(),
        })
    };
    node
}

/// `otrl_tlv_new`.
///
/// # Safety
/// `data` is NULL or `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_tlv_new(
    type_: c_ushort,
    len: c_ushort,
    data: *const c_uchar,
) -> *mut OtrlTLV {
    let bytes = if data.is_null() || len == 0 {
        &[][..]
    } else {
        // SAFETY: len readable bytes (caller).
        unsafe { core::slice::from_raw_parts(data, usize::from(len)) }
    };
    guard(null_mut(), || new_tlv(type_, bytes))
}

/// `otrl_tlv_find`: the first TLV of the type, or NULL.
///
/// # Safety
/// `tlvs` is NULL or a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_tlv_find(tlvs: *mut OtrlTLV, type_: c_ushort) -> *mut OtrlTLV {
    let mut t = tlvs;
    // SAFETY: a live list (caller).
    unsafe {
        while let Some(node) = t.as_ref() {
            if node.type_ == type_ {
                return t;
            }
            t = node.next;
        }
    }
    null_mut()
}

/// `otrl_tlv_free`: frees a whole list.
///
/// # Safety
/// `tlv` is NULL or a list from this library, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_tlv_free(tlv: *mut OtrlTLV) {
    let mut t = tlv;
    // SAFETY: nodes and data are malloc'ed (ours or otrl_tlv_new's).
    unsafe {
        while !t.is_null() {
            let next = (*t).next;
            free((*t).data);
            free(t);
            t = next;
        }
    }
}
