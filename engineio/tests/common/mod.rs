//! Shared helpers of the service tests: in-memory requests and a recording handler.
#![allow(dead_code, unreachable_pub)]

pub mod net;

use std::time::Duration;

use bytes::Bytes;
use engineio::packet::Message;
use engineio::server::{Builder, EngineIo, Handler, SendOptions, Socket};
use engineio::DisconnectReason;
use http::{Method, Request, Response};
use http_body_util::{BodyExt, Full};
use tokio::sync::mpsc;

/// What the handler saw.
#[derive(Debug, Clone, PartialEq)]
pub enum Seen {
    Connect(String),
    Message(String, Message),
    Close(String, DisconnectReason),
    Upgrade(String),
}

/// Records every callback; echoes messages starting with "echo", and those starting with
/// "plain" with `compress(false)`.
pub struct Recorder(pub mpsc::UnboundedSender<Seen>);

impl Handler for Recorder {
    type Connection = Socket;
    fn on_connect(&self, socket: Socket) -> Socket {
        let _ = self.0.send(Seen::Connect(socket.id().to_owned()));
        socket
    }
    fn on_message(&self, socket: &mut Socket, message: Message) {
        if let Message::Text(text) = &message {
            if text.as_str().starts_with("echo") {
                let _ = socket.send(message.clone());
            }
            if text.as_str().starts_with("plain") {
                let options = SendOptions::default().compress(false);
                let _ = socket.send_with([message.clone()], options);
            }
            if text.as_str() == "close me" {
                socket.close();
            }
        }
        let _ = self.0.send(Seen::Message(socket.id().to_owned(), message));
    }
    fn on_close(&self, socket: Socket, reason: DisconnectReason) {
        let _ = self.0.send(Seen::Close(socket.id().to_owned(), reason));
    }
    fn on_upgrade(&self, socket: &mut Socket) {
        let _ = self.0.send(Seen::Upgrade(socket.id().to_owned()));
    }
}

pub type Server = EngineIo<Recorder>;

/// A server with short timings, and the receiver of its handler's events.
pub fn server(builder: Builder) -> (Server, mpsc::UnboundedReceiver<Seen>) {
    let (tx, rx) = mpsc::unbounded_channel();
    (builder.build(Recorder(tx)), rx)
}

pub fn fast() -> Builder {
    Builder::new()
        .ping_interval(Duration::from_millis(300))
        .ping_timeout(Duration::from_millis(200))
}

/// `fast()` with the origin check of docs/security.md: only `https://app.example` may open a
/// session; others are refused with "origin not allowed".
pub fn origin_checked() -> Builder {
    fast().allow_request(|handshake| {
        let allowed = handshake
            .headers
            .get(http::header::ORIGIN)
            .is_some_and(|origin| origin == "https://app.example");
        async move {
            allowed
                .then_some(())
                .ok_or_else(|| "origin not allowed".to_owned())
        }
    })
}

/// A WebSocket handshake request for `/engine.io/?{query}`, as `handle` gets it in memory.
pub fn ws_request(query: &str) -> Request<Full<Bytes>> {
    use http::header;
    Request::get(format!("/engine.io/?{query}"))
        .header(header::UPGRADE, "websocket")
        .header(header::CONNECTION, "Upgrade")
        .header(header::SEC_WEBSOCKET_VERSION, "13")
        .header(header::SEC_WEBSOCKET_KEY, "dGhlIHNhbXBsZSBub25jZQ==")
        .body(Full::new(Bytes::new()))
        .unwrap()
}

pub struct Reply {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: String,
}

pub async fn reply(response: Response<Full<Bytes>>) -> Reply {
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("full body").to_bytes();
    Reply {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

pub async fn request(server: &Server, method: Method, uri: &str, body: &str) -> Reply {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .body(Full::new(Bytes::copy_from_slice(body.as_bytes())))
        .expect("request");
    reply(server.handle(request).await).await
}

pub async fn get(server: &Server, query: &str) -> Reply {
    request(server, Method::GET, &format!("/engine.io/?{query}"), "").await
}

pub async fn post(server: &Server, query: &str, body: &str) -> Reply {
    request(server, Method::POST, &format!("/engine.io/?{query}"), body).await
}

/// Opens a polling session and returns its sid.
pub async fn open(server: &Server) -> String {
    let reply = get(server, "EIO=4&transport=polling").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let open: serde_json::Value =
        serde_json::from_str(reply.body.strip_prefix('0').expect("open packet")).expect("json");
    open["sid"].as_str().expect("sid").to_owned()
}

pub fn poll_query(sid: &str) -> String {
    format!("EIO=4&transport=polling&sid={sid}")
}

/// The next event, failing after a while of (paused) time.
pub async fn next(rx: &mut mpsc::UnboundedReceiver<Seen>) -> Seen {
    tokio::time::timeout(Duration::from_secs(60), rx.recv())
        .await
        .expect("an event in time")
        .expect("server alive")
}

/// Asserts the JSON error body and status of a refused request.
pub fn assert_error(reply: &Reply, status: u16, code: u8, message: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    let json: serde_json::Value = serde_json::from_str(&reply.body).expect("json error");
    assert_eq!(
        json,
        serde_json::json!({ "code": code, "message": message })
    );
    assert_eq!(reply.headers["content-type"], "application/json");
}
