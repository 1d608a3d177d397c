//! The authenticated key exchange (spec "Authenticated Key Exchange" and
//! "Receiving a D-H Commit/Key/Reveal Signature/Signature Message").
//! Changes only the [`Exchange`] it is called on.
//!
//! ```text
//!  initiator (Bob in the spec)                 responder (Alice)
//!  D-H Commit  AES_r(g^x), SHA256(g^x)   ─►   AWAITING_REVEALSIG
//!  AWAITING_DHKEY                       ◄─   D-H Key  g^y
//!  Reveal Sig  r, AES_c(X_B), MAC_m2     ─►   verify → ENCRYPTED
//!  AWAITING_SIG                         ◄─   Signature  AES_c'(X_A), MAC_m2'
//!  verify → ENCRYPTED
//! ```
//!
//! Each state owns only its own secrets ([`Exchange`] is an enum of
//! per-state structs, one file each), so a transition drops and zeroizes
//! what the previous state held. A message that fails any check leaves the
//! state exactly as it was, so a forged message cannot knock out a genuine
//! exchange in progress.

mod awaiting_dh_key;
mod awaiting_reveal_sig;
mod awaiting_sig;
mod identity_block;
mod keys;
#[cfg(test)]
mod tests;

use core::fmt;

use otr_smp::group::GroupElement;
use otr_wire::{
    DhCommit, DhKey, EncodedMessage, Header, MessageBody, ProtocolVersion, RevealSignature,
    SignatureMessage, armor,
};
use rand_core::CryptoRng;

use crate::dh::DhKeyPair;
use crate::identity::{DsaSigningKey, DsaVerifyingKey};
use crate::trust::KnownFingerprints;

use awaiting_dh_key::AwaitingDhKey;
use awaiting_reveal_sig::AwaitingRevealSig;
use awaiting_sig::AwaitingSig;
#[cfg(test)]
pub(crate) use keys::AkeKeys;
pub use keys::SecureSessionId;

/// The key id of the DH key exchanged in an AKE (libotr always uses 1).
pub const AKE_KEYID: u32 = 1;

/// Where the AKE of an instance stands (libotr's `authstate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthState {
    /// No exchange in progress.
    None,
    /// We sent a D-H Commit.
    AwaitingDhKey,
    /// We sent a D-H Key.
    AwaitingRevealSig,
    /// We sent a Reveal Signature.
    AwaitingSig,
}

/// The exchange of one instance, each state holding only its own secrets.
#[derive(Default)]
pub(crate) enum Exchange {
    #[default]
    None,
    AwaitingDhKey(Box<AwaitingDhKey>),
    AwaitingRevealSig(Box<AwaitingRevealSig>),
    AwaitingSig(Box<AwaitingSig>),
}

impl fmt::Debug for Exchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Exchange::{:?}", self.state())
    }
}

/// A completed exchange: everything the data phase starts from.
pub(crate) struct AkeSuccess {
    pub version: ProtocolVersion,
    pub ssid: SecureSessionId,
    /// True when we sent the Reveal Signature: we show the first half bold.
    pub first_half_bold: bool,
    pub their_key: DsaVerifyingKey,
    pub their_keyid: u32,
    pub their_dh: GroupElement,
    pub our_dh: DhKeyPair,
    pub our_keyid: u32,
}

/// What handling one AKE message produced.
pub(crate) enum AkeOutput {
    /// Nothing to do (out of state, another version, a duplicate to ignore).
    Ignored,
    /// A message to send (armoured); the exchange goes on.
    Reply(Vec<u8>),
    /// The exchange completed; `reply` (the Signature) goes out first.
    Completed {
        reply: Option<Vec<u8>>,
        success: Box<AkeSuccess>,
    },
    /// The message failed a check; the state is as it was.
    Rejected(AkeFailure),
    /// The message is our own, reflected back at us.
    Reflected,
}

/// Why an AKE message was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AkeFailure {
    /// A DH value outside [2, p − 2] or not an MPI.
    BadDhValue,
    /// The revealed key does not decrypt a `g^x` matching the committed hash.
    CommitMismatch,
    /// MAC_m2 / MAC_m2' did not verify.
    BadMac,
    /// The decrypted identity block is malformed or its key unusable.
    BadIdentity,
    /// The DSA signature did not verify.
    BadSignature,
    /// The buddy's key, seen for the first time, is not a sound DSA key.
    WeakKey,
}

/// What the AKE needs from the session: our identity, randomness, the
/// header of what it sends, and the keys already seen.
pub(crate) struct AkeEnv<'a, R: CryptoRng + ?Sized> {
    pub our_key: &'a DsaSigningKey,
    pub rng: &'a mut R,
    /// The header for messages we send in this exchange.
    pub header: Header,
    /// The buddy keys this session has seen: a key not among them is
    /// validated ([`DsaVerifyingKey::validate`]) before the AKE succeeds.
    pub seen_keys: &'a KnownFingerprints,
}

impl Exchange {
    /// The state's name.
    pub fn state(&self) -> AuthState {
        match self {
            Self::None => AuthState::None,
            Self::AwaitingDhKey(_) => AuthState::AwaitingDhKey,
            Self::AwaitingRevealSig(_) => AuthState::AwaitingRevealSig,
            Self::AwaitingSig(_) => AuthState::AwaitingSig,
        }
    }

    /// The protocol version of the exchange in progress.
    pub fn version(&self) -> Option<ProtocolVersion> {
        match self {
            Self::None => None,
            Self::AwaitingDhKey(s) => Some(s.version),
            Self::AwaitingRevealSig(s) => Some(s.version),
            Self::AwaitingSig(s) => Some(s.version),
        }
    }

    /// Starts an exchange: a fresh D-H Commit, → AWAITING_DHKEY.
    pub fn start<R: CryptoRng + ?Sized>(&mut self, env: AkeEnv<'_, R>) -> Vec<u8> {
        let (state, commit) = AwaitingDhKey::start(env);
        *self = Self::AwaitingDhKey(Box::new(state));
        commit
    }

    /// A copy of our pending D-H Commit state of `version`, for a new instance
    /// of the buddy answering the master's commit (libotr's
    /// `otrl_auth_copy_on_key`).
    pub fn copy_pending_commit(&self, version: ProtocolVersion) -> Option<Self> {
        match self {
            Self::AwaitingDhKey(s) if s.version == version => {
                Some(Self::AwaitingDhKey(Box::new(s.copy())))
            }
            _ => None,
        }
    }

    /// Whether we sent a D-H Commit and await its D-H Key.
    pub fn has_pending_commit(&self) -> bool {
        matches!(self, Self::AwaitingDhKey(_))
    }

    /// Our pending D-H Commit, armoured, if we sent one and await its D-H Key.
    #[cfg(test)]
    pub fn pending_commit(&self) -> Option<Vec<u8>> {
        match self {
            Self::AwaitingDhKey(s) => Some(s.commit_message()),
            _ => None,
        }
    }

    /// The hashed g^x identifying our pending D-H Commit, if any.
    pub fn pending_commit_id(&self) -> Option<[u8; 32]> {
        match self {
            Self::AwaitingDhKey(s) => Some(s.hashed_gx),
            _ => None,
        }
    }

    /// Handles a received D-H Commit.
    pub fn handle_commit<R: CryptoRng + ?Sized>(
        &mut self,
        env: AkeEnv<'_, R>,
        commit: &DhCommit<'_>,
    ) -> AkeOutput {
        let version = env.header.version();
        // A commit of another version is no collision with ours: answer it.
        match self {
            Self::AwaitingDhKey(ours) if ours.version == version => {
                if let Some(output) = ours.collide(commit) {
                    return output;
                }
            }
            Self::AwaitingRevealSig(waiting) if waiting.version == version => {
                return waiting.replace_commit(commit);
            }
            _ => {}
        }
        // NONE, AWAITING_SIG, a lost collision, or a version change: a new D-H Key.
        let (state, dh_key) = AwaitingRevealSig::answer(env, commit);
        *self = Self::AwaitingRevealSig(Box::new(state));
        AkeOutput::Reply(dh_key)
    }

    /// Handles a received D-H Key.
    pub fn handle_dh_key<R: CryptoRng + ?Sized>(
        &mut self,
        env: AkeEnv<'_, R>,
        key: &DhKey<'_>,
    ) -> AkeOutput {
        let version = env.header.version();
        match self {
            Self::AwaitingDhKey(ours) if ours.version == version => {
                let answered = match ours.reveal(env, key) {
                    Ok(answered) => answered,
                    Err(output) => return output,
                };
                let Self::AwaitingDhKey(ours) = core::mem::take(self) else {
                    return AkeOutput::Ignored;
                };
                let (state, reply) = ours.into_awaiting_sig(answered);
                *self = Self::AwaitingSig(Box::new(state));
                AkeOutput::Reply(reply)
            }
            Self::AwaitingSig(waiting) if waiting.version == version => {
                waiting.repeated_dh_key(key)
            }
            _ => AkeOutput::Ignored,
        }
    }

    /// Handles a received Reveal Signature.
    pub fn handle_reveal_signature<R: CryptoRng + ?Sized>(
        &mut self,
        env: AkeEnv<'_, R>,
        message: &RevealSignature<'_>,
        authenticated: &[u8],
    ) -> AkeOutput {
        let version = env.header.version();
        let Self::AwaitingRevealSig(waiting) = self else {
            return AkeOutput::Ignored;
        };
        if waiting.version != version {
            return AkeOutput::Ignored;
        }
        let verified = match waiting.verify(env, message, authenticated) {
            Ok(v) => v,
            Err(output) => return output,
        };
        let Self::AwaitingRevealSig(waiting) = core::mem::take(self) else {
            return AkeOutput::Ignored;
        };
        verified.complete(*waiting)
    }

    /// Handles a received Signature.
    pub fn handle_signature(
        &mut self,
        version: ProtocolVersion,
        message: &SignatureMessage<'_>,
        authenticated: &[u8],
        seen_keys: &KnownFingerprints,
    ) -> AkeOutput {
        let Self::AwaitingSig(waiting) = self else {
            return AkeOutput::Ignored;
        };
        if waiting.version != version {
            return AkeOutput::Ignored;
        }
        let (their_key, their_keyid) = match waiting.verify(message, authenticated, seen_keys) {
            Ok(v) => v,
            Err(failure) => return AkeOutput::Rejected(failure),
        };
        let Self::AwaitingSig(waiting) = core::mem::take(self) else {
            return AkeOutput::Ignored;
        };
        waiting.complete(their_key, their_keyid)
    }
}

/// Armours an AKE message.
fn armoured(header: Header, body: MessageBody<'_>) -> Vec<u8> {
    EncodedMessage { header, body }
        .encode()
        .map(|bytes| armor::encode(&bytes).into_bytes())
        .unwrap_or_default()
}
