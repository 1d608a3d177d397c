//! One item of the manager's queue: which buddy, which of their instances,
//! and what to do.

use otr_wire::{Envelope, InstanceTag, classify, message::peek_header};

use crate::action::Action;

/// Something for the host to do for one buddy, drained in order from
/// [`Manager::poll_action`](super::Manager::poll_action) or
/// [`Manager::drain_actions`](super::Manager::drain_actions).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ManagerAction {
    /// The host's id of the buddy (the key the host used in the call).
    pub buddy: String,
    /// The buddy instance concerned: for [`Action::Send`], the instance the
    /// message is addressed to (read from its v3 header; `None` for queries,
    /// plaintext, v2 and master-context messages); otherwise the instance the
    /// action itself names.
    pub instance: Option<InstanceTag>,
    /// What to do.
    pub action: Action,
}

impl ManagerAction {
    pub(crate) fn new(buddy: &str, action: Action) -> Self {
        let instance = match &action {
            Action::Send(bytes) => addressed_instance(bytes),
            Action::Deliver { instance, .. } | Action::Event { instance, .. } => *instance,
        };
        Self {
            buddy: buddy.to_owned(),
            instance,
            action,
        }
    }
}

/// The receiver instance tag of an outgoing OTR message or fragment (v3).
fn addressed_instance(message: &[u8]) -> Option<InstanceTag> {
    // Our own encoded messages start with `?OTR:`; the header (and a data
    // message's flags) fits in the first 16 base64 characters, so only those
    // are decoded.
    if let Some(prefix) = message
        .strip_prefix(b"?OTR:")
        .and_then(|rest| rest.get(..16))
    {
        let header = otr_wire::armor::decode_base64(prefix).ok()?;
        return peek_header(&header).ok()?.0.receiver();
    }
    match classify(message).ok()? {
        Envelope::Fragment(fragment) => fragment.header.receiver(),
        Envelope::Encoded(binary) => peek_header(&binary).ok()?.0.receiver(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;

    #[test]
    fn instances_come_from_the_action_or_the_header() {
        let tag = InstanceTag::new(0x1234_5678);
        let event = Action::Event {
            instance: tag,
            event: Event::HeartbeatReceived,
        };
        assert_eq!(ManagerAction::new("bob", event).instance, tag);
        let query = Action::Send(b"?OTRv23?".to_vec());
        assert_eq!(ManagerAction::new("bob", query).instance, None);
        let fragment = Action::Send(b"?OTR|00000101|12345678,00001,00002,?OTR:AAM,".to_vec());
        let item = ManagerAction::new("bob", fragment);
        assert_eq!(item.buddy, "bob");
        assert_eq!(item.instance, tag);
        // A v3 header: version 3, type 0x0a (DH-Key), sender, receiver.
        let mut binary = vec![0, 3, 0x0a, 0, 0, 1, 1, 0x12, 0x34, 0x56, 0x78];
        binary.extend([0, 0, 0, 1, 5]);
        let encoded = format!(
            "?OTR:{}.",
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &binary)
        );
        let item = ManagerAction::new("bob", Action::Send(encoded.into_bytes()));
        assert_eq!(item.instance, tag);
    }
}
