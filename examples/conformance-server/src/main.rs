//! The conformance server: a plain Engine.IO echo server on `/engine.io/` and a Socket.IO
//! server on `/socket.io/`, on one port, with the timings of the protocol test suites
//! (see the library, `conformance_server`).
//!
//! `cargo run -p conformance-server -- --port 3000`

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
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening on http://{}", listener.local_addr()?);
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    conformance_server::serve(listener, stop).await?;
    Ok(())
}
