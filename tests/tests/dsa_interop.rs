//! Our DSA identity keys against libotr 4.1.1's own (`tests/libotr-sign/dsa_tool.c`):
//! signatures made by either side verify on the other, libotr reads our
//! private-key files (and every alternative s-expression spelling) as we do,
//! and libotr rewrites our files byte for byte as we write them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use base64_encoding::{b64, b64_no_pad};
use otr_core::identity::{
    DsaSigningKey, PrivateKeyEntry, PrivkeyFileError, parse_privkeys, serialize_privkeys,
};
use otr_tests::fixtures::libotr_fixture_dir;
use otr_tests::interop::skip_or_fail;
use otr_wire::DsaSignature;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};

/// A tiny standard base64 encoder, so the test needs no extra crate.
mod base64_encoding {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    pub fn b64(bytes: &[u8]) -> String {
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    pub fn b64_no_pad(bytes: &[u8]) -> String {
        b64(bytes).trim_end_matches('=').to_owned()
    }
}

/// Builds `dsa_tool` once; `None` when libotr is not installed.
fn tool() -> Option<&'static Path> {
    static TOOL: OnceLock<Option<PathBuf>> = OnceLock::new();
    TOOL.get_or_init(|| {
        otr_tests::c_tool::build("tests/libotr-sign/dsa_tool.c", &scratch_dir(), "dsa_tool")
    })
    .as_deref()
}

fn scratch_dir() -> PathBuf {
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("dsa_interop-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A fresh file name in the scratch directory.
fn scratch_file(name: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    scratch_dir().join(format!("{n}-{name}"))
}

/// Runs `dsa_tool` and returns its stdout (exit status 0 or 2).
fn run(tool: &Path, args: &[&str]) -> String {
    let out = Command::new(tool).args(args).output().unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 2)),
        "dsa_tool {args:?}: {:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

fn libotr_sign(tool: &Path, file: &Path, account: &str, value: &[u8; 32]) -> DsaSignature {
    let out = run(
        tool,
        &["sign", file.to_str().unwrap(), account, "xmpp", &hex(value)],
    );
    let bytes = unhex(out.trim());
    assert_eq!(bytes.len(), 40, "dsa_tool sign said {out:?}");
    DsaSignature {
        r: bytes[..20].try_into().unwrap(),
        s: bytes[20..].try_into().unwrap(),
    }
}

fn libotr_verify(
    tool: &Path,
    file: &Path,
    account: &str,
    value: &[u8; 32],
    sig: &DsaSignature,
) -> bool {
    let sig_hex = format!("{}{}", hex(&sig.r), hex(&sig.s));
    let out = run(
        tool,
        &[
            "verify",
            file.to_str().unwrap(),
            account,
            "xmpp",
            &hex(value),
            &sig_hex,
        ],
    );
    match out.trim() {
        "ok" => true,
        "bad" => false,
        other => panic!("dsa_tool verify said {other:?}"),
    }
}

/// What libotr reads from a key file: `(account, protocol, fingerprint hex)`
/// in file order, or its error.
/// One key as listed: (account, protocol, fingerprint hex).
type ListedKey = (Vec<u8>, Vec<u8>, String);

fn libotr_list(tool: &Path, file: &Path) -> Result<Vec<ListedKey>, String> {
    let out = run(tool, &["list", file.to_str().unwrap()]);
    if out.starts_with("error") {
        return Err(out);
    }
    let mut keys: Vec<_> = out
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            (unhex(fields[0]), unhex(fields[1]), fields[2].to_owned())
        })
        .collect();
    keys.reverse(); // libotr's list is newest first
    Ok(keys)
}

fn our_list(entries: &[PrivateKeyEntry]) -> Vec<ListedKey> {
    entries
        .iter()
        .map(|e| {
            (
                e.account.clone(),
                e.protocol.clone(),
                e.key.fingerprint().to_hex(),
            )
        })
        .collect()
}

fn write(name: &str, bytes: &[u8]) -> PathBuf {
    let path = scratch_file(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn alice_file() -> PathBuf {
    libotr_fixture_dir().join("alice.key")
}

fn alice_key() -> Arc<DsaSigningKey> {
    let bytes = std::fs::read(alice_file()).unwrap();
    parse_privkeys(&bytes).unwrap().remove(0).key
}

/// Values to sign: edge cases (0, all ones ≥ q, q-sized) and random ones.
fn values(seed: u64) -> Vec<[u8; 32]> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut out = vec![[0u8; 32], [0xff; 32], [0x80; 32], {
        let mut v = [0u8; 32];
        v[12..].copy_from_slice(&[0xff; 20]);
        v
    }];
    for _ in 0..6 {
        let mut v = [0u8; 32];
        rng.fill_bytes(&mut v);
        out.push(v);
    }
    out
}

macro_rules! require_tool {
    ($test:expr) => {
        match tool() {
            Some(tool) => tool,
            None => {
                skip_or_fail(
                    $test,
                    "libotr is not installed (pkg-config --exists libotr failed)",
                );
                return;
            }
        }
    };
}

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn libotr_signatures_verify_with_our_key() {
    let tool = require_tool!("libotr_signatures_verify_with_our_key");
    let key = alice_key();
    let vk = key.verifying_key();
    for value in values(1) {
        let sig = libotr_sign(tool, &alice_file(), "alice@example.org", &value);
        assert!(
            vk.verify(&value, &sig),
            "libotr's signature over {}",
            hex(&value)
        );
        let mut other = value;
        other[31] ^= 1;
        assert!(!vk.verify(&other, &sig));
    }
}

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn our_signatures_verify_in_libotr() {
    let tool = require_tool!("our_signatures_verify_in_libotr");
    let key = alice_key();
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    for value in values(3) {
        let sig = key.sign(&value, &mut rng);
        assert!(
            libotr_verify(tool, &alice_file(), "alice@example.org", &value, &sig),
            "our signature over {}",
            hex(&value)
        );
        let mut bad = sig;
        bad.s[19] ^= 1;
        assert!(!libotr_verify(
            tool,
            &alice_file(),
            "alice@example.org",
            &value,
            &bad
        ));
    }
}

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn a_key_we_generate_works_in_libotr() {
    let tool = require_tool!("a_key_we_generate_works_in_libotr");
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let key = DsaSigningKey::generate(&mut rng).unwrap();
    let entries = vec![PrivateKeyEntry {
        account: "carol@example.org".into(),
        protocol: "xmpp".into(),
        key: key.into(),
    }];
    let file = write("carol.key", &serialize_privkeys(&entries).unwrap());
    assert_eq!(libotr_list(tool, &file).unwrap(), our_list(&entries));
    let vk = entries[0].key.verifying_key();
    for value in values(5) {
        let sig = libotr_sign(tool, &file, "carol@example.org", &value);
        assert!(vk.verify(&value, &sig));
        let ours = entries[0].key.sign(&value, &mut rng);
        assert!(libotr_verify(
            tool,
            &file,
            "carol@example.org",
            &value,
            &ours
        ));
    }
}

/// Replaces every `#hex#` atom of a libotr key file with another spelling.
fn respell_hex(text: &str, spell: impl Fn(&[u8]) -> Vec<u8>) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, part) in text.split('#').enumerate() {
        if i % 2 == 0 {
            out.extend_from_slice(part.as_bytes());
        } else {
            out.extend(spell(&unhex(part)));
        }
    }
    out
}

fn octal_quoted(bytes: &[u8]) -> Vec<u8> {
    let mut out = b"\"".to_vec();
    for (i, b) in bytes.iter().enumerate() {
        out.extend_from_slice(format!("\\{b:03o}").as_bytes());
        if i % 16 == 15 {
            out.extend_from_slice(b"\\\n");
        }
    }
    out.push(b'"');
    out
}

fn hex_quoted(bytes: &[u8]) -> Vec<u8> {
    let mut out = b"\"".to_vec();
    for (i, b) in bytes.iter().enumerate() {
        out.extend_from_slice(format!("\\x{b:02X}").as_bytes());
        if i % 16 == 15 {
            out.extend_from_slice(b"\\\r\n");
        }
    }
    out.push(b'"');
    out
}

fn spaced_hex(bytes: &[u8]) -> Vec<u8> {
    let mut out = format!("{}#", bytes.len()).into_bytes();
    for b in bytes {
        out.extend_from_slice(format!("{:x}\n{:x} ", b >> 4, b & 15).as_bytes());
    }
    out.push(b'#');
    out
}

fn length_prefixed(bytes: &[u8]) -> Vec<u8> {
    let mut out = format!("{}:", bytes.len()).into_bytes();
    out.extend_from_slice(bytes);
    out
}

/// The alice fixture in every spelling libgcrypt reads, and what we expect
/// libotr (and we) to read from it.
fn spellings() -> Vec<(&'static str, Vec<u8>)> {
    let text = std::fs::read_to_string(alice_file()).unwrap();
    let name = "\"alice@example.org\"";
    vec![
        (
            "base64",
            respell_hex(&text, |b| format!("|{}|", b64(b)).into_bytes()),
        ),
        (
            "base64 without padding, with a length",
            respell_hex(&text, |b| {
                format!("{}|{}|", b.len(), b64_no_pad(b)).into_bytes()
            }),
        ),
        (
            "length-prefixed raw bytes",
            respell_hex(&text, length_prefixed),
        ),
        ("octal-escaped strings", respell_hex(&text, octal_quoted)),
        ("hex-escaped strings", respell_hex(&text, hex_quoted)),
        ("spaced hex with a length", respell_hex(&text, spaced_hex)),
        (
            "names in other spellings",
            text.replace(name, "17:alice@example.org")
                .replace("(protocol xmpp)", &format!("(protocol |{}|)", b64(b"xmpp")))
                .into_bytes(),
        ),
        (
            "octal name",
            text.replace(name, "\"alice\\100example\\056org\"")
                .into_bytes(),
        ),
        (
            "odd whitespace",
            text.replace('\n', "\r\n")
                .replace(' ', "\t\x0b\x0c ")
                .into_bytes(),
        ),
        (
            "display hints after values",
            text.replace("#)", "# [text/plain])").into_bytes(),
        ),
        (
            "display hint before the name",
            text.replace(name, &format!("[text/plain]{name}"))
                .into_bytes(),
        ),
    ]
}

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn libotr_reads_every_spelling_as_we_do() {
    let tool = require_tool!("libotr_reads_every_spelling_as_we_do");
    let alice = parse_privkeys(&std::fs::read(alice_file()).unwrap()).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(6);
    for (what, bytes) in spellings() {
        let file = write("spelling.key", &bytes);
        let ours = parse_privkeys(&bytes).unwrap_or_else(|e| panic!("{what}: {e}"));
        let theirs = libotr_list(tool, &file).unwrap_or_else(|e| panic!("{what}: libotr: {e}"));
        assert_eq!(theirs, our_list(&ours), "{what}");
        assert_eq!(ours[0].key, alice[0].key, "{what}");
        // libgcrypt found the same x: its signature verifies with our key.
        let value = [0x17; 32];
        let account = std::str::from_utf8(&ours[0].account).unwrap();
        let sig = libotr_sign(tool, &file, account, &value);
        assert!(ours[0].key.verifying_key().verify(&value, &sig), "{what}");
        let ours_sig = ours[0].key.sign(&value, &mut rng);
        assert!(libotr_verify(tool, &file, account, &value, &ours_sig));
    }
}

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn both_refuse_broken_files() {
    let tool = require_tool!("both_refuse_broken_files");
    let text = std::fs::read_to_string(alice_file()).unwrap();
    let broken: Vec<(&str, Vec<u8>)> = vec![
        ("truncated", text.as_bytes()[..text.len() / 2].to_vec()),
        (
            "unclosed",
            text.trim_end().trim_end_matches(')').as_bytes().to_vec(),
        ),
        ("odd hex", text.replacen("A3#)", "A#)", 1).into_bytes()),
        (
            "bad hex digit",
            text.replacen("A3#)", "AG#)", 1).into_bytes(),
        ),
        (
            "bad escape",
            text.replacen("\"alice", "\"\\qalice", 1).into_bytes(),
        ),
        (
            "zero length prefix",
            text.replacen("(protocol xmpp)", "(protocol 0:)", 1)
                .into_bytes(),
        ),
        (
            "length past the end",
            text.replacen("(protocol xmpp)", "(protocol 9999:x)", 1)
                .into_bytes(),
        ),
        (
            "reserved punctuation",
            text.replacen("(protocol xmpp)", "(protocol {x})", 1)
                .into_bytes(),
        ),
        (
            "NUL byte",
            text.replacen("(protocol xmpp)", "(protocol\0xmpp)", 1)
                .into_bytes(),
        ),
        (
            "not privkeys",
            text.replacen("(privkeys", "(keys", 1).into_bytes(),
        ),
        (
            "not an account",
            text.replacen("(account", "(acount", 1).into_bytes(),
        ),
        ("no name", text.replacen("(name", "(nom", 1).into_bytes()),
        ("not dsa", text.replacen("(dsa", "(rsa", 1).into_bytes()),
        ("no p", text.replacen("(p #", "(P #", 1).into_bytes()),
        (
            "deep nesting",
            format!("(privkeys {}", "(".repeat(10_000)).into_bytes(),
        ),
        ("empty", Vec::new()),
    ];
    for (what, bytes) in broken {
        let file = write("broken.key", &bytes);
        assert!(
            libotr_list(tool, &file).is_err(),
            "{what}: libotr accepted it"
        );
        assert!(parse_privkeys(&bytes).is_err(), "{what}: we accepted it");
    }
    // `||` is an empty string to libotr (and to us).
    let empty_base64 = text
        .replacen("(protocol xmpp)", "(protocol ||)", 1)
        .into_bytes();
    let file = write("empty-base64.key", &empty_base64);
    let ours = parse_privkeys(&empty_base64).unwrap();
    assert_eq!(ours[0].protocol, b"");
    assert_eq!(libotr_list(tool, &file).unwrap(), our_list(&ours));
    // Deliberate differences: libotr loads these, we refuse them.
    let refused_by_us_only: Vec<(&str, Vec<u8>)> = vec![
        ("trailing data", format!("{text}junk\n").into_bytes()),
        ("no x", text.replacen("(x #", "(z #", 1).into_bytes()),
        ("y not g^x", {
            let at = text.find("(y #").unwrap() + 6;
            let mut bytes = text.clone().into_bytes();
            bytes[at] = if bytes[at] == b'1' { b'2' } else { b'1' };
            bytes
        }),
    ];
    for (what, bytes) in refused_by_us_only {
        let file = write("lenient.key", &bytes);
        assert!(
            libotr_list(tool, &file).is_ok(),
            "{what}: libotr refused it"
        );
        assert!(
            matches!(
                parse_privkeys(&bytes),
                Err(PrivkeyFileError::Syntax(_)
                    | PrivkeyFileError::MissingKeyParameter { .. }
                    | PrivkeyFileError::BadKey { .. })
            ),
            "{what}"
        );
    }
}

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn libotr_rewrites_our_files_byte_for_byte() {
    let tool = require_tool!("libotr_rewrites_our_files_byte_for_byte");
    let c = alice_key().components();
    // x values below q (which starts with 0xC1) that libgcrypt prints as a
    // token and as a quoted string; names printed as token, string and hex.
    let entries: Vec<PrivateKeyEntry> = [
        ("bob", "prpl-jabber", &b"OTR-printable-x-0123"[..]),
        ("1abc", "irc", &b"OTR printable \"x\" 01"[..]),
        ("\u{142}ukasz@example.org", "xmpp", &b"\x12\x34"[..]),
        ("tab\there", "\u{e9}t\u{e9}", c.x()),
        ("new\nline 'quote' \\", "prpl-irc", c.x()),
    ]
    .into_iter()
    .map(|(account, protocol, x)| PrivateKeyEntry {
        account: account.into(),
        protocol: protocol.into(),
        key: DsaSigningKey::from_components(c.p(), c.q(), c.g(), x)
            .unwrap()
            .into(),
    })
    .collect();
    let file = write("mixed.key", &serialize_privkeys(&entries).unwrap());
    assert_eq!(libotr_list(tool, &file).unwrap(), our_list(&entries));
    let rewritten = scratch_file("rewritten.key");
    let out = run(
        tool,
        &[
            "rewrite",
            file.to_str().unwrap(),
            rewritten.to_str().unwrap(),
            "fresh@example.org",
            "xmpp",
        ],
    );
    assert_eq!(out.trim(), "ok");
    let libotr_bytes = std::fs::read(&rewritten).unwrap();
    let reread = parse_privkeys(&libotr_bytes).unwrap();
    // libotr writes the keys it holds newest first, then the new one.
    assert_eq!(reread.len(), entries.len() + 1);
    for (theirs, ours) in reread.iter().zip(entries.iter().rev()) {
        assert_eq!(theirs, ours);
    }
    assert_eq!(reread[entries.len()].account, b"fresh@example.org");
    assert_eq!(&*serialize_privkeys(&reread).unwrap(), &libotr_bytes[..]);
}

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn an_account_listed_twice_uses_the_last_key_as_libotr_does() {
    let tool = require_tool!("an_account_listed_twice_uses_the_last_key_as_libotr_does");
    let alice = std::fs::read(alice_file()).unwrap();
    let bob = std::fs::read(libotr_fixture_dir().join("bob.key")).unwrap();
    let block = |file: &[u8]| file[b"(privkeys\n".len()..file.len() - b")\n".len()].to_vec();
    // Bob's key filed under Alice's account, after Alice's own.
    let bob_as_alice = String::from_utf8(block(&bob))
        .unwrap()
        .replace("bob@example.org", "alice@example.org")
        .into_bytes();
    let mut file = b"(privkeys\n".to_vec();
    file.extend_from_slice(&block(&alice));
    file.extend_from_slice(&bob_as_alice);
    file.extend_from_slice(b")\n");
    let path = write("twice.key", &file);
    // `libotr_list` is in file order; otrl_privkey_find returns the first
    // match of libotr's own list, which is newest first: the last in the file.
    let libotr_uses = libotr_list(tool, &path)
        .unwrap()
        .into_iter()
        .rev()
        .find(|(a, p, _)| a == b"alice@example.org" && p == b"xmpp")
        .unwrap()
        .2;
    let entries = parse_privkeys(&file).unwrap();
    let ours = otr_core::identity::find_privkey(&entries, b"alice@example.org", b"xmpp").unwrap();
    assert_eq!(ours.key.fingerprint().to_hex(), libotr_uses);
    assert_eq!(ours.key, parse_privkeys(&bob).unwrap().remove(0).key);
    // libotr signs for the account with the key it finds: ours verifies it.
    let value = [0x5a; 32];
    let sig = libotr_sign(tool, &path, "alice@example.org", &value);
    assert!(ours.key.verifying_key().verify(&value, &sig));
}
