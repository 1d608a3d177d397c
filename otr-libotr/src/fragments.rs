//! libotr's fragment functions of `proto.h`, for clients that split or
//! reassemble messages themselves: `otrl_proto_fragment_create` (the pieces
//! of a message, with libotr's header formats and sizes) and
//! `otrl_proto_fragment_accumulate` (one context's reassembly, with libotr's
//! parsing of a fragment header). `otrl_message_sending` and `_receiving`
//! do not use these: otr-core fragments and reassembles there.

/// The header libotr reserves per fragment: `?OTR|xxxxxxxx|xxxxxxxx,` +
/// `kkkkk,nnnnn,` + `,` + NUL for v3, `?OTR,kkkkk,nnnnn,` + `,` + NUL
/// before.
const fn header_len(protocol_version: u32) -> usize {
    if protocol_version == 3 { 37 } else { 19 }
}

/// What [`create`] refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateError {
    /// A fragment count outside 1..=65535 (libotr's `GPG_ERR_INV_VALUE`).
    BadCount,
    /// A maximum size below the header (libotr overruns its buffers there;
    /// refused here, also with `GPG_ERR_INV_VALUE`).
    SizeBelowHeader,
}

/// The instance-related fields of the context the fragments are for.
#[derive(Debug, Clone, Copy)]
pub struct FragmentContext {
    /// `context->protocol_version`: chooses the header size.
    pub protocol_version: u32,
    /// `context->auth.protocol_version`: chooses the header format (libotr
    /// reads the two fields for the two purposes).
    pub auth_protocol_version: u32,
    /// `context->our_instance`.
    pub our_instance: u32,
    /// `context->their_instance`.
    pub their_instance: u32,
}

/// `otrl_proto_fragment_create`: `count` fragments of `message`, each
/// carrying up to `mms − header` bytes of it, as libotr builds them (later
/// fragments are empty when the message runs out; a header format longer
/// than the reserved size is cut, as libotr's `snprintf` cuts it).
///
/// # Errors
/// [`CreateError`].
pub fn create(
    mms: i32,
    count: i32,
    context: FragmentContext,
    message: &[u8],
) -> Result<Vec<Vec<u8>>, CreateError> {
    let count = u16::try_from(count)
        .ok()
        .filter(|&c| c >= 1)
        .ok_or(CreateError::BadCount)?;
    let header = header_len(context.protocol_version);
    let room = usize::try_from(mms)
        .ok()
        .and_then(|mms| mms.checked_sub(header))
        .ok_or(CreateError::SizeBelowHeader)?;
    let mut rest = message;
    let mut out = Vec::with_capacity(usize::from(count));
    for k in 1..=count {
        let (piece, after) = rest.split_at(room.min(rest.len()));
        rest = after;
        let head = if context.auth_protocol_version == 3 {
            format!(
                "?OTR|{:08x}|{:08x},{k:05},{count:05},",
                context.our_instance, context.their_instance
            )
        } else {
            format!("?OTR,{k:05},{count:05},")
        };
        let mut fragment = [head.as_bytes(), piece, b","].concat();
        fragment.truncate(piece.len() + header - 1);
        out.push(fragment);
    }
    Ok(out)
}

/// What [`Accumulator::accumulate`] made of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accumulated {
    /// Not a fragment (`OTRL_FRAGMENT_UNFRAGMENTED`); any partial message
    /// was dropped.
    Unfragmented,
    /// A fragment, kept or refused, and no message is complete
    /// (`OTRL_FRAGMENT_INCOMPLETE`).
    Incomplete,
    /// The last fragment arrived: the whole message
    /// (`OTRL_FRAGMENT_COMPLETE`).
    Complete(Vec<u8>),
}

/// One context's partial message (libotr's `fragment`, `fragment_n`,
/// `fragment_k`).
#[derive(Debug, Default)]
pub struct Accumulator {
    data: Vec<u8>,
    n: u16,
    k: u16,
}

/// The fields of a fragment header, as libotr's `sscanf` reads them.
struct Header {
    k: u16,
    n: u16,
    /// Where the piece starts and where the `,` after it ends, from the tag.
    piece: core::ops::Range<usize>,
}

/// A cursor over a fragment header, with `sscanf`'s rules for the numbers:
/// leading white space skipped, an optional sign, at least one digit.
struct Scan<'a> {
    text: &'a [u8],
    at: usize,
}

impl Scan<'_> {
    fn literal(&mut self, c: u8) -> Option<()> {
        (self.text.get(self.at) == Some(&c)).then(|| self.at += 1)
    }

    /// A number in `radix`, as `strtoul` reads it: `None` without a digit.
    fn number(&mut self, radix: u32) -> Option<u64> {
        while self.text.get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
        let negative = match self.text.get(self.at) {
            Some(b'-') => {
                self.at += 1;
                true
            }
            Some(b'+') => {
                self.at += 1;
                false
            }
            _ => false,
        };
        if radix == 16
            && self.text.get(self.at) == Some(&b'0')
            && matches!(self.text.get(self.at + 1), Some(b'x' | b'X'))
            && self
                .text
                .get(self.at + 2)
                .is_some_and(u8::is_ascii_hexdigit)
        {
            self.at += 2;
        }
        let start = self.at;
        let mut value = 0u64;
        while let Some(d) = self
            .text
            .get(self.at)
            .and_then(|&c| char::from(c).to_digit(radix))
        {
            value = value
                .checked_mul(u64::from(radix))
                .and_then(|v| v.checked_add(u64::from(d)))
                .unwrap_or(u64::MAX);
            self.at += 1;
        }
        if self.at == start {
            return None;
        }
        Some(if negative && value != u64::MAX {
            value.wrapping_neg()
        } else {
            value
        })
    }

    /// `%hu`: the number cut to 16 bits, as `scanf` stores it.
    fn short(&mut self) -> Option<u16> {
        self.number(10)
            .map(|v| u16::try_from(v & 0xffff).unwrap_or_default())
    }
}

/// Reads `?OTR|%x|%x,%hu,%hu,<piece>,` (`v3`) or `?OTR,%hu,%hu,<piece>,`
/// at the start of `tag`; `None` where libotr's `sscanf` stops early.
fn parse_header(tag: &[u8], v3: bool) -> Option<Header> {
    let mut scan = Scan { text: tag, at: 5 };
    if v3 {
        scan.number(16)?;
        scan.literal(b'|')?;
        scan.number(16)?;
        scan.literal(b',')?;
    }
    let k = scan.short()?;
    scan.literal(b',')?;
    let n = scan.short()?;
    scan.literal(b',')?;
    let start = scan.at;
    let len = tag.get(start..)?.iter().take_while(|&&c| c != b',').count();
    if len == 0 {
        return None;
    }
    scan.at += len;
    scan.literal(b',')?;
    Some(Header {
        k,
        n,
        piece: start..scan.at,
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

impl Accumulator {
    /// How many bytes are held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether nothing is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The fragment count of the message being reassembled (0 for none).
    #[must_use]
    pub fn n(&self) -> u16 {
        self.n
    }

    /// How many of its fragments arrived.
    #[must_use]
    pub fn k(&self) -> u16 {
        self.k
    }

    fn reset(&mut self) {
        *self = Self::default();
    }

    /// `otrl_proto_fragment_accumulate`: a v3 fragment header (`?OTR|`)
    /// anywhere in the message is looked for first, then a v2 one
    /// (`?OTR,`); without either the message is unfragmented. Fragment 1
    /// starts a message, fragment k+1 of the same count continues it, any
    /// other well-formed fragment drops it; a header libotr cannot read
    /// changes nothing.
    pub fn accumulate(&mut self, message: &[u8]) -> Accumulated {
        let (at, v3) = match find(message, b"?OTR|") {
            Some(at) => (at, true),
            None => match find(message, b"?OTR,") {
                Some(at) => (at, false),
                None => {
                    self.reset();
                    return Accumulated::Unfragmented;
                }
            },
        };
        let tag = message.get(at..).unwrap_or_default();
        if let Some(h) = parse_header(tag, v3).filter(|h| h.k > 0 && h.n > 0 && h.k <= h.n) {
            // The piece, without the ',' that ends it.
            let piece = tag
                .get(h.piece.start..h.piece.end.saturating_sub(1))
                .unwrap_or_default();
            if h.k == 1 {
                self.data = piece.to_vec();
                self.n = h.n;
                self.k = 1;
            } else if h.n == self.n && h.k == self.k.wrapping_add(1) {
                self.data.extend_from_slice(piece);
                self.k = h.k;
            } else {
                self.reset();
            }
        }
        if self.n > 0 && self.n == self.k {
            let whole = core::mem::take(&mut self.data);
            self.reset();
            return Accumulated::Complete(whole);
        }
        Accumulated::Incomplete
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V2: FragmentContext = FragmentContext {
        protocol_version: 2,
        auth_protocol_version: 2,
        our_instance: 0,
        their_instance: 0,
    };
    const V3: FragmentContext = FragmentContext {
        protocol_version: 3,
        auth_protocol_version: 3,
        our_instance: 0x101,
        their_instance: 0xabcdef12,
    };

    #[test]
    fn fragments_in_either_syntax_reassemble() {
        let pieces = create(24, 3, V2, b"hello world").unwrap();
        assert_eq!(
            pieces,
            vec![
                b"?OTR,00001,00003,hello,".to_vec(),
                b"?OTR,00002,00003, worl,".to_vec(),
                b"?OTR,00003,00003,d,".to_vec(),
            ]
        );
        let mut acc = Accumulator::default();
        assert_eq!(acc.accumulate(&pieces[0]), Accumulated::Incomplete);
        assert_eq!((acc.n(), acc.k(), acc.len()), (3, 1, 5));
        assert_eq!(acc.accumulate(&pieces[1]), Accumulated::Incomplete);
        assert_eq!(
            acc.accumulate(&pieces[2]),
            Accumulated::Complete(b"hello world".to_vec())
        );
        assert!(acc.is_empty());

        let pieces = create(40, 2, V3, b"abcdef").unwrap();
        assert_eq!(
            pieces[0],
            b"?OTR|00000101|abcdef12,00001,00002,abc,".to_vec()
        );
        assert_eq!(acc.accumulate(&pieces[0]), Accumulated::Incomplete);
        assert_eq!(
            acc.accumulate(&pieces[1]),
            Accumulated::Complete(b"abcdef".to_vec())
        );
    }

    #[test]
    fn out_of_order_and_unreadable_fragments() {
        let mut acc = Accumulator::default();
        assert_eq!(acc.accumulate(b"?OTR,1,3,ab,"), Accumulated::Incomplete);
        // Fragment 3 before 2: the message is dropped.
        assert_eq!(acc.accumulate(b"?OTR,3,3,ef,"), Accumulated::Incomplete);
        assert_eq!(acc.n(), 0);
        assert_eq!(acc.accumulate(b"?OTR,1,2,ab,"), Accumulated::Incomplete);
        // Unreadable headers change nothing.
        assert_eq!(acc.accumulate(b"?OTR,2,2,,"), Accumulated::Incomplete);
        assert_eq!(acc.accumulate(b"?OTR,x,2,cd,"), Accumulated::Incomplete);
        assert_eq!(acc.accumulate(b"?OTR,0,2,cd,"), Accumulated::Incomplete);
        assert_eq!(acc.k(), 1);
        assert_eq!(
            acc.accumulate(b"?OTR, +2,2,cd,"),
            Accumulated::Complete(b"abcd".to_vec())
        );
        assert_eq!(acc.accumulate(b"?OTR,1,2,ab,"), Accumulated::Incomplete);
        assert_eq!(acc.accumulate(b"plain"), Accumulated::Unfragmented);
        assert_eq!(acc.n(), 0);
        // 65537 is 1 in 16 bits, as scanf's %hu stores it.
        assert_eq!(
            acc.accumulate(b"?OTR,65537,1,z,"),
            Accumulated::Complete(b"z".to_vec())
        );
    }

    #[test]
    fn bad_counts_and_sizes_are_refused() {
        assert_eq!(create(100, 0, V2, b"x"), Err(CreateError::BadCount));
        assert_eq!(create(100, 65536, V2, b"x"), Err(CreateError::BadCount));
        assert_eq!(create(18, 1, V2, b"x"), Err(CreateError::SizeBelowHeader));
        // No room for data: empty fragments, as libotr makes them.
        assert_eq!(
            create(19, 2, V2, b"x").unwrap(),
            vec![
                b"?OTR,00001,00002,,".to_vec(),
                b"?OTR,00002,00002,,".to_vec()
            ]
        );
    }
}
