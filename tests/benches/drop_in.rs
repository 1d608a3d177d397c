//! The C API on two libraries, in one run: the same C program
//! (`tests/libotr-bench/libotr_bench.c`, built against libotr 4.1.1's
//! headers) once on libotr 4.1.1 and once on our drop-in `libotr.so.5`
//! (`otr-libotr`, first on `LD_LIBRARY_PATH`). This is what a Pidgin or
//! irssi user sees when swapping the library: every iteration goes through
//! `otrl_message_sending` / `otrl_message_receiving` and the callbacks, and
//! on our side through the C structs kept current before each callback.
//!
//! Scenarios (one iteration each, as in the session bench): `ake` (a v3 AKE
//! from the query until both are private), `alternating` (a 1 KiB message,
//! the direction alternating), `oneway` (a 1 KiB message one way), `smp`
//! (an SMP with the right secret), `cold-ake` (the first AKE of a fresh
//! process, one process per iteration).
//!
//! The bench builds the drop-in (`cargo build --release -p otr-libotr`)
//! first. After criterion's report it prints one line per scenario:
//! `DROPIN <scenario> ours=<ns> libotr=<ns> ratio=<ours/libotr>`.
//!
//! `cargo bench -p otr-tests --bench drop_in`

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};

mod support;

use support::{Libotr, Tally, human};

const SCENARIOS: [&str; 5] = ["ake", "alternating", "oneway", "smp", "cold-ake"];

/// Builds `otr-libotr` in release mode and puts it, as `libotr.so.5`, in a
/// directory of its own; `None` (after a loud notice) when that fails.
fn build_drop_in() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent()?.to_owned();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args(["build", "--release", "-p", "otr-libotr", "--manifest-path"])
        .arg(root.join("Cargo.toml"))
        .status();
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let built = target.join("release/libotr.so");
    let dir = target.join("bench-drop-in");
    let copied = matches!(status, Ok(s) if s.success())
        && std::fs::create_dir_all(&dir).is_ok()
        && std::fs::copy(&built, dir.join("libotr.so.5")).is_ok();
    if !copied {
        eprintln!("{}", "!".repeat(78));
        eprintln!("!!! the drop-in libotr.so.5 (otr-libotr) could not be built: no drop-in bench.");
        eprintln!("{}", "!".repeat(78));
        return None;
    }
    Some(dir)
}

struct Libraries {
    libotr: Libotr,
    ours: Libotr,
}

thread_local! {
    static TALLIES: RefCell<Vec<(String, Tally)>> = const { RefCell::new(Vec::new()) };
}

fn record(name: &str, time: Duration, iters: u64) {
    TALLIES.with(|t| {
        let mut t = t.borrow_mut();
        match t.iter_mut().find(|(n, _)| n == name) {
            Some((_, tally)) => tally.add(time, iters),
            None => {
                let mut tally = Tally::default();
                tally.add(time, iters);
                t.push((name.to_owned(), tally));
            }
        }
    });
}

fn libraries() -> Option<&'static Libraries> {
    static LIBS: std::sync::OnceLock<Option<Libraries>> = std::sync::OnceLock::new();
    LIBS.get_or_init(|| {
        let libotr = Libotr::build()?;
        let dir = build_drop_in()?;
        let ours = libotr.on_library(&dir);
        // The program really loads ours there: libotr has no otr_libotr_engine.
        let probe = ours.run_raw("ake", 1);
        assert!(
            !probe.trim().is_empty(),
            "the bench program printed nothing on our library"
        );
        Some(Libraries { libotr, ours })
    })
    .as_ref()
}

fn bench(c: &mut Criterion) {
    let Some(libs) = libraries() else {
        return;
    };
    for scenario in SCENARIOS {
        let mut group = c.benchmark_group(format!("drop_in_{scenario}"));
        group.sampling_mode(SamplingMode::Flat);
        group.sample_size(10);
        group.warm_up_time(Duration::from_millis(300));
        group.measurement_time(Duration::from_secs(if scenario == "cold-ake" {
            4
        } else {
            3
        }));
        for (side, lib) in [("libotr", &libs.libotr), ("ours", &libs.ours)] {
            group.bench_function(side, |b| {
                b.iter_custom(|iters| {
                    let time = if scenario == "cold-ake" {
                        (0..iters).map(|_| lib.run("cold-ake", 1)).sum()
                    } else {
                        lib.run(scenario, iters)
                    };
                    record(&format!("{scenario}/{side}"), time, iters);
                    time
                });
            });
        }
        group.finish();
    }
}

fn summary(_: &mut Criterion) {
    if libraries().is_none() {
        return;
    }
    let mean = |name: &str| {
        TALLIES.with(|t| {
            t.borrow()
                .iter()
                .find(|(n, _)| n == name)
                .and_then(|(_, tally)| tally.mean_ns())
        })
    };
    println!();
    println!("The C API, same program: libotr 4.1.1 vs our drop-in libotr.so.5");
    println!(
        "{:<12} {:>12} {:>12} {:>7}",
        "scenario", "libotr", "ours", "ratio"
    );
    for scenario in SCENARIOS {
        let (libotr, ours) = (
            mean(&format!("{scenario}/libotr")),
            mean(&format!("{scenario}/ours")),
        );
        let ratio = ours.zip(libotr).map(|(o, l)| o / l);
        println!(
            "{scenario:<12} {:>12} {:>12} {:>7}",
            human(libotr),
            human(ours),
            ratio.map_or("—".to_owned(), |r| format!("{r:.3}"))
        );
    }
    for scenario in SCENARIOS {
        if let (Some(libotr), Some(ours)) = (
            mean(&format!("{scenario}/libotr")),
            mean(&format!("{scenario}/ours")),
        ) {
            println!(
                "DROPIN {scenario} ours={ours:.0} libotr={libotr:.0} ratio={:.3}",
                ours / libotr
            );
        }
    }
}

criterion_group!(benches, bench, summary);
criterion_main!(benches);
