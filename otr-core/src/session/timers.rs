//! The session's timers in one table: each timer has one deadline, and
//! `poll_timeout` and `handle_timeout` both read the same table, so they
//! cannot drift apart. Changes what a due timer expires: held messages,
//! reassembly, the master's pending commit, stalled child exchanges.

use otr_wire::InstanceTag;

use super::contexts::{Contexts, Target};
use super::session_core::SessionCore;
use crate::ake::Exchange;
use crate::clock::Timestamp;
use crate::context::MessageState;
use crate::event::Event;

/// One timer of the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Timer {
    /// Messages held under REQUIRE_ENCRYPTION expire unsent.
    HeldMessages,
    /// An incomplete fragmented message is dropped.
    Reassembly(Target),
    /// The master's D-H Commit stops being open to new instances.
    MasterCommit,
    /// A child's exchange that stalled is dropped (and the child with it,
    /// if it holds nothing else).
    StalledExchange(InstanceTag),
}

/// Every armed timer and its deadline.
pub(super) fn deadlines(core: &SessionCore, contexts: &Contexts) -> Vec<(Timer, Timestamp)> {
    let c = &core.config;
    let mut all = Vec::new();
    all.extend(
        core.held
            .deadline(c.held_message_lifetime)
            .map(|d| (Timer::HeldMessages, d)),
    );
    all.extend(
        contexts
            .master
            .reassembly
            .deadline(c.fragment_lifetime)
            .map(|d| (Timer::Reassembly(Target::Master), d)),
    );
    if contexts.master.exchange.has_pending_commit()
        && let Some(started) = contexts.master.auth_started
    {
        all.push((Timer::MasterCommit, started.after(c.master_commit_lifetime)));
    }
    for (tag, ctx) in contexts.children.iter() {
        all.extend(
            ctx.reassembly
                .deadline(c.fragment_lifetime)
                .map(|d| (Timer::Reassembly(Target::Child(*tag)), d)),
        );
        all.extend(
            ctx.exchange_deadline(c.master_commit_lifetime)
                .map(|d| (Timer::StalledExchange(*tag), d)),
        );
    }
    all
}

/// The earliest deadline.
pub(super) fn next(core: &SessionCore, contexts: &Contexts) -> Option<Timestamp> {
    deadlines(core, contexts).into_iter().map(|(_, d)| d).min()
}

/// Fires every timer due at `now`.
pub(super) fn fire_due(core: &mut SessionCore, contexts: &mut Contexts, now: Timestamp) {
    for (timer, deadline) in deadlines(core, contexts) {
        if deadline <= now {
            fire(core, contexts, timer, now);
        }
    }
}

fn fire(core: &mut SessionCore, contexts: &mut Contexts, timer: Timer, now: Timestamp) {
    let c = &core.config;
    match timer {
        Timer::HeldMessages => {
            let expired = core.held.expire(now, c.held_message_lifetime);
            if expired > 0 {
                core.event(None, Event::HeldMessagesExpired { count: expired });
            }
        }
        Timer::Reassembly(target) => {
            let lifetime = c.fragment_lifetime;
            if let Ok(ctx) = contexts.get_mut(target) {
                ctx.reassembly.expire(now, lifetime);
            }
        }
        Timer::MasterCommit => {
            contexts.master.exchange = Exchange::None;
            contexts.master.auth_started = None;
        }
        Timer::StalledExchange(tag) => {
            let Some(ctx) = contexts.children.get_mut(&tag) else {
                return;
            };
            ctx.exchange = Exchange::None;
            ctx.exchange_since = None;
            // An instance left with nothing (never private) goes with it.
            if ctx.message_state() == MessageState::Plaintext && ctx.reassembly.held_bytes() == 0 {
                contexts.children.remove(&tag);
            }
        }
    }
}
