//! Shared helpers of the `socketio_*` end-to-end tests: our Socket.IO server started
//! in-process with the conformance timings, what it saw (through a channel), and shortcuts for
//! the sio-driver (the official `socket.io-client` under Node).
#![allow(dead_code)]

mod driver;
#[macro_use]
mod msgpack;
mod target;

pub(crate) use driver::*;
#[allow(unused_imports)] // only the msgpack tests use it
pub(crate) use msgpack::{assert_on, connect_msgpack, msgpack_opts, start_msgpack, Transport};
// Not every test file compares with the reference server.
#[allow(unused_imports)]
pub(crate) use target::Target;

use std::collections::VecDeque;
use std::time::Duration;

use bytes::Bytes;
use e2e::{bin, from_b64, TIMEOUT};
use serde_json::{json, Value};
use socketio::server::Event;
use socketio::server::{serve, Builder, Cors, DisconnectReason, Socket, SocketIo};
use socketio::Payload;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// What the server saw.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Seen {
    /// A socket joined namespace `nsp`; `auth` is its handshake's CONNECT payload.
    Connect {
        nsp: String,
        id: String,
        auth: Value,
    },
    /// An incoming event; binary leaves of `args` are `{"$bin": base64}`.
    Event {
        nsp: String,
        id: String,
        name: String,
        args: Value,
    },
    /// A socket left, for `reason`.
    Disconnect {
        nsp: String,
        id: String,
        reason: DisconnectReason,
    },
    /// Anything a test's own handler reports.
    Note { what: String, value: Value },
}

/// Where handlers report what they see.
#[derive(Clone)]
pub(crate) struct Reporter(mpsc::UnboundedSender<Seen>);

impl Reporter {
    pub(crate) fn note(&self, what: &str, value: Value) {
        let _ = self.0.send(Seen::Note {
            what: what.to_owned(),
            value,
        });
    }

    fn seen(&self, seen: Seen) {
        let _ = self.0.send(seen);
    }
}

/// Our server on `127.0.0.1:<random port>` and the stream of what it saw.
pub(crate) struct Server {
    pub(crate) io: SocketIo,
    pub(crate) url: String,
    reporter: Reporter,
    rx: mpsc::UnboundedReceiver<Seen>,
    backlog: VecDeque<Seen>,
    history: Vec<Seen>,
}

/// The conformance server's pingInterval (300 ms) and pingTimeout (200 ms).
pub(crate) const PING_INTERVAL: Duration = Duration::from_millis(300);
pub(crate) const STRICT_PING_TIMEOUT: Duration = Duration::from_millis(200);

/// The pingTimeout of the tests that are not about the heartbeat. A 200 ms window for the
/// pong proved too tight on a loaded 2-core machine: with several Node processes and rustc
/// jobs running, a client or our server now and then answers late, and an unrelated test
/// fails with `ping timeout` (the Node reference server does the same under that load).
/// Pings still flow every 300 ms during every test.
pub(crate) const PING_TIMEOUT: Duration = Duration::from_millis(1000);

/// Short timings: pingInterval 300 ms, pingTimeout [`PING_TIMEOUT`], connectTimeout 1 s;
/// CORS open.
pub(crate) fn builder() -> Builder {
    SocketIo::builder()
        .ping_interval(PING_INTERVAL)
        .ping_timeout(PING_TIMEOUT)
        .connect_timeout(Duration::from_millis(1000))
        .cors(Cors::any())
}

/// A server with [`builder`]'s settings.
pub(crate) async fn start() -> Server {
    start_with(builder()).await
}

/// A server from `builder`, serving in a task.
pub(crate) async fn start_with(builder: Builder) -> Server {
    let io = builder.build();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(serve(listener, io.clone()));
    let (tx, rx) = mpsc::unbounded_channel();
    Server {
        io,
        url,
        reporter: Reporter(tx),
        rx,
        backlog: VecDeque::new(),
        history: Vec::new(),
    }
}

impl Server {
    /// The URL of namespace `nsp` (`"/"`, `"/custom"`).
    pub(crate) fn nsp_url(&self, nsp: &str) -> String {
        format!("{}{}", self.url, nsp)
    }

    pub(crate) fn reporter(&self) -> Reporter {
        self.reporter.clone()
    }

    /// Reports every connect, incoming event and disconnect of namespace `nsp`.
    pub(crate) fn watch(&self, nsp: &str) {
        let reporter = self.reporter();
        self.io.of(nsp).on_connection(move |socket: Socket| {
            let nsp = socket.namespace().as_str().to_owned();
            reporter.seen(Seen::Connect {
                nsp: nsp.clone(),
                id: socket.id().to_owned(),
                auth: socket.handshake().auth.clone(),
            });
            let (events, nsp_events) = (reporter.clone(), nsp.clone());
            socket.on_any(move |socket: &Socket, event: &Event| {
                events.seen(Seen::Event {
                    nsp: nsp_events.clone(),
                    id: socket.id().to_owned(),
                    name: event.name().to_owned(),
                    args: payload_json(event.payload()),
                });
            });
            let ends = reporter.clone();
            socket.on_disconnect(move |socket: &Socket, reason: DisconnectReason| {
                ends.seen(Seen::Disconnect {
                    nsp: nsp.clone(),
                    id: socket.id().to_owned(),
                    reason,
                });
            });
        });
    }

    /// The first thing seen for which `pred` holds, searching the backlog first; others are
    /// kept in the backlog.
    pub(crate) async fn find(&mut self, what: &str, pred: impl FnMut(&Seen) -> bool) -> Seen {
        match self.try_find(pred, TIMEOUT).await {
            Some(seen) => seen,
            None => self.fail(&format!("timed out waiting for {what}")),
        }
    }

    /// As [`Server::find`], but `None` when nothing matches within `timeout`.
    pub(crate) async fn try_find(
        &mut self,
        mut pred: impl FnMut(&Seen) -> bool,
        timeout: Duration,
    ) -> Option<Seen> {
        if let Some(index) = self.backlog.iter().position(&mut pred) {
            return self.backlog.remove(index);
        }
        let deadline = Instant::now() + timeout;
        loop {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(seen)) => {
                    self.history.push(seen.clone());
                    if pred(&seen) {
                        return Some(seen);
                    }
                    self.backlog.push_back(seen);
                }
                Ok(None) => self.fail("the channel closed"),
                Err(_) => return None,
            }
        }
    }

    /// Checks that nothing for which `pred` holds is seen for `during` (nor is in the backlog).
    pub(crate) async fn expect_none(
        &mut self,
        mut pred: impl FnMut(&Seen) -> bool,
        during: Duration,
    ) {
        if let Some(found) = self.backlog.iter().find(|s| pred(s)).cloned() {
            self.fail(&format!("unexpected {found:?} (in the backlog)"));
        }
        let deadline = Instant::now() + during;
        while let Ok(Some(seen)) = tokio::time::timeout_at(deadline, self.rx.recv()).await {
            self.history.push(seen.clone());
            if pred(&seen) {
                self.fail(&format!("unexpected {seen:?} within {during:?}"));
            }
            self.backlog.push_back(seen);
        }
    }

    /// The connect of socket `id`; returns its `auth`.
    pub(crate) async fn connected(&mut self, id: &str) -> Value {
        let what = format!("the connect of {id}");
        match self
            .find(
                &what,
                |s| matches!(s, Seen::Connect { id: i, .. } if i == id),
            )
            .await
        {
            Seen::Connect { auth, .. } => auth,
            _ => unreachable!(),
        }
    }

    /// The disconnect reason of socket `id`.
    pub(crate) async fn disconnected(&mut self, id: &str) -> DisconnectReason {
        let what = format!("the disconnect of {id}");
        match self
            .find(
                &what,
                |s| matches!(s, Seen::Disconnect { id: i, .. } if i == id),
            )
            .await
        {
            Seen::Disconnect { reason, .. } => reason,
            _ => unreachable!(),
        }
    }

    /// The disconnect reason of socket `id`, or `None` when it stays connected for `timeout`.
    pub(crate) async fn disconnected_within(
        &mut self,
        id: &str,
        timeout: Duration,
    ) -> Option<DisconnectReason> {
        let pred = |s: &Seen| matches!(s, Seen::Disconnect { id: i, .. } if i == id);
        match self.try_find(pred, timeout).await? {
            Seen::Disconnect { reason, .. } => Some(reason),
            _ => unreachable!(),
        }
    }

    /// The next event `name` from socket `id`; returns its arguments.
    pub(crate) async fn event(&mut self, id: &str, name: &str) -> Value {
        let what = format!("event {name:?} of {id}");
        let pred =
            |s: &Seen| matches!(s, Seen::Event { id: i, name: n, .. } if i == id && n == name);
        match self.find(&what, pred).await {
            Seen::Event { args, .. } => args,
            _ => unreachable!(),
        }
    }

    /// The next note `what`.
    pub(crate) async fn note(&mut self, what: &str) -> Value {
        let label = format!("note {what:?}");
        match self
            .find(
                &label,
                |s| matches!(s, Seen::Note { what: w, .. } if w == what),
            )
            .await
        {
            Seen::Note { value, .. } => value,
            _ => unreachable!(),
        }
    }

    /// Checks that socket `id` does not disconnect within `during`.
    pub(crate) async fn no_disconnect(&mut self, id: &str, during: Duration) {
        self.expect_none(
            |s| matches!(s, Seen::Disconnect { id: i, .. } if i == id),
            during,
        )
        .await;
    }

    /// Panics; what the server saw is shown when it is dropped.
    fn fail(&self, message: &str) -> ! {
        panic!("server: {message}");
    }
}

/// When a test fails (a driver's wait, say), shows what the server saw too.
impl Drop for Server {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        while let Ok(seen) = self.rx.try_recv() {
            self.history.push(seen);
        }
        let mut text = format!("the server saw ({}):\n", self.history.len());
        for seen in &self.history {
            text.push_str(&format!("  {seen:?}\n"));
        }
        eprintln!("{text}");
    }
}

/// A payload as JSON, its binary leaves as `{"$bin": base64}` (the drivers' form).
pub(crate) fn payload_json(payload: &Payload) -> Value {
    fn walk(payload: &Payload, value: &Value) -> Value {
        if let Some(bytes) = payload.attachment(value) {
            return bin(bytes);
        }
        match value {
            Value::Array(items) => Value::Array(items.iter().map(|v| walk(payload, v)).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), walk(payload, v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    walk(payload, payload.value())
}

/// The drivers' JSON form (binary leaves as `{"$bin": base64}`) as a payload.
pub(crate) fn json_payload(value: &Value) -> Payload {
    fn walk(value: &Value, attachments: &mut Vec<Bytes>) -> Value {
        match value {
            Value::Object(map)
                if map.len() == 1 && map.get("$bin").is_some_and(Value::is_string) =>
            {
                let num = attachments.len();
                attachments.push(Bytes::from(from_b64(
                    map["$bin"].as_str().unwrap_or_default(),
                )));
                json!({"_placeholder": true, "num": num})
            }
            Value::Array(items) => {
                Value::Array(items.iter().map(|v| walk(v, attachments)).collect())
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), walk(v, attachments)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    let mut attachments = Vec::new();
    let value = walk(value, &mut attachments);
    Payload::new(value, attachments).expect("placeholders match the attachments")
}
