//! libotr's `otr_parse` tool: how it prints a message, and running it.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::{Command, Stdio};

use otr_wire::{EncodedMessage, Header, MessageBody};

/// Where Debian's libotr5-bin installs `otr_parse`.
pub const OTR_PARSE: &str = "/usr/bin/otr_parse";

/// Lowercase hex.
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Runs `otr_parse` on one line of input and returns what it printed, or
/// `None` when the tool is not installed.
#[must_use]
pub fn run_otr_parse(input: &str) -> Option<String> {
    let mut child = Command::new(OTR_PARSE)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .ok()?;
    let mut stdin = child.stdin.take()?;
    stdin.write_all(input.as_bytes()).ok()?;
    stdin.write_all(b"\n").ok()?;
    drop(stdin);
    let out = child.wait_with_output().ok()?;
    String::from_utf8(out.stdout).ok()
}

/// Renders a decoded message the way libotr's `otr_parse` prints it.
#[must_use]
pub fn otr_parse_view(message: &EncodedMessage<'_>) -> String {
    let mut out = String::new();
    let title = match message.body {
        MessageBody::DhCommit(_) => "D-H Commit Message",
        MessageBody::DhKey(_) => "D-H Key Message",
        MessageBody::RevealSignature(_) => "Reveal Signature Message",
        MessageBody::Signature(_) => "Signature Message",
        MessageBody::Data(_) => "Data Message",
        _ => return String::from("unknown message type\n"),
    };
    let _ = writeln!(out, "{title}:");
    let _ = writeln!(out, "\tVersion: {:02}", message.header.version().number());
    if let MessageBody::Data(d) = &message.body {
        let _ = writeln!(out, "\tFlags: {}", d.flags.0);
    }
    if let Header::V3 { sender, .. } = message.header {
        let _ = writeln!(out, "\tSender instance: {}", sender.get());
        let _ = writeln!(
            out,
            "\tReceiver instance: {}",
            message.header.receiver_wire()
        );
    }
    match &message.body {
        MessageBody::DhCommit(m) => {
            let _ = writeln!(out, "\tEncrypted Key: {}", hex(m.encrypted_gx));
            let _ = writeln!(out, "\tHashed Key: {}", hex(&m.hashed_gx));
        }
        MessageBody::DhKey(m) => {
            let _ = writeln!(out, "\tD-H Key: {}", hex(m.gy.as_bytes()));
        }
        MessageBody::RevealSignature(m) => {
            let _ = writeln!(out, "\tKey: {}", hex(&m.revealed_key));
            let _ = writeln!(out, "\tEncrypted Signature: {}", hex(m.encrypted_signature));
            let _ = writeln!(out, "\tMAC: {}", hex(&m.mac));
        }
        MessageBody::Signature(m) => {
            let _ = writeln!(out, "\tEncrypted Signature: {}", hex(m.encrypted_signature));
            let _ = writeln!(out, "\tMAC: {}", hex(&m.mac));
        }
        MessageBody::Data(d) => {
            let _ = writeln!(out, "\tSender keyid: {}", d.sender_keyid);
            let _ = writeln!(out, "\tRcpt keyid: {}", d.recipient_keyid);
            let _ = writeln!(out, "\tDH y: {}", hex(d.next_dh.as_bytes()));
            let _ = writeln!(out, "\tCounter: {}", hex(&d.counter));
            let _ = writeln!(out, "\tEncrypted message: {}", hex(d.encrypted));
            let _ = writeln!(out, "\tMAC: {}", hex(&d.mac));
            if !d.old_mac_keys.is_empty() {
                let _ = writeln!(out, "\tRevealed MAC keys:");
                for (i, key) in d.revealed_mac_keys().enumerate() {
                    let _ = writeln!(out, "\t\tKey {}: {}", i + 1, hex(key));
                }
            }
        }
        _ => {}
    }
    out.push('\n');
    out
}
