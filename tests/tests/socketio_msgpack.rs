//! End-to-end: the official `socket.io-client` on `socket.io-msgpack-parser` against our
//! server with `MsgpackParser`, over polling only, WebSocket only, and polling upgraded to
//! WebSocket: events both ways with nested binary (raw and typed), acks both ways, namespaces
//! multiplexed on one connection with their auth, connect errors with and without data.
//! Rooms, broadcasts and disconnect reasons are in `socketio_msgpack_rooms.rs`; a client on
//! the other parser in `socketio_msgpack_mismatch.rs`.

#[macro_use]
mod common_sio;

use std::time::Duration;

use common_sio::{
    assert_on, connect_msgpack, emit, emit_ack, incoming_named, msgpack_opts, named, Server,
    Transport,
};
use e2e::{bin, NodeDriver, TIMEOUT};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use socketio::server::{AckError, ConnectError, Event, Socket};
use socketio::Binary;

on_every_transport!(events_carry_nested_binary_both_ways);
on_every_transport!(typed_arguments_carry_binary_both_ways);
on_every_transport!(acks_carry_binary_both_ways);
on_every_transport!(namespaces_share_a_connection_each_with_its_auth);
on_every_transport!(connect_errors_carry_their_message_and_data);

#[derive(Debug, Serialize, Deserialize)]
struct Photo {
    title: String,
    data: Binary,
    thumbs: Vec<Binary>,
}

/// A server on the msgpack parser whose `/` and `/custom` sockets: emit `auth` (their
/// CONNECT payload) on connect, echo `echo`, ack `ack-me` with the same arguments, answer a
/// typed `photo` with `photo-back`, and on `ask [question, timeout_ms|null]` ask the client
/// `question` with an ack and report the outcome as note `answer`. `/private` refuses
/// `auth.token != "secret"` with data; `/plain-refusal` refuses everyone without data.
async fn server() -> Server {
    let server = common_sio::start_msgpack().await;
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
                    ack.try_send_payload(args).expect("ack sent");
                }
            });
            socket.on("photo", |socket: &Socket, event: Event| {
                let (mut photo, extra): (Photo, Binary) = event.args().expect("typed photo");
                photo.title = format!("{} (seen)", photo.title);
                photo.thumbs.push(extra);
                socket.try_emit("photo-back", &(photo,)).expect("emit");
            });
            let answers = reporter.clone();
            socket.on("ask", move |socket: &Socket, event: Event| {
                let (question, timeout): (String, Option<u64>) = event.args().expect("ask args");
                let (socket, answers) = (socket.clone(), answers.clone());
                tokio::spawn(async move {
                    let args = (question,);
                    let answer = match timeout.map(Duration::from_millis) {
                        Some(limit) => {
                            socket
                                .emit_with_timeout::<_, (String, Binary)>("question", &args, limit)
                                .await
                        }
                        None => {
                            socket
                                .emit_with_ack::<_, (String, Binary)>("question", &args)
                                .await
                        }
                    };
                    answers.note("answer", answer_json(answer));
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
                    .with_data(json!({"code": 401, "hint": ["token", {"deep": [1.5, -3]}]}))),
            }
        });
    server
        .io
        .of("/plain-refusal")
        .use_middleware(|_socket: Socket| async move { Err(ConnectError::new("go away")) });
    server
}

fn answer_json(answer: Result<(String, Binary), AckError>) -> Value {
    match answer {
        Ok((text, data)) => json!({"ok": [text, bin(&data)]}),
        Err(err) => json!({"err": err.to_string(), "timeout": matches!(err, AckError::Timeout)}),
    }
}

/// Arguments with binary at every depth, and every kind of JSON value msgpack carries.
fn rich_args() -> Value {
    let large: Vec<u8> = (0..64 * 1024).map(|i| (i % 251) as u8).collect();
    json!([
        "text ☃ héllo",
        {
            "a": [bin(&[1, 2, 3]), {"x": bin(&[]), "y": [[bin(&[0xff; 3])]]}],
            "n": 1, "neg": -300, "big": 1_099_511_627_776_u64, "f": 1.5, "t": true, "nil": null,
            "empty": {}, "none": [],
        },
        bin(&large),
        [1, "two", [3.25]],
    ])
}

/// A socket `s` on `/`, connected and seen by the server; returns its id.
async fn one_socket(server: &mut Server, client: &mut NodeDriver, transport: Transport) -> String {
    let url = server.nsp_url("/");
    let id = connect_msgpack(client, transport, "s", &url, json!({})).await;
    server.connected(&id).await;
    let auth = incoming_named(client, "s", "auth").await;
    assert_eq!(auth["args"], json!([{}]), "the server's first emit");
    id
}

async fn events_carry_nested_binary_both_ways(transport: Transport) {
    let mut server = server().await;
    let mut client = NodeDriver::sio();
    let id = one_socket(&mut server, &mut client, transport).await;
    emit(&mut client, "s", "echo", rich_args()).await;
    assert_eq!(
        server.event(&id, "echo").await,
        rich_args(),
        "what the server read"
    );
    let echoed = incoming_named(&mut client, "s", "echo").await;
    assert_eq!(echoed["args"], rich_args(), "what the client read back");
    assert_eq!(echoed["ackId"], Value::Null);
    // A server emit from outside any handler, to the socket by its id.
    let nsp = server.io.of("/");
    let raw = (Binary::from(vec![0, 1]), "x", Binary::from(vec![]));
    nsp.to(id.as_str()).try_emit("raw", &raw).expect("emit");
    let got = incoming_named(&mut client, "s", "raw").await;
    assert_eq!(got["args"], json!([bin(&[0, 1]), "x", bin(&[])]));
    assert_on(&mut client, "s", transport).await;
    client.exit().await;
}

async fn typed_arguments_carry_binary_both_ways(transport: Transport) {
    let mut server = server().await;
    let mut client = NodeDriver::sio();
    let id = one_socket(&mut server, &mut client, transport).await;
    let photo =
        json!({"title": "cat", "data": bin(&[0xff, 0xd8]), "thumbs": [bin(&[1]), bin(&[2, 2])]});
    emit(&mut client, "s", "photo", json!([photo, bin(&[3; 3])])).await;
    server.event(&id, "photo").await;
    let back = incoming_named(&mut client, "s", "photo-back").await;
    let want = json!({"title": "cat (seen)", "data": bin(&[0xff, 0xd8]),
        "thumbs": [bin(&[1]), bin(&[2, 2]), bin(&[3; 3])]});
    assert_eq!(back["args"], json!([want]));
    assert_on(&mut client, "s", transport).await;
    client.exit().await;
}

async fn acks_carry_binary_both_ways(transport: Transport) {
    let mut server = server().await;
    let mut client = NodeDriver::sio();
    one_socket(&mut server, &mut client, transport).await;
    // Client to server: the ack carries the arguments back.
    let answer = emit_ack(&mut client, "s", "ack-me", rich_args()).await;
    assert_eq!(answer, rich_args());
    let empty = emit_ack(&mut client, "s", "ack-me", json!([])).await;
    assert_eq!(empty, json!([]));
    // Server to client: the client's binary answer reaches the server's typed wait.
    emit(&mut client, "s", "ask", json!(["ready?", null])).await;
    let question = incoming_named(&mut client, "s", "question").await;
    assert_eq!(question["args"], json!(["ready?"]));
    let ack_id = question["ackId"].clone();
    assert!(ack_id.is_u64(), "the server asked for an ack: {question}");
    let reply = json!({"cmd": "ack", "ackId": ack_id, "args": ["yes", bin(&[4, 5, 6])]});
    client.command(reply, TIMEOUT).await;
    let want = json!({"ok": ["yes", bin(&[4, 5, 6])]});
    assert_eq!(server.note("answer").await, want);
    // Unanswered, the server's wait times out.
    emit(&mut client, "s", "ask", json!(["still there?", 200])).await;
    let unanswered = incoming_named(&mut client, "s", "question").await;
    assert!(unanswered["ackId"].is_u64());
    let timed_out = server.note("answer").await;
    assert_eq!(timed_out["timeout"], true, "{timed_out}");
    assert_on(&mut client, "s", transport).await;
    client.exit().await;
}

async fn namespaces_share_a_connection_each_with_its_auth(transport: Transport) {
    let mut server = server().await;
    let mut client = NodeDriver::sio();
    let main_auth = json!({"token": "abc", "n": 1, "deep": {"list": [1, "two", 2.5]}});
    let custom_auth = json!({"user": "bob", "none": null});
    let extra = |auth: &Value| json!({"auth": auth});
    let main_url = server.nsp_url("/");
    let main = connect_msgpack(&mut client, transport, "m", &main_url, extra(&main_auth)).await;
    let custom_url = server.nsp_url("/custom");
    let custom = connect_msgpack(
        &mut client,
        transport,
        "c",
        &custom_url,
        extra(&custom_auth),
    )
    .await;
    assert_eq!(server.connected(&main).await, main_auth);
    assert_eq!(server.connected(&custom).await, custom_auth);
    for (name, auth) in [("m", &main_auth), ("c", &custom_auth)] {
        let event = incoming_named(&mut client, name, "auth").await;
        assert_eq!(event["args"], json!([auth]), "{name}");
    }
    // Each namespace's events reach its own handlers, and come back on it.
    emit(&mut client, "c", "echo", json!(["to custom", bin(&[7])])).await;
    emit(&mut client, "m", "echo", json!(["to main"])).await;
    assert_eq!(
        server.event(&custom, "echo").await,
        json!(["to custom", bin(&[7])])
    );
    assert_eq!(server.event(&main, "echo").await, json!(["to main"]));
    let back = incoming_named(&mut client, "c", "echo").await;
    assert_eq!(back["args"], json!(["to custom", bin(&[7])]));
    let back = incoming_named(&mut client, "m", "echo").await;
    assert_eq!(back["args"], json!(["to main"]));
    // One engine connection carries both (the client multiplexes them).
    let sockets = server.io.of("/").socket(&main).expect("main socket");
    let custom_socket = server
        .io
        .of("/custom")
        .socket(&custom)
        .expect("custom socket");
    assert_eq!(sockets.conn().id(), custom_socket.conn().id());
    assert_on(&mut client, "m", transport).await;
    client.exit().await;
}

async fn connect_errors_carry_their_message_and_data(transport: Transport) {
    let mut server = server().await;
    let mut client = NodeDriver::sio();
    // A first socket opens (and for `Upgrade`, upgrades) the connection the others share.
    one_socket(&mut server, &mut client, transport).await;
    let refused = [
        ("bad", "/private", json!({"token": "nope"})),
        ("plain", "/plain-refusal", json!({})),
        ("nowhere", "/nowhere", json!({})),
    ];
    for (name, nsp, auth) in &refused {
        let opts = msgpack_opts(transport, json!({"auth": auth}));
        let cmd = json!({"cmd": "connect", "name": name, "url": server.nsp_url(nsp), "opts": opts});
        client.command(cmd, TIMEOUT).await;
    }
    let wants = [
        (
            "bad",
            "not authorized",
            json!({"code": 401, "hint": ["token", {"deep": [1.5, -3]}]}),
        ),
        ("plain", "go away", Value::Null),
        ("nowhere", "Invalid namespace", Value::Null),
    ];
    for (name, message, data) in wants {
        let error = named(&mut client, "connect_error", name).await;
        assert_eq!(
            (&error["message"], &error["data"]),
            (&json!(message), &data),
            "{name}"
        );
    }
    // The right token passes the same middleware.
    let url = server.nsp_url("/private");
    let auth = json!({"auth": {"token": "secret"}});
    let id = connect_msgpack(&mut client, transport, "good", &url, auth).await;
    server.connected(&id).await;
    client
        .expect_no("connect_error", Duration::from_millis(200))
        .await;
    assert_on(&mut client, "good", transport).await;
    client.exit().await;
}
