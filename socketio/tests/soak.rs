//! Churn: many connections open and go away in every way a client can (closed, abandoned,
//! vanished, upgrade dropped halfway). Afterwards the session table, the socket and room
//! tables and the live heap are back where they were.
//!
//! The heap is counted exactly, by a counting global allocator (`cap`): the live bytes after
//! the churn must come back to the warmed-up baseline within [`HEAP_SLACK`], a bound that does
//! not grow with the number of connections: a leak of 200 bytes per connection fails the CI
//! run (1 500 connections measured), one of 10 bytes fails the long run (30 000). The
//! resident set size is printed beside it, for the record (it moves with the allocator's
//! caching, not with leaks).
//!
//! `SOAK_CONNECTIONS=40000 cargo test --release -p socketio --test soak -- --nocapture` is the
//! long run (docs/security.md); CI runs a smaller one.
#![allow(clippy::unwrap_used)]

mod common;

use std::alloc::System;
use std::time::Duration;

use cap::Cap;
use common::{open, poll, post};
use futures_util::{SinkExt, StreamExt};
use socketio::server::{serve, Socket, SocketIo};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message as Ws;

/// Counts the bytes allocated and not yet freed, by everything in this test process.
#[global_allocator]
static HEAP: Cap<System> = Cap::new(System, usize::MAX);

/// What the process may keep after the churn whatever its size: tables that keep their grown
/// capacity (a hash map does not shrink), the runtime's and the allocator's own bookkeeping.
const HEAP_SLACK: usize = 256 * 1024;

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
    // A first round warms the tables and the runtime; later rounds must not grow the heap.
    round(&io, port, count / 4).await;
    let baseline = settled(None).await;
    let warm_rss = resident_kib();
    let mut rounds = Vec::new();
    for _ in 0..3 {
        round(&io, port, count / 4).await;
        rounds.push(settled(Some(baseline)).await);
    }
    let after = *rounds.last().unwrap();
    let after_rss = resident_kib();
    assert!(
        io.of("/").rooms().is_empty(),
        "rooms left: {:?}",
        io.of("/").rooms()
    );
    println!(
        "{count} connections: live heap {baseline} B after warm-up, {rounds:?} B after each \
         later round ({:+} B); resident {warm_rss} KiB after warm-up, {after_rss} KiB at the end",
        after as i64 - baseline as i64
    );
    assert!(
        after <= baseline + HEAP_SLACK,
        "the live heap grew from {baseline} B to {after} B over {} connections",
        count / 4 * 3
    );
}

/// The live heap once the connections' last tasks have finished: the tables empty a moment
/// before a connection's task ends (its last write, its TCP close). With a `baseline`, waits
/// (up to 10 s) for the heap to come back within [`HEAP_SLACK`] of it; without, for it to stop
/// shrinking.
async fn settled(baseline: Option<usize>) -> usize {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut last = HEAP.allocated();
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = HEAP.allocated();
        let done = match baseline {
            Some(baseline) => now <= baseline + HEAP_SLACK,
            None => now >= last,
        };
        if done || Instant::now() >= deadline {
            return now;
        }
        last = now;
    }
}
