//! End-to-end: the server closes a session while the official `engine.io-client` upgrades it,
//! after the WebSocket probe and before the client's upgrade packet arrives. The driver's
//! WebSocket holds that packet (`holdUpgrade`), so the race is taken every time: the client
//! has paused polling and switched to the WebSocket, the server has not seen `5` yet.
//!
//! The Node `engine.io` server completes the upgrade of a closing socket, writes what was
//! queued over the WebSocket, then closes it; or, when the client never upgrades, closes the
//! probe at `upgradeTimeout`. Ours must look the same to the client.

use std::time::Duration;

use e2e::{NodeDriver, ReferenceServer, TIMEOUT};
use engineio::packet::Message;
use engineio::server::{serve, Builder, Cors, EngineIo, Handler, Socket};
use engineio::DisconnectReason;
use serde_json::{json, Value};
use tokio::sync::mpsc;

/// What our server saw.
#[derive(Debug)]
enum Seen {
    Connect(Socket),
    Close(String, DisconnectReason),
}

/// Hands each session to the test, which closes it at the moment it chooses.
struct Handoff(mpsc::UnboundedSender<Seen>);

impl Handoff {
    fn report(&self, seen: Seen) {
        if self.0.send(seen).is_err() {
            eprintln!("the test stopped listening to the server");
        }
    }
}

impl Handler for Handoff {
    type Connection = Socket;
    fn on_connect(&self, socket: Socket) -> Socket {
        self.report(Seen::Connect(socket.clone()));
        socket
    }
    fn on_message(&self, _socket: &mut Socket, _message: Message) {}
    fn on_close(&self, socket: Socket, reason: DisconnectReason) {
        self.report(Seen::Close(socket.id().to_owned(), reason));
    }
}

/// A long heartbeat: the held upgrade also holds the client's pongs.
const PING_INTERVAL: &str = "10000";
const PING_TIMEOUT: &str = "1000";
/// Short enough for the test to reach it, long enough to see the close wait for it.
const UPGRADE_TIMEOUT: &str = "1500";

fn millis(value: &str) -> Duration {
    Duration::from_millis(value.parse().expect("milliseconds"))
}

/// The server under test: ours, or the Node reference.
enum Target {
    Ours {
        url: String,
        seen: mpsc::UnboundedReceiver<Seen>,
        _engine: EngineIo<Handoff>,
    },
    Node(Box<ReferenceServer>),
}

impl Target {
    async fn ours() -> Self {
        let (tx, seen) = mpsc::unbounded_channel();
        let engine = Builder::new()
            .ping_interval(millis(PING_INTERVAL))
            .ping_timeout(millis(PING_TIMEOUT))
            .upgrade_timeout(millis(UPGRADE_TIMEOUT))
            .cors(Cors::any())
            .build(Handoff(tx));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(serve(listener, engine.clone()));
        Self::Ours {
            url,
            seen,
            _engine: engine,
        }
    }

    async fn node() -> Self {
        let args = [
            "--ping-interval",
            PING_INTERVAL,
            "--ping-timeout",
            PING_TIMEOUT,
            "--upgrade-timeout",
            UPGRADE_TIMEOUT,
        ];
        Self::Node(Box::new(ReferenceServer::eio(&args).await))
    }

    fn url(&self) -> String {
        match self {
            Self::Ours { url, .. } => url.clone(),
            Self::Node(reference) => reference.url(),
        }
    }

    /// Sends `texts` to the session, then closes it, as one step on the server.
    async fn send_and_close(&mut self, sid: &str, texts: &[&str]) {
        match self {
            Self::Ours { seen, .. } => {
                let socket = match next(seen).await {
                    Seen::Connect(socket) => socket,
                    other => panic!("expected the session to connect, saw {other:?}"),
                };
                assert_eq!(socket.id(), sid);
                for text in texts {
                    socket.send_text(text).expect("the session is open");
                }
                socket.close();
            }
            Self::Node(reference) => {
                let cmd = json!({"cmd": "sendAndClose", "sid": sid, "texts": texts});
                reference.events().command(cmd, TIMEOUT).await;
            }
        }
    }

    /// The reason the server gives for the session's end.
    async fn close_reason(&mut self, sid: &str) -> String {
        match self {
            Self::Ours { seen, .. } => match next(seen).await {
                Seen::Close(id, reason) if id == sid => reason.as_str().to_owned(),
                other => panic!("expected the session to close, saw {other:?}"),
            },
            Self::Node(reference) => {
                let closed = reference.expect("close", TIMEOUT).await;
                assert_eq!(closed["sid"], sid);
                closed["reason"].as_str().expect("a reason").to_owned()
            }
        }
    }
}

async fn next(seen: &mut mpsc::UnboundedReceiver<Seen>) -> Seen {
    tokio::time::timeout(TIMEOUT, seen.recv())
        .await
        .expect("a server event in time")
        .expect("server alive")
}

/// Opens a client whose upgrade packet is held, and waits until it is: returns the sid.
async fn open_held(client: &mut NodeDriver, target: &Target) -> String {
    let cmd = json!({"cmd": "open", "url": target.url(), "opts": {}, "holdUpgrade": true});
    client.command(cmd, TIMEOUT).await;
    let opened = client.expect("open", TIMEOUT).await;
    assert_eq!(opened["transport"], "polling");
    client.expect("upgradeHeld", TIMEOUT).await;
    opened["sid"].as_str().expect("a sid").to_owned()
}

/// The client's events up to its close (pings left out), shortened to what they tell.
async fn until_close(client: &mut NodeDriver) -> Vec<Value> {
    let mut events = Vec::new();
    loop {
        let event = client.next(TIMEOUT).await;
        let summary = match event["ev"].as_str() {
            Some("ping" | "ok") => continue,
            Some("message") => json!({"message": event["text"]}),
            Some("close") => json!({"close": event["reason"]}),
            Some(other) => json!({ other: event["message"] }),
            None => event,
        };
        let done = summary.get("close").is_some();
        events.push(summary);
        if done {
            return events;
        }
    }
}

/// The close reaches the server after the probe; then the client sends its upgrade packet.
async fn close_then_upgrade(mut target: Target) -> (Vec<Value>, String) {
    let mut client = NodeDriver::eio();
    let sid = open_held(&mut client, &target).await;
    target.send_and_close(&sid, &["bye 1", "bye 2"]).await;
    client
        .command(json!({"cmd": "releaseUpgrade"}), TIMEOUT)
        .await;
    let events = until_close(&mut client).await;
    let reason = target.close_reason(&sid).await;
    client.exit().await;
    (events, reason)
}

/// The close reaches the server after the probe; the client never sends its upgrade packet.
async fn close_without_upgrade(mut target: Target) -> Vec<Value> {
    let mut client = NodeDriver::eio();
    let sid = open_held(&mut client, &target).await;
    target.send_and_close(&sid, &["bye"]).await;
    // The server waits for the upgrade, up to upgradeTimeout.
    client.expect_no("close", millis(UPGRADE_TIMEOUT) / 2).await;
    let events = until_close(&mut client).await;
    client.exit().await;
    events
}

fn upgraded_then(rest: &[Value]) -> Vec<Value> {
    let mut events = vec![json!({"upgrade": null})];
    events.extend_from_slice(rest);
    events
}

#[tokio::test]
async fn close_after_the_probe_is_written_over_the_websocket_once_the_client_upgrades() {
    let expected = upgraded_then(&[
        json!({"message": "bye 1"}),
        json!({"message": "bye 2"}),
        json!({"close": "transport close"}),
    ]);
    let (node, node_reason) = close_then_upgrade(Target::node().await).await;
    assert_eq!(node, expected, "the Node reference");
    assert_eq!(node_reason, "forced close", "the Node reference");
    let (ours, our_reason) = close_then_upgrade(Target::ours().await).await;
    assert_eq!(ours, expected, "our server");
    assert_eq!(our_reason, "forced close", "our server");
}

#[tokio::test]
async fn close_after_the_probe_ends_at_the_upgrade_timeout_when_the_client_never_upgrades() {
    // The WebSocket, which the client already uses, closes at upgradeTimeout; what was
    // queued stays on polling, which the client has left.
    let expected = upgraded_then(&[json!({"close": "transport close"})]);
    let node = close_without_upgrade(Target::node().await).await;
    assert_eq!(node, expected, "the Node reference");
    let ours = close_without_upgrade(Target::ours().await).await;
    assert_eq!(ours, expected, "our server");
}
