//! Picking apart what a session returned: the messages it sends, the events
//! it reports and the messages it delivers, each in order.

use otr_core::{Action, Event, ReceivedMessage};

/// The messages put on the wire.
#[must_use]
pub fn sends(actions: &[Action]) -> Vec<Vec<u8>> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send { message: m, .. } => Some(m.clone()),
            _ => None,
        })
        .collect()
}

/// The events reported.
#[must_use]
pub fn events(actions: &[Action]) -> Vec<Event> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Event { event, .. } => Some(event.clone()),
            _ => None,
        })
        .collect()
}

/// The messages delivered to the user.
#[must_use]
pub fn deliveries(actions: &[Action]) -> Vec<ReceivedMessage> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Deliver { message, .. } => Some(message.clone()),
            _ => None,
        })
        .collect()
}
