//! libotr's instance-tag, fingerprint and private-key files as libotr 4.1.1
//! itself reads them (`tests/libotr-files/files_tool.c`,
//! `tests/libotr-sign/dsa_tool.c`) against our readers: on crafted files and
//! on hundreds of random ones made of the bytes that matter (tabs, `\r`,
//! NUL, Latin-1, signs, `0x`, long lines, missing line ends), we take the
//! same entries, and the entry libotr uses for an account is the one we use.
//! And a rewrite of our entries leaves libotr's view of every other account
//! exactly as it was.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use otr_core::Trust;
use otr_core::identity::{
    InstagEntry, KnownFingerprint, find_instag, merge_fingerprints, merge_instag,
    parse_fingerprints, parse_instags,
};
use otr_core::otr_wire::{Fingerprint, InstanceTag};
use otr_tests::c_tool;
use otr_tests::interop::skip_or_fail;
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};

fn scratch_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("files_interop-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn tool() -> Option<&'static Path> {
    static TOOL: OnceLock<Option<PathBuf>> = OnceLock::new();
    TOOL.get_or_init(|| {
        c_tool::build(
            "tests/libotr-files/files_tool.c",
            &scratch_dir(),
            "files_tool",
        )
    })
    .as_deref()
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

fn unhex(field: &str) -> Vec<u8> {
    if field == "-" {
        return Vec::new();
    }
    (0..field.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&field[i..i + 2], 16).unwrap())
        .collect()
}

/// Runs the tool on `contents` written to a fresh file; its output fields.
fn libotr_reads(tool: &Path, what: &str, contents: &[u8]) -> Vec<Vec<String>> {
    static N: AtomicUsize = AtomicUsize::new(0);
    let path = scratch_dir().join(format!("{}-{what}", N.fetch_add(1, Ordering::Relaxed)));
    std::fs::write(&path, contents).unwrap();
    let out = Command::new(tool).arg(what).arg(&path).output().unwrap();
    assert!(out.status.success(), "files_tool {what}: {out:?}");
    let _ = std::fs::remove_file(&path);
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

/// libotr's instance tags: its list (newest first), as (account, protocol, tag).
fn libotr_instags(tool: &Path, contents: &[u8]) -> Vec<(Vec<u8>, Vec<u8>, u32)> {
    libotr_reads(tool, "instags", contents)
        .into_iter()
        .map(|f| {
            (
                unhex(&f[0]),
                unhex(&f[1]),
                u32::from_str_radix(&f[2], 16).unwrap(),
            )
        })
        .collect()
}

type FingerprintKey = (Vec<u8>, Vec<u8>, Vec<u8>, [u8; 20]);

/// libotr's known fingerprints: (username, account, protocol, fp) → trust.
fn libotr_fingerprints(tool: &Path, contents: &[u8]) -> BTreeMap<FingerprintKey, Vec<u8>> {
    libotr_reads(tool, "fingerprints", contents)
        .into_iter()
        .map(|f| {
            let fp: [u8; 20] = unhex(&f[3]).try_into().unwrap();
            ((unhex(&f[0]), unhex(&f[1]), unhex(&f[2]), fp), unhex(&f[4]))
        })
        .collect()
}

/// Ours, the same way: entries applied in file order, the last trust winning.
fn our_fingerprints(contents: &[u8]) -> BTreeMap<FingerprintKey, Vec<u8>> {
    parse_fingerprints(contents)
        .into_iter()
        .map(|k| {
            (
                (k.username, k.account, k.protocol, *k.fingerprint.as_bytes()),
                k.trust.as_libotr().to_vec(),
            )
        })
        .collect()
}

fn check_instags(tool: &Path, contents: &[u8]) {
    let theirs = libotr_instags(tool, contents);
    let ours = parse_instags(contents);
    let mut ours_newest_first: Vec<_> = ours
        .iter()
        .map(|e| (e.account.clone(), e.protocol.clone(), e.instag.get()))
        .collect();
    ours_newest_first.reverse();
    assert_eq!(
        ours_newest_first,
        theirs,
        "file {:?}",
        String::from_utf8_lossy(contents)
    );
    // The tag libotr uses for each account (the first in its list) is ours.
    for (account, protocol, tag) in &theirs {
        let libotr_uses = theirs
            .iter()
            .find(|(a, p, _)| a == account && p == protocol)
            .map(|e| e.2);
        assert_eq!(
            find_instag(&ours, account, protocol).map(InstanceTag::get),
            libotr_uses,
            "{tag:08x} in {:?}",
            String::from_utf8_lossy(contents)
        );
    }
}

fn check_fingerprints(tool: &Path, contents: &[u8]) {
    assert_eq!(
        our_fingerprints(contents),
        libotr_fingerprints(tool, contents),
        "file {:?}",
        String::from_utf8_lossy(contents)
    );
}

const FP: &str = "02c89e292efe03980a4afb0be688174e91a0645a";

/// Random file content from the pieces libotr's parsing turns on.
fn random_file(rng: &mut ChaCha20Rng, fields: &[&[&[u8]]], line_ends: &[&[u8]]) -> Vec<u8> {
    let mut file = Vec::new();
    let lines = 1 + rng.next_u32() % 8;
    for _ in 0..lines {
        let pick = |rng: &mut ChaCha20Rng, options: &[&[u8]]| {
            options[(rng.next_u32() as usize) % options.len()].to_vec()
        };
        let mut line = Vec::new();
        for (i, options) in fields.iter().enumerate() {
            if i > 0 {
                // Mostly a tab, sometimes a space or nothing.
                line.extend_from_slice(
                    pick(rng, &[b"\t", b"\t", b"\t", b"\t", b" ", b""]).as_slice(),
                );
            }
            line.extend_from_slice(&pick(rng, options));
        }
        if rng.next_u32().is_multiple_of(40) {
            line.extend(std::iter::repeat_n(b'x', 990));
        }
        line.extend_from_slice(&pick(rng, line_ends));
        file.extend_from_slice(&line);
    }
    file
}

const NAMES: &[&[u8]] = &[b"alice", b"bob", b"ren\xe9", b"a b", b"", b"x\0y", b"\xff"];
const LINE_ENDS: &[&[u8]] = &[b"\n", b"\n", b"\r\n", b"\r", b"", b"\0\n", b"\r\0\n"];

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn instance_tag_files_are_read_as_libotr_reads_them() {
    let tool = require_tool!("instance_tag_files_are_read_as_libotr_reads_them");
    let crafted: &[&[u8]] = &[
        b"",
        b"# WARNING! comment\n",
        b"a\tx\t00000100\na\tx\t00000200\n",
        b"a\tx\tDEADBEEF\r\nb\tx\t000000ff\nc\tx\t0000100\nd\tx\t000001000\n",
        b"e\tx\t0000010g\nf\tx\t00000100\textra\ng\xff\tx\t00000100\nh\tp\t00000101",
        b"i\tx\t0x000100\nj\tx\t 0000100\nk\tx\t+0000100\nl\tx\t-0000001\nm\tx\t0001000z\n",
        b"n\tx\t0xg00000\no\tx\tzzzzzzzz\np\tx\t        \nq\tx\t-xxxxxxx\n",
        b"r\tx\t00000100\0junk\ns\0t\tx\t00000100\n",
    ];
    for file in crafted {
        check_instags(tool, file);
    }
    let tags: &[&[u8]] = &[
        b"00000100",
        b"0x000100",
        b"0X0001ff",
        b" 0000100",
        b"+0000100",
        b"-0000001",
        b"0001000z",
        b"0xg00000",
        b"zzzzzzzz",
        b"000000ff",
        b"ffffffff",
        b"0000100",
        b"000001000",
        b"\t0000100",
        b"0000 100",
    ];
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    for _ in 0..300 {
        let file = random_file(&mut rng, &[NAMES, &[b"xmpp", b"irc", b""], tags], LINE_ENDS);
        check_instags(tool, &file);
    }
}

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn fingerprint_files_are_read_as_libotr_reads_them() {
    let tool = require_tool!("fingerprint_files_are_read_as_libotr_reads_them");
    let upper = FP.to_uppercase();
    let crafted = [
        format!("u1\tme\txmpp\t{FP}\nu1\tme\txmpp\t{FP}\tverified\nu1\tme\txmpp\t{FP}\tsmp\n"),
        format!("u2\tme\txmpp\t{upper}\tverified\r\nu3\tme\txmpp\t{FP}\tsmp\twith tab\n"),
        format!("u4\tme\txmpp\t{FP}0\tverified\nu6\tme\txmpp\nu9\tme\txmpp\t{FP}\t"),
        format!("u\tme\txmpp\t{FP}\r\0tail\nv\tme\txmpp\t{FP}\0\n"),
        format!("ren\u{e9}\tme\txmpp\t{FP}\tv\u{e9}rifi\u{e9}\n"),
    ];
    for file in &crafted {
        check_fingerprints(tool, file.as_bytes());
    }
    let fps: &[&[u8]] = &[
        FP.as_bytes(),
        upper.as_bytes(),
        b"1111111111111111111111111111111111111111",
        &FP.as_bytes()[..39],
        b"02c89e292efe03980a4afb0be688174e91a0645a0",
    ];
    let trusts: &[&[u8]] = &[b"", b"verified", b"smp", b"a\tb", b"x\ry", b"\xe9"];
    let mut rng = ChaCha20Rng::seed_from_u64(12);
    for _ in 0..300 {
        let file = random_file(
            &mut rng,
            &[NAMES, &[b"me", b"other"], &[b"xmpp", b"irc"], fps, trusts],
            LINE_ENDS,
        );
        check_fingerprints(tool, &file);
        // Rewriting our account's entries leaves every other entry libotr
        // reads exactly as it was.
        let ours = vec![KnownFingerprint {
            username: b"bob".to_vec(),
            account: b"me".to_vec(),
            protocol: b"xmpp".to_vec(),
            fingerprint: Fingerprint::parse_hex(FP).unwrap(),
            trust: Trust::Smp,
        }];
        let merged = merge_fingerprints(&file, b"me", b"xmpp", &ours).unwrap();
        let foreign = |view: BTreeMap<FingerprintKey, Vec<u8>>| {
            view.into_iter()
                .filter(|((_, a, p, _), _)| !(a == b"me" && p == b"xmpp"))
                .collect::<BTreeMap<_, _>>()
        };
        assert_eq!(
            foreign(libotr_fingerprints(tool, &merged)),
            foreign(libotr_fingerprints(tool, &file)),
            "file {:?}",
            String::from_utf8_lossy(&file)
        );
        let mine: Vec<_> = libotr_fingerprints(tool, &merged)
            .into_iter()
            .filter(|((_, a, p, _), _)| a == b"me" && p == b"xmpp")
            .collect();
        assert_eq!(
            mine.len(),
            1,
            "libotr sees exactly our entries after the rewrite"
        );
        assert_eq!(mine[0].1, b"smp");
    }
}

#[test]
#[cfg_attr(
    not(have_libotr),
    ignore = "libotr5-dev not installed (apt-get install libotr5-dev libotr5-bin pkg-config)"
)]
fn an_instance_tag_rewrite_leaves_libotrs_view_of_other_accounts_unchanged() {
    let tool =
        require_tool!("an_instance_tag_rewrite_leaves_libotrs_view_of_other_accounts_unchanged");
    let tags: &[&[u8]] = &[
        b"00000100",
        b"0x000200",
        b"-0000001",
        b"zzzzzzzz",
        b"00000300",
    ];
    let mut rng = ChaCha20Rng::seed_from_u64(13);
    let ours = InstagEntry {
        account: b"alice".to_vec(),
        protocol: b"xmpp".to_vec(),
        instag: InstanceTag::new(0x1234_5678).unwrap(),
    };
    for _ in 0..200 {
        let file = random_file(&mut rng, &[NAMES, &[b"xmpp", b"irc"], tags], LINE_ENDS);
        let merged = merge_instag(&file, &ours).unwrap();
        let others = |view: Vec<(Vec<u8>, Vec<u8>, u32)>| {
            view.into_iter()
                .filter(|(a, p, _)| !(a == b"alice" && p == b"xmpp"))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            others(libotr_instags(tool, &merged)),
            others(libotr_instags(tool, &file))
        );
        let uses = libotr_instags(tool, &merged)
            .into_iter()
            .find(|(a, p, _)| a == b"alice" && p == b"xmpp")
            .map(|e| e.2);
        assert_eq!(
            uses,
            Some(0x1234_5678),
            "file {:?}",
            String::from_utf8_lossy(&file)
        );
    }
}
