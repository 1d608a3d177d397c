//! [`SmpEngine`]: the SMP state machine a session stores and drives with the
//! TLVs 2–7 it receives and the user's commands.
//!
//! Every call returns an [`SmpOutput`]: the SMP TLVs to send, in order (each
//! in its own IGNORE_UNREADABLE data message, as libotr does, or together),
//! and at most one [`SmpEvent`] for the user. The engine never fails on
//! peer input: a bad message becomes [`SmpEvent::Cheated`] or
//! [`SmpEvent::OutOfOrder`] plus an abort (TLV 6) to send, and the state
//! returns to `EXPECT1`.
//!
//! | state (libotr name)   | input                       | send           | event               | next |
//! |-----------------------|-----------------------------|----------------|---------------------|------|
//! | any                   | `start`                     | [abort], SMP 1 | —                   | EXPECT2 |
//! | EXPECT1               | SMP 1 / 1Q, valid           | —              | AskForSecret / AskForAnswer | EXPECT1, awaiting the answer |
//! | EXPECT1 (awaiting)    | `respond(secret)`           | SMP 2          | —                   | EXPECT3 |
//! | EXPECT2               | SMP 2, valid                | SMP 3          | InProgress          | EXPECT4 |
//! | EXPECT3               | SMP 3, valid                | SMP 4          | Succeeded / Failed  | EXPECT1 |
//! | EXPECT4               | SMP 4, valid                | —              | Succeeded / Failed  | EXPECT1 |
//! | expecting it          | a message failing a check   | abort          | Cheated             | EXPECT1 |
//! | not expecting it      | SMP 1–4                     | abort          | OutOfOrder          | EXPECT1 |
//! | any                   | abort (TLV 6)               | —              | Aborted             | EXPECT1 |
//! | any                   | `abort()`                   | abort          | —                   | EXPECT1 |
//!
//! Like libotr, the responder stays in `EXPECT1` until its user answers, so a
//! new SMP 1 replaces a pending request. Unlike libotr (which reports an
//! error and leaves the state alone), an SMP message out of order resets the
//! state and sends an abort, as the specification says; and a failed check
//! also sends an abort, so the peer does not wait for a reply that will never
//! come.
//!
//! The session must call [`SmpEngine::reset`] when the conversation leaves
//! the encrypted state or a new AKE completes: the secret is bound to the
//! session id.

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;
use core::mem;

use rand_core::CryptoRng;

use crate::error::SmpError;
use crate::messages::{Smp1Message, Smp2Message, Smp3Message, Smp4Message, SmpMessageKind};
use crate::secret::SmpSecret;
use crate::state::{
    AwaitingSmp2, AwaitingSmp3, AwaitingSmp4, GotSmp1, Initiator, Responder, SmpOutcome,
};

/// The SMP state as the specification (and libotr) name it: which message is
/// expected next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SmpState {
    /// No SMP in progress, or a request waiting for the user's answer: only
    /// SMP 1 (TLV 2 or 7) is accepted.
    Expect1,
    /// We sent SMP 1: only SMP 2 (TLV 3) is accepted.
    Expect2,
    /// We sent SMP 2: only SMP 3 (TLV 4) is accepted.
    Expect3,
    /// We sent SMP 3: only SMP 4 (TLV 5) is accepted.
    Expect4,
}

impl SmpState {
    /// The libotr / specification name: `"EXPECT1"` … `"EXPECT4"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Expect1 => "EXPECT1",
            Self::Expect2 => "EXPECT2",
            Self::Expect3 => "EXPECT3",
            Self::Expect4 => "EXPECT4",
        }
    }
}

impl fmt::Display for SmpState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Our side of an SMP run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SmpRole {
    /// We sent SMP 1 (Alice).
    Initiator,
    /// We answered SMP 1 (Bob).
    Responder,
}

/// An SMP TLV received by the session, its body already split into MPI
/// values by the wire layer (otr-wire checks the count and rejects trailing
/// bytes; this crate checks the count again).
#[non_exhaustive]
pub enum SmpInput<'a, M> {
    /// SMP message 1: TLV 2 (`question: None`) or TLV 7 (`Some(question)`).
    Smp1 {
        /// The question of TLV 7, without its terminating NUL.
        question: Option<&'a [u8]>,
        /// The six values.
        mpis: &'a [M],
    },
    /// SMP message 2 (TLV 3).
    Smp2(&'a [M]),
    /// SMP message 3 (TLV 4).
    Smp3(&'a [M]),
    /// SMP message 4 (TLV 5).
    Smp4(&'a [M]),
    /// SMP abort (TLV 6).
    Abort,
    /// An SMP TLV of this kind that the wire layer could not decode (wrong
    /// count, bad MPI framing, trailing bytes, a question without its NUL).
    Malformed(SmpMessageKind),
}

impl<M> SmpInput<'_, M> {
    /// The kind of message received.
    #[must_use]
    pub const fn kind(&self) -> SmpMessageKind {
        match self {
            Self::Smp1 { question: None, .. } => SmpMessageKind::Smp1,
            Self::Smp1 {
                question: Some(_), ..
            } => SmpMessageKind::Smp1Q,
            Self::Smp2(_) => SmpMessageKind::Smp2,
            Self::Smp3(_) => SmpMessageKind::Smp3,
            Self::Smp4(_) => SmpMessageKind::Smp4,
            Self::Abort => SmpMessageKind::Abort,
            Self::Malformed(kind) => *kind,
        }
    }
}

impl<M> fmt::Debug for SmpInput<'_, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SmpInput({})", self.kind())
    }
}

/// An SMP TLV to send.
///
/// Frame it as TLV [`tlv_type`](Self::tlv_type) whose value is
/// `INT count ‖ MPI × count` over [`mpis`](Self::mpis), preceded by the
/// question and a NUL byte for TLV 7; the abort (TLV 6) has an empty value.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SmpOutgoing {
    /// What the TLV is.
    pub kind: SmpMessageKind,
    /// The question (TLV 7 only), without a NUL byte.
    pub question: Option<Vec<u8>>,
    /// The MPI values, minimal big-endian, in protocol order (empty for the abort).
    pub mpis: Vec<Vec<u8>>,
}

impl SmpOutgoing {
    fn abort() -> Self {
        Self {
            kind: SmpMessageKind::Abort,
            question: None,
            mpis: Vec::new(),
        }
    }

    fn message(kind: SmpMessageKind, mpis: Vec<Vec<u8>>) -> Self {
        Self {
            kind,
            question: None,
            mpis,
        }
    }

    /// The TLV type (2–7).
    #[must_use]
    pub const fn tlv_type(&self) -> u16 {
        self.kind.tlv_type()
    }

    /// This TLV as the peer's engine receives it (for loopback tests and
    /// examples; a session goes through the wire encoding instead).
    #[must_use]
    pub fn as_input(&self) -> SmpInput<'_, Vec<u8>> {
        match self.kind {
            SmpMessageKind::Smp1 | SmpMessageKind::Smp1Q => SmpInput::Smp1 {
                question: self.question.as_deref(),
                mpis: &self.mpis,
            },
            SmpMessageKind::Smp2 => SmpInput::Smp2(&self.mpis),
            SmpMessageKind::Smp3 => SmpInput::Smp3(&self.mpis),
            SmpMessageKind::Smp4 => SmpInput::Smp4(&self.mpis),
            SmpMessageKind::Abort => SmpInput::Abort,
        }
    }
}

impl fmt::Debug for SmpOutgoing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmpOutgoing")
            .field("kind", &self.kind)
            .field("question_len", &self.question.as_ref().map(Vec::len))
            .field("mpis", &self.mpis.len())
            .finish()
    }
}

/// What the user should hear about.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SmpEvent {
    /// The peer started an SMP without a question: ask the user for the
    /// shared secret, then call [`SmpEngine::respond`].
    AskForSecret,
    /// The peer started an SMP with this question: show it, ask for the
    /// answer, then call [`SmpEngine::respond`].
    AskForAnswer {
        /// The question as the peer sent it (not necessarily UTF-8).
        question: Vec<u8>,
    },
    /// The initiator checked SMP 2 and sent SMP 3.
    InProgress,
    /// The secrets are equal.
    Succeeded {
        /// Our side of the run.
        role: SmpRole,
        /// Whether SMP 1 carried a question (libotr sets `smp` trust on the
        /// responder only when it did not, and always on the initiator).
        with_question: bool,
    },
    /// The secrets differ.
    Failed {
        /// Our side of the run.
        role: SmpRole,
        /// Whether SMP 1 carried a question.
        with_question: bool,
    },
    /// The peer's message failed a check; the SMP was reset and an abort
    /// is being sent.
    Cheated {
        /// Which check failed.
        error: SmpError,
    },
    /// An SMP message arrived that the current state does not expect; the
    /// SMP was reset and an abort is being sent.
    OutOfOrder {
        /// The state it arrived in.
        expected: SmpState,
        /// What arrived.
        received: SmpMessageKind,
    },
    /// The peer aborted the SMP (TLV 6).
    Aborted,
}

impl SmpEvent {
    /// libotr's name for the event (`OTRL_SMPEVENT_…` without the prefix).
    #[must_use]
    pub const fn libotr_name(&self) -> &'static str {
        match self {
            Self::AskForSecret => "ASK_FOR_SECRET",
            Self::AskForAnswer { .. } => "ASK_FOR_ANSWER",
            Self::InProgress => "IN_PROGRESS",
            Self::Succeeded { .. } => "SUCCESS",
            Self::Failed { .. } => "FAILURE",
            Self::Cheated { .. } => "CHEATED",
            Self::OutOfOrder { .. } => "ERROR",
            Self::Aborted => "ABORT",
        }
    }

    /// The progress libotr reports with the event (25, 60, 100, or 0).
    #[must_use]
    pub const fn progress_percent(&self) -> u8 {
        match self {
            Self::AskForSecret | Self::AskForAnswer { .. } => 25,
            Self::InProgress => 60,
            Self::Succeeded { .. } | Self::Failed { .. } => 100,
            Self::Cheated { .. } | Self::OutOfOrder { .. } | Self::Aborted => 0,
        }
    }
}

/// What one call produced: TLVs to send, in order, and an event for the user.
#[must_use = "the TLVs must be sent and the event shown"]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SmpOutput {
    /// SMP TLVs to send, in order.
    pub send: Vec<SmpOutgoing>,
    /// What to tell the user, if anything.
    pub event: Option<SmpEvent>,
}

impl SmpOutput {
    fn new(send: Vec<SmpOutgoing>, event: Option<SmpEvent>) -> Self {
        Self { send, event }
    }
}

enum Stage {
    Idle,
    AwaitingAnswer {
        got: Box<GotSmp1>,
        question: Option<Vec<u8>>,
    },
    Expect2 {
        state: Box<AwaitingSmp2>,
        asked: bool,
    },
    Expect3 {
        state: Box<AwaitingSmp3>,
        with_question: bool,
    },
    Expect4 {
        state: Box<AwaitingSmp4>,
        asked: bool,
    },
}

/// The SMP state machine of one conversation.
///
/// ```
/// # use otr_smp::{SmpEngine, SmpState};
/// let engine = SmpEngine::new();
/// assert_eq!(engine.state_name(), SmpState::Expect1);
/// assert_eq!(engine.state_name().as_str(), "EXPECT1");
/// ```
pub struct SmpEngine {
    stage: Stage,
}

impl Default for SmpEngine {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for SmpEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmpEngine")
            .field("state", &self.state_name())
            .field("awaiting_answer", &self.is_awaiting_answer())
            .finish_non_exhaustive()
    }
}

impl SmpEngine {
    /// A fresh engine in `EXPECT1`.
    #[must_use]
    pub const fn new() -> Self {
        Self { stage: Stage::Idle }
    }

    /// The state by its specification name.
    #[must_use]
    pub const fn state_name(&self) -> SmpState {
        stage_name(&self.stage)
    }

    /// Whether an SMP run is under way (including a request waiting for our
    /// user's answer).
    #[must_use]
    pub const fn is_in_progress(&self) -> bool {
        !matches!(self.stage, Stage::Idle)
    }

    /// Whether the peer's SMP request waits for our user's answer
    /// ([`respond`](Self::respond)).
    #[must_use]
    pub const fn is_awaiting_answer(&self) -> bool {
        matches!(self.stage, Stage::AwaitingAnswer { .. })
    }

    /// The question of the request waiting for an answer, if it had one.
    #[must_use]
    pub fn pending_question(&self) -> Option<&[u8]> {
        match &self.stage {
            Stage::AwaitingAnswer {
                question: Some(q), ..
            } => Some(q),
            _ => None,
        }
    }

    /// Forgets any run without telling the peer (the session left the
    /// encrypted state, or a new AKE changed the session id).
    pub fn reset(&mut self) {
        self.stage = Stage::Idle;
    }

    /// The user aborts: sends an abort (TLV 6) and returns to `EXPECT1`.
    pub fn abort(&mut self) -> SmpOutput {
        self.reset();
        SmpOutput::new(vec![SmpOutgoing::abort()], None)
    }

    /// The user starts an SMP with `secret` (derived with our fingerprint as
    /// the initiator's): sends SMP 1 (TLV 2). A run already under way is
    /// aborted first (an abort precedes SMP 1 in [`SmpOutput::send`]).
    pub fn start<R: CryptoRng + ?Sized>(&mut self, secret: &SmpSecret, rng: &mut R) -> SmpOutput {
        self.start_inner(None, secret, rng)
    }

    /// As [`start`](Self::start) with a question for the peer's user: sends
    /// SMP 1Q (TLV 7). The arithmetic is the same; the question travels in
    /// the clear inside the encrypted message.
    ///
    /// # Errors
    /// [`SmpError::QuestionContainsNul`] if the question contains a NUL byte
    /// (nothing changes then).
    pub fn start_with_question<R: CryptoRng + ?Sized>(
        &mut self,
        question: &[u8],
        secret: &SmpSecret,
        rng: &mut R,
    ) -> Result<SmpOutput, SmpError> {
        if question.contains(&0) {
            return Err(SmpError::QuestionContainsNul);
        }
        Ok(self.start_inner(Some(question), secret, rng))
    }

    fn start_inner<R: CryptoRng + ?Sized>(
        &mut self,
        question: Option<&[u8]>,
        secret: &SmpSecret,
        rng: &mut R,
    ) -> SmpOutput {
        let mut send = Vec::with_capacity(2);
        if self.is_in_progress() {
            send.push(SmpOutgoing::abort());
        }
        let (state, message) = Initiator::start(secret, rng);
        let kind = if question.is_some() {
            SmpMessageKind::Smp1Q
        } else {
            SmpMessageKind::Smp1
        };
        send.push(SmpOutgoing {
            kind,
            question: question.map(<[u8]>::to_vec),
            mpis: message.to_mpis(),
        });
        self.stage = Stage::Expect2 {
            state: Box::new(state),
            asked: question.is_some(),
        };
        SmpOutput::new(send, None)
    }

    /// Our user answers the pending request with `secret` (derived with the
    /// *peer's* fingerprint as the initiator's): sends SMP 2 (TLV 3).
    ///
    /// # Errors
    /// [`SmpError::NoPendingRequest`] if no request waits for an answer
    /// (nothing changes then).
    pub fn respond<R: CryptoRng + ?Sized>(
        &mut self,
        secret: &SmpSecret,
        rng: &mut R,
    ) -> Result<SmpOutput, SmpError> {
        if !self.is_awaiting_answer() {
            return Err(SmpError::NoPendingRequest);
        }
        let Stage::AwaitingAnswer { got, question } = mem::replace(&mut self.stage, Stage::Idle)
        else {
            return Err(SmpError::NoPendingRequest);
        };
        let (state, message) = got.answer(secret, rng);
        self.stage = Stage::Expect3 {
            state: Box::new(state),
            with_question: question.is_some(),
        };
        Ok(SmpOutput::new(
            vec![SmpOutgoing::message(
                SmpMessageKind::Smp2,
                message.to_mpis(),
            )],
            None,
        ))
    }

    /// Handles an SMP TLV from the peer. Never fails: problems become events.
    pub fn receive<M: AsRef<[u8]>, R: CryptoRng + ?Sized>(
        &mut self,
        input: SmpInput<'_, M>,
        rng: &mut R,
    ) -> SmpOutput {
        let received = input.kind();
        let stage = mem::replace(&mut self.stage, Stage::Idle);
        match (stage, input) {
            (_, SmpInput::Abort | SmpInput::Malformed(SmpMessageKind::Abort)) => {
                SmpOutput::new(Vec::new(), Some(SmpEvent::Aborted))
            }
            (Stage::Idle | Stage::AwaitingAnswer { .. }, SmpInput::Smp1 { question, mpis }) => {
                match Smp1Message::from_mpis(mpis).and_then(|m| Responder::receive_smp1(&m)) {
                    Ok(got) => {
                        let event = match question {
                            Some(q) => SmpEvent::AskForAnswer {
                                question: q.to_vec(),
                            },
                            None => SmpEvent::AskForSecret,
                        };
                        self.stage = Stage::AwaitingAnswer {
                            got: Box::new(got),
                            question: question.map(<[u8]>::to_vec),
                        };
                        SmpOutput::new(Vec::new(), Some(event))
                    }
                    Err(error) => cheated(error),
                }
            }
            (Stage::Expect2 { state, asked }, SmpInput::Smp2(mpis)) => {
                match Smp2Message::from_mpis(mpis).and_then(|m| state.receive(&m, rng)) {
                    Ok((state, reply)) => {
                        self.stage = Stage::Expect4 {
                            state: Box::new(state),
                            asked,
                        };
                        SmpOutput::new(
                            vec![SmpOutgoing::message(SmpMessageKind::Smp3, reply.to_mpis())],
                            Some(SmpEvent::InProgress),
                        )
                    }
                    Err(error) => cheated(error),
                }
            }
            (
                Stage::Expect3 {
                    state,
                    with_question,
                },
                SmpInput::Smp3(mpis),
            ) => match Smp3Message::from_mpis(mpis).and_then(|m| state.receive(&m, rng)) {
                Ok((result, reply)) => SmpOutput::new(
                    vec![SmpOutgoing::message(SmpMessageKind::Smp4, reply.to_mpis())],
                    Some(finished(result, SmpRole::Responder, with_question)),
                ),
                Err(error) => cheated(error),
            },
            (Stage::Expect4 { state, asked }, SmpInput::Smp4(mpis)) => {
                match Smp4Message::from_mpis(mpis).and_then(|m| state.receive(&m)) {
                    Ok(result) => SmpOutput::new(
                        Vec::new(),
                        Some(finished(result, SmpRole::Initiator, asked)),
                    ),
                    Err(error) => cheated(error),
                }
            }
            (stage, SmpInput::Malformed(kind)) if expects(&stage, kind) => {
                cheated(SmpError::Malformed { message: kind })
            }
            (stage, _) => SmpOutput::new(
                vec![SmpOutgoing::abort()],
                Some(SmpEvent::OutOfOrder {
                    expected: stage_name(&stage),
                    received,
                }),
            ),
        }
    }
}

fn cheated(error: SmpError) -> SmpOutput {
    SmpOutput::new(
        vec![SmpOutgoing::abort()],
        Some(SmpEvent::Cheated { error }),
    )
}

fn finished(result: SmpOutcome, role: SmpRole, with_question: bool) -> SmpEvent {
    if result.is_success() {
        SmpEvent::Succeeded {
            role,
            with_question,
        }
    } else {
        SmpEvent::Failed {
            role,
            with_question,
        }
    }
}

const fn stage_name(stage: &Stage) -> SmpState {
    match stage {
        Stage::Idle | Stage::AwaitingAnswer { .. } => SmpState::Expect1,
        Stage::Expect2 { .. } => SmpState::Expect2,
        Stage::Expect3 { .. } => SmpState::Expect3,
        Stage::Expect4 { .. } => SmpState::Expect4,
    }
}

fn expects(stage: &Stage, kind: SmpMessageKind) -> bool {
    matches!(
        (stage_name(stage), kind),
        (
            SmpState::Expect1,
            SmpMessageKind::Smp1 | SmpMessageKind::Smp1Q
        ) | (SmpState::Expect2, SmpMessageKind::Smp2)
            | (SmpState::Expect3, SmpMessageKind::Smp3)
            | (SmpState::Expect4, SmpMessageKind::Smp4)
    )
}
