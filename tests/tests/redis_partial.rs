//! Requests with acks across a mixed cluster (two Rust servers, one Node server, on Redis) when
//! not everyone answers, or nobody has to: the caller gets the answers that came with the
//! timeout error, as Node's callers do; a server with no target reports 0 clients, so nobody
//! waits for it; and answers are kept as long as the caller waits, not only the adapter's
//! request timeout.

#[macro_use]
mod redis_common;

use std::time::Duration;

use e2e::TIMEOUT;
use redis_common::{Clients, Cluster, Proto, REDIS_URL};
use serde_json::{json, Value};
use socketio::server::ServerAck;
use socketio::Payload;

both_protocols!(a_silent_server_leaves_the_others_answers_and_a_timeout);
both_protocols!(a_silent_client_leaves_the_others_answers_and_a_timeout);
both_protocols!(servers_without_targets_report_zero_clients_so_nobody_waits);
both_protocols!(server_side_answers_are_kept_as_long_as_the_caller_waits);

async fn a_silent_server_leaves_the_others_answers_and_a_timeout(proto: Proto) {
    let mut cluster = Cluster::start(proto, "partial-ssemit").await;
    // Only rust-1 listens to "partial": Node and rust-0 stay silent.
    cluster.rust[1].io.of("/").on_server_event(
        "partial",
        |_args: &Payload, ack: Option<ServerAck>| {
            if let Some(ack) = ack {
                ack.send(&json!({"from": "rust-1"}));
            }
        },
    );
    let answer = json!({"from": "rust-1"});

    let asked = cluster.rust[0]
        .io
        .of("/")
        .server_side_emit_with_ack::<_, Value>("partial", &(1,), Duration::from_millis(800))
        .await;
    let partial = asked.expect_err("Node does not answer");
    assert_eq!(
        partial.responses,
        std::slice::from_ref(&answer),
        "({proto:?})"
    );

    // Node waits its own timeout (requestsTimeout, or 5 s in sharded mode), then reports the
    // error with what came.
    let cmd = json!({"cmd": "serverSideEmit", "event": "partial", "args": [2], "ack": true});
    let result = cluster.node.cmd(cmd).await;
    let error = result["err"].as_str().unwrap_or_default();
    assert!(error.starts_with("timeout reached"), "{result}");
    assert_eq!(result["responses"], json!([answer]), "({proto:?})");
    cluster.stop().await;
}

/// Sockets `p<i>` on server `i`.
async fn three_clients(cluster: &Cluster) -> Clients {
    let mut clients = Clients::new();
    for i in 0..3 {
        clients.connect(&format!("p{i}"), &cluster.url(i)).await;
    }
    clients
}

/// Each of `p0..p2` gets question `event`; all but `p1` answer it with their name.
async fn all_but_p1_answer(clients: &mut Clients, event: &str) {
    for name in ["p0", "p1", "p2"] {
        let question = clients.incoming(name).await;
        assert_eq!(question["event"], event, "{name}: {question}");
        if name != "p1" {
            clients.ack(&question["ackId"], json!([name])).await;
        }
    }
}

async fn a_silent_client_leaves_the_others_answers_and_a_timeout(proto: Proto) {
    let mut cluster = Cluster::start(proto, "partial-acks").await;
    let mut clients = three_clients(&cluster).await;
    let io = cluster.rust[0].io.clone();
    let asking = tokio::spawn(async move {
        io.of("/")
            .operator()
            .timeout(Duration::from_millis(1000))
            .emit_with_ack::<_, String>("q1", &())
            .await
    });
    all_but_p1_answer(&mut clients, "q1").await;
    let partial = asking.await.expect("task").expect_err("p1 is silent");
    let mut answers = partial.responses;
    answers.sort();
    assert_eq!(answers, ["p0", "p2"], "collected by rust-0 ({proto:?})");

    let cmd = json!({"cmd": "emitWithAck", "event": "q2", "args": [], "timeout": 1000});
    let (result, ()) = tokio::join!(cluster.node.cmd(cmd), all_but_p1_answer(&mut clients, "q2"));
    assert_eq!(result["err"], "operation has timed out", "{result}");
    let mut answers: Vec<String> =
        serde_json::from_value(result["responses"].clone()).unwrap_or_default();
    answers.sort();
    assert_eq!(answers, ["p0", "p2"], "collected by Node ({proto:?})");
    clients.exit().await;
    cluster.stop().await;
}

/// Answers the question `event` that `p1` alone gets.
async fn p1_answers(clients: &mut Clients, event: &str) {
    let question = clients.incoming("p1").await;
    assert_eq!(question["event"], event, "{question}");
    clients.ack(&question["ackId"], json!(["p1"])).await;
}

async fn servers_without_targets_report_zero_clients_so_nobody_waits(proto: Proto) {
    let mut cluster = Cluster::start(proto, "zero-clients").await;
    let mut clients = three_clients(&cluster).await;
    clients.join("p1", &["r"]).await;
    // A minute to answer: the calls end well before only if rust-0 and Node (from Rust) or
    // both Rust servers (from Node) report their 0 clients in room r.
    let minute = 60_000;
    let cmd =
        json!({"cmd": "emitWithAck", "to": ["r"], "event": "z1", "args": [], "timeout": minute});
    let (result, ()) = tokio::join!(cluster.node.cmd(cmd), p1_answers(&mut clients, "z1"));
    assert_eq!(result["err"], Value::Null, "{result}");
    assert_eq!(result["responses"], json!(["p1"]), "({proto:?})");

    let io = cluster.rust[0].io.clone();
    let asking = tokio::spawn(async move {
        io.to("r")
            .timeout(Duration::from_millis(minute))
            .emit_with_ack::<_, String>("z2", &())
            .await
    });
    p1_answers(&mut clients, "z2").await;
    let answers = tokio::time::timeout(TIMEOUT, asking)
        .await
        .expect("the call ends without waiting its timeout")
        .expect("task");
    assert_eq!(answers.expect("p1 answered"), ["p1"], "({proto:?})");
    clients.exit().await;
    cluster.stop().await;
}

async fn server_side_answers_are_kept_as_long_as_the_caller_waits(proto: Proto) {
    let key = redis_common::unique_key("slow");
    // rust-0's adapter gives up on requests after 300 ms; its caller waits 5 s.
    let tune = |i, config: socketio_redis::RedisAdapterConfig| match i {
        0 => config.requests_timeout(Duration::from_millis(300)),
        _ => config,
    };
    let cluster = Cluster::start_tuned(REDIS_URL, proto, &key, tune, &[]).await;
    // "slow" [ms] is answered after ms milliseconds, by rust-1 here and by the Node server.
    cluster.rust[1]
        .io
        .of("/")
        .on_server_event("slow", |args: &Payload, ack: Option<ServerAck>| {
            let delay = args.arg::<u64>(0).unwrap_or_default();
            if let Some(ack) = ack {
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(delay)).await;
                    ack.send(&json!({"from": "rust"}));
                });
            }
        });
    let answers = cluster.rust[0]
        .io
        .of("/")
        .server_side_emit_with_ack::<_, Value>("slow", &(800,), Duration::from_secs(5))
        .await
        .expect("both answers came within the caller's 5 s");
    let mut froms: Vec<String> = answers.iter().map(|a| a["from"].to_string()).collect();
    froms.sort();
    assert_eq!(froms, [r#""node""#, r#""rust""#], "({proto:?})");
    cluster.stop().await;
}
