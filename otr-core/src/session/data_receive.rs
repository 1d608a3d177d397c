//! Receiving a data message in a context: verify, decrypt, TLVs,
//! heartbeats, delivery, disconnect.

use zeroize::Zeroize as _;

use super::*;

impl EnvParts<'_> {
    pub(super) fn receive_data(
        &mut self,
        ctx: &mut Context,
        data: &DataMessage<'_>,
        authenticated: &[u8],
        out: &mut Vec<Action>,
    ) {
        let instance = ctx.their_tag;
        let ignore = data.flags.ignore_unreadable();
        let Some(encrypted) = ctx.encrypted() else {
            if !ignore {
                out.push(Action::Event {
                    instance,
                    event: Event::ReceivedNotInPrivate,
                });
            }
            return;
        };
        let version = encrypted.version;
        let mut accepted = match encrypted
            .ratchet
            .decrypt(&mut *self.rng, data, authenticated)
        {
            Ok(a) => a,
            Err(rejection) => {
                if !ignore {
                    out.push(Action::Event {
                        instance,
                        event: Event::ReceivedUnreadable(match rejection {
                            DataRejection::UnknownKeyId => UnreadableReason::UnknownKeys,
                            DataRejection::BadMac => UnreadableReason::BadMac,
                            DataRejection::StaleCounter => UnreadableReason::Replay,
                            DataRejection::BadNextKey => UnreadableReason::BadNextKey,
                        }),
                    });
                    // A replay passed the MAC: it is a copy of a message we
                    // already accepted (a network duplicate or an attacker's
                    // replay). Answering it with an error would only invite a
                    // needless re-key, so it is reported and dropped silently.
                    if rejection != DataRejection::StaleCounter {
                        let mut env = self.env(out);
                        env.send(ctx, error_message(ERROR_UNREADABLE), 0, false);
                    }
                }
                return;
            }
        };
        let payload = Payload::decode(&accepted.plaintext);
        let text_len = payload.text.len();
        let mut disconnected = false;
        let mut extra_keys = Vec::new();
        for raw in &payload.tlvs {
            match Tlv::parse(*raw) {
                Ok(Tlv::Disconnected) => disconnected = true,
                Ok(Tlv::ExtraSymmetricKey { use_id, use_data }) => {
                    extra_keys.push((use_id, use_data.to_vec()));
                }
                _ => {}
            }
        }
        let tlvs: Vec<ReceivedTlv> = payload
            .tlvs
            .iter()
            .map(|t: &RawTlv<'_>| ReceivedTlv {
                tlv_type: t.tlv_type,
                value: t.value.to_vec(),
            })
            .collect();
        drop(payload);
        if text_len == 0 {
            out.push(Action::Event {
                instance,
                event: Event::HeartbeatReceived,
            });
        } else if !disconnected {
            // libotr marks the conversation finished before its heartbeat
            // rule runs: a message that ends it is never answered.
            let due = ctx
                .last_sent
                .is_none_or(|t| self.now.since(t) > self.config.heartbeat_interval);
            if due {
                self.send_heartbeat(ctx, out);
            }
        }
        if text_len > 0 || !tlvs.is_empty() {
            // The text is the user's: the decrypted buffer itself is handed
            // over (no copy); the rest of it (NUL, TLVs) is wiped first.
            let mut text = core::mem::take(&mut *accepted.plaintext);
            if let Some(tail) = text.get_mut(text_len..) {
                tail.zeroize();
            }
            text.truncate(text_len);
            out.push(Action::Deliver {
                instance,
                message: ReceivedMessage {
                    text,
                    tlvs: tlvs.clone(),
                    encrypted: true,
                    revealed_mac_keys: data.revealed_mac_keys().copied().collect(),
                },
            });
        }
        for (use_id, use_data) in extra_keys {
            out.push(Action::Event {
                instance,
                event: Event::ExtraSymmetricKey {
                    use_id,
                    use_data,
                    key: ExtraKey(accepted.extra_key.clone()),
                },
            });
        }
        if !disconnected {
            for tlv in &tlvs {
                let raw = RawTlv {
                    tlv_type: tlv.tlv_type,
                    value: &tlv.value,
                };
                self.receive_smp_tlv(ctx, &raw, out);
            }
        }
        if disconnected {
            ctx.msg = MsgState::Finished(version);
            out.push(Action::Event {
                instance,
                event: Event::ConversationEndedByPeer,
            });
            out.push(Action::Event {
                instance,
                event: Event::GoneInsecure,
            });
        }
    }
}
