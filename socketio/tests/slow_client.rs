//! The slow-client policy under broadcast: a receiver that stops reading neither stalls the
//! others nor grows the server's memory without bound. Its queue is bounded
//! (`max_buffered_packets`) and its writes time out after `pingTimeout`; either ends it with
//! `transport error`, while the readers get every broadcast, once, in order. Volatile
//! broadcasts are dropped for a client whose transport cannot take them now.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use socketio::server::{serve, DisconnectReason, Socket, SocketIo};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as Ws;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Broadcasts of this size fill the kernel's socket buffers of a client that does not read
/// in a few dozen messages.
const BIG: usize = 64 * 1024;
const BROADCASTS: usize = 300;

async fn connect(port: u16) -> (Client, String) {
    let url = format!("ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket");
    let mut ws = tokio_tungstenite::connect_async(url).await.unwrap().0;
    ws.next().await.unwrap().unwrap();
    ws.send(Ws::text("40")).await.unwrap();
    let connected = ws.next().await.unwrap().unwrap().into_text().unwrap();
    let sid = connected
        .split("\"sid\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    (ws, sid)
}

/// Reads until `count` events have come, answering pings; returns the events' first arguments.
async fn read_events(ws: &mut Client, count: usize) -> Vec<u64> {
    let mut seen = Vec::new();
    while seen.len() < count {
        let frame = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a reader waited 10 s for a broadcast")
            .unwrap()
            .unwrap();
        let text = frame.into_text().unwrap();
        if text.as_str() == "2" {
            ws.send(Ws::text("3")).await.unwrap();
            continue;
        }
        if text.starts_with("42[\"noise\"") {
            continue;
        }
        let rest = text.strip_prefix("42[\"tick\",").unwrap();
        seen.push(rest.split(',').next().unwrap().parse().unwrap());
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_receiver_is_closed_and_the_others_get_every_broadcast() {
    let engine = engineio::server::Builder::new()
        .path("/socket.io/")
        .engine_config(engineio::Config {
            ping_interval: Duration::from_secs(30),
            ping_timeout: Duration::from_millis(500),
            max_buffered_packets: 100,
            max_payload: 1_000_000,
            ..engineio::Config::default()
        });
    let io = SocketIo::builder().engine_builder(engine).build();
    let (tx, mut reasons) = mpsc::unbounded_channel();
    io.of("/").on_connection(move |socket: Socket| {
        let tx = tx.clone();
        socket.on_disconnect(move |s: &Socket, reason: DisconnectReason| {
            let _ = tx.send((s.id().to_owned(), reason));
        });
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(serve(listener, io.clone()));
    let (_stalled, stalled_sid) = connect(port).await;
    let mut readers = Vec::new();
    for _ in 0..3 {
        readers.push(connect(port).await.0);
    }
    let big = "x".repeat(BIG);
    let readers: Vec<_> = readers
        .into_iter()
        .map(|mut reader| {
            tokio::spawn(async move { (read_events(&mut reader, BROADCASTS).await, reader) })
        })
        .collect();
    for i in 0..BROADCASTS {
        io.try_emit("tick", &(i, &big)).unwrap();
        // Volatile broadcasts on top: dropped, never queued, for whoever cannot take them.
        io.of("/")
            .operator()
            .volatile()
            .try_emit("noise", &(i,))
            .unwrap();
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let (id, reason) = tokio::time::timeout(Duration::from_secs(10), reasons.recv())
        .await
        .expect("the stalled receiver was not closed")
        .unwrap();
    assert_eq!(
        (id.as_str(), reason),
        (stalled_sid.as_str(), DisconnectReason::TransportError)
    );
    let expected: Vec<u64> = (0..BROADCASTS as u64).collect();
    let mut alive = Vec::new();
    for reader in readers {
        let (seen, reader) = reader.await.unwrap();
        assert_eq!(seen, expected, "a reader missed or repeated a broadcast");
        alive.push(reader);
    }
    assert_eq!(
        io.engine().session_count(),
        3,
        "only the stalled client was closed"
    );
}
