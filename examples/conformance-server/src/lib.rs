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

/// What the command line may change; everything else is the suites'.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// `--allow-eio3`: both servers also serve Engine.IO v3 clients (Socket.IO v2).
    pub allow_eio3: bool,
    /// `--parser`: the Socket.IO server's parser.
    pub parser: ParserName,
}

/// The plain Engine.IO echo server of `/engine.io/`.
pub fn engine_io() -> EngineIo<Echo> {
    engine_io_with(Options::default())
}

/// [`engine_io`] with these options.
pub fn engine_io_with(options: Options) -> EngineIo<Echo> {
    Builder::new()
        .ping_interval(PING_INTERVAL)
        .ping_timeout(PING_TIMEOUT)
        .max_payload(MAX_PAYLOAD)
        .cors(Cors::any())
        .allow_eio3(options.allow_eio3)
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

/// The Socket.IO server of `/socket.io/`: `/` and `/custom` emit `auth` with the CONNECT
/// payload; `/` echoes `message` as `message-back`, acks `message-with-ack` with the same
/// arguments, and acks `sleep-ack` and `sleep-use` (one number, `ms`) with `[ms]`: the first
/// from a handler that awaits a timer of `ms` milliseconds first, the second after an async
/// event middleware held it that long (at most 10 s either way).
pub fn socket_io() -> SocketIo {
    socket_io_with(Options::default())
}

/// [`socket_io`] with these options.
pub fn socket_io_with(options: Options) -> SocketIo {
    let builder = SocketIo::builder()
        .ping_interval(PING_INTERVAL)
        .ping_timeout(PING_TIMEOUT)
        .max_payload(MAX_PAYLOAD)
        .connect_timeout(CONNECT_TIMEOUT)
        .cors(Cors::any())
        .allow_eio3(options.allow_eio3);
    let io = match options.parser {
        ParserName::Default => builder.parser(JsonParser),
        ParserName::Msgpack => builder.parser(MsgpackParser),
    }
    .build();
    io.of("/").on_connection(|socket: Socket| {
        socket.emit("auth", &(socket.handshake().auth.clone(),));
        socket.on("message", |socket: &Socket, event: Event| {
            socket.emit_payload("message-back", event.payload().clone());
        });
        socket.on("message-with-ack", |_socket: &Socket, event: Event| {
            let args = event.payload().clone();
            if let Some(ack) = event.into_ack() {
                ack.send_payload(args);
            }
        });
        socket.on("sleep-ack", |_socket: Socket, event: Event| async move {
            let ms = sleep_ms(&event);
            tokio::time::sleep(Duration::from_millis(ms)).await;
            if let Some(ack) = event.into_ack() {
                ack.send(&ms);
            }
        });
        socket.use_middleware(|_socket: Socket, event: Event| async move {
            if event.name() == "sleep-use" {
                tokio::time::sleep(Duration::from_millis(sleep_ms(&event))).await;
            }
            Ok(())
        });
        socket.on("sleep-use", |_socket: &Socket, event: Event| {
            let ms = sleep_ms(&event);
            if let Some(ack) = event.into_ack() {
                ack.send(&ms);
            }
        });
    });
    io.of("/custom").on_connection(|socket: Socket| {
        socket.emit("auth", &(socket.handshake().auth.clone(),));
    });
    io
}

/// The `ms` of a `sleep-ack` or `sleep-use`, at most 10 s.
fn sleep_ms(event: &Event) -> u64 {
    event.arg::<u64>(0).unwrap_or(0).min(10_000)
}

/// Serves both servers on `listener` until `stop` completes, then closes every session
/// (`server shutting down`); Socket.IO on the default parser.
pub async fn serve(
    listener: tokio::net::TcpListener,
    stop: impl Future<Output = ()>,
) -> std::io::Result<()> {
    serve_with(listener, Options::default(), stop).await
}

/// [`serve`] with these options.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    options: Options,
    stop: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let (engine, io) = (engine_io_with(options), socket_io_with(options));
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
