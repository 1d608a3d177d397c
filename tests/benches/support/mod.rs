//! What the side-by-side benches share: the fixture keys, our two parties
//! in one process, the libotr benchmark program, and tallies for the
//! summaries.

#![allow(dead_code)] // each bench uses its own part

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use otr_core::SmpProgress;
use otr_core::identity::{DsaSigningKey, parse_privkeys};
use otr_core::otr_wire::InstanceTag;
use otr_core::{Action, Event, ManualClock, MessageState, Session, SessionConfig};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

pub const MESSAGE_LEN: usize = 1024;
pub const SMP_SECRET: &[u8] = b"correct horse battery staple";

// ---------------------------------------------------------------------------
// Keys

pub fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/libotr")
}

/// The fixture key for `name`, or a fresh one when the file is unusable.
pub fn key(name: &str, seed: u64) -> Arc<DsaSigningKey> {
    let path = fixture_dir().join(format!("{name}.key"));
    if let Ok(bytes) = std::fs::read(&path)
        && let Ok(entries) = parse_privkeys(&bytes)
        && let Some(entry) = entries.into_iter().next_back()
    {
        return entry.key;
    }
    eprintln!(
        "session bench: {} unusable; generating a key",
        path.display()
    );
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    Arc::new(DsaSigningKey::generate(&mut rng).expect("DSA key generation"))
}

/// Alice's and Bob's keys.
pub type Keys = (Arc<DsaSigningKey>, Arc<DsaSigningKey>);

// ---------------------------------------------------------------------------
// Our two parties

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Side {
    Alice,
    Bob,
}

pub struct Pair {
    pub alice: Session,
    pub bob: Session,
    /// Every message in flight, in the order it was sent (as the C side).
    pub wire: VecDeque<(Side, Vec<u8>)>,
    /// 1 KiB encrypted messages delivered to Alice / Bob.
    pub delivered_alice: u64,
    pub delivered_bob: u64,
    /// Whose turn it is in the alternating scenario.
    pub next_alternating: Side,
    /// SMP: Bob was asked for the secret; successes; any other outcome.
    pub bob_asked: bool,
    pub smp_succeeded_alice: u64,
    pub smp_succeeded_bob: u64,
    pub smp_other: u64,
}

impl Pair {
    /// Alice and Bob who have talked before: each knows the other's
    /// fingerprint (as loaded from libotr's fingerprints file), so the AKE
    /// does not validate a key it has never seen.
    pub fn new(keys: &(Arc<DsaSigningKey>, Arc<DsaSigningKey>), seed: u64) -> Self {
        let mut pair = Self::first_contact(keys, seed);
        pair.alice.set_trust(keys.1.fingerprint(), "");
        pair.bob.set_trust(keys.0.fingerprint(), "");
        pair
    }

    /// Alice and Bob who have never talked: the AKE validates each key.
    pub fn first_contact(keys: &(Arc<DsaSigningKey>, Arc<DsaSigningKey>), seed: u64) -> Self {
        let clock = ManualClock::new();
        let session = |key: &Arc<DsaSigningKey>, tag: u32, seed: u64| {
            Session::new(
                SessionConfig::default(),
                Arc::clone(key),
                InstanceTag::new(tag).unwrap(),
                Box::new(ChaCha20Rng::seed_from_u64(seed)),
                Box::new(clock.clone()),
            )
        };
        Self {
            alice: session(&keys.0, 0x5e63_b1b0, seed.wrapping_mul(2)),
            bob: session(&keys.1, 0x63e8_b4b8, seed.wrapping_mul(2) | 1),
            wire: VecDeque::new(),
            delivered_alice: 0,
            delivered_bob: 0,
            next_alternating: Side::Alice,
            bob_asked: false,
            smp_succeeded_alice: 0,
            smp_succeeded_bob: 0,
            smp_other: 0,
        }
    }

    pub fn take(&mut self, from: Side, actions: Vec<Action>) {
        for action in actions {
            match action {
                Action::Send { message, .. } => self.wire.push_back((from, message)),
                Action::Deliver { message, .. }
                    if message.encrypted && message.text.len() == MESSAGE_LEN =>
                {
                    match from {
                        // `from` produced the actions: it is the receiver.
                        Side::Alice => self.delivered_alice += 1,
                        Side::Bob => self.delivered_bob += 1,
                    }
                }
                Action::Event {
                    event: Event::Smp(progress),
                    ..
                } => match progress {
                    SmpProgress::AskForSecret { .. } => self.bob_asked |= from == Side::Bob,
                    SmpProgress::Succeeded => match from {
                        Side::Alice => self.smp_succeeded_alice += 1,
                        Side::Bob => self.smp_succeeded_bob += 1,
                    },
                    SmpProgress::InProgress => {}
                    _ => self.smp_other += 1,
                },
                _ => {}
            }
        }
    }

    /// Delivers everything in flight, and what that causes.
    pub fn pump(&mut self) {
        let mut guard = 0u32;
        while let Some((from, message)) = self.wire.pop_front() {
            guard += 1;
            assert!(guard < 10_000, "message loop does not terminate");
            match from {
                Side::Alice => {
                    let actions = self.bob.handle_input(&message);
                    self.take(Side::Bob, actions);
                }
                Side::Bob => {
                    let actions = self.alice.handle_input(&message);
                    self.take(Side::Alice, actions);
                }
            }
        }
    }

    /// A complete AKE from Alice's query.
    pub fn ake(&mut self) {
        let query = self.alice.send_query();
        self.take(Side::Alice, query);
        self.pump();
    }

    pub fn assert_encrypted(&self) {
        assert_eq!(
            self.alice.best_instance().message_state,
            MessageState::Encrypted
        );
        assert_eq!(
            self.bob.best_instance().message_state,
            MessageState::Encrypted
        );
    }

    /// One 1 KiB message from `from`, sent and received.
    pub fn message(&mut self, from: Side, text: &[u8]) {
        let session = match from {
            Side::Alice => &mut self.alice,
            Side::Bob => &mut self.bob,
        };
        let actions = session.send_message(text).unwrap();
        self.take(from, actions);
        self.pump();
    }

    /// One SMP with the right secret, Alice asking, until both succeeded.
    pub fn smp(&mut self) {
        self.bob_asked = false;
        let actions = self.alice.start_smp(None, SMP_SECRET).unwrap();
        self.take(Side::Alice, actions);
        self.pump();
        assert!(self.bob_asked, "Bob was not asked for the SMP secret");
        let actions = self.bob.answer_smp(None, SMP_SECRET).unwrap();
        self.take(Side::Bob, actions);
        self.pump();
    }

    /// A private pair, warmed up so that the next message Alice sends turns
    /// the ratchet (`alternating`) or never turns it (one-way), as the C side.
    pub fn warmed_up(
        keys: &(Arc<DsaSigningKey>, Arc<DsaSigningKey>),
        text: &[u8],
        oneway: bool,
    ) -> Self {
        let mut pair = Self::new(keys, 7);
        pair.ake();
        pair.assert_encrypted();
        pair.message(Side::Alice, text);
        pair.message(Side::Bob, text);
        pair.message(Side::Alice, text);
        pair.message(if oneway { Side::Alice } else { Side::Bob }, text);
        pair
    }
}

// ---------------------------------------------------------------------------
// libotr's side

pub struct Libotr {
    exe: PathBuf,
    keydir: Option<PathBuf>,
    /// Where the program loads `libotr.so.5` from, when not the system's
    /// (`LD_LIBRARY_PATH`): the drop-in bench runs the same program on our
    /// `otr-libotr`.
    library_dir: Option<PathBuf>,
}

impl Libotr {
    /// Builds the C program next to this bench binary (`target/<profile>/libotr-bench`).
    pub fn build() -> Option<Self> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("libotr-bench/build.sh");
        let outdir = std::env::current_exe()
            .ok()
            .and_then(|exe| Some(exe.parent()?.parent()?.join("libotr-bench")))
            .unwrap_or_else(|| std::env::temp_dir().join("otr-libotr-bench"));
        let result = Command::new("bash").arg(&script).arg(&outdir).output();
        let failure = match result {
            Ok(out) if out.status.success() => None,
            Ok(out) => Some(format!(
                "{} exited with {} (3 = libotr not installed):\n{}",
                script.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim_end()
            )),
            Err(e) => Some(format!("cannot run {}: {e}", script.display())),
        };
        if let Some(why) = failure {
            eprintln!();
            eprintln!("{}", "!".repeat(78));
            eprintln!("!!! libotr benchmark program NOT built: timing ONLY our engine, no ratios.");
            eprintln!("!!! {}", why.replace('\n', "\n!!! "));
            eprintln!("{}", "!".repeat(78));
            eprintln!();
            return None;
        }
        let dir = fixture_dir();
        let keydir = ["alice.key", "bob.key", "alice.instag", "bob.instag"]
            .iter()
            .all(|f| dir.join(f).is_file())
            .then_some(dir);
        Some(Self {
            exe: outdir.join("libotr_bench"),
            keydir,
            library_dir: None,
        })
    }

    /// The C program.
    pub fn exe(&self) -> &Path {
        &self.exe
    }

    /// The same program, loading `libotr.so.5` from `dir` first.
    pub fn on_library(&self, dir: &Path) -> Self {
        Self {
            exe: self.exe.clone(),
            keydir: self.keydir.clone(),
            library_dir: Some(dir.to_owned()),
        }
    }

    /// Runs `iters` iterations of `scenario`; the measured time it printed.
    pub fn run(&self, scenario: &str, iters: u64) -> Duration {
        let text = self.run_raw(scenario, iters);
        let nanos: u64 = text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("libotr_bench printed {text:?}"));
        Duration::from_nanos(nanos)
    }

    /// Runs `iters` iterations of `scenario`; what the program printed.
    pub fn run_raw(&self, scenario: &str, iters: u64) -> String {
        let mut cmd = Command::new(&self.exe);
        cmd.arg(scenario).arg(iters.to_string());
        if let Some(dir) = &self.keydir {
            cmd.arg(dir);
        }
        if let Some(dir) = &self.library_dir {
            cmd.env("LD_LIBRARY_PATH", dir);
        }
        let out = cmd.output().expect("spawn libotr_bench");
        assert!(
            out.status.success(),
            "libotr_bench {scenario} {iters} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

// ---------------------------------------------------------------------------
// A summary with ratios

/// Every timed iteration of one benchmark, summed.
#[derive(Default, Clone, Copy)]
pub struct Tally {
    pub time: Duration,
    pub iters: u64,
}

impl Tally {
    pub fn add(&mut self, time: Duration, iters: u64) {
        self.time += time;
        self.iters += iters;
    }

    pub fn mean_ns(self) -> Option<f64> {
        (self.iters > 0).then(|| self.time.as_nanos() as f64 / self.iters as f64)
    }
}

pub fn human(ns: Option<f64>) -> String {
    match ns {
        None => "—".to_owned(),
        Some(ns) if ns >= 1e6 => format!("{:.3} ms", ns / 1e6),
        Some(ns) if ns >= 1e3 => format!("{:.2} µs", ns / 1e3),
        Some(ns) => format!("{ns:.0} ns"),
    }
}
