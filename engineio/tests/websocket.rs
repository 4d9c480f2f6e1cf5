//! WebSocket tests over a real listening socket, with a raw WebSocket client.

#![allow(clippy::unwrap_used)]

mod common;

use common::net::{recv, Client};
use common::*;
use engineio::server::serve;
use engineio::DisconnectReason;
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message as Ws;

async fn listen(server: &Server) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(serve(listener, server.clone()));
    port
}

async fn connect(port: u16, sid: Option<&str>) -> Client {
    let sid = sid.map(|s| format!("&sid={s}")).unwrap_or_default();
    let url = format!("ws://127.0.0.1:{port}/engine.io/?EIO=4&transport=websocket{sid}");
    tokio_tungstenite::connect_async(url)
        .await
        .expect("websocket")
        .0
}

async fn send(client: &mut Client, text: &str) {
    client.send(Ws::text(text)).await.unwrap();
}

async fn close_reason(rx: &mut tokio::sync::mpsc::UnboundedReceiver<Seen>) -> DisconnectReason {
    loop {
        if let Seen::Close(_, reason) = next(rx).await {
            return reason;
        }
    }
}

#[tokio::test]
async fn websocket_handshake_and_echo() {
    let (server, mut rx) = server(fast());
    let port = listen(&server).await;
    let mut client = connect(port, None).await;
    let Some(Ws::Text(open)) = recv(&mut client).await else {
        panic!("no open packet")
    };
    let open: serde_json::Value = serde_json::from_str(&open[1..]).unwrap();
    assert_eq!(open["upgrades"], serde_json::json!([]));
    send(&mut client, "4echo hi").await;
    assert_eq!(recv(&mut client).await, Some(Ws::text("4echo hi")));
    client.send(Ws::binary(vec![1u8, 2])).await.unwrap();
    client.send(Ws::text("4echo after binary")).await.unwrap();
    assert_eq!(
        recv(&mut client).await,
        Some(Ws::text("4echo after binary"))
    );
    assert!(matches!(next(&mut rx).await, Seen::Connect(_)));
    client.close(None).await.unwrap();
    assert_eq!(
        close_reason(&mut rx).await,
        DisconnectReason::TransportClose
    );
}

#[tokio::test]
async fn oversized_message_closes_with_1009_and_spares_others() {
    let (server, mut rx) = server(fast().max_payload(1000));
    let port = listen(&server).await;
    let mut bystander = connect(port, None).await;
    recv(&mut bystander).await;
    let mut client = connect(port, None).await;
    recv(&mut client).await;
    client
        .send(Ws::text(format!("4{}", "x".repeat(2000))))
        .await
        .unwrap();
    match recv(&mut client).await {
        Some(Ws::Close(Some(frame))) => assert_eq!(frame.code, CloseCode::Size),
        other => panic!("expected close 1009, got {other:?}"),
    }
    assert_eq!(
        close_reason(&mut rx).await,
        DisconnectReason::TransportError
    );
    send(&mut bystander, "4echo fine").await;
    assert_eq!(recv(&mut bystander).await, Some(Ws::text("4echo fine")));
}

#[tokio::test]
async fn malformed_frame_is_a_parse_error_and_spares_others() {
    let (server, mut rx) = server(fast());
    let port = listen(&server).await;
    let mut bystander = connect(port, None).await;
    recv(&mut bystander).await;
    let polling = open(&server).await;
    let mut client = connect(port, None).await;
    recv(&mut client).await;
    send(&mut client, "9nonsense").await;
    assert_eq!(close_reason(&mut rx).await, DisconnectReason::ParseError);
    send(&mut bystander, "4echo fine").await;
    assert_eq!(recv(&mut bystander).await, Some(Ws::text("4echo fine")));
    assert_eq!(
        post(&server, &poll_query(&polling), "4echo ok")
            .await
            .status,
        200
    );
    assert_eq!(get(&server, &poll_query(&polling)).await.body, "4echo ok");
    assert_eq!(server.session_count(), 2);
}

/// A text frame `b<base64>` is a binary message, as the reference's parser reads any text
/// packet; bad base64 in one is a parse error.
#[tokio::test]
async fn base64_text_frame_is_a_binary_message() {
    let (server, mut rx) = server(fast());
    let port = listen(&server).await;
    let mut client = connect(port, None).await;
    recv(&mut client).await;
    let Seen::Connect(sid) = next(&mut rx).await else {
        panic!("no connect")
    };
    send(&mut client, "bAQID").await;
    let binary = engineio::packet::Message::Binary(bytes::Bytes::from_static(&[1, 2, 3]));
    assert_eq!(next(&mut rx).await, Seen::Message(sid, binary));
    send(&mut client, "b$$$").await;
    assert_eq!(close_reason(&mut rx).await, DisconnectReason::ParseError);
}

#[tokio::test]
async fn upgrade_then_second_websocket_is_closed() {
    let (server, mut rx) = server(fast());
    let port = listen(&server).await;
    let sid = open(&server).await;
    let held = tokio::spawn({
        let (server, query) = (server.clone(), poll_query(&sid));
        async move { get(&server, &query).await }
    });
    let mut ws = connect(port, Some(&sid)).await;
    send(&mut ws, "2probe").await;
    assert_eq!(recv(&mut ws).await, Some(Ws::text("3probe")));
    assert_eq!(held.await.unwrap().body, "6");
    send(&mut ws, "5").await;
    send(&mut ws, "4echo upgraded").await;
    assert_eq!(recv(&mut ws).await, Some(Ws::text("4echo upgraded")));
    assert_error(
        &get(&server, &poll_query(&sid)).await,
        400,
        3,
        "Bad request",
    );

    let mut second = connect(port, Some(&sid)).await;
    assert!(matches!(recv(&mut second).await, Some(Ws::Close(_)) | None));
    send(&mut ws, "4echo still upgraded").await;
    assert_eq!(recv(&mut ws).await, Some(Ws::text("4echo still upgraded")));
    let upgraded = loop {
        match next(&mut rx).await {
            Seen::Upgrade(id) => break id,
            Seen::Close(..) => panic!("session closed"),
            _ => {}
        }
    };
    assert_eq!(upgraded, sid);
}

#[tokio::test]
async fn binary_probe_cancels_the_upgrade_only() {
    let (server, mut rx) = server(fast());
    let port = listen(&server).await;
    let sid = open(&server).await;
    let mut ws = connect(port, Some(&sid)).await;
    ws.send(Ws::binary(b"2probe".to_vec())).await.unwrap();
    assert!(matches!(recv(&mut ws).await, Some(Ws::Close(_)) | None));
    post(&server, &poll_query(&sid), "4echo polling").await;
    assert_eq!(get(&server, &poll_query(&sid)).await.body, "4echo polling");
    assert!(matches!(next(&mut rx).await, Seen::Connect(_)));
    assert!(matches!(next(&mut rx).await, Seen::Message(..)));
}
