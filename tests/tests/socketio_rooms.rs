//! End-to-end: rooms, broadcasts and broadcast acks across three `socket.io-client` sockets
//! (separate connections) on our Socket.IO server.

mod common_sio;

use std::time::Duration;

use common_sio::{connect, emit_ack, incoming, Server};
use e2e::{NodeDriver, TIMEOUT};
use serde_json::{json, Value};
use socketio::server::{Event, Socket};

/// Acks `event` with no arguments, once the handler's work is done.
fn done(event: Event) {
    if let Some(ack) = event.into_ack() {
        ack.send(&("done",));
    }
}

/// `/` sockets: `join [rooms]` joins them; `relay [rooms, text]` is `socket.to(rooms)` of
/// `relayed [text]`; `shout [text]` is `socket.broadcast()` of `shout [text]`. Each is acked
/// after it acted, so that the deliveries are queued before the sender goes on.
async fn server() -> Server {
    let server = common_sio::start().await;
    server.watch("/");
    server.io.of("/").on_connection(|socket: Socket| {
        socket.on("join", |socket: &Socket, event: Event| {
            let (rooms,): (Vec<String>,) = event.args().expect("join args");
            socket.join(rooms);
            done(event);
        });
        socket.on("relay", |socket: &Socket, event: Event| {
            let (rooms, text): (Vec<String>, String) = event.args().expect("relay args");
            socket
                .to(rooms)
                .try_emit("relayed", &(text,))
                .expect("relay");
            done(event);
        });
        socket.on("shout", |socket: &Socket, event: Event| {
            let (text,): (String,) = event.args().expect("shout args");
            socket
                .broadcast()
                .try_emit("shout", &(text,))
                .expect("shout");
            done(event);
        });
    });
    server
}

/// Three sockets `a`, `b`, `c`, each on its own connection (`forceNew`), joined to rooms:
/// a in r1, b in r1 and r2, c in r2.
async fn three_clients(server: &mut Server) -> (NodeDriver, Vec<String>) {
    let mut client = NodeDriver::sio();
    let mut ids = Vec::new();
    for (name, rooms) in [
        ("a", json!(["r1"])),
        ("b", json!(["r1", "r2"])),
        ("c", json!(["r2"])),
    ] {
        let opts = json!({"forceNew": true, "transports": ["websocket"]});
        let id = connect(&mut client, name, &server.nsp_url("/"), opts).await;
        server.connected(&id).await;
        assert_eq!(
            emit_ack(&mut client, name, "join", json!([rooms])).await,
            json!(["done"])
        );
        ids.push(id);
    }
    let sids: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(sids.len(), 3, "three distinct sockets");
    (client, ids)
}

/// Checks that socket `name` received exactly `expected` (`[event, args]` pairs), in order.
async fn received(client: &mut NodeDriver, name: &str, expected: &[(&str, Value)]) {
    for (event, args) in expected {
        let got = incoming(client, name).await;
        assert_eq!(
            (&got["event"], &got["args"]),
            (&json!(event), args),
            "socket {name}"
        );
    }
}

#[tokio::test]
async fn rooms_and_broadcasts_reach_exactly_their_targets() {
    let mut server = server().await;
    let (mut client, _ids) = three_clients(&mut server).await;
    let io = server.io.clone();

    // From a socket: its rooms' other members, never itself.
    emit_ack(&mut client, "a", "relay", json!([["r1"], "m1"])).await;
    emit_ack(&mut client, "c", "relay", json!([["r2"], "m2"])).await;
    // From the server, one room.
    io.to("r1").try_emit("io-r1", &("x",)).expect("emit");
    // A union of two rooms: b, in both, once.
    io.to("r1").to("r2").try_emit("union", &(1,)).expect("emit");
    // `except`.
    io.to(["r1", "r2"])
        .except("r1")
        .try_emit("except", &(2,))
        .expect("emit");
    io.of("/")
        .except("r2")
        .try_emit("not-r2", &(3,))
        .expect("emit");
    // `socket.broadcast()`: all but the sender.
    emit_ack(&mut client, "a", "shout", json!(["hey"])).await;
    // `socket.to` a union: the sender excluded although it is in both rooms.
    emit_ack(&mut client, "b", "relay", json!([["r1", "r2"], "m3"])).await;
    // Everyone in the namespace.
    io.try_emit("all", &("everyone",)).expect("emit");

    let all = ("all", json!(["everyone"]));
    received(
        &mut client,
        "a",
        &[
            ("io-r1", json!(["x"])),
            ("union", json!([1])),
            ("not-r2", json!([3])),
            ("relayed", json!(["m3"])),
            all.clone(),
        ],
    )
    .await;
    received(
        &mut client,
        "b",
        &[
            ("relayed", json!(["m1"])),
            ("relayed", json!(["m2"])),
            ("io-r1", json!(["x"])),
            ("union", json!([1])),
            ("shout", json!(["hey"])),
            all.clone(),
        ],
    )
    .await;
    received(
        &mut client,
        "c",
        &[
            ("union", json!([1])),
            ("except", json!([2])),
            ("shout", json!(["hey"])),
            ("relayed", json!(["m3"])),
            all,
        ],
    )
    .await;
    // Nobody got anything twice, nor anything not meant for them.
    client.expect_no("event", Duration::from_millis(400)).await;
    client.exit().await;
}

/// Answers every `poll` of the sockets `names` with `[name, "ignored second argument"]`.
async fn answer_polls(client: &mut NodeDriver, names: &[&str]) {
    for name in names {
        let poll = incoming(client, name).await;
        assert_eq!(
            (&poll["event"], &poll["args"]),
            (&json!("poll"), &json!(["q?"])),
            "{name}"
        );
        let cmd = json!({"cmd": "ack", "ackId": poll["ackId"], "args": [name, "ignored second argument"]});
        client.command(cmd, TIMEOUT).await;
    }
}

#[tokio::test]
async fn broadcast_acks_collect_every_answer_or_the_partial_ones() {
    let mut server = server().await;
    let (mut client, _ids) = three_clients(&mut server).await;

    // Every client answers: the first argument of each.
    let operator = server.io.of("/").operator().timeout(Duration::from_secs(5));
    let all =
        tokio::spawn(async move { operator.emit_with_ack::<_, String>("poll", &("q?",)).await });
    answer_polls(&mut client, &["a", "b", "c"]).await;
    let mut answers = tokio::time::timeout(TIMEOUT, all)
        .await
        .expect("the broadcast ack completes before its timeout")
        .expect("task")
        .expect("every client answered");
    answers.sort();
    assert_eq!(answers, ["a", "b", "c"]);

    // c does not answer: the timeout fires with the two answers that came.
    let operator = server
        .io
        .of("/")
        .operator()
        .timeout(Duration::from_millis(600));
    let partial =
        tokio::spawn(async move { operator.emit_with_ack::<_, String>("poll", &("q?",)).await });
    answer_polls(&mut client, &["a", "b"]).await;
    let unanswered = incoming(&mut client, "c").await;
    assert_eq!(unanswered["event"], "poll");
    let error = tokio::time::timeout(TIMEOUT, partial)
        .await
        .expect("the broadcast ack ends at its timeout")
        .expect("task")
        .expect_err("c never answered");
    assert_eq!(error.to_string(), "operation has timed out");
    let mut responses = error.responses;
    responses.sort();
    assert_eq!(responses, ["a", "b"]);

    // A room's broadcast ack: only r2's members are asked.
    let operator = server.io.to("r2").timeout(Duration::from_secs(5));
    let room =
        tokio::spawn(async move { operator.emit_with_ack::<_, String>("poll", &("q?",)).await });
    answer_polls(&mut client, &["b", "c"]).await;
    let mut answers = tokio::time::timeout(TIMEOUT, room)
        .await
        .expect("in time")
        .expect("task")
        .expect("b and c answered");
    answers.sort();
    assert_eq!(answers, ["b", "c"]);
    client.expect_no("event", Duration::from_millis(300)).await;
    client.exit().await;
}
