//! libotr's private-key file (`otrl_privkey_read` / `otrl_privkey_generate`):
//!
//! ```text
//! (privkeys
//!  (account
//! (name "alice@example.org")
//! (protocol xmpp)
//! (private-key
//!  (dsa
//!   (p #00…#)
//!   …
//!   (x #…#)
//!   )
//!  )
//!  )
//! )
//! ```
//!
//! Reading accepts every syntax libgcrypt's s-expression reader accepts (see
//! [`sexp`](super::sexp)) and finds the parts as libotr and libgcrypt do:
//! `(name …)`, `(protocol …)` and `(private-key …)` are the first such lists
//! anywhere inside the account, the private key's second element must be
//! `(dsa …)`, and `p`, `q`, `g`, `y`, `x` are the first such lists inside it.
//! Writing reproduces libotr 4.1.1 byte for byte (libgcrypt's "advanced"
//! printing: names as tokens, quoted strings or hex as libgcrypt chooses,
//! numbers in its signed form with a leading `00` when the top bit is set).

use std::sync::Arc;

use zeroize::Zeroizing;

use super::dsa_group::IdentityError;
use super::dsa_integers::strip_leading_zeros;
use super::sexp::SexpError;
use super::sexp::{self, SexpNode};
use super::signing_key::DsaSigningKey;

/// One account's key in a libotr private-key file.
#[derive(Debug, PartialEq, Eq)]
pub struct PrivateKeyEntry {
    /// The account name (e.g. `alice@example.org`; bytes, as in libotr).
    pub account: Vec<u8>,
    /// The protocol (e.g. `xmpp`, `prpl-jabber`).
    pub protocol: Vec<u8>,
    /// The account's DSA key, ready to hand to a `Session` or `Manager`.
    pub key: Arc<DsaSigningKey>,
}

/// The key libotr uses for `account` on `protocol`: the last entry for it
/// (libotr reads every entry and finds the one read last).
#[must_use]
pub fn find_privkey<'a>(
    entries: &'a [PrivateKeyEntry],
    account: &[u8],
    protocol: &[u8],
) -> Option<&'a PrivateKeyEntry> {
    entries
        .iter()
        .rev()
        .find(|e| e.account == account && e.protocol == protocol)
}

/// Rewrites a (possibly shared) private-key file so that `entry`'s account
/// has `entry`'s key, changing nothing else: every other account's entry,
/// and everything between entries, is kept byte for byte; the account's old
/// entries are removed and the new one is written (in libotr's format) just
/// before the file's closing parenthesis. An empty `existing` (no file yet)
/// gives the file libotr writes.
///
/// # Errors
/// A [`PrivkeyFileError`] when `existing` is not a private-key file libotr
/// could read (nothing can be merged into it safely), or when `entry`'s
/// names hold a NUL.
pub fn merge_privkey(
    existing: &[u8],
    entry: &PrivateKeyEntry,
) -> Result<Zeroizing<Vec<u8>>, PrivkeyFileError> {
    let fresh = serialize_privkeys(core::slice::from_ref(entry))?;
    if existing.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(fresh);
    }
    let root = sexp::parse(existing)?;
    let items = root.as_list().unwrap_or_default();
    if items.first().and_then(SexpNode::as_atom) != Some(&b"privkeys"[..]) {
        return Err(PrivkeyFileError::NotPrivkeys);
    }
    // Our old entries, as byte ranges (each with the white space after it).
    let mut removed = Vec::new();
    for (i, account) in items.iter().enumerate().skip(1) {
        let parsed = parse_account(i, account)?;
        if parsed.account == entry.account && parsed.protocol == entry.protocol {
            let after = existing.get(account.end()..).map_or(0, |rest| {
                rest.iter().take_while(|b| b.is_ascii_whitespace()).count()
            });
            removed.push(account.position()..account.end() + after);
        }
    }
    // The new block: libotr's `(account …)` text, from the fresh file.
    let block = fresh
        .strip_prefix(b"(privkeys\n")
        .and_then(|rest| rest.strip_suffix(b")\n"))
        .unwrap_or_default();
    let close = root.end().saturating_sub(1);
    let mut out = Zeroizing::new(Vec::with_capacity(existing.len() + block.len()));
    let mut at = 0;
    for range in removed {
        out.extend_from_slice(existing.get(at..range.start).unwrap_or_default());
        at = range.end;
    }
    out.extend_from_slice(existing.get(at..close).unwrap_or_default());
    if out.last().is_some_and(|&b| b != b'\n') {
        out.push(b'\n');
    }
    out.extend_from_slice(block);
    out.extend_from_slice(existing.get(close..).unwrap_or_default());
    Ok(out)
}

/// Reads a libotr private-key file. Entries come back in file order; libotr
/// uses the *last* entry when an account appears twice.
///
/// Every key is checked (sizes, ranges, `g^q = 1`) and its stored `y` must be
/// `g^x mod p`.
///
/// # Errors
/// A [`PrivkeyFileError`] saying where the file is broken; syntax errors
/// carry a byte offset.
pub fn parse_privkeys(input: &[u8]) -> Result<Vec<PrivateKeyEntry>, PrivkeyFileError> {
    let root = sexp::parse(input)?;
    let items = root.as_list().unwrap_or_default();
    if items.first().and_then(SexpNode::as_atom) != Some(&b"privkeys"[..]) {
        return Err(PrivkeyFileError::NotPrivkeys);
    }
    items
        .iter()
        .enumerate()
        .skip(1)
        .map(|(entry, account)| parse_account(entry, account))
        .collect()
}

fn parse_account(entry: usize, account: &SexpNode) -> Result<PrivateKeyEntry, PrivkeyFileError> {
    let position = account.position();
    if account.nth_atom(0) != Some(&b"account"[..]) {
        return Err(PrivkeyFileError::NotAnAccount { entry, position });
    }
    let name = text_field(entry, account, "name")?;
    let protocol = text_field(entry, account, "protocol")?;
    let shown = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    let private_key = account
        .find_token(b"private-key")
        .ok_or(PrivkeyFileError::MissingField {
            entry,
            position,
            field: "private-key",
        })?;
    let Some(dsa) = private_key
        .as_list()
        .and_then(|items| items.get(1))
        .filter(|algorithm| algorithm.nth_atom(0) == Some(&b"dsa"[..]))
    else {
        return Err(PrivkeyFileError::NotDsa {
            account: shown(&name),
            protocol: shown(&protocol),
        });
    };
    let parameter = |parameter: &'static str| {
        dsa.find_token(parameter.as_bytes())
            .and_then(|list| list.nth_atom(1))
            .ok_or_else(|| PrivkeyFileError::MissingKeyParameter {
                account: shown(&name),
                protocol: shown(&protocol),
                parameter,
            })
    };
    let (p, q, g, y, x) = (
        parameter("p")?,
        parameter("q")?,
        parameter("g")?,
        parameter("y")?,
        parameter("x")?,
    );
    let bad_key = |source: IdentityError| PrivkeyFileError::BadKey {
        account: shown(&name),
        protocol: shown(&protocol),
        source,
    };
    let key = DsaSigningKey::from_components(p, q, g, x).map_err(bad_key)?;
    if key.verifying_key().y_bytes() != strip_leading_zeros(y) {
        return Err(bad_key(IdentityError::PublicValueMismatch));
    }
    Ok(PrivateKeyEntry {
        account: name,
        protocol,
        key: Arc::new(key),
    })
}

/// The text of `(field "…")` inside an account.
/// A name or protocol as libotr keeps it: a C string, so cut at a NUL.
fn text_field(
    entry: usize,
    account: &SexpNode,
    field: &'static str,
) -> Result<Vec<u8>, PrivkeyFileError> {
    let list = account
        .find_token(field.as_bytes())
        .ok_or(PrivkeyFileError::MissingField {
            entry,
            position: account.position(),
            field,
        })?;
    let value = list.nth_atom(1).ok_or(PrivkeyFileError::MissingField {
        entry,
        position: list.position(),
        field,
    })?;
    let end = value.iter().position(|&b| b == 0).unwrap_or(value.len());
    Ok(value.get(..end).unwrap_or_default().to_vec())
}

/// Writes a private-key file exactly as libotr 4.1.1 does, entries in the
/// given order. The result holds the private keys: it is zeroized on drop.
///
/// # Errors
/// [`PrivkeyFileError::NulInText`] when an account name or protocol holds a
/// NUL byte (libotr's C strings cannot).
pub fn serialize_privkeys(
    entries: &[PrivateKeyEntry],
) -> Result<Zeroizing<Vec<u8>>, PrivkeyFileError> {
    let mut blocks = Vec::with_capacity(entries.len());
    for entry in entries {
        for (field, value) in [("name", &entry.account), ("protocol", &entry.protocol)] {
            if value.contains(&0) {
                return Err(PrivkeyFileError::NulInText {
                    field,
                    value: String::from_utf8_lossy(value).into_owned(),
                });
            }
        }
        blocks.push([
            SexpNode::list(vec![
                SexpNode::atom(b"name"),
                SexpNode::atom(&entry.account),
            ]),
            SexpNode::list(vec![
                SexpNode::atom(b"protocol"),
                SexpNode::atom(&entry.protocol),
            ]),
            private_key_node(&entry.key),
        ]);
    }
    let capacity = blocks.iter().flatten().fold(64usize, |acc, node| {
        acc.saturating_add(sexp::advanced_len_bound(node, 0))
            .saturating_add(16)
    });
    let mut out = Zeroizing::new(Vec::with_capacity(capacity));
    out.extend_from_slice(b"(privkeys\n");
    for block in &blocks {
        out.extend_from_slice(b" (account\n");
        for node in block {
            sexp::write_advanced(node, &mut out);
        }
        out.extend_from_slice(b" )\n");
    }
    out.extend_from_slice(b")\n");
    Ok(out)
}

/// `(private-key (dsa (p …) (q …) (g …) (y …) (x …)))` as libgcrypt makes it.
fn private_key_node(key: &DsaSigningKey) -> SexpNode {
    let public = key.verifying_key();
    let components = key.components();
    let parameter = |name: &[u8], value: &[u8]| {
        SexpNode::list(vec![SexpNode::atom(name), signed_mpi_atom(value)])
    };
    SexpNode::list(vec![
        SexpNode::atom(b"private-key"),
        SexpNode::list(vec![
            SexpNode::atom(b"dsa"),
            parameter(b"p", public.p_bytes()),
            parameter(b"q", public.q_bytes()),
            parameter(b"g", public.g_bytes()),
            parameter(b"y", public.y_bytes()),
            parameter(b"x", components.x()),
        ]),
    ])
}

/// libgcrypt's `GCRYMPI_FMT_STD` of a non-negative number: minimal bytes, with
/// a leading zero byte when the top bit is set.
fn signed_mpi_atom(minimal: &[u8]) -> SexpNode {
    let needs_zero = minimal.first().is_some_and(|&b| b & 0x80 != 0);
    let mut bytes = Zeroizing::new(Vec::with_capacity(minimal.len() + 1));
    if needs_zero {
        bytes.push(0);
    }
    bytes.extend_from_slice(minimal);
    SexpNode::Atom { position: 0, bytes }
}

/// A problem with a libotr private-key file (`otr.private_key`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PrivkeyFileError {
    /// The file is not a well-formed s-expression.
    #[error("the private-key file is not a valid s-expression: {0}")]
    Syntax(#[from] SexpError),
    /// The top-level list is not `(privkeys …)`.
    #[error(
        "the private-key file does not start with (privkeys …): it is not a libotr private-key file"
    )]
    NotPrivkeys,
    /// An element of `(privkeys …)` is not an `(account …)` list.
    #[error("byte {position}: entry {entry} of (privkeys …) is not an (account …) list")]
    NotAnAccount {
        /// 1-based entry number.
        entry: usize,
        /// Byte offset of the entry.
        position: usize,
    },
    /// An account has no `(name …)`, `(protocol …)` or `(private-key …)`, or
    /// its value is not a string.
    #[error("byte {position}: account entry {entry} has no usable ({field} …)")]
    MissingField {
        /// 1-based entry number.
        entry: usize,
        /// Byte offset of the account.
        position: usize,
        /// `"name"`, `"protocol"` or `"private-key"`.
        field: &'static str,
    },
    /// The private key is not `(private-key (dsa …))`.
    #[error("the private key of {account:?} ({protocol}) is not a (dsa …) key")]
    NotDsa {
        /// The account name.
        account: String,
        /// The protocol.
        protocol: String,
    },
    /// A DSA parameter is missing or not a string.
    #[error("the DSA key of {account:?} ({protocol}) has no usable ({parameter} …)")]
    MissingKeyParameter {
        /// The account name.
        account: String,
        /// The protocol.
        protocol: String,
        /// `"p"`, `"q"`, `"g"`, `"y"` or `"x"`.
        parameter: &'static str,
    },
    /// The DSA key is unusable.
    #[error("the DSA key of {account:?} ({protocol}) is unusable: {source}")]
    BadKey {
        /// The account name.
        account: String,
        /// The protocol.
        protocol: String,
        /// What is wrong with it.
        #[source]
        source: IdentityError,
    },
    /// Writing: an account name or protocol holds a NUL byte, which libotr's
    /// C strings cannot carry.
    #[error("cannot write the {field} {value:?}: it contains a NUL byte")]
    NulInText {
        /// `"name"` or `"protocol"`.
        field: &'static str,
        /// The offending value.
        value: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{PrivkeyFileError, SexpError};
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};

    const ALICE_KEY: &[u8] = include_bytes!("../../fixtures/alice.key");
    const BOB_KEY: &[u8] = include_bytes!("../../fixtures/bob.key");
    const AKE_V3: &str = include_str!("../../fixtures/ake-v3.txt");

    fn human_fingerprint(who: &str) -> String {
        AKE_V3
            .lines()
            .find_map(|line| {
                let fields: Vec<&str> = line.split('\t').collect();
                (fields.len() == 4 && fields[0] == "KEY" && fields[1] == who)
                    .then(|| fields[3].to_owned())
            })
            .unwrap()
    }

    #[test]
    fn libotr_files_parse_and_reserialize_byte_for_byte() {
        for (file, who) in [(ALICE_KEY, "alice"), (BOB_KEY, "bob")] {
            let entries = parse_privkeys(file).unwrap();
            assert_eq!(entries.len(), 1);
            assert_eq!(entries[0].account, format!("{who}@example.org").as_bytes());
            assert_eq!(entries[0].protocol, b"xmpp");
            assert_eq!(
                entries[0].key.fingerprint().to_human(),
                human_fingerprint(who)
            );
            assert_eq!(&*serialize_privkeys(&entries).unwrap(), file);
        }
    }

    /// The account block of a one-account libotr file.
    fn account_block(file: &[u8]) -> &[u8] {
        &file[b"(privkeys\n".len()..file.len() - b")\n".len()]
    }

    #[test]
    fn several_accounts_in_file_order() {
        let mut both = b"(privkeys\n".to_vec();
        both.extend_from_slice(account_block(ALICE_KEY));
        both.extend_from_slice(account_block(BOB_KEY));
        both.extend_from_slice(b")\n");
        let entries = parse_privkeys(&both).unwrap();
        let accounts: Vec<&[u8]> = entries.iter().map(|e| e.account.as_slice()).collect();
        assert_eq!(accounts, [&b"alice@example.org"[..], b"bob@example.org"]);
        assert_eq!(&*serialize_privkeys(&entries).unwrap(), &both[..]);
        assert!(parse_privkeys(b"(privkeys\n)\n").unwrap().is_empty());
        assert_eq!(&*serialize_privkeys(&[]).unwrap(), b"(privkeys\n)\n");
    }

    /// How the test writer spells each string.
    #[derive(Clone, Copy)]
    enum Spelling {
        Quoted,
        Base64,
        Base64NoPad,
        LengthPrefixed,
        SpacedHex,
        LengthThenQuoted,
    }

    fn spell(bytes: &[u8], spelling: Spelling, out: &mut Vec<u8>) {
        match spelling {
            Spelling::Quoted | Spelling::LengthThenQuoted => {
                if matches!(spelling, Spelling::LengthThenQuoted) {
                    out.extend_from_slice(b"99");
                }
                out.push(b'"');
                for (i, &b) in bytes.iter().enumerate() {
                    match (i % 5, b) {
                        (0, _) => out.extend_from_slice(format!("\\{b:03o}").as_bytes()),
                        (1, _) => out.extend_from_slice(format!("\\x{b:02X}").as_bytes()),
                        (2, b'\n') => out.extend_from_slice(b"\\n"),
                        (2, b'"') => out.extend_from_slice(b"\\\""),
                        (2, b'\\') => out.extend_from_slice(b"\\\\"),
                        (3, _) => out.extend_from_slice(format!("\\x{b:02x}\\\r\n").as_bytes()),
                        _ if b == b'"' || b == b'\\' => {
                            out.extend_from_slice(format!("\\{b:03o}").as_bytes())
                        }
                        _ => out.push(b),
                    }
                }
                out.push(b'"');
            }
            Spelling::Base64 => {
                out.push(b'|');
                out.extend_from_slice(STANDARD.encode(bytes).as_bytes());
                out.push(b'|');
            }
            Spelling::Base64NoPad => {
                out.extend_from_slice(format!("{}|", bytes.len()).as_bytes());
                out.extend_from_slice(STANDARD_NO_PAD.encode(bytes).as_bytes());
                out.push(b'|');
            }
            Spelling::LengthPrefixed => {
                out.extend_from_slice(format!("{}:", bytes.len()).as_bytes());
                out.extend_from_slice(bytes);
            }
            Spelling::SpacedHex => {
                out.push(b'#');
                for b in bytes {
                    out.extend_from_slice(format!("{:x} {:x}\t", b >> 4, b & 15).as_bytes());
                }
                out.push(b'#');
            }
        }
    }

    /// Writes the tree again with every string spelled `spelling`, odd
    /// whitespace, and display hints where libgcrypt's reading of them (as
    /// extra elements) changes nothing.
    fn respell(node: &SexpNode, spelling: Spelling, out: &mut Vec<u8>) {
        match node {
            SexpNode::Atom { bytes, .. } => spell(bytes, spelling, out),
            SexpNode::List { items, .. } => {
                out.extend_from_slice(b"\x0b(");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.extend_from_slice(b" \t\r\n\x0c");
                    }
                    respell(item, spelling, out);
                }
                if items.len() == 2 && items[1].as_atom().is_some() {
                    out.extend_from_slice(b" [text/plain]");
                }
                out.extend_from_slice(b")\n");
            }
        }
    }

    #[test]
    fn every_libgcrypt_syntax_gives_the_same_key() {
        let root = sexp::parse(ALICE_KEY).unwrap();
        let expected = parse_privkeys(ALICE_KEY).unwrap();
        for spelling in [
            Spelling::Quoted,
            Spelling::Base64,
            Spelling::Base64NoPad,
            Spelling::LengthPrefixed,
            Spelling::SpacedHex,
            Spelling::LengthThenQuoted,
        ] {
            let mut text = Vec::new();
            respell(&root, spelling, &mut text);
            let entries = parse_privkeys(&text)
                .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&text)));
            assert_eq!(entries, expected, "{}", String::from_utf8_lossy(&text));
            assert_eq!(&*serialize_privkeys(&entries).unwrap(), ALICE_KEY);
        }
    }

    #[test]
    fn a_display_hint_before_a_value_is_read_as_libotr_reads_it() {
        // libgcrypt turns "[text/plain]" into an element of its own, so libotr
        // sees the account name "text/plain".
        let text = String::from_utf8(ALICE_KEY.to_vec())
            .unwrap()
            .replace("(name \"alice", "(name [text/plain]\"alice");
        let entries = parse_privkeys(text.as_bytes()).unwrap();
        assert_eq!(entries[0].account, b"text/plain");
    }

    fn alice_text() -> String {
        String::from_utf8(ALICE_KEY.to_vec()).unwrap()
    }

    #[test]
    fn structural_problems_are_reported() {
        let y_start = alice_text().find("(y #").unwrap() + 4;
        let mut wrong_y = ALICE_KEY.to_vec();
        wrong_y[y_start + 10] = if wrong_y[y_start + 10] == b'1' {
            b'2'
        } else {
            b'1'
        };
        let cases: Vec<(Vec<u8>, PrivkeyFileError)> = vec![
            (b"(keys)".to_vec(), PrivkeyFileError::NotPrivkeys),
            (b"((privkeys))".to_vec(), PrivkeyFileError::NotPrivkeys),
            (
                b"(privkeys (acount))".to_vec(),
                PrivkeyFileError::NotAnAccount {
                    entry: 1,
                    position: 10,
                },
            ),
            (
                b"(privkeys account)".to_vec(),
                PrivkeyFileError::NotAnAccount {
                    entry: 1,
                    position: 10,
                },
            ),
            (
                b"(privkeys (account (protocol x)))".to_vec(),
                PrivkeyFileError::MissingField {
                    entry: 1,
                    position: 10,
                    field: "name",
                },
            ),
            (
                b"(privkeys (account (name (a)) (protocol x)))".to_vec(),
                PrivkeyFileError::MissingField {
                    entry: 1,
                    position: 19,
                    field: "name",
                },
            ),
            (
                b"(privkeys (account (name a) (protocol x)))".to_vec(),
                PrivkeyFileError::MissingField {
                    entry: 1,
                    position: 10,
                    field: "private-key",
                },
            ),
            (
                b"(privkeys (account (name a) (protocol x) (private-key (rsa (n #01#)))))".to_vec(),
                PrivkeyFileError::NotDsa {
                    account: "a".into(),
                    protocol: "x".into(),
                },
            ),
            (
                alice_text().replace("(x #", "(z #").into_bytes(),
                PrivkeyFileError::MissingKeyParameter {
                    account: "alice@example.org".into(),
                    protocol: "xmpp".into(),
                    parameter: "x",
                },
            ),
            (
                wrong_y,
                PrivkeyFileError::BadKey {
                    account: "alice@example.org".into(),
                    protocol: "xmpp".into(),
                    source: IdentityError::PublicValueMismatch,
                },
            ),
            (
                alice_text()
                    .replace(
                        "(x #74BE",
                        "(x #00C19D87CC728998EDF5A4E4FF71FE6FDCC5B2B009#)(w #",
                    )
                    .into_bytes(),
                PrivkeyFileError::BadKey {
                    account: "alice@example.org".into(),
                    protocol: "xmpp".into(),
                    source: IdentityError::PrivateValueOutOfRange,
                },
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(
                parse_privkeys(&input).err().as_ref(),
                Some(&expected),
                "{}",
                String::from_utf8_lossy(&input)
            );
        }
    }

    #[test]
    fn hostile_inputs_are_errors_not_panics() {
        let text = alice_text();
        let p_start = text.find("(p #").unwrap() + 3;
        let cases: Vec<(Vec<u8>, SexpError)> = vec![
            (
                [ALICE_KEY, b")"].concat(),
                SexpError::TrailingData {
                    position: ALICE_KEY.len(),
                },
            ),
            (
                ALICE_KEY[..ALICE_KEY.len() - 2].to_vec(),
                SexpError::Unclosed { position: 0 },
            ),
            (
                b"(privkeys (account (name 18446744073709551616:x)))".to_vec(),
                SexpError::LengthPastEnd { position: 45 },
            ),
            (
                b"(privkeys (account (name 4294967299:abc)))".to_vec(),
                SexpError::LengthPastEnd { position: 35 },
            ),
            (
                format!("(privkeys {}", "(".repeat(100_000)).into_bytes(),
                SexpError::TooDeep {
                    position: 10 + sexp::MAX_DEPTH - 1,
                    limit: sexp::MAX_DEPTH,
                },
            ),
            (
                ALICE_KEY[..p_start + 50].to_vec(),
                SexpError::Unterminated {
                    position: p_start,
                    what: "hex string",
                },
            ),
            (
                text.replacen("A3#)", "A#)", 1).into_bytes(),
                SexpError::OddHexDigits {
                    position: text.find("A3#)").unwrap() + 1,
                },
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(
                parse_privkeys(&input).err(),
                Some(PrivkeyFileError::Syntax(expected)),
                "{}",
                String::from_utf8_lossy(&input)
            );
        }
        // Every truncation fails cleanly.
        for len in 0..ALICE_KEY.len() - 1 {
            assert!(parse_privkeys(&ALICE_KEY[..len]).is_err(), "prefix {len}");
        }
        // Damage anywhere never panics.
        for position in 0..ALICE_KEY.len() {
            for byte in [0u8, b'(', b')', b'#', b'"', b'|', b'9', 0xff] {
                let mut damaged = ALICE_KEY.to_vec();
                damaged[position] = byte;
                let _ = parse_privkeys(&damaged);
            }
        }
    }

    fn alice_key() -> Arc<DsaSigningKey> {
        parse_privkeys(ALICE_KEY).unwrap().remove(0).key
    }

    #[test]
    fn names_and_numbers_are_printed_as_libgcrypt_chooses() {
        let c = alice_key().components();
        // x values chosen below q (which starts with 0xC1) to exercise the
        // printer: a token, a quoted string, and hex.
        let entries: Vec<PrivateKeyEntry> = [
            ("bob", "prpl-jabber", &b"OTR-printable-x-0123"[..]),
            ("1abc", "irc", b"OTR printable \"x\" 01"),
            ("\u{142}ukasz@example.org", "xmpp", b"\x12\x34"),
            ("tab\there", "\u{e9}t\u{e9}", c.x()),
        ]
        .into_iter()
        .map(|(account, protocol, x)| PrivateKeyEntry {
            account: account.into(),
            protocol: protocol.into(),
            key: Arc::new(DsaSigningKey::from_components(c.p(), c.q(), c.g(), x).unwrap()),
        })
        .collect();
        let file = serialize_privkeys(&entries).unwrap();
        let text = String::from_utf8_lossy(&file);
        let hex_name = format!(
            "(name #{}#)\n",
            crate::identity::dsa_integers::upper_hex("\u{142}ukasz@example.org".as_bytes())
        );
        for expected in [
            "(name bob)\n(protocol prpl-jabber)\n",
            "(x OTR-printable-x-0123)\n",
            "(name \"1abc\")\n(protocol irc)\n",
            "(x \"OTR printable \\\"x\\\" 01\")\n",
            &hex_name,
            "(x #1234#)\n",
            "(name \"tab\\there\")\n(protocol #C3A974C3A9#)\n",
        ] {
            assert!(text.contains(expected), "{expected:?} not in\n{text}");
            assert!(hex_name.starts_with("(name #C582"));
        }
        assert_eq!(parse_privkeys(&file).unwrap(), entries);
    }

    #[test]
    fn nul_bytes_cannot_be_written() {
        let entry = PrivateKeyEntry {
            account: "a\0b".into(),
            protocol: "xmpp".into(),
            key: alice_key(),
        };
        assert!(matches!(
            serialize_privkeys(&[entry]),
            Err(PrivkeyFileError::NulInText { field: "name", .. })
        ));
    }

    /// `ALICE_KEY`'s account block renamed, and with another key's x.
    fn renamed_block(name: &str, protocol: &str) -> Vec<u8> {
        let text = String::from_utf8(account_block(ALICE_KEY).to_vec()).unwrap();
        text.replace(
            "(name \"alice@example.org\")",
            &format!("(name \"{name}\")"),
        )
        .replace("(protocol xmpp)", &format!("(protocol {protocol})"))
        .into_bytes()
    }

    #[test]
    fn names_are_bytes_cut_at_nul_as_libotrs_c_strings() {
        let text = alice_text().replace("(name \"alice@example.org\")", "(name #FFE9#)");
        let entries = parse_privkeys(text.as_bytes()).unwrap();
        assert_eq!(entries[0].account, b"\xff\xe9");
        let text = alice_text().replace("(name \"alice@example.org\")", "(name \"a\\x00b\")");
        let entries = parse_privkeys(text.as_bytes()).unwrap();
        assert_eq!(entries[0].account, b"a");
    }

    #[test]
    fn the_last_entry_of_an_account_is_the_one_libotr_uses() {
        let mut file = b"(privkeys\n".to_vec();
        file.extend_from_slice(account_block(BOB_KEY));
        file.extend_from_slice(&renamed_block("bob@example.org", "xmpp"));
        file.extend_from_slice(b")\n");
        let entries = parse_privkeys(&file).unwrap();
        assert_eq!(entries.len(), 2);
        let found = find_privkey(&entries, b"bob@example.org", b"xmpp").unwrap();
        assert_eq!(
            found.key.fingerprint().to_human(),
            human_fingerprint("alice")
        );
        assert!(find_privkey(&entries, b"bob@example.org", b"irc").is_none());
    }

    #[test]
    fn a_rewrite_replaces_only_our_account_and_keeps_the_rest_byte_for_byte() {
        // Another account in a hand-edited layout, ours twice, a comment-free
        // extra space before the end.
        let mut file = b"(privkeys  (account (name other) (protocol irc) ".to_vec();
        let other_key = String::from_utf8(account_block(BOB_KEY).to_vec()).unwrap();
        let other_key =
            &other_key[other_key.find("(private-key").unwrap()..other_key.rfind(')').unwrap()];
        file.extend_from_slice(other_key.as_bytes());
        file.extend_from_slice(b")\n");
        file.extend_from_slice(&renamed_block("me", "xmpp"));
        file.extend_from_slice(&renamed_block("me", "xmpp"));
        file.extend_from_slice(b"   )\n");
        let before = parse_privkeys(&file).unwrap();
        assert_eq!(before.len(), 3);
        let new = PrivateKeyEntry {
            account: b"me".to_vec(),
            protocol: b"xmpp".to_vec(),
            key: parse_privkeys(BOB_KEY).unwrap().remove(0).key,
        };
        let merged = merge_privkey(&file, &new).unwrap();
        let after = parse_privkeys(&merged).unwrap();
        assert_eq!(after.len(), 2);
        assert_eq!(after[0], before[0], "the other account is kept");
        assert_eq!(after[1], new);
        // The other account's text is still there byte for byte.
        let other_text = &file[..file.iter().position(|&b| b == b'\n').unwrap() + 1];
        assert!(merged.starts_with(other_text));
        // Merging into no file gives libotr's file.
        assert_eq!(
            &*merge_privkey(b"", &new).unwrap(),
            &*serialize_privkeys(core::slice::from_ref(&new)).unwrap()
        );
        // A file libotr could not read is refused, not overwritten.
        assert!(merge_privkey(b"(not-privkeys)", &new).is_err());
        assert!(merge_privkey(b"(privkeys", &new).is_err());
    }
}
