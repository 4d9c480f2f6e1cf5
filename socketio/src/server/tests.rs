//! What only the crate itself can see: the buffers a broadcast hands each engine socket,
//! whatever the parser, and what an ack's deadline tells the emitter.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use engineio::packet::Message;
use http::{Method, Request};
use http_body_util::{BodyExt, Full};
use tokio::sync::oneshot;

use super::ack::{now, AckWaiter};
use super::delivery::handoff;
use super::{AckError, SocketIo};
use crate::msgpack::MsgpackParser;
use crate::parser::Parser;
use crate::{from_payload, Binary, DecoderConfig, Packet, PacketKind};

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
    connected_with(io, "40", "40").await
}

/// The msgpack CONNECT to `/` (`{"type":0,"nsp":"/"}`), as a polling record.
fn msgpack_connect() -> String {
    let bytes = b"\x82\xa4type\x00\xa3nsp\xa1/";
    format!(
        "b{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// A polling client that sent `connect` and read a reply starting with `reply`: its sid.
async fn connected_with(io: &SocketIo, connect: &str, reply: &str) -> String {
    let open = call(io, Method::GET, "", "").await;
    let sid = open.split("\"sid\":\"").nth(1).unwrap().split('"').next();
    let sid = sid.unwrap().to_owned();
    let query = format!("&sid={sid}");
    assert_eq!(call(io, Method::POST, &query, connect).await, "ok");
    assert!(call(io, Method::GET, &query, "").await.starts_with(reply));
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

#[tokio::test(start_paused = true)]
async fn a_msgpack_broadcast_hands_every_recipient_the_same_buffer() {
    let io = SocketIo::builder()
        .ping_interval(Duration::from_secs(10))
        .parser(MsgpackParser)
        .build();
    let mut sids = Vec::new();
    for _ in 0..4 {
        sids.push(connected_with(&io, &msgpack_connect(), "b").await);
    }
    let file = Bytes::from(vec![7u8; 1024]);
    handoff::take();
    io.try_emit("file", &("a.bin", Binary::from(file.clone())))
        .unwrap();
    let handed = handoff::take();
    assert_eq!(handed.len(), sids.len(), "one hand-off per recipient");
    // One binary message (the file inside it), at the same address for every recipient.
    assert_eq!(handed[0].len(), 1);
    assert!(handed.iter().all(|messages| *messages == handed[0]));
    let mut decoder = MsgpackParser.decoder(DecoderConfig::default());
    for sid in &sids {
        let body = call(&io, Method::GET, &format!("&sid={sid}"), "").await;
        let record = body.strip_prefix('b').unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(record)
            .unwrap();
        let packet = decoder.feed(Message::Binary(Bytes::from(bytes))).unwrap();
        let Some(Packet {
            kind: PacketKind::Event { name, args, .. },
            ..
        }) = packet
        else {
            panic!("not an event: {packet:?}");
        };
        let (file_name, data): (String, Binary) = from_payload(&args).unwrap();
        assert_eq!((name.as_str(), file_name.as_str()), ("file", "a.bin"));
        assert_eq!(&data[..], &file[..]);
    }

    // Emits to each socket in turn encode once per socket: distinct buffers.
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

/// The connection's deadline for an ack is taken a moment before the emitter starts its own
/// timeout; when it passes first, the emitter must read a timeout, not a disconnection.
#[tokio::test(start_paused = true)]
async fn an_ack_deadline_tells_the_emitter_it_timed_out() {
    let io = SocketIo::builder()
        .ping_interval(Duration::from_secs(10))
        .build();
    connected(&io).await;
    let socket = io.of("/").operator().local_sockets().remove(0);
    let (tx, rx) = oneshot::channel();
    let expires = now() + Duration::from_secs(1);
    assert!(socket.expect_ack(1, AckWaiter::One(tx), Some(expires)));
    let started = tokio::time::Instant::now();
    let answer = rx.await;
    assert!(matches!(answer, Ok(Err(AckError::Timeout))), "{answer:?}");
    assert_eq!(started.elapsed(), Duration::from_secs(1));
    assert!(socket.connected());
}
