//! What an unauthenticated sender can make us compute, ours and libotr 4.1.1
//! side by side in one run: for every kind of message anyone who knows the
//! buddy's name can send, the CPU time Bob (the victim) spends on one, and
//! the bytes he sends back for it (the amplification).
//!
//! The same message kinds are built from the same genuine material on both
//! sides (`tests/libotr-bench/libotr_bench.c`, `hostile:<kind>`):
//!
//! - `forged-data-<sender>-<recipient>`: a genuine data message from Alice
//!   with its key ids moved (`same`, `older` = one back, `unknown` = far
//!   off) and one ciphertext byte flipped, sent again and again while
//!   private; every combination of key ids;
//! - `forged-data-after-rotation`: one round of a genuine message that turns
//!   the ratchet and three forgeries naming the key pairs it makes possible
//!   (libotr derives those pairs at the rotation; we derive a pair the first
//!   time a message names it, MAC or not, and keep it);
//! - `forged-commit`: a D-H Commit from a new instance each time;
//! - `forged-dh-key`: a D-H Key (random `g^y`) from a new instance answering
//!   the commit Bob sent because of a query (Bob computes the shared secret
//!   and signs);
//! - `forged-reveal-signature`, `forged-signature`: a genuine message of the
//!   exchange with its MAC broken, again and again (Bob's state is kept, so
//!   each copy is checked in full);
//! - `query`, `whitespace-tag`, `error`: plaintext that starts an exchange or
//!   draws a reply;
//! - `fragment`: one 100-byte piece of a 1000-piece message;
//! - `data-not-private`, `data-malformed`: a data message while not
//!   private, and a truncated one while private.
//!
//! The summary prints ours / libotr per kind and checks the rule: nowhere
//! more than 2× libotr.
//!
//! `cargo bench -p otr-tests --bench hostile`

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::cell::RefCell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use otr_core::identity::DsaSigningKey;
use otr_core::otr_wire::armor;
use otr_core::{Action, ManualClock, Session, SessionConfig};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};

mod support;

use support::{Libotr, MESSAGE_LEN, Pair, Side, Tally, human, key};

type Keys = (Arc<DsaSigningKey>, Arc<DsaSigningKey>);

/// Bob's side of one hostile kind: what he spent and what he sent back.
#[derive(Default)]
struct Cost {
    time: Tally,
    reply_bytes: u64,
}

fn reply_bytes(actions: &[Action]) -> u64 {
    actions
        .iter()
        .map(|a| match a {
            Action::Send { message: m, .. } => m.len() as u64,
            _ => 0,
        })
        .sum()
}

/// Bob handles `message`, timed; returns the time and his reply bytes.
fn victim(bob: &mut Session, message: &[u8]) -> (Duration, u64) {
    let start = Instant::now();
    let actions = bob.handle_input(message);
    let t = start.elapsed();
    (t, reply_bytes(&actions))
}

/// Re-armours `wire` after `edit` changed its bytes.
fn reencode(wire: &[u8], edit: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut bytes = armor::decode(wire).unwrap();
    edit(&mut bytes);
    armor::encode(&bytes).into_bytes()
}

fn get32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().unwrap())
}

fn put32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_be_bytes());
}

/// The v3 header (11 bytes) and flags of a data message; the key ids follow.
const DATA_KEYIDS: usize = 12;

fn delta(which: &str) -> u32 {
    match which {
        "same" => 0,
        "older" => u32::MAX, // −1
        _ => 1000,
    }
}

/// A genuine data message with its key ids moved and a ciphertext byte flipped.
fn forged_data(genuine: &[u8], sender: &str, recipient: &str) -> Vec<u8> {
    reencode(genuine, |b| {
        let s = get32(b, DATA_KEYIDS).wrapping_add(delta(sender));
        let r = get32(b, DATA_KEYIDS + 4).wrapping_add(delta(recipient));
        put32(b, DATA_KEYIDS, s);
        put32(b, DATA_KEYIDS + 4, r);
        let mut at = DATA_KEYIDS + 8;
        at += 4 + get32(b, at) as usize; // next DH key
        at += 8; // counter
        let n = get32(b, at) as usize;
        at += 4;
        b[at + n / 2] ^= 1;
    })
}

/// A genuine 1 KiB data message from Alice, taken off the wire.
fn captured_data(pair: &mut Pair) -> Vec<u8> {
    let text = vec![b'm'; MESSAGE_LEN];
    let actions = pair.alice.send_message(&text).unwrap();
    actions
        .into_iter()
        .find_map(|a| match a {
            Action::Send { message: m, .. } => Some(m),
            _ => None,
        })
        .unwrap()
}

fn warm_pair(keys: &Keys) -> Pair {
    let mut pair = Pair::new(keys, 3);
    pair.ake();
    pair.assert_encrypted();
    let text = vec![b'm'; MESSAGE_LEN];
    for from in [Side::Alice, Side::Bob, Side::Alice, Side::Bob] {
        pair.message(from, &text);
    }
    pair
}

/// The forged bytes' generator (the C side has its own; only the layout
/// matters).
fn filler(rng: &mut ChaCha20Rng, n: usize) -> Vec<u8> {
    let mut v = vec![0u8; n];
    rng.fill_bytes(&mut v);
    v
}

fn forged_commit(rng: &mut ChaCha20Rng, sender: u32) -> Vec<u8> {
    let mut b = vec![0, 3, 0x02];
    b.extend(sender.to_be_bytes());
    b.extend(0u32.to_be_bytes());
    b.extend(196u32.to_be_bytes());
    b.extend(filler(rng, 196));
    b.extend(32u32.to_be_bytes());
    b.extend(filler(rng, 32));
    armor::encode(&b).into_bytes()
}

fn forged_dh_key(rng: &mut ChaCha20Rng, sender: u32, receiver: u32) -> Vec<u8> {
    let mut b = vec![0, 3, 0x0a];
    b.extend(sender.to_be_bytes());
    b.extend(receiver.to_be_bytes());
    b.extend(192u32.to_be_bytes());
    let mut gy = filler(rng, 192);
    gy[0] = 0x7f; // in [2, p − 2]
    b.extend(gy);
    armor::encode(&b).into_bytes()
}

fn sends(actions: Vec<Action>) -> Vec<Vec<u8>> {
    actions
        .into_iter()
        .filter_map(|a| match a {
            Action::Send { message: m, .. } => Some(m),
            _ => None,
        })
        .collect()
}

/// Ours: `iters` messages of `kind` processed by Bob.
fn ours(kind: &str, iters: u64, keys: &Keys) -> (Duration, u64) {
    let mut total = Duration::ZERO;
    let mut replies = 0u64;
    let mut rng = ChaCha20Rng::seed_from_u64(17);
    let mut repeat = |bob: &mut Session, m: &[u8]| {
        for _ in 0..iters {
            let (t, r) = victim(bob, m);
            total += t;
            replies += r;
        }
    };
    if let Some(ids) = kind
        .strip_prefix("forged-data-")
        .filter(|ids| *ids != "after-rotation")
    {
        let (s, r) = ids.split_once('-').unwrap();
        let mut pair = warm_pair(keys);
        let m = forged_data(&captured_data(&mut pair), s, r);
        repeat(&mut pair.bob, &m);
    } else if kind == "forged-data-after-rotation" {
        // One round: a genuine message that turns the ratchet, then three
        // forgeries naming the other pairs of keys it makes possible (each
        // the first to name its pair: derived once, then cached).
        let mut pair = warm_pair(keys);
        let text = vec![b'm'; MESSAGE_LEN];
        for _ in 0..iters {
            let genuine = captured_data(&mut pair);
            let forged: Vec<Vec<u8>> = [("same", "older"), ("older", "same"), ("older", "older")]
                .iter()
                .map(|(s, r)| forged_data(&genuine, s, r))
                .collect();
            for m in std::iter::once(&genuine).chain(&forged) {
                let (t, r) = victim(&mut pair.bob, m);
                total += t;
                replies += r;
            }
            pair.wire.clear();
            pair.message(Side::Bob, &text);
        }
    } else if kind == "forged-commit" {
        let mut pair = Pair::new(keys, 4);
        for i in 0..iters {
            let m = forged_commit(&mut rng, 0x1000_0000 + i as u32);
            let (t, r) = victim(&mut pair.bob, &m);
            total += t;
            replies += r;
        }
    } else if kind == "forged-dh-key" {
        for i in 0..iters {
            let mut pair = Pair::new(keys, 5 + i);
            let bob_tag = pair.bob.our_instance_tag().get();
            let _ = pair.bob.handle_input(b"?OTRv3?");
            let m = forged_dh_key(&mut rng, 0x2000_0000 + i as u32, bob_tag);
            let (t, r) = victim(&mut pair.bob, &m);
            total += t;
            replies += r;
        }
    } else if kind == "forged-reveal-signature" {
        let mut pair = Pair::new(keys, 6);
        let commit = sends(pair.alice.handle_input(b"?OTRv3?")).remove(0);
        let dh_key = sends(pair.bob.handle_input(&commit)).remove(0);
        let reveal = sends(pair.alice.handle_input(&dh_key)).remove(0);
        let m = reencode(&reveal, |b| *b.last_mut().unwrap() ^= 1);
        repeat(&mut pair.bob, &m);
    } else if kind == "forged-signature" {
        let mut pair = Pair::new(keys, 7);
        let commit = sends(pair.bob.handle_input(b"?OTRv3?")).remove(0);
        let dh_key = sends(pair.alice.handle_input(&commit)).remove(0);
        let reveal = sends(pair.bob.handle_input(&dh_key)).remove(0);
        let signature = sends(pair.alice.handle_input(&reveal)).remove(0);
        let m = reencode(&signature, |b| *b.last_mut().unwrap() ^= 1);
        repeat(&mut pair.bob, &m);
    } else if matches!(kind, "query" | "whitespace-tag" | "error") {
        let mut pair = Pair::new(keys, 8);
        let text: &[u8] = match kind {
            "query" => b"?OTRv3?",
            "error" => b"?OTR Error: forged",
            _ => b"hello \t  \t\t\t\t \t \t \t    \t\t  \t\t",
        };
        repeat(&mut pair.bob, text);
    } else if kind == "fragment" {
        let mut pair = Pair::new(keys, 9);
        let (a, b) = (
            pair.alice.our_instance_tag().get(),
            pair.bob.our_instance_tag().get(),
        );
        let piece = "A".repeat(100);
        for i in 0..iters {
            let k = i % 1000 + 1;
            let f = format!("?OTR|{a:08x}|{b:08x},{k:05},01000,{piece},");
            let (t, r) = victim(&mut pair.bob, f.as_bytes());
            total += t;
            replies += r;
        }
    } else if kind == "data-not-private" {
        let mut pair = warm_pair(keys);
        let m = captured_data(&mut pair);
        let mut fresh = Session::new(
            SessionConfig::default(),
            Arc::clone(&keys.1),
            pair.bob.our_instance_tag(),
            Box::new(ChaCha20Rng::seed_from_u64(1)),
            Box::new(ManualClock::new()),
        );
        repeat(&mut fresh, &m);
    } else if kind == "data-malformed" {
        let mut pair = warm_pair(keys);
        let m = reencode(&captured_data(&mut pair), |b| b.truncate(40));
        repeat(&mut pair.bob, &m);
    } else {
        panic!("unknown kind {kind}");
    }
    (total, replies)
}

/// Runs libotr's side of `kind`: its time and reply bytes per message.
fn libotr(l: &Libotr, kind: &str, iters: u64) -> (Duration, f64) {
    let out = l.run_raw(&format!("hostile:{kind}"), iters);
    let mut fields = out.split_whitespace();
    let ns: u64 = fields.next().unwrap().parse().unwrap();
    let bytes: f64 = fields.next().unwrap().parse().unwrap();
    (Duration::from_nanos(ns), bytes)
}

const KINDS: &[&str] = &[
    "forged-data-same-same",
    "forged-data-same-older",
    "forged-data-same-unknown",
    "forged-data-older-same",
    "forged-data-older-older",
    "forged-data-older-unknown",
    "forged-data-unknown-same",
    "forged-data-unknown-older",
    "forged-data-unknown-unknown",
    "forged-data-after-rotation",
    "forged-commit",
    "forged-dh-key",
    "forged-reveal-signature",
    "forged-signature",
    "query",
    "whitespace-tag",
    "error",
    "fragment",
    "data-not-private",
    "data-malformed",
];

/// The rule: nowhere may ours exceed libotr's by more than this.
const MAX_RATIO: f64 = 2.0;

struct Row {
    kind: &'static str,
    ours: RefCell<Cost>,
    libotr: RefCell<Cost>,
}

fn benches(c: &mut Criterion) {
    let libotr_program = Libotr::build();
    let keys = (key("alice", 1), key("bob", 2));
    let rows: Vec<Row> = KINDS
        .iter()
        .map(|&kind| Row {
            kind,
            ours: RefCell::default(),
            libotr: RefCell::default(),
        })
        .collect();
    for row in &rows {
        let mut group = c.benchmark_group(format!("hostile/{}", row.kind));
        group
            .sample_size(10)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(1));
        group.bench_function("ours", |b| {
            b.iter_custom(|iters| {
                let (t, bytes) = ours(row.kind, iters, &keys);
                let mut cost = row.ours.borrow_mut();
                cost.time.add(t, iters);
                cost.reply_bytes += bytes;
                t
            });
        });
        if let Some(l) = &libotr_program {
            group.bench_function("libotr", |b| {
                b.iter_custom(|iters| {
                    let (t, bytes_per) = libotr(l, row.kind, iters);
                    let mut cost = row.libotr.borrow_mut();
                    cost.time.add(t, iters);
                    cost.reply_bytes += (bytes_per * iters as f64) as u64;
                    t
                });
            });
        }
        group.finish();
    }
    summary(&rows);
}

fn summary(rows: &[Row]) {
    println!();
    println!("What one message from an unauthenticated sender costs the victim (mean over every");
    println!(
        "timed iteration) and what the victim sends back for it; rule: ours ≤ {MAX_RATIO}× libotr"
    );
    println!(
        "{:<30} {:>11} {:>11} {:>8} {:>12} {:>12}  verdict",
        "message", "ours", "libotr", "ratio", "ours B/msg", "libotr B/msg"
    );
    let mut worst: f64 = 0.0;
    for row in rows {
        let ours = row.ours.borrow();
        let theirs = row.libotr.borrow();
        let (o, l) = (ours.time.mean_ns(), theirs.time.mean_ns());
        let ratio = o.zip(l).map(|(o, l)| o / l);
        if let Some(r) = ratio {
            worst = worst.max(r);
        }
        let per = |cost: &Cost| {
            (cost.time.iters > 0).then(|| cost.reply_bytes as f64 / cost.time.iters as f64)
        };
        let bytes = |b: Option<f64>| b.map_or_else(|| "—".to_owned(), |b| format!("{b:.0}"));
        println!(
            "{:<30} {:>11} {:>11} {:>8} {:>12} {:>12}  {}",
            row.kind,
            human(o),
            human(l),
            ratio.map_or_else(|| "—".to_owned(), |r| format!("{r:.3}")),
            bytes(per(&ours)),
            bytes(per(&theirs)),
            match ratio {
                Some(r) if r <= MAX_RATIO => "within the rule",
                Some(_) => "ABOVE the rule",
                None => "",
            }
        );
    }
    println!("worst ratio: {worst:.3} (rule ≤ {MAX_RATIO})");
    println!();
}

criterion_group!(hostile, benches);
criterion_main!(hostile);
