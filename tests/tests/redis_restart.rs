//! Redis restarted under a running mixed cluster: the servers reconnect, subscribe again, and
//! the cluster works as before. The test runs its own `redis-server` on a free port, so the
//! shared one (and the tests using it) are untouched.

#[macro_use]
mod redis_common;

use std::time::Duration;

use redis_common::{
    eventually, redis_cli, rust, unique_key, Clients, Cluster, OwnRedis, Proto, RustNode,
};
use serde_json::{json, Value};

async fn expect_event(clients: &mut Clients, name: &str, event: &str) {
    let mut got = clients.incoming(name).await;
    // A broadcast published while Redis was down goes out once it is back (README: what is
    // lost while Redis is down), so "during" may arrive late, or not at all.
    if got["event"] == "during" && event != "during" {
        got = clients.incoming(name).await;
    }
    assert_eq!(got["event"], event, "{name}: {got}");
}

both_protocols!(the_cluster_recovers_after_redis_restarts);

async fn the_cluster_recovers_after_redis_restarts(proto: Proto) {
    let mut redis = OwnRedis::start().await;
    let key = unique_key("restart");
    let mut cluster = Cluster::start_on(&redis.url(), proto, &key).await;
    let mut clients = Clients::new();
    for i in 0..3 {
        clients.connect(&format!("h{i}"), &cluster.url(i)).await;
        clients.join(&format!("h{i}"), &["room"]).await;
    }
    cluster.rust[0].io.try_emit("before", &()).expect("emit");
    for name in ["h0", "h1", "h2"] {
        expect_event(&mut clients, name, "before").await;
    }

    redis.shutdown().await;
    // While Redis is down a broadcast reaches this server's own clients at once; the copy for
    // the other servers is held and published after the reconnection, which reaches the
    // servers subscribed again by then. Nothing panics.
    cluster.rust[0].io.try_emit("during", &()).expect("emit");
    expect_event(&mut clients, "h0", "during").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    redis.spawn().await;

    // Every server subscribed again: each counts the three.
    cluster.node.wait_for_servers(3).await;
    if proto == Proto::Sharded {
        redis_common::wait_for_room(&redis.url(), &key, "room", 3).await;
    }
    cluster.rust[1]
        .io
        .to("room")
        .try_emit("after", &(1,))
        .expect("emit");
    for name in ["h0", "h1", "h2"] {
        expect_event(&mut clients, name, "after").await;
    }
    let cmd = json!({"cmd": "emit", "to": ["room"], "event": "after-node", "args": []});
    cluster.node.cmd(cmd).await;
    for name in ["h0", "h1", "h2"] {
        expect_event(&mut clients, name, "after-node").await;
    }
    let answers = cluster.rust[0]
        .io
        .of("/")
        .server_side_emit_with_ack::<_, Value>("hello", &(), Duration::from_secs(3))
        .await
        .expect("both other servers answer again");
    assert_eq!(answers.len(), 2);
    clients.exit().await;
    cluster.stop().await;
    redis.shutdown().await;
}

/// What a server publishes while its connection to Redis is down is held and goes out once the
/// connection is back, so a server whose publisher reconnects after its peers subscribed
/// again loses nothing.
///
/// The client reports the connection down only once an attempt to reconnect failed (before
/// that it queues commands itself), so Redis stays away long enough for the sender's first
/// attempts (100, 200, 400, 800 ms apart) to fail, and comes back well before its next one
/// (1.6 s later), while the receiver tries every 100 ms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_is_published_while_redis_is_down_goes_out_once_it_is_back() {
    let mut redis = OwnRedis::start().await;
    let key = unique_key("held");
    let config = |min, max| {
        rust::config(&redis.url(), Proto::Classic, &key)
            .reconnect_delays(Duration::from_millis(min), Duration::from_millis(max))
    };
    let sender = RustNode::start_config(config(100, 2500)).await;
    let receiver = RustNode::start_config(config(50, 100)).await;
    let mut clients = Clients::new();
    clients.connect("h", &receiver.url).await;

    redis.shutdown().await;
    let down = tokio::time::Instant::now();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    sender.io.try_emit("held", &(1,)).expect("emit");
    tokio::time::sleep_until(down + Duration::from_millis(2200)).await;
    redis.spawn().await;
    let url = redis.url();
    let request = format!("{key}-request#/#");
    eventually("the receiver subscribed again", || {
        let count = redis_cli(&url, &["PUBSUB", "NUMSUB", &request]);
        let count = count
            .lines()
            .nth(1)
            .and_then(|n| n.trim().parse::<u32>().ok());
        std::future::ready(count.unwrap_or(0) >= 1)
    })
    .await;
    expect_event(&mut clients, "h", "held").await;
    clients.exit().await;
    sender.stop().await;
    receiver.stop().await;
    redis.shutdown().await;
}
