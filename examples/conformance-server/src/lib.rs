//! The conformance server as a library, so that tests run it in-process exactly as it ships.
//!
//! One listener serves a plain Engine.IO echo server on `/engine.io/` ([`engine_io`]) and a
//! Socket.IO server on `/socket.io/` ([`socket_io`]), both with the timings of the protocol
//! test suites: pingInterval 300 ms, pingTimeout 200 ms, maxPayload 1,000,000 bytes, CORS open
//! to any origin; Socket.IO adds connectTimeout 1000 ms.

use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use engineio::packet::Message;
use engineio::server::{Builder, Cors, EngineIo, Handler, RemoteAddr, Socket as EngineSocket};
use engineio::DisconnectReason;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use socketio::server::{Event, Socket, SocketIo};

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

/// The Socket.IO server of `/socket.io/`: `/` and `/custom` emit `auth` with the CONNECT
/// payload; `/` echoes `message` as `message-back` and acks `message-with-ack` with the same
/// arguments.
pub fn socket_io() -> SocketIo {
    socket_io_with(Options::default())
}

/// [`socket_io`] with these options.
pub fn socket_io_with(options: Options) -> SocketIo {
    let io = SocketIo::builder()
        .ping_interval(PING_INTERVAL)
        .ping_timeout(PING_TIMEOUT)
        .max_payload(MAX_PAYLOAD)
        .connect_timeout(CONNECT_TIMEOUT)
        .cors(Cors::any())
        .allow_eio3(options.allow_eio3)
        .build();
    io.of("/").on_connection(|socket: Socket| {
        let _ = socket.emit("auth", &(socket.handshake().auth.clone(),));
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
        let _ = socket.emit("auth", &(socket.handshake().auth.clone(),));
    });
    io
}

/// Serves both servers on `listener` until `stop` completes, then closes every session
/// (`server shutting down`).
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
    tokio::pin!(stop);
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => accepted?,
            () = &mut stop => break,
        };
        let (engine, io) = (engine.clone(), io.clone());
        let service = service_fn(move |mut request: http::Request<Incoming>| {
            request.extensions_mut().insert(RemoteAddr(peer));
            let (engine, io) = (engine.clone(), io.clone());
            async move {
                let response = match io.matches(&request) {
                    true => io.handle(request).await,
                    false => engine.handle(request).await,
                };
                Ok::<_, Infallible>(response)
            }
        });
        connections.spawn(async move {
            let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
            let _ = connection.with_upgrades().await;
        });
        // Finished connections are reaped as we go, so the set stays as large as what is open.
        while connections.try_join_next().is_some() {}
    }
    engine.close();
    io.close().await;
    drop(connections);
    Ok(())
}
