//! The per-address session quota (`max_sessions_per_address`): a client address that floods
//! handshakes gets its quota and then 429, and does not lock any other address out.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;

use bytes::Bytes;
use common::net::{exchange, listen, try_ws};
use common::*;
use engineio::server::RemoteAddr;
use http::{Method, Request};
use http_body_util::Full;
use tokio_tungstenite::tungstenite::Error as WsError;

const HANDSHAKE: &str = "/engine.io/?EIO=4&transport=polling";

/// A polling handshake from `from`, as the accept loop would tag it.
async fn handshake_from(server: &Server, from: &str) -> Reply {
    let mut request = Request::builder()
        .method(Method::GET)
        .uri(HANDSHAKE)
        .body(Full::new(Bytes::new()))
        .unwrap();
    let peer: SocketAddr = from.parse().unwrap();
    request.extensions_mut().insert(RemoteAddr(peer));
    reply(server.handle(request).await).await
}

fn sid_of(reply: &Reply) -> String {
    assert_eq!(reply.status, 200, "{}", reply.body);
    let open: serde_json::Value = serde_json::from_str(&reply.body[1..]).unwrap();
    open["sid"].as_str().unwrap().to_owned()
}

fn assert_over_quota(reply: &Reply) {
    assert_eq!(reply.status, 429, "{}", reply.body);
    assert_eq!(reply.headers["content-type"], "application/json");
    let json: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"message": "Too many sessions from this address"})
    );
}

/// One address opens 50 handshakes (each from its own port) against a quota of 3 and a
/// server of 10 sessions: it gets 3, and other addresses still get theirs. Once one of the
/// flooder's sessions ends, it may open one again.
#[tokio::test(start_paused = true)]
async fn a_flooding_address_gets_its_quota_and_locks_nobody_out() {
    let (server, mut rx) = server(fast().max_sessions(10).max_sessions_per_address(3));
    let mut flooder = Vec::new();
    for port in 0..50 {
        let reply = handshake_from(&server, &format!("10.0.0.1:{}", 1000 + port)).await;
        match flooder.len() < 3 {
            true => flooder.push(sid_of(&reply)),
            false => assert_over_quota(&reply),
        }
    }
    for other in ["10.0.0.2:1000", "10.0.0.2:1001", "[2001:db8::1]:80"] {
        sid_of(&handshake_from(&server, other).await);
    }
    assert_eq!(server.session_count(), 6);

    let closed = post(&server, &poll_query(&flooder[0]), "1").await;
    assert_eq!(closed.status, 200, "{}", closed.body);
    loop {
        if let Seen::Close(sid, _) = next(&mut rx).await {
            assert_eq!(sid, flooder[0]);
            break;
        }
    }
    assert_eq!(server.session_count(), 5);
    sid_of(&handshake_from(&server, "10.0.0.1:2000").await);
    assert_over_quota(&handshake_from(&server, "10.0.0.1:2001").await);
}

/// The addresses of one IPv6 /64 share a quota; an IPv4-mapped address is its IPv4 address.
#[tokio::test(start_paused = true)]
async fn a_quota_covers_an_ipv6_slash_64_and_mapped_ipv4() {
    let (server, _rx) = server(fast().max_sessions_per_address(1));
    sid_of(&handshake_from(&server, "[2001:db8:0:1::1]:80").await);
    assert_over_quota(&handshake_from(&server, "[2001:db8:0:1:abcd::2]:80").await);
    sid_of(&handshake_from(&server, "[2001:db8:0:2::1]:80").await);
    sid_of(&handshake_from(&server, "192.0.2.7:80").await);
    assert_over_quota(&handshake_from(&server, "[::ffff:192.0.2.7]:81").await);
}

/// Handshakes with no known address (a server that inserts no `RemoteAddr`) are not counted.
#[tokio::test(start_paused = true)]
async fn unknown_addresses_are_not_counted() {
    let (server, _rx) = server(fast().max_sessions_per_address(1));
    for _ in 0..3 {
        open(&server).await;
    }
    assert_eq!(server.session_count(), 3);
}

/// A TCP connection from this loopback address.
async fn connect_from(ip: [u8; 4], port: u16) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::from((ip, 0))).unwrap();
    socket
        .connect(SocketAddr::from(([127, 0, 0, 1], port)))
        .await
        .unwrap()
}

/// Over the accept loop, which tags each request with its peer: 127.0.0.2 floods polling and
/// WebSocket handshakes, and 127.0.0.1 still opens sessions.
#[tokio::test]
async fn over_tcp_one_flooding_address_does_not_lock_out_another() {
    let (server, _rx) = server(fast().max_sessions(50).max_sessions_per_address(4));
    let port = listen(&server).await;
    let mut flooder = connect_from([127, 0, 0, 2], port).await;
    let mut statuses = Vec::new();
    for _ in 0..20 {
        statuses.push(exchange(&mut flooder, "GET", HANDSHAKE, "").await.status);
    }
    assert_eq!(statuses[..4], [200; 4]);
    assert_eq!(statuses[4..], [429; 16]);
    let refused = exchange(&mut flooder, "GET", HANDSHAKE, "").await;
    assert_eq!(
        refused.body,
        br#"{"message":"Too many sessions from this address"}"#
    );

    let mut bystander = connect_from([127, 0, 0, 1], port).await;
    for _ in 0..4 {
        assert_eq!(
            exchange(&mut bystander, "GET", HANDSHAKE, "").await.status,
            200
        );
    }
    // The bystander's WebSocket comes from 127.0.0.1 too, now at its quota.
    match try_ws(port, "EIO=4&transport=websocket").await {
        Err(WsError::Http(response)) => {
            assert_eq!(response.status(), 429);
            let body = response.body().as_deref().unwrap_or_default();
            assert_eq!(body, b"Too many sessions from this address");
        }
        Ok(_) => panic!("a WebSocket session over the quota"),
        Err(other) => panic!("unexpected {other}"),
    }
    assert_eq!(server.session_count(), 8);
}
