//! `#[repr(C)]` mirrors of the libotr 4.1.1 structs that C clients see,
//! field for field in libotr's C types (x86_64 sizes and offsets are
//! checked at compile time below).

use core::ffi::{c_char, c_int, c_uchar, c_uint, c_ushort, c_void};

/// `gcry_error_t`.
pub type GcryError = c_uint;
/// `otrl_instag_t`.
pub type OtrlInstag = c_uint;
/// `OtrlPolicy`.
pub type OtrlPolicy = c_uint;
/// libgcrypt handles (`gcry_mpi_t`, `gcry_sexp_t`, …): opaque pointers to us.
pub type GcryHandle = *mut c_void;

/// `struct s_OtrlUserState`.
#[repr(C)]
pub struct OtrlUserStateC {
    /// Every context, sorted by username, account, protocol, instance.
    pub context_root: *mut ConnContext,
    /// Our private keys.
    pub privkey_root: *mut OtrlPrivKey,
    /// Our instance tags.
    pub instag_root: *mut OtrlInsTag,
    /// Keys being generated (unused here: always NULL).
    pub pending_root: *mut OtrlPendingPrivKey,
    /// Whether the client's timer runs.
    pub timer_running: c_int,
}

/// `Fingerprint`.
#[repr(C)]
pub struct Fingerprint {
    /// Next in the master context's list.
    pub next: *mut Fingerprint,
    /// The pointer that points to us.
    pub tous: *mut *mut Fingerprint,
    /// 20 `malloc`ed bytes, or NULL for a context's `fingerprint_root`.
    pub fingerprint: *mut c_uchar,
    /// The (master) context it belongs to.
    pub context: *mut ConnContext,
    /// A `malloc`ed trust string, or NULL.
    pub trust: *mut c_char,
}

/// `DH_keypair`.
#[repr(C)]
pub struct DhKeypair {
    /// `groupid`.
    pub groupid: c_uint,
    /// `priv` (a `gcry_mpi_t`).
    pub priv_: GcryHandle,
    /// `pub` (a `gcry_mpi_t`).
    pub pub_: GcryHandle,
}

/// `OtrlAuthInfo`: clients read `authstate` only.
#[repr(C)]
pub struct OtrlAuthInfo {
    /// `OtrlAuthState`.
    pub authstate: c_int,
    /// The context that holds it.
    pub context: *mut ConnContext,
    /// `our_dh`.
    pub our_dh: DhKeypair,
    /// `our_keyid`.
    pub our_keyid: c_uint,
    /// `encgx`.
    pub encgx: *mut c_uchar,
    /// `encgx_len`.
    pub encgx_len: usize,
    /// `r`.
    pub r: [c_uchar; 16],
    /// `hashgx`.
    pub hashgx: [c_uchar; 32],
    /// `their_pub` (a `gcry_sexp_t`).
    pub their_pub: GcryHandle,
    /// `their_keyid`.
    pub their_keyid: c_uint,
    /// `enc_c` (a `gcry_cipher_hd_t`).
    pub enc_c: GcryHandle,
    /// `enc_cp`.
    pub enc_cp: GcryHandle,
    /// `mac_m1` (a `gcry_md_hd_t`).
    pub mac_m1: GcryHandle,
    /// `mac_m1p`.
    pub mac_m1p: GcryHandle,
    /// `mac_m2`.
    pub mac_m2: GcryHandle,
    /// `mac_m2p`.
    pub mac_m2p: GcryHandle,
    /// `their_fingerprint`.
    pub their_fingerprint: [c_uchar; 20],
    /// `initiated`.
    pub initiated: c_int,
    /// `protocol_version`.
    pub protocol_version: c_uint,
    /// `secure_session_id`.
    pub secure_session_id: [c_uchar; 20],
    /// `secure_session_id_len`.
    pub secure_session_id_len: usize,
    /// `OtrlSessionIdHalf`.
    pub session_id_half: c_int,
    /// `lastauthmsg`.
    pub lastauthmsg: *mut c_char,
    /// `commit_sent_time`.
    pub commit_sent_time: libc::time_t,
}

/// `OtrlSMState`: clients read `secret` (for NULL), `nextExpected`,
/// `received_question` and `sm_prog_state`.
#[repr(C)]
pub struct OtrlSMState {
    /// `secret`: non-NULL from an SMP1's arrival until the state is reset.
    pub secret: GcryHandle,
    /// `x2`.
    pub x2: GcryHandle,
    /// `x3`.
    pub x3: GcryHandle,
    /// `g1`.
    pub g1: GcryHandle,
    /// `g2`.
    pub g2: GcryHandle,
    /// `g3`.
    pub g3: GcryHandle,
    /// `g3o`.
    pub g3o: GcryHandle,
    /// `p`.
    pub p: GcryHandle,
    /// `q`.
    pub q: GcryHandle,
    /// `pab`.
    pub pab: GcryHandle,
    /// `qab`.
    pub qab: GcryHandle,
    /// `NextExpectedSMP`.
    pub next_expected: c_int,
    /// 1 after an SMP1Q.
    pub received_question: c_int,
    /// `OtrlSMProgState`.
    pub sm_prog_state: c_int,
}

/// `app_data_free`.
pub type AppDataFree = Option<unsafe extern "C" fn(*mut c_void)>;
/// `add_app_data`.
pub type AddAppData = Option<unsafe extern "C" fn(*mut c_void, *mut ConnContext)>;

/// `ConnContext` (`struct context`).
#[repr(C)]
pub struct ConnContext {
    /// Next in the user state's sorted list.
    pub next: *mut ConnContext,
    /// The pointer that points to us.
    pub tous: *mut *mut ConnContext,
    /// libotr's private part; ours (see `ffi::state`).
    pub context_priv: *mut c_void,
    /// The buddy.
    pub username: *mut c_char,
    /// Our account.
    pub accountname: *mut c_char,
    /// The protocol.
    pub protocol: *mut c_char,
    /// The master context (a master points to itself).
    pub m_context: *mut ConnContext,
    /// Master only: the child that received most recently.
    pub recent_rcvd_child: *mut ConnContext,
    /// Master only: the child that sent most recently.
    pub recent_sent_child: *mut ConnContext,
    /// Master only: the more recent of the two.
    pub recent_child: *mut ConnContext,
    /// Our instance tag.
    pub our_instance: OtrlInstag,
    /// The buddy's instance tag (0 in a master).
    pub their_instance: OtrlInstag,
    /// `OtrlMessageState`.
    pub msgstate: c_int,
    /// The AKE state.
    pub auth: OtrlAuthInfo,
    /// The head of the fingerprint list (its own `fingerprint` is NULL).
    pub fingerprint_root: Fingerprint,
    /// The fingerprint in use, or NULL.
    pub active_fingerprint: *mut Fingerprint,
    /// The secure session id.
    pub sessionid: [c_uchar; 20],
    /// Its length (8 in v2/v3).
    pub sessionid_len: usize,
    /// `OtrlSessionIdHalf`.
    pub sessionid_half: c_int,
    /// The OTR version in use (0 when none).
    pub protocol_version: c_uint,
    /// `OFFER_NOT` … `OFFER_ACCEPTED`.
    pub otr_offer: c_int,
    /// The client's data.
    pub app_data: *mut c_void,
    /// Frees `app_data` when the context is forgotten.
    pub app_data_free: AppDataFree,
    /// The SMP state.
    pub smstate: *mut OtrlSMState,
}

/// `OtrlPrivKey`.
#[repr(C)]
pub struct OtrlPrivKey {
    /// Next key.
    pub next: *mut OtrlPrivKey,
    /// The pointer that points to us.
    pub tous: *mut *mut OtrlPrivKey,
    /// The account.
    pub accountname: *mut c_char,
    /// The protocol.
    pub protocol: *mut c_char,
    /// `OTRL_PUBKEY_TYPE_DSA` (0).
    pub pubkey_type: c_ushort,
    /// libotr's `gcry_sexp_t`; ours points to a boxed `Arc<DsaSigningKey>`.
    pub privkey: GcryHandle,
    /// The public key's `p`, `q`, `g`, `y` MPIs (`malloc`ed).
    pub pubkey_data: *mut c_uchar,
    /// Its length.
    pub pubkey_datalen: usize,
}

/// `OtrlPendingPrivKey`.
#[repr(C)]
pub struct OtrlPendingPrivKey {
    /// Next.
    pub next: *mut OtrlPendingPrivKey,
    /// The pointer that points to us.
    pub tous: *mut *mut OtrlPendingPrivKey,
    /// The account.
    pub accountname: *mut c_char,
    /// The protocol.
    pub protocol: *mut c_char,
}

/// `OtrlInsTag`.
#[repr(C)]
pub struct OtrlInsTag {
    /// Next.
    pub next: *mut OtrlInsTag,
    /// The pointer that points to us.
    pub tous: *mut *mut OtrlInsTag,
    /// The account.
    pub accountname: *mut c_char,
    /// The protocol.
    pub protocol: *mut c_char,
    /// The tag.
    pub instag: OtrlInstag,
}

/// `OtrlTLV`.
#[repr(C)]
pub struct OtrlTLV {
    /// The type.
    pub type_: c_ushort,
    /// The length of `data`.
    pub len: c_ushort,
    /// `malloc`ed value bytes (NULL when empty).
    pub data: *mut c_uchar,
    /// Next TLV.
    pub next: *mut OtrlTLV,
}

/// `OtrlMessageAppOps`: the client's 24 callbacks, any of them NULL.
#[repr(C)]
#[allow(missing_docs)]
pub struct OtrlMessageAppOps {
    pub policy: Option<unsafe extern "C" fn(*mut c_void, *mut ConnContext) -> OtrlPolicy>,
    pub create_privkey: Option<unsafe extern "C" fn(*mut c_void, *const c_char, *const c_char)>,
    pub is_logged_in: Option<
        unsafe extern "C" fn(*mut c_void, *const c_char, *const c_char, *const c_char) -> c_int,
    >,
    pub inject_message: Option<
        unsafe extern "C" fn(
            *mut c_void,
            *const c_char,
            *const c_char,
            *const c_char,
            *const c_char,
        ),
    >,
    pub update_context_list: Option<unsafe extern "C" fn(*mut c_void)>,
    pub new_fingerprint: Option<
        unsafe extern "C" fn(
            *mut c_void,
            *mut OtrlUserStateC,
            *const c_char,
            *const c_char,
            *const c_char,
            *mut c_uchar,
        ),
    >,
    pub write_fingerprints: Option<unsafe extern "C" fn(*mut c_void)>,
    pub gone_secure: Option<unsafe extern "C" fn(*mut c_void, *mut ConnContext)>,
    pub gone_insecure: Option<unsafe extern "C" fn(*mut c_void, *mut ConnContext)>,
    pub still_secure: Option<unsafe extern "C" fn(*mut c_void, *mut ConnContext, c_int)>,
    pub max_message_size: Option<unsafe extern "C" fn(*mut c_void, *mut ConnContext) -> c_int>,
    pub account_name:
        Option<unsafe extern "C" fn(*mut c_void, *const c_char, *const c_char) -> *const c_char>,
    pub account_name_free: Option<unsafe extern "C" fn(*mut c_void, *const c_char)>,
    pub received_symkey: Option<
        unsafe extern "C" fn(
            *mut c_void,
            *mut ConnContext,
            c_uint,
            *const c_uchar,
            usize,
            *const c_uchar,
        ),
    >,
    pub otr_error_message:
        Option<unsafe extern "C" fn(*mut c_void, *mut ConnContext, c_int) -> *const c_char>,
    pub otr_error_message_free: Option<unsafe extern "C" fn(*mut c_void, *const c_char)>,
    pub resent_msg_prefix:
        Option<unsafe extern "C" fn(*mut c_void, *mut ConnContext) -> *const c_char>,
    pub resent_msg_prefix_free: Option<unsafe extern "C" fn(*mut c_void, *const c_char)>,
    pub handle_smp_event:
        Option<unsafe extern "C" fn(*mut c_void, c_int, *mut ConnContext, c_ushort, *mut c_char)>,
    pub handle_msg_event: Option<
        unsafe extern "C" fn(*mut c_void, c_int, *mut ConnContext, *const c_char, GcryError),
    >,
    pub create_instag: Option<unsafe extern "C" fn(*mut c_void, *const c_char, *const c_char)>,
    pub convert_msg: Option<
        unsafe extern "C" fn(*mut c_void, *mut ConnContext, c_int, *mut *mut c_char, *const c_char),
    >,
    pub convert_free: Option<unsafe extern "C" fn(*mut c_void, *mut ConnContext, *mut c_char)>,
    pub timer_control: Option<unsafe extern "C" fn(*mut c_void, c_uint)>,
}

#[cfg(target_arch = "x86_64")]
mod layout {
    use super::*;
    use core::mem::{offset_of, size_of};

    const _: () = assert!(size_of::<OtrlUserStateC>() == 40);
    const _: () = assert!(offset_of!(OtrlUserStateC, context_root) == 0);
    const _: () = assert!(offset_of!(OtrlUserStateC, privkey_root) == 8);
    const _: () = assert!(offset_of!(OtrlUserStateC, instag_root) == 16);
    const _: () = assert!(offset_of!(OtrlUserStateC, pending_root) == 24);
    const _: () = assert!(offset_of!(OtrlUserStateC, timer_running) == 32);

    const _: () = assert!(size_of::<Fingerprint>() == 40);
    const _: () = assert!(offset_of!(Fingerprint, next) == 0);
    const _: () = assert!(offset_of!(Fingerprint, tous) == 8);
    const _: () = assert!(offset_of!(Fingerprint, fingerprint) == 16);
    const _: () = assert!(offset_of!(Fingerprint, context) == 24);
    const _: () = assert!(offset_of!(Fingerprint, trust) == 32);

    const _: () = assert!(size_of::<DhKeypair>() == 24);
    const _: () = assert!(offset_of!(DhKeypair, priv_) == 8);
    const _: () = assert!(offset_of!(DhKeypair, pub_) == 16);

    const _: () = assert!(size_of::<OtrlAuthInfo>() == 256);
    const _: () = assert!(offset_of!(OtrlAuthInfo, authstate) == 0);
    const _: () = assert!(offset_of!(OtrlAuthInfo, context) == 8);
    const _: () = assert!(offset_of!(OtrlAuthInfo, our_dh) == 16);
    const _: () = assert!(offset_of!(OtrlAuthInfo, our_keyid) == 40);
    const _: () = assert!(offset_of!(OtrlAuthInfo, encgx) == 48);
    const _: () = assert!(offset_of!(OtrlAuthInfo, encgx_len) == 56);
    const _: () = assert!(offset_of!(OtrlAuthInfo, r) == 64);
    const _: () = assert!(offset_of!(OtrlAuthInfo, hashgx) == 80);
    const _: () = assert!(offset_of!(OtrlAuthInfo, their_pub) == 112);
    const _: () = assert!(offset_of!(OtrlAuthInfo, their_keyid) == 120);
    const _: () = assert!(offset_of!(OtrlAuthInfo, enc_c) == 128);
    const _: () = assert!(offset_of!(OtrlAuthInfo, enc_cp) == 136);
    const _: () = assert!(offset_of!(OtrlAuthInfo, mac_m1) == 144);
    const _: () = assert!(offset_of!(OtrlAuthInfo, mac_m1p) == 152);
    const _: () = assert!(offset_of!(OtrlAuthInfo, mac_m2) == 160);
    const _: () = assert!(offset_of!(OtrlAuthInfo, mac_m2p) == 168);
    const _: () = assert!(offset_of!(OtrlAuthInfo, their_fingerprint) == 176);
    const _: () = assert!(offset_of!(OtrlAuthInfo, initiated) == 196);
    const _: () = assert!(offset_of!(OtrlAuthInfo, protocol_version) == 200);
    const _: () = assert!(offset_of!(OtrlAuthInfo, secure_session_id) == 204);
    const _: () = assert!(offset_of!(OtrlAuthInfo, secure_session_id_len) == 224);
    const _: () = assert!(offset_of!(OtrlAuthInfo, session_id_half) == 232);
    const _: () = assert!(offset_of!(OtrlAuthInfo, lastauthmsg) == 240);
    const _: () = assert!(offset_of!(OtrlAuthInfo, commit_sent_time) == 248);

    const _: () = assert!(size_of::<OtrlSMState>() == 104);
    const _: () = assert!(offset_of!(OtrlSMState, secret) == 0);
    const _: () = assert!(offset_of!(OtrlSMState, qab) == 80);
    const _: () = assert!(offset_of!(OtrlSMState, next_expected) == 88);
    const _: () = assert!(offset_of!(OtrlSMState, received_question) == 92);
    const _: () = assert!(offset_of!(OtrlSMState, sm_prog_state) == 96);

    const _: () = assert!(size_of::<ConnContext>() == 472);
    const _: () = assert!(offset_of!(ConnContext, next) == 0);
    const _: () = assert!(offset_of!(ConnContext, tous) == 8);
    const _: () = assert!(offset_of!(ConnContext, context_priv) == 16);
    const _: () = assert!(offset_of!(ConnContext, username) == 24);
    const _: () = assert!(offset_of!(ConnContext, accountname) == 32);
    const _: () = assert!(offset_of!(ConnContext, protocol) == 40);
    const _: () = assert!(offset_of!(ConnContext, m_context) == 48);
    const _: () = assert!(offset_of!(ConnContext, recent_rcvd_child) == 56);
    const _: () = assert!(offset_of!(ConnContext, recent_sent_child) == 64);
    const _: () = assert!(offset_of!(ConnContext, recent_child) == 72);
    const _: () = assert!(offset_of!(ConnContext, our_instance) == 80);
    const _: () = assert!(offset_of!(ConnContext, their_instance) == 84);
    const _: () = assert!(offset_of!(ConnContext, msgstate) == 88);
    const _: () = assert!(offset_of!(ConnContext, auth) == 96);
    const _: () = assert!(offset_of!(ConnContext, fingerprint_root) == 352);
    const _: () = assert!(offset_of!(ConnContext, active_fingerprint) == 392);
    const _: () = assert!(offset_of!(ConnContext, sessionid) == 400);
    const _: () = assert!(offset_of!(ConnContext, sessionid_len) == 424);
    const _: () = assert!(offset_of!(ConnContext, sessionid_half) == 432);
    const _: () = assert!(offset_of!(ConnContext, protocol_version) == 436);
    const _: () = assert!(offset_of!(ConnContext, otr_offer) == 440);
    const _: () = assert!(offset_of!(ConnContext, app_data) == 448);
    const _: () = assert!(offset_of!(ConnContext, app_data_free) == 456);
    const _: () = assert!(offset_of!(ConnContext, smstate) == 464);

    const _: () = assert!(size_of::<OtrlPrivKey>() == 64);
    const _: () = assert!(offset_of!(OtrlPrivKey, accountname) == 16);
    const _: () = assert!(offset_of!(OtrlPrivKey, protocol) == 24);
    const _: () = assert!(offset_of!(OtrlPrivKey, pubkey_type) == 32);
    const _: () = assert!(offset_of!(OtrlPrivKey, privkey) == 40);
    const _: () = assert!(offset_of!(OtrlPrivKey, pubkey_data) == 48);
    const _: () = assert!(offset_of!(OtrlPrivKey, pubkey_datalen) == 56);

    const _: () = assert!(size_of::<OtrlPendingPrivKey>() == 32);
    const _: () = assert!(size_of::<OtrlInsTag>() == 40);
    const _: () = assert!(offset_of!(OtrlInsTag, instag) == 32);

    const _: () = assert!(size_of::<OtrlTLV>() == 24);
    const _: () = assert!(offset_of!(OtrlTLV, len) == 2);
    const _: () = assert!(offset_of!(OtrlTLV, data) == 8);
    const _: () = assert!(offset_of!(OtrlTLV, next) == 16);

    const _: () = assert!(size_of::<OtrlMessageAppOps>() == 192);
    const _: () = assert!(offset_of!(OtrlMessageAppOps, inject_message) == 24);
    const _: () = assert!(offset_of!(OtrlMessageAppOps, max_message_size) == 80);
    const _: () = assert!(offset_of!(OtrlMessageAppOps, received_symkey) == 104);
    const _: () = assert!(offset_of!(OtrlMessageAppOps, handle_smp_event) == 144);
    const _: () = assert!(offset_of!(OtrlMessageAppOps, handle_msg_event) == 152);
    const _: () = assert!(offset_of!(OtrlMessageAppOps, timer_control) == 184);
}
