//! Where a received message goes (libotr's `otrl_message_receiving`):
//! classification, fragments, queries, errors, plaintext and whitespace
//! tags, instance tags and the master/child contexts, then the AKE or the
//! data phase. Changes which contexts exist (through `Contexts`), their
//! exchanges, reassembly and recency; everything else through the modules
//! it hands messages to.

use otr_wire::message::peek_header;
use otr_wire::{
    DataFlags, EncodedMessage, Envelope, Fragment, Header, MessageBody, MessageType,
    OfferedVersions, ProtocolVersion, Query, classify,
};

use super::contexts::{Contexts, Target};
use super::session_core::{Offer, SessionCore};
use super::texts::{ERROR_MALFORMED, error_message, query_message};
use super::{data_in, exchange_outcome};
use crate::action::ReceivedMessage;
use crate::ake::{AuthState, Exchange};
use crate::context::{Context, MessageState};
use crate::event::Event;
use crate::policy::Policy;
use crate::reassembly::FragmentOutcome;

/// Handles one received message (`depth` 1: a reassembled one).
pub(super) fn receive(
    core: &mut SessionCore,
    contexts: &mut Contexts,
    input: &[u8],
    allowed: OfferedVersions,
    depth: u8,
) {
    let envelope = match classify(input) {
        Ok(e) => e,
        Err(otr_wire::DecodeError::MissingTerminator | otr_wire::DecodeError::InvalidBase64) => {
            core.event(None, Event::ReceivedMalformed);
            return;
        }
        // An invalid fragment is swallowed (libotr); the stored state is kept.
        Err(_) => return,
    };
    if !matches!(envelope, Envelope::Plaintext { .. }) && core.offer != Offer::NotSent {
        core.offer = Offer::Accepted;
    }
    match envelope {
        Envelope::Fragment(f) => {
            if depth > 0 {
                return; // a fragment cannot carry a fragment
            }
            receive_fragment(core, contexts, &f, allowed);
        }
        Envelope::Encoded(bytes) => receive_encoded(core, contexts, &bytes, allowed),
        Envelope::Query(q) => receive_query(core, &mut contexts.master, &q, allowed),
        Envelope::Error(text) => {
            core.event(None, Event::PeerError(text.to_vec()));
            if core.config.policy.contains(Policy::ERROR_START_AKE) && allowed.offers_any_spoken() {
                // Only a query: never resend anything (decision 4). Not fragmented.
                let q = query_message(allowed, &core.config.account_name);
                core.send(&mut contexts.master, q, 0, false);
            }
        }
        Envelope::Plaintext {
            text,
            whitespace_tag,
        } => {
            if whitespace_tag.is_none() && core.offer == Offer::Sent {
                core.offer = Offer::Rejected;
            }
            if let Some(offered) = whitespace_tag
                && core.config.policy.contains(Policy::WHITESPACE_START_AKE)
                && let Some(version) = offered.best_common(&allowed)
            {
                start_ake(core, &mut contexts.master, version);
            }
            let private = contexts.any_not_plaintext();
            if private || core.config.policy.contains(Policy::REQUIRE_ENCRYPTION) {
                core.event(None, Event::ReceivedUnencrypted(text.into_owned()));
            } else {
                core.output.deliver(
                    None,
                    ReceivedMessage {
                        text: text.into_owned(),
                        tlvs: Vec::new(),
                        encrypted: false,
                        revealed_mac_keys: Vec::new(),
                    },
                );
            }
        }
        _ => {}
    }
}

fn receive_fragment(
    core: &mut SessionCore,
    contexts: &mut Contexts,
    f: &Fragment<'_>,
    allowed: OfferedVersions,
) {
    let max_instances = core.config.max_instances;
    let ctx = match f.header {
        Header::V3 { sender, receiver } => {
            if sender == core.our_tag {
                core.event(Some(sender), Event::MessageReflected);
                return;
            }
            if receiver.is_some_and(|r| r != core.our_tag) {
                core.event(Some(sender), Event::ReceivedForOtherInstance);
                return;
            }
            // A fragment may take an idle place, never an exchange's.
            match contexts.child(sender, max_instances, false) {
                Some(c) => c,
                None => return,
            }
        }
        _ => &mut contexts.master,
    };
    match ctx
        .reassembly
        .accept(f, core.now, core.config.max_reassembly_size)
    {
        FragmentOutcome::Complete(whole) => receive(core, contexts, &whole, allowed, 1),
        FragmentOutcome::LimitExceeded => {
            core.event(f.header.sender(), Event::FragmentLimitExceeded);
        }
        FragmentOutcome::Incomplete | FragmentOutcome::Discarded => {}
    }
}

fn receive_query(
    core: &mut SessionCore,
    master: &mut Context,
    q: &Query<'_>,
    allowed: OfferedVersions,
) {
    if let Some(version) = q.versions.best_common(&allowed) {
        start_ake(core, master, version);
    }
}

/// Starts an AKE from the master context: a D-H Commit to whoever answers.
pub(super) fn start_ake(core: &mut SessionCore, master: &mut Context, version: ProtocolVersion) {
    let header = match version {
        ProtocolVersion::V2 => Header::V2,
        _ => Header::V3 {
            sender: core.our_tag,
            receiver: None,
        },
    };
    master.last_commit_number = core.next_sequence_number();
    let commit = master.exchange.start(core.ake_env(header));
    master.auth_started = Some(core.now);
    let size = core.config.max_message_size;
    core.send(master, commit, size, true);
}

#[allow(clippy::too_many_lines)]
fn receive_encoded(
    core: &mut SessionCore,
    contexts: &mut Contexts,
    bytes: &[u8],
    allowed: OfferedVersions,
) {
    let (header, message_type, flags) = match peek_header(bytes) {
        Ok(h) => h,
        Err(
            otr_wire::DecodeError::UnsupportedVersion(_)
            | otr_wire::DecodeError::UnknownMessageType(_),
        ) => {
            core.event(None, Event::ReceivedUnrecognized);
            return;
        }
        Err(_) => {
            core.event(None, Event::ReceivedMalformed);
            return;
        }
    };
    let version = header.version();
    debug_log!(
        "received {:?} v{} from {:?}",
        message_type,
        version,
        header.sender()
    );
    if !allowed.contains(version) {
        debug_log!("version {} not allowed by the policy: ignored", version);
        return;
    }
    let ignore_unreadable = flags.is_some_and(DataFlags::ignore_unreadable);
    // A new instance answering (or colliding with) the master's pending
    // commit continues that exchange.
    let master_commit: Option<Exchange> = match (header, message_type) {
        (Header::V3 { .. }, MessageType::DhCommit | MessageType::DhKey) => {
            contexts.master.exchange.copy_pending_commit(version)
        }
        _ => None,
    };
    let master_commit_number = contexts.master.last_commit_number;
    // Route.
    let target = match header {
        Header::V3 { sender, receiver } => {
            if sender == core.our_tag {
                core.event(Some(sender), Event::MessageReflected);
                return;
            }
            let addressed_to_us = receiver == Some(core.our_tag)
                || (receiver.is_none() && message_type == MessageType::DhCommit);
            if !addressed_to_us {
                if !ignore_unreadable {
                    core.event(Some(sender), Event::ReceivedForOtherInstance);
                }
                return;
            }
            Target::Child(sender)
        }
        _ => Target::Master,
    };
    // Decode before touching any context: a malformed message must not
    // create (or evict) an instance.
    let decoded = match EncodedMessage::decode(bytes) {
        Ok(d) => d,
        Err(_) => {
            core.event(header.sender(), Event::ReceivedMalformed);
            if let Ok(ctx) = contexts.get_mut(target)
                && message_type == MessageType::Data
                && !ignore_unreadable
                && ctx.message_state() == MessageState::Encrypted
            {
                core.send(ctx, error_message(ERROR_MALFORMED), 0, false);
            }
            return;
        }
    };
    let ctx: &mut Context = match target {
        Target::Master => &mut contexts.master,
        Target::Child(tag) => {
            let creates = matches!(message_type, MessageType::DhCommit | MessageType::DhKey);
            if !contexts.children.contains_key(&tag) && !creates {
                if message_type == MessageType::Data && !ignore_unreadable {
                    core.event(Some(tag), Event::ReceivedNotInPrivate);
                }
                return;
            }
            match contexts.child(tag, core.config.max_instances, true) {
                Some(c) => c,
                None => return,
            }
        }
    };
    ctx.last_received_number = core.next_sequence_number();
    let reply_header = ctx.header(version, core.our_tag);
    let auth_before = ctx.auth_state();
    let output = match decoded.message.body {
        MessageBody::DhCommit(commit) => {
            // A collision with the master's pending commit counts in every
            // context (decision 7): the child inherits it first.
            if matches!(ctx.exchange, Exchange::None) {
                ctx.take_over_master_commit(master_commit, master_commit_number);
            }
            ctx.exchange
                .handle_commit(core.ake_env(reply_header), &commit)
        }
        MessageBody::DhKey(key) => {
            ctx.take_over_master_commit(master_commit, master_commit_number);
            ctx.exchange.handle_dh_key(core.ake_env(reply_header), &key)
        }
        MessageBody::RevealSignature(m) => ctx.exchange.handle_reveal_signature(
            core.ake_env(reply_header),
            &m,
            decoded.authenticated,
        ),
        MessageBody::Signature(m) => {
            ctx.exchange
                .handle_signature(version, &m, decoded.authenticated, &core.known)
        }
        MessageBody::Data(data) => {
            data_in::receive(core, ctx, &data, decoded.authenticated);
            return;
        }
        _ => return,
    };
    if ctx.auth_state() != auth_before {
        ctx.exchange_since = (ctx.auth_state() != AuthState::None).then_some(core.now);
    }
    exchange_outcome::finish(core, ctx, output);
}
