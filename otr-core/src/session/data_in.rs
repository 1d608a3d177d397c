//! Receiving a data message in an instance: verify and decrypt, the TLVs
//! (parsed once), heartbeats, delivery, the extra key, SMP and disconnect.
//! Changes the instance's ratchet (through `Ratchet::decrypt`), its SMP
//! (through `smp`) and its privacy when the buddy ends it (through
//! `Context::finish`).

use otr_smp::SmpMessageKind;
use otr_wire::{DataMessage, Payload, Tlv};
use zeroize::Zeroize as _;

use super::session_core::SessionCore;
use super::texts::{ERROR_UNREADABLE, error_message};
use super::{data_out, smp};
use crate::action::{ReceivedMessage, ReceivedTlv};
use crate::context::Context;
use crate::event::{Event, ExtraKey, UnreadableReason};
use crate::ratchet::DataRejection;

/// Handles a decoded data message addressed to `ctx`.
#[allow(clippy::too_many_lines)]
pub(super) fn receive(
    core: &mut SessionCore,
    ctx: &mut Context,
    data: &DataMessage<'_>,
    authenticated: &[u8],
) {
    let instance = ctx.their_tag;
    let ignore = data.flags.ignore_unreadable();
    let Some(encrypted) = ctx.encrypted() else {
        if !ignore {
            core.event(instance, Event::ReceivedNotInPrivate);
        }
        return;
    };
    let mut accepted = match encrypted
        .ratchet
        .decrypt(&mut *core.rng, data, authenticated)
    {
        Ok(a) => a,
        Err(rejection) => {
            if !ignore {
                core.event(
                    instance,
                    Event::ReceivedUnreadable(match rejection {
                        DataRejection::UnknownKeyId => UnreadableReason::UnknownKeys,
                        DataRejection::BadMac => UnreadableReason::BadMac,
                        DataRejection::StaleCounter => UnreadableReason::Replay,
                        DataRejection::BadNextKey => UnreadableReason::BadNextKey,
                    }),
                );
                // A replay passed the MAC: it is a copy of a message we
                // already accepted (a network duplicate or an attacker's
                // replay). Answering it with an error would only invite a
                // needless re-key, so it is reported and dropped silently.
                if rejection != DataRejection::StaleCounter {
                    core.send(ctx, error_message(ERROR_UNREADABLE), 0, false);
                }
            }
            return;
        }
    };
    // The TLVs, parsed once: what they mean here, and copies for the host.
    let payload = Payload::decode(&accepted.plaintext);
    let text_len = payload.text.len();
    let parsed: Vec<_> = payload
        .tlvs
        .iter()
        .map(|raw| (*raw, Tlv::parse(*raw)))
        .collect();
    let disconnected = parsed
        .iter()
        .any(|(_, tlv)| matches!(tlv, Ok(Tlv::Disconnected)));
    let extra_keys: Vec<(u32, Vec<u8>)> = parsed
        .iter()
        .filter_map(|(_, tlv)| match tlv {
            Ok(Tlv::ExtraSymmetricKey { use_id, use_data }) => Some((*use_id, use_data.to_vec())),
            _ => None,
        })
        .collect();
    // A message is shown only if it has text for the user or TLVs the
    // engine does not act on itself (an application's own types): SMP
    // steps, heartbeats, disconnects and extra-key notices are protocol
    // traffic, reported as events, never as an empty delivery.
    let for_the_user = text_len > 0
        || parsed
            .iter()
            .any(|(_, tlv)| matches!(tlv, Ok(Tlv::Unknown(_))));
    // A heartbeat is a message with nothing in it but (optional) padding.
    let heartbeat = text_len == 0
        && parsed
            .iter()
            .all(|(_, tlv)| matches!(tlv, Ok(Tlv::Padding(_))));
    let tlvs: Vec<ReceivedTlv> = parsed
        .iter()
        .map(|(raw, _)| ReceivedTlv {
            tlv_type: raw.tlv_type,
            value: raw.value.to_vec(),
        })
        .collect();
    // One SMP step per message: the first SMP TLV is acted on, any others
    // are ignored and reported once (libotr acts on at most one of each
    // type; 50 SMP1s in one message must not cost 50 proofs). Nothing is
    // sent for it until the message itself is delivered.
    let mut smp_tlvs = parsed
        .iter()
        .filter(|(raw, _)| SmpMessageKind::from_tlv_type(raw.tlv_type).is_some());
    let (smp_output, smp_ignored) = if disconnected {
        (None, 0)
    } else {
        let output = smp_tlvs
            .next()
            .and_then(|(raw, tlv)| smp::receive(core, ctx, raw.tlv_type, tlv));
        (output, smp_tlvs.count())
    };
    drop(parsed);
    drop(payload);
    if heartbeat {
        core.event(instance, Event::HeartbeatReceived);
    } else if text_len > 0 && !disconnected {
        // libotr marks the conversation finished before its heartbeat
        // rule runs: a message that ends it is never answered.
        let due = ctx
            .last_sent
            .is_none_or(|t| core.now.since(t) > core.config.heartbeat_interval);
        if due {
            data_out::send_heartbeat(core, ctx);
        }
    }
    if for_the_user {
        // The text is the user's: the decrypted buffer itself is handed
        // over (no copy); the rest of it (NUL, TLVs) is wiped first.
        let mut text = core::mem::take(&mut *accepted.plaintext);
        if let Some(tail) = text.get_mut(text_len..) {
            tail.zeroize();
        }
        text.truncate(text_len);
        core.output.deliver(
            instance,
            ReceivedMessage {
                text,
                tlvs,
                encrypted: true,
                revealed_mac_keys: data.revealed_mac_keys().copied().collect(),
            },
        );
    } else if core.config.report_protocol_tlvs {
        core.event(instance, Event::ProtocolMessage { tlvs });
    }
    for (use_id, use_data) in extra_keys {
        core.event(
            instance,
            Event::ExtraSymmetricKey {
                use_id,
                use_data,
                key: ExtraKey(accepted.extra_key.clone()),
            },
        );
    }
    if let Some(output) = smp_output {
        smp::send(core, ctx, output, false);
    }
    if smp_ignored > 0 {
        core.event(instance, Event::SmpTlvsIgnored { count: smp_ignored });
    }
    if disconnected {
        ctx.finish();
        core.event(instance, Event::ConversationEndedByPeer);
        core.event(instance, Event::GoneInsecure);
    }
}
