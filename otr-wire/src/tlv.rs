//! The decrypted payload of a data message — text, then a NUL, then TLVs — and
//! the typed TLVs OTR defines.
//!
//! ```text
//! payload  = text ‖ 0x00 ‖ TLV*          (libotr always writes the NUL)
//! TLV      = SHORT type ‖ SHORT length ‖ value
//! SMP 1–4  = INT count ‖ MPI × count      (6, 11, 8, 3 MPIs)
//! SMP 1Q   = question ‖ 0x00 ‖ SMP 1 body
//! extra key= INT use ‖ use-specific data
//! ```

use crate::error::{DecodeError, EncodeError};
use crate::mpi::Mpi;
use crate::reader::Reader;
use crate::writer::Writer;
use alloc::vec::Vec;

/// TLV type numbers.
pub mod tlv_type {
    /// Padding (ignored).
    pub const PADDING: u16 = 0;
    /// The sender ended the private conversation.
    pub const DISCONNECTED: u16 = 1;
    /// SMP message 1.
    pub const SMP1: u16 = 2;
    /// SMP message 2.
    pub const SMP2: u16 = 3;
    /// SMP message 3.
    pub const SMP3: u16 = 4;
    /// SMP message 4.
    pub const SMP4: u16 = 5;
    /// SMP abort.
    pub const SMP_ABORT: u16 = 6;
    /// SMP message 1 with a question.
    pub const SMP1_QUESTION: u16 = 7;
    /// Use of the extra symmetric key.
    pub const EXTRA_SYMMETRIC_KEY: u16 = 8;
}

/// A TLV as found in a payload: its type and raw value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawTlv<'a> {
    /// The type number.
    pub tlv_type: u16,
    /// The value bytes.
    pub value: &'a [u8],
}

/// The decrypted payload of a data message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload<'a> {
    /// The message text: everything before the first NUL. Empty text marks a
    /// heartbeat or a control message and is not shown.
    pub text: &'a [u8],
    /// The TLVs after the first NUL, in order.
    pub tlvs: Vec<RawTlv<'a>>,
    /// Bytes after the last complete TLV (a TLV whose length runs past the end,
    /// or fewer than 4 bytes). They are ignored, as libotr ignores them.
    pub ignored_tail: usize,
}

impl<'a> Payload<'a> {
    /// Splits a decrypted payload into text and TLVs. Never fails: TLV parsing
    /// stops at the first TLV that does not fit.
    #[must_use]
    pub fn decode(bytes: &'a [u8]) -> Self {
        let Some(nul) = memchr::memchr(0, bytes) else {
            return Self {
                text: bytes,
                tlvs: Vec::new(),
                ignored_tail: 0,
            };
        };
        let text = bytes.get(..nul).unwrap_or_default();
        let mut r = Reader::new(bytes.get(nul.saturating_add(1)..).unwrap_or_default());
        let mut tlvs = Vec::new();
        while r.remaining() >= 4 {
            let mut attempt = r.clone();
            let (Ok(tlv_type), Ok(len)) = (attempt.u16("TLV type"), attempt.u16("TLV length"))
            else {
                break;
            };
            match attempt.take(usize::from(len), "TLV value") {
                Ok(value) => {
                    tlvs.push(RawTlv { tlv_type, value });
                    r = attempt;
                }
                Err(_) => break,
            }
        }
        Self {
            text,
            tlvs,
            ignored_tail: r.remaining(),
        }
    }

    /// Encodes `text ‖ NUL ‖ TLVs`, as libotr does (the NUL is always written).
    ///
    /// # Errors
    /// [`EncodeError::NulInMessage`] if `text` contains a NUL (it would be read
    /// as the start of the TLVs), or [`EncodeError::FieldTooLong`] for a TLV
    /// value over 65535 bytes.
    pub fn encode(text: &[u8], tlvs: &[Tlv<'_>]) -> Result<Vec<u8>, EncodeError> {
        if memchr::memchr(0, text).is_some() {
            return Err(EncodeError::NulInMessage);
        }
        let mut w = Writer::with_capacity(text.len().saturating_add(1));
        w.bytes(text).u8(0);
        for tlv in tlvs {
            tlv.write(&mut w);
        }
        w.finish()
    }
}

/// An SMP message body: the MPIs of one SMP step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmpMpis<'a>(pub Vec<Mpi<'a>>);

impl<'a> SmpMpis<'a> {
    /// Reads `INT count ‖ MPI × count` requiring exactly `expected` MPIs and no
    /// trailing bytes. The count is checked before any allocation.
    fn decode(bytes: &'a [u8], expected: u32) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let count = r.u32("SMP MPI count")?;
        if count != expected {
            return Err(DecodeError::SmpMpiCount {
                expected,
                actual: count,
            });
        }
        let mut mpis = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
        for _ in 0..expected {
            mpis.push(r.mpi("SMP value")?);
        }
        r.finish("SMP message")?;
        Ok(Self(mpis))
    }

    fn write(&self, w: &mut Writer) {
        w.u32(u32::try_from(self.0.len()).unwrap_or(u32::MAX));
        for m in &self.0 {
            w.mpi("SMP value", *m);
        }
    }
}

/// A typed TLV.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Tlv<'a> {
    /// Padding to hide the message length (type 0).
    Padding(&'a [u8]),
    /// The sender ended the conversation (type 1; any value is ignored).
    Disconnected,
    /// SMP message 1: 6 MPIs (type 2).
    Smp1(SmpMpis<'a>),
    /// SMP message 1 with a question (type 7).
    Smp1Question {
        /// The question, as the asker typed it (not necessarily UTF-8).
        question: &'a [u8],
        /// The SMP message 1 body.
        body: SmpMpis<'a>,
    },
    /// SMP message 2: 11 MPIs (type 3).
    Smp2(SmpMpis<'a>),
    /// SMP message 3: 8 MPIs (type 4).
    Smp3(SmpMpis<'a>),
    /// SMP message 4: 3 MPIs (type 5).
    Smp4(SmpMpis<'a>),
    /// SMP abort (type 6; any value is ignored).
    SmpAbort,
    /// The sender uses the extra symmetric key (type 8).
    ExtraSymmetricKey {
        /// What the key is used for (application-defined).
        use_id: u32,
        /// Use-specific data.
        use_data: &'a [u8],
    },
    /// A type this crate does not know; to be ignored.
    Unknown(RawTlv<'a>),
}

impl<'a> Tlv<'a> {
    /// The MPI counts of SMP messages 1–4.
    pub const SMP_MPI_COUNTS: [u32; 4] = [6, 11, 8, 3];

    /// Interprets a raw TLV.
    ///
    /// # Errors
    /// A [`DecodeError`] when a known type's value is malformed (wrong SMP MPI
    /// count, trailing bytes, a question without its NUL, a short extra-key
    /// value).
    pub fn parse(raw: RawTlv<'a>) -> Result<Self, DecodeError> {
        let [c1, c2, c3, c4] = Self::SMP_MPI_COUNTS;
        Ok(match raw.tlv_type {
            tlv_type::PADDING => Self::Padding(raw.value),
            tlv_type::DISCONNECTED => Self::Disconnected,
            tlv_type::SMP1 => Self::Smp1(SmpMpis::decode(raw.value, c1)?),
            tlv_type::SMP2 => Self::Smp2(SmpMpis::decode(raw.value, c2)?),
            tlv_type::SMP3 => Self::Smp3(SmpMpis::decode(raw.value, c3)?),
            tlv_type::SMP4 => Self::Smp4(SmpMpis::decode(raw.value, c4)?),
            tlv_type::SMP_ABORT => Self::SmpAbort,
            tlv_type::SMP1_QUESTION => {
                let nul = raw
                    .value
                    .iter()
                    .position(|&b| b == 0)
                    .ok_or(DecodeError::MissingQuestionTerminator)?;
                Self::Smp1Question {
                    question: raw.value.get(..nul).unwrap_or_default(),
                    body: SmpMpis::decode(
                        raw.value.get(nul.saturating_add(1)..).unwrap_or_default(),
                        c1,
                    )?,
                }
            }
            tlv_type::EXTRA_SYMMETRIC_KEY => {
                let mut r = Reader::new(raw.value);
                let use_id = r.u32("extra symmetric key use")?;
                Self::ExtraSymmetricKey {
                    use_id,
                    use_data: r.take_rest(),
                }
            }
            _ => Self::Unknown(raw),
        })
    }

    /// The type number.
    #[must_use]
    pub fn tlv_type(&self) -> u16 {
        match self {
            Self::Padding(_) => tlv_type::PADDING,
            Self::Disconnected => tlv_type::DISCONNECTED,
            Self::Smp1(_) => tlv_type::SMP1,
            Self::Smp1Question { .. } => tlv_type::SMP1_QUESTION,
            Self::Smp2(_) => tlv_type::SMP2,
            Self::Smp3(_) => tlv_type::SMP3,
            Self::Smp4(_) => tlv_type::SMP4,
            Self::SmpAbort => tlv_type::SMP_ABORT,
            Self::ExtraSymmetricKey { .. } => tlv_type::EXTRA_SYMMETRIC_KEY,
            Self::Unknown(raw) => raw.tlv_type,
        }
    }

    /// Appends `type ‖ length ‖ value`.
    pub fn write(&self, w: &mut Writer) {
        let mut value = Writer::new();
        match self {
            Self::Padding(bytes) => {
                value.bytes(bytes);
            }
            Self::Disconnected | Self::SmpAbort => {}
            Self::Smp1(m) | Self::Smp2(m) | Self::Smp3(m) | Self::Smp4(m) => m.write(&mut value),
            Self::Smp1Question { question, body } => {
                if question.contains(&0) {
                    value.fail(EncodeError::NulInQuestion);
                }
                value.bytes(question).u8(0);
                body.write(&mut value);
            }
            Self::ExtraSymmetricKey { use_id, use_data } => {
                value.u32(*use_id).bytes(use_data);
            }
            Self::Unknown(raw) => {
                value.bytes(raw.value);
            }
        }
        match value.finish() {
            Ok(bytes) => match u16::try_from(bytes.len()) {
                Ok(len) => {
                    w.u16(self.tlv_type()).u16(len).bytes(&bytes);
                }
                Err(_) => w.fail(EncodeError::FieldTooLong {
                    field: "TLV value",
                    length: bytes.len(),
                    max: usize::from(u16::MAX),
                }),
            },
            Err(e) => w.fail(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn smp_body(count: u32, mpis: usize) -> Vec<u8> {
        let mut w = Writer::new();
        w.u32(count);
        for i in 0..mpis {
            w.mpi("x", Mpi::trimmed(&[u8::try_from(i + 1).unwrap()]));
        }
        w.finish().unwrap()
    }

    #[test]
    fn text_is_everything_before_the_first_nul() {
        let p = Payload::decode(b"hi\0\0\0\0\0");
        assert_eq!(p.text, b"hi");
        assert_eq!(
            p.tlvs,
            vec![RawTlv {
                tlv_type: 0,
                value: &[]
            }]
        );
        assert_eq!(p.ignored_tail, 0);
        assert_eq!(Payload::decode(b"").text, b"");
        assert_eq!(Payload::decode(b"\0").text, b"");
        assert_eq!(Payload::decode(b"no nul").text, b"no nul");
    }

    #[test]
    fn tlv_length_past_the_end_stops_parsing() {
        let p = Payload::decode(b"x\0\x00\x01\x00\x00\x00\x08\xff\xff\x01");
        assert_eq!(
            p.tlvs,
            vec![RawTlv {
                tlv_type: 1,
                value: &[]
            }]
        );
        assert_eq!(p.ignored_tail, 5);
        let p = Payload::decode(b"x\0\x00\x01\x00");
        assert!(p.tlvs.is_empty());
        assert_eq!(p.ignored_tail, 3);
    }

    #[test]
    fn unknown_tlv_types_are_kept_raw() {
        for t in [9u16, 256, 0xffff] {
            let mut bytes = b"\0".to_vec();
            bytes.extend(t.to_be_bytes());
            bytes.extend([0, 1, 7]);
            let p = Payload::decode(&bytes);
            let tlv = Tlv::parse(p.tlvs[0]).unwrap();
            assert_eq!(
                tlv,
                Tlv::Unknown(RawTlv {
                    tlv_type: t,
                    value: &[7]
                })
            );
        }
    }

    #[test]
    fn smp_bodies_need_exact_counts_and_no_trailing_bytes() {
        assert!(
            Tlv::parse(RawTlv {
                tlv_type: 2,
                value: &smp_body(6, 6)
            })
            .is_ok()
        );
        assert_eq!(
            Tlv::parse(RawTlv {
                tlv_type: 2,
                value: &smp_body(5, 5)
            }),
            Err(DecodeError::SmpMpiCount {
                expected: 6,
                actual: 5
            })
        );
        assert_eq!(
            Tlv::parse(RawTlv {
                tlv_type: 2,
                value: &smp_body(0xffff_ffff, 0)
            }),
            Err(DecodeError::SmpMpiCount {
                expected: 6,
                actual: 0xffff_ffff
            })
        );
        let mut trailing = smp_body(3, 3);
        trailing.push(0);
        assert!(matches!(
            Tlv::parse(RawTlv {
                tlv_type: 5,
                value: &trailing
            }),
            Err(DecodeError::TrailingBytes { .. })
        ));
        assert!(
            Tlv::parse(RawTlv {
                tlv_type: 3,
                value: &smp_body(11, 10)
            })
            .is_err()
        );
    }

    #[test]
    fn smp_question_needs_its_nul() {
        assert_eq!(
            Tlv::parse(RawTlv {
                tlv_type: 7,
                value: b"no terminator"
            }),
            Err(DecodeError::MissingQuestionTerminator)
        );
        assert!(
            Tlv::parse(RawTlv {
                tlv_type: 7,
                value: b""
            })
            .is_err()
        );
        let mut value = b"what?\0".to_vec();
        value.extend(smp_body(6, 6));
        match Tlv::parse(RawTlv {
            tlv_type: 7,
            value: &value,
        })
        .unwrap()
        {
            Tlv::Smp1Question { question, body } => {
                assert_eq!(question, b"what?");
                assert_eq!(body.0.len(), 6);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn typed_tlvs_round_trip() {
        let body = smp_body(6, 6);
        let raw = RawTlv {
            tlv_type: 7,
            value: &[],
        };
        let mut question = b"q\0".to_vec();
        question.extend(&body);
        let tlvs = [
            Tlv::Padding(&[0; 5]),
            Tlv::Disconnected,
            Tlv::parse(RawTlv {
                tlv_type: 2,
                value: &body,
            })
            .unwrap(),
            Tlv::parse(RawTlv {
                tlv_type: 7,
                value: &question,
            })
            .unwrap(),
            Tlv::SmpAbort,
            Tlv::ExtraSymmetricKey {
                use_id: 1,
                use_data: b"abc",
            },
            Tlv::Unknown(RawTlv {
                tlv_type: 0x1234,
                ..raw
            }),
        ];
        let bytes = Payload::encode(b"text", &tlvs).unwrap();
        let decoded = Payload::decode(&bytes);
        assert_eq!(decoded.text, b"text");
        let parsed: Vec<_> = decoded
            .tlvs
            .into_iter()
            .map(|t| Tlv::parse(t).unwrap())
            .collect();
        assert_eq!(parsed, tlvs);
    }

    #[test]
    fn nul_in_text_is_refused() {
        assert_eq!(
            Payload::encode(b"a\0b", &[]),
            Err(EncodeError::NulInMessage)
        );
        assert_eq!(Payload::encode(b"ab", &[]).unwrap(), b"ab\0");
    }

    #[test]
    fn nul_in_smp_question_is_refused() {
        let body = SmpMpis(vec![Mpi::ZERO; 6]);
        assert_eq!(
            Payload::encode(
                b"",
                &[Tlv::Smp1Question {
                    question: b"a\0b",
                    body
                }]
            ),
            Err(EncodeError::NulInQuestion)
        );
    }

    #[test]
    fn oversized_tlv_is_refused() {
        let big = vec![0u8; 65536];
        assert!(matches!(
            Payload::encode(b"", &[Tlv::Padding(&big)]),
            Err(EncodeError::FieldTooLong { .. })
        ));
        assert!(Payload::encode(b"", &[Tlv::Padding(&big[..65535])]).is_ok());
    }

    #[test]
    fn extra_key_tlv_needs_its_use() {
        assert!(
            Tlv::parse(RawTlv {
                tlv_type: 8,
                value: &[0, 0, 1]
            })
            .is_err()
        );
        assert_eq!(
            Tlv::parse(RawTlv {
                tlv_type: 8,
                value: &[0, 0, 0, 1]
            })
            .unwrap(),
            Tlv::ExtraSymmetricKey {
                use_id: 1,
                use_data: &[]
            }
        );
    }
}

#[cfg(test)]
mod more_tests {
    use super::*;

    #[test]
    fn invalid_utf8_text_is_returned_as_bytes() {
        let p = Payload::decode(b"\xff\xfe ok\0");
        assert_eq!(p.text, b"\xff\xfe ok");
        assert_eq!(String::from_utf8_lossy(p.text), "\u{fffd}\u{fffd} ok");
    }

    fn smp_value(count: usize) -> Vec<u8> {
        let mut w = Writer::new();
        w.u32(u32::try_from(count).unwrap());
        for i in 0..count {
            w.mpi("x", Mpi::trimmed(&[u8::try_from(i + 1).unwrap()]));
        }
        w.finish().unwrap()
    }

    #[test]
    fn each_smp_type_parses_to_its_variant_with_its_own_count() {
        for (tlv_type, count) in [(2u16, 6usize), (3, 11), (4, 8), (5, 3)] {
            let value = smp_value(count);
            let parsed = Tlv::parse(RawTlv {
                tlv_type,
                value: &value,
            })
            .unwrap();
            assert_eq!(parsed.tlv_type(), tlv_type);
            let body = match parsed {
                Tlv::Smp1(b) | Tlv::Smp2(b) | Tlv::Smp3(b) | Tlv::Smp4(b) => b,
                other => panic!("type {tlv_type} parsed as {other:?}"),
            };
            assert_eq!(body.0.len(), count);
        }
        let value = smp_value(8);
        assert!(matches!(
            Tlv::parse(RawTlv {
                tlv_type: 4,
                value: &value
            }),
            Ok(Tlv::Smp3(_))
        ));
        assert_eq!(
            Tlv::parse(RawTlv {
                tlv_type: 4,
                value: &smp_value(6)
            }),
            Err(DecodeError::SmpMpiCount {
                expected: 8,
                actual: 6
            })
        );
    }
}
