//! Binary arguments across a mixed cluster (two Rust servers, one Node server, on Redis), in
//! both directions: broadcasts, server-side emits and their answers, broadcasts with acks and
//! the clients' answers, with nested binary values.
//!
//! Byte-exact wherever Node carries bytes: every broadcast (msgpack in both protocols), every
//! ack answer, and in the sharded protocol every message, which is msgpack as soon as its data
//! holds binary. The classic protocol writes its server-side emits and their answers as JSON,
//! where Node's `JSON.stringify` turns a Buffer into `{"type":"Buffer","data":[...]}`: those
//! arrive so, on Node and Rust servers alike.

#[macro_use]
mod redis_common;

use std::time::Duration;

use e2e::bin;
use redis_common::{BinJson, Clients, Cluster, Proto};
use serde::Serialize;
use serde_json::{json, Value};
use socketio::binary::Binary;

both_protocols!(broadcasts_carry_nested_binary_byte_exact_both_ways);
both_protocols!(server_side_emits_and_their_answers_carry_binary_as_node_does);
both_protocols!(broadcast_acks_carry_binary_questions_and_answers_both_ways);

#[derive(Serialize)]
struct Nested {
    nested: Vec<Binary>,
}

/// `["bin", {"nested": [<1 2 3>]}, <255 0>]`, as Rust arguments.
fn rust_args() -> (&'static str, Nested, Binary) {
    let nested = Nested {
        nested: vec![Binary::from(vec![1, 2, 3])],
    };
    ("bin", nested, Binary::from(vec![255, 0]))
}

/// The same arguments as the drivers write and report them.
fn driver_args() -> Value {
    json!(["bin", {"nested": [bin(&[1, 2, 3])]}, bin(&[255, 0])])
}

/// A Buffer as `JSON.stringify` writes it.
fn buffer_json(bytes: &[u8]) -> Value {
    json!({"type": "Buffer", "data": bytes})
}

/// The arguments as a server-side emit delivers them in `proto`.
fn server_side_args(proto: Proto) -> Value {
    match proto {
        Proto::Classic => {
            json!(["bin", {"nested": [buffer_json(&[1, 2, 3])]}, buffer_json(&[255, 0])])
        }
        _ => driver_args(),
    }
}

async fn three_clients(cluster: &Cluster) -> Clients {
    let mut clients = Clients::new();
    for i in 0..3 {
        clients.connect(&format!("k{i}"), &cluster.url(i)).await;
    }
    clients
}

async fn expect_everywhere(clients: &mut Clients, event: &str, from: &str) {
    for name in ["k0", "k1", "k2"] {
        let got = clients.incoming(name).await;
        assert_eq!(
            (&got["event"], &got["args"]),
            (&json!(event), &driver_args()),
            "{name}, a broadcast from {from}"
        );
    }
}

async fn broadcasts_carry_nested_binary_byte_exact_both_ways(proto: Proto) {
    let mut cluster = Cluster::start(proto, "bin-broadcast").await;
    let mut clients = three_clients(&cluster).await;
    cluster.rust[0]
        .io
        .try_emit("b", &rust_args())
        .expect("emit");
    expect_everywhere(&mut clients, "b", "rust-0").await;
    let cmd = json!({"cmd": "emit", "event": "b", "args": driver_args()});
    cluster.node.cmd(cmd).await;
    expect_everywhere(&mut clients, "b", "node").await;
    clients.exit().await;
    cluster.stop().await;
}

async fn server_side_emits_and_their_answers_carry_binary_as_node_does(proto: Proto) {
    let mut cluster = Cluster::start(proto, "bin-ssemit").await;
    let want = server_side_args(proto);

    // From Rust: the listeners get the arguments, their answers (which echo them) come back.
    let nsp = cluster.rust[0].io.of("/");
    let answers = nsp
        .server_side_emit_with_ack::<_, BinJson>("hello", &rust_args(), Duration::from_secs(3))
        .await
        .expect("both other servers answer");
    let mut answers: Vec<Value> = answers.into_iter().map(|a| a.0).collect();
    answers.sort_by_key(|a| a["from"].to_string());
    let echo = |from: &str| json!({"from": from, "args": want});
    assert_eq!(answers, [echo("node"), echo("rust")], "({proto:?})");
    let node_saw = cluster
        .node
        .expect("serverEvent", |e| e["event"] == "hello")
        .await;
    assert_eq!(node_saw["args"], want, "the Node listener ({proto:?})");
    let rust_saw = cluster.rust[1]
        .expect("hello", |e| e["ev"] == "serverEvent")
        .await;
    assert_eq!(rust_saw["args"], want, "the Rust listener ({proto:?})");

    // From Node: both Rust listeners get the arguments and answer with them.
    let cmd =
        json!({"cmd": "serverSideEmit", "event": "hello", "args": driver_args(), "ack": true});
    let result = cluster.node.cmd(cmd).await;
    assert_eq!(result["err"], Value::Null, "{result}");
    assert_eq!(result["responses"], json!([echo("rust"), echo("rust")]));
    for rust in &mut cluster.rust {
        let saw = rust.expect("hello", |e| e["ev"] == "serverEvent").await;
        assert_eq!(saw["args"], want, "a Rust listener ({proto:?})");
    }
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
        let answer = json!([{"name": name, "data": data}]);
        clients.ack(&question["ackId"], answer).await;
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
    let mut cluster = Cluster::start(proto, "bin-acks").await;
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
