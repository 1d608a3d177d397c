//! `otr-chat`: a two-person OTR chat over TCP, one process per person — what
//! a small real client does with otr-core, in one file.
//!
//! - the key, the instance tag and the known fingerprints live in libotr's
//!   own files in `--dir` (`otr.private_key`, `otr.instag`,
//!   `otr.fingerprints`), loaded or created on first use, written 0600 and
//!   atomically;
//! - a [`Manager`] with the OS's randomness and clock, its queue drained
//!   after every input, its timers run when `timeout_in` says;
//! - SMP with a question, heartbeats, and a clean end.
//!
//! One side listens, the other connects; then type text to send it, or:
//!
//! ```text
//! /otr                      start a private conversation
//! /ask QUESTION | SECRET    authenticate the buddy with a question (SMP)
//! /answer SECRET            answer the buddy's question
//! /heartbeat                send a heartbeat now
//! /end                      end the private conversation
//! /wait WHAT                (scripts) wait for: secure, message, question, smp, ended
//! /quit                     end and leave
//! ```
//!
//! ```text
//! cargo run -p otr-tests --example otr-chat -- --name bob --buddy alice --dir bob --listen 127.0.0.1:7000
//! cargo run -p otr-tests --example otr-chat -- --name alice --buddy bob --dir alice --connect 127.0.0.1:7000
//! ```
//!
//! `--demo` runs a scripted conversation between two processes (this program
//! starts Bob as its child) in `--dir`; run it twice to see the files reused
//! and the key trusted from the first run's SMP.

use std::collections::VecDeque;
use std::error::Error;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use clap::Parser;
use otr_core::identity::{
    load_or_create_instag_file, load_or_create_privkey_file, write_private_file,
};
use otr_core::{Action, Event, Manager, ManagerConfig, OsRandom, SmpProgress};
use otr_tests::line_escape::{escape, unescape};

type BoxError = Box<dyn Error + Send + Sync>;

/// A two-person OTR chat over TCP (an otr-core example).
#[derive(Parser, Debug)]
struct Args {
    /// Our account name.
    #[arg(long, default_value = "alice")]
    name: String,
    /// The buddy's account name.
    #[arg(long, default_value = "bob")]
    buddy: String,
    /// Where our key, instance tag and fingerprints files are.
    #[arg(long, default_value = "otr-chat")]
    dir: PathBuf,
    /// Wait for the buddy on this address.
    #[arg(long, conflicts_with = "connect")]
    listen: Option<SocketAddr>,
    /// Connect to the buddy at this address.
    #[arg(long)]
    connect: Option<SocketAddr>,
    /// Run a scripted conversation between two processes (Alice here, Bob a
    /// child process), with their files under `--dir`.
    #[arg(long)]
    demo: bool,
    /// Give up after this many seconds (0: never).
    #[arg(long, default_value_t = 0)]
    timeout: u64,
}

const ALICE_SCRIPT: &str = "/otr
/wait secure
hello Bob
/wait message
/ask Where did we first meet? | in Lyon
/wait smp
/heartbeat
/end
/quit
";

const BOB_SCRIPT: &str = "/wait secure
/wait message
hello Alice
/wait question
/answer in Lyon
/wait ended
/quit
";

/// What the chat loop waits on.
enum Input {
    /// A line from the buddy (one OTR message).
    Network(Vec<u8>),
    /// The buddy hung up.
    NetworkClosed,
    /// A line the user typed.
    User(String),
    /// The user's input ended.
    UserClosed,
}

/// What a `/wait` waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wait {
    Secure,
    Message,
    Question,
    Smp,
    Ended,
}

impl Wait {
    fn parse(word: &str) -> Option<Self> {
        Some(match word {
            "secure" => Self::Secure,
            "message" => Self::Message,
            "question" => Self::Question,
            "smp" => Self::Smp,
            "ended" => Self::Ended,
            _ => return None,
        })
    }
}

/// One message as one line: the peer protocol's escaping
/// (`otr_tests::line_escape`), then a newline.
fn frame(message: &[u8]) -> Vec<u8> {
    let mut line = escape(message);
    line.push(b'\n');
    line
}

/// The chat of one person.
struct Chat {
    me: String,
    buddy: String,
    otr: Manager,
    socket: TcpStream,
    fingerprints_path: PathBuf,
    /// Lines not yet acted on (behind a `/wait`).
    pending: VecDeque<String>,
    waiting: Option<Wait>,
    /// How often each awaited thing happened, and how many of those a
    /// `/wait` has used up: a wait is met by something that happened before
    /// it was typed too.
    happened: [usize; 5],
    used: [usize; 5],
    quit: bool,
}

impl Chat {
    fn open(args: &Args, socket: TcpStream) -> Result<Self, BoxError> {
        std::fs::create_dir_all(&args.dir)?;
        let mut rng = OsRandom::new()?;
        let (account, protocol) = (args.name.as_bytes(), b"otr-chat".as_slice());
        let key_path = args.dir.join("otr.private_key");
        let had_key = key_path.exists();
        let key = load_or_create_privkey_file(&key_path, account, protocol, &mut rng)?;
        let tag =
            load_or_create_instag_file(&args.dir.join("otr.instag"), account, protocol, &mut rng)?;
        let config = ManagerConfig::new(&args.name, "otr-chat");
        let mut otr = Manager::with_system_defaults(config, key, tag)?;
        let fingerprints_path = args.dir.join("otr.fingerprints");
        let known = match std::fs::read(&fingerprints_path) {
            Ok(file) => otr.load_fingerprints(&file),
            Err(_) => 0,
        };
        println!(
            "[{}] {} key {} ({} known fingerprint(s)), instance {:08x}",
            args.name,
            if had_key { "loaded" } else { "created" },
            otr.our_fingerprint(),
            known,
            tag.get()
        );
        Ok(Self {
            me: args.name.clone(),
            buddy: args.buddy.clone(),
            otr,
            socket,
            fingerprints_path,
            pending: VecDeque::new(),
            waiting: None,
            happened: [0; 5],
            used: [0; 5],
            quit: false,
        })
    }

    fn say(&self, text: &str) {
        println!("[{}] {text}", self.me);
    }

    /// Saves what the manager knows of fingerprints, keeping other
    /// accounts' lines.
    fn save_fingerprints(&self) -> Result<(), BoxError> {
        let existing = std::fs::read(&self.fingerprints_path).unwrap_or_default();
        let merged = self.otr.merge_fingerprints_into(&existing)?;
        write_private_file(&self.fingerprints_path, &merged)?;
        Ok(())
    }

    /// Carries out everything queued: sends, shows, reacts.
    fn drain(&mut self) -> Result<(), BoxError> {
        while let Some(item) = self.otr.poll_action() {
            match item.action {
                Action::Send { message, .. } => self.socket.write_all(&frame(&message))?,
                Action::Deliver { message, .. } => {
                    let how = if message.encrypted {
                        "private"
                    } else {
                        "NOT private"
                    };
                    self.say(&format!(
                        "{} ({how}): {}",
                        item.buddy,
                        String::from_utf8_lossy(&message.text)
                    ));
                    self.reached(Wait::Message);
                }
                Action::Event { event, .. } => self.event(&event)?,
                _ => {}
            }
        }
        Ok(())
    }

    fn event(&mut self, event: &Event) -> Result<(), BoxError> {
        match event {
            Event::GoneSecure(info) | Event::StillSecure(info) => {
                let (first, second) = info.ssid.halves_hex();
                let ssid = if info.first_half_bold {
                    format!("*{first}* {second}")
                } else {
                    format!("{first} *{second}*")
                };
                let trust = self.otr.known_fingerprints(&self.buddy);
                let trust = trust
                    .get(&info.fingerprint)
                    .map_or_else(|| "untrusted".to_owned(), ToString::to_string);
                self.say(&format!(
                    "private with {} (key {}, {trust}); session id {ssid}",
                    self.buddy, info.fingerprint
                ));
                self.reached(Wait::Secure);
            }
            Event::NewFingerprint(_) | Event::TrustChanged { .. } => {
                self.say(&event.to_string());
                self.save_fingerprints()?;
            }
            Event::Smp(SmpProgress::AskForSecret { question }) => {
                self.say(&event.to_string());
                if question.is_some() {
                    self.say("answer with /answer SECRET");
                }
                self.reached(Wait::Question);
            }
            Event::Smp(
                SmpProgress::Succeeded
                | SmpProgress::Failed
                | SmpProgress::Aborted
                | SmpProgress::Cheated
                | SmpProgress::Error,
            ) => {
                self.say(&event.to_string());
                self.reached(Wait::Smp);
            }
            Event::ConversationEndedByPeer | Event::GoneInsecure => {
                self.say(&event.to_string());
                self.reached(Wait::Ended);
            }
            other => self.say(&other.to_string()),
        }
        Ok(())
    }

    fn reached(&mut self, what: Wait) {
        if let Some(n) = self.happened.get_mut(what as usize) {
            *n += 1;
        }
        self.check_wait();
    }

    /// Ends the current `/wait` if what it waits for has happened.
    fn check_wait(&mut self) {
        let Some(what) = self.waiting else { return };
        let i = what as usize;
        if self.happened.get(i) > self.used.get(i) {
            if let Some(n) = self.used.get_mut(i) {
                *n += 1;
            }
            self.waiting = None;
        }
    }

    /// Acts on the user's lines up to the next `/wait` that is not met yet.
    fn run_pending(&mut self) -> Result<(), BoxError> {
        while self.waiting.is_none() && !self.quit {
            let Some(line) = self.pending.pop_front() else {
                break;
            };
            self.command(line.trim_end())?;
            self.drain()?;
        }
        Ok(())
    }

    fn command(&mut self, line: &str) -> Result<(), BoxError> {
        let buddy = self.buddy.clone();
        let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
        match word {
            "" => {}
            "/otr" => {
                self.otr.request_session(&buddy, None)?;
            }
            "/ask" => {
                let Some((question, secret)) = rest.split_once('|') else {
                    self.say("usage: /ask QUESTION | SECRET");
                    return Ok(());
                };
                let (question, secret) = (question.trim(), secret.trim());
                self.otr.with_session(&buddy, |s| {
                    s.start_smp_with_question(None, question.as_bytes(), secret.as_bytes())
                })?;
            }
            "/answer" => {
                self.otr
                    .with_session(&buddy, |s| s.answer_smp(None, rest.trim().as_bytes()))?;
            }
            "/heartbeat" => {
                self.otr.send_heartbeat(&buddy)?;
            }
            "/end" => {
                self.otr.with_session(&buddy, |s| Ok(s.end()))?;
            }
            "/wait" => match Wait::parse(rest.trim()) {
                Some(what) => {
                    self.waiting = Some(what);
                    self.check_wait();
                }
                None => self.say("usage: /wait secure|message|question|smp|ended"),
            },
            "/quit" => {
                self.otr.close_session(&buddy);
                self.quit = true;
            }
            _ if word.starts_with('/') => self.say(&format!("unknown command {word}")),
            _ => {
                self.otr.send_message(&buddy, line)?;
            }
        }
        Ok(())
    }

    /// The chat loop: inputs in, actions out, timers when due.
    fn run(&mut self, inputs: &Receiver<Input>, give_up: Option<Instant>) -> Result<(), BoxError> {
        loop {
            self.drain()?;
            self.run_pending()?;
            if self.quit {
                self.drain()?;
                self.socket.shutdown(std::net::Shutdown::Write)?;
                return Ok(());
            }
            let mut wait = self.otr.timeout_in().unwrap_or(Duration::from_secs(3600));
            if let Some(deadline) = give_up {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(format!("gave up waiting for {:?}", self.waiting).into());
                }
                wait = wait.min(left);
            }
            match inputs.recv_timeout(wait) {
                Ok(Input::Network(line)) => {
                    self.otr
                        .handle_input(&self.buddy.clone(), &unescape(&line))?;
                }
                Ok(Input::NetworkClosed) => {
                    self.say(&format!("{} left", self.buddy));
                    self.drain()?;
                    return Ok(());
                }
                Ok(Input::User(line)) => self.pending.push_back(line),
                Ok(Input::UserClosed) => self.pending.push_back("/quit".to_owned()),
                Err(RecvTimeoutError::Timeout) => {
                    self.otr.handle_due_timeouts();
                }
                Err(RecvTimeoutError::Disconnected) => return Ok(()),
            }
        }
    }
}

/// Lines from `reader` into the loop, each wrapped by `wrap`; `end` when it
/// ends.
fn forward<R: BufRead + Send + 'static>(
    reader: R,
    to: Sender<Input>,
    wrap: fn(Vec<u8>) -> Input,
    end: Input,
) {
    std::thread::spawn(move || {
        for line in reader.split(b'\n') {
            let Ok(line) = line else { break };
            if to.send(wrap(line)).is_err() {
                return;
            }
        }
        let _ = to.send(end);
    });
}

fn chat(args: &Args, socket: TcpStream, script: Option<&str>) -> Result<(), BoxError> {
    let mut chat = Chat::open(args, socket.try_clone()?)?;
    let (to_loop, inputs) = mpsc::channel();
    forward(
        BufReader::new(socket),
        to_loop.clone(),
        Input::Network,
        Input::NetworkClosed,
    );
    match script {
        Some(script) => chat.pending.extend(script.lines().map(str::to_owned)),
        None => forward(
            BufReader::new(std::io::stdin()),
            to_loop,
            |line| Input::User(String::from_utf8_lossy(&line).into_owned()),
            Input::UserClosed,
        ),
    }
    let give_up = (args.timeout > 0).then(|| Instant::now() + Duration::from_secs(args.timeout));
    chat.run(&inputs, give_up)
}

/// `--demo`: Bob in a child process listening on a free port, Alice here.
fn demo(args: &Args) -> Result<(), BoxError> {
    let dir = |name: &str| -> PathBuf { args.dir.join(name) };
    let timeout = if args.timeout > 0 { args.timeout } else { 60 };
    let mut bob = Command::new(std::env::current_exe()?)
        .args([
            "--name",
            "bob",
            "--buddy",
            "alice",
            "--listen",
            "127.0.0.1:0",
        ])
        .arg("--dir")
        .arg(dir("bob"))
        .args(["--timeout", &timeout.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut bob_in = bob.stdin.take().ok_or("no stdin for Bob")?;
    bob_in.write_all(BOB_SCRIPT.as_bytes())?;
    drop(bob_in);
    let mut bob_out = BufReader::new(bob.stdout.take().ok_or("no stdout for Bob")?);
    let mut first = String::new();
    bob_out.read_line(&mut first)?;
    let address: SocketAddr = first
        .trim()
        .strip_prefix("listening on ")
        .ok_or_else(|| format!("Bob said {first:?}"))?
        .parse()?;
    let printer = std::thread::spawn(move || {
        for line in bob_out.lines().map_while(Result::ok) {
            println!("{line}");
        }
    });
    let alice = Args {
        name: "alice".into(),
        buddy: "bob".into(),
        dir: dir("alice"),
        listen: None,
        connect: Some(address),
        demo: false,
        timeout,
    };
    let result = chat(&alice, TcpStream::connect(address)?, Some(ALICE_SCRIPT));
    let status = bob.wait()?;
    let _ = printer.join();
    result?;
    if !status.success() {
        return Err(format!("Bob's process failed: {status}").into());
    }
    println!("demo finished: files in {}", args.dir.display());
    Ok(())
}

fn listen(address: SocketAddr) -> Result<TcpStream, BoxError> {
    let listener = TcpListener::bind(address)?;
    println!("listening on {}", listener.local_addr()?);
    std::io::stdout().flush()?;
    Ok(listener.accept()?.0)
}

fn main() -> Result<(), BoxError> {
    let args = Args::parse();
    if args.demo {
        return demo(&args);
    }
    let socket = match (args.listen, args.connect) {
        (Some(address), _) => listen(address)?,
        (None, Some(address)) => TcpStream::connect(address)?,
        (None, None) => return Err("say --listen ADDRESS or --connect ADDRESS (or --demo)".into()),
    };
    chat(&args, socket, None)
}
