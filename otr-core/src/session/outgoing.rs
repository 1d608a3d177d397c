//! Sending from a context: encryption, heartbeats, ending, and the texts we
//! put on the wire (queries, error messages, payloads).

use super::*;

impl EnvParts<'_> {
    pub(super) fn send_encrypted(
        &mut self,
        ctx: &mut Context,
        payload: &[u8],
        flags: DataFlags,
        fragmentable: bool,
        out: &mut Vec<Action>,
    ) {
        let size = if fragmentable {
            self.config.max_message_size
        } else {
            0
        };
        self.send_encrypted_sized(ctx, payload, flags, size, out);
    }

    /// Encrypts and sends a payload, fragmenting to `max_size` (0 = whole).
    pub(super) fn send_encrypted_sized(
        &mut self,
        ctx: &mut Context,
        payload: &[u8],
        flags: DataFlags,
        max_size: usize,
        out: &mut Vec<Action>,
    ) {
        let our_tag = self.our_tag;
        let Some(encrypted) = ctx.encrypted() else {
            return;
        };
        let header = match encrypted.version {
            ProtocolVersion::V2 => Header::V2,
            _ => Header::V3 {
                sender: our_tag,
                receiver: ctx.their_tag,
            },
        };
        let Some(encrypted) = ctx.encrypted() else {
            return;
        };
        match encrypted.ratchet.encrypt(&header, flags, payload) {
            Some(message) => {
                let mut env = self.env(out);
                env.send(ctx, message, max_size, max_size > 0);
            }
            None => out.push(Action::Event {
                instance: ctx.their_tag,
                event: Event::EncryptionError,
            }),
        }
    }

    pub(super) fn send_heartbeat(&mut self, ctx: &mut Context, out: &mut Vec<Action>) {
        if let Ok(payload) = Payload::encode(b"", &[]) {
            self.send_encrypted(
                ctx,
                &payload,
                DataFlags(DataFlags::IGNORE_UNREADABLE),
                false,
                out,
            );
            out.push(Action::Event {
                instance: ctx.their_tag,
                event: Event::HeartbeatSent,
            });
        }
    }

    pub(super) fn end_context(&mut self, ctx: &mut Context, out: &mut Vec<Action>) {
        match ctx.msg.name() {
            MessageState::Encrypted => {
                if let Ok(payload) = Payload::encode(b"", &[Tlv::Disconnected]) {
                    self.send_encrypted(
                        ctx,
                        &payload,
                        DataFlags(DataFlags::IGNORE_UNREADABLE),
                        false,
                        out,
                    );
                }
                ctx.msg = MsgState::Plaintext;
                out.push(Action::Event {
                    instance: ctx.their_tag,
                    event: Event::GoneInsecure,
                });
            }
            MessageState::Finished => ctx.msg = MsgState::Plaintext,
            MessageState::Plaintext => {}
        }
    }
}

pub(super) fn versions_of(allowed: OfferedVersions) -> Vec<ProtocolVersion> {
    let mut v = Vec::new();
    if allowed.v2 {
        v.push(ProtocolVersion::V2);
    }
    if allowed.v3 {
        v.push(ProtocolVersion::V3);
    }
    v
}

/// Our query message: the tag and libotr's (upstream) explanation.
pub(super) fn query_message(allowed: OfferedVersions, account: &str) -> Vec<u8> {
    let tag = query::query_tag(&versions_of(allowed));
    let who = if account.is_empty() {
        "Your buddy"
    } else {
        account
    };
    format!(
        "{tag}\n<b>{who}</b> has requested an <a href=\"https://otr.cypherpunks.ca/\">Off-the-Record private conversation</a>.  However, you do not have a plugin to support that.\nSee <a href=\"https://otr.cypherpunks.ca/\">https://otr.cypherpunks.ca/</a> for more information."
    )
    .into_bytes()
}

pub(super) fn error_message(text: &str) -> Vec<u8> {
    otr_wire::envelope::error_message(text).into_bytes()
}

pub(super) fn encode_payload(
    text: &[u8],
    tlvs: &[(u16, Vec<u8>)],
) -> Result<Vec<u8>, SessionError> {
    let typed: Vec<Tlv<'_>> = tlvs
        .iter()
        .map(|(t, v)| match *t {
            tlv_type::PADDING => Tlv::Padding(v),
            _ => Tlv::Unknown(RawTlv {
                tlv_type: *t,
                value: v,
            }),
        })
        .collect();
    Ok(Payload::encode(text, &typed)?)
}
