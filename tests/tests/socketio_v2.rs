//! End-to-end: the official `socket.io-client` 2.x (Socket.IO protocol v4 over Engine.IO v3)
//! against our server with `allow_eio3`, on polling, WebSocket and polling upgraded to
//! WebSocket; every case runs against the Node reference too (`reference-sio-server.mjs
//! --allow-eio3`, the same behaviour) and asserts that the client saw the same.

mod common_v2;

use std::time::Duration;

use common_v2::{
    command, connect, emit, emit_ack, incoming, named, open, opts, sio2, V2Server, TRANSPORTS,
};
use e2e::{NodeDriver, TIMEOUT};
use serde_json::{json, Value};

/// Runs `case` against our server and the reference on each transport, and checks that each
/// transport's outcome is the same for both.
async fn same_on_both<F, Fut>(allow_eio3: bool, case: F)
where
    F: Fn(V2Server, &'static str) -> Fut,
    Fut: std::future::Future<Output = Value>,
{
    for (transport, _) in TRANSPORTS {
        let [ours, reference] = V2Server::both(allow_eio3).await;
        let ours = case(ours, transport).await;
        let reference = case(reference, transport).await;
        eprintln!("{transport}: {ours}");
        assert_eq!(
            ours, reference,
            "on {transport}: ours (left) and the reference (right)"
        );
    }
}

#[tokio::test]
async fn a_v2_client_joins_the_main_namespace_with_the_servers_socket_id() {
    same_on_both(true, |mut server, transport| async move {
        let mut client = sio2();
        let id = connect(&mut client, "s", &server.url("/"), transport, true).await;
        let seen = server.connection(&id).await;
        // The id is the Engine.IO session id: as the reference, not a random one.
        assert_eq!(id.len(), 20, "{}: {id}", server.label());
        // The client pings, the server pongs: three rounds of pingInterval 300 ms.
        for _ in 0..3 {
            named(&mut client, "pong", "s").await;
        }
        let ended: Vec<_> = client
            .backlog()
            .iter()
            .filter(|e| e["ev"] == "disconnect")
            .collect();
        assert!(ended.is_empty(), "{}: {ended:?}", server.label());
        command(&mut client, "state", "s").await;
        let state = named(&mut client, "state", "s").await;
        client.exit().await;
        json!({"nsp": seen["nsp"], "auth": seen["auth"], "connected": state["connected"],
               "transport": state["transport"]})
    })
    .await;
}

#[tokio::test]
async fn a_namespace_query_is_the_sockets_auth() {
    same_on_both(true, |mut server, transport| async move {
        let mut client = sio2();
        let url = server.url("/admin?token=abc&a=1&sp=x%20y+z&a=2");
        let id = connect(&mut client, "admin", &url, transport, true).await;
        let seen = server.connection(&id).await;
        // The main namespace was joined too, by the Engine.IO session itself.
        let main = server.connection_in("/").await;
        let main_id = main["id"].as_str().expect("an id");
        assert_eq!(id, format!("/admin#{main_id}"), "{}", server.label());
        let echoed = emit_ack(&mut client, "admin", "hello", json!(["admin"])).await;
        client.exit().await;
        json!({"nsp": seen["nsp"], "auth": seen["auth"], "main_auth": main["auth"],
               "echoed": echoed})
    })
    .await;
}

/// What a refused socket saw: its `error` event, and that it never connected.
async fn refused(client: &mut NodeDriver, name: &str, url: &str, extra: Value, t: &str) -> Value {
    let first = open(client, name, url, opts(t, extra)).await;
    client
        .expect_no("connect", Duration::from_millis(300))
        .await;
    json!({"ev": first["ev"], "data": first["data"], "message": first["message"]})
}

#[tokio::test]
async fn refusals_reach_the_v2_client_as_the_error_data_or_message() {
    same_on_both(true, |mut server, transport| async move {
        let mut client = sio2();
        let fresh = json!({"forceNew": true});
        let with_data = refused(
            &mut client,
            "data",
            &server.url("/admin?token=bad"),
            fresh.clone(),
            transport,
        )
        .await;
        let plain = refused(
            &mut client,
            "plain",
            &server.url("/admin?token=plain"),
            fresh.clone(),
            transport,
        )
        .await;
        let root = json!({"forceNew": true, "query": {"refuse": "bad"}});
        let on_root = refused(&mut client, "root", &server.url("/"), root, transport).await;
        let zero = refused(
            &mut client,
            "zero",
            &server.url("/admin?token=zero"),
            fresh.clone(),
            transport,
        )
        .await;
        let unknown = refused(
            &mut client,
            "unknown",
            &server.url("/nowhere"),
            fresh,
            transport,
        )
        .await;
        server
            .no_connection_in("/admin", Duration::from_millis(100))
            .await;
        client.exit().await;
        json!({"with_data": with_data, "plain": plain, "zero": zero, "on_root": on_root,
               "unknown": unknown})
    })
    .await;
}

/// Refused in the main namespace, the session has joined nothing: the connect timeout
/// closes it.
#[tokio::test]
async fn a_session_refused_on_the_main_namespace_is_closed_by_the_connect_timeout() {
    same_on_both(true, |mut server, transport| async move {
        let mut client = sio2();
        let query = json!({"query": {"refuse": "plain"}});
        let first = open(&mut client, "s", &server.url("/"), opts(transport, query)).await;
        let started = std::time::Instant::now();
        let ended = named(&mut client, "disconnect", "s").await;
        let waited = started.elapsed();
        assert!(
            waited > Duration::from_millis(500),
            "{}: closed after {waited:?}",
            server.label()
        );
        server
            .no_connection_in("/", Duration::from_millis(100))
            .await;
        client.exit().await;
        json!({"first": first["data"], "reason": ended["reason"]})
    })
    .await;
}

/// A v2 socket leaves a namespace and joins it again on the same session: the same id again.
#[tokio::test]
async fn a_v2_socket_rejoins_a_namespace_on_its_session() {
    same_on_both(true, |mut server, transport| async move {
        let mut client = sio2();
        let main = connect(&mut client, "s", &server.url("/"), transport, true).await;
        let admin = connect(&mut client, "a", &server.url("/admin"), transport, false).await;
        server.connection(&main).await;
        server.connection(&admin).await;
        command(&mut client, "disconnect", "a").await;
        let left = server.disconnect_reason(&admin).await;
        let cmd = json!({"cmd": "connect", "name": "a"});
        client.command(cmd, TIMEOUT).await;
        let again = named(&mut client, "connect", "a").await;
        assert_eq!(again["id"], admin.as_str(), "{}", server.label());
        let seen = server.connection(&admin).await;
        let echoed = emit_ack(&mut client, "a", "hello", json!(["again"])).await;
        client.exit().await;
        json!({"left": left, "auth": seen["auth"], "echoed": echoed})
    })
    .await;
}

#[tokio::test]
async fn events_acks_and_binary_go_both_ways() {
    same_on_both(true, |mut server, transport| async move {
        let mut client = sio2();
        let main = connect(&mut client, "s", &server.url("/"), transport, true).await;
        let admin = connect(&mut client, "a", &server.url("/admin"), transport, false).await;
        server.connection(&main).await;
        server.connection(&admin).await;
        // Text past the BMP (a v3 polling payload counts UTF-16 units), and large values.
        let big_bin = e2e::b64(&(0..=255u8).cycle().take(70_000).collect::<Vec<_>>());
        let nested = json!(["héllo ✓ 😀", 1, {"bin": {"$bin": "AAEC/w=="}, "list": [{"$bin": ""}, 2]},
                            "ü".repeat(30_000), {"$bin": big_bin}]);
        let mut outcome = Vec::new();
        for name in ["s", "a"] {
            emit(&mut client, name, "echo", nested.clone()).await;
            outcome.push(incoming(&mut client, name, "echo").await);
            outcome.push(emit_ack(&mut client, name, "acked", nested.clone()).await);
            // The server's emit with an ack, answered by the client's callback.
            emit(&mut client, name, "ask", json!(["ready?"])).await;
            let question = incoming(&mut client, name, "question").await;
            let ack = json!({"cmd": "ack", "ackId": question["ackId"], "args": ["yes", {"$bin": "AQI="}, 42]});
            client.command(ack, TIMEOUT).await;
            outcome.push(question["args"].clone());
            outcome.push(incoming(&mut client, name, "answer").await);
        }
        client.exit().await;
        Value::Array(outcome)
    })
    .await;
}

/// A v2 and a v4 client in one room get the same broadcast, and a broadcast with acks
/// collects both answers.
#[tokio::test]
async fn v2_and_v4_clients_share_a_room() {
    same_on_both(true, |mut server, transport| async move {
        let (mut v2, mut v4) = (sio2(), NodeDriver::sio());
        let old = connect(&mut v2, "old", &server.url("/"), transport, true).await;
        let v4_opts = json!({"transports": ["websocket"]});
        let cmd = json!({"cmd": "connect", "name": "new", "url": server.url("/"), "opts": v4_opts});
        v4.command(cmd, TIMEOUT).await;
        let new = named(&mut v4, "connect", "new").await["id"]
            .as_str()
            .expect("an id")
            .to_owned();
        server.connection(&old).await;
        server.connection(&new).await;
        assert_eq!(
            emit_ack(&mut v2, "old", "join-room", json!(["r"])).await,
            json!([])
        );
        let join = json!({"cmd": "emit", "name": "new", "event": "join-room", "args": ["r"],
                          "ack": true, "id": "join"});
        v4.command(join, TIMEOUT).await;
        v4.expect_matching(|e| e["ev"] == "ack" && e["id"] == "join", TIMEOUT)
            .await;
        let news = json!(["r", "news", {"bin": {"$bin": "3q2+7w=="}}, "text"]);
        assert_eq!(emit_ack(&mut v2, "old", "to-room", news).await, json!([]));
        let v2_news = incoming(&mut v2, "old", "news").await;
        let v4_news = v4
            .expect_matching(|e| e["ev"] == "event" && e["event"] == "news", TIMEOUT)
            .await;
        assert_eq!(v2_news["args"], v4_news["args"]);
        let ask = json!({"cmd": "emit", "name": "new", "event": "ask-room",
                         "args": ["r", "vote?"], "ack": true, "id": "ask"});
        v4.command(ask, TIMEOUT).await;
        let v2_question = incoming(&mut v2, "old", "question").await;
        let ack = json!({"cmd": "ack", "ackId": v2_question["ackId"], "args": ["from v2"]});
        v2.command(ack, TIMEOUT).await;
        let v4_question = v4
            .expect_matching(|e| e["ev"] == "event" && e["event"] == "question", TIMEOUT)
            .await;
        let ack = json!({"cmd": "ack", "ackId": v4_question["ackId"], "args": ["from v4"]});
        v4.command(ack, TIMEOUT).await;
        let collected = v4
            .expect_matching(|e| e["ev"] == "ack" && e["id"] == "ask", TIMEOUT)
            .await;
        v2.exit().await;
        v4.exit().await;
        json!({"news": v2_news["args"], "questions": [v2_question["args"], v4_question["args"]],
               "collected": collected["args"]})
    })
    .await;
}

#[tokio::test]
async fn disconnect_reasons_on_both_sides() {
    same_on_both(true, |mut server, transport| async move {
        let mut outcome = serde_json::Map::new();
        // The client leaves the main namespace: its Manager closes the session too.
        let mut client = sio2();
        let id = connect(&mut client, "s", &server.url("/"), transport, true).await;
        server.connection(&id).await;
        command(&mut client, "disconnect", "s").await;
        let client_side = named(&mut client, "disconnect", "s").await["reason"].clone();
        outcome.insert(
            "client leaves /".into(),
            json!([client_side, server.disconnect_reason(&id).await]),
        );
        client.exit().await;

        // The client leaves /admin: the main namespace's socket ends with the session.
        let mut client = sio2();
        let admin = connect(&mut client, "a", &server.url("/admin"), transport, true).await;
        let main = admin.trim_start_matches("/admin#").to_owned();
        server.connection(&admin).await;
        command(&mut client, "disconnect", "a").await;
        let client_side = named(&mut client, "disconnect", "a").await["reason"].clone();
        let admin_side = server.disconnect_reason(&admin).await;
        let main_side = server.disconnect_reason(&main).await;
        outcome.insert(
            "client leaves /admin".into(),
            json!([client_side, admin_side, main_side]),
        );
        client.exit().await;

        // The server disconnects the socket from /admin only, then from everything.
        let mut client = sio2();
        let main = connect(&mut client, "s", &server.url("/"), transport, true).await;
        let admin = connect(&mut client, "a", &server.url("/admin"), transport, false).await;
        server.connection(&main).await;
        server.connection(&admin).await;
        emit(&mut client, "a", "bye-nsp", json!([])).await;
        let client_side = named(&mut client, "disconnect", "a").await["reason"].clone();
        let server_side = server.disconnect_reason(&admin).await;
        outcome.insert(
            "server ends /admin".into(),
            json!([client_side, server_side]),
        );
        emit(&mut client, "s", "bye", json!([])).await;
        let client_side = named(&mut client, "disconnect", "s").await["reason"].clone();
        let server_side = server.disconnect_reason(&main).await;
        outcome.insert("server ends all".into(), json!([client_side, server_side]));
        client.exit().await;

        // The client closes its Engine.IO session.
        let mut client = sio2();
        let main = connect(&mut client, "s", &server.url("/"), transport, true).await;
        let admin = connect(&mut client, "a", &server.url("/admin"), transport, false).await;
        server.connection(&main).await;
        server.connection(&admin).await;
        command(&mut client, "closeEngine", "s").await;
        let reasons = [
            named(&mut client, "disconnect", "s").await["reason"].clone(),
            named(&mut client, "disconnect", "a").await["reason"].clone(),
            json!(server.disconnect_reason(&main).await),
            json!(server.disconnect_reason(&admin).await),
        ];
        outcome.insert("client closes the session".into(), json!(reasons));
        client.exit().await;
        Value::Object(outcome)
    })
    .await;
}

/// Without `allow_eio3` the Engine.IO v3 handshake is refused: the client's `connect_error`.
#[tokio::test]
async fn a_v2_client_is_refused_without_allow_eio3() {
    same_on_both(false, |mut server, transport| async move {
        let mut client = sio2();
        let refused = open(
            &mut client,
            "s",
            &server.url("/"),
            opts(transport, json!({})),
        )
        .await;
        client
            .expect_no("connect", Duration::from_millis(300))
            .await;
        server
            .no_connection_in("/", Duration::from_millis(100))
            .await;
        client.exit().await;
        // The reference checks the protocol after the WebSocket handshake, and then writes
        // its HTTP 400 over the WebSocket: the client reads that as a bad frame. We answer
        // the 400 instead of the upgrade (docs/architecture.md, "Where we differ").
        let description = refused["description"].as_str().unwrap_or_default();
        match (transport, server.label()) {
            ("polling" | "upgrade", _) => assert_eq!(description, "400"),
            (_, "ours") => assert!(description.contains("Unexpected server response: 400")),
            _ => assert!(
                description.contains("Invalid WebSocket frame"),
                "{description}"
            ),
        }
        json!({"ev": refused["ev"], "message": refused["message"]})
    })
    .await;
}
