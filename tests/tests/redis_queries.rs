//! What a mixed cluster (two Rust servers, one Node server, on Redis) answers about itself: the
//! server count and all rooms (`Nsp::server_count`, `Nsp::all_rooms`, Node's
//! `adapter.serverCount()` / `allRooms()`), the socket-ids request, and where answers go with
//! `publishOnSpecificResponseChannel`.

#[macro_use]
mod redis_common;

use std::collections::BTreeSet;

use redis_common::{Clients, Cluster, Proto, REDIS_URL};
use serde_json::{json, Value};
use socketio::adapter::AdapterError;

both_protocols!(nsp_counts_the_servers_and_lists_the_rooms_as_node_does);
both_protocols!(socket_ids_are_answered_as_node_answers_them);

/// Socket `q<i>` on server `i`, each in room `s`; `q1` also in `x`, `q2` in `y`.
async fn three_clients(cluster: &Cluster) -> Clients {
    let mut clients = Clients::new();
    let rooms: [&[&str]; 3] = [&["s"], &["s", "x"], &["s", "y"]];
    for (i, rooms) in rooms.iter().enumerate() {
        let name = format!("q{i}");
        clients.connect(&name, &cluster.url(i)).await;
        clients.join(&name, rooms).await;
    }
    clients
}

fn ids(clients: &Clients) -> BTreeSet<String> {
    (0..3).map(|i| clients.id(&format!("q{i}"))).collect()
}

async fn nsp_counts_the_servers_and_lists_the_rooms_as_node_does(proto: Proto) {
    let mut cluster = Cluster::start(proto, "queries").await;
    let clients = three_clients(&cluster).await;
    for rust in &cluster.rust {
        assert_eq!(rust.io.of("/").server_count().await, 3, "({proto:?})");
    }
    assert_eq!(cluster.node.server_count().await, 3);

    let from_rust = cluster.rust[0].io.of("/").all_rooms().await;
    let from_node = cluster.node.cmd(json!({"cmd": "allRooms"})).await;
    match proto {
        Proto::Classic => {
            let mut want = ids(&clients);
            want.extend(["s", "x", "y"].map(str::to_owned));
            let rooms = from_rust.expect("every server answers");
            let rooms: BTreeSet<String> = rooms.iter().map(|r| r.to_string()).collect();
            assert_eq!(rooms, want, "Nsp::all_rooms");
            let node_rooms: BTreeSet<String> =
                serde_json::from_value(from_node["rooms"].clone()).unwrap_or_default();
            assert_eq!(node_rooms, want, "Node's allRooms: {from_node}");
        }
        _ => {
            // The ClusterAdapter protocol cannot ask for rooms: Node's sharded adapter has no
            // `allRooms`, and ours says it does not support it.
            assert_eq!(from_rust, Err(AdapterError::Unsupported));
            assert!(from_node["err"].is_string(), "{from_node}");
        }
    }
    // One server fewer: everyone counts two.
    let gone = cluster.rust.pop().expect("rust-1");
    gone.stop().await;
    assert_eq!(cluster.rust[0].io.of("/").server_count().await, 2);
    cluster.node.wait_for_servers(2).await;
    clients.exit().await;
    cluster.stop().await;
}

/// A received message, watched on Redis: its channel and its JSON.
fn watched(event: &Value) -> (String, Value) {
    let channel = event["channel"].as_str().unwrap_or_default().to_owned();
    let text = event["message"].as_str().unwrap_or_default();
    (channel, serde_json::from_str(text).unwrap_or_default())
}

async fn socket_ids_are_answered_as_node_answers_them(proto: Proto) {
    let mut cluster = Cluster::start(proto, "socket-ids").await;
    let clients = three_clients(&cluster).await;
    // Node's `adapter.sockets(rooms)` (socket.io-adapter 2.5) is the local one in both of the
    // Redis adapter's protocols: @socket.io/redis-adapter 8 never sends the request.
    let local = cluster
        .node
        .cmd(json!({"cmd": "adapterSockets", "rooms": ["s"]}))
        .await;
    assert_eq!(local["ids"], json!([clients.id("q2")]), "({proto:?})");
    if proto != Proto::Classic {
        // The ClusterAdapter protocol has no socket-ids request at all.
        clients.exit().await;
        return cluster.stop().await;
    }
    // The classic protocol still answers it, as sent by socket.io-redis 6 (`sockets(rooms)`):
    // every server, Node's and ours, answers `{requestId, sockets}` on the response channel.
    let key = cluster.key.clone();
    let node = &mut cluster.node;
    node.cmd(json!({"cmd": "watch", "pattern": format!("{key}-response#/#*")}))
        .await;
    let request = json!({"uid": "legacy", "requestId": "ids-1", "type": 0, "rooms": ["s"]});
    let publish = json!({"cmd": "publish", "channel": format!("{key}-request#/#"), "message": request.to_string()});
    node.cmd(publish).await;
    let mut answers = Vec::new();
    for _ in 0..3 {
        let event = node
            .expect("redis", |e| watched(e).1["requestId"] == "ids-1")
            .await;
        let (channel, answer) = watched(&event);
        assert_eq!(channel, format!("{key}-response#/#"));
        answers.push(answer);
    }
    let mut found = BTreeSet::new();
    for answer in &answers {
        let keys: BTreeSet<&String> = answer
            .as_object()
            .map(|m| m.keys().collect())
            .unwrap_or_default();
        assert_eq!(
            keys,
            BTreeSet::from([&"requestId".to_owned(), &"sockets".to_owned()])
        );
        let sockets = answer["sockets"].as_array().cloned().unwrap_or_default();
        assert_eq!(
            sockets.len(),
            1,
            "one socket of room s per server: {answer}"
        );
        found.extend(sockets.iter().filter_map(|s| s.as_str().map(str::to_owned)));
    }
    assert_eq!(found, ids(&clients), "{answers:?}");
    clients.exit().await;
    cluster.stop().await;
}

/// The channel of the watched fetch answer that lists socket `id`.
async fn on_channel(cluster: &mut Cluster, id: String) -> String {
    let event = cluster
        .node
        .expect("redis", |e| watched(e).1["sockets"][0]["id"] == json!(id))
        .await;
    watched(&event).0
}

/// `publishOnSpecificResponseChannel` (classic): a server with it answers on the requester's
/// own channel, one without on the shared one, and requesters read both. Server-side emit
/// answers always take the shared channel, as in Node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_go_to_the_requester_s_channel_with_publish_on_specific_response_channel() {
    let key = redis_common::unique_key("specific");
    let tune = |i, config: socketio_redis::RedisAdapterConfig| {
        config.publish_on_specific_response_channel(i == 0)
    };
    let node_args = ["--specific-response-channel"];
    let mut cluster = Cluster::start_tuned(REDIS_URL, Proto::Classic, &key, tune, &node_args).await;
    let clients = three_clients(&cluster).await;
    let shared = format!("{key}-response#/#");
    cluster
        .node
        .cmd(json!({"cmd": "watch", "pattern": format!("{shared}*")}))
        .await;
    let (q0, q1, q2) = (clients.id("q0"), clients.id("q1"), clients.id("q2"));

    // Asked by Node: rust-0 (with the option) answers on Node's channel, rust-1 on the shared.
    let result = cluster
        .node
        .cmd(json!({"cmd": "fetchSockets", "to": ["s"]}))
        .await;
    let sockets = result["sockets"].as_array().cloned().unwrap_or_default();
    assert_eq!(sockets.len(), 3, "{result}");
    let node_own = on_channel(&mut cluster, q0.clone()).await;
    assert!(
        node_own.starts_with(&shared) && node_own != shared,
        "{node_own}"
    );
    assert_eq!(on_channel(&mut cluster, q1.clone()).await, shared);

    // Asked by rust-0: Node (with the option) answers on rust-0's channel, rust-1 on the shared.
    let found = cluster.rust[0].io.to("s").fetch_sockets().await;
    assert_eq!(found.expect("every server answers").len(), 3);
    let rust_own = on_channel(&mut cluster, q2).await;
    assert!(rust_own.starts_with(&shared) && rust_own != shared && rust_own != node_own);
    assert_eq!(on_channel(&mut cluster, q1).await, shared);

    // Server-side emit answers: the shared channel, whoever answers.
    let answers = cluster.rust[1]
        .io
        .of("/")
        .server_side_emit_with_ack::<_, Value>("hello", &(1,), std::time::Duration::from_secs(3))
        .await;
    assert_eq!(answers.expect("both answer").len(), 2);
    for _ in 0..2 {
        let event = cluster
            .node
            .expect("redis", |e| watched(e).1["type"] == 6)
            .await;
        assert_eq!(watched(&event).0, shared);
    }
    clients.exit().await;
    cluster.stop().await;
}
