//! Contexts and their fingerprints: `otrl_context_*`.
//!
//! A `ConnContext` is a `Box` that stays put until it is forgotten (clients
//! keep pointers to it). The user state's list is sorted as libotr sorts it:
//! by username, account, protocol (byte order, as `strcmp`), then instance
//! tag, so a master (instance 0) comes first and its children follow it.

use core::ffi::{c_char, c_int, c_uchar, c_void};
use core::ptr::null_mut;

use super::types::{
    AddAppData, ConnContext, DhKeypair, Fingerprint, OtrlAuthInfo, OtrlInstag, OtrlSMState,
    OtrlUserStateC,
};
use super::{c_bytes, free, guard, instag, malloc_bytes, malloc_cstring};
use crate::state::{self, ContextPriv, Rank, instag as tags, msgstate};

fn blank_auth() -> OtrlAuthInfo {
    OtrlAuthInfo {
        authstate: 0,
        context: null_mut(),
        our_dh: DhKeypair {
            groupid: 0,
            priv_: null_mut(),
            pub_: null_mut(),
        },
        our_keyid: 0,
        encgx: null_mut(),
        encgx_len: 0,
        r: [0; 16],
        hashgx: [0; 32],
        their_pub: null_mut(),
        their_keyid: 0,
        enc_c: null_mut(),
        enc_cp: null_mut(),
        mac_m1: null_mut(),
        mac_m1p: null_mut(),
        mac_m2: null_mut(),
        mac_m2p: null_mut(),
        their_fingerprint: [0; 20],
        initiated: 0,
        protocol_version: 0,
        secure_session_id: [0; 20],
        secure_session_id_len: 0,
        session_id_half: 0,
        lastauthmsg: null_mut(),
        commit_sent_time: 0,
    }
}

/// A fresh SMP state (`otrl_sm_state_new`): nothing set, expecting SMP1.
pub(crate) fn blank_smstate() -> OtrlSMState {
    OtrlSMState {
        secret: null_mut(),
        x2: null_mut(),
        x3: null_mut(),
        g1: null_mut(),
        g2: null_mut(),
        g3: null_mut(),
        g3o: null_mut(),
        p: null_mut(),
        q: null_mut(),
        pab: null_mut(),
        qab: null_mut(),
        next_expected: 0,
        received_question: 0,
        sm_prog_state: 0,
    }
}

/// A new context, not linked anywhere, with `malloc`ed names.
fn new_context(user: &[u8], account: &[u8], protocol: &[u8]) -> *mut ConnContext {
    let raw = Box::into_raw(Box::new(ConnContext {
        next: null_mut(),
        tous: null_mut(),
        context_priv: Box::into_raw(Box::<ContextPriv>::default()).cast::<c_void>(),
        username: malloc_cstring(user),
        accountname: malloc_cstring(account),
        protocol: malloc_cstring(protocol),
        m_context: null_mut(),
        recent_rcvd_child: null_mut(),
        recent_sent_child: null_mut(),
        recent_child: null_mut(),
        our_instance: 0,
        their_instance: 0,
        msgstate: msgstate::PLAINTEXT,
        auth: blank_auth(),
        fingerprint_root: Fingerprint {
            next: null_mut(),
            tous: null_mut(),
            fingerprint: null_mut(),
            context: null_mut(),
            trust: null_mut(),
        },
        active_fingerprint: null_mut(),
        sessionid: [0; 20],
        sessionid_len: 0,
        sessionid_half: 0,
        protocol_version: 0,
        otr_offer: 0,
        app_data: null_mut(),
        app_data_free: None,
        smstate: Box::into_raw(Box::new(blank_smstate())),
    }));
    // SAFETY: raw was just allocated and is not shared yet.
    unsafe {
        (*raw).m_context = raw;
        (*raw).fingerprint_root.context = raw;
        (*raw).auth.context = raw;
    }
    raw
}

/// The Rust-side state of a context.
///
/// # Safety
/// `c` points to a live context made by this library.
pub(crate) unsafe fn priv_of<'a>(c: *mut ConnContext) -> Option<&'a mut ContextPriv> {
    // SAFETY: c is live (caller); context_priv is NULL or our Box.
    unsafe { (*c).context_priv.cast::<ContextPriv>().as_mut() }
}

/// The names of a context.
///
/// # Safety
/// `c` points to a live context made by this library.
pub(crate) unsafe fn names<'a>(c: *const ConnContext) -> (&'a [u8], &'a [u8], &'a [u8]) {
    // SAFETY: our contexts hold NUL-terminated names (or NULL after OOM).
    unsafe {
        (
            c_bytes((*c).username).unwrap_or_default(),
            c_bytes((*c).accountname).unwrap_or_default(),
            c_bytes((*c).protocol).unwrap_or_default(),
        )
    }
}

/// libotr's `otrl_context_find`, on byte strings.
///
/// # Safety
/// `us` is a live user state; `add_app_data` is NULL or callable with `data`.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn find(
    us: *mut OtrlUserStateC,
    user: &[u8],
    account: &[u8],
    protocol: &[u8],
    their_instance: OtrlInstag,
    add_if_missing: bool,
    addedp: Option<&mut c_int>,
    add_app_data: AddAppData,
    data: *mut c_void,
) -> *mut ConnContext {
    let mut added = false;
    // SAFETY: us is live; every context in its list is live.
    let found = unsafe {
        let mut curp: *mut *mut ConnContext = &raw mut (*us).context_root;
        let mut same_names = false;
        while !(*curp).is_null() {
            let cur = *curp;
            let (u, a, p) = names(cur);
            let order = u.cmp(user).then(a.cmp(account)).then(p.cmp(protocol));
            if order.is_gt() {
                break;
            }
            if order.is_eq()
                && (their_instance < tags::MIN_VALID || (*cur).their_instance >= their_instance)
            {
                same_names = true;
                break;
            }
            curp = &raw mut (*cur).next;
        }
        let cur = *curp;
        if same_names
            && !cur.is_null()
            && (their_instance < tags::MIN_VALID || (*cur).their_instance == their_instance)
        {
            if their_instance >= tags::MIN_VALID || their_instance == tags::MASTER {
                cur
            } else if their_instance == tags::BEST {
                find_recent_secure_instance(cur)
            } else {
                find_recent_instance(cur, their_instance)
            }
        } else if add_if_missing {
            added = true;
            let new = new_context(user, account, protocol);
            (*new).next = cur;
            if !cur.is_null() {
                (*cur).tous = &raw mut (*new).next;
            }
            *curp = new;
            (*new).tous = curp;
            if let Some(callback) = add_app_data {
                callback(data, new);
            }
            if let Some(tag) = instag::find(us, account, protocol).as_ref() {
                (*new).our_instance = tag.instag;
            }
            if their_instance >= tags::MIN_VALID || their_instance == tags::MASTER {
                (*new).their_instance = their_instance;
            }
            if their_instance >= tags::MIN_VALID {
                // libotr 4.1.1 links a child to an existing master only; a
                // child made first is its own master.
                let master = find(
                    us,
                    user,
                    account,
                    protocol,
                    tags::MASTER,
                    false,
                    None,
                    None,
                    null_mut(),
                );
                if !master.is_null() {
                    (*new).m_context = master;
                }
            }
            if their_instance == tags::MASTER {
                (*new).recent_child = new;
                (*new).recent_rcvd_child = new;
                (*new).recent_sent_child = new;
            }
            new
        } else {
            null_mut()
        }
    };
    if let Some(p) = addedp {
        *p = c_int::from(added);
    }
    found
}

/// `otrl_context_find_recent_instance`.
///
/// # Safety
/// `context` is NULL or live.
pub(crate) unsafe fn find_recent_instance(
    context: *mut ConnContext,
    which: OtrlInstag,
) -> *mut ConnContext {
    if context.is_null() {
        return null_mut();
    }
    // SAFETY: context is live; its m_context is NULL or live.
    unsafe {
        let master = (*context).m_context;
        if master.is_null() {
            return null_mut();
        }
        match which {
            tags::RECENT => (*master).recent_child,
            tags::RECENT_RECEIVED => (*master).recent_rcvd_child,
            tags::RECENT_SENT => (*master).recent_sent_child,
            _ => null_mut(),
        }
    }
}

/// `otrl_context_find_recent_secure_instance` (what `OTRL_INSTAG_BEST` picks).
///
/// # Safety
/// `context` is NULL or live.
pub(crate) unsafe fn find_recent_secure_instance(context: *mut ConnContext) -> *mut ConnContext {
    if context.is_null() {
        return context;
    }
    let mut candidates = vec![context];
    let mut ranks = Vec::new();
    // SAFETY: context and the list after its master are live.
    unsafe {
        let rank = |c: *mut ConnContext| Rank {
            msgstate: (*c).msgstate,
            trusted: fingerprint_trusted((*c).active_fingerprint),
            lastrecv: priv_of(c).map_or(0, |p| p.lastrecv),
        };
        ranks.push(rank(context));
        let master = (*context).m_context;
        let mut cur = master;
        while !cur.is_null() && (*cur).m_context == master {
            candidates.push(cur);
            ranks.push(rank(cur));
            cur = (*cur).next;
        }
    }
    candidates
        .get(state::best_instance(&ranks))
        .copied()
        .unwrap_or(context)
}

/// Whether a fingerprint is trusted: it has a non-empty trust string.
///
/// # Safety
/// `f` is NULL or a live fingerprint.
pub(crate) unsafe fn fingerprint_trusted(f: *const Fingerprint) -> bool {
    // SAFETY: f is NULL or live; trust is NULL or a C string.
    unsafe {
        f.as_ref()
            .is_some_and(|f| c_bytes(f.trust).is_some_and(|t| !t.is_empty()))
    }
}

/// `otrl_context_find`.
///
/// # Safety
/// `us` is NULL or a live user state; the names are NULL or C strings;
/// `addedp` is NULL or writable; `add_app_data` is NULL or callable.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn otrl_context_find(
    us: *mut OtrlUserStateC,
    user: *const c_char,
    accountname: *const c_char,
    protocol: *const c_char,
    their_instance: OtrlInstag,
    add_if_missing: c_int,
    addedp: *mut c_int,
    add_app_data: AddAppData,
    data: *mut c_void,
) -> *mut ConnContext {
    guard(null_mut(), || {
        // SAFETY: addedp is NULL or writable (caller).
        let mut added = unsafe { addedp.as_mut() };
        if let Some(a) = added.as_deref_mut() {
            *a = 0;
        }
        // SAFETY: the names are NULL or C strings (caller).
        let (Some(user), Some(account), Some(proto)) =
            (unsafe { (c_bytes(user), c_bytes(accountname), c_bytes(protocol)) })
        else {
            return null_mut();
        };
        if us.is_null() {
            return null_mut();
        }
        // SAFETY: us is live (caller); add_app_data is callable (caller).
        unsafe {
            find(
                us,
                user,
                account,
                proto,
                their_instance,
                add_if_missing != 0,
                added,
                add_app_data,
                data,
            )
        }
    })
}

/// `otrl_context_find_recent_instance`.
///
/// # Safety
/// `context` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_context_find_recent_instance(
    context: *mut ConnContext,
    recent_instag: OtrlInstag,
) -> *mut ConnContext {
    // SAFETY: the caller's promise.
    guard(null_mut(), || unsafe {
        find_recent_instance(context, recent_instag)
    })
}

/// `otrl_context_find_recent_secure_instance`.
///
/// # Safety
/// `context` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_context_find_recent_secure_instance(
    context: *mut ConnContext,
) -> *mut ConnContext {
    // SAFETY: the caller's promise.
    guard(context, || unsafe { find_recent_secure_instance(context) })
}

/// `otrl_context_update_recent_child`: a child sent (`sent_msg` non-zero)
/// or received a message.
///
/// # Safety
/// `context` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_context_update_recent_child(
    context: *mut ConnContext,
    sent_msg: core::ffi::c_uint,
) {
    // SAFETY: context is NULL or live, and so is its master.
    unsafe {
        let Some(c) = context.as_mut() else { return };
        let Some(master) = c.m_context.as_mut() else {
            return;
        };
        if core::ptr::eq(master, context) {
            return;
        }
        if sent_msg != 0 {
            master.recent_sent_child = context;
        } else {
            master.recent_rcvd_child = context;
        }
        master.recent_child = context;
    }
}

/// Finds (and maybe adds) a fingerprint in the context's master.
///
/// # Safety
/// `context` is live.
pub(crate) unsafe fn find_fingerprint(
    context: *mut ConnContext,
    fingerprint: &[u8; 20],
    add_if_missing: bool,
) -> (*mut Fingerprint, bool) {
    // SAFETY: context and its master are live; the list holds live entries.
    unsafe {
        let master = (*context).m_context;
        if master.is_null() {
            return (null_mut(), false);
        }
        let mut f = (*master).fingerprint_root.next;
        while !f.is_null() {
            if !(*f).fingerprint.is_null()
                && core::slice::from_raw_parts((*f).fingerprint, 20) == fingerprint
            {
                return (f, false);
            }
            f = (*f).next;
        }
        if !add_if_missing {
            return (null_mut(), false);
        }
        let bytes = malloc_bytes(fingerprint);
        if bytes.is_null() {
            return (null_mut(), false);
        }
        let new = Box::into_raw(Box::new(Fingerprint {
            next: (*master).fingerprint_root.next,
            tous: &raw mut (*master).fingerprint_root.next,
            fingerprint: bytes,
            context: master,
            trust: null_mut(),
        }));
        if let Some(next) = (*new).next.as_mut() {
            next.tous = &raw mut (*new).next;
        }
        (*master).fingerprint_root.next = new;
        (new, true)
    }
}

/// `otrl_context_find_fingerprint`.
///
/// # Safety
/// `context` is NULL or live; `fingerprint` is NULL or 20 readable bytes;
/// `addedp` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_context_find_fingerprint(
    context: *mut ConnContext,
    fingerprint: *const c_uchar,
    add_if_missing: c_int,
    addedp: *mut c_int,
) -> *mut Fingerprint {
    guard(null_mut(), || {
        // SAFETY: addedp is NULL or writable (caller).
        let added = unsafe { addedp.as_mut() };
        if let Some(a) = added {
            *a = 0;
        }
        if context.is_null() || fingerprint.is_null() {
            return null_mut();
        }
        // SAFETY: 20 readable bytes (caller).
        let fp: [u8; 20] = unsafe { fingerprint.cast::<[u8; 20]>().read_unaligned() };
        // SAFETY: context is live (caller).
        let (f, was_added) = unsafe { find_fingerprint(context, &fp, add_if_missing != 0) };
        // SAFETY: addedp is NULL or writable (caller).
        if let Some(a) = unsafe { addedp.as_mut() } {
            *a = c_int::from(was_added);
        }
        f
    })
}

/// Sets a fingerprint's trust to a `malloc`ed copy of `trust` (or NULL).
///
/// # Safety
/// `f` is live; its trust is NULL or `malloc`ed.
pub(crate) unsafe fn set_trust(f: *mut Fingerprint, trust: Option<&[u8]>) {
    // SAFETY: f is live; its old trust came from malloc (ours or the client's strdup).
    unsafe {
        free((*f).trust);
        (*f).trust = trust.map_or(null_mut(), malloc_cstring);
    }
}

/// `otrl_context_set_trust`.
///
/// # Safety
/// `fprint` is NULL or live; `trust` is NULL or a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_context_set_trust(fprint: *mut Fingerprint, trust: *const c_char) {
    if fprint.is_null() {
        return;
    }
    // SAFETY: the caller's promise; the copy is made before the old one is freed.
    guard((), || unsafe {
        let copy = c_bytes(trust).map(<[u8]>::to_vec);
        set_trust(fprint, copy.as_deref());
    });
}

/// `otrl_context_is_fingerprint_trusted`: 1 when the trust is set and not "".
///
/// # Safety
/// `fprint` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_context_is_fingerprint_trusted(fprint: *mut Fingerprint) -> c_int {
    // SAFETY: the caller's promise.
    c_int::from(unsafe { fingerprint_trusted(fprint) })
}

/// Resets an SMP state (`otrl_sm_state_free`: libotr frees the numbers and
/// leaves the struct ready for a new exchange).
///
/// # Safety
/// `sm` is NULL or a live SMP state.
pub(crate) unsafe fn reset_smstate(sm: *mut OtrlSMState) {
    // SAFETY: the caller's promise.
    if let Some(sm) = unsafe { sm.as_mut() } {
        *sm = blank_smstate();
    }
}

/// `otrl_sm_state_free`.
///
/// # Safety
/// `smst` is NULL or a live SMP state.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_sm_state_free(smst: *mut OtrlSMState) {
    // SAFETY: the caller's promise.
    unsafe { reset_smstate(smst) };
}

/// `otrl_context_force_finished`: the C view of a context whose session
/// state is dropped.
///
/// # Safety
/// `context` is live.
pub(crate) unsafe fn force_finished(context: *mut ConnContext) {
    // SAFETY: context is live (caller).
    unsafe {
        let c = &mut *context;
        c.msgstate = msgstate::FINISHED;
        let ctx = c.auth.context;
        c.auth = blank_auth();
        c.auth.context = ctx;
        c.active_fingerprint = null_mut();
        c.sessionid = [0; 20];
        c.sessionid_len = 0;
        c.protocol_version = 0;
        reset_smstate(c.smstate);
    }
}

/// `otrl_context_force_finished`.
///
/// # Safety
/// `context` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_context_force_finished(context: *mut ConnContext) {
    if context.is_null() {
        return;
    }
    // SAFETY: the caller's promise.
    guard((), || unsafe {
        super::message::drop_session(context);
        force_finished(context);
    });
}

/// `otrl_context_force_plaintext`.
///
/// # Safety
/// `context` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_context_force_plaintext(context: *mut ConnContext) {
    if context.is_null() {
        return;
    }
    // SAFETY: the caller's promise.
    guard((), || unsafe {
        super::message::drop_session(context);
        force_finished(context);
        (*context).msgstate = msgstate::PLAINTEXT;
    });
}

/// Unlinks and frees one fingerprint (never a `fingerprint_root`); children
/// whose active fingerprint it was lose it.
///
/// # Safety
/// `f` is a live, linked fingerprint of a live master context.
unsafe fn drop_fingerprint(f: *mut Fingerprint) {
    // SAFETY: f is live and linked; its context is a live master whose
    // children follow it in the list.
    unsafe {
        let master = (*f).context;
        let mut c = master;
        while !c.is_null() && (*c).m_context == master {
            if (*c).active_fingerprint == f {
                (*c).active_fingerprint = null_mut();
            }
            c = (*c).next;
        }
        *(*f).tous = (*f).next;
        if let Some(next) = (*f).next.as_mut() {
            next.tous = (*f).tous;
        }
        free((*f).fingerprint);
        free((*f).trust);
        drop(Box::from_raw(f));
    }
}

/// `otrl_context_forget_fingerprint`, as libotr: the fingerprint goes unless
/// it is the active one of a context in plaintext; with `and_maybe_context`,
/// a plaintext context left without fingerprints is forgotten too.
///
/// # Safety
/// `fprint` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_context_forget_fingerprint(
    fprint: *mut Fingerprint,
    and_maybe_context: c_int,
) {
    if fprint.is_null() {
        return;
    }
    // SAFETY: fprint is live (caller), so is its context.
    guard((), || unsafe {
        let context = (*fprint).context;
        if context.is_null() {
            return;
        }
        if fprint == &raw mut (*context).fingerprint_root {
            if (*context).msgstate == msgstate::PLAINTEXT && and_maybe_context != 0 {
                forget(context);
            }
        } else if (*context).msgstate != msgstate::PLAINTEXT
            || (*context).active_fingerprint != fprint
        {
            drop_fingerprint(fprint);
            if (*context).msgstate == msgstate::PLAINTEXT
                && (*context).fingerprint_root.next.is_null()
                && and_maybe_context != 0
            {
                forget(context);
            }
        }
    });
}

/// Forgets a context (a master with its children), if all are in
/// plaintext: 0 when done, 1 when refused.
///
/// # Safety
/// `context` is live.
pub(crate) unsafe fn forget(context: *mut ConnContext) -> c_int {
    // SAFETY: context is live; its children follow it in the list.
    unsafe {
        if (*context).msgstate != msgstate::PLAINTEXT {
            return 1;
        }
        if (*context).their_instance == tags::MASTER {
            let master = (*context).m_context;
            let mut c = context;
            while !c.is_null() && (*c).m_context == master {
                if (*c).msgstate != msgstate::PLAINTEXT {
                    return 1;
                }
                c = (*c).next;
            }
            loop {
                let child = (*context).next;
                if child.is_null() || (*child).m_context != master || child == context {
                    break;
                }
                if forget(child) != 0 {
                    return 1;
                }
            }
        }
        force_finished(context);
        (*context).msgstate = msgstate::PLAINTEXT;
        while !(*context).fingerprint_root.next.is_null() {
            drop_fingerprint((*context).fingerprint_root.next);
        }
        free((*context).username);
        free((*context).accountname);
        free((*context).protocol);
        if !(*context).smstate.is_null() {
            drop(Box::from_raw((*context).smstate));
        }
        if !(*context).context_priv.is_null() {
            drop(Box::from_raw((*context).context_priv.cast::<ContextPriv>()));
        }
        if !(*context).app_data.is_null()
            && let Some(free_data) = (*context).app_data_free
        {
            free_data((*context).app_data);
        }
        *(*context).tous = (*context).next;
        if let Some(next) = (*context).next.as_mut() {
            next.tous = (*context).tous;
        }
        drop(Box::from_raw(context));
    }
    0
}

/// `otrl_context_forget`.
///
/// # Safety
/// `context` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_context_forget(context: *mut ConnContext) -> c_int {
    if context.is_null() {
        return 1;
    }
    // SAFETY: the caller's promise.
    guard(1, || unsafe { forget(context) })
}

/// Forgets every context of a user state.
///
/// # Safety
/// `us` is live.
pub(crate) unsafe fn forget_all(us: *mut OtrlUserStateC) {
    // SAFETY: us is live, its list holds live contexts.
    unsafe {
        while !(*us).context_root.is_null() {
            let first = (*us).context_root;
            // Children first, from the end of the master's run, so that every
            // forget succeeds.
            let mut last = first;
            while !(*last).next.is_null() && (*(*last).next).m_context == (*first).m_context {
                last = (*last).next;
            }
            (*last).msgstate = msgstate::PLAINTEXT;
            if forget(last) != 0 {
                break;
            }
        }
    }
}

/// `otrl_context_forget_all`.
///
/// # Safety
/// `us` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_context_forget_all(us: *mut OtrlUserStateC) {
    if us.is_null() {
        return;
    }
    // SAFETY: the caller's promise.
    guard((), || unsafe { forget_all(us) });
}
