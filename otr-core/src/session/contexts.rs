//! The instances of one buddy: the master context (v2 and untagged input)
//! and one child per buddy instance tag, as libotr keeps them — which exist,
//! which a message is for, and which is the best to send to. Changes only
//! which contexts exist.

use litemap::LiteMap;

use otr_wire::InstanceTag;

use crate::context::{Context, MessageState};
use crate::error::SessionError;
use crate::trust::KnownFingerprints;

/// Which context a message belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Target {
    Master,
    Child(InstanceTag),
}

/// The master context and the children.
pub(super) struct Contexts {
    pub master: Context,
    /// One small sorted vector (usually one instance), in tag order.
    pub children: LiteMap<InstanceTag, Context>,
}

impl Contexts {
    pub fn new() -> Self {
        Self {
            master: Context::new(None),
            children: LiteMap::new(),
        }
    }

    /// The context `target` names.
    ///
    /// # Errors
    /// [`SessionError::UnknownInstance`] for a child that does not exist.
    pub fn get_mut(&mut self, target: Target) -> Result<&mut Context, SessionError> {
        match target {
            Target::Master => Ok(&mut self.master),
            Target::Child(tag) => self
                .children
                .get_mut(&tag)
                .ok_or(SessionError::UnknownInstance(tag.get())),
        }
    }

    /// The context `target` names, read only (the master for a child that
    /// does not exist).
    pub fn get(&self, target: Target) -> &Context {
        match target {
            Target::Master => &self.master,
            Target::Child(tag) => self.children.get(&tag).unwrap_or(&self.master),
        }
    }

    /// The master first, then the children in tag order.
    pub fn iter(&self) -> impl Iterator<Item = &Context> {
        core::iter::once(&self.master).chain(self.children.values())
    }

    /// The master first, then the children in tag order.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Context> {
        core::iter::once(&mut self.master).chain(self.children.iter_mut().map(|(_, c)| c))
    }

    /// Whether any instance is private or finished.
    pub fn any_not_plaintext(&self) -> bool {
        self.iter()
            .any(|c| c.message_state() != MessageState::Plaintext)
    }

    /// The child context for `tag`, created if there is room (at most
    /// `max_instances`).
    ///
    /// A full table makes room by displacing the instance that least needs
    /// its place: idle PLAINTEXT first, then FINISHED, then (only for a D-H
    /// Commit or D-H Key, `may_displace_exchange`) the exchange heard from
    /// longest ago — so no number of forged commits keeps a genuine new
    /// instance out. Private conversations are never displaced.
    pub fn child(
        &mut self,
        tag: InstanceTag,
        max_instances: usize,
        may_displace_exchange: bool,
    ) -> Option<&mut Context> {
        if !self.children.contains_key(&tag) {
            if self.children.len() >= max_instances {
                let victim = self
                    .children
                    .iter()
                    .filter_map(|(t, c)| {
                        let class = c.eviction_class()?;
                        (class < 2 || may_displace_exchange)
                            .then_some(((class, c.last_received_number), *t))
                    })
                    .min()
                    .map(|(_, t)| t)?;
                self.children.remove(&victim);
            }
            if self.children.is_empty() {
                // Most buddies run one client: room for exactly one child,
                // not the four a growing vector would reserve (a context
                // is some 190 bytes).
                self.children = LiteMap::with_capacity(1);
            }
            self.children.insert(tag, Context::new(Some(tag)));
        }
        self.children.get_mut(&tag)
    }

    /// libotr's BEST ranking: ENCRYPTED > FINISHED > PLAINTEXT, then a
    /// trusted fingerprint, then the most recently heard from.
    pub fn best(&self, known: &KnownFingerprints) -> Target {
        let rank = |ctx: &Context| {
            let state = match ctx.message_state() {
                MessageState::Encrypted => 2,
                MessageState::Finished => 1,
                _ => 0,
            };
            let trusted = ctx
                .encrypted_ref()
                .is_some_and(|e| known.is_trusted(&e.fingerprint));
            (state, trusted, ctx.last_received_number)
        };
        let mut best = (Target::Master, rank(&self.master));
        for (tag, ctx) in self.children.iter() {
            let r = rank(ctx);
            if r > best.1 {
                best = (Target::Child(*tag), r);
            }
        }
        best.0
    }
}
