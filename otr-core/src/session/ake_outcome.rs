//! What a finished AKE does to a context: going private, new fingerprints,
//! refresh versus new session, and releasing held messages.

use super::*;

impl EnvParts<'_> {
    pub(super) fn finish_ake(
        &mut self,
        ctx: &mut Context,
        output: AkeOutput,
        out: &mut Vec<Action>,
    ) {
        debug_log!(
            "AKE with {:?}: now {:?}, reply {}, failure {:?}",
            ctx.their_tag,
            ctx.auth_name(),
            output.reply.is_some(),
            output.failure
        );
        if output.reflected {
            out.push(Action::Event {
                instance: ctx.their_tag,
                event: Event::MessageReflected,
            });
        }
        if let Some(failure) = output.failure {
            out.push(Action::Event {
                instance: ctx.their_tag,
                event: Event::SetupError(match failure {
                    AkeFailure::BadDhValue => SetupFailure::BadDhValue,
                    AkeFailure::CommitMismatch => SetupFailure::CommitMismatch,
                    AkeFailure::BadMac => SetupFailure::BadMac,
                    AkeFailure::BadIdentity => SetupFailure::BadIdentity,
                    AkeFailure::BadSignature => SetupFailure::BadSignature,
                }),
            });
        }
        if let Some(reply) = output.reply {
            if ctx.auth.pending_commit().is_some() {
                // Still awaiting a D-H Key after replying: the reply is our
                // commit, resent (we won a collision).
                ctx.last_commit_number = self.next_sequence_number();
            }
            let mut env = self.env(out);
            let size = env.config.max_message_size;
            env.send(ctx, reply, size, true);
        }
        if let Some(success) = output.success {
            self.go_encrypted(ctx, *success, out);
        }
    }

    pub(super) fn go_encrypted(
        &mut self,
        ctx: &mut Context,
        success: AkeSuccess,
        out: &mut Vec<Action>,
    ) {
        let fingerprint = success.their_key.fingerprint();
        let first_contact = self.known.is_empty();
        let new_fingerprint = !self.known.contains_key(&fingerprint);
        if new_fingerprint {
            self.known.insert(fingerprint, String::new());
            out.push(Action::Event {
                instance: ctx.their_tag,
                event: Event::NewFingerprint(fingerprint),
            });
        }
        let refresh = matches!(&ctx.msg, MsgState::Encrypted(e) if e.fingerprint == fingerprint);
        // A completed re-key aborts an SMP in progress: its secret includes the old SSID.
        let smp_was_running = matches!(&ctx.msg, MsgState::Encrypted(e) if e.smp.is_in_progress() || e.smp.is_awaiting_answer());
        let ratchet = Ratchet::after_ake(
            &mut *self.rng,
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
        ctx.msg = MsgState::Encrypted(Box::new(Encrypted {
            version: success.version,
            ratchet,
            ssid: success.ssid,
            first_half_bold: success.first_half_bold,
            fingerprint,
            smp: SmpEngine::new(),
        }));
        debug_log!(
            "private with {:?} (v{}, refresh: {})",
            ctx.their_tag,
            success.version,
            refresh
        );
        out.push(Action::Event {
            instance: ctx.their_tag,
            event: if refresh {
                Event::StillSecure(info)
            } else {
                Event::GoneSecure(info)
            },
        });
        if smp_was_running {
            self.send_smp(ctx, SmpOutput::default(), true, out);
            out.push(Action::Event {
                instance: ctx.their_tag,
                event: Event::Smp(SmpProgress::Aborted),
            });
        }
        let trusted = self.known.get(&fingerprint).is_some_and(|t| !t.is_empty());
        let release = first_contact || trusted || *self.last_authenticated == Some(fingerprint);
        *self.last_authenticated = Some(fingerprint);
        if !self.held.is_empty() {
            if release {
                self.flush_held(ctx, out);
            } else {
                out.push(Action::Event {
                    instance: ctx.their_tag,
                    event: Event::HeldMessagesBlocked {
                        count: self.held.len(),
                        fingerprint,
                    },
                });
            }
        }
    }

    pub(super) fn flush_held(&mut self, ctx: &mut Context, out: &mut Vec<Action>) {
        let messages = self.held.take_all();
        let count = messages.len();
        for text in messages {
            if let Ok(payload) = Payload::encode(&text, &[]) {
                self.send_encrypted(ctx, &payload, DataFlags::NONE, true, out);
            }
        }
        if count > 0 {
            out.push(Action::Event {
                instance: ctx.their_tag,
                event: Event::HeldMessagesSent { count },
            });
        }
    }
}
