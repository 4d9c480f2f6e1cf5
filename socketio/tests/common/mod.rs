//! Shared helpers of the service tests: in-memory polling requests.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request};
use http_body_util::{BodyExt, Full};
use serde_json::Value;
use socketio::server::SocketIo;

pub async fn call(io: &SocketIo, method: Method, query: &str, body: &str) -> (u16, String) {
    let request = Request::builder()
        .method(method)
        .uri(format!("/socket.io/?EIO=4&transport=polling{query}"))
        .body(Full::new(Bytes::copy_from_slice(body.as_bytes())))
        .unwrap();
    let response = io.handle(request).await;
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// A polling Engine.IO session: its sid.
pub async fn open(io: &SocketIo) -> String {
    let (_, body) = call(io, Method::GET, "", "").await;
    let open: Value = serde_json::from_str(&body[1..]).unwrap();
    open["sid"].as_str().unwrap().to_owned()
}

pub async fn post(io: &SocketIo, sid: &str, body: &str) {
    let (status, reply) = call(io, Method::POST, &format!("&sid={sid}"), body).await;
    assert_eq!((status, reply.as_str()), (200, "ok"));
}

pub async fn poll(io: &SocketIo, sid: &str) -> String {
    call(io, Method::GET, &format!("&sid={sid}"), "").await.1
}

/// A polling session joined to `namespace`; returns the engine sid.
pub async fn connected(io: &SocketIo, namespace: &str) -> String {
    let sid = open(io).await;
    let connect = if namespace == "/" {
        "40".to_owned()
    } else {
        format!("40{namespace},")
    };
    post(io, &sid, &connect).await;
    let reply = poll(io, &sid).await;
    assert!(reply.starts_with(&connect), "{reply}");
    sid
}

/// A server whose heartbeat stays out of the way of a test (a ping every 10 s).
pub fn quiet_server() -> SocketIo {
    SocketIo::builder()
        .ping_interval(Duration::from_secs(10))
        .build()
}

/// Lets the connection's task handle what was posted (time is paused: only tasks run).
pub async fn settle() {
    tokio::time::sleep(Duration::from_millis(10)).await;
}
