//! Service tests of Socket.IO protocol v4 (a Socket.IO v2 client over an Engine.IO v3 session,
//! with `allow_eio3`) over in-memory polling, with paused time: the wire as the reference
//! writes it. The official client's view is in `tests/tests/socketio_v2.rs`.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use common::settle;
use http::{Method, Request};
use http_body_util::{BodyExt, Full};
use serde_json::{json, Value};
use socketio::server::{ConnectError, Event, Socket, SocketIo};

type Log = Arc<Mutex<Vec<Value>>>;

fn entries(log: &Log) -> Vec<Value> {
    std::mem::take(&mut *log.lock().unwrap())
}

/// A v2 server whose heartbeat stays out of the way; every connection (id and auth) and
/// every event (namespace, socket id, name) is logged.
fn server(log: &Log) -> SocketIo {
    let io = SocketIo::builder()
        .ping_interval(Duration::from_secs(10))
        .allow_eio3(true)
        .build();
    let watch = |log: Log| {
        move |socket: Socket| {
            let auth = socket.handshake().auth.clone();
            let nsp = socket.namespace().as_str().to_owned();
            log.lock()
                .unwrap()
                .push(json!({"nsp": nsp, "id": socket.id(), "auth": auth}));
            let events = log.clone();
            socket.on_any(move |socket: &Socket, event: &Event| {
                let seen = json!({"nsp": socket.namespace().as_str(), "event": event.name()});
                events.lock().unwrap().push(seen);
            });
        }
    };
    io.of("/").on_connection(watch(log.clone()));
    io.of("/admin").on_connection(watch(log.clone()));
    io
}

async fn call(io: &SocketIo, method: Method, query: &str, body: &str) -> (u16, String) {
    let request = Request::builder()
        .method(method)
        .uri(format!("/socket.io/?EIO=3&transport=polling{query}"))
        .body(Full::new(Bytes::copy_from_slice(body.as_bytes())))
        .unwrap();
    let response = io.handle(request).await;
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// A v3 polling session: its sid.
async fn open(io: &SocketIo) -> String {
    let (_, body) = call(io, Method::GET, "", "").await;
    let (_, packet) = body.split_once(':').unwrap();
    let open: Value = serde_json::from_str(&packet[1..]).unwrap();
    open["sid"].as_str().unwrap().to_owned()
}

/// Engine.IO packets in a v3 text payload, each after its length (ASCII only).
fn framed(packets: &[&str]) -> String {
    packets.iter().map(|p| format!("{}:{p}", p.len())).collect()
}

/// Posts Socket.IO packets, each in an Engine.IO message, in a v3 payload.
async fn post(io: &SocketIo, sid: &str, packets: &[&str]) {
    let messages: Vec<String> = packets.iter().map(|p| format!("4{p}")).collect();
    let body = framed(&messages.iter().map(String::as_str).collect::<Vec<_>>());
    let (status, reply) = call(io, Method::POST, &format!("&sid={sid}"), &body).await;
    assert_eq!((status, reply.as_str()), (200, "ok"));
}

async fn poll(io: &SocketIo, sid: &str) -> String {
    call(io, Method::GET, &format!("&sid={sid}"), "").await.1
}

#[tokio::test(start_paused = true)]
async fn a_v2_session_is_in_the_main_namespace_at_once_its_id_the_socket_id() {
    let log = Log::default();
    let io = server(&log);
    let sid = open(&io).await;
    // The CONNECT answer without payload, though the client sent no CONNECT.
    assert_eq!(poll(&io, &sid).await, "2:40");
    assert_eq!(entries(&log), [json!({"nsp": "/", "id": sid, "auth": {}})]);
}

#[tokio::test(start_paused = true)]
async fn a_v2_connect_query_is_the_auth_and_every_packet_is_routed_by_its_path() {
    let log = Log::default();
    let io = server(&log);
    let sid = open(&io).await;
    assert_eq!(poll(&io, &sid).await, "2:40");
    post(&io, &sid, &["0/admin?a=1&b=x%20y+z&a=2,"]).await;
    settle().await;
    assert_eq!(poll(&io, &sid).await, "9:40/admin,");
    // As `new URL(nsp, base)` reads it: the path routes, whatever follows it.
    post(
        &io,
        &sid,
        &[r#"2/admin?ignored=1,["e"]"#, r#"2/x/../admin#f,["g"]"#],
    )
    .await;
    settle().await;
    let expected = [
        json!({"nsp": "/", "id": sid, "auth": {}}),
        json!({"nsp": "/admin", "id": format!("/admin#{sid}"), "auth": {"a": "2", "b": "x y z"}}),
        json!({"nsp": "/admin", "event": "e"}),
        json!({"nsp": "/admin", "event": "g"}),
    ];
    assert_eq!(entries(&log), expected);
}

#[tokio::test(start_paused = true)]
async fn a_refused_v2_connect_gets_the_data_alone_or_the_message_when_data_is_falsy() {
    let log = Log::default();
    let io = server(&log);
    for (nsp, data) in [
        ("/a", Some(json!({"k": 1}))),
        ("/b", None),
        ("/c", Some(json!(false))),
    ] {
        io.of(nsp).use_middleware(move |_: &Socket| {
            let error = ConnectError::new("no");
            Err::<(), _>(match &data {
                Some(data) => error.with_data(data.clone()),
                None => error,
            })
        });
    }
    let sid = open(&io).await;
    assert_eq!(poll(&io, &sid).await, "2:40");
    post(&io, &sid, &["0/a,", "0/b,", "0/c,", "0/nowhere?x=1,"]).await;
    settle().await;
    let expected = framed(&[
        r#"44/a,{"k":1}"#,
        r#"44/b,"no""#,
        r#"44/c,"no""#,
        r#"44/nowhere,{"message":"Invalid namespace"}"#,
    ]);
    assert_eq!(poll(&io, &sid).await, expected);
}

#[tokio::test(start_paused = true)]
async fn a_namespace_that_is_no_url_path_ends_the_session() {
    let log = Log::default();
    let io = server(&log);
    let sid = open(&io).await;
    assert_eq!(poll(&io, &sid).await, "2:40");
    post(&io, &sid, &["0//[,"]).await;
    settle().await;
    // The close packet, as the reference's `conn.close()` sends it to the next poll.
    assert_eq!(poll(&io, &sid).await, "1:1");
    let (status, body) = call(&io, Method::GET, &format!("&sid={sid}"), "").await;
    assert_eq!(status, 400, "{body}");
}
