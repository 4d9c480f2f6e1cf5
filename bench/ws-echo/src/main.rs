//! The ceiling of the load benchmarks: a bare WebSocket echo server on the same WebSocket crate
//! as ours (tokio-tungstenite 0.30), one tokio worker thread like `bench-server`.
//!
//! `cargo run --release -p ws-echo -- --port 3000`
//!
//! It answers just enough of the Engine.IO/Socket.IO handshake for the load generator to talk
//! to it unchanged: the open packet `0{...}` on connection and `40{"sid":...}` for the client's
//! `40`. Every other text or binary frame is sent back as it came, so `42["echo",x]` is
//! answered by `42["echo",x]`, which is what a Socket.IO server answering `echo` with the same
//! arguments sends too. There is no heartbeat, no namespace, no parsing: only frames.
//!
//! Replies are queued while more frames are already readable and flushed once the socket would
//! block, so a client with several messages in flight gets them back in as few writes as the
//! WebSocket layer allows.

use futures_util::{FutureExt, SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::{Error, Message};

/// The Engine.IO open packet: the ping interval is the protocol's default; no ping is sent.
const OPEN: &str = r#"0{"sid":"bare","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;
/// The Socket.IO CONNECT answer for the main namespace.
const CONNECTED: &str = r#"40{"sid":"bare"}"#;

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

/// The reply to one frame from the client, if any.
fn reply(message: Message) -> Option<Message> {
    match message {
        Message::Text(text) if text.as_str() == "40" => Some(Message::text(CONNECTED)),
        Message::Text(_) | Message::Binary(_) => Some(message),
        // Pings are answered by tungstenite itself; a close ends the loop below.
        Message::Ping(_) | Message::Pong(_) | Message::Close(_) | Message::Frame(_) => None,
    }
}

/// Serves one connection until the client closes it or an error occurs.
async fn connection(stream: TcpStream) -> Result<(), Error> {
    let _ = stream.set_nodelay(true);
    let mut ws = tokio_tungstenite::accept_async(stream).await?;
    ws.send(Message::text(OPEN)).await?;
    loop {
        // Flush what was queued only when no frame is readable right away.
        let next = match ws.next().now_or_never() {
            Some(next) => next,
            None => {
                ws.flush().await?;
                ws.next().await
            }
        };
        let Some(message) = next else {
            return Ok(());
        };
        let message = message?;
        if message.is_close() {
            return Ok(());
        }
        if let Some(answer) = reply(message) {
            ws.feed(answer).await?;
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port = port()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        println!(
            "ws-echo on ws://{} (pid {})",
            listener.local_addr()?,
            std::process::id()
        );
        loop {
            let (stream, _) = listener.accept().await?;
            tokio::spawn(async move {
                let _ = connection(stream).await;
            });
        }
    })
}
