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

/// `otrl_tlv_parse`: a list from serialized TLVs (type and length as
/// big-endian 16-bit numbers, then the value); stops at the first TLV that
/// does not fit, as libotr.
///
/// # Safety
/// `serialized` is NULL or `seriallen` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_tlv_parse(
    serialized: *const c_uchar,
    seriallen: usize,
) -> *mut OtrlTLV {
    if serialized.is_null() || seriallen == 0 {
        return null_mut();
    }
    // SAFETY: seriallen readable bytes (caller).
    let bytes = unsafe { core::slice::from_raw_parts(serialized, seriallen) };
    guard(null_mut(), || {
        let mut items: Vec<(u16, &[u8])> = Vec::new();
        let mut rest = bytes;
        while let [t0, t1, l0, l1, tail @ ..] = rest {
            let len = usize::from(u16::from_be_bytes([*l0, *l1]));
            let Some(value) = tail.get(..len) else { break };
            items.push((u16::from_be_bytes([*t0, *t1]), value));
            rest = tail.get(len..).unwrap_or_default();
        }
        let mut head: *mut OtrlTLV = null_mut();
        for (type_, value) in items.iter().rev() {
            let node = new_tlv(*type_, value);
            if !node.is_null() {
                // SAFETY: node is fresh.
                unsafe { (*node).next = head };
                head = node;
            }
        }
        head
    })
}

/// `otrl_tlv_seriallen`: the serialized length of a list.
///
/// # Safety
/// `tlv` is NULL or a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_tlv_seriallen(tlv: *const OtrlTLV) -> usize {
    let mut total = 0usize;
    let mut t = tlv;
    // SAFETY: a live list (caller).
    unsafe {
        while let Some(node) = t.as_ref() {
            total = total.saturating_add(4 + usize::from(node.len));
            t = node.next;
        }
    }
    total
}

/// `otrl_tlv_serialize`: writes a list into `buf` (of
/// [`otrl_tlv_seriallen`] bytes).
///
/// # Safety
/// `buf` is NULL or has room for the serialized list; `tlv` NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_tlv_serialize(buf: *mut c_uchar, tlv: *const OtrlTLV) {
    if buf.is_null() {
        return;
    }
    let mut at = buf;
    let mut t = tlv;
    // SAFETY: a live list; buf has room for all of it (caller).
    unsafe {
        while let Some(node) = t.as_ref() {
            let head = [node.type_.to_be_bytes(), node.len.to_be_bytes()].concat();
            core::ptr::copy_nonoverlapping(head.as_ptr(), at, 4);
            at = at.add(4);
            if !node.data.is_null() && node.len > 0 {
                core::ptr::copy_nonoverlapping(node.data, at, usize::from(node.len));
                at = at.add(usize::from(node.len));
            }
            t = node.next;
        }
    }
}
