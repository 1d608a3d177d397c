//! Embedding otr-core in an async program: Alice and Bob as two tokio tasks
//! talking over a loopback TCP connection.
//!
//! Framing: one OTR message per line. OTR data messages and fragments are
//! ASCII without newlines, but a query message and plaintext may hold
//! newlines, so each message is escaped — `\` as `\\`, newline as `\n` — and
//! ended with a newline.
//!
//! Each task owns its `Manager` and runs the host loop: carry out everything
//! queued (reacting may queue more), then wait for the next line from the
//! socket or the manager's next timer, whichever comes first.
//!
//! Alice asks for a private conversation, sends three messages once it is
//! private, and ends it when Bob has answered all three; Bob answers each
//! private message. Run with `cargo run -p otr-tests --example tokio_tcp`.

use std::error::Error;
use std::sync::Arc;
use std::time::Duration;

use otr_core::identity::{DsaSigningKey, generate_instance_tag};
use otr_core::{Action, Event, Manager, ManagerAction, ManagerConfig, OsRandom};
use otr_tests::line_escape::{escape, unescape};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::{TcpListener, TcpStream};

type BoxError = Box<dyn Error + Send + Sync>;

const ALICE: &str = "alice@example.org";
const BOB: &str = "bob@example.org";

fn account(name: &str) -> Result<Manager, BoxError> {
    let mut rng = OsRandom::new()?;
    let key = Arc::new(DsaSigningKey::generate(&mut rng)?);
    let tag = generate_instance_tag(&mut rng);
    let config = ManagerConfig::new(name, "example");
    Ok(Manager::with_system_defaults(config, key, tag)?)
}

/// One message as one line: the peer protocol's escaping
/// (`otr_tests::line_escape`), then a newline.
fn frame(message: &[u8]) -> Vec<u8> {
    let mut line = escape(message);
    line.push(b'\n');
    line
}

/// Writes the queued sends to the socket; returns the other actions, in order.
async fn flush(
    otr: &mut Manager,
    socket: &mut OwnedWriteHalf,
) -> Result<Vec<ManagerAction>, BoxError> {
    let mut rest = Vec::new();
    for item in otr.drain_actions() {
        match &item.action {
            Action::Send { message: bytes, .. } => socket.write_all(&frame(bytes)).await?,
            _ => rest.push(item),
        }
    }
    Ok(rest)
}

/// How one side reacts to what its manager reports; `true` ends its loop.
type React = fn(&str, &mut Manager, ManagerAction) -> Result<bool, BoxError>;

/// The host loop of one side.
async fn host(me: &str, stream: TcpStream, mut otr: Manager, react: React) -> Result<(), BoxError> {
    let (reader, mut writer) = stream.into_split();
    let mut lines = BufReader::new(reader).split(b'\n');
    let mut done = false;
    loop {
        while otr.queued_actions() > 0 {
            for item in flush(&mut otr, &mut writer).await? {
                done |= react(me, &mut otr, item)?;
            }
        }
        if done {
            // Our side is finished: close our half, read until the peer closes theirs.
            writer.shutdown().await?;
            while lines.next_segment().await?.is_some() {}
            return Ok(());
        }
        let wait = otr.timeout_in();
        tokio::select! {
            line = lines.next_segment() => match line? {
                Some(line) => {
                    let buddy = if me == ALICE { BOB } else { ALICE };
                    otr.handle_input(buddy, &unescape(&line))?;
                }
                None => return Ok(()), // the peer hung up
            },
            () = async {
                match wait {
                    Some(delay) => tokio::time::sleep(delay).await,
                    None => std::future::pending().await,
                }
            } => {
                otr.handle_due_timeouts();
            }
        }
    }
}

fn alice_reacts(me: &str, otr: &mut Manager, item: ManagerAction) -> Result<bool, BoxError> {
    match item.action {
        Action::Event {
            event: Event::GoneSecure(info),
            ..
        } => {
            println!(
                "[{me}] private with {}: {}",
                item.buddy,
                info.fingerprint.to_human()
            );
            for text in ["one", "two", "three"] {
                otr.send_message(&item.buddy, text)?;
            }
        }
        Action::Deliver { message, .. } if message.encrypted => {
            println!(
                "[{me}] {}: {}",
                item.buddy,
                String::from_utf8_lossy(&message.text)
            );
            if message.text.starts_with(b"got three") {
                otr.close_session(&item.buddy);
                return Ok(true);
            }
        }
        Action::Event { event, .. } => println!("[{me}] {event}"),
        _ => {}
    }
    Ok(false)
}

fn bob_reacts(me: &str, otr: &mut Manager, item: ManagerAction) -> Result<bool, BoxError> {
    match item.action {
        Action::Deliver { message, .. } if message.encrypted => {
            let text = String::from_utf8_lossy(&message.text).into_owned();
            println!("[{me}] {}: {text}", item.buddy);
            otr.send_message(&item.buddy, format!("got {text}"))?;
        }
        Action::Event {
            event: Event::ConversationEndedByPeer,
            ..
        } => {
            println!("[{me}] {} ended the private conversation", item.buddy);
            otr.close_session(&item.buddy);
        }
        Action::Event { event, .. } => println!("[{me}] {event}"),
        _ => {}
    }
    Ok(false)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), BoxError> {
    let alice = account(ALICE)?;
    let bob = account(BOB)?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;

    let bob_task = tokio::spawn(async move {
        let (stream, _) = listener.accept().await?;
        host(BOB, stream, bob, bob_reacts).await
    });
    let alice_task = tokio::spawn(async move {
        let stream = TcpStream::connect(address).await?;
        let mut alice = alice;
        alice.request_session(BOB, None)?;
        host(ALICE, stream, alice, alice_reacts).await
    });

    let both = async { tokio::join!(alice_task, bob_task) };
    let (alice_done, bob_done) = tokio::time::timeout(Duration::from_secs(20), both).await?;
    alice_done??;
    bob_done??;
    println!("done");
    Ok(())
}
