//! Time as an input: the engine never reads the system clock. The host injects
//! a [`Clock`] at construction and drives timers with `poll_timeout` /
//! `handle_timeout`; tests use a [`ManualClock`].

use core::time::Duration;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A point in time: the time elapsed since an epoch of the host's choosing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub Duration);

impl Timestamp {
    /// The timestamp `d` after this one (saturating).
    #[must_use]
    pub fn after(self, d: Duration) -> Self {
        Self(self.0.saturating_add(d))
    }

    /// How long after `earlier` this is (zero if it is not later).
    #[must_use]
    pub fn since(self, earlier: Self) -> Duration {
        self.0.saturating_sub(earlier.0)
    }

    /// Seconds since the epoch, as a float (for display).
    #[must_use]
    pub fn as_secs_f64(self) -> f64 {
        self.0.as_secs_f64()
    }
}

/// A source of the current time.
pub trait Clock: Send {
    /// Now.
    fn now(&self) -> Timestamp;
}

/// The system's monotonic clock, measured from the clock's creation.
#[derive(Debug, Clone, Copy)]
pub struct StdClock {
    start: std::time::Instant,
}

impl StdClock {
    /// A clock whose epoch is now.
    #[must_use]
    pub fn new() -> Self {
        Self {
            start: std::time::Instant::now(),
        }
    }
}

impl Default for StdClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for StdClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.start.elapsed())
    }
}

/// A clock that moves only when told to; clones share the same time.
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    millis: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock at time zero.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.millis.fetch_add(ms, Ordering::SeqCst);
    }

    /// Sets the clock.
    pub fn set(&self, to: Timestamp) {
        let ms = u64::try_from(to.0.as_millis()).unwrap_or(u64::MAX);
        self.millis.store(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(Duration::from_millis(self.millis.load(Ordering::SeqCst)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_clones_share_time() {
        let a = ManualClock::new();
        let b = a.clone();
        a.advance(Duration::from_secs(61));
        assert_eq!(b.now(), Timestamp(Duration::from_secs(61)));
        assert_eq!(b.now().since(Timestamp::default()), Duration::from_secs(61));
        assert_eq!(Timestamp::default().since(b.now()), Duration::ZERO);
    }
}
