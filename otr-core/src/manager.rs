//! Many buddies at once: the C# library's `OTRSessionManager`, sans-IO
//! ([`Manager`]). Changes only its sessions, its queue and the fingerprints
//! it keeps for buddies without a session.

mod action;
mod config;
mod error;
mod shared;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use otr_wire::{Fingerprint, InstanceTag, ProtocolVersion};
use rand_core::CryptoRng;

pub use action::ManagerAction;
pub use config::ManagerConfig;
pub use error::ManagerError;
use shared::{SharedClock, SharedRng};

use crate::action::Action;
use crate::ake::AuthState;
use crate::clock::{Clock, Timestamp};
use crate::config::SessionConfig;
use crate::context::MessageState;
use crate::error::SessionError;
use crate::event::ExtraKey;
use crate::identity::{
    DsaComponents, DsaSigningKey, KnownFingerprint, merge_fingerprints, parse_fingerprints,
};
use crate::policy::Policy;
use crate::session::{SendOptions, Session};
use crate::trust::{KnownFingerprints, Trust};

/// A live session and how recently it was used (for eviction).
struct Entry {
    session: Session,
    /// The manager's use count at the last call that touched this session.
    last_used: u64,
    /// When the host last acted on this buddy (sent, asked, answered).
    local_activity: Option<Timestamp>,
    /// When a message from this buddy last arrived.
    remote_activity: Option<Timestamp>,
}

/// Who caused a call on a session: the host's user, or the buddy's message.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Activity {
    Local,
    Remote,
}

/// Many buddies at once: the C# library's `OTRSessionManager`, sans-IO.
///
/// A [`Manager`] is one account (our DSA key, our instance tag, a default
/// [`SessionConfig`]) talking to many buddies. It keeps one [`Session`] per
/// buddy, keyed by the host's buddy id (a `String`: the C# library's session
/// id) and created on first use; each session routes by instance tag itself
/// (a master context per buddy and a child per buddy instance, as libotr).
/// Every session draws from the manager's one injected RNG and reads its one
/// clock, so a manager built with a seeded RNG and a manual clock replays
/// exactly.
///
/// # The loop
///
/// Nothing is pushed into the host. Every call appends what it caused to an
/// internal queue as [`ManagerAction`]s — `(buddy, instance, Action)` — in
/// order, and returns how many it appended. The host drains the queue with
/// [`Manager::poll_action`] or [`Manager::drain_actions`] after each call (or
/// after a batch of calls) and carries the actions out:
///
/// - [`Action::Send`]: put the bytes on the wire to `buddy` (one message per
///   action; fragments are separate actions, in order);
/// - [`Action::Deliver`]: show the message to the user;
/// - [`Action::Event`]: tell the user or the application (gone secure, ended,
///   errors, extra key, heartbeat, ...).
///
/// Time passes through [`Manager::poll_timeout`] (the earliest deadline of all
/// sessions) and [`Manager::handle_timeout`]. Once
/// [`ManagerConfig::max_queued_actions`] are waiting, calls that add actions
/// are refused with [`ManagerError::QueueFull`] (nothing is processed): drain
/// first. Closing sessions and timers are never refused.
///
/// # Example: Alice and Bob, each with a manager
///
/// ```
/// use std::sync::Arc;
/// use otr_core::{Manager, ManagerAction, ManagerConfig};
/// use otr_core::identity::DsaSigningKey;
/// use otr_core::otr_wire::InstanceTag;
/// use otr_core::{Action, Event, ManualClock, MessageState};
/// use rand_chacha::ChaCha20Rng;
/// use rand_core::SeedableRng;
///
/// let mut rng = ChaCha20Rng::seed_from_u64(1);
/// let clock = ManualClock::new();
/// let mut alice = Manager::new(
///     ManagerConfig::new("alice@example.org", "xmpp"),
///     Arc::new(DsaSigningKey::generate(&mut rng)?),
///     InstanceTag::new(0x1000).unwrap(),
///     Box::new(ChaCha20Rng::seed_from_u64(2)),
///     clock.clone(),
/// );
/// let mut bob = Manager::new(
///     ManagerConfig::new("bob@example.org", "xmpp"),
///     Arc::new(DsaSigningKey::generate(&mut rng)?),
///     InstanceTag::new(0x2000).unwrap(),
///     Box::new(ChaCha20Rng::seed_from_u64(3)),
///     clock,
/// );
///
/// // Alice asks Bob for a private conversation (RequestOTRSession).
/// alice.request_session("bob@example.org", None)?;
///
/// // The host's loop: drain each queue, carry out the actions, until quiet.
/// let mut shown = Vec::new();
/// loop {
///     let mut moved = false;
///     for ManagerAction { action, .. } in alice.drain_actions() {
///         if let Action::Send { message: wire, .. } = action {
///             bob.handle_input("alice@example.org", &wire)?; // ProcessOTRMessage
///             moved = true;
///         }
///     }
///     for ManagerAction { buddy, action, .. } in bob.drain_actions() {
///         match action {
///             Action::Send { message: wire, .. } => {
///                 alice.handle_input("bob@example.org", &wire)?;
///                 moved = true;
///             }
///             Action::Deliver { message, .. } => shown.push((buddy, message.text)),
///             Action::Event { event: Event::GoneSecure(info), .. } => {
///                 println!("private with {buddy}: {}", info.fingerprint.to_human());
///             }
///             _ => {}
///         }
///     }
///     if !moved {
///         break;
///     }
///     // Once private, Alice says something (EncryptMessage).
///     if alice.message_state("bob@example.org") == MessageState::Encrypted && shown.is_empty() {
///         alice.send_message("bob@example.org", "hello bob")?;
///     }
/// }
/// assert_eq!(bob.message_state("alice@example.org"), MessageState::Encrypted);
/// assert_eq!(shown, vec![("alice@example.org".to_owned(), b"hello bob".to_vec())]);
/// assert_eq!(alice.buddy_fingerprint("bob@example.org"), Some(bob.our_fingerprint()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Limits
///
/// At most [`ManagerConfig::max_buddies`] sessions live at once, and an
/// incoming message is never refused for lack of room: creating one more
/// session evicts the one that least needs its place. In order: sessions with
/// nothing going on (every instance PLAINTEXT or FINISHED, no exchange, no
/// held messages), then those with an exchange in progress, then idle private
/// conversations, then private conversations only the buddy kept busy
/// recently, then sessions holding messages; last of all the user's own
/// conversations — where the host acted (sent, asked, answered) within
/// [`ManagerConfig::active_window`], or private with a trusted key and busy
/// within it. Within a group the least recently used goes first, so a flood
/// of strangers only ever evicts strangers while any are left. The evicted
/// buddy's known fingerprints are kept (those with no trust only up to
/// [`ManagerConfig::max_remembered_untrusted`] buddies), and the host is told
/// with [`Event::SessionEvicted`](crate::Event::SessionEvicted) (and
/// [`Event::HeldMessagesExpired`](crate::Event::HeldMessagesExpired) for
/// messages that were still held).
pub struct Manager {
    config: ManagerConfig,
    identity: Arc<DsaSigningKey>,
    our_tag: InstanceTag,
    rng: SharedRng,
    clock: SharedClock,
    /// The live sessions by buddy. A hash map: a message to one of many
    /// buddies finds its session in one or two cache lines, where a B-tree
    /// compares the name against a dozen keys, each a cache miss. Whatever
    /// walks them in an order the host sees sorts the names first.
    /// Entries are boxed: a table keeps spare buckets (up to half of them
    /// after it grows), which then cost a pointer, not a whole session.
    sessions: HashMap<String, Box<Entry>>,
    overrides: BTreeMap<String, SessionConfig>,
    /// Known fingerprints of buddies without a live session (loaded from a
    /// file, set by the host, or kept from an evicted or closed session).
    stored_trust: BTreeMap<String, KnownFingerprints>,
    /// Buddies in `stored_trust` with no trusted fingerprint, oldest first
    /// (forgotten beyond `max_remembered_untrusted`).
    untrusted_order: VecDeque<String>,
    queue: VecDeque<ManagerAction>,
    uses: u64,
}

impl core::fmt::Debug for Manager {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Manager")
            .field("account", &self.config.account)
            .field("our_tag", &self.our_tag)
            .field("sessions", &self.sessions.len())
            .field("queued", &self.queue.len())
            .finish_non_exhaustive()
    }
}

impl Manager {
    /// A manager for one account (the C# `OTRSessionManager(my_id)`).
    ///
    /// `identity` is our long-term key (load it with
    /// [`parse_privkeys`](crate::identity::parse_privkeys) or build it from
    /// P, Q, G, X with
    /// [`DsaSigningKey::from_dsa_components`]), `our_tag` our instance tag
    /// (keep it across runs: libotr's instag file). Every session draws from
    /// `rng` and reads `clock`.
    #[must_use]
    pub fn new(
        config: ManagerConfig,
        identity: Arc<DsaSigningKey>,
        our_tag: InstanceTag,
        rng: impl CryptoRng + Send + 'static,
        clock: impl Clock + 'static,
    ) -> Self {
        Self {
            config,
            identity,
            our_tag,
            rng: SharedRng::new(Box::new(rng)),
            clock: SharedClock::new(clock),
            sessions: HashMap::new(),
            overrides: BTreeMap::new(),
            stored_trust: BTreeMap::new(),
            untrusted_order: VecDeque::new(),
            queue: VecDeque::new(),
            uses: 0,
        }
    }

    /// A manager with the operating system's randomness
    /// ([`OsRandom`](crate::OsRandom)) and monotonic clock
    /// ([`StdClock`](crate::StdClock), epoch now).
    ///
    /// # Errors
    /// [`RandomnessUnavailable`](crate::RandomnessUnavailable) when the OS
    /// gives no randomness.
    #[cfg(all(
        feature = "getrandom",
        not(all(target_arch = "wasm32", target_os = "unknown"))
    ))]
    pub fn with_system_defaults(
        config: ManagerConfig,
        identity: Arc<DsaSigningKey>,
        our_tag: InstanceTag,
    ) -> Result<Self, crate::RandomnessUnavailable> {
        Ok(Self::new(
            config,
            identity,
            our_tag,
            crate::OsRandom::new()?,
            crate::StdClock::new(),
        ))
    }

    /// The settings.
    #[must_use]
    pub fn config(&self) -> &ManagerConfig {
        &self.config
    }

    /// Our instance tag.
    #[must_use]
    pub fn our_instance_tag(&self) -> InstanceTag {
        self.our_tag
    }

    /// Our fingerprint (the C# `GetSessionDSAFingerPrint`).
    #[must_use]
    pub fn our_fingerprint(&self) -> Fingerprint {
        self.identity.fingerprint()
    }

    /// Our key's P, Q, G and secret X (the C# `GetSessionDSAHexParams`; hex
    /// with [`DsaComponents::p_hex`] etc.). Handle with care: X is the private
    /// key.
    #[must_use]
    pub fn dsa_components(&self) -> DsaComponents {
        self.identity.components()
    }

    /// The manager's clock, now (to turn [`Manager::poll_timeout`] into a
    /// delay).
    #[must_use]
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// The protocol versions the default policy allows, newest first (the C#
    /// `GetSupportedOTRVersionList`).
    #[must_use]
    pub fn supported_versions(&self) -> Vec<ProtocolVersion> {
        let policy = self.config.session.policy;
        [
            (Policy::ALLOW_V3, ProtocolVersion::V3),
            (Policy::ALLOW_V2, ProtocolVersion::V2),
        ]
        .into_iter()
        .filter(|(bit, _)| policy.contains(*bit))
        .map(|(_, version)| version)
        .collect()
    }

    // ---- sessions ----------------------------------------------------------

    /// The session with `buddy`, if there is one.
    #[must_use]
    pub fn session(&self, buddy: &str) -> Option<&Session> {
        self.sessions.get(buddy).map(|e| &e.session)
    }

    /// The session with `buddy`, created if there is none (the C#
    /// `CreateOTRSession`).
    ///
    /// Actions returned by calls made directly on the session bypass the
    /// queue; prefer [`Manager::with_session`], which queues them.
    ///
    /// Creating a session may evict another (see [Limits](Manager#limits)).
    pub fn session_mut(&mut self, buddy: &str) -> &mut Session {
        self.entry(buddy, Activity::Local)
    }

    /// Runs `f` on the session with `buddy` (created if needed) and queues the
    /// actions it returns — for session calls the manager does not wrap (SMP,
    /// instance-specific extra keys, held messages). Returns how many actions
    /// were queued.
    ///
    /// # Errors
    /// [`ManagerError::QueueFull`], or what `f` returns.
    pub fn with_session<F>(&mut self, buddy: &str, f: F) -> Result<usize, ManagerError>
    where
        F: FnOnce(&mut Session) -> Result<Vec<Action>, SessionError>,
    {
        self.check_queue()?;
        let actions = f(self.entry(buddy, Activity::Local))?;
        Ok(self.push(buddy, actions))
    }

    /// The buddies with a live session, in order.
    pub fn buddies(&self) -> impl Iterator<Item = &str> {
        let mut names: Vec<&str> = self.sessions.keys().map(String::as_str).collect();
        names.sort_unstable();
        names.into_iter()
    }

    /// How many sessions are live.
    #[must_use]
    pub fn session_count(&self) -> usize {
        self.sessions.len()
    }

    /// Gives `buddy` its own session settings. A live session takes the
    /// settings at once.
    ///
    /// # Errors
    /// [`SessionError::MaxMessageSizeTooSmall`] (nothing is changed).
    pub fn set_buddy_config(
        &mut self,
        buddy: &str,
        config: SessionConfig,
    ) -> Result<(), ManagerError> {
        if let Some(entry) = self.sessions.get_mut(buddy) {
            entry.session.set_config(config.clone())?;
        }
        self.overrides.insert(buddy.to_owned(), config);
        Ok(())
    }

    /// The settings a new session with `buddy` gets.
    #[must_use]
    pub fn buddy_config(&self, buddy: &str) -> &SessionConfig {
        self.overrides.get(buddy).unwrap_or(&self.config.session)
    }

    // ---- inputs ------------------------------------------------------------

    /// Handles a message received from `buddy` (the C# `ProcessOTRMessage`).
    /// Returns how many actions were queued.
    ///
    /// # Errors
    /// [`ManagerError::QueueFull`]: the message was not processed (drain the
    /// queue first). Room for a new buddy is always made (see
    /// [Limits](Manager#limits)).
    pub fn handle_input(&mut self, buddy: &str, input: &[u8]) -> Result<usize, ManagerError> {
        self.check_queue()?;
        let actions = self.entry(buddy, Activity::Remote).handle_input(input);
        Ok(self.push(buddy, actions))
    }

    /// Sends a message to `buddy`'s best instance (the C# `EncryptMessage`):
    /// encrypted when private, held (with a query sent) when encryption is
    /// required, otherwise plaintext as the policy says.
    ///
    /// # Errors
    /// [`ManagerError::QueueFull`], or the session's refusal (NUL in the
    /// text, too many held messages).
    pub fn send_message(
        &mut self,
        buddy: &str,
        text: impl AsRef<[u8]>,
    ) -> Result<usize, ManagerError> {
        self.send_message_with(buddy, text, &SendOptions::default())
    }

    /// Sends a message with options: the instance, a padding length (the C#
    /// `EncryptMessage(.., pad_length)`), TLVs.
    ///
    /// # Errors
    /// As [`Manager::send_message`], and [`SessionError::UnknownInstance`].
    pub fn send_message_with(
        &mut self,
        buddy: &str,
        text: impl AsRef<[u8]>,
        options: &SendOptions,
    ) -> Result<usize, ManagerError> {
        self.check_queue()?;
        let actions = self
            .entry(buddy, Activity::Local)
            .send_message_with(text.as_ref(), options)?;
        Ok(self.push(buddy, actions))
    }

    /// Sends a message split into fragments of at most `fragment_len` bytes,
    /// for this message only (the C# `EncryptFragments`).
    ///
    /// # Errors
    /// As [`Manager::send_message`], and
    /// [`SessionError::MaxMessageSizeTooSmall`] for 1..=37.
    pub fn send_fragments(
        &mut self,
        buddy: &str,
        text: impl AsRef<[u8]>,
        fragment_len: usize,
    ) -> Result<usize, ManagerError> {
        self.check_queue()?;
        let session = self.entry(buddy, Activity::Local);
        let previous = session.config().max_message_size;
        session.set_max_message_size(fragment_len)?;
        let sent = session.send_message(text.as_ref());
        session.set_max_message_size(previous)?;
        let actions = sent?;
        Ok(self.push(buddy, actions))
    }

    /// Asks `buddy` for a private conversation (the C# `RequestOTRSession`):
    /// a query offering `version` only, or every version the policy allows.
    ///
    /// # Errors
    /// [`ManagerError::VersionNotAllowed`] when the policy does not allow
    /// `version`, [`SessionError::OtrDisabled`] when it allows none,
    /// [`ManagerError::QueueFull`].
    pub fn request_session(
        &mut self,
        buddy: &str,
        version: Option<ProtocolVersion>,
    ) -> Result<usize, ManagerError> {
        self.check_queue()?;
        let session = self.entry(buddy, Activity::Local);
        let policy = session.config().policy;
        let actions = match version {
            None => session.send_query(),
            Some(version) => {
                let bit = match version {
                    ProtocolVersion::V2 => Policy::ALLOW_V2,
                    ProtocolVersion::V3 => Policy::ALLOW_V3,
                    _ => Policy::NEVER,
                };
                if bit == Policy::NEVER || !policy.contains(bit) {
                    return Err(ManagerError::VersionNotAllowed {
                        version: version.number(),
                    });
                }
                let versions = Policy::ALLOW_V1 | Policy::ALLOW_V2 | Policy::ALLOW_V3;
                session.set_policy(policy.without(versions) | bit);
                let actions = session.send_query();
                session.set_policy(policy);
                actions
            }
        };
        if actions.is_empty() {
            return Err(SessionError::OtrDisabled.into());
        }
        Ok(self.push(buddy, actions))
    }

    /// Ends the private conversation with `buddy` (every instance) and drops
    /// the session, keeping its known fingerprints (the C# `CloseSession`).
    /// Returns how many actions were queued (0 when there was no session).
    pub fn close_session(&mut self, buddy: &str) -> usize {
        let Some(mut entry) = self.sessions.remove(buddy) else {
            return 0;
        };
        let actions = entry.session.end();
        self.retire(buddy, &entry.session);
        self.push(buddy, actions)
    }

    /// Closes every session (the C# `CloseAllSessions`). Returns how many
    /// actions were queued.
    pub fn close_all_sessions(&mut self) -> usize {
        let mut buddies: Vec<String> = self.sessions.keys().cloned().collect();
        buddies.sort_unstable();
        buddies.iter().map(|b| self.close_session(b)).sum()
    }

    /// Uses the extra symmetric key with `buddy`'s best instance (the C#
    /// `RequestExtraKeyUse` / `GetExtraSymmetricKey`): queues the TLV 8
    /// message telling the buddy and returns the key, the same one the buddy
    /// gets in [`Event::ExtraSymmetricKey`](crate::Event::ExtraSymmetricKey).
    ///
    /// # Errors
    /// [`SessionError::NotPrivate`] when there is no private conversation,
    /// [`ManagerError::QueueFull`].
    pub fn extra_symmetric_key(
        &mut self,
        buddy: &str,
        use_id: u32,
        use_data: &[u8],
    ) -> Result<ExtraKey, ManagerError> {
        self.check_queue()?;
        let session = self.existing(buddy)?;
        let (key, actions) = session.extra_symmetric_key(None, use_id, use_data)?;
        self.push(buddy, actions);
        Ok(key)
    }

    /// Sends a heartbeat to `buddy` now (the C# `SendHeartBeat`).
    ///
    /// # Errors
    /// [`SessionError::NotPrivate`] when there is no private conversation,
    /// [`ManagerError::QueueFull`].
    pub fn send_heartbeat(&mut self, buddy: &str) -> Result<usize, ManagerError> {
        self.check_queue()?;
        let actions = self.existing(buddy)?.send_heartbeat()?;
        Ok(self.push(buddy, actions))
    }

    // ---- state -------------------------------------------------------------

    /// The message state of `buddy`'s best instance (the C#
    /// `GetSessionMessageState`); PLAINTEXT when there is no session.
    #[must_use]
    pub fn message_state(&self, buddy: &str) -> MessageState {
        self.session(buddy)
            .map_or(MessageState::Plaintext, |s| s.best_instance().message_state)
    }

    /// The fingerprint of `buddy`'s key in the private conversation with their
    /// best instance (the C# `GetMyBuddyFingerPrint`).
    #[must_use]
    pub fn buddy_fingerprint(&self, buddy: &str) -> Option<Fingerprint> {
        self.session(buddy)?.best_instance().fingerprint
    }

    // ---- trust -------------------------------------------------------------

    /// Records `buddy`'s fingerprint and its trust, whether or not a session
    /// is live. `trust` is a [`Trust`] or a libotr trust string.
    pub fn set_trust(&mut self, buddy: &str, fingerprint: Fingerprint, trust: impl Into<Trust>) {
        let trust = trust.into();
        match self.sessions.get_mut(buddy) {
            Some(entry) => entry.session.set_trust(fingerprint, trust),
            None => {
                self.stored_trust
                    .entry(buddy.to_owned())
                    .or_default()
                    .set(fingerprint, trust);
            }
        }
    }

    /// `buddy`'s known fingerprints and their trust.
    #[must_use]
    pub fn known_fingerprints(&self, buddy: &str) -> KnownFingerprints {
        match self.session(buddy) {
            Some(session) => session.known_fingerprints().clone(),
            None => self.stored_trust.get(buddy).cloned().unwrap_or_default(),
        }
    }

    /// Loads libotr's fingerprints file: the entries of this manager's
    /// account and protocol ([`ManagerConfig::account`],
    /// [`ManagerConfig::protocol`]) become known fingerprints (live sessions
    /// at once, others when their session is created), in file order, so a
    /// repeated entry's last trust wins as in libotr. Entries whose buddy name
    /// is not UTF-8 cannot name a session here and are left to the file
    /// ([`Manager::merge_fingerprints_into`] keeps them). Returns how many
    /// entries were applied.
    pub fn load_fingerprints(&mut self, file: &[u8]) -> usize {
        let account = self.config.account.as_bytes();
        let protocol = self.config.protocol.as_bytes();
        let ours: Vec<(String, Fingerprint, Trust)> = parse_fingerprints(file)
            .into_iter()
            .filter(|k| k.account == account && k.protocol == protocol)
            .filter_map(|k| Some((String::from_utf8(k.username).ok()?, k.fingerprint, k.trust)))
            .collect();
        let applied = ours.len();
        for (buddy, fingerprint, trust) in ours {
            self.set_trust(&buddy, fingerprint, trust);
        }
        applied
    }

    /// The fingerprints file with this account's known fingerprints merged
    /// in: `existing` is the file as it is now (empty if there is none).
    /// Lines of other accounts and protocols, and lines this manager cannot
    /// read, are kept byte for byte; this account's lines become exactly what
    /// the manager knows (see [`merge_fingerprints`](crate::identity::merge_fingerprints)).
    /// Save the result with
    /// [`write_private_file`](crate::identity::write_private_file).
    ///
    /// # Errors
    /// [`ManagerError::Fingerprints`] when a buddy id, the account or the
    /// protocol holds a tab, newline or NUL, or a trust holds a newline,
    /// carriage return or NUL.
    pub fn merge_fingerprints_into(&self, existing: &[u8]) -> Result<Vec<u8>, ManagerError> {
        let mut all: BTreeMap<&str, &KnownFingerprints> = self
            .stored_trust
            .iter()
            .map(|(buddy, known)| (buddy.as_str(), known))
            .collect();
        for (buddy, entry) in &self.sessions {
            all.insert(buddy, entry.session.known_fingerprints());
        }
        let account = self.config.account.as_bytes();
        let protocol = self.config.protocol.as_bytes();
        let entries: Vec<KnownFingerprint> = all
            .into_iter()
            .flat_map(|(buddy, known)| {
                known
                    .iter()
                    .map(move |(fingerprint, trust)| KnownFingerprint {
                        username: buddy.as_bytes().to_vec(),
                        account: account.to_vec(),
                        protocol: protocol.to_vec(),
                        fingerprint: *fingerprint,
                        trust: trust.clone(),
                    })
            })
            .collect();
        Ok(merge_fingerprints(existing, account, protocol, &entries)?)
    }

    // ---- timers ------------------------------------------------------------

    /// When [`Manager::handle_timeout`] is next needed: the earliest deadline
    /// of all sessions.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.sessions
            .values()
            .filter_map(|e| e.session.poll_timeout())
            .min()
    }

    /// How long from now (by the manager's clock) until the next timer of
    /// any session is due: zero if one is due already, `None` if none is set.
    #[must_use]
    pub fn timeout_in(&self) -> Option<core::time::Duration> {
        self.poll_timeout().map(|at| at.since(self.clock.now()))
    }

    /// Runs every timer due now by the manager's clock (see
    /// [`Manager::handle_timeout`]); returns how many actions were queued.
    pub fn handle_due_timeouts(&mut self) -> usize {
        let now = self.clock.now();
        self.handle_timeout(now)
    }

    /// Runs the timers of every session due at `now` and queues what they
    /// cause. Calling it early does nothing. Returns how many actions were
    /// queued. (Timers always run, even when the queue is full.)
    pub fn handle_timeout(&mut self, now: Timestamp) -> usize {
        let mut due: Vec<&String> = self
            .sessions
            .iter()
            .filter(|(_, e)| e.session.poll_timeout().is_some_and(|t| t <= now))
            .map(|(buddy, _)| buddy)
            .collect();
        due.sort_unstable();
        let due: Vec<String> = due.into_iter().cloned().collect();
        let mut caused = Vec::new();
        for buddy in &due {
            if let Some(entry) = self.sessions.get_mut(buddy) {
                let actions = entry.session.handle_timeout(now);
                caused.extend(actions.into_iter().map(|a| ManagerAction::new(buddy, a)));
            }
        }
        let count = caused.len();
        self.queue.extend(caused);
        count
    }

    // ---- the queue ---------------------------------------------------------

    /// The next action for the host, in order.
    pub fn poll_action(&mut self) -> Option<ManagerAction> {
        self.queue.pop_front()
    }

    /// Every waiting action, in order.
    pub fn drain_actions(&mut self) -> Vec<ManagerAction> {
        self.queue.drain(..).collect()
    }

    /// How many actions are waiting.
    #[must_use]
    pub fn queued_actions(&self) -> usize {
        self.queue.len()
    }

    // ---- internals ---------------------------------------------------------

    fn check_queue(&self) -> Result<(), ManagerError> {
        let queued = self.queue.len();
        if queued >= self.config.max_queued_actions {
            return Err(ManagerError::QueueFull { queued });
        }
        Ok(())
    }

    fn push(&mut self, buddy: &str, actions: Vec<Action>) -> usize {
        let count = actions.len();
        self.queue
            .extend(actions.into_iter().map(|a| ManagerAction::new(buddy, a)));
        count
    }

    fn touch(&mut self) -> u64 {
        self.uses = self.uses.wrapping_add(1);
        self.uses
    }

    /// The live session with `buddy` (not created), marked used by the host.
    fn existing(&mut self, buddy: &str) -> Result<&mut Session, ManagerError> {
        let use_count = self.touch();
        let now = self.clock.now();
        let entry = self
            .sessions
            .get_mut(buddy)
            .ok_or(SessionError::NotPrivate)?;
        entry.last_used = use_count;
        entry.local_activity = Some(now);
        Ok(&mut entry.session)
    }

    /// The session with `buddy`, created (evicting one if needed), marked used.
    fn entry(&mut self, buddy: &str, by: Activity) -> &mut Session {
        let use_count = self.touch();
        let now = self.clock.now();
        if !self.sessions.contains_key(buddy) && self.sessions.len() >= self.config.max_buddies {
            self.evict_one(now);
        }
        let entry = match self.sessions.entry(buddy.to_owned()) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let session = Self::new_session(
                    &self.config,
                    &self.overrides,
                    &mut self.stored_trust,
                    &self.identity,
                    self.our_tag,
                    &self.rng,
                    &self.clock,
                    buddy,
                );
                e.insert(Box::new(Entry {
                    session,
                    last_used: use_count,
                    local_activity: None,
                    remote_activity: None,
                }))
            }
        };
        entry.last_used = use_count;
        match by {
            Activity::Local => entry.local_activity = Some(now),
            Activity::Remote => entry.remote_activity = Some(now),
        }
        &mut entry.session
    }

    #[allow(clippy::too_many_arguments)]
    fn new_session(
        config: &ManagerConfig,
        overrides: &BTreeMap<String, SessionConfig>,
        stored_trust: &mut BTreeMap<String, KnownFingerprints>,
        identity: &Arc<DsaSigningKey>,
        our_tag: InstanceTag,
        rng: &SharedRng,
        clock: &SharedClock,
        buddy: &str,
    ) -> Session {
        let session_config = overrides.get(buddy).unwrap_or(&config.session).clone();
        let mut session = Session::new(
            session_config,
            Arc::clone(identity),
            our_tag,
            rng.clone(),
            clock.clone(),
        );
        for (fingerprint, trust) in stored_trust.remove(buddy).unwrap_or_default().iter() {
            session.set_trust(*fingerprint, trust.clone());
        }
        session
    }

    /// Keeps what a dropped session knew about its buddy's keys: trusted
    /// fingerprints always, untrusted ones for the most recent
    /// `max_remembered_untrusted` buddies.
    fn retire(&mut self, buddy: &str, session: &Session) {
        let known = session.known_fingerprints();
        if known.is_empty() {
            return;
        }
        let record = self.stored_trust.entry(buddy.to_owned()).or_default();
        record.extend(known);
        if !record.any_trusted() {
            self.untrusted_order.push_back(buddy.to_owned());
        }
        while self.untrusted_order.len() > self.config.max_remembered_untrusted {
            let Some(oldest) = self.untrusted_order.pop_front() else {
                break;
            };
            let still_untrusted = !self.sessions.contains_key(&oldest)
                && self
                    .stored_trust
                    .get(&oldest)
                    .is_some_and(|r| !r.any_trusted());
            if still_untrusted {
                self.stored_trust.remove(&oldest);
            }
        }
    }

    /// How much a session needs its place (lower is evicted first): see
    /// [Limits](Manager#limits).
    fn keep_rank(&self, entry: &Entry, now: Timestamp) -> u8 {
        let window = self.config.active_window;
        let recent = |t: Option<Timestamp>| t.is_some_and(|t| now.since(t) < window);
        let instances = entry.session.instances();
        let private = instances
            .iter()
            .any(|i| i.message_state == MessageState::Encrypted);
        let trusted = instances.iter().any(|i| {
            i.message_state == MessageState::Encrypted
                && i.trust.as_ref().is_some_and(Trust::is_trusted)
        });
        let in_ake = instances.iter().any(|i| i.auth_state != AuthState::None);
        let held = entry.session.held_message_count() > 0;
        if recent(entry.local_activity) || (trusted && recent(entry.remote_activity)) {
            5
        } else if held {
            4
        } else if private && recent(entry.remote_activity) {
            3
        } else if private {
            2
        } else if in_ake {
            1
        } else {
            0
        }
    }

    /// Evicts the session that least needs its place, telling the host.
    fn evict_one(&mut self, now: Timestamp) {
        let victim = self
            .sessions
            .iter()
            .map(|(buddy, entry)| ((self.keep_rank(entry, now), entry.last_used), buddy))
            .min()
            .map(|(_, buddy)| buddy.clone());
        let Some(victim) = victim else {
            return;
        };
        if let Some(mut entry) = self.sessions.remove(&victim) {
            let held = entry.session.drop_held_messages();
            self.retire(&victim, &entry.session);
            let mut events = vec![Action::Event {
                instance: None,
                event: crate::event::Event::SessionEvicted,
            }];
            if held > 0 {
                events.push(Action::Event {
                    instance: None,
                    event: crate::event::Event::HeldMessagesExpired { count: held },
                });
            }
            self.push(&victim, events);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Manager;

    /// A host may move a manager into a thread or an async task.
    #[test]
    fn a_manager_is_send() {
        fn is_send<T: Send>() {}
        is_send::<Manager>();
    }
}
