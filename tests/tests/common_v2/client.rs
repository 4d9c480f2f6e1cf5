//! Shortcuts for `sio2-driver.mjs`, the driver of the official `socket.io-client` 2.x, and
//! the transports a case runs on.

use e2e::{NodeDriver, TIMEOUT};
use serde_json::{json, Value};

/// The transports a case runs on: the client's options, and whether it upgrades.
pub(crate) const TRANSPORTS: [(&str, &str); 3] = [
    ("polling", r#"{"transports":["polling"]}"#),
    ("websocket", r#"{"transports":["websocket"]}"#),
    ("upgrade", r#"{"transports":["polling","websocket"]}"#),
];

/// The client options of a transport of [`TRANSPORTS`], with `extra` merged in.
pub(crate) fn opts(transport: &str, extra: Value) -> Value {
    let (_, text) = TRANSPORTS
        .iter()
        .find(|(name, _)| *name == transport)
        .expect("a known transport");
    let mut opts: Value = serde_json::from_str(text).expect("valid options");
    if let (Some(opts), Value::Object(extra)) = (opts.as_object_mut(), extra) {
        opts.extend(extra);
    }
    opts
}

/// A `sio2-driver.mjs`: the official `socket.io-client` 2.x.
pub(crate) fn sio2() -> NodeDriver {
    NodeDriver::spawn("sio2-driver.mjs", &[])
}

/// Opens socket `name` on `url` and returns its first `connect` or `error` event (an
/// `error` is a refused CONNECT).
pub(crate) async fn open(client: &mut NodeDriver, name: &str, url: &str, opts: Value) -> Value {
    let cmd = json!({"cmd": "connect", "name": name, "url": url, "opts": opts});
    client.command(cmd, TIMEOUT).await;
    client
        .expect_matching(
            |e| {
                e["name"] == name
                    && (e["ev"] == "connect" || e["ev"] == "error" || e["ev"] == "connect_error")
            },
            TIMEOUT,
        )
        .await
}

/// Connects socket `name` and returns its id; on the `upgrade` transport, waits for the
/// upgrade too when `first` (the first socket of its connection).
pub(crate) async fn connect(
    client: &mut NodeDriver,
    name: &str,
    url: &str,
    transport: &str,
    first: bool,
) -> String {
    let connected = open(client, name, url, opts(transport, json!({}))).await;
    assert_eq!(
        connected["ev"], "connect",
        "{name} on {transport}: {connected}"
    );
    if transport == "upgrade" && first {
        let upgraded = named(client, "engine_upgrade", name).await;
        assert_eq!(upgraded["transport"], "websocket");
    }
    connected["id"].as_str().expect("an id").to_owned()
}

/// The next event `ev` of socket `name`.
pub(crate) async fn named(client: &mut NodeDriver, ev: &str, name: &str) -> Value {
    client
        .expect_matching(|e| e["ev"] == ev && e["name"] == name, TIMEOUT)
        .await
}

/// The next incoming event `event` of socket `name`: `{"args","ackId"}`.
pub(crate) async fn incoming(client: &mut NodeDriver, name: &str, event: &str) -> Value {
    let got = client
        .expect_matching(
            |e| e["ev"] == "event" && e["name"] == name && e["event"] == event,
            TIMEOUT,
        )
        .await;
    json!({"args": got["args"], "ackId": got["ackId"]})
}

/// Emits `event` with `args` from socket `name`.
pub(crate) async fn emit(client: &mut NodeDriver, name: &str, event: &str, args: Value) {
    let cmd = json!({"cmd": "emit", "name": name, "event": event, "args": args});
    client.command(cmd, TIMEOUT).await;
}

/// Emits `event` with `args` and an ack from socket `name`; returns the ack's arguments.
pub(crate) async fn emit_ack(
    client: &mut NodeDriver,
    name: &str,
    event: &str,
    args: Value,
) -> Value {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let id = format!("v2-ack-{n}");
    let cmd =
        json!({"cmd": "emit", "name": name, "event": event, "args": args, "ack": true, "id": id});
    client.command(cmd, TIMEOUT).await;
    let answer = client
        .expect_matching(|e| e["ev"] == "ack" && e["id"] == id, TIMEOUT)
        .await;
    answer["args"].clone()
}

/// Sends a command to socket `name` and waits for its `ok`.
pub(crate) async fn command(client: &mut NodeDriver, cmd: &str, name: &str) {
    client
        .command(json!({"cmd": cmd, "name": name}), TIMEOUT)
        .await;
}
