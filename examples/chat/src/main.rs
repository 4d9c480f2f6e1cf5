//! A chat server with its own web page, on the in-memory adapter.
//!
//! `scripts/chat` (installs the browser client from npm, then runs this) or
//! `cargo run --release -p chat -- --port 3000`, then open http://127.0.0.1:3000.

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
    let site = chat::Site::load()?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("chat on http://{}", listener.local_addr()?);
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let io = chat::start().map_err(|e| format!("{e}; run scripts/chat, which installs it"))?;
    chat::serve(listener, io, site, stop).await?;
    Ok(())
}
