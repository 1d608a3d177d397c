//! libotr's instance-tag file (`otrl_instag_read` / `otrl_instag_write`):
//! one `account<TAB>protocol<TAB>tag` line per account, the tag as 8
//! lowercase hex digits, after a warning comment.
//!
//! Names are bytes, as in libotr. When a file lists an account twice, libotr
//! uses the last line: [`find_instag`] does the same. [`merge_instag`]
//! rewrites one account's tag and keeps every other line byte for byte.

use otr_wire::InstanceTag;

use super::line_file::LineFileError;
use super::line_file::{
    Rewrite, check_field, libotr_lines, raw_lines, read_whole_by_libotr, split_tab, until_line_end,
};

/// The comment libotr writes as the file's first line.
pub const INSTAG_FILE_WARNING: &str = "# WARNING! You shouldn't copy this file to another computer. \
                                       It is unnecessary and can cause problems.";

/// One account's instance tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InstagEntry {
    /// The account name (bytes, as the client spells it).
    pub account: Vec<u8>,
    /// The protocol.
    pub protocol: Vec<u8>,
    /// The instance tag.
    pub instag: InstanceTag,
}

/// Reads an instance-tag file: every entry libotr 4.1.1 takes from it, in
/// file order (an account listed twice: libotr uses the last, see
/// [`find_instag`]).
///
/// As libotr: a line is what its `fgets` reads into 1000 bytes, up to a NUL;
/// it needs two tabs and a line end (`\r` or `\n`); the tag field must be 8
/// characters and is read as `sscanf("%08x")` reads it (leading blanks, a
/// sign, a `0x`, hex digits up to the first other character); tags below
/// 0x100 are skipped.
#[must_use]
pub fn parse_instags(input: &[u8]) -> Vec<InstagEntry> {
    libotr_lines(input).filter_map(parse_line).collect()
}

/// The tag libotr uses for `account` on `protocol`: the last entry for it.
#[must_use]
pub fn find_instag(
    entries: &[InstagEntry],
    account: &[u8],
    protocol: &[u8],
) -> Option<InstanceTag> {
    entries
        .iter()
        .rev()
        .find(|e| e.account == account && e.protocol == protocol)
        .map(|e| e.instag)
}

fn parse_line(line: &[u8]) -> Option<InstagEntry> {
    let (account, rest) = split_tab(line)?;
    let (protocol, rest) = split_tab(rest)?;
    let tag = until_line_end(rest)?;
    if tag.len() != 8 {
        return None;
    }
    Some(InstagEntry {
        account: account.to_vec(),
        protocol: protocol.to_vec(),
        instag: InstanceTag::new(scan_hex(tag)?)?,
    })
}

/// What glibc's `sscanf(field, "%08x", &value)` stores: `None` when it
/// converts nothing (libotr's value then stays 0).
fn scan_hex(field: &[u8]) -> Option<u32> {
    // Leading white space is skipped and not counted in the width of 8.
    let start = field.iter().position(|b| !b" \t\x0b\x0c\r\n".contains(b))?;
    let text = field.get(start..)?;
    let is_hex = |k: usize| text.get(k).is_some_and(u8::is_ascii_hexdigit);
    let mut i = 0usize;
    let negative = text.first() == Some(&b'-');
    if matches!(text.first(), Some(b'-' | b'+')) {
        i += 1;
    }
    if text.get(i) == Some(&b'0') && matches!(text.get(i + 1), Some(b'x' | b'X')) && is_hex(i + 2) {
        i += 2;
    }
    let first_digit = i;
    let mut value: u64 = 0;
    while i < 8 && is_hex(i) {
        let nibble = text.get(i).and_then(|c| char::from(*c).to_digit(16))?;
        value = (value << 4) | u64::from(nibble);
        i += 1;
    }
    if i == first_digit {
        return None;
    }
    let value = if negative {
        value.wrapping_neg()
    } else {
        value
    };
    u32::try_from(value & 0xffff_ffff).ok()
}

/// Writes an instance-tag file exactly as libotr 4.1.1 does.
///
/// # Errors
/// [`LineFileError::SeparatorInField`] when an account or protocol holds a
/// tab, newline or NUL.
pub fn serialize_instags(entries: &[InstagEntry]) -> Result<Vec<u8>, LineFileError> {
    let mut out = INSTAG_FILE_WARNING.as_bytes().to_vec();
    out.push(b'\n');
    for entry in entries {
        out.extend_from_slice(&entry_line(entry)?);
    }
    Ok(out)
}

fn entry_line(entry: &InstagEntry) -> Result<Vec<u8>, LineFileError> {
    const FORBIDDEN: &[u8] = b"\t\n\0";
    check_field("account", &entry.account, FORBIDDEN)?;
    check_field("protocol", &entry.protocol, FORBIDDEN)?;
    let mut line = Vec::with_capacity(entry.account.len() + entry.protocol.len() + 11);
    line.extend_from_slice(&entry.account);
    line.push(b'\t');
    line.extend_from_slice(&entry.protocol);
    line.extend_from_slice(format!("\t{:08x}\n", entry.instag.get()).as_bytes());
    Ok(line)
}

/// Rewrites a (possibly shared) instance-tag file so that `entry`'s account
/// has `entry`'s tag, changing nothing else: every other line is kept byte
/// for byte; the account's last line is rewritten in place (or kept, if it
/// already says this tag) and its earlier lines dropped; an account not in
/// the file is added after the existing lines. An empty `existing` (no file
/// yet) gives libotr's file with the warning comment.
///
/// # Errors
/// As [`serialize_instags`].
pub fn merge_instag(existing: &[u8], entry: &InstagEntry) -> Result<Vec<u8>, LineFileError> {
    if existing.is_empty() {
        return serialize_instags(core::slice::from_ref(entry));
    }
    let ours = |raw: &[u8]| {
        read_whole_by_libotr(raw)
            .then(|| parse_line(raw))
            .flatten()
            .filter(|e| e.account == entry.account && e.protocol == entry.protocol)
    };
    let last = raw_lines(existing)
        .enumerate()
        .filter(|(_, raw)| ours(raw).is_some())
        .map(|(i, _)| i)
        .last();
    let mut file = Rewrite::default();
    for (i, raw) in raw_lines(existing).enumerate() {
        match ours(raw) {
            None => file.line(raw),
            Some(found) if Some(i) == last => {
                if found.instag == entry.instag {
                    file.line(raw);
                } else {
                    file.line(&entry_line(entry)?);
                }
            }
            Some(_) => {}
        }
    }
    if last.is_none() {
        file.append(&entry_line(entry)?);
    }
    Ok(file.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: &[u8] = include_bytes!("../../fixtures/alice.instag");
    const BOB: &[u8] = include_bytes!("../../fixtures/bob.instag");

    fn entry(account: &str, protocol: &str, tag: u32) -> InstagEntry {
        InstagEntry {
            account: account.into(),
            protocol: protocol.into(),
            instag: InstanceTag::new(tag).unwrap(),
        }
    }

    #[test]
    fn libotr_files_round_trip_byte_for_byte() {
        for (file, account) in [(ALICE, "alice@example.org"), (BOB, "bob@example.org")] {
            let entries = parse_instags(file);
            assert_eq!(entries.len(), 1);
            assert_eq!(entries[0].account, account.as_bytes());
            assert_eq!(entries[0].protocol, b"xmpp");
            assert_eq!(serialize_instags(&entries).unwrap(), file);
        }
    }

    #[test]
    fn several_entries_keep_their_order() {
        let entries = vec![entry("a", "xmpp", 0x100), entry("b c", "irc", 0xffff_ffff)];
        let text = serialize_instags(&entries).unwrap();
        assert!(text.ends_with(b"a\txmpp\t00000100\nb c\tirc\tffffffff\n"));
        assert_eq!(parse_instags(&text), entries);
    }

    #[test]
    fn reading_takes_the_lines_libotr_takes() {
        let text = b"# comment without tabs\n\
                     a\txmpp\tDEADBEEF\r\n\
                     b\txmpp\t000000ff\n\
                     c\txmpp\t0000100\n\
                     d\txmpp\t000001000\n\
                     e\txmpp\t0000010g\n\
                     f\txmpp\t00000100\textra\n\
                     only\tone-tab\n\
                     \n\
                     g\xff\txmpp\t00000100\n\
                     h\tp\t00000101";
        assert_eq!(
            parse_instags(text),
            vec![
                entry("a", "xmpp", 0xdead_beef),
                InstagEntry {
                    account: b"g\xff".to_vec(),
                    protocol: b"xmpp".to_vec(),
                    instag: InstanceTag::new(0x100).unwrap(),
                },
            ],
            "h has no line end: libotr skips it"
        );
        assert!(parse_instags(b"").is_empty());
    }

    #[test]
    fn tags_are_read_as_sscanf_reads_them() {
        for (field, expected) in [
            (&b"00000100"[..], Some(0x100)),
            (b"0x000100", Some(0x100)),
            (b"0X0001ff", Some(0x1ff)),
            (b" 0000100", Some(0x100)),
            (b"+0000100", Some(0x100)),
            (b"-0000001", Some(0xffff_ffff)),
            (b"0001000z", Some(0x1000)),
            (b"0xg00000", Some(0)),
            (b"zzzzzzzz", None),
            (b"        ", None),
            (b"-xxxxxxx", None),
        ] {
            assert_eq!(
                scan_hex(field),
                expected,
                "{:?}",
                String::from_utf8_lossy(field)
            );
        }
    }

    #[test]
    fn the_last_entry_of_an_account_is_the_one_libotr_uses() {
        let text = b"a\tx\t00000100\nb\tx\t00000200\na\tx\t00000300\n";
        let entries = parse_instags(text);
        assert_eq!(find_instag(&entries, b"a", b"x"), InstanceTag::new(0x300));
        assert_eq!(find_instag(&entries, b"b", b"x"), InstanceTag::new(0x200));
        assert_eq!(find_instag(&entries, b"c", b"x"), None);
    }

    #[test]
    fn a_rewrite_changes_only_our_account() {
        let text = b"# a comment\n\
                     a\tx\t00000100\n\
                     other\xe9\tirc\t0x00abcd\n\
                     a\tx\t00000300\r\n\
                     unreadable line\n";
        let merged = merge_instag(text, &entry("a", "x", 0x400)).unwrap();
        assert_eq!(
            merged,
            b"# a comment\nother\xe9\tirc\t0x00abcd\na\tx\t00000400\nunreadable line\n"
        );
        // Unchanged tag: the file stays as it was, but for the earlier duplicate.
        let kept = merge_instag(text, &entry("a", "x", 0x300)).unwrap();
        assert_eq!(
            kept,
            b"# a comment\nother\xe9\tirc\t0x00abcd\na\tx\t00000300\r\nunreadable line\n"
        );
        // A new account is added at the end; no file gives libotr's file.
        let added = merge_instag(b"a\tx\t00000100\n", &entry("b", "x", 0x500)).unwrap();
        assert_eq!(added, b"a\tx\t00000100\nb\tx\t00000500\n");
        assert_eq!(
            merge_instag(b"", &entry("b", "x", 0x500)).unwrap(),
            serialize_instags(&[entry("b", "x", 0x500)]).unwrap()
        );
    }

    #[test]
    fn separators_cannot_be_written() {
        for bad in [
            entry("a\tb", "x", 0x100),
            entry("a", "x\ny", 0x100),
            entry("a\0", "x", 0x100),
        ] {
            assert!(matches!(
                serialize_instags(&[bad]),
                Err(LineFileError::SeparatorInField { .. })
            ));
        }
    }
}
