//! Shared helpers of the Socket.IO v2 end-to-end tests: [`V2Server`], our server or the Node
//! reference (`reference-sio-server.mjs`), with the same behaviour and the same event stream,
//! so that a case runs against both and compares what the official `socket.io-client` 2.x
//! saw; and shortcuts for `sio2-driver.mjs`, the driver of that client.
#![allow(dead_code)]

mod client;

pub(crate) use client::*;

use std::collections::VecDeque;
use std::time::Duration;

use e2e::{ReferenceServer, TIMEOUT};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use socketio::binary::Binary;
use socketio::payload::to_payload;
use socketio::server::{serve, ConnectError, Cors, Event, Namespace, Socket, SocketIo};
use socketio::Payload;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// pingInterval 300 ms and connectTimeout 1 s as the conformance suites; pingTimeout 1 s,
/// which a loaded 2-core machine keeps (see `common_sio::PING_TIMEOUT`).
pub(crate) const PING_INTERVAL: Duration = Duration::from_millis(300);
pub(crate) const PING_TIMEOUT: Duration = Duration::from_millis(1000);
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_millis(1000);

/// Our server or the reference, behaving as `reference-sio-server.mjs` describes, reporting
/// `{"ev":"connection","nsp","id","auth"}` and `{"ev":"disconnect","nsp","id","reason"}`.
pub(crate) enum V2Server {
    Ours(Ours),
    Reference(Box<ReferenceServer>),
}

/// Our server and what it reported.
pub(crate) struct Ours {
    pub(crate) io: SocketIo,
    url: String,
    rx: mpsc::UnboundedReceiver<Value>,
    backlog: VecDeque<Value>,
}

impl V2Server {
    /// Our server, `allow_eio3` as given.
    pub(crate) async fn ours(allow_eio3: bool) -> Self {
        let io = SocketIo::builder()
            .ping_interval(PING_INTERVAL)
            .ping_timeout(PING_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .cors(Cors::any())
            .allow_eio3(allow_eio3)
            .build();
        let (tx, rx) = mpsc::unbounded_channel();
        behave(&io.of("/"), tx.clone());
        behave(
            &io.of_fn(|name: &str, _auth: &Value| !name.starts_with("/nowhere")),
            tx,
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(serve(listener, io.clone()));
        V2Server::Ours(Ours {
            io,
            url,
            rx,
            backlog: VecDeque::new(),
        })
    }

    /// The reference server, `--allow-eio3` as given.
    pub(crate) async fn reference(allow_eio3: bool) -> Self {
        let mut args = vec!["--ping-timeout", "1000", "--connect-timeout", "1000"];
        if allow_eio3 {
            args.push("--allow-eio3");
        }
        V2Server::Reference(Box::new(ReferenceServer::sio(&args).await))
    }

    /// Both, ours first.
    pub(crate) async fn both(allow_eio3: bool) -> [Self; 2] {
        [
            Self::ours(allow_eio3).await,
            Self::reference(allow_eio3).await,
        ]
    }

    pub(crate) fn label(&self) -> &'static str {
        match self {
            V2Server::Ours(_) => "ours",
            V2Server::Reference(_) => "reference",
        }
    }

    /// `http://127.0.0.1:PORT` followed by `path` (a namespace, maybe with a query).
    pub(crate) fn url(&self, path: &str) -> String {
        let base = match self {
            V2Server::Ours(ours) => ours.url.clone(),
            V2Server::Reference(server) => server.url(),
        };
        format!("{base}{path}")
    }

    /// The first server event for which `pred` holds (the others are kept).
    pub(crate) async fn expect(&mut self, pred: impl FnMut(&Value) -> bool) -> Value {
        match self {
            V2Server::Ours(ours) => ours.expect(pred).await,
            V2Server::Reference(server) => server.events().expect_matching(pred, TIMEOUT).await,
        }
    }

    /// The connection of socket `id`: `{"ev","nsp","id","auth"}`.
    pub(crate) async fn connection(&mut self, id: &str) -> Value {
        self.expect(|e| e["ev"] == "connection" && e["id"] == id)
            .await
    }

    /// The next connection in namespace `nsp`.
    pub(crate) async fn connection_in(&mut self, nsp: &str) -> Value {
        self.expect(|e| e["ev"] == "connection" && e["nsp"] == nsp)
            .await
    }

    /// The reason socket `id` disconnected for.
    pub(crate) async fn disconnect_reason(&mut self, id: &str) -> String {
        let seen = self
            .expect(|e| e["ev"] == "disconnect" && e["id"] == id)
            .await;
        seen["reason"].as_str().expect("a reason").to_owned()
    }

    /// Checks that no connection in namespace `nsp` is reported within `during`, nor waits
    /// in the backlog.
    pub(crate) async fn no_connection_in(&mut self, nsp: &str, during: Duration) {
        let pred = |e: &Value| e["ev"] == "connection" && e["nsp"] == nsp;
        match self {
            V2Server::Ours(ours) => ours.expect_none(pred, during).await,
            V2Server::Reference(server) => {
                // Reads for `during` (no event has that name), keeping what came.
                let events = server.events();
                events.expect_no("-", during).await;
                let seen: Vec<&Value> = events.backlog().iter().filter(|e| pred(e)).collect();
                assert!(seen.is_empty(), "reference: connections in {nsp}: {seen:?}");
            }
        }
    }
}

impl Ours {
    async fn expect(&mut self, mut pred: impl FnMut(&Value) -> bool) -> Value {
        if let Some(index) = self.backlog.iter().position(&mut pred) {
            return self.backlog.remove(index).expect("just found");
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(event)) if pred(&event) => return event,
                Ok(Some(event)) => self.backlog.push_back(event),
                Ok(None) => panic!("ours: the report channel closed"),
                Err(_) => panic!("ours: timed out; backlog {:?}", self.backlog),
            }
        }
    }

    async fn expect_none(&mut self, mut pred: impl FnMut(&Value) -> bool, during: Duration) {
        if let Some(found) = self.backlog.iter().find(|e| pred(e)) {
            panic!("ours: unexpected {found} (in the backlog)");
        }
        let deadline = Instant::now() + during;
        while let Ok(Some(event)) = tokio::time::timeout_at(deadline, self.rx.recv()).await {
            assert!(!pred(&event), "ours: unexpected {event} within {during:?}");
            self.backlog.push_back(event);
        }
    }
}

type Reports = mpsc::UnboundedSender<Value>;

/// Reports to the test; once the test is over nobody listens, and nothing is lost then.
fn report(reports: &Reports, event: Value) {
    if reports.send(event).is_err() {
        eprintln!("report after the test ended");
    }
}

/// The reference script's behaviour on one namespace (or dynamic parent) of ours.
fn behave(namespace: &Namespace, reports: Reports) {
    namespace.use_middleware(|socket: Socket| async move { admission(&socket) });
    namespace.on_connection(move |socket: Socket| {
        let nsp = socket.namespace().as_str().to_owned();
        let auth = socket.handshake().auth.clone();
        let connection = json!({"ev": "connection", "nsp": nsp, "id": socket.id(), "auth": auth});
        report(&reports, connection);
        let ends = reports.clone();
        socket.on_disconnect(move |socket: &Socket, reason: socketio::server::DisconnectReason| {
            let event = json!({"ev": "disconnect", "nsp": nsp, "id": socket.id(), "reason": reason.as_str()});
            report(&ends, event);
        });
        socket.on_any(|socket: &Socket, event: &Event| on_event(socket, event));
    });
}

/// auth `{"token":"bad"}` or the query `refuse=bad`: refused with data; `plain`: without;
/// auth `{"token":"zero"}`: with the data `0`.
fn admission(socket: &Socket) -> Result<(), ConnectError> {
    let handshake = socket.handshake();
    let token = handshake.auth["token"].as_str();
    let refuse = handshake.query("refuse");
    if token == Some("bad") || refuse == Some("bad") {
        return Err(ConnectError::new("unauthorized").with_data(json!({"code": 401})));
    }
    if token == Some("plain") || refuse == Some("plain") {
        return Err(ConnectError::new("forbidden"));
    }
    if token == Some("zero") {
        return Err(ConnectError::new("zero data").with_data(json!(0)));
    }
    Ok(())
}

/// One argument of a client's answer: bytes, or JSON (without bytes inside).
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Arg {
    Bin(Binary),
    Json(Value),
}

/// The reference script's catch-all handler (`ask` and `ask-room` take one argument, and
/// the answer to `ask` holds bytes at the top level only).
fn on_event(socket: &Socket, event: &Event) {
    let args = event.payload();
    let arg = |index: usize| args.value().get(index).cloned().unwrap_or(Value::Null);
    let room = || arg(0).as_str().unwrap_or_default().to_owned();
    match event.name() {
        "ask" => {
            let socket = socket.clone();
            let question = (arg(0),);
            tokio::spawn(async move {
                let answer = socket.emit_with_ack::<_, Vec<Arg>>("question", &question);
                match answer.await.map(|answer| to_payload(&answer)) {
                    Ok(Ok(answer)) => socket.emit_payload("answer", answer),
                    Ok(Err(error)) => eprintln!("ask: the answer does not serialize: {error}"),
                    Err(error) => eprintln!("ask: no answer: {error}"),
                }
            });
        }
        "bye" => socket.disconnect(true),
        "bye-nsp" => socket.disconnect(false),
        "join-room" => {
            socket.join(room());
            if let Some(ack) = event.ack().cloned() {
                ack.send(&());
            }
        }
        "to-room" => {
            let name = arg(1).as_str().unwrap_or_default().to_owned();
            socket.nsp().to(room()).emit_payload(&name, tail(args, 2));
            if let Some(ack) = event.ack().cloned() {
                ack.send(&());
            }
        }
        "ask-room" => ask_room(socket, room(), arg(1), event.ack().cloned()),
        name => match event.ack().cloned() {
            Some(ack) => ack.send_payload(args.clone()),
            None => socket.emit_payload(name, args.clone()),
        },
    }
}

/// `ask-room [room, question]`: the room is asked, the asker gets `{"err","answers"}`.
fn ask_room(
    socket: &Socket,
    room: String,
    question: Value,
    ack: Option<socketio::server::AckSender>,
) {
    let operator = socket.nsp().to(room).timeout(Duration::from_secs(2));
    tokio::spawn(async move {
        let (err, mut answers) = match operator
            .emit_with_ack::<_, Value>("question", &(question,))
            .await
        {
            Ok(answers) => (Value::Null, answers),
            Err(partial) => (Value::String(partial.error.to_string()), partial.responses),
        };
        answers.sort_by_key(|answer| answer.to_string());
        if let Some(ack) = ack {
            ack.send(&json!({"err": err, "answers": answers}));
        }
    });
}

/// The arguments from `from` on (the binary leaves' attachments kept: the arguments left out
/// hold none here).
fn tail(args: &Payload, from: usize) -> Payload {
    let items = args.value().as_array().cloned().unwrap_or_default();
    let rest = Value::Array(items.into_iter().skip(from).collect());
    Payload::new(rest, args.attachments().to_vec()).expect("the attachments are kept")
}
