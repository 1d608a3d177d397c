//! Encoded (binary) OTR messages: decode with the exact bytes each MAC covers,
//! encode byte-for-byte as libotr does.

use crate::ake::{DhCommit, DhKey, MAC_LEN, RevealSignature, SignatureMessage};
use crate::data::{DataFlags, DataMessage};
use crate::error::{DecodeError, EncodeError};
use crate::header::{Header, MessageType, read_header, write_header};
use crate::reader::Reader;
use crate::writer::Writer;

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
