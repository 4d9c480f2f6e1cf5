//! Tests of the harness itself: the drivers of the official npm clients against the Node
//! reference servers.

use std::time::Duration;

use e2e::{b64, bin, from_b64, NodeDriver, ReferenceServer, TIMEOUT};
use serde_json::{json, Value};

/// Opens an eio-driver socket on the reference server with `opts`, returns the `open` event.
async fn open(client: &mut NodeDriver, server: &ReferenceServer, opts: Value) -> Value {
    client
        .command(
            json!({"cmd": "open", "url": server.url(), "opts": opts}),
            TIMEOUT,
        )
        .await;
    client.expect("open", TIMEOUT).await
}

/// Sends a text and a binary message and checks both echoes, on the client and the server.
async fn echo_text_and_binary(client: &mut NodeDriver, server: &mut ReferenceServer) {
    client
        .send(json!({"cmd": "send", "text": "héllo ✓ wörld"}))
        .await;
    let echoed = client.expect("message", TIMEOUT).await;
    assert_eq!(echoed, json!({"ev": "message", "text": "héllo ✓ wörld"}));

    let bytes: Vec<u8> = (0..=255).collect();
    client
        .send(json!({"cmd": "send", "binary": b64(&bytes)}))
        .await;
    let echoed = client.expect("message", TIMEOUT).await;
    let binary = echoed["binary"].as_str().expect("a binary echo");
    assert_eq!(from_b64(binary), bytes);

    let seen = server.expect("message", TIMEOUT).await;
    assert_eq!(seen["text"], "héllo ✓ wörld");
    let seen = server.expect("message", TIMEOUT).await;
    assert_eq!(
        from_b64(seen["binary"].as_str().expect("binary at the server")),
        bytes
    );
}

#[tokio::test]
async fn eio_polling_echo_and_pings() {
    let mut server = ReferenceServer::eio(&[]).await;
    let mut client = NodeDriver::eio();
    let opened = open(&mut client, &server, json!({"transports": ["polling"]})).await;
    assert_eq!(opened["transport"], "polling");
    assert_eq!(opened["handshake"]["pingInterval"], 300);
    assert_eq!(opened["handshake"]["pingTimeout"], 200);
    assert_eq!(opened["handshake"]["maxPayload"], 1_000_000);
    let sid = opened["sid"].as_str().expect("a sid").to_owned();
    let connection = server.expect("connection", TIMEOUT).await;
    assert_eq!(connection["sid"], sid.as_str());
    assert_eq!(connection["transport"], "polling");

    echo_text_and_binary(&mut client, &mut server).await;

    // pingInterval 300 ms: three pings in well under 3 s, and the session stays open.
    for _ in 0..3 {
        client.expect("ping", Duration::from_secs(3)).await;
    }
    client.expect_no("close", Duration::from_millis(700)).await;

    client.command(json!({"cmd": "close"}), TIMEOUT).await;
    let closed = client.expect("close", TIMEOUT).await;
    assert_eq!(closed["reason"], "forced close");
    let closed = server.expect("close", TIMEOUT).await;
    assert_eq!(closed["sid"], sid.as_str());
    client.exit().await;
    server.stop().await;
}

#[tokio::test]
async fn eio_websocket_only_echo_and_pings() {
    let mut server = ReferenceServer::eio(&[]).await;
    let mut client = NodeDriver::eio();
    let opened = open(&mut client, &server, json!({"transports": ["websocket"]})).await;
    assert_eq!(opened["transport"], "websocket");
    let connection = server.expect("connection", TIMEOUT).await;
    assert_eq!(connection["transport"], "websocket");

    echo_text_and_binary(&mut client, &mut server).await;
    client.expect("ping", Duration::from_secs(3)).await;
    client.expect("ping", Duration::from_secs(3)).await;

    let state = client.command(json!({"cmd": "state"}), TIMEOUT).await;
    assert_eq!(state["cmd"], "state");
    let state = client.expect("state", TIMEOUT).await;
    assert_eq!(state["readyState"], "open");
    assert_eq!(state["transport"], "websocket");
}

#[tokio::test]
async fn eio_polling_upgrades_to_websocket() {
    let mut server = ReferenceServer::eio(&[]).await;
    let mut client = NodeDriver::eio();
    let opened = open(&mut client, &server, json!({})).await;
    assert_eq!(opened["transport"], "polling");
    assert_eq!(opened["handshake"]["upgrades"], json!(["websocket"]));
    let upgraded = client.expect("upgrade", TIMEOUT).await;
    assert_eq!(upgraded, json!({"ev": "upgrade", "transport": "websocket"}));
    let upgraded = server.expect("upgrade", TIMEOUT).await;
    assert_eq!(upgraded["sid"], opened["sid"]);
    assert_eq!(upgraded["transport"], "websocket");

    echo_text_and_binary(&mut client, &mut server).await;
    client.expect("ping", Duration::from_secs(3)).await;
}

#[tokio::test]
async fn eio_upgrade_false_stays_on_polling() {
    let server = ReferenceServer::eio(&[]).await;
    let mut client = NodeDriver::eio();
    let opened = open(&mut client, &server, json!({"upgrade": false})).await;
    assert_eq!(opened["transport"], "polling");
    client
        .expect_no("upgrade", Duration::from_millis(800))
        .await;
}

#[tokio::test]
async fn eio_server_gone_reports_close() {
    let server = ReferenceServer::eio(&[]).await;
    let mut client = NodeDriver::eio();
    open(&mut client, &server, json!({"transports": ["websocket"]})).await;
    drop(server); // kills the Node server
    let closed = client.expect("close", TIMEOUT).await;
    assert_eq!(closed["reason"], "transport close");
}

#[tokio::test]
async fn eio_unreachable_server_reports_error() {
    // A port that was just free: nothing listens there any more.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        listener.local_addr().expect("a local address").port()
    };
    let mut client = NodeDriver::eio();
    client
        .send(json!({"cmd": "open", "url": format!("http://127.0.0.1:{port}"), "opts": {"transports": ["polling"]}}))
        .await;
    let error = client.expect("error", TIMEOUT).await;
    assert!(error["message"].is_string(), "{error}");
    let closed = client.expect("close", TIMEOUT).await;
    assert_eq!(closed["reason"], "transport error");
}

#[tokio::test]
async fn eio_several_named_sockets() {
    let server = ReferenceServer::eio(&[]).await;
    let mut client = NodeDriver::eio();
    for name in ["a", "b"] {
        client
            .command(json!({"cmd": "open", "name": name, "url": server.url(), "opts": {"transports": ["websocket"]}}), TIMEOUT)
            .await;
    }
    let a = client
        .expect_matching(|ev| ev["ev"] == "open" && ev["name"] == "a", TIMEOUT)
        .await;
    let b = client
        .expect_matching(|ev| ev["ev"] == "open" && ev["name"] == "b", TIMEOUT)
        .await;
    assert_ne!(a["sid"], b["sid"]);
    client
        .send(json!({"cmd": "send", "name": "b", "text": "to b"}))
        .await;
    let echoed = client.expect("message", TIMEOUT).await;
    assert_eq!(
        echoed,
        json!({"ev": "message", "name": "b", "text": "to b"})
    );
}

#[tokio::test]
async fn sio_driver_against_reference_server() {
    let mut server = ReferenceServer::sio(&[]).await;
    let mut client = NodeDriver::sio();
    let url = format!("{}/", server.url());
    client
        .command(
            json!({"cmd": "connect", "name": "s1", "url": url, "opts": {}}),
            TIMEOUT,
        )
        .await;
    let connected = client.expect("connect", TIMEOUT).await;
    assert_eq!(connected["name"], "s1");
    let connection = server.expect("connection", TIMEOUT).await;
    assert_eq!(connection["id"], connected["id"]);
    let upgraded = client.expect("engine_upgrade", TIMEOUT).await;
    assert_eq!(upgraded["transport"], "websocket");

    // binary inside arguments, both ways
    let args = json!([1, "two", {"three": bin(&[3, 3, 3]), "list": [bin(&[]), null]}]);
    client
        .send(json!({"cmd": "emit", "name": "s1", "event": "hello", "args": args}))
        .await;
    let echoed = client.expect("event", TIMEOUT).await;
    assert_eq!(
        echoed,
        json!({"ev": "event", "name": "s1", "event": "hello", "args": args, "ackId": null})
    );

    // an ack asked by the client
    client
        .send(json!({"cmd": "emit", "name": "s1", "event": "acked", "args": [bin(&[9])], "ack": true, "id": 7}))
        .await;
    let ack = client.expect("ack", TIMEOUT).await;
    assert_eq!(
        ack,
        json!({"ev": "ack", "name": "s1", "id": 7, "args": [bin(&[9])]})
    );

    // an ack asked by the server
    client
        .send(json!({"cmd": "emit", "name": "s1", "event": "ask", "args": ["q?"]}))
        .await;
    let question = client.expect("event", TIMEOUT).await;
    assert_eq!(question["event"], "question");
    let ack_id = question["ackId"]
        .as_u64()
        .expect("the server asked for an ack");
    client
        .send(json!({"cmd": "ack", "ackId": ack_id, "args": ["yes", bin(&[0])]}))
        .await;
    let answer = client.expect("event", TIMEOUT).await;
    assert_eq!(answer["event"], "answer");
    assert_eq!(answer["args"], json!(["yes", bin(&[0])]));

    // a refused connection reports err.data
    client
        .send(json!({"cmd": "connect", "name": "bad", "url": format!("{}/admin", server.url()), "opts": {"auth": {"token": "bad"}}}))
        .await;
    let refused = client.expect("connect_error", TIMEOUT).await;
    assert_eq!(refused["name"], "bad");
    assert_eq!(refused["message"], "unauthorized");
    assert_eq!(refused["data"], json!({"code": 401}));

    // the server disconnects: the pending ack fails, the socket reports the reason
    client
        .send(json!({"cmd": "emit", "name": "s1", "event": "bye", "args": [], "ack": true, "timeout": 5000, "id": 8}))
        .await;
    let gone = client.expect("disconnect", TIMEOUT).await;
    assert_eq!(gone["reason"], "io server disconnect");
    let failed = client.expect("ackError", TIMEOUT).await;
    assert_eq!(failed["id"], 8);
    client.exit().await;
}

#[tokio::test]
async fn sio_ack_timeout_reports_ack_error() {
    let server = ReferenceServer::sio(&[]).await;
    let mut client = NodeDriver::sio();
    client
        .command(json!({"cmd": "connect", "name": "s", "url": server.url(), "opts": {"transports": ["websocket"]}}), TIMEOUT)
        .await;
    client.expect("connect", TIMEOUT).await;
    // "ask" is answered by an event, never by an ack: the ack times out.
    client
        .send(json!({"cmd": "emit", "name": "s", "event": "ask", "args": [], "ack": true, "timeout": 200, "id": "t"}))
        .await;
    let failed = client.expect("ackError", TIMEOUT).await;
    assert_eq!(
        failed,
        json!({"ev": "ackError", "name": "s", "id": "t", "message": "operation has timed out"})
    );
}

#[tokio::test]
#[should_panic(expected = "timed out waiting for an event \"message\"")]
async fn expect_panics_on_timeout_with_history() {
    let mut client = NodeDriver::eio();
    client.command(json!({"cmd": "state"}), TIMEOUT).await;
    client.expect("message", Duration::from_millis(300)).await;
}

#[tokio::test]
#[should_panic(expected = "could not execute a command")]
async fn driver_errors_fail_the_test() {
    let mut client = NodeDriver::eio();
    client
        .send(json!({"cmd": "send", "text": "no socket yet"}))
        .await;
    client.next(TIMEOUT).await;
}
