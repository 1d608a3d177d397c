//! libgcrypt's s-expressions, as far as libotr's private-key file uses them:
//! a reader that accepts what libgcrypt 1.10's `gcry_sexp_new` accepts, and a
//! writer that prints exactly what its `gcry_sexp_sprint(…, GCRYSEXP_FMT_ADVANCED)`
//! prints.
//!
//! Reader, as libgcrypt (checked against libgcrypt 1.10.1):
//! * whitespace is space, TAB, VT, FF, CR, LF;
//! * tokens start with a letter or one of `-./_:*+=` and go on with those and digits;
//! * `"…"` strings take the C escapes `\b \t \v \n \f \r \" \' \\`, `\ooo`
//!   (three octal digits, taken mod 256), `\xHH`, and backslash-newline
//!   (`\` LF, `\` CR, `\` CR LF, `\` LF CR) continuations; any other escape is an error;
//! * `#…#` hex may contain whitespace between digits, and needs an even count;
//! * `|…|` base64 decodes as libgpg-error's decoder does: only the base64
//!   alphabet and `=` are allowed, decoding stops at the first `=` (a lone
//!   sextet before it becomes a byte), leftover bits are dropped, and `||` is
//!   the empty string (what libotr gets: a bare `gcry_sexp_new` refuses `||`
//!   only because libgcrypt's own zero-byte allocation fails, while libotr
//!   installs its own allocator, `otrl_mem_init`, which does not);
//! * `N:bytes` takes exactly N raw bytes; `N"…"`, `N#…#`, `N|…|` ignore N;
//!   a length may not start with 0;
//! * a display hint `[…]` does **not** annotate the next string in libgcrypt:
//!   whatever is inside the brackets becomes ordinary list elements. We do
//!   the same, so a file means here what it means to libotr;
//! * a string may hold at most 65535 bytes.
//!
//! Deliberately stricter than libgcrypt: nothing but whitespace may follow
//! the top-level list, lengths that overflow are errors (libgcrypt wraps them),
//! and lists nest at most [`MAX_DEPTH`] deep.

use zeroize::Zeroizing;

use super::dsa_integers::hex_value;

/// How deep lists may nest (libotr's file needs 5 levels).
pub(crate) const MAX_DEPTH: usize = 64;

/// The longest string libgcrypt can store (its lengths are 16-bit).
const MAX_ATOM_LEN: usize = 65_535;

/// Characters that may continue a token; all but the digits may start one.
const TOKEN_SPECIALS: &[u8] = b"-./_:*+=";

/// Control characters the advanced printer escapes by name inside strings.
const NAMED_ESCAPES: &[u8] = b"\x08\t\x0b\n\x0c\r\"'\\";

/// One element of an s-expression, with the byte offset where it starts.
/// String contents are zeroized on drop (the private key lives in them).
pub(crate) enum SexpNode {
    /// A string (token, quoted, hex, base64 or length-prefixed).
    Atom {
        /// Byte offset in the input.
        position: usize,
        /// The decoded bytes.
        bytes: Zeroizing<Vec<u8>>,
    },
    /// A parenthesised list.
    List {
        /// Byte offset of its `(`.
        position: usize,
        /// Byte offset just after its `)`.
        end: usize,
        /// Its elements.
        items: Vec<SexpNode>,
    },
}

impl SexpNode {
    /// An atom with no meaningful input position (for writing).
    pub fn atom(bytes: &[u8]) -> Self {
        Self::Atom {
            position: 0,
            bytes: Zeroizing::new(bytes.to_vec()),
        }
    }

    /// A list with no meaningful input position (for writing).
    pub fn list(items: Vec<SexpNode>) -> Self {
        Self::List {
            position: 0,
            end: 0,
            items,
        }
    }

    /// The byte offset where this element starts in the input.
    pub fn position(&self) -> usize {
        match self {
            Self::Atom { position, .. } | Self::List { position, .. } => *position,
        }
    }

    /// The byte offset just after this element in the input (after the `)`
    /// of a list; an atom's own end is not recorded, so its start).
    pub fn end(&self) -> usize {
        match self {
            Self::List { end, .. } => *end,
            Self::Atom { position, .. } => *position,
        }
    }

    /// The bytes of an atom.
    pub fn as_atom(&self) -> Option<&[u8]> {
        match self {
            Self::Atom { bytes, .. } => Some(bytes),
            Self::List { .. } => None,
        }
    }

    /// The elements of a list.
    pub fn as_list(&self) -> Option<&[SexpNode]> {
        match self {
            Self::List { items, .. } => Some(items),
            Self::Atom { .. } => None,
        }
    }

    /// The `n`-th element's bytes, when this is a list and that element an atom
    /// (`gcry_sexp_nth_data`).
    pub fn nth_atom(&self, n: usize) -> Option<&[u8]> {
        self.as_list()?.get(n)?.as_atom()
    }

    /// The first list, in document order, whose head is the atom `token`:
    /// this list itself or any list inside it (`gcry_sexp_find_token`).
    pub fn find_token(&self, token: &[u8]) -> Option<&SexpNode> {
        let items = self.as_list()?;
        if items.first().and_then(SexpNode::as_atom) == Some(token) {
            return Some(self);
        }
        items.iter().find_map(|item| item.find_token(token))
    }
}

fn is_whitespace(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | 0x0b | 0x0c | b'\r' | b'\n')
}

fn is_token_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || TOKEN_SPECIALS.contains(&c)
}

fn is_token_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || TOKEN_SPECIALS.contains(&c)
}

/// Parses one s-expression (a list), followed by nothing but whitespace.
pub(crate) fn parse(input: &[u8]) -> Result<SexpNode, SexpError> {
    let mut stack: Vec<(usize, Vec<SexpNode>)> = Vec::new();
    let mut root: Option<SexpNode> = None;
    let mut hint: Option<usize> = None;
    let mut pos = 0usize;
    while let Some(&c) = input.get(pos) {
        if is_whitespace(c) {
            pos += 1;
            continue;
        }
        if root.is_some() {
            return Err(SexpError::TrailingData { position: pos });
        }
        match c {
            b'(' => {
                if hint.is_some() {
                    return Err(SexpError::UnmatchedDisplayHint { position: pos });
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(SexpError::TooDeep {
                        position: pos,
                        limit: MAX_DEPTH,
                    });
                }
                stack.push((pos, Vec::new()));
                pos += 1;
            }
            b')' => {
                if hint.is_some() {
                    return Err(SexpError::UnmatchedDisplayHint { position: pos });
                }
                let (position, items) = stack
                    .pop()
                    .ok_or(SexpError::UnbalancedClose { position: pos })?;
                let list = SexpNode::List {
                    position,
                    end: pos + 1,
                    items,
                };
                match stack.last_mut() {
                    Some((_, parent)) => parent.push(list),
                    None => root = Some(list),
                }
                pos += 1;
            }
            b'[' => {
                if hint.is_some() {
                    return Err(SexpError::NestedDisplayHint { position: pos });
                }
                if stack.is_empty() {
                    return Err(SexpError::NotAList { position: pos });
                }
                hint = Some(pos);
                pos += 1;
            }
            b']' => {
                if hint.take().is_none() {
                    return Err(SexpError::UnmatchedDisplayHint { position: pos });
                }
                pos += 1;
            }
            _ => {
                let Some((_, items)) = stack.last_mut() else {
                    return Err(SexpError::NotAList { position: pos });
                };
                let (bytes, next) = read_atom(input, pos)?;
                if bytes.len() > MAX_ATOM_LEN {
                    return Err(SexpError::StringTooLong { position: pos });
                }
                items.push(SexpNode::Atom {
                    position: pos,
                    bytes,
                });
                pos = next;
            }
        }
    }
    if let Some(position) = hint {
        return Err(SexpError::UnmatchedDisplayHint { position });
    }
    if let Some((position, _)) = stack.last() {
        return Err(SexpError::Unclosed {
            position: *position,
        });
    }
    root.ok_or(SexpError::Empty)
}

/// Reads the atom starting at `pos`; returns its bytes and the offset after it.
fn read_atom(input: &[u8], pos: usize) -> Result<(Zeroizing<Vec<u8>>, usize), SexpError> {
    let c = input.get(pos).copied().unwrap_or(0);
    match c {
        b'"' => read_quoted(input, pos),
        b'#' => read_hex(input, pos),
        b'|' => read_base64(input, pos),
        b'0' => Err(SexpError::ZeroLengthPrefix { position: pos }),
        b'1'..=b'9' => read_length_prefixed(input, pos),
        c if is_token_start(c) => {
            let rest = input.get(pos..).unwrap_or_default();
            let len = rest
                .iter()
                .position(|&c| !is_token_char(c))
                .unwrap_or(rest.len());
            let bytes = rest.get(..len).unwrap_or_default();
            Ok((Zeroizing::new(bytes.to_vec()), pos + len))
        }
        b'{' | b'&' | b'\\' => Err(SexpError::ReservedPunctuation {
            position: pos,
            byte: char::from(c),
        }),
        _ => Err(SexpError::UnexpectedByte {
            position: pos,
            byte: c,
        }),
    }
}

/// `N:bytes`, or a length (ignored) before a quoted, hex or base64 string.
fn read_length_prefixed(
    input: &[u8],
    pos: usize,
) -> Result<(Zeroizing<Vec<u8>>, usize), SexpError> {
    let mut i = pos;
    let mut length = 0usize;
    while let Some(&d) = input.get(i)
        && d.is_ascii_digit()
    {
        length = length
            .checked_mul(10)
            .and_then(|l| l.checked_add(usize::from(d - b'0')))
            .unwrap_or(usize::MAX);
        i += 1;
    }
    match input.get(i) {
        Some(b':') => {
            let start = i + 1;
            let bytes = start
                .checked_add(length)
                .and_then(|end| input.get(start..end))
                .ok_or(SexpError::LengthPastEnd { position: i })?;
            Ok((Zeroizing::new(bytes.to_vec()), start + bytes.len()))
        }
        Some(b'"') => read_quoted(input, i),
        Some(b'#') => read_hex(input, i),
        Some(b'|') => read_base64(input, i),
        _ => Err(SexpError::BadLengthPrefix { position: i }),
    }
}

/// A `"…"` string with C escapes.
fn read_quoted(input: &[u8], open: usize) -> Result<(Zeroizing<Vec<u8>>, usize), SexpError> {
    let unterminated = SexpError::Unterminated {
        position: open,
        what: "quoted string",
    };
    let mut i = open + 1;
    let close = loop {
        match input.get(i) {
            None => return Err(unterminated),
            Some(b'\\') => i += 2,
            Some(b'"') => break i,
            Some(_) => i += 1,
        }
    };
    let content = input.get(open + 1..close).ok_or(unterminated)?;
    let mut out = Zeroizing::new(Vec::with_capacity(content.len()));
    let mut j = 0usize;
    while let Some(&c) = content.get(j) {
        if c != b'\\' {
            out.push(c);
            j += 1;
            continue;
        }
        let bad = SexpError::BadEscape {
            position: open + 2 + j,
        };
        let escape = content.get(j + 1).copied().ok_or_else(|| bad.clone())?;
        match escape {
            b'b' | b't' | b'v' | b'n' | b'f' | b'r' | b'"' | b'\'' | b'\\' => {
                out.push(match escape {
                    b'b' => 0x08,
                    b't' => b'\t',
                    b'v' => 0x0b,
                    b'n' => b'\n',
                    b'f' => 0x0c,
                    b'r' => b'\r',
                    other => other,
                });
                j += 2;
            }
            b'0'..=b'7' => {
                let octal = |k: usize| {
                    content
                        .get(k)
                        .copied()
                        .filter(|d| (b'0'..=b'7').contains(d))
                        .map(|d| u16::from(d - b'0'))
                };
                let (Some(mid), Some(low)) = (octal(j + 2), octal(j + 3)) else {
                    return Err(bad);
                };
                // libgcrypt stores the value in one byte: \777 becomes 0xff.
                let value = (u16::from(escape - b'0') * 64 + mid * 8 + low) & 0xff;
                out.push(u8::try_from(value).unwrap_or(0xff));
                j += 4;
            }
            b'x' => {
                let hex = |k: usize| content.get(k).copied().and_then(hex_value);
                let (Some(high), Some(low)) = (hex(j + 2), hex(j + 3)) else {
                    return Err(bad);
                };
                out.push((high << 4) | low);
                j += 4;
            }
            b'\r' => {
                j += 2;
                if content.get(j) == Some(&b'\n') {
                    j += 1;
                }
            }
            b'\n' => {
                j += 2;
                if content.get(j) == Some(&b'\r') {
                    j += 1;
                }
            }
            _ => return Err(bad),
        }
    }
    Ok((out, close + 1))
}

/// A `#…#` hex string (whitespace allowed between digits).
fn read_hex(input: &[u8], open: usize) -> Result<(Zeroizing<Vec<u8>>, usize), SexpError> {
    let mut i = open + 1;
    let mut digits = 0usize;
    let close = loop {
        match input.get(i) {
            None => {
                return Err(SexpError::Unterminated {
                    position: open,
                    what: "hex string",
                });
            }
            Some(b'#') => break i,
            Some(&c) if hex_value(c).is_some() => digits += 1,
            Some(&c) if is_whitespace(c) => {}
            Some(_) => return Err(SexpError::BadHexDigit { position: i }),
        }
        i += 1;
    };
    if digits % 2 == 1 {
        return Err(SexpError::OddHexDigits { position: close });
    }
    let mut out = Zeroizing::new(Vec::with_capacity(digits / 2));
    let mut high: Option<u8> = None;
    for &c in input.get(open + 1..close).unwrap_or_default() {
        let Some(nibble) = hex_value(c) else {
            continue;
        };
        match high.take() {
            Some(h) => out.push((h << 4) | nibble),
            None => high = Some(nibble),
        }
    }
    Ok((out, close + 1))
}

/// The value of a base64 alphabet character.
fn base64_value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// A `|…|` base64 string, decoded as libgpg-error's `gpgrt_b64dec_proc` does.
fn read_base64(input: &[u8], open: usize) -> Result<(Zeroizing<Vec<u8>>, usize), SexpError> {
    let mut i = open + 1;
    let close = loop {
        match input.get(i) {
            None => {
                return Err(SexpError::Unterminated {
                    position: open,
                    what: "base64 string",
                });
            }
            Some(b'|') => break i,
            Some(&c) if c == b'=' || base64_value(c).is_some() => {}
            Some(_) => return Err(SexpError::BadBase64Character { position: i }),
        }
        i += 1;
    };
    let content = input.get(open + 1..close).unwrap_or_default();
    let mut out = Zeroizing::new(Vec::with_capacity(content.len() / 4 * 3 + 3));
    let mut state = 0u8;
    let mut pending = 0u8;
    for &c in content {
        let Some(v) = base64_value(c) else {
            // '=': stop; a sextet waiting alone still becomes a byte.
            if state == 1 {
                out.push(pending);
            }
            break;
        };
        match state {
            0 => {
                pending = v << 2;
                state = 1;
            }
            1 => {
                out.push(pending | (v >> 4));
                pending = v << 4;
                state = 2;
            }
            2 => {
                out.push(pending | (v >> 2));
                pending = v << 6;
                state = 3;
            }
            _ => {
                out.push(pending | v);
                state = 0;
            }
        }
    }
    Ok((out, close + 1))
}

/// How the advanced printer writes a string.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Encoding {
    Token,
    Quoted,
    Hex,
}

/// libgcrypt's `suitable_encoding`.
///
/// One deliberate difference: libgcrypt would print a string containing a
/// NUL byte (not first) as a bare token with the raw NUL, which cuts libotr's
/// file short; we print it quoted with `\x00` instead.
fn encoding_of(bytes: &[u8]) -> Encoding {
    let Some(&first) = bytes.first() else {
        return Encoding::Quoted;
    };
    if first & 0x80 != 0 || first == 0 {
        return Encoding::Hex;
    }
    let mut maybe_token = true;
    for &c in bytes {
        let binary =
            (c < 0x20 || (0x7f..=0xa0).contains(&c)) && !NAMED_ESCAPES.contains(&c) && c != 0;
        if binary {
            return Encoding::Hex;
        }
        if !is_token_char(c) {
            maybe_token = false;
        }
    }
    if maybe_token && !first.is_ascii_digit() {
        Encoding::Token
    } else {
        Encoding::Quoted
    }
}

fn write_atom(bytes: &[u8], out: &mut Vec<u8>) {
    const UPPER: &[u8; 16] = b"0123456789ABCDEF";
    const LOWER: &[u8; 16] = b"0123456789abcdef";
    let digit = |table: &[u8; 16], nibble: u8| table.get(usize::from(nibble & 0x0f)).copied();
    match encoding_of(bytes) {
        Encoding::Token => out.extend_from_slice(bytes),
        Encoding::Hex => {
            out.push(b'#');
            for &b in bytes {
                out.extend(digit(UPPER, b >> 4));
                out.extend(digit(UPPER, b));
            }
            out.push(b'#');
        }
        Encoding::Quoted => {
            out.push(b'"');
            for &c in bytes {
                let named = match c {
                    0x08 => Some(b'b'),
                    b'\t' => Some(b't'),
                    0x0b => Some(b'v'),
                    b'\n' => Some(b'n'),
                    0x0c => Some(b'f'),
                    b'\r' => Some(b'r'),
                    b'"' | b'\'' | b'\\' => Some(c),
                    _ => None,
                };
                if let Some(name) = named {
                    out.extend_from_slice(&[b'\\', name]);
                } else if c < 0x20 || (0x7f..=0xa0).contains(&c) {
                    out.extend_from_slice(b"\\x");
                    out.extend(digit(LOWER, c >> 4));
                    out.extend(digit(LOWER, c));
                } else {
                    out.push(c);
                }
            }
            out.push(b'"');
        }
    }
}

/// One step of the printer's walk.
enum Event<'a> {
    Open,
    Close,
    Data(&'a [u8]),
}

fn flatten<'a>(node: &'a SexpNode, events: &mut Vec<Event<'a>>) {
    match node {
        SexpNode::Atom { bytes, .. } => events.push(Event::Data(bytes)),
        SexpNode::List { items, .. } => {
            events.push(Event::Open);
            for item in items {
                flatten(item, events);
            }
            events.push(Event::Close);
        }
    }
}

/// Appends `node` as `gcry_sexp_sprint(…, GCRYSEXP_FMT_ADVANCED)` prints it:
/// every nested `(` starts a new line indented by its depth, a `)` followed
/// by a string or another `)` ends its line, strings are followed by a space
/// unless a `)` comes next, and a newline ends the whole.
pub(crate) fn write_advanced(node: &SexpNode, out: &mut Vec<u8>) {
    let mut events = Vec::new();
    flatten(node, &mut events);
    let mut indent = 0usize;
    let newline_and_indent = |out: &mut Vec<u8>, indent: usize| {
        out.push(b'\n');
        out.extend(core::iter::repeat_n(b' ', indent));
    };
    for (i, event) in events.iter().enumerate() {
        let next = events.get(i + 1);
        match event {
            Event::Open => {
                if indent > 0 {
                    newline_and_indent(out, indent);
                }
                out.push(b'(');
                indent += 1;
            }
            Event::Close => {
                out.push(b')');
                indent = indent.saturating_sub(1);
                if matches!(next, Some(Event::Close | Event::Data(_))) {
                    newline_and_indent(out, indent);
                }
            }
            Event::Data(bytes) => {
                write_atom(bytes, out);
                if !matches!(next, Some(Event::Close)) {
                    out.push(b' ');
                }
            }
        }
    }
    out.push(b'\n');
}

/// An upper bound on the bytes [`write_advanced`] appends for `node`.
pub(crate) fn advanced_len_bound(node: &SexpNode, depth: usize) -> usize {
    match node {
        // Quoted `\xHH` is the worst case: 4 bytes per byte, plus quotes and a space.
        SexpNode::Atom { bytes, .. } => bytes.len().saturating_mul(4).saturating_add(3),
        SexpNode::List { items, .. } => items
            .iter()
            .fold(depth.saturating_mul(2).saturating_add(4), |acc, item| {
                acc.saturating_add(advanced_len_bound(item, depth.saturating_add(1)))
            }),
    }
}

/// A syntax error in an s-expression, at a byte offset of the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SexpError {
    /// The input holds no s-expression at all.
    #[error("the file is empty: expected an s-expression starting with '('")]
    Empty,
    /// Something other than `(` starts the input.
    #[error("byte {position}: expected '(' to start the s-expression")]
    NotAList {
        /// Byte offset.
        position: usize,
    },
    /// Something other than whitespace follows the closed top-level list.
    #[error("byte {position}: unexpected data after the end of the s-expression")]
    TrailingData {
        /// Byte offset.
        position: usize,
    },
    /// A `)` with no open list.
    #[error("byte {position}: ')' closes a list that was never opened")]
    UnbalancedClose {
        /// Byte offset.
        position: usize,
    },
    /// The input ends inside a list.
    #[error("the list opened at byte {position} is never closed (the file may be truncated)")]
    Unclosed {
        /// Byte offset of the innermost unclosed `(`.
        position: usize,
    },
    /// Lists nest deeper than the limit.
    #[error("byte {position}: lists nest deeper than {limit} levels")]
    TooDeep {
        /// Byte offset.
        position: usize,
        /// The nesting limit.
        limit: usize,
    },
    /// A quoted string, `#hex#` or `|base64|` that never ends.
    #[error("byte {position}: this {what} is never closed (the file may be truncated)")]
    Unterminated {
        /// Byte offset of its opening character.
        position: usize,
        /// `"quoted string"`, `"hex string"` or `"base64 string"`.
        what: &'static str,
    },
    /// An escape a quoted string may not contain.
    #[error("byte {position}: invalid escape sequence in a quoted string")]
    BadEscape {
        /// Byte offset of the character after the backslash.
        position: usize,
    },
    /// A character that is neither a hex digit nor whitespace inside `#…#`.
    #[error("byte {position}: not a hex digit inside #…#")]
    BadHexDigit {
        /// Byte offset.
        position: usize,
    },
    /// An odd number of hex digits inside `#…#`.
    #[error("byte {position}: odd number of hex digits inside #…#")]
    OddHexDigits {
        /// Byte offset of the closing `#`.
        position: usize,
    },
    /// A character outside the base64 alphabet (or whitespace) inside `|…|`.
    #[error("byte {position}: not a base64 character inside |…|")]
    BadBase64Character {
        /// Byte offset.
        position: usize,
    },
    /// A length prefix starting with `0`.
    #[error("byte {position}: a length prefix may not start with 0")]
    ZeroLengthPrefix {
        /// Byte offset.
        position: usize,
    },
    /// Digits not followed by `:`, `"`, `#` or `|`.
    #[error("byte {position}: a length prefix must be followed by ':', '\"', '#' or '|'")]
    BadLengthPrefix {
        /// Byte offset of the character after the digits.
        position: usize,
    },
    /// A length prefix larger than the rest of the input.
    #[error("byte {position}: the length prefix runs past the end of the input")]
    LengthPastEnd {
        /// Byte offset of the `:`.
        position: usize,
    },
    /// A string longer than libgcrypt can hold (65535 bytes).
    #[error("byte {position}: a string longer than 65535 bytes (libgcrypt's limit)")]
    StringTooLong {
        /// Byte offset of the string.
        position: usize,
    },
    /// `[` inside a display hint.
    #[error("byte {position}: display hints cannot nest")]
    NestedDisplayHint {
        /// Byte offset.
        position: usize,
    },
    /// `]` without `[`, a list inside a display hint, or a hint never closed.
    #[error("byte {position}: unmatched display hint bracket")]
    UnmatchedDisplayHint {
        /// Byte offset.
        position: usize,
    },
    /// `{`, `&` or `\` outside a string (libgcrypt reserves them).
    #[error("byte {position}: reserved punctuation {byte:?} outside a string")]
    ReservedPunctuation {
        /// Byte offset.
        position: usize,
        /// The character.
        byte: char,
    },
    /// Any other byte that cannot appear outside a string.
    #[error("byte {position}: unexpected byte 0x{byte:02x} outside a string")]
    UnexpectedByte {
        /// Byte offset.
        position: usize,
        /// The byte.
        byte: u8,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn atoms(input: &[u8]) -> Vec<Vec<u8>> {
        let root = parse(input).unwrap();
        root.as_list()
            .unwrap()
            .iter()
            .map(|n| n.as_atom().map(<[u8]>::to_vec).unwrap_or_default())
            .collect()
    }

    fn printed(input: &[u8]) -> String {
        let mut out = Vec::new();
        write_advanced(&parse(input).unwrap(), &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn every_string_syntax_reads_like_libgcrypt() {
        // Expected values observed with libgcrypt 1.10.1 (gcry_sexp_sscan).
        let cases: &[(&[u8], &[u8])] = &[
            (b"(a abc)", b"abc"),
            (b"(a \"abc\")", b"abc"),
            (b"(a 3:abc)", b"abc"),
            (b"(a 3\"abc\")", b"abc"),
            (b"(a 5#616263#)", b"abc"),
            (b"(a #61 6 2#)", b"ab"),
            (b"(a #61\n62#)", b"ab"),
            (b"(a |YWJj|)", b"abc"),
            (b"(a 3|YWJj|)", b"abc"),
            (b"(a |YWI|)", b"ab"),
            (b"(a |YWI=|)", b"ab"),
            (b"(a |YQ|)", b"a"),
            (b"(a |Y|)", b""),
            (b"(a |=|)", b""),
            (b"(a ||)", b""),
            (b"(a |Y=Q=|)", b"`"),
            (b"(a |YWJjY=|)", b"abc`"),
            (b"(a |YQ==YQ==|)", b"a"),
            (b"(a |YR==|)", b"a"),
            (b"(a \"\\777\\101\")", b"\xffA"),
            (b"(a \"x\\\ny\")", b"xy"),
            (b"(a \"x\\\r\ny\")", b"xy"),
            (b"(a \"x\\\n\ry\")", b"xy"),
            (
                b"(a \"\\b\\t\\v\\n\\f\\r\\\"\\'\\\\\")",
                b"\x08\t\x0b\n\x0c\r\"'\\",
            ),
            (b"(a \"\\x4a\\x4B\")", b"JK"),
            (b"(a \"a\nb\")", b"a\nb"),
            (b"(a \"\")", b""),
            (b"(a \"\xc3\xa9\")", b"\xc3\xa9"),
        ];
        for (input, expected) in cases {
            let got = atoms(input);
            assert_eq!(got.len(), 2, "{}", String::from_utf8_lossy(input));
            assert_eq!(&got[1], expected, "{}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn display_hints_become_elements_as_in_libgcrypt() {
        assert_eq!(
            atoms(b"(a [text/plain]\"abc\")"),
            vec![b"a".to_vec(), b"text/plain".to_vec(), b"abc".to_vec()]
        );
        assert_eq!(atoms(b"(a [] \"q\")"), vec![b"a".to_vec(), b"q".to_vec()]);
        assert_eq!(
            atoms(b"(a [x][y]\"q\")"),
            vec![b"a".to_vec(), b"x".to_vec(), b"y".to_vec(), b"q".to_vec()]
        );
        assert_eq!(
            atoms(b"(a [3:abc]\"q\")"),
            vec![b"a".to_vec(), b"abc".to_vec(), b"q".to_vec()]
        );
    }

    #[test]
    fn tokens_end_at_any_other_character() {
        assert_eq!(
            atoms(b"(a b\"c\" -x :y =z *w .v /u _t +s a1)"),
            [
                "a", "b", "c", "-x", ":y", "=z", "*w", ".v", "/u", "_t", "+s", "a1"
            ]
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .collect::<Vec<_>>()
        );
        assert_eq!(atoms(b"(a\x0bb\x0cc)").len(), 3);
    }

    #[test]
    fn syntax_errors_carry_positions() {
        let cases: &[(&[u8], SexpError)] = &[
            (b"", SexpError::Empty),
            (b"   ", SexpError::Empty),
            (b"abc", SexpError::NotAList { position: 0 }),
            (b"(a) x", SexpError::TrailingData { position: 4 }),
            (b"())(", SexpError::TrailingData { position: 2 }),
            (b")", SexpError::UnbalancedClose { position: 0 }),
            (b"(a (b)", SexpError::Unclosed { position: 0 }),
            (b"(a 0:)", SexpError::ZeroLengthPrefix { position: 3 }),
            (b"(a 12)", SexpError::BadLengthPrefix { position: 5 }),
            (b"(a 9:abc)", SexpError::LengthPastEnd { position: 4 }),
            (
                b"(a 99999999999999999999999:x)",
                SexpError::LengthPastEnd { position: 26 },
            ),
            (b"(a \"\\q\")", SexpError::BadEscape { position: 5 }),
            (b"(a \"\\x4\")", SexpError::BadEscape { position: 5 }),
            (b"(a \"\\12\")", SexpError::BadEscape { position: 5 }),
            (
                b"(a \"abc)",
                SexpError::Unterminated {
                    position: 3,
                    what: "quoted string",
                },
            ),
            (b"(a #616#)", SexpError::OddHexDigits { position: 7 }),
            (b"(a #6g#)", SexpError::BadHexDigit { position: 5 }),
            (
                b"(a #6162",
                SexpError::Unterminated {
                    position: 3,
                    what: "hex string",
                },
            ),
            (
                b"(a |YW Jj|)",
                SexpError::BadBase64Character { position: 6 },
            ),
            (b"(a |Y-Q|)", SexpError::BadBase64Character { position: 5 }),
            (
                b"(a {abc})",
                SexpError::ReservedPunctuation {
                    position: 3,
                    byte: '{',
                },
            ),
            (
                b"(a &)",
                SexpError::ReservedPunctuation {
                    position: 3,
                    byte: '&',
                },
            ),
            (
                b"(a \xc3\xa9)",
                SexpError::UnexpectedByte {
                    position: 3,
                    byte: 0xc3,
                },
            ),
            (
                b"(a\x01)",
                SexpError::UnexpectedByte {
                    position: 2,
                    byte: 1,
                },
            ),
            (b"(a [x)", SexpError::UnmatchedDisplayHint { position: 5 }),
            (b"(a [x [y]])", SexpError::NestedDisplayHint { position: 6 }),
            (b"(a ])", SexpError::UnmatchedDisplayHint { position: 3 }),
            (b"(a [x", SexpError::UnmatchedDisplayHint { position: 3 }),
        ];
        for (input, expected) in cases {
            assert_eq!(
                parse(input).err().as_ref(),
                Some(expected),
                "{}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let ok = format!("{}a{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(parse(ok.as_bytes()).is_ok());
        let deep = format!("{}a{}", "(".repeat(100_000), ")".repeat(100_000));
        assert_eq!(
            parse(deep.as_bytes()).err(),
            Some(SexpError::TooDeep {
                position: MAX_DEPTH,
                limit: MAX_DEPTH
            })
        );
    }

    #[test]
    fn strings_longer_than_libgcrypt_holds_are_refused() {
        let input = format!("(a {}:{})", 65_536, "x".repeat(65_536));
        assert_eq!(
            parse(input.as_bytes()).err(),
            Some(SexpError::StringTooLong { position: 3 })
        );
        let input = format!("(a {}:{})", 65_535, "x".repeat(65_535));
        assert!(parse(input.as_bytes()).is_ok());
    }

    #[test]
    fn advanced_printing_matches_libgcrypt() {
        // Printed by libgcrypt 1.10.1's gcry_sexp_sprint(GCRYSEXP_FMT_ADVANCED).
        assert_eq!(printed(b"(a(b))"), "(a \n (b)\n )\n");
        assert_eq!(printed(b"(a)"), "(a)\n");
        assert_eq!(
            printed(b"(a \"1abc\" \"a b\" \"a\\\"b\" \"a\\\\b\" \"a\\tb\")"),
            "(a \"1abc\" \"a b\" \"a\\\"b\" \"a\\\\b\" \"a\\tb\")\n"
        );
        assert_eq!(
            printed(b"(a \"\\xc3\\xa9x\" \"x\\xc3\\xa9\" \"x\\x82\" \"\\x01\" \"\\x00\")"),
            "(a #C3A978# \"x\u{e9}\" #7882# #01# #00#)\n"
        );
        assert_eq!(
            printed(
                b"(a \"\\x7f\" \"\\xa0\" \"\\xa1\" \"abc\\x0bq\" \"\\b\" \"\\f\\r\" \"\\x27\" \"9\" \"a1\" \"-\" \"\" \"x y\" \"\\x01a\" \"a\\x01\")"
            ),
            "(a #7F# #A0# #A1# \"abc\\vq\" \"\\b\" \"\\f\\r\" \"\\'\" \"9\" a1 - \"\" \"x y\" #0161# #6101#)\n"
        );
        assert_eq!(
            printed(b"(private-key (dsa (p #00AB#) (x #12#)))"),
            "(private-key \n (dsa \n  (p #00AB#)\n  (x #12#)\n  )\n )\n"
        );
    }

    #[test]
    fn nul_inside_a_string_is_printed_quoted() {
        assert_eq!(printed(b"(a \"a\\x00b\")"), "(a \"a\\x00b\")\n");
    }

    #[test]
    fn find_token_searches_in_document_order() {
        let root = parse(b"(account (x (name inner)) (name outer))").unwrap();
        let name = root.find_token(b"name").unwrap();
        assert_eq!(name.nth_atom(1), Some(&b"inner"[..]));
        assert!(root.find_token(b"missing").is_none());
        assert_eq!(root.find_token(b"account").unwrap().position(), 0);
    }
}
