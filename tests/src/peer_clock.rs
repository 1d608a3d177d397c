//! The peer's clock: the system's monotonic clock, shifted by an offset read
//! (on every call) from the file named by `OTR_FAKETIME_FILE` — the same
//! convention as the libotr peer's time shim, so a test can advance both.

use std::path::PathBuf;
use std::time::Duration;

use otr_core::{Clock, StdClock, Timestamp};

/// The environment variable naming the offset file.
pub const FAKETIME_VAR: &str = "OTR_FAKETIME_FILE";

/// A clock whose offset (integer seconds) is read from a file.
#[derive(Debug, Clone)]
pub struct PeerClock {
    base: StdClock,
    offset_file: Option<PathBuf>,
}

impl PeerClock {
    /// The clock for this process (honours `OTR_FAKETIME_FILE`).
    #[must_use]
    pub fn from_env() -> Self {
        Self {
            base: StdClock::new(),
            offset_file: std::env::var_os(FAKETIME_VAR).map(PathBuf::from),
        }
    }

    fn offset(&self) -> Duration {
        let Some(path) = &self.offset_file else {
            return Duration::ZERO;
        };
        std::fs::read_to_string(path)
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map_or(Duration::ZERO, Duration::from_secs)
    }
}

impl Clock for PeerClock {
    fn now(&self) -> Timestamp {
        self.base.now().after(self.offset())
    }
}
