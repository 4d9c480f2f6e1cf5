//! One adapter test suite that every adapter passes: two servers in-process, each with the
//! adapter under test, two `socket.io-client` sockets on each (`s<i>` in room `k`, `t<i>`
//! not). The in-memory adapter passes it with the single-node expectations (each server sees
//! its own sockets only); the Redis adapter, in both protocols, with the cluster ones.

#[macro_use]
mod redis_common;

use std::collections::BTreeSet;
use std::time::Duration;

use redis_common::{unique_key, Clients, Proto, RustNode, REDIS_URL};
use serde_json::{json, Value};
use socketio::server::RemoteSocket;
use socketio::MemoryAdapter;
use socketio_redis::{RedisAdapterConfig, RedisAdapterFactory};

/// What the suite runs on: two servers, and whether they form one cluster.
struct Pair {
    servers: Vec<RustNode>,
    cluster: bool,
    clients: Clients,
}

async fn memory_pair() -> Pair {
    let a = RustNode::start_with(MemoryAdapter, None).await;
    let b = RustNode::start_with(MemoryAdapter, None).await;
    pair(vec![a, b], false).await
}

async fn redis_pair(proto: Proto) -> Pair {
    let key = unique_key("suite");
    let mut servers = Vec::new();
    for _ in 0..2 {
        let config = RedisAdapterConfig::new(REDIS_URL)
            .mode(proto.mode())
            .key(&key)
            .requests_timeout(Duration::from_secs(2));
        let factory = RedisAdapterFactory::connect(config).await.expect("connect");
        servers.push(RustNode::start_with(factory.clone(), Some(factory)).await);
    }
    // Both servers subscribed: a server-side emit with ack gets the other's answer.
    let io = servers[0].io.clone();
    redis_common::eventually("the other server counted", || {
        let io = io.clone();
        async move {
            let nsp = io.of("/");
            let timeout = Duration::from_millis(300);
            let ask = nsp.server_side_emit_with_ack::<_, Value>("hello", &(), timeout);
            ask.await.is_ok_and(|answers| answers.len() == 1)
        }
    })
    .await;
    let pair = pair(servers, true).await;
    if proto == Proto::Sharded {
        redis_common::wait_for_room(REDIS_URL, &key, "k", 2).await;
    }
    pair
}

async fn pair(servers: Vec<RustNode>, cluster: bool) -> Pair {
    let mut clients = Clients::new();
    for (i, server) in servers.iter().enumerate() {
        clients.connect(&format!("s{i}"), &server.url).await;
        clients.join(&format!("s{i}"), &["k"]).await;
        clients.connect(&format!("t{i}"), &server.url).await;
    }
    Pair {
        servers,
        cluster,
        clients,
    }
}

impl Pair {
    /// The sockets a broadcast from server 0 reaches: its own, and server 1's in a cluster.
    fn reached<'a>(&self, names: &[&'a str]) -> Vec<&'a str> {
        let cluster = self.cluster;
        names
            .iter()
            .copied()
            .filter(|name| cluster || name.ends_with('0'))
            .collect()
    }

    async fn expect_only(&mut self, names: &[&str], event: &str) {
        for name in self.reached(names) {
            let got = self.clients.incoming(name).await;
            assert_eq!(got["event"], event, "{name}: {got}");
        }
        for name in ["s0", "t0", "s1", "t1"] {
            self.clients
                .expect_no_event(name, Duration::from_millis(50))
                .await;
        }
    }

    async fn stop(self) {
        self.clients.exit().await;
        for server in self.servers {
            server.stop().await;
        }
    }
}

async fn broadcasts(pair: &mut Pair) {
    let io = pair.servers[0].io.clone();
    io.try_emit("all", &()).expect("emit");
    pair.expect_only(&["s0", "t0", "s1", "t1"], "all").await;
    io.to("k").try_emit("k", &()).expect("emit");
    pair.expect_only(&["s0", "s1"], "k").await;
    io.of("/").except("k").try_emit("not-k", &()).expect("emit");
    pair.expect_only(&["t0", "t1"], "not-k").await;
    io.of("/")
        .operator()
        .local()
        .try_emit("local", &())
        .expect("emit");
    pair.expect_only(&["s0", "t0"], "local").await;
}

async fn fetch_sockets(pair: &mut Pair) {
    let found = pair.servers[0]
        .io
        .to("k")
        .fetch_sockets()
        .await
        .expect("fetch");
    let ids: BTreeSet<String> = found
        .iter()
        .map(|socket| match socket {
            RemoteSocket::Local(s) => s.id().to_owned(),
            RemoteSocket::Remote(s) => s.id.clone(),
        })
        .collect();
    let want: BTreeSet<String> = pair
        .reached(&["s0", "s1"])
        .iter()
        .map(|n| pair.clients.id(n))
        .collect();
    assert_eq!(ids, want);
    let local = pair.servers[0]
        .io
        .to("k")
        .local()
        .fetch_sockets()
        .await
        .expect("fetch");
    assert_eq!(local.len(), 1, "local: this server only");
}

/// Join, leave and disconnect aimed at server 1's `t1` from server 0.
async fn remote_operations(pair: &mut Pair) {
    let t1 = pair.clients.id("t1");
    let io = pair.servers[0].io.clone();
    io.to(t1.clone()).sockets_join("j");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let joined = pair.servers[1].io.to("j").local_sockets().len();
    assert_eq!(
        joined,
        usize::from(pair.cluster),
        "t1 joined j through the adapter"
    );
    io.to("j").sockets_leave("j");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(pair.servers[1].io.to("j").local_sockets().is_empty());
    io.to(t1).disconnect_sockets(false);
    match pair.cluster {
        true => assert_eq!(
            pair.clients.disconnected("t1").await,
            "io server disconnect"
        ),
        false => {
            pair.clients
                .expect_no_event("t1", Duration::from_millis(200))
                .await
        }
    }
}

async fn acks(pair: &mut Pair) {
    let io = pair.servers[0].io.clone();
    let asking = tokio::spawn(async move {
        io.to("k")
            .timeout(Duration::from_secs(3))
            .emit_with_ack::<_, String>("q", &())
            .await
    });
    let names = pair.reached(&["s0", "s1"]);
    for name in &names {
        let question = pair.clients.incoming(name).await;
        pair.clients.ack(&question["ackId"], json!([name])).await;
    }
    let mut answers = asking.await.expect("task").expect("all answered");
    answers.sort();
    assert_eq!(answers, names);
    let nsp = pair.servers[0].io.of("/");
    let answers = nsp
        .server_side_emit_with_ack::<_, Value>("hello", &(1,), Duration::from_secs(2))
        .await
        .expect("every other server answered");
    assert_eq!(answers.len(), usize::from(pair.cluster));
}

async fn suite(mut pair: Pair) {
    broadcasts(&mut pair).await;
    fetch_sockets(&mut pair).await;
    acks(&mut pair).await;
    remote_operations(&mut pair).await;
    pair.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_memory_adapter_passes_with_single_node_expectations() {
    suite(memory_pair().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_classic_redis_adapter_passes() {
    suite(redis_pair(Proto::Classic).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sharded_redis_adapter_passes() {
    suite(redis_pair(Proto::Sharded).await).await;
}
