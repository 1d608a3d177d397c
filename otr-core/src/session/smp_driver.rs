//! Driving the Socialist Millionaires' Protocol from TLVs 2–7, and trust.

use super::*;

impl EnvParts<'_> {
    /// Feeds one received TLV to the SMP engine (non-SMP TLVs are ignored here).
    pub(super) fn receive_smp_tlv(
        &mut self,
        ctx: &mut Context,
        raw: &RawTlv<'_>,
        out: &mut Vec<Action>,
    ) {
        let Some(kind) = SmpMessageKind::from_tlv_type(raw.tlv_type) else {
            return;
        };
        let max_question = self.config.max_smp_question_len;
        let parsed = Tlv::parse(*raw);
        let mut mpis: Vec<&[u8]> = Vec::new();
        let mut question: Option<&[u8]> = None;
        let malformed = match &parsed {
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
        let Some(encrypted) = ctx.encrypted() else {
            return;
        };
        let output = encrypted.smp.receive(input, &mut *self.rng);
        self.send_smp(ctx, output, false, out);
    }

    /// Sends what the SMP engine produced (or just an abort) and reports its
    /// event and any trust change.
    pub(super) fn send_smp(
        &mut self,
        ctx: &mut Context,
        output: SmpOutput,
        abort_only: bool,
        out: &mut Vec<Action>,
    ) {
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
        let smp_size = match self.config.smp_max_message_size {
            0 => self.config.max_message_size,
            n => n,
        };
        for payload in payloads {
            self.send_encrypted_sized(
                ctx,
                &payload,
                DataFlags(DataFlags::IGNORE_UNREADABLE),
                smp_size,
                out,
            );
        }
        let Some(event) = output.event else {
            return;
        };
        let fingerprint = match &ctx.msg {
            MsgState::Encrypted(e) => Some(e.fingerprint),
            _ => None,
        };
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
        out.push(Action::Event {
            instance: ctx.their_tag,
            event: Event::Smp(progress),
        });
        // Trust as libotr (decision 12): success sets `smp` — on the responder
        // only when no question was asked; failure or cheating clears `smp`.
        let new_trust = match event {
            SmpEvent::Succeeded {
                role,
                with_question,
            } => (role == SmpRole::Initiator || !with_question).then_some("smp"),
            SmpEvent::Failed { .. } | SmpEvent::Cheated { .. } => Some(""),
            _ => None,
        };
        if let (Some(trust), Some(fp)) = (new_trust, fingerprint) {
            let current = self.known.get(&fp).cloned().unwrap_or_default();
            let changes = if trust.is_empty() {
                current == "smp"
            } else {
                current != trust
            };
            if changes {
                self.known.insert(fp, trust.to_owned());
                out.push(Action::Event {
                    instance: ctx.their_tag,
                    event: Event::TrustChanged {
                        fingerprint: fp,
                        trust: trust.to_owned(),
                    },
                });
            }
        }
    }
}
