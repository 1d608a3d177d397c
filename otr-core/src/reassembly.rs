//! Reassembling fragmented messages, bounded in size and time.
//!
//! libotr's rules (`otrl_proto_fragment_accumulate`): fragment 1 starts a new
//! message; fragment k+1 of the same n continues it; any other valid fragment
//! drops what was gathered (and is itself dropped unless it is a first
//! fragment). The message completes when k = n. Beyond libotr, the buffer is
//! capped (CVE-2016-2851) and an unfinished message expires.

use core::time::Duration;

use otr_wire::Fragment;
use zeroize::Zeroizing;

use crate::clock::Timestamp;

/// What a fragment did to the reassembly.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum FragmentOutcome {
    /// Stored; more fragments are needed.
    Incomplete,
    /// The message is complete.
    Complete(Vec<u8>),
    /// The fragment did not fit the message being gathered; state reset.
    Discarded,
    /// The message grew past the limit and was dropped.
    LimitExceeded,
}

/// One instance's message in reassembly.
#[derive(Debug, Default)]
pub(crate) struct Reassembly {
    index: u16,
    total: u16,
    buffer: Zeroizing<Vec<u8>>,
    started: Option<Timestamp>,
}

impl Reassembly {
    /// Accepts one fragment.
    pub fn accept(
        &mut self,
        fragment: &Fragment<'_>,
        now: Timestamp,
        limit: usize,
    ) -> FragmentOutcome {
        if fragment.index == 1 {
            self.reset();
            self.total = fragment.total;
            self.started = Some(now);
        } else if !(self.total == fragment.total
            && self.index.checked_add(1) == Some(fragment.index))
        {
            self.reset();
            return FragmentOutcome::Discarded;
        }
        if self.buffer.len().saturating_add(fragment.piece.len()) > limit {
            self.reset();
            return FragmentOutcome::LimitExceeded;
        }
        self.buffer.extend_from_slice(fragment.piece);
        self.index = fragment.index;
        if self.index == self.total {
            let whole = core::mem::take(&mut *self.buffer);
            self.reset();
            FragmentOutcome::Complete(whole)
        } else {
            FragmentOutcome::Incomplete
        }
    }

    /// When the unfinished message expires, if there is one.
    pub fn deadline(&self, lifetime: Duration) -> Option<Timestamp> {
        self.started.map(|t| t.after(lifetime))
    }

    /// Drops an expired unfinished message.
    pub fn expire(&mut self, now: Timestamp, lifetime: Duration) {
        if self.deadline(lifetime).is_some_and(|d| d <= now) {
            self.reset();
        }
    }

    /// Bytes currently held.
    pub fn held_bytes(&self) -> usize {
        self.buffer.len()
    }

    fn reset(&mut self) {
        self.index = 0;
        self.total = 0;
        self.buffer.clear();
        self.buffer.shrink_to_fit();
        self.started = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use otr_wire::Header;

    fn frag(index: u16, total: u16, piece: &[u8]) -> Fragment<'_> {
        Fragment {
            header: Header::V2,
            index,
            total,
            piece,
        }
    }

    const LIMIT: usize = 1000;

    #[test]
    fn in_order_fragments_complete() {
        let mut r = Reassembly::default();
        let t = Timestamp::default();
        assert_eq!(
            r.accept(&frag(1, 3, b"ab"), t, LIMIT),
            FragmentOutcome::Incomplete
        );
        assert_eq!(
            r.accept(&frag(2, 3, b"cd"), t, LIMIT),
            FragmentOutcome::Incomplete
        );
        assert_eq!(
            r.accept(&frag(3, 3, b"e"), t, LIMIT),
            FragmentOutcome::Complete(b"abcde".to_vec())
        );
        assert_eq!(r.held_bytes(), 0);
    }

    #[test]
    fn out_of_order_fragment_resets() {
        let mut r = Reassembly::default();
        let t = Timestamp::default();
        r.accept(&frag(1, 3, b"ab"), t, LIMIT);
        assert_eq!(
            r.accept(&frag(3, 3, b"e"), t, LIMIT),
            FragmentOutcome::Discarded
        );
        assert_eq!(
            r.accept(&frag(2, 3, b"cd"), t, LIMIT),
            FragmentOutcome::Discarded
        );
        // A different total also resets.
        r.accept(&frag(1, 3, b"ab"), t, LIMIT);
        assert_eq!(
            r.accept(&frag(2, 4, b"cd"), t, LIMIT),
            FragmentOutcome::Discarded
        );
    }

    #[test]
    fn first_fragment_restarts() {
        let mut r = Reassembly::default();
        let t = Timestamp::default();
        r.accept(&frag(1, 3, b"ab"), t, LIMIT);
        r.accept(&frag(1, 2, b"xy"), t, LIMIT);
        assert_eq!(
            r.accept(&frag(2, 2, b"z"), t, LIMIT),
            FragmentOutcome::Complete(b"xyz".to_vec())
        );
    }

    #[test]
    fn single_fragment_message_completes() {
        let mut r = Reassembly::default();
        assert_eq!(
            r.accept(&frag(1, 1, b"all"), Timestamp::default(), LIMIT),
            FragmentOutcome::Complete(b"all".to_vec())
        );
    }

    #[test]
    fn n_65535_with_64_kib_pieces_stops_at_the_cap_and_memory_stays_flat() {
        let mut r = Reassembly::default();
        let piece = vec![b'A'; 64 * 1024];
        let limit = 256 * 1024;
        let t = Timestamp::default();
        let mut exceeded = 0;
        for k in 1..=65535u16 {
            match r.accept(&frag(k, 65535, &piece), t, limit) {
                FragmentOutcome::LimitExceeded => exceeded += 1,
                FragmentOutcome::Incomplete | FragmentOutcome::Discarded => {}
                FragmentOutcome::Complete(_) => panic!("must never complete"),
            }
            assert!(r.held_bytes() <= limit);
            if k == 100 {
                break;
            }
        }
        assert_eq!(
            exceeded, 1,
            "the cap is hit once; later pieces are out of order"
        );
    }

    #[test]
    fn unfinished_message_expires() {
        let mut r = Reassembly::default();
        let life = Duration::from_secs(10);
        r.accept(&frag(1, 2, b"ab"), Timestamp::default(), LIMIT);
        assert_eq!(r.deadline(life), Some(Timestamp(life)));
        r.expire(Timestamp(Duration::from_secs(9)), life);
        assert_eq!(r.held_bytes(), 2);
        r.expire(Timestamp(life), life);
        assert_eq!(r.held_bytes(), 0);
        assert_eq!(r.deadline(life), None);
    }

    #[test]
    fn message_of_exactly_the_limit_completes_and_one_byte_more_is_dropped() {
        let t = Timestamp::default();
        let mut r = Reassembly::default();
        assert_eq!(
            r.accept(&frag(1, 2, b"abc"), t, 5),
            FragmentOutcome::Incomplete
        );
        assert_eq!(
            r.accept(&frag(2, 2, b"de"), t, 5),
            FragmentOutcome::Complete(b"abcde".to_vec())
        );
        let mut r = Reassembly::default();
        assert_eq!(
            r.accept(&frag(1, 2, b"abc"), t, 5),
            FragmentOutcome::Incomplete
        );
        assert_eq!(
            r.accept(&frag(2, 2, b"def"), t, 5),
            FragmentOutcome::LimitExceeded
        );
        assert_eq!(r.held_bytes(), 0);
        // A first fragment alone over the limit is dropped too; one at the
        // limit is kept.
        let mut r = Reassembly::default();
        assert_eq!(
            r.accept(&frag(1, 2, b"abcdef"), t, 5),
            FragmentOutcome::LimitExceeded
        );
        assert_eq!(
            r.accept(&frag(1, 2, b"abcde"), t, 5),
            FragmentOutcome::Incomplete
        );
        assert_eq!(r.held_bytes(), 5);
    }
}
