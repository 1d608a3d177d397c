//! Messaging: `otrl_message_*` and `otrl_proto_default_query_msg`, over one
//! otr-core [`Session`] per buddy (kept in the master context's private
//! part; every instance of the buddy is an instance of that session).
//!
//! Each call pushes the C side's trust strings into the session, runs one
//! session method, then carries out its actions in order: the C contexts
//! are brought up to date from the session before every callback, and no
//! borrow of the session is held while a callback runs (clients call back
//! into the library from callbacks).

use core::ffi::{c_char, c_int, c_uchar, c_uint, c_ushort, c_void};
use core::ptr::null_mut;
use std::sync::OnceLock;

use otr_core::otr_wire::{InstanceTag, ProtocolVersion};
use otr_core::{
    Action, AuthState, Clock, Event, InstanceState, MessageState, Policy, ReceivedMessage,
    SendOptions, Session, SessionConfig, SmpProgress, StdClock, Trust,
};
use rand_core::UnwrapErr;

use super::context::{self, find, find_fingerprint, names, priv_of, set_trust};
use super::types::{
    AddAppData, ConnContext, GcryError, OtrlInstag, OtrlMessageAppOps, OtrlPolicy, OtrlTLV,
    OtrlUserStateC,
};
use super::{c_bytes, free, guard, instag, malloc_cstring, privkey, tlv};
use crate::errors::{self, gcry_error};
use crate::state::{instag as tags, msgstate};

/// `OTRL_POLICY_DEFAULT` (opportunistic).
const POLICY_DEFAULT: OtrlPolicy = 0x02 | 0x04 | 0x10 | 0x20 | 0x40;
/// libotr's `OTR_ERROR_PREFIX`.
const ERROR_PREFIX: &[u8] = b"?OTR Error: ";
/// `OTRL_TLV_DISCONNECTED`.
const TLV_DISCONNECTED: u16 = 1;
/// The poll interval libotr asks for (`OTRL_MESSAGE_POLL_DEFAULT_INTERVAL`).
const POLL_INTERVAL: c_uint = 60;

/// Where `OtrlSMState.secret` points while a secret is in play: clients
/// only test it for NULL.
static SMP_SECRET_MARK: u8 = 1;

/// `OtrlFragmentPolicy`.
mod frag {
    pub const SEND_SKIP: i32 = 0;
    pub const SEND_ALL: i32 = 1;
    pub const SEND_ALL_BUT_FIRST: i32 = 2;
}

/// One clock for every session, so that `otrl_message_poll` can tell the
/// time they see.
fn clock() -> StdClock {
    static CLOCK: OnceLock<StdClock> = OnceLock::new();
    *CLOCK.get_or_init(StdClock::new)
}

/// The client's callbacks.
struct Ops {
    ops: *const OtrlMessageAppOps,
    opdata: *mut c_void,
}

impl Ops {
    fn table(&self) -> Option<&OtrlMessageAppOps> {
        // SAFETY: ops is NULL or the client's table, alive for the call.
        unsafe { self.ops.as_ref() }
    }

    /// The policy for a context (libotr's default without a callback).
    ///
    /// # Safety
    /// `context` is live.
    unsafe fn policy(&self, context: *mut ConnContext) -> OtrlPolicy {
        match self.table().and_then(|t| t.policy) {
            // SAFETY: the client's callback with its data and a live context.
            Some(f) => unsafe { f(self.opdata, context) },
            None => POLICY_DEFAULT,
        }
    }

    /// # Safety
    /// `context` is live.
    unsafe fn max_message_size(&self, context: *mut ConnContext) -> usize {
        match self.table().and_then(|t| t.max_message_size) {
            // SAFETY: as above.
            Some(f) => usize::try_from(unsafe { f(self.opdata, context) }).unwrap_or(0),
            None => 0,
        }
    }

    /// # Safety
    /// The strings are C strings.
    unsafe fn inject(
        &self,
        account: *const c_char,
        protocol: *const c_char,
        recipient: *const c_char,
        message: &[u8],
    ) {
        let Some(f) = self.table().and_then(|t| t.inject_message) else {
            return;
        };
        let text = malloc_cstring(message);
        if text.is_null() {
            return;
        }
        // SAFETY: the client's callback with C strings; text is ours, freed after.
        unsafe {
            f(self.opdata, account, protocol, recipient, text);
            free(text);
        }
    }

    /// # Safety
    /// `context` is live.
    unsafe fn context_callback(
        &self,
        which: fn(
            &OtrlMessageAppOps,
        ) -> Option<unsafe extern "C" fn(*mut c_void, *mut ConnContext)>,
        context: *mut ConnContext,
    ) {
        if let Some(f) = self.table().and_then(which) {
            // SAFETY: the client's callback with a live context.
            unsafe { f(self.opdata, context) };
        }
    }

    fn update_context_list(&self) {
        if let Some(f) = self.table().and_then(|t| t.update_context_list) {
            // SAFETY: the client's callback with its data.
            unsafe { f(self.opdata) };
        }
    }

    fn write_fingerprints(&self) {
        if let Some(f) = self.table().and_then(|t| t.write_fingerprints) {
            // SAFETY: the client's callback with its data.
            unsafe { f(self.opdata) };
        }
    }

    /// # Safety
    /// `context` is live.
    unsafe fn msg_event(
        &self,
        event: c_int,
        context: *mut ConnContext,
        message: Option<&[u8]>,
        err: GcryError,
    ) {
        let Some(f) = self.table().and_then(|t| t.handle_msg_event) else {
            return;
        };
        let text = message.map_or(null_mut(), malloc_cstring);
        // SAFETY: the client's callback; text is NULL or ours, freed after.
        unsafe {
            f(self.opdata, event, context, text, err);
            free(text);
        }
    }

    /// # Safety
    /// `context` is live.
    unsafe fn smp_event(
        &self,
        event: c_int,
        context: *mut ConnContext,
        percent: c_ushort,
        question: Option<&[u8]>,
    ) {
        let Some(f) = self.table().and_then(|t| t.handle_smp_event) else {
            return;
        };
        let text = question.map_or(null_mut(), malloc_cstring);
        // SAFETY: the client's callback; text is NULL or ours, freed after.
        unsafe {
            f(self.opdata, event, context, percent, text);
            free(text);
        }
    }

    /// The client's text for an error sent to the buddy
    /// (`otr_error_message`, freed with `otr_error_message_free`); `None`
    /// without the callback.
    ///
    /// # Safety
    /// `context` is live.
    unsafe fn error_text(&self, context: *mut ConnContext, code: c_int) -> Option<Vec<u8>> {
        let f = self.table()?.otr_error_message?;
        // SAFETY: the client's callback; it returns NULL or a C string,
        // released with otr_error_message_free.
        unsafe {
            let text = f(self.opdata, context, code);
            let out = c_bytes(text).map(<[u8]>::to_vec).unwrap_or_default();
            if !text.is_null()
                && let Some(release) = self.table().and_then(|t| t.otr_error_message_free)
            {
                release(self.opdata, text);
            }
            Some(out)
        }
    }

    /// The client's conversion of a message (`convert_msg`, then
    /// `convert_free`): `kind` 0 before encrypting, 1 after decrypting.
    ///
    /// # Safety
    /// `context` is live.
    unsafe fn convert(
        &self,
        context: *mut ConnContext,
        kind: c_int,
        text: &[u8],
    ) -> Option<Vec<u8>> {
        let f = self.table()?.convert_msg?;
        let src = malloc_cstring(text);
        if src.is_null() {
            return None;
        }
        let mut dest: *mut c_char = null_mut();
        // SAFETY: the client's callback; src is ours (freed after), dest is
        // NULL or the client's string, released with convert_free.
        unsafe {
            f(self.opdata, context, kind, &raw mut dest, src);
            let out = c_bytes(dest).map(<[u8]>::to_vec);
            if !dest.is_null()
                && let Some(release) = self.table().and_then(|t| t.convert_free)
            {
                release(self.opdata, context, dest);
            }
            free(src);
            out
        }
    }

    fn timer_control(&self, interval: c_uint) {
        if let Some(f) = self.table().and_then(|t| t.timer_control) {
            // SAFETY: the client's callback with its data.
            unsafe { f(self.opdata, interval) };
        }
    }
}

/// The session of a master context.
///
/// # Safety
/// `master` is live. The reference must not be held across a callback.
unsafe fn session_of<'a>(master: *mut ConnContext) -> Option<&'a mut Session> {
    // SAFETY: the caller's promise.
    unsafe { priv_of(master).and_then(|p| p.session.as_deref_mut()) }
}

/// Copies of a context's names (C strings stay valid; these survive list changes).
///
/// # Safety
/// `c` is live.
unsafe fn owned_names(c: *mut ConnContext) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    // SAFETY: the caller's promise.
    let (u, a, p) = unsafe { names(c) };
    (u.to_vec(), a.to_vec(), p.to_vec())
}

/// Makes the buddy's session if there is none: it needs the policy to allow
/// OTR, our instance tag (asked of `create_instag`, else made in memory) and
/// our key (asked of `create_privkey` only when `create_key`).
///
/// # Safety
/// `us` and `master` are live.
unsafe fn ensure_session(
    us: *mut OtrlUserStateC,
    ops: &Ops,
    master: *mut ConnContext,
    create_key: bool,
) -> bool {
    // SAFETY: master is live.
    if let Some(session) = unsafe { session_of(master) } {
        // A key made since (the user made a new one): libotr uses it from
        // the next AKE on. The session is made again once no instance is
        // private any more.
        // SAFETY: master is live; the key list is live.
        let current = unsafe {
            let (_, account, protocol) = owned_names(master);
            privkey::key_of(privkey::find(us, &account, &protocol)).map(|k| k.fingerprint())
        };
        let idle = session
            .instances()
            .iter()
            .all(|s| s.message_state == MessageState::Plaintext);
        if current.is_none_or(|fp| fp == session.our_fingerprint()) || !idle {
            return true;
        }
        // SAFETY: master is live.
        if let Some(p) = unsafe { priv_of(master) } {
            p.session = None;
        }
    }
    // SAFETY: master is live.
    let policy = unsafe { ops.policy(master) };
    if policy & 0x06 == 0 {
        return false;
    }
    // SAFETY: master is live; the callbacks get C strings from the context.
    unsafe {
        let (_, account, protocol) = owned_names(master);
        let (acct_c, proto_c) = ((*master).accountname, (*master).protocol);
        if instag::find(us, &account, &protocol).is_null() {
            if let Some(f) = ops.table().and_then(|t| t.create_instag) {
                f(ops.opdata, acct_c, proto_c);
            }
            if instag::find(us, &account, &protocol).is_null() {
                let _ = instag::otrl_instag_generate_FILEp(us, null_mut(), acct_c, proto_c);
            }
        }
        let Some(tag) = instag::find(us, &account, &protocol)
            .as_ref()
            .and_then(|t| InstanceTag::new(t.instag))
        else {
            return false;
        };
        if privkey::find(us, &account, &protocol).is_null() {
            if !create_key {
                return false;
            }
            if let Some(f) = ops.table().and_then(|t| t.create_privkey) {
                f(ops.opdata, acct_c, proto_c);
            }
        }
        // The key as read or made (validated then), shared with the entry.
        let Some(key) = privkey::shared_key_of(privkey::find(us, &account, &protocol)) else {
            return false;
        };
        let mut config = SessionConfig::default();
        config.policy = Policy::from_bits(policy);
        config.account_name = String::from_utf8_lossy(&account).into_owned();
        // libotr hands the client the TLVs of every data message, SMP and
        // disconnects included, and calls each one without text a heartbeat.
        config.report_protocol_tlvs = true;
        let session = Session::new(
            config,
            key,
            tag,
            Box::new(UnwrapErr(getrandom::SysRng)),
            Box::new(clock()),
        );
        let Some(p) = priv_of(master) else {
            return false;
        };
        p.session = Some(Box::new(session));
        (*master).our_instance = tag.get();
    }
    true
}

/// Brings the session's policy and message size up to date and gives it
/// the trust the C side holds (clients edit trust strings themselves).
///
/// # Safety
/// `master` is live and has a session.
unsafe fn refresh(ops: &Ops, master: *mut ConnContext, fragment: bool) {
    // SAFETY: master is live; the callbacks run before the session is borrowed.
    unsafe {
        let policy = ops.policy(master);
        let size = if fragment {
            ops.max_message_size(master)
        } else {
            0
        };
        let mut trust = Vec::new();
        let mut f = (*master).fingerprint_root.next;
        while !f.is_null() {
            if !(*f).fingerprint.is_null() {
                let bytes = (*f).fingerprint.cast::<[u8; 20]>().read_unaligned();
                trust.push((bytes, c_bytes((*f).trust).unwrap_or_default().to_vec()));
            }
            f = (*f).next;
        }
        let Some(session) = session_of(master) else {
            return;
        };
        session.set_policy(Policy::from_bits(policy));
        if session.set_max_message_size(size).is_err() {
            let _ = session.set_max_message_size(0);
        }
        for (bytes, t) in trust {
            session.set_trust(
                otr_core::otr_wire::Fingerprint::from_bytes(bytes),
                Trust::from_libotr(&t),
            );
        }
    }
}

/// The C context of an instance of the master's buddy (made, with
/// `add_app_data`, when new).
///
/// # Safety
/// `us` and `master` are live.
unsafe fn context_for(
    us: *mut OtrlUserStateC,
    master: *mut ConnContext,
    instance: Option<InstanceTag>,
    add: AddAppData,
    data: *mut c_void,
) -> *mut ConnContext {
    let Some(tag) = instance else { return master };
    // SAFETY: the caller's promise.
    unsafe {
        let (user, account, protocol) = owned_names(master);
        let child = find(
            us,
            &user,
            &account,
            &protocol,
            tag.get(),
            true,
            None,
            add,
            data,
        );
        if child.is_null() { master } else { child }
    }
}

fn msgstate_of(state: MessageState) -> c_int {
    match state {
        MessageState::Encrypted => msgstate::ENCRYPTED,
        MessageState::Finished => msgstate::FINISHED,
        _ => msgstate::PLAINTEXT,
    }
}

fn authstate_of(state: AuthState) -> c_int {
    match state {
        AuthState::AwaitingDhKey => 1,
        AuthState::AwaitingRevealSig => 2,
        AuthState::AwaitingSig => 3,
        _ => 0,
    }
}

fn smp_expected(name: &str) -> c_int {
    match name {
        "EXPECT2" => 1,
        "EXPECT3" => 2,
        "EXPECT4" => 3,
        _ => 0,
    }
}

/// Writes one instance's state into its C context. Returns whether the
/// message state changed.
///
/// # Safety
/// `master` and `c` are live; `c` is the master or one of its children.
unsafe fn write_state(master: *mut ConnContext, c: *mut ConnContext, st: &InstanceState) -> bool {
    // SAFETY: the caller's promise.
    unsafe {
        let ctx = &mut *c;
        let new_state = msgstate_of(st.message_state);
        let changed = ctx.msgstate != new_state;
        if changed && ctx.msgstate == msgstate::ENCRYPTED {
            context::reset_smstate(ctx.smstate);
        }
        ctx.msgstate = new_state;
        ctx.our_instance = st.our_instance.get();
        ctx.protocol_version = match st.version {
            Some(ProtocolVersion::V2) => 2,
            Some(ProtocolVersion::V3) => 3,
            _ => 0,
        };
        match st.ssid {
            Some(ssid) => {
                ctx.sessionid = [0; 20];
                if let Some(head) = ctx.sessionid.get_mut(..8) {
                    head.copy_from_slice(&ssid.0);
                }
                ctx.sessionid_len = 8;
            }
            None => {
                ctx.sessionid = [0; 20];
                ctx.sessionid_len = 0;
            }
        }
        ctx.sessionid_half = c_int::from(st.first_half_bold == Some(false));
        ctx.auth.authstate = authstate_of(st.auth_state);
        ctx.active_fingerprint = match st.fingerprint {
            Some(fp) if new_state == msgstate::ENCRYPTED => {
                find_fingerprint(master, fp.as_bytes(), true).0
            }
            _ => null_mut(),
        };
        if let Some(p) = priv_of(c) {
            p.their_keyid = u32::from(new_state == msgstate::ENCRYPTED);
        }
        if let (Some(sm), Some(name)) = (ctx.smstate.as_mut(), st.smp_state) {
            sm.next_expected = smp_expected(name);
            if st.smp_awaiting_answer {
                sm.secret = (&raw const SMP_SECRET_MARK).cast_mut().cast();
            }
        }
        changed
    }
}

/// Brings every C context of the buddy up to date. Returns whether a
/// message state changed.
///
/// # Safety
/// `us` and `master` are live.
unsafe fn sync(
    us: *mut OtrlUserStateC,
    master: *mut ConnContext,
    add: AddAppData,
    data: *mut c_void,
) -> bool {
    // SAFETY: master is live; the session is borrowed only to copy states.
    let states = match unsafe { session_of(master) } {
        Some(s) => s.instances(),
        None => return false,
    };
    let mut changed = false;
    for st in &states {
        // SAFETY: the caller's promise; add_app_data may run here (no borrow held).
        unsafe {
            let c = context_for(us, master, st.instance, add, data);
            changed |= write_state(master, c, st);
        }
    }
    changed
}

/// Whether the user's message was handed to the network by the engine as
/// `Send` actions (sending), or everything is injected (everything else).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Sending,
    Other,
}

/// What a batch of actions left for the caller.
#[derive(Default)]
struct Outcome {
    /// The user message's wire forms (sending only), in order.
    sends: Vec<Vec<u8>>,
    /// Messages for the user, with the instance they came from.
    delivered: Vec<(Option<InstanceTag>, ReceivedMessage)>,
    /// The TLVs of the last data message without anything for the user
    /// (SMP, heartbeats, disconnects, extra-key notices).
    protocol_tlvs: Option<Vec<(u16, Vec<u8>)>>,
    /// The buddy ended the conversation.
    peer_ended: bool,
    /// The instance the last event or delivery was about.
    last_instance: Option<Option<InstanceTag>>,
    /// A message state changed.
    changed: bool,
    /// Each context's `nextExpected` before the batch.
    prior_next: Vec<(*mut ConnContext, c_int)>,
}

/// The context for callbacks about `instance`, the C side brought up to date.
///
/// # Safety
/// As [`sync`].
unsafe fn ready(
    us: *mut OtrlUserStateC,
    master: *mut ConnContext,
    instance: Option<InstanceTag>,
    add: AddAppData,
    data: *mut c_void,
    out: &mut Outcome,
) -> *mut ConnContext {
    // SAFETY: the caller's promise.
    unsafe {
        out.changed |= sync(us, master, add, data);
        context_for(us, master, instance, add, data)
    }
}

/// Carries out the session's actions in order.
///
/// # Safety
/// `us` and `master` are live; the names are the master's C strings.
#[allow(clippy::too_many_lines)]
unsafe fn process(
    us: *mut OtrlUserStateC,
    ops: &Ops,
    master: *mut ConnContext,
    actions: Vec<Action>,
    mode: Mode,
    add: AddAppData,
    data: *mut c_void,
) -> Outcome {
    let mut out = Outcome::default();
    // SAFETY: master and the contexts after it are live.
    unsafe {
        let mut c = master;
        while !c.is_null() && core::ptr::eq((*c).m_context, master) {
            if let Some(sm) = (*c).smstate.as_ref() {
                out.prior_next.push((c, sm.next_expected));
            }
            c = (*c).next;
        }
    }
    // Trust set by the engine (SMP success) is in the C structs before any
    // callback of the batch runs, as libotr sets it before it reports the
    // SMP result (clients write the fingerprint file from that callback).
    // libotr writes the file right after (its `set_smp_trust`).
    let mut trust_changed = false;
    for action in &actions {
        if let Action::Event {
            event: Event::TrustChanged { fingerprint, trust },
            ..
        } = action
        {
            // SAFETY: master is live.
            unsafe { apply_trust(master, fingerprint, trust) };
            trust_changed = true;
        }
    }
    // A failed SMP clears the trust of the fingerprint in use, as libotr
    // does (its set_smp_trust with "").
    for action in &actions {
        if let Action::Event {
            instance,
            event: Event::Smp(SmpProgress::Failed),
        } = action
        {
            // SAFETY: master is live; the context's active fingerprint is
            // NULL or in the master's list.
            unsafe {
                let c = context_for(us, master, *instance, add, data);
                if !(*c).active_fingerprint.is_null() {
                    set_trust((*c).active_fingerprint, Some(b""));
                    trust_changed = true;
                }
            }
        }
    }
    if trust_changed {
        ops.write_fingerprints();
    }
    // libotr reports a received heartbeat — any data message without text —
    // after the rest of the message.
    let (heartbeats, actions): (Vec<Action>, Vec<Action>) = actions.into_iter().partition(|a| {
        matches!(
            a,
            Action::Event {
                event: Event::ProtocolMessage { .. },
                ..
            }
        )
    });
    let actions: Vec<Action> = actions.into_iter().chain(heartbeats).collect();
    // The error libotr would report to the buddy for this batch, if any
    // (`OtrlErrorCode`): the text of the engine's "?OTR Error:" message
    // is then the client's `otr_error_message`.
    let error_code = actions.iter().find_map(|a| match a {
        Action::Event { event, .. } => match event {
            Event::EncryptionError => Some(1),
            Event::ReceivedNotInPrivate => Some(2),
            Event::ReceivedUnreadable(_) => Some(3),
            Event::ReceivedMalformed => Some(4),
            _ => None,
        },
        _ => None,
    });
    // SAFETY: master is live; its names are C strings owned by it.
    let (acct_c, proto_c, user_c) = unsafe {
        (
            (*master).accountname,
            (*master).protocol,
            (*master).username,
        )
    };
    for action in actions {
        match action {
            Action::Send { instance, message } => {
                if mode == Mode::Sending {
                    out.sends.push(message);
                } else {
                    // SAFETY: the C side is brought up to date first; C strings.
                    unsafe {
                        let c = ready(us, master, instance, add, data, &mut out);
                        let message = match error_code {
                            Some(code) if message.starts_with(ERROR_PREFIX) => {
                                match ops.error_text(c, code) {
                                    Some(text) => [ERROR_PREFIX, &text].concat(),
                                    // libotr sends no error without the callback.
                                    None => continue,
                                }
                            }
                            _ => message,
                        };
                        ops.inject(acct_c, proto_c, user_c, &message);
                    }
                }
            }
            Action::Deliver { instance, message } => {
                out.last_instance = Some(instance);
                out.delivered.push((instance, message));
            }
            Action::Event { instance, event } => {
                out.last_instance = Some(instance);
                // SAFETY: the context is live and current; callbacks get C data.
                unsafe {
                    let c = ready(us, master, instance, add, data, &mut out);
                    handle_event(us, ops, master, c, event, &mut out);
                }
            }
            _ => {}
        }
    }
    // SAFETY: as above.
    out.changed |= unsafe { sync(us, master, add, data) };
    out
}

/// libotr's `OtrlMessageEvent` numbers.
mod msgevent {
    pub const ENCRYPTION_REQUIRED: i32 = 1;
    pub const ENCRYPTION_ERROR: i32 = 2;
    pub const CONNECTION_ENDED: i32 = 3;
    pub const SETUP_ERROR: i32 = 4;
    pub const MSG_REFLECTED: i32 = 5;
    pub const RCVDMSG_NOT_IN_PRIVATE: i32 = 7;
    pub const RCVDMSG_UNREADABLE: i32 = 8;
    pub const RCVDMSG_MALFORMED: i32 = 9;
    pub const LOG_HEARTBEAT_RCVD: i32 = 10;
    pub const LOG_HEARTBEAT_SENT: i32 = 11;
    pub const RCVDMSG_GENERAL_ERR: i32 = 12;
    pub const RCVDMSG_UNENCRYPTED: i32 = 13;
    pub const RCVDMSG_UNRECOGNIZED: i32 = 14;
    pub const RCVDMSG_FOR_OTHER_INSTANCE: i32 = 15;
}

/// One event as libotr's callbacks.
///
/// # Safety
/// `us`, `master` and `c` are live and current.
unsafe fn handle_event(
    us: *mut OtrlUserStateC,
    ops: &Ops,
    master: *mut ConnContext,
    c: *mut ConnContext,
    event: Event,
    out: &mut Outcome,
) {
    // SAFETY: the caller's promise; every callback gets live C data.
    unsafe {
        match event {
            Event::GoneSecure(info) => {
                (*c).auth.initiated = c_int::from(info.first_half_bold);
                ops.context_callback(|t| t.gone_secure, c);
                out.changed = true;
            }
            Event::StillSecure(info) => {
                // libotr passes `auth.initiated`: whether we sent the D-H
                // Commit, which is the side that shows the first half of
                // the SSID in bold.
                let initiated = c_int::from(info.first_half_bold);
                (*c).auth.initiated = initiated;
                if let Some(f) = ops.table().and_then(|t| t.still_secure) {
                    f(ops.opdata, c, initiated);
                }
            }
            // libotr 4.1.1 never calls gone_insecure: the client learns of
            // the end from the message state, the DISCONNECTED TLV and
            // update_context_list.
            Event::GoneInsecure | Event::ConversationEndedByPeer => {
                if matches!(event, Event::ConversationEndedByPeer) {
                    out.peer_ended = true;
                }
                out.changed = true;
            }
            Event::NewFingerprint(fp) => {
                let _ = find_fingerprint(master, fp.as_bytes(), true);
                if let Some(f) = ops.table().and_then(|t| t.new_fingerprint) {
                    let mut bytes = *fp.as_bytes();
                    f(
                        ops.opdata,
                        us,
                        (*master).accountname,
                        (*master).protocol,
                        (*master).username,
                        bytes.as_mut_ptr(),
                    );
                }
                ops.write_fingerprints();
            }
            // Applied (and written) before the batch's callbacks.
            Event::TrustChanged { .. } => {}
            Event::EncryptionRequired => ops.msg_event(msgevent::ENCRYPTION_REQUIRED, c, None, 0),
            Event::EncryptionError => ops.msg_event(msgevent::ENCRYPTION_ERROR, c, None, 0),
            Event::ConnectionEnded => ops.msg_event(msgevent::CONNECTION_ENDED, c, None, 0),
            Event::SetupError(_) => ops.msg_event(
                msgevent::SETUP_ERROR,
                c,
                None,
                gcry_error(errors::INV_VALUE),
            ),
            Event::MessageReflected => ops.msg_event(msgevent::MSG_REFLECTED, c, None, 0),
            // Messages held under REQUIRE_ENCRYPTION go out after the AKE
            // without a word, as libotr's (it reports MSG_RESENT only for a
            // message it resends with the resent prefix).
            Event::HeldMessagesSent { .. } => {}
            Event::ReceivedNotInPrivate => {
                ops.msg_event(msgevent::RCVDMSG_NOT_IN_PRIVATE, c, None, 0)
            }
            Event::ReceivedUnreadable(_) => ops.msg_event(msgevent::RCVDMSG_UNREADABLE, c, None, 0),
            Event::ReceivedMalformed => ops.msg_event(msgevent::RCVDMSG_MALFORMED, c, None, 0),
            // Reported through `ProtocolMessage`, for every message without
            // text, as libotr does.
            Event::HeartbeatReceived => {}
            Event::ProtocolMessage { tlvs } => {
                out.protocol_tlvs = Some(tlvs.into_iter().map(|t| (t.tlv_type, t.value)).collect());
                ops.msg_event(msgevent::LOG_HEARTBEAT_RCVD, c, None, 0);
            }
            Event::HeartbeatSent => ops.msg_event(msgevent::LOG_HEARTBEAT_SENT, c, None, 0),
            Event::PeerError(text) => {
                ops.msg_event(msgevent::RCVDMSG_GENERAL_ERR, c, Some(&text), 0)
            }
            Event::ReceivedUnencrypted(text) => {
                ops.msg_event(msgevent::RCVDMSG_UNENCRYPTED, c, Some(&text), 0)
            }
            Event::ReceivedUnrecognized => {
                ops.msg_event(msgevent::RCVDMSG_UNRECOGNIZED, c, None, 0)
            }
            Event::ReceivedForOtherInstance => {
                ops.msg_event(msgevent::RCVDMSG_FOR_OTHER_INSTANCE, c, None, 0)
            }
            Event::ExtraSymmetricKey {
                use_id,
                use_data,
                key,
            } => {
                if let Some(f) = ops.table().and_then(|t| t.received_symkey) {
                    f(
                        ops.opdata,
                        c,
                        use_id,
                        use_data.as_ptr(),
                        use_data.len(),
                        key.as_bytes().as_ptr(),
                    );
                }
            }
            Event::Smp(progress) => {
                let prior = out
                    .prior_next
                    .iter()
                    .find(|(ctx, _)| core::ptr::eq(*ctx, c))
                    .map(|(_, n)| *n);
                smp_event(ops, c, &progress, prior);
            }
            _ => {}
        }
    }
}

/// Sets a fingerprint's C trust string from the engine's trust.
///
/// # Safety
/// `master` is live.
unsafe fn apply_trust(
    master: *mut ConnContext,
    fingerprint: &otr_core::otr_wire::Fingerprint,
    trust: &Trust,
) {
    // SAFETY: the caller's promise.
    unsafe {
        let (f, _) = find_fingerprint(master, fingerprint.as_bytes(), true);
        if !f.is_null() {
            set_trust(f, Some(trust.as_libotr()));
        }
    }
}

/// libotr's `OtrlSMPEvent` for an SMP step, the SMP state set first.
///
/// # Safety
/// `c` is live and current.
unsafe fn smp_event(
    ops: &Ops,
    c: *mut ConnContext,
    progress: &SmpProgress,
    prior_next: Option<c_int>,
) {
    let mark = (&raw const SMP_SECRET_MARK).cast_mut().cast::<c_void>();
    // SAFETY: c is live; its smstate is NULL or ours.
    unsafe {
        // As libotr, `nextExpected` moves on after the callback: during it
        // the state still expects the message that just arrived.
        if let (Some(sm), Some(next)) = ((*c).smstate.as_mut(), prior_next) {
            sm.next_expected = next;
        }
        let sm = (*c).smstate.as_mut();
        let (event, question) = match progress {
            SmpProgress::AskForSecret { question } => {
                if let Some(sm) = sm {
                    sm.secret = mark;
                    sm.received_question = c_int::from(question.is_some());
                    sm.sm_prog_state = 0;
                }
                (if question.is_some() { 4 } else { 5 }, question.as_deref())
            }
            SmpProgress::InProgress => (6, None),
            SmpProgress::Succeeded | SmpProgress::Failed | SmpProgress::Cheated => {
                // libotr keeps the secret until the state is freed
                // (otrl_sm_state_free, an abort, or a new exchange).
                if let Some(sm) = sm {
                    sm.sm_prog_state = match progress {
                        SmpProgress::Succeeded => 1,
                        SmpProgress::Failed => -1,
                        _ => -2,
                    };
                }
                (
                    match progress {
                        SmpProgress::Succeeded => 7,
                        SmpProgress::Failed => 8,
                        _ => 3,
                    },
                    None,
                )
            }
            SmpProgress::Aborted | SmpProgress::Error => {
                // Back to EXPECT1; libotr keeps the secret and the result.
                if let Some(sm) = sm {
                    sm.next_expected = 0;
                }
                (
                    if matches!(progress, SmpProgress::Aborted) {
                        2
                    } else {
                        1
                    },
                    None,
                )
            }
            _ => return,
        };
        let percent = c_ushort::from(progress.percent());
        ops.smp_event(event, c, percent, question);
    }
}

/// The timer the client runs for `otrl_message_poll`: on while any session
/// has a timer, off otherwise.
///
/// # Safety
/// `us` is live.
unsafe fn update_timer(us: *mut OtrlUserStateC, ops: &Ops) {
    // SAFETY: us and its contexts are live.
    unsafe {
        let mut wanted = false;
        let mut c = (*us).context_root;
        while !c.is_null() {
            if session_of(c).is_some_and(|s| s.poll_timeout().is_some()) {
                wanted = true;
                break;
            }
            c = (*c).next;
        }
        let running = (*us).timer_running != 0;
        if wanted != running {
            (*us).timer_running = c_int::from(wanted);
            ops.timer_control(if wanted { POLL_INTERVAL } else { 0 });
        }
    }
}

/// The TLVs a client passes, as (type, value) pairs.
///
/// # Safety
/// `tlvs` is NULL or a live list.
unsafe fn tlv_pairs(tlvs: *const OtrlTLV) -> Vec<(u16, Vec<u8>)> {
    let mut out = Vec::new();
    let mut t = tlvs;
    // SAFETY: a live list; data has len bytes (or is NULL).
    unsafe {
        while let Some(node) = t.as_ref() {
            let value = if node.data.is_null() || node.len == 0 {
                Vec::new()
            } else {
                core::slice::from_raw_parts(node.data, usize::from(node.len)).to_vec()
            };
            out.push((node.type_, value));
            t = node.next;
        }
    }
    out
}

/// A `malloc`ed TLV list, in order.
fn tlv_list(items: &[(u16, Vec<u8>)]) -> *mut OtrlTLV {
    let mut head: *mut OtrlTLV = null_mut();
    for (type_, value) in items.iter().rev() {
        let node = tlv::new_tlv(*type_, value);
        if !node.is_null() {
            // SAFETY: node is fresh.
            unsafe { (*node).next = head };
            head = node;
        }
    }
    head
}

/// `otrl_message_sending`.
///
/// # Safety
/// libotr's contract: `us` live, `ops` NULL or a callback table, the names
/// and `original_msg` C strings, `tlvs` NULL or a list, `messagep` and
/// `contextp` NULL or writable.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn otrl_message_sending(
    us: *mut OtrlUserStateC,
    ops: *const OtrlMessageAppOps,
    opdata: *mut c_void,
    accountname: *const c_char,
    protocol: *const c_char,
    recipient: *const c_char,
    instag: OtrlInstag,
    original_msg: *const c_char,
    tlvs: *mut OtrlTLV,
    messagep: *mut *mut c_char,
    frag_policy: c_int,
    contextp: *mut *mut ConnContext,
    add_appdata: AddAppData,
    data: *mut c_void,
) -> GcryError {
    // SAFETY: messagep and contextp are NULL or writable (caller).
    unsafe {
        if let Some(m) = messagep.as_mut() {
            *m = null_mut();
        }
        if let Some(c) = contextp.as_mut() {
            *c = null_mut();
        }
    }
    guard(gcry_error(errors::INV_VALUE), || {
        // SAFETY: the caller's promise (libotr's contract).
        unsafe {
            let (Some(account), Some(proto), Some(user), Some(text)) = (
                c_bytes(accountname),
                c_bytes(protocol),
                c_bytes(recipient),
                c_bytes(original_msg),
            ) else {
                return gcry_error(errors::INV_VALUE);
            };
            if us.is_null() || messagep.is_null() {
                return gcry_error(errors::INV_VALUE);
            }
            let ops = Ops { ops, opdata };
            let master = find(
                us,
                user,
                account,
                proto,
                tags::MASTER,
                true,
                None,
                add_appdata,
                data,
            );
            if master.is_null() {
                return gcry_error(errors::INV_VALUE);
            }
            if let Some(c) = contextp.as_mut() {
                *c = master;
            }
            remember_add_app_data(master, add_appdata, data);
            let policy = ops.policy(master);
            if policy & 0x06 == 0 {
                return errors::NO_ERROR;
            }
            if is_query(text) {
                // As libotr: a user's "?OTR?" becomes the full query.
                let sends = vec![query_text(account, policy)];
                hand_over(
                    &ops,
                    accountname,
                    protocol,
                    recipient,
                    sends,
                    frag_policy,
                    messagep,
                    text,
                );
                return errors::NO_ERROR;
            }
            if !ensure_session(us, &ops, master, true) {
                // No key: nothing can be encrypted. Under REQUIRE_ENCRYPTION
                // the text must not go out in the clear: ask for OTR instead
                // (libotr sends the query too).
                if policy & 0x08 != 0 {
                    ops.msg_event(msgevent::ENCRYPTION_REQUIRED, master, None, 0);
                    let sends = vec![query_text(account, policy)];
                    hand_over(
                        &ops,
                        accountname,
                        protocol,
                        recipient,
                        sends,
                        frag_policy,
                        messagep,
                        text,
                    );
                }
                return errors::NO_ERROR;
            }
            refresh(&ops, master, frag_policy != frag::SEND_SKIP);
            let mut options = SendOptions::default();
            options.tlvs = tlv_pairs(tlvs);
            let Some(session) = session_of(master) else {
                return errors::NO_ERROR;
            };
            // RECENT, RECENT_RECEIVED, RECENT_SENT: the child the master
            // names (libotr's otrl_context_find_recent_instance).
            let wanted = if (tags::RECENT..=tags::RECENT_SENT).contains(&instag) {
                let recent = context::find_recent_instance(master, instag);
                if recent.is_null() {
                    0
                } else {
                    (*recent).their_instance
                }
            } else {
                instag
            };
            if wanted >= tags::MIN_VALID {
                options.instance = InstanceTag::new(wanted)
                    .filter(|t| session.instances().iter().any(|s| s.instance == Some(*t)));
            }
            let target = options
                .instance
                .or_else(|| session.best_instance().instance);
            let encrypted = session
                .instances()
                .iter()
                .any(|s| s.instance == target && s.message_state == MessageState::Encrypted);
            let converted = if encrypted && !is_query(text) {
                ops.convert(context_for(us, master, target, add_appdata, data), 0, text)
            } else {
                None
            };
            let Some(session) = session_of(master) else {
                return errors::NO_ERROR;
            };
            let body = converted.as_deref().unwrap_or(text);
            let actions = match session.send_message_with(body, &options) {
                Ok(a) => a,
                Err(_) => return gcry_error(errors::INV_VALUE),
            };
            let out = process(us, &ops, master, actions, Mode::Sending, add_appdata, data);
            let context = context_for(us, master, target, add_appdata, data);
            if let Some(c) = contextp.as_mut() {
                *c = context;
            }
            hand_over(
                &ops,
                accountname,
                protocol,
                recipient,
                out.sends,
                frag_policy,
                messagep,
                text,
            );
            if let Some(p) = priv_of(context) {
                p.lastsent = now_secs();
            }
            if (*context).msgstate == msgstate::ENCRYPTED {
                context::otrl_context_update_recent_child(context, 1);
            }
            if out.changed {
                ops.update_context_list();
            }
            update_timer(us, &ops);
            errors::NO_ERROR
        }
    })
}

/// Gives the wire forms of the user's message to the client as the
/// fragment policy says: injected, or returned in `*messagep`. Nothing to
/// send gives "" (never NULL, which would send the plaintext); a message
/// that goes out unchanged leaves `*messagep` NULL.
///
/// # Safety
/// The names are C strings; `messagep` is writable.
#[allow(clippy::too_many_arguments)]
unsafe fn hand_over(
    ops: &Ops,
    accountname: *const c_char,
    protocol: *const c_char,
    recipient: *const c_char,
    mut sends: Vec<Vec<u8>>,
    frag_policy: c_int,
    messagep: *mut *mut c_char,
    original: &[u8],
) {
    let returned: Option<Vec<u8>> = if sends.is_empty() {
        Some(Vec::new())
    } else if sends.len() == 1 && sends.first().is_some_and(|s| s.as_slice() == original) {
        None
    } else {
        let (keep, inject): (Option<Vec<u8>>, Vec<Vec<u8>>) = match frag_policy {
            frag::SEND_ALL => (Some(Vec::new()), sends),
            frag::SEND_ALL_BUT_FIRST => {
                let first = sends.remove(0);
                (Some(first), sends)
            }
            _ => {
                let last = sends.pop();
                (last, sends)
            }
        };
        for s in &inject {
            // SAFETY: C strings (caller).
            unsafe { ops.inject(accountname, protocol, recipient, s) };
        }
        keep
    };
    if let Some(bytes) = returned {
        // SAFETY: messagep is writable (caller).
        unsafe { *messagep = malloc_cstring(&bytes) };
    }
}

fn now_secs() -> i64 {
    i64::try_from(clock().now().0.as_secs()).unwrap_or(i64::MAX)
}

/// Whether a message is an OTR query (libotr's `OTRL_MSGTYPE_QUERY`: the
/// first "?OTR" is followed by '?' or 'v').
fn is_query(message: &[u8]) -> bool {
    message
        .windows(5)
        .find(|w| w.starts_with(b"?OTR"))
        .is_some_and(|w| matches!(w.get(4), Some(b'?' | b'v')))
}

/// Whether a message is OTR traffic (a query, an OTR message or error, or a
/// whitespace tag) rather than plain chat.
fn looks_like_otr(message: &[u8]) -> bool {
    const TAG: &[u8] = b" \t  \t\t\t\t \t \t \t  ";
    message.windows(4).any(|w| w == b"?OTR") || message.windows(TAG.len()).any(|w| w == TAG)
}

/// `otrl_message_receiving`: 1 when the message is protocol traffic the
/// client must not show; 0 to show `*newmessagep` (or the message itself
/// when that is NULL).
///
/// # Safety
/// libotr's contract, as [`otrl_message_sending`]; `newmessagep`, `tlvsp`
/// and `contextp` NULL or writable.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn otrl_message_receiving(
    us: *mut OtrlUserStateC,
    ops: *const OtrlMessageAppOps,
    opdata: *mut c_void,
    accountname: *const c_char,
    protocol: *const c_char,
    sender: *const c_char,
    message: *const c_char,
    newmessagep: *mut *mut c_char,
    tlvsp: *mut *mut OtrlTLV,
    contextp: *mut *mut ConnContext,
    add_appdata: AddAppData,
    data: *mut c_void,
) -> c_int {
    // SAFETY: the out-pointers are NULL or writable (caller).
    unsafe {
        if let Some(m) = newmessagep.as_mut() {
            *m = null_mut();
        }
        if let Some(t) = tlvsp.as_mut() {
            *t = null_mut();
        }
        if let Some(c) = contextp.as_mut() {
            *c = null_mut();
        }
    }
    guard(0, || {
        // SAFETY: the caller's promise (libotr's contract).
        unsafe {
            let (Some(account), Some(proto), Some(user), Some(text)) = (
                c_bytes(accountname),
                c_bytes(protocol),
                c_bytes(sender),
                c_bytes(message),
            ) else {
                return 0;
            };
            if us.is_null() {
                return 0;
            }
            let ops = Ops { ops, opdata };
            let master = find(
                us,
                user,
                account,
                proto,
                tags::MASTER,
                true,
                None,
                add_appdata,
                data,
            );
            if master.is_null() {
                return 0;
            }
            if let Some(c) = contextp.as_mut() {
                *c = master;
            }
            remember_add_app_data(master, add_appdata, data);
            let otr = looks_like_otr(text);
            if !ensure_session(us, &ops, master, otr) {
                return no_session(us, &ops, master, account, proto, text);
            }
            refresh(&ops, master, true);
            let Some(session) = session_of(master) else {
                return 0;
            };
            let actions = session.handle_input(text);
            let out = process(us, &ops, master, actions, Mode::Other, add_appdata, data);
            let instance = out.last_instance.flatten();
            let context = context_for(us, master, instance, add_appdata, data);
            if let Some(c) = contextp.as_mut() {
                *c = context;
            }
            let mut result = 1;
            let mut tlvs: Vec<(u16, Vec<u8>)> = Vec::new();
            if out.delivered.is_empty()
                && let Some(protocol_tlvs) = &out.protocol_tlvs
            {
                // Encrypted protocol traffic: TLVs for the client, no text.
                tlvs.extend(protocol_tlvs.iter().cloned());
                if let Some(p) = priv_of(context) {
                    p.lastrecv = now_secs();
                }
                context::otrl_context_update_recent_child(context, 0);
            }
            if let Some((_, msg)) = out.delivered.last() {
                tlvs.extend(msg.tlvs.iter().map(|t| (t.tlv_type, t.value.clone())));
                if msg.encrypted {
                    if let Some(p) = priv_of(context) {
                        p.lastrecv = now_secs();
                    }
                    context::otrl_context_update_recent_child(context, 0);
                }
                if !msg.text.is_empty() {
                    result = 0;
                    let shown = if msg.encrypted {
                        ops.convert(context, 1, &msg.text)
                            .unwrap_or_else(|| msg.text.clone())
                    } else {
                        msg.text.clone()
                    };
                    if (msg.encrypted || shown.as_slice() != text)
                        && let Some(m) = newmessagep.as_mut()
                    {
                        *m = malloc_cstring(&shown);
                    }
                }
            }
            if out.peer_ended && !tlvs.iter().any(|(t, _)| *t == TLV_DISCONNECTED) {
                tlvs.push((TLV_DISCONNECTED, Vec::new()));
            }
            if !tlvs.is_empty()
                && let Some(t) = tlvsp.as_mut()
            {
                *t = tlv_list(&tlvs);
            }
            if out.changed {
                ops.update_context_list();
            }
            update_timer(us, &ops);
            result
        }
    })
}

/// Receiving without a session (OTR not allowed, or no key): OTR protocol
/// traffic is never shown; plain text is, unless the policy requires
/// encryption.
///
/// # Safety
/// `us` and `master` are live.
unsafe fn no_session(
    us: *mut OtrlUserStateC,
    ops: &Ops,
    master: *mut ConnContext,
    account: &[u8],
    protocol: &[u8],
    text: &[u8],
) -> c_int {
    use crate::proto::{message_type, message_version, msgtype, v3_receiver_tag};
    let kind = message_type(text);
    // SAFETY: the caller's promise.
    unsafe {
        match kind {
            msgtype::DATA => {
                // A v3 message names its receiver: not our tag, another
                // instance's (as libotr says).
                let ours = instag::find(us, account, protocol)
                    .as_ref()
                    .map(|t| t.instag);
                let event = if message_version(text) == 3 && v3_receiver_tag(text) != ours {
                    msgevent::RCVDMSG_FOR_OTHER_INSTANCE
                } else {
                    msgevent::RCVDMSG_NOT_IN_PRIVATE
                };
                ops.msg_event(event, master, None, 0);
                1
            }
            msgtype::ERROR => {
                let body = text
                    .windows(ERROR_PREFIX.len())
                    .position(|w| w == ERROR_PREFIX)
                    .and_then(|at| text.get(at + ERROR_PREFIX.len()..))
                    .unwrap_or_default();
                ops.msg_event(msgevent::RCVDMSG_GENERAL_ERR, master, Some(body), 0);
                1
            }
            msgtype::DH_COMMIT
            | msgtype::DH_KEY
            | msgtype::REVEALSIG
            | msgtype::SIGNATURE
            | msgtype::V1_KEYEXCH => 1,
            _ if text.starts_with(b"?OTR|") || text.starts_with(b"?OTR,") => 1,
            _ => {
                if ops.policy(master) & 0x08 != 0 && kind == msgtype::NOTOTR {
                    ops.msg_event(msgevent::RCVDMSG_UNENCRYPTED, master, Some(text), 0);
                    return 1;
                }
                0
            }
        }
    }
}

/// The master of a context and the instance it stands for.
///
/// # Safety
/// `context` is live.
unsafe fn master_and_instance(
    context: *mut ConnContext,
) -> (*mut ConnContext, Option<InstanceTag>) {
    // SAFETY: the caller's promise.
    unsafe {
        let master = if (*context).m_context.is_null() {
            context
        } else {
            (*context).m_context
        };
        let instance = if core::ptr::eq(master, context) {
            None
        } else {
            InstanceTag::new((*context).their_instance)
        };
        (master, instance)
    }
}

/// Keeps the client's `add_app_data` for children made outside sending
/// and receiving.
///
/// # Safety
/// `master` is live.
unsafe fn remember_add_app_data(master: *mut ConnContext, add: AddAppData, data: *mut c_void) {
    // SAFETY: the caller's promise.
    if let Some(p) = unsafe { priv_of(master) }
        && add.is_some()
    {
        p.add_app_data = add;
        p.add_app_data_arg = data.expose_provenance();
    }
}

/// Runs one session call for a context and carries out its actions.
///
/// # Safety
/// `us` and `context` are live.
unsafe fn on_session(
    us: *mut OtrlUserStateC,
    ops: &Ops,
    context: *mut ConnContext,
    call: impl FnOnce(&mut Session, Option<InstanceTag>) -> Option<Vec<Action>>,
) -> Option<()> {
    // SAFETY: the caller's promise; the session borrow ends before callbacks.
    unsafe {
        let (master, instance) = master_and_instance(context);
        session_of(master)?;
        refresh(ops, master, true);
        let actions = call(session_of(master)?, instance)?;
        let (add, data) = priv_of(master).map_or((None, null_mut()), |p| {
            (
                p.add_app_data,
                core::ptr::with_exposed_provenance_mut(p.add_app_data_arg),
            )
        });
        let out = process(us, ops, master, actions, Mode::Other, add, data);
        if out.changed {
            ops.update_context_list();
        }
        update_timer(us, ops);
    }
    Some(())
}

/// # Safety
/// `secret` is NULL or `len` readable bytes.
unsafe fn bytes<'a>(secret: *const c_uchar, len: usize) -> &'a [u8] {
    if secret.is_null() || len == 0 {
        &[]
    } else {
        // SAFETY: the caller's promise.
        unsafe { core::slice::from_raw_parts(secret, len) }
    }
}

/// Marks an SMP we started: a secret is in play, SMP2 is expected next.
///
/// # Safety
/// `context` is live.
unsafe fn mark_started(context: *mut ConnContext, question: bool) {
    // SAFETY: the caller's promise.
    unsafe {
        if let Some(sm) = (*context).smstate.as_mut() {
            sm.secret = (&raw const SMP_SECRET_MARK).cast_mut().cast();
            sm.next_expected = 1;
            sm.received_question = 0;
            sm.sm_prog_state = 0;
            let _ = question;
        }
    }
}

/// `otrl_message_initiate_smp`.
///
/// # Safety
/// `us`, `context` live (or NULL); `ops` NULL or a table; `secret` NULL or
/// `secretlen` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_message_initiate_smp(
    us: *mut OtrlUserStateC,
    ops: *const OtrlMessageAppOps,
    opdata: *mut c_void,
    context: *mut ConnContext,
    secret: *const c_uchar,
    secretlen: usize,
) {
    if us.is_null() || context.is_null() {
        return;
    }
    // SAFETY: the caller's promise.
    guard((), || unsafe {
        let secret = bytes(secret, secretlen).to_vec();
        let ops = Ops { ops, opdata };
        if on_session(us, &ops, context, |s, i| s.start_smp(i, &secret).ok()).is_some() {
            mark_started(context, false);
        }
    });
}

/// `otrl_message_initiate_smp_q`.
///
/// # Safety
/// As [`otrl_message_initiate_smp`]; `question` NULL or a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_message_initiate_smp_q(
    us: *mut OtrlUserStateC,
    ops: *const OtrlMessageAppOps,
    opdata: *mut c_void,
    context: *mut ConnContext,
    question: *const c_char,
    secret: *const c_uchar,
    secretlen: usize,
) {
    if us.is_null() || context.is_null() {
        return;
    }
    // SAFETY: the caller's promise.
    guard((), || unsafe {
        let secret = bytes(secret, secretlen).to_vec();
        let question = c_bytes(question).unwrap_or_default().to_vec();
        let ops = Ops { ops, opdata };
        if on_session(us, &ops, context, |s, i| {
            s.start_smp_with_question(i, &question, &secret).ok()
        })
        .is_some()
        {
            mark_started(context, true);
        }
    });
}

/// `otrl_message_respond_smp`.
///
/// # Safety
/// As [`otrl_message_initiate_smp`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_message_respond_smp(
    us: *mut OtrlUserStateC,
    ops: *const OtrlMessageAppOps,
    opdata: *mut c_void,
    context: *mut ConnContext,
    secret: *const c_uchar,
    secretlen: usize,
) {
    if us.is_null() || context.is_null() {
        return;
    }
    // SAFETY: the caller's promise.
    guard((), || unsafe {
        let secret = bytes(secret, secretlen).to_vec();
        let ops = Ops { ops, opdata };
        let _ = on_session(us, &ops, context, |s, i| s.answer_smp(i, &secret).ok());
    });
}

/// `otrl_message_abort_smp`.
///
/// # Safety
/// `us`, `context` live (or NULL); `ops` NULL or a table.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_message_abort_smp(
    us: *mut OtrlUserStateC,
    ops: *const OtrlMessageAppOps,
    opdata: *mut c_void,
    context: *mut ConnContext,
) {
    if us.is_null() || context.is_null() {
        return;
    }
    // SAFETY: the caller's promise.
    guard((), || unsafe {
        let ops = Ops { ops, opdata };
        let _ = on_session(us, &ops, context, |s, i| s.abort_smp(i).ok());
        if let Some(sm) = (*context).smstate.as_mut() {
            sm.next_expected = 0;
        }
    });
}

/// `otrl_message_symkey`: the extra symmetric key into `symkey` (32 bytes),
/// and the buddy told with TLV 8.
///
/// # Safety
/// As [`otrl_message_abort_smp`]; `usedata` NULL or `usedatalen` bytes;
/// `symkey` NULL or 32 writable bytes.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn otrl_message_symkey(
    us: *mut OtrlUserStateC,
    ops: *const OtrlMessageAppOps,
    opdata: *mut c_void,
    context: *mut ConnContext,
    use_: c_uint,
    usedata: *const c_uchar,
    usedatalen: usize,
    symkey: *mut c_uchar,
) -> GcryError {
    if us.is_null() || context.is_null() || symkey.is_null() {
        return gcry_error(errors::INV_VALUE);
    }
    guard(gcry_error(errors::INV_VALUE), || {
        // SAFETY: the caller's promise.
        unsafe {
            let usedata = bytes(usedata, usedatalen).to_vec();
            let ops = Ops { ops, opdata };
            let mut key = None;
            let done = on_session(us, &ops, context, |s, i| {
                let (k, actions) = s.extra_symmetric_key(i, use_, &usedata).ok()?;
                key = Some(*k.as_bytes());
                Some(actions)
            });
            match (done, key) {
                (Some(()), Some(k)) => {
                    core::ptr::copy_nonoverlapping(k.as_ptr(), symkey, k.len());
                    errors::NO_ERROR
                }
                _ => gcry_error(errors::INV_VALUE),
            }
        }
    })
}

/// Ends the conversation with every instance of the buddy.
///
/// # Safety
/// `us` and `master` are live.
unsafe fn disconnect(us: *mut OtrlUserStateC, ops: &Ops, context: *mut ConnContext) {
    // SAFETY: the caller's promise.
    unsafe {
        let _ = on_session(us, ops, context, |s, instance| match instance {
            Some(tag) => s.end_instance(tag).ok(),
            None => Some(s.end()),
        });
    }
}

/// `otrl_message_disconnect`: ends the conversation with the instance
/// `instance` names (an instance tag, or `OTRL_INSTAG_BEST`/`_RECENT…`, as
/// `otrl_context_find` resolves it); `OTRL_INSTAG_MASTER` ends every
/// instance of the buddy.
///
/// # Safety
/// `us` live; `ops` NULL or a table; the names C strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_message_disconnect(
    us: *mut OtrlUserStateC,
    ops: *const OtrlMessageAppOps,
    opdata: *mut c_void,
    accountname: *const c_char,
    protocol: *const c_char,
    username: *const c_char,
    instance: OtrlInstag,
) {
    if us.is_null() {
        return;
    }
    // SAFETY: the caller's promise.
    guard((), || unsafe {
        let (Some(a), Some(p), Some(u)) =
            (c_bytes(accountname), c_bytes(protocol), c_bytes(username))
        else {
            return;
        };
        let context = find(us, u, a, p, instance, false, None, None, null_mut());
        if !context.is_null() {
            disconnect(us, &Ops { ops, opdata }, context);
        }
    });
}

/// `otrl_message_disconnect_all_instances`.
///
/// # Safety
/// As [`otrl_message_disconnect`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_message_disconnect_all_instances(
    us: *mut OtrlUserStateC,
    ops: *const OtrlMessageAppOps,
    opdata: *mut c_void,
    accountname: *const c_char,
    protocol: *const c_char,
    username: *const c_char,
) {
    // SAFETY: the caller's promise.
    unsafe {
        otrl_message_disconnect(
            us,
            ops,
            opdata,
            accountname,
            protocol,
            username,
            tags::MASTER,
        )
    };
}

/// `otrl_message_poll_get_default_interval`.
#[unsafe(no_mangle)]
pub extern "C" fn otrl_message_poll_get_default_interval(_us: *mut OtrlUserStateC) -> c_uint {
    POLL_INTERVAL
}

/// `otrl_message_poll`: runs the sessions' due timers (heartbeats, expiry).
///
/// # Safety
/// `us` NULL or live; `ops` NULL or a table.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_message_poll(
    us: *mut OtrlUserStateC,
    ops: *const OtrlMessageAppOps,
    opdata: *mut c_void,
) {
    if us.is_null() {
        return;
    }
    // SAFETY: the caller's promise.
    guard((), || unsafe {
        let ops = Ops { ops, opdata };
        let now = clock().now();
        let mut masters = Vec::new();
        let mut c = (*us).context_root;
        while !c.is_null() {
            if session_of(c)
                .and_then(|s| s.poll_timeout())
                .is_some_and(|t| t <= now)
            {
                masters.push(c);
            }
            c = (*c).next;
        }
        for master in masters {
            let _ = on_session(us, &ops, master, |s, _| Some(s.handle_timeout(now)));
        }
        update_timer(us, &ops);
    });
}

/// The query text libotr 4.1.1 (as Debian ships it) sends.
fn query_text(ourname: &[u8], policy: OtrlPolicy) -> Vec<u8> {
    let mut tag = Vec::new();
    if policy & 0x06 != 0 {
        tag.push(b'v');
        if policy & 0x02 != 0 {
            tag.push(b'2');
        }
        if policy & 0x04 != 0 {
            tag.push(b'3');
        }
        tag.push(b'?');
    }
    let mut out = b"?OTR".to_vec();
    out.extend_from_slice(&tag);
    out.extend_from_slice(b"\n<b>");
    out.extend_from_slice(ourname);
    out.extend_from_slice(
        b"</b> has requested an <a href=\"https://otr.cypherpunks.ca/\">Off-the-Record private \
          conversation</a>.  However, you do not have a plugin to support that.\n\
          If you are using Pidgin in Debian or Ubuntu,install the pidgin-otr package.\n\
          See <a href=\"https://otr.cypherpunks.ca/\">https://otr.cypherpunks.ca/</a> for more information.",
    );
    out
}

/// `otrl_proto_default_query_msg`: a `malloc`ed query for the policy.
///
/// # Safety
/// `ourname` NULL or a C string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn otrl_proto_default_query_msg(
    ourname: *const c_char,
    policy: OtrlPolicy,
) -> *mut c_char {
    // SAFETY: the caller's promise.
    let name = unsafe { c_bytes(ourname) }.unwrap_or_default().to_vec();
    guard(null_mut(), || malloc_cstring(&query_text(&name, policy)))
}

/// Drops the buddy's session (a client forced the context's state): every
/// instance starts again from plaintext.
///
/// # Safety
/// `context` is live.
pub(crate) unsafe fn drop_session(context: *mut ConnContext) {
    // SAFETY: the caller's promise.
    unsafe {
        let (master, _) = master_and_instance(context);
        if let Some(p) = priv_of(master) {
            p.session = None;
        }
        let mut c = master;
        while !c.is_null() && core::ptr::eq((*c).m_context, master) {
            if !core::ptr::eq(c, context) {
                context::force_finished(c);
                (*c).msgstate = msgstate::PLAINTEXT;
            }
            c = (*c).next;
        }
    }
}
