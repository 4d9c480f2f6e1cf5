//! The conformance server: a plain Engine.IO echo server on `/engine.io/` and a Socket.IO
//! server on `/socket.io/`, on one port, with the timings of the protocol test suites.
//!
//! `cargo run -p conformance-server -- --port 3000`

use std::convert::Infallible;
use std::time::Duration;

use engineio::packet::Message;
use engineio::server::{Builder, Cors, Handler, RemoteAddr, Socket as EngineSocket};
use engineio::DisconnectReason;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use socketio::server::{Event, Socket, SocketIo};

struct Echo;

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

fn port() -> Result<u16, String> {
    let mut args = std::env::args().skip(1);
    let mut port = 3000;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => {
                let value = args.next().ok_or("--port needs a value")?;
                port = value.parse().map_err(|_| format!("bad port: {value}"))?;
            }
            other => return Err(format!("unknown argument: {other}")),
        }
    }
    Ok(port)
}

/// `/` and `/custom` emit `auth` with the CONNECT payload; `/` echoes `message` as
/// `message-back` and acks `message-with-ack` with the same arguments.
fn socket_io() -> SocketIo {
    let io = SocketIo::builder()
        .ping_interval(Duration::from_millis(300))
        .ping_timeout(Duration::from_millis(200))
        .max_payload(1_000_000)
        .connect_timeout(Duration::from_millis(1000))
        .cors(Cors::any())
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

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port = port()?;
    let engine = Builder::new()
        .ping_interval(Duration::from_millis(300))
        .ping_timeout(Duration::from_millis(200))
        .max_payload(1_000_000)
        .cors(Cors::any())
        .build(Echo);
    let io = socket_io();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening on http://{}", listener.local_addr()?);
    loop {
        let (stream, peer) = listener.accept().await?;
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
        tokio::spawn(async move {
            let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
            let _ = connection.with_upgrades().await;
        });
    }
}
