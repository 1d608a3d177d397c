//! Receiving a data message in a context: verify, decrypt, TLVs,
//! heartbeats, delivery, disconnect.

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
        let accepted = match encrypted
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
        if payload.text.is_empty() {
            out.push(Action::Event {
                instance,
                event: Event::HeartbeatReceived,
            });
        } else {
            let due = ctx
                .last_sent
                .is_none_or(|t| self.now.since(t) > self.config.heartbeat_interval);
            if due {
                self.send_heartbeat(ctx, out);
            }
        }
        if !payload.text.is_empty() || !payload.tlvs.is_empty() {
            out.push(Action::Deliver {
                instance,
                message: ReceivedMessage {
                    text: payload.text.to_vec(),
                    tlvs: payload
                        .tlvs
                        .iter()
                        .map(|t: &RawTlv<'_>| ReceivedTlv {
                            tlv_type: t.tlv_type,
                            value: t.value.to_vec(),
                        })
                        .collect(),
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
            for raw in &payload.tlvs {
                self.receive_smp_tlv(ctx, raw, out);
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
