//! Abuse: clients that do not read, flood handshakes, send slowly or invalid bytes, overlap
//! their requests, or give up mid-upgrade.
//! Each is bounded, and none disturbs the other sessions.
#![allow(clippy::unwrap_used)]

mod common;

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use common::*;
use engineio::server::{serve, RequestError};
use engineio::DisconnectReason;
use futures_util::{SinkExt, StreamExt};
use http::{Method, Request};
use http_body_util::StreamBody;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::Message as Ws;

async fn listen(server: &Server) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(serve(listener, server.clone()));
    port
}

async fn ws(
    port: u16,
    query: &str,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let url = format!("ws://127.0.0.1:{port}/engine.io/?EIO=4&transport=websocket{query}");
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

async fn close_reason(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<Seen>,
    sid: &str,
) -> DisconnectReason {
    loop {
        if let Seen::Close(id, reason) = next(rx).await {
            if id == sid {
                return reason;
            }
        }
    }
}

/// A client that stops reading is closed once its queue or the write timeout is exhausted;
/// another client keeps its echo.
#[tokio::test]
async fn a_client_that_never_reads_is_closed_and_others_are_unaffected() {
    let mut config = engineio::Config {
        ping_interval: Duration::from_secs(30),
        ping_timeout: Duration::from_millis(300),
        max_buffered_packets: 64,
        ..engineio::Config::default()
    };
    config.max_payload = 1_000_000;
    let (server, mut rx) = server(fast().engine_config(config));
    let port = listen(&server).await;
    let mut stalled = ws(port, "").await;
    stalled.next().await.unwrap().unwrap();
    let Seen::Connect(sid) = next(&mut rx).await else {
        panic!("no connect")
    };
    let mut reader = ws(port, "").await;
    reader.next().await.unwrap().unwrap();
    next(&mut rx).await;
    // The stalled client asks for floods of 64 KiB echoes and never reads them.
    let big = format!("4echo {}", "x".repeat(64 * 1024));
    for _ in 0..200 {
        if stalled.send(Ws::text(big.clone())).await.is_err() {
            break;
        }
    }
    assert_eq!(
        close_reason(&mut rx, &sid).await,
        DisconnectReason::TransportError
    );
    reader.send(Ws::text("4echo still fine")).await.unwrap();
    let echoed = tokio::time::timeout(Duration::from_secs(5), reader.next())
        .await
        .unwrap();
    assert_eq!(echoed.unwrap().unwrap(), Ws::text("4echo still fine"));
}

#[tokio::test(start_paused = true)]
async fn a_handshake_flood_is_capped() {
    let (server, _rx) = server(fast().max_sessions(3));
    for _ in 0..3 {
        open(&server).await;
    }
    let refused = get(&server, "EIO=4&transport=polling").await;
    assert_eq!(refused.status, 503);
    assert_eq!(
        RequestError::TooManySessions.to_string(),
        "Too many sessions"
    );
}

#[tokio::test(start_paused = true)]
async fn a_body_that_never_ends_times_out_and_ends_its_session() {
    let (server, mut rx) = server(fast());
    let sid = open(&server).await;
    next(&mut rx).await;
    let stalled = futures_util::stream::pending::<Result<http_body::Frame<Bytes>, Infallible>>();
    let request = Request::builder()
        .method(Method::POST)
        .uri(format!("/engine.io/?{}", poll_query(&sid)))
        .body(StreamBody::new(stalled))
        .unwrap();
    let response = server.handle(request).await;
    assert_eq!(response.status(), 408);
    assert_eq!(
        close_reason(&mut rx, &sid).await,
        DisconnectReason::TransportError
    );
}

#[tokio::test(start_paused = true)]
async fn slow_headers_are_dropped() {
    let (server, _rx) = server(fast());
    let port = listen(&server).await;
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    stream
        .write_all(b"GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut buf)).await;
    // The server closed the connection (with a 408 or without a response) instead of waiting.
    assert!(read.is_ok(), "the connection is still open");
}

#[tokio::test]
async fn a_websocket_closed_mid_upgrade_leaves_polling_working() {
    let (server, mut rx) = server(fast());
    let port = listen(&server).await;
    let sid = open(&server).await;
    next(&mut rx).await;
    let mut probe = ws(port, &format!("&sid={sid}")).await;
    probe.send(Ws::text("2probe")).await.unwrap();
    assert_eq!(probe.next().await.unwrap().unwrap(), Ws::text("3probe"));
    probe.close(None).await.unwrap();
    drop(probe);
    let reply = post(&server, &poll_query(&sid), "4echo after").await;
    assert_eq!(reply.status, 200);
    // The first poll may be the noop of the abandoned upgrade.
    let mut body = get(&server, &poll_query(&sid)).await.body;
    if body == "6" {
        body = get(&server, &poll_query(&sid)).await.body;
    }
    assert_eq!(body, "4echo after");
}

/// POSTs a body of raw bytes (the `post` helper takes text).
async fn post_bytes(server: &Server, sid: &str, body: &'static [u8]) -> u16 {
    let request = Request::builder()
        .method(Method::POST)
        .uri(format!("/engine.io/?{}", poll_query(sid)))
        .body(http_body_util::Full::new(Bytes::from_static(body)))
        .unwrap();
    server.handle(request).await.status().as_u16()
}

/// Invalid UTF-8 in a polling body, or in a WebSocket text frame, ends that session only.
#[tokio::test]
async fn invalid_utf8_ends_only_its_session() {
    let (server, mut rx) = server(fast());
    let port = listen(&server).await;
    let mut bystander = ws(port, "").await;
    bystander.next().await.unwrap().unwrap();
    next(&mut rx).await;
    let polling = open(&server).await;
    next(&mut rx).await;
    assert_eq!(post_bytes(&server, &polling, b"4caf\xc3\x28").await, 400);
    assert_eq!(
        close_reason(&mut rx, &polling).await,
        DisconnectReason::ParseError
    );
    let mut socket = ws(port, "").await;
    socket.next().await.unwrap().unwrap();
    let Seen::Connect(sid) = next(&mut rx).await else {
        panic!("no connect")
    };
    let frame = Frame::message(&b"4\xff\xfe"[..], OpCode::Data(Data::Text), true);
    socket.send(Ws::Frame(frame)).await.unwrap();
    assert_eq!(
        close_reason(&mut rx, &sid).await,
        DisconnectReason::TransportError
    );
    bystander.send(Ws::text("4echo still fine")).await.unwrap();
    let echoed = bystander.next().await.unwrap().unwrap();
    assert_eq!(echoed, Ws::text("4echo still fine"));
}

/// Many GETs at once for one session: all but the first are refused (400) and the session
/// ends, as the reference ends it on an overlapping poll; another session goes on.
#[tokio::test(start_paused = true)]
async fn concurrent_polls_for_one_session_end_it_alone() {
    let (server, mut rx) = server(fast());
    let bystander = open(&server).await;
    let sid = open(&server).await;
    next(&mut rx).await;
    next(&mut rx).await;
    let polls: Vec<_> = (0..20)
        .map(|_| {
            let (server, query) = (server.clone(), poll_query(&sid));
            tokio::spawn(async move { get(&server, &query).await.status })
        })
        .collect();
    let mut statuses = Vec::new();
    for poll in polls {
        statuses.push(poll.await.unwrap());
    }
    let refused = statuses.iter().filter(|s| **s == 400).count();
    assert!(refused >= 19, "{statuses:?}");
    assert_eq!(
        close_reason(&mut rx, &sid).await,
        DisconnectReason::TransportError
    );
    assert_eq!(
        post(&server, &poll_query(&bystander), "4echo ok")
            .await
            .status,
        200
    );
    assert_eq!(get(&server, &poll_query(&bystander)).await.body, "4echo ok");
}

/// A POST while another POST's body is still arriving is refused (400) and ends the session,
/// as in the reference ("data request overlap"); the other sessions go on.
#[tokio::test(start_paused = true)]
async fn concurrent_posts_for_one_session_end_it_alone() {
    let (server, mut rx) = server(fast());
    let bystander = open(&server).await;
    let sid = open(&server).await;
    next(&mut rx).await;
    next(&mut rx).await;
    let stalled = futures_util::stream::pending::<Result<http_body::Frame<Bytes>, Infallible>>();
    let slow = Request::builder()
        .method(Method::POST)
        .uri(format!("/engine.io/?{}", poll_query(&sid)))
        .body(StreamBody::new(stalled))
        .unwrap();
    let first = tokio::spawn({
        let server = server.clone();
        async move { server.handle(slow).await.status().as_u16() }
    });
    tokio::task::yield_now().await;
    for _ in 0..10 {
        let reply = post(&server, &poll_query(&sid), "4overlap").await;
        assert_eq!(reply.status, 400, "{}", reply.body);
    }
    assert_eq!(
        close_reason(&mut rx, &sid).await,
        DisconnectReason::TransportError
    );
    assert_ne!(first.await.unwrap(), 200);
    assert_eq!(
        post(&server, &poll_query(&bystander), "4echo ok")
            .await
            .status,
        200
    );
    assert_eq!(get(&server, &poll_query(&bystander)).await.body, "4echo ok");
}
