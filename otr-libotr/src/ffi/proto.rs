//! `otrl_proto_message_type`, `otrl_proto_message_version` and libotr's
//! initialisers (nothing to initialise here).

use core::ffi::{c_char, c_int};

use super::c_bytes;
use super::context::{blank_smstate, reset_smstate};
use super::types::OtrlSMState;
use crate::proto;

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
