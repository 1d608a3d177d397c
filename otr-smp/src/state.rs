//! The SMP steps as typestates: each step consumes the previous state, so a
//! message can only be processed in the state that expects it, and every
//! per-step secret (`a2, a3, b3, r4…`) is wiped when its state is consumed
//! or dropped — including when a check fails.
//!
//! ```text
//! Alice (initiator)                              Bob (responder)
//! Initiator::start(x)      ── SMP 1 ──▶  Responder::receive_smp1 → GotSmp1
//!                                        (ask the user) GotSmp1::answer(y)
//! AwaitingSmp2::receive    ◀── SMP 2 ──  → AwaitingSmp3
//! → AwaitingSmp4           ── SMP 3 ──▶  AwaitingSmp3::receive → outcome
//! AwaitingSmp4::receive    ◀── SMP 4 ──
//! → outcome
//! ```

use core::fmt;

use crypto_bigint::CtEq;
use rand_core::CryptoRng;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::SmpError;
use crate::exponent::Exponent;
use crate::group::{GroupElement, ModP};
use crate::hash::{
    V_C2_ALICE, V_C2_BOB, V_C3_ALICE, V_C3_BOB, V_CP_ALICE, V_CP_BOB, V_CR_ALICE, V_CR_BOB,
};
use crate::messages::{Smp1Message, Smp2Message, Smp3Message, Smp4Message, SmpMessageKind};
use crate::proof::{
    prove_coords, prove_equal_logs, prove_log, verify_coords, verify_equal_logs, verify_log,
};
use crate::secret::SmpSecret;

/// The result of a completed SMP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SmpOutcome {
    /// Both secrets are equal: the peer knows the answer and no one sits in
    /// the middle of this session.
    Succeeded,
    /// The secrets differ (a different answer, or a man in the middle).
    Failed,
}

impl SmpOutcome {
    /// Whether the secrets were equal.
    #[must_use]
    pub const fn is_success(self) -> bool {
        matches!(self, Self::Succeeded)
    }
}

fn check(ok: bool, message: SmpMessageKind, proof: &'static str) -> Result<(), SmpError> {
    if ok {
        Ok(())
    } else {
        Err(SmpError::BadProof { message, proof })
    }
}

/// `a / b` in the group (`b` is a validated or computed group element, never
/// zero; the fallback is unreachable and would only make the run fail).
fn divide(a: &ModP, b: &ModP) -> ModP {
    a.mul(&b.invert().into_option().unwrap_or(ModP::ONE))
}

/// `(Pa/Pb) == Rab`: the final comparison, in constant time.
fn outcome(pab: &ModP, rab: &ModP) -> SmpOutcome {
    if pab.ct_eq(rab).to_bool() {
        SmpOutcome::Succeeded
    } else {
        SmpOutcome::Failed
    }
}

/// A value we computed, to send as a group element.
fn sendable(value: &ModP) -> GroupElement {
    GroupElement::from_computed(value.retrieve())
}

/// The initiator's entry point (Alice).
///
/// A complete run with the typestates (the session would carry each
/// message's [`to_mpis`](Smp2Message::to_mpis) values in a TLV and parse them
/// back with `from_mpis` on the other side):
///
/// ```
/// use otr_smp::{Initiator, Responder, Smp2Message, SmpSecret};
/// use rand_chacha::ChaCha20Rng;
/// use rand_core::SeedableRng;
///
/// let mut rng = ChaCha20Rng::seed_from_u64(7);
/// let secret = SmpSecret::derive(&[1; 20], &[2; 20], &[3; 8], b"answer");
///
/// let (alice, smp1) = Initiator::start(&secret, &mut rng);
/// let bob = Responder::receive_smp1(&smp1)?; // proofs checked: ask the user
/// let (bob, smp2) = bob.answer(&secret, &mut rng);
/// let smp2 = Smp2Message::from_mpis(&smp2.to_mpis())?; // as if off the wire
/// let (alice, smp3) = alice.receive(&smp2, &mut rng)?;
/// let (bob_result, smp4) = bob.receive(&smp3, &mut rng)?;
/// let alice_result = alice.receive(&smp4)?;
/// assert!(bob_result.is_success() && alice_result.is_success());
/// # Ok::<(), otr_smp::SmpError>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct Initiator;

impl Initiator {
    /// Starts an SMP with secret `x`: picks `a2`, `a3` and proves knowledge of
    /// them. Send the returned message (TLV 2, or TLV 7 with a question).
    pub fn start<R: CryptoRng + ?Sized>(
        secret: &SmpSecret,
        rng: &mut R,
    ) -> (AwaitingSmp2, Smp1Message) {
        let a2 = Exponent::random(rng);
        let a3 = Exponent::random(rng);
        let g2a = a2.pow_generator();
        let proof2 = prove_log(V_C2_ALICE, &a2, rng);
        let g3a = a3.pow_generator();
        let proof3 = prove_log(V_C3_ALICE, &a3, rng);
        let message = Smp1Message {
            g2a: sendable(&g2a),
            proof2,
            g3a: sendable(&g3a),
            proof3,
        };
        let state = AwaitingSmp2 {
            secret: secret.clone(),
            a2,
            a3,
        };
        (state, message)
    }
}

/// Alice after sending SMP 1: holds `x`, `a2`, `a3`.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct AwaitingSmp2 {
    secret: SmpSecret,
    a2: Exponent,
    a3: Exponent,
}

impl AwaitingSmp2 {
    /// Checks Bob's SMP 2 and answers with SMP 3 (TLV 4).
    ///
    /// # Errors
    /// [`SmpError::BadProof`] when one of Bob's proofs fails (the state is
    /// consumed either way: start again).
    pub fn receive<R: CryptoRng + ?Sized>(
        self,
        message: &Smp2Message,
        rng: &mut R,
    ) -> Result<(AwaitingSmp4, Smp3Message), SmpError> {
        let k = SmpMessageKind::Smp2;
        let g2b = message.g2b.to_residue();
        let g3b = message.g3b.to_residue();
        let pb = message.pb.to_residue();
        let qb = message.qb.to_residue();
        check(verify_log(V_C2_BOB, &message.proof2, &g2b), k, "c2")?;
        check(verify_log(V_C3_BOB, &message.proof3, &g3b), k, "c3")?;

        let g2 = self.a2.pow(&g2b);
        let g3 = self.a3.pow(&g3b);
        check(
            verify_coords(V_CP_BOB, &message.proof_p, &pb, &qb, &g2, &g3),
            k,
            "cP",
        )?;

        let r4 = Exponent::random(rng);
        let (proof_p, pa) = prove_coords(V_CP_ALICE, &g2, &g3, &r4, &self.secret, rng);
        let qa = r4.pow_generator().mul(&self.secret.pow(&g2));

        let pab = divide(&pa, &pb);
        let qab = divide(&qa, &qb);
        let (proof_r, ra) = prove_equal_logs(V_CR_ALICE, &qab, &self.a3, rng);

        let reply = Smp3Message {
            pa: sendable(&pa),
            qa: sendable(&qa),
            proof_p,
            ra: sendable(&ra),
            proof_r,
        };
        let next = AwaitingSmp4 {
            a3: self.a3.clone(),
            g3b,
            pab,
            qab,
        };
        Ok((next, reply))
    }
}

/// Alice after sending SMP 3: holds `a3`, `g3b`, `Pa/Pb`, `Qa/Qb`.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct AwaitingSmp4 {
    a3: Exponent,
    g3b: ModP,
    pab: ModP,
    qab: ModP,
}

impl AwaitingSmp4 {
    /// Checks Bob's SMP 4 and compares the secrets.
    ///
    /// # Errors
    /// [`SmpError::BadProof`] when Bob's proof of `Rb` fails.
    pub fn receive(self, message: &Smp4Message) -> Result<SmpOutcome, SmpError> {
        let rb = message.rb.to_residue();
        check(
            verify_equal_logs(V_CR_BOB, &message.proof_r, &self.g3b, &self.qab, &rb),
            SmpMessageKind::Smp4,
            "cR",
        )?;
        let rab = self.a3.pow(&rb);
        Ok(outcome(&self.pab, &rab))
    }
}

/// The responder's entry point (Bob).
#[derive(Debug)]
#[non_exhaustive]
pub struct Responder;

impl Responder {
    /// Checks Alice's SMP 1. On success, ask the user for the secret (with
    /// the question, if SMP 1 came in TLV 7) and call [`GotSmp1::answer`].
    ///
    /// # Errors
    /// [`SmpError::BadProof`] when one of Alice's proofs fails.
    pub fn receive_smp1(message: &Smp1Message) -> Result<GotSmp1, SmpError> {
        let k = SmpMessageKind::Smp1;
        let g2a = message.g2a.to_residue();
        let g3a = message.g3a.to_residue();
        check(verify_log(V_C2_ALICE, &message.proof2, &g2a), k, "c2")?;
        check(verify_log(V_C3_ALICE, &message.proof3, &g3a), k, "c3")?;
        Ok(GotSmp1 { g2a, g3a })
    }
}

/// Bob after a valid SMP 1, waiting for his user's secret.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct GotSmp1 {
    g2a: ModP,
    g3a: ModP,
}

impl GotSmp1 {
    /// Answers with secret `y`: SMP 2 (TLV 3).
    pub fn answer<R: CryptoRng + ?Sized>(
        self,
        secret: &SmpSecret,
        rng: &mut R,
    ) -> (AwaitingSmp3, Smp2Message) {
        let b2 = Exponent::random(rng);
        let b3 = Exponent::random(rng);
        let g2b = b2.pow_generator();
        let proof2 = prove_log(V_C2_BOB, &b2, rng);
        let g3b = b3.pow_generator();
        let proof3 = prove_log(V_C3_BOB, &b3, rng);

        let g2 = b2.pow(&self.g2a);
        let g3 = b3.pow(&self.g3a);

        let r4 = Exponent::random(rng);
        let (proof_p, pb) = prove_coords(V_CP_BOB, &g2, &g3, &r4, secret, rng);
        let qb = r4.pow_generator().mul(&secret.pow(&g2));

        let message = Smp2Message {
            g2b: sendable(&g2b),
            proof2,
            g3b: sendable(&g3b),
            proof3,
            pb: sendable(&pb),
            qb: sendable(&qb),
            proof_p,
        };
        let state = AwaitingSmp3 {
            b3,
            g2,
            g3,
            g3a: self.g3a,
            pb,
            qb,
        };
        (state, message)
    }
}

/// Bob after sending SMP 2: holds `b3`, `g2`, `g3`, `g3a`, `Pb`, `Qb`.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct AwaitingSmp3 {
    b3: Exponent,
    g2: ModP,
    g3: ModP,
    g3a: ModP,
    pb: ModP,
    qb: ModP,
}

impl AwaitingSmp3 {
    /// Checks Alice's SMP 3, compares the secrets, and builds SMP 4 (TLV 5),
    /// which must be sent whatever the outcome (Alice learns it from SMP 4).
    ///
    /// # Errors
    /// [`SmpError::BadProof`] when one of Alice's proofs fails (no SMP 4 then).
    pub fn receive<R: CryptoRng + ?Sized>(
        self,
        message: &Smp3Message,
        rng: &mut R,
    ) -> Result<(SmpOutcome, Smp4Message), SmpError> {
        let k = SmpMessageKind::Smp3;
        let pa = message.pa.to_residue();
        let qa = message.qa.to_residue();
        let ra = message.ra.to_residue();
        check(
            verify_coords(V_CP_ALICE, &message.proof_p, &pa, &qa, &self.g2, &self.g3),
            k,
            "cP",
        )?;
        let pab = divide(&pa, &self.pb);
        let qab = divide(&qa, &self.qb);
        check(
            verify_equal_logs(V_CR_ALICE, &message.proof_r, &self.g3a, &qab, &ra),
            k,
            "cR",
        )?;

        let (proof_r, rb) = prove_equal_logs(V_CR_BOB, &qab, &self.b3, rng);
        let rab = self.b3.pow(&ra);
        let reply = Smp4Message {
            rb: sendable(&rb),
            proof_r,
        };
        Ok((outcome(&pab, &rab), reply))
    }
}

macro_rules! redacted_debug {
    ($($ty:ident),*) => {$(
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($ty)).finish_non_exhaustive()
            }
        }
    )*};
}
redacted_debug!(AwaitingSmp2, AwaitingSmp4, GotSmp1, AwaitingSmp3);
