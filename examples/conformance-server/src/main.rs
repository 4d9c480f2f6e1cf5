//! A plain Engine.IO echo server for conformance runs: every message goes back as it came.
//!
//! `cargo run -p conformance-server -- --port 3000`

use std::time::Duration;

use engineio::packet::Message;
use engineio::server::{serve, Builder, Cors, Handler, Socket};
use engineio::DisconnectReason;

struct Echo;

impl Handler for Echo {
    type Connection = Socket;

    fn on_connect(&self, socket: Socket) -> Socket {
        socket
    }

    fn on_message(&self, socket: &mut Socket, message: Message) {
        let _ = socket.send(message);
    }

    fn on_close(&self, _socket: Socket, _reason: DisconnectReason) {}
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

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port = port()?;
    let engine = Builder::new()
        .ping_interval(Duration::from_millis(300))
        .ping_timeout(Duration::from_millis(200))
        .max_payload(1_000_000)
        .cors(Cors::any())
        .build(Echo);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening on http://{}", listener.local_addr()?);
    serve(listener, engine).await?;
    Ok(())
}
