//! `socket.io-client` sockets on the servers of a cluster, through one sio-driver.

use std::collections::HashMap;
use std::time::Duration;

use e2e::{NodeDriver, TIMEOUT};
use serde_json::{json, Value};

/// Named sockets, each on its own connection (WebSocket only: no stickiness needed).
pub(crate) struct Clients {
    driver: NodeDriver,
    ids: HashMap<String, String>,
    /// The sio-driver's name of the sockets' parser; the default parser when `None`.
    parser: Option<&'static str>,
}

impl Clients {
    pub(crate) fn new() -> Self {
        Self {
            driver: NodeDriver::sio(),
            ids: HashMap::new(),
            parser: None,
        }
    }

    /// Sockets on `socket.io-msgpack-parser`.
    pub(crate) fn msgpack() -> Self {
        Self {
            parser: Some("msgpack"),
            ..Self::new()
        }
    }

    /// Connects socket `name` to `url`; returns its id.
    pub(crate) async fn connect(&mut self, name: &str, url: &str) -> String {
        let mut opts = json!({"forceNew": true, "transports": ["websocket"]});
        if let Some(parser) = self.parser {
            opts["parser"] = json!(parser);
        }
        let cmd = json!({"cmd": "connect", "name": name, "url": format!("{url}/"), "opts": opts});
        self.driver.command(cmd, TIMEOUT).await;
        let connected = self.named("connect", name).await;
        let id = connected["id"].as_str().expect("a socket id").to_owned();
        self.ids.insert(name.to_owned(), id.clone());
        id
    }

    /// The id of socket `name`.
    pub(crate) fn id(&self, name: &str) -> String {
        self.ids.get(name).cloned().unwrap_or_default()
    }

    async fn named(&mut self, ev: &str, name: &str) -> Value {
        self.driver
            .expect_matching(|e| e["ev"] == ev && e["name"] == name, TIMEOUT)
            .await
    }

    /// Emits `event` with an ack and waits for the answer's arguments.
    pub(crate) async fn emit_ack(&mut self, name: &str, event: &str, args: Value) -> Value {
        let id = format!("ack-{name}-{event}-{}", self.driver.history().len());
        let cmd = json!({"cmd": "emit", "name": name, "event": event, "args": args, "ack": true, "id": id});
        self.driver.command(cmd, TIMEOUT).await;
        let answer = self
            .driver
            .expect_matching(
                |e| (e["ev"] == "ack" || e["ev"] == "ackError") && e["id"] == id,
                TIMEOUT,
            )
            .await;
        assert_eq!(answer["ev"], "ack", "{name}: an ack for {event}: {answer}");
        answer["args"].clone()
    }

    /// Emits `event` without an ack.
    pub(crate) async fn emit(&mut self, name: &str, event: &str, args: Value) {
        let cmd = json!({"cmd": "emit", "name": name, "event": event, "args": args});
        self.driver.command(cmd, TIMEOUT).await;
    }

    /// Joins `rooms` (through the server's `join` event, acked once done).
    pub(crate) async fn join(&mut self, name: &str, rooms: &[&str]) {
        assert_eq!(
            self.emit_ack(name, "join", json!([rooms])).await,
            json!(["done"])
        );
    }

    /// Sets the socket's `data` on its server.
    pub(crate) async fn set_data(&mut self, name: &str, data: Value) {
        assert_eq!(
            self.emit_ack(name, "set-data", json!([data])).await,
            json!(["done"])
        );
    }

    /// The next incoming event of socket `name`: `{"event","args","ackId"}`.
    pub(crate) async fn incoming(&mut self, name: &str) -> Value {
        self.named("event", name).await
    }

    /// The next incoming event `event` of socket `name`, skipping the others.
    pub(crate) async fn next_named(&mut self, name: &str, event: &str) -> Value {
        loop {
            let got = self.incoming(name).await;
            if got["event"] == event {
                return got;
            }
        }
    }

    /// The next `count` incoming events of `name`, as `[event, args]` pairs, sorted (events of
    /// different senders may interleave).
    pub(crate) async fn received(&mut self, name: &str, count: usize) -> Vec<Value> {
        let mut got = Vec::with_capacity(count);
        for _ in 0..count {
            let event = self.incoming(name).await;
            got.push(json!([event["event"], event["args"]]));
        }
        got.sort_by_key(Value::to_string);
        got
    }

    /// Checks that `name` receives no event for `during`.
    pub(crate) async fn expect_no_event(&mut self, name: &str, during: Duration) {
        let deadline = tokio::time::Instant::now() + during;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                break;
            }
            self.driver
                .expect_no("__never__", left.min(Duration::from_millis(100)))
                .await;
        }
        let unexpected = self
            .driver
            .backlog()
            .iter()
            .find(|e| e["ev"] == "event" && e["name"] == name)
            .cloned();
        assert!(unexpected.is_none(), "{name} got {unexpected:?}");
    }

    /// Answers a server event that asked for an ack.
    pub(crate) async fn ack(&mut self, ack_id: &Value, args: Value) {
        let cmd = json!({"cmd": "ack", "ackId": ack_id, "args": args});
        self.driver.command(cmd, TIMEOUT).await;
    }

    /// The next `disconnect` of socket `name`: its reason.
    pub(crate) async fn disconnected(&mut self, name: &str) -> String {
        let event = self.named("disconnect", name).await;
        event["reason"].as_str().unwrap_or_default().to_owned()
    }

    pub(crate) async fn exit(self) {
        self.driver.exit().await;
    }
}
