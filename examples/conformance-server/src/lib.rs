//! The conformance server as a library, so that tests run it in-process exactly as it ships.
//!
//! One listener serves a plain Engine.IO echo server on `/engine.io/` ([`engine_io`]) and a
//! Socket.IO server on `/socket.io/` ([`socket_io`]), both with the timings of the protocol
//! test suites: pingInterval 300 ms, pingTimeout 200 ms, maxPayload 1,000,000 bytes, CORS open
//! to any origin; Socket.IO adds connectTimeout 1000 ms. The Socket.IO server speaks the
//! default parser, or with [`ParserName::Msgpack`] the one of `socket.io-msgpack-parser`
//! (`--parser msgpack`), with the same behaviour.

use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use engineio::packet::Message;
use engineio::server::Socket as EngineSocket;
use engineio::server::{serve_with_shutdown, Builder, Cors, EngineIo, Handler};
use engineio::DisconnectReason;
use hyper::body::Incoming;
use hyper::service::service_fn;
use socketio::server::{Event, Socket, SocketIo};
use socketio::{JsonParser, MsgpackParser};

const PING_INTERVAL: Duration = Duration::from_millis(300);
const PING_TIMEOUT: Duration = Duration::from_millis(200);
const MAX_PAYLOAD: usize = 1_000_000;
const CONNECT_TIMEOUT: Duration = Duration::from_millis(1000);

/// The Engine.IO handler of `/engine.io/`: every message goes back as it came (text as text,
/// binary as binary).
#[derive(Debug, Clone, Copy, Default)]
pub struct Echo;

impl Handler for Echo {
    type Connection = EngineSocket;

    fn on_connect(&self, socket: EngineSocket) -> EngineSocket {
        socket
    }

    fn on_message(&self, socket: &mut EngineSocket, message: Message) {
        let _ = socket.send(message);
    }

    fn on_close(&self, _socket: EngineSocket, _reason: DisconnectReason) {}
}

/// The plain Engine.IO echo server of `/engine.io/`.
pub fn engine_io() -> EngineIo<Echo> {
    Builder::new()
        .ping_interval(PING_INTERVAL)
        .ping_timeout(PING_TIMEOUT)
        .max_payload(MAX_PAYLOAD)
        .cors(Cors::any())
        .build(Echo)
}

/// The parser of the Socket.IO server, by the name `--parser` takes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ParserName {
    /// `socket.io-parser`'s text packets with binary attachments (`default`).
    #[default]
    Default,
    /// `socket.io-msgpack-parser`'s one binary message per packet (`msgpack`).
    Msgpack,
}

impl std::str::FromStr for ParserName {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, String> {
        match name {
            "default" => Ok(ParserName::Default),
            "msgpack" => Ok(ParserName::Msgpack),
            other => Err(format!("unknown parser {other:?} (default or msgpack)")),
        }
    }
}

/// The Socket.IO server of `/socket.io/` with the default parser (see [`socket_io_with`]).
pub fn socket_io() -> SocketIo {
    socket_io_with(ParserName::Default)
}

/// The Socket.IO server of `/socket.io/` on `parser`: `/` and `/custom` emit `auth` with the
/// CONNECT payload; `/` echoes `message` as `message-back` and acks `message-with-ack` with
/// the same arguments.
pub fn socket_io_with(parser: ParserName) -> SocketIo {
    let builder = SocketIo::builder()
        .ping_interval(PING_INTERVAL)
        .ping_timeout(PING_TIMEOUT)
        .max_payload(MAX_PAYLOAD)
        .connect_timeout(CONNECT_TIMEOUT)
        .cors(Cors::any());
    let io = match parser {
        ParserName::Default => builder.parser(JsonParser),
        ParserName::Msgpack => builder.parser(MsgpackParser),
    }
    .build();
    io.of("/").on_connection(|socket: Socket| {
        socket.emit("auth", &(socket.handshake().auth.clone(),));
        socket.on("message", |socket: &Socket, event: Event| {
            let _ = socket.emit_payload("message-back", event.payload().clone());
        });
        socket.on("message-with-ack", |_socket: &Socket, event: Event| {
            let args = event.payload().clone();
            if let Some(ack) = event.into_ack() {
                let _ = ack.send_payload(args);
            }
        });
    });
    io.of("/custom").on_connection(|socket: Socket| {
        socket.emit("auth", &(socket.handshake().auth.clone(),));
    });
    io
}

/// Serves both servers on `listener` until `stop` completes, then closes every session
/// (`server shutting down`); Socket.IO on the default parser.
pub async fn serve(
    listener: tokio::net::TcpListener,
    stop: impl Future<Output = ()>,
) -> std::io::Result<()> {
    serve_with(listener, stop, ParserName::Default).await
}

/// [`serve`], with the Socket.IO server on `parser`.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    stop: impl Future<Output = ()>,
    parser: ParserName,
) -> std::io::Result<()> {
    let (engine, io) = (engine_io(), socket_io_with(parser));
    let routes = {
        let (engine, io) = (engine.clone(), io.clone());
        service_fn(move |request: http::Request<Incoming>| {
            let (engine, io) = (engine.clone(), io.clone());
            async move {
                let response = match io.matches(&request) {
                    true => io.handle(request).await,
                    false => engine.handle(request).await,
                };
                Ok::<_, Infallible>(response)
            }
        })
    };
    let served = serve_with_shutdown(listener, routes, stop).await;
    engine.close();
    io.close().await;
    served
}
