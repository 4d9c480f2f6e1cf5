//! Shared helpers of the `redis_*` tests: a mixed cluster of Rust servers (in-process, each its
//! own `SocketIo` with the Redis adapter) and a Node server (`redis-node-server.mjs`), all on
//! the Redis at 127.0.0.1:6379 under a key prefix of their own, and `socket.io-client` sockets
//! on any of them (the sio-driver).
#![allow(dead_code)]

pub(crate) mod clients;
pub(crate) mod node;

use std::time::Duration;

use e2e::TIMEOUT;
use serde_json::{json, Value};
use socketio::adapter::AdapterFactory;
use socketio::server::{serve, Event, Socket, SocketIo};
use socketio_redis::{Mode, RedisAdapterConfig, RedisAdapterFactory, SubscriptionMode};
use tokio::sync::mpsc;

#[allow(unused_imports)] // not every test file uses both
pub(crate) use clients::Clients;
#[allow(unused_imports)]
pub(crate) use node::NodeServer;

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

/// A Rust server of the cluster: our `SocketIo` with the Redis adapter, on its own port.
///
/// Namespace `/`, per socket: `join` / `leave` [rooms] and `set-data` [data] are done then
/// acked with `done`; every other event is reported as `{"ev":"event","id","event","args"}`.
/// Server-side event `hello` is reported (`{"ev":"serverEvent"}`) and answered with
/// `{"from":"rust","args":[...]}`; `silent` is only reported. Connections and disconnects
/// are reported too, as the Node server does.
pub(crate) struct RustNode {
    pub(crate) io: SocketIo,
    pub(crate) url: String,
    pub(crate) redis: Option<RedisAdapterFactory>,
    events: mpsc::UnboundedReceiver<Value>,
    backlog: Vec<Value>,
}

impl RustNode {
    pub(crate) async fn start(redis_url: &str, proto: Proto, key: &str) -> Self {
        let config = RedisAdapterConfig::new(redis_url)
            .mode(proto.mode())
            .key(key)
            .requests_timeout(Duration::from_secs(3));
        let factory = RedisAdapterFactory::connect(config)
            .await
            .expect("the Redis adapter connects");
        Self::start_with(factory.clone(), Some(factory)).await
    }

    /// A server with any adapter; `redis` is shut down with it.
    pub(crate) async fn start_with(
        adapter: impl AdapterFactory,
        redis: Option<RedisAdapterFactory>,
    ) -> Self {
        let io = SocketIo::builder()
            .ping_interval(Duration::from_millis(300))
            .ping_timeout(Duration::from_millis(1000))
            .adapter(adapter)
            .build();
        let (tx, events) = mpsc::unbounded_channel();
        register(&io, &tx);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(serve(listener, io.clone()));
        Self {
            io,
            url,
            redis,
            events,
            backlog: Vec::new(),
        }
    }

    /// The first reported event matching `pred` (the backlog first).
    pub(crate) async fn expect(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(index) = self.backlog.iter().position(&pred) {
            return self.backlog.remove(index);
        }
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(event)) if pred(&event) => return event,
                Ok(Some(event)) => self.backlog.push(event),
                _ => panic!(
                    "rust node {}: no {what}; backlog {:?}",
                    self.url, self.backlog
                ),
            }
        }
    }

    /// Checks that no reported event matches `pred` within `during`.
    pub(crate) async fn expect_none(&mut self, during: Duration, pred: impl Fn(&Value) -> bool) {
        if let Some(event) = self.backlog.iter().find(|e| pred(e)) {
            panic!("rust node {}: unexpected {event}", self.url);
        }
        let deadline = tokio::time::Instant::now() + during;
        while let Ok(Some(event)) = tokio::time::timeout_at(deadline, self.events.recv()).await {
            assert!(!pred(&event), "rust node {}: unexpected {event}", self.url);
            self.backlog.push(event);
        }
    }

    /// Closes the server, then the adapter's connections.
    pub(crate) async fn stop(self) {
        self.io.close().await;
        if let Some(redis) = self.redis {
            redis.shutdown().await;
        }
    }
}

fn done(event: Event) {
    if let Some(ack) = event.into_ack() {
        let _ = ack.send(&("done",));
    }
}

fn register(io: &SocketIo, tx: &mpsc::UnboundedSender<Value>) {
    let report = tx.clone();
    io.of("/").on_connection(move |socket: Socket| {
        let _ = report.send(json!({"ev": "connection", "id": socket.id()}));
        socket.on("join", |socket: &Socket, event: Event| {
            let rooms: Vec<String> = rooms_arg(&event);
            socket.join(rooms);
            done(event);
        });
        socket.on("leave", |socket: &Socket, event: Event| {
            socket.leave(rooms_arg(&event));
            done(event);
        });
        socket.on("set-data", |socket: &Socket, event: Event| {
            let data: Value = event.arg(0).unwrap_or_default();
            let _ = socket.set_data(&data);
            done(event);
        });
        let events = report.clone();
        socket.on_any(move |socket: &Socket, event: &Event| {
            if matches!(event.name(), "join" | "leave" | "set-data") {
                return;
            }
            let args = e2e_args(event.payload());
            let _ = events.send(
                json!({"ev": "event", "id": socket.id(), "event": event.name(), "args": args}),
            );
        });
        let gone = report.clone();
        socket.on_disconnect(move |socket: &Socket, reason| {
            let _ = gone
                .send(json!({"ev": "disconnect", "id": socket.id(), "reason": reason.to_string()}));
        });
    });
    let report = tx.clone();
    io.of("/").on_server_event("hello", move |args, ack| {
        let args = e2e_args(args);
        let _ = report.send(json!({"ev": "serverEvent", "event": "hello", "args": args.clone()}));
        if let Some(ack) = ack {
            let _ = ack.send(&json!({"from": "rust", "args": args}));
        }
    });
    let report = tx.clone();
    io.of("/").on_server_event("silent", move |args, _ack| {
        let _ =
            report.send(json!({"ev": "serverEvent", "event": "silent", "args": e2e_args(args)}));
    });
}

/// A `join`/`leave` argument: one room or a list.
fn rooms_arg(event: &Event) -> Vec<String> {
    match event.arg::<Value>(0).unwrap_or_default() {
        Value::String(room) => vec![room],
        Value::Array(rooms) => rooms
            .iter()
            .filter_map(|r| r.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// A payload as the drivers show it: binary leaves as `{"$bin": base64}`.
pub(crate) fn e2e_args(payload: &socketio::Payload) -> Value {
    fn walk(value: &Value, payload: &socketio::Payload) -> Value {
        if let Some(bytes) = payload.attachment(value) {
            return e2e::bin(bytes);
        }
        match value {
            Value::Array(items) => Value::Array(items.iter().map(|v| walk(v, payload)).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), walk(v, payload)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    walk(payload.value(), payload)
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
        let a = RustNode::start(redis_url, proto, key).await;
        let b = RustNode::start(redis_url, proto, key).await;
        let mut node = NodeServer::start(redis_url, proto, key).await;
        node.wait_for_servers(3).await;
        Self {
            proto,
            key: key.to_owned(),
            rust: vec![a, b],
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
