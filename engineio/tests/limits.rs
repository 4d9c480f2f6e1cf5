//! The limits on new sessions: none once the server closes, and at most `max_sessions`,
//! exactly, however many handshakes race for the last slots on either transport.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::net::{exchange, http, listen, recv, try_ws, Client};
use common::*;
use engineio::DisconnectReason;
use futures_util::SinkExt;
use http::Request;
use http_body_util::Full;
use tokio_tungstenite::tungstenite::{Error as WsError, Message as Ws};

fn assert_shutting_down(reply: &Reply) {
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert_eq!(reply.headers["content-type"], "application/json");
    let json: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(json, serde_json::json!({"message": "Server shutting down"}));
}

/// After `close`, no handshake opens a session, whichever way it comes; the sessions that
/// were open still get their close packet.
#[tokio::test(start_paused = true)]
async fn close_refuses_new_sessions_on_every_path() {
    let (server, mut rx) = server(fast());
    let sid = open(&server).await;
    server.close();
    assert_shutting_down(&get(&server, "EIO=4&transport=polling").await);
    let websocket = reply(server.handle(ws_request("EIO=4&transport=websocket")).await).await;
    assert_eq!(websocket.status, 503);
    assert_eq!(websocket.body, "Server shutting down");
    assert_eq!(websocket.headers["connection"], "close");
    let mut service = server.clone();
    let request = Request::get("/engine.io/?EIO=4&transport=polling")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let via_tower = tower_service::Service::call(&mut service, request).await;
    assert_shutting_down(&reply(via_tower.unwrap()).await);

    assert_eq!(get(&server, &poll_query(&sid)).await.body, "1");
    loop {
        match next(&mut rx).await {
            Seen::Close(id, reason) => {
                assert_eq!((id, reason), (sid, DisconnectReason::ServerShuttingDown));
                break;
            }
            Seen::Connect(id) => assert_eq!(id, sid, "a session opened after close"),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(server.session_count(), 0);
}

/// A client whose connection stays open across the shutdown cannot start a session on it.
#[tokio::test]
async fn close_refuses_a_handshake_on_a_kept_alive_connection() {
    let (server, mut rx) = server(fast());
    let port = listen(&server).await;
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let path = "/engine.io/?EIO=4&transport=polling";
    assert_eq!(exchange(&mut stream, "GET", path, "").await.status, 200);
    server.close();
    let refused = exchange(&mut stream, "GET", path, "").await;
    assert_eq!(refused.status, 503);
    assert_eq!(refused.body, br#"{"message":"Server shutting down"}"#);
    match try_ws(port, "EIO=4&transport=websocket").await {
        Err(WsError::Http(response)) => assert_eq!(response.status(), 503),
        Ok(_) => panic!("a WebSocket session opened after close"),
        Err(other) => panic!("unexpected {other}"),
    }
    let mut connects = 0;
    while let Ok(seen) = rx.try_recv() {
        connects += usize::from(matches!(seen, Seen::Connect(_)));
    }
    assert_eq!(connects, 1, "a session opened after close");
}

/// A session from either kind of handshake, or `None` when refused with 503.
enum Opened {
    Polling(String),
    WebSocket(Box<Client>),
}

async fn handshake(port: u16, websocket: bool) -> Option<Opened> {
    if websocket {
        return match try_ws(port, "EIO=4&transport=websocket").await {
            Ok(mut client) => {
                let open = recv(&mut client).await;
                assert!(matches!(&open, Some(Ws::Text(t)) if t.starts_with('0')));
                Some(Opened::WebSocket(Box::new(client)))
            }
            Err(WsError::Http(response)) => {
                assert_eq!(response.status(), 503);
                None
            }
            Err(other) => panic!("unexpected {other}"),
        };
    }
    let reply = http(port, "GET", "/engine.io/?EIO=4&transport=polling", "").await;
    if reply.status == 503 {
        return None;
    }
    assert_eq!(reply.status, 200);
    let body = String::from_utf8(reply.body).unwrap();
    let open: serde_json::Value = serde_json::from_str(&body[1..]).unwrap();
    Some(Opened::Polling(open["sid"].as_str().unwrap().to_owned()))
}

async fn end(port: u16, session: Opened) {
    match session {
        Opened::Polling(sid) => {
            let path = format!("/engine.io/?{}", poll_query(&sid));
            assert_eq!(http(port, "POST", &path, "1").await.status, 200);
        }
        // The stream's own close (a close frame), not `SinkExt::close` of the box.
        Opened::WebSocket(mut client) => (*client).close(None).await.unwrap(),
    }
}

async fn sessions_drop_to(server: &Server, count: usize) {
    let drained = async {
        while server.session_count() != count {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), drained)
        .await
        .expect("the sessions to end");
}

/// Many WebSocket and polling handshakes race on two threads for the slots left: exactly as
/// many succeed as there are slots, the others get 503, and a session already open is not
/// disturbed. Once the new sessions end, their slots can be taken again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_sessions_is_exact_under_concurrent_handshakes() {
    const MAX: usize = 6;
    let (server, _rx) = server(fast().max_sessions(MAX));
    let port = listen(&server).await;
    let mut bystander = try_ws(port, "EIO=4&transport=websocket").await.unwrap();
    recv(&mut bystander).await;
    for _round in 0..2 {
        let racers: Vec<_> = (0..24)
            .map(|i| tokio::spawn(handshake(port, i % 2 == 0)))
            .collect();
        let mut opened = Vec::new();
        for racer in racers {
            opened.extend(racer.await.unwrap());
        }
        assert_eq!(opened.len(), MAX - 1, "the bystander holds one slot");
        assert_eq!(server.session_count(), MAX);
        bystander.send(Ws::text("4echo still here")).await.unwrap();
        assert_eq!(
            recv(&mut bystander).await,
            Some(Ws::text("4echo still here"))
        );
        for session in opened {
            end(port, session).await;
        }
        sessions_drop_to(&server, 1).await;
    }
}
