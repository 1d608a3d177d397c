//! `otr-peer`: the workspace's command-line OTR endpoint, speaking the line
//! protocol of `docs/PEER-PROTOCOL.md` — one account, one buddy, one
//! command per line on stdin, results on stdout, `DONE` after each command.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::sync::Arc;

use clap::{CommandFactory, FromArgMatches, Parser};
use otr_core::SmpProgress;
use otr_core::identity::DsaSigningKey;
use otr_core::otr_wire::InstanceTag;
use otr_core::{
    Action, Event, MessageState, ReceivedTlv, Session, SessionConfig, Timestamp, Trust,
};
use otr_tests::line_escape::{escape, unescape};
use otr_tests::peer_clock::PeerClock;
use otr_tests::peer_files::PeerFiles;
use otr_tests::policy_arg::parse_policy;
use rand_core::{Rng, UnwrapErr};

/// The line commands, as `help` and `--help` list them: the command with its
/// arguments, and what it does.
const COMMANDS: &[(&str, &str)] = &[
    (
        "recv <wire line>",
        "a message arrived from BUDDY over the network",
    ),
    (
        "send <plaintext>",
        "send a message to BUDDY (encrypted when private)",
    ),
    ("query", "ask BUDDY for a private conversation (OTR query)"),
    ("smp <secret>", "start SMP with a shared secret"),
    ("smpq <question>TAB<secret>", "start SMP with a question"),
    ("smp-respond <secret>", "answer BUDDY's pending SMP request"),
    ("smp-abort", "abort the SMP in progress"),
    (
        "end",
        "end the private conversation with every instance of BUDDY",
    ),
    (
        "symkey <use> [hex use data]",
        "use the extra symmetric key (TLV 8)",
    ),
    ("poll", "let timers run (heartbeats, held messages, expiry)"),
    ("fingerprint", "print our own fingerprint (FPR)"),
    ("state", "print the STATE of the current instance"),
    (
        "mms <n>",
        "change the maximum message size (0 = never fragment)",
    ),
    (
        "trust [level]",
        "set the trust of BUDDY's active fingerprint (empty = untrusted)",
    ),
    ("help", "print this list of commands (HELP lines)"),
    ("quit", "exit (so does the end of input)"),
];

/// The command list for `--help`.
fn commands_help() -> String {
    let width = COMMANDS.iter().map(|(c, _)| c.len()).max().unwrap_or(0);
    let mut text = String::from(
        "Line commands (one per line on stdin; each answers with zero or more lines, then DONE):\n",
    );
    for (command, what) in COMMANDS {
        text.push_str(&format!("  {command:<width$}  {what}\n"));
    }
    text.push_str(
        "\nThe protocol, with every output line: docs/PEER-PROTOCOL.md in the otr-rs repository.",
    );
    text
}

/// A command-line OTR endpoint: one account talking to one buddy, driven one
/// line at a time on stdin/stdout; it reads and writes libotr's key,
/// instance-tag and fingerprint files.
#[derive(Debug, Parser)]
#[command(
    name = "otr-peer",
    version,
    about = "A command-line Off-the-Record Messaging (OTR v2/v3) endpoint: one account talking to one buddy, one command per line on stdin",
    long_about = None
)]
struct Args {
    /// default|opportunistic|manual|always|never|v2-only|v3-only|<number>, or a
    /// `,`/`+` separated list of those and allow-v2, allow-v3, require-encryption,
    /// send-whitespace-tag, whitespace-start-ake, error-start-ake.
    #[arg(long, default_value = "default")]
    policy: String,
    /// Fragment every outgoing OTR message longer than N bytes (0 = never).
    #[arg(long = "max-msg-size", default_value_t = 0)]
    max_msg_size: usize,
    /// Private keys in libotr's file format (read; a missing key is generated and saved).
    #[arg(long)]
    key: Option<PathBuf>,
    /// Instance tags in libotr's file format (read, or generated and saved).
    #[arg(long)]
    instag: Option<PathBuf>,
    /// Known fingerprints in libotr's file format.
    #[arg(long)]
    fingerprints: Option<PathBuf>,
    /// Answer incoming SMP requests automatically with this secret.
    #[arg(long = "smp-secret")]
    smp_secret: Option<String>,
    /// Print a TLV line for each TLV of every received data message.
    #[arg(long = "show-tlvs")]
    show_tlvs: bool,
    /// No escaping.
    #[arg(long)]
    raw: bool,
    /// Our account name.
    account: String,
    /// The protocol name.
    protocol: String,
    /// The buddy's name.
    buddy: String,
}

struct Peer {
    session: Session,
    files: PeerFiles,
    show_tlvs: bool,
    raw: bool,
    out: std::io::StdoutLock<'static>,
    clock: PeerClock,
    last_timer: Option<Timestamp>,
    smp_secret: Option<Vec<u8>>,
    /// Set when an SMP request arrived and `--smp-secret` answers it.
    auto_answer: Option<Option<InstanceTag>>,
}

impl Peer {
    fn line(&mut self, parts: &[&[u8]]) {
        let mut buf = Vec::new();
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                buf.push(b' ');
            }
            buf.extend_from_slice(p);
        }
        buf.push(b'\n');
        let _ = self.out.write_all(&buf);
        let _ = self.out.flush();
    }

    fn payload(&self, bytes: &[u8]) -> Vec<u8> {
        if self.raw {
            bytes.to_vec()
        } else {
            escape(bytes)
        }
    }

    fn err(&mut self, text: &str) {
        self.line(&[b"ERR", text.as_bytes()]);
    }

    fn actions(&mut self, actions: Vec<Action>) {
        for action in actions {
            match action {
                Action::Send { message: m, .. } => {
                    let p = self.payload(&m);
                    self.line(&[b"SEND", &p]);
                }
                Action::Deliver { message, .. } => {
                    if message.text.is_empty() {
                        self.line(&[b"EVENT", b"LOG_HEARTBEAT_RCVD"]);
                    } else {
                        let p = self.payload(&message.text);
                        self.line(&[b"MSG", &p]);
                    }
                    self.tlv_lines(&message.tlvs);
                }
                Action::Event { event, instance } => {
                    if matches!(event, Event::Smp(SmpProgress::AskForSecret { .. }))
                        && self.smp_secret.is_some()
                    {
                        self.auto_answer = Some(instance);
                    }
                    self.event(event);
                }
                _ => {}
            }
        }
        if let (Some(instance), Some(secret)) = (self.auto_answer.take(), self.smp_secret.clone()) {
            match self.session.answer_smp(instance, &secret) {
                Ok(actions) => self.actions(actions),
                Err(e) => self.err(&e.to_string()),
            }
        }
    }

    fn event(&mut self, event: Event) {
        let name = event.name();
        match event {
            Event::GoneSecure(_) => self.line(&[b"SECURE"]),
            Event::StillSecure(_) => self.line(&[b"STILL_SECURE"]),
            Event::GoneInsecure => self.line(&[b"INSECURE"]),
            Event::ConversationEndedByPeer => {}
            Event::NewFingerprint(fp) => {
                let hex = fp.to_hex();
                self.line(&[b"NEWFPR", hex.as_bytes()]);
                if let Err(e) = self.files.remember_fingerprint(fp, Trust::Untrusted) {
                    self.err(&e);
                }
            }
            Event::ExtraSymmetricKey {
                use_id,
                use_data,
                key,
            } => self.symkey_line(use_id, key.as_bytes(), &use_data),
            Event::Smp(progress) => {
                let n = progress.libotr_name();
                let pct = progress.percent().to_string();
                match &progress {
                    SmpProgress::AskForSecret { question: Some(q) } => {
                        let q = self.payload(q.as_slice());
                        self.line(&[b"SMP", n.as_bytes(), pct.as_bytes(), &q]);
                    }
                    _ => self.line(&[b"SMP", n.as_bytes(), pct.as_bytes()]),
                }
            }
            Event::TrustChanged { fingerprint, trust } => {
                if let Err(e) = self.files.remember_fingerprint(fingerprint, trust) {
                    self.err(&e);
                }
            }
            // libotr reports every data message without text as a
            // heartbeat and hands its TLVs to the client: the peer prints
            // both, as the C peer over libotr does (the engine's own
            // `HeartbeatReceived`, for true heartbeats only, is implied).
            Event::ProtocolMessage { tlvs } => {
                self.line(&[b"EVENT", b"LOG_HEARTBEAT_RCVD"]);
                self.tlv_lines(&tlvs);
            }
            Event::HeartbeatReceived => {}
            Event::PeerError(text) | Event::ReceivedUnencrypted(text) => {
                let p = self.payload(&text);
                self.line(&[b"EVENT", name.as_bytes(), &p]);
            }
            _ => self.line(&[b"EVENT", name.as_bytes()]),
        }
    }

    /// With `--show-tlvs`, a `TLV` line for each TLV.
    fn tlv_lines(&mut self, tlvs: &[ReceivedTlv]) {
        if self.show_tlvs {
            for tlv in tlvs {
                let t = tlv.tlv_type.to_string();
                let h = hex::encode(&tlv.value);
                self.line(&[b"TLV", t.as_bytes(), h.as_bytes()]);
            }
        }
    }

    fn symkey_line(&mut self, use_id: u32, key: &[u8; 32], use_data: &[u8]) {
        let u = use_id.to_string();
        let k = hex::encode(key);
        if use_data.is_empty() {
            self.line(&[b"SYMKEY", u.as_bytes(), k.as_bytes()]);
        } else {
            let d = hex::encode(use_data);
            self.line(&[b"SYMKEY", u.as_bytes(), k.as_bytes(), d.as_bytes()]);
        }
    }

    fn timer(&mut self) {
        let next = self.session.poll_timeout();
        if next != self.last_timer {
            self.last_timer = next;
            let secs = next.map_or(0, |t| {
                let left = t.since(otr_core::Clock::now(&self.clock));
                left.as_secs() + u64::from(left.subsec_nanos() > 0)
            });
            let s = secs.to_string();
            self.line(&[b"TIMER", s.as_bytes()]);
        }
    }

    fn state(&mut self) {
        let st = self.session.best_instance();
        let state = match st.message_state {
            MessageState::Encrypted => "ENCRYPTED",
            MessageState::Finished => "FINISHED",
            _ => "PLAINTEXT",
        };
        let version = st.version.map_or(0, |v| v.number());
        let theirs = st.instance.map_or(0, InstanceTag::get);
        let ssid = st.ssid.map_or_else(|| "-".to_owned(), |s| s.to_string());
        let half = match st.first_half_bold {
            Some(true) => "first",
            Some(false) => "second",
            None => "-",
        };
        let fpr = st
            .fingerprint
            .map_or_else(|| "-".to_owned(), |f| f.to_hex());
        let trust = match &st.trust {
            Some(t) if t.is_trusted() => {
                String::from_utf8_lossy(&escape(t.as_libotr())).into_owned()
            }
            _ => "-".to_owned(),
        };
        let smp = st.smp_state.unwrap_or("-");
        let auth = match st.auth_state {
            otr_core::AuthState::AwaitingDhKey => "AWAITING_DHKEY",
            otr_core::AuthState::AwaitingRevealSig => "AWAITING_REVEALSIG",
            otr_core::AuthState::AwaitingSig => "AWAITING_SIG",
            _ => "NONE",
        };
        let line = format!(
            "STATE {state} {version} 0x{theirs:08x} our=0x{:08x} ssid={ssid} ssid_half={half} fpr={fpr} trust={trust} smp={smp} auth={auth}",
            st.our_instance.get()
        );
        self.line(&[line.as_bytes()]);
    }

    fn command(&mut self, line: &[u8]) -> bool {
        let (cmd, arg) = match line.iter().position(|&b| b == b' ') {
            Some(i) => (&line[..i], &line[i + 1..]),
            None => (line, &[][..]),
        };
        let arg = if self.raw {
            arg.to_vec()
        } else {
            unescape(arg)
        };
        let takes_no_argument = matches!(
            cmd,
            b"query"
                | b"end"
                | b"poll"
                | b"fingerprint"
                | b"state"
                | b"smp-abort"
                | b"help"
                | b"quit"
        );
        match cmd {
            _ if takes_no_argument && line.len() > cmd.len() => {
                let shown = String::from_utf8_lossy(cmd).into_owned();
                self.err(&format!("{shown} takes no argument"));
            }
            b"recv" => {
                let actions = self.session.handle_input(&arg);
                self.actions(actions);
            }
            b"send" => match self.session.send_message(&arg) {
                Ok(actions) => self.actions(actions),
                Err(e) => self.err(&e.to_string()),
            },
            b"query" => {
                let actions = self.session.send_query();
                self.actions(actions);
            }
            b"end" => {
                let actions = self.session.end();
                self.actions(actions);
            }
            b"poll" => {
                let now = otr_core::Clock::now(&self.clock);
                let actions = self.session.handle_timeout(now);
                self.actions(actions);
            }
            b"fingerprint" => {
                let hex = self.session.our_fingerprint().to_hex();
                self.line(&[b"FPR", hex.as_bytes()]);
            }
            b"state" => self.state(),
            b"mms" => match std::str::from_utf8(&arg)
                .ok()
                .and_then(|s| s.trim().parse::<usize>().ok())
            {
                Some(n) => {
                    if let Err(e) = self.session.set_max_message_size(n) {
                        self.err(&e.to_string());
                    }
                }
                None => self.err("mms needs a number"),
            },
            b"symkey" => self.symkey(&arg),
            b"trust" => {
                let level = Trust::from_libotr(&arg);
                match self.session.best_instance().fingerprint {
                    Some(fp) => {
                        self.session.set_trust(fp, level.clone());
                        if let Err(e) = self.files.remember_fingerprint(fp, level) {
                            self.err(&e);
                        }
                    }
                    None => self.err("no active fingerprint: the conversation is not private"),
                }
            }
            b"smp" => {
                let r = self.session.start_smp(None, &arg);
                self.result(r);
            }
            b"smpq" => {
                // Split at the first literal TAB (before unescaping), then unescape both.
                let raw = &line[line
                    .iter()
                    .position(|&b| b == b' ')
                    .map_or(line.len(), |i| i + 1)..];
                match raw.iter().position(|&b| b == b'\t') {
                    Some(i) => {
                        let (q, s) = (&raw[..i], &raw[i + 1..]);
                        let (q, s) = if self.raw {
                            (q.to_vec(), s.to_vec())
                        } else {
                            (unescape(q), unescape(s))
                        };
                        let r = self.session.start_smp_with_question(None, &q, &s);
                        self.result(r);
                    }
                    None => self.err("smpq needs a question, a TAB, and the secret"),
                }
            }
            b"smp-respond" => {
                let r = self.session.answer_smp(None, &arg);
                self.result(r);
            }
            b"smp-abort" => {
                let r = self.session.abort_smp(None);
                self.result(r);
            }
            b"help" => {
                let width = COMMANDS.iter().map(|(c, _)| c.len()).max().unwrap_or(0);
                for (command, what) in COMMANDS {
                    let line = format!("HELP {command:<width$}  {what}");
                    self.line(&[line.as_bytes()]);
                }
            }
            b"quit" => {
                self.line(&[b"DONE"]);
                return false;
            }
            _ => {
                let shown = String::from_utf8_lossy(&escape(cmd)).into_owned();
                self.err(&format!("unknown command: {shown}"));
            }
        }
        self.timer();
        self.line(&[b"DONE"]);
        true
    }

    fn result(&mut self, r: Result<Vec<Action>, otr_core::SessionError>) {
        match r {
            Ok(actions) => self.actions(actions),
            Err(e) => self.err(&e.to_string()),
        }
    }

    fn symkey(&mut self, arg: &[u8]) {
        let text = String::from_utf8_lossy(arg).into_owned();
        let mut parts = text.split_whitespace();
        let Some(use_id) = parts.next().and_then(|u| u.parse::<u32>().ok()) else {
            self.err("symkey needs a use number");
            return;
        };
        let use_data = match parts.next().map(hex::decode) {
            None => Vec::new(),
            Some(Ok(d)) => d,
            Some(Err(_)) => {
                self.err("symkey use data must be hex");
                return;
            }
        };
        match self.session.extra_symmetric_key(None, use_id, &use_data) {
            Ok((key, actions)) => {
                self.symkey_line(use_id, key.as_bytes(), &use_data);
                self.actions(actions);
            }
            Err(e) => self.err(&e.to_string()),
        }
    }
}

fn main() {
    let matches = Args::command().after_help(commands_help()).get_matches();
    let args = Args::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let policy = match parse_policy(&args.policy) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("otr-peer: --policy: {e}");
            std::process::exit(2);
        }
    };
    if args.max_msg_size != 0 && args.max_msg_size <= 37 {
        eprintln!("otr-peer: --max-msg-size must be 0 or larger than 37");
        std::process::exit(2);
    }
    let mut rng = UnwrapErr(getrandom::SysRng);
    let files = match PeerFiles::open(
        &args.account,
        &args.protocol,
        &args.buddy,
        args.key.as_deref(),
        args.instag.as_deref(),
        args.fingerprints.as_deref(),
        &mut rng,
    ) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("otr-peer: {e}");
            std::process::exit(1);
        }
    };
    let identity: Arc<DsaSigningKey> = files.identity();
    let our_tag = files.instance_tag();
    let mut config = SessionConfig::default();
    config.policy = policy;
    config.max_message_size = args.max_msg_size;
    config.account_name = args.account.clone();
    config.report_protocol_tlvs = true;
    let mut seed = [0u8; 32];
    rng.fill_bytes(&mut seed);
    let clock = PeerClock::from_env();
    let mut session = Session::new(
        config,
        identity,
        our_tag,
        Box::new(<rand_chacha::ChaCha20Rng as rand_core::SeedableRng>::from_seed(seed)),
        Box::new(clock.clone()),
    );
    for (fp, trust) in files.known_fingerprints() {
        session.set_trust(fp, trust);
    }
    let mut peer = Peer {
        session,
        files,
        show_tlvs: args.show_tlvs,
        raw: args.raw,
        out: std::io::stdout().lock(),
        clock,
        last_timer: None,
        smp_secret: args.smp_secret.map(String::into_bytes),
        auto_answer: None,
    };
    peer.line(&[concat!("READY otr-peer ", env!("CARGO_PKG_VERSION")).as_bytes()]);
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match input.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if buf.last() == Some(&b'\n') {
            buf.pop();
        }
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
        if !peer.command(&buf) {
            break;
        }
    }
}
