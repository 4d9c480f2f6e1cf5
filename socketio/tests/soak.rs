//! Churn: many connections open and go away in every way a client can (closed, abandoned,
//! vanished, upgrade dropped halfway). Afterwards the session table, the socket and room
//! tables and the memory are back where they were.
//!
//! `SOAK_CONNECTIONS=40000 cargo test --release -p socketio --test soak -- --nocapture` is the
//! long run (docs/security.md); CI runs a smaller one.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{open, poll, post};
use futures_util::{SinkExt, StreamExt};
use socketio::server::{serve, Socket, SocketIo};
use tokio_tungstenite::tungstenite::Message as Ws;

fn resident_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

async fn ws_connect(
    port: u16,
    sid: Option<&str>,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let sid = sid.map(|s| format!("&sid={s}")).unwrap_or_default();
    let url = format!("ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket{sid}");
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

/// One connection, ended in the way `kind` picks.
async fn churn_one(io: &SocketIo, port: u16, kind: usize) {
    match kind % 4 {
        // Polling, joined, closed by the client.
        0 => {
            let sid = open(io).await;
            post(io, &sid, "40").await;
            poll(io, &sid).await;
            post(io, &sid, "1").await;
        }
        // Polling, joined, abandoned: the ping timeout ends it.
        1 => {
            let sid = open(io).await;
            post(io, &sid, "40").await;
        }
        // WebSocket, joined, then the TCP connection vanishes without a close.
        2 => {
            let mut ws = ws_connect(port, None).await;
            ws.next().await.unwrap().unwrap();
            ws.send(Ws::text("40")).await.unwrap();
            ws.next().await.unwrap().unwrap();
            drop(ws);
        }
        // An upgrade dropped halfway: probe answered, then the WebSocket goes away.
        _ => {
            let sid = open(io).await;
            post(io, &sid, "40").await;
            let mut ws = ws_connect(port, Some(&sid)).await;
            ws.send(Ws::text("2probe")).await.unwrap();
            ws.next().await.unwrap().unwrap();
            drop(ws);
        }
    }
}

async fn round(io: &SocketIo, port: u16, count: usize) {
    let mut tasks = tokio::task::JoinSet::new();
    for batch in 0..count.div_ceil(50) {
        for i in 0..50 {
            let io = io.clone();
            tasks.spawn(async move { churn_one(&io, port, batch * 50 + i).await });
        }
        while tasks.join_next().await.is_some() {}
    }
    // Abandoned sessions end after pingInterval + pingTimeout.
    for _ in 0..100 {
        if io.engine().session_count() == 0 && io.of("/").socket_count() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "sessions left: {}, sockets left: {}",
        io.engine().session_count(),
        io.of("/").socket_count()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn churn_returns_every_table_and_the_memory_to_its_start() {
    let count: usize = std::env::var("SOAK_CONNECTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let io = SocketIo::builder()
        .ping_interval(Duration::from_millis(200))
        .ping_timeout(Duration::from_millis(200))
        .build();
    io.of("/")
        .on_connection(|socket: Socket| socket.join(["lobby", "soak"]));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(serve(listener, io.clone()));
    // A first round warms the allocator; later rounds must not grow the memory.
    round(&io, port, count / 4).await;
    let warm = resident_kib();
    for _ in 0..3 {
        round(&io, port, count / 4).await;
    }
    let after = resident_kib();
    assert!(
        io.of("/").rooms().is_empty(),
        "rooms left: {:?}",
        io.of("/").rooms()
    );
    println!("{count} connections: resident {warm} KiB after warm-up, {after} KiB at the end");
    assert!(
        after < warm + 16 * 1024,
        "memory grew from {warm} KiB to {after} KiB"
    );
}
