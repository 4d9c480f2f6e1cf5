//! End-to-end: rooms, broadcasts (binary ones, and with acks) and disconnect reasons with the
//! official `socket.io-client` on `socket.io-msgpack-parser` against our server with
//! `MsgpackParser`, over polling only, WebSocket only, and polling upgraded to WebSocket.

#[macro_use]
mod common_sio;

use std::time::Duration;

use common_sio::{assert_on, connect_msgpack, emit_ack, incoming, named, Server, Transport};
use e2e::{bin, NodeDriver, TIMEOUT};
use serde::Deserialize;
use serde_json::{json, Value};
use socketio::server::{DisconnectReason, Event, Socket};
use socketio::Binary;

on_every_transport!(rooms_and_broadcasts_reach_exactly_their_targets);
on_every_transport!(a_broadcast_with_acks_collects_every_binary_answer);
on_every_transport!(disconnect_reasons_reach_both_sides);
on_every_transport!(a_server_shutdown_is_transport_close);

/// Acks `event` with `done`, once the handler's work is done.
fn done(event: Event) {
    if let Some(ack) = event.into_ack() {
        ack.send(&("done",));
    }
}

/// A msgpack server whose `/` and `/custom` are watched; on `/`, `join [rooms]` joins them,
/// `relay [rooms, args...]` is `socket.to(rooms)` of `relayed [args...]` and `shout [args...]`
/// is `socket.broadcast()` of `shout [args...]`, each acked once done.
async fn server() -> Server {
    let server = common_sio::start_msgpack().await;
    server.watch("/");
    server.watch("/custom");
    server.io.of("/").on_connection(|socket: Socket| {
        socket.on("join", |socket: &Socket, event: Event| {
            let (rooms,): (Vec<String>,) = event.args().expect("join args");
            socket.join(rooms);
            done(event);
        });
        socket.on("relay", |socket: &Socket, event: Event| {
            let rooms: Vec<String> = event.arg(0).expect("relay rooms");
            let args = event.payload().clone();
            let rest = args.value().as_array().map(|a| a[1..].to_vec());
            let rest = socketio::Payload::new(json!(rest), args.attachments().to_vec());
            let rest = rest.expect("the same attachments");
            socket.to(rooms).emit_payload("relayed", rest);
            done(event);
        });
        socket.on("shout", |socket: &Socket, event: Event| {
            let args = event.payload().clone();
            socket.broadcast().emit_payload("shout", args);
            done(event);
        });
    });
    server
}

/// Sockets `a` (in r1), `b` (in r1 and r2), `c` (in r2), each on its own connection.
async fn three_clients(server: &mut Server, transport: Transport) -> NodeDriver {
    let mut client = NodeDriver::sio();
    for (name, rooms) in [
        ("a", json!(["r1"])),
        ("b", json!(["r1", "r2"])),
        ("c", json!(["r2"])),
    ] {
        let url = server.nsp_url("/");
        let extra = json!({"forceNew": true});
        let id = connect_msgpack(&mut client, transport, name, &url, extra).await;
        server.connected(&id).await;
        let joined = emit_ack(&mut client, name, "join", json!([rooms])).await;
        assert_eq!(joined, json!(["done"]));
    }
    client
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

async fn rooms_and_broadcasts_reach_exactly_their_targets(transport: Transport) {
    let mut server = server().await;
    let mut client = three_clients(&mut server, transport).await;
    let io = server.io.clone();
    let blob = json!({"deep": [bin(&[1, 2]), {"more": bin(&[0; 5])}]});

    emit_ack(&mut client, "a", "relay", json!([["r1"], "m1", blob])).await;
    io.to("r2")
        .try_emit("io-r2", &(Binary::from(vec![9]),))
        .expect("emit");
    io.to("r1").to("r2").try_emit("union", &(1,)).expect("emit");
    io.to(["r1", "r2"])
        .except("r1")
        .try_emit("except", &(2,))
        .expect("emit");
    emit_ack(&mut client, "c", "shout", json!(["hey", bin(&[0xff])])).await;
    io.try_emit("all", &("everyone", Binary::from(vec![])))
        .expect("emit");

    let all = ("all", json!(["everyone", bin(&[])]));
    let union = ("union", json!([1]));
    let shout = ("shout", json!(["hey", bin(&[0xff])]));
    received(
        &mut client,
        "a",
        &[union.clone(), shout.clone(), all.clone()],
    )
    .await;
    let relayed = ("relayed", json!(["m1", blob]));
    let io_r2 = ("io-r2", json!([bin(&[9])]));
    let except = ("except", json!([2]));
    received(
        &mut client,
        "b",
        &[relayed, io_r2.clone(), union.clone(), shout, all.clone()],
    )
    .await;
    received(&mut client, "c", &[io_r2, union, except, all]).await;
    client.expect_no("event", Duration::from_millis(300)).await;
    for name in ["a", "b", "c"] {
        assert_on(&mut client, name, transport).await;
    }
    client.exit().await;
}

#[derive(Debug, Deserialize, PartialEq)]
struct Answer {
    name: String,
    data: Binary,
}

async fn a_broadcast_with_acks_collects_every_binary_answer(transport: Transport) {
    let mut server = server().await;
    let mut client = three_clients(&mut server, transport).await;
    let io = server.io.clone();
    let asking = tokio::spawn(async move {
        io.to("r1")
            .timeout(Duration::from_secs(5))
            .emit_with_ack::<_, Answer>("q", &("who?", Binary::from(vec![1, 2, 3])))
            .await
    });
    let mut ack_ids = Vec::new();
    for (i, name) in ["a", "b"].into_iter().enumerate() {
        let question = incoming(&mut client, name).await;
        assert_eq!(question["args"], json!(["who?", bin(&[1, 2, 3])]), "{name}");
        ack_ids.push(question["ackId"].clone());
        let data = bin(&[u8::try_from(i).unwrap_or_default(), 0xff]);
        let answer = json!([{"name": name, "data": data}]);
        let cmd = json!({"cmd": "ack", "ackId": question["ackId"], "args": answer});
        client.command(cmd, TIMEOUT).await;
    }
    let mut answers = asking.await.expect("task").expect("both answered");
    answers.sort_by(|x, y| x.name.cmp(&y.name));
    let want: Vec<Answer> = ["a", "b"]
        .into_iter()
        .zip(0_u8..)
        .map(|(name, i)| Answer {
            name: name.to_owned(),
            data: Binary::from(vec![i, 0xff]),
        })
        .collect();
    assert_eq!(answers, want);
    assert!(
        ack_ids.iter().all(Value::is_u64),
        "each asked for an ack: {ack_ids:?}"
    );
    client.expect_no("event", Duration::from_millis(200)).await;
    client.exit().await;
}

async fn reason(client: &mut NodeDriver, name: &str) -> String {
    let event = named(client, "disconnect", name).await;
    event["reason"].as_str().expect("a reason").to_owned()
}

/// Sockets `ps` on `/` and `pc` on `/custom`, multiplexed on one connection of their own.
async fn pair(
    server: &mut Server,
    client: &mut NodeDriver,
    transport: Transport,
) -> (String, String) {
    let url = server.nsp_url("/");
    let main = connect_msgpack(client, transport, "ps", &url, json!({})).await;
    // No forceNew: the second socket multiplexes on the first one's (cached) manager.
    let url = server.nsp_url("/custom");
    let custom = connect_msgpack(client, transport, "pc", &url, json!({})).await;
    server.connected(&main).await;
    server.connected(&custom).await;
    let (a, b) = (
        server.io.of("/").socket(&main),
        server.io.of("/custom").socket(&custom),
    );
    let same = a.zip(b).map(|(a, b)| a.conn().id() == b.conn().id());
    assert_eq!(same, Some(true), "one connection for both");
    (main, custom)
}

async fn disconnect_reasons_reach_both_sides(transport: Transport) {
    let mut server = server().await;
    let mut client = NodeDriver::sio();
    let (main, custom) = pair(&mut server, &mut client, transport).await;
    client
        .command(json!({"cmd": "disconnect", "name": "pc"}), TIMEOUT)
        .await;
    assert_eq!(reason(&mut client, "pc").await, "io client disconnect");
    let seen = server.disconnected(&custom).await;
    assert_eq!(seen, DisconnectReason::ClientNamespaceDisconnect);
    assert_eq!(
        emit_ack(&mut client, "ps", "join", json!([["x"]])).await,
        json!(["done"])
    );
    let socket = server.io.of("/").socket(&main).expect("socket");
    socket.disconnect(false);
    assert_eq!(
        server.disconnected(&main).await,
        DisconnectReason::ServerNamespaceDisconnect
    );
    assert_eq!(reason(&mut client, "ps").await, "io server disconnect");

    // Closing the connection ends every namespace on it.
    let url = server.nsp_url("/");
    let one = connect_msgpack(
        &mut client,
        transport,
        "qs",
        &url,
        json!({"forceNew": true}),
    )
    .await;
    server.connected(&one).await;
    // Closed at once, so with the upgrade in any phase (before the probe, during it, after
    // it): the client gets its DISCONNECT on whichever transport wins, as from Node.
    server
        .io
        .of("/")
        .socket(&one)
        .expect("socket")
        .disconnect(true);
    assert_eq!(
        server.disconnected(&one).await,
        DisconnectReason::ServerNamespaceDisconnect
    );
    assert_eq!(reason(&mut client, "qs").await, "io server disconnect");
    client
        .expect_no("disconnect", Duration::from_millis(300))
        .await;
    client.exit().await;
}

async fn a_server_shutdown_is_transport_close(transport: Transport) {
    let mut server = server().await;
    let mut client = NodeDriver::sio();
    let url = server.nsp_url("/");
    let id = connect_msgpack(&mut client, transport, "s", &url, json!({})).await;
    server.connected(&id).await;
    tokio::time::timeout(TIMEOUT, server.io.close())
        .await
        .expect("close in time");
    assert_eq!(
        server.disconnected(&id).await,
        DisconnectReason::ServerShuttingDown
    );
    assert_eq!(reason(&mut client, "s").await, "transport close");
    client.exit().await;
}
