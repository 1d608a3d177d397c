//! The bodies of the otr-core targets: one session, or two, under hostile
//! input.
//!
//! Both bodies are deterministic for a given input: the long-term keys come
//! from a fixed seed (generated once per process), every RNG is a seeded
//! ChaCha20 and the clock is a [`ManualClock`]. Each body panics (through
//! `assert!`) only when an invariant breaks; on any input it must otherwise
//! return normally.
//!
//! Invariants checked on every input a party receives:
//! - no panic;
//! - every delivery marked `encrypted` carries a text the other party
//!   genuinely sent (or no text: a heartbeat or a TLV-only message), and no
//!   such text is delivered twice;
//! - `GoneSecure`, `StillSecure` and `NewFingerprint` only ever name the other
//!   party's key (nobody else can sign);
//! - an input that was rejected — it delivered nothing and raised only
//!   rejection events (unreadable, malformed, not in private, setup error,
//!   reflected, unrecognized, for another instance, fragment limit), or raised
//!   nothing and sent nothing — leaves every instance's snapshot (message
//!   state, version, SSID, fingerprint, auth state) as it was; SMP state and
//!   trust follow their own reset rules and are not compared. An instance may
//!   appear or disappear only while idle (PLAINTEXT, no AKE);
//! - SMP never succeeds when the two users never entered the same secret.
//!
//! At the end of a run, a private conversation both parties still share (the
//! same SSID) carries a fresh message; in `two_party`, after a re-query over a
//! faithful network, both are private again and a fresh message arrives.

use core::time::Duration;
use std::collections::{BTreeSet, VecDeque};
use std::sync::{Arc, OnceLock};

use arbitrary::{Arbitrary, Unstructured};
use otr_core::identity::DsaSigningKey;
use otr_core::{
    Action, AuthState, Clock, Event, InstanceState, ManualClock, MessageState, Policy, SendOptions,
    Session, SessionConfig, SmpProgress,
};
use otr_wire::{Fingerprint, Header, InstanceTag, armor, fragment};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// Alice's instance tag.
const ALICE_TAG: u32 = 0x0a11_ce00;
/// Bob's instance tag.
const BOB_TAG: u32 = 0x0b0b_0000;
/// SMP secrets the users may type (by index).
const SECRETS: [&[u8]; 3] = [b"the secret", b"another secret", b"a third one"];
/// At most this many messages kept in a pool or queue.
const MAX_QUEUE: usize = 64;
/// At most this many messages in flight to one party of `two_party` (a
/// Reveal Signature split at the smallest fragment size is ~70 fragments).
const MAX_INBOX: usize = 1024;
/// At most this many delivery rounds when the network is faithful.
const FAITHFUL_ROUNDS: usize = 4096;
/// At most this many operations per input.
const MAX_OPS: usize = 160;
/// At most this many fragments fed for one fragmented message.
const MAX_PIECES: usize = 128;

/// Alice's and Bob's long-term keys, generated once per process from a fixed seed.
fn keys() -> Option<(Arc<DsaSigningKey>, Arc<DsaSigningKey>)> {
    static KEYS: OnceLock<Option<(Arc<DsaSigningKey>, Arc<DsaSigningKey>)>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(0x0f0f_2024);
        let alice = DsaSigningKey::generate(&mut rng).ok()?;
        let bob = DsaSigningKey::generate(&mut rng).ok()?;
        Some((Arc::new(alice), Arc::new(bob)))
    })
    .clone()
}

fn tag(value: u32) -> Option<InstanceTag> {
    InstanceTag::new(value)
}

fn config(policy: Policy, max_message_size: usize) -> SessionConfig {
    let mut config = SessionConfig::default();
    config.policy = policy;
    config.max_message_size = max_message_size;
    config
}

fn session(
    config: SessionConfig,
    key: Arc<DsaSigningKey>,
    our_tag: InstanceTag,
    seed: u64,
    clock: &ManualClock,
) -> Session {
    Session::new(
        config,
        key,
        our_tag,
        Box::new(ChaCha20Rng::seed_from_u64(seed)),
        Box::new(clock.clone()),
    )
}

fn sends(actions: &[Action]) -> impl Iterator<Item = &Vec<u8>> {
    actions.iter().filter_map(|a| match a {
        Action::Send { message: m, .. } => Some(m),
        _ => None,
    })
}

fn push_bounded(queue: &mut VecDeque<Vec<u8>>, message: Vec<u8>) {
    if queue.len() >= MAX_QUEUE {
        queue.pop_front();
    }
    queue.push_back(message);
}

/// The index `selector` picks in a collection of `len` (None when empty).
fn pick(selector: usize, len: usize) -> Option<usize> {
    selector.checked_rem(len)
}

// ---------------------------------------------------------------------------
// Invariants on one receiving party.

/// What a receiving party is checked against.
struct Expect {
    /// Texts the other party genuinely sent.
    genuine: BTreeSet<Vec<u8>>,
    /// Texts already delivered encrypted.
    delivered: BTreeSet<Vec<u8>>,
    /// The other party's fingerprint.
    peer: Fingerprint,
    /// Whether the two users ever entered the same SMP secret.
    smp_may_succeed: bool,
}

impl Expect {
    fn new(peer: Fingerprint) -> Self {
        Self {
            genuine: BTreeSet::new(),
            delivered: BTreeSet::new(),
            peer,
            smp_may_succeed: false,
        }
    }
}

/// The parts of an instance snapshot a rejected input must leave alone (SMP
/// state and trust follow their own rules).
fn comparable(session: &Session) -> Vec<InstanceState> {
    session
        .instances()
        .into_iter()
        .map(|mut s| {
            s.smp_state = None;
            s.smp_awaiting_answer = false;
            s.trust = None;
            s
        })
        .collect()
}

fn is_idle(s: &InstanceState) -> bool {
    s.message_state == MessageState::Plaintext && s.auth_state == AuthState::None
}

/// Whether `actions` show a rejected (or ignored) input: nothing delivered,
/// only rejection events, and either such an event or nothing sent.
fn is_rejection(actions: &[Action]) -> bool {
    let mut rejected = false;
    let mut sent = false;
    for action in actions {
        match action {
            Action::Send { .. } => sent = true,
            Action::Event {
                event:
                    Event::ReceivedUnreadable(_)
                    | Event::ReceivedMalformed
                    | Event::ReceivedNotInPrivate
                    | Event::SetupError(_)
                    | Event::MessageReflected
                    | Event::ReceivedUnrecognized
                    | Event::ReceivedForOtherInstance
                    | Event::FragmentLimitExceeded,
                ..
            } => rejected = true,
            _ => return false,
        }
    }
    rejected || !sent
}

/// Feeds one network message to `session` and checks every invariant.
fn receive(session: &mut Session, input: &[u8], expect: &mut Expect) -> Vec<Action> {
    let before = comparable(session);
    let actions = session.handle_input(input);
    for action in &actions {
        match action {
            Action::Deliver { message, .. } if message.encrypted && !message.text.is_empty() => {
                assert!(
                    expect.genuine.contains(&message.text),
                    "an encrypted delivery carries a text the peer never sent: {:?}",
                    String::from_utf8_lossy(&message.text)
                );
                assert!(
                    expect.delivered.insert(message.text.clone()),
                    "an encrypted text was delivered twice: {:?}",
                    String::from_utf8_lossy(&message.text)
                );
            }
            Action::Event {
                event: Event::GoneSecure(info) | Event::StillSecure(info),
                ..
            } => assert!(
                info.fingerprint == expect.peer,
                "a private conversation with a key other than the peer's"
            ),
            Action::Event {
                event: Event::NewFingerprint(fp),
                ..
            } => assert!(*fp == expect.peer, "a fingerprint other than the peer's"),
            Action::Event {
                event: Event::Smp(SmpProgress::Succeeded),
                ..
            } => assert!(
                expect.smp_may_succeed,
                "SMP succeeded although the users never entered the same secret"
            ),
            _ => {}
        }
    }
    let after = comparable(session);
    assert!(
        after.len() <= session.config().max_instances.saturating_add(1),
        "more instances than the configured maximum"
    );
    if is_rejection(&actions) {
        for old in &before {
            match after.iter().find(|s| s.instance == old.instance) {
                Some(new) => assert!(
                    new == old,
                    "a rejected input changed an instance: {old:?} became {new:?}; actions {actions:?}"
                ),
                None => assert!(
                    is_idle(old),
                    "a rejected input dropped a busy instance {old:?}; actions {actions:?}"
                ),
            }
        }
        for new in after
            .iter()
            .filter(|n| !before.iter().any(|o| o.instance == n.instance))
        {
            assert!(
                is_idle(new),
                "a rejected input created a busy instance {new:?}; actions {actions:?}"
            );
        }
    }
    actions
}

// ---------------------------------------------------------------------------
// Mutations.

/// Reads fuzz bytes one at a time.
struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (first, rest) = self.data.split_first()?;
        self.data = rest;
        Some(*first)
    }

    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_be_bytes([self.byte()?, self.byte()?]))
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.data.len());
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        head
    }
}

/// One mutation: xor, set, truncate, insert or remove a byte at `pos`.
fn mutate_once(bytes: &mut Vec<u8>, pos: usize, kind: u8, value: u8) {
    let len = bytes.len();
    match kind % 5 {
        0 => {
            if let Some(b) = pick(pos, len).and_then(|i| bytes.get_mut(i)) {
                *b ^= value.max(1);
            }
        }
        1 => {
            if let Some(b) = pick(pos, len).and_then(|i| bytes.get_mut(i)) {
                *b = value;
            }
        }
        2 => bytes.truncate(pos % len.saturating_add(1)),
        3 => bytes.insert(pos % len.saturating_add(1), value),
        _ => {
            if let Some(i) = pick(pos, len) {
                bytes.remove(i);
            }
        }
    }
}

/// Applies `f` to the binary inside an armoured `?OTR:…` message (re-armoured
/// afterwards), or to the text itself for anything else.
fn on_binary(message: &[u8], f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    match armor::decode(message) {
        Ok(mut binary) if message.starts_with(armor::ENCODED_PREFIX) => {
            f(&mut binary);
            armor::encode(&binary).into_bytes()
        }
        _ => {
            let mut text = message.to_vec();
            f(&mut text);
            text
        }
    }
}

// ---------------------------------------------------------------------------
// session_input

/// Alice and Bob during the scripted set-up of `session_input`.
struct Duo {
    clock: ManualClock,
    alice: Session,
    bob: Session,
    to_bob: VecDeque<Vec<u8>>,
    to_alice: VecDeque<Vec<u8>>,
    alice_texts: BTreeSet<Vec<u8>>,
    counter: u32,
}

impl Duo {
    fn new(alice_policy: Policy, bob_policy: Policy) -> Option<Self> {
        let (alice_key, bob_key) = keys()?;
        let clock = ManualClock::new();
        Some(Self {
            alice: session(
                config(alice_policy, 0),
                alice_key,
                tag(ALICE_TAG)?,
                101,
                &clock,
            ),
            bob: session(config(bob_policy, 0), bob_key, tag(BOB_TAG)?, 202, &clock),
            clock,
            to_bob: VecDeque::new(),
            to_alice: VecDeque::new(),
            alice_texts: BTreeSet::new(),
            counter: 0,
        })
    }

    fn alice_sends(&mut self, actions: &[Action]) {
        self.to_bob.extend(sends(actions).cloned());
    }

    fn bob_sends(&mut self, actions: &[Action]) {
        self.to_alice.extend(sends(actions).cloned());
    }

    fn bob_takes_all(&mut self) {
        while let Some(m) = self.to_bob.pop_front() {
            let actions = self.bob.handle_input(&m);
            self.bob_sends(&actions);
        }
    }

    fn alice_takes_all(&mut self) {
        while let Some(m) = self.to_alice.pop_front() {
            let actions = self.alice.handle_input(&m);
            self.alice_sends(&actions);
        }
    }

    fn drive(&mut self) {
        for _ in 0..32 {
            if self.to_bob.is_empty() && self.to_alice.is_empty() {
                break;
            }
            self.bob_takes_all();
            self.alice_takes_all();
        }
    }

    /// A fresh, unique text for Alice to send (recorded as genuine).
    fn next_text(&mut self) -> Vec<u8> {
        self.counter = self.counter.wrapping_add(1);
        let text = format!("alice says {}", self.counter).into_bytes();
        self.alice_texts.insert(text.clone());
        text
    }

    /// Alice sends a fresh text; returns what she put on the wire.
    fn alice_text(&mut self, options: &SendOptions) -> Vec<Vec<u8>> {
        let text = self.next_text();
        let actions = self
            .alice
            .send_message_with(&text, options)
            .unwrap_or_default();
        sends(&actions).cloned().collect()
    }

    /// Alice's standard genuine traffic while private: texts, a heartbeat,
    /// padding, a fragmented text and the extra symmetric key.
    fn alice_private_traffic(&mut self) {
        for _ in 0..3 {
            let m = self.alice_text(&SendOptions::default());
            self.to_bob.extend(m);
        }
        let hb = self.alice.send_heartbeat().unwrap_or_default();
        self.alice_sends(&hb);
        let mut padded = SendOptions::default();
        padded.padding = 40;
        let m = self.alice_text(&padded);
        self.to_bob.extend(m);
        if self.alice.set_max_message_size(120).is_ok() {
            let m = self.alice_text(&SendOptions::default());
            self.to_bob.extend(m);
            let _ = self.alice.set_max_message_size(0);
        }
        if let Ok((_, actions)) = self.alice.extra_symmetric_key(None, 7, b"file") {
            self.alice_sends(&actions);
        }
    }
}

/// The states `session_input` can start Bob in (picked by the first byte).
#[derive(Debug, Clone, Copy)]
enum Start {
    Plaintext,
    BobSentCommit,
    BobSentDhKey,
    BobSentRevealSig,
    EncryptedV3,
    EncryptedV2,
    SmpExpect2 { same_secret: bool },
    SmpAwaitingAnswer,
    Finished,
}

impl Start {
    fn from_byte(b: u8) -> Self {
        match b % 10 {
            0 => Self::Plaintext,
            1 => Self::BobSentCommit,
            2 => Self::BobSentDhKey,
            3 => Self::BobSentRevealSig,
            4 => Self::EncryptedV3,
            5 => Self::EncryptedV2,
            6 => Self::SmpExpect2 { same_secret: true },
            7 => Self::SmpExpect2 { same_secret: false },
            8 => Self::SmpAwaitingAnswer,
            _ => Self::Finished,
        }
    }
}

/// Builds the start state with genuine traffic: Bob in `start`, `to_bob`
/// holding genuine messages from Alice that Bob has not seen, `to_alice`
/// Bob's undelivered output.
fn set_up(start: Start) -> Option<(Duo, BTreeSet<usize>, BTreeSet<usize>)> {
    let alice_policy = match start {
        Start::EncryptedV2 => Policy::ALLOW_V2 | Policy::ERROR_START_AKE,
        _ => Policy::DEFAULT,
    };
    let mut duo = Duo::new(alice_policy, Policy::DEFAULT)?;
    let mut alice_secrets = BTreeSet::new();
    let mut bob_secrets = BTreeSet::new();
    match start {
        Start::Plaintext => {
            let q = duo.alice.send_query();
            duo.alice_sends(&q);
            let plain = duo.alice.send_message(b"plain hello").unwrap_or_default();
            duo.alice_sends(&plain);
        }
        Start::BobSentCommit => {
            let q = duo.alice.send_query();
            duo.alice_sends(&q);
            duo.bob_takes_all(); // Bob: D-H Commit
            duo.alice_takes_all(); // Alice: D-H Key, for the fuzzer
        }
        Start::BobSentDhKey => {
            let q = duo.bob.send_query();
            duo.bob_sends(&q);
            duo.alice_takes_all(); // Alice: D-H Commit
            duo.bob_takes_all(); // Bob: D-H Key
            duo.alice_takes_all(); // Alice: Reveal Signature, for the fuzzer
        }
        Start::BobSentRevealSig => {
            let q = duo.alice.send_query();
            duo.alice_sends(&q);
            duo.bob_takes_all(); // Bob: D-H Commit
            duo.alice_takes_all(); // Alice: D-H Key
            duo.bob_takes_all(); // Bob: Reveal Signature
            duo.alice_takes_all(); // Alice: private; Signature, for the fuzzer
            for _ in 0..2 {
                let m = duo.alice_text(&SendOptions::default());
                duo.to_bob.extend(m);
            }
        }
        Start::EncryptedV3 | Start::EncryptedV2 => {
            let q = duo.alice.send_query();
            duo.alice_sends(&q);
            duo.drive();
            duo.alice_private_traffic();
        }
        Start::SmpExpect2 { same_secret } => {
            let q = duo.alice.send_query();
            duo.alice_sends(&q);
            duo.drive();
            let smp1 = duo.bob.start_smp(None, SECRETS[0]).unwrap_or_default();
            bob_secrets.insert(0);
            duo.bob_sends(&smp1);
            duo.alice_takes_all();
            let answer = usize::from(!same_secret);
            let smp2 = duo
                .alice
                .answer_smp(None, SECRETS.get(answer).copied().unwrap_or_default())
                .unwrap_or_default();
            alice_secrets.insert(answer);
            duo.alice_sends(&smp2);
            for _ in 0..2 {
                let m = duo.alice_text(&SendOptions::default());
                duo.to_bob.extend(m);
            }
        }
        Start::SmpAwaitingAnswer => {
            let q = duo.alice.send_query();
            duo.alice_sends(&q);
            duo.drive();
            let smp1 = duo.alice.start_smp(None, SECRETS[1]).unwrap_or_default();
            alice_secrets.insert(1);
            duo.alice_sends(&smp1);
            duo.bob_takes_all();
            for _ in 0..2 {
                let m = duo.alice_text(&SendOptions::default());
                duo.to_bob.extend(m);
            }
            let abort = duo.alice.abort_smp(None).unwrap_or_default();
            duo.alice_sends(&abort);
        }
        Start::Finished => {
            let q = duo.alice.send_query();
            duo.alice_sends(&q);
            duo.drive();
            let mut kept = Vec::new();
            for _ in 0..2 {
                kept.extend(duo.alice_text(&SendOptions::default()));
            }
            let end = duo.alice.end();
            duo.alice_sends(&end);
            duo.bob_takes_all(); // Bob: FINISHED
            duo.to_bob.extend(kept);
            let q = duo.alice.send_query();
            duo.alice_sends(&q);
        }
    }
    Some((duo, alice_secrets, bob_secrets))
}

/// A `session_input` run: Bob under test, Alice as a genuine peer whose
/// messages form the pool the fuzzer replays and mutates.
struct SessionRun {
    duo: Duo,
    pool: VecDeque<Vec<u8>>,
    bob_out: VecDeque<Vec<u8>>,
    expect: Expect,
    alice_secrets: BTreeSet<usize>,
    bob_secrets: BTreeSet<usize>,
}

impl SessionRun {
    fn bob_receives(&mut self, input: &[u8]) {
        self.expect.smp_may_succeed = !self.alice_secrets.is_disjoint(&self.bob_secrets);
        self.expect.genuine.clone_from(&self.duo.alice_texts);
        let actions = receive(&mut self.duo.bob, input, &mut self.expect);
        for m in sends(&actions) {
            push_bounded(&mut self.bob_out, m.clone());
        }
    }

    fn alice_sent(&mut self, actions: &[Action]) {
        for m in sends(actions) {
            push_bounded(&mut self.pool, m.clone());
        }
    }

    fn genuine(&self, selector: u8) -> Option<Vec<u8>> {
        let i = pick(usize::from(selector), self.pool.len())?;
        self.pool.get(i).cloned()
    }

    fn alice_acts(&mut self, r: &mut Reader<'_>) -> Option<()> {
        let what = r.byte()?;
        let secret = usize::from(r.byte()? % 2);
        let duo = &mut self.duo;
        let actions = match what % 8 {
            0 => {
                let text = duo.next_text();
                duo.alice.send_message(&text).unwrap_or_default()
            }
            1 => duo.alice.send_heartbeat().unwrap_or_default(),
            2 => {
                self.alice_secrets.insert(secret);
                let s = SECRETS.get(secret).copied().unwrap_or_default();
                duo.alice.start_smp(None, s).unwrap_or_default()
            }
            3 => {
                self.alice_secrets.insert(secret);
                let s = SECRETS.get(secret).copied().unwrap_or_default();
                duo.alice.answer_smp(None, s).unwrap_or_default()
            }
            4 => duo.alice.abort_smp(None).unwrap_or_default(),
            5 => duo.alice.send_query(),
            6 => {
                // Bob's output reaches Alice faithfully; her answers join the pool.
                let mut all = Vec::new();
                while let Some(m) = self.bob_out.pop_front() {
                    all.extend(duo.alice.handle_input(&m));
                }
                all
            }
            _ => duo.alice.end(),
        };
        self.alice_sent(&actions);
        Some(())
    }

    fn fragmented(&mut self, r: &mut Reader<'_>) -> Option<()> {
        let message = self.genuine(r.byte()?)?;
        let size = usize::from(r.byte()?);
        let plan = r.byte()?;
        let which = usize::from(r.byte()?);
        let header = if plan & 1 == 0 {
            Header::V2
        } else {
            Header::V3 {
                sender: tag(ALICE_TAG)?,
                receiver: tag(BOB_TAG),
            }
        };
        let max = fragment::overhead(&header)
            .saturating_add(1)
            .saturating_add(size);
        let mut pieces = fragment::split(&message, &header, max).ok()?;
        if pieces.len() > MAX_PIECES {
            return None;
        }
        let n = pieces.len();
        match (plan >> 1) % 4 {
            0 => {}
            1 => pieces.reverse(),
            2 => {
                if let Some(i) = pick(which, n) {
                    pieces.remove(i);
                }
            }
            _ => {
                if let Some(i) = pick(which, n) {
                    let copy = pieces.get(i).cloned().unwrap_or_default();
                    pieces.insert(i, copy);
                }
            }
        }
        if plan & 0x08 != 0
            && let Some(piece) = pick(which, n).and_then(|i| pieces.get_mut(i))
        {
            mutate_once(piece, which.wrapping_mul(7), plan >> 4, 0x20);
        }
        for piece in pieces {
            self.bob_receives(&piece);
        }
        Some(())
    }

    /// One operation; `None` when the input ran out.
    fn step(&mut self, r: &mut Reader<'_>) -> Option<()> {
        let op = r.byte()?;
        match op % 8 {
            0 => {
                let len = usize::from(r.byte()?);
                let raw = r.take(len);
                self.bob_receives(raw);
            }
            1 => {
                let len = usize::from(r.u16()? % 2048);
                let raw = r.take(len);
                self.bob_receives(armor::encode(raw).as_bytes());
            }
            2 => {
                let m = self.genuine(r.byte()?)?;
                self.bob_receives(&m);
            }
            3 | 4 => {
                let m = self.genuine(r.byte()?)?;
                let count = r.byte()? % 8 + 1;
                let mut edits = Vec::new();
                for _ in 0..count {
                    edits.push((usize::from(r.u16()?), r.byte()?, r.byte()?));
                }
                let apply = |bytes: &mut Vec<u8>| {
                    for (pos, kind, value) in edits {
                        mutate_once(bytes, pos, kind, value);
                    }
                };
                let mutated = if op % 8 == 3 {
                    on_binary(&m, apply)
                } else {
                    let mut text = m;
                    apply(&mut text);
                    text
                };
                self.bob_receives(&mutated);
            }
            5 => {
                // Splice two genuine messages: a prefix of one, a suffix of another.
                let a = self.genuine(r.byte()?)?;
                let b = self.genuine(r.byte()?)?;
                let cut_a = usize::from(r.u16()?);
                let cut_b = usize::from(r.u16()?);
                let tail = armor::decode(&b).unwrap_or(b);
                let spliced = on_binary(&a, |bytes| {
                    bytes.truncate(cut_a % bytes.len().saturating_add(1));
                    let from = cut_b % tail.len().saturating_add(1);
                    bytes.extend_from_slice(tail.get(from..).unwrap_or_default());
                });
                self.bob_receives(&spliced);
            }
            6 => {
                if r.byte()? % 2 == 0 {
                    self.fragmented(r)?;
                } else {
                    self.alice_acts(r)?;
                }
            }
            _ => {
                let secs = r.byte()?;
                self.duo.clock.advance(Duration::from_secs(u64::from(secs)));
                let now = self.duo.clock.now();
                let bob = self.duo.bob.handle_timeout(now);
                for m in sends(&bob) {
                    push_bounded(&mut self.bob_out, m.clone());
                }
                let alice = self.duo.alice.handle_timeout(now);
                self.alice_sent(&alice);
            }
        }
        Some(())
    }

    /// If Alice and Bob still share a private conversation, a fresh message
    /// from Alice must arrive.
    fn final_check(&mut self) {
        let alice = self.duo.alice.best_instance();
        let Some(ssid) = alice.ssid else { return };
        if alice.message_state != MessageState::Encrypted {
            return;
        }
        let shared = self
            .duo
            .bob
            .instances()
            .iter()
            .any(|s| s.message_state == MessageState::Encrypted && s.ssid == Some(ssid));
        if !shared {
            return;
        }
        let text = self.duo.next_text();
        let wire = self.duo.alice.send_message(&text).unwrap_or_default();
        let before = self.expect.delivered.len();
        for m in sends(&wire).cloned().collect::<Vec<_>>() {
            self.bob_receives(&m);
        }
        assert!(
            self.expect.delivered.contains(&text) && self.expect.delivered.len() == before + 1,
            "a fresh message in a shared private conversation (ssid {ssid:?}) was not delivered"
        );
    }
}

/// Bob's session under hostile input: the first byte picks Bob's starting
/// state (PLAINTEXT; mid-AKE after sending a D-H Commit, a D-H Key or a Reveal
/// Signature; ENCRYPTED v3 or v2; mid-SMP in EXPECT2 with the same or a
/// different secret, or awaiting the user's answer; FINISHED), built by a
/// genuine exchange with fixed seeds. The rest is a list of operations, each
/// an op byte and its arguments: raw bytes; raw bytes armoured as `?OTR:…`;
/// a genuine message from Alice replayed; one mutated (in its binary or in its
/// text); two spliced; one fragmented (reordered, dropped, duplicated,
/// corrupted); Alice acting (sends, heartbeat, SMP, query, end, or reading
/// Bob's output, her answers joining the pool); the clock moving on. The
/// invariants are the module's.
pub fn session_input(data: &[u8]) {
    let Some((first, rest)) = data.split_first() else {
        return;
    };
    let start = Start::from_byte(*first);
    let Some((mut duo, alice_secrets, bob_secrets)) = set_up(start) else {
        return;
    };
    let peer = duo.alice.our_fingerprint();
    let pool = core::mem::take(&mut duo.to_bob);
    let bob_out = core::mem::take(&mut duo.to_alice);
    let mut run = SessionRun {
        duo,
        pool,
        bob_out,
        expect: Expect::new(peer),
        alice_secrets,
        bob_secrets,
    };
    let mut r = Reader { data: rest };
    for _ in 0..MAX_OPS {
        if run.step(&mut r).is_none() {
            break;
        }
    }
    run.final_check();
}

// ---------------------------------------------------------------------------
// two_party

/// A party of `two_party`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
enum Who {
    Alice,
    Bob,
}

impl Who {
    fn other(self) -> Self {
        match self {
            Self::Alice => Self::Bob,
            Self::Bob => Self::Alice,
        }
    }
}

/// A policy preset.
#[derive(Debug, Clone, Copy, Arbitrary)]
enum PolicyChoice {
    Opportunistic,
    Manual,
    Always,
    V2Only,
    V3Only,
}

impl PolicyChoice {
    fn policy(self) -> Policy {
        match self {
            Self::Opportunistic => Policy::OPPORTUNISTIC,
            Self::Manual => Policy::MANUAL,
            Self::Always => Policy::ALWAYS,
            Self::V2Only => {
                Policy::ALLOW_V2 | Policy::WHITESPACE_START_AKE | Policy::ERROR_START_AKE
            }
            Self::V3Only => Policy::ALLOW_V3 | Policy::ERROR_START_AKE,
        }
    }
}

/// The parties' settings.
#[derive(Debug, Arbitrary)]
struct Setup {
    alice: PolicyChoice,
    bob: PolicyChoice,
    /// 0: no fragmentation; else split messages above 40 + 8·n bytes.
    alice_fragment: u8,
    bob_fragment: u8,
    /// Run a faithful AKE before the script.
    establish: bool,
}

/// One step of the conversation: a user action or the network's.
#[derive(Debug, Arbitrary)]
enum Op {
    Send {
        from: Who,
        padding: bool,
    },
    Query {
        from: Who,
    },
    StartSmp {
        from: Who,
        secret: u8,
        question: bool,
    },
    AnswerSmp {
        from: Who,
        secret: u8,
    },
    AbortSmp {
        from: Who,
    },
    End {
        from: Who,
    },
    Heartbeat {
        from: Who,
    },
    ExtraKey {
        from: Who,
    },
    DeliverFront {
        to: Who,
    },
    Deliver {
        to: Who,
        index: u8,
    },
    Drive {
        steps: u8,
    },
    Drop {
        to: Who,
        index: u8,
    },
    Duplicate {
        to: Who,
        index: u8,
    },
    Swap {
        to: Who,
        a: u8,
        b: u8,
    },
    Flip {
        to: Who,
        index: u8,
        pos: u16,
        xor: u8,
    },
    Truncate {
        to: Who,
        index: u8,
        len: u16,
    },
    Inject {
        to: Who,
        bytes: Vec<u8>,
    },
    InjectArmoured {
        to: Who,
        bytes: Vec<u8>,
    },
    Replay {
        to: Who,
        index: u16,
        reflect: bool,
    },
    Advance {
        secs: u8,
    },
}

/// The whole `two_party` input.
#[derive(Debug, Arbitrary)]
struct Conversation {
    setup: Setup,
    ops: Vec<Op>,
}

/// One party of `two_party` with its checks.
struct Party {
    session: Session,
    expect: Expect,
    /// Messages in flight to this party.
    inbox: VecDeque<Vec<u8>>,
    /// Every message this party put on the wire (bounded).
    history: Vec<Vec<u8>>,
    /// SMP secrets this party's user entered (indices).
    secrets: BTreeSet<usize>,
    counter: u32,
}

struct TwoParty {
    clock: ManualClock,
    alice: Party,
    bob: Party,
}

impl TwoParty {
    fn party(&mut self, who: Who) -> &mut Party {
        match who {
            Who::Alice => &mut self.alice,
            Who::Bob => &mut self.bob,
        }
    }

    /// Puts `from`'s output on the wire to the other party.
    fn emit(&mut self, from: Who, actions: &[Action]) {
        for m in sends(actions) {
            let me = self.party(from);
            if me.history.len() < 4 * MAX_QUEUE {
                me.history.push(m.clone());
            }
            let inbox = &mut self.party(from.other()).inbox;
            if inbox.len() >= MAX_INBOX {
                inbox.pop_front();
            }
            inbox.push_back(m.clone());
        }
    }

    /// `to` receives `input` from the network (checked).
    fn receive(&mut self, to: Who, input: &[u8]) {
        let may_succeed = !self.alice.secrets.is_disjoint(&self.bob.secrets);
        let party = self.party(to);
        party.expect.smp_may_succeed = may_succeed;
        let actions = receive(&mut party.session, input, &mut party.expect);
        self.emit(to, &actions);
    }

    fn deliver_at(&mut self, to: Who, index: usize) -> bool {
        let inbox = &mut self.party(to).inbox;
        let Some(m) = pick(index, inbox.len()).and_then(|i| inbox.remove(i)) else {
            return false;
        };
        self.receive(to, &m);
        true
    }

    fn drive(&mut self, rounds: usize) {
        for _ in 0..rounds {
            let a = self.deliver_at(Who::Bob, 0);
            let b = self.deliver_at(Who::Alice, 0);
            if !a && !b {
                break;
            }
        }
    }

    /// A fresh text from `from`, recorded as genuine on the other side.
    fn next_text(&mut self, from: Who) -> Vec<u8> {
        let me = self.party(from);
        me.counter = me.counter.wrapping_add(1);
        let text = format!("{from:?} says {}", me.counter).into_bytes();
        self.party(from.other()).expect.genuine.insert(text.clone());
        text
    }

    fn in_flight(&mut self, to: Who, index: u8) -> Option<&mut Vec<u8>> {
        let inbox = &mut self.party(to).inbox;
        pick(usize::from(index), inbox.len()).and_then(|i| inbox.get_mut(i))
    }

    fn user(&mut self, from: Who, op: &Op) {
        let text = matches!(op, Op::Send { .. }).then(|| self.next_text(from));
        let me = self.party(from);
        let s = &mut me.session;
        let actions = match *op {
            Op::Send { padding, .. } => {
                let mut options = SendOptions::default();
                options.padding = if padding { 16 } else { 0 };
                s.send_message_with(&text.unwrap_or_default(), &options)
                    .unwrap_or_default()
            }
            Op::Query { .. } => s.send_query(),
            Op::StartSmp {
                secret, question, ..
            } => {
                let i = usize::from(secret) % SECRETS.len();
                me.secrets.insert(i);
                let secret = SECRETS.get(i).copied().unwrap_or_default();
                if question {
                    s.start_smp_with_question(None, b"where did we meet?", secret)
                } else {
                    s.start_smp(None, secret)
                }
                .unwrap_or_default()
            }
            Op::AnswerSmp { secret, .. } => {
                let i = usize::from(secret) % SECRETS.len();
                me.secrets.insert(i);
                s.answer_smp(None, SECRETS.get(i).copied().unwrap_or_default())
                    .unwrap_or_default()
            }
            Op::AbortSmp { .. } => s.abort_smp(None).unwrap_or_default(),
            Op::End { .. } => s.end(),
            Op::Heartbeat { .. } => s.send_heartbeat().unwrap_or_default(),
            Op::ExtraKey { .. } => s
                .extra_symmetric_key(None, 1, b"use")
                .map(|(_, a)| a)
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        self.emit(from, &actions);
    }

    fn step(&mut self, op: &Op) {
        match op {
            Op::Send { from, .. }
            | Op::Query { from }
            | Op::StartSmp { from, .. }
            | Op::AnswerSmp { from, .. }
            | Op::AbortSmp { from }
            | Op::End { from }
            | Op::Heartbeat { from }
            | Op::ExtraKey { from } => self.user(*from, op),
            Op::DeliverFront { to } => {
                self.deliver_at(*to, 0);
            }
            Op::Deliver { to, index } => {
                self.deliver_at(*to, usize::from(*index));
            }
            Op::Drive { steps } => self.drive(usize::from(*steps)),
            Op::Drop { to, index } => {
                let inbox = &mut self.party(*to).inbox;
                if let Some(i) = pick(usize::from(*index), inbox.len()) {
                    inbox.remove(i);
                }
            }
            Op::Duplicate { to, index } => {
                let inbox = &mut self.party(*to).inbox;
                if let Some(m) = pick(usize::from(*index), inbox.len())
                    .and_then(|i| inbox.get(i))
                    .cloned()
                    && inbox.len() < MAX_INBOX
                {
                    inbox.push_back(m);
                }
            }
            Op::Swap { to, a, b } => {
                let inbox = &mut self.party(*to).inbox;
                let len = inbox.len();
                if let (Some(i), Some(j)) = (pick(usize::from(*a), len), pick(usize::from(*b), len))
                {
                    inbox.swap(i, j);
                }
            }
            Op::Flip {
                to,
                index,
                pos,
                xor,
            } => {
                if let Some(m) = self.in_flight(*to, *index) {
                    *m = on_binary(m, |bytes| mutate_once(bytes, usize::from(*pos), 0, *xor));
                }
            }
            Op::Truncate { to, index, len } => {
                if let Some(m) = self.in_flight(*to, *index) {
                    *m = on_binary(m, |bytes| mutate_once(bytes, usize::from(*len), 2, 0));
                }
            }
            Op::Inject { to, bytes } => self.receive(*to, bytes),
            Op::InjectArmoured { to, bytes } => {
                self.receive(*to, armor::encode(bytes).as_bytes());
            }
            Op::Replay { to, index, reflect } => {
                let source = if *reflect { *to } else { to.other() };
                let history = &self.party(source).history;
                if let Some(m) = pick(usize::from(*index), history.len())
                    .and_then(|i| history.get(i))
                    .cloned()
                {
                    self.receive(*to, &m);
                }
            }
            Op::Advance { secs } => {
                self.clock.advance(Duration::from_secs(u64::from(*secs)));
                let now = self.clock.now();
                for who in [Who::Alice, Who::Bob] {
                    let actions = self.party(who).session.handle_timeout(now);
                    self.emit(who, &actions);
                }
            }
        }
    }

    /// After the adversary leaves, a re-query over a faithful network makes
    /// both parties private with the same SSID, and a fresh message arrives.
    fn recovery(&mut self, alice: Policy, bob: Policy) {
        let common = [Policy::ALLOW_V2, Policy::ALLOW_V3]
            .into_iter()
            .any(|v| alice.contains(v) && bob.contains(v));
        if !common {
            return;
        }
        self.alice.inbox.clear();
        self.bob.inbox.clear();
        let q = self.alice.session.send_query();
        self.emit(Who::Alice, &q);
        self.drive(FAITHFUL_ROUNDS);
        let a = self.alice.session.best_instance();
        assert!(
            a.message_state == MessageState::Encrypted,
            "after a re-query over a faithful network Alice is not private: {a:?}; Bob {:?}",
            self.bob.session.instances()
        );
        let shared = self
            .bob
            .session
            .instances()
            .iter()
            .any(|s| s.message_state == MessageState::Encrypted && s.ssid == a.ssid);
        assert!(
            shared,
            "after a re-query Bob does not share Alice's session {a:?}: {:?}",
            self.bob.session.instances()
        );
        let text = self.next_text(Who::Alice);
        let wire = self.alice.session.send_message(&text).unwrap_or_default();
        self.emit(Who::Alice, &wire);
        self.drive(FAITHFUL_ROUNDS);
        assert!(
            self.bob.expect.delivered.contains(&text),
            "a fresh message after recovery was not delivered"
        );
    }
}

fn fragment_size(n: u8) -> usize {
    if n == 0 { 0 } else { 40 + 8 * usize::from(n) }
}

/// A two-party conversation over an adversarial network, driven by
/// `arbitrary`: Alice and Bob send messages, queries, start, answer and abort
/// SMP, heartbeats, the extra key, end; the network delivers, drops,
/// duplicates, reorders, flips bytes in, truncates, injects arbitrary bytes
/// and replays or reflects earlier messages; the clock moves. Every received
/// input is checked with the module's invariants; at the end, a re-query over
/// a faithful network must make both parties private with the same SSID and
/// carry a fresh message.
pub fn two_party(data: &[u8]) {
    let Ok(conversation) = Conversation::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let Some((alice_key, bob_key)) = keys() else {
        return;
    };
    let (Some(alice_tag), Some(bob_tag)) = (tag(ALICE_TAG), tag(BOB_TAG)) else {
        return;
    };
    let setup = &conversation.setup;
    let (alice_policy, bob_policy) = (setup.alice.policy(), setup.bob.policy());
    let clock = ManualClock::new();
    let alice_fp = alice_key.fingerprint();
    let bob_fp = bob_key.fingerprint();
    let party = |key, tag, policy, fragment, seed, peer| Party {
        session: session(
            config(policy, fragment_size(fragment)),
            key,
            tag,
            seed,
            &clock,
        ),
        expect: Expect::new(peer),
        inbox: VecDeque::new(),
        history: Vec::new(),
        secrets: BTreeSet::new(),
        counter: 0,
    };
    let mut world = TwoParty {
        alice: party(
            alice_key,
            alice_tag,
            alice_policy,
            setup.alice_fragment,
            11,
            bob_fp,
        ),
        bob: party(
            bob_key,
            bob_tag,
            bob_policy,
            setup.bob_fragment,
            12,
            alice_fp,
        ),
        clock: clock.clone(),
    };
    if setup.establish {
        let q = world.alice.session.send_query();
        world.emit(Who::Alice, &q);
        world.drive(FAITHFUL_ROUNDS);
    }
    for op in conversation.ops.iter().take(MAX_OPS) {
        world.step(op);
    }
    world.recovery(alice_policy, bob_policy);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bob_state(start: Start) -> InstanceState {
        let (duo, _, _) = set_up(start).unwrap();
        duo.bob.best_instance()
    }

    #[test]
    fn set_up_reaches_every_start_state() {
        let s = bob_state(Start::Plaintext);
        assert_eq!(s.message_state, MessageState::Plaintext);
        assert_eq!(s.auth_state, AuthState::None);
        let (duo, _, _) = set_up(Start::BobSentCommit).unwrap();
        assert!(
            duo.bob
                .instances()
                .iter()
                .any(|s| s.auth_state == AuthState::AwaitingDhKey)
        );
        let (duo, _, _) = set_up(Start::BobSentDhKey).unwrap();
        assert!(
            duo.bob
                .instances()
                .iter()
                .any(|s| s.auth_state == AuthState::AwaitingRevealSig)
        );
        let (duo, _, _) = set_up(Start::BobSentRevealSig).unwrap();
        assert!(
            duo.bob
                .instances()
                .iter()
                .any(|s| s.auth_state == AuthState::AwaitingSig)
        );
        let s = bob_state(Start::EncryptedV3);
        assert_eq!(s.message_state, MessageState::Encrypted);
        assert_eq!(s.version, Some(otr_wire::ProtocolVersion::V3));
        let s = bob_state(Start::EncryptedV2);
        assert_eq!(s.message_state, MessageState::Encrypted);
        assert_eq!(s.version, Some(otr_wire::ProtocolVersion::V2));
        for same_secret in [true, false] {
            let s = bob_state(Start::SmpExpect2 { same_secret });
            assert_eq!(s.smp_state, Some("EXPECT2"));
        }
        let s = bob_state(Start::SmpAwaitingAnswer);
        assert!(s.smp_awaiting_answer);
        let s = bob_state(Start::Finished);
        assert_eq!(s.message_state, MessageState::Finished);
    }

    #[test]
    fn genuine_pool_is_delivered_and_final_message_arrives() {
        // Replay every genuine message of the ENCRYPTED start, then the final check.
        let mut input = vec![4u8];
        for k in 0..12 {
            input.extend([2, k]);
        }
        session_input(&input);
        let (mut duo, _, _) = set_up(Start::EncryptedV3).unwrap();
        let texts = duo.alice_texts.len();
        assert!(texts >= 5);
        let mut expect = Expect::new(duo.alice.our_fingerprint());
        expect.genuine.clone_from(&duo.alice_texts);
        while let Some(m) = duo.to_bob.pop_front() {
            let _ = receive(&mut duo.bob, &m, &mut expect);
        }
        assert_eq!(expect.delivered.len(), texts);
    }

    #[test]
    #[should_panic(expected = "never sent")]
    fn a_text_not_recorded_as_genuine_is_caught() {
        let (mut duo, _, _) = set_up(Start::EncryptedV3).unwrap();
        let mut expect = Expect::new(duo.alice.our_fingerprint());
        while let Some(m) = duo.to_bob.pop_front() {
            let _ = receive(&mut duo.bob, &m, &mut expect);
        }
    }

    #[test]
    fn two_party_recovers_from_silence() {
        two_party(&[0; 64]);
        two_party(&[0x40; 128]);
    }
}
