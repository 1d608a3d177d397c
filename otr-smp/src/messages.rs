//! The four SMP messages as lists of MPI values, parsed with every range
//! check libotr makes (and a subgroup check), and serialised minimally.
//!
//! The session frames them: TLV type, then `INT count ‖ MPI × count` (otr-wire
//! does this); SMP message 1 with a question (TLV 7) puts the question and a
//! NUL byte first. This module sees only the MPI values, as big-endian bytes.
//!
//! Checks on parsing (a failure is an [`SmpError`] for which
//! [`is_cheating`](SmpError::is_cheating) holds):
//! * exactly 6 / 11 / 8 / 3 values;
//! * every group element (`g2a g3a g2b g3b Pb Qb Pa Qa Ra Rb`) in `[2, p − 2]`
//!   and in the prime-order subgroup;
//! * every `D` in `[1, q − 1]` (so `0`, `q`, `q + 1` and anything of 1536 bits
//!   or more fail);
//! * every `c` at most 256 bits (it is a SHA-256 value; its hash is
//!   recomputed when the proof is checked).

use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use crypto_bigint::U1536;

use crate::error::SmpError;
use crate::group::{GroupElement, ORDER, minimal_be_bytes, uint_from_be_bytes};
use crate::proof::{CoordsProof, LogProof, LogsProof};

/// Which SMP message a value or an error belongs to.
///
/// The TLV types are those of the protocol: SMP message 1 is TLV 2 (or 7
/// with a question), 2 is TLV 3, 3 is TLV 4, 4 is TLV 5, the abort is TLV 6.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SmpMessageKind {
    /// SMP message 1 (TLV 2): `g2a, c2, D2, g3a, c3, D3`.
    Smp1,
    /// SMP message 1 with a question (TLV 7): question ‖ NUL ‖ SMP message 1.
    Smp1Q,
    /// SMP message 2 (TLV 3): `g2b, c2, D2, g3b, c3, D3, Pb, Qb, cP, D5, D6`.
    Smp2,
    /// SMP message 3 (TLV 4): `Pa, Qa, cP, D5, D6, Ra, cR, D7`.
    Smp3,
    /// SMP message 4 (TLV 5): `Rb, cR, D7`.
    Smp4,
    /// SMP abort (TLV 6, empty).
    Abort,
}

impl SmpMessageKind {
    /// The kind carried by TLV type `tlv_type`; `None` for a non-SMP TLV.
    #[must_use]
    pub const fn from_tlv_type(tlv_type: u16) -> Option<Self> {
        match tlv_type {
            2 => Some(Self::Smp1),
            3 => Some(Self::Smp2),
            4 => Some(Self::Smp3),
            5 => Some(Self::Smp4),
            6 => Some(Self::Abort),
            7 => Some(Self::Smp1Q),
            _ => None,
        }
    }

    /// The TLV type that carries this kind.
    #[must_use]
    pub const fn tlv_type(self) -> u16 {
        match self {
            Self::Smp1 => 2,
            Self::Smp2 => 3,
            Self::Smp3 => 4,
            Self::Smp4 => 5,
            Self::Abort => 6,
            Self::Smp1Q => 7,
        }
    }

    /// The number of MPIs the message carries (0 for the abort).
    #[must_use]
    pub const fn mpi_count(self) -> usize {
        match self {
            Self::Smp1 | Self::Smp1Q => 6,
            Self::Smp2 => 11,
            Self::Smp3 => 8,
            Self::Smp4 => 3,
            Self::Abort => 0,
        }
    }
}

impl fmt::Display for SmpMessageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Smp1 => "SMP message 1",
            Self::Smp1Q => "SMP message 1Q",
            Self::Smp2 => "SMP message 2",
            Self::Smp3 => "SMP message 3",
            Self::Smp4 => "SMP message 4",
            Self::Abort => "SMP abort",
        })
    }
}

fn element(
    message: SmpMessageKind,
    bytes: &[u8],
    value: &'static str,
) -> Result<GroupElement, SmpError> {
    let element =
        GroupElement::from_be_bytes(bytes).ok_or(SmpError::OutOfRange { message, value })?;
    if element.is_in_prime_order_subgroup() {
        Ok(element)
    } else {
        Err(SmpError::NotInSubgroup { message, value })
    }
}

fn response(message: SmpMessageKind, bytes: &[u8], value: &'static str) -> Result<U1536, SmpError> {
    match uint_from_be_bytes(bytes) {
        Some(d) if d != U1536::ZERO && d < ORDER => Ok(d),
        _ => Err(SmpError::OutOfRange { message, value }),
    }
}

fn hash_value(
    message: SmpMessageKind,
    bytes: &[u8],
    proof: &'static str,
) -> Result<U1536, SmpError> {
    match uint_from_be_bytes(bytes) {
        Some(c) if c.bit_width_vartime() <= 256 => Ok(c),
        _ => Err(SmpError::BadProof { message, proof }),
    }
}

fn wrong_count(message: SmpMessageKind, actual: usize) -> SmpError {
    SmpError::WrongMpiCount {
        message,
        expected: message.mpi_count(),
        actual,
    }
}

fn bytes(value: &U1536) -> Vec<u8> {
    minimal_be_bytes(value)
}

/// SMP message 1 (Alice → Bob): her halves `g2a = g1^a2`, `g3a = g1^a3` of the
/// new generators, each with a proof that she knows its exponent.
#[derive(Clone, PartialEq, Eq)]
pub struct Smp1Message {
    pub(crate) g2a: GroupElement,
    pub(crate) proof2: LogProof,
    pub(crate) g3a: GroupElement,
    pub(crate) proof3: LogProof,
}

impl Smp1Message {
    /// The number of MPIs: `g2a, c2, D2, g3a, c3, D3`.
    pub const MPI_COUNT: usize = 6;

    /// Parses and range-checks the values, in protocol order.
    ///
    /// # Errors
    /// [`SmpError::WrongMpiCount`], [`SmpError::OutOfRange`],
    /// [`SmpError::NotInSubgroup`] or [`SmpError::BadProof`] (a `c` too long
    /// to be a hash).
    pub fn from_mpis<M: AsRef<[u8]>>(mpis: &[M]) -> Result<Self, SmpError> {
        let k = SmpMessageKind::Smp1;
        let [g2a, c2, d2, g3a, c3, d3] = mpis else {
            return Err(wrong_count(k, mpis.len()));
        };
        Ok(Self {
            g2a: element(k, g2a.as_ref(), "g2a")?,
            proof2: LogProof {
                c: hash_value(k, c2.as_ref(), "c2")?,
                d: response(k, d2.as_ref(), "D2")?,
            },
            g3a: element(k, g3a.as_ref(), "g3a")?,
            proof3: LogProof {
                c: hash_value(k, c3.as_ref(), "c3")?,
                d: response(k, d3.as_ref(), "D3")?,
            },
        })
    }

    /// The minimal big-endian values, in protocol order.
    #[must_use]
    pub fn to_mpis(&self) -> Vec<Vec<u8>> {
        vec![
            self.g2a.to_minimal_bytes(),
            bytes(&self.proof2.c),
            bytes(&self.proof2.d),
            self.g3a.to_minimal_bytes(),
            bytes(&self.proof3.c),
            bytes(&self.proof3.d),
        ]
    }
}

/// SMP message 2 (Bob → Alice): his halves `g2b`, `g3b` with proofs, and his
/// blinded commitment `Pb = g3^r4`, `Qb = g1^r4 · g2^y` to his secret with a
/// proof that they are well formed.
#[derive(Clone, PartialEq, Eq)]
pub struct Smp2Message {
    pub(crate) g2b: GroupElement,
    pub(crate) proof2: LogProof,
    pub(crate) g3b: GroupElement,
    pub(crate) proof3: LogProof,
    pub(crate) pb: GroupElement,
    pub(crate) qb: GroupElement,
    pub(crate) proof_p: CoordsProof,
}

impl Smp2Message {
    /// The number of MPIs: `g2b, c2, D2, g3b, c3, D3, Pb, Qb, cP, D5, D6`.
    pub const MPI_COUNT: usize = 11;

    /// Parses and range-checks the values, in protocol order.
    ///
    /// # Errors
    /// As [`Smp1Message::from_mpis`].
    pub fn from_mpis<M: AsRef<[u8]>>(mpis: &[M]) -> Result<Self, SmpError> {
        let k = SmpMessageKind::Smp2;
        let [g2b, c2, d2, g3b, c3, d3, pb, qb, cp, d5, d6] = mpis else {
            return Err(wrong_count(k, mpis.len()));
        };
        Ok(Self {
            g2b: element(k, g2b.as_ref(), "g2b")?,
            proof2: LogProof {
                c: hash_value(k, c2.as_ref(), "c2")?,
                d: response(k, d2.as_ref(), "D2")?,
            },
            g3b: element(k, g3b.as_ref(), "g3b")?,
            proof3: LogProof {
                c: hash_value(k, c3.as_ref(), "c3")?,
                d: response(k, d3.as_ref(), "D3")?,
            },
            pb: element(k, pb.as_ref(), "Pb")?,
            qb: element(k, qb.as_ref(), "Qb")?,
            proof_p: CoordsProof {
                c: hash_value(k, cp.as_ref(), "cP")?,
                d5: response(k, d5.as_ref(), "D5")?,
                d6: response(k, d6.as_ref(), "D6")?,
            },
        })
    }

    /// The minimal big-endian values, in protocol order.
    #[must_use]
    pub fn to_mpis(&self) -> Vec<Vec<u8>> {
        vec![
            self.g2b.to_minimal_bytes(),
            bytes(&self.proof2.c),
            bytes(&self.proof2.d),
            self.g3b.to_minimal_bytes(),
            bytes(&self.proof3.c),
            bytes(&self.proof3.d),
            self.pb.to_minimal_bytes(),
            self.qb.to_minimal_bytes(),
            bytes(&self.proof_p.c),
            bytes(&self.proof_p.d5),
            bytes(&self.proof_p.d6),
        ]
    }
}

/// SMP message 3 (Alice → Bob): her commitment `Pa`, `Qa` with its proof, and
/// `Ra = (Qa/Qb)^a3` with a proof that it uses the `a3` of `g3a`.
#[derive(Clone, PartialEq, Eq)]
pub struct Smp3Message {
    pub(crate) pa: GroupElement,
    pub(crate) qa: GroupElement,
    pub(crate) proof_p: CoordsProof,
    pub(crate) ra: GroupElement,
    pub(crate) proof_r: LogsProof,
}

impl Smp3Message {
    /// The number of MPIs: `Pa, Qa, cP, D5, D6, Ra, cR, D7`.
    pub const MPI_COUNT: usize = 8;

    /// Parses and range-checks the values, in protocol order.
    ///
    /// # Errors
    /// As [`Smp1Message::from_mpis`].
    pub fn from_mpis<M: AsRef<[u8]>>(mpis: &[M]) -> Result<Self, SmpError> {
        let k = SmpMessageKind::Smp3;
        let [pa, qa, cp, d5, d6, ra, cr, d7] = mpis else {
            return Err(wrong_count(k, mpis.len()));
        };
        Ok(Self {
            pa: element(k, pa.as_ref(), "Pa")?,
            qa: element(k, qa.as_ref(), "Qa")?,
            proof_p: CoordsProof {
                c: hash_value(k, cp.as_ref(), "cP")?,
                d5: response(k, d5.as_ref(), "D5")?,
                d6: response(k, d6.as_ref(), "D6")?,
            },
            ra: element(k, ra.as_ref(), "Ra")?,
            proof_r: LogsProof {
                c: hash_value(k, cr.as_ref(), "cR")?,
                d: response(k, d7.as_ref(), "D7")?,
            },
        })
    }

    /// The minimal big-endian values, in protocol order.
    #[must_use]
    pub fn to_mpis(&self) -> Vec<Vec<u8>> {
        vec![
            self.pa.to_minimal_bytes(),
            self.qa.to_minimal_bytes(),
            bytes(&self.proof_p.c),
            bytes(&self.proof_p.d5),
            bytes(&self.proof_p.d6),
            self.ra.to_minimal_bytes(),
            bytes(&self.proof_r.c),
            bytes(&self.proof_r.d),
        ]
    }
}

/// SMP message 4 (Bob → Alice): `Rb = (Qa/Qb)^b3` with a proof that it uses
/// the `b3` of `g3b`.
#[derive(Clone, PartialEq, Eq)]
pub struct Smp4Message {
    pub(crate) rb: GroupElement,
    pub(crate) proof_r: LogsProof,
}

impl Smp4Message {
    /// The number of MPIs: `Rb, cR, D7`.
    pub const MPI_COUNT: usize = 3;

    /// Parses and range-checks the values, in protocol order.
    ///
    /// # Errors
    /// As [`Smp1Message::from_mpis`].
    pub fn from_mpis<M: AsRef<[u8]>>(mpis: &[M]) -> Result<Self, SmpError> {
        let k = SmpMessageKind::Smp4;
        let [rb, cr, d7] = mpis else {
            return Err(wrong_count(k, mpis.len()));
        };
        Ok(Self {
            rb: element(k, rb.as_ref(), "Rb")?,
            proof_r: LogsProof {
                c: hash_value(k, cr.as_ref(), "cR")?,
                d: response(k, d7.as_ref(), "D7")?,
            },
        })
    }

    /// The minimal big-endian values, in protocol order.
    #[must_use]
    pub fn to_mpis(&self) -> Vec<Vec<u8>> {
        vec![
            self.rb.to_minimal_bytes(),
            bytes(&self.proof_r.c),
            bytes(&self.proof_r.d),
        ]
    }
}

macro_rules! short_debug {
    ($($ty:ident),*) => {$(
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // Public values, but 192 bytes each: show only the shape.
                write!(f, concat!(stringify!($ty), "({} MPIs)"), Self::MPI_COUNT)
            }
        }
    )*};
}
short_debug!(Smp1Message, Smp2Message, Smp3Message, Smp4Message);
