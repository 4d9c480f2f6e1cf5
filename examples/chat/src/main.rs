//! A chat server with its own web page, on the in-memory adapter.
//!
//! `scripts/chat` (installs the browser client from npm, then runs this) or
//! `cargo run --release -p chat -- --port 3000`, then open http://127.0.0.1:3000.

mod events;
mod room;
mod web;

use std::convert::Infallible;

use engineio::server::RemoteAddr;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use socketio::server::SocketIo;

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
    let site = web::Site::load()?;
    let io = SocketIo::new();
    events::register(&io, room::Chat::default());
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("chat on http://{}", listener.local_addr()?);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => accepted?,
            _ = tokio::signal::ctrl_c() => break,
        };
        let (io, site) = (io.clone(), site.clone());
        let service = service_fn(move |mut request: http::Request<Incoming>| {
            request.extensions_mut().insert(RemoteAddr(peer));
            let (io, site) = (io.clone(), site.clone());
            async move {
                let response = match io.matches(&request) {
                    true => io.handle(request).await,
                    false => site.serve(request.uri().path()),
                };
                Ok::<_, Infallible>(response)
            }
        });
        tokio::spawn(async move {
            let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
            let _ = connection.with_upgrades().await;
        });
    }
    io.close().await;
    Ok(())
}
