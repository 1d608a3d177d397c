//! Routing received input: classification, fragments, instance tags and
//! the master/child contexts (libotr's `otrl_message_receiving`).

use super::*;

impl EnvParts<'_> {
    pub(super) fn receive(
        &mut self,
        master: &mut Context,
        children: &mut BTreeMap<InstanceTag, Context>,
        input: &[u8],
        allowed: OfferedVersions,
        out: &mut Vec<Action>,
        depth: u8,
    ) {
        let envelope = match classify(input) {
            Ok(e) => e,
            Err(
                otr_wire::DecodeError::MissingTerminator | otr_wire::DecodeError::InvalidBase64,
            ) => {
                out.push(Action::Event {
                    instance: None,
                    event: Event::ReceivedMalformed,
                });
                return;
            }
            // An invalid fragment is swallowed (libotr); the stored state is kept.
            Err(_) => return,
        };
        if !matches!(envelope, Envelope::Plaintext { .. }) && *self.offer != Offer::NotSent {
            *self.offer = Offer::Accepted;
        }
        match envelope {
            Envelope::Fragment(f) => {
                if depth > 0 {
                    return; // a fragment cannot carry a fragment
                }
                self.receive_fragment(master, children, &f, allowed, out);
            }
            Envelope::Encoded(bytes) => {
                self.receive_encoded(master, children, &bytes, allowed, out)
            }
            Envelope::Query(q) => self.receive_query(master, &q, allowed, out),
            Envelope::Error(text) => {
                out.push(Action::Event {
                    instance: None,
                    event: Event::PeerError(text.to_vec()),
                });
                if self.config.policy.contains(Policy::ERROR_START_AKE)
                    && allowed.offers_any_spoken()
                {
                    // Only a query: never resend anything (decision 4). Not fragmented.
                    let q = query_message(allowed, &self.config.account_name);
                    let mut env = self.env(out);
                    env.send(master, q, 0, false);
                }
            }
            Envelope::Plaintext {
                text,
                whitespace_tag,
            } => {
                if whitespace_tag.is_none() && *self.offer == Offer::Sent {
                    *self.offer = Offer::Rejected;
                }
                if let Some(offered) = whitespace_tag
                    && self.config.policy.contains(Policy::WHITESPACE_START_AKE)
                    && let Some(version) = offered.best_common(&allowed)
                {
                    self.start_ake(master, version, out);
                }
                let private = core::iter::once(&*master)
                    .chain(children.values())
                    .any(|c| c.msg.name() != MessageState::Plaintext);
                if private || self.config.policy.contains(Policy::REQUIRE_ENCRYPTION) {
                    out.push(Action::Event {
                        instance: None,
                        event: Event::ReceivedUnencrypted(text.into_owned()),
                    });
                } else {
                    out.push(Action::Deliver {
                        instance: None,
                        message: ReceivedMessage {
                            text: text.into_owned(),
                            tlvs: Vec::new(),
                            encrypted: false,
                            revealed_mac_keys: Vec::new(),
                        },
                    });
                }
            }
            _ => {}
        }
    }

    pub(super) fn receive_fragment(
        &mut self,
        master: &mut Context,
        children: &mut BTreeMap<InstanceTag, Context>,
        f: &Fragment<'_>,
        allowed: OfferedVersions,
        out: &mut Vec<Action>,
    ) {
        let ctx = match f.header {
            Header::V3 { sender, receiver } => {
                if sender == self.our_tag {
                    out.push(Action::Event {
                        instance: Some(sender),
                        event: Event::MessageReflected,
                    });
                    return;
                }
                if receiver.is_some_and(|r| r != self.our_tag) {
                    out.push(Action::Event {
                        instance: Some(sender),
                        event: Event::ReceivedForOtherInstance,
                    });
                    return;
                }
                match self.child(children, sender) {
                    Some(c) => c,
                    None => return,
                }
            }
            _ => master,
        };
        match ctx
            .reassembly
            .accept(f, self.now, self.config.max_reassembly_size)
        {
            FragmentOutcome::Complete(whole) => {
                self.receive(master, children, &whole, allowed, out, 1);
            }
            FragmentOutcome::LimitExceeded => out.push(Action::Event {
                instance: f.header.sender(),
                event: Event::FragmentLimitExceeded,
            }),
            FragmentOutcome::Incomplete | FragmentOutcome::Discarded => {}
        }
    }

    /// The child context for `tag`, created if there is room.
    pub(super) fn child<'c>(
        &mut self,
        children: &'c mut BTreeMap<InstanceTag, Context>,
        tag: InstanceTag,
    ) -> Option<&'c mut Context> {
        if !children.contains_key(&tag) {
            if children.len() >= self.config.max_instances {
                // Evict the least recently heard-from instance that is neither
                // private nor in the middle of an exchange; if there is none,
                // the newcomer is refused.
                let victim = children
                    .iter()
                    .filter(|(_, c)| {
                        c.msg.name() == MessageState::Plaintext
                            && c.auth_name() == crate::ake::AuthStateName::None
                    })
                    .min_by_key(|(_, c)| c.last_received_number)
                    .map(|(t, _)| *t)?;
                children.remove(&victim);
            }
            children.insert(tag, Context::new(Some(tag)));
        }
        children.get_mut(&tag)
    }

    pub(super) fn receive_query(
        &mut self,
        master: &mut Context,
        q: &Query<'_>,
        allowed: OfferedVersions,
        out: &mut Vec<Action>,
    ) {
        if let Some(version) = q.versions.best_common(&allowed) {
            self.start_ake(master, version, out);
        }
    }

    pub(super) fn start_ake(
        &mut self,
        master: &mut Context,
        version: ProtocolVersion,
        out: &mut Vec<Action>,
    ) {
        let header = match version {
            ProtocolVersion::V2 => Header::V2,
            _ => Header::V3 {
                sender: self.our_tag,
                receiver: None,
            },
        };
        master.last_commit_number = self.next_sequence_number();
        let mut env = self.env(out);
        let commit = master.auth.start(env.ake(header));
        master.auth_started = Some(env.now);
        let size = env.config.max_message_size;
        env.send(master, commit, size, true);
    }

    #[allow(clippy::too_many_lines)]
    pub(super) fn receive_encoded(
        &mut self,
        master: &mut Context,
        children: &mut BTreeMap<InstanceTag, Context>,
        bytes: &[u8],
        allowed: OfferedVersions,
        out: &mut Vec<Action>,
    ) {
        let (header, message_type, flags) = match peek_header(bytes) {
            Ok(h) => h,
            Err(
                otr_wire::DecodeError::UnsupportedVersion(_)
                | otr_wire::DecodeError::UnknownMessageType(_),
            ) => {
                out.push(Action::Event {
                    instance: None,
                    event: Event::ReceivedUnrecognized,
                });
                return;
            }
            Err(_) => {
                out.push(Action::Event {
                    instance: None,
                    event: Event::ReceivedMalformed,
                });
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
        let master_commit = match (header, message_type) {
            (Header::V3 { .. }, MessageType::DhCommit | MessageType::DhKey) => {
                master.auth.copy_pending_commit(version)
            }
            _ => None,
        };
        let master_commit_number = master.last_commit_number;
        // Route.
        let target = match header {
            Header::V3 { sender, receiver } => {
                if sender == self.our_tag {
                    out.push(Action::Event {
                        instance: Some(sender),
                        event: Event::MessageReflected,
                    });
                    return;
                }
                let addressed_to_us = receiver == Some(self.our_tag)
                    || (receiver.is_none() && message_type == MessageType::DhCommit);
                if !addressed_to_us {
                    if !ignore_unreadable {
                        out.push(Action::Event {
                            instance: Some(sender),
                            event: Event::ReceivedForOtherInstance,
                        });
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
                let existing = match target {
                    Target::Master => Some(master),
                    Target::Child(tag) => children.get_mut(&tag),
                };
                out.push(Action::Event {
                    instance: header.sender(),
                    event: Event::ReceivedMalformed,
                });
                if let Some(ctx) = existing
                    && message_type == MessageType::Data
                    && !ignore_unreadable
                    && ctx.msg.name() == MessageState::Encrypted
                {
                    let mut env = self.env(out);
                    env.send(ctx, error_message(ERROR_MALFORMED), 0, false);
                }
                return;
            }
        };
        let ctx: &mut Context = match target {
            Target::Master => master,
            Target::Child(tag) => {
                let creates = matches!(message_type, MessageType::DhCommit | MessageType::DhKey);
                if !children.contains_key(&tag) && !creates {
                    if message_type == MessageType::Data && !ignore_unreadable {
                        out.push(Action::Event {
                            instance: Some(tag),
                            event: Event::ReceivedNotInPrivate,
                        });
                    }
                    return;
                }
                match self.child(children, tag) {
                    Some(c) => c,
                    None => return,
                }
            }
        };
        ctx.last_received_number = self.next_sequence_number();
        let reply_header = ctx.header(version, self.our_tag);
        let output = match decoded.message.body {
            MessageBody::DhCommit(commit) => {
                // A collision with the master's pending commit counts in every
                // context (decision 7): the child inherits it first.
                if matches!(ctx.auth, AuthState::None) {
                    ctx.take_over_master_commit(master_commit, master_commit_number);
                }
                let mut env = self.env(out);
                ctx.auth.handle_commit(env.ake(reply_header), &commit)
            }
            MessageBody::DhKey(key) => {
                ctx.take_over_master_commit(master_commit, master_commit_number);
                let mut env = self.env(out);
                ctx.auth.handle_dh_key(env.ake(reply_header), &key)
            }
            MessageBody::RevealSignature(m) => {
                let mut env = self.env(out);
                ctx.auth
                    .handle_reveal_signature(env.ake(reply_header), &m, decoded.authenticated)
            }
            MessageBody::Signature(m) => {
                ctx.auth
                    .handle_signature(version, &m, decoded.authenticated)
            }
            MessageBody::Data(data) => {
                self.receive_data(ctx, &data, decoded.authenticated, out);
                return;
            }
            _ => return,
        };
        self.finish_ake(ctx, output, out);
    }
}
