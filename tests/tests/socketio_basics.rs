//! End-to-end: the official `socket.io-client` under Node against our Socket.IO server —
//! namespaces and auth, connect middlewares, binary events, acks, volatile emits, transports.

mod common_sio;

use std::time::Duration;

use common_sio::{connect, emit, emit_ack, incoming, incoming_named, named, Seen, Server};
use e2e::{bin, NodeDriver, TIMEOUT};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use socketio::server::{AckError, ConnectError, DisconnectReason, Event, Socket};
use socketio::Binary;

#[derive(Debug, Serialize, Deserialize)]
struct Inner {
    c: Binary,
}

/// `{"a": [bytes, {"x": bytes}], "b": {"c": bytes}, "s": text}`, typed.
#[derive(Debug, Serialize, Deserialize)]
struct Nested {
    a: (Binary, Extra),
    b: Inner,
    s: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Extra {
    x: Binary,
}

/// A server whose `/` and `/custom` sockets: emit `auth` (their CONNECT payload) on connect,
/// echo `echo`, ack `ack-me` with the same arguments, answer `nested` with typed binary, and
/// on `ask [question, timeout_ms|null]` ask the client `question` with an ack and report the
/// outcome as note `answer`. `/private` refuses `auth.token != "secret"` with data, and
/// `/plain-refusal` refuses everyone without data.
async fn server() -> Server {
    let server = common_sio::start().await;
    for nsp in ["/", "/custom", "/private"] {
        server.watch(nsp);
        let reporter = server.reporter();
        server.io.of(nsp).on_connection(move |socket: Socket| {
            socket.emit("auth", &(socket.handshake().auth.clone(),));
            socket.on("echo", |socket: &Socket, event: Event| {
                socket.emit_payload("echo", event.payload().clone());
            });
            socket.on("ack-me", |_: &Socket, event: Event| {
                let args = event.payload().clone();
                if let Some(ack) = event.into_ack() {
                    ack.send_payload(args);
                }
            });
            let typed = reporter.clone();
            socket.on("nested", move |socket: &Socket, event: Event| {
                let (nested, last): (Nested, Binary) = event.args().expect("typed nested args");
                typed.note(
                    "nested",
                    json!([nested.a.0.to_vec(), nested.a.1.x.to_vec(), nested.b.c.to_vec(), nested.s, last.to_vec()]),
                );
                let back = Nested {
                    a: (Binary::from(vec![9, 8]), Extra { x: Binary::from(vec![]) }),
                    b: Inner { c: Binary::from(vec![255; 3]) },
                    s: "back".to_owned(),
                };
                socket.try_emit("nested-back", &(back, Binary::from(vec![7]))).expect("emit");
            });
            let answers = reporter.clone();
            socket.on("ask", move |socket: &Socket, event: Event| {
                let (question, timeout): (String, Option<u64>) = event.args().expect("ask args");
                let (socket, answers) = (socket.clone(), answers.clone());
                tokio::spawn(async move {
                    let answer = match timeout {
                        Some(ms) => {
                            let limit = Duration::from_millis(ms);
                            socket.emit_with_timeout::<_, (String, Binary)>("question", &(question,), limit).await
                        }
                        None => socket.emit_with_ack::<_, (String, Binary)>("question", &(question,)).await,
                    };
                    answers.note(
                        "answer",
                        match answer {
                            Ok((text, data)) => json!({"ok": [text, data.to_vec()]}),
                            Err(err) => json!({"err": err.to_string(), "timeout": matches!(err, AckError::Timeout)}),
                        },
                    );
                });
            });
        });
    }
    server
        .io
        .of("/private")
        .use_middleware(|socket: Socket| async move {
            match socket.handshake().auth["token"].as_str() {
                Some("secret") => Ok(()),
                _ => Err(ConnectError::new("not authorized")
                    .with_data(json!({"code": 401, "hint": ["token"]}))),
            }
        });
    server
        .io
        .of("/plain-refusal")
        .use_middleware(|_socket: Socket| async move { Err(ConnectError::new("go away")) });
    server
}

#[tokio::test]
async fn auth_reaches_the_handshake_on_main_and_custom_namespaces() {
    let mut server = server().await;
    let mut client = NodeDriver::sio();
    let main_auth = json!({"token": "abc", "n": 1, "deep": {"list": [1, "two"]}});
    let custom_auth = json!({"user": "bob"});
    let main = connect(
        &mut client,
        "main",
        &server.nsp_url("/"),
        json!({"auth": main_auth}),
    )
    .await;
    let custom = connect(
        &mut client,
        "custom",
        &server.nsp_url("/custom"),
        json!({"auth": custom_auth}),
    )
    .await;
    let bare = connect(&mut client, "bare", &server.nsp_url("/"), json!({})).await;
    assert_eq!(server.connected(&main).await, main_auth);
    assert_eq!(server.connected(&custom).await, custom_auth);
    assert_eq!(server.connected(&bare).await, json!({}));
    // The server emitted `auth` with what it saw, to each socket.
    for (name, auth) in [
        ("main", &main_auth),
        ("custom", &custom_auth),
        ("bare", &json!({})),
    ] {
        let event = incoming(&mut client, name).await;
        assert_eq!(event["event"], "auth", "{name}");
        assert_eq!(event["args"], json!([auth]), "{name}");
    }
    client.exit().await;
}

#[tokio::test]
async fn connect_middleware_refusal_is_a_connect_error_with_data() {
    let mut server = server().await;
    let mut client = NodeDriver::sio();
    let cmd = json!({"cmd": "connect", "name": "bad", "url": server.nsp_url("/private"), "opts": {"auth": {"token": "nope"}}});
    client.command(cmd, TIMEOUT).await;
    let refused = named(&mut client, "connect_error", "bad").await;
    assert_eq!(refused["message"], "not authorized");
    assert_eq!(refused["data"], json!({"code": 401, "hint": ["token"]}));

    let cmd = json!({"cmd": "connect", "name": "plain", "url": server.nsp_url("/plain-refusal"), "opts": {}});
    client.command(cmd, TIMEOUT).await;
    let refused = named(&mut client, "connect_error", "plain").await;
    assert_eq!(refused["message"], "go away");
    assert_eq!(refused["data"], Value::Null);

    let good = connect(
        &mut client,
        "good",
        &server.nsp_url("/private"),
        json!({"auth": {"token": "secret"}}),
    )
    .await;
    assert_eq!(server.connected(&good).await, json!({"token": "secret"}));
    // The refused ones never connected on the server, and never on the client.
    server
        .expect_none(
            |s| matches!(s, Seen::Connect { id, .. } if *id != good),
            Duration::from_millis(200),
        )
        .await;
    assert!(client
        .history()
        .iter()
        .all(|e| !(e["ev"] == "connect" && e["name"] != "good")));
    client.exit().await;
}

#[tokio::test]
async fn nested_binary_both_ways() {
    let mut server = server().await;
    let mut client = NodeDriver::sio();
    let id = connect(&mut client, "s", &server.nsp_url("/"), json!({})).await;
    let bytes: Vec<u8> = (0..=255).collect();
    let arg =
        json!({"a": [bin(&[1, 2, 3]), {"x": bin(&[])}], "b": {"c": bin(&bytes)}, "s": "text"});
    let args = json!([arg, bin(&[0xde, 0xad])]);

    // Client to server: the JSON and every attachment in place, typed and untyped.
    emit(&mut client, "s", "nested", args.clone()).await;
    assert_eq!(server.event(&id, "nested").await, args);
    let typed = server.note("nested").await;
    assert_eq!(typed, json!([[1, 2, 3], [], bytes, "text", [0xde, 0xad]]));

    // Server to client: a typed value with binary leaves.
    let back = incoming_named(&mut client, "s", "nested-back").await;
    let expected = json!([{"a": [bin(&[9, 8]), {"x": bin(&[])}], "b": {"c": bin(&[255; 3])}, "s": "back"}, bin(&[7])]);
    assert_eq!(back["args"], expected);

    // Echoed as it came (the payload re-encoded), and as an ack answer.
    emit(&mut client, "s", "echo", args.clone()).await;
    let echoed = incoming_named(&mut client, "s", "echo").await;
    assert_eq!(echoed["args"], args);
    assert_eq!(
        emit_ack(&mut client, "s", "ack-me", args.clone()).await,
        args
    );
    client.exit().await;
}

#[tokio::test]
async fn acks_both_ways() {
    let mut server = server().await;
    let mut client = NodeDriver::sio();
    let id = connect(&mut client, "s", &server.nsp_url("/"), json!({})).await;

    // The client's ack, answered by a server handler.
    let args = json!(["a", 1, {"k": true}, null]);
    assert_eq!(
        emit_ack(&mut client, "s", "ack-me", args.clone()).await,
        args
    );
    // Answered on a custom namespace too (its own ack ids).
    connect(&mut client, "c", &server.nsp_url("/custom"), json!({})).await;
    assert_eq!(
        emit_ack(&mut client, "c", "ack-me", json!([2])).await,
        json!([2])
    );

    // The server's ack with a timeout, answered by the client (binary in the answer).
    emit(&mut client, "s", "ask", json!(["what?", 5000])).await;
    let asked = incoming_named(&mut client, "s", "question").await;
    assert_eq!(asked["args"], json!(["what?"]));
    let ack_id = asked["ackId"].clone();
    assert!(ack_id.is_u64(), "the server asked for an ack: {asked}");
    let answer = json!({"cmd": "ack", "ackId": ack_id, "args": ["forty-two", bin(&[4, 2])]});
    client.command(answer, TIMEOUT).await;
    assert_eq!(
        server.note("answer").await,
        json!({"ok": ["forty-two", [4, 2]]})
    );

    // Without a timeout.
    emit(&mut client, "s", "ask", json!(["again?", null])).await;
    let asked = incoming_named(&mut client, "s", "question").await;
    let answer = json!({"cmd": "ack", "ackId": asked["ackId"], "args": ["yes", bin(&[])]});
    client.command(answer, TIMEOUT).await;
    assert_eq!(server.note("answer").await, json!({"ok": ["yes", []]}));

    // Never answered: the timeout fires with the reference's message.
    emit(&mut client, "s", "ask", json!(["silence?", 300])).await;
    let asked = incoming_named(&mut client, "s", "question").await;
    let timed_out = server.note("answer").await;
    assert_eq!(
        timed_out,
        json!({"err": "operation has timed out", "timeout": true})
    );
    // A late answer is ignored and the socket stays connected.
    client
        .command(
            json!({"cmd": "ack", "ackId": asked["ackId"], "args": ["late", bin(&[1])]}),
            TIMEOUT,
        )
        .await;
    assert_eq!(
        emit_ack(&mut client, "s", "ack-me", json!(["still here"])).await,
        json!(["still here"])
    );
    server
        .expect_none(
            |s| matches!(s, Seen::Note { .. } | Seen::Disconnect { .. }),
            Duration::from_millis(300),
        )
        .await;

    // An ack without a timeout fails when the client leaves.
    emit(&mut client, "s", "ask", json!(["bye?", null])).await;
    incoming_named(&mut client, "s", "question").await;
    client
        .command(json!({"cmd": "disconnect", "name": "s"}), TIMEOUT)
        .await;
    assert_eq!(
        server.disconnected(&id).await,
        DisconnectReason::ClientNamespaceDisconnect
    );
    let failed = server.note("answer").await;
    assert_eq!(
        failed,
        json!({"err": "socket has been disconnected", "timeout": false})
    );
    client.exit().await;
}

#[tokio::test]
async fn volatile_reaches_an_idle_websocket_client() {
    let mut server = server().await;
    let mut client = NodeDriver::sio();
    let opts = json!({"transports": ["websocket"]});
    let id = connect(&mut client, "s", &server.nsp_url("/"), opts).await;
    server.connected(&id).await;
    assert_eq!(incoming(&mut client, "s").await["event"], "auth");
    // Idle: a round trip done, nothing left to write.
    assert_eq!(
        emit_ack(&mut client, "s", "ack-me", json!([1])).await,
        json!([1])
    );
    let socket = server
        .io
        .of("/")
        .socket(&id)
        .expect("the socket on the server");
    socket
        .volatile()
        .try_emit("v1", &("one", 1))
        .expect("volatile emit");
    let event = incoming(&mut client, "s").await;
    assert_eq!(
        (&event["event"], &event["args"]),
        (&json!("v1"), &json!(["one", 1]))
    );
    server
        .io
        .of("/")
        .operator()
        .volatile()
        .try_emit("v2", &("two",))
        .expect("volatile broadcast");
    let event = incoming(&mut client, "s").await;
    assert_eq!(
        (&event["event"], &event["args"]),
        (&json!("v2"), &json!(["two"]))
    );
    client.expect_no("event", Duration::from_millis(300)).await;
    client.exit().await;
}

/// Round trips on a connected socket: an echo with binary, an ack, and a server emit.
async fn round_trips(client: &mut NodeDriver, server: &mut Server, id: &str) {
    let args = json!(["x", bin(&[1, 2, 3]), {"y": [bin(&[4])]}]);
    emit(client, "s", "echo", args.clone()).await;
    assert_eq!(incoming_named(client, "s", "echo").await["args"], args);
    assert_eq!(emit_ack(client, "s", "ack-me", args.clone()).await, args);
    let socket = server.io.of("/").socket(id).expect("socket");
    socket.try_emit("direct", &("hi",)).expect("emit");
    let direct = incoming_named(client, "s", "direct").await;
    assert_eq!(direct["args"], json!(["hi"]));
}

async fn transport_of(client: &mut NodeDriver) -> Value {
    client
        .command(json!({"cmd": "state", "name": "s"}), TIMEOUT)
        .await;
    let state = named(client, "state", "s").await;
    assert_eq!(state["connected"], true, "{state}");
    state["transport"].clone()
}

#[tokio::test]
async fn polling_only_websocket_only_and_upgraded_clients() {
    for (opts, transport) in [
        (json!({"transports": ["polling"]}), "polling"),
        (json!({"transports": ["websocket"]}), "websocket"),
        (json!({}), "upgraded"),
    ] {
        let mut server = server().await;
        let mut client = NodeDriver::sio();
        let id = connect(&mut client, "s", &server.nsp_url("/"), opts).await;
        if transport == "upgraded" {
            let upgraded = named(&mut client, "engine_upgrade", "s").await;
            assert_eq!(upgraded["transport"], "websocket");
        }
        round_trips(&mut client, &mut server, &id).await;
        let expected = if transport == "polling" {
            "polling"
        } else {
            "websocket"
        };
        assert_eq!(transport_of(&mut client).await, expected, "{transport}");
        if transport != "upgraded" {
            assert!(
                client.history().iter().all(|e| e["ev"] != "engine_upgrade"),
                "{transport}"
            );
        }
        // Nothing twice: the echo, the ack and the direct emit each came once.
        client.expect_no("event", Duration::from_millis(300)).await;
        client
            .command(json!({"cmd": "disconnect", "name": "s"}), TIMEOUT)
            .await;
        assert_eq!(
            server.disconnected(&id).await,
            DisconnectReason::ClientNamespaceDisconnect,
            "{transport}"
        );
        client.exit().await;
    }
}
