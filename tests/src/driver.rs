//! Drives two line-protocol peers (our `otr-peer` and/or the libotr peer),
//! forwarding each one's `SEND` lines to the other as `recv`.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::Duration;

/// How long one command may take before the test fails.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// A running peer process.
pub struct PeerProcess {
    /// A name for messages.
    pub name: String,
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    /// Every output line so far.
    pub transcript: Vec<String>,
}

impl PeerProcess {
    /// Starts `program` with `args` (and extra environment) and waits for `READY`.
    ///
    /// # Errors
    /// A message if it cannot start or does not say READY.
    pub fn spawn(
        name: &str,
        program: &Path,
        args: &[String],
        env: &[(String, String)],
    ) -> Result<Self, String> {
        let mut command = Command::new(program);
        command
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", program.display()))?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match reader.read_until(b'\n', &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        if buf.last() == Some(&b'\n') {
                            buf.pop();
                        }
                        if tx.send(String::from_utf8_lossy(&buf).into_owned()).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        let mut peer = Self {
            name: name.to_owned(),
            child,
            stdin,
            lines: rx,
            transcript: Vec::new(),
        };
        let first = peer.next_line()?;
        if !first.starts_with("READY") {
            return Err(format!("{name}: expected READY, got {first:?}"));
        }
        Ok(peer)
    }

    fn next_line(&mut self) -> Result<String, String> {
        match self.lines.recv_timeout(COMMAND_TIMEOUT) {
            Ok(line) => Ok(line),
            Err(RecvTimeoutError::Timeout) => {
                Err(format!("{}: no output for {COMMAND_TIMEOUT:?}", self.name))
            }
            Err(RecvTimeoutError::Disconnected) => Err(format!("{}: exited", self.name)),
        }
    }

    /// Runs one command; returns its output lines (without `DONE`).
    ///
    /// # Errors
    /// A message when the peer dies or stalls.
    pub fn cmd(&mut self, line: &str) -> Result<Vec<String>, String> {
        self.stdin
            .write_all(format!("{line}\n").as_bytes())
            .and_then(|()| self.stdin.flush())
            .map_err(|e| format!("{}: write failed: {e}", self.name))?;
        let mut out = Vec::new();
        loop {
            let l = self.next_line()?;
            if l == "DONE" {
                break;
            }
            out.push(l);
        }
        self.transcript.push(format!("> {line}"));
        self.transcript.extend(out.iter().cloned());
        Ok(out)
    }

    /// The last `STATE` line, split into fields.
    ///
    /// # Errors
    /// A message when the peer does not answer with a STATE line.
    pub fn state(&mut self) -> Result<Vec<String>, String> {
        let out = self.cmd("state")?;
        out.iter()
            .find(|l| l.starts_with("STATE "))
            .map(|l| l.split(' ').map(str::to_owned).collect())
            .ok_or_else(|| format!("{}: no STATE line in {out:?}", self.name))
    }

    /// Our fingerprint (`FPR` line).
    ///
    /// # Errors
    /// A message when the peer does not answer with FPR.
    pub fn fingerprint(&mut self) -> Result<String, String> {
        let out = self.cmd("fingerprint")?;
        out.iter()
            .find_map(|l| l.strip_prefix("FPR ").map(str::to_owned))
            .ok_or_else(|| format!("{}: no FPR in {out:?}", self.name))
    }
}

impl PeerProcess {
    /// Asks the peer to quit and waits up to `within` for it to exit: its
    /// exit status (`None` if it had to be killed). A memory checker's
    /// verdict arrives this way.
    pub fn quit(mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let _ = self.stdin.write_all(b"quit\n");
        let _ = self.stdin.flush();
        let start = std::time::Instant::now();
        while start.elapsed() < within {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for PeerProcess {
    fn drop(&mut self) {
        let _ = self.stdin.write_all(b"quit\n");
        let _ = self.stdin.flush();
        let start = std::time::Instant::now();
        while start.elapsed() < Duration::from_secs(2) {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `SEND` payloads among output lines.
#[must_use]
pub fn sends(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter_map(|l| l.strip_prefix("SEND ").map(str::to_owned))
        .collect()
}

/// Everything each side printed while an exchange ran.
#[derive(Debug, Default, Clone)]
pub struct Exchange {
    /// Lines printed by the first peer.
    pub a: Vec<String>,
    /// Lines printed by the second peer.
    pub b: Vec<String>,
}

impl Exchange {
    /// Whether `side` printed a line starting with `prefix`.
    #[must_use]
    pub fn has(lines: &[String], prefix: &str) -> bool {
        lines.iter().any(|l| l.starts_with(prefix))
    }
}

/// Delivers `pending` (SEND payloads from `a`) to `b`, and everything that
/// causes, back and forth, in order, until both are quiet.
///
/// # Errors
/// A message when a peer dies or the exchange does not settle.
pub fn exchange(
    a: &mut PeerProcess,
    b: &mut PeerProcess,
    from_a: Vec<String>,
) -> Result<Exchange, String> {
    let mut result = Exchange::default();
    let mut to_b: std::collections::VecDeque<String> = from_a.into();
    let mut to_a: std::collections::VecDeque<String> = std::collections::VecDeque::new();
    let mut steps = 0;
    while !to_a.is_empty() || !to_b.is_empty() {
        steps += 1;
        if steps > 20_000 {
            return Err("the exchange did not settle".to_owned());
        }
        if let Some(m) = to_b.pop_front() {
            let out = b.cmd(&format!("recv {m}"))?;
            to_a.extend(sends(&out));
            result.b.extend(out);
        }
        if let Some(m) = to_a.pop_front() {
            let out = a.cmd(&format!("recv {m}"))?;
            to_b.extend(sends(&out));
            result.a.extend(out);
        }
    }
    Ok(result)
}

/// Runs `command` on `a` and carries everything it sends to `b` and back.
///
/// # Errors
/// As [`exchange`].
pub fn run(a: &mut PeerProcess, b: &mut PeerProcess, command: &str) -> Result<Exchange, String> {
    let first = a.cmd(command)?;
    let mut ex = exchange(a, b, sends(&first))?;
    let mut a_lines = first;
    a_lines.extend(ex.a);
    ex.a = a_lines;
    Ok(ex)
}

/// The libotr peer and its time shim, built once per test binary; `None`
/// when libotr (pkg-config) is not installed.
#[must_use]
pub fn libotr_peer() -> Option<&'static (PathBuf, PathBuf)> {
    static BUILT: OnceLock<Option<(PathBuf, PathBuf)>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let root = crate::fixtures::workspace_root();
            let out = std::env::temp_dir().join(format!("otr-libotr-peer-{}", std::process::id()));
            let status = Command::new("bash")
                .arg(root.join("tests/libotr-peer/build.sh"))
                .arg(&out)
                .stdout(Stdio::null())
                .status()
                .ok()?;
            status
                .success()
                .then(|| (out.join("libotr_peer"), out.join("libfaketime_otr.so")))
        })
        .as_ref()
}
