//! The emitters of both languages reach the clients of a mixed cluster (two Rust servers and a
//! Node server on Redis): `socketio_redis::Emitter` and Node's `@socket.io/redis-emitter`
//! 5.1.0. Both speak the classic protocol only (the Node emitter has no sharded mode); in the
//! sharded protocol a Node server with the sharded adapter publishes the same sequence instead.

#[macro_use]
mod redis_common;

use std::collections::BTreeSet;
use std::time::Duration;

use e2e::bin;
use redis_common::{eventually, wait_for_room, Clients, Cluster, Proto, REDIS_URL};
use serde_json::{json, Value};
use socketio::Binary;
use socketio_redis::Emitter;

/// Sockets `g<i>` on server `i`; `g0` and `g2` in room `r`, `g2` also in `s`.
async fn three_clients(cluster: &Cluster) -> Clients {
    let mut clients = Clients::new();
    for i in 0..3 {
        clients.connect(&format!("g{i}"), &cluster.url(i)).await;
    }
    clients.join("g0", &["r"]).await;
    clients.join("g2", &["r", "s"]).await;
    clients
}

async fn expect_event(clients: &mut Clients, name: &str, event: &str, args: Value) {
    let got = clients.incoming(name).await;
    assert_eq!(
        (&got["event"], &got["args"]),
        (&json!(event), &args),
        "{name}"
    );
}

/// The ids of the sockets in `room`, as the first Rust server fetches them cluster-wide.
async fn members(cluster: &Cluster, room: &str) -> BTreeSet<String> {
    let found = cluster.rust[0].io.to(room).fetch_sockets().await;
    let found = found.unwrap_or_default();
    found
        .iter()
        .map(|socket| match socket {
            socketio::server::RemoteSocket::Local(s) => s.id().to_owned(),
            socketio::server::RemoteSocket::Remote(s) => s.id.clone(),
        })
        .collect()
}

async fn wait_members(cluster: &Cluster, room: &str, ids: &[String]) {
    let want: BTreeSet<String> = ids.iter().cloned().collect();
    eventually(&format!("members of {room}"), || async {
        members(cluster, room).await == want
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rust_emitter_reaches_every_server_s_clients() {
    let mut cluster = Cluster::start(Proto::Classic, "rust-emitter").await;
    let mut clients = three_clients(&cluster).await;
    let emitter = Emitter::connect(REDIS_URL)
        .await
        .expect("connect")
        .with_key(&cluster.key);

    emitter
        .emit("all", &("x", Binary::from(vec![1, 2])))
        .await
        .expect("emit");
    for name in ["g0", "g1", "g2"] {
        expect_event(&mut clients, name, "all", json!(["x", bin(&[1, 2])])).await;
    }
    emitter
        .to("r")
        .except("s")
        .emit("r-not-s", &(1,))
        .await
        .expect("emit");
    expect_event(&mut clients, "g0", "r-not-s", json!([1])).await;
    emitter
        .except("r")
        .emit("not-r", &[0_u8; 0])
        .await
        .expect("emit");
    expect_event(&mut clients, "g1", "not-r", json!([])).await;
    for name in ["g0", "g1", "g2"] {
        clients
            .expect_no_event(name, Duration::from_millis(100))
            .await;
    }

    let (g1, g2) = (clients.id("g1"), clients.id("g2"));
    emitter
        .to(&g1)
        .sockets_join(&["joined"])
        .await
        .expect("join");
    emitter
        .to("s")
        .sockets_join(&["joined"])
        .await
        .expect("join");
    wait_members(&cluster, "joined", &[g1.clone(), g2.clone()]).await;
    emitter
        .to(&g2)
        .sockets_leave(&["joined"])
        .await
        .expect("leave");
    wait_members(&cluster, "joined", std::slice::from_ref(&g1)).await;

    emitter
        .server_side_emit("silent", &(5,))
        .await
        .expect("server-side emit");
    cluster
        .node
        .expect("serverEvent", |e| e["args"] == json!([5]))
        .await;
    for rust in &mut cluster.rust {
        rust.expect("silent", |e| {
            e["event"] == "silent" && e["args"] == json!([5])
        })
        .await;
    }
    assert!(emitter.emit("disconnect", &()).await.is_err(), "reserved");

    emitter
        .to("joined")
        .disconnect_sockets(false)
        .await
        .expect("disconnect");
    assert_eq!(clients.disconnected("g1").await, "io server disconnect");
    emitter
        .to(&g2)
        .disconnect_sockets(true)
        .await
        .expect("disconnect");
    assert_eq!(clients.disconnected("g2").await, "io server disconnect");
    emitter.close().await;
    clients.exit().await;
    cluster.stop().await;
}

/// The Node command that publishes `what` from outside the Rust servers: the Node emitter's in
/// the classic protocol; in the sharded one, which that emitter does not speak, the Node
/// server's own (`io.emit`, `io.socketsJoin`, ...), as the issue asks.
fn node_cmd(proto: Proto, what: &str) -> &'static str {
    match (proto, what) {
        (Proto::Classic, "emit") => "emitterEmit",
        (Proto::Classic, "join") => "emitterJoin",
        (Proto::Classic, "leave") => "emitterLeave",
        (Proto::Classic, "serverSideEmit") => "emitterServerSideEmit",
        (Proto::Classic, _) => "emitterDisconnect",
        (_, "emit") => "emit",
        (_, "join") => "socketsJoin",
        (_, "leave") => "socketsLeave",
        (_, "serverSideEmit") => "serverSideEmit",
        _ => "disconnectSockets",
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_node_emitter_reaches_the_rust_servers_clients() {
    node_publishes_to_the_rust_servers_clients(Proto::Classic).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sharded_node_server_reaches_the_rust_servers_clients() {
    node_publishes_to_the_rust_servers_clients(Proto::Sharded).await;
}

async fn node_publishes_to_the_rust_servers_clients(proto: Proto) {
    let mut cluster = Cluster::start(proto, "node-emitter").await;
    let mut clients = three_clients(&cluster).await;
    if proto == Proto::Sharded {
        // Dynamic mode: a broadcast to `r` goes to r's channel, which g0's and g2's servers
        // subscribe to once they joined.
        wait_for_room(REDIS_URL, &cluster.key, "r", 2).await;
    }
    let node = &mut cluster.node;
    let cmd = node_cmd(proto, "emit");
    let nested = json!([{"$bin": "AQI="}, {"deep": [{"$bin": "/wA="}]}]);
    node.cmd(json!({"cmd": cmd, "event": "all", "args": nested}))
        .await;
    for name in ["g0", "g1", "g2"] {
        let want = json!([bin(&[1, 2]), {"deep": [bin(&[255, 0])]}]);
        expect_event(&mut clients, name, "all", want).await;
    }
    let to_r = json!({"cmd": cmd, "to": ["r"], "except": ["s"], "event": "r-not-s", "args": [1]});
    node.cmd(to_r).await;
    expect_event(&mut clients, "g0", "r-not-s", json!([1])).await;
    for name in ["g0", "g1", "g2"] {
        clients
            .expect_no_event(name, Duration::from_millis(100))
            .await;
    }

    let (g0, g1) = (clients.id("g0"), clients.id("g1"));
    let node = &mut cluster.node;
    let join = json!({"cmd": node_cmd(proto, "join"), "to": [g0, g1], "rooms": ["joined"]});
    node.cmd(join).await;
    wait_members(&cluster, "joined", &[g0.clone(), g1.clone()]).await;
    let node = &mut cluster.node;
    let leave = json!({"cmd": node_cmd(proto, "leave"), "to": [g0], "rooms": ["joined"]});
    node.cmd(leave).await;
    wait_members(&cluster, "joined", std::slice::from_ref(&g1)).await;

    let node = &mut cluster.node;
    let emit = json!({"cmd": node_cmd(proto, "serverSideEmit"), "event": "silent", "args": [6]});
    node.cmd(emit).await;
    for rust in &mut cluster.rust {
        rust.expect("silent", |e| {
            e["event"] == "silent" && e["args"] == json!([6])
        })
        .await;
    }
    let node = &mut cluster.node;
    let cmd = node_cmd(proto, "disconnect");
    node.cmd(json!({"cmd": cmd, "to": ["joined"], "close": false}))
        .await;
    assert_eq!(clients.disconnected("g1").await, "io server disconnect");
    clients.exit().await;
    cluster.stop().await;
}
