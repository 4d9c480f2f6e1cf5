//! What only the crate itself can see: the buffers a broadcast hands each engine socket.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request};
use http_body_util::{BodyExt, Full};

use super::delivery::handoff;
use super::SocketIo;
use crate::Binary;

async fn call(io: &SocketIo, method: Method, query: &str, body: &str) -> String {
    let request = Request::builder()
        .method(method)
        .uri(format!("/socket.io/?EIO=4&transport=polling{query}"))
        .body(Full::new(Bytes::copy_from_slice(body.as_bytes())))
        .unwrap();
    let body = io.handle(request).await.into_body().collect().await;
    String::from_utf8_lossy(&body.unwrap().to_bytes()).into_owned()
}

/// A polling client joined to the main namespace: its engine sid.
async fn connected(io: &SocketIo) -> String {
    let open = call(io, Method::GET, "", "").await;
    let sid = open.split("\"sid\":\"").nth(1).unwrap().split('"').next();
    let sid = sid.unwrap().to_owned();
    assert_eq!(
        call(io, Method::POST, &format!("&sid={sid}"), "40").await,
        "ok"
    );
    assert!(call(io, Method::GET, &format!("&sid={sid}"), "")
        .await
        .starts_with("40"));
    sid
}

#[tokio::test(start_paused = true)]
async fn a_broadcast_hands_every_recipient_the_same_buffers() {
    let io = SocketIo::builder()
        .ping_interval(Duration::from_secs(10))
        .build();
    let mut sids = Vec::new();
    for _ in 0..4 {
        sids.push(connected(&io).await);
    }
    let file = Bytes::from(vec![7u8; 1024]);
    handoff::take();
    io.try_emit("file", &("a.bin", Binary::from(file.clone())))
        .unwrap();
    let handed = handoff::take();
    assert_eq!(handed.len(), sids.len(), "one hand-off per recipient");
    // The text and the attachment: the same addresses for every recipient, and the
    // attachment is the caller's own buffer, never copied.
    assert!(handed.iter().all(|messages| *messages == handed[0]));
    assert_eq!(handed[0].len(), 2);
    assert_eq!(handed[0][1], file.as_ptr() as usize);
    // Each recipient still reads the whole event.
    for sid in &sids {
        let body = call(&io, Method::GET, &format!("&sid={sid}"), "").await;
        assert!(body.starts_with(r#"451-["file","a.bin",{"_placeholder":true,"num":0}]"#));
    }

    // Emits to each socket in turn encode once per socket: distinct text buffers, which is
    // what the first assertion would see if a broadcast encoded per recipient.
    for socket in io.of("/").operator().local_sockets() {
        socket.try_emit("one", "by one").unwrap();
    }
    let handed = handoff::take();
    assert_eq!(handed.len(), sids.len());
    assert!(handed
        .iter()
        .skip(1)
        .all(|messages| messages[0] != handed[0][0]));
}
