//! A two-session harness: Alice and Bob in memory, a virtual clock, seeded
//! RNGs, and a network that can drop, duplicate and reorder.

use std::collections::VecDeque;
use std::sync::Arc;

use otr_core::identity::DsaSigningKey;
use otr_core::otr_wire::InstanceTag;
use otr_core::{Action, Event, ManualClock, ReceivedMessage, Session, SessionConfig};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// Which party.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Alice.
    Alice,
    /// Bob.
    Bob,
}

impl Side {
    /// The other party.
    #[must_use]
    pub fn other(self) -> Self {
        match self {
            Self::Alice => Self::Bob,
            Self::Bob => Self::Alice,
        }
    }
}

/// One party with everything it has produced.
pub struct Party {
    /// The engine.
    pub session: Session,
    /// Messages delivered to the user, in order.
    pub delivered: Vec<ReceivedMessage>,
    /// Events, in order.
    pub events: Vec<Event>,
    /// Every message this party put on the wire, in order.
    pub sent: Vec<Vec<u8>>,
}

impl Party {
    /// Whether an event matching `f` happened.
    pub fn saw(&self, f: impl Fn(&Event) -> bool) -> bool {
        self.events.iter().any(f)
    }

    /// Texts delivered, as strings.
    #[must_use]
    pub fn texts(&self) -> Vec<String> {
        self.delivered
            .iter()
            .filter(|m| !m.text.is_empty())
            .map(|m| String::from_utf8_lossy(&m.text).into_owned())
            .collect()
    }
}

/// Alice, Bob, a clock and the network between them.
pub struct Pair {
    /// Alice.
    pub alice: Party,
    /// Bob.
    pub bob: Party,
    /// The shared virtual clock.
    pub clock: ManualClock,
    /// Messages in flight to Alice.
    pub to_alice: VecDeque<Vec<u8>>,
    /// Messages in flight to Bob.
    pub to_bob: VecDeque<Vec<u8>>,
}

impl Pair {
    /// A pair with the given keys and configurations; `seed` fixes every RNG.
    #[must_use]
    pub fn new(
        seed: u64,
        keys: (Arc<DsaSigningKey>, Arc<DsaSigningKey>),
        alice_config: SessionConfig,
        bob_config: SessionConfig,
    ) -> Self {
        let clock = ManualClock::new();
        let party = |key, tag, config, s: u64| Party {
            session: Session::new(
                config,
                key,
                InstanceTag::new(tag).unwrap_or_else(|| unreachable!()),
                Box::new(ChaCha20Rng::seed_from_u64(s)),
                Box::new(clock.clone()),
            ),
            delivered: Vec::new(),
            events: Vec::new(),
            sent: Vec::new(),
        };
        Self {
            alice: party(keys.0, 0x0a11_ce00, alice_config, seed.wrapping_mul(2)),
            bob: party(
                keys.1,
                0x0b0b_0000,
                bob_config,
                seed.wrapping_mul(2).wrapping_add(1),
            ),
            clock: clock.clone(),
            to_alice: VecDeque::new(),
            to_bob: VecDeque::new(),
        }
    }

    /// The party on `side`.
    pub fn party(&mut self, side: Side) -> &mut Party {
        match side {
            Side::Alice => &mut self.alice,
            Side::Bob => &mut self.bob,
        }
    }

    /// Records what `side` produced and queues its messages for the other side.
    pub fn absorb(&mut self, side: Side, actions: Vec<Action>) {
        for action in actions {
            match action {
                Action::Send { message: m, .. } => {
                    self.party(side).sent.push(m.clone());
                    match side {
                        Side::Alice => self.to_bob.push_back(m),
                        Side::Bob => self.to_alice.push_back(m),
                    }
                }
                Action::Deliver { message, .. } => self.party(side).delivered.push(message),
                Action::Event { event, .. } => self.party(side).events.push(event),
                _ => {}
            }
        }
    }

    /// Delivers one message in flight to `side`, if any.
    pub fn deliver_one(&mut self, side: Side) -> bool {
        let next = match side {
            Side::Alice => self.to_alice.pop_front(),
            Side::Bob => self.to_bob.pop_front(),
        };
        match next {
            Some(m) => {
                let actions = self.party(side).session.handle_input(&m);
                self.absorb(side, actions);
                true
            }
            None => false,
        }
    }

    /// Delivers everything in flight, in order, until both are quiet; returns
    /// the number of messages delivered (bounded).
    pub fn drive(&mut self) -> usize {
        let mut n = 0;
        while n < 10_000 {
            let a = self.deliver_one(Side::Bob);
            let b = self.deliver_one(Side::Alice);
            if !a && !b {
                break;
            }
            n += usize::from(a) + usize::from(b);
        }
        n
    }

    /// `side` sends a query and the AKE runs to the end.
    pub fn establish(&mut self, side: Side) {
        let actions = self.party(side).session.send_query();
        self.absorb(side, actions);
        self.drive();
    }

    /// `side` sends a message (and it is queued, not delivered).
    pub fn send(&mut self, side: Side, text: &str) {
        let actions = self
            .party(side)
            .session
            .send_message(text.as_bytes())
            .unwrap_or_default();
        self.absorb(side, actions);
    }
}
