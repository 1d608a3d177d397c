//! libotr's instance-tag file (`otrl_instag_read` / `otrl_instag_write`):
//! a warning line, then `account<TAB>protocol<TAB>%08x` per account.

use otr_wire::InstanceTag;

use super::dsa_integers::hex_value;
use super::line_file::{check_field, lines, until_carriage_return};
use super::line_file_error::LineFileError;

/// The first line libotr 4.1.1 writes (it has no tab, so readers skip it).
pub const INSTAG_FILE_WARNING: &str = "# WARNING! You shouldn't copy this file to another computer. \
                                       It is unnecessary and can cause problems.";

/// One account's instance tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InstagEntry {
    /// The account name.
    pub account: String,
    /// The protocol.
    pub protocol: String,
    /// The account's instance tag (at least 0x100).
    pub instag: InstanceTag,
}

/// Reads an instance-tag file, entries in file order (libotr uses the *last*
/// entry when an account appears twice).
///
/// As libotr, lines without two tabs, with a tag field that is not 8
/// characters, or with a tag below 0x100 are skipped (the warning line is one
/// of them); the tag field ends at a `\r`. Stricter than libotr's `sscanf`:
/// the 8 characters must all be hex digits (either case). Also skipped: lines
/// that are not UTF-8 or hold a NUL. A last line without a newline counts.
#[must_use]
pub fn parse_instags(input: &[u8]) -> Vec<InstagEntry> {
    lines(input).filter_map(parse_line).collect()
}

fn parse_line(line: &[u8]) -> Option<InstagEntry> {
    if line.contains(&0) {
        return None;
    }
    let mut fields = line.splitn(3, |&b| b == b'\t');
    let account = fields.next()?;
    let protocol = fields.next()?;
    let tag = until_carriage_return(fields.next()?);
    if tag.len() != 8 {
        return None;
    }
    let value = tag.iter().try_fold(0u32, |acc, &c| {
        hex_value(c).map(|nibble| (acc << 4) | u32::from(nibble))
    })?;
    Some(InstagEntry {
        account: String::from_utf8(account.to_vec()).ok()?,
        protocol: String::from_utf8(protocol.to_vec()).ok()?,
        instag: InstanceTag::new(value)?,
    })
}

/// Writes an instance-tag file exactly as libotr 4.1.1 does (lowercase hex),
/// entries in the given order.
///
/// # Errors
/// [`LineFileError::SeparatorInField`] when an account or protocol holds a
/// tab, newline or NUL.
pub fn serialize_instags(entries: &[InstagEntry]) -> Result<String, LineFileError> {
    let forbidden = ['\t', '\n', '\0'];
    let mut out = String::from(INSTAG_FILE_WARNING);
    out.push('\n');
    for entry in entries {
        check_field("account", &entry.account, &forbidden)?;
        check_field("protocol", &entry.protocol, &forbidden)?;
        out.push_str(&format!(
            "{}\t{}\t{:08x}\n",
            entry.account,
            entry.protocol,
            entry.instag.get()
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: &[u8] = include_bytes!("../../../tests/fixtures/libotr/alice.instag");
    const BOB: &[u8] = include_bytes!("../../../tests/fixtures/libotr/bob.instag");

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
            assert_eq!(entries[0].account, account);
            assert_eq!(entries[0].protocol, "xmpp");
            assert_eq!(serialize_instags(&entries).unwrap().as_bytes(), file);
        }
    }

    #[test]
    fn several_entries_keep_their_order() {
        let entries = vec![entry("a", "xmpp", 0x100), entry("b c", "irc", 0xffff_ffff)];
        let text = serialize_instags(&entries).unwrap();
        assert!(text.ends_with("a\txmpp\t00000100\nb c\tirc\tffffffff\n"));
        assert_eq!(parse_instags(text.as_bytes()), entries);
    }

    #[test]
    fn reading_is_lenient_where_libotr_is() {
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
            vec![entry("a", "xmpp", 0xdead_beef), entry("h", "p", 0x101)]
        );
        assert!(parse_instags(b"").is_empty());
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
