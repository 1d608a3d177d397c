//! The one route out of a session: every action a call causes is appended
//! here, in order, and handed to the host when the call returns. Changes
//! only its own queue.

use otr_wire::InstanceTag;

use crate::action::{Action, ReceivedMessage};
use crate::event::Event;

/// The actions of the call being handled.
#[derive(Debug, Default)]
pub(crate) struct Output {
    actions: Vec<Action>,
}

impl Output {
    /// A message for the wire, to `instance` (`None`: the master context).
    pub fn send(&mut self, instance: Option<InstanceTag>, message: Vec<u8>) {
        self.actions.push(Action::Send { instance, message });
    }

    /// A message for the user.
    pub fn deliver(&mut self, instance: Option<InstanceTag>, message: ReceivedMessage) {
        self.actions.push(Action::Deliver { instance, message });
    }

    /// Something the host should know.
    pub fn event(&mut self, instance: Option<InstanceTag>, event: Event) {
        self.actions.push(Action::Event { instance, event });
    }

    /// Everything so far, leaving the queue empty for the next call.
    pub fn take(&mut self) -> Vec<Action> {
        core::mem::take(&mut self.actions)
    }
}
