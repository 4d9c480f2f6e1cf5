//! Refused WebSocket requests, answered as the reference's `abortUpgrade` answers them, and
//! the CORS preflight of a foreign origin.
#![allow(clippy::unwrap_used)]

mod common;

use bytes::Bytes;
use common::net::{closed_by_server, listen, raw, recv, try_ws};
use common::*;
use engineio::server::{Builder, Cors};
use http::{header, HeaderValue, Method, Request};
use http_body_util::Full;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message as Ws};

/// A WebSocket request's head, with extra header lines.
fn upgrade_request(query: &str, extra: &str) -> String {
    format!(
        "GET /engine.io/?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n{extra}\r\n"
    )
}

/// Asserts Node's `abortUpgrade` answer: 400, `Connection: close`, `text/html`, the message
/// as the body, and the connection closed.
async fn assert_aborted(port: u16, query: &str, extra: &str, message: &str) {
    let (reply, mut stream) = raw(port, &upgrade_request(query, extra)).await;
    assert_eq!(reply.status, 400, "{}", reply.head);
    let head = reply.head.to_ascii_lowercase();
    assert!(head.contains("connection: close\r\n"), "{head}");
    assert!(head.contains("content-type: text/html\r\n"), "{head}");
    assert!(head.contains(&format!("content-length: {}\r\n", message.len())));
    assert_eq!(String::from_utf8(reply.body).unwrap(), message);
    assert!(closed_by_server(&mut stream).await, "connection kept open");
}

fn refusing_hook() -> Builder {
    fast().allow_request(|handshake| {
        let token = handshake.query_param("token").map(str::to_owned);
        async move {
            match token.as_deref() {
                Some("good") => Ok(()),
                Some(_) => Err("bad token".to_owned()),
                None => Err(String::new()),
            }
        }
    })
}

#[tokio::test]
async fn allow_request_refuses_a_websocket_handshake_as_node_aborts_it() {
    let (server, mut rx) = server(refusing_hook());
    let port = listen(&server).await;
    let ws = "EIO=4&transport=websocket";
    assert_aborted(port, &format!("{ws}&token=bad"), "", "bad token").await;
    assert_aborted(port, ws, "", "Forbidden").await;
    let mut client = try_ws(port, &format!("{ws}&token=good")).await.unwrap();
    assert!(matches!(recv(&mut client).await, Some(Ws::Text(t)) if t.starts_with('0')));
    assert!(matches!(next(&mut rx).await, Seen::Connect(_)));
    assert_eq!(server.session_count(), 1);
}

#[tokio::test]
async fn an_origin_check_refuses_a_websocket_handshake() {
    let builder = origin_checked();
    let (server, _rx) = server(builder);
    let port = listen(&server).await;
    let ws = "EIO=4&transport=websocket";
    let evil = "Origin: https://evil.example\r\n";
    assert_aborted(port, ws, evil, "origin not allowed").await;
    assert_aborted(port, ws, "", "origin not allowed").await;
    let url = format!("ws://127.0.0.1:{port}/engine.io/?{ws}");
    let mut request = url.into_client_request().unwrap();
    let origin = HeaderValue::from_static("https://app.example");
    request.headers_mut().insert(header::ORIGIN, origin);
    let (mut client, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert!(matches!(recv(&mut client).await, Some(Ws::Text(t)) if t.starts_with('0')));
}

#[tokio::test]
async fn a_websocket_for_an_unknown_sid_is_refused() {
    let (server, _rx) = server(fast());
    let port = listen(&server).await;
    let bystander = open(&server).await;
    let query = "EIO=4&transport=websocket&sid=nope";
    assert_aborted(port, query, "", "Session ID unknown").await;
    match try_ws(port, query).await {
        Err(WsError::Http(response)) => assert_eq!(response.status(), 400),
        other => panic!("expected a 400 refusal, got {:?}", other.map(|_| ())),
    }
    let reply = post(&server, &poll_query(&bystander), "4echo fine").await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        get(&server, &poll_query(&bystander)).await.body,
        "4echo fine"
    );
}

/// The `cors` package answers a preflight from an origin it does not allow with 204 and the
/// methods, but no `Access-Control-Allow-Origin`: the browser then refuses the request.
#[tokio::test(start_paused = true)]
async fn a_preflight_from_a_foreign_origin_gets_no_allow_origin() {
    let (server, _rx) = server(fast().cors(Cors::origins(["https://a.example"]).credentials(true)));
    let preflight = Request::builder()
        .method(Method::OPTIONS)
        .uri("/engine.io/?EIO=4&transport=polling")
        .header(header::ORIGIN, "https://evil.example")
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let reply = reply(server.handle(preflight).await).await;
    assert_eq!(reply.status, 204);
    assert!(!reply.headers.contains_key("access-control-allow-origin"));
    assert!(reply
        .headers
        .get_all(header::VARY)
        .iter()
        .any(|v| v == "Origin"));
    assert_eq!(server.session_count(), 0);
}

/// The in-memory form of the refusals: what `handle` answers to a refused WebSocket request.
#[tokio::test(start_paused = true)]
async fn refused_websocket_requests_through_handle() {
    let (server, _rx) = server(refusing_hook());
    for (query, message) in [
        ("EIO=4&transport=websocket&token=bad", "bad token"),
        ("EIO=4&transport=websocket&sid=nope", "Session ID unknown"),
        ("EIO=4&transport=carrier-pigeon", "Transport unknown"),
        (
            "EIO=3&transport=websocket&token=good",
            "Unsupported protocol version",
        ),
    ] {
        let reply = reply(server.handle(ws_request(query)).await).await;
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (400, message),
            "{query}"
        );
        assert_eq!(reply.headers["connection"], "close");
        assert_eq!(reply.headers["content-type"], "text/html");
    }
}
