//! End-to-end: the official `engine.io-client` 3.x (the Engine.IO v3 client of Socket.IO v2,
//! installed as `engine.io-client-v3`) against our Engine.IO server with `allow_eio3`.

use std::time::Duration;

use e2e::{b64, from_b64, http, NodeDriver, TIMEOUT};
use engineio::packet::Message;
use engineio::server::{serve, Builder, EngineIo, Handler, Socket};
use engineio::{DisconnectReason, Protocol};
use serde_json::{json, Value};
use tokio::sync::mpsc;

/// What the server saw.
#[derive(Debug, PartialEq)]
enum Seen {
    Connect(String, Protocol),
    Upgrade(String),
    Close(String, DisconnectReason),
}

/// Echoes every message as it came; `close me` makes the server close the session.
struct Echo(mpsc::UnboundedSender<Seen>);

impl Handler for Echo {
    type Connection = Socket;
    fn on_connect(&self, socket: Socket) -> Socket {
        let _ = self
            .0
            .send(Seen::Connect(socket.id().to_owned(), socket.protocol()));
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
    addr: String,
    seen: mpsc::UnboundedReceiver<Seen>,
    engine: EngineIo<Echo>,
}

/// pingInterval 300 ms and pingTimeout 200 ms: a v3 client pings every 300 ms and the server
/// waits 500 ms for the next ping.
async fn start(allow_eio3: bool) -> Server {
    let (tx, seen) = mpsc::unbounded_channel();
    let engine = Builder::new()
        .ping_interval(Duration::from_millis(300))
        .ping_timeout(Duration::from_millis(200))
        .allow_eio3(allow_eio3)
        .build(Echo(tx));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    tokio::spawn(serve(listener, engine.clone()));
    Server {
        url: format!("http://{addr}"),
        addr,
        seen,
        engine,
    }
}

impl Server {
    async fn next(&mut self) -> Seen {
        tokio::time::timeout(TIMEOUT, self.seen.recv())
            .await
            .expect("a server event in time")
            .expect("server alive")
    }

    /// The connection of a v3 client, as the server saw it; returns its id.
    async fn connected(&mut self, opened: &Value) -> String {
        let sid = opened["sid"].as_str().expect("sid").to_owned();
        assert_eq!(self.next().await, Seen::Connect(sid.clone(), Protocol::V3));
        sid
    }
}

async fn open(client: &mut NodeDriver, server: &Server, opts: Value) -> Value {
    let cmd = json!({"cmd": "open", "url": server.url, "opts": opts});
    client.command(cmd, TIMEOUT).await;
    client.expect("open", TIMEOUT).await
}

/// Text (with characters outside ASCII and outside the BMP, which v3 lengths count in UTF-16
/// units) and every byte value, both ways, then a burst that shares payloads. (Not the empty
/// text: the v3 parser reads a message without data as `undefined`, on any server.)
async fn echo_text_and_binary(client: &mut NodeDriver) {
    for text in ["héllo ✓", "😀 x 😀"] {
        client.send(json!({"cmd": "send", "text": text})).await;
        let echoed = client.expect("message", TIMEOUT).await;
        assert_eq!(echoed, json!({"ev": "message", "text": text}));
    }
    let bytes: Vec<u8> = (0..=255).collect();
    client
        .send(json!({"cmd": "send", "binary": b64(&bytes)}))
        .await;
    let echoed = client.expect("message", TIMEOUT).await;
    assert_eq!(
        from_b64(echoed["binary"].as_str().expect("binary echo")),
        bytes
    );
    for i in 0..10 {
        let cmd = match i % 2 {
            0 => json!({"cmd": "send", "text": format!("m{i}")}),
            _ => json!({"cmd": "send", "binary": b64(&[i; 3])}),
        };
        client.send(cmd).await;
    }
    for i in 0..10u8 {
        let echoed = client.expect("message", TIMEOUT).await;
        match i % 2 {
            0 => assert_eq!(echoed["text"], format!("m{i}")),
            _ => assert_eq!(from_b64(echoed["binary"].as_str().expect("binary")), [i; 3]),
        }
    }
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

/// Polling in base64 (`b64=1`), as engine.io-client 3.x always polls under Node (its
/// XMLHttpRequest has no binary responses), with and without `forceBase64`.
#[tokio::test]
async fn polling_base64() {
    for force_base64 in [false, true] {
        let mut server = start(true).await;
        let mut client = NodeDriver::eio_v3();
        let opts = json!({"transports": ["polling"], "forceBase64": force_base64});
        let opened = open(&mut client, &server, opts).await;
        assert_eq!(opened["transport"], "polling");
        let sid = server.connected(&opened).await;
        echo_text_and_binary(&mut client).await;
        client_close_is_transport_close(&mut client, &mut server, &sid).await;
    }
}

/// Binary polling payloads both ways, as engine.io-client 3.x sends and reads them in a
/// browser: written and read by the client's own parser (engine.io-parser 2.x).
#[tokio::test]
async fn polling_binary_payloads_with_the_v3_parser() {
    let mut server = start(true).await;
    let mut client = NodeDriver::spawn("eio3-binary-polling.mjs", &[]);
    let bytes: Vec<u8> = (0..=255).collect();
    let messages = json!([{"text": "héllo 😀"}, {"binary": b64(&bytes)}, {"text": "x"}]);
    let url = format!("{}/engine.io/", server.url);
    client
        .send(json!({"cmd": "run", "url": url, "messages": messages}))
        .await;
    let opened = client.expect("open", TIMEOUT).await;
    assert_eq!(opened["contentType"], "text/plain; charset=UTF-8");
    server.connected(&opened).await;
    let posted = client.expect("posted", TIMEOUT).await;
    assert_eq!(
        (posted["status"].as_u64(), posted["body"].as_str()),
        (Some(200), Some("ok"))
    );
    let mut echoed = Vec::new();
    while echoed.len() < 3 {
        let payload = client.expect("payload", TIMEOUT).await;
        let packets = payload["packets"].as_array().expect("packets").clone();
        if packets.iter().any(|p| p.get("binary").is_some()) {
            assert_eq!(payload["contentType"], "application/octet-stream");
        }
        echoed.extend(packets.into_iter().filter(|p| p["type"] == "message"));
    }
    assert_eq!(
        echoed,
        [
            json!({"type": "message", "text": "héllo 😀"}),
            json!({"type": "message", "binary": b64(&bytes)}),
            json!({"type": "message", "text": "x"}),
        ]
    );
}

#[tokio::test]
async fn websocket_binary_and_base64() {
    for force_base64 in [false, true] {
        let mut server = start(true).await;
        let mut client = NodeDriver::eio_v3();
        let opts = json!({"transports": ["websocket"], "forceBase64": force_base64});
        let opened = open(&mut client, &server, opts).await;
        assert_eq!(opened["transport"], "websocket");
        assert_eq!(opened["handshake"]["upgrades"], json!([]));
        let sid = server.connected(&opened).await;
        echo_text_and_binary(&mut client).await;
        client_close_is_transport_close(&mut client, &mut server, &sid).await;
    }
}

#[tokio::test]
async fn polling_upgraded_to_websocket() {
    let mut server = start(true).await;
    let mut client = NodeDriver::eio_v3();
    let opts = json!({"transports": ["polling", "websocket"]});
    let opened = open(&mut client, &server, opts).await;
    assert_eq!(opened["transport"], "polling");
    let sid = server.connected(&opened).await;
    // Messages sent while the upgrade runs arrive once each, in order.
    for i in 0..20 {
        let text = format!("m{i}");
        client.send(json!({"cmd": "send", "text": text})).await;
    }
    for i in 0..20 {
        let echoed = client.expect("message", TIMEOUT).await;
        assert_eq!(echoed["text"], format!("m{i}"));
    }
    let upgraded = client.expect("upgrade", TIMEOUT).await;
    assert_eq!(upgraded["transport"], "websocket");
    assert_eq!(server.next().await, Seen::Upgrade(sid.clone()));
    echo_text_and_binary(&mut client).await;
    client_close_is_transport_close(&mut client, &mut server, &sid).await;
}

/// The client pings every pingInterval and the server answers each with a pong, on either
/// transport; the session outlives many timeouts.
#[tokio::test]
async fn client_pings_are_answered() {
    for transports in [json!(["polling"]), json!(["websocket"])] {
        let mut server = start(true).await;
        let mut client = NodeDriver::eio_v3();
        let opened = open(&mut client, &server, json!({"transports": transports})).await;
        server.connected(&opened).await;
        for _ in 0..5 {
            client.expect("pong", TIMEOUT).await;
        }
        client.expect_no("close", Duration::from_millis(600)).await;
        assert_eq!(server.engine.session_count(), 1, "{transports}");
    }
}

#[tokio::test]
async fn server_close_is_seen_by_the_client() {
    for transports in [json!(["polling"]), json!(["websocket"])] {
        let mut server = start(true).await;
        let mut client = NodeDriver::eio_v3();
        let opened = open(&mut client, &server, json!({"transports": transports})).await;
        let sid = server.connected(&opened).await;
        client
            .send(json!({"cmd": "send", "text": "close me"}))
            .await;
        let closed = client.expect("close", TIMEOUT).await;
        assert_eq!(closed["reason"], "transport close", "{transports}");
        assert_eq!(
            server.next().await,
            Seen::Close(sid, DisconnectReason::ForcedClose)
        );
    }
}

/// A v3 client that never pings is dropped after pingInterval + pingTimeout, with
/// `ping timeout` (a bare handshake: the official client always pings).
#[tokio::test]
async fn a_silent_v3_client_times_out() {
    let mut server = start(true).await;
    let target = "/engine.io/?EIO=3&transport=polling";
    let response = http::request(&server.addr, "GET", target, &[], "").await;
    assert_eq!(response.status, 200);
    // `<length>:0{...}`: the v3 framing of the open packet.
    let (length, open) = response.body.split_once(':').expect("a v3 payload");
    assert_eq!(
        length.parse::<usize>().ok(),
        Some(open.encode_utf16().count())
    );
    let open: Value = serde_json::from_str(&open[1..]).expect("open packet");
    let sid = open["sid"].as_str().expect("sid").to_owned();
    assert_eq!(
        server.next().await,
        Seen::Connect(sid.clone(), Protocol::V3)
    );
    let started = tokio::time::Instant::now();
    assert_eq!(
        server.next().await,
        Seen::Close(sid, DisconnectReason::PingTimeout)
    );
    assert!(
        started.elapsed() >= Duration::from_millis(450),
        "{:?}",
        started.elapsed()
    );
}

/// Without `allow_eio3` (the default) a v3 handshake is refused with code 5 on polling and
/// WebSocket, and the official v3 client reports the failure.
#[tokio::test]
async fn v3_clients_are_refused_by_default() {
    let mut server = start(false).await;
    let target = "/engine.io/?EIO=3&transport=polling";
    let response = http::request(&server.addr, "GET", target, &[], "").await;
    assert_eq!(response.status, 400);
    assert_eq!(
        serde_json::from_str::<Value>(&response.body).expect("JSON"),
        json!({"code": 5, "message": "Unsupported protocol version"})
    );
    for transports in [json!(["polling"]), json!(["websocket"])] {
        let mut client = NodeDriver::eio_v3();
        let cmd = json!({"cmd": "open", "url": server.url, "opts": {"transports": transports}});
        client.command(cmd, TIMEOUT).await;
        let error = client.expect("error", TIMEOUT).await;
        assert!(
            error["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{error}"
        );
        client.expect_no("open", Duration::from_millis(300)).await;
    }
    assert_eq!(server.engine.session_count(), 0);
    assert!(server.seen.try_recv().is_err(), "no session started");
}
