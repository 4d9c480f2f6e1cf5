//! Shared by the Socket.IO benches: parameters, the server under test, a Socket.IO client
//! speaking the protocol over a raw WebSocket, and the figures (percentiles, peak memory).

use std::future::Future;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use socketio::server::{serve, SocketIo};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A 64-byte string: the argument of every benchmark event.
pub(crate) const PAYLOAD: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// A numeric parameter from the environment, `default` when unset or unreadable.
pub(crate) fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs a benchmark on a multi-threaded runtime (one worker per core).
pub(crate) fn run<F: Future<Output = ()>>(bench: F) {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(bench);
}

/// The server under test: `TARGET` (host:port) when set, else `io` served in this process
/// on a free local port; the flag says whether the server runs in this process.
///
/// With `SERVE=host:port` this process is the server alone (no clients), serving `io` there
/// until killed, to be measured from another process with `TARGET` (its memory then read with
/// `ps`, as for the Node servers); `None` then, once the server ends.
pub(crate) async fn server_under_test(io: impl FnOnce() -> SocketIo) -> Option<(String, bool)> {
    if let Ok(addr) = std::env::var("SERVE") {
        let listener = tokio::net::TcpListener::bind(&addr)
            .await
            .expect("bind SERVE address");
        println!("serving on {addr} (pid {})", std::process::id());
        serve(listener, io()).await.expect("serve");
        return None;
    }
    if let Ok(target) = std::env::var("TARGET") {
        return Some((target, false));
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a local port");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(serve(listener, io()));
    Some((addr.to_string(), true))
}

/// A Socket.IO client of the main namespace over a raw WebSocket.
pub(crate) struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Client {
    /// Opens the Engine.IO session (`0{...}`), then joins the main namespace (`40` answered
    /// by `40{"sid":...}`).
    pub(crate) async fn connect(target: &str) -> Self {
        let url = format!("ws://{target}/socket.io/?EIO=4&transport=websocket");
        let (ws, _) = tokio_tungstenite::connect_async_with_config(url, None, true)
            .await
            .expect("WebSocket connect");
        let mut client = Self { ws };
        let open = client.next_text().await;
        assert!(
            open.starts_with("0{"),
            "expected the open packet, got {open}"
        );
        client.send("40").await;
        let connect = client.next_text().await;
        assert!(
            connect.starts_with("40{"),
            "expected CONNECT, got {connect}"
        );
        client
    }

    /// Sends one text frame (a Socket.IO packet).
    pub(crate) async fn send(&mut self, text: impl Into<Utf8Bytes>) {
        self.ws
            .send(Message::Text(text.into()))
            .await
            .expect("send a frame");
    }

    /// The next Socket.IO packet from the server; Engine.IO pings are answered on the way.
    pub(crate) async fn next_packet(&mut self) -> Utf8Bytes {
        loop {
            let text = self.next_text().await;
            if text.as_str() == "2" {
                self.send("3").await;
            } else {
                return text;
            }
        }
    }

    async fn next_text(&mut self) -> Utf8Bytes {
        loop {
            let frame = self.ws.next().await.expect("connection open");
            match frame.expect("a frame") {
                Message::Text(text) => return text,
                Message::Close(close) => panic!("closed by the server: {close:?}"),
                _ => {}
            }
        }
    }

    /// Closes the WebSocket (errors ignored: the figures are already taken).
    pub(crate) async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}

/// The `p` quantile (0..=1) of sorted durations.
pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = (sorted.len() as f64 * p) as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// The peak resident memory of this process (`VmHWM`), described: with the in-process server
/// it counts the server and the load-generating clients together.
pub(crate) fn peak_memory(local_server: bool) -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        });
    let whose = if local_server {
        "server + clients"
    } else {
        "clients only"
    };
    match kib {
        Some(kib) => format!("peak RSS {:.1} MiB ({whose})", kib as f64 / 1024.0),
        None => format!("peak RSS unknown ({whose})"),
    }
}
