//! The conformance server: a plain Engine.IO echo server on `/engine.io/` and a Socket.IO
//! server on `/socket.io/`, on one port, with the timings of the protocol test suites
//! (see the library, `conformance_server`).
//!
//! `cargo run -p conformance-server -- --port 3000 [--allow-eio3] [--parser default|msgpack]`
//!
//! `--allow-eio3` serves Engine.IO v3 clients (Socket.IO v2) too; `--parser msgpack` speaks
//! `socket.io-msgpack-parser`; nothing else changes.

use conformance_server::Options;

fn args() -> Result<(u16, Options), String> {
    let mut args = std::env::args().skip(1);
    let (mut port, mut options) = (3000, Options::default());
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => {
                let value = args.next().ok_or("--port needs a value")?;
                port = value.parse().map_err(|_| format!("bad port: {value}"))?;
            }
            "--allow-eio3" => options.allow_eio3 = true,
            "--parser" => options.parser = args.next().ok_or("--parser needs a value")?.parse()?,
            other => return Err(format!("unknown argument: {other}")),
        }
    }
    Ok((port, options))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (port, options) = args()?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening on http://{}", listener.local_addr()?);
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    conformance_server::serve_with(listener, options, stop).await?;
    Ok(())
}
