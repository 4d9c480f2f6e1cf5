//! End-to-end: the disconnect reasons that come from the transport rather than from Socket.IO,
//! each seen by the right side and checked against the Node reference server:
//! - `socket.io-client` on long-polling posting more than maxPayload (HTTP 413): the server's
//!   socket ends with `transport error`, the client's with `transport close` or, when the
//!   413 reaches it before the close packet, `transport error`;
//! - `socket.io-client` on WebSocket sending a message above maxPayload (close 1009): the same;
//! - an Engine.IO frame that does not decode (no official client sends one, so a raw
//!   WebSocket and raw HTTP requests do): the server's socket ends with `parse error`.
//!
//! A bystander on the same server stays connected through each case.

mod common_sio;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message as Ws;

use common_sio::{connect, emit_ack, named, Target};
use e2e::{http, NodeDriver, ReferenceServer, TIMEOUT};

/// maxPayload (maxHttpBufferSize) is 1,000,000 bytes on both servers.
const OVER_MAX_PAYLOAD: usize = 1_000_001;

/// Our server (conformance timings, `/` watched, events with an ack acked with their
/// arguments), then the Node reference server (which acks the same way).
async fn targets() -> [Target; 2] {
    let reference = ReferenceServer::sio(&["--ping-timeout", "1000"]).await;
    [Target::ours().await, Target::Reference(Box::new(reference))]
}

/// A bystander on `/` of `target`: the driver, and its socket id.
async fn bystander(target: &mut Target) -> (NodeDriver, String) {
    let mut client = common_sio::sio();
    let url = format!("{}/", target.url());
    let id = connect(&mut client, "b", &url, json!({})).await;
    target.connected(&id).await;
    (client, id)
}

/// The bystander did not notice: still connected, still answered.
async fn unaffected(target: &mut Target, mut client: NodeDriver, id: &str, what: &str) {
    let args = json!([what]);
    assert_eq!(
        emit_ack(&mut client, "b", "ack-me", args.clone()).await,
        args
    );
    client
        .expect_no("disconnect", std::time::Duration::from_millis(100))
        .await;
    target.no_disconnect(id).await;
    client.exit().await;
}

/// A socket.io-client on `transport` emits one event above maxPayload: the server's socket
/// ends with `transport error`; returns the client's `disconnect` event.
async fn oversized(target: &mut Target, transport: &str) -> Value {
    let (bystander, stays) = bystander(target).await;
    let what = format!("{}, {transport}", target.label());
    let mut client = common_sio::sio();
    let url = format!("{}/", target.url());
    let id = connect(&mut client, "big", &url, json!({"transports": [transport]})).await;
    target.connected(&id).await;
    let huge = "x".repeat(OVER_MAX_PAYLOAD);
    let cmd = json!({"cmd": "emit", "name": "big", "event": "huge", "args": [huge]});
    client.command(cmd, TIMEOUT).await;
    assert_eq!(target.disconnected(&id).await, "transport error", "{what}");
    let seen = named(&mut client, "disconnect", "big").await;
    client.exit().await;
    unaffected(target, bystander, &stays, &what).await;
    seen
}

#[tokio::test]
async fn a_polling_post_over_max_payload_is_transport_error() {
    for mut target in targets().await {
        let seen = oversized(&mut target, "polling").await;
        // Two answers race to the client, on both servers: the session's pending poll carries
        // the close packet (`transport close`), and the POST gets its 413 (`transport error`,
        // "xhr post error"). Whichever the client reads first is its reason; the reference
        // gives either too, run to run.
        let (reason, description) = (&seen["reason"], seen["description"].to_string());
        let poll_first = reason == "transport close";
        let post_first = reason == "transport error" && description.contains("413");
        assert!(poll_first || post_first, "{}: {seen}", target.label());
    }
}

#[tokio::test]
async fn a_websocket_message_over_max_payload_is_transport_error() {
    for mut target in targets().await {
        let seen = oversized(&mut target, "websocket").await;
        let what = target.label();
        assert_eq!(seen["reason"], "transport close", "{what}: {seen}");
        let description = seen["description"].as_str().unwrap_or_default();
        assert!(description.contains("\"code\":1009"), "{what}: {seen}");
    }
}

/// A raw WebSocket on `/socket.io/` joins `/`, then sends the text frame `x` (no Engine.IO
/// packet type is `x`): the socket ends with `parse error` and the connection closes.
async fn undecodable_websocket_frame(target: &mut Target) {
    let host = target.url().replace("http://", "");
    let url = format!("ws://{host}/socket.io/?EIO=4&transport=websocket");
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.expect("ws");
    let next_text = |frame: Option<Result<Ws, _>>| match frame {
        Some(Ok(Ws::Text(text))) => text.as_str().to_owned(),
        other => panic!("a text frame, got {other:?}"),
    };
    let open = tokio::time::timeout(TIMEOUT, ws.next())
        .await
        .expect("open");
    assert!(next_text(open).starts_with("0{"));
    ws.send(Ws::text("40")).await.expect("send CONNECT");
    let reply = tokio::time::timeout(TIMEOUT, ws.next())
        .await
        .expect("CONNECT reply");
    let reply = next_text(reply);
    let payload: Value = serde_json::from_str(&reply[2..]).expect("a JSON CONNECT reply");
    let id = payload["sid"].as_str().expect("a sid").to_owned();
    target.connected(&id).await;
    ws.send(Ws::text("x")).await.expect("send garbage");
    assert_eq!(
        target.disconnected(&id).await,
        "parse error",
        "{}",
        target.label()
    );
    // Then the server closes the connection: nothing but a close frame, then the end.
    let ends = async {
        while let Some(Ok(frame)) = ws.next().await {
            assert!(matches!(frame, Ws::Close(_) | Ws::Ping(_)), "{frame:?}");
        }
    };
    tokio::time::timeout(TIMEOUT, ends)
        .await
        .expect("the server closes");
}

/// The same over long-polling: a POST whose payload does not decode ends the socket with
/// `parse error`, and the session is gone (a poll is refused with `Session ID unknown`). The
/// POST itself is answered `200 ok` by the reference and `400` by us (docs/architecture.md).
async fn undecodable_polling_payload(target: &mut Target) {
    let (host, session, id) = target.raw_polling_socket().await;
    let garbage = http::request(&host, "POST", &session, &[], "x").await;
    let what = format!("{}: {garbage:?}", target.label());
    assert_eq!(target.disconnected(&id).await, "parse error", "{what}");
    let after = http::request(&host, "GET", &session, &[], "").await;
    assert_eq!(after.status, 400, "{what}");
    assert_eq!(
        after.body, r#"{"code":1,"message":"Session ID unknown"}"#,
        "{what}"
    );
}

#[tokio::test]
async fn an_undecodable_engine_io_packet_is_parse_error() {
    for mut target in targets().await {
        let (client, stays) = bystander(&mut target).await;
        undecodable_websocket_frame(&mut target).await;
        undecodable_polling_payload(&mut target).await;
        let what = format!("{}: parse error", target.label());
        unaffected(&mut target, client, &stays, &what).await;
    }
}
