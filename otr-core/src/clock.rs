//! Time as an input: the engine reads time only through the [`Clock`] the host
//! injects at construction ([`StdClock`] on std hosts, a [`ManualClock`] in
//! tests, the host's own elsewhere), and the host drives timers with
//! `poll_timeout` (or `timeout_in`) and `handle_timeout`.
//!
//! One model everywhere: a [`Timestamp`] is the time elapsed since an epoch
//! of the clock's choosing, a [`Duration`]. [`StdClock::instant`] turns one
//! back into a [`std::time::Instant`] for `sleep_until`-style timers.

use core::time::Duration;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A point in time: the time elapsed since an epoch of the host's choosing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub Duration);

impl Timestamp {
    /// The clock's epoch.
    pub const ZERO: Self = Self(Duration::ZERO);

    /// The timestamp `elapsed` after the clock's epoch.
    #[must_use]
    pub const fn from_duration(elapsed: Duration) -> Self {
        Self(elapsed)
    }

    /// The time elapsed since the clock's epoch.
    #[must_use]
    pub const fn as_duration(self) -> Duration {
        self.0
    }

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

impl From<Duration> for Timestamp {
    fn from(elapsed: Duration) -> Self {
        Self(elapsed)
    }
}

impl From<Timestamp> for Duration {
    fn from(t: Timestamp) -> Self {
        t.0
    }
}

/// A source of the current time. It must never go backwards (a clock that
/// does only delays timers; nothing breaks).
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> Timestamp;
}

impl<C: Clock + ?Sized> Clock for Box<C> {
    fn now(&self) -> Timestamp {
        (**self).now()
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> Timestamp {
        (**self).now()
    }
}

/// The system's monotonic clock ([`std::time::Instant`]), measured from the
/// clock's creation; copies share the epoch.
///
/// Not available on `wasm32-unknown-unknown`, where `Instant` panics: hosts
/// there implement [`Clock`] over their own time source (e.g.
/// `performance.now()`).
#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
#[derive(Debug, Clone, Copy)]
pub struct StdClock {
    start: std::time::Instant,
}

#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
impl StdClock {
    /// A clock whose epoch is now.
    #[must_use]
    pub fn new() -> Self {
        Self {
            start: std::time::Instant::now(),
        }
    }

    /// A clock whose epoch is `start`.
    #[must_use]
    pub fn starting_at(start: std::time::Instant) -> Self {
        Self { start }
    }

    /// The [`Instant`](std::time::Instant) a timestamp of this clock stands
    /// for: what `poll_timeout` returns, ready for `sleep_until`.
    #[must_use]
    pub fn instant(&self, t: Timestamp) -> std::time::Instant {
        // A timestamp beyond what `Instant` can hold is "a year from the
        // epoch" rather than a panic.
        const FAR: Duration = Duration::from_secs(365 * 24 * 60 * 60);
        self.start
            .checked_add(t.0)
            .or_else(|| self.start.checked_add(FAR))
            .unwrap_or(self.start)
    }

    /// The timestamp of this clock for `instant` (the epoch if it is earlier).
    #[must_use]
    pub fn timestamp(&self, instant: std::time::Instant) -> Timestamp {
        Timestamp(instant.saturating_duration_since(self.start))
    }
}

#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
impl Default for StdClock {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
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

    #[test]
    fn timestamps_convert_to_and_from_durations_and_instants() {
        let d = Duration::from_millis(1500);
        assert_eq!(Timestamp::from(d), Timestamp::from_duration(d));
        assert_eq!(Duration::from(Timestamp::from(d)), d);
        assert_eq!(Timestamp::ZERO.after(d).as_duration(), d);
        let start = std::time::Instant::now();
        let clock = StdClock::starting_at(start);
        assert_eq!(clock.instant(Timestamp::from(d)), start + d);
        assert_eq!(clock.timestamp(start + d), Timestamp::from(d));
        assert_eq!(clock.timestamp(start), Timestamp::ZERO);
        let boxed: Box<dyn Clock> = Box::new(clock);
        assert!(boxed.now() >= Timestamp::ZERO);
    }
}
