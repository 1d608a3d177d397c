//! libotr's fingerprints file (`otrl_privkey_read_fingerprints` /
//! `otrl_privkey_write_fingerprints`): the buddies' keys we have seen and how
//! much we trust them, one `username<TAB>account<TAB>protocol<TAB>hex<TAB>trust`
//! line each.

use otr_wire::Fingerprint;

use super::line_file::{check_field, lines, until_carriage_return};
use super::line_file_error::LineFileError;

/// A buddy's fingerprint known to one of our accounts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KnownFingerprint {
    /// The buddy's user name.
    pub username: String,
    /// Our account that talked to them.
    pub account: String,
    /// The protocol.
    pub protocol: String,
    /// The buddy key's fingerprint.
    pub fingerprint: Fingerprint,
    /// The trust level: empty for none, `verified` (libotr's own word for a
    /// fingerprint the user checked or SMP confirmed), or any other text a
    /// client stored.
    pub trust: String,
}

/// Reads a fingerprints file, entries in file order (libotr merges a repeated
/// username/account/protocol/fingerprint into one, the last trust winning).
///
/// As libotr: lines with fewer than four tab-separated fields, or whose
/// fingerprint field is not 40 characters, are skipped; a missing trust field
/// means no trust; the last field ends at a `\r`; the trust is everything
/// after the fourth tab (it may hold tabs). Stricter than libotr (which reads
/// non-hex digits as 0): the 40 characters must be hex digits (either case).
/// Also skipped: lines that are not UTF-8 or hold a NUL. A last line without
/// a newline counts.
#[must_use]
pub fn parse_fingerprints(input: &[u8]) -> Vec<KnownFingerprint> {
    lines(input).filter_map(parse_line).collect()
}

fn parse_line(line: &[u8]) -> Option<KnownFingerprint> {
    if line.contains(&0) {
        return None;
    }
    let mut fields = line.splitn(5, |&b| b == b'\t');
    let username = fields.next()?;
    let account = fields.next()?;
    let protocol = fields.next()?;
    let hex_field = fields.next()?;
    let (hex, trust) = match fields.next() {
        Some(trust) => (hex_field, until_carriage_return(trust)),
        None => (until_carriage_return(hex_field), &b""[..]),
    };
    if hex.len() != 40 || !hex.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let text = |bytes: &[u8]| String::from_utf8(bytes.to_vec()).ok();
    Some(KnownFingerprint {
        username: text(username)?,
        account: text(account)?,
        protocol: text(protocol)?,
        fingerprint: Fingerprint::parse_hex(core::str::from_utf8(hex).ok()?)?,
        trust: text(trust)?,
    })
}

/// Writes a fingerprints file exactly as libotr 4.1.1 does (lowercase hex,
/// the tab before the trust even when it is empty), entries in the given order.
///
/// # Errors
/// [`LineFileError::SeparatorInField`] when a username, account or protocol
/// holds a tab, newline or NUL, or the trust holds a carriage return, newline
/// or NUL.
pub fn serialize_fingerprints(entries: &[KnownFingerprint]) -> Result<String, LineFileError> {
    let name_forbidden = ['\t', '\n', '\0'];
    let trust_forbidden = ['\r', '\n', '\0'];
    let mut out = String::new();
    for entry in entries {
        check_field("username", &entry.username, &name_forbidden)?;
        check_field("account", &entry.account, &name_forbidden)?;
        check_field("protocol", &entry.protocol, &name_forbidden)?;
        check_field("trust", &entry.trust, &trust_forbidden)?;
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\n",
            entry.username,
            entry.account,
            entry.protocol,
            entry.fingerprint.to_hex(),
            entry.trust
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: &[u8] = include_bytes!("../../../tests/fixtures/libotr/alice.fpr");
    const BOB: &[u8] = include_bytes!("../../../tests/fixtures/libotr/bob.fpr");

    fn known(username: &str, hex: &str, trust: &str) -> KnownFingerprint {
        KnownFingerprint {
            username: username.into(),
            account: "me@example.org".into(),
            protocol: "xmpp".into(),
            fingerprint: Fingerprint::parse_hex(hex).unwrap(),
            trust: trust.into(),
        }
    }

    const FP: &str = "02c89e292efe03980a4afb0be688174e91a0645a";

    #[test]
    fn libotr_files_round_trip_byte_for_byte() {
        let alice = parse_fingerprints(ALICE);
        assert_eq!(alice.len(), 1);
        assert_eq!(alice[0].username, "bob@example.org");
        assert_eq!(alice[0].account, "alice@example.org");
        assert_eq!(alice[0].trust, "verified");
        assert_eq!(serialize_fingerprints(&alice).unwrap().as_bytes(), ALICE);
        let bob = parse_fingerprints(BOB);
        assert_eq!(bob.len(), 1);
        assert_eq!(bob[0].trust, "");
        assert_eq!(serialize_fingerprints(&bob).unwrap().as_bytes(), BOB);
    }

    #[test]
    fn fixture_fingerprints_are_the_peers_keys() {
        // alice trusts bob's key, bob has seen alice's key (ake-v3.txt's KEY records).
        let records = include_str!("../../../tests/fixtures/libotr/ake-v3.txt");
        let human = |who: &str| {
            records
                .lines()
                .find_map(|line| {
                    let fields: Vec<&str> = line.split('\t').collect();
                    (fields.len() == 4 && fields[0] == "KEY" && fields[1] == who)
                        .then(|| fields[3].to_owned())
                })
                .unwrap()
        };
        assert_eq!(
            parse_fingerprints(ALICE)[0].fingerprint.to_human(),
            human("bob")
        );
        assert_eq!(
            parse_fingerprints(BOB)[0].fingerprint.to_human(),
            human("alice")
        );
    }

    #[test]
    fn reading_is_lenient_where_libotr_is() {
        let upper = FP.to_uppercase();
        let text = format!(
            "u1\tme@example.org\txmpp\t{FP}\n\
             u2\tme@example.org\txmpp\t{upper}\tverified\r\n\
             u3\tme@example.org\txmpp\t{FP}\tsmp\twith tab\n\
             u4\tme@example.org\txmpp\t{FP}0\tverified\n\
             u5\tme@example.org\txmpp\t{}\tverified\n\
             u6\tme@example.org\txmpp\n\
             u7\tme@example.org\txmpp\t{}zz\n\
             u8\tme@example.org\txmpp\t{FP}\r\n\
             \n\
             u9\tme@example.org\txmpp\t{FP}\t",
            &FP[..39],
            &FP[..38],
        );
        assert_eq!(
            parse_fingerprints(text.as_bytes()),
            vec![
                known("u1", FP, ""),
                known("u2", FP, "verified"),
                known("u3", FP, "smp\twith tab"),
                known("u8", FP, ""),
                known("u9", FP, ""),
            ]
        );
    }

    #[test]
    fn trust_with_tabs_round_trips() {
        let entries = vec![known("u", FP, "a\tb"), known("v", FP, "")];
        let text = serialize_fingerprints(&entries).unwrap();
        assert_eq!(
            text,
            format!("u\tme@example.org\txmpp\t{FP}\ta\tb\nv\tme@example.org\txmpp\t{FP}\t\n")
        );
        assert_eq!(parse_fingerprints(text.as_bytes()), entries);
    }

    #[test]
    fn separators_cannot_be_written() {
        let mut bad = known("u\tv", FP, "");
        assert!(serialize_fingerprints(&[bad.clone()]).is_err());
        bad.username = "u".into();
        bad.trust = "x\ny".into();
        assert!(serialize_fingerprints(&[bad.clone()]).is_err());
        bad.trust = "x\ry".into();
        assert!(serialize_fingerprints(&[bad]).is_err());
    }
}
