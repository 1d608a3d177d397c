//! libotr's fingerprints file (`otrl_privkey_read_fingerprints` /
//! `otrl_privkey_write_fingerprints`): the buddies' keys we have seen and how
//! much we trust them, one `username<TAB>account<TAB>protocol<TAB>hex<TAB>trust`
//! line each.
//!
//! Names and trust are bytes, as in libotr: a line is never lost for not
//! being UTF-8. A file may be shared by several accounts and programs, so
//! [`merge_fingerprints`] rewrites only the lines of one account and keeps
//! every other line byte for byte.

use otr_wire::Fingerprint;

use super::line_file::LineFileError;
use super::line_file::{
    Rewrite, check_field, libotr_lines, raw_lines, read_whole_by_libotr, split_tab, until_line_end,
};
use crate::trust::Trust;

/// A buddy's fingerprint known to one of our accounts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KnownFingerprint {
    /// The buddy's user name (bytes, as the IM network spells it).
    pub username: Vec<u8>,
    /// Our account that talked to them.
    pub account: Vec<u8>,
    /// The protocol.
    pub protocol: Vec<u8>,
    /// The buddy key's fingerprint.
    pub fingerprint: Fingerprint,
    /// How much the user trusts it.
    pub trust: Trust,
}

/// Reads a fingerprints file: every entry libotr 4.1.1 takes from it, in file
/// order. libotr merges a repeated username/account/protocol/fingerprint into
/// one, the last line's trust winning: apply the entries in order to get the
/// same.
///
/// As libotr: a line is what its `fgets` reads into 1000 bytes, up to a NUL;
/// a line needs three tabs and a line end (`\r` or `\n`, so a last line
/// without a newline is skipped); the trust is everything after the fourth
/// tab up to the line end (it may hold tabs); a fingerprint field must be 40
/// characters, hex digits in either case, any other character read as 0.
#[must_use]
pub fn parse_fingerprints(input: &[u8]) -> Vec<KnownFingerprint> {
    libotr_lines(input).filter_map(parse_line).collect()
}

fn parse_line(line: &[u8]) -> Option<KnownFingerprint> {
    let (username, rest) = split_tab(line)?;
    let (account, rest) = split_tab(rest)?;
    let (protocol, rest) = split_tab(rest)?;
    let (hex, trust) = match split_tab(rest) {
        Some((hex, trust)) => (hex, until_line_end(trust)?),
        None => (until_line_end(rest)?, &b""[..]),
    };
    if hex.len() != 40 {
        return None;
    }
    let mut fingerprint = [0u8; 20];
    for (byte, pair) in fingerprint.iter_mut().zip(hex.chunks_exact(2)) {
        if let [high, low] = pair {
            *byte = (libotr_nibble(*high) << 4) | libotr_nibble(*low);
        }
    }
    Some(KnownFingerprint {
        username: username.to_vec(),
        account: account.to_vec(),
        protocol: protocol.to_vec(),
        fingerprint: Fingerprint::from_bytes(fingerprint),
        trust: Trust::from_libotr(trust),
    })
}

/// A hex digit's value as libotr's `ctoh` reads it: any other character is 0.
fn libotr_nibble(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    }
}

/// Writes a fingerprints file exactly as libotr 4.1.1 does (lowercase hex,
/// the tab before the trust even when it is empty), entries in the given order.
///
/// # Errors
/// [`LineFileError::SeparatorInField`] when a username, account or protocol
/// holds a tab, newline or NUL, or the trust holds a carriage return, newline
/// or NUL.
pub fn serialize_fingerprints(entries: &[KnownFingerprint]) -> Result<Vec<u8>, LineFileError> {
    let mut out = Vec::new();
    for entry in entries {
        out.extend_from_slice(&entry_line(entry)?);
    }
    Ok(out)
}

fn entry_line(entry: &KnownFingerprint) -> Result<Vec<u8>, LineFileError> {
    const NAME_FORBIDDEN: &[u8] = b"\t\n\0";
    const TRUST_FORBIDDEN: &[u8] = b"\r\n\0";
    check_field("username", &entry.username, NAME_FORBIDDEN)?;
    check_field("account", &entry.account, NAME_FORBIDDEN)?;
    check_field("protocol", &entry.protocol, NAME_FORBIDDEN)?;
    check_field("trust", entry.trust.as_libotr(), TRUST_FORBIDDEN)?;
    let mut line = Vec::with_capacity(64 + entry.username.len() + entry.account.len());
    for field in [&entry.username, &entry.account, &entry.protocol] {
        line.extend_from_slice(field);
        line.push(b'\t');
    }
    line.extend_from_slice(entry.fingerprint.to_hex().as_bytes());
    line.push(b'\t');
    line.extend_from_slice(entry.trust.as_libotr());
    line.push(b'\n');
    Ok(line)
}

/// Rewrites a (possibly shared) fingerprints file so that the entries of
/// `account` on `protocol` are exactly `ours`, changing nothing else.
///
/// Every line that is not one of this account's entries — other accounts,
/// other protocols, comments, lines we cannot read — is kept byte for byte,
/// in place. A line of ours is kept as it is when `ours` still has its
/// buddy and fingerprint with the same trust, rewritten in place when the
/// trust changed, and dropped when `ours` no longer has it (or it repeats an
/// entry already placed). Entries of `ours` not yet in the file are added
/// after the existing lines (an entry repeated in `ours` counts once, its
/// first trust). `existing` may be empty (no file yet).
///
/// # Errors
/// As [`serialize_fingerprints`], for an entry of `ours` that must be written.
pub fn merge_fingerprints(
    existing: &[u8],
    account: &[u8],
    protocol: &[u8],
    ours: &[KnownFingerprint],
) -> Result<Vec<u8>, LineFileError> {
    let mut placed = vec![false; ours.len()];
    let mut file = Rewrite::default();
    for raw in raw_lines(existing) {
        let entry = read_whole_by_libotr(raw)
            .then(|| parse_line(raw))
            .flatten()
            .filter(|e| e.account == account && e.protocol == protocol);
        let Some(entry) = entry else {
            file.line(raw);
            continue;
        };
        let position = ours
            .iter()
            .position(|o| o.username == entry.username && o.fingerprint == entry.fingerprint);
        let Some(i) = position else {
            continue; // forgotten
        };
        if placed.get(i).copied().unwrap_or(true) {
            continue; // a repeat of an entry already written
        }
        if let Some(p) = placed.get_mut(i) {
            *p = true;
        }
        match ours.get(i) {
            Some(o) if o.trust == entry.trust => file.line(raw),
            Some(o) => file.line(&entry_line(o)?),
            None => {}
        }
    }
    for (i, (entry, done)) in ours.iter().zip(placed).enumerate() {
        let repeat = ours.get(..i).is_some_and(|earlier| {
            earlier
                .iter()
                .any(|e| e.username == entry.username && e.fingerprint == entry.fingerprint)
        });
        if !done && !repeat {
            file.append(&entry_line(entry)?);
        }
    }
    Ok(file.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: &[u8] = include_bytes!("../../fixtures/alice.fpr");
    const BOB: &[u8] = include_bytes!("../../fixtures/bob.fpr");

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
    const FP2: &str = "1111111111111111111111111111111111111111";

    #[test]
    fn libotr_files_round_trip_byte_for_byte() {
        let alice = parse_fingerprints(ALICE);
        assert_eq!(alice.len(), 1);
        assert_eq!(alice[0].username, b"bob@example.org");
        assert_eq!(alice[0].account, b"alice@example.org");
        assert_eq!(alice[0].trust, Trust::Verified);
        assert_eq!(serialize_fingerprints(&alice).unwrap(), ALICE);
        let bob = parse_fingerprints(BOB);
        assert_eq!(bob.len(), 1);
        assert_eq!(bob[0].trust, Trust::Untrusted);
        assert_eq!(serialize_fingerprints(&bob).unwrap(), BOB);
    }

    #[test]
    fn fixture_fingerprints_are_the_peers_keys() {
        // alice trusts bob's key, bob has seen alice's key (ake-v3.txt's KEY records).
        let records = include_str!("../../fixtures/ake-v3.txt");
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
    fn reading_takes_the_lines_libotr_takes() {
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
                known("u7", &format!("{}00", &FP[..38]), ""),
                known("u8", FP, ""),
            ],
            "u9 has no line end: libotr skips it"
        );
    }

    #[test]
    fn names_and_trust_are_bytes_never_lost_for_not_being_utf8() {
        let mut line = b"ren\xe9\tme@example.org\txmpp\t".to_vec();
        line.extend_from_slice(FP.as_bytes());
        line.extend_from_slice(b"\tv\xe9rifi\xe9\n");
        let entries = parse_fingerprints(&line);
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].username, b"ren\xe9");
        assert_eq!(entries[0].trust, Trust::Other(b"v\xe9rifi\xe9".to_vec()));
        assert_eq!(serialize_fingerprints(&entries).unwrap(), line);
    }

    #[test]
    fn a_nul_ends_the_line_as_libotrs_c_string_does() {
        // libotr sees "u\tme\txmpp\t<fp>\r": the \r before the NUL ends it.
        let text = format!("u\tme@example.org\txmpp\t{FP}\r\0tail\n");
        assert_eq!(
            parse_fingerprints(text.as_bytes()),
            vec![known("u", FP, "")]
        );
        let text = format!("u\tme@example.org\txmpp\t{FP}\0\n");
        assert!(parse_fingerprints(text.as_bytes()).is_empty());
    }

    #[test]
    fn trust_with_tabs_round_trips() {
        let entries = vec![known("u", FP, "a\tb"), known("v", FP, "")];
        let text = serialize_fingerprints(&entries).unwrap();
        assert_eq!(
            text,
            format!("u\tme@example.org\txmpp\t{FP}\ta\tb\nv\tme@example.org\txmpp\t{FP}\t\n")
                .into_bytes()
        );
        assert_eq!(parse_fingerprints(&text), entries);
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

    /// A shared file: another account, another protocol, a comment, a
    /// Latin-1 name, a hand-formatted line of ours, a line we cannot read.
    fn shared_file() -> Vec<u8> {
        let mut f = Vec::new();
        f.extend_from_slice(
            format!("# kept as is\nfriend\tother@example.org\txmpp\t{FP}\tverified\n").as_bytes(),
        );
        f.extend_from_slice(b"ren\xe9\tother@example.org\tirc\t");
        f.extend_from_slice(FP.as_bytes());
        f.extend_from_slice(b"\tverified\n");
        f.extend_from_slice(
            format!(
                "u1\tme@example.org\txmpp\t{}\tverified\r\n",
                FP.to_uppercase()
            )
            .as_bytes(),
        );
        f.extend_from_slice(format!("u2\tme@example.org\txmpp\t{FP}\tsmp\n").as_bytes());
        f.extend_from_slice(format!("u3\tme@example.org\txmpp\t{FP}\n").as_bytes());
        f.extend_from_slice(b"garbage without tabs\n");
        f.extend_from_slice(format!("u1\tme@example.org\txmpp\t{FP}\tverified\n").as_bytes());
        f
    }

    #[test]
    fn a_rewrite_keeps_every_line_it_does_not_own_byte_for_byte() {
        let file = shared_file();
        // Our account now knows: u1 unchanged, u2 untrusted now, u3 gone, u4 new.
        let ours = vec![
            known("u1", FP, "verified"),
            known("u2", FP, ""),
            known("u4", FP2, ""),
        ];
        let merged = merge_fingerprints(&file, b"me@example.org", b"xmpp", &ours).unwrap();
        let mut expected = Vec::new();
        expected.extend_from_slice(
            format!("# kept as is\nfriend\tother@example.org\txmpp\t{FP}\tverified\n").as_bytes(),
        );
        expected.extend_from_slice(b"ren\xe9\tother@example.org\tirc\t");
        expected.extend_from_slice(FP.as_bytes());
        expected.extend_from_slice(b"\tverified\n");
        expected.extend_from_slice(
            format!(
                "u1\tme@example.org\txmpp\t{}\tverified\r\n",
                FP.to_uppercase()
            )
            .as_bytes(),
        );
        expected.extend_from_slice(format!("u2\tme@example.org\txmpp\t{FP}\t\n").as_bytes());
        expected.extend_from_slice(b"garbage without tabs\n");
        expected.extend_from_slice(format!("u4\tme@example.org\txmpp\t{FP2}\t\n").as_bytes());
        assert_eq!(
            String::from_utf8_lossy(&merged),
            String::from_utf8_lossy(&expected)
        );
        assert_eq!(merged, expected);
        // Merging again changes nothing.
        assert_eq!(
            merge_fingerprints(&merged, b"me@example.org", b"xmpp", &ours).unwrap(),
            merged
        );
    }

    #[test]
    fn merging_into_no_file_writes_what_libotr_writes() {
        let ours = vec![known("u", FP, "smp")];
        assert_eq!(
            merge_fingerprints(b"", b"me@example.org", b"xmpp", &ours).unwrap(),
            serialize_fingerprints(&ours).unwrap()
        );
    }

    #[test]
    fn new_entries_never_join_an_unterminated_last_line() {
        let file = format!("other\tx\ty\t{FP}\tverified");
        let merged = merge_fingerprints(
            file.as_bytes(),
            b"me@example.org",
            b"xmpp",
            &[known("u", FP, "")],
        )
        .unwrap();
        assert_eq!(
            merged,
            format!("u\tme@example.org\txmpp\t{FP}\t\n{file}").into_bytes()
        );
    }
}
