//! A mixed cluster on Redis: two Rust servers (our `SocketIo` with `socketio-redis`) and one
//! Node server (`socket.io` 4.8.4 with `@socket.io/redis-adapter` 8.3.0), `socket.io-client`
//! sockets on each. Broadcasts to all, to rooms and with `except` reach exactly the right
//! clients once, from every server; every case runs in the classic and the sharded protocol.

#[macro_use]
mod redis_common;

use std::time::Duration;

use redis_common::{wait_for_room, Clients, Cluster, Proto, REDIS_URL};
use serde_json::{json, Value};

both_protocols!(broadcasts_reach_exactly_their_targets_from_every_server);

/// The `static` subscription mode: every broadcast on the namespace's main channel.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcasts_in_the_static_subscription_mode() {
    broadcasts_reach_exactly_their_targets_from_every_server(Proto::ShardedStatic).await;
}

/// Sockets `a<i>` and `b<i>` on server `i` (0, 1: Rust; 2: Node): every `a` in r1, `b0` and
/// `b2` in r2, `b1` in both.
async fn six_clients(cluster: &Cluster) -> Clients {
    let mut clients = Clients::new();
    for i in 0..3 {
        let url = cluster.url(i);
        clients.connect(&format!("a{i}"), &url).await;
        clients.join(&format!("a{i}"), &["r1"]).await;
        clients.connect(&format!("b{i}"), &url).await;
        let rooms: &[&str] = if i == 1 { &["r1", "r2"] } else { &["r2"] };
        clients.join(&format!("b{i}"), rooms).await;
    }
    if cluster.proto == Proto::Sharded {
        // Dynamic mode: a broadcast to one room goes to that room's channel, which each server
        // subscribes to once its sockets joined.
        wait_for_room(REDIS_URL, &cluster.key, "r1", 3).await;
        wait_for_room(REDIS_URL, &cluster.key, "r2", 3).await;
    }
    clients
}

/// One round of broadcasts from server `from`, each tagged with `tag`.
async fn broadcast_round(cluster: &mut Cluster, from: usize, tag: &str) {
    let sends: [(&str, &[&str], &[&str]); 5] = [
        ("all", &[], &[]),
        ("r1", &["r1"], &[]),
        ("r2-not-r1", &["r2"], &["r1"]),
        ("union", &["r1", "r2"], &[]),
        ("not-r1", &[], &["r1"]),
    ];
    for (event, to, except) in sends {
        match from {
            0 | 1 => {
                let io = &cluster.rust[from].io;
                let mut op = io.of("/").operator();
                if !to.is_empty() {
                    op = op.to(to.iter().map(|r| (*r).to_owned()).collect::<Vec<_>>());
                }
                if !except.is_empty() {
                    op = op.except(except.iter().map(|r| (*r).to_owned()).collect::<Vec<_>>());
                }
                op.try_emit(event, &(tag,)).expect("emit");
            }
            _ => {
                let cmd = json!({"cmd": "emit", "to": to, "except": except, "event": event, "args": [tag]});
                cluster.node.cmd(cmd).await;
            }
        }
    }
}

/// What each socket must get from one round.
fn expected(name: &str, tag: &str) -> Vec<Value> {
    let events: &[&str] = match name {
        "a0" | "a1" | "a2" | "b1" => &["all", "r1", "union"],
        _ => &["all", "r2-not-r1", "union", "not-r1"],
    };
    let mut pairs: Vec<Value> = events.iter().map(|e| json!([e, [tag]])).collect();
    pairs.sort_by_key(Value::to_string);
    pairs
}

async fn broadcasts_reach_exactly_their_targets_from_every_server(proto: Proto) {
    let mut cluster = Cluster::start(proto, "broadcasts").await;
    let mut clients = six_clients(&cluster).await;
    let names = ["a0", "b0", "a1", "b1", "a2", "b2"];
    for from in 0..3 {
        let tag = format!("from-{from}");
        broadcast_round(&mut cluster, from, &tag).await;
        for name in names {
            let want = expected(name, &tag);
            let got = clients.received(name, want.len()).await;
            assert_eq!(
                got, want,
                "{name}, broadcasts from server {from} ({proto:?})"
            );
        }
    }
    for name in names {
        clients
            .expect_no_event(name, Duration::from_millis(100))
            .await;
    }
    clients.exit().await;
    cluster.stop().await;
}

both_protocols!(broadcast_acks_collect_answers_from_clients_on_every_server);

/// Answers, from each of `names`, the event `q` it got with its own name; returns nothing
/// until every one answered.
async fn answer_questions(clients: &mut Clients, names: &[&str]) {
    for name in names {
        let question = clients.incoming(name).await;
        assert_eq!(question["event"], "q", "{name}: {question}");
        assert!(
            question["ackId"].is_u64(),
            "{name}: an ack is asked: {question}"
        );
        clients.ack(&question["ackId"], json!([name])).await;
    }
}

async fn broadcast_acks_collect_answers_from_clients_on_every_server(proto: Proto) {
    let mut cluster = Cluster::start(proto, "acks").await;
    let mut clients = Clients::new();
    let names = ["e0", "e1", "e2"];
    for (i, name) in names.iter().enumerate() {
        clients.connect(name, &cluster.url(i)).await;
    }
    // From a Rust server: the answers of its own client and of the other two servers' clients.
    let io = cluster.rust[0].io.clone();
    let asking = tokio::spawn(async move {
        io.of("/")
            .operator()
            .timeout(Duration::from_secs(5))
            .emit_with_ack::<_, String>("q", &(1,))
            .await
    });
    answer_questions(&mut clients, &names).await;
    let mut answers = asking.await.expect("task").expect("every client answered");
    answers.sort();
    assert_eq!(answers, names, "answers collected by rust-0 ({proto:?})");

    // From the Node server: our servers report their client counts and forward the answers.
    let cmd = json!({"cmd": "emitWithAck", "event": "q", "args": [2], "timeout": 5000});
    let (result, ()) = tokio::join!(
        cluster.node.cmd(cmd),
        answer_questions(&mut clients, &names)
    );
    assert_eq!(result["err"], Value::Null, "Node's emitWithAck: {result}");
    let mut answers: Vec<String> =
        serde_json::from_value(result["responses"].clone()).expect("answers");
    answers.sort();
    assert_eq!(
        answers, names,
        "answers collected by the Node server ({proto:?})"
    );

    // A selection: only r-room members answer, and a server without any reports 0 clients.
    clients.join("e1", &["r"]).await;
    let io = cluster.rust[0].io.clone();
    let asking = tokio::spawn(async move {
        io.to("r")
            .timeout(Duration::from_secs(5))
            .emit_with_ack::<_, String>("q", &(3,))
            .await
    });
    answer_questions(&mut clients, &["e1"]).await;
    let answers = asking
        .await
        .expect("task")
        .expect("the one member answered");
    assert_eq!(answers, ["e1"]);
    clients.exit().await;
    cluster.stop().await;
}
