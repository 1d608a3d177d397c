//! Encoded (binary) OTR messages: decode with the exact bytes each MAC covers,
//! encode byte-for-byte as libotr does.

use crate::ake::{DhCommit, DhKey, MAC_LEN, RevealSignature, SignatureMessage};
use crate::data::{DataFlags, DataMessage};
use crate::error::{DecodeError, EncodeError};
use crate::header::{Header, MessageType, read_header, write_header};
use crate::reader::Reader;
use crate::writer::Writer;
use alloc::vec::Vec;

/// The body of an encoded message, by type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MessageBody<'a> {
    /// D-H Commit.
    DhCommit(DhCommit<'a>),
    /// D-H Key.
    DhKey(DhKey<'a>),
    /// Reveal Signature.
    RevealSignature(RevealSignature<'a>),
    /// Signature.
    Signature(SignatureMessage<'a>),
    /// Data.
    Data(DataMessage<'a>),
}

impl MessageBody<'_> {
    /// The message type byte this body is sent with.
    #[must_use]
    pub fn message_type(&self) -> MessageType {
        match self {
            Self::DhCommit(_) => MessageType::DhCommit,
            Self::DhKey(_) => MessageType::DhKey,
            Self::RevealSignature(_) => MessageType::RevealSignature,
            Self::Signature(_) => MessageType::Signature,
            Self::Data(_) => MessageType::Data,
        }
    }
}

/// A complete encoded OTR message (the bytes inside `?OTR:…​.`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodedMessage<'a> {
    /// Version and instance tags.
    pub header: Header,
    /// The typed body.
    pub body: MessageBody<'a>,
}

/// A decoded message together with the exact received bytes its MAC covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodedMessage<'a> {
    /// The message.
    pub message: EncodedMessage<'a>,
    /// The received bytes the message's MAC covers: for data messages everything
    /// from the protocol version through the encrypted-message DATA field; for
    /// Reveal Signature and Signature the encrypted-signature DATA field with
    /// its 4-byte length; empty for D-H Commit and D-H Key, which carry no MAC.
    pub authenticated: &'a [u8],
}

impl<'a> EncodedMessage<'a> {
    /// Decodes a binary OTR message. Every length is checked before use, MPIs
    /// must be minimal, and nothing may follow the last field.
    ///
    /// # Errors
    /// A [`DecodeError`] naming the first problem.
    pub fn decode(bytes: &'a [u8]) -> Result<DecodedMessage<'a>, DecodeError> {
        let mut r = Reader::new(bytes);
        let (header, message_type) = read_header(&mut r)?;
        let mut authenticated: &'a [u8] = &[];
        let body = match message_type {
            MessageType::DhCommit => MessageBody::DhCommit(DhCommit::read(&mut r)?),
            MessageType::DhKey => MessageBody::DhKey(DhKey::read(&mut r)?),
            MessageType::RevealSignature => {
                let (m, covered) = RevealSignature::read(&mut r)?;
                authenticated = covered;
                MessageBody::RevealSignature(m)
            }
            MessageType::Signature => {
                let (m, covered) = SignatureMessage::read(&mut r)?;
                authenticated = covered;
                MessageBody::Signature(m)
            }
            MessageType::Data => {
                let m = DataMessage::read(&mut r)?;
                let covered_len = bytes
                    .len()
                    .saturating_sub(r.remaining())
                    .saturating_sub(MAC_LEN)
                    .saturating_sub(4)
                    .saturating_sub(m.old_mac_keys.len());
                authenticated = bytes.get(..covered_len).unwrap_or_default();
                MessageBody::Data(m)
            }
        };
        r.finish("encoded message")?;
        Ok(DecodedMessage {
            message: EncodedMessage { header, body },
            authenticated,
        })
    }

    /// Encodes the message as its binary form.
    ///
    /// # Errors
    /// [`EncodeError::FieldTooLong`] if a field exceeds its length prefix.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut w = Writer::with_capacity(self.capacity_hint());
        write_header(&mut w, &self.header, self.body.message_type());
        match &self.body {
            MessageBody::DhCommit(m) => m.write(&mut w),
            MessageBody::DhKey(m) => m.write(&mut w),
            MessageBody::RevealSignature(m) => m.write(&mut w),
            MessageBody::Signature(m) => m.write(&mut w),
            MessageBody::Data(m) => {
                m.write_authenticated(&mut w);
                m.write_trailer(&m.mac, &mut w);
            }
        }
        w.finish()
    }

    fn capacity_hint(&self) -> usize {
        let body = match &self.body {
            MessageBody::DhCommit(m) => m.encrypted_gx.len().saturating_add(40),
            MessageBody::DhKey(m) => m.gy.encoded_len(),
            MessageBody::RevealSignature(m) => m.encrypted_signature.len().saturating_add(48),
            MessageBody::Signature(m) => m.encrypted_signature.len().saturating_add(24),
            MessageBody::Data(m) => m
                .encrypted
                .len()
                .saturating_add(m.old_mac_keys.len())
                .saturating_add(m.next_dh.encoded_len())
                .saturating_add(48),
        };
        body.saturating_add(11)
    }
}

impl DataMessage<'_> {
    /// Encodes a data message whose MAC is computed by `mac` over exactly the
    /// bytes it must cover (protocol version through the encrypted-message
    /// DATA field); the `mac` field of `self` is ignored.
    ///
    /// # Errors
    /// [`EncodeError::FieldTooLong`] if a field exceeds its length prefix.
    pub fn encode_with_mac(
        &self,
        header: &Header,
        mac: impl FnOnce(&[u8]) -> [u8; MAC_LEN],
    ) -> Result<Vec<u8>, EncodeError> {
        let mut w = Writer::with_capacity(
            self.encrypted
                .len()
                .saturating_add(self.old_mac_keys.len())
                .saturating_add(self.next_dh.encoded_len())
                .saturating_add(60),
        );
        write_header(&mut w, header, MessageType::Data);
        self.write_authenticated(&mut w);
        let tag = mac(w.as_bytes());
        self.write_trailer(&tag, &mut w);
        w.finish()
    }
}

/// Reads the header of an encoded message and, for a data message, its flags —
/// without decoding or verifying the rest. libotr reads `IGNORE_UNREADABLE`
/// this way before deciding whether to complain about a message it cannot read.
///
/// # Errors
/// A [`DecodeError`] if even the header is unreadable.
pub fn peek_header(bytes: &[u8]) -> Result<(Header, MessageType, Option<DataFlags>), DecodeError> {
    let mut r = Reader::new(bytes);
    let (header, message_type) = read_header(&mut r)?;
    let flags = match message_type {
        MessageType::Data => Some(DataMessage::peek_flags(&mut r)?),
        _ => None,
    };
    Ok((header, message_type, flags))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::InstanceTag;
    use crate::mpi::Mpi;

    fn v3() -> Header {
        Header::V3 {
            sender: InstanceTag::new(0x101).unwrap(),
            receiver: InstanceTag::new(0x202),
        }
    }

    fn data_message() -> Vec<u8> {
        DataMessage {
            flags: DataFlags(1),
            sender_keyid: 2,
            recipient_keyid: 3,
            next_dh: Mpi::trimmed(&[5; 192]),
            counter: [0, 0, 0, 0, 0, 0, 0, 9],
            encrypted: b"ciphertext",
            mac: [0; 20],
            old_mac_keys: &[7; 40],
        }
        .encode_with_mac(&v3(), |covered| {
            let mut mac = [0u8; 20];
            mac[0] = u8::try_from(covered.len() % 256).unwrap();
            mac
        })
        .unwrap()
    }

    #[test]
    fn data_message_exposes_the_mac_covered_range() {
        let bytes = data_message();
        let decoded = EncodedMessage::decode(&bytes).unwrap();
        // header 11 + flags 1 + keyids 8 + MPI 196 + ctr 8 + DATA 14
        assert_eq!(decoded.authenticated.len(), 238);
        assert_eq!(decoded.authenticated, &bytes[..238]);
        let MessageBody::Data(d) = decoded.message.body else {
            panic!()
        };
        assert_eq!(d.mac[0], 238);
        assert_eq!(d.revealed_mac_keys().count(), 2);
        assert_eq!(decoded.message.encode().unwrap(), bytes);
    }

    #[test]
    fn every_truncation_of_a_message_is_rejected() {
        let bytes = data_message();
        for len in 0..bytes.len() {
            assert!(
                EncodedMessage::decode(&bytes[..len]).is_err(),
                "prefix {len}"
            );
        }
    }

    #[test]
    fn data_message_truncated_inside_the_mac_is_rejected() {
        let bytes = data_message();
        let mac_start = 238;
        for len in mac_start..mac_start + 20 {
            assert!(matches!(
                EncodedMessage::decode(&bytes[..len]),
                Err(DecodeError::UnexpectedEnd { field: "MAC", .. })
            ));
        }
    }

    #[test]
    fn trailing_byte_after_the_last_field_is_rejected() {
        let mut bytes = data_message();
        bytes.push(0);
        assert_eq!(
            EncodedMessage::decode(&bytes),
            Err(DecodeError::TrailingBytes {
                structure: "encoded message",
                count: 1
            })
        );
    }

    #[test]
    fn payload_shorter_than_the_header_is_rejected() {
        for bytes in [
            &[][..],
            &[0],
            &[0, 3],
            &[0, 3, 3],
            &[0, 3, 3, 0, 0, 1, 0, 0, 0, 2],
        ] {
            assert!(matches!(
                EncodedMessage::decode(bytes),
                Err(DecodeError::UnexpectedEnd { .. })
            ));
        }
    }

    #[test]
    fn dh_key_with_non_minimal_mpi_is_rejected() {
        let mut bytes = vec![0, 2, 0x0a, 0, 0, 0, 2, 0, 5];
        assert_eq!(
            EncodedMessage::decode(&bytes),
            Err(DecodeError::NonMinimalMpi { field: "g^y" })
        );
        bytes = vec![0, 2, 0x0a, 0, 0, 0, 1, 5];
        assert!(EncodedMessage::decode(&bytes).is_ok());
    }

    #[test]
    fn mpi_or_data_length_0xffffffff_is_rejected_before_allocating() {
        let bytes = [0, 2, 0x0a, 0xff, 0xff, 0xff, 0xff, 1, 2];
        assert!(matches!(
            EncodedMessage::decode(&bytes),
            Err(DecodeError::UnexpectedEnd {
                needed: 0xffff_ffff,
                ..
            })
        ));
        let bytes = [0, 2, 0x02, 0xff, 0xff, 0xff, 0xff];
        assert!(matches!(
            EncodedMessage::decode(&bytes),
            Err(DecodeError::UnexpectedEnd { .. })
        ));
    }

    fn commit_with_hash_len(len: usize) -> Vec<u8> {
        let mut bytes = vec![0, 2, 0x02, 0, 0, 0, 1, 0xaa];
        bytes.extend(u32::try_from(len).unwrap().to_be_bytes());
        bytes.extend(vec![1; len]);
        bytes
    }

    #[test]
    fn dh_commit_hashed_gx_must_be_32_bytes() {
        assert!(EncodedMessage::decode(&commit_with_hash_len(32)).is_ok());
        for len in [0, 20, 31, 33, 64] {
            assert_eq!(
                EncodedMessage::decode(&commit_with_hash_len(len)),
                Err(DecodeError::BadLength {
                    field: "hashed g^x",
                    expected: 32,
                    actual: len
                })
            );
        }
    }

    fn reveal_with_key_len(len: usize) -> Vec<u8> {
        let mut bytes = vec![0, 2, 0x11];
        bytes.extend(u32::try_from(len).unwrap().to_be_bytes());
        bytes.extend(vec![1; len]);
        bytes.extend([0, 0, 0, 2, 9, 9]);
        bytes.extend([3; 20]);
        bytes
    }

    #[test]
    fn reveal_signature_with_r_of_length_0_15_17_or_2_pow_20_is_rejected() {
        assert!(EncodedMessage::decode(&reveal_with_key_len(16)).is_ok());
        for len in [0, 15, 17, 1 << 20] {
            assert!(matches!(
                EncodedMessage::decode(&reveal_with_key_len(len)),
                Err(DecodeError::BadLength {
                    field: "revealed key",
                    ..
                })
            ));
        }
    }

    #[test]
    fn reveal_signature_exposes_the_mac_covered_range() {
        let bytes = reveal_with_key_len(16);
        let decoded = EncodedMessage::decode(&bytes).unwrap();
        assert_eq!(decoded.authenticated, &[0, 0, 0, 2, 9, 9]);
        assert_eq!(
            crate::ake::encrypted_signature_mac_input(&[9, 9]),
            decoded.authenticated
        );
    }

    #[test]
    fn v3_header_with_bad_instance_tags_is_rejected() {
        let bytes = [0, 3, 0x0a, 0, 0, 0, 0xff, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(
            EncodedMessage::decode(&bytes),
            Err(DecodeError::InvalidSenderInstanceTag(0xff))
        );
        let bytes = [0, 3, 0x0a, 0, 0, 1, 0, 0, 0, 0, 0x80, 0, 0, 0, 0];
        assert_eq!(
            EncodedMessage::decode(&bytes),
            Err(DecodeError::InvalidReceiverInstanceTag(0x80))
        );
    }

    #[test]
    fn peek_header_reads_flags_without_verifying() {
        let bytes = data_message();
        let (header, ty, flags) = peek_header(&bytes[..13]).unwrap();
        assert_eq!((header, ty), (v3(), MessageType::Data));
        assert!(flags.unwrap().ignore_unreadable());
    }

    #[test]
    fn ake_messages_re_encode_to_their_input() {
        let mut signature = vec![0, 2, 0x12, 0, 0, 0, 2, 9, 9];
        signature.extend([3; 20]);
        let dh_key = vec![0, 3, 0x0a, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 1, 5];
        for (bytes, ty) in [
            (commit_with_hash_len(32), MessageType::DhCommit),
            (reveal_with_key_len(16), MessageType::RevealSignature),
            (signature, MessageType::Signature),
            (dh_key, MessageType::DhKey),
        ] {
            let decoded = EncodedMessage::decode(&bytes).unwrap();
            assert_eq!(decoded.message.body.message_type(), ty);
            assert_eq!(decoded.message.encode().unwrap(), bytes, "{ty:?}");
        }
    }

    #[test]
    fn signature_message_exposes_the_mac_covered_range() {
        let mut bytes = vec![0, 2, 0x12, 0, 0, 0, 2, 9, 9];
        bytes.extend([3; 20]);
        let decoded = EncodedMessage::decode(&bytes).unwrap();
        assert_eq!(decoded.authenticated, &[0, 0, 0, 2, 9, 9]);
        let MessageBody::Signature(s) = decoded.message.body else {
            panic!("{:?}", decoded.message.body)
        };
        assert_eq!((s.encrypted_signature, s.mac), (&[9u8, 9][..], [3; 20]));
    }
}
