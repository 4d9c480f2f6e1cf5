//! Service tests of what decides which requests the server answers, and how: the trailing
//! slash, CORS origin predicates and exposed headers, and the static files.

#![allow(clippy::unwrap_used)]

mod common;

use bytes::Bytes;
use common::*;
use engineio::server::{Cors, StaticFile, StaticFiles};
use http::{header, HeaderValue, Method, Request};
use http_body_util::{BodyExt, Full};

/// Without the trailing slash (`add_trailing_slash(false)`) the path matches as a prefix, as
/// the reference's; with it (the default), `/engine.io` alone is not the server's.
#[tokio::test(start_paused = true)]
async fn add_trailing_slash() {
    let (with, _rx) = server(fast());
    let bare = request(&with, Method::GET, "/engine.io?EIO=4&transport=polling", "").await;
    assert_eq!(bare.status, 404);
    let (without, _rx) = server(fast().add_trailing_slash(false));
    for uri in [
        "/engine.io?EIO=4&transport=polling",
        "/engine.io/?EIO=4&transport=polling",
    ] {
        let reply = request(&without, Method::GET, uri, "").await;
        assert_eq!(reply.status, 200, "{uri}");
    }
}

/// A predicate decides the origins; a refused one gets no CORS header, and its preflight is
/// not answered as one. Exposed headers go on every answer.
#[tokio::test(start_paused = true)]
async fn cors_predicate_and_exposed_headers() {
    let cors = Cors::predicate(|origin| origin.is_some_and(|o| o.ends_with(".good.example")))
        .credentials(true)
        .exposed_headers("x-node");
    let (server, _rx) = server(fast().cors(cors));
    let ask = |method: Method, origin: &'static str| {
        Request::builder()
            .method(method)
            .uri("/engine.io/?EIO=4&transport=polling")
            .header(header::ORIGIN, origin)
            .body(Full::new(Bytes::new()))
            .unwrap()
    };
    let good = reply(
        server
            .handle(ask(Method::GET, "https://a.good.example"))
            .await,
    )
    .await;
    assert_eq!(
        good.headers["access-control-allow-origin"],
        "https://a.good.example"
    );
    assert_eq!(good.headers["access-control-allow-credentials"], "true");
    assert_eq!(good.headers["access-control-expose-headers"], "x-node");
    assert_eq!(good.headers["vary"], "Origin");
    let preflight = reply(
        server
            .handle(ask(Method::OPTIONS, "https://a.good.example"))
            .await,
    )
    .await;
    assert_eq!(preflight.status, 204);
    assert_eq!(preflight.headers["access-control-expose-headers"], "x-node");
    let bad = reply(
        server
            .handle(ask(Method::GET, "https://evil.example"))
            .await,
    )
    .await;
    assert_eq!(bad.status, 200);
    for name in [
        "access-control-allow-origin",
        "access-control-allow-credentials",
        "vary",
    ] {
        assert!(!bad.headers.contains_key(name), "{name}");
    }
    let bad_preflight = reply(
        server
            .handle(ask(Method::OPTIONS, "https://evil.example"))
            .await,
    )
    .await;
    assert_error(&bad_preflight, 400, 2, "Bad handshake method");
}

/// Static files: the version ETag, 304 on a match (weak or strong), the cache headers, and
/// br, gzip or deflate as accepted; other names go on to the protocol.
#[tokio::test(start_paused = true)]
async fn static_files_with_etag_and_compression() {
    let script = "console.log('socket.io');\n".repeat(200);
    let files = StaticFiles::new("4.8.4").with(
        "client.js",
        StaticFile::new(
            script.clone(),
            HeaderValue::from_static("application/javascript; charset=utf-8"),
        ),
    );
    let (server, _rx) = server(fast().static_files(files).cors(Cors::any()));
    let ask = |headers: &[(&'static str, &'static str)]| {
        let mut request = Request::get("/engine.io/client.js");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(Full::new(Bytes::new())).unwrap()
    };
    let plain = server.handle(ask(&[])).await;
    let headers = plain.headers().clone();
    assert_eq!(plain.status(), 200);
    assert_eq!(headers["etag"], "\"4.8.4\"");
    assert_eq!(headers["cache-control"], "public, max-age=0");
    assert_eq!(
        headers["content-type"],
        "application/javascript; charset=utf-8"
    );
    assert_eq!(headers["access-control-allow-origin"], "*");
    assert!(!headers.contains_key("content-encoding"));
    assert_eq!(
        plain.into_body().collect().await.unwrap().to_bytes(),
        script.as_bytes()
    );
    for tag in ["\"4.8.4\"", "W/\"4.8.4\""] {
        let cached = server.handle(ask(&[("if-none-match", tag)])).await;
        assert_eq!(cached.status(), 304, "{tag}");
    }
    let stale = server.handle(ask(&[("if-none-match", "\"4.8.3\"")])).await;
    assert_eq!(stale.status(), 200);
    for (accept, coding) in [
        ("br", "br"),
        ("gzip, deflate, br", "gzip"),
        ("deflate", "deflate"),
    ] {
        let response = server.handle(ask(&[("accept-encoding", accept)])).await;
        assert_eq!(response.headers()["content-encoding"], coding);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(decode(coding, &body), script.as_bytes());
    }
    let other = request(&server, Method::GET, "/engine.io/other.js", "").await;
    assert_error(&other, 400, 0, "Transport unknown");
}

fn decode(coding: &str, body: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    match coding {
        "gzip" => flate2::read::GzDecoder::new(body).read_to_end(&mut out),
        "deflate" => flate2::read::ZlibDecoder::new(body).read_to_end(&mut out),
        _ => brotli_decompress(body, &mut out),
    }
    .unwrap();
    out
}

fn brotli_decompress(body: &[u8], out: &mut Vec<u8>) -> std::io::Result<usize> {
    brotli::BrotliDecompress(&mut &body[..], out)?;
    Ok(out.len())
}
