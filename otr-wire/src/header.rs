//! Protocol versions, instance tags and the header every encoded message and
//! fragment starts with.

use core::fmt;
use core::num::NonZeroU32;

use crate::error::DecodeError;
use crate::reader::Reader;
use crate::writer::Writer;

/// The OTR protocol versions this crate speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum ProtocolVersion {
    /// OTR version 2 (no instance tags).
    V2,
    /// OTR version 3 (instance tags in every message).
    V3,
}

impl ProtocolVersion {
    /// The version number as it appears on the wire.
    #[must_use]
    pub fn number(self) -> u16 {
        match self {
            Self::V2 => 2,
            Self::V3 => 3,
        }
    }

    /// The version for a wire number, if spoken.
    #[must_use]
    pub fn from_number(number: u16) -> Option<Self> {
        match number {
            2 => Some(Self::V2),
            3 => Some(Self::V3),
            _ => None,
        }
    }
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.number())
    }
}

/// A valid instance tag: a 32-bit client identifier of at least 0x100.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InstanceTag(NonZeroU32);

impl InstanceTag {
    /// The smallest valid instance tag.
    pub const MIN: u32 = 0x100;

    /// The tag for a wire value; `None` below 0x100.
    #[must_use]
    pub fn new(value: u32) -> Option<Self> {
        if value >= Self::MIN {
            NonZeroU32::new(value).map(Self)
        } else {
            None
        }
    }

    /// The wire value.
    #[must_use]
    pub fn get(self) -> u32 {
        self.0.get()
    }
}

impl fmt::Debug for InstanceTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InstanceTag(0x{:08x})", self.get())
    }
}

impl fmt::Display for InstanceTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:08x}", self.get())
    }
}

/// Validates a (sender, receiver) pair of wire instance-tag values: the sender
/// must be at least 0x100, the receiver 0 (unknown) or at least 0x100.
///
/// # Errors
/// [`DecodeError::InvalidSenderInstanceTag`] or
/// [`DecodeError::InvalidReceiverInstanceTag`].
pub fn instance_tags_from_wire(
    sender: u32,
    receiver: u32,
) -> Result<(InstanceTag, Option<InstanceTag>), DecodeError> {
    let sender = InstanceTag::new(sender).ok_or(DecodeError::InvalidSenderInstanceTag(sender))?;
    let receiver = match receiver {
        0 => None,
        value => {
            Some(InstanceTag::new(value).ok_or(DecodeError::InvalidReceiverInstanceTag(value))?)
        }
    };
    Ok((sender, receiver))
}

/// The protocol version of a message and, for version 3, its instance tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Header {
    /// A version 2 message.
    V2,
    /// A version 3 message with its instance tags.
    V3 {
        /// The sender's instance tag.
        sender: InstanceTag,
        /// The receiver's instance tag; `None` when the sender does not know it
        /// yet (sent as 0).
        receiver: Option<InstanceTag>,
    },
}

impl Header {
    /// The protocol version.
    #[must_use]
    pub fn version(&self) -> ProtocolVersion {
        match self {
            Self::V2 => ProtocolVersion::V2,
            Self::V3 { .. } => ProtocolVersion::V3,
        }
    }

    /// The sender's instance tag (v3 only).
    #[must_use]
    pub fn sender(&self) -> Option<InstanceTag> {
        match self {
            Self::V2 => None,
            Self::V3 { sender, .. } => Some(*sender),
        }
    }

    /// The receiver's instance tag (v3 only; `None` also when it was 0).
    #[must_use]
    pub fn receiver(&self) -> Option<InstanceTag> {
        match self {
            Self::V2 => None,
            Self::V3 { receiver, .. } => *receiver,
        }
    }

    /// The receiver tag's wire value (0 when unknown or in v2).
    #[must_use]
    pub fn receiver_wire(&self) -> u32 {
        self.receiver().map_or(0, InstanceTag::get)
    }
}

/// The type byte of an encoded message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MessageType {
    /// D-H Commit (0x02).
    DhCommit,
    /// Data (0x03).
    Data,
    /// D-H Key (0x0a).
    DhKey,
    /// Reveal Signature (0x11).
    RevealSignature,
    /// Signature (0x12).
    Signature,
}

impl MessageType {
    /// The wire byte.
    #[must_use]
    pub fn byte(self) -> u8 {
        match self {
            Self::DhCommit => 0x02,
            Self::Data => 0x03,
            Self::DhKey => 0x0a,
            Self::RevealSignature => 0x11,
            Self::Signature => 0x12,
        }
    }

    /// The type for a wire byte.
    #[must_use]
    pub fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            0x02 => Some(Self::DhCommit),
            0x03 => Some(Self::Data),
            0x0a => Some(Self::DhKey),
            0x11 => Some(Self::RevealSignature),
            0x12 => Some(Self::Signature),
            _ => None,
        }
    }
}

/// Reads the protocol version, message type and (v3) instance tags.
pub(crate) fn read_header(r: &mut Reader<'_>) -> Result<(Header, MessageType), DecodeError> {
    let number = r.u16("protocol version")?;
    let version =
        ProtocolVersion::from_number(number).ok_or(DecodeError::UnsupportedVersion(number))?;
    let type_byte = r.u8("message type")?;
    let message_type =
        MessageType::from_byte(type_byte).ok_or(DecodeError::UnknownMessageType(type_byte))?;
    let header = match version {
        ProtocolVersion::V2 => Header::V2,
        ProtocolVersion::V3 => {
            let sender = r.u32("sender instance tag")?;
            let receiver = r.u32("receiver instance tag")?;
            let (sender, receiver) = instance_tags_from_wire(sender, receiver)?;
            Header::V3 { sender, receiver }
        }
    };
    Ok((header, message_type))
}

/// Writes the protocol version, message type and (v3) instance tags.
pub(crate) fn write_header(w: &mut Writer, header: &Header, message_type: MessageType) {
    w.u16(header.version().number()).u8(message_type.byte());
    if let Header::V3 { sender, receiver } = header {
        w.u32(sender.get())
            .u32(receiver.map_or(0, InstanceTag::get));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_tag_boundaries() {
        assert!(InstanceTag::new(0).is_none());
        assert!(InstanceTag::new(0xff).is_none());
        assert_eq!(InstanceTag::new(0x100).map(InstanceTag::get), Some(0x100));
        assert!(InstanceTag::new(u32::MAX).is_some());
    }

    #[test]
    fn sender_tag_below_0x100_is_rejected() {
        assert_eq!(
            instance_tags_from_wire(0xff, 0),
            Err(DecodeError::InvalidSenderInstanceTag(0xff))
        );
        assert_eq!(
            instance_tags_from_wire(0, 0x100),
            Err(DecodeError::InvalidSenderInstanceTag(0))
        );
    }

    #[test]
    fn receiver_tag_between_1_and_0xff_is_rejected() {
        for bad in [1, 0x7f, 0xff] {
            assert_eq!(
                instance_tags_from_wire(0x100, bad),
                Err(DecodeError::InvalidReceiverInstanceTag(bad))
            );
        }
        assert!(matches!(instance_tags_from_wire(0x100, 0), Ok((_, None))));
        assert!(matches!(
            instance_tags_from_wire(0x100, 0x100),
            Ok((_, Some(_)))
        ));
    }

    #[test]
    fn unknown_versions_and_types_are_typed_errors() {
        for (bytes, expected) in [
            (&[0u8, 1, 2][..], DecodeError::UnsupportedVersion(1)),
            (&[0, 4, 2][..], DecodeError::UnsupportedVersion(4)),
            (
                &[0xff, 0xff, 2][..],
                DecodeError::UnsupportedVersion(0xffff),
            ),
            (&[0, 2, 0x99][..], DecodeError::UnknownMessageType(0x99)),
        ] {
            assert_eq!(read_header(&mut Reader::new(bytes)), Err(expected));
        }
    }

    #[test]
    fn every_message_type_byte_round_trips() {
        for ty in [
            MessageType::DhCommit,
            MessageType::Data,
            MessageType::DhKey,
            MessageType::RevealSignature,
            MessageType::Signature,
        ] {
            assert_eq!(MessageType::from_byte(ty.byte()), Some(ty), "{ty:?}");
        }
        assert_eq!(MessageType::from_byte(0x12), Some(MessageType::Signature));
        for unknown in [0x00, 0x01, 0x04, 0x0b, 0x10, 0x13, 0xff] {
            assert_eq!(MessageType::from_byte(unknown), None, "{unknown:#04x}");
        }
    }

    #[test]
    fn header_accessors_return_the_v3_tags_and_nothing_for_v2() {
        let sender = InstanceTag::new(0x1234).unwrap();
        let receiver = InstanceTag::new(0x5678);
        let v3 = Header::V3 { sender, receiver };
        assert_eq!(v3.sender(), Some(sender));
        assert_eq!(v3.receiver(), receiver);
        assert_eq!(v3.receiver_wire(), 0x5678);
        assert_eq!(v3.version(), ProtocolVersion::V3);
        assert_eq!(Header::V2.sender(), None);
        assert_eq!(Header::V2.receiver_wire(), 0);
    }

    #[test]
    fn versions_and_instance_tags_format_as_documented() {
        assert_eq!(ProtocolVersion::V2.to_string(), "2");
        assert_eq!(ProtocolVersion::V3.to_string(), "3");
        let tag = InstanceTag::new(0x1ab).unwrap();
        assert_eq!(tag.to_string(), "0x000001ab");
        assert_eq!(format!("{tag:?}"), "InstanceTag(0x000001ab)");
    }
}
