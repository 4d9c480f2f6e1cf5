//! socketioxide (from crates.io) with the behaviour every server of the load benchmarks
//! shares: `echo` answers the sender with the same argument, `broadcast` sends its three
//! arguments to every other socket of the main namespace.
//!
//! `cargo run --release -- --port 3000` (one tokio worker thread, like `bench-server`).
//!
//! The per-socket packet buffer (`max_buffer_size`, 128 by default) is raised to 4096 so that
//! a burst of 200 broadcasts back to back is queued rather than dropped.

use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use socketioxide::extract::{Data, SocketRef};
use socketioxide::SocketIo;

/// Packets queued per socket before `emit` fails (socketioxide's default is 128).
const BUFFER: usize = 4096;

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

/// The handlers of the main namespace.
fn on_connect(socket: SocketRef) {
    socket.on("echo", async |socket: SocketRef, Data(arg): Data<Value>| {
        let _ = socket.emit("echo", &arg);
    });
    socket.on(
        "broadcast",
        async |socket: SocketRef, Data(args): Data<(Value, Value, Value)>| {
            let _ = socket.broadcast().emit("broadcast", &args).await;
        },
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port = port()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let (service, io) = SocketIo::builder().max_buffer_size(BUFFER).build_svc();
        io.ns("/", async |socket: SocketRef| on_connect(socket));
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        println!(
            "socketioxide-server on http://{} (pid {})",
            listener.local_addr()?,
            std::process::id()
        );
        loop {
            let (stream, _) = listener.accept().await?;
            let _ = stream.set_nodelay(true);
            let service = service.clone();
            tokio::spawn(async move {
                let connection = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .with_upgrades();
                let _ = connection.await;
            });
        }
    })
}
