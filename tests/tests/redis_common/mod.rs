//! Shared helpers of the `redis_*` tests: a mixed cluster of Rust servers (in-process, each its
//! own `SocketIo` with the Redis adapter) and a Node server (`redis-node-server.mjs`), all on
//! the Redis at 127.0.0.1:6379 under a key prefix of their own, and `socket.io-client` sockets
//! on any of them (the sio-driver).
#![allow(dead_code)]

/// Makes `classic` and `sharded` tests of an `async fn case(proto: Proto)`: every cluster
/// case runs in both protocols.
#[allow(unused_macros)] // not every test file has such cases
macro_rules! both_protocols {
    ($case:ident) => {
        mod $case {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn classic() {
                super::$case(super::Proto::Classic).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sharded() {
                super::$case(super::Proto::Sharded).await;
            }
        }
    };
}

pub(crate) mod clients;
pub(crate) mod node;
pub(crate) mod own_redis;
pub(crate) mod rust;

use std::time::Duration;

use e2e::TIMEOUT;
use socketio_redis::{Mode, RedisAdapterConfig, SubscriptionMode};

#[allow(unused_imports)] // not every test file uses each
pub(crate) use clients::Clients;
#[allow(unused_imports)]
pub(crate) use node::NodeServer;
#[allow(unused_imports)]
pub(crate) use own_redis::OwnRedis;
#[allow(unused_imports)]
pub(crate) use rust::{e2e_args, BinJson, RustNode};

/// The shared Redis of the tests (`scripts/services` makes sure it answers).
pub(crate) const REDIS_URL: &str = "redis://127.0.0.1:6379";

/// The two protocols every case runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Proto {
    Classic,
    /// Sharded, in Node's default subscription mode (`dynamic`).
    Sharded,
    /// Sharded, in the `static` subscription mode.
    ShardedStatic,
}

impl Proto {
    pub(crate) fn mode(self) -> Mode {
        match self {
            Proto::Classic => Mode::Classic,
            Proto::Sharded => Mode::Sharded(SubscriptionMode::Dynamic),
            Proto::ShardedStatic => Mode::Sharded(SubscriptionMode::Static),
        }
    }

    /// The Node server's arguments for this protocol.
    pub(crate) fn node_args(self) -> &'static [&'static str] {
        match self {
            Proto::Classic => &["--mode", "classic"],
            Proto::Sharded => &["--mode", "sharded", "--subscription-mode", "dynamic"],
            Proto::ShardedStatic => &["--mode", "sharded", "--subscription-mode", "static"],
        }
    }
}

/// A key prefix no other test uses, so tests running at once do not see each other.
pub(crate) fn unique_key(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!("t-{test}-{}-{nanos}", std::process::id())
}

/// Waits until `check` holds, polling every 50 ms, up to [`TIMEOUT`].
pub(crate) async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "never happened: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Two Rust servers and one Node server on one key prefix, each counted by the others.
pub(crate) struct Cluster {
    pub(crate) proto: Proto,
    pub(crate) key: String,
    pub(crate) rust: Vec<RustNode>,
    pub(crate) node: NodeServer,
}

impl Cluster {
    pub(crate) async fn start(proto: Proto, test: &str) -> Self {
        Self::start_on(REDIS_URL, proto, &unique_key(test)).await
    }

    pub(crate) async fn start_on(redis_url: &str, proto: Proto, key: &str) -> Self {
        Self::start_tuned(redis_url, proto, key, |_, config| config, &[]).await
    }

    /// With the options of Rust server `i` changed by `tune(i, ..)`, and more arguments for
    /// the Node server.
    pub(crate) async fn start_tuned(
        redis_url: &str,
        proto: Proto,
        key: &str,
        tune: impl Fn(usize, RedisAdapterConfig) -> RedisAdapterConfig,
        node_args: &[&str],
    ) -> Self {
        let mut rust = Vec::with_capacity(2);
        for i in 0..2 {
            let config = tune(i, rust::config(redis_url, proto, key));
            rust.push(RustNode::start_config(config).await);
        }
        let mut node = NodeServer::start_with(redis_url, proto, key, node_args).await;
        node.wait_for_servers(3).await;
        Self {
            proto,
            key: key.to_owned(),
            rust,
            node,
        }
    }

    /// A cluster whose three servers use the msgpack parser.
    pub(crate) async fn start_msgpack(proto: Proto, test: &str) -> Self {
        let key = unique_key(test);
        let mut rust = Vec::with_capacity(2);
        for _ in 0..2 {
            rust.push(RustNode::start_msgpack(rust::config(REDIS_URL, proto, &key)).await);
        }
        let args = ["--parser", "msgpack"];
        let mut node = NodeServer::start_with(REDIS_URL, proto, &key, &args).await;
        node.wait_for_servers(3).await;
        Self {
            proto,
            key,
            rust,
            node,
        }
    }

    /// The URL of server `i`: 0 and 1 are the Rust servers, 2 the Node server.
    pub(crate) fn url(&self, i: usize) -> String {
        match i {
            0 | 1 => self.rust[i].url.clone(),
            _ => self.node.url(),
        }
    }

    pub(crate) async fn stop(self) {
        self.node.stop().await;
        for rust in self.rust {
            rust.stop().await;
        }
    }
}

/// `redis-cli -u <url> <args>`: its output, trimmed.
pub(crate) fn redis_cli(url: &str, args: &[&str]) -> String {
    let output = std::process::Command::new("redis-cli")
        .arg("-u")
        .arg(url)
        .args(args)
        .output()
        .expect("redis-cli runs");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// Waits until `servers` servers listen on the room channel of `room` (sharded, dynamic mode),
/// so that a broadcast to that room reaches them all.
pub(crate) async fn wait_for_room(url: &str, key: &str, room: &str, servers: usize) {
    let channel = format!("{key}#/#{room}#");
    eventually(&format!("{servers} subscribers to {channel}"), || {
        let output = redis_cli(url, &["PUBSUB", "SHARDNUMSUB", &channel]);
        let count = output
            .lines()
            .nth(1)
            .and_then(|n| n.trim().parse::<usize>().ok());
        std::future::ready(count == Some(servers))
    })
    .await;
}
