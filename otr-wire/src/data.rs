//! Data messages: the encrypted conversation.
//!
//! ```text
//! header ‖ BYTE flags ‖ INT sender keyid ‖ INT recipient keyid ‖ MPI next g^y
//!        ‖ CTR top half (8) ‖ DATA AES-CTR(plaintext)          ← MAC covers up to here
//!        ‖ MAC (20, HMAC-SHA1) ‖ DATA old MAC keys (revealed)
//! ```

use crate::ake::MAC_LEN;
use crate::error::DecodeError;
use crate::mpi::Mpi;
use crate::reader::Reader;
use crate::writer::Writer;

/// The flags byte of a data message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DataFlags(pub u8);

impl DataFlags {
    /// `IGNORE_UNREADABLE` (0x01): the receiver should not complain if it cannot
    /// read the message (heartbeats, SMP, disconnect, extra-key messages).
    pub const IGNORE_UNREADABLE: u8 = 0x01;

    /// No flag set (ordinary user messages).
    pub const NONE: Self = Self(0);

    /// Whether `IGNORE_UNREADABLE` is set.
    #[must_use]
    pub fn ignore_unreadable(self) -> bool {
        self.0 & Self::IGNORE_UNREADABLE != 0
    }
}

/// A data message, borrowed from the decoded (or to-be-encoded) bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataMessage<'a> {
    /// Flags (see [`DataFlags`]).
    pub flags: DataFlags,
    /// The key id of the sender's DH key used for this message.
    pub sender_keyid: u32,
    /// The key id of the recipient's DH key used for this message.
    pub recipient_keyid: u32,
    /// The sender's next DH public key (`sender_keyid + 1`).
    pub next_dh: Mpi<'a>,
    /// The top half of the AES-CTR counter.
    pub counter: [u8; 8],
    /// The encrypted payload (text, NUL, TLVs).
    pub encrypted: &'a [u8],
    /// HMAC-SHA1 over everything from the protocol version through `encrypted`.
    pub mac: [u8; MAC_LEN],
    /// MAC keys the sender reveals because it no longer uses them (concatenated
    /// 20-byte keys).
    pub old_mac_keys: &'a [u8],
}

impl<'a> DataMessage<'a> {
    pub(crate) fn read(r: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let flags = DataFlags(r.u8("flags")?);
        let sender_keyid = r.u32("sender key id")?;
        let recipient_keyid = r.u32("recipient key id")?;
        let next_dh = r.mpi("next DH key")?;
        let counter = r.array("counter")?;
        let encrypted = r.data("encrypted message")?;
        let mac = r.array("MAC")?;
        let old_mac_keys = r.data("old MAC keys")?;
        Ok(Self {
            flags,
            sender_keyid,
            recipient_keyid,
            next_dh,
            counter,
            encrypted,
            mac,
            old_mac_keys,
        })
    }

    /// Writes the fields the MAC covers, after the header.
    pub(crate) fn write_authenticated(&self, w: &mut Writer) {
        w.u8(self.flags.0)
            .u32(self.sender_keyid)
            .u32(self.recipient_keyid)
            .mpi("next DH key", self.next_dh)
            .bytes(&self.counter)
            .data("encrypted message", self.encrypted);
    }

    /// Writes the fields after the MAC-covered part.
    pub(crate) fn write_trailer(&self, mac: &[u8; MAC_LEN], w: &mut Writer) {
        w.bytes(mac).data("old MAC keys", self.old_mac_keys);
    }

    /// Reads only the flags of a data message body (the byte right after the
    /// header), so the engine can honour `IGNORE_UNREADABLE` before anything is
    /// verified — as libotr does.
    pub(crate) fn peek_flags(r: &mut Reader<'_>) -> Result<DataFlags, DecodeError> {
        Ok(DataFlags(r.u8("flags")?))
    }

    /// An iterator over the revealed 20-byte MAC keys (a trailing partial key is
    /// not returned).
    pub fn revealed_mac_keys(&self) -> impl Iterator<Item = &'a [u8; MAC_LEN]> + 'a {
        self.old_mac_keys
            .chunks_exact(MAC_LEN)
            .filter_map(|chunk| chunk.try_into().ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignore_unreadable_reads_bit_0_only() {
        assert!(!DataFlags::NONE.ignore_unreadable());
        assert!(DataFlags(DataFlags::IGNORE_UNREADABLE).ignore_unreadable());
        assert!(DataFlags(0xff).ignore_unreadable());
        assert!(!DataFlags(0x02).ignore_unreadable());
        assert!(!DataFlags(0xfe).ignore_unreadable());
    }
}
