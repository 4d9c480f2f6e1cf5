//! Graceful shutdown: the server stops accepting, every client is told (`server shutting
//! down`) after what was already queued, and `close` returns within a bounded time.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::{open, poll, post};
use futures_util::{SinkExt, StreamExt};
use socketio::server::{serve_with_shutdown, DisconnectReason, Socket, SocketIo};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message as Ws;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_stops_accepting_flushes_and_is_bounded() {
    let io = SocketIo::builder()
        .ping_interval(Duration::from_secs(5))
        .ping_timeout(Duration::from_millis(500))
        .build();
    let (tx, mut reasons) = mpsc::unbounded_channel();
    io.of("/").on_connection(move |socket: Socket| {
        let tx = tx.clone();
        socket.on_disconnect(move |_s: &Socket, reason: DisconnectReason| {
            let _ = tx.send(reason);
        });
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(serve_with_shutdown(listener, io.clone(), async {
        let _ = stopped.await;
    }));
    let url = format!("ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket");
    let mut ws = tokio_tungstenite::connect_async(url).await.unwrap().0;
    ws.next().await.unwrap().unwrap();
    ws.send(Ws::text("40")).await.unwrap();
    ws.next().await.unwrap().unwrap();
    let sid = open(&io).await;
    post(&io, &sid, "40").await;
    poll(&io, &sid).await;
    // Queued before the shutdown: both clients must still get it.
    io.try_emit("last", "words").unwrap();

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
    assert!(tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err());
    let started = Instant::now();
    // The polling client keeps polling until it reads the close, whenever it comes.
    let polled = tokio::spawn({
        let io = io.clone();
        async move {
            let mut bodies = Vec::new();
            while !bodies.last().is_some_and(|b: &String| b.ends_with('1')) {
                bodies.push(poll(&io, &sid).await);
            }
            bodies.join("\u{1e}")
        }
    });
    io.close().await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "close took {:?}",
        started.elapsed()
    );
    assert_eq!(polled.await.unwrap(), "42[\"last\",\"words\"]\u{1e}1");
    assert_eq!(
        ws.next().await.unwrap().unwrap(),
        Ws::text(r#"42["last","words"]"#)
    );
    assert!(matches!(ws.next().await, Some(Ok(Ws::Close(_))) | None));
    for _ in 0..2 {
        assert_eq!(
            reasons.recv().await,
            Some(DisconnectReason::ServerShuttingDown)
        );
    }
    assert_eq!(io.engine().session_count(), 0);
}
