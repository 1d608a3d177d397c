//! One item of the manager's queue: which buddy, which of their instances,
//! and what to do.

use otr_wire::InstanceTag;

use crate::action::Action;

/// Something for the host to do for one buddy, drained in order from
/// [`Manager::poll_action`](super::Manager::poll_action) or
/// [`Manager::drain_actions`](super::Manager::drain_actions).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ManagerAction {
    /// The host's id of the buddy (the key the host used in the call).
    pub buddy: String,
    /// The buddy instance concerned: the instance the action names (for
    /// [`Action::Send`], the instance the message is for).
    pub instance: Option<InstanceTag>,
    /// What to do.
    pub action: Action,
}

impl ManagerAction {
    pub(crate) fn new(buddy: &str, action: Action) -> Self {
        let instance = match &action {
            Action::Send { instance, .. }
            | Action::Deliver { instance, .. }
            | Action::Event { instance, .. } => *instance,
        };
        Self {
            buddy: buddy.to_owned(),
            instance,
            action,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;

    #[test]
    fn the_instance_is_the_one_the_action_names() {
        let tag = InstanceTag::new(0x1234_5678);
        let event = Action::Event {
            instance: tag,
            event: Event::HeartbeatReceived,
        };
        assert_eq!(ManagerAction::new("bob", event).instance, tag);
        let send = Action::Send {
            instance: tag,
            message: b"?OTR:AAMK.".to_vec(),
        };
        let item = ManagerAction::new("bob", send);
        assert_eq!((item.buddy.as_str(), item.instance), ("bob", tag));
        let query = Action::Send {
            instance: None,
            message: b"?OTRv23?".to_vec(),
        };
        assert_eq!(ManagerAction::new("bob", query).instance, None);
    }
}
