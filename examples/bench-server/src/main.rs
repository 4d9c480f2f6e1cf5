//! The server of the load benchmarks, with the behaviour every compared server shares:
//! `echo` answers the sender with the same arguments, `broadcast` goes to every other socket
//! of the main namespace.
//!
//! `cargo run --release -p bench-server -- --port 3000`

use socketio::server::{serve, Event, Socket, SocketIo};

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

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port = port()?;
    // One worker thread: the benchmark pins the server to one core.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let io = SocketIo::new();
        io.of("/").on_connection(|socket: Socket| {
            socket.on("echo", |socket: &Socket, event: Event| {
                socket.emit_payload("echo", event.payload().clone());
            });
            socket.on("broadcast", |socket: &Socket, event: Event| {
                socket
                    .broadcast()
                    .emit_payload("broadcast", event.payload().clone());
            });
        });
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        println!("bench-server on http://{}", listener.local_addr()?);
        serve(listener, io).await?;
        Ok(())
    })
}
