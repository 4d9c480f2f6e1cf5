//! HTTP compression of polling responses (`httpCompression`): in-memory requests.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Read;

use bytes::Bytes;
use common::*;
use flate2::read::{GzDecoder, ZlibDecoder};
use http::{header, Request};
use http_body_util::{BodyExt, Full};

/// A polling GET with this `Accept-Encoding`: its `Content-Encoding` and raw body.
async fn poll(server: &Server, sid: &str, accept: Option<&str>) -> (Option<String>, Vec<u8>) {
    let mut request = Request::get(format!("/engine.io/?{}", poll_query(sid)));
    if let Some(accept) = accept {
        request = request.header(header::ACCEPT_ENCODING, accept);
    }
    let response = server
        .handle(request.body(Full::new(Bytes::new())).unwrap())
        .await;
    assert_eq!(response.status(), 200);
    let encoding = response
        .headers()
        .get(header::CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (encoding, body.to_vec())
}

fn gunzip(body: &[u8]) -> String {
    let mut out = String::new();
    GzDecoder::new(body).read_to_string(&mut out).unwrap();
    out
}

fn inflate(body: &[u8]) -> String {
    let mut out = String::new();
    ZlibDecoder::new(body).read_to_string(&mut out).unwrap();
    out
}

/// A session whose next poll holds `body` echoed back.
async fn session_echoing(server: &Server, body: &str) -> String {
    let sid = open(server).await;
    assert_eq!(post(server, &poll_query(&sid), body).await.status, 200);
    sid
}

fn big(prefix: &str) -> String {
    format!("4{prefix} {}", "abcdefgh".repeat(200))
}

#[tokio::test(start_paused = true)]
async fn gzip_and_deflate_round_trip_to_the_same_payload() {
    let (server, _rx) = server(fast());
    let message = big("echo");
    let sid = session_echoing(&server, &message).await;
    let (encoding, body) = poll(&server, &sid, Some("gzip, deflate, br")).await;
    assert_eq!(encoding.as_deref(), Some("gzip"));
    assert!(body.len() < message.len() / 4, "not compressed much");
    assert_eq!(gunzip(&body), message);

    let sid = session_echoing(&server, &message).await;
    let (encoding, body) = poll(&server, &sid, Some("deflate")).await;
    assert_eq!(encoding.as_deref(), Some("deflate"));
    assert_eq!(inflate(&body), message);

    // The client's order decides between equal qualities, as Node's `accepts` does.
    let sid = session_echoing(&server, &message).await;
    let (encoding, body) = poll(&server, &sid, Some("deflate, gzip")).await;
    assert_eq!(encoding.as_deref(), Some("deflate"));
    assert_eq!(inflate(&body), message);
}

#[tokio::test(start_paused = true)]
async fn small_bodies_are_not_compressed() {
    let (server, _rx) = server(fast());
    let sid = session_echoing(&server, "4echo small").await;
    let (encoding, body) = poll(&server, &sid, Some("gzip")).await;
    assert_eq!((encoding, body), (None, b"4echo small".to_vec()));

    // A lower threshold compresses it.
    let (server, _rx) = common::server(fast().http_compression(Some(8)));
    let sid = session_echoing(&server, "4echo small").await;
    let (encoding, body) = poll(&server, &sid, Some("gzip")).await;
    assert_eq!(encoding.as_deref(), Some("gzip"));
    assert_eq!(gunzip(&body), "4echo small");
}

#[tokio::test(start_paused = true)]
async fn without_accept_encoding_nothing_is_compressed() {
    let (server, _rx) = server(fast());
    let message = big("echo");
    let sid = session_echoing(&server, &message).await;
    assert_eq!(
        poll(&server, &sid, None).await,
        (None, message.clone().into_bytes())
    );
    let sid = session_echoing(&server, &message).await;
    let (encoding, _) = poll(&server, &sid, Some("br, identity")).await;
    assert_eq!(encoding, None);
}

/// A batch is compressed when one of its packets may be, as the reference decides.
#[tokio::test(start_paused = true)]
async fn only_uncompressible_messages_are_sent_plain() {
    let (server, _rx) = server(fast());
    let message = big("plain");
    let sid = session_echoing(&server, &message).await;
    assert_eq!(
        poll(&server, &sid, Some("gzip")).await,
        (None, message.clone().into_bytes())
    );

    let sid = session_echoing(&server, &format!("{message}\x1e4echo x")).await;
    let (encoding, body) = poll(&server, &sid, Some("gzip")).await;
    assert_eq!(encoding.as_deref(), Some("gzip"));
    assert_eq!(gunzip(&body), format!("{message}\x1e4echo x"));
}

#[tokio::test(start_paused = true)]
async fn the_option_turns_it_off() {
    let (server, _rx) = server(fast().http_compression(None));
    let message = big("echo");
    let sid = session_echoing(&server, &message).await;
    assert_eq!(
        poll(&server, &sid, Some("gzip, deflate")).await,
        (None, message.into_bytes())
    );
}
