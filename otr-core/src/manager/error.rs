//! Why the manager refused a request (host misuse or a full resource; problems
//! caused by a buddy are events in the queue, not errors).

use thiserror::Error;

use crate::error::SessionError;
use crate::identity::LineFileError;

/// Why a [`Manager`](super::Manager) request could not be carried out.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ManagerError {
    /// The queue holds too many actions.
    #[error(
        "{queued} actions are waiting in the queue: drain it with poll_action or \
         drain_actions before making more requests"
    )]
    QueueFull {
        /// How many actions are waiting.
        queued: usize,
    },
    /// The policy does not allow the requested protocol version.
    #[error("the policy does not allow OTR version {version}: allow it in the session's policy")]
    VersionNotAllowed {
        /// The version number asked for.
        version: u16,
    },
    /// The session refused the request.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// The fingerprints file cannot hold a buddy id, account, protocol or trust.
    #[error(transparent)]
    Fingerprints(#[from] LineFileError),
}
