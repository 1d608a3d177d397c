//! What a handled AKE message does to an instance: replies, setup errors,
//! and — when the exchange completes — going private, new fingerprints, a
//! refresh versus a new session, and releasing held messages. Changes the
//! instance's privacy (through `Context::go_private`), the known
//! fingerprints and the held messages.

use otr_smp::{SmpEngine, SmpOutput};
use otr_wire::{DataFlags, Payload};

use super::session_core::SessionCore;
use super::{data_out, smp};
use crate::ake::{AkeFailure, AkeOutput, AkeSuccess};
use crate::context::{Context, Encrypted};
use crate::event::{Event, SecureInfo, SetupFailure, SmpProgress};
use crate::ratchet::Ratchet;

/// Carries out what the AKE produced for `ctx`.
pub(super) fn finish(core: &mut SessionCore, ctx: &mut Context, output: AkeOutput) {
    debug_log!("AKE with {:?}: now {:?}", ctx.their_tag, ctx.auth_state());
    match output {
        AkeOutput::Ignored => {}
        AkeOutput::Reflected => core.event(ctx.their_tag, Event::MessageReflected),
        AkeOutput::Rejected(failure) => {
            core.event(ctx.their_tag, Event::SetupError(setup_failure(failure)));
        }
        AkeOutput::Reply(reply) => send_reply(core, ctx, reply),
        AkeOutput::Completed { reply, success } => {
            if let Some(reply) = reply {
                send_reply(core, ctx, reply);
            }
            go_private(core, ctx, *success);
        }
    }
}

fn setup_failure(failure: AkeFailure) -> SetupFailure {
    match failure {
        AkeFailure::BadDhValue => SetupFailure::BadDhValue,
        AkeFailure::CommitMismatch => SetupFailure::CommitMismatch,
        AkeFailure::BadMac => SetupFailure::BadMac,
        AkeFailure::BadIdentity => SetupFailure::BadIdentity,
        AkeFailure::BadSignature => SetupFailure::BadSignature,
        AkeFailure::WeakKey => SetupFailure::WeakKey,
    }
}

fn send_reply(core: &mut SessionCore, ctx: &mut Context, reply: Vec<u8>) {
    if ctx.exchange.has_pending_commit() {
        // Still awaiting a D-H Key after replying: the reply is our commit,
        // resent (we won a collision).
        ctx.last_commit_number = core.next_sequence_number();
    }
    let size = core.config.max_message_size;
    core.send(ctx, reply, size, true);
}

fn go_private(core: &mut SessionCore, ctx: &mut Context, success: AkeSuccess) {
    let fingerprint = success.their_key.fingerprint();
    let first_contact = core.known.is_empty();
    if core.known.add_new(fingerprint) {
        core.event(ctx.their_tag, Event::NewFingerprint(fingerprint));
    }
    let old = ctx.encrypted_ref();
    let refresh = old.is_some_and(|e| e.fingerprint == fingerprint);
    // A completed re-key aborts an SMP in progress: its secret includes the old SSID.
    let smp_was_running = old.is_some_and(|e| e.smp.is_in_progress() || e.smp.is_awaiting_answer());
    let ratchet = Ratchet::after_ake(
        &mut *core.rng,
        success.our_dh,
        success.our_keyid,
        success.their_keyid,
        success.their_dh,
    );
    let info = SecureInfo {
        fingerprint,
        ssid: success.ssid,
        first_half_bold: success.first_half_bold,
        version: success.version,
        their_instance: ctx.their_tag,
    };
    ctx.go_private(Encrypted {
        version: success.version,
        ratchet,
        ssid: success.ssid,
        first_half_bold: success.first_half_bold,
        fingerprint,
        smp: SmpEngine::new(),
    });
    debug_log!(
        "private with {:?} (v{}, refresh: {})",
        ctx.their_tag,
        success.version,
        refresh
    );
    core.event(
        ctx.their_tag,
        if refresh {
            Event::StillSecure(info)
        } else {
            Event::GoneSecure(info)
        },
    );
    if smp_was_running {
        smp::send(core, ctx, SmpOutput::default(), true);
        core.event(ctx.their_tag, Event::Smp(SmpProgress::Aborted));
    }
    let trusted = core.known.is_trusted(&fingerprint);
    let release = first_contact || trusted || core.last_authenticated == Some(fingerprint);
    core.last_authenticated = Some(fingerprint);
    if !core.held.is_empty() {
        if release {
            flush_held(core, ctx);
        } else {
            let count = core.held.len();
            core.event(
                ctx.their_tag,
                Event::HeldMessagesBlocked { count, fingerprint },
            );
        }
    }
}

/// Sends every held message to `ctx`, now private.
pub(super) fn flush_held(core: &mut SessionCore, ctx: &mut Context) {
    let messages = core.held.take_all();
    let count = messages.len();
    for text in messages {
        if let Ok(payload) = Payload::encode(&text, &[]) {
            data_out::send_encrypted(core, ctx, payload, DataFlags::NONE, true);
        }
    }
    if count > 0 {
        core.event(ctx.their_tag, Event::HeldMessagesSent { count });
    }
}
