//! Sending in the data phase: encrypting a payload, heartbeats, and ending
//! a private conversation ourselves. Changes the instance's ratchet (through
//! `Ratchet::encrypt`) and, when ending, its privacy (through
//! `Context::end_private`).

use otr_wire::{DataFlags, Header, Payload, ProtocolVersion, Tlv};

use super::session_core::SessionCore;
use crate::context::{Context, MessageState};
use crate::event::Event;

/// Encrypts and sends a payload, fragmented to the maximum message size
/// when `fragmentable`.
pub(super) fn send_encrypted(
    core: &mut SessionCore,
    ctx: &mut Context,
    payload: Vec<u8>,
    flags: DataFlags,
    fragmentable: bool,
) {
    let size = if fragmentable {
        core.config.max_message_size
    } else {
        0
    };
    send_encrypted_sized(core, ctx, payload, flags, size);
}

/// Encrypts and sends a payload, fragmenting to `max_size` (0 = whole).
pub(super) fn send_encrypted_sized(
    core: &mut SessionCore,
    ctx: &mut Context,
    payload: Vec<u8>,
    flags: DataFlags,
    max_size: usize,
) {
    let their_tag = ctx.their_tag;
    let Some(encrypted) = ctx.encrypted() else {
        return;
    };
    let header = match encrypted.version {
        ProtocolVersion::V2 => Header::V2,
        _ => Header::V3 {
            sender: core.our_tag,
            receiver: their_tag,
        },
    };
    match encrypted.ratchet.encrypt(&header, flags, payload) {
        Some(message) => core.send(ctx, message, max_size, max_size > 0),
        None => core.event(their_tag, Event::EncryptionError),
    }
}

/// A heartbeat: an empty, IGNORE_UNREADABLE data message, never fragmented.
pub(super) fn send_heartbeat(core: &mut SessionCore, ctx: &mut Context) {
    if let Ok(payload) = Payload::encode(b"", &[]) {
        send_encrypted(
            core,
            ctx,
            payload,
            DataFlags(DataFlags::IGNORE_UNREADABLE),
            false,
        );
        core.event(ctx.their_tag, Event::HeartbeatSent);
    }
}

/// Ends the private conversation with one instance: a disconnect (TLV 1)
/// while private, then PLAINTEXT.
pub(super) fn end(core: &mut SessionCore, ctx: &mut Context) {
    match ctx.message_state() {
        MessageState::Encrypted => {
            if let Ok(payload) = Payload::encode(b"", &[Tlv::Disconnected]) {
                send_encrypted(
                    core,
                    ctx,
                    payload,
                    DataFlags(DataFlags::IGNORE_UNREADABLE),
                    false,
                );
            }
            ctx.end_private();
            core.event(ctx.their_tag, Event::GoneInsecure);
        }
        MessageState::Finished => ctx.end_private(),
        MessageState::Plaintext => {}
    }
}
