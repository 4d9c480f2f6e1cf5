//! Service tests of the polling transport: in-memory requests, paused time.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use engineio::packet::{Message, Text};
use engineio::DisconnectReason;

#[tokio::test(start_paused = true)]
async fn handshake_answers_the_open_packet() {
    let (server, mut rx) = server(fast());
    let reply = get(&server, "EIO=4&transport=polling&t=N8hyd6w").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.headers["content-type"], "text/plain; charset=UTF-8");
    assert_eq!(reply.headers["cache-control"], "no-store");
    let open: serde_json::Value = serde_json::from_str(&reply.body[1..]).unwrap();
    let sid = open["sid"].as_str().unwrap();
    assert_eq!(sid.len(), 20);
    assert_eq!(
        open,
        serde_json::json!({"sid": sid, "upgrades": ["websocket"], "pingInterval": 300,
            "pingTimeout": 200, "maxPayload": 1000000})
    );
    assert_eq!(next(&mut rx).await, Seen::Connect(sid.to_owned()));
}

#[tokio::test(start_paused = true)]
async fn post_delivers_packets_and_get_returns_replies() {
    let (server, mut rx) = server(fast());
    let sid = open(&server).await;
    next(&mut rx).await;
    let reply = post(&server, &poll_query(&sid), "4echo 1\x1ebAQID\x1e4echo 2").await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "ok"));
    assert_eq!(reply.headers["content-type"], "text/html");
    let text = |s: &str| Message::Text(Text::new(s));
    assert_eq!(
        next(&mut rx).await,
        Seen::Message(sid.clone(), text("echo 1"))
    );
    assert_eq!(
        next(&mut rx).await,
        Seen::Message(
            sid.clone(),
            Message::Binary(bytes::Bytes::from_static(&[1, 2, 3]))
        )
    );
    assert_eq!(
        next(&mut rx).await,
        Seen::Message(sid.clone(), text("echo 2"))
    );
    let reply = get(&server, &poll_query(&sid)).await;
    assert_eq!(reply.body, "4echo 1\x1e4echo 2");
}

#[tokio::test(start_paused = true)]
async fn idle_poll_receives_the_ping_and_pong_keeps_the_session() {
    let (server, mut rx) = server(fast());
    let sid = open(&server).await;
    next(&mut rx).await;
    for _ in 0..5 {
        let started = tokio::time::Instant::now();
        let reply = get(&server, &poll_query(&sid)).await;
        assert_eq!(reply.body, "2");
        assert!(started.elapsed() >= Duration::from_millis(300));
        assert_eq!(post(&server, &poll_query(&sid), "3").await.status, 200);
    }
    assert_eq!(server.session_count(), 1);
}

#[tokio::test(start_paused = true)]
async fn missing_pong_ends_with_ping_timeout() {
    let (server, mut rx) = server(fast());
    let sid = open(&server).await;
    next(&mut rx).await;
    assert_eq!(get(&server, &poll_query(&sid)).await.body, "2");
    // The client holds its next poll but never answers the ping.
    assert_eq!(get(&server, &poll_query(&sid)).await.body, "1");
    assert_eq!(
        next(&mut rx).await,
        Seen::Close(sid.clone(), DisconnectReason::PingTimeout)
    );
    let after = get(&server, &poll_query(&sid)).await;
    assert_error(&after, 400, 1, "Session ID unknown");
}

#[tokio::test(start_paused = true)]
async fn overlapping_get_is_refused_and_closes_the_session() {
    let (server, mut rx) = server(fast());
    let sid = open(&server).await;
    next(&mut rx).await;
    let first = tokio::spawn({
        let server = server.clone();
        let query = poll_query(&sid);
        async move { get(&server, &query).await }
    });
    tokio::task::yield_now().await;
    let second = get(&server, &poll_query(&sid)).await;
    assert_error(&second, 400, 3, "Bad request");
    assert_eq!(first.await.unwrap().body, "1");
    assert_eq!(
        next(&mut rx).await,
        Seen::Close(sid, DisconnectReason::TransportError)
    );
}

#[tokio::test(start_paused = true)]
async fn client_close_packet_ends_with_transport_close() {
    let (server, mut rx) = server(fast());
    let sid = open(&server).await;
    next(&mut rx).await;
    assert_eq!(post(&server, &poll_query(&sid), "1").await.status, 200);
    assert_eq!(
        next(&mut rx).await,
        Seen::Close(sid.clone(), DisconnectReason::TransportClose)
    );
    assert_error(
        &post(&server, &poll_query(&sid), "4late").await,
        400,
        1,
        "Session ID unknown",
    );
}

#[tokio::test(start_paused = true)]
async fn server_close_sends_the_queue_then_close() {
    let (server, mut rx) = server(fast());
    let sid = open(&server).await;
    next(&mut rx).await;
    post(&server, &poll_query(&sid), "4echo bye\x1e4close me").await;
    assert_eq!(get(&server, &poll_query(&sid)).await.body, "4echo bye");
    // The close in a poll of its own, as the reference's.
    assert_eq!(get(&server, &poll_query(&sid)).await.body, "1");
    loop {
        if let Seen::Close(id, reason) = next(&mut rx).await {
            assert_eq!((id, reason), (sid, DisconnectReason::ForcedClose));
            break;
        }
    }
}

#[tokio::test(start_paused = true)]
async fn shutdown_closes_every_session() {
    let (server, mut rx) = server(fast());
    let a = open(&server).await;
    let b = open(&server).await;
    server.close();
    assert_eq!(get(&server, &poll_query(&a)).await.body, "1");
    assert_eq!(get(&server, &poll_query(&b)).await.body, "1");
    let mut closed = Vec::new();
    while closed.len() < 2 {
        if let Seen::Close(id, reason) = next(&mut rx).await {
            assert_eq!(reason, DisconnectReason::ServerShuttingDown);
            closed.push(id);
        }
    }
    assert_eq!(server.session_count(), 0);
}

#[tokio::test(start_paused = true)]
async fn abandoned_poll_is_a_transport_error() {
    let (server, mut rx) = server(fast());
    let sid = open(&server).await;
    next(&mut rx).await;
    let held = tokio::spawn({
        let server = server.clone();
        let query = poll_query(&sid);
        async move { get(&server, &query).await }
    });
    tokio::task::yield_now().await;
    held.abort();
    assert_eq!(
        next(&mut rx).await,
        Seen::Close(sid, DisconnectReason::TransportError)
    );
}
