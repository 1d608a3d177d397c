//! Messages held under REQUIRE_ENCRYPTION until the conversation is private
//! (`docs/LIBOTR-DIFFERENCES.md`, decision 3: all of them, in order, bounded, expiring).

use std::collections::VecDeque;

use core::time::Duration;
use zeroize::Zeroizing;

use crate::clock::Timestamp;

/// The queue of held messages.
#[derive(Debug, Default)]
pub(crate) struct HeldMessages {
    queue: VecDeque<(Zeroizing<Vec<u8>>, Timestamp)>,
    /// Whether a query went out for the messages now held.
    pub query_sent: bool,
}

impl HeldMessages {
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    pub fn push(&mut self, text: &[u8], now: Timestamp) {
        self.queue.push_back((Zeroizing::new(text.to_vec()), now));
    }

    pub fn take_all(&mut self) -> Vec<Zeroizing<Vec<u8>>> {
        self.query_sent = false;
        self.queue.drain(..).map(|(text, _)| text).collect()
    }

    pub fn deadline(&self, lifetime: Duration) -> Option<Timestamp> {
        self.queue.front().map(|(_, at)| at.after(lifetime))
    }

    /// Drops expired messages; returns how many.
    pub fn expire(&mut self, now: Timestamp, lifetime: Duration) -> usize {
        let before = self.queue.len();
        while self
            .queue
            .front()
            .is_some_and(|(_, at)| at.after(lifetime) <= now)
        {
            self.queue.pop_front();
        }
        if self.queue.is_empty() {
            self.query_sent = false;
        }
        before.saturating_sub(self.queue.len())
    }
}
