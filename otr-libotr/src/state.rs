//! The Rust-side state behind the C structs.

/// What libotr keeps in `ConnContext.context_priv`, as far as this library
/// needs it. The first fields have libotr's `ConnContextPriv` layout (a test
/// peer reads `their_keyid`); the rest is ours.
#[repr(C)]
#[derive(Debug, Default)]
pub struct ContextPriv {
    /// libotr's `fragment` (always NULL here: otr-core reassembles, and
    /// `otrl_proto_fragment_accumulate` keeps its bytes in `fragments`).
    pub fragment: usize,
    /// libotr's `fragment_len` (that of `fragments`).
    pub fragment_len: usize,
    /// libotr's `fragment_n`.
    pub fragment_n: u16,
    /// libotr's `fragment_k`.
    pub fragment_k: u16,
    /// libotr's `their_keyid`: non-zero while the instance is ENCRYPTED.
    pub their_keyid: u32,
    /// When a data message last arrived (seconds; ranks `OTRL_INSTAG_BEST`).
    pub lastrecv: i64,
    /// When a data message was last sent.
    pub lastsent: i64,
    /// The engine for this buddy (master contexts only): every instance of
    /// the buddy lives in one otr-core session.
    pub session: Option<Box<otr_core::Session>>,
    /// The client's `add_app_data` and its data, from the last sending or
    /// receiving call (master contexts only): used for child contexts made
    /// by other calls (SMP, poll), so that every context gets its app data.
    pub add_app_data: crate::ffi::types::AddAppData,
    /// The data for `add_app_data`.
    pub add_app_data_arg: usize,
    /// The partial message of `otrl_proto_fragment_accumulate` (a client's
    /// own reassembly; the engine does its own for `otrl_message_receiving`).
    pub fragments: crate::fragments::Accumulator,
}

/// The message states (`OtrlMessageState`).
pub mod msgstate {
    /// `OTRL_MSGSTATE_PLAINTEXT`.
    pub const PLAINTEXT: i32 = 0;
    /// `OTRL_MSGSTATE_ENCRYPTED`.
    pub const ENCRYPTED: i32 = 1;
    /// `OTRL_MSGSTATE_FINISHED`.
    pub const FINISHED: i32 = 2;
}

/// The meta instance tags.
pub mod instag {
    /// `OTRL_INSTAG_MASTER`.
    pub const MASTER: u32 = 0;
    /// `OTRL_INSTAG_BEST`.
    pub const BEST: u32 = 1;
    /// `OTRL_INSTAG_RECENT`.
    pub const RECENT: u32 = 2;
    /// `OTRL_INSTAG_RECENT_RECEIVED`.
    pub const RECENT_RECEIVED: u32 = 3;
    /// `OTRL_INSTAG_RECENT_SENT`.
    pub const RECENT_SENT: u32 = 4;
    /// `OTRL_MIN_VALID_INSTAG`.
    pub const MIN_VALID: u32 = 0x100;
}

/// What `OTRL_INSTAG_BEST` compares between two instances of a buddy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rank {
    /// `OtrlMessageState`.
    pub msgstate: i32,
    /// Whether the active fingerprint is trusted.
    pub trusted: bool,
    /// When a data message last arrived.
    pub lastrecv: i64,
}

/// libotr's choice for `OTRL_INSTAG_BEST`: walking the master and its
/// children in list order, a candidate replaces the best so far when its
/// message state is better (ENCRYPTED beats anything, FINISHED beats
/// PLAINTEXT), or equal with better trust, or equal in both and it received
/// at least as recently. Returns the chosen index (0 when `ranks` is empty).
#[must_use]
pub fn best_instance(ranks: &[Rank]) -> usize {
    let mut best = 0usize;
    let Some(mut current) = ranks.first().copied() else {
        return 0;
    };
    for (i, candidate) in ranks.iter().enumerate() {
        let state = if current.msgstate == candidate.msgstate {
            0
        } else if candidate.msgstate == msgstate::ENCRYPTED
            || (current.msgstate == msgstate::PLAINTEXT && candidate.msgstate == msgstate::FINISHED)
        {
            1
        } else {
            -1
        };
        let trust = match (current.trusted, candidate.trusted) {
            (a, b) if a == b => 0,
            (false, true) => 1,
            _ => -1,
        };
        if state == 1
            || (state == 0 && trust == 1)
            || (state == 0 && trust == 0 && candidate.lastrecv >= current.lastrecv)
        {
            best = i;
            current = *candidate;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_prefers_encrypted_then_trust_then_recent() {
        let plain = Rank {
            msgstate: msgstate::PLAINTEXT,
            trusted: false,
            lastrecv: 9,
        };
        let enc = Rank {
            msgstate: msgstate::ENCRYPTED,
            trusted: false,
            lastrecv: 1,
        };
        let enc_trusted = Rank {
            msgstate: msgstate::ENCRYPTED,
            trusted: true,
            lastrecv: 0,
        };
        assert_eq!(best_instance(&[plain, enc, plain]), 1);
        assert_eq!(best_instance(&[plain, enc, enc_trusted]), 2);
        assert_eq!(best_instance(&[plain, plain]), 1);
        assert_eq!(best_instance(&[]), 0);
    }
}
