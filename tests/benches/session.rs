//! Our engine and libotr 4.1.1 side by side, in one run.
//!
//! Both parties of a conversation live in one process: for ours, two
//! [`Session`]s and a FIFO; for libotr, the C program
//! `tests/libotr-bench/libotr_bench.c`, built once per run with its
//! `build.sh` and spawned by `iter_custom` (it runs the requested number of
//! iterations and prints the nanoseconds of the measured part). Without
//! libotr the run times only ours, after a loud notice.
//!
//! Scenarios (see `tests/libotr-bench/README.md`):
//! - `ake`: one complete v3 AKE from Alice's query until both are private;
//! - `message_alternating_1k`: one 1 KiB message, sent and received, the
//!   direction alternating every message (the DH ratchet turns each time);
//! - `message_oneway_1k`: one 1 KiB message Alice → Bob (no ratchet turn);
//!   `mandated_crypto_only` times just the work the protocol mandates for it
//!   (AES-CTR and HMAC-SHA1 on both sides, base64 both ways, keys prepared),
//!   the floor under any implementation on this machine, and
//!   `hmac_sha1_only` just its two HMAC-SHA1 computations;
//! - `smp`: one SMP with the right secret, from the start until both
//!   report success;
//! - `ake_cold`: the first AKE of a fresh process, one process per
//!   iteration (ours: the helper binary `otr-cold-ake`; libotr:
//!   `libotr_bench cold-ake 1`), keys loaded before the timing. Whatever a
//!   process builds on first use is in it. The summary takes the median
//!   over at least 51 processes of each (criterion's own, topped up).
//!
//! After criterion's own report, a summary prints ours / libotr per scenario
//! (mean over every timed iteration, warm-up included; for `ake_cold` the
//! median of every spawn) against the goals, then one `GOAL` line per goal
//! of issue 15, computed from this run's measurements (the idle session's
//! heap from the helper `otr-session-heap`, idle past the master commit's
//! 60 s; the 100,000-buddy manager from
//! the helper `otr-manager-heap`, which takes minutes —
//! `OTR_BENCH_MANAGER_BUDDIES=0` skips it).
//!
//! `cargo bench -p otr-tests --bench session`

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::cell::RefCell;
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use otr_core::Action;

mod support;

use support::{Libotr, MESSAGE_LEN, Pair, Side, Tally, human, key};

// ---------------------------------------------------------------------------
// The floor of a one-way message: the algorithms the protocol mandates

/// What any OTR implementation must compute per one-way 1 KiB message, with
/// the fastest primitives in this binary and every key prepared in advance:
/// AES-128-CTR over the payload and HMAC-SHA1 over the MAC-covered bytes on
/// each side, base64 armouring and de-armouring. No parsing, no state, no
/// allocation beyond the buffers themselves.
struct MandatedCrypto {
    cipher: aes::Aes128Enc,
    hmac: hmac::Hmac<sha1::Sha1>,
    payload: Vec<u8>,
    /// The binary data message (from a real one of ours).
    body: Vec<u8>,
    /// Bytes covered by the MAC (all but MAC ‖ old-MAC-keys field).
    covered: usize,
}

impl MandatedCrypto {
    fn new(text: &[u8]) -> Self {
        use aes::cipher::KeyInit;
        let mut pair = Pair::new(&(key("alice", 1), key("bob", 2)), 5);
        pair.ake();
        let wire = pair
            .alice
            .send_message(text)
            .unwrap()
            .into_iter()
            .find_map(|a| match a {
                Action::Send { message: m, .. } => Some(m),
                _ => None,
            })
            .unwrap();
        let body = otr_core::otr_wire::armor::decode(&wire).unwrap();
        let covered = body.len() - 20 - 4;
        let mut payload = text.to_vec();
        payload.push(0);
        Self {
            cipher: aes::Aes128Enc::new(&[7u8; 16].into()),
            hmac: <hmac::Hmac<sha1::Sha1> as KeyInit>::new(&[9u8; 64].into()),
            payload,
            body,
            covered,
        }
    }

    fn ctr(&self, data: &mut [u8]) {
        use aes::cipher::{InnerIvInit, StreamCipher, StreamCipherCoreWrapper};
        let core = ctr::CtrCore::<&aes::Aes128Enc, ctr::flavors::Ctr128BE>::inner_iv_init(
            &self.cipher,
            &[1u8; 16].into(),
        );
        StreamCipherCoreWrapper::from_core(core).apply_keystream(data);
    }

    fn mac(&self, data: &[u8]) -> [u8; 20] {
        use hmac::Mac;
        let mut m = self.hmac.clone();
        m.update(data);
        m.finalize().into_bytes().into()
    }

    /// One message: Alice encrypts, MACs and armours; Bob de-armours,
    /// verifies and decrypts.
    fn one_message(&self) -> usize {
        let mut ciphertext = self.payload.clone();
        self.ctr(&mut ciphertext);
        let mac = self.mac(&self.body[..self.covered]);
        let wire = otr_core::otr_wire::armor::encode_to_vec(&self.body);
        let received = otr_core::otr_wire::armor::decode(&wire).unwrap();
        let check = self.mac(&received[..self.covered]);
        let mut plaintext = ciphertext;
        self.ctr(&mut plaintext);
        std::hint::black_box((mac, check));
        std::hint::black_box(plaintext).len() + received.len()
    }

    /// Only the two HMAC-SHA1 computations of one message (the sender's and
    /// the receiver's check): the largest part of the floor.
    fn macs_only(&self) -> [u8; 20] {
        let sent = self.mac(std::hint::black_box(&self.body[..self.covered]));
        let check = self.mac(std::hint::black_box(&self.body[..self.covered]));
        std::hint::black_box(sent);
        check
    }
}

// ---------------------------------------------------------------------------
// A summary with ratios

struct Row {
    scenario: &'static str,
    unit: &'static str,
    goal: Option<f64>,
    ours: RefCell<Tally>,
    libotr: RefCell<Tally>,
    /// Rows of one process per iteration: every iteration's time, for the
    /// median (which then replaces the mean).
    ours_each: RefCell<Vec<u64>>,
    libotr_each: RefCell<Vec<u64>>,
}

impl Row {
    fn new(scenario: &'static str, unit: &'static str, goal: Option<f64>) -> Self {
        Self {
            scenario,
            unit,
            goal,
            ours: RefCell::default(),
            libotr: RefCell::default(),
            ours_each: RefCell::default(),
            libotr_each: RefCell::default(),
        }
    }

    /// Ours per iteration: the median of the single iterations when they
    /// were kept, else the mean.
    fn ours_ns(&self) -> Option<f64> {
        median(&self.ours_each.borrow()).or_else(|| self.ours.borrow().mean_ns())
    }

    fn libotr_ns(&self) -> Option<f64> {
        median(&self.libotr_each.borrow()).or_else(|| self.libotr.borrow().mean_ns())
    }
}

fn median(values: &[u64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2] as f64),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) as f64 / 2.0),
    }
}

/// The least number of processes the `ake_cold` medians are taken over.
const COLD_SPAWNS: usize = 51;

/// Runs a helper that prints one number; that number.
fn spawn_number(cmd: &mut Command) -> u64 {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim()
        .parse()
        .unwrap_or_else(|_| panic!("{cmd:?} printed {text:?}"))
}

/// `GOAL <name> ours=<ns> libotr=<ns> ratio=<r> goal=<g>` (issue 15).
fn goal_line(name: &str, ours: Option<f64>, other_name: &str, other: Option<f64>, goal: f64) {
    let ns = |v: Option<f64>| v.map_or_else(|| "NA".to_owned(), |v| format!("{v:.0}"));
    let ratio = ours
        .zip(other)
        .map_or_else(|| "NA".to_owned(), |(o, l)| format!("{:.3}", o / l));
    println!(
        "GOAL {name} ours={} {other_name}={} ratio={ratio} goal={goal}",
        ns(ours),
        ns(other)
    );
}

fn summary(rows: &[Row]) {
    println!();
    println!("ours vs libotr 4.1.1 (mean over every timed iteration, warm-up included;");
    println!("criterion's estimates above are the reference figures)");
    println!(
        "{:<40} {:>11} {:>11} {:>11} {:>7}  verdict",
        "scenario", "ours", "libotr", "ours/libotr", "goal"
    );
    for row in rows {
        let ours = row.ours_ns();
        let libotr = row.libotr_ns();
        let ratio = ours.zip(libotr).map(|(o, l)| o / l);
        let floor = row.scenario.contains("only");
        let verdict = match (ratio, row.goal) {
            (Some(r), Some(g)) if floor && r > g => "above the goal by itself",
            (Some(_), Some(_)) if floor => "within the goal by itself",
            (Some(r), Some(g)) if r <= g => "meets goal",
            (Some(_), Some(_)) => "SLOWER than goal",
            _ => "",
        };
        println!(
            "{:<40} {:>11} {:>11} {:>11} {:>7}  {verdict}",
            format!("{} ({})", row.scenario, row.unit),
            human(ours),
            human(libotr),
            ratio.map_or_else(|| "—".to_owned(), |r| format!("{r:.3}")),
            row.goal
                .map_or_else(|| "—".to_owned(), |g| format!("≤ {g}")),
        );
    }
    println!();
}

// ---------------------------------------------------------------------------
// The benchmarks

fn benches(c: &mut Criterion) {
    let libotr = Libotr::build();
    let keys = (key("alice", 1), key("bob", 2));
    let text = vec![b'm'; MESSAGE_LEN];

    let ake_row = Row::new("ake", "per AKE", Some(0.22));
    let alternating_row = Row::new("message_alternating_1k", "per msg", Some(0.27));
    let oneway_row = Row::new("message_oneway_1k", "per msg", Some(0.3));
    // Not ours: the least any implementation computes for a one-way message.
    let floor_row = Row::new("oneway: mandated crypto only", "per msg", Some(0.3));
    let macs_row = Row::new("oneway: HMAC-SHA1 only", "per msg", Some(0.3));
    let smp_row = Row::new("smp", "per SMP", Some(0.33));
    let cold_row = Row::new("ake_cold", "first AKE, median", Some(0.35));

    // --- AKE
    {
        let mut group = c.benchmark_group("ake");
        group
            .sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(6));
        let mut seed = 100u64;
        group.bench_function("ours", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    seed += 1;
                    let mut pair = Pair::new(&keys, seed);
                    let start = Instant::now();
                    pair.ake();
                    total += start.elapsed();
                    pair.assert_encrypted();
                }
                ake_row.ours.borrow_mut().add(total, iters);
                total
            });
        });
        if let Some(l) = &libotr {
            group.bench_function("libotr", |b| {
                b.iter_custom(|iters| {
                    let t = l.run("ake", iters);
                    ake_row.libotr.borrow_mut().add(t, iters);
                    t
                });
            });
        }
        group.finish();
    }

    // --- 1 KiB messages, the direction alternating every message
    {
        let mut group = c.benchmark_group("message_alternating_1k");
        group
            .sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(5));
        // Set up on first use (outside the timing), so that a filtered run
        // that skips this group does not pay for it.
        let mut pair = None;
        group.bench_function("ours", |b| {
            b.iter_custom(|iters| {
                let pair = pair.get_or_insert_with(|| Pair::warmed_up(&keys, &text, false));
                let before = (pair.delivered_alice, pair.delivered_bob);
                let start = Instant::now();
                for _ in 0..iters {
                    let from = pair.next_alternating;
                    pair.message(from, &text);
                    pair.next_alternating = match from {
                        Side::Alice => Side::Bob,
                        Side::Bob => Side::Alice,
                    };
                }
                let total = start.elapsed();
                let got = pair.delivered_alice + pair.delivered_bob - before.0 - before.1;
                assert_eq!(got, iters, "lost messages");
                alternating_row.ours.borrow_mut().add(total, iters);
                total
            });
        });
        if let Some(l) = &libotr {
            group.bench_function("libotr", |b| {
                b.iter_custom(|iters| {
                    let t = l.run("alternating", iters);
                    alternating_row.libotr.borrow_mut().add(t, iters);
                    t
                });
            });
        }
        group.finish();
    }

    // --- 1 KiB messages Alice → Bob only
    {
        let mut group = c.benchmark_group("message_oneway_1k");
        group
            .sample_size(20)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3));
        let mut pair = None;
        group.bench_function("ours", |b| {
            b.iter_custom(|iters| {
                let pair = pair.get_or_insert_with(|| Pair::warmed_up(&keys, &text, true));
                let before = pair.delivered_bob;
                let start = Instant::now();
                for _ in 0..iters {
                    pair.message(Side::Alice, &text);
                }
                let total = start.elapsed();
                assert_eq!(pair.delivered_bob - before, iters, "lost messages");
                oneway_row.ours.borrow_mut().add(total, iters);
                total
            });
        });
        if let Some(l) = &libotr {
            group.bench_function("libotr", |b| {
                b.iter_custom(|iters| {
                    let t = l.run("oneway", iters);
                    oneway_row.libotr.borrow_mut().add(t, iters);
                    floor_row.libotr.borrow_mut().add(t, iters);
                    macs_row.libotr.borrow_mut().add(t, iters);
                    t
                });
            });
        }
        let floor = MandatedCrypto::new(&text);
        group.bench_function("mandated_crypto_only", |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    std::hint::black_box(floor.one_message());
                }
                let total = start.elapsed();
                floor_row.ours.borrow_mut().add(total, iters);
                total
            });
        });
        group.bench_function("hmac_sha1_only", |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    std::hint::black_box(floor.macs_only());
                }
                let total = start.elapsed();
                macs_row.ours.borrow_mut().add(total, iters);
                total
            });
        });
        group.finish();
    }

    // --- SMP with the right secret
    {
        let mut group = c.benchmark_group("smp");
        group
            .sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(6));
        let mut pair: Option<Pair> = None;
        group.bench_function("ours", |b| {
            b.iter_custom(|iters| {
                let pair = pair.get_or_insert_with(|| {
                    let mut pair = Pair::new(&keys, 11);
                    pair.ake();
                    pair.assert_encrypted();
                    pair
                });
                let before = (pair.smp_succeeded_alice, pair.smp_succeeded_bob);
                let start = Instant::now();
                for _ in 0..iters {
                    pair.smp();
                }
                let total = start.elapsed();
                assert_eq!(pair.smp_other, 0, "an SMP failed");
                assert_eq!(
                    pair.smp_succeeded_alice - before.0,
                    iters,
                    "Alice: no success"
                );
                assert_eq!(pair.smp_succeeded_bob - before.1, iters, "Bob: no success");
                smp_row.ours.borrow_mut().add(total, iters);
                total
            });
        });
        if let Some(l) = &libotr {
            group.bench_function("libotr", |b| {
                b.iter_custom(|iters| {
                    let t = l.run("smp", iters);
                    smp_row.libotr.borrow_mut().add(t, iters);
                    t
                });
            });
        }
        group.finish();
    }

    // --- The first AKE of a fresh process, one process per iteration
    {
        let mut group = c.benchmark_group("ake_cold");
        // Each iteration is a process start (not measured) and one AKE
        // (measured): little measurement time buys many spawns.
        group
            .sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_millis(20))
            .measurement_time(Duration::from_millis(300));
        group.bench_function("ours", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let ns = spawn_number(&mut Command::new(env!("CARGO_BIN_EXE_otr-cold-ake")));
                    cold_row.ours_each.borrow_mut().push(ns);
                    total += Duration::from_nanos(ns);
                }
                cold_row.ours.borrow_mut().add(total, iters);
                total
            });
        });
        if let Some(l) = &libotr {
            group.bench_function("libotr", |b| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let t = l.run("cold-ake", 1);
                        cold_row.libotr_each.borrow_mut().push(t.as_nanos() as u64);
                        total += t;
                    }
                    cold_row.libotr.borrow_mut().add(total, iters);
                    total
                });
            });
        }
        group.finish();
        // Criterion picks its iteration counts; the medians are over at
        // least `COLD_SPAWNS` processes of each, topped up here if need be.
        while cold_row.ours_each.borrow().len() < COLD_SPAWNS {
            let ns = spawn_number(&mut Command::new(env!("CARGO_BIN_EXE_otr-cold-ake")));
            cold_row.ours_each.borrow_mut().push(ns);
        }
        if let Some(l) = &libotr {
            while cold_row.libotr_each.borrow().len() < COLD_SPAWNS {
                let ns = l.run("cold-ake", 1).as_nanos() as u64;
                cold_row.libotr_each.borrow_mut().push(ns);
            }
        }
    }

    let idle_heap = spawn_number(&mut Command::new(env!("CARGO_BIN_EXE_otr-session-heap")));
    let heap_within_commit_lifetime = spawn_number(
        Command::new(env!("CARGO_BIN_EXE_otr-session-heap")).arg("--within-commit-lifetime"),
    );

    let rows = [
        ake_row,
        alternating_row,
        oneway_row,
        floor_row,
        macs_row,
        smp_row,
        cold_row,
    ];
    summary(&rows);
    let [
        ake_row,
        alternating_row,
        oneway_row,
        floor_row,
        _macs_row,
        smp_row,
        cold_row,
    ] = &rows;
    println!(
        "ake_cold: {} spawns of ours, {} of libotr",
        cold_row.ours_each.borrow().len(),
        cold_row.libotr_each.borrow().len()
    );
    let line = |name: &str, row: &Row, goal: f64| {
        goal_line(name, row.ours_ns(), "libotr", row.libotr_ns(), goal);
    };
    line("ake_cold", cold_row, 0.35);
    line("ake", ake_row, 0.22);
    line("smp", smp_row, 0.33);
    line("alternating_1k", alternating_row, 0.27);
    goal_line(
        "oneway_1k_vs_floor",
        oneway_row.ours_ns(),
        "floor",
        floor_row.ours_ns(),
        1.15,
    );
    println!(
        "(idle session heap in the first 60 s, while the D-H Commit's sender still keeps it for \
         the buddy's other clients: {heap_within_commit_lifetime} bytes)"
    );
    println!("GOAL idle_session_heap bytes={idle_heap} goal=2048");
    manager_line();
}

/// `GOAL manager_100k …` from the helper `otr-manager-heap` (a manager
/// private with 100,000 buddies: its heap per buddy and Alice's cost per
/// message scattered over them against one buddy's). Making 100,000
/// buddies private takes minutes: `OTR_BENCH_MANAGER_BUDDIES` sets another
/// count (0 skips the line).
fn manager_line() {
    let buddies = std::env::var("OTR_BENCH_MANAGER_BUDDIES").unwrap_or_else(|_| "100000".into());
    if buddies == "0" {
        println!("(manager_100k: skipped, OTR_BENCH_MANAGER_BUDDIES=0)");
        return;
    }
    let out = Command::new(env!("CARGO_BIN_EXE_otr-manager-heap"))
        .arg(&buddies)
        .output()
        .expect("spawn otr-manager-heap");
    assert!(
        out.status.success(),
        "otr-manager-heap: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |name: &str| {
        text.split_whitespace()
            .find_map(|f| f.strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name} in {text:?}"))
            .to_owned()
    };
    println!("manager: {}", text.trim());
    println!(
        "GOAL manager_100k bytes_per_buddy={} per_message_ratio={} goal_bytes=2500 goal_ratio=1.5 \
         (bytes_per_buddy_fresh={}){}",
        field("bytes_per_buddy="),
        field("per_message_ratio="),
        field("bytes_per_buddy_fresh="),
        if buddies == "100000" {
            String::new()
        } else {
            format!(" (buddies={buddies})")
        }
    );
}

criterion_group!(session, benches);
criterion_main!(session);
