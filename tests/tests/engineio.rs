//! End-to-end: the official `engine.io-client` under Node against our Engine.IO server.

use std::time::Duration;

use e2e::{b64, from_b64, NodeDriver, TIMEOUT};
use engineio::packet::Message;
use engineio::server::{serve, Builder, Cors, EngineIo, Handler, Socket};
use engineio::DisconnectReason;
use serde_json::{json, Value};
use tokio::sync::mpsc;

/// What the server saw.
#[derive(Debug, PartialEq)]
enum Seen {
    Connect(String),
    Upgrade(String),
    Close(String, DisconnectReason),
}

/// Echoes every message as it came; `close me` makes the server close the session.
struct Echo(mpsc::UnboundedSender<Seen>);

impl Handler for Echo {
    type Connection = Socket;
    fn on_connect(&self, socket: Socket) -> Socket {
        let _ = self.0.send(Seen::Connect(socket.id().to_owned()));
        socket
    }
    fn on_message(&self, socket: &mut Socket, message: Message) {
        match &message {
            Message::Text(text) if text.as_str() == "close me" => socket.close(),
            _ => {
                let _ = socket.send(message);
            }
        }
    }
    fn on_close(&self, socket: Socket, reason: DisconnectReason) {
        let _ = self.0.send(Seen::Close(socket.id().to_owned(), reason));
    }
    fn on_upgrade(&self, socket: &mut Socket) {
        let _ = self.0.send(Seen::Upgrade(socket.id().to_owned()));
    }
}

struct Server {
    url: String,
    seen: mpsc::UnboundedReceiver<Seen>,
    engine: EngineIo<Echo>,
}

/// The conformance settings: pingInterval 300 ms, pingTimeout 200 ms, CORS open.
async fn start() -> Server {
    let (tx, seen) = mpsc::unbounded_channel();
    let engine = Builder::new()
        .ping_interval(Duration::from_millis(300))
        .ping_timeout(Duration::from_millis(200))
        .cors(Cors::any())
        .build(Echo(tx));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(serve(listener, engine.clone()));
    Server { url, seen, engine }
}

impl Server {
    async fn next(&mut self) -> Seen {
        tokio::time::timeout(TIMEOUT, self.seen.recv())
            .await
            .expect("a server event in time")
            .expect("server alive")
    }
}

async fn open(client: &mut NodeDriver, server: &Server, opts: Value) -> Value {
    let cmd = json!({"cmd": "open", "url": server.url, "opts": opts});
    client.command(cmd, TIMEOUT).await;
    client.expect("open", TIMEOUT).await
}

async fn echo_text_and_binary(client: &mut NodeDriver) {
    client.send(json!({"cmd": "send", "text": "héllo ✓"})).await;
    let echoed = client.expect("message", TIMEOUT).await;
    assert_eq!(echoed, json!({"ev": "message", "text": "héllo ✓"}));
    let bytes: Vec<u8> = (0..=255).collect();
    client
        .send(json!({"cmd": "send", "binary": b64(&bytes)}))
        .await;
    let echoed = client.expect("message", TIMEOUT).await;
    assert_eq!(
        from_b64(echoed["binary"].as_str().expect("binary echo")),
        bytes
    );
}

async fn client_close_is_transport_close(client: &mut NodeDriver, server: &mut Server, sid: &str) {
    client.command(json!({"cmd": "close"}), TIMEOUT).await;
    let closed = client.expect("close", TIMEOUT).await;
    assert_eq!(closed["reason"], "forced close");
    assert_eq!(
        server.next().await,
        Seen::Close(sid.to_owned(), DisconnectReason::TransportClose)
    );
}

#[tokio::test]
async fn polling_only() {
    let mut server = start().await;
    let mut client = NodeDriver::eio();
    let opened = open(&mut client, &server, json!({"transports": ["polling"]})).await;
    assert_eq!(opened["transport"], "polling");
    let sid = opened["sid"].as_str().expect("sid").to_owned();
    assert_eq!(server.next().await, Seen::Connect(sid.clone()));
    echo_text_and_binary(&mut client).await;
    client_close_is_transport_close(&mut client, &mut server, &sid).await;
}

#[tokio::test]
async fn websocket_only() {
    let mut server = start().await;
    let mut client = NodeDriver::eio();
    let opened = open(&mut client, &server, json!({"transports": ["websocket"]})).await;
    assert_eq!(opened["transport"], "websocket");
    assert_eq!(opened["handshake"]["upgrades"], json!([]));
    let sid = opened["sid"].as_str().expect("sid").to_owned();
    assert_eq!(server.next().await, Seen::Connect(sid.clone()));
    echo_text_and_binary(&mut client).await;
    client_close_is_transport_close(&mut client, &mut server, &sid).await;
}

#[tokio::test]
async fn polling_upgraded_to_websocket() {
    let mut server = start().await;
    let mut client = NodeDriver::eio();
    let opened = open(
        &mut client,
        &server,
        json!({"transports": ["polling", "websocket"]}),
    )
    .await;
    assert_eq!(opened["transport"], "polling");
    let sid = opened["sid"].as_str().expect("sid").to_owned();
    // Messages sent while the upgrade runs arrive once each, in order.
    for i in 0..20 {
        client
            .send(json!({"cmd": "send", "text": format!("m{i}")}))
            .await;
    }
    for i in 0..20 {
        let echoed = client.expect("message", TIMEOUT).await;
        assert_eq!(echoed["text"], format!("m{i}"));
    }
    let upgraded = client.expect("upgrade", TIMEOUT).await;
    assert_eq!(upgraded["transport"], "websocket");
    assert_eq!(server.next().await, Seen::Connect(sid.clone()));
    assert_eq!(server.next().await, Seen::Upgrade(sid.clone()));
    echo_text_and_binary(&mut client).await;
    client_close_is_transport_close(&mut client, &mut server, &sid).await;
    assert!(client.take_backlog().iter().all(|e| e["ev"] != "message"));
}

#[tokio::test]
async fn idle_client_stays_alive_across_ping_intervals() {
    for transports in [json!(["polling"]), json!(["websocket"])] {
        let mut server = start().await;
        let mut client = NodeDriver::eio();
        open(&mut client, &server, json!({"transports": transports})).await;
        for _ in 0..6 {
            client.expect("ping", TIMEOUT).await;
        }
        client.expect_no("close", Duration::from_millis(400)).await;
        assert!(matches!(server.next().await, Seen::Connect(_)));
        assert_eq!(server.engine.session_count(), 1);
    }
}

#[tokio::test]
async fn server_close_is_seen_by_the_client() {
    for transports in [json!(["polling"]), json!(["websocket"])] {
        let mut server = start().await;
        let mut client = NodeDriver::eio();
        let opened = open(&mut client, &server, json!({"transports": transports})).await;
        let sid = opened["sid"].as_str().expect("sid").to_owned();
        client
            .send(json!({"cmd": "send", "text": "close me"}))
            .await;
        let closed = client.expect("close", TIMEOUT).await;
        assert_eq!(closed["reason"], "transport close", "{transports}");
        assert_eq!(server.next().await, Seen::Connect(sid.clone()));
        assert_eq!(
            server.next().await,
            Seen::Close(sid, DisconnectReason::ForcedClose)
        );
    }
}

#[tokio::test]
async fn server_shutdown_reaches_every_client() {
    let mut server = start().await;
    let mut polling = NodeDriver::eio();
    let mut websocket = NodeDriver::eio();
    open(&mut polling, &server, json!({"transports": ["polling"]})).await;
    open(
        &mut websocket,
        &server,
        json!({"transports": ["websocket"]}),
    )
    .await;
    server.next().await;
    server.next().await;
    server.engine.close();
    assert_eq!(
        polling.expect("close", TIMEOUT).await["reason"],
        "transport close"
    );
    assert_eq!(
        websocket.expect("close", TIMEOUT).await["reason"],
        "transport close"
    );
    for _ in 0..2 {
        assert!(matches!(
            server.next().await,
            Seen::Close(_, DisconnectReason::ServerShuttingDown)
        ));
    }
}
