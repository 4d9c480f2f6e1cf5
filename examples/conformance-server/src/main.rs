//! The conformance server: a plain Engine.IO echo server on `/engine.io/` and a Socket.IO
//! server on `/socket.io/`, on one port, with the timings of the protocol test suites
//! (see the library, `conformance_server`).
//!
//! `cargo run -p conformance-server -- --port 3000 [--parser default|msgpack]`

use conformance_server::ParserName;

/// The listening port and the Socket.IO parser.
fn options() -> Result<(u16, ParserName), String> {
    let mut args = std::env::args().skip(1);
    let (mut port, mut parser) = (3000, ParserName::Default);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => {
                let value = args.next().ok_or("--port needs a value")?;
                port = value.parse().map_err(|_| format!("bad port: {value}"))?;
            }
            "--parser" => parser = args.next().ok_or("--parser needs a value")?.parse()?,
            other => return Err(format!("unknown argument: {other}")),
        }
    }
    Ok((port, parser))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (port, parser) = options()?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening on http://{}", listener.local_addr()?);
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    conformance_server::serve_with(listener, stop, parser).await?;
    Ok(())
}
