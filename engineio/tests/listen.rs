//! The accept loop over real TCP: the connection cap (WebSockets counted), the header
//! timeout, and what a stop does to open connections.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::net::{closed_by_server, exchange, try_ws};
use common::*;
use engineio::server::{serve_with, ServeOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

const HANDSHAKE: &str = "/engine.io/?EIO=4&transport=polling";

/// Serves `server` with `options` on a free port until the returned sender fires.
async fn listen_with(server: &Server, options: ServeOptions) -> (u16, oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = oneshot::channel::<()>();
    let stopped = async {
        if stopped.await.is_err() {
            // The test ended without stopping: the loop goes with its runtime.
        }
    };
    tokio::spawn(serve_with(listener, server.clone(), options, stopped));
    (port, stop)
}

async fn connect(port: u16) -> TcpStream {
    TcpStream::connect(("127.0.0.1", port)).await.unwrap()
}

/// Sends a handshake on a new connection without waiting for the answer.
async fn send_handshake(port: u16) -> TcpStream {
    let mut stream = connect(port).await;
    let request = format!("GET {HANDSHAKE} HTTP/1.1\r\nHost: x\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    stream
}

/// Whether an answer starts arriving on `stream` within `within`.
async fn answered(stream: &mut TcpStream, within: Duration) -> bool {
    let mut byte = [0u8; 1];
    let read = tokio::time::timeout(within, stream.read(&mut byte)).await;
    matches!(read, Ok(Ok(1)))
}

/// With a cap of 2, two idle connections hold the loop: a third client waits in the backlog
/// until one of them closes, then is served.
#[tokio::test]
async fn the_cap_holds_new_connections_until_one_closes() {
    let (server, _rx) = server(fast());
    let (port, _stop) = listen_with(&server, ServeOptions::new().max_connections(2)).await;
    let idle = connect(port).await;
    let _idle2 = connect(port).await;
    let mut waiting = send_handshake(port).await;
    assert!(!answered(&mut waiting, Duration::from_millis(300)).await);
    drop(idle);
    assert!(answered(&mut waiting, Duration::from_secs(5)).await);
}

/// A WebSocket counts under the cap for as long as it is open, though its HTTP connection
/// was handed over at the upgrade.
#[tokio::test]
async fn a_websocket_counts_under_the_cap() {
    let (server, _rx) = server(fast());
    let (port, _stop) = listen_with(&server, ServeOptions::new().max_connections(1)).await;
    let mut ws = try_ws(port, "EIO=4&transport=websocket").await.unwrap();
    let mut waiting = send_handshake(port).await;
    assert!(!answered(&mut waiting, Duration::from_millis(300)).await);
    ws.close(None).await.unwrap();
    drop(ws);
    assert!(answered(&mut waiting, Duration::from_secs(5)).await);
}

/// A client that never finishes its headers is dropped after the header timeout, and so is
/// a kept-alive connection that sends no next request.
#[tokio::test]
async fn slow_headers_are_dropped_after_the_header_timeout() {
    let (server, _rx) = server(fast());
    let options = ServeOptions::new().header_timeout(Duration::from_millis(200));
    let (port, _stop) = listen_with(&server, options).await;
    let mut slow = connect(port).await;
    slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    assert!(closed_by_server(&mut slow).await);
    let mut kept = connect(port).await;
    assert_eq!(exchange(&mut kept, "GET", HANDSHAKE, "").await.status, 200);
    assert!(closed_by_server(&mut kept).await);
}

/// At a stop, an idle kept-alive connection is closed at once, a poll in progress stays
/// open until the server's close answers it with the close packet, and then closes; no new
/// connection is accepted.
#[tokio::test]
async fn a_stop_closes_idle_connections_and_lets_polls_finish() {
    // No ping within the test: the only answer the poll can get is the close packet.
    let (server, _rx) = server(engineio::server::Builder::new());
    let (port, stop) = listen_with(&server, ServeOptions::new()).await;
    let mut idle = connect(port).await;
    assert_eq!(exchange(&mut idle, "GET", HANDSHAKE, "").await.status, 200);
    let sid = open(&server).await;
    let mut polling = connect(port).await;
    let poll = format!(
        "GET /engine.io/?{} HTTP/1.1\r\nHost: x\r\n\r\n",
        poll_query(&sid)
    );
    polling.write_all(poll.as_bytes()).await.unwrap();
    // Time for the server to read the poll, so that it is in progress at the stop.
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.send(()).unwrap();
    assert!(
        closed_by_server(&mut idle).await,
        "the idle connection stays open"
    );
    assert!(!answered(&mut polling, Duration::from_millis(200)).await);
    server.close();
    let mut response = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), polling.read_to_end(&mut response));
    read.await.expect("the poll answered and closed").unwrap();
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.ends_with("\r\n\r\n1"), "{response}");
    assert!(TcpStream::connect(("127.0.0.1", port)).await.is_err());
}
