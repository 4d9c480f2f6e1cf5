//! The server of the load benchmarks, with the behaviour every compared server shares:
//! `echo` answers the sender with the same arguments, `broadcast` goes to every other socket
//! of the main namespace.
//!
//! `cargo run --release -p bench-server -- --port 3000 [--parser msgpack]`

use socketio::server::{serve, Event, Socket, SocketIo};
use socketio::MsgpackParser;

/// The port, and whether the server speaks the msgpack parser (`--parser msgpack`) rather
/// than the default one (`--parser default`).
fn options() -> Result<(u16, bool), String> {
    let mut args = std::env::args().skip(1);
    let (mut port, mut msgpack) = (3000, false);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => {
                let value = args.next().ok_or("--port needs a value")?;
                port = value.parse().map_err(|_| format!("bad port: {value}"))?;
            }
            "--parser" => match args.next().as_deref() {
                Some("default") => msgpack = false,
                Some("msgpack") => msgpack = true,
                other => return Err(format!("--parser: default or msgpack, not {other:?}")),
            },
            other => return Err(format!("unknown argument: {other}")),
        }
    }
    Ok((port, msgpack))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (port, msgpack) = options()?;
    // One worker thread: the benchmark pins the server to one core.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let io = match msgpack {
            true => SocketIo::builder().parser(MsgpackParser).build(),
            false => SocketIo::new(),
        };
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
