//! Service tests of the Socket.IO layer over in-memory polling requests, with paused time.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

mod common;

use common::{open, poll, post};
use serde_json::{json, Value};
use socketio::server::{ConnectError, DisconnectReason, Event, Socket, SocketIo};
use tokio::sync::mpsc;

fn server() -> SocketIo {
    SocketIo::builder()
        .ping_interval(Duration::from_secs(10))
        .connect_timeout(Duration::from_millis(1000))
        .build()
}

#[tokio::test(start_paused = true)]
async fn connect_answers_with_the_socket_id_only() {
    let io = server();
    let sid = open(&io).await;
    post(&io, &sid, "40").await;
    let reply = poll(&io, &sid).await;
    let data: Value = serde_json::from_str(reply.strip_prefix("40").unwrap()).unwrap();
    let id = data["sid"].as_str().unwrap();
    assert_eq!(id.len(), 20);
    assert_ne!(id, sid);
    assert_eq!(data.as_object().unwrap().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn unknown_namespace_is_refused() {
    let io = server();
    let sid = open(&io).await;
    post(&io, &sid, "40/nope,").await;
    assert_eq!(
        poll(&io, &sid).await,
        r#"44/nope,{"message":"Invalid namespace"}"#
    );
}

#[tokio::test(start_paused = true)]
async fn middleware_refusal_carries_message_and_data() {
    let io = server();
    io.of("/admin").use_middleware(|socket: Socket| async move {
        match socket.handshake().auth["token"].as_str() {
            Some("good") => Ok(()),
            _ => Err(ConnectError::new("not authorized").with_data(json!({"retry": false}))),
        }
    });
    let sid = open(&io).await;
    post(&io, &sid, r#"40/admin,{"token":"bad"}"#).await;
    let reply = poll(&io, &sid).await;
    assert_eq!(
        reply,
        r#"44/admin,{"message":"not authorized","data":{"retry":false}}"#
    );
    post(&io, &sid, r#"40/admin,{"token":"good"}"#).await;
    assert!(poll(&io, &sid).await.starts_with(r#"40/admin,{"sid":""#));
}

#[tokio::test(start_paused = true)]
async fn events_and_acks_round_trip() {
    let io = server();
    io.of("/").on_connection(|socket: Socket| {
        socket.on("hello", |_socket: &Socket, event: Event| {
            let (name,): (String,) = event.args().unwrap();
            let ack = event.into_ack().unwrap();
            ack.try_send(&(format!("hi {name}"), 2)).unwrap();
        });
    });
    let sid = open(&io).await;
    post(&io, &sid, "40").await;
    poll(&io, &sid).await;
    post(&io, &sid, r#"421["hello","bob"]"#).await;
    assert_eq!(poll(&io, &sid).await, r#"431["hi bob",2]"#);
}

#[tokio::test(start_paused = true)]
async fn connect_timeout_closes_a_connection_without_namespace() {
    let io = server();
    let sid = open(&io).await;
    let started = tokio::time::Instant::now();
    assert_eq!(poll(&io, &sid).await, "1");
    assert!(started.elapsed() >= Duration::from_millis(1000));
}

#[tokio::test(start_paused = true)]
async fn broadcast_reaches_each_member_once_and_disconnect_reasons() {
    let io = server();
    let (tx, mut rx) = mpsc::unbounded_channel();
    io.of("/").on_connection(move |socket: Socket| {
        socket.join(["a", "b"]);
        let tx = tx.clone();
        socket.on_disconnect(move |_s: &Socket, reason: DisconnectReason| {
            let _ = tx.send(reason);
        });
    });
    let first = open(&io).await;
    let second = open(&io).await;
    for sid in [&first, &second] {
        post(&io, sid, "40").await;
        poll(&io, sid).await;
    }
    io.to("a").to("b").try_emit("news", "x").unwrap();
    assert_eq!(poll(&io, &first).await, r#"42["news","x"]"#);
    assert_eq!(poll(&io, &second).await, r#"42["news","x"]"#);
    post(&io, &first, "41").await;
    assert_eq!(
        rx.recv().await,
        Some(DisconnectReason::ClientNamespaceDisconnect)
    );
    // A packet for a namespace the client left: invalid state. No poll waits, so the close
    // waits for the next one: `forced server close`, as in the reference.
    post(&io, &first, r#"42["late"]"#).await;
    post(&io, &second, r#"42/other,["x"]"#).await;
    assert_eq!(rx.recv().await, Some(DisconnectReason::ForcedServerClose));
}

#[tokio::test(start_paused = true)]
async fn deeply_nested_json_ends_only_that_connection() {
    let io = server();
    let (tx, mut rx) = mpsc::unbounded_channel();
    io.of("/").on_connection(move |socket: Socket| {
        let tx = tx.clone();
        socket.on_disconnect(move |_s: &Socket, reason: DisconnectReason| {
            let _ = tx.send(reason);
        });
    });
    let bystander = open(&io).await;
    post(&io, &bystander, "40").await;
    poll(&io, &bystander).await;
    let sid = open(&io).await;
    post(&io, &sid, "40").await;
    poll(&io, &sid).await;
    // Deeper than the default limit, serde_json's 127 levels.
    let deep = format!("42[\"x\",{}{}]", "[".repeat(200), "]".repeat(200));
    post(&io, &sid, &deep).await;
    assert_eq!(rx.recv().await, Some(DisconnectReason::ForcedClose));
    io.try_emit("still", "here").unwrap();
    // The engine took up to a ping timeout to give up on the closed session: pings may
    // have gone out meanwhile.
    let reply = poll(&io, &bystander).await;
    assert!(reply.ends_with(r#"42["still","here"]"#), "{reply}");
}

#[tokio::test(start_paused = true)]
async fn a_configured_json_depth_ends_deeper_packets_only() {
    let io = SocketIo::builder()
        .ping_interval(Duration::from_secs(10))
        .max_json_depth(4)
        .build();
    let (tx, mut rx) = mpsc::unbounded_channel();
    io.of("/").on_connection(move |socket: Socket| {
        let tx = tx.clone();
        socket.on("x", |socket: &Socket, _event: Event| {
            socket.try_emit("got", "x").unwrap();
        });
        socket.on_disconnect(move |_s: &Socket, reason: DisconnectReason| {
            let _ = tx.send(reason);
        });
    });
    let sid = open(&io).await;
    post(&io, &sid, "40").await;
    poll(&io, &sid).await;
    // The event's array and three more: four levels, the limit.
    post(&io, &sid, r#"42["x",[{"a":[]}]]"#).await;
    assert!(poll(&io, &sid).await.ends_with(r#"42["got","x"]"#));
    post(&io, &sid, r#"42["x",[{"a":[[]]}]]"#).await;
    assert_eq!(rx.recv().await, Some(DisconnectReason::ForcedClose));
}
