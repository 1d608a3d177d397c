//! What the engine tells the host (the C# library's events, typed; names as
//! libotr's message events).

use core::fmt;

use otr_wire::{Fingerprint, InstanceTag, ProtocolVersion};
use zeroize::Zeroizing;

use crate::action::ReceivedTlv;
use crate::ake::SecureSessionId;
use crate::trust::Trust;

/// Details of a private conversation that was just established.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SecureInfo {
    /// The buddy's fingerprint.
    pub fingerprint: Fingerprint,
    /// The secure session id.
    pub ssid: SecureSessionId,
    /// Whether the first half of the SSID is the one we show in bold (we sent
    /// the Reveal Signature); otherwise the second half.
    pub first_half_bold: bool,
    /// The protocol version.
    pub version: ProtocolVersion,
    /// The buddy's instance tag (v3).
    pub their_instance: Option<InstanceTag>,
}

/// Why a message could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UnreadableReason {
    /// The key ids are unknown (old, future, or zero).
    UnknownKeys,
    /// The MAC did not verify.
    BadMac,
    /// The counter did not increase (a replay).
    Replay,
    /// The sender's next DH key is invalid.
    BadNextKey,
}

/// Why an AKE failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SetupFailure {
    /// A DH value out of range.
    BadDhValue,
    /// The revealed key does not open the committed `g^x`.
    CommitMismatch,
    /// A MAC did not verify.
    BadMac,
    /// The buddy's identity block or public key is unusable.
    BadIdentity,
    /// The buddy's signature did not verify.
    BadSignature,
    /// The buddy's key, never seen before, is not a sound DSA key (composite
    /// `p` or `q`, `q ∤ p − 1`, or `g` or `y` outside the order-`q`
    /// subgroup): others might forge its signatures, so it is refused.
    WeakKey,
}

/// Something the host should know about.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The conversation became private.
    GoneSecure(SecureInfo),
    /// A new AKE refreshed an already private conversation with the same buddy key.
    StillSecure(SecureInfo),
    /// The conversation left the private state (we ended it, or it became
    /// FINISHED because the buddy ended it).
    GoneInsecure,
    /// The buddy ended the private conversation (their TLV 1): sending is
    /// refused until we end or restart it.
    ConversationEndedByPeer,
    /// A buddy key we have never seen completed an AKE.
    NewFingerprint(Fingerprint),
    /// A message was held because encryption is required; a query went out.
    EncryptionRequired,
    /// A message could not be encrypted.
    EncryptionError,
    /// A send was refused because the buddy ended the private conversation.
    ConnectionEnded,
    /// The AKE failed a check.
    SetupError(SetupFailure),
    /// Our own AKE message came back to us.
    MessageReflected,
    /// Held messages were sent now that the conversation is private.
    HeldMessagesSent {
        /// How many.
        count: usize,
    },
    /// Held messages were not sent: the private conversation is with a key
    /// that is neither trusted nor the buddy's last authenticated one. The
    /// host may release or drop them.
    HeldMessagesBlocked {
        /// How many are held.
        count: usize,
        /// The new key.
        fingerprint: Fingerprint,
    },
    /// Held messages expired unsent.
    HeldMessagesExpired {
        /// How many.
        count: usize,
    },
    /// An encrypted message arrived while not private.
    ReceivedNotInPrivate,
    /// An encrypted message could not be read.
    ReceivedUnreadable(UnreadableReason),
    /// A malformed OTR message arrived.
    ReceivedMalformed,
    /// A heartbeat arrived: a data message with no text and nothing but
    /// padding (SMP, disconnect and extra-key messages are not heartbeats).
    HeartbeatReceived,
    /// We sent a heartbeat.
    HeartbeatSent,
    /// The buddy sent an OTR error message: untrusted text.
    PeerError(Vec<u8>),
    /// Plaintext arrived while private or while encryption is required; the
    /// text is here, not delivered as a message.
    ReceivedUnencrypted(Vec<u8>),
    /// An OTR message of an unknown type or version arrived.
    ReceivedUnrecognized,
    /// A message for another instance of our account arrived.
    ReceivedForOtherInstance,
    /// A message being reassembled grew past the configured limit and was dropped.
    FragmentLimitExceeded,
    /// The buddy uses the extra symmetric key.
    ExtraSymmetricKey {
        /// What for.
        use_id: u32,
        /// Use-specific data.
        use_data: Vec<u8>,
        /// The 32-byte key.
        key: ExtraKey,
    },
    /// The [`Manager`](crate::Manager) dropped this buddy's session to make
    /// room for another (its bound on live sessions): a private conversation
    /// with them must start again; their known fingerprints are kept.
    SessionEvicted,
    /// Socialist Millionaires' Protocol progress.
    Smp(SmpProgress),
    /// A data message carried more than one SMP TLV: only the first was
    /// acted on, these others were ignored (a message carries one SMP step).
    SmpTlvsIgnored {
        /// How many SMP TLVs were ignored.
        count: usize,
    },
    /// A data message with nothing for the user arrived (protocol traffic:
    /// SMP, a heartbeat, a disconnect, an extra-key notice); its TLVs in
    /// order. Reported only with
    /// [`SessionConfig::report_protocol_tlvs`](crate::SessionConfig::report_protocol_tlvs).
    ProtocolMessage {
        /// Every TLV the message carried (none for a bare heartbeat).
        tlvs: Vec<ReceivedTlv>,
    },
    /// A fingerprint's trust changed through SMP: persist it (libotr's
    /// fingerprints file, e.g. with
    /// [`Manager::merge_fingerprints_into`](crate::Manager::merge_fingerprints_into)).
    ///
    /// As libotr: a successful SMP sets [`Trust::Smp`] (the string `smp`) on
    /// the side that started it, and on the answering side only when no
    /// question was asked — whoever answers a question has shown they know
    /// the answer but learnt nothing about the asker, so their side's trust
    /// does not change (no event). A failed or cheated SMP clears `smp`
    /// trust (to [`Trust::Untrusted`]); trust the user gave by hand
    /// ([`Trust::Verified`] or another string) is never changed by SMP.
    TrustChanged {
        /// The buddy key.
        fingerprint: Fingerprint,
        /// The new trust.
        trust: Trust,
    },
}

/// What happened in the Socialist Millionaires' Protocol (libotr's SMP events).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SmpProgress {
    /// The buddy started SMP: ask the user for the shared secret (with the
    /// buddy's question, if any — untrusted text), then call
    /// `Session::answer_smp`.
    AskForSecret {
        /// The buddy's question (SMP with a question, TLV 7).
        question: Option<Vec<u8>>,
    },
    /// Our SMP request was answered; the last step is under way.
    InProgress,
    /// Both users entered the same secret: the buddy's key is authenticated
    /// (see [`Event::TrustChanged`] for which side's trust changes).
    Succeeded,
    /// The secrets differ.
    Failed,
    /// The SMP was aborted (by either side, or because the private
    /// conversation ended or was re-keyed).
    Aborted,
    /// A proof or range check failed: the buddy (or someone in the middle)
    /// cheated. SMP was reset and an abort sent.
    Cheated,
    /// An SMP message arrived out of order; SMP was reset and an abort sent.
    Error,
}

impl SmpProgress {
    /// libotr's SMP event name.
    #[must_use]
    pub fn libotr_name(&self) -> &'static str {
        match self {
            Self::AskForSecret { question: None } => "ASK_FOR_SECRET",
            Self::AskForSecret { question: Some(_) } => "ASK_FOR_ANSWER",
            Self::InProgress => "IN_PROGRESS",
            Self::Succeeded => "SUCCESS",
            Self::Failed => "FAILURE",
            Self::Aborted => "ABORT",
            Self::Cheated => "CHEATED",
            Self::Error => "ERROR",
        }
    }

    /// libotr's progress percentage.
    #[must_use]
    pub fn percent(&self) -> u8 {
        match self {
            Self::AskForSecret { .. } => 25,
            Self::InProgress => 60,
            Self::Succeeded | Self::Failed => 100,
            _ => 0,
        }
    }
}

impl Event {
    /// libotr's message-event name for this event (`OTRL_MSGEVENT_*` without
    /// the prefix), or our own name where libotr has none.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Self::GoneSecure(_) => "GONE_SECURE",
            Self::StillSecure(_) => "STILL_SECURE",
            Self::GoneInsecure => "GONE_INSECURE",
            Self::ConversationEndedByPeer => "CONVERSATION_ENDED_BY_PEER",
            Self::NewFingerprint(_) => "NEW_FINGERPRINT",
            Self::EncryptionRequired => "ENCRYPTION_REQUIRED",
            Self::EncryptionError => "ENCRYPTION_ERROR",
            Self::ConnectionEnded => "CONNECTION_ENDED",
            Self::SetupError(_) => "SETUP_ERROR",
            Self::MessageReflected => "MSG_REFLECTED",
            Self::HeldMessagesSent { .. } => "MSG_RESENT",
            Self::HeldMessagesBlocked { .. } => "HELD_MESSAGES_BLOCKED",
            Self::HeldMessagesExpired { .. } => "HELD_MESSAGES_EXPIRED",
            Self::ReceivedNotInPrivate => "RCVDMSG_NOT_IN_PRIVATE",
            Self::ReceivedUnreadable(_) => "RCVDMSG_UNREADABLE",
            Self::ReceivedMalformed => "RCVDMSG_MALFORMED",
            Self::HeartbeatReceived => "LOG_HEARTBEAT_RCVD",
            Self::HeartbeatSent => "LOG_HEARTBEAT_SENT",
            Self::PeerError(_) => "RCVDMSG_GENERAL_ERR",
            Self::ReceivedUnencrypted(_) => "RCVDMSG_UNENCRYPTED",
            Self::ReceivedUnrecognized => "RCVDMSG_UNRECOGNIZED",
            Self::ReceivedForOtherInstance => "RCVDMSG_FOR_OTHER_INSTANCE",
            Self::FragmentLimitExceeded => "FRAGMENT_LIMIT_EXCEEDED",
            Self::ExtraSymmetricKey { .. } => "EXTRA_SYMMETRIC_KEY",
            Self::SessionEvicted => "SESSION_EVICTED",
            Self::Smp(_) => "SMP",
            Self::SmpTlvsIgnored { .. } => "SMP_TLVS_IGNORED",
            Self::TrustChanged { .. } => "TRUST_CHANGED",
            Self::ProtocolMessage { .. } => "PROTOCOL_MESSAGE",
        }
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::GoneSecure(i) => f.debug_tuple("GoneSecure").field(i).finish(),
            Self::StillSecure(i) => f.debug_tuple("StillSecure").field(i).finish(),
            Self::NewFingerprint(fp) => f.debug_tuple("NewFingerprint").field(fp).finish(),
            Self::SetupError(e) => f.debug_tuple("SetupError").field(e).finish(),
            Self::ReceivedUnreadable(r) => f.debug_tuple("ReceivedUnreadable").field(r).finish(),
            Self::PeerError(t) => f
                .debug_tuple("PeerError")
                .field(&String::from_utf8_lossy(t))
                .finish(),
            Self::ReceivedUnencrypted(t) => f
                .debug_tuple("ReceivedUnencrypted")
                .field(&String::from_utf8_lossy(t))
                .finish(),
            Self::ExtraSymmetricKey {
                use_id, use_data, ..
            } => f
                .debug_struct("ExtraSymmetricKey")
                .field("use_id", use_id)
                .field("use_data", use_data)
                .finish_non_exhaustive(),
            Self::HeldMessagesSent { count } => f
                .debug_struct("HeldMessagesSent")
                .field("count", count)
                .finish(),
            Self::HeldMessagesBlocked { count, fingerprint } => f
                .debug_struct("HeldMessagesBlocked")
                .field("count", count)
                .field("fingerprint", fingerprint)
                .finish(),
            Self::Smp(p) => f.debug_tuple("Smp").field(p).finish(),
            Self::TrustChanged { fingerprint, trust } => f
                .debug_struct("TrustChanged")
                .field("fingerprint", fingerprint)
                .field("trust", trust)
                .finish(),
            Self::SmpTlvsIgnored { count } => f
                .debug_struct("SmpTlvsIgnored")
                .field("count", count)
                .finish(),
            Self::ProtocolMessage { tlvs } => f
                .debug_struct("ProtocolMessage")
                .field("tlvs", tlvs)
                .finish(),
            Self::HeldMessagesExpired { count } => f
                .debug_struct("HeldMessagesExpired")
                .field("count", count)
                .finish(),
            other => f.write_str(other.name()),
        }
    }
}

impl fmt::Display for UnreadableReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::UnknownKeys => "it was encrypted with keys we no longer (or never) had",
            Self::BadMac => "its authentication code did not verify (damaged or forged)",
            Self::Replay => "it is a copy of a message already received",
            Self::BadNextKey => "the key it announces for the next message is invalid",
        })
    }
}

impl fmt::Display for SetupFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::BadDhValue => "the buddy sent a key-exchange value out of range",
            Self::CommitMismatch => "the buddy's revealed key does not match their commitment",
            Self::BadMac => "an authentication code of the key exchange did not verify",
            Self::BadIdentity => "the buddy's identity block or public key is unusable",
            Self::BadSignature => "the buddy's signature did not verify",
            Self::WeakKey => "the buddy's long-term key is not a sound DSA key and was refused",
        })
    }
}

impl fmt::Display for SmpProgress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AskForSecret { question: None } => {
                f.write_str("your buddy wants to authenticate: enter the secret you share")
            }
            Self::AskForSecret { question: Some(q) } => write!(
                f,
                "your buddy wants to authenticate and asks: {}",
                String::from_utf8_lossy(q)
            ),
            Self::InProgress => f.write_str("authentication in progress"),
            Self::Succeeded => f.write_str("authentication succeeded: the secrets match"),
            Self::Failed => f.write_str("authentication failed: the secrets differ"),
            Self::Aborted => f.write_str("authentication was aborted"),
            Self::Cheated => f.write_str(
                "authentication failed: a check of the protocol failed (someone may be cheating)",
            ),
            Self::Error => f.write_str("authentication was reset: a message came out of order"),
        }
    }
}

/// What a host would show the user, in plain words. Buddy-supplied text
/// (error messages, unencrypted text, SMP questions) is included as it came,
/// lossily decoded: it is untrusted.
impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::GoneSecure(info) => write!(
                f,
                "private conversation started (OTR v{}, buddy key {}, session id {})",
                info.version, info.fingerprint, info.ssid
            ),
            Self::StillSecure(info) => write!(
                f,
                "private conversation refreshed (session id {})",
                info.ssid
            ),
            Self::GoneInsecure => f.write_str("private conversation ended"),
            Self::ConversationEndedByPeer => f.write_str(
                "your buddy ended the private conversation: end it too, or start a new one, \
                 before sending",
            ),
            Self::NewFingerprint(fp) => write!(f, "your buddy uses a key never seen before: {fp}"),
            Self::EncryptionRequired => f.write_str(
                "the message waits: encryption is required, a private conversation was requested",
            ),
            Self::EncryptionError => f.write_str("a message could not be encrypted"),
            Self::ConnectionEnded => f.write_str(
                "not sent: your buddy ended the private conversation; end or restart it first",
            ),
            Self::SetupError(why) => write!(f, "the private conversation could not start: {why}"),
            Self::MessageReflected => f.write_str("our own key-exchange message came back to us"),
            Self::HeldMessagesSent { count } => {
                write!(f, "{count} waiting message(s) sent privately")
            }
            Self::HeldMessagesBlocked { count, fingerprint } => write!(
                f,
                "{count} waiting message(s) not sent: the private conversation is with a key \
                 that is not trusted ({fingerprint}); release or drop them"
            ),
            Self::HeldMessagesExpired { count } => {
                write!(f, "{count} waiting message(s) expired unsent")
            }
            Self::ReceivedNotInPrivate => {
                f.write_str("an encrypted message arrived but no private conversation is active")
            }
            Self::ReceivedUnreadable(why) => {
                write!(f, "an encrypted message was unreadable: {why}")
            }
            Self::ReceivedMalformed => f.write_str("a malformed OTR message arrived"),
            Self::HeartbeatReceived => f.write_str("heartbeat received"),
            Self::HeartbeatSent => f.write_str("heartbeat sent"),
            Self::PeerError(text) => write!(
                f,
                "your buddy's OTR reported an error: {}",
                String::from_utf8_lossy(text)
            ),
            Self::ReceivedUnencrypted(text) => write!(
                f,
                "an unencrypted message arrived: {}",
                String::from_utf8_lossy(text)
            ),
            Self::ReceivedUnrecognized => f.write_str("an OTR message of unknown type arrived"),
            Self::ReceivedForOtherInstance => {
                f.write_str("a message for another client of this account arrived")
            }
            Self::FragmentLimitExceeded => {
                f.write_str("a message in pieces grew too large and was dropped")
            }
            Self::ExtraSymmetricKey { use_id, .. } => {
                write!(f, "your buddy uses the extra key (use {use_id})")
            }
            Self::SessionEvicted => f.write_str(
                "the session was dropped to make room for others: start a private conversation \
                 again",
            ),
            Self::Smp(progress) => progress.fmt(f),
            Self::SmpTlvsIgnored { count } => {
                write!(
                    f,
                    "{count} extra authentication step(s) in one message were ignored"
                )
            }
            Self::TrustChanged { fingerprint, trust } => {
                write!(f, "trust in key {fingerprint} is now {trust}")
            }
            Self::ProtocolMessage { tlvs } => {
                write!(f, "a protocol message with {} TLV(s) arrived", tlvs.len())
            }
        }
    }
}

/// The 32-byte extra symmetric key. Zeroized on drop, redacted in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct ExtraKey(pub Zeroizing<[u8; 32]>);

impl ExtraKey {
    /// The key bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for ExtraKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ExtraKey(..)")
    }
}

#[cfg(test)]
mod display_tests {
    use super::*;

    #[test]
    fn every_event_reads_as_words_and_shows_untrusted_text_as_it_came() {
        let fp = Fingerprint::from_bytes([0xab; 20]);
        let events = [
            Event::GoneInsecure,
            Event::ConversationEndedByPeer,
            Event::NewFingerprint(fp),
            Event::SetupError(SetupFailure::BadSignature),
            Event::ReceivedUnreadable(UnreadableReason::BadMac),
            Event::HeartbeatReceived,
            Event::PeerError(b"You are not private".to_vec()),
            Event::Smp(SmpProgress::AskForSecret {
                question: Some(b"our cat?".to_vec()),
            }),
            Event::Smp(SmpProgress::Succeeded),
            Event::TrustChanged {
                fingerprint: fp,
                trust: Trust::Smp,
            },
            Event::HeldMessagesBlocked {
                count: 2,
                fingerprint: fp,
            },
        ];
        for e in &events {
            let text = e.to_string();
            assert!(text.len() > 10, "{e:?} shows as {text:?}");
            assert!(!text.contains("Some(") && !text.contains('{'), "{text}");
        }
        assert!(events[2].to_string().contains(&fp.to_string()));
        assert!(events[3].to_string().contains("signature did not verify"));
        assert!(events[6].to_string().contains("You are not private"));
        assert!(events[7].to_string().contains("our cat?"));
        assert!(events[9].to_string().ends_with("is now smp"));
    }

    #[test]
    fn the_session_id_has_two_halves() {
        let ssid = SecureSessionId([0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f, 0x60, 0x71]);
        assert_eq!(ssid.first_half(), [0x0a, 0x1b, 0x2c, 0x3d]);
        assert_eq!(ssid.second_half(), [0x4e, 0x5f, 0x60, 0x71]);
        assert_eq!(
            ssid.halves_hex(),
            ("0a1b2c3d".to_owned(), "4e5f6071".to_owned())
        );
        assert_eq!(ssid.to_string(), "0a1b2c3d4e5f6071");
    }
}
