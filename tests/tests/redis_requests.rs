//! Requests across a mixed cluster (two Rust servers, one Node server, on Redis): fetchSockets,
//! serverSideEmit with and without ack, and remote join, leave and disconnect, both ways, in
//! the classic and the sharded protocol.

#[macro_use]
mod redis_common;

use std::collections::BTreeSet;
use std::time::Duration;

use redis_common::{eventually, Clients, Cluster, Proto};
use serde_json::{json, Value};
use socketio::server::RemoteSocket;

both_protocols!(fetch_sockets_lists_every_server_s_sockets_with_rooms_and_data);
both_protocols!(server_side_emit_reaches_the_other_servers_and_collects_answers);
both_protocols!(remote_join_leave_and_disconnect_work_both_ways);

/// Socket `c<i>` on server `i`, in room `f`, with data `{"n": i}`.
async fn clients_in_room_f(cluster: &Cluster) -> Clients {
    let mut clients = Clients::new();
    for i in 0..3 {
        let name = format!("c{i}");
        clients.connect(&name, &cluster.url(i)).await;
        clients.join(&name, &["f"]).await;
        clients.set_data(&name, json!({"n": i})).await;
    }
    clients
}

/// `(id, rooms, data)` of each socket, sorted by id.
fn summary(sockets: impl IntoIterator<Item = (String, Vec<String>, Value)>) -> Vec<Value> {
    let mut all: Vec<Value> = sockets
        .into_iter()
        .map(|(id, rooms, data)| {
            let rooms: BTreeSet<String> = rooms.into_iter().collect();
            json!([id, rooms, data])
        })
        .collect();
    all.sort_by_key(Value::to_string);
    all
}

async fn fetch_sockets_lists_every_server_s_sockets_with_rooms_and_data(proto: Proto) {
    let mut cluster = Cluster::start(proto, "fetch").await;
    let clients = clients_in_room_f(&cluster).await;
    let expected = summary((0..3).map(|i| {
        let id = clients.id(&format!("c{i}"));
        (id.clone(), vec![id, "f".to_owned()], json!({"n": i}))
    }));

    // From Node: the Rust servers' sockets, with their rooms and data, and a handshake.
    let result = cluster
        .node
        .cmd(json!({"cmd": "fetchSockets", "to": ["f"]}))
        .await;
    let sockets = result["sockets"].as_array().cloned().unwrap_or_default();
    let from_node = summary(sockets.iter().map(|s| {
        let rooms = serde_json::from_value(s["rooms"].clone()).unwrap_or_default();
        (
            s["id"].as_str().unwrap_or_default().to_owned(),
            rooms,
            s["data"].clone(),
        )
    }));
    assert_eq!(
        from_node, expected,
        "fetchSockets from Node ({proto:?}): {result}"
    );
    for socket in &sockets {
        assert!(
            socket["handshake"]["headers"].is_object(),
            "a handshake: {socket}"
        );
    }

    // From Rust: Node's socket and the other Rust server's, remote, with rooms and data.
    let found = cluster.rust[0]
        .io
        .to("f")
        .fetch_sockets()
        .await
        .expect("fetch");
    let from_rust = summary(found.into_iter().map(|socket| match socket {
        RemoteSocket::Local(s) => (
            s.id().to_owned(),
            s.rooms().iter().map(|r| r.to_string()).collect(),
            s.data::<Value>().unwrap_or_default(),
        ),
        RemoteSocket::Remote(s) => {
            let s = s.into_info();
            (
                s.id,
                s.rooms.iter().map(|r| r.to_string()).collect(),
                s.data,
            )
        }
    }));
    assert_eq!(from_rust, expected, "fetch_sockets from Rust ({proto:?})");

    // Node's allRooms (classic): every server answers with its rooms, socket-id rooms included.
    if proto == Proto::Classic {
        let result = cluster.node.cmd(json!({"cmd": "allRooms"})).await;
        let rooms: BTreeSet<String> =
            serde_json::from_value(result["rooms"].clone()).unwrap_or_default();
        let mut want: BTreeSet<String> = (0..3).map(|i| clients.id(&format!("c{i}"))).collect();
        want.insert("f".to_owned());
        assert_eq!(rooms, want, "allRooms from Node: {result}");
    }

    // `except` crosses too.
    let found = cluster.rust[1]
        .io
        .to("f")
        .except(clients.id("c2"))
        .fetch_sockets()
        .await;
    assert_eq!(found.expect("fetch").len(), 2);
    clients.exit().await;
    cluster.stop().await;
}

async fn server_side_emit_reaches_the_other_servers_and_collects_answers(proto: Proto) {
    let mut cluster = Cluster::start(proto, "ssemit").await;
    // From Node, with an ack: one answer per Rust server.
    let cmd = json!({"cmd": "serverSideEmit", "event": "hello", "args": [1, "x"], "ack": true});
    let result = cluster.node.cmd(cmd).await;
    assert_eq!(result["err"], Value::Null, "{result}");
    let answer = json!({"from": "rust", "args": [1, "x"]});
    assert_eq!(result["responses"], json!([answer, answer]), "({proto:?})");
    for rust in &mut cluster.rust {
        rust.expect("the hello", |e| {
            e["ev"] == "serverEvent" && e["args"] == json!([1, "x"])
        })
        .await;
    }

    // From Rust, with an ack: the other Rust server's answer and Node's.
    let nsp = cluster.rust[0].io.of("/");
    let answers = nsp
        .server_side_emit_with_ack::<_, Value>("hello", &(2,), Duration::from_secs(3))
        .await
        .expect("every other server answered");
    let mut froms: Vec<String> = answers.iter().map(|a| a["from"].to_string()).collect();
    froms.sort();
    assert_eq!(froms, [r#""node""#, r#""rust""#], "({proto:?}) {answers:?}");
    assert!(answers.iter().all(|a| a["args"] == json!([2])));
    cluster
        .node
        .expect("serverEvent", |e| e["args"] == json!([2]))
        .await;
    cluster.rust[1]
        .expect("hello 2", |e| {
            e["ev"] == "serverEvent" && e["args"] == json!([2])
        })
        .await;

    // Without an ack; never to the emitting server itself.
    nsp.server_side_emit("silent", &(3, "y")).expect("emit");
    cluster
        .node
        .expect("serverEvent", |e| e["event"] == "silent")
        .await;
    cluster.rust[1]
        .expect("silent", |e| e["event"] == "silent")
        .await;
    let not_self =
        |e: &Value| e["ev"] == "serverEvent" && e["args"] == json!([2]) || e["event"] == "silent";
    cluster.rust[0]
        .expect_none(Duration::from_millis(300), not_self)
        .await;

    // A server without a listener does not answer: a timeout with the answers that came.
    let partial = nsp
        .server_side_emit_with_ack::<_, Value>("nobody-listens", &(4,), Duration::from_millis(500))
        .await;
    assert!(partial.is_err_and(|p| p.responses.is_empty()));
    cluster.stop().await;
}

/// The ids of the sockets in `room`, as the Node server fetches them.
async fn members(cluster: &mut Cluster, room: &str) -> BTreeSet<String> {
    let result = cluster
        .node
        .cmd(json!({"cmd": "fetchSockets", "to": [room]}))
        .await;
    let sockets = result["sockets"].as_array().cloned().unwrap_or_default();
    sockets
        .iter()
        .filter_map(|s| s["id"].as_str().map(str::to_owned))
        .collect()
}

async fn wait_members(cluster: &mut Cluster, room: &str, ids: &[String]) {
    let want: BTreeSet<String> = ids.iter().cloned().collect();
    let cluster = tokio::sync::Mutex::new(cluster);
    eventually(&format!("members of {room}: {want:?}"), || async {
        members(*cluster.lock().await, room).await == want
    })
    .await;
}

async fn remote_join_leave_and_disconnect_work_both_ways(proto: Proto) {
    let mut cluster = Cluster::start(proto, "remote").await;
    let mut clients = Clients::new();
    for i in 0..3 {
        clients.connect(&format!("d{i}"), &cluster.url(i)).await;
    }
    let (d0, d1, d2) = (clients.id("d0"), clients.id("d1"), clients.id("d2"));
    // Node makes a Rust server's socket join and leave.
    let cmd = json!({"cmd": "socketsJoin", "to": [d0], "rooms": ["x"]});
    cluster.node.cmd(cmd).await;
    wait_members(&mut cluster, "x", std::slice::from_ref(&d0)).await;
    // A Rust server makes Node's socket and the other Rust server's join.
    cluster.rust[0].io.to(d2.clone()).sockets_join("y");
    cluster.rust[0].io.to(d1.clone()).sockets_join(["y", "z"]);
    wait_members(&mut cluster, "y", &[d1.clone(), d2.clone()]).await;
    wait_members(&mut cluster, "z", std::slice::from_ref(&d1)).await;
    // And leave.
    cluster.rust[1]
        .io
        .to("y")
        .except(d1.clone())
        .sockets_leave("y");
    wait_members(&mut cluster, "y", std::slice::from_ref(&d1)).await;
    // Sockets fetched from another server act as Node's RemoteSocket: emit, join, leave.
    let fetched = cluster.rust[0].io.to(d1.clone()).fetch_sockets().await;
    let fetched = fetched.expect("fetch d1");
    assert!(matches!(fetched.as_slice(), [RemoteSocket::Remote(s)] if s.id == d1));
    fetched[0].try_emit("hello", &("from afar",)).expect("emit");
    let got = clients.incoming("d1").await;
    assert_eq!(
        (&got["event"], &got["args"]),
        (&json!("hello"), &json!(["from afar"]))
    );
    fetched[0].join("w");
    wait_members(&mut cluster, "w", std::slice::from_ref(&d1)).await;
    fetched[0].leave(["w", "z"]);
    wait_members(&mut cluster, "w", &[]).await;
    wait_members(&mut cluster, "z", &[]).await;
    let cmd = json!({"cmd": "socketsLeave", "to": [d0], "rooms": ["x"]});
    cluster.node.cmd(cmd).await;
    wait_members(&mut cluster, "x", &[]).await;

    // Node disconnects a Rust server's socket; a Rust server disconnects Node's.
    cluster
        .node
        .cmd(json!({"cmd": "disconnectSockets", "to": [d1], "close": false}))
        .await;
    assert_eq!(clients.disconnected("d1").await, "io server disconnect");
    let fetched = cluster.rust[0].io.to(d2.clone()).fetch_sockets().await;
    let [node_socket] = fetched.expect("fetch d2").try_into().expect("one socket");
    assert_eq!(node_socket.id(), d2);
    node_socket.disconnect(false);
    assert_eq!(clients.disconnected("d2").await, "io server disconnect");
    cluster
        .node
        .expect("disconnect", |e| e["id"] == json!(d2))
        .await;
    // With `close`, the whole connection goes (after the DISCONNECT packet, as in Node).
    cluster.rust[1].io.to(d0.clone()).disconnect_sockets(true);
    assert_eq!(clients.disconnected("d0").await, "io server disconnect");
    clients.exit().await;
    cluster.stop().await;
}
