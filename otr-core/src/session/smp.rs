//! Driving the Socialist Millionaires' Protocol from TLVs 2–7, and the
//! trust its result sets. Changes the instance's SMP engine and the known
//! fingerprints' trust.

use otr_smp::{SmpEvent, SmpInput, SmpMessageKind, SmpOutput, SmpRole};
use otr_wire::{DataFlags, DecodeError, Payload, Tlv};

use super::data_out;
use super::session_core::SessionCore;
use crate::context::Context;
use crate::event::{Event, SmpProgress};
use crate::trust::Trust;

/// Feeds one received SMP TLV (of type `tlv_type`, parsed once by the
/// caller) to the instance's SMP engine; what it produced, to be sent with
/// [`send`]. `None` for a TLV that is not SMP or an instance not private.
pub(super) fn receive(
    core: &mut SessionCore,
    ctx: &mut Context,
    tlv_type: u16,
    parsed: &Result<Tlv<'_>, DecodeError>,
) -> Option<SmpOutput> {
    let kind = SmpMessageKind::from_tlv_type(tlv_type)?;
    let max_question = core.config.max_smp_question_len;
    let mut mpis: Vec<&[u8]> = Vec::new();
    let mut question: Option<&[u8]> = None;
    let malformed = match parsed {
        Ok(Tlv::Smp1(m) | Tlv::Smp2(m) | Tlv::Smp3(m) | Tlv::Smp4(m)) => {
            mpis = m.0.iter().map(otr_wire::Mpi::as_bytes).collect();
            false
        }
        Ok(Tlv::Smp1Question { question: q, body }) => {
            mpis = body.0.iter().map(otr_wire::Mpi::as_bytes).collect();
            question = Some(q);
            q.len() > max_question
        }
        Ok(Tlv::SmpAbort) => false,
        _ => true,
    };
    let input: SmpInput<'_, &[u8]> = if malformed {
        SmpInput::Malformed(kind)
    } else {
        match kind {
            SmpMessageKind::Smp1 | SmpMessageKind::Smp1Q => SmpInput::Smp1 {
                question,
                mpis: &mpis,
            },
            SmpMessageKind::Smp2 => SmpInput::Smp2(&mpis),
            SmpMessageKind::Smp3 => SmpInput::Smp3(&mpis),
            SmpMessageKind::Smp4 => SmpInput::Smp4(&mpis),
            _ => SmpInput::Abort,
        }
    };
    let encrypted = ctx.encrypted()?;
    Some(encrypted.smp.receive(input, &mut *core.rng))
}

/// Sends what the SMP engine produced (or, `abort_only`, just an abort) and
/// reports its event and any trust change.
pub(super) fn send(core: &mut SessionCore, ctx: &mut Context, output: SmpOutput, abort_only: bool) {
    let mut payloads = Vec::new();
    if abort_only {
        payloads.extend(Payload::encode(b"", &[Tlv::SmpAbort]));
    }
    for outgoing in &output.send {
        let mpis: Vec<otr_wire::Mpi<'_>> = outgoing
            .mpis
            .iter()
            .map(|m| otr_wire::Mpi::trimmed(m))
            .collect();
        let body = otr_wire::tlv::SmpMpis(mpis);
        let tlv = match outgoing.kind {
            SmpMessageKind::Smp1 => Tlv::Smp1(body),
            SmpMessageKind::Smp1Q => Tlv::Smp1Question {
                question: outgoing.question.as_deref().unwrap_or_default(),
                body,
            },
            SmpMessageKind::Smp2 => Tlv::Smp2(body),
            SmpMessageKind::Smp3 => Tlv::Smp3(body),
            SmpMessageKind::Smp4 => Tlv::Smp4(body),
            _ => Tlv::SmpAbort,
        };
        payloads.extend(Payload::encode(b"", &[tlv]));
    }
    let smp_size = match core.config.smp_max_message_size {
        0 => core.config.max_message_size,
        n => n,
    };
    for payload in payloads {
        data_out::send_encrypted_sized(
            core,
            ctx,
            payload,
            DataFlags(DataFlags::IGNORE_UNREADABLE),
            smp_size,
        );
    }
    let Some(event) = output.event else {
        return;
    };
    let fingerprint = ctx.encrypted_ref().map(|e| e.fingerprint);
    let progress = match &event {
        SmpEvent::AskForSecret => SmpProgress::AskForSecret { question: None },
        SmpEvent::AskForAnswer { question } => SmpProgress::AskForSecret {
            question: Some(question.clone()),
        },
        SmpEvent::InProgress => SmpProgress::InProgress,
        SmpEvent::Succeeded { .. } => SmpProgress::Succeeded,
        SmpEvent::Failed { .. } => SmpProgress::Failed,
        SmpEvent::Cheated { .. } => SmpProgress::Cheated,
        SmpEvent::OutOfOrder { .. } => SmpProgress::Error,
        _ => SmpProgress::Aborted,
    };
    core.event(ctx.their_tag, Event::Smp(progress));
    // Trust as libotr (decision 12): success sets `smp` — on the responder
    // only when no question was asked; failure or cheating clears `smp`
    // (a trust the user gave by hand stays).
    let new_trust = match event {
        SmpEvent::Succeeded {
            role,
            with_question,
        } => (role == SmpRole::Initiator || !with_question).then_some(Trust::Smp),
        SmpEvent::Failed { .. } | SmpEvent::Cheated { .. } => Some(Trust::Untrusted),
        _ => None,
    };
    if let (Some(trust), Some(fp)) = (new_trust, fingerprint) {
        let current = core.known.get(&fp).cloned().unwrap_or_default();
        let changes = if trust.is_trusted() {
            current != trust
        } else {
            current == Trust::Smp
        };
        if changes {
            core.known.set(fp, trust.clone());
            core.event(
                ctx.their_tag,
                Event::TrustChanged {
                    fingerprint: fp,
                    trust,
                },
            );
        }
    }
}
