//! The msgpack parser across a mixed cluster: two Rust servers (`MsgpackParser`, the Redis
//! adapter) and a Node server (`socket.io` with `socket.io-msgpack-parser` and
//! `@socket.io/redis-adapter`), with `socket.io-client` sockets on the msgpack parser at each.
//! The adapters carry packet objects, not the parser's bytes: every broadcast, room broadcast
//! and broadcast ack, from either side, must reach the clients of every server with its
//! nested binary byte-exact, in both protocols.

#[macro_use]
mod redis_common;

use std::time::Duration;

use e2e::bin;
use redis_common::{wait_for_room, BinJson, Clients, Cluster, Proto, REDIS_URL};
use serde::Serialize;
use serde_json::{json, Value};
use socketio::binary::Binary;

both_protocols!(broadcasts_carry_nested_binary_to_every_server_both_ways);
both_protocols!(room_broadcasts_reach_their_members_on_every_server_both_ways);
both_protocols!(broadcast_acks_carry_binary_questions_and_answers_both_ways);

#[derive(Serialize)]
struct Nested {
    nested: Vec<Binary>,
    empty: Binary,
}

/// `["bin", {"nested": [<1 2 3>, <>], "empty": <>}, <255 0>]`, as Rust arguments.
fn rust_args() -> (&'static str, Nested, Binary) {
    let nested = Nested {
        nested: vec![Binary::from(vec![1, 2, 3]), Binary::from(vec![])],
        empty: Binary::from(vec![]),
    };
    ("bin", nested, Binary::from(vec![255, 0]))
}

/// The same arguments as the drivers write and report them.
fn driver_args() -> Value {
    json!(["bin", {"nested": [bin(&[1, 2, 3]), bin(&[])], "empty": bin(&[])}, bin(&[255, 0])])
}

/// Msgpack clients `k0` (on rust-0), `k1` (rust-1) and `k2` (node).
async fn three_clients(cluster: &Cluster) -> Clients {
    let mut clients = Clients::msgpack();
    for i in 0..3 {
        clients.connect(&format!("k{i}"), &cluster.url(i)).await;
    }
    clients
}

async fn expect_at(clients: &mut Clients, names: &[&str], event: &str, from: &str) {
    for name in names {
        let got = clients.incoming(name).await;
        assert_eq!(
            (&got["event"], &got["args"]),
            (&json!(event), &driver_args()),
            "{name}, a broadcast from {from}"
        );
    }
}

async fn broadcasts_carry_nested_binary_to_every_server_both_ways(proto: Proto) {
    let mut cluster = Cluster::start_msgpack(proto, "msgpack-broadcast").await;
    let mut clients = three_clients(&cluster).await;
    let all = ["k0", "k1", "k2"];
    cluster.rust[0]
        .io
        .try_emit("b", &rust_args())
        .expect("emit");
    expect_at(&mut clients, &all, "b", "rust-0").await;
    let cmd = json!({"cmd": "emit", "event": "b", "args": driver_args()});
    cluster.node.cmd(cmd).await;
    expect_at(&mut clients, &all, "b", "node").await;
    clients.exit().await;
    cluster.stop().await;
}

async fn room_broadcasts_reach_their_members_on_every_server_both_ways(proto: Proto) {
    let mut cluster = Cluster::start_msgpack(proto, "msgpack-rooms").await;
    let mut clients = three_clients(&cluster).await;
    clients.join("k0", &["r"]).await;
    clients.join("k2", &["r"]).await;
    if proto == Proto::Sharded {
        // Dynamic mode: the servers with members (rust-0 and node) listen on the room.
        wait_for_room(REDIS_URL, &cluster.key, "r", 2).await;
    }
    cluster.rust[1]
        .io
        .to("r")
        .try_emit("to-r", &rust_args())
        .expect("emit");
    expect_at(&mut clients, &["k0", "k2"], "to-r", "rust-1").await;
    let cmd = json!({"cmd": "emit", "to": ["r"], "event": "to-r", "args": driver_args()});
    cluster.node.cmd(cmd).await;
    expect_at(&mut clients, &["k0", "k2"], "to-r", "node").await;
    clients
        .expect_no_event("k1", Duration::from_millis(300))
        .await;
    clients.exit().await;
    cluster.stop().await;
}

/// Checks the binary question each of `k0..k2` got, and answers it with
/// `{"name", "data": <its index, 0xff>}`.
async fn answer_with_binary(clients: &mut Clients) {
    for (i, name) in ["k0", "k1", "k2"].iter().enumerate() {
        let question = clients.incoming(name).await;
        assert_eq!(
            (&question["event"], &question["args"]),
            (&json!("q"), &driver_args()),
            "{name}"
        );
        let data = bin(&[u8::try_from(i).unwrap_or_default(), 0xff]);
        clients
            .ack(&question["ackId"], json!([{"name": name, "data": data}]))
            .await;
    }
}

fn expected_answers() -> Vec<Value> {
    (0..3_u8)
        .map(|i| json!({"name": format!("k{i}"), "data": bin(&[i, 0xff])}))
        .collect()
}

fn sorted(mut answers: Vec<Value>) -> Vec<Value> {
    answers.sort_by_key(|a| a["name"].to_string());
    answers
}

async fn broadcast_acks_carry_binary_questions_and_answers_both_ways(proto: Proto) {
    let mut cluster = Cluster::start_msgpack(proto, "msgpack-acks").await;
    let mut clients = three_clients(&cluster).await;
    let io = cluster.rust[0].io.clone();
    let asking = tokio::spawn(async move {
        io.of("/")
            .operator()
            .timeout(Duration::from_secs(5))
            .emit_with_ack::<_, BinJson>("q", &rust_args())
            .await
    });
    answer_with_binary(&mut clients).await;
    let answers = asking.await.expect("task").expect("every client answered");
    let answers = sorted(answers.into_iter().map(|a| a.0).collect());
    assert_eq!(
        answers,
        expected_answers(),
        "collected by rust-0 ({proto:?})"
    );

    let cmd = json!({"cmd": "emitWithAck", "event": "q", "args": driver_args(), "timeout": 5000});
    let (result, ()) = tokio::join!(cluster.node.cmd(cmd), answer_with_binary(&mut clients));
    assert_eq!(result["err"], Value::Null, "Node's emitWithAck: {result}");
    let answers = result["responses"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        sorted(answers),
        expected_answers(),
        "collected by Node ({proto:?})"
    );
    clients.exit().await;
    cluster.stop().await;
}
