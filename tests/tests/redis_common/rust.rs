//! The Rust servers of the cluster: our `SocketIo` with the Redis adapter, in-process.

use std::time::Duration;

use e2e::TIMEOUT;
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};
use socketio::adapter::AdapterFactory;
use socketio::binary::Binary;
use socketio::server::{serve, Builder, Event, Socket, SocketIo};
use socketio::MsgpackParser;
use socketio::Payload;
use socketio_redis::{RedisAdapterConfig, RedisAdapterFactory};
use tokio::sync::mpsc;

use super::Proto;
use socketio::server::DisconnectReason;
use socketio::server::ServerAck;

/// A Rust server of the cluster: our `SocketIo` with the Redis adapter, on its own port.
///
/// Namespace `/`, per socket: `join` / `leave` [rooms] and `set-data` [data] are done then
/// acked with `done`; every other event is reported as `{"ev":"event","id","event","args"}`.
/// Server-side event `hello` is reported (`{"ev":"serverEvent"}`) and answered with
/// `{"from":"rust","args":[...]}` (binary arguments answered as they came); `silent` is only
/// reported. Connections and disconnects are reported too, as the Node server does.
pub(crate) struct RustNode {
    pub(crate) io: SocketIo,
    pub(crate) url: String,
    pub(crate) redis: Option<RedisAdapterFactory>,
    events: mpsc::UnboundedReceiver<Value>,
    backlog: Vec<Value>,
}

impl RustNode {
    pub(crate) async fn start(redis_url: &str, proto: Proto, key: &str) -> Self {
        Self::start_config(config(redis_url, proto, key)).await
    }

    /// A server with the Redis adapter configured so.
    pub(crate) async fn start_config(config: RedisAdapterConfig) -> Self {
        let factory = RedisAdapterFactory::connect(config)
            .await
            .expect("the Redis adapter connects");
        Self::start_with(factory.clone(), Some(factory)).await
    }

    /// A server with the Redis adapter configured so, on the msgpack parser.
    pub(crate) async fn start_msgpack(config: RedisAdapterConfig) -> Self {
        let factory = RedisAdapterFactory::connect(config)
            .await
            .expect("the Redis adapter connects");
        let builder = builder().parser(MsgpackParser).adapter(factory.clone());
        Self::start_built(builder, Some(factory)).await
    }

    /// A server with any adapter; `redis` is shut down with it.
    pub(crate) async fn start_with(
        adapter: impl AdapterFactory,
        redis: Option<RedisAdapterFactory>,
    ) -> Self {
        Self::start_built(builder().adapter(adapter), redis).await
    }

    async fn start_built(builder: Builder, redis: Option<RedisAdapterFactory>) -> Self {
        let io = builder.build();
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

/// The cluster's timings: pingInterval 300 ms, pingTimeout 1 s.
fn builder() -> Builder {
    SocketIo::builder()
        .ping_interval(Duration::from_millis(300))
        .ping_timeout(Duration::from_millis(1000))
}

fn done(event: Event) {
    if let Some(ack) = event.into_ack() {
        ack.send(&("done",));
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
        socket.on_disconnect(move |socket: &Socket, reason: DisconnectReason| {
            let _ = gone
                .send(json!({"ev": "disconnect", "id": socket.id(), "reason": reason.to_string()}));
        });
    });
    let report = tx.clone();
    io.of("/")
        .on_server_event("hello", move |args: &Payload, ack: Option<ServerAck>| {
            let _ =
                report.send(json!({"ev": "serverEvent", "event": "hello", "args": e2e_args(args)}));
            if let Some(ack) = ack {
                let answer = json!({"from": "rust", "args": args.value()});
                let answer = Payload::new(answer, args.attachments().to_vec());
                ack.send_payload(answer.expect("the same placeholders"));
            }
        });
    let report = tx.clone();
    io.of("/")
        .on_server_event("silent", move |args: &Payload, _ack: Option<ServerAck>| {
            let _ = report
                .send(json!({"ev": "serverEvent", "event": "silent", "args": e2e_args(args)}));
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

/// The tests' adapter options: `proto`, the key, a 3 s request timeout.
pub(crate) fn config(redis_url: &str, proto: Proto, key: &str) -> RedisAdapterConfig {
    RedisAdapterConfig::new(redis_url)
        .mode(proto.mode())
        .key(key)
        .requests_timeout(Duration::from_secs(3))
}

/// Any answer read from a payload as the drivers show it: binary leaves as `{"$bin": base64}`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BinJson(pub(crate) Value);

impl<'de> Deserialize<'de> for BinJson {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Placeholders read as `Binary` inside `from_payload` resolve to their attachment.
        fn walk(value: Value) -> Value {
            match value {
                Value::Object(map) if map.get("_placeholder") == Some(&Value::Bool(true)) => {
                    let value = Value::Object(map);
                    match Binary::deserialize(value.clone()) {
                        Ok(bytes) => e2e::bin(&bytes),
                        Err(_) => value,
                    }
                }
                Value::Object(map) => map.into_iter().map(|(k, v)| (k, walk(v))).collect(),
                Value::Array(items) => items.into_iter().map(walk).collect(),
                other => other,
            }
        }
        Value::deserialize(deserializer).map(|value| Self(walk(value)))
    }
}
